/* conv.cuh — rift_op_dwconv1d on CUDA (see engine/ops.h for shapes): the op
 * entry point the backend's vtable holds, and the launcher behind it. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

void rift_cuda_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                        const float *bias, int64_t B, int64_t T, int64_t C, int64_t k);

G_END_DECLS

cudaError_t rift_cuda_launch_dwconv1d(cudaStream_t stream, float *y, const float *x,
                                      const float *w, const float *bias, int64_t B, int64_t T,
                                      int64_t C, int64_t k);
