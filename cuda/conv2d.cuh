/* conv2d.cuh — the image ops of RMVPE's U-Net on CUDA (see engine/ops.h for
 * shapes): conv2d, conv_transpose2d, avgpool2d, channel_affine, relu,
 * sigmoid; the op entry points the backend's vtable holds, and the launchers
 * behind them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

size_t rift_cuda_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                  int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                  int64_t ph, int64_t pw);
void rift_cuda_conv2d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                      int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                      void *work);
size_t rift_cuda_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                            int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                            int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                            int64_t opw);
void rift_cuda_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                                const float *bias, int64_t Cin, int64_t H, int64_t W,
                                int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                int64_t ph, int64_t pw, int64_t oph, int64_t opw, void *work);
void rift_cuda_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                         int64_t W, int64_t k);
void rift_cuda_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                              const float *scale, const float *shift);
void rift_cuda_relu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cuda_sigmoid(rift_backend *be, float *y, const float *x, int64_t n);

G_END_DECLS

/* y[c, :] = bias[c] over n values per channel (zeros when bias is NULL) */
cudaError_t rift_cuda_launch_fill_channels(cudaStream_t stream, float *y, const float *bias,
                                           int64_t C, int64_t n);
/* the im2col tile of output rows r0 .. r0 + nr: [Cin·kh·kw, nr·Wo] */
cudaError_t rift_cuda_launch_im2col(cudaStream_t stream, float *col, const float *x, int64_t Cin,
                                    int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw, int64_t Wo, int64_t r0,
                                    int64_t nr);
/* y += the taps in col [Cout·kh·kw, ni·W] of input rows i0 .. i0 + ni */
cudaError_t rift_cuda_launch_col2im_gather(cudaStream_t stream, float *y, const float *col,
                                           int64_t H, int64_t W, int64_t Cout, int64_t kh,
                                           int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                                           int64_t pw, int64_t Ho, int64_t Wo, int64_t i0,
                                           int64_t ni);
cudaError_t rift_cuda_launch_avgpool2d(cudaStream_t stream, float *y, const float *x, int64_t C,
                                       int64_t H, int64_t W, int64_t k);
cudaError_t rift_cuda_launch_channel_affine(cudaStream_t stream, float *y, const float *x,
                                            int64_t C, int64_t n, const float *scale,
                                            const float *shift);
cudaError_t rift_cuda_launch_relu(cudaStream_t stream, float *y, const float *x, int64_t n);
cudaError_t rift_cuda_launch_sigmoid(cudaStream_t stream, float *y, const float *x, int64_t n);
