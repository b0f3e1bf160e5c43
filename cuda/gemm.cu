/* gemm.cu — rift_op_gemm on CUDA: one cublasSgemm on the backend's stream.
 *
 * ops.h is row-major; cuBLAS is column-major. A row-major [R, C] matrix with
 * leading dimension ld is, read column-major, its transpose [C, R] with the
 * same ld. So C = op(A)·op(B) (row-major) is computed as the column-major
 * Cᵀ = op(B)ᵀ·op(A)ᵀ: B and A swap places, M and N swap, and each keeps its
 * own transpose flag and leading dimension.
 *
 * The handle's math mode is CUBLAS_DEFAULT_MATH (set in backend-cuda.cu):
 * full FP32 products, no TF32, so results match the CPU's sgemm to rounding.
 * Tested by tests/backend/test-backend-ops.c (all transpose combinations,
 * leading dimensions wider than the rows). */
#include "gemm.cuh"

#include "cuda-backend.cuh"

void rift_cuda_gemm(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                    int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                    int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (!rift_cuda_begin_op(be, "gemm", A && B && C))
        return;
    /* the 32-bit cuBLAS API; no RIFT shape comes near these bounds */
    if (M > G_MAXINT || N > G_MAXINT || K > G_MAXINT || lda > G_MAXINT || ldb > G_MAXINT ||
        ldc > G_MAXINT) {
        rift_cuda_fail(be, "gemm",
                       "%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                       " (or a leading dimension) exceeds the 32-bit range of cublasSgemm",
                       M, N, K);
        return;
    }
    RIFT_CUDA_TRY(be, "gemm", cublasSgemm, rift_cuda(be)->blas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                  trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, (int)N, (int)M, (int)K, &alpha, B, (int)ldb,
                  A, (int)lda, &beta, C, (int)ldc);
}
