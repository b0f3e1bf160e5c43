/* backend.c — backend selection, reference counting, and the op dispatch
 * shared by all backends (argument checks live here, once). */
#include "backend-impl.h"

#include "rift-error.h"

#include <string.h>

void rift_backend_init_common(rift_backend *be, const rift_backend_i *iface,
                              rift_backend_kind kind, int device, char *description)
{
    be->iface = iface;
    be->kind = kind;
    be->device = device;
    be->refcount = 1;
    be->description = description;
    g_mutex_init(&be->lock);
}

void rift_backend_set_libraries(rift_backend *be, char *blas, char *kernels)
{
    be->blas = blas;
    be->kernels = kernels;
}

void rift_backend_set_error(rift_backend *be, GError *error)
{
    g_mutex_lock(&be->lock);
    if (!be->sticky)
        be->sticky = error;
    else
        g_error_free(error);
    g_mutex_unlock(&be->lock);
}

gboolean rift_backend_take_error(rift_backend *be, GError **err)
{
    g_mutex_lock(&be->lock);
    GError *e = be->sticky;
    be->sticky = NULL;
    g_mutex_unlock(&be->lock);
    if (!e)
        return TRUE;
    g_propagate_error(err, e);
    return FALSE;
}

gboolean rift_backend_cuda_available(char **why)
{
#if RIFT_HAVE_CUDA
    return rift_cuda_probe(why);
#else
    if (why)
        *why = g_strdup("this build has no CUDA backend (configured with -Dcuda=disabled or "
                        "without nvcc/cuBLAS)");
    return FALSE;
#endif
}

rift_backend *rift_backend_new(rift_backend_kind kind, int device, GError **err)
{
    if (kind == RIFT_BACKEND_CPU)
        return rift_cpu_backend_new(err);
#if RIFT_HAVE_CUDA
    if (kind == RIFT_BACKEND_CUDA)
        return rift_cuda_backend_new(device, err);
    char *why = NULL;
    if (rift_cuda_probe(&why))
        return rift_cuda_backend_new(device, err);
#else
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA) {
        rift_backend_cuda_available(&why);
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED, "backend 'cuda': %s", why);
        g_free(why);
        return NULL;
    }
    rift_backend_cuda_available(&why);
#endif
    /* AUTO without a usable GPU: say why, once per process. */
    static gsize told = 0;
    if (g_once_init_enter(&told)) {
        g_message("CUDA backend unavailable (%s); using the CPU", why);
        g_once_init_leave(&told, 1);
    }
    g_free(why);
    return rift_cpu_backend_new(err);
}

rift_backend *rift_backend_ref(rift_backend *be)
{
    g_atomic_int_inc(&be->refcount);
    return be;
}

void rift_backend_unref(rift_backend *be)
{
    if (!be || !g_atomic_int_dec_and_test(&be->refcount))
        return;
    if (be->sticky)
        g_error_free(be->sticky);
    g_free(be->description);
    g_free(be->blas);
    g_free(be->kernels);
    g_mutex_clear(&be->lock);
    be->iface->destroy(be);
}

rift_backend_kind rift_backend_get_kind(const rift_backend *be)
{
    return be->kind;
}

int rift_backend_get_device(const rift_backend *be)
{
    return be->device;
}

const char *rift_backend_describe(const rift_backend *be)
{
    return be->description;
}

const char *rift_backend_blas(const rift_backend *be)
{
    return be->blas ? be->blas : "?";
}

const char *rift_backend_kernels(const rift_backend *be)
{
    return be->kernels ? be->kernels : "?";
}

size_t rift_backend_peak_memory(rift_backend *be)
{
    return be->iface->peak_memory ? be->iface->peak_memory(be) : 0;
}

static const char *const kind_names[] = {"auto", "cpu", "cuda"};

static const char *const precision_names[] = {"fp32", "bf16", "fp16"};

gboolean rift_precision_from_string(const char *s, rift_precision *out)
{
    for (guint i = 0; i < G_N_ELEMENTS(precision_names); i++) {
        if (g_ascii_strcasecmp(s, precision_names[i]) == 0) {
            *out = (rift_precision)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *rift_precision_to_string(rift_precision p)
{
    return (guint)p < G_N_ELEMENTS(precision_names) ? precision_names[p] : "?";
}

gboolean rift_backend_supports_precision(rift_backend *be, rift_precision p, GError **err)
{
    if (p == RIFT_PRECISION_FP32)
        return TRUE;
    char *why = NULL;
    if (be->iface->supports_precision && be->iface->supports_precision(be, p, &why))
        return TRUE;
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                "precision %s is not available on %s: %s; use precision fp32",
                rift_precision_to_string(p), rift_backend_describe(be),
                why ? why : "this backend multiplies in fp32 only");
    g_free(why);
    return FALSE;
}

gboolean rift_backend_kind_from_string(const char *s, rift_backend_kind *out)
{
    for (guint i = 0; i < G_N_ELEMENTS(kind_names); i++) {
        if (g_ascii_strcasecmp(s, kind_names[i]) == 0) {
            *out = (rift_backend_kind)i;
            return TRUE;
        }
    }
    return FALSE;
}

const char *rift_backend_kind_to_string(rift_backend_kind kind)
{
    return (guint)kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

void *rift_backend_alloc(rift_backend *be, size_t nbytes)
{
    return be->iface->alloc(be, nbytes);
}

void rift_backend_free_mem(rift_backend *be, void *p)
{
    if (p)
        be->iface->free(be, p);
}

void rift_backend_upload(rift_backend *be, void *dst, const void *host_src, size_t nbytes)
{
    if (nbytes)
        be->iface->upload(be, dst, host_src, nbytes);
}

void rift_backend_download(rift_backend *be, void *host_dst, const void *src, size_t nbytes)
{
    if (nbytes)
        be->iface->download(be, host_dst, src, nbytes);
}

void rift_backend_memset0(rift_backend *be, void *dst, size_t nbytes)
{
    if (nbytes)
        be->iface->memset0(be, dst, nbytes);
}

void rift_backend_copy(rift_backend *be, void *dst, const void *src, size_t nbytes)
{
    if (nbytes)
        be->iface->copy(be, dst, src, nbytes);
}

gboolean rift_backend_sync(rift_backend *be, GError **err)
{
    return be->iface->sync(be, err);
}

/* ---- op dispatch: programmer errors are caught here, once for all backends ---- */

static void unsupported(rift_backend *be, const char *op)
{
    rift_backend_set_error(be, g_error_new(RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                                           "op %s is not implemented by backend %s", op,
                                           be->description));
}

/* Call the backend's slot for `op`, or record that it has none. */
#define DISPATCH(be, op, ...)                                                                      \
    do {                                                                                           \
        if (!(be)->iface->op) {                                                                    \
            unsupported(be, #op);                                                                  \
            return;                                                                                \
        }                                                                                          \
        (be)->iface->op(be, __VA_ARGS__);                                                          \
    } while (0)

void rift_op_gemm(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                  int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                  float beta, float *C, int64_t ldc)
{
    g_return_if_fail(M >= 0 && N >= 0 && K >= 0);
    g_return_if_fail(lda >= (trans_a ? M : K) && ldb >= (trans_b ? K : N) && ldc >= N);
    if (M == 0 || N == 0)
        return;
    DISPATCH(be, gemm, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void rift_op_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                     int64_t ldx, rift_precision p)
{
    g_return_if_fail(R >= 0 && C >= 0 && ldx >= C && p != RIFT_PRECISION_FP32);
    DISPATCH(be, to_lowp, dst, x, R, C, ldx, p);
}

void rift_op_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                       const void *W, float beta, float *C, int64_t ldc, rift_precision p)
{
    g_return_if_fail(M >= 0 && N >= 0 && K >= 0 && ldc >= N && p != RIFT_PRECISION_FP32);
    DISPATCH(be, gemm_lowp, M, N, K, A, W, beta, C, ldc, p);
}

void rift_op_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad)
{
    g_return_if_fail(n > 0 && pad >= 0);
    DISPATCH(be, reflect_pad, out, x, n, pad);
}

void rift_op_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                            int64_t n_fft, int64_t hop, const float *window, float eps)
{
    g_return_if_fail(T >= 0 && n_fft >= 2 && n_fft % 2 == 0 && hop > 0);
    if (T == 0)
        return;
    DISPATCH(be, stft_magnitude, mag, x, T, n_fft, hop, window, eps);
}

void rift_op_log_clamp(rift_backend *be, float *x, int64_t n, float floor)
{
    g_return_if_fail(n >= 0 && floor > 0.0f);
    if (n == 0)
        return;
    DISPATCH(be, log_clamp, x, n, floor);
}

void rift_op_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                       int64_t hop)
{
    g_return_if_fail(T >= 0 && win > 0 && hop > 0);
    if (T == 0)
        return;
    DISPATCH(be, frame_rms, out, x, T, win, hop);
}

void rift_op_layernorm(rift_backend *be, float *y, const float *x, int64_t R, int64_t D,
                       float eps, const float *gamma, const float *beta, const float *scale,
                       const float *shift, int64_t rows_per_group, int64_t mod_stride)
{
    g_return_if_fail(R >= 0 && D > 0 && (gamma == NULL) == (beta == NULL));
    g_return_if_fail((scale == NULL) == (shift == NULL));
    g_return_if_fail(!scale || (rows_per_group > 0 && mod_stride >= D));
    if (R == 0)
        return;
    DISPATCH(be, layernorm, y, x, R, D, eps, gamma, beta, scale, shift, rows_per_group,
             mod_stride);
}

void rift_op_fill_rows(rift_backend *be, float *y, const float *bias, int64_t R, int64_t D)
{
    g_return_if_fail(R >= 0 && D > 0);
    if (R == 0)
        return;
    DISPATCH(be, fill_rows, y, bias, R, D);
}

void rift_op_gated_add(rift_backend *be, float *x, const float *y, const float *gate, int64_t R,
                       int64_t D, int64_t rows_per_group, int64_t gate_stride)
{
    g_return_if_fail(R >= 0 && D > 0 && rows_per_group > 0 && gate_stride >= D);
    if (R == 0)
        return;
    DISPATCH(be, gated_add, x, y, gate, R, D, rows_per_group, gate_stride);
}

void rift_op_silu(rift_backend *be, float *y, const float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, silu, y, x, n);
}

void rift_op_relu_sq(rift_backend *be, float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, relu_sq, x, n);
}

void rift_op_dwconv1d(rift_backend *be, float *y, const float *x, const float *w,
                      const float *bias, int64_t B, int64_t T, int64_t C, int64_t k)
{
    g_return_if_fail(B >= 0 && T >= 0 && C > 0 && k > 0 && k % 2 == 1 && x != y);
    if (B == 0 || T == 0)
        return;
    DISPATCH(be, dwconv1d, y, x, w, bias, B, T, C, k);
}

void rift_op_rope_headnorm(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                           int64_t head_dim, int64_t rot_dim, const float *inv_freq, float eps)
{
    g_return_if_fail(B >= 0 && T >= 0 && head_dim > 0 && D % head_dim == 0);
    g_return_if_fail(rot_dim >= 0 && rot_dim % 2 == 0 && rot_dim <= D);
    if (B == 0 || T == 0)
        return;
    DISPATCH(be, rope_headnorm, x, B, T, D, head_dim, rot_dim, inv_freq, eps);
}

size_t rift_op_attention_workspace(rift_backend *be, int64_t B, int64_t T, int64_t H,
                                   int64_t hd)
{
    return be->iface->attention_workspace ? be->iface->attention_workspace(be, B, T, H, hd) : 0;
}

void rift_op_attention(rift_backend *be, float *o, const float *q, const float *k,
                       const float *v, int64_t B, int64_t T, int64_t H, int64_t hd, float scale,
                       const int32_t *len, void *work)
{
    g_return_if_fail(B >= 0 && T >= 0 && H > 0 && hd > 0);
    for (int64_t b = 0; b < B; b++)
        g_return_if_fail(len[b] >= 1 && len[b] <= T);
    if (B == 0 || T == 0)
        return;
    DISPATCH(be, attention, o, q, k, v, B, T, H, hd, scale, len, work);
}

void rift_op_zero_pad_rows(rift_backend *be, float *x, int64_t B, int64_t T, int64_t D,
                           const int32_t *len)
{
    g_return_if_fail(B >= 0 && T >= 0 && D > 0);
    if (B == 0 || T == 0)
        return;
    DISPATCH(be, zero_pad_rows, x, B, T, D, len);
}

void rift_op_guide(rift_backend *be, float *a, int64_t a_stride, const float *b,
                   int64_t b_stride, int64_t B, int64_t n, float s)
{
    g_return_if_fail(B >= 0 && n >= 0 && a_stride >= n && b_stride >= n);
    if (B == 0 || n == 0)
        return;
    DISPATCH(be, guide, a, a_stride, b, b_stride, B, n, s);
}

void rift_op_axpy(rift_backend *be, float *y, int64_t y_stride, const float *x,
                  int64_t x_stride, int64_t B, int64_t n, float alpha)
{
    g_return_if_fail(B >= 0 && n >= 0 && y_stride >= n && (x_stride >= n || x_stride == 0));
    if (B == 0 || n == 0)
        return;
    DISPATCH(be, axpy, y, y_stride, x, x_stride, B, n, alpha);
}

void rift_op_moments(rift_backend *be, double *out, const float *x, int64_t stride, int64_t B,
                     int64_t n)
{
    g_return_if_fail(B >= 0 && n >= 0 && stride >= n);
    DISPATCH(be, moments, out, x, stride, B, n);
}

void rift_op_cfg_rescale(rift_backend *be, float *x, int64_t stride, int64_t B, int64_t n,
                         const double *m_ref, const double *m_x, int64_t count, float r)
{
    g_return_if_fail(B >= 0 && n >= 0 && stride >= n && count > 0);
    if (B == 0 || n == 0)
        return;
    DISPATCH(be, cfg_rescale, x, stride, B, n, m_ref, m_x, count, r);
}

/* output length of a strided, padded, dilated convolution */
static int64_t conv_out(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d)
{
    /* 0 when the kernel is wider than the padded input: C's division would
     * truncate a span of −1 .. −(s − 1) up to a length of 1 */
    const int64_t span = n + 2 * p - d * (k - 1) - 1;
    return span < 0 ? 0 : span / s + 1;
}

void rift_op_conv2d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                    int64_t Cin, int64_t H, int64_t W, int64_t Cout, int64_t kh, int64_t kw,
                    int64_t sh, int64_t sw, int64_t ph, int64_t pw, void *work)
{
    g_return_if_fail(Cin > 0 && Cout > 0 && kh > 0 && kw > 0 && sh > 0 && sw > 0);
    g_return_if_fail(ph >= 0 && pw >= 0 && H + 2 * ph >= kh && W + 2 * pw >= kw);
    DISPATCH(be, conv2d, y, x, w, bias, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, work);
}

size_t rift_op_conv2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                int64_t Cout, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                                int64_t ph, int64_t pw)
{
    return be->iface->conv2d_workspace
               ? be->iface->conv2d_workspace(be, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw)
               : 0;
}

void rift_op_conv_transpose2d(rift_backend *be, float *y, const float *x, const float *w,
                              const float *bias, int64_t Cin, int64_t H, int64_t W, int64_t Cout,
                              int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw, int64_t oph, int64_t opw, void *work)
{
    g_return_if_fail(Cin > 0 && Cout > 0 && H > 0 && W > 0 && kh > 0 && kw > 0);
    g_return_if_fail(sh > 0 && sw > 0 && ph >= 0 && pw >= 0 && oph >= 0 && opw >= 0);
    g_return_if_fail((H - 1) * sh - 2 * ph + kh + oph > 0 && (W - 1) * sw - 2 * pw + kw + opw > 0);
    DISPATCH(be, conv_transpose2d, y, x, w, bias, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph,
             opw, work);
}

size_t rift_op_conv_transpose2d_workspace(rift_backend *be, int64_t Cin, int64_t H, int64_t W,
                                          int64_t Cout, int64_t kh, int64_t kw, int64_t sh,
                                          int64_t sw, int64_t ph, int64_t pw, int64_t oph,
                                          int64_t opw)
{
    return be->iface->conv_transpose2d_workspace
               ? be->iface->conv_transpose2d_workspace(be, Cin, H, W, Cout, kh, kw, sh, sw, ph,
                                                       pw, oph, opw)
               : 0;
}

void rift_op_avgpool2d(rift_backend *be, float *y, const float *x, int64_t C, int64_t H,
                       int64_t W, int64_t k)
{
    g_return_if_fail(C > 0 && k > 0 && H >= k && W >= k);
    DISPATCH(be, avgpool2d, y, x, C, H, W, k);
}

void rift_op_channel_affine(rift_backend *be, float *y, const float *x, int64_t C, int64_t n,
                            const float *scale, const float *shift)
{
    g_return_if_fail(C > 0 && n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, channel_affine, y, x, C, n, scale, shift);
}

void rift_op_relu(rift_backend *be, float *y, const float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, relu, y, x, n);
}

void rift_op_sigmoid(rift_backend *be, float *y, const float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, sigmoid, y, x, n);
}

void rift_op_gelu(rift_backend *be, float *y, const float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, gelu, y, x, n);
}

void rift_op_gru(rift_backend *be, float *out, int64_t out_stride, const float *xp,
                 const float *w_hh, const float *b_hh, int64_t T, int64_t H, gboolean reverse,
                 float *work)
{
    g_return_if_fail(T >= 0 && H > 0 && out_stride >= H);
    if (T == 0)
        return;
    DISPATCH(be, gru, out, out_stride, xp, w_hh, b_hh, T, H, reverse, work);
}

void rift_op_conv1d(rift_backend *be, float *y, const float *x, const float *w, const float *bias,
                    int64_t L, int64_t Cin, int64_t Cout, int64_t k, int64_t stride, int64_t pad,
                    int64_t dilation, int64_t groups, void *work)
{
    g_return_if_fail(Cin > 0 && Cout > 0 && k > 0 && stride > 0 && pad >= 0 && dilation > 0);
    g_return_if_fail(groups > 0 && Cin % groups == 0 && Cout % groups == 0);
    g_return_if_fail(conv_out(L, k, stride, pad, dilation) > 0);
    DISPATCH(be, conv1d, y, x, w, bias, L, Cin, Cout, k, stride, pad, dilation, groups, work);
}

size_t rift_op_conv1d_workspace(rift_backend *be, int64_t L, int64_t Cin, int64_t Cout,
                                int64_t k, int64_t stride, int64_t pad, int64_t dilation,
                                int64_t groups)
{
    return be->iface->conv1d_workspace
               ? be->iface->conv1d_workspace(be, L, Cin, Cout, k, stride, pad, dilation, groups)
               : 0;
}

void rift_op_channel_norm(rift_backend *be, float *y, const float *x, int64_t L, int64_t C,
                          float eps, const float *gamma, const float *beta)
{
    g_return_if_fail(L > 0 && C > 0);
    DISPATCH(be, channel_norm, y, x, L, C, eps, gamma, beta);
}

void rift_op_conv_transpose1d(rift_backend *be, float *y, const float *x, const float *w,
                              const float *bias, int64_t L, int64_t Cin, int64_t Cout, int64_t k,
                              int64_t stride, int64_t pad, void *work)
{
    g_return_if_fail(L > 0 && Cin > 0 && Cout > 0 && k > 0 && stride > 0 && pad >= 0);
    g_return_if_fail((L - 1) * stride - 2 * pad + k > 0);
    DISPATCH(be, conv_transpose1d, y, x, w, bias, L, Cin, Cout, k, stride, pad, work);
}

size_t rift_op_conv_transpose1d_workspace(rift_backend *be, int64_t L, int64_t Cin,
                                          int64_t Cout, int64_t k, int64_t stride, int64_t pad)
{
    return be->iface->conv_transpose1d_workspace
               ? be->iface->conv_transpose1d_workspace(be, L, Cin, Cout, k, stride, pad)
               : 0;
}

void rift_op_leaky_relu(rift_backend *be, float *y, const float *x, int64_t n, float slope)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, leaky_relu, y, x, n, slope);
}

void rift_op_tanh(rift_backend *be, float *y, const float *x, int64_t n)
{
    g_return_if_fail(n >= 0);
    if (n == 0)
        return;
    DISPATCH(be, tanh, y, x, n);
}

void rift_op_nsf_source(rift_backend *be, float *har, float *sines, const float *f0,
                        const float *acc, int64_t T, int64_t upp, float rate, int64_t H,
                        const float *rand_ini, const float *randn, const float *w,
                        const float *b)
{
    g_return_if_fail(T >= 0 && upp > 0 && rate > 0.0f && H > 0);
    if (T == 0)
        return;
    DISPATCH(be, nsf_source, har, sines, f0, acc, T, upp, rate, H, rand_ini, randn, w, b);
}
