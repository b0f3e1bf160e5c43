/* weights.c — rift_weights: map a model file, pick its reader by content,
 * hold the named tensor views and the metadata tree, bind tensors for model
 * loaders (take/unused).
 *
 * Tested by tests/io/test-safetensors.c, tests/io/test-torch.c and
 * tests/io/test-bad-input.c; fuzzed by tests/fuzz/fuzz-readers.c.
 */
#include "io-private.h"

#include "rift-error.h"

#include <string.h>

struct rift_weights {
    char *path;          /* the file, or the name given to open_bytes */
    const char *format;  /* "torch" or "safetensors" */
    GBytes *bytes;       /* the mapping (or the caller's bytes) */
    GPtrArray *tensors;  /* rift_tensor *, named views, in file order */
    GHashTable *by_name; /* name -> first rift_tensor of that name */
    GHashTable *taken;   /* names bound by rift_weights_take() */
    rift_value *meta;
    GPtrArray *buffers;  /* inflated or realigned copies owned by us */
};

/* torch.save before 1.6 wrote a bare pickle that starts with this magic
 * number (protocol 2, LONG1 0x1950a86a20f9469cfc6c). */
static const guint8 legacy_torch_magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46};

static rift_weights *weights_new(GBytes *bytes, const char *name)
{
    rift_weights *w = g_new0(rift_weights, 1);
    w->path = g_strdup(name);
    w->bytes = g_bytes_ref(bytes);
    w->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
    w->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    w->taken = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    w->buffers = g_ptr_array_new_with_free_func(g_free);
    return w;
}

void rift_weights_free(rift_weights *w)
{
    if (!w)
        return;
    g_hash_table_unref(w->by_name);
    g_hash_table_unref(w->taken);
    g_ptr_array_unref(w->tensors);
    rift_value_free(w->meta);
    g_ptr_array_unref(w->buffers);
    g_bytes_unref(w->bytes);
    g_free(w->path);
    g_free(w);
}

static gboolean read_by_content(rift_weights *w, GError **err)
{
    gsize size;
    const guint8 *d = g_bytes_get_data(w->bytes, &size);
    if (size == 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: file is empty", w->path);
        return FALSE;
    }
    if (size >= 4 && (memcmp(d, "PK\x03\x04", 4) == 0 || memcmp(d, "PK\x05\x06", 4) == 0)) {
        w->format = "torch";
        return rift_torch_read(w, err);
    }
    if (size >= 9 && d[8] == '{') {
        w->format = "safetensors";
        return rift_safetensors_read(w, err);
    }
    if (size >= sizeof legacy_torch_magic &&
        memcmp(d, legacy_torch_magic, sizeof legacy_torch_magic) == 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                    "%s: legacy torch.save format (before PyTorch 1.6); re-save it with a newer "
                    "torch.save, which writes a zip",
                    w->path);
        return FALSE;
    }
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                "%s: not a PyTorch checkpoint (zip) or a safetensors file "
                "(first bytes %02x %02x %02x %02x)",
                w->path, d[0], size > 1 ? d[1] : 0, size > 2 ? d[2] : 0, size > 3 ? d[3] : 0);
    return FALSE;
}

rift_weights *rift_weights_open_bytes(GBytes *bytes, const char *name, GError **err)
{
    rift_weights *w = weights_new(bytes, name ? name : "(memory)");
    gboolean ok = read_by_content(w, err);
    if (ok && w->tensors->len == 0) { /* a model file without weights is the wrong file */
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: %s file holds no tensors", w->path,
                    w->format);
        ok = FALSE;
    }
    if (!ok) {
        rift_weights_free(w);
        return NULL;
    }
    if (!w->meta)
        w->meta = rift_value_new_root(RIFT_VAL_DICT);
    return w;
}

rift_weights *rift_weights_open(const char *path, GError **err)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_IO,
                    "%s: is a directory; expected a model file (.ckpt, .pt, .bin, .safetensors)",
                    path);
        return NULL;
    }
    GError *merr = NULL;
    GMappedFile *mf = g_mapped_file_new(path, FALSE, &merr);
    if (!mf) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_IO, "%s: cannot map the file: %s", path,
                    merr->message);
        g_error_free(merr);
        return NULL;
    }
    GBytes *bytes = g_mapped_file_get_bytes(mf);
    g_mapped_file_unref(mf); /* the bytes hold the mapping */
    rift_weights *w = rift_weights_open_bytes(bytes, path, err);
    g_bytes_unref(bytes);
    return w;
}

const char *rift_weights_path(const rift_weights *w)
{
    return w->path;
}

const char *rift_weights_format(const rift_weights *w)
{
    return w->format;
}

guint rift_weights_count(const rift_weights *w)
{
    return w->tensors->len;
}

const rift_tensor *rift_weights_nth(const rift_weights *w, guint i)
{
    return i < w->tensors->len ? w->tensors->pdata[i] : NULL;
}

const rift_tensor *rift_weights_find(const rift_weights *w, const char *name)
{
    return g_hash_table_lookup(w->by_name, name);
}

const rift_value *rift_weights_meta(const rift_weights *w)
{
    return w->meta;
}

const rift_tensor *rift_weights_take(rift_weights *w, const char *prefix, const char *name,
                                     rift_dtype dt, int ndim, const int64_t *shape, GError **err)
{
    char *full = g_strconcat(prefix ? prefix : "", name, NULL);
    const rift_tensor *t = rift_weights_find(w, full);
    if (!t) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING, "%s: tensor '%s' is missing", w->path,
                    full);
        g_free(full);
        return NULL;
    }
    if (!rift_tensor_check(t, w->path, dt, ndim, shape, err)) {
        g_free(full);
        return NULL;
    }
    g_hash_table_add(w->taken, full);
    return t;
}

char **rift_weights_unused(const rift_weights *w, const char *prefix)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < w->tensors->len; i++) {
        const rift_tensor *t = w->tensors->pdata[i];
        if (prefix && !g_str_has_prefix(t->name, prefix))
            continue;
        if (g_hash_table_contains(w->taken, t->name) || !g_hash_table_add(seen, t->name))
            continue;
        g_ptr_array_add(names, g_strdup(t->name));
    }
    g_hash_table_unref(seen);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/* ---- for the readers (io-private.h) ---------------------------------- */

const guint8 *rift_weights_bytes(const rift_weights *w, gsize *size)
{
    return g_bytes_get_data(w->bytes, size);
}

void rift_weights_set_meta(rift_weights *w, rift_value *root)
{
    rift_value_free(w->meta);
    w->meta = root;
}

void rift_weights_keep(rift_weights *w, gpointer buf)
{
    g_ptr_array_add(w->buffers, buf);
}

void *rift_weights_aligned(rift_weights *w, const void *data, gsize nbytes, rift_dtype dt)
{
    if ((uintptr_t)data % rift_dtype_size(dt) == 0)
        return (void *)data; /* views of a read-only mapping: never written */
    void *copy = g_memdup2(data, nbytes);
    rift_weights_keep(w, copy);
    return copy;
}

const rift_tensor *rift_weights_add(rift_weights *w, const char *name, rift_dtype dt, int ndim,
                                    const int64_t *shape, void *data)
{
    rift_tensor *t = rift_tensor_view(dt, ndim, shape, data);
    rift_tensor_set_name(t, name);
    g_ptr_array_add(w->tensors, t);
    if (!g_hash_table_contains(w->by_name, t->name))
        g_hash_table_insert(w->by_name, t->name, t);
    return t;
}

gboolean rift_shape_bytes(int ndim, const int64_t *shape, rift_dtype dt, int64_t *numel,
                          int64_t *nbytes)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > INT64_MAX / shape[i]))
            return FALSE;
        n *= shape[i];
    }
    int64_t esize = (int64_t)rift_dtype_size(dt);
    if (esize == 0 || n > INT64_MAX / esize)
        return FALSE;
    *numel = n;
    *nbytes = n * esize;
    return TRUE;
}
