/* vocoder-math.h — what the CPU ops of NSF-HiFiGAN (engine/cpu/vocoder.c)
 * and their CUDA twins (cuda/vocoder.cu) must compute identically: the
 * constants of upstream's harmonic source and the input rows each tap of a
 * transposed convolution reaches. Tested through tests/backend. */
#pragma once

#include <stdint.h>

/* SineGen's constants as upstream's float32 arithmetic rounds them:
 * torch.sin(2 * np.pi * rad) multiplies by float(2π); the unvoiced noise
 * amplitude is (1 − uv)·sine_amp / 3 computed in float32. */
#define RIFT_NSF_TWO_PI 6.2831855f
#define RIFT_NSF_SINE_AMP 0.1f
#define RIFT_NSF_NOISE_VOICED 0.003f
#define RIFT_NSF_NOISE_UNVOICED (0.1f / 3.0f)

/* Tap m of a transposed convolution sends input row i to output row
 * i·stride + m − pad. The input rows [*i0, *i0 + *n) are those that land
 * inside the output's Lout rows. */
static inline void rift_tconv_tap_rows(int64_t L, int64_t Lout, int64_t stride, int64_t pad,
                                       int64_t m, int64_t *i0, int64_t *n)
{
    const int64_t lo = pad - m, hi = Lout - 1 + pad - m; /* bounds on i·stride */
    const int64_t first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
    int64_t last = hi < 0 ? -1 : hi / stride;
    if (last > L - 1)
        last = L - 1;
    *i0 = first;
    *n = last >= first ? last - first + 1 : 0;
}
