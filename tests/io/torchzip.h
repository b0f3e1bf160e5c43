/* torchzip.h — test helpers that write torch.save-style archives from C:
 * a protocol-2 pickle built opcode by opcode, and a zip (minizip's writer)
 * holding it with its storage records. Used by test-torch.c and
 * test-bad-input.c, so no test needs Python.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* ---- pickle bytes ---- */
GByteArray *pk_new(void);                  /* PROTO 2 */
void pk_op(GByteArray *b, guint8 op);
void pk_str(GByteArray *b, const char *s); /* BINUNICODE */
void pk_int(GByteArray *b, int64_t i);     /* BININT / LONG1 */
void pk_global(GByteArray *b, const char *module, const char *name); /* GLOBAL */
/* _rebuild_tensor_v2(('storage', <module>.<storage_class>, key, 'cuda:0', numel),
 * offset, shape, stride, False, OrderedDict()) with the given strides (NULL:
 * contiguous). */
void pk_tensor(GByteArray *b, const char *storage_class, const char *key, int64_t numel,
               int64_t offset, int ndim, const int64_t *shape, const int64_t *stride);
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
/* A fresh temporary directory (g_free; remove with tz_rmtree). */
char *tz_tmpdir(void);
void tz_rmtree(const char *dir);
