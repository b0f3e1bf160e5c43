/* backend-cuda.cu — the CUDA backend: one stream per backend on the device's
 * primary context, a cuBLAS handle bound to it, stream-ordered device memory,
 * a small cuFFT plan cache, and CUDA failures turned into sticky GErrors
 * (never aborts). The ops themselves live in the other .cu files of cuda/,
 * one per op family (gemm.cu, stft.cu, elementwise.cu, norm.cu, conv.cu,
 * conv2d.cu, gru.cu, attention.cu, ...). Tested by
 * tests/backend/test-backend-ops.c ("ops cuda-vs-cpu", skipped where no
 * device answers). */
#include "cuda-backend.cuh"
#include "attention.cuh"
#include "conv.cuh"
#include "conv1d.cuh"
#include "conv2d.cuh"
#include "elementwise.cuh"
#include "gemm.cuh"
#include "lowp.cuh"
#include "gru.cuh"
#include "norm.cuh"
#include "stft.cuh"
#include "vocoder.cuh"

#include "rift-error.h"

#include <stdarg.h>

/* ---- errors ---- */

void rift_cuda_fail(rift_backend *be, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rift_backend_set_error(be, g_error_new(RIFT_ERROR, RIFT_ERROR_BACKEND, "cuda %s: %s", op, msg));
    g_free(msg);
}

gboolean rift_cuda_ok(rift_backend *be, cudaError_t e, const char *op, const char *call)
{
    if (e == cudaSuccess)
        return TRUE;
    rift_cuda_fail(be, op, "%s failed: %s (%s)", call, cudaGetErrorString(e), cudaGetErrorName(e));
    /* a failed runtime call is also left as the thread's "last error"; clear
     * it so that the next kernel launch check does not report it again */
    cudaGetLastError();
    return FALSE;
}

gboolean rift_cuda_ok(rift_backend *be, cublasStatus_t s, const char *op, const char *call)
{
    if (s == CUBLAS_STATUS_SUCCESS)
        return TRUE;
    rift_cuda_fail(be, op, "%s failed: %s", call, cublasGetStatusName(s));
    return FALSE;
}

/* cuFFT has no status-to-string function */
static const char *cufft_status_name(cufftResult r)
{
    switch (r) {
    case CUFFT_SUCCESS: return "CUFFT_SUCCESS";
    case CUFFT_INVALID_PLAN: return "CUFFT_INVALID_PLAN";
    case CUFFT_ALLOC_FAILED: return "CUFFT_ALLOC_FAILED";
    case CUFFT_INVALID_TYPE: return "CUFFT_INVALID_TYPE";
    case CUFFT_INVALID_VALUE: return "CUFFT_INVALID_VALUE";
    case CUFFT_INTERNAL_ERROR: return "CUFFT_INTERNAL_ERROR";
    case CUFFT_EXEC_FAILED: return "CUFFT_EXEC_FAILED";
    case CUFFT_SETUP_FAILED: return "CUFFT_SETUP_FAILED";
    case CUFFT_INVALID_SIZE: return "CUFFT_INVALID_SIZE";
    case CUFFT_UNALIGNED_DATA: return "CUFFT_UNALIGNED_DATA";
    case CUFFT_INVALID_DEVICE: return "CUFFT_INVALID_DEVICE";
    case CUFFT_NO_WORKSPACE: return "CUFFT_NO_WORKSPACE";
    case CUFFT_NOT_IMPLEMENTED: return "CUFFT_NOT_IMPLEMENTED";
    case CUFFT_NOT_SUPPORTED: return "CUFFT_NOT_SUPPORTED";
    default: return "unknown cufftResult";
    }
}

gboolean rift_cuda_ok(rift_backend *be, cufftResult r, const char *op, const char *call)
{
    if (r == CUFFT_SUCCESS)
        return TRUE;
    rift_cuda_fail(be, op, "%s failed: %s (%d)", call, cufft_status_name(r), (int)r);
    return FALSE;
}

gboolean rift_cuda_enter(rift_backend *be, const char *op)
{
    return RIFT_CUDA_TRY(be, op, cudaSetDevice, be->device);
}

gboolean rift_cuda_begin_op(rift_backend *be, const char *op, gboolean operands_set)
{
    if (!operands_set) {
        rift_cuda_fail(be, op, "an operand is NULL (did an allocation fail?)");
        return FALSE;
    }
    return rift_cuda_enter(be, op);
}

/* ---- memory ---- */

/* Stream-ordered where the device has memory pools: a free is ordered after
 * the work already queued that reads the block, so callers may free without
 * a sync. Otherwise cudaFree, which waits for the device, gives the same. */
static void *device_alloc(rift_cuda_backend *c, const char *op, size_t nbytes)
{
    void *p = NULL;
    char call[64];
    g_snprintf(call, sizeof call, "%s(%zu bytes)", c->pools ? "cudaMallocAsync" : "cudaMalloc",
               nbytes);
    const cudaError_t e =
        c->pools ? cudaMallocAsync(&p, nbytes, c->stream) : cudaMalloc(&p, nbytes);
    return rift_cuda_ok(&c->base, e, op, call) ? p : NULL;
}

static void device_free(rift_cuda_backend *c, const char *op, void *p)
{
    if (c->pools)
        RIFT_CUDA_TRY(&c->base, op, cudaFreeAsync, p, c->stream);
    else
        RIFT_CUDA_TRY(&c->base, op, cudaFree, p);
}

/* Never NULL on success, as on the CPU, so a zero-sized tensor has an address. */
static void *cuda_alloc(rift_backend *be, size_t nbytes)
{
    if (!rift_cuda_enter(be, "alloc"))
        return NULL;
    return device_alloc(rift_cuda(be), "alloc", MAX(nbytes, 1));
}

static void cuda_free(rift_backend *be, void *p)
{
    if (rift_cuda_enter(be, "free"))
        device_free(rift_cuda(be), "free", p);
}

static void cuda_upload(rift_backend *be, void *dst, const void *host_src, size_t nbytes)
{
    if (rift_cuda_enter(be, "upload"))
        RIFT_CUDA_TRY(be, "upload", cudaMemcpyAsync, dst, host_src, nbytes,
                      cudaMemcpyHostToDevice, rift_cuda(be)->stream);
}

static void cuda_download(rift_backend *be, void *host_dst, const void *src, size_t nbytes)
{
    if (rift_cuda_enter(be, "download"))
        RIFT_CUDA_TRY(be, "download", cudaMemcpyAsync, host_dst, src, nbytes,
                      cudaMemcpyDeviceToHost, rift_cuda(be)->stream);
}

static void cuda_memset0(rift_backend *be, void *dst, size_t nbytes)
{
    if (rift_cuda_enter(be, "memset0"))
        RIFT_CUDA_TRY(be, "memset0", cudaMemsetAsync, dst, 0, nbytes, rift_cuda(be)->stream);
}

static void cuda_copy(rift_backend *be, void *dst, const void *src, size_t nbytes)
{
    if (rift_cuda_enter(be, "copy"))
        RIFT_CUDA_TRY(be, "copy", cudaMemcpyAsync, dst, src, nbytes, cudaMemcpyDeviceToDevice,
                      rift_cuda(be)->stream);
}

/* A fault inside a kernel is reported here, by the first call that sees it;
 * CUDA_LAUNCH_BLOCKING=1 makes it point at the launch instead. */
static gboolean cuda_sync(rift_backend *be, GError **err)
{
    if (rift_cuda_enter(be, "sync"))
        RIFT_CUDA_TRY(be, "sync", cudaStreamSynchronize, rift_cuda(be)->stream);
    return rift_backend_take_error(be, err);
}

/* The default memory pool's high-water mark: every cudaMallocAsync of this
 * process on the device, i.e. our tensors, work buffers and the ops' scratch
 * (not the context, nor cuBLAS's and cuFFT's own work areas). Unknown (0)
 * without memory pools. */
static size_t cuda_peak_memory(rift_backend *be)
{
    cudaMemPool_t pool;
    uint64_t high = 0; /* cuuint64_t */
    if (!rift_cuda(be)->pools || !rift_cuda_enter(be, "peak_memory") ||
        !RIFT_CUDA_TRY(be, "peak_memory", cudaDeviceGetDefaultMemPool, &pool, be->device) ||
        !RIFT_CUDA_TRY(be, "peak_memory", cudaMemPoolGetAttribute, pool,
                       cudaMemPoolAttrUsedMemHigh, &high))
        return 0;
    return (size_t)high;
}

/* ---- shared resources of the ops ---- */

void *rift_cuda_scratch(rift_cuda_backend *c, const char *op, size_t nbytes)
{
    if (nbytes <= c->scratch_size)
        return c->scratch;
    if (c->scratch)
        device_free(c, op, c->scratch);
    c->scratch = device_alloc(c, op, nbytes);
    c->scratch_size = c->scratch ? nbytes : 0;
    return c->scratch;
}

gboolean rift_cuda_fft_plan(rift_cuda_backend *c, const char *op, int64_t n, int64_t batch,
                            cufftHandle *plan)
{
    rift_backend *be = &c->base;
    /* a hit, or else the least recently used slot (free slots have last_use 0) */
    rift_cuda_plan *slot = &c->plans[0];
    for (int i = 0; i < RIFT_CUDA_MAX_PLANS; i++) {
        rift_cuda_plan *p = &c->plans[i];
        if (p->n == n && p->batch == batch) {
            p->last_use = ++c->plan_clock;
            *plan = p->plan;
            return TRUE;
        }
        if (p->last_use < slot->last_use)
            slot = p;
    }
    if (slot->n) {
        /* queued transforms may still use the evicted plan's work area */
        if (!RIFT_CUDA_TRY(be, op, cudaStreamSynchronize, c->stream))
            return FALSE;
        RIFT_CUDA_TRY(be, op, cufftDestroy, slot->plan);
        slot->n = slot->batch = 0;
        slot->last_use = 0;
    }

    cufftHandle h;
    if (!RIFT_CUDA_TRY(be, op, cufftCreate, &h))
        return FALSE;
    long long len = n;
    size_t work = 0;
    /* the default ("basic") layout: rows of n reals in, rows of n/2+1 complex out */
    if (!RIFT_CUDA_TRY(be, op, cufftSetStream, h, c->stream) ||
        !RIFT_CUDA_TRY(be, op, cufftMakePlanMany64, h, 1, &len, NULL, 1, len, NULL, 1,
                       len / 2 + 1, CUFFT_R2C, (long long)batch, &work)) {
        cufftDestroy(h);
        return FALSE;
    }
    slot->n = n;
    slot->batch = batch;
    slot->plan = h;
    slot->last_use = ++c->plan_clock;
    *plan = h;
    return TRUE;
}

/* ---- lifetime ---- */

/* The common part (sticky error, description, lock) is already gone: failures
 * here can only be logged. Also tears down a half-built backend. */
static void cuda_destroy(rift_backend *be)
{
    rift_cuda_backend *c = rift_cuda(be);
    cudaError_t e = cudaSetDevice(be->device);
    if (c->stream && e == cudaSuccess)
        e = cudaStreamSynchronize(c->stream);
    if (c->stream && e != cudaSuccess)
        g_warning("cuda:%d: work still queued at teardown failed: %s", be->device,
                  cudaGetErrorString(e));
    for (int i = 0; i < RIFT_CUDA_MAX_PLANS; i++)
        if (c->plans[i].n)
            cufftDestroy(c->plans[i].plan);
    if (c->scratch && c->pools)
        cudaFreeAsync(c->scratch, c->stream);
    else if (c->scratch)
        cudaFree(c->scratch);
    if (c->blas)
        cublasDestroy(c->blas);
    if (c->stream)
        cudaStreamDestroy(c->stream);
    g_mutex_clear(&c->lock);
    g_free(c);
}

static const rift_backend_i cuda_iface = {
    /* .destroy = */ cuda_destroy,
    /* .alloc = */ cuda_alloc,
    /* .free = */ cuda_free,
    /* .upload = */ cuda_upload,
    /* .download = */ cuda_download,
    /* .memset0 = */ cuda_memset0,
    /* .copy = */ cuda_copy,
    /* .sync = */ cuda_sync,
    /* .peak_memory = */ cuda_peak_memory,
    /* .gemm = */ rift_cuda_gemm,
    /* .supports_precision = */ rift_cuda_supports_precision,
    /* .to_lowp = */ rift_cuda_to_lowp,
    /* .gemm_lowp = */ rift_cuda_gemm_lowp,
    /* .reflect_pad = */ rift_cuda_reflect_pad,
    /* .stft_magnitude = */ rift_cuda_stft_magnitude,
    /* .log_clamp = */ rift_cuda_log_clamp,
    /* .frame_rms = */ rift_cuda_frame_rms,
    /* .layernorm = */ rift_cuda_layernorm,
    /* .fill_rows = */ rift_cuda_fill_rows,
    /* .gated_add = */ rift_cuda_gated_add,
    /* .silu = */ rift_cuda_silu,
    /* .relu_sq = */ rift_cuda_relu_sq,
    /* .dwconv1d = */ rift_cuda_dwconv1d,
    /* .rope_headnorm = */ rift_cuda_rope_headnorm,
    /* .attention_workspace = */ rift_cuda_attention_workspace,
    /* .attention = */ rift_cuda_attention,
    /* .zero_pad_rows = */ rift_cuda_zero_pad_rows,
    /* .guide = */ rift_cuda_guide,
    /* .axpy = */ rift_cuda_axpy,
    /* .moments = */ rift_cuda_moments,
    /* .cfg_rescale = */ rift_cuda_cfg_rescale,
    /* .conv2d = */ rift_cuda_conv2d,
    /* .conv2d_workspace = */ rift_cuda_conv2d_workspace,
    /* .conv_transpose2d = */ rift_cuda_conv_transpose2d,
    /* .conv_transpose2d_workspace = */ rift_cuda_conv_transpose2d_workspace,
    /* .avgpool2d = */ rift_cuda_avgpool2d,
    /* .channel_affine = */ rift_cuda_channel_affine,
    /* .relu = */ rift_cuda_relu,
    /* .sigmoid = */ rift_cuda_sigmoid,
    /* .gelu = */ rift_cuda_gelu,
    /* .gru = */ rift_cuda_gru,
    /* .conv1d = */ rift_cuda_conv1d,
    /* .conv1d_workspace = */ rift_cuda_conv1d_workspace,
    /* .channel_norm = */ rift_cuda_channel_norm,
    /* .conv_transpose1d = */ rift_cuda_conv_transpose1d,
    /* .conv_transpose1d_workspace = */ rift_cuda_conv_transpose1d_workspace,
    /* .leaky_relu = */ rift_cuda_leaky_relu,
    /* .tanh = */ rift_cuda_tanh,
    /* .nsf_source = */ rift_cuda_nsf_source,
};

/* Why device `device` cannot be used, or NULL when it can (g_free it). */
static char *device_unusable(int device)
{
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess)
        cudaGetLastError();
    /* what cudart says when libcuda is missing altogether is misleading */
    if (e == cudaErrorInsufficientDriver)
        return g_strdup_printf("no NVIDIA driver, or one older than this build's CUDA runtime "
                               "%d.%d (cudaGetDeviceCount: %s)",
                               CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10,
                               cudaGetErrorName(e));
    if (e != cudaSuccess)
        return g_strdup_printf("no usable CUDA driver or device (cudaGetDeviceCount: %s, %s)",
                               cudaGetErrorString(e), cudaGetErrorName(e));
    if (count == 0)
        return g_strdup("no CUDA device found");
    if (device >= count)
        return g_strdup_printf("no CUDA device %d (%d present)", device, count);
    int major = 0, minor = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
        cudaGetLastError();
        return g_strdup_printf("cannot read the compute capability of CUDA device %d", device);
    }
    if (major < RIFT_CUDA_MIN_MAJOR)
        return g_strdup_printf("CUDA device %d is sm_%d%d; this build has kernels for sm_%d0 "
                               "and newer",
                               device, major, minor, RIFT_CUDA_MIN_MAJOR);
    return NULL;
}

gboolean rift_cuda_probe(char **why)
{
    char *reason = device_unusable(0);
    if (!reason)
        return TRUE;
    if (why)
        *why = reason;
    else
        g_free(reason);
    return FALSE;
}

rift_backend *rift_cuda_backend_new(int device, GError **err)
{
    if (device < 0)
        device = 0;
    char *why = device_unusable(device);
    if (why) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED, "backend 'cuda': %s", why);
        g_free(why);
        return NULL;
    }
    cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, device) != cudaSuccess) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_BACKEND,
                    "backend 'cuda': cannot read the properties of device %d: %s", device,
                    cudaGetErrorString(cudaGetLastError()));
        return NULL;
    }

    rift_cuda_backend *c = g_new0(rift_cuda_backend, 1);
    rift_backend *be = &c->base;
    g_mutex_init(&c->lock);
    rift_backend_init_common(be, &cuda_iface, RIFT_BACKEND_CUDA, device,
                             g_strdup_printf("cuda:%d (%s, sm_%d%d, %.1f GiB)", device, prop.name,
                                             prop.major, prop.minor,
                                             prop.totalGlobalMem / (1024.0 * 1024.0 * 1024.0)));
    /* cudaSetDevice makes the device's primary context (the one the CUDA
     * runtime, PyTorch and most libraries share) current, creating it once.
     * FP32 math in cuBLAS (no TF32 tensor cores): the fixtures are fp32. */
    int pools = 0;
    const gboolean ok =
        RIFT_CUDA_TRY(be, "init", cudaSetDevice, device) &&
        RIFT_CUDA_TRY(be, "init", cudaDeviceGetAttribute, &pools, cudaDevAttrMemoryPoolsSupported,
                      device) &&
        RIFT_CUDA_TRY(be, "init", cudaStreamCreateWithFlags, &c->stream, cudaStreamNonBlocking) &&
        RIFT_CUDA_TRY(be, "init", cublasCreate, &c->blas) &&
        RIFT_CUDA_TRY(be, "init", cublasSetStream, c->blas, c->stream) &&
        RIFT_CUDA_TRY(be, "init", cublasSetMathMode, c->blas, CUBLAS_DEFAULT_MATH);
    c->pools = pools != 0;
    int blas_version = 0, runtime = 0;
    if (ok && cublasGetVersion(c->blas, &blas_version) == CUBLAS_STATUS_SUCCESS &&
        cudaRuntimeGetVersion(&runtime) == cudaSuccess)
        rift_backend_set_libraries(
            be,
            g_strdup_printf("cuBLAS %d.%d.%d, CUDA runtime %d.%d", blas_version / 10000,
                            blas_version / 100 % 100, blas_version % 100, runtime / 1000,
                            runtime % 1000 / 10),
            /* cuda/meson.build: machine code for sm_80 and sm_90, compute_90
             * PTX for the rest */
            g_strdup_printf("sm_%d%d, %s", prop.major, prop.minor,
                            prop.major == 8   ? "sm_80 machine code"
                            : prop.major == 9 ? "sm_90 machine code"
                                              : "compute_90 PTX compiled at load"));
    if (!ok) {
        rift_backend_take_error(be, err);
        rift_backend_unref(be);
        return NULL;
    }
    return be;
}
