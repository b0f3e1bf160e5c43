/* gru.cuh — rift_op_gru on CUDA (see engine/ops.h for shapes): the op entry
 * point the backend's vtable holds, and the gate kernel's launcher. */
#pragma once

#include "backend-impl.h"

#include <cuda_runtime.h>

G_BEGIN_DECLS

void rift_cuda_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                   const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                   float *work);

G_END_DECLS

/* one step's gates from g = W_hh·h [3H] and the step's input projection x [3H] */
cudaError_t rift_cuda_launch_gru_gates(cudaStream_t stream, float *h, float *out, const float *g,
                                       const float *x, const float *b_hh, int64_t H);
