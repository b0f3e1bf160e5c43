/* vocoder.cu — the ops NSF-HiFiGAN adds, on CUDA, twins of
 * engine/cpu/vocoder.c.
 *
 * conv_transpose1d: as on the CPU, one sgemm per kernel tap into output rows
 * `stride` rows apart, after a kernel regroups the weights tap by tap into
 * the workspace ([k, Cin, Cout]); FP32 math (the handle's
 * CUBLAS_DEFAULT_MATH).
 *
 * nsf_source: one thread per sample. nvcc contracts a·b + c into one fused
 * multiply-add by default; the phase and the harmonic sum use the _rn
 * intrinsics instead, so every step rounds as upstream's float32 ops (and
 * the CPU) do. sinf/tanhf are the accurate versions (no fast-math flags).
 *
 * Tested by tests/backend/test-backend-ops.c against the CPU backend. */
#include "vocoder.cuh"

#include "cuda-backend.cuh"
#include "vocoder-math.h"

static __global__ void tap_major_kernel(float *wt, const float *w, int64_t Cin, int64_t Cout,
                                        int64_t k)
{
    /* i runs over the output wt[m, ci, co], so writes are coalesced */
    RIFT_CUDA_FOR_EACH(i, Cin * Cout * k) {
        const int64_t co = i % Cout, mc = i / Cout;
        const int64_t ci = mc % Cin, m = mc / Cin;
        wt[i] = w[(ci * Cout + co) * k + m];
    }
}

cudaError_t rift_cuda_launch_tap_major(cudaStream_t stream, float *wt, const float *w,
                                       int64_t Cin, int64_t Cout, int64_t k)
{
    tap_major_kernel<<<RIFT_CUDA_GRID(Cin * Cout * k), 0, stream>>>(wt, w, Cin, Cout, k);
    return cudaGetLastError();
}

static __global__ void fill_bias_kernel(float *y, const float *bias, int64_t R, int64_t C)
{
    RIFT_CUDA_FOR_EACH(i, R * C)
        y[i] = bias ? bias[i % C] : 0.0f;
}

static cudaError_t launch_fill_bias(cudaStream_t stream, float *y, const float *bias, int64_t R,
                                    int64_t C)
{
    fill_bias_kernel<<<RIFT_CUDA_GRID(R * C), 0, stream>>>(y, bias, R, C);
    return cudaGetLastError();
}

static __global__ void leaky_relu_kernel(float *y, const float *x, int64_t n, float slope)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = x[i] >= 0.0f ? x[i] : x[i] * slope;
}

cudaError_t rift_cuda_launch_leaky_relu(cudaStream_t stream, float *y, const float *x, int64_t n,
                                        float slope)
{
    leaky_relu_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n, slope);
    return cudaGetLastError();
}

static __global__ void tanh_kernel(float *y, const float *x, int64_t n)
{
    RIFT_CUDA_FOR_EACH(i, n)
        y[i] = tanhf(x[i]);
}

cudaError_t rift_cuda_launch_tanh(cudaStream_t stream, float *y, const float *x, int64_t n)
{
    tanh_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(y, x, n);
    return cudaGetLastError();
}

static __global__ void nsf_source_kernel(float *har, float *sines, const float *f0,
                                         const float *acc, int64_t T, int64_t upp, float rate,
                                         int64_t H, const float *rand_ini, const float *randn,
                                         const float *w, const float *b)
{
    RIFT_CUDA_FOR_EACH(n, T * upp) {
        const int64_t t = n / upp, k = n - t * upp;
        const float f = f0[t];
        const bool voiced = f > 0.0f;
        const float amp = voiced ? RIFT_NSF_NOISE_VOICED : RIFT_NSF_NOISE_UNVOICED;
        const float phase = __fadd_rn(__fmul_rn(__fdiv_rn(f, rate), (float)(k + 1)), acc[t]);
        float sum = 0.0f;
        for (int64_t h = 0; h < H; h++) {
            float arg = __fmul_rn(phase, (float)(h + 1));
            if (rand_ini)
                arg = __fadd_rn(arg, rand_ini[h]);
            const float sine = __fmul_rn(sinf(__fmul_rn(arg, RIFT_NSF_TWO_PI)), RIFT_NSF_SINE_AMP);
            float s = voiced ? sine : 0.0f;
            if (randn)
                s = __fadd_rn(s, __fmul_rn(amp, randn[n * H + h]));
            if (sines)
                sines[n * H + h] = s;
            sum = __fadd_rn(sum, __fmul_rn(w[h], s));
        }
        har[n] = tanhf(__fadd_rn(sum, b[0]));
    }
}

cudaError_t rift_cuda_launch_nsf_source(cudaStream_t stream, float *har, float *sines,
                                        const float *f0, const float *acc, int64_t T,
                                        int64_t upp, float rate, int64_t H,
                                        const float *rand_ini, const float *randn,
                                        const float *w, const float *b)
{
    nsf_source_kernel<<<RIFT_CUDA_GRID(T * upp), 0, stream>>>(har, sines, f0, acc, T, upp, rate,
                                                              H, rand_ini, randn, w, b);
    return cudaGetLastError();
}

/* ---- op entry points ---- */

size_t rift_cuda_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                            int64_t Cout, int64_t k, int64_t stride, int64_t pad)
{
    return (size_t)(Cin * Cout * k) * sizeof(float);
}

void rift_cuda_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                                const float *bias, int64_t L, int64_t Cin, int64_t Cout,
                                int64_t k, int64_t stride, int64_t pad, void *work)
{
    const char *op = "conv_transpose1d";
    if (!rift_cuda_begin_op(be, op, y && x && w && work))
        return;
    const int64_t Lout = (L - 1) * stride - 2 * pad + k;
    /* the 32-bit cuBLAS API */
    if (L > G_MAXINT || Cin > G_MAXINT || stride * Cout > G_MAXINT) {
        rift_cuda_fail(be, op,
                       "%" G_GINT64_FORMAT " frames of %" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT
                       " channels exceed the 32-bit range of cublasSgemm",
                       L, Cin, Cout);
        return;
    }
    rift_cuda_backend *c = rift_cuda(be);
    float *wt = (float *)work;
    if (!RIFT_CUDA_TRY(be, op, rift_cuda_launch_tap_major, c->stream, wt, w, Cin, Cout, k) ||
        !RIFT_CUDA_TRY(be, op, launch_fill_bias, c->stream, y, bias, Lout, Cout))
        return;
    const float one = 1.0f;
    for (int64_t m = 0; m < k; m++) {
        int64_t i0, n;
        rift_tconv_tap_rows(L, Lout, stride, pad, m, &i0, &n);
        /* row-major y[rows] += x[rows]·wt[m] is the column-major yᵀ += wt[m]ᵀ·xᵀ */
        if (n > 0 &&
            !RIFT_CUDA_TRY(be, op, cublasSgemm, c->blas, CUBLAS_OP_N, CUBLAS_OP_N, (int)Cout,
                           (int)n, (int)Cin, &one, wt + m * Cin * Cout, (int)Cout,
                           x + i0 * Cin, (int)Cin, &one, y + (i0 * stride + m - pad) * Cout,
                           (int)(stride * Cout)))
            return;
    }
}

void rift_cuda_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope)
{
    if (rift_cuda_begin_op(be, "leaky_relu", y && x))
        RIFT_CUDA_TRY(be, "leaky_relu", rift_cuda_launch_leaky_relu, rift_cuda(be)->stream, y, x,
                      n, slope);
}

void rift_cuda_tanh(rift_backend *be, float *y, const float *x, int64_t n)
{
    if (rift_cuda_begin_op(be, "tanh", y && x))
        RIFT_CUDA_TRY(be, "tanh", rift_cuda_launch_tanh, rift_cuda(be)->stream, y, x, n);
}

void rift_cuda_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                          const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                          const float *rand_ini, const float *randn, const float *w,
                          const float *b)
{
    if (rift_cuda_begin_op(be, "nsf_source", har && f0 && acc && w && b))
        RIFT_CUDA_TRY(be, "nsf_source", rift_cuda_launch_nsf_source, rift_cuda(be)->stream, har,
                      sines, f0, acc, T, upp, rate, H, rand_ini, randn, w, b);
}
