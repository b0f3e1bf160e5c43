/* stft.cu — the signal ops on CUDA, twins of engine/cpu/stft.c.
 *
 * stft_magnitude: a framing kernel writes the windowed frames [T, n_fft] to
 * scratch, cuFFT transforms them (R2C, batched), a magnitude kernel writes
 * [T, n_fft/2+1]. Frames are transformed in chunks of FFT_BATCH with one
 * cached plan per n_fft, so segments of every length share a plan; the last
 * chunk is zero-padded. frame_rms sums each window on its own, in double, as
 * the CPU does, so the two agree to the last bit nearly always.
 * Tested by tests/backend/test-backend-ops.c. */
#include "stft.cuh"

#include "cuda-backend.cuh"
#include "cuda-reduce.cuh"
#include "reflect.h"

#define FFT_BATCH 256 /* frames per cuFFT execution */

static __global__ void reflect_pad_kernel(float *out, const float *x, int64_t n, int64_t pad)
{
    RIFT_CUDA_FOR_EACH(i, n + 2 * pad)
        out[i] = x[rift_reflect_index(i - pad, n)];
}

cudaError_t rift_cuda_launch_reflect_pad(cudaStream_t stream, float *out, const float *x,
                                         int64_t n, int64_t pad)
{
    reflect_pad_kernel<<<RIFT_CUDA_GRID(n + 2 * pad), 0, stream>>>(out, x, n, pad);
    return cudaGetLastError();
}

static __global__ void frames_kernel(float *frames, const float *x, int64_t T, int64_t T_alloc,
                                     int64_t n_fft, int64_t hop, const float *window)
{
    RIFT_CUDA_FOR_EACH(j, T_alloc * n_fft) {
        const int64_t t = j / n_fft, i = j - t * n_fft;
        frames[j] = t < T ? x[t * hop + i] * window[i] : 0.0f;
    }
}

cudaError_t rift_cuda_launch_frames(cudaStream_t stream, float *frames, const float *x, int64_t T,
                                    int64_t T_alloc, int64_t n_fft, int64_t hop,
                                    const float *window)
{
    frames_kernel<<<RIFT_CUDA_GRID(T_alloc * n_fft), 0, stream>>>(
        frames, x, T, T_alloc, n_fft, hop, window);
    return cudaGetLastError();
}

static __global__ void magnitude_kernel(float *mag, const cufftComplex *spec, int64_t n, float eps)
{
    RIFT_CUDA_FOR_EACH(i, n)
        mag[i] = sqrtf(spec[i].x * spec[i].x + spec[i].y * spec[i].y + eps);
}

cudaError_t rift_cuda_launch_magnitude(cudaStream_t stream, float *mag, const cufftComplex *spec,
                                       int64_t n, float eps)
{
    magnitude_kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(mag, spec, n, eps);
    return cudaGetLastError();
}

/* One block per frame (grid-stride over frames): each thread sums a strided
 * share of the window in double, then the block adds the shares. */
static __global__ void frame_rms_kernel(float *out, const float *x, int64_t T, int64_t win,
                                        int64_t hop)
{
    for (int64_t t = blockIdx.x; t < T; t += gridDim.x) {
        const float *src = x + t * hop;
        double acc = 0.0;
        for (int64_t i = threadIdx.x; i < win; i += blockDim.x)
            acc += (double)src[i] * src[i];
        acc = rift_block_sum(acc);
        if (threadIdx.x == 0)
            out[t] = (float)sqrt(acc / (double)win);
    }
}

cudaError_t rift_cuda_launch_frame_rms(cudaStream_t stream, float *out, const float *x, int64_t T,
                                       int64_t win, int64_t hop)
{
    frame_rms_kernel<<<rift_cuda_blocks(T, 1), RIFT_CUDA_THREADS, 0, stream>>>(out, x, T, win,
                                                                               hop);
    return cudaGetLastError();
}

void rift_cuda_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad)
{
    if (rift_cuda_begin_op(be, "reflect_pad", out && x))
        RIFT_CUDA_TRY(be, "reflect_pad", rift_cuda_launch_reflect_pad, rift_cuda(be)->stream, out,
                      x, n, pad);
}

void rift_cuda_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                              int64_t n_fft, int64_t hop, const float *window, float eps)
{
    const char *op = "stft_magnitude";
    if (!rift_cuda_begin_op(be, op, mag && x && window))
        return;
    rift_cuda_backend *c = rift_cuda(be);
    const int64_t n_bins = n_fft / 2 + 1;
    const int64_t T_alloc = (T + FFT_BATCH - 1) / FFT_BATCH * FFT_BATCH;
    /* scratch: frames [T_alloc, n_fft] then spectra [T_alloc, n_bins]; the
     * spectra start 1 KiB-aligned (T_alloc is a multiple of 256), and every
     * chunk's frames 8-byte aligned (n_fft is even), as cuFFT wants */
    const size_t frames_bytes = (size_t)(T_alloc * n_fft) * sizeof(float);
    const size_t spec_bytes = (size_t)(T_alloc * n_bins) * sizeof(cufftComplex);

    g_mutex_lock(&c->lock);
    char *scratch = (char *)rift_cuda_scratch(c, op, frames_bytes + spec_bytes);
    cufftHandle plan;
    if (scratch && rift_cuda_fft_plan(c, op, n_fft, FFT_BATCH, &plan) &&
        RIFT_CUDA_TRY(be, op, rift_cuda_launch_frames, c->stream, (float *)scratch, x, T, T_alloc,
                      n_fft, hop, window)) {
        float *frames = (float *)scratch;
        cufftComplex *spec = (cufftComplex *)(scratch + frames_bytes);
        gboolean ok = TRUE;
        for (int64_t t0 = 0; ok && t0 < T; t0 += FFT_BATCH)
            ok = RIFT_CUDA_TRY(be, op, cufftExecR2C, plan, frames + t0 * n_fft,
                               spec + t0 * n_bins);
        if (ok)
            RIFT_CUDA_TRY(be, op, rift_cuda_launch_magnitude, c->stream, mag, spec, T * n_bins,
                          eps);
    }
    g_mutex_unlock(&c->lock);
}

void rift_cuda_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                         int64_t hop)
{
    if (rift_cuda_begin_op(be, "frame_rms", out && x))
        RIFT_CUDA_TRY(be, "frame_rms", rift_cuda_launch_frame_rms, rift_cuda(be)->stream, out, x,
                      T, win, hop);
}
