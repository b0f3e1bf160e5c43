/* safetensors.c — read (into rift_weights, tensors as views of the mapping)
 * and write safetensors files.
 *
 * Layout: u64 little-endian header size N, N bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__":
 * {str: str}}, then the data area; offsets are relative to the data area.
 * Every header field is checked against the file before a view is made.
 *
 * Tested by tests/io/test-safetensors.c (fixtures, round trip, bad headers);
 * fuzzed by tests/fuzz/fuzz-readers.c.
 */
#include "safetensors.h"

#include "io-private.h"
#include "rift-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name; /* owned by the JSON parser */
    rift_dtype dtype;
    int ndim;
    int64_t shape[RIFT_MAX_DIMS];
    int64_t begin, end;
} st_entry;

typedef struct {
    rift_weights *w;
    const char *path;
    gsize data_size;
} st_reader;

/* Valid safetensors dtypes this engine has no type for. */
static const char *const unsupported_dtypes[] = {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2",
                                                 "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"};

static gboolean bad(const st_reader *r, const char *tensor, GError **err, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean bad(const st_reader *r, const char *tensor, GError **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (tensor)
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: tensor '%s': %s", r->path, tensor,
                    what);
    else
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: %s", r->path, what);
    g_free(what);
    return FALSE;
}

static gboolean json_int(JsonNode *n, int64_t *out)
{
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return FALSE;
    *out = json_node_get_int(n);
    return TRUE;
}

static gboolean parse_dtype(const st_reader *r, st_entry *e, JsonObject *o, GError **err)
{
    JsonNode *n = json_object_get_member(o, "dtype");
    const char *name = n && JSON_NODE_HOLDS_VALUE(n) ? json_node_get_string(n) : NULL;
    if (!name)
        return bad(r, e->name, err, "\"dtype\" is missing or not a string");
    if (rift_dtype_from_name(name, &e->dtype))
        return TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(unsupported_dtypes); i++) {
        if (strcmp(name, unsupported_dtypes[i]) == 0) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                        "%s: tensor '%s': dtype %s is not supported", r->path, e->name, name);
            return FALSE;
        }
    }
    return bad(r, e->name, err,
               "unknown dtype \"%s\" (expected F32, F16, BF16, F64, I64, I32, I16, I8, U8 or BOOL)",
               name);
}

static gboolean parse_shape(const st_reader *r, st_entry *e, JsonObject *o, GError **err)
{
    JsonNode *n = json_object_get_member(o, "shape");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return bad(r, e->name, err, "\"shape\" is missing or not a list");
    JsonArray *a = json_node_get_array(n);
    guint nd = json_array_get_length(a);
    if (nd > RIFT_MAX_DIMS)
        return bad(r, e->name, err, "rank %u is above the maximum %d", nd, RIFT_MAX_DIMS);
    e->ndim = (int)nd;
    for (guint i = 0; i < nd; i++) {
        if (!json_int(json_array_get_element(a, i), &e->shape[i]) || e->shape[i] < 0)
            return bad(r, e->name, err, "shape[%u] is not a non-negative integer", i);
    }
    return TRUE;
}

static gboolean parse_offsets(const st_reader *r, st_entry *e, JsonObject *o, GError **err)
{
    JsonNode *n = json_object_get_member(o, "data_offsets");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (!a || json_array_get_length(a) != 2 || !json_int(json_array_get_element(a, 0), &e->begin) ||
        !json_int(json_array_get_element(a, 1), &e->end))
        return bad(r, e->name, err, "\"data_offsets\" is not a list of two integers");
    if (e->begin < 0 || e->end < e->begin || (guint64)e->end > r->data_size)
        return bad(r, e->name, err,
                   "data_offsets [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "] are outside the data area of %" G_GSIZE_FORMAT " bytes",
                   e->begin, e->end, r->data_size);
    int64_t numel, nbytes;
    char shape[24 * RIFT_MAX_DIMS];
    rift_shape_str(shape, sizeof shape, e->ndim, e->shape);
    if (!rift_shape_bytes(e->ndim, e->shape, e->dtype, &numel, &nbytes))
        return bad(r, e->name, err, "shape %s is too large", shape);
    if (nbytes != e->end - e->begin)
        return bad(r, e->name, err,
                   "%s %s needs %" G_GINT64_FORMAT " bytes but data_offsets [%" G_GINT64_FORMAT
                   ", %" G_GINT64_FORMAT "] span %" G_GINT64_FORMAT,
                   rift_dtype_name(e->dtype), shape, nbytes, e->begin, e->end, e->end - e->begin);
    return TRUE;
}

static gboolean parse_entry(const st_reader *r, st_entry *e, JsonNode *n, GError **err)
{
    if (!JSON_NODE_HOLDS_OBJECT(n))
        return bad(r, e->name, err, "header entry is not an object");
    JsonObject *o = json_node_get_object(n);
    return parse_dtype(r, e, o, err) && parse_shape(r, e, o, err) &&
           parse_offsets(r, e, o, err);
}

static rift_value *parse_metadata(const st_reader *r, JsonNode *n, GError **err)
{
    if (!JSON_NODE_HOLDS_OBJECT(n)) {
        bad(r, NULL, err, "__metadata__ is not an object of strings");
        return NULL;
    }
    JsonObject *o = json_node_get_object(n);
    rift_value *meta = rift_value_new_root(RIFT_VAL_DICT);
    GList *names = json_object_get_members(o);
    for (GList *l = names; l; l = l->next) {
        JsonNode *v = json_object_get_member(o, l->data);
        const char *s = JSON_NODE_HOLDS_VALUE(v) ? json_node_get_string(v) : NULL;
        if (!s) {
            bad(r, NULL, err, "__metadata__ value of '%s' is not a string", (char *)l->data);
            rift_value_free(meta);
            meta = NULL;
            break;
        }
        rift_value_set(meta, rift_value_new_str(meta, l->data, strlen(l->data)),
                       rift_value_new_str(meta, s, strlen(s)));
    }
    g_list_free(names);
    return meta;
}

static int entry_cmp(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Entries sorted by offset: each must start at or after the previous end. */
static gboolean check_overlaps(const st_reader *r, GArray *entries, GError **err)
{
    g_array_sort(entries, entry_cmp);
    for (guint i = 1; i < entries->len; i++) {
        const st_entry *a = &g_array_index(entries, st_entry, i - 1);
        const st_entry *b = &g_array_index(entries, st_entry, i);
        if (b->begin < a->end)
            return bad(r, NULL, err,
                       "tensors '%s' [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") and '%s' [%"
                       G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") overlap",
                       a->name, a->begin, a->end, b->name, b->begin, b->end);
    }
    return TRUE;
}

static gboolean parse_header(st_reader *r, JsonNode *root, const guint8 *data_area, GError **err)
{
    if (!root || !JSON_NODE_HOLDS_OBJECT(root))
        return bad(r, NULL, err, "safetensors header is not a JSON object");
    JsonObject *o = json_node_get_object(root);
    GArray *entries = g_array_new(FALSE, FALSE, sizeof(st_entry));
    rift_value *meta = NULL;
    gboolean ok = TRUE;
    GList *names = json_object_get_members(o);
    for (GList *l = names; ok && l; l = l->next) {
        JsonNode *n = json_object_get_member(o, l->data);
        if (strcmp(l->data, "__metadata__") == 0) {
            rift_value_free(meta);
            ok = (meta = parse_metadata(r, n, err)) != NULL;
            continue;
        }
        st_entry e = {.name = l->data};
        ok = parse_entry(r, &e, n, err);
        if (ok)
            g_array_append_val(entries, e);
    }
    g_list_free(names);
    ok = ok && check_overlaps(r, entries, err);
    for (guint i = 0; ok && i < entries->len; i++) {
        const st_entry *e = &g_array_index(entries, st_entry, i);
        void *p = rift_weights_aligned(r->w, data_area + e->begin, (gsize)(e->end - e->begin),
                                       e->dtype);
        rift_weights_add(r->w, e->name, e->dtype, e->ndim, e->shape, p);
    }
    if (ok && meta)
        rift_weights_set_meta(r->w, meta);
    else
        rift_value_free(meta);
    g_array_unref(entries);
    return ok;
}

gboolean rift_safetensors_read(rift_weights *w, GError **err)
{
    st_reader r = {.w = w, .path = rift_weights_path(w)};
    gsize size;
    const guint8 *d = rift_weights_bytes(w, &size);
    if (size < 8)
        return bad(&r, NULL, err, "file of %" G_GSIZE_FORMAT " bytes is too short for a "
                   "safetensors header", size);
    guint64 hlen;
    memcpy(&hlen, d, 8);
    hlen = GUINT64_FROM_LE(hlen);
    if (hlen > size - 8)
        return bad(&r, NULL, err,
                   "safetensors header size %" G_GUINT64_FORMAT
                   " exceeds the file (%" G_GSIZE_FORMAT " bytes): truncated?",
                   hlen, size);
    if (hlen > RIFT_SAFETENSORS_MAX_HEADER)
        return bad(&r, NULL, err, "safetensors header size %" G_GUINT64_FORMAT
                   " is above the 100 MiB limit", hlen);
    r.data_size = size - 8 - (gsize)hlen;
    char *what = g_strdup_printf("%s: safetensors header", r.path);
    JsonParser *parser = rift_json_parse((const char *)d + 8, (gsize)hlen, what, err);
    g_free(what);
    if (!parser)
        return FALSE;
    gboolean ok = parse_header(&r, json_parser_get_root(parser), d + 8 + hlen, err);
    g_object_unref(parser);
    return ok;
}

/* ---- writing ------------------------------------------------------------ */

static gboolean check_for_write(const char *path, rift_tensor *const *tensors, guint n,
                                GError **err)
{
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < n; i++) {
        const rift_tensor *t = tensors[i];
        const char *why = !t->name ? "has no name"
                          : t->backend ? "is not in host memory"
                          : strcmp(t->name, "__metadata__") == 0 ? "has a reserved name"
                          : !g_hash_table_add(names, t->name) ? "appears twice"
                                                               : NULL;
        if (why) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s: tensor %u '%s' %s", path, i,
                        t->name ? t->name : "", why);
            ok = FALSE;
        }
    }
    g_hash_table_unref(names);
    return ok;
}

static void add_metadata(JsonBuilder *b, GHashTable *metadata)
{
    if (!metadata || g_hash_table_size(metadata) == 0)
        return;
    GList *keys = g_list_sort(g_hash_table_get_keys(metadata), (GCompareFunc)strcmp);
    json_builder_set_member_name(b, "__metadata__");
    json_builder_begin_object(b);
    for (GList *l = keys; l; l = l->next) {
        json_builder_set_member_name(b, l->data);
        json_builder_add_string_value(b, g_hash_table_lookup(metadata, l->data));
    }
    json_builder_end_object(b);
    g_list_free(keys);
}

/* The JSON header, padded with spaces so the data area starts 8-aligned. */
static char *build_header(rift_tensor *const *tensors, guint n, GHashTable *metadata,
                          gsize *len)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    add_metadata(b, metadata);
    int64_t off = 0;
    for (guint i = 0; i < n; i++) {
        const rift_tensor *t = tensors[i];
        json_builder_set_member_name(b, t->name);
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "dtype");
        json_builder_add_string_value(b, rift_dtype_name(t->dtype));
        json_builder_set_member_name(b, "shape");
        json_builder_begin_array(b);
        for (int d = 0; d < t->ndim; d++)
            json_builder_add_int_value(b, t->shape[d]);
        json_builder_end_array(b);
        json_builder_set_member_name(b, "data_offsets");
        json_builder_begin_array(b);
        json_builder_add_int_value(b, off);
        off += (int64_t)rift_tensor_nbytes(t);
        json_builder_add_int_value(b, off);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    GString *s = g_string_new(NULL);
    json_generator_to_gstring(gen, s);
    while ((s->len + 8) % 8)
        g_string_append_c(s, ' ');
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    *len = s->len;
    return g_string_free(s, FALSE);
}

static gboolean write_all(FILE *f, rift_tensor *const *tensors, guint n,
                          const char *header, gsize hlen)
{
    guint64 le = GUINT64_TO_LE((guint64)hlen);
    gboolean ok = fwrite(&le, 8, 1, f) == 1 && fwrite(header, 1, hlen, f) == hlen;
    for (guint i = 0; ok && i < n; i++) {
        size_t nb = rift_tensor_nbytes(tensors[i]);
        ok = nb == 0 || fwrite(tensors[i]->data, 1, nb, f) == nb;
    }
    return ok;
}

gboolean rift_safetensors_write(const char *path, rift_tensor *const *tensors, guint n,
                                GHashTable *metadata, GError **err)
{
    if (!check_for_write(path, tensors, n, err))
        return FALSE;
    gsize hlen;
    char *header = build_header(tensors, n, metadata, &hlen);
    FILE *f = fopen(path, "wb");
    gboolean ok = f && write_all(f, tensors, n, header, hlen);
    int saved = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = FALSE;
        saved = errno;
    }
    g_free(header);
    if (!ok) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_IO, "%s: cannot write: %s", path,
                    g_strerror(saved));
        if (f)
            g_remove(path);
    }
    return ok;
}
