/* lowp.cuh — the low-precision products on CUDA (ops.h rift_op_to_lowp,
 * rift_op_gemm_lowp). See engine/ops.h for shapes. */
#pragma once

#include "backend-impl.h"

G_BEGIN_DECLS

gboolean rift_cuda_supports_precision(rift_backend *be, rift_precision p, char **why);
void rift_cuda_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                       int64_t ldx, rift_precision p);
void rift_cuda_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                         const void *W, float beta, float *C, int64_t ldc, rift_precision p);

G_END_DECLS
