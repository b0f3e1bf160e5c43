/* gru.cu — one direction of a GRU layer on CUDA, twin of engine/cpu/gru.c.
 *
 * The steps depend on each other, so the recurrence is a loop on the host:
 * per step one cublasSgemv g = W_hh·h (FP32), then one small kernel that adds
 * b_hh and applies the gates in PyTorch's formulation
 *   r = σ(g_r + b_r + x_r), z = σ(g_z + b_z + x_z), n = tanh(x_n + r·(g_n + b_n)),
 *   h' = (h − n)·z + n,
 * writing h' to the state and to its output row. work: g [3H] then h [H].
 * Tested by tests/backend/test-backend-ops.c. */
#include "gru.cuh"

#include "cuda-backend.cuh"

static __global__ void gru_gates_kernel(float *h, float *out, const float *g, const float *x,
                                        const float *b_hh, int64_t H)
{
    RIFT_CUDA_FOR_EACH(i, H) {
        const float r = 1.0f / (1.0f + expf(-((g[i] + b_hh[i]) + x[i])));
        const float z = 1.0f / (1.0f + expf(-((g[H + i] + b_hh[H + i]) + x[H + i])));
        const float n = tanhf(x[2 * H + i] + r * (g[2 * H + i] + b_hh[2 * H + i]));
        const float hn = (h[i] - n) * z + n;
        h[i] = hn;
        out[i] = hn;
    }
}

cudaError_t rift_cuda_launch_gru_gates(cudaStream_t stream, float *h, float *out, const float *g,
                                       const float *x, const float *b_hh, int64_t H)
{
    gru_gates_kernel<<<RIFT_CUDA_GRID(H), 0, stream>>>(h, out, g, x, b_hh, H);
    return cudaGetLastError();
}

void rift_cuda_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                   const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                   float *work)
{
    if (!rift_cuda_begin_op(be, "gru", out && xp && w_hh && b_hh && work))
        return;
    if (3 * H > G_MAXINT) {
        rift_cuda_fail(be, "gru", "hidden size %" G_GINT64_FORMAT " exceeds cublasSgemv's range",
                       H);
        return;
    }
    rift_cuda_backend *c = rift_cuda(be);
    float *g = work, *h = work + 3 * H;
    const float one = 1.0f, zero = 0.0f;
    if (!RIFT_CUDA_TRY(be, "gru", cudaMemsetAsync, h, 0, H * sizeof(float), c->stream))
        return;
    for (int64_t s = 0; s < T; s++) {
        const int64_t t = reverse ? T - 1 - s : s;
        /* row-major W_hh [3H, H] is column-major [H, 3H]: g = (that)ᵀ·h */
        if (!RIFT_CUDA_TRY(be, "gru", cublasSgemv, c->blas, CUBLAS_OP_T, (int)H, (int)(3 * H),
                           &one, w_hh, (int)H, h, 1, &zero, g, 1) ||
            !RIFT_CUDA_TRY(be, "gru", rift_cuda_launch_gru_gates, c->stream, h,
                           out + t * out_stride, g, xp + t * 3 * H, b_hh, H))
            return;
    }
}
