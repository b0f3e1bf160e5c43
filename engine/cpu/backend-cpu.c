/* backend-cpu.c — the CPU backend: host memory, OpenBLAS for matrix work,
 * OpenMP loops elsewhere. Ops cannot fail here (allocation failure aborts, as
 * everywhere in GLib), so sync only reports nothing. */
#include "backend-impl.h"
#include "cpu-ops.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

static void cpu_destroy(rift_backend *be)
{
    g_free(be);
}

/* 64-byte aligned so that vector loads never split cache lines */
static void *cpu_alloc(rift_backend *be, size_t nbytes)
{
    return g_aligned_alloc0(1, MAX(nbytes, 1), 64);
}

static void cpu_free(rift_backend *be, void *p)
{
    g_aligned_free(p);
}

static void cpu_copy(rift_backend *be, void *dst, const void *src, size_t nbytes)
{
    memcpy(dst, src, nbytes);
}

static void cpu_memset0(rift_backend *be, void *dst, size_t nbytes)
{
    memset(dst, 0, nbytes);
}

static gboolean cpu_sync(rift_backend *be, GError **err)
{
    return rift_backend_take_error(be, err);
}

static void cpu_gemm(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                     int64_t K, float alpha, const float *A, int64_t lda, const float *B,
                     int64_t ldb, float beta, float *C, int64_t ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K, alpha, A,
                (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
}

static const rift_backend_i cpu_iface = {
    .destroy = cpu_destroy,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .upload = cpu_copy,
    .download = cpu_copy,
    .memset0 = cpu_memset0,
    .copy = cpu_copy,
    .sync = cpu_sync,
    .gemm = cpu_gemm,
    .supports_precision = rift_cpu_supports_precision,
    .to_lowp = rift_cpu_to_lowp,
    .gemm_lowp = rift_cpu_gemm_lowp,
    .reflect_pad = rift_cpu_reflect_pad,
    .stft_magnitude = rift_cpu_stft_magnitude,
    .log_clamp = rift_cpu_log_clamp,
    .frame_rms = rift_cpu_frame_rms,
    .layernorm = rift_cpu_layernorm,
    .fill_rows = rift_cpu_fill_rows,
    .gated_add = rift_cpu_gated_add,
    .silu = rift_cpu_silu,
    .relu_sq = rift_cpu_relu_sq,
    .dwconv1d = rift_cpu_dwconv1d,
    .rope_headnorm = rift_cpu_rope_headnorm,
    .attention_workspace = rift_cpu_attention_workspace,
    .attention = rift_cpu_attention,
    .zero_pad_rows = rift_cpu_zero_pad_rows,
    .guide = rift_cpu_guide,
    .axpy = rift_cpu_axpy,
    .moments = rift_cpu_moments,
    .cfg_rescale = rift_cpu_cfg_rescale,
    .conv2d = rift_cpu_conv2d,
    .conv2d_workspace = rift_cpu_conv2d_workspace,
    .conv_transpose2d = rift_cpu_conv_transpose2d,
    .conv_transpose2d_workspace = rift_cpu_conv_transpose2d_workspace,
    .avgpool2d = rift_cpu_avgpool2d,
    .channel_affine = rift_cpu_channel_affine,
    .relu = rift_cpu_relu,
    .sigmoid = rift_cpu_sigmoid,
    .gelu = rift_cpu_gelu,
    .gru = rift_cpu_gru,
    .conv1d = rift_cpu_conv1d,
    .conv1d_workspace = rift_cpu_conv1d_workspace,
    .channel_norm = rift_cpu_channel_norm,
    .conv_transpose1d = rift_cpu_conv_transpose1d,
    .conv_transpose1d_workspace = rift_cpu_conv_transpose1d_workspace,
    .leaky_relu = rift_cpu_leaky_relu,
    .tanh = rift_cpu_tanh,
    .nsf_source = rift_cpu_nsf_source,
};

/* the widest vector ISA our hot loops run with: on x86-64 GCC they are
 * target clones (clones.h) and the loader picked the widest the CPU has;
 * elsewhere what the build compiled for */
static const char *loop_isa(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? "AVX-512" : __builtin_cpu_supports("avx2") ? "AVX2" : "SSE2";
#elif defined(__ARM_NEON)
    return "NEON";
#else
    return "scalar";
#endif
}

rift_backend *rift_cpu_backend_new(GError **err)
{
    rift_backend *be = g_new0(rift_backend, 1);
    static const char *const blas_threading[] = {"sequential", "pthreads", "OpenMP"};
    const int par = openblas_get_parallel();
    char *desc = g_strdup_printf("cpu (%s, core %s, %d %s BLAS threads, %d OpenMP threads)",
                                 g_strstrip(openblas_get_config()), openblas_get_corename(),
                                 openblas_get_num_threads(),
                                 par >= 0 && par <= 2 ? blas_threading[par] : "?",
                                 omp_get_max_threads());
    rift_backend_init_common(be, &cpu_iface, RIFT_BACKEND_CPU, 0, desc);
    char *why = NULL;
    const gboolean bf16 = rift_cpu_supports_precision(be, RIFT_PRECISION_BF16, &why);
    g_free(why);
    rift_backend_set_libraries(be, g_strstrip(g_strdup(openblas_get_config())),
                               g_strdup_printf("OpenBLAS core %s, own loops %s%s",
                                               openblas_get_corename(), loop_isa(),
                                               bf16 ? ", bf16 on oneDNN AVX512-BF16" : ""));
    return be;
}
