/* cpu-ops.h — CPU implementations of ops.h (see there for shapes). */
#pragma once

#include "backend.h"

#include <stdint.h>

G_BEGIN_DECLS

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

G_END_DECLS
