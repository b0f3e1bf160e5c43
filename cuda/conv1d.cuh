/* conv1d.cuh — rift_op_conv1d and rift_op_channel_norm on CUDA (see
 * engine/ops.h for shapes): the op entry points the backend's vtable holds,
 * and the launchers behind them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

size_t rift_cuda_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                  int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                  int64_t groups);
void rift_cuda_conv1d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                      int64_t stride, int64_t pad, int64_t dilation, int64_t groups, void *work);
void rift_cuda_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                            float eps, const float *gamma, const float *beta);

G_END_DECLS

cudaError_t rift_cuda_launch_im2col1d(cudaStream_t stream, float *cols, const float *x, int64_t L,
                                      int64_t Cin, int64_t k, int64_t stride, int64_t pad,
                                      int64_t dilation, int64_t groups, int64_t t0, int64_t rows);
cudaError_t rift_cuda_launch_channel_norm(cudaStream_t stream, float *y, const float *x, int64_t L,
                                          int64_t C, float eps, const float *gamma,
                                          const float *beta);
