/* cuda-backend.cuh — the CUDA backend's state, its shared resources (cuFFT
 * plan cache, scratch memory) and the error checks every op in cuda/ uses.
 * Included by the .cu files of cuda/ only; the engine sees a plain
 * rift_backend. Tested through tests/backend/test-backend-ops.c. */
#pragma once

#include "backend-impl.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cufft.h>

/* The oldest compute capability this build has machine code for (sm_80; see
 * the gencode list in cuda/meson.build). Newer majors run the compute_90 PTX. */
#define RIFT_CUDA_MIN_MAJOR 8

/* How many cuFFT plans one backend keeps (each holds a work area on the
 * device); segments of many lengths would otherwise grow the cache forever. */
#define RIFT_CUDA_MAX_PLANS 8

typedef struct {
    int64_t n, batch; /* batched real-to-complex transform of length n; n == 0: free slot */
    cufftHandle plan;
    uint64_t last_use;
} rift_cuda_plan;

typedef struct {
    rift_backend base; /* first, so that a rift_backend * is a rift_cuda_backend * */
    cudaStream_t stream;
    cublasHandle_t blas; /* bound to `stream` */
    gboolean pools;      /* stream-ordered allocation (cudaMallocAsync) is supported */
    /* guards the plan cache and the scratch buffer while an op enqueues work;
     * the work itself is ordered by the one stream */
    GMutex lock;
    rift_cuda_plan plans[RIFT_CUDA_MAX_PLANS];
    uint64_t plan_clock;
    void *scratch;
    size_t scratch_size;
} rift_cuda_backend;

static inline rift_cuda_backend *rift_cuda(rift_backend *be)
{
    return (rift_cuda_backend *)be;
}

/* Record "cuda <op>: <message>" as the backend's sticky error. */
void rift_cuda_fail(rift_backend *be, const char *op, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* TRUE when the call succeeded; otherwise record "cuda <op>: <call> failed:
 * <reason>" and return FALSE. One per library's status type. */
gboolean rift_cuda_ok(rift_backend *be, cudaError_t e, const char *op, const char *call);
gboolean rift_cuda_ok(rift_backend *be, cublasStatus_t s, const char *op, const char *call);
gboolean rift_cuda_ok(rift_backend *be, cufftResult r, const char *op, const char *call);

/* RIFT_CUDA_TRY(be, "gemm", cublasSgemm, handle, ...) calls the function and
 * checks its status, naming the op and the function in the error. */
#define RIFT_CUDA_TRY(be, op, fn, ...) rift_cuda_ok((be), fn(__VA_ARGS__), (op), #fn)

/* Every entry point starts here: make the backend's device current on the
 * calling thread (GStreamer elements call from their own threads). */
gboolean rift_cuda_enter(rift_backend *be, const char *op);

/* Every op starts here: rift_cuda_enter, and operands_set (all pointers
 * non-NULL) checked. A NULL operand means an allocation failed and said so
 * already; launching on it would fault and poison the context for good. */
gboolean rift_cuda_begin_op(rift_backend *be, const char *op, gboolean operands_set);

/* Call with c->lock held. A plan for `batch` real-to-complex transforms of
 * length n, running on c->stream (cached); FALSE after recording an error. */
gboolean rift_cuda_fft_plan(rift_cuda_backend *c, const char *op, int64_t n, int64_t batch,
                            cufftHandle *plan);
/* Call with c->lock held. Device scratch of at least nbytes for work enqueued
 * on c->stream before the lock is released (the next op may reuse it: the
 * stream orders them); NULL after recording an error. */
void *rift_cuda_scratch(rift_cuda_backend *c, const char *op, size_t nbytes);

/* Grid size for a grid-stride loop over n items with `threads` per block:
 * enough blocks to fill any current GPU, never more than the items need. */
static inline unsigned rift_cuda_blocks(int64_t n, int threads)
{
    const int64_t need = (n + threads - 1) / threads;
    return (unsigned)(need < 65535 ? (need > 0 ? need : 1) : 65535);
}

/* Kernels loop over their items with a grid stride, so any grid covers any n:
 *     RIFT_CUDA_FOR_EACH(i, n) out[i] = ...;
 * launched as kernel<<<RIFT_CUDA_GRID(n), 0, stream>>>(...) by a launcher
 * (rift_cuda_launch_*) that takes the stream and returns cudaGetLastError():
 * a bad configuration or a missing image for this device shows at once, a
 * fault inside the kernel only at the next sync. */
#define RIFT_CUDA_THREADS 256
#define RIFT_CUDA_FOR_EACH(i, n)                                               \
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); \
         i += (int64_t)gridDim.x * blockDim.x)
#define RIFT_CUDA_GRID(n) rift_cuda_blocks((n), RIFT_CUDA_THREADS), RIFT_CUDA_THREADS

