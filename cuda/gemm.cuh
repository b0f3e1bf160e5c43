/* gemm.cuh — rift_op_gemm on CUDA (cuBLAS). See engine/ops.h for shapes. */
#pragma once

#include "backend-impl.h"

G_BEGIN_DECLS

void rift_cuda_gemm(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                    int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                    int64_t ldb, float beta, float *C, int64_t ldc);

G_END_DECLS
