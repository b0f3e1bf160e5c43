/* gru.c — one direction of a GRU layer on the CPU (rift_op_gru, ops.h).
 *
 * The input projection x·W_ihᵀ + b_ih of every step is one GEMM the caller
 * makes beforehand; what is left is the recurrence: per step the matrix-
 * vector product g = b_hh + W_hh·h, then the gates in PyTorch's formulation
 * (aten/src/ATen/native/RNN.cpp GRUCell):
 *   r = σ(g_r + x_r), z = σ(g_z + x_z), n = tanh(x_n + r·g_n), h' = (h − n)·z + n.
 *
 * The recurrence runs on the calling thread, with its own SIMD matrix-vector
 * product rather than a threaded sgemv: a step is only ~0.2 MFLOP (H = 256),
 * and any threading needs all threads to meet once per step, which costs a
 * scheduler time slice per step as soon as the cores are shared (measured on
 * 2 cores under load: 3008 steps took 34 ms with an OpenMP team when idle but
 * 10 s when busy; this loop takes 40–90 ms either way). h is read from the
 * previous step's output row. work: g [3H] then zeros [H] (h_{−1}).
 * reference: torch.nn.GRU. Tested against a naive double-precision GRU and
 * the CUDA twin in tests/backend, and as RMVPE's BiGRU by the fixtures
 * (gru_out, tests/models/test-rmvpe.c). */
#include "cpu-ops.h"

#include <math.h>
#include <string.h>

/* g = b + W·h for W [rows, H]; four rows per pass, so four independent
 * vector sums hide the latency of the adds */
static void matvec(float *g, const float *w, const float *b, const float *h, int64_t rows,
                   int64_t H)
{
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        const float *w0 = w + r * H, *w1 = w0 + H, *w2 = w1 + H, *w3 = w2 + H;
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
        for (int64_t k = 0; k < H; k++) {
            a0 += w0[k] * h[k];
            a1 += w1[k] * h[k];
            a2 += w2[k] * h[k];
            a3 += w3[k] * h[k];
        }
        g[r] = b[r] + a0;
        g[r + 1] = b[r + 1] + a1;
        g[r + 2] = b[r + 2] + a2;
        g[r + 3] = b[r + 3] + a3;
    }
    for (; r < rows; r++) {
        const float *wr = w + r * H;
        float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
        for (int64_t k = 0; k < H; k++)
            acc += wr[k] * h[k];
        g[r] = b[r] + acc;
    }
}

void rift_cpu_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                  const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                  float *work)
{
    float *g = work, *zero = work + 3 * H;
    memset(zero, 0, H * sizeof(float));
    for (int64_t s = 0; s < T; s++) {
        const int64_t t = reverse ? T - 1 - s : s;
        const float *h = s == 0 ? zero : out + (reverse ? t + 1 : t - 1) * out_stride;
        matvec(g, w_hh, b_hh, h, 3 * H, H);
        const float *x = xp + t * 3 * H;
        float *o = out + t * out_stride;
        for (int64_t i = 0; i < H; i++) {
            const float r = 1.0f / (1.0f + expf(-(g[i] + x[i])));
            const float z = 1.0f / (1.0f + expf(-(g[H + i] + x[H + i])));
            const float n = tanhf(x[2 * H + i] + r * g[2 * H + i]);
            o[i] = (h[i] - n) * z + n;
        }
    }
}
