/* elementwise.cu — the elementwise ops on CUDA, one grid-stride kernel each,
 * twins of engine/cpu/stft.c (log_clamp) and engine/cpu/nn.c. Same FP32
 * formulas as the CPU, IEEE-accurate device math (no fast-math flags).
 * Tested by tests/backend/test-backend-ops.c. */
#include "elementwise.cuh"

#include "cuda-backend.cuh"
#include "moments.h"

static __global__ void log_clamp_kernel(float *x, int64_t n, float floor)
{
    RIFT_CUDA_FOR_EACH(i, n)
        x[i] = logf(fmaxf(x[i], floor));
}

cudaError_t rift_cuda_launch_log_clamp(cudaStream_t stream, float *x, int64_t n, float floor)
{
    log_clamp_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(x, n, floor);
    return cudaGetLastError();
}

static __global__ void fill_rows_kernel(float *y, const float *bias, int64_t R, int64_t D)
{
    RIFT_CUDA_FOR_EACH(i, R * D)
        y[i] = bias[i % D];
}

cudaError_t rift_cuda_launch_fill_rows(cudaStream_t stream, float *y, const float *bias,
                                       int64_t R, int64_t D)
{
    fill_rows_kernel<<<RIFT_CUDA_GRID(R * D), 0, stream>>>(y, bias, R, D);
    return cudaGetLastError();
}

static __global__ void gated_add_kernel(float *x, const float *y, const float *gate, int64_t R,
                                        int64_t D, int64_t rows_per_group, int64_t gate_stride)
{
    RIFT_CUDA_FOR_EACH(i, R * D) {
        const int64_t r = i / D, c = i - r * D;
        x[i] += gate[(r / rows_per_group) * gate_stride + c] * y[i];
    }
}

cudaError_t rift_cuda_launch_gated_add(cudaStream_t stream, float *x, const float *y,
                                       const float *gate, int64_t R, int64_t D,
                                       int64_t rows_per_group, int64_t gate_stride)
{
    gated_add_kernel<<<RIFT_CUDA_GRID(R * D), 0, stream>>>(x, y, gate, R, D, rows_per_group,
                                                           gate_stride);
    return cudaGetLastError();
}

static __global__ void silu_kernel(float *y, const float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = x[i] / (1.0f + expf(-x[i]));
}

cudaError_t rift_cuda_launch_silu(cudaStream_t stream, float *y, const float *x, int64_t n)
{
    silu_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n);
    return cudaGetLastError();
}

/* exact erf, as torch.nn.GELU(approximate='none') */
static __global__ void gelu_kernel(float *y, const float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752440f));
}

cudaError_t rift_cuda_launch_gelu(cudaStream_t stream, float *y, const float *x, int64_t n)
{
    gelu_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n);
    return cudaGetLastError();
}

static __global__ void relu_sq_kernel(float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n) {
        const float v = x[i] > 0.0f ? x[i] : 0.0f;
        x[i] = v * v;
    }
}

cudaError_t rift_cuda_launch_relu_sq(cudaStream_t stream, float *x, int64_t n)
{
    relu_sq_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(x, n);
    return cudaGetLastError();
}

static __global__ void guide_kernel(float *a, int64_t a_stride, const float *b, int64_t b_stride,
                                    int64_t B, int64_t n, float s)
{
    RIFT_CUDA_FOR_EACH(idx, B * n) {
        const int64_t i = idx / n, j = idx - i * n;
        float *ap = a + i * a_stride + j;
        *ap = *ap + (*ap - b[i * b_stride + j]) * s;
    }
}

cudaError_t rift_cuda_launch_guide(cudaStream_t stream, float *a, int64_t a_stride,
                                   const float *b, int64_t b_stride, int64_t B, int64_t n,
                                   float s)
{
    guide_kernel<<<RIFT_CUDA_GRID(B * n), 0, stream>>>(a, a_stride, b, b_stride, B, n, s);
    return cudaGetLastError();
}

static __global__ void axpy_kernel(float *y, int64_t y_stride, const float *x, int64_t x_stride,
                                   int64_t B, int64_t n, float alpha)
{
    RIFT_CUDA_FOR_EACH(idx, B * n) {
        const int64_t i = idx / n, j = idx - i * n;
        y[i * y_stride + j] += alpha * x[i * x_stride + j];
    }
}

cudaError_t rift_cuda_launch_axpy(cudaStream_t stream, float *y, int64_t y_stride,
                                  const float *x, int64_t x_stride, int64_t B, int64_t n,
                                  float alpha)
{
    axpy_kernel<<<RIFT_CUDA_GRID(B * n), 0, stream>>>(y, y_stride, x, x_stride, B, n, alpha);
    return cudaGetLastError();
}

/* The ratio comes from moments in device memory (rift_op_moments), so each
 * block works it out once, with the CPU's own function (moments.h). */
static __global__ void cfg_rescale_kernel(float *x, int64_t stride, int64_t B, int64_t n,
                                          const double *m_ref, const double *m_x, int64_t count,
                                          float r)
{
    __shared__ float ratio;
    if (threadIdx.x == 0)
        ratio = rift_rescale_ratio(m_ref, m_x, count);
    __syncthreads();
    RIFT_CUDA_FOR_EACH(idx, B * n) {
        const int64_t i = idx / n, j = idx - i * n;
        float *p = x + i * stride + j;
        *p = r * (*p * ratio) + (1.0f - r) * *p;
    }
}

cudaError_t rift_cuda_launch_cfg_rescale(cudaStream_t stream, float *x, int64_t stride, int64_t B,
                                         int64_t n, const double *m_ref, const double *m_x,
                                         int64_t count, float r)
{
    cfg_rescale_kernel<<<RIFT_CUDA_GRID(B * n), 0, stream>>>(x, stride, B, n, m_ref, m_x, count, r);
    return cudaGetLastError();
}

/* ---- op entry points ---- */

void rift_cuda_log_clamp(rift_backend *be, float *x, int64_t n, float floor)
{
    if (rift_cuda_begin_op(be, "log_clamp", x != NULL))
        RIFT_CUDA_TRY(be, "log_clamp", rift_cuda_launch_log_clamp, rift_cuda(be)->stream, x, n,
                      floor);
}

void rift_cuda_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D)
{
    if (rift_cuda_begin_op(be, "fill_rows", y && bias))
        RIFT_CUDA_TRY(be, "fill_rows", rift_cuda_launch_fill_rows, rift_cuda(be)->stream, y, bias,
                      R, D);
}

void rift_cuda_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                         int64_t D, int64_t rows_per_group, int64_t gate_stride)
{
    if (rift_cuda_begin_op(be, "gated_add", x && y && gate))
        RIFT_CUDA_TRY(be, "gated_add", rift_cuda_launch_gated_add, rift_cuda(be)->stream, x, y,
                      gate, R, D, rows_per_group, gate_stride);
}

void rift_cuda_silu(rift_backend *be, float *y, const float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "silu", y && x))
        RIFT_CUDA_TRY(be, "silu", rift_cuda_launch_silu, rift_cuda(be)->stream, y, x, n);
}

void rift_cuda_gelu(rift_backend *be, float *y, const float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "gelu", y && x))
        RIFT_CUDA_TRY(be, "gelu", rift_cuda_launch_gelu, rift_cuda(be)->stream, y, x, n);
}

void rift_cuda_relu_sq(rift_backend *be, float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "relu_sq", x != NULL))
        RIFT_CUDA_TRY(be, "relu_sq", rift_cuda_launch_relu_sq, rift_cuda(be)->stream, x, n);
}

/* len is host memory: one memset per padded sequence */
void rift_cuda_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                             const int32_t *len)
{
    if (!rift_cuda_begin_op(be, "zero_pad_rows", x && len))
        return;
    for (int64_t b = 0; b < B; b++)
        if (len[b] < T &&
            !RIFT_CUDA_TRY(be, "zero_pad_rows", cudaMemsetAsync, x + (b * T + len[b]) * D, 0,
                           (size_t)((T - len[b]) * D) * sizeof(float), rift_cuda(be)->stream))
            return;
}

void rift_cuda_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                     int64_t b_stride, int64_t B, int64_t n, float s)
{
    if (rift_cuda_begin_op(be, "guide", a && b))
        RIFT_CUDA_TRY(be, "guide", rift_cuda_launch_guide, rift_cuda(be)->stream, a, a_stride, b,
                      b_stride, B, n, s);
}

void rift_cuda_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                    int64_t x_stride, int64_t B, int64_t n, float alpha)
{
    if (rift_cuda_begin_op(be, "axpy", y && x))
        RIFT_CUDA_TRY(be, "axpy", rift_cuda_launch_axpy, rift_cuda(be)->stream, y, y_stride, x,
                      x_stride, B, n, alpha);
}

void rift_cuda_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                           const double *m_ref, const double *m_x, int64_t count, float r)
{
    if (rift_cuda_begin_op(be, "cfg_rescale", x && m_ref && m_x))
        RIFT_CUDA_TRY(be, "cfg_rescale", rift_cuda_launch_cfg_rescale, rift_cuda(be)->stream, x,
                      stride, B, n, m_ref, m_x, count, r);
}
