/* ops.h — every compute op, once, with its shapes and its reference.
 *
 * Each op has a CPU implementation (engine/cpu/) and a CUDA twin (cuda/)
 * taking the same arguments in the same order; tests/test-backend-ops.c runs
 * both and compares them. Pointers are memory of `be` (rift_backend_alloc).
 * All matrices are row-major and contiguous unless a leading dimension says
 * otherwise. Errors are sticky in the backend; see rift_backend_sync().
 */
#pragma once

#include "backend.h"

#include <stdint.h>

G_BEGIN_DECLS

/* C[M,N] = alpha * op(A) op(B) + beta * C, row-major (sgemm).
 * op(A) is [M,K]: A is [M,K] (lda >= K) or, with trans_a, [K,M] (lda >= M).
 * op(B) is [K,N]: B is [K,N] (ldb >= N) or, with trans_b, [N,K] (ldb >= K).
 * A Linear layer y = x Wᵀ is rift_op_gemm(be, FALSE, TRUE, rows, out, in, ...).
 * reference: BLAS sgemm */
void rift_op_gemm(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                  int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc);

/* out[n + 2·pad] = x reflect-padded by `pad` on both sides (the edge sample is
 * not repeated). For pad < n this is torch's reflect pad; longer pads keep
 * reflecting (numpy's mode='reflect'), and n == 1 repeats the sample.
 * reference: torch.nn.functional.pad(mode='reflect'), numpy.pad(mode='reflect') */
void rift_op_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);

/* mag[T, n_fft/2+1]: frame t = x[t·hop, t·hop + n_fft) · window, real DFT,
 * mag = sqrt(re² + im² + eps). x holds at least (T-1)·hop + n_fft samples.
 * n_fft must be even.
 * reference: torch.stft(center=False, onesided=True) then sqrt(|X|² + eps) */
void rift_op_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                            int64_t n_fft, int64_t hop, const float *window, float eps);

/* x[n] = log(max(x, floor)), in place. reference: torch.log(torch.clamp(x, min=floor)) */
void rift_op_log_clamp(rift_backend *be, float *x, int64_t n, float floor);

/* out[T]: out[t] = sqrt(mean(x[t·hop + i]², i < win)) — rectangular window.
 * x holds at least (T-1)·hop + win samples. */
void rift_op_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                       int64_t hop);

G_END_DECLS
