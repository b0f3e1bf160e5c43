/* conv1d.c — the 1-D convolution and the per-channel GroupNorm of HuBERT's
 * feature encoder and positional embedding (ContentVec), CPU versions of
 * ops.h (see there for shapes and references).
 *
 * conv1d (strided, padded, dilated, grouped) is im2col + sgemm. For each
 * group, the receptive fields of a tile of output frames are copied into a
 * [rows, Cin/groups·k] matrix, columns in the weight's own (ci, j) order, so
 * one sgemm with the group's [Cout/groups, Cin/groups·k] weight rows writes
 * the group's output columns (ldc = Cout). Tiling over time bounds the
 * workspace: untiled, a 30 s segment through HuBERT's positional conv (768
 * channels, 16 groups, 128 taps) would need 37 MB per group.
 *
 * Tested against naive double references and the CUDA twin in
 * tests/backend/test-backend-ops.c, and end to end by the ContentVec
 * fixtures (tests/models/test-contentvec.c, `rift-tool run contentvec`). */
#include "cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* The workspace conv1d aims for: as many output frames per tile as fit
 * (at least one, for kernels wider than 2M inputs per output). */
#define CONV1D_WORK_BYTES ((size_t)8 << 20)

/* channel_norm's statistics are gathered for this many neighbouring
 * channels at once, so each pass reads whole cache lines of every row */
#define CHANNEL_BLOCK 16

typedef struct {
    int64_t Lout; /* output frames */
    int64_t K;    /* im2col columns: Cin/groups · k */
    int64_t tile; /* output frames per im2col tile */
} conv1d_plan;

static conv1d_plan plan_conv1d(int64_t L, int64_t Cin, int64_t k, int64_t stride, int64_t pad,
                               int64_t dilation, int64_t groups)
{
    conv1d_plan p;
    p.Lout = (L + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    p.K = Cin / groups * k;
    p.tile = CLAMP((int64_t)(CONV1D_WORK_BYTES / ((size_t)p.K * sizeof(float))), 1, p.Lout);
    return p;
}

size_t rift_cpu_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                 int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                 int64_t groups)
{
    const conv1d_plan p = plan_conv1d(L, Cin, k, stride, pad, dilation, groups);
    return (size_t)p.tile * p.K * sizeof(float);
}

/* cols[r, ci·k + j] = x[(t0 + r)·stride + j·dilation − pad, c0 + ci], zero outside x */
static void im2col(float *cols, const float *x, int64_t L, int64_t Cin, int64_t c0,
                   int64_t cin_g, int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                   int64_t t0, int64_t rows)
{
    const int64_t K = cin_g * k;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        float *cr = cols + r * K;
        const int64_t s0 = (t0 + r) * stride - pad;
        for (int64_t j = 0; j < k; j++) {
            const int64_t s = s0 + j * dilation;
            if (s < 0 || s >= L) {
                for (int64_t ci = 0; ci < cin_g; ci++)
                    cr[ci * k + j] = 0.0f;
                continue;
            }
            const float *xs = x + s * Cin + c0;
            for (int64_t ci = 0; ci < cin_g; ci++)
                cr[ci * k + j] = xs[ci];
        }
    }
}

void rift_cpu_conv1d(rift_backend *be, float *y, const float *x, const float *w,
                     const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                     int64_t stride, int64_t pad, int64_t dilation, int64_t groups, void *work)
{
    const conv1d_plan p = plan_conv1d(L, Cin, k, stride, pad, dilation, groups);
    const int64_t cin_g = Cin / groups, cout_g = Cout / groups;
    float *cols = work;
    if (bias) {
#pragma omp parallel for schedule(static)
        for (int64_t t = 0; t < p.Lout; t++)
            memcpy(y + t * Cout, bias, Cout * sizeof(float));
    }
    for (int64_t t0 = 0; t0 < p.Lout; t0 += p.tile) {
        const int64_t rows = MIN(p.tile, p.Lout - t0);
        for (int64_t g = 0; g < groups; g++) {
            im2col(cols, x, L, Cin, g * cin_g, cin_g, k, stride, pad, dilation, t0, rows);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)rows, (blasint)cout_g,
                        (blasint)p.K, 1.0f, cols, (blasint)p.K, w + g * cout_g * p.K,
                        (blasint)p.K, bias ? 1.0f : 0.0f, y + t0 * Cout + g * cout_g,
                        (blasint)Cout);
        }
    }
}

/* Each channel's mean, then its squared deviations, summed over time in
 * double in row order (what a float64 reference computes), then the float
 * normalisation of layernorm. Threads take blocks of channels. */
void rift_cpu_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                           float eps, const float *gamma, const float *beta)
{
#pragma omp parallel for schedule(static)
    for (int64_t c0 = 0; c0 < C; c0 += CHANNEL_BLOCK) {
        const int64_t nc = MIN(CHANNEL_BLOCK, C - c0);
        double s[CHANNEL_BLOCK] = {0}, v[CHANNEL_BLOCK] = {0}, m[CHANNEL_BLOCK];
        float mean[CHANNEL_BLOCK], rstd[CHANNEL_BLOCK];
        for (int64_t t = 0; t < L; t++)
            for (int64_t i = 0; i < nc; i++)
                s[i] += x[t * C + c0 + i];
        for (int64_t i = 0; i < nc; i++)
            m[i] = s[i] / (double)L;
        for (int64_t t = 0; t < L; t++)
            for (int64_t i = 0; i < nc; i++) {
                const double d = (double)x[t * C + c0 + i] - m[i];
                v[i] += d * d;
            }
        for (int64_t i = 0; i < nc; i++) {
            mean[i] = (float)m[i];
            rstd[i] = (float)(1.0 / sqrt(v[i] / (double)L + (double)eps));
        }
        for (int64_t t = 0; t < L; t++)
            for (int64_t i = 0; i < nc; i++) {
                const int64_t e = t * C + c0 + i;
                y[e] = (x[e] - mean[i]) * rstd[i] * gamma[c0 + i] + beta[c0 + i];
            }
    }
}
