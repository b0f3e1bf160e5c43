/* moments.h — torch's Tensor.std() from (Σx, Σx²), shared by the CPU op and
 * its CUDA twin so both divide the same way. */
#pragma once

#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define RIFT_MOMENTS_HD __host__ __device__
#else
#define RIFT_MOMENTS_HD
#endif

/* Bessel-corrected (N − 1) like Tensor.std(); in the guidance rescale the
 * correction cancels, it is kept so each value is exactly torch's std. */
static inline RIFT_MOMENTS_HD double rift_std_from_moments(const double *m, int64_t count)
{
    const double mean = m[0] / (double)count;
    const double denom = count > 1 ? (double)(count - 1) : 1.0;
    const double var = (m[1] - m[0] * mean) / denom;
    return var > 0.0 ? sqrt(var) : 0.0;
}

/* std_ref / std_x for the guidance rescale; 1 when x is constant (upstream
 * divides by zero there and fills the mel with NaN). */
static inline RIFT_MOMENTS_HD float rift_rescale_ratio(const double *m_ref, const double *m_x,
                                                       int64_t count)
{
    const double sx = rift_std_from_moments(m_x, count);
    return sx > 0.0 ? (float)(rift_std_from_moments(m_ref, count) / sx) : 1.0f;
}
