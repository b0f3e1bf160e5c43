/* attention.cu — multi-head attention with a key mask on CUDA, the twin of
 * engine/cpu/nn.c's: for each sequence, the scores of all its heads with one
 * strided-batched cuBLAS product, a softmax over the valid keys, and the
 * weighted values with a second product. The workspace holds one sequence's
 * scores, [H, T, len] floats.
 *
 * Both products are row-major, mapped to column-major cuBLAS as in gemm.cu
 * (C = A·B row-major is Cᵀ = Bᵀ·Aᵀ column-major). Head h of q, k, v, o is
 * the column block [h·hd, (h+1)·hd) of rows D = H·hd floats long: matrices
 * hd floats apart with leading dimension D. FP32 math (the handle's
 * CUBLAS_DEFAULT_MATH). Tested by tests/backend/test-backend-ops.c. */
#include "attention.cuh"

#include "cuda-backend.cuh"
#include "cuda-reduce.cuh"

#define WARPS_PER_BLOCK (RIFT_CUDA_THREADS / 32)

/* One warp per row: max, exp and sum, scale (the CPU's steps, in FP32). */
static __global__ void softmax_rows_kernel(float *p, int64_t rows, int64_t n)
{
    const unsigned lane = threadIdx.x % 32;
    for (int64_t r = blockIdx.x * (int64_t)WARPS_PER_BLOCK + threadIdx.x / 32; r < rows;
         r += (int64_t)gridDim.x * WARPS_PER_BLOCK) {
        float *pr = p + r * n;
        float mx = -INFINITY;
        for (int64_t s = lane; s < n; s += 32)
            mx = fmaxf(mx, pr[s]);
        mx = rift_warp_max(mx);
        float sum = 0.0f;
        for (int64_t s = lane; s < n; s += 32) {
            pr[s] = expf(pr[s] - mx);
            sum += pr[s];
        }
        const float inv = 1.0f / rift_warp_sum(sum);
        for (int64_t s = lane; s < n; s += 32)
            pr[s] *= inv;
    }
}

cudaError_t rift_cuda_launch_softmax_rows(cudaStream_t stream, float *p, int64_t rows, int64_t n)
{
    softmax_rows_kernel<<<rift_cuda_blocks(rows, WARPS_PER_BLOCK), RIFT_CUDA_THREADS, 0,
                          stream>>>(p, rows, n);
    return cudaGetLastError();
}

size_t rift_cuda_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                     int64_t hd)
{
    return (size_t)(H * T * T) * sizeof(float);
}

void rift_cuda_attention(rift_backend *be, float *o, const float *q, const float *k,
                         const float *v, int64_t B, int64_t T, int64_t H, int64_t hd, float scale,
                         const int32_t *len, void *work)
{
    const char *op = "attention";
    if (!rift_cuda_begin_op(be, op, o && q && k && v && len && work))
        return;
    const int64_t D = H * hd;
    if (T > G_MAXINT || D > G_MAXINT || H > G_MAXINT) {
        rift_cuda_fail(be, op, "T %" G_GINT64_FORMAT " or H·hd %" G_GINT64_FORMAT
                       " exceeds the 32-bit range of cuBLAS", T, D);
        return;
    }
    rift_cuda_backend *c = rift_cuda(be);
    float *p = (float *)work;
    const float one = 1.0f, zero = 0.0f;
    for (int64_t b = 0; b < B; b++) {
        const int64_t L = len[b], off = b * T * D;
        /* scores: p_h [T, L] = scale · q_h [T, hd] · k_h [L, hd]ᵀ, as the
         * column-major p_hᵀ [L, T] = k_h · q_hᵀ (k_h read transposed);
         * heads T·L floats apart in p */
        if (!RIFT_CUDA_TRY(be, op, cublasSgemmStridedBatched, c->blas, CUBLAS_OP_T, CUBLAS_OP_N,
                           (int)L, (int)T, (int)hd, &scale, k + off, (int)D, (long long)hd,
                           q + off, (int)D, (long long)hd, &zero, p, (int)L, (long long)(T * L),
                           (int)H) ||
            !RIFT_CUDA_TRY(be, op, rift_cuda_launch_softmax_rows, c->stream, p, H * T, L) ||
            /* o_h [T, hd] = p_h [T, L] · v_h [L, hd], as o_hᵀ = v_hᵀ · p_hᵀ */
            !RIFT_CUDA_TRY(be, op, cublasSgemmStridedBatched, c->blas, CUBLAS_OP_N, CUBLAS_OP_N,
                           (int)hd, (int)T, (int)L, &one, v + off, (int)D, (long long)hd, p,
                           (int)L, (long long)(T * L), &zero, o + off, (int)D, (long long)hd,
                           (int)H))
            return;
    }
}
