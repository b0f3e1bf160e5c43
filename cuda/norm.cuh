/* norm.cuh — the ops that reduce in double on CUDA (see engine/ops.h for
 * shapes): layernorm, rope_headnorm, moments; the op entry points the
 * backend's vtable holds, and the launchers behind them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

void rift_cuda_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                         float eps, const float *gamma, const float *beta, const float *scale,
                         const float *shift, int64_t rows_per_group, int64_t mod_stride);
void rift_cuda_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                             int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps);
void rift_cuda_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                       int64_t n);

G_END_DECLS

cudaError_t rift_cuda_launch_layernorm(cudaStream_t stream, float *y, const float *x, int64_t R,
                                       int64_t D, float eps, const float *gamma,
                                       const float *beta, const float *scale, const float *shift,
                                       int64_t rows_per_group, int64_t mod_stride);
cudaError_t rift_cuda_launch_rope_headnorm(cudaStream_t stream, float *x, int64_t B, int64_t T,
                                           int64_t D, int64_t head_dim, int64_t rot_dim,
                                           const float *inv_freq, float eps);
/* moments in two passes: partial sums of `blocks` blocks into part[2·blocks]
 * (see rift_cuda_moments_blocks), then their sum in a fixed order into out[2] */
int rift_cuda_moments_blocks(int64_t B, int64_t n);
cudaError_t rift_cuda_launch_moments(cudaStream_t stream, double *out, double *part,
                                     const float *x, int64_t stride, int64_t B, int64_t n);
