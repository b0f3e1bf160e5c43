/* conv1d.cu — the 1-D convolution and the per-channel GroupNorm on CUDA,
 * twins of engine/cpu/conv1d.c.
 *
 * conv1d is im2col + cuBLAS, as on the CPU, but every group of a time tile
 * is gathered at once into [groups, rows, Cin/groups·k] and multiplied by
 * one strided-batched sgemm: HuBERT's positional conv has 16 groups of 48
 * output channels, each far too narrow a GEMM to fill a GPU alone. Columns
 * are in the weight's own (ci, j) order, so the batch's A matrices are the
 * PyTorch weight itself. FP32 math (the handle's CUBLAS_DEFAULT_MATH).
 *
 * channel_norm: one block per 32 channels, lanes across channels (so each
 * row's read is coalesced), the block's warps across time; mean and squared
 * deviations summed in double as on the CPU.
 *
 * Tested by tests/backend/test-backend-ops.c against the CPU backend. */
#include "conv1d.cuh"

#include "cuda-backend.cuh"
#include "elementwise.cuh"

/* The workspace conv1d aims for: as many output frames per tile as fit
 * (at least one). A 30 s segment through HuBERT's positional conv takes
 * 9 tiles of 170 frames. */
#define CONV1D_WORK_BYTES ((int64_t)64 << 20)

/* channel_norm's block: 32 channels × NORM_ROWS rows at a time */
#define NORM_ROWS 16

typedef struct {
    int64_t Lout; /* output frames */
    int64_t K;    /* im2col columns per group: Cin/groups · k */
    int64_t tile; /* output frames per im2col tile */
} conv1d_plan;

static conv1d_plan plan_conv1d(int64_t L, int64_t Cin, int64_t k, int64_t stride, int64_t pad,
                               int64_t dilation, int64_t groups)
{
    conv1d_plan p;
    p.Lout = (L + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
    p.K = Cin / groups * k;
    const int64_t fit = CONV1D_WORK_BYTES / (groups * p.K * (int64_t)sizeof(float));
    p.tile = fit < 1 ? 1 : fit < p.Lout ? fit : p.Lout;
    return p;
}

/* cols[g, r, ci·k + j] = x[(t0 + r)·stride + j·dilation − pad, g·Cin/groups + ci], zero
 * outside x. Threads run along the columns, so writes are coalesced; the
 * reads of one row come from k rows of x, which stay in L2. */
static __global__ void im2col1d_kernel(float *cols, const float *x, int64_t L, int64_t Cin,
                                       int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                       int64_t groups, int64_t t0, int64_t rows)
{
    const int64_t cin_g = Cin / groups, K = cin_g * k;
    RIFT_CUDA_FOR_EACH(i, groups * rows * K) {
        const int64_t col = i % K, gr = i / K; /* gr = g·rows + r */
        const int64_t ci = col / k, j = col - ci * k;
        const int64_t g = gr / rows, r = gr - g * rows;
        const int64_t s = (t0 + r) * stride + j * dilation - pad;
        cols[i] = s >= 0 && s < L ? x[s * Cin + g * cin_g + ci] : 0.0f;
    }
}

cudaError_t rift_cuda_launch_im2col1d(cudaStream_t stream, float *cols, const float *x, int64_t L,
                                      int64_t Cin, int64_t k, int64_t stride, int64_t pad,
                                      int64_t dilation, int64_t groups, int64_t t0, int64_t rows)
{
    im2col1d_kernel<<<RIFT_CUDA_GRID(groups * rows * (Cin / groups) * k), 0, stream>>>(
        cols, x, L, Cin, k, stride, pad, dilation, groups, t0, rows);
    return cudaGetLastError();
}

/* Thread (lane, row phase) of a block of 32 channels; part[] holds the row
 * phases' partial sums, added in a fixed order. x == y is fine: each
 * element is read before it is written, by the same thread. */
static __global__ void channel_norm_kernel(float *y, const float *x, int64_t L, int64_t C,
                                           float eps, const float *gamma, const float *beta)
{
    __shared__ double part[NORM_ROWS][32];
    const unsigned lane = threadIdx.x, phase = threadIdx.y;
    for (int64_t c0 = (int64_t)blockIdx.x * 32; c0 < C; c0 += (int64_t)gridDim.x * 32) {
        const int64_t c = c0 + lane;
        const bool active = c < C;

        double s = 0.0;
        for (int64_t t = phase; active && t < L; t += NORM_ROWS)
            s += x[t * C + c];
        part[phase][lane] = s;
        __syncthreads();
        s = 0.0;
        for (int i = 0; i < NORM_ROWS; i++)
            s += part[i][lane];
        const double m = s / (double)L;
        __syncthreads(); /* every thread has its sum before part[] is reused */

        double v = 0.0;
        for (int64_t t = phase; active && t < L; t += NORM_ROWS) {
            const double d = (double)x[t * C + c] - m;
            v += d * d;
        }
        part[phase][lane] = v;
        __syncthreads();
        v = 0.0;
        for (int i = 0; i < NORM_ROWS; i++)
            v += part[i][lane];
        __syncthreads();

        if (!active)
            continue;
        const float mean = (float)m, rstd = (float)(1.0 / sqrt(v / (double)L + (double)eps));
        const float g = gamma[c], b = beta[c];
        for (int64_t t = phase; t < L; t += NORM_ROWS)
            y[t * C + c] = (x[t * C + c] - mean) * rstd * g + b;
    }
}

cudaError_t rift_cuda_launch_channel_norm(cudaStream_t stream, float *y, const float *x, int64_t L,
                                          int64_t C, float eps, const float *gamma,
                                          const float *beta)
{
    const int64_t blocks = (C + 31) / 32;
    channel_norm_kernel<<<(unsigned)(blocks < 65535 ? blocks : 65535), dim3(32, NORM_ROWS), 0,
                          stream>>>(y, x, L, C, eps, gamma, beta);
    return cudaGetLastError();
}

/* ---- op entry points ---- */

size_t rift_cuda_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                  int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                  int64_t groups)
{
    const conv1d_plan p = plan_conv1d(L, Cin, k, stride, pad, dilation, groups);
    return (size_t)(groups * p.tile * p.K) * sizeof(float);
}

void rift_cuda_conv1d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                      int64_t stride, int64_t pad, int64_t dilation, int64_t groups, void *work)
{
    const char *op = "conv1d";
    if (!rift_cuda_begin_op(be, op, y && x && w && work))
        return;
    const conv1d_plan p = plan_conv1d(L, Cin, k, stride, pad, dilation, groups);
    const int64_t cout_g = Cout / groups;
    /* the 32-bit cuBLAS API: sizes, not the strides (which are 64-bit) */
    if (p.K > G_MAXINT || Cout > G_MAXINT || p.tile > G_MAXINT || groups > G_MAXINT) {
        rift_cuda_fail(be, op, "a %" G_GINT64_FORMAT "-channel, %" G_GINT64_FORMAT
                       "-tap layer exceeds the 32-bit range of cuBLAS", Cin, k);
        return;
    }
    rift_cuda_backend *c = rift_cuda(be);
    float *cols = (float *)work;
    const float alpha = 1.0f, beta = bias ? 1.0f : 0.0f;
    if (bias && !RIFT_CUDA_TRY(be, op, rift_cuda_launch_fill_rows, c->stream, y, bias, p.Lout,
                               Cout))
        return;
    for (int64_t t0 = 0; t0 < p.Lout; t0 += p.tile) {
        const int64_t rows = p.tile < p.Lout - t0 ? p.tile : p.Lout - t0;
        /* row-major y_g [rows, cout_g] (ldc Cout) = cols_g [rows, K] · w_gᵀ is
         * the column-major y_gᵀ = w_g(ᵀ as stored) · cols_gᵀ (see gemm.cu) */
        if (!RIFT_CUDA_TRY(be, op, rift_cuda_launch_im2col1d, c->stream, cols, x, L, Cin, k,
                           stride, pad, dilation, groups, t0, rows) ||
            !RIFT_CUDA_TRY(be, op, cublasSgemmStridedBatched, c->blas, CUBLAS_OP_T, CUBLAS_OP_N,
                           (int)cout_g, (int)rows, (int)p.K, &alpha, w, (int)p.K,
                           (long long)(cout_g * p.K), cols, (int)p.K, (long long)(rows * p.K),
                           &beta, y + t0 * Cout, (int)Cout, (long long)cout_g, (int)groups))
            return;
    }
}

void rift_cuda_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                            float eps, const float *gamma, const float *beta)
{
    if (rift_cuda_begin_op(be, "channel_norm", y && x && gamma && beta))
        RIFT_CUDA_TRY(be, "channel_norm", rift_cuda_launch_channel_norm, rift_cuda(be)->stream, y,
                      x, L, C, eps, gamma, beta);
}
