/* norm.cu — layernorm, rope_headnorm and moments on CUDA, twins of
 * engine/cpu/nn.c. Statistics are summed in double as on the CPU (mean,
 * then the squared deviations from it), so mean and 1/std round to the same
 * floats; the normalisation itself is the CPU's FP32 formula.
 * Tested by tests/backend/test-backend-ops.c. */
#include "norm.cuh"

#include "cuda-backend.cuh"
#include "cuda-reduce.cuh"

#define MOMENTS_MAX_BLOCKS 1024

/* One block per row (grid-stride over rows). x == y is fine: each thread
 * reads the elements it writes, after the statistics are complete. */
static __global__ void layernorm_kernel(float *y, const float *x, int64_t R, int64_t D, float eps,
                                        const float *gamma, const float *beta, const float *scale,
                                        const float *shift, int64_t rows_per_group,
                                        int64_t mod_stride)
{
    for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
        const float *xr = x + r * D;
        float *yr = y + r * D;
        double s = 0.0;
        for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
            s += xr[i];
        const double m = rift_block_sum(s) / (double)D;
        double v = 0.0;
        for (int64_t i = threadIdx.x; i < D; i += blockDim.x)
            v += ((double)xr[i] - m) * ((double)xr[i] - m);
        v = rift_block_sum(v);
        const float mean = (float)m, rstd = (float)(1.0 / sqrt(v / (double)D + (double)eps));
        const float *sc = scale ? scale + (r / rows_per_group) * mod_stride : NULL;
        const float *sh = shift ? shift + (r / rows_per_group) * mod_stride : NULL;
        for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
            float t = (xr[i] - mean) * rstd;
            if (gamma)
                t = t * gamma[i] + beta[i];
            if (sc)
                t = t * (1.0f + sc[i]) + sh[i];
            yr[i] = t;
        }
    }
}

cudaError_t rift_cuda_launch_layernorm(cudaStream_t stream, float *y, const float *x, int64_t R,
                                       int64_t D, float eps, const float *gamma,
                                       const float *beta, const float *scale, const float *shift,
                                       int64_t rows_per_group, int64_t mod_stride)
{
    layernorm_kernel<<<rift_cuda_blocks(R, 1), RIFT_CUDA_THREADS, 0, stream>>>(
        y, x, R, D, eps, gamma, beta, scale, shift, rows_per_group, mod_stride);
    return cudaGetLastError();
}

/* One block per row: the rotation of channel pairs, then one warp per head
 * for its LayerNorm. */
static __global__ void rope_headnorm_kernel(float *x, int64_t R, int64_t T, int64_t D,
                                            int64_t head_dim, int64_t rot_dim,
                                            const float *inv_freq, float eps)
{
    const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, n_warps = blockDim.x / 32;
    for (int64_t r = blockIdx.x; r < R; r += gridDim.x) {
        float *xr = x + r * D;
        const float pos = (float)(r % T);
        for (int64_t i = threadIdx.x; i < rot_dim / 2; i += blockDim.x) {
            const float theta = pos * inv_freq[i]; /* float32, as torch's einsum */
            const float c = cosf(theta), s = sinf(theta);
            const float a = xr[2 * i], b = xr[2 * i + 1];
            xr[2 * i] = a * c - b * s;
            xr[2 * i + 1] = b * c + a * s;
        }
        __syncthreads(); /* the rotated row is visible to every warp */
        for (int64_t h = warp; h < D / head_dim; h += n_warps) {
            float *xh = xr + h * head_dim;
            double s = 0.0;
            for (int64_t i = lane; i < head_dim; i += 32)
                s += xh[i];
            const double m = rift_warp_sum(s) / (double)head_dim;
            double v = 0.0;
            for (int64_t i = lane; i < head_dim; i += 32)
                v += ((double)xh[i] - m) * ((double)xh[i] - m);
            v = rift_warp_sum(v);
            const float mean = (float)m;
            const float rstd = (float)(1.0 / sqrt(v / (double)head_dim + (double)eps));
            for (int64_t i = lane; i < head_dim; i += 32)
                xh[i] = (xh[i] - mean) * rstd;
        }
    }
}

cudaError_t rift_cuda_launch_rope_headnorm(cudaStream_t stream, float *x, int64_t B, int64_t T,
                                           int64_t D, int64_t head_dim, int64_t rot_dim,
                                           const float *inv_freq, float eps)
{
    rope_headnorm_kernel<<<rift_cuda_blocks(B * T, 1), RIFT_CUDA_THREADS, 0, stream>>>(
        x, B * T, T, D, head_dim, rot_dim, inv_freq, eps);
    return cudaGetLastError();
}

static __global__ void moments_partial_kernel(double *part, const float *x, int64_t stride,
                                              int64_t B, int64_t n)
{
    double s = 0.0, s2 = 0.0;
    RIFT_CUDA_FOR_EACH(idx, B * n) {
        const int64_t i = idx / n, j = idx - i * n;
        const double v = x[i * stride + j];
        s += v;
        s2 += v * v;
    }
    s = rift_block_sum(s);
    s2 = rift_block_sum(s2);
    if (threadIdx.x == 0) {
        part[2 * blockIdx.x] = s;
        part[2 * blockIdx.x + 1] = s2;
    }
}

static __global__ void moments_final_kernel(double *out, const double *part, int n_part)
{
    double s = 0.0, s2 = 0.0;
    for (int i = threadIdx.x; i < n_part; i += blockDim.x) {
        s += part[2 * i];
        s2 += part[2 * i + 1];
    }
    s = rift_block_sum(s);
    s2 = rift_block_sum(s2);
    if (threadIdx.x == 0) {
        out[0] = s;
        out[1] = s2;
    }
}

int rift_cuda_moments_blocks(int64_t B, int64_t n)
{
    const unsigned blocks = rift_cuda_blocks(B * n, RIFT_CUDA_THREADS);
    return blocks < MOMENTS_MAX_BLOCKS ? (int)blocks : MOMENTS_MAX_BLOCKS;
}

cudaError_t rift_cuda_launch_moments(cudaStream_t stream, double *out, double *part,
                                     const float *x, int64_t stride, int64_t B, int64_t n)
{
    const int blocks = rift_cuda_moments_blocks(B, n);
    moments_partial_kernel<<<blocks, RIFT_CUDA_THREADS, 0, stream>>>(part, x, stride, B, n);
    moments_final_kernel<<<1, RIFT_CUDA_THREADS, 0, stream>>>(out, part, blocks);
    return cudaGetLastError();
}

/* ---- op entry points ---- */

void rift_cuda_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                         float eps, const float *gamma, const float *beta, const float *scale,
                         const float *shift, int64_t rows_per_group, int64_t mod_stride)
{
    if (rift_cuda_begin_op(be, "layernorm", y && x))
        RIFT_CUDA_TRY(be, "layernorm", rift_cuda_launch_layernorm, rift_cuda(be)->stream, y, x, R,
                      D, eps, gamma, beta, scale, shift, rows_per_group, mod_stride);
}

void rift_cuda_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                             int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps)
{
    if (rift_cuda_begin_op(be, "rope_headnorm", x && (inv_freq || rot_dim == 0)))
        RIFT_CUDA_TRY(be, "rope_headnorm", rift_cuda_launch_rope_headnorm, rift_cuda(be)->stream,
                      x, B, T, D, head_dim, rot_dim, inv_freq, eps);
}

/* The partial sums live in the backend's scratch, hence the lock. */
void rift_cuda_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                       int64_t n)
{
    const char *op = "moments";
    if (!rift_cuda_begin_op(be, op, out && x))
        return;
    rift_cuda_backend *c = rift_cuda(be);
    g_mutex_lock(&c->lock);
    double *part = (double *)rift_cuda_scratch(
        c, op, 2 * (size_t)rift_cuda_moments_blocks(B, n) * sizeof(double));
    if (part)
        RIFT_CUDA_TRY(be, op, rift_cuda_launch_moments, c->stream, out, part, x, stride, B, n);
    g_mutex_unlock(&c->lock);
}
