/* lowp.cu — bfloat16 / float16 matrix products on tensor cores, the twins
 * of engine/cpu/lowp.c.
 *
 * to_lowp rounds to nearest even (__float2bfloat16_rn, __float2half_rn), as
 * the CPU and torch do. gemm_lowp is one cublasGemmEx with 16-bit A and W,
 * float32 C and CUBLAS_COMPUTE_32F: cuBLAS runs it on tensor cores (every
 * device this build supports, sm_80+, has bf16 and fp16 ones) and sums in
 * float32. Row-major to column-major as in gemm.cu: C[M,N] = A·Wᵀ is the
 * column-major Cᵀ[N,M] = op_T(W as [K,N] ld K) · (A as [K,M] ld K).
 * Tested by tests/backend/test-backend-ops.c against the CPU reference. */
#include "lowp.cuh"

#include "cuda-backend.cuh"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

gboolean rift_cuda_supports_precision(rift_backend *be, rift_precision p, char **why)
{
    /* sm_80 is this build's floor (cuda-backend.cuh): bf16 and fp16 tensor
     * cores are always there */
    return TRUE;
}

template <typename T> static __device__ T round_to(float x);
template <> __device__ __nv_bfloat16 round_to<__nv_bfloat16>(float x)
{
    return __float2bfloat16_rn(x);
}
template <> __device__ __half round_to<__half>(float x)
{
    return __float2half_rn(x);
}

template <typename T>
static __global__ void to_lowp_kernel(T *dst, const float *x, int64_t R, int64_t C, int64_t ldx)
{
    RIFT_CUDA_FOR_EACH(i, R * C) {
        const int64_t r = i / C, c = i - r * C;
        dst[i] = round_to<T>(x[r * ldx + c]);
    }
}

static cudaError_t launch_to_lowp(cudaStream_t stream, void *dst, const float *x, int64_t R,
                                  int64_t C, int64_t ldx, rift_precision p)
{
    if (p == RIFT_PRECISION_BF16)
        to_lowp_kernel<<<RIFT_CUDA_GRID(R * C), 0, stream>>>((__nv_bfloat16 *)dst, x, R, C, ldx);
    else
        to_lowp_kernel<<<RIFT_CUDA_GRID(R * C), 0, stream>>>((__half *)dst, x, R, C, ldx);
    return cudaGetLastError();
}

void rift_cuda_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                       int64_t ldx, rift_precision p)
{
    if (rift_cuda_begin_op(be, "to_lowp", dst && x) && R * C > 0)
        RIFT_CUDA_TRY(be, "to_lowp", launch_to_lowp, rift_cuda(be)->stream, dst, x, R, C, ldx, p);
}

void rift_cuda_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                         const void *W, float beta, float *C, int64_t ldc, rift_precision p)
{
    if (!rift_cuda_begin_op(be, "gemm_lowp", A && W && C) || M == 0 || N == 0)
        return;
    if (M > G_MAXINT || N > G_MAXINT || K > G_MAXINT || ldc > G_MAXINT) {
        rift_cuda_fail(be, "gemm_lowp",
                       "%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                       " (or ldc) exceeds the 32-bit range of cublasGemmEx",
                       M, N, K);
        return;
    }
    const cudaDataType_t t = p == RIFT_PRECISION_BF16 ? CUDA_R_16BF : CUDA_R_16F;
    const float alpha = 1.0f;
    RIFT_CUDA_TRY(be, "gemm_lowp", cublasGemmEx, rift_cuda(be)->blas, CUBLAS_OP_T, CUBLAS_OP_N,
                  (int)N, (int)M, (int)K, &alpha, W, t, (int)K, A, t, (int)K, &beta, C,
                  CUDA_R_32F, (int)ldc, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}
