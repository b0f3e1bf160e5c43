/* assembly.c — see assembly.h. Tested against infer.main()'s own output in
 * tests/fixtures/dsp/assembly.safetensors (exact). */
#include "assembly.h"

#include <math.h>
#include <string.h>

int64_t rift_fade_samples(double fade_ms, double rate)
{
    return (int64_t)(fade_ms * rate / 1000.0);
}

/* np.hanning(2·fade)[k]: the symmetric Hann window of 2·fade points */
static double fade_in_at(int64_t k, int64_t fade)
{
    return 0.5 - 0.5 * cos(2.0 * G_PI * (double)k / (double)(2 * fade - 1));
}

/* np.linspace(1, 0, fade)[k]: 1 + k·step, the last point exactly 0 */
static double fade_out_at(int64_t k, int64_t fade)
{
    if (k == fade - 1)
        return 0.0;
    return (double)k * (-1.0 / (double)(fade - 1)) + 1.0;
}

void rift_fade_segment(float *y, int64_t L, int64_t fade, gboolean fade_in, gboolean fade_out)
{
    if (fade < 2)
        return;
    const int64_t f = MIN(fade, L);
    if (fade_in)
        for (int64_t k = 0; k < f; k++)
            y[k] = (float)((double)y[k] * fade_in_at(k, fade));
    if (fade_out)
        for (int64_t k = 0; k < f; k++)
            y[L - f + k] = (float)((double)y[L - f + k] * fade_out_at(fade - f + k, fade));
}

void rift_assemble(double *out, int64_t n, int n_seg, const int64_t *start, const int64_t *length,
                   const float *const *ys, const int64_t *m, int64_t fade)
{
    memset(out, 0, n * sizeof(double));
    for (int k = 0; k < n_seg; k++) {
        const int64_t L = length[k], s = start[k];
        float *y = g_new0(float, MAX(L, 1));
        memcpy(y, ys[k], MIN(L, m[k]) * sizeof(float));
        rift_fade_segment(y, L, fade, k > 0, k < n_seg - 1);
        if (k > 0) /* upstream fades out what is already there (nothing: no overlap) */
            for (int64_t i = 0; i < MIN(fade, L) && s + i < n; i++)
                out[s + i] *= fade_out_at(i, fade);
        for (int64_t i = 0; i < L && s + i < n; i++)
            out[s + i] += y[i];
        g_free(y);
    }
}
