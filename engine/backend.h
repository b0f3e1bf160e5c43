/* backend.h — where tensors live and ops run: the CPU, or a CUDA device.
 *
 * A backend is chosen at run time. RIFT_BACKEND_AUTO takes CUDA when this
 * build has it and a device answers, and otherwise the CPU (saying why, once
 * per process). Memory returned by rift_backend_alloc() belongs to the
 * backend: host memory on the CPU backend, device memory on CUDA.
 *
 * Ops (ops.h) are enqueued and do not report errors one by one: a failure is
 * kept in the backend (sticky, like cudaGetLastError) and returned by
 * rift_backend_sync(), which also waits for queued work.
 *
 *     GError *err = NULL;
 *     rift_backend *be = rift_backend_new(RIFT_BACKEND_AUTO, -1, &err);
 *     float *d = rift_backend_alloc(be, n * sizeof(float));
 *     rift_backend_upload(be, d, host, n * sizeof(float));
 *     rift_op_log_clamp(be, d, n, 1e-5f);
 *     rift_backend_download(be, host, d, n * sizeof(float));
 *     if (!rift_backend_sync(be, &err)) ...
 *     rift_backend_free_mem(be, d);
 *     rift_backend_unref(be);
 */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

typedef struct rift_backend rift_backend;

typedef enum {
    RIFT_BACKEND_AUTO,
    RIFT_BACKEND_CPU,
    RIFT_BACKEND_CUDA,
} rift_backend_kind;

/* device: CUDA device ordinal, -1 = the first one; ignored by the CPU. */
rift_backend *rift_backend_new(rift_backend_kind kind, int device, GError **err);
rift_backend *rift_backend_ref(rift_backend *be);
void rift_backend_unref(rift_backend *be);

rift_backend_kind rift_backend_get_kind(const rift_backend *be);
/* The CUDA device ordinal the backend runs on; 0 for the CPU. */
int rift_backend_get_device(const rift_backend *be);
/* "cpu (OpenBLAS 0.3.21 ..., core Cooperlake, 2 BLAS threads, 2 OpenMP threads)",
 * "cuda:0 (NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB)" */
const char *rift_backend_describe(const rift_backend *be);
/* For benchmark reports, what does the work: the BLAS behind rift_op_gemm
 * ("OpenBLAS 0.3.21 ... USE_OPENMP Cooperlake MAX_THREADS=64", "cuBLAS 12.4.5")
 * and the kernel set the ops run ("OpenBLAS core Cooperlake, own loops SSE2",
 * "sm_90, sm_90 machine code"). */
const char *rift_backend_blas(const rift_backend *be);
const char *rift_backend_kernels(const rift_backend *be);
/* The most device memory the backend's allocations held at once since it was
 * made, in bytes; 0 where that is unknown and on the CPU, whose memory is the
 * process's (its peak RSS). */
size_t rift_backend_peak_memory(rift_backend *be);

/* TRUE when this build has the CUDA backend and a device can be opened;
 * *why gets the reason otherwise (g_free it). */
gboolean rift_backend_cuda_available(char **why);

/* "auto" / "cpu" / "cuda" */
gboolean rift_backend_kind_from_string(const char *s, rift_backend_kind *out);
const char *rift_backend_kind_to_string(rift_backend_kind kind);

/* Copies may run asynchronously (CUDA): a host buffer given to upload or
 * download must stay valid, and a download's result is only there, after
 * rift_backend_sync(). */
void *rift_backend_alloc(rift_backend *be, size_t nbytes);
void rift_backend_free_mem(rift_backend *be, void *p);
void rift_backend_upload(rift_backend *be, void *dst, const void *host_src, size_t nbytes);
void rift_backend_download(rift_backend *be, void *host_dst, const void *src, size_t nbytes);
void rift_backend_memset0(rift_backend *be, void *dst, size_t nbytes);
/* dst and src both backend memory, not overlapping */
void rift_backend_copy(rift_backend *be, void *dst, const void *src, size_t nbytes);
gboolean rift_backend_sync(rift_backend *be, GError **err);

G_END_DECLS
