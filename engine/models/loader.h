/* loader.h — binding a model's tensors to backend memory, shape-checked.
 *
 * A loader walks one checkpoint under a name prefix. Each rift_loader_f32()
 * call finds "<prefix><name>", checks its shape against what the model's
 * hyper-parameters imply, and returns F32 backend memory: on the CPU a
 * float32 tensor is used in place, straight from the file mapping (never
 * copied); other dtypes, and every tensor on CUDA, are converted/uploaded once
 * and owned by the loader. Errors are sticky: after the first one every call
 * returns NULL and rift_loader_finish() reports it, so a model's load
 * function reads as a plain list of tensors.
 *
 *   "dit: state_dict/model.transformer.output.weight has wrong shape; expected [128, 64], got [100, 64]"
 */
#pragma once

#include "backend.h"
#include "weights.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct rift_loader rift_loader;

/* what: the model's name in messages ("dit", "rmvpe", ...) */
rift_loader *rift_loader_new(rift_weights *w, rift_backend *be, const char *prefix,
                             const char *what);

/* The tensor "<prefix><name>" as F32 backend memory with exactly this shape. */
float *rift_loader_f32(rift_loader *ld, int ndim, const int64_t *shape, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* The tensor itself (host view, any dtype) for reading sizes, or NULL. */
const rift_tensor *rift_loader_peek(rift_loader *ld, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* For weights transformed at load (a BatchNorm folded into a conv): a host
 * float32 copy of "<prefix><name>" with exactly this shape, marked used;
 * g_free it. NULL after an error, as rift_loader_f32. */
float *rift_loader_host_f32(rift_loader *ld, int ndim, const int64_t *shape, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* n floats of host memory as backend memory the loader owns (moves to
 * *owned with the others). NULL after an error. */
float *rift_loader_upload(rift_loader *ld, const float *host, int64_t n);
/* Mark every tensor whose name starts with "<prefix><sub>" as used: what a
 * checkpoint holds that the forward never reads (none is fine). */
void rift_loader_ignore(rift_loader *ld, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Record a model-level error (the first one wins). */
void rift_loader_fail(rift_loader *ld, GError *error);
gboolean rift_loader_failed(const rift_loader *ld);

/* Ends loading: FALSE with the first error, or when tensors under the prefix
 * were never bound (unexpected tensors are a sign of another model type or
 * version, so they are an error listing them). On success the loader's
 * buffers move to *owned (free them with rift_loader_free_owned). */
gboolean rift_loader_finish(rift_loader *ld, GPtrArray **owned, GError **err);
void rift_loader_free_owned(rift_backend *be, GPtrArray *owned);

G_END_DECLS
