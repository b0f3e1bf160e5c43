/* cuda-reduce.cuh — warp and block sums for the kernels of cuda/: fixed
 * shapes of addition, so a result does not depend on timing (runs repeat
 * bit for bit). Sums that the CPU twin takes in double are taken in double. */
#pragma once

#include <cuda_runtime.h>
#include <math.h>

#define RIFT_FULL_WARP 0xffffffffu

/* Over the 32 lanes of a warp, every lane getting the result; all 32 call. */
static __device__ __forceinline__ double rift_warp_sum(double v)
{
    for (int o = 16; o > 0; o /= 2)
        v += __shfl_xor_sync(RIFT_FULL_WARP, v, o);
    return v;
}

static __device__ __forceinline__ float rift_warp_sum(float v)
{
    for (int o = 16; o > 0; o /= 2)
        v += __shfl_xor_sync(RIFT_FULL_WARP, v, o);
    return v;
}

static __device__ __forceinline__ float rift_warp_max(float v)
{
    for (int o = 16; o > 0; o /= 2)
        v = fmaxf(v, __shfl_xor_sync(RIFT_FULL_WARP, v, o));
    return v;
}

/* Over the block (blockDim.x a multiple of 32), every thread getting the
 * result; every thread of the block calls. */
static __device__ double rift_block_sum(double v)
{
    __shared__ double warp_part[32];
    __shared__ double total;
    const unsigned warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    v = rift_warp_sum(v);
    if (lane == 0)
        warp_part[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = rift_warp_sum(lane < blockDim.x / 32 ? warp_part[lane] : 0.0);
        if (lane == 0)
            total = v;
    }
    __syncthreads();
    v = total;
    __syncthreads(); /* all have read `total` before a next call writes it */
    return v;
}
