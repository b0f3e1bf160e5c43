/* reflect.h — the reflect-padding index rule, shared by the CPU op and its
 * CUDA twin so both read the same sample. */
#pragma once

#include <stdint.h>

#ifdef __CUDACC__
#define RIFT_HD __host__ __device__
#else
#define RIFT_HD
#endif

/* Index into x[0..n) for position j of the reflected extension: x[-1] = x[1],
 * x[n] = x[n-2], repeating with period 2(n-1); n == 1 gives 0. */
static inline RIFT_HD int64_t rift_reflect_index(int64_t j, int64_t n)
{
    if (n == 1)
        return 0;
    const int64_t period = 2 * (n - 1);
    j %= period;
    if (j < 0)
        j += period;
    return j < n ? j : period - j;
}
