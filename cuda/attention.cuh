/* attention.cuh — rift_op_attention on CUDA (see engine/ops.h for shapes):
 * the op entry points the backend's vtable holds, and the softmax launcher. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

size_t rift_cuda_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                     int64_t hd);
void rift_cuda_attention(rift_backend *be, float *o, const float *q, const float *k,
                         const float *v, int64_t B, int64_t T, int64_t H, int64_t hd, float scale,
                         const int32_t *len, void *work);

G_END_DECLS

/* p[r, :] = softmax(p[r, :]) for `rows` contiguous rows of n floats */
cudaError_t rift_cuda_launch_softmax_rows(cudaStream_t stream, float *p, int64_t rows, int64_t n);
