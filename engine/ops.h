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

/* Half-width matrices for the low-precision products (rift_precision):
 * dst[R, C] (contiguous, 2 bytes a value) = x[R, C] (rows ldx apart) rounded
 * to nearest-even bfloat16 or IEEE float16 (p is BF16 or FP16).
 * reference: torch.Tensor.to(torch.bfloat16 | torch.float16) */
void rift_op_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                     int64_t ldx, rift_precision p);

/* C[M, N] = A[M, K] · W[N, K]ᵀ + beta · C, A and W half-width (rift_op_to_lowp)
 * in precision p, products summed in float32, C float32 (rows ldc apart).
 * A Linear layer's y = x Wᵀ with the weight as nn.Linear stores it.
 * reference: torch.matmul(A.float(), W.float().T) (exact products, fp32 sums) */
void rift_op_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                       const void *W, float beta, float *C, int64_t ldc, rift_precision p);

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

/* ---- transformer building blocks (DiT) ----------------------------------
 * Activations are [R, D] row-major, R = rows of all sequences stacked
 * (sequence b owns rows [b·T, (b+1)·T)). Per-sequence vectors (adaLN
 * modulation, gates) are rows of a matrix, one row per `rows_per_group` rows
 * of activations, `mod_stride` floats apart. */

/* y = LN(x)·γ + β  (γ, β [D] or NULL: no affine), then, when scale/shift are
 * given, y = y·(1 + scale[g]) + shift[g] with g = r / rows_per_group.
 * LN over the last dim, biased variance, eps inside the sqrt. x == y allowed.
 * reference: torch.nn.LayerNorm, DiT's AdaLayerNormZero */
void rift_op_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                       float eps, const float *gamma, const float *beta, const float *scale,
                       const float *shift, int64_t rows_per_group, int64_t mod_stride);

/* y[r, :] = bias[:] for every row: the start of a Linear (gemm adds x·Wᵀ). */
void rift_op_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D);

/* x[r, :] += gate[g, :] ⊙ y[r, :], g = r / rows_per_group (a gated residual). */
void rift_op_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                       int64_t D, int64_t rows_per_group, int64_t gate_stride);

/* y = x·sigmoid(x) elementwise; x == y allowed. reference: torch.nn.SiLU */
void rift_op_silu(rift_backend *be, float *y, const float *x, int64_t n);

/* x = relu(x)² in place. reference: RIFT-SVC ReLU2 */
void rift_op_relu_sq(rift_backend *be, float *x, int64_t n);

/* Depthwise conv along time, per sequence, zero padding k/2 (odd k):
 * y[b,t,c] = bias[c] + Σ_j w[c,j] · x[b, t + j − k/2, c]   (cross-correlation)
 * x, y [B·T, C]; w [C, k] (Conv1d weight [C,1,k]); bias [C].
 * reference: torch.nn.Conv1d(C, C, k, padding=k//2, groups=C) */
void rift_op_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t B, int64_t T, int64_t C, int64_t k);

/* In place on x [B·T, D], for RIFT-SVC's q and k: first rotary embedding of
 * channels [0, rot_dim) with interleaved pairs (GPT-J / x-transformers
 * rotate_half on "(d r), r=2"): θ = (float)t · inv_freq[i],
 *   x[2i] ← x[2i]·cosθ − x[2i+1]·sinθ,  x[2i+1] ← x[2i+1]·cosθ + x[2i]·sinθ;
 * then LayerNorm (no affine, eps) over each head's head_dim channels.
 * reference: x_transformers.apply_rotary_pos_emb; RIFT-SVC Attention.norm_q */
void rift_op_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                           int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps);

/* Multi-head attention with a key mask, heads side by side in the channels:
 * o[b,t,h·hd + d] = Σ_{s < len[b]} softmax_s(scale · q[b,t,h]·k[b,s,h]) v[b,s,h·hd + d]
 * q, k, v, o [B·T, H·hd]; len [B] int32 in HOST memory (the masks are known
 * before a forward starts), 1 <= len[b] <= T; padded query rows are computed
 * like the others. work: rift_op_attention_workspace() bytes of backend memory.
 * reference: torch.nn.functional.scaled_dot_product_attention(attn_mask=key mask) */
void rift_op_attention(rift_backend *be, float *o, const float *q, const float *k,
                       const float *v, int64_t B, int64_t T, int64_t H, int64_t hd, float scale,
                       const int32_t *len, void *work);
size_t rift_op_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                   int64_t hd);

/* x[b·T + t, :] = 0 for t >= len[b] (padded rows). x [B·T, D]; len in host memory. */
void rift_op_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                           const int32_t *len);

/* ---- sampler arithmetic (rectified flow with guidance) ------------------
 * Vectors are B blocks of n floats, block b at b·stride. */

/* a ← a + (a − b)·s   (one classifier-free guidance term) */
void rift_op_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                   int64_t b_stride, int64_t B, int64_t n, float s);

/* y[b·y_stride + i] += alpha · x[b·x_stride + i]   (an Euler step, a
 * broadcast when x_stride is 0, a repeat into a strided y) */
void rift_op_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                  int64_t x_stride, int64_t B, int64_t n, float alpha);

/* out[0] = Σ x, out[1] = Σ x² over the B blocks, in double (backend memory). */
void rift_op_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                     int64_t n);

/* Guidance rescale with torch's Tensor.std() of two tensors of `count`
 * elements each, from their moments (see rift_op_moments):
 * x ← r·x·(std_ref/std_x) + (1 − r)·x. reference: RIFT-SVC RF.sample */
void rift_op_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                         const double *m_ref, const double *m_x, int64_t count, float r);

/* ---- convolutional and recurrent networks (RMVPE, ContentVec) ----------- */

/* 2-D convolution of one image, channels first:
 * y[co, i, j] = bias[co] + Σ_{ci,a,b} w[co, ci, a, b] · x[ci, i·sh + a − ph, j·sw + b − pw]
 * (zero outside x). x [Cin, H, W], w [Cout, Cin, kh, kw] (PyTorch layout),
 * bias [Cout] or NULL, y [Cout, Ho, Wo], Ho = (H + 2·ph − kh)/sh + 1,
 * Wo = (W + 2·pw − kw)/sw + 1. work: rift_op_conv2d_workspace() bytes.
 * reference: torch.nn.functional.conv2d */
void rift_op_conv2d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                    int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t kh, int64_t kw,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, void *work);
size_t rift_op_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                int64_t ph, int64_t pw);

/* Transposed 2-D convolution of one image, channels first:
 * y[co, i·sh − ph + a, j·sw − pw + b] += Σ_ci x[ci, i, j] · w[ci, co, a, b], plus bias,
 * keeping Ho = (H − 1)·sh − 2·ph + kh + oph rows and Wo likewise (output padding oph, opw).
 * x [Cin, H, W], w [Cin, Cout, kh, kw] (PyTorch layout), bias [Cout] or NULL.
 * work: rift_op_conv_transpose2d_workspace() bytes.
 * reference: torch.nn.functional.conv_transpose2d */
void rift_op_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                              const float *bias, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                              int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw, int64_t oph, int64_t opw, void *work);
size_t rift_op_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                          int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                          int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                          int64_t opw);

/* Average pooling k×k with stride k, no padding (floor): x [C, H, W] ->
 * y [C, H/k, W/k]. reference: torch.nn.AvgPool2d(k) */
void rift_op_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                       int64_t W, int64_t k);

/* y[c·n + i] = x[c·n + i]·scale[c] + shift[c]: an eval-mode BatchNorm that
 * cannot be folded into a neighbouring conv. x == y allowed. */
void rift_op_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                            const float *scale, const float *shift);

/* Elementwise activations; x == y allowed.
 * relu: max(x, 0); sigmoid: 1/(1 + e^−x); gelu: x·Φ(x) with the exact erf
 * (torch.nn.GELU(approximate='none')). */
void rift_op_relu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_op_sigmoid(rift_backend *be, float *y, const float *x, int64_t n);
void rift_op_gelu(rift_backend *be, float *y, const float *x, int64_t n);

/* One direction of a GRU layer over T steps, PyTorch's gate order (r, z, n):
 * xp [T, 3H] holds x_t·W_ihᵀ + b_ih for every step (one GEMM beforehand);
 *   r = σ(xp_r + h·W_hrᵀ + b_hr), z = σ(xp_z + h·W_hzᵀ + b_hz),
 *   n = tanh(xp_n + r ⊙ (h·W_hnᵀ + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h,  h_{−1} = 0,
 * run from t = 0 up, or from T − 1 down when `reverse`; h_t goes to
 * out[t·out_stride .. + H]. w_hh [3H, H], b_hh [3H]. work: 4·H floats.
 * reference: torch.nn.GRU */
void rift_op_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                 const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                 float *work);

/* 1-D convolution of a time-major sequence:
 * y[t, co] = bias[co] + Σ_{ci in co's group, j} w[co, ci − g·Cin/groups, j] · x[t·stride + j·dilation − pad, ci]
 * (zero outside x). x [L, Cin], w [Cout, Cin/groups, k] (PyTorch layout),
 * bias [Cout] or NULL, y [Lout, Cout], Lout = (L + 2·pad − dilation·(k − 1) − 1)/stride + 1.
 * work: rift_op_conv1d_workspace() bytes. reference: torch.nn.functional.conv1d */
void rift_op_conv1d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                    int64_t L, int64_t Cin, int64_t Cout, int64_t k, int64_t stride, int64_t pad,
                    int64_t dilation, int64_t groups, void *work);
size_t rift_op_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                int64_t groups);

/* GroupNorm with one group per channel over a time-major x [L, C]: each
 * channel normalised over its L values (biased variance, eps), then ·γ[c] + β[c].
 * x == y allowed. reference: torch.nn.GroupNorm(C, C) */
void rift_op_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                          float eps, const float *gamma, const float *beta);

/* ---- the NSF-HiFiGAN vocoder ------------------------------------------- */

/* Transposed 1-D convolution of a time-major sequence:
 * y[i·stride + m − pad, co] += Σ_ci x[i, ci] · w[ci, co, m], plus bias, keeping
 * Lout = (L − 1)·stride − 2·pad + k rows. x [L, Cin], w [Cin, Cout, k]
 * (PyTorch layout), bias [Cout] or NULL, y [Lout, Cout].
 * work: rift_op_conv_transpose1d_workspace() bytes.
 * reference: torch.nn.functional.conv_transpose1d */
void rift_op_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                              const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                              int64_t stride, int64_t pad, void *work);
size_t rift_op_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                          int64_t Cout, int64_t k, int64_t stride, int64_t pad);

/* y = x for x >= 0, slope·x otherwise; y = tanh(x). x == y allowed.
 * reference: torch.nn.functional.leaky_relu, torch.tanh */
void rift_op_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope);
void rift_op_tanh(rift_backend *be, float *y, const float *x, int64_t n);

/* NSF-HiFiGAN's harmonic source (SineGen + SourceModuleHnNSF), for T frames
 * of `upp` samples at `rate` Hz with H harmonics:
 *   phase[t·upp + k] = f0[t]/rate·(k + 1) + acc[t]      (acc: the wrapped phase
 *       accumulated over the frames before t, from the host in double, see
 *       the vocoder's model file)
 *   s[n, h] = 0.1·sin(2π(phase[n]·(h + 1) + rand_ini[h])) · uv + amp·randn[n, h],
 *   uv = f0[t] > 0, amp = uv ? 0.003 : 0.1/3
 *   har[n] = tanh(Σ_h w[h]·s[n, h] + b)
 * f0, acc [T]; rand_ini [H] or NULL (zeros); randn [T·upp, H] or NULL (no
 * noise); w [H], b [1]; har [T·upp]; sines [T·upp, H] or NULL (the
 * s[n, h] themselves, for tests). reference: rift_svc/nsf_hifigan/models.py */
void rift_op_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                        const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                        const float *rand_ini, const float *randn, const float *w,
                        const float *b);

G_END_DECLS
