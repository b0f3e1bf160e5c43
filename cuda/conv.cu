/* conv.cu — the depthwise 1-D convolution on CUDA, twin of engine/cpu/nn.c:
 * one thread per output, channels fastest so neighbouring threads read
 * neighbouring floats; taps summed in the CPU's order, starting from the bias.
 * Tested by tests/backend/test-backend-ops.c. */
#include "conv.cuh"

#include "cuda-backend.cuh"

static __global__ void dwconv1d_kernel(float *y, const float *x, const float *w,
                                       const float *bias, int64_t B, int64_t T, int64_t C,
                                       int64_t k)
{
    const int64_t half = k / 2;
    RIFT_CUDA_FOR_EACH(i, B * T * C) {
        const int64_t row = i / C, c = i - row * C, t = row % T; /* row = b·T + t */
        /* taps that fall inside the sequence (zero padding elsewhere) */
        const int64_t j0 = half - t > 0 ? half - t : 0;
        const int64_t j1 = T + half - t < k ? T + half - t : k;
        float acc = bias[c];
        for (int64_t j = j0; j < j1; j++)
            acc += w[c * k + j] * x[(row + j - half) * C + c];
        y[i] = acc;
    }
}

cudaError_t rift_cuda_launch_dwconv1d(cudaStream_t stream, float *y, const float *x,
                                      const float *w, const float *bias, int64_t B, int64_t T,
                                      int64_t C, int64_t k)
{
    dwconv1d_kernel<<<RIFT_CUDA_GRID(B * T * C), 0, stream>>>(y, x, w, bias, B, T, C, k);
    return cudaGetLastError();
}

void rift_cuda_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                        const float *bias, int64_t B, int64_t T, int64_t C, int64_t k)
{
    if (rift_cuda_begin_op(be, "dwconv1d", y && x && w && bias))
        RIFT_CUDA_TRY(be, "dwconv1d", rift_cuda_launch_dwconv1d, rift_cuda(be)->stream, y, x, w,
                      bias, B, T, C, k);
}
