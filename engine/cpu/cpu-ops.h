/* cpu-ops.h — CPU implementations of ops.h (see there for shapes). */
#pragma once

#include "backend.h"

#include <stdint.h>

G_BEGIN_DECLS

gboolean rift_cpu_supports_precision(rift_backend *be, rift_precision p, char **why);
void rift_cpu_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                      int64_t ldx, rift_precision p);
void rift_cpu_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                        const void *W, float beta, float *C, int64_t ldc, rift_precision p);
void rift_cpu_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);
void rift_cpu_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                             int64_t n_fft, int64_t hop, const float *window, float eps);
void rift_cpu_log_clamp(rift_backend *be, float *x, int64_t n, float floor);
void rift_cpu_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                        int64_t hop);

void rift_cpu_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                        float eps, const float *gamma, const float *beta, const float *scale,
                        const float *shift, int64_t rows_per_group, int64_t mod_stride);
void rift_cpu_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D);
void rift_cpu_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                        int64_t D, int64_t rows_per_group, int64_t gate_stride);
void rift_cpu_silu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cpu_relu_sq(rift_backend *be, float *x, int64_t n);
void rift_cpu_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                       const float *bias, int64_t B, int64_t T, int64_t C, int64_t k);
void rift_cpu_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                            int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps);
size_t rift_cpu_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                    int64_t hd);
void rift_cpu_attention(rift_backend *be, float *o, const float *q, const float *k,
                        const float *v, int64_t B, int64_t T, int64_t H, int64_t hd,
                        float scale, const int32_t *len, void *work);
void rift_cpu_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                            const int32_t *len);
void rift_cpu_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                    int64_t b_stride, int64_t B, int64_t n, float s);
void rift_cpu_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                   int64_t x_stride, int64_t B, int64_t n, float alpha);
void rift_cpu_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                      int64_t n);
void rift_cpu_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                          const double *m_ref, const double *m_x, int64_t count, float r);

/* RMVPE (conv2d.c, gru.c) */
size_t rift_cpu_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                 int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                 int64_t ph, int64_t pw);
void rift_cpu_conv2d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                     int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t kh, int64_t kw,
                     int64_t sh, int64_t sw, int64_t ph, int64_t pw, void *work);
size_t rift_cpu_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                           int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                           int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                           int64_t opw);
void rift_cpu_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                               const float *bias, int64_t Cin, int64_t H, int64_t W,
                               int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                               int64_t ph, int64_t pw, int64_t oph, int64_t opw, void *work);
void rift_cpu_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                        int64_t W, int64_t k);
void rift_cpu_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                             const float *scale, const float *shift);
void rift_cpu_relu(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cpu_sigmoid(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cpu_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                  const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                  float *work);

/* ContentVec (conv1d.c; gelu in nn.c) */
void rift_cpu_gelu(rift_backend *be, float *y, const float *x, int64_t n);
size_t rift_cpu_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                 int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                 int64_t groups);
void rift_cpu_conv1d(rift_backend *be, float *y, const float *x, const float *w,
                     const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                     int64_t stride, int64_t pad, int64_t dilation, int64_t groups, void *work);
void rift_cpu_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                           float eps, const float *gamma, const float *beta);

/* NSF-HiFiGAN (vocoder.c) */
size_t rift_cpu_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                           int64_t Cout, int64_t k, int64_t stride, int64_t pad);
void rift_cpu_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                               const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                               int64_t stride, int64_t pad, void *work);
void rift_cpu_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope);
void rift_cpu_tanh(rift_backend *be, float *y, const float *x, int64_t n);
void rift_cpu_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                         const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                         const float *rand_ini, const float *randn, const float *w,
                         const float *b);

/* softmax.c: each row of p [rows, L] replaced by its softmax */
void rift_cpu_softmax_rows(float *p, int64_t rows, int64_t L);

G_END_DECLS
