/* backend-impl.h — the vtable a backend fills in (engine/cpu, cuda/).
 * Only backends and backend.c include this. */
#pragma once

#include "rift-config.h"

#include "backend.h"
#include "ops.h"

G_BEGIN_DECLS

typedef struct rift_backend_i {
    void (*destroy)(rift_backend *be);

    void *(*alloc)(rift_backend *be, size_t nbytes);
    void (*free)(rift_backend *be, void *p);
    void (*upload)(rift_backend *be, void *dst, const void *host_src, size_t nbytes);
    void (*download)(rift_backend *be, void *host_dst, const void *src, size_t nbytes);
    void (*memset0)(rift_backend *be, void *dst, size_t nbytes);
    void (*copy)(rift_backend *be, void *dst, const void *src, size_t nbytes); /* both backend memory */
    /* wait for queued work; FALSE with the sticky error if any */
    gboolean (*sync)(rift_backend *be, GError **err);
    /* (optional) rift_backend_peak_memory */
    size_t (*peak_memory)(rift_backend *be);

    /* ops: same signatures as ops.h. A NULL slot is an op this backend
     * does not have: calling it records an UNSUPPORTED error. */
    void (*gemm)(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                 int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                 float beta, float *C, int64_t ldc);
    /* NULL: fp32 only. Else *why says what is missing when FALSE. */
    gboolean (*supports_precision)(rift_backend *be, rift_precision p, char **why);
    void (*to_lowp)(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                    int64_t ldx, rift_precision p);
    void (*gemm_lowp)(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                      const void *W, float beta, float *C, int64_t ldc, rift_precision p);
    void (*reflect_pad)(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);
    void (*stft_magnitude)(rift_backend *be, float *mag, const float *x, int64_t T,
                           int64_t n_fft, int64_t hop, const float *window, float eps);
    void (*log_clamp)(rift_backend *be, float *x, int64_t n, float floor);
    void (*frame_rms)(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                      int64_t hop);
    void (*layernorm)(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                      float eps, const float *gamma, const float *beta, const float *scale,
                      const float *shift, int64_t rows_per_group, int64_t mod_stride);
    void (*fill_rows)(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D);
    void (*gated_add)(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                      int64_t D, int64_t rows_per_group, int64_t gate_stride);
    void (*silu)(rift_backend *be, float *y, const float *x, int64_t n);
    void (*relu_sq)(rift_backend *be, float *x, int64_t n);
    void (*dwconv1d)(rift_backend *be, float *y, const float *x, const float *w,
                     const float *bias, int64_t B, int64_t T, int64_t C, int64_t k);
    void (*rope_headnorm)(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                          int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps);
    size_t (*attention_workspace)(rift_backend *be, int64_t B, int64_t T, int64_t H, int64_t hd);
    void (*attention)(rift_backend *be, float *o, const float *q, const float *k, const float *v,
                      int64_t B, int64_t T, int64_t H, int64_t hd, float scale,
                      const int32_t *len, void *work);
    void (*zero_pad_rows)(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                          const int32_t *len);
    void (*guide)(rift_backend *be, float *a, int64_t a_stride, const float *b, int64_t b_stride,
                  int64_t B, int64_t n, float s);
    void (*axpy)(rift_backend *be, float *y, int64_t y_stride, const float *x, int64_t x_stride,
                 int64_t B, int64_t n, float alpha);
    void (*moments)(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                    int64_t n);
    void (*cfg_rescale)(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                        const double *m_ref, const double *m_x, int64_t count, float r);
    void (*conv2d)(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                   int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t kh, int64_t kw,
                   int64_t sh, int64_t sw, int64_t ph, int64_t pw, void *work);
    size_t (*conv2d_workspace)(rift_backend *be, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                               int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                               int64_t pw);
    void (*conv_transpose2d)(rift_backend *be, float *y, const float *x, const float *w,
                             const float *bias, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                             int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                             int64_t pw, int64_t oph, int64_t opw, void *work);
    size_t (*conv_transpose2d_workspace)(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                         int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                         int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                         int64_t opw);
    void (*avgpool2d)(rift_backend *be, float *y, const float *x, int64_t C, int64_t H, int64_t W,
                      int64_t k);
    void (*channel_affine)(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                           const float *scale, const float *shift);
    void (*relu)(rift_backend *be, float *y, const float *x, int64_t n);
    void (*sigmoid)(rift_backend *be, float *y, const float *x, int64_t n);
    void (*gelu)(rift_backend *be, float *y, const float *x, int64_t n);
    void (*gru)(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                float *work);
    void (*conv1d)(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                   int64_t L, int64_t Cin, int64_t Cout, int64_t k, int64_t stride, int64_t pad,
                   int64_t dilation, int64_t groups, void *work);
    size_t (*conv1d_workspace)(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                               int64_t stride, int64_t pad, int64_t dilation, int64_t groups);
    void (*channel_norm)(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                         float eps, const float *gamma, const float *beta);
    void (*conv_transpose1d)(rift_backend *be, float *y, const float *x, const float *w,
                             const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                             int64_t stride, int64_t pad, void *work);
    size_t (*conv_transpose1d_workspace)(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                         int64_t k, int64_t stride, int64_t pad);
    void (*leaky_relu)(rift_backend *be, float *y, const float *x, int64_t n, float slope);
    void (*tanh)(rift_backend *be, float *y, const float *x, int64_t n);
    void (*nsf_source)(rift_backend *be, float *har, float *sines, const float *f0,
                       const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                       const float *rand_ini, const float *randn, const float *w, const float *b);
} rift_backend_i;

struct rift_backend {
    const rift_backend_i *iface;
    rift_backend_kind kind;
    int device;
    gint refcount;
    char *description;
    char *blas, *kernels; /* rift_backend_blas, rift_backend_kernels */
    GError *sticky; /* first error since the last sync */
    GMutex lock;    /* guards `sticky` */
};

/* For backends: fill the common part; record an op failure (first one wins). */
void rift_backend_init_common(rift_backend *be, const rift_backend_i *iface,
                              rift_backend_kind kind, int device, char *description);
/* Name the BLAS and kernel set (takes both strings). */
void rift_backend_set_libraries(rift_backend *be, char *blas, char *kernels);
void rift_backend_set_error(rift_backend *be, GError *error);
gboolean rift_backend_take_error(rift_backend *be, GError **err);

/* Constructors, NULL with an error when unavailable. */
rift_backend *rift_cpu_backend_new(GError **err);
#if RIFT_HAVE_CUDA
rift_backend *rift_cuda_backend_new(int device, GError **err);
gboolean rift_cuda_probe(char **why);
#endif

G_END_DECLS
