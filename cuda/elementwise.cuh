/* elementwise.cuh — the elementwise ops on CUDA (see engine/ops.h for shapes):
 * the op entry points the backend's vtable holds, and the launchers behind
 * them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

void rift_cuda_log_clamp(rift_backend *be, float *x, int64_t n, float floor);
void rift_cuda_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D);
void rift_cuda_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                         int64_t D, int64_t rows_per_group, int64_t gate_stride);
void rift_cuda_silu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cuda_relu_sq(rift_backend *be, float *x, int64_t n);
void rift_cuda_gelu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cuda_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                             const int32_t *len);
void rift_cuda_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                     int64_t b_stride, int64_t B, int64_t n, float s);
void rift_cuda_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                    int64_t x_stride, int64_t B, int64_t n, float alpha);
void rift_cuda_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                           const double *m_ref, const double *m_x, int64_t count, float r);

G_END_DECLS

cudaError_t rift_cuda_launch_log_clamp(cudaStream_t stream, float *x, int64_t n, float floor);
cudaError_t rift_cuda_launch_fill_rows(cudaStream_t stream, float *y, const float *bias,
                                       int64_t R, int64_t D);
cudaError_t rift_cuda_launch_gated_add(cudaStream_t stream, float *x, const float *y,
                                       const float *gate, int64_t R, int64_t D,
                                       int64_t rows_per_group, int64_t gate_stride);
cudaError_t rift_cuda_launch_silu(cudaStream_t stream, float *y, const float *x, int64_t n);
cudaError_t rift_cuda_launch_relu_sq(cudaStream_t stream, float *x, int64_t n);
cudaError_t rift_cuda_launch_gelu(cudaStream_t stream, float *y, const float *x, int64_t n);
cudaError_t rift_cuda_launch_guide(cudaStream_t stream, float *a, int64_t a_stride,
                                   const float *b, int64_t b_stride, int64_t B, int64_t n,
                                   float s);
cudaError_t rift_cuda_launch_axpy(cudaStream_t stream, float *y, int64_t y_stride,
                                  const float *x, int64_t x_stride, int64_t B, int64_t n,
                                  float alpha);
cudaError_t rift_cuda_launch_cfg_rescale(cudaStream_t stream, float *x, int64_t stride, int64_t B,
                                         int64_t n, const double *m_ref, const double *m_x,
                                         int64_t count, float r);
