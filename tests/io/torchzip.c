/* torchzip.c — see torchzip.h. */
#include "torchzip.h"

#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>
#include <zip.h>

GByteArray *pk_new(void)
{
    GByteArray *b = g_byte_array_new();
    pk_op(b, 0x80); /* PROTO 2 */
    pk_op(b, 2);
    return b;
}

void pk_op(GByteArray *b, guint8 op)
{
    g_byte_array_append(b, &op, 1);
}

static void pk_u32(GByteArray *b, guint32 v)
{
    for (int i = 0; i < 4; i++)
        pk_op(b, (guint8)(v >> (8 * i)));
}

void pk_str(GByteArray *b, const char *s)
{
    pk_op(b, 'X');
    pk_u32(b, (guint32)strlen(s));
    g_byte_array_append(b, (const guint8 *)s, (guint)strlen(s));
}

void pk_int(GByteArray *b, int64_t i)
{
    if (i >= G_MININT32 && i <= G_MAXINT32) {
        pk_op(b, 'J');
        pk_u32(b, (guint32)(gint32)i);
        return;
    }
    pk_op(b, 0x8a); /* LONG1, 8 bytes of two's complement */
    pk_op(b, 8);
    for (int k = 0; k < 8; k++)
        pk_op(b, (guint8)((uint64_t)i >> (8 * k)));
}

void pk_global(GByteArray *b, const char *module, const char *name)
{
    pk_op(b, 'c');
    g_byte_array_append(b, (const guint8 *)module, (guint)strlen(module));
    pk_op(b, '\n');
    g_byte_array_append(b, (const guint8 *)name, (guint)strlen(name));
    pk_op(b, '\n');
}

void pk_float(GByteArray *b, double v)
{
    guint64 bits;
    memcpy(&bits, &v, sizeof bits);
    pk_op(b, 'G'); /* big-endian, unlike the integers */
    for (int i = 7; i >= 0; i--)
        pk_op(b, (guint8)(bits >> (8 * i)));
}

void pk_ordered_dict_begin(GByteArray *b)
{
    pk_global(b, "collections", "OrderedDict");
    pk_op(b, ')');
    pk_op(b, 'R');
    pk_op(b, '(');
}

static void pk_int_tuple(GByteArray *b, int n, const int64_t *v)
{
    pk_op(b, '(');
    for (int i = 0; i < n; i++)
        pk_int(b, v[i]);
    pk_op(b, 't');
}

void pk_tensor(GByteArray *b, const char *storage_class, const char *key, int64_t numel,
               int64_t offset, int ndim, const int64_t *shape, const int64_t *stride)
{
    int64_t contiguous[8];
    uint64_t s = 1; /* wraps for the absurd shapes of the bad-input tests, as intended */
    for (int d = ndim - 1; d >= 0; d--) {
        contiguous[d] = (int64_t)s;
        s *= (uint64_t)shape[d];
    }
    pk_global(b, "torch._utils", "_rebuild_tensor_v2");
    pk_op(b, '(');
    pk_op(b, '('); /* the persistent id */
    pk_str(b, "storage");
    const char *dot = strrchr(storage_class, '.');
    char *module = g_strndup(storage_class, (gsize)(dot - storage_class));
    pk_global(b, module, dot + 1);
    g_free(module);
    pk_str(b, key);
    pk_str(b, "cuda:0");
    pk_int(b, numel);
    pk_op(b, 't');
    pk_op(b, 'Q'); /* BINPERSID */
    pk_int(b, offset);
    pk_int_tuple(b, ndim, shape);
    pk_int_tuple(b, ndim, stride ? stride : contiguous);
    pk_op(b, 0x89); /* NEWFALSE: requires_grad */
    pk_global(b, "collections", "OrderedDict");
    pk_op(b, ')');
    pk_op(b, 'R');
    pk_op(b, 't');
    pk_op(b, 'R');
}

void pk_tensor_item(GByteArray *b, GPtrArray *storages, const char *name,
                    const char *storage_class, const void *data, gsize elem_size, int ndim,
                    const int64_t *shape)
{
    int64_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= shape[d];
    const guint bytes = (guint)(numel * (int64_t)elem_size);
    GByteArray *s = g_byte_array_sized_new(bytes);
    g_byte_array_set_size(s, bytes);
    if (data)
        memcpy(s->data, data, bytes);
    else
        memset(s->data, 0, bytes);
    g_ptr_array_add(storages, s);
    char *key = g_strdup_printf("%u", storages->len - 1);
    pk_str(b, name);
    pk_tensor(b, storage_class, key, numel, 0, ndim, shape, NULL);
    g_free(key);
}

void pk_metadata_build(GByteArray *b, const char *const *modules, const int64_t *versions,
                       guint n)
{
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "_metadata");
    pk_ordered_dict_begin(b);
    for (guint i = 0; i < n; i++) {
        pk_str(b, modules[i]);
        pk_op(b, '}');
        pk_str(b, "version");
        pk_int(b, versions ? versions[i] : 1);
        pk_op(b, 's');
    }
    pk_op(b, 'u');
    pk_op(b, 'u');
    pk_op(b, 'b'); /* BUILD */
}

void pk_stop(GByteArray *b)
{
    pk_op(b, '.');
}

gboolean tz_write(const char *path, const tz_record *records, guint n)
{
    zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
    gboolean ok = zf != NULL;
    for (guint i = 0; ok && i < n; i++) {
        const tz_record *r = &records[i];
        ok = zipOpenNewFileInZip64(zf, r->name, NULL, NULL, 0, NULL, 0, NULL,
                                   r->deflate ? Z_DEFLATED : 0, r->deflate ? 6 : 0, 0) == ZIP_OK &&
             zipWriteInFileInZip(zf, r->data, (unsigned)r->size) == ZIP_OK &&
             zipCloseFileInZip(zf) == ZIP_OK;
    }
    if (zf && zipClose(zf, NULL) != ZIP_OK)
        ok = FALSE;
    return rift_test_true(ok, "write test archive %s", path);
}

gboolean tz_write_torch(const char *path, const char *stem, const GByteArray *pkl,
                        const GPtrArray *storages)
{
    const guint n = storages->len;
    tz_record *recs = g_new0(tz_record, n + 2);
    char **names = g_new0(char *, n + 3);
    names[0] = g_strdup_printf("%s/data.pkl", stem);
    recs[0] = (tz_record){names[0], pkl->data, pkl->len, FALSE};
    for (guint i = 0; i < n; i++) {
        const GByteArray *s = storages->pdata[i];
        names[i + 1] = g_strdup_printf("%s/data/%u", stem, i);
        recs[i + 1] = (tz_record){names[i + 1], s->data, s->len, FALSE};
    }
    names[n + 1] = g_strdup_printf("%s/version", stem);
    recs[n + 1] = (tz_record){names[n + 1], "3\n", 2, FALSE};
    const gboolean ok = tz_write(path, recs, n + 2);
    g_strfreev(names);
    g_free(recs);
    return ok;
}

char *tz_tmpdir(void)
{
    return g_dir_make_tmp("rift-io-XXXXXX", NULL);
}

void tz_rmtree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *f; d && (f = g_dir_read_name(d));) {
        char *p = g_build_filename(dir, f, NULL);
        g_remove(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}
