/* stft.cuh — the signal ops on CUDA (see engine/ops.h): reflect padding, the
 * windowed rFFT magnitude and frame RMS; the op entry points the backend's
 * vtable holds, and the launchers behind them. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>
#include <cufft.h>

G_BEGIN_DECLS

void rift_cuda_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);
void rift_cuda_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                              int64_t n_fft, int64_t hop, const float *window, float eps);
void rift_cuda_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                         int64_t hop);

G_END_DECLS

cudaError_t rift_cuda_launch_reflect_pad(cudaStream_t stream, float *out, const float *x,
                                         int64_t n, int64_t pad);
/* frames[t, i] = x[t·hop + i] · window[i] for t < T, 0 for T <= t < T_alloc */
cudaError_t rift_cuda_launch_frames(cudaStream_t stream, float *frames, const float *x, int64_t T,
                                    int64_t T_alloc, int64_t n_fft, int64_t hop,
                                    const float *window);
/* mag[i] = sqrt(re² + im² + eps), i < n */
cudaError_t rift_cuda_launch_magnitude(cudaStream_t stream, float *mag, const cufftComplex *spec,
                                       int64_t n, float eps);
cudaError_t rift_cuda_launch_frame_rms(cudaStream_t stream, float *out, const float *x, int64_t T,
                                       int64_t win, int64_t hop);
