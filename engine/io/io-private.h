/* io-private.h — what the format readers share inside engine/io: building a
 * rift_weights, mapping checks, JSON parsing. Not installed, not for models.
 */
#pragma once

#include "value-private.h"
#include "weights.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* safetensors' own limit on the JSON header, and a sane one for pickles. */
#define RIFT_SAFETENSORS_MAX_HEADER (100u << 20)

/* json.c: parse `len` bytes of JSON after refusing NUL bytes and deep
 * nesting; errors read "<what>: invalid JSON: ...". */
JsonParser *rift_json_parse(const char *text, gsize len, const char *what, GError **err);

/* weights.c: the object under construction. */
const guint8 *rift_weights_bytes(const rift_weights *w, gsize *size);
void rift_weights_set_meta(rift_weights *w, rift_value *root);
/* A pointer to `nbytes` at `data` that is aligned for `dt`: `data` itself
 * (a view into the mapping) or, when it is misaligned, a copy kept alive by
 * `w` — vectorised loops may assume element alignment. */
void *rift_weights_aligned(rift_weights *w, const void *data, gsize nbytes, rift_dtype dt);
/* Keep `buf` (g_malloc'ed) alive as long as `w`. */
void rift_weights_keep(rift_weights *w, gpointer buf);
/* Add a named view of `data` (already aligned). */
const rift_tensor *rift_weights_add(rift_weights *w, const char *name, rift_dtype dt, int ndim,
                                    const int64_t *shape, void *data);

/* Element count and byte size of a shape; FALSE on a negative dimension or
 * overflow (numel and nbytes always fit int64_t when TRUE). */
gboolean rift_shape_bytes(int ndim, const int64_t *shape, rift_dtype dt, int64_t *numel,
                          int64_t *nbytes);

/* pickle.c: the restricted unpickler. Builds data only: classes become
 * inert OBJECT values, torch's tensor rebuild calls become unresolved TENSOR
 * values (their `args` kept for torch.c), persistent ids become OBJECTs of
 * class RIFT_PICKLE_PERSID with the id tuple as `args`. `what` names the
 * record in messages ("<file>: archive/data.pkl"). */
#define RIFT_PICKLE_PERSID "__persistent_id__"
#define RIFT_PICKLE_MAX_BYTES (256u << 20)
rift_value *rift_pickle_load(const guint8 *data, gsize len, const char *what, GError **err);

/* The readers; they fill `w` (tensors and meta). */
gboolean rift_safetensors_read(rift_weights *w, GError **err);
gboolean rift_torch_read(rift_weights *w, GError **err);

G_END_DECLS
