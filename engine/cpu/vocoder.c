/* vocoder.c — CPU versions of the ops NSF-HiFiGAN adds to ops.h (see there
 * for shapes and references): the transposed 1-D convolution of its
 * upsampling layers, leaky ReLU, tanh, and its harmonic source.
 *
 * conv_transpose1d is one sgemm per kernel tap. Tap m sends input frame i to
 * output frame i·stride + m − pad, so with the tap's weights as a
 * [Cin, Cout] matrix, y[rows i·stride + m − pad] += x[rows i] · w_m: a
 * plain product whose output rows are `stride` rows apart (ldc =
 * stride·Cout). The workspace holds the weights regrouped tap by tap
 * ([k, Cin, Cout]; PyTorch stores them [Cin, Cout, k], taps innermost). Unlike
 * gemm + col2im, nothing proportional to the sequence length is needed: the
 * column matrix of one 30 s upsampling layer would be 170 MB.
 *
 * nsf_source follows upstream's float32 arithmetic operation by operation
 * (rift_svc/nsf_hifigan/models.py SineGen, SourceModuleHnNSF), because the
 * phase reaches ~100 cycles at the 9th harmonic, where a rounding step is
 * already 5e-5 rad.
 *
 * Tested against naive double references and the CUDA twins in
 * tests/backend/test-backend-ops.c, and end to end by the vocoder fixtures
 * (tests/fixtures/vocoder, `rift-tool run vocoder`). */
#include "cpu-ops.h"
#include "vocoder-math.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

size_t rift_cpu_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                           int64_t Cout, int64_t k, int64_t stride, int64_t pad)
{
    return (size_t)(Cin * Cout * k) * sizeof(float);
}

void rift_cpu_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                               const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                               int64_t stride, int64_t pad, void *work)
{
    const int64_t Lout = (L - 1) * stride - 2 * pad + k;
    float *wt = work; /* wt[m, ci, co] = w[ci, co, m] */
#pragma omp parallel for schedule(static)
    for (int64_t ci = 0; ci < Cin; ci++)
        for (int64_t co = 0; co < Cout; co++)
            for (int64_t m = 0; m < k; m++)
                wt[(m * Cin + ci) * Cout + co] = w[(ci * Cout + co) * k + m];
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < Lout; j++) {
        if (bias)
            memcpy(y + j * Cout, bias, Cout * sizeof(float));
        else
            memset(y + j * Cout, 0, Cout * sizeof(float));
    }
    for (int64_t m = 0; m < k; m++) {
        int64_t i0, n;
        rift_tconv_tap_rows(L, Lout, stride, pad, m, &i0, &n);
        if (n > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)n, (blasint)Cout,
                        (blasint)Cin, 1.0f, x + i0 * Cin, (blasint)Cin, wt + m * Cin * Cout,
                        (blasint)Cout, 1.0f, y + (i0 * stride + m - pad) * Cout,
                        (blasint)(stride * Cout));
    }
}

void rift_cpu_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] >= 0.0f ? x[i] : x[i] * slope;
}

void rift_cpu_tanh(rift_backend *be, float *y, const float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

/* One thread per frame: each sample depends only on its frame's f0 and
 * phase offset, so frames are independent. */
void rift_cpu_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                         const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                         const float *rand_ini, const float *randn, const float *w,
                         const float *b)
{
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < T; t++) {
        const float inc = f0[t] / rate;
        const gboolean voiced = f0[t] > 0.0f;
        const float amp = voiced ? RIFT_NSF_NOISE_VOICED : RIFT_NSF_NOISE_UNVOICED;
        for (int64_t k = 0; k < upp; k++) {
            const int64_t n = t * upp + k;
            const float phase = inc * (float)(k + 1) + acc[t];
            float sum = 0.0f;
            for (int64_t h = 0; h < H; h++) {
                float arg = phase * (float)(h + 1);
                if (rand_ini)
                    arg += rand_ini[h];
                const float sine = sinf(arg * RIFT_NSF_TWO_PI) * RIFT_NSF_SINE_AMP;
                float s = voiced ? sine : 0.0f;
                if (randn)
                    s += amp * randn[n * H + h];
                if (sines)
                    sines[n * H + h] = s;
                sum += w[h] * s;
            }
            har[n] = tanhf(sum + b[0]);
        }
    }
}
