/* torch.c — PyTorch torch.save zip checkpoints (.pt/.ckpt/.bin), torch 1.6+
 * and 2.x, read from a mapping.
 *
 * The archive is opened with minizip over memory callbacks (the same code
 * serves a mapped file and the fuzzer's bytes). `<top>/data.pkl` is
 * unpickled by pickle.c; `<top>` is whatever the single top folder is called
 * ("archive", or the file's stem). Tensors found in the tree are resolved
 * against `<top>/data/<key>` records: a STORED record (what torch writes) is
 * used in place, so a tensor is a view into the mapping; a compressed one is
 * inflated once into a buffer owned by the weights. Tensor names are the
 * '/'-joined key path from the root.
 *
 * Tested by tests/io/test-torch.c (fixture checkpoints, hand-built torch 2.x
 * archives, f16/bf16/i64 storages) and tests/io/test-bad-input.c; fuzzed by
 * tests/fuzz/fuzz-readers.c.
 */
#include "io-private.h"

#include "rift-error.h"

#include <string.h>
#include <unzip.h>

#define MAX_NAME 4096 /* bytes of a tensor name (a key path) */

/* ---- minizip over memory ------------------------------------------------- */

typedef struct {
    const guint8 *data;
    guint64 size;
} zmem;

typedef struct {
    const zmem *m;
    guint64 pos;
} zstream;

static voidpf ZCALLBACK zm_open(voidpf opaque, const void *filename, int mode)
{
    if (mode & ZLIB_FILEFUNC_MODE_WRITE)
        return NULL;
    zstream *s = g_new0(zstream, 1);
    s->m = opaque;
    return s;
}

static uLong ZCALLBACK zm_read(voidpf opaque, voidpf stream, void *buf, uLong size)
{
    zstream *s = stream;
    guint64 avail = s->pos < s->m->size ? s->m->size - s->pos : 0;
    uLong n = (uLong)MIN(avail, (guint64)size);
    if (n) {
        memcpy(buf, s->m->data + s->pos, n);
        s->pos += n;
    }
    return n;
}

static uLong ZCALLBACK zm_write(voidpf opaque, voidpf stream, const void *buf, uLong size)
{
    return 0; /* read-only */
}

static ZPOS64_T ZCALLBACK zm_tell(voidpf opaque, voidpf stream)
{
    return ((zstream *)stream)->pos;
}

static long ZCALLBACK zm_seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin)
{
    zstream *s = stream;
    guint64 base = origin == ZLIB_FILEFUNC_SEEK_SET   ? 0
                   : origin == ZLIB_FILEFUNC_SEEK_CUR ? s->pos
                                                      : s->m->size;
    if (base > s->m->size || offset > s->m->size - base)
        return -1;
    s->pos = base + offset;
    return 0;
}

static int ZCALLBACK zm_close(voidpf opaque, voidpf stream)
{
    g_free(stream);
    return 0;
}

static int ZCALLBACK zm_error(voidpf opaque, voidpf stream)
{
    return 0;
}

/* ---- the reader ---------------------------------------------------------- */

typedef struct {
    const guint8 *data; /* into the mapping, or `owned` */
    guint64 size;
    guint8 *owned;      /* an inflated copy (g_free) or NULL */
} record;

typedef struct {
    rift_weights *w;
    const char *path;
    const guint8 *base;
    gsize size;
    unzFile zip;
    char *top;            /* the top folder: "archive", "model", ... */
    GHashTable *entries;  /* record name -> unz64_file_pos * */
    GHashTable *storages; /* storage key -> record * */
    GHashTable *visited;  /* containers already walked */
    GString *name;        /* key path of the value being walked */
} torch_reader;

/* torch storage classes and dtypes -> our dtypes. */
static const struct {
    const char *name;
    rift_dtype dtype;
} storage_types[] = {
    {"FloatStorage", RIFT_F32},    {"HalfStorage", RIFT_F16},    {"BFloat16Storage", RIFT_BF16},
    {"DoubleStorage", RIFT_F64},   {"LongStorage", RIFT_I64},    {"IntStorage", RIFT_I32},
    {"ShortStorage", RIFT_I16},    {"CharStorage", RIFT_I8},     {"ByteStorage", RIFT_U8},
    {"BoolStorage", RIFT_BOOL},    {"UntypedStorage", RIFT_U8},  {"float32", RIFT_F32},
    {"float", RIFT_F32},           {"float16", RIFT_F16},        {"half", RIFT_F16},
    {"bfloat16", RIFT_BF16},       {"float64", RIFT_F64},        {"double", RIFT_F64},
    {"int64", RIFT_I64},           {"long", RIFT_I64},           {"int32", RIFT_I32},
    {"int", RIFT_I32},             {"int16", RIFT_I16},          {"short", RIFT_I16},
    {"int8", RIFT_I8},             {"uint8", RIFT_U8},           {"bool", RIFT_BOOL},
};

static gboolean fail(const torch_reader *r, const char *tensor, GError **err, int code,
                     const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static gboolean fail(const torch_reader *r, const char *tensor, GError **err, int code,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (tensor)
        g_set_error(err, RIFT_ERROR, code, "%s: tensor '%s': %s", r->path, tensor, why);
    else
        g_set_error(err, RIFT_ERROR, code, "%s: %s", r->path, why);
    g_free(why);
    return FALSE;
}

/* The end-of-central-directory record must end exactly at the end of the
 * file (after its comment). minizip alone would accept a file cut inside it
 * when the zip64 records before it survive; a cut file is a broken copy. */
static gboolean has_end_record(const guint8 *d, gsize size)
{
    if (size < 22)
        return FALSE;
    gsize lowest = size - 22 > 0xffff ? size - 22 - 0xffff : 0;
    for (gsize pos = size - 22 + 1; pos-- > lowest;) {
        if (memcmp(d + pos, "PK\x05\x06", 4) == 0 &&
            pos + 22 + (gsize)(d[pos + 20] | d[pos + 21] << 8) == size)
            return TRUE;
    }
    return FALSE;
}

/* `<top>/data.pkl` fixes the top folder; there must be exactly one. */
static gboolean note_entry(torch_reader *r, const char *name, GError **err)
{
    if (!g_hash_table_contains(r->entries, name)) {
        unz64_file_pos *pos = g_new0(unz64_file_pos, 1);
        unzGetFilePos64(r->zip, pos);
        g_hash_table_insert(r->entries, g_strdup(name), pos);
    }
    const char *slash = strchr(name, '/');
    if (!slash || strcmp(slash, "/data.pkl") != 0)
        return TRUE;
    char *top = g_strndup(name, (gsize)(slash - name));
    if (r->top && strcmp(r->top, top) != 0) {
        fail(r, NULL, err, RIFT_ERROR_FORMAT, "two pickles, %s/data.pkl and %s/data.pkl", r->top,
             top);
        g_free(top);
        return FALSE;
    }
    g_free(r->top);
    r->top = top;
    return TRUE;
}

static gboolean index_entries(torch_reader *r, GError **err)
{
    int rc = unzGoToFirstFile(r->zip);
    while (rc == UNZ_OK) {
        unz_file_info64 info;
        char name[1024];
        if (unzGetCurrentFileInfo64(r->zip, &info, name, sizeof name, NULL, 0, NULL, 0) !=
            UNZ_OK)
            break;
        /* longer names are no records of ours */
        if (info.size_filename < sizeof name && !note_entry(r, name, err))
            return FALSE;
        rc = unzGoToNextFile(r->zip);
    }
    if (rc != UNZ_END_OF_LIST_OF_FILE)
        return fail(r, NULL, err, RIFT_ERROR_FORMAT, "corrupt zip central directory (truncated?)");
    if (!r->top)
        return fail(r, NULL, err, RIFT_ERROR_FORMAT,
                    "zip archive has no <folder>/data.pkl record: not a torch.save checkpoint");
    return TRUE;
}

static gboolean stored_view(torch_reader *r, const char *tensor, const char *name,
                            const unz_file_info64 *info, record *rec, GError **err)
{
    guint64 start = unzGetCurrentFileZStreamPos64(r->zip);
    if (info->compressed_size != info->uncompressed_size || start > r->size ||
        info->compressed_size > r->size - start)
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "record %s (%" G_GUINT64_FORMAT " bytes at %" G_GUINT64_FORMAT
                    ") lies outside the file of %" G_GSIZE_FORMAT " bytes (truncated?)",
                    name, (guint64)info->compressed_size, start, r->size);
    rec->data = r->base + start;
    rec->size = info->uncompressed_size;
    return TRUE;
}

/* Inflate, growing the buffer with what really comes out rather than
 * trusting the size the header claims. */
static gboolean inflate_record(torch_reader *r, const char *tensor, const char *name,
                               const unz_file_info64 *info, record *rec, GError **err)
{
    guint64 want = info->uncompressed_size, got = 0, cap = MIN(want, 1u << 20);
    guint8 *buf = g_malloc(MAX(cap, 1));
    while (got < want) {
        if (got == cap) {
            cap = MIN(want, cap * 2);
            buf = g_realloc(buf, cap);
        }
        int n = unzReadCurrentFile(r->zip, buf + got, (unsigned)MIN(cap - got, 1u << 30));
        if (n <= 0)
            break; /* an error, or the data ends early */
        got += (guint64)n;
    }
    if (got != want || unzCloseCurrentFile(r->zip) != UNZ_OK) {
        g_free(buf);
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "record %s does not inflate to its %" G_GUINT64_FORMAT
                    " bytes (corrupt or truncated)",
                    name, want);
    }
    rec->data = rec->owned = buf;
    rec->size = want;
    return TRUE;
}

static gboolean open_current(torch_reader *r, const char *tensor, const char *name,
                             unz_file_info64 *info, GError **err)
{
    const unz64_file_pos *pos = g_hash_table_lookup(r->entries, name);
    if (unzGoToFilePos64(r->zip, (unz64_file_pos *)pos) != UNZ_OK ||
        unzGetCurrentFileInfo64(r->zip, info, NULL, 0, NULL, 0, NULL, 0) != UNZ_OK)
        return fail(r, tensor, err, RIFT_ERROR_FORMAT, "record %s: corrupt zip directory entry",
                    name);
    if (info->flag & 1)
        return fail(r, tensor, err, RIFT_ERROR_UNSUPPORTED, "record %s is encrypted", name);
    if (info->compression_method != 0 && info->compression_method != Z_DEFLATED)
        return fail(r, tensor, err, RIFT_ERROR_UNSUPPORTED,
                    "record %s uses zip compression method %lu (only stored and deflate are "
                    "supported)",
                    name, info->compression_method);
    if (unzOpenCurrentFile(r->zip) != UNZ_OK)
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "record %s: local header does not match the directory (corrupt?)", name);
    return TRUE;
}

/* A record's bytes: a view for STORED, an inflated copy otherwise. */
static gboolean read_record(torch_reader *r, const char *tensor, const char *name, guint64 max,
                            record *rec, GError **err)
{
    unz_file_info64 info;
    memset(rec, 0, sizeof *rec);
    if (!open_current(r, tensor, name, &info, err))
        return FALSE;
    gboolean ok;
    if (info.uncompressed_size > max)
        ok = fail(r, tensor, err, RIFT_ERROR_FORMAT,
                  "record %s is %" G_GUINT64_FORMAT " bytes, more than %" G_GUINT64_FORMAT, name,
                  (guint64)info.uncompressed_size, max);
    else if (info.compression_method == 0)
        ok = stored_view(r, tensor, name, &info, rec, err);
    else
        return inflate_record(r, tensor, name, &info, rec, err); /* closes the record itself */
    unzCloseCurrentFile(r->zip); /* a STORED record is not read: no CRC to check */
    return ok;
}

static char *record_name(const torch_reader *r, const char *rel)
{
    return g_strdup_printf("%s/%s", r->top, rel);
}

/* torch 2.x writes `byteorder`; we map data as it is, so it must be little. */
static gboolean check_byteorder(torch_reader *r, GError **err)
{
    char *name = record_name(r, "byteorder");
    record rec = {0};
    gboolean ok = !g_hash_table_contains(r->entries, name) ||
                  read_record(r, NULL, name, 64, &rec, err);
    if (ok && rec.data && !(rec.size == 6 && memcmp(rec.data, "little", 6) == 0))
        ok = fail(r, NULL, err, RIFT_ERROR_UNSUPPORTED,
                  "%s says the tensors are not little-endian", name);
    if (ok && rec.data)
        g_free(rec.owned);
    g_free(name);
    return ok;
}

static rift_value *load_pickle(torch_reader *r, GError **err)
{
    char *name = record_name(r, "data.pkl");
    char *what = g_strdup_printf("%s: %s", r->path, name);
    record rec;
    rift_value *root = NULL;
    if (read_record(r, NULL, name, RIFT_PICKLE_MAX_BYTES, &rec, err))
        root = rift_pickle_load(rec.data, (gsize)rec.size, what, err);
    g_free(rec.owned);
    g_free(what);
    g_free(name);
    return root;
}

/* ---- tensors ---------------------------------------------------------------- */

static gboolean storage_dtype(const rift_value *type, rift_dtype *dt)
{
    const char *cls = rift_value_object_class(type);
    const char *dot = cls && type->is_class ? strrchr(cls, '.') : NULL;
    if (!dot)
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(storage_types); i++) {
        if (strcmp(dot + 1, storage_types[i].name) == 0) {
            *dt = storage_types[i].dtype;
            return TRUE;
        }
    }
    return FALSE;
}

/* The record of storage `key`, read once and shared by its tensors. */
static const record *storage_record(torch_reader *r, const char *tensor, const char *key,
                                    GError **err)
{
    record *rec = g_hash_table_lookup(r->storages, key);
    if (rec)
        return rec;
    char *rel = g_strdup_printf("data/%s", key);
    char *name = record_name(r, rel);
    rec = g_new0(record, 1);
    if (!g_hash_table_contains(r->entries, name)) {
        fail(r, tensor, err, RIFT_ERROR_FORMAT, "its storage record %s is missing from the archive",
             name);
        g_clear_pointer(&rec, g_free);
    } else if (!read_record(r, tensor, name, G_MAXUINT64, rec, err)) {
        g_clear_pointer(&rec, g_free);
    } else {
        if (rec->owned)
            rift_weights_keep(r->w, rec->owned);
        g_hash_table_insert(r->storages, g_strdup(key), rec);
    }
    g_free(name);
    g_free(rel);
    return rec;
}

typedef struct {
    rift_dtype dtype;
    int64_t numel;
    const record *rec;
} storage;

/* ('storage', storage_type, key, location, numel); the location ('cuda:0')
 * is ignored: everything loads to host memory. */
static gboolean resolve_storage(torch_reader *r, const rift_value *sv, const char *tensor,
                                storage *st, GError **err)
{
    const rift_value *pid = sv && g_strcmp0(rift_value_object_class(sv), RIFT_PICKLE_PERSID) == 0
                                ? sv->args : NULL;
    const char *kind = rift_value_as_str(rift_value_index(pid, 0));
    const rift_value *keyv = rift_value_index(pid, 2);
    int64_t key_int;
    if (!pid || rift_value_len(pid) != 5 || g_strcmp0(kind, "storage") != 0 ||
        !rift_value_as_int(rift_value_index(pid, 4), &st->numel) || st->numel < 0 ||
        !(rift_value_as_str(keyv) || rift_value_as_int(keyv, &key_int)))
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "storage is not a ('storage', type, key, location, numel) persistent id");
    const rift_value *type = rift_value_index(pid, 1);
    if (!storage_dtype(type, &st->dtype))
        return fail(r, tensor, err, RIFT_ERROR_UNSUPPORTED, "storage type %s is not supported",
                    type->type == RIFT_VAL_OBJECT ? type->str : rift_value_type_name(type->type));
    char *key = rift_value_as_str(keyv) ? g_strdup(keyv->str)
                                        : g_strdup_printf("%" G_GINT64_FORMAT, key_int);
    st->rec = storage_record(r, tensor, key, err);
    gboolean ok = st->rec != NULL;
    int64_t esize = (int64_t)rift_dtype_size(st->dtype);
    if (ok && (guint64)st->numel > st->rec->size / (guint64)esize)
        ok = fail(r, tensor, err, RIFT_ERROR_FORMAT,
                  "storage '%s' holds %" G_GUINT64_FORMAT " bytes, fewer than its %" G_GINT64_FORMAT
                  " %s elements",
                  key, st->rec->size, st->numel, rift_dtype_name(st->dtype));
    g_free(key);
    return ok;
}

static gboolean int_tuple(const rift_value *v, int64_t *out, int *n)
{
    if (!v || (v->type != RIFT_VAL_TUPLE && v->type != RIFT_VAL_LIST) ||
        v->items->len > RIFT_MAX_DIMS)
        return FALSE;
    *n = (int)v->items->len;
    for (int i = 0; i < *n; i++) {
        if (!rift_value_as_int(v->items->pdata[i], &out[i]))
            return FALSE;
    }
    return TRUE;
}

static gboolean is_contiguous(int ndim, const int64_t *shape, const int64_t *stride)
{
    int64_t expect = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        if (shape[d] == 0)
            return TRUE; /* no elements: any strides */
        if (shape[d] != 1 && stride[d] != expect)
            return FALSE;
        expect *= shape[d];
    }
    return TRUE;
}

typedef struct {
    int ndim;
    int64_t shape[RIFT_MAX_DIMS], stride[RIFT_MAX_DIMS];
    int64_t offset, numel, nbytes;
} tensor_geom;

/* (storage, storage_offset, size, stride, ...) of _rebuild_tensor[_v2]. */
static gboolean tensor_geometry(const torch_reader *r, const rift_value *args, const char *tensor,
                                tensor_geom *g, GError **err)
{
    int nstride;
    char shape[24 * RIFT_MAX_DIMS];
    if (rift_value_len(args) < 4 || !rift_value_as_int(rift_value_index(args, 1), &g->offset) ||
        g->offset < 0 || !int_tuple(rift_value_index(args, 2), g->shape, &g->ndim) ||
        !int_tuple(rift_value_index(args, 3), g->stride, &nstride) || nstride != g->ndim)
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "_rebuild_tensor arguments are not (storage, offset >= 0, size, stride) with "
                    "at most %d dimensions",
                    RIFT_MAX_DIMS);
    rift_shape_str(shape, sizeof shape, g->ndim, g->shape);
    if (!rift_shape_bytes(g->ndim, g->shape, RIFT_U8, &g->numel, &g->nbytes))
        return fail(r, tensor, err, RIFT_ERROR_FORMAT, "absurd shape %s", shape);
    if (!is_contiguous(g->ndim, g->shape, g->stride))
        return fail(r, tensor, err, RIFT_ERROR_UNSUPPORTED,
                    "shape %s is stored with non-contiguous strides; save it with .contiguous()",
                    shape);
    return TRUE;
}

static gboolean resolve_tensor(torch_reader *r, rift_value *t, const char *tensor, GError **err)
{
    storage st;
    tensor_geom g;
    if (!tensor_geometry(r, t->args, tensor, &g, err) ||
        !resolve_storage(r, rift_value_index(t->args, 0), tensor, &st, err))
        return FALSE;
    if (g.offset > st.numel || g.numel > st.numel - g.offset)
        return fail(r, tensor, err, RIFT_ERROR_FORMAT,
                    "offset %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT
                    " elements run past its storage of %" G_GINT64_FORMAT " elements",
                    g.offset, g.numel, st.numel);
    gsize esize = rift_dtype_size(st.dtype);
    void *data = rift_weights_aligned(r->w, st.rec->data + (gsize)g.offset * esize,
                                      (gsize)g.numel * esize, st.dtype);
    t->tensor = rift_tensor_view(st.dtype, g.ndim, g.shape, data);
    rift_tensor_set_name(t->tensor, tensor);
    return TRUE;
}

/* ---- naming: walk the tree, key path = tensor name ------------------------------ */

static gboolean walk(torch_reader *r, rift_value *v, int depth, GError **err);

static gboolean walk_under(torch_reader *r, const char *segment, rift_value *v, int depth,
                           GError **err)
{
    gsize len = r->name->len;
    if (len)
        g_string_append_c(r->name, '/');
    g_string_append(r->name, segment);
    /* every tensor below gets a copy of the name: keep it sane */
    gboolean ok = r->name->len <= MAX_NAME
                      ? walk(r, v, depth + 1, err)
                      : fail(r, NULL, err, RIFT_ERROR_FORMAT,
                             "key path '%.64s...' is longer than %d bytes", r->name->str, MAX_NAME);
    g_string_truncate(r->name, len);
    return ok;
}

/* items[i] named by keys[i], or by i when there are no keys */
static gboolean walk_items(torch_reader *r, GPtrArray *items, GPtrArray *keys, int depth,
                           GError **err)
{
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < items->len; i++) {
        char *seg = keys ? rift_value_key_text(keys->pdata[i]) : g_strdup_printf("%u", i);
        ok = walk_under(r, seg, items->pdata[i], depth, err);
        g_free(seg);
    }
    return ok;
}

static gboolean add_tensor(torch_reader *r, rift_value *t, GError **err)
{
    const char *name = r->name->len ? r->name->str : "tensor";
    if (!t->tensor && !resolve_tensor(r, t, name, err))
        return FALSE;
    const rift_tensor *x = t->tensor;
    rift_weights_add(r->w, name, x->dtype, x->ndim, x->shape, x->data);
    return TRUE;
}

/* Each container is walked once: a pickle can share and even cycle nodes. */
static gboolean walk(torch_reader *r, rift_value *v, int depth, GError **err)
{
    if (depth > RIFT_VALUE_MAX_DEPTH)
        return fail(r, NULL, err, RIFT_ERROR_FORMAT, "'%s' is nested deeper than %d levels",
                    r->name->str, RIFT_VALUE_MAX_DEPTH);
    if (v->type == RIFT_VAL_TENSOR)
        return add_tensor(r, v, err);
    gboolean container = v->type == RIFT_VAL_LIST || v->type == RIFT_VAL_TUPLE ||
                         v->type == RIFT_VAL_DICT ||
                         (v->type == RIFT_VAL_OBJECT && !v->is_class);
    if (!container || !g_hash_table_add(r->visited, v))
        return TRUE;
    if (v->type != RIFT_VAL_OBJECT)
        return walk_items(r, v->items, v->keys, depth, err);
    /* an object: its dict items, list items and state, under its own name */
    return (!v->keys || walk_items(r, v->items, v->keys, depth, err)) &&
           (!v->appended || walk_items(r, v->appended, NULL, depth, err)) &&
           (!v->state || walk(r, v->state, depth + 1, err));
}

gboolean rift_torch_read(rift_weights *w, GError **err)
{
    gsize size;
    const guint8 *base = rift_weights_bytes(w, &size);
    zmem m = {base, size};
    zlib_filefunc64_def io = {zm_open, zm_read, zm_write, zm_tell, zm_seek, zm_close, zm_error, &m};
    torch_reader r = {
        .w = w, .path = rift_weights_path(w), .base = base, .size = size,
        .zip = has_end_record(base, size) ? unzOpen2_64("", &io) : NULL,
        .entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .storages = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
        .visited = g_hash_table_new(g_direct_hash, g_direct_equal),
        .name = g_string_new(NULL),
    };
    rift_value *root = NULL;
    gboolean ok = r.zip ? TRUE
                        : fail(&r, NULL, err, RIFT_ERROR_FORMAT,
                               "not a readable zip archive (truncated or corrupt)");
    ok = ok && index_entries(&r, err) && check_byteorder(&r, err) &&
         (root = load_pickle(&r, err)) != NULL && walk(&r, root, 0, err);
    if (ok)
        rift_weights_set_meta(w, root);
    else
        rift_value_free(root);
    if (r.zip)
        unzClose(r.zip);
    g_hash_table_unref(r.entries);
    g_hash_table_unref(r.storages);
    g_hash_table_unref(r.visited);
    g_string_free(r.name, TRUE);
    g_free(r.top);
    return ok;
}
