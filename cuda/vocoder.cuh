/* vocoder.cuh — the ops NSF-HiFiGAN adds, on CUDA (see engine/ops.h for
 * shapes): the op entry points the backend's vtable holds, and the launchers
 * behind them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

size_t rift_cuda_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                            int64_t Cout, int64_t k, int64_t stride, int64_t pad);
void rift_cuda_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                                const float *bias, int64_t L, int64_t Cin, int64_t Cout,
                                int64_t k, int64_t stride, int64_t pad, void *work);
void rift_cuda_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope);
void rift_cuda_tanh(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cuda_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                          const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                          const float *rand_ini, const float *randn, const float *w,
                          const float *b);

G_END_DECLS

cudaError_t rift_cuda_launch_tap_major(cudaStream_t stream, float *wt, const float *w,
                                       int64_t Cin, int64_t Cout, int64_t k);
cudaError_t rift_cuda_launch_leaky_relu(cudaStream_t stream, float *y, const float *x, int64_t n,
                                        float slope);
cudaError_t rift_cuda_launch_tanh(cudaStream_t stream, float *y, const float *x, int64_t n);
cudaError_t rift_cuda_launch_nsf_source(cudaStream_t stream, float *har, float *sines,
                                        const float *f0, const float *acc, int64_t T,
                                        int64_t upp, float rate, int64_t H,
                                        const float *rand_ini, const float *randn,
                                        const float *w, const float *b);
