/* torchzip.h — test helpers that write torch.save-style archives from C:
 * a protocol-2 pickle built opcode by opcode, and a zip (minizip's writer)
 * holding it with its storage records. Used by test-torch.c,
 * test-bad-input.c and the synthetic checkpoints of tests/common/synth.h,
 * so no test needs Python.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* ---- pickle bytes ---- */
GByteArray *pk_new(void);                  /* PROTO 2 */
void pk_op(GByteArray *b, guint8 op);
void pk_str(GByteArray *b, const char *s); /* BINUNICODE */
void pk_int(GByteArray *b, int64_t i);     /* BININT / LONG1 */
void pk_float(GByteArray *b, double v);    /* BINFLOAT */
void pk_global(GByteArray *b, const char *module, const char *name); /* GLOBAL */
/* OrderedDict() with its items to follow: GLOBAL, EMPTY_TUPLE, REDUCE, MARK */
void pk_ordered_dict_begin(GByteArray *b);
/* _rebuild_tensor_v2(('storage', <module>.<storage_class>, key, 'cuda:0', numel),
 * offset, shape, stride, False, OrderedDict()) with the given strides (NULL:
 * contiguous). */
void pk_tensor(GByteArray *b, const char *storage_class, const char *key, int64_t numel,
               int64_t offset, int ndim, const int64_t *shape, const int64_t *stride);
/* 'name': <tensor> as a dict item, its contiguous data (ndim 0: a scalar) of
 * elem_size-byte values appended to `storages` (GByteArray *, keyed by index)
 * as a new record; data NULL: zeros. */
void pk_tensor_item(GByteArray *b, GPtrArray *storages, const char *name,
                    const char *storage_class, const void *data, gsize elem_size, int ndim,
                    const int64_t *shape);
/* After a state_dict's items (SETITEMS): its _metadata, {module: {'version':
 * versions[i]}} (versions NULL: all 1), attached by BUILD as pickle saves an
 * OrderedDict's instance attributes. */
void pk_metadata_build(GByteArray *b, const char *const *modules, const int64_t *versions,
                       guint n);
void pk_stop(GByteArray *b);

/* ---- zip ---- */
typedef struct {
    const char *name; /* full record name, "archive/data/0" */
    const void *data;
    gsize size;
    gboolean deflate; /* compress it (torch never does; other zippers may) */
} tz_record;

/* Write the records to `path`; FALSE (and a failed check) on error. */
gboolean tz_write(const char *path, const tz_record *records, guint n);
/* A torch.save archive: stem/data.pkl, the storages (GByteArray *) as
 * stem/data/<index>, stem/version; FALSE (and a failed check) on error. */
gboolean tz_write_torch(const char *path, const char *stem, const GByteArray *pkl,
                        const GPtrArray *storages);
/* A fresh temporary directory (g_free; remove with tz_rmtree). */
char *tz_tmpdir(void);
void tz_rmtree(const char *dir);
