/* nn.c — CPU implementations of the transformer ops of ops.h (see there for
 * shapes and references). Rows are independent, so each op is one OpenMP
 * loop over rows; matrix work goes to OpenBLAS. Tested against naive
 * references and the CUDA twins in tests/backend, and end to end by the DiT
 * fixtures. */
#include "clones.h"
#include "cpu-ops.h"
#include "moments.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* mean and 1/sqrt(var + eps) of one row, two passes in double (exactly what
 * a float64 reference computes, well inside float32 parity) */
static void row_stats(const float *x, int64_t D, float eps, float *mean, float *rstd)
{
    double s = 0.0;
    for (int64_t i = 0; i < D; i++)
        s += x[i];
    const double m = s / (double)D;
    double v = 0.0;
    for (int64_t i = 0; i < D; i++)
        v += ((double)x[i] - m) * ((double)x[i] - m);
    *mean = (float)m;
    *rstd = (float)(1.0 / sqrt(v / (double)D + (double)eps));
}

void rift_cpu_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                        float eps, const float *gamma, const float *beta, const float *scale,
                        const float *shift, int64_t rows_per_group, int64_t mod_stride)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x + r * D;
        float *yr = y + r * D;
        float mean, rstd;
        row_stats(xr, D, eps, &mean, &rstd);
        const int64_t g = scale ? r / rows_per_group : 0;
        const float *sc = scale ? scale + g * mod_stride : NULL;
        const float *sh = shift ? shift + g * mod_stride : NULL;
        for (int64_t i = 0; i < D; i++) {
            float v = (xr[i] - mean) * rstd;
            if (gamma)
                v = v * gamma[i] + beta[i];
            if (sc)
                v = v * (1.0f + sc[i]) + sh[i];
            yr[i] = v;
        }
    }
}

void rift_cpu_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < R; r++)
        memcpy(y + r * D, bias, D * sizeof(float));
}

void rift_cpu_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                        int64_t D, int64_t rows_per_group, int64_t gate_stride)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < R; r++) {
        const float *g = gate + (r / rows_per_group) * gate_stride;
        float *xr = x + r * D;
        const float *yr = y + r * D;
        for (int64_t i = 0; i < D; i++)
            xr[i] += g[i] * yr[i];
    }
}

void rift_cpu_silu(rift_backend *be, float *y, const float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] / (1.0f + expf(-x[i]));
}

RIFT_CLONES
static void relu_sq_span(float *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        const float v = x[i] > 0.0f ? x[i] : 0.0f;
        x[i] = v * v;
    }
}

void rift_cpu_relu_sq(rift_backend *be, float *x, int64_t n)
{
    const int64_t chunk = 16384;
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i0 = 0; i0 < n; i0 += chunk)
        relu_sq_span(x + i0, MIN(chunk, n - i0));
}

/* exact erf, as torch.nn.GELU(approximate='none') */
void rift_cpu_gelu(rift_backend *be, float *y, const float *x, int64_t n)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * (float)M_SQRT1_2));
}

/* One output row of the depthwise conv; wt is the weight as [k, C] so the
 * inner loop runs over contiguous channels (vectorised, widest ISA). */
RIFT_CLONES
static void dwconv_row(float *yr, const float *x, const float *wt, const float *bias,
                       int64_t t, int64_t T, int64_t C, int64_t k)
{
    const int64_t half = k / 2;
    const int64_t j0 = MAX(0, half - t), j1 = MIN(k, T + half - t);
    memcpy(yr, bias, C * sizeof(float));
    for (int64_t j = j0; j < j1; j++) {
        const float *xr = x + (t + j - half) * C, *wj = wt + j * C;
        for (int64_t c = 0; c < C; c++)
            yr[c] += wj[c] * xr[c];
    }
}

void rift_cpu_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                       const float *bias, int64_t B, int64_t T, int64_t C, int64_t k)
{
    /* the [C, k] weight transposed per call: on the stack for every upstream
     * size (dim 1024, k 31 is 124 KiB), so the sampler loop does not allocate */
    float stack_wt[32768];
    float *wt = C * k <= (int64_t)G_N_ELEMENTS(stack_wt) ? stack_wt : g_new(float, C * k);
    for (int64_t c = 0; c < C; c++)
        for (int64_t j = 0; j < k; j++)
            wt[j * C + c] = w[c * k + j];
    const float *wtr = wt;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++)
            dwconv_row(y + (b * T + t) * C, x + b * T * C, wtr, bias, t, T, C, k);
    if (wt != stack_wt)
        g_free(wt);
}

void rift_cpu_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                            int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps)
{
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B * T; r++) {
        float *xr = x + r * D;
        const float pos = (float)(r % T);
        for (int64_t i = 0; i < rot_dim / 2; i++) {
            const float theta = pos * inv_freq[i]; /* float32, as torch's einsum */
            const float c = cosf(theta), s = sinf(theta);
            const float a = xr[2 * i], b = xr[2 * i + 1];
            xr[2 * i] = a * c - b * s;
            xr[2 * i + 1] = b * c + a * s;
        }
        for (int64_t h = 0; h < D / head_dim; h++) {
            float *xh = xr + h * head_dim, mean, rstd;
            row_stats(xh, head_dim, eps, &mean, &rstd);
            for (int64_t i = 0; i < head_dim; i++)
                xh[i] = (xh[i] - mean) * rstd;
        }
    }
}

size_t rift_cpu_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                    int64_t hd)
{
    return (size_t)T * T * sizeof(float);
}

/* One (sequence, head) at a time: scores = q·kᵀ over the valid keys with one
 * sgemm, softmax per row, o = p·v with a second sgemm. OpenBLAS threads
 * each sgemm; the softmax rows are split over OpenMP threads. */
void rift_cpu_attention(rift_backend *be, float *o, const float *q, const float *k,
                        const float *v, int64_t B, int64_t T, int64_t H, int64_t hd,
                        float scale, const int32_t *len, void *work)
{
    const int64_t D = H * hd;
    float *p = work;
    for (int64_t b = 0; b < B; b++) {
        const int64_t L = len[b];
        for (int64_t h = 0; h < H; h++) {
            const int64_t off = b * T * D + h * hd;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)T, (blasint)L,
                        (blasint)hd, scale, q + off, (blasint)D, k + off, (blasint)D, 0.0f, p,
                        (blasint)L);
            rift_cpu_softmax_rows(p, T, L);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)T, (blasint)hd,
                        (blasint)L, 1.0f, p, (blasint)L, v + off, (blasint)D, 0.0f, o + off,
                        (blasint)D);
        }
    }
}

void rift_cpu_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                            const int32_t *len)
{
    for (int64_t b = 0; b < B; b++)
        if (len[b] < T)
            memset(x + (b * T + len[b]) * D, 0, (T - len[b]) * D * sizeof(float));
}

void rift_cpu_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                    int64_t b_stride, int64_t B, int64_t n, float s)
{
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < n; j++) {
            float *ap = a + i * a_stride + j;
            *ap = *ap + (*ap - b[i * b_stride + j]) * s;
        }
}

void rift_cpu_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                   int64_t x_stride, int64_t B, int64_t n, float alpha)
{
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < n; j++)
            y[i * y_stride + j] += alpha * x[i * x_stride + j];
}

void rift_cpu_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                      int64_t n)
{
    double s = 0.0, s2 = 0.0;
#pragma omp parallel for collapse(2) reduction(+ : s, s2) schedule(static)
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < n; j++) {
            const double v = x[i * stride + j];
            s += v;
            s2 += v * v;
        }
    out[0] = s;
    out[1] = s2;
}

void rift_cpu_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                          const double *m_ref, const double *m_x, int64_t count, float r)
{
    const float ratio = rift_rescale_ratio(m_ref, m_x, count);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t i = 0; i < B; i++)
        for (int64_t j = 0; j < n; j++) {
            float *p = x + i * stride + j;
            *p = r * (*p * ratio) + (1.0f - r) * *p;
        }
}
