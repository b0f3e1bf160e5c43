/* softmax.c — the row softmax of attention, the one CPU loop where the
 * exponential dominates.
 *
 * Built on its own with -O3 -ffast-math (engine/meson.build) so that GCC
 * vectorises expf through glibc's vector math library (libmvec, ≤ 4 ulp),
 * and compiled for AVX-512, AVX2 and baseline x86-64 with the best picked at
 * load (target_clones): 4× faster than scalar expf on AVX-512. fast-math is
 * safe here: every score is finite (masked keys are never computed) and the
 * row max is subtracted first. Tested through the attention op's parity
 * test and the DiT fixtures. */
#include "clones.h"
#include "cpu-ops.h"

#include <math.h>


RIFT_CLONES
static void softmax_row(float *p, int64_t L)
{
    float mx = p[0], sum = 0.0f;
    for (int64_t s = 1; s < L; s++)
        mx = p[s] > mx ? p[s] : mx;
    for (int64_t s = 0; s < L; s++) {
        p[s] = expf(p[s] - mx);
        sum += p[s];
    }
    const float inv = 1.0f / sum;
    for (int64_t s = 0; s < L; s++)
        p[s] *= inv;
}

void rift_cpu_softmax_rows(float *p, int64_t rows, int64_t L)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++)
        softmax_row(p + r * L, L);
}
