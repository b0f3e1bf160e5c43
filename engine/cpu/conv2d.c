/* conv2d.c — CPU implementations of the image ops of ops.h (RMVPE's U-Net):
 * conv2d, conv_transpose2d, avgpool2d, channel_affine, relu, sigmoid.
 *
 * The convolutions are sgemm work, one image at a time, channels first:
 *   conv2d            y[Cout, tile] = w[Cout, Cin·kh·kw] · im2col(x)[Cin·kh·kw, tile]
 *   conv_transpose2d  col[Cout·kh·kw, tile] = wᵀ · x[Cin, tile], then each output
 *                     pixel gathers its taps from col (no scattered writes, so
 *                     every thread owns its outputs and the sum order is fixed)
 * over tiles of whole rows (engine/conv-tile.h) so the workspace stays bounded
 * for long segments. OpenBLAS threads each sgemm; the copies and gathers are
 * OpenMP loops.
 * reference: torch.nn.functional.conv2d / conv_transpose2d, AvgPool2d,
 * eval-mode BatchNorm2d, ReLU, Sigmoid. Tested against naive double-precision
 * references and the CUDA twins in tests/backend, and end to end by the
 * RMVPE fixtures (tests/models/test-rmvpe.c). */
#include "conv-tile.h"
#include "cpu-ops.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* y[c, :] = bias[c] (n values per channel), or zeros without a bias */
static void fill_channels(float *y, const float *bias, int64_t C, int64_t n)
{
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        float *yc = y + c * n;
        const float v = bias ? bias[c] : 0.0f;
        for (int64_t i = 0; i < n; i++)
            yc[i] = v;
    }
}

size_t rift_cpu_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                 int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                 int64_t ph, int64_t pw)
{
    const int64_t Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
    return rift_conv2d_tile_bytes(Cin, Ho, Wo, kh, kw, sh, sw, ph, pw);
}

/* col[k, (i − r0)·Wo + j] = x[ci, i·sh + a − ph, j·sw + b − pw] (0 outside x)
 * for output rows r0 .. r0 + nr, k = (ci·kh + a)·kw + b. */
static void im2col(float *col, const float *x, int64_t Cin, int64_t H, int64_t W, int64_t kh,
                   int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t Wo,
                   int64_t r0, int64_t nr)
{
    const int64_t K = Cin * kh * kw;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t k = 0; k < K; k++) {
        for (int64_t r = 0; r < nr; r++) {
            const int64_t ci = k / (kh * kw), a = k / kw % kh, b = k % kw;
            const int64_t iy = (r0 + r) * sh + a - ph;
            float *dst = col + (k * nr + r) * Wo;
            if (iy < 0 || iy >= H) {
                memset(dst, 0, Wo * sizeof(float));
                continue;
            }
            /* output columns j0 .. j1 read inside the row, ix = j·sw + b − pw */
            const float *src = x + (ci * H + iy) * W;
            const int64_t j0 = MIN(Wo, b >= pw ? 0 : (pw - b + sw - 1) / sw);
            const int64_t j1 = MAX(j0, MIN(Wo, W + pw - b > 0 ? (W + pw - b - 1) / sw + 1 : 0));
            memset(dst, 0, j0 * sizeof(float));
            if (sw == 1)
                memcpy(dst + j0, src + j0 + b - pw, (j1 - j0) * sizeof(float));
            else
                for (int64_t j = j0; j < j1; j++)
                    dst[j] = src[j * sw + b - pw];
            memset(dst + j1, 0, (Wo - j1) * sizeof(float));
        }
    }
}

void rift_cpu_conv2d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                     int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t kh, int64_t kw,
                     int64_t sh, int64_t sw, int64_t ph, int64_t pw, void *work)
{
    const int64_t Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
    const int64_t K = Cin * kh * kw, HWo = Ho * Wo;
    /* the bias is the starting value of C (beta 1), so sgemm adds to it */
    const float beta = bias ? 1.0f : 0.0f;
    if (bias)
        fill_channels(y, bias, Cout, HWo);
    if (rift_conv2d_is_pointwise(kh, kw, sh, sw, ph, pw)) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)Cout, (blasint)HWo,
                    (blasint)Cin, 1.0f, w, (blasint)Cin, x, (blasint)HWo, beta, y, (blasint)HWo);
        return;
    }
    const int64_t rows = rift_conv_tile_rows(K * Wo, Ho);
    float *col = work;
    for (int64_t r0 = 0; r0 < Ho; r0 += rows) {
        const int64_t nr = MIN(rows, Ho - r0), N = nr * Wo;
        im2col(col, x, Cin, H, W, kh, kw, sh, sw, ph, pw, Wo, r0, nr);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)Cout, (blasint)N,
                    (blasint)K, 1.0f, w, (blasint)K, col, (blasint)N, beta, y + r0 * Wo,
                    (blasint)HWo);
    }
}

size_t rift_cpu_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                           int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                           int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                           int64_t opw)
{
    return rift_conv_transpose2d_tile_bytes(H, W, Cout, kh, kw);
}

/* y[co, oy, ox] += Σ col[(co·kh + a)·kw + b, i − i0, j] over the taps with
 * i·sh − ph + a = oy, j·sw − pw + b = ox and input row i in [i0, i0 + ni),
 * a then b ascending: the output rows that input rows i0 .. i0 + ni reach.
 * Only a ≡ oy + ph (mod sh) and b ≡ ox + pw (mod sw) land on (oy, ox), and
 * the input row (column) falls by one per step of sh (sw); walking the
 * output columns one residue class at a time keeps divisions out of the
 * inner loops. */
static void col2im_gather(float *y, const float *col, int64_t H, int64_t W, int64_t Cout,
                          int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                          int64_t Ho, int64_t Wo, int64_t i0, int64_t ni)
{
    const int64_t N = ni * W;
    const int64_t oy0 = MAX(0, i0 * sh - ph), oy1 = MIN(Ho, (i0 + ni - 1) * sh - ph + kh);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t co = 0; co < Cout; co++) {
        for (int64_t oy = oy0; oy < oy1; oy++) {
            float *yr = y + (co * Ho + oy) * Wo;
            const int64_t a0 = (oy + ph) % sh, ia0 = (oy + ph - a0) / sh;
            for (int64_t p = 0; p < MIN(sw, Wo); p++) {
                const int64_t b0 = (p + pw) % sw;
                for (int64_t ox = p, jb = (p + pw - b0) / sw; ox < Wo; ox += sw, jb++) {
                    float acc = 0.0f;
                    for (int64_t a = a0, i = ia0; a < kh && i >= i0; a += sh, i--) {
                        if (i >= i0 + ni)
                            continue;
                        const float *c = col + (co * kh + a) * kw * N + (i - i0) * W;
                        for (int64_t b = b0, j = jb; b < kw && j >= 0; b += sw, j--)
                            if (j < W)
                                acc += c[b * N + j];
                    }
                    yr[ox] += acc;
                }
            }
        }
    }
}

void rift_cpu_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                               const float *bias, int64_t Cin, int64_t H, int64_t W,
                               int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                               int64_t ph, int64_t pw, int64_t oph, int64_t opw, void *work)
{
    const int64_t Ho = (H - 1) * sh - 2 * ph + kh + oph, Wo = (W - 1) * sw - 2 * pw + kw + opw;
    const int64_t M = Cout * kh * kw;
    fill_channels(y, bias, Cout, Ho * Wo);
    const int64_t rows = rift_conv_tile_rows(M * W, H);
    float *col = work;
    for (int64_t i0 = 0; i0 < H; i0 += rows) {
        const int64_t ni = MIN(rows, H - i0), N = ni * W;
        /* col[M, N] = w[Cin, M]ᵀ · x[Cin, rows i0 .. i0 + ni] */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (blasint)M, (blasint)N,
                    (blasint)Cin, 1.0f, w, (blasint)M, x + i0 * W, (blasint)(H * W), 0.0f, col,
                    (blasint)N);
        col2im_gather(y, col, H, W, Cout, kh, kw, sh, sw, ph, pw, Ho, Wo, i0, ni);
    }
}

/* torch's order: the k·k window summed row by row in float, then divided */
void rift_cpu_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                        int64_t W, int64_t k)
{
    const int64_t Ho = H / k, Wo = W / k;
    const float div = (float)(k * k);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t c = 0; c < C; c++) {
        for (int64_t i = 0; i < Ho; i++) {
            float *yr = y + (c * Ho + i) * Wo;
            for (int64_t j = 0; j < Wo; j++) {
                float acc = 0.0f;
                for (int64_t a = 0; a < k; a++)
                    for (int64_t b = 0; b < k; b++)
                        acc += x[(c * H + i * k + a) * W + j * k + b];
                yr[j] = acc / div;
            }
        }
    }
}

void rift_cpu_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                             const float *scale, const float *shift)
{
#pragma omp parallel for collapse(2) schedule(static) if (C * n > 65536)
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < n; i++)
            y[c * n + i] = x[c * n + i] * scale[c] + shift[c];
}

void rift_cpu_relu(rift_backend *be, float *y, const float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] < 0.0f ? 0.0f : x[i]; /* NaN passes, as torch.relu */
}

void rift_cpu_sigmoid(rift_backend *be, float *y, const float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}
