/* lowp.c — the low-precision products on the CPU (ops.h rift_op_to_lowp,
 * rift_op_gemm_lowp; backend.h rift_precision).
 *
 * bfloat16 products run on oneDNN's matmul, which uses AVX512-BF16
 * (vdpbf16ps: two bf16 products summed into fp32 per lane) where the CPU has
 * it — about twice the sgemm rate on such machines, as PyTorch's own bf16
 * CPU path does (it calls the same library). OpenBLAS could do it too, but
 * Debian builds it without its bfloat16 kernels. Where a CPU lacks the unit,
 * or for float16 (no CPU here multiplies it natively), the op still computes
 * the same numbers by widening both operands to float32 (exact: a 16-bit
 * value is a float32 value) and calling sgemm: the reference the CUDA twin is
 * tested against, never the sampler's path (rift_backend_supports_precision
 * refuses those precisions to the models). */
#include "cpu-ops.h"

#include "backend-impl.h"
#include "rift-error.h"

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <string.h>

/* round to nearest even, NaN kept quiet: torch's float -> bfloat16 */
static inline uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float from_bf16(uint16_t h)
{
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void rift_cpu_to_lowp(rift_backend *be, void *dst, const float *x, int64_t R, int64_t C,
                      int64_t ldx, rift_precision p)
{
#pragma omp parallel for if (R * C > 65536)
    for (int64_t r = 0; r < R; r++) {
        const float *xr = x + r * ldx;
        if (p == RIFT_PRECISION_BF16) {
            uint16_t *d = (uint16_t *)dst + r * C;
            for (int64_t c = 0; c < C; c++)
                d[c] = to_bf16(xr[c]);
        } else {
            _Float16 *d = (_Float16 *)dst + r * C;
            for (int64_t c = 0; c < C; c++)
                d[c] = (_Float16)xr[c];
        }
    }
}

/* oneDNN's CPU engine, made once per process (it is thread-safe). */
static dnnl_engine_t onednn_engine(void)
{
    static gsize once = 0;
    static dnnl_engine_t engine;
    if (g_once_init_enter(&once)) {
        if (dnnl_engine_create(&engine, dnnl_cpu, 0) != dnnl_success)
            engine = NULL;
        g_once_init_leave(&once, 1);
    }
    return engine;
}

gboolean rift_cpu_supports_precision(rift_backend *be, rift_precision p, char **why)
{
    if (p == RIFT_PRECISION_FP16) {
        *why = g_strdup("no float16 matrix unit on the CPU path (use bf16 or a GPU)");
        return FALSE;
    }
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16 ||
        !onednn_engine()) {
        *why = g_strdup("this CPU has no AVX512-BF16 unit, so bfloat16 would be slower than "
                        "float32");
        return FALSE;
    }
    return TRUE;
}

/* Why a oneDNN call failed, as the backend's sticky error. */
static gboolean onednn_ok(rift_backend *be, dnnl_status_t s, const char *call)
{
    if (s == dnnl_success)
        return TRUE;
    rift_backend_set_error(be, g_error_new(RIFT_ERROR, RIFT_ERROR_BACKEND,
                                           "cpu gemm_lowp: oneDNN %s failed (status %d)", call,
                                           (int)s));
    return FALSE;
}

/* C[M,N] = A[M,K]·W[N,K]ᵀ + beta·C as one oneDNN matmul: src A (bf16,
 * row-major), weights Wᵀ (bf16 [K,N] read through strides from W as stored),
 * dst C (f32, rows ldc apart); beta = 1 is a sum post-op. oneDNN caches the
 * primitive by shape, so a repeated shape costs a lookup, not a JIT. */
static void gemm_onednn(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                        const void *W, float beta, float *C, int64_t ldc)
{
    dnnl_memory_desc_t a_md, w_md, c_md;
    dnnl_matmul_desc_t mm;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_memory_t a_m = NULL, w_m = NULL, c_m = NULL;
    dnnl_engine_t eng = onednn_engine();

    if (!onednn_ok(be, dnnl_memory_desc_init_by_strides(&a_md, 2, (dnnl_dims_t){M, K}, dnnl_bf16,
                                                        (dnnl_dims_t){K, 1}),
                   "memory_desc_init(A)") ||
        !onednn_ok(be, dnnl_memory_desc_init_by_strides(&w_md, 2, (dnnl_dims_t){K, N}, dnnl_bf16,
                                                        (dnnl_dims_t){1, K}),
                   "memory_desc_init(W)") ||
        !onednn_ok(be, dnnl_memory_desc_init_by_strides(&c_md, 2, (dnnl_dims_t){M, N}, dnnl_f32,
                                                        (dnnl_dims_t){ldc, 1}),
                   "memory_desc_init(C)") ||
        !onednn_ok(be, dnnl_matmul_desc_init(&mm, &a_md, &w_md, NULL, &c_md), "matmul_desc_init") ||
        !onednn_ok(be, dnnl_primitive_attr_create(&attr), "primitive_attr_create"))
        goto out;
    if (beta != 0.0f) {
        if (!onednn_ok(be, dnnl_post_ops_create(&post), "post_ops_create") ||
            !onednn_ok(be, dnnl_post_ops_append_sum(post, beta), "post_ops_append_sum") ||
            !onednn_ok(be, dnnl_primitive_attr_set_post_ops(attr, post), "set_post_ops"))
            goto out;
    }
    if (!onednn_ok(be, dnnl_primitive_desc_create(&pd, &mm, attr, eng, NULL),
                   "primitive_desc_create") ||
        !onednn_ok(be, dnnl_primitive_create(&prim, pd), "primitive_create") ||
        !onednn_ok(be, dnnl_stream_create(&stream, eng, dnnl_stream_default_flags),
                   "stream_create") ||
        !onednn_ok(be, dnnl_memory_create(&a_m, &a_md, eng, (void *)A), "memory_create(A)") ||
        !onednn_ok(be, dnnl_memory_create(&w_m, &w_md, eng, (void *)W), "memory_create(W)") ||
        !onednn_ok(be, dnnl_memory_create(&c_m, &c_md, eng, C), "memory_create(C)"))
        goto out;
    const dnnl_exec_arg_t args[] = {
        {DNNL_ARG_SRC, a_m}, {DNNL_ARG_WEIGHTS, w_m}, {DNNL_ARG_DST, c_m}};
    if (onednn_ok(be, dnnl_primitive_execute(prim, stream, G_N_ELEMENTS(args), args),
                  "primitive_execute"))
        onednn_ok(be, dnnl_stream_wait(stream), "stream_wait");
out:
    dnnl_memory_destroy(c_m);
    dnnl_memory_destroy(w_m);
    dnnl_memory_destroy(a_m);
    dnnl_stream_destroy(stream);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(post);
    dnnl_primitive_attr_destroy(attr);
}

/* rows × cols 16-bit values -> float32 (exact) */
static float *widen(const void *x, int64_t n, rift_precision p)
{
    float *f = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        f[i] = p == RIFT_PRECISION_BF16 ? from_bf16(((const uint16_t *)x)[i])
                                        : (float)((const _Float16 *)x)[i];
    return f;
}

void rift_cpu_gemm_lowp(rift_backend *be, int64_t M, int64_t N, int64_t K, const void *A,
                        const void *W, float beta, float *C, int64_t ldc, rift_precision p)
{
    char *why = NULL;
    if (M == 0 || N == 0)
        return;
    if (rift_cpu_supports_precision(be, p, &why)) {
        gemm_onednn(be, M, N, K, A, W, beta, C, ldc);
        return;
    }
    g_free(why);
    /* the reference: exact products of the widened values, fp32 sums */
    float *a = widen(A, M * K, p), *w = widen(W, N * K, p);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)M, (blasint)N, (blasint)K,
                1.0f, a, (blasint)K, w, (blasint)K, beta, C, (blasint)ldc);
    g_free(a);
    g_free(w);
}
