/* tensor.h — the engine's tensor: a dtype, a shape and a pointer.
 *
 * Shapes are in PyTorch order (outermost first) so that error messages and
 * `rift-tool inspect` read like a state_dict. Tensors are always contiguous
 * (row-major). `data` is a host pointer unless `backend` says otherwise: a
 * tensor owned by a backend holds that backend's device memory.
 *
 * Weights loaded from files are views into a read-only mapping (never
 * copied); their `owner` is the weights object that keeps the mapping alive.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RIFT_MAX_DIMS 8

typedef enum {
    RIFT_F32,
    RIFT_F16,
    RIFT_BF16,
    RIFT_F64,
    RIFT_I64,
    RIFT_I32,
    RIFT_I16,
    RIFT_I8,
    RIFT_U8,
    RIFT_BOOL,
    RIFT_DTYPE_COUNT
} rift_dtype;

typedef struct rift_backend rift_backend;

typedef struct rift_tensor {
    rift_dtype dtype;
    int ndim;
    int64_t shape[RIFT_MAX_DIMS];
    void *data;            /* host pointer, or device pointer of `backend` */
    rift_backend *backend; /* NULL: host memory */
    gboolean owns_data;    /* free `data` (g_free or the backend's free) with the tensor */
    char *name;            /* may be NULL */
} rift_tensor;

/* dtype facts */
size_t rift_dtype_size(rift_dtype dt);
const char *rift_dtype_name(rift_dtype dt);          /* "F32", "BF16", ... (safetensors names) */
gboolean rift_dtype_from_name(const char *name, rift_dtype *out);

int64_t rift_tensor_numel(const rift_tensor *t);
size_t rift_tensor_nbytes(const rift_tensor *t);

/* "[128, 1025]" into buf (at least 24 * RIFT_MAX_DIMS bytes is always enough) */
char *rift_shape_str(char *buf, size_t size, int ndim, const int64_t *shape);

/* A new host tensor with zeroed storage; shape given as ndim values. */
rift_tensor *rift_tensor_new(rift_dtype dt, int ndim, const int64_t *shape);
rift_tensor *rift_tensor_new_1d(rift_dtype dt, int64_t d0);
rift_tensor *rift_tensor_new_2d(rift_dtype dt, int64_t d0, int64_t d1);
/* A host view of memory owned by someone else. */
rift_tensor *rift_tensor_view(rift_dtype dt, int ndim, const int64_t *shape, void *data);
void rift_tensor_free(rift_tensor *t);
void rift_tensor_set_name(rift_tensor *t, const char *name);

/* Check dtype and exact shape; on mismatch the error reads
 * "<what>: tensor '<name>' has wrong shape; expected F32 [768, 768], got F32 [768, 512]". */
gboolean rift_tensor_check(const rift_tensor *t, const char *what, rift_dtype dt, int ndim,
                           const int64_t *shape, GError **err);

/* Convert any float/int host tensor to a new contiguous F32 host buffer
 * (g_free it). Used at load time for F16/BF16/F64 weights. */
float *rift_tensor_to_f32(const rift_tensor *t, GError **err);

/* Scalar conversions (IEEE half, bfloat16) */
float rift_f16_to_f32(uint16_t h);
float rift_bf16_to_f32(uint16_t h);
uint16_t rift_f32_to_f16(float f);
uint16_t rift_f32_to_bf16(float f);

G_END_DECLS
