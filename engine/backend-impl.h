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
    /* wait for queued work; FALSE with the sticky error if any */
    gboolean (*sync)(rift_backend *be, GError **err);

    /* ops: same signatures as ops.h minus the backend */
    void (*gemm)(rift_backend *be, gboolean trans_a, gboolean trans_b, int64_t M, int64_t N,
                 int64_t K, float alpha, const float *A, int64_t lda, const float *B, int64_t ldb,
                 float beta, float *C, int64_t ldc);
    void (*reflect_pad)(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad);
    void (*stft_magnitude)(rift_backend *be, float *mag, const float *x, int64_t T,
                           int64_t n_fft, int64_t hop, const float *window, float eps);
    void (*log_clamp)(rift_backend *be, float *x, int64_t n, float floor);
    void (*frame_rms)(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                      int64_t hop);
} rift_backend_i;

struct rift_backend {
    const rift_backend_i *iface;
    rift_backend_kind kind;
    int device;
    gint refcount;
    char *description;
    GError *sticky; /* first error since the last sync */
    GMutex lock;    /* guards `sticky` */
};

/* For backends: fill the common part; record an op failure (first one wins). */
void rift_backend_init_common(rift_backend *be, const rift_backend_i *iface,
                              rift_backend_kind kind, int device, char *description);
void rift_backend_set_error(rift_backend *be, GError *error);
gboolean rift_backend_take_error(rift_backend *be, GError **err);

/* Constructors, NULL with an error when unavailable. */
rift_backend *rift_cpu_backend_new(GError **err);
#if RIFT_HAVE_CUDA
rift_backend *rift_cuda_backend_new(int device, GError **err);
gboolean rift_cuda_probe(char **why);
#endif

G_END_DECLS
