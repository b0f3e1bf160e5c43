/* interp.c — see interp.h. Tested against infer.py's outputs in
 * tests/fixtures/dit/case4_cvec_ds (tests/models/test-interp.c). */
#include "interp.h"

#include <math.h>
#include <string.h>

void rift_interp_linear(float *out, int64_t n_out, const float *x, int64_t n_in, int64_t C)
{
    if (n_out <= 0 || n_in <= 0)
        return;
    /* torch rounds the ratio (n_in − 1)/(n_out − 1) to float32 but not the
     * source position ratio · i; the weight is rounded once more. Matching
     * this (found against upstream's outputs) gives them to 1 ulp, where a
     * float32 position is off by up to 3e-5 and exact math by 7e-5. */
    const double scale = n_out > 1 ? (double)((float)(n_in - 1) / (float)(n_out - 1)) : 0.0;
    for (int64_t i = 0; i < n_out; i++) {
        const double src = scale * (double)i;
        const int64_t i0 = MIN((int64_t)floor(src), n_in - 1);
        const int64_t i1 = i0 < n_in - 1 ? i0 + 1 : i0;
        const float l1 = (float)fmin(fmax(src - (double)i0, 0.0), 1.0), l0 = 1.0f - l1;
        const float *a = x + i0 * C, *b = x + i1 * C;
        float *o = out + i * C;
        for (int64_t c = 0; c < C; c++)
            o[c] = l0 * a[c] + l1 * b[c];
    }
}

void rift_bad_cvec(float *out, const float *cvec, int64_t T, int64_t C, int rate)
{
    const int64_t half = (T + 1) / 2;           /* cvec[::2] */
    const int64_t low = MAX(half / MAX(rate, 1), 1); /* len // rate, never 0 rows */
    float *even = g_new(float, half * C), *down = g_new(float, low * C);
    for (int64_t i = 0; i < half; i++)
        memcpy(even + i * C, cvec + 2 * i * C, C * sizeof(float));
    rift_interp_linear(down, low, even, half, C);
    rift_interp_linear(out, T, down, low, C);
    g_free(even);
    g_free(down);
}
