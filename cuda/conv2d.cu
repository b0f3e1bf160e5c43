/* conv2d.cu — the image ops of RMVPE's U-Net on CUDA, twins of
 * engine/cpu/conv2d.c: conv2d and conv_transpose2d as cuBLAS GEMMs over the
 * same im2col / gather tiles (engine/conv-tile.h, so both backends ask for
 * the same workspace), and small grid-stride kernels for avgpool2d,
 * channel_affine, relu and sigmoid. FP32 throughout (the handle's math mode
 * has no TF32); every kernel sums in the CPU's order.
 * Tested by tests/backend/test-backend-ops.c. */
#include "conv2d.cuh"

#include "conv-tile.h"
#include "cuda-backend.cuh"
#include "gemm.cuh"

static __global__ void fill_channels_kernel(float *y, const float *bias, int64_t C, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, C * n)
        y[i] = bias ? bias[i / n] : 0.0f;
}

cudaError_t rift_cuda_launch_fill_channels(cudaStream_t stream, float *y, const float *bias,
                                           int64_t C, int64_t n)
{
    fill_channels_kernel<<<RIFT_CUDA_GRID(C * n), 0, stream>>>(y, bias, C, n);
    return cudaGetLastError();
}

/* col[k, r·Wo + j] for output rows r0 .. r0 + nr, k = (ci·kh + a)·kw + b */
static __global__ void im2col_kernel(float *col, const float *x, int64_t Cin, int64_t H,
                                     int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                     int64_t ph, int64_t pw, int64_t Wo, int64_t r0, int64_t nr)
{
    const int64_t N = nr * Wo;
    RIFT_CUDA_FOR_EACH(e, Cin * kh * kw * N) {
        const int64_t k = e / N, p = e - k * N, r = p / Wo, j = p - r * Wo;
        const int64_t ci = k / (kh * kw), a = k / kw % kh, b = k % kw;
        const int64_t iy = (r0 + r) * sh + a - ph, ix = j * sw + b - pw;
        col[e] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(ci * H + iy) * W + ix] : 0.0f;
    }
}

cudaError_t rift_cuda_launch_im2col(cudaStream_t stream, float *col, const float *x, int64_t Cin,
                                    int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw, int64_t Wo, int64_t r0,
                                    int64_t nr)
{
    const int64_t n = Cin * kh * kw * nr * Wo;
    im2col_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(col, x, Cin, H, W, kh, kw, sh, sw, ph, pw,
                                                    Wo, r0, nr);
    return cudaGetLastError();
}

/* One thread per output pixel of rows oy0 .. oy1: the taps of input rows
 * i0 .. i0 + ni, in the CPU's order (a, then b). */
static __global__ void col2im_gather_kernel(float *y, const float *col, int64_t H, int64_t W,
                                            int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                            int64_t sw, int64_t ph, int64_t pw, int64_t Ho,
                                            int64_t Wo, int64_t i0, int64_t ni, int64_t oy0,
                                            int64_t oy1)
{
    const int64_t N = ni * W, rows = oy1 - oy0;
    RIFT_CUDA_FOR_EACH(e, Cout * rows * Wo) {
        const int64_t co = e / (rows * Wo), p = e - co * rows * Wo;
        const int64_t oy = oy0 + p / Wo, ox = p % Wo;
        float acc = 0.0f;
        for (int64_t a = (oy + ph) % sh; a < kh && oy + ph - a >= 0; a += sh) {
            const int64_t i = (oy + ph - a) / sh;
            if (i < i0)
                break;
            if (i >= i0 + ni)
                continue;
            const float *c = col + (co * kh + a) * kw * N + (i - i0) * W;
            for (int64_t b = (ox + pw) % sw; b < kw && ox + pw - b >= 0; b += sw) {
                const int64_t j = (ox + pw - b) / sw;
                if (j < W)
                    acc += c[b * N + j];
            }
        }
        y[(co * Ho + oy) * Wo + ox] += acc;
    }
}

cudaError_t rift_cuda_launch_col2im_gather(cudaStream_t stream, float *y, const float *col,
                                           int64_t H, int64_t W, int64_t Cout, int64_t kh,
                                           int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                           int64_t pw, int64_t Ho, int64_t Wo, int64_t i0,
                                           int64_t ni)
{
    const int64_t oy0 = MAX(0, i0 * sh - ph), oy1 = MIN(Ho, (i0 + ni - 1) * sh - ph + kh);
    if (oy1 <= oy0)
        return cudaSuccess;
    const int64_t n = Cout * (oy1 - oy0) * Wo;
    col2im_gather_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, col, H, W, Cout, kh, kw, sh, sw,
                                                           ph, pw, Ho, Wo, i0, ni, oy0, oy1);
    return cudaGetLastError();
}

static __global__ void avgpool2d_kernel(float *y, const float *x, int64_t C, int64_t H, int64_t W,
                                        int64_t k)
{
    const int64_t Ho = H / k, Wo = W / k;
    const float div = (float)(k * k);
    RIFT_CUDA_FOR_EACH(e, C * Ho * Wo) {
        const int64_t c = e / (Ho * Wo), i = e / Wo % Ho, j = e % Wo;
        float acc = 0.0f;
        for (int64_t a = 0; a < k; a++)
            for (int64_t b = 0; b < k; b++)
                acc += x[(c * H + i * k + a) * W + j * k + b];
        y[e] = acc / div;
    }
}

cudaError_t rift_cuda_launch_avgpool2d(cudaStream_t stream, float *y, const float *x, int64_t C,
                                       int64_t H, int64_t W, int64_t k)
{
    const int64_t n = C * (H / k) * (W / k);
    avgpool2d_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, C, H, W, k);
    return cudaGetLastError();
}

static __global__ void channel_affine_kernel(float *y, const float *x, int64_t C, int64_t n,
                                             const float *scale, const float *shift)
{
    RIFT_CUDA_FOR_EACH(i, C * n) {
        const int64_t c = i / n;
        y[i] = x[i] * scale[c] + shift[c];
    }
}

cudaError_t rift_cuda_launch_channel_affine(cudaStream_t stream, float *y, const float *x,
                                            int64_t C, int64_t n, const float *scale,
                                            const float *shift)
{
    channel_affine_kernel<<<RIFT_CUDA_GRID(C * n), 0, stream>>>(y, x, C, n, scale, shift);
    return cudaGetLastError();
}

static __global__ void relu_kernel(float *y, const float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

cudaError_t rift_cuda_launch_relu(cudaStream_t stream, float *y, const float *x, int64_t n)
{
    relu_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n);
    return cudaGetLastError();
}

static __global__ void sigmoid_kernel(float *y, const float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

cudaError_t rift_cuda_launch_sigmoid(cudaStream_t stream, float *y, const float *x, int64_t n)
{
    sigmoid_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n);
    return cudaGetLastError();
}

/* ---- op entry points ---- */

size_t rift_cuda_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                  int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                  int64_t ph, int64_t pw)
{
    const int64_t Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
    return rift_conv2d_tile_bytes(Cin, Ho, Wo, kh, kw, sh, sw, ph, pw);
}

void rift_cuda_conv2d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                      int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                      void *work)
{
    const gboolean pointwise = rift_conv2d_is_pointwise(kh, kw, sh, sw, ph, pw);
    if (!rift_cuda_begin_op(be, "conv2d", y && x && w && (pointwise || work)))
        return;
    cudaStream_t stream = rift_cuda(be)->stream;
    const int64_t Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
    const int64_t K = Cin * kh * kw, HWo = Ho * Wo;
    const float beta = bias ? 1.0f : 0.0f; /* the bias is C's starting value */
    if (bias && !RIFT_CUDA_TRY(be, "conv2d", rift_cuda_launch_fill_channels, stream, y, bias, Cout,
                               HWo))
        return;
    if (pointwise) {
        rift_cuda_gemm(be, FALSE, FALSE, Cout, HWo, Cin, 1.0f, w, Cin, x, HWo, beta, y, HWo);
        return;
    }
    const int64_t rows = rift_conv_tile_rows(K * Wo, Ho);
    float *col = (float *)work;
    for (int64_t r0 = 0; r0 < Ho; r0 += rows) {
        const int64_t nr = MIN(rows, Ho - r0), N = nr * Wo;
        if (!RIFT_CUDA_TRY(be, "conv2d", rift_cuda_launch_im2col, stream, col, x, Cin, H, W, kh,
                           kw, sh, sw, ph, pw, Wo, r0, nr))
            return;
        rift_cuda_gemm(be, FALSE, FALSE, Cout, N, K, 1.0f, w, K, col, N, beta, y + r0 * Wo, HWo);
    }
}

size_t rift_cuda_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                            int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                            int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                            int64_t opw)
{
    return rift_conv_transpose2d_tile_bytes(H, W, Cout, kh, kw);
}

void rift_cuda_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                                const float *bias, int64_t Cin, int64_t H, int64_t W,
                                int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                int64_t ph, int64_t pw, int64_t oph, int64_t opw, void *work)
{
    if (!rift_cuda_begin_op(be, "conv_transpose2d", y && x && w && work))
        return;
    cudaStream_t stream = rift_cuda(be)->stream;
    const int64_t Ho = (H - 1) * sh - 2 * ph + kh + oph, Wo = (W - 1) * sw - 2 * pw + kw + opw;
    const int64_t M = Cout * kh * kw;
    if (!RIFT_CUDA_TRY(be, "conv_transpose2d", rift_cuda_launch_fill_channels, stream, y, bias,
                       Cout, Ho * Wo))
        return;
    const int64_t rows = rift_conv_tile_rows(M * W, H);
    float *col = (float *)work;
    for (int64_t i0 = 0; i0 < H; i0 += rows) {
        const int64_t ni = MIN(rows, H - i0), N = ni * W;
        /* col[M, N] = w[Cin, M]ᵀ · x[Cin, rows i0 .. i0 + ni] */
        rift_cuda_gemm(be, TRUE, FALSE, M, N, Cin, 1.0f, w, M, x + i0 * W, H * W, 0.0f, col, N);
        if (!RIFT_CUDA_TRY(be, "conv_transpose2d", rift_cuda_launch_col2im_gather, stream, y, col,
                           H, W, Cout, kh, kw, sh, sw, ph, pw, Ho, Wo, i0, ni))
            return;
    }
}

void rift_cuda_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                         int64_t W, int64_t k)
{
    if (rift_cuda_begin_op(be, "avgpool2d", y && x))
        RIFT_CUDA_TRY(be, "avgpool2d", rift_cuda_launch_avgpool2d, rift_cuda(be)->stream, y, x, C,
                      H, W, k);
}

void rift_cuda_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                              const float *scale, const float *shift)
{
    if (rift_cuda_begin_op(be, "channel_affine", y && x && scale && shift))
        RIFT_CUDA_TRY(be, "channel_affine", rift_cuda_launch_channel_affine,
                      rift_cuda(be)->stream, y, x, C, n, scale, shift);
}

void rift_cuda_relu(rift_backend *be, float *y, const float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "relu", y && x))
        RIFT_CUDA_TRY(be, "relu", rift_cuda_launch_relu, rift_cuda(be)->stream, y, x, n);
}

void rift_cuda_sigmoid(rift_backend *be, float *y, const float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "sigmoid", y && x))
        RIFT_CUDA_TRY(be, "sigmoid", rift_cuda_launch_sigmoid, rift_cuda(be)->stream, y, x, n);
}
