/* value.c — the inert data tree of value.h: node pool, accessors, printing.
 *
 * Tested by tests/io/test-value.c (JSON trees, lookups, printing) and through
 * every checkpoint test in tests/io/.
 */
#include "value-private.h"

#include <math.h>
#include <string.h>

struct rift_value_pool {
    GPtrArray *nodes;
};

static void node_free(gpointer p)
{
    rift_value *v = p;
    g_free(v->str);
    if (v->items)
        g_ptr_array_unref(v->items);
    if (v->keys)
        g_ptr_array_unref(v->keys);
    if (v->index)
        g_hash_table_unref(v->index);
    if (v->appended)
        g_ptr_array_unref(v->appended);
    rift_tensor_free(v->tensor);
    g_free(v);
}

static rift_value *node_new(rift_value_pool *pool, rift_value_type type)
{
    rift_value *v = g_new0(rift_value, 1);
    v->type = type;
    v->pool = pool;
    if (type == RIFT_VAL_LIST || type == RIFT_VAL_TUPLE || type == RIFT_VAL_DICT)
        v->items = g_ptr_array_new();
    if (type == RIFT_VAL_DICT) {
        v->keys = g_ptr_array_new();
        v->index = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_ptr_array_add(pool->nodes, v);
    return v;
}

rift_value *rift_value_new_root(rift_value_type type)
{
    rift_value_pool *pool = g_new0(rift_value_pool, 1);
    pool->nodes = g_ptr_array_new_with_free_func(node_free);
    return node_new(pool, type);
}

rift_value *rift_value_new(const rift_value *any, rift_value_type type)
{
    return node_new(any->pool, type);
}

rift_value *rift_value_new_int(const rift_value *any, int64_t i)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_INT);
    v->num.i = i;
    return v;
}

rift_value *rift_value_new_float(const rift_value *any, double f)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_FLOAT);
    v->num.f = f;
    return v;
}

rift_value *rift_value_new_bool(const rift_value *any, gboolean b)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_BOOL);
    v->num.b = !!b;
    return v;
}

rift_value *rift_value_new_str(const rift_value *any, const char *s, gsize len)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_STR);
    if (g_utf8_validate_len(s, len, NULL)) /* FALSE on NUL bytes too */
        v->str = g_strndup(s, len);
    else
        v->str = g_utf8_make_valid(s, (gssize)len);
    v->len = strlen(v->str);
    return v;
}

rift_value *rift_value_new_bytes(const rift_value *any, const void *data, gsize len)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_BYTES);
    v->str = g_malloc(len + 1);
    if (len)
        memcpy(v->str, data, len);
    v->str[len] = 0;
    v->len = len;
    return v;
}

rift_value *rift_value_new_object(const rift_value *any, const char *cls, gboolean is_class)
{
    rift_value *v = rift_value_new(any, RIFT_VAL_OBJECT);
    v->str = g_strdup(cls);
    v->is_class = is_class;
    return v;
}

gboolean rift_value_is_dict_like(const rift_value *v)
{
    return v && (v->type == RIFT_VAL_DICT || (v->type == RIFT_VAL_OBJECT && v->keys));
}

void rift_value_append(rift_value *c, rift_value *item)
{
    if (c->type == RIFT_VAL_OBJECT) {
        if (!c->appended)
            c->appended = g_ptr_array_new();
        g_ptr_array_add(c->appended, item);
    } else {
        g_ptr_array_add(c->items, item);
    }
}

void rift_value_set(rift_value *c, rift_value *key, rift_value *val)
{
    if (!c->keys) { /* an object becoming dict-like */
        c->keys = g_ptr_array_new();
        c->items = g_ptr_array_new();
        c->index = g_hash_table_new(g_str_hash, g_str_equal);
    }
    if (key->type == RIFT_VAL_STR) {
        guint pos = GPOINTER_TO_UINT(g_hash_table_lookup(c->index, key->str));
        if (pos) { /* Python semantics: a repeated key replaces the value */
            c->items->pdata[pos - 1] = val;
            return;
        }
        g_hash_table_insert(c->index, key->str, GUINT_TO_POINTER(c->keys->len + 1));
    }
    g_ptr_array_add(c->keys, key);
    g_ptr_array_add(c->items, val);
}

rift_value_type rift_value_get_type(const rift_value *v)
{
    return v->type;
}

const char *rift_value_type_name(rift_value_type t)
{
    static const char *const names[] = {
        [RIFT_VAL_NONE] = "None",   [RIFT_VAL_BOOL] = "bool",     [RIFT_VAL_INT] = "int",
        [RIFT_VAL_FLOAT] = "float", [RIFT_VAL_STR] = "str",       [RIFT_VAL_BYTES] = "bytes",
        [RIFT_VAL_LIST] = "list",   [RIFT_VAL_TUPLE] = "tuple",   [RIFT_VAL_DICT] = "dict",
        [RIFT_VAL_TENSOR] = "tensor", [RIFT_VAL_OBJECT] = "object",
    };
    return (guint)t < G_N_ELEMENTS(names) ? names[t] : "?";
}

gboolean rift_value_as_bool(const rift_value *v, gboolean *out)
{
    if (!v || v->type != RIFT_VAL_BOOL)
        return FALSE;
    *out = v->num.b;
    return TRUE;
}

gboolean rift_value_as_int(const rift_value *v, int64_t *out)
{
    if (!v || (v->type != RIFT_VAL_INT && v->type != RIFT_VAL_BOOL))
        return FALSE;
    *out = v->type == RIFT_VAL_INT ? v->num.i : v->num.b;
    return TRUE;
}

gboolean rift_value_as_double(const rift_value *v, double *out)
{
    if (v && v->type == RIFT_VAL_FLOAT) {
        *out = v->num.f;
        return TRUE;
    }
    int64_t i;
    if (!rift_value_as_int(v, &i))
        return FALSE;
    *out = (double)i;
    return TRUE;
}

const char *rift_value_as_str(const rift_value *v)
{
    return v && v->type == RIFT_VAL_STR ? v->str : NULL;
}

const rift_tensor *rift_value_as_tensor(const rift_value *v)
{
    return v && v->type == RIFT_VAL_TENSOR ? v->tensor : NULL;
}

guint rift_value_len(const rift_value *v)
{
    if (!v)
        return 0;
    if (v->type == RIFT_VAL_OBJECT)
        return v->keys ? v->keys->len : v->appended ? v->appended->len : 0;
    return v->items ? v->items->len : 0;
}

const rift_value *rift_value_index(const rift_value *v, guint i)
{
    if (!v)
        return NULL;
    GPtrArray *a = NULL;
    if (v->type == RIFT_VAL_LIST || v->type == RIFT_VAL_TUPLE)
        a = v->items;
    else if (v->type == RIFT_VAL_OBJECT)
        a = v->appended;
    return a && i < a->len ? a->pdata[i] : NULL;
}

const rift_value *rift_value_key_at(const rift_value *v, guint i)
{
    return rift_value_is_dict_like(v) && i < v->keys->len ? v->keys->pdata[i] : NULL;
}

const rift_value *rift_value_value_at(const rift_value *v, guint i)
{
    return rift_value_is_dict_like(v) && i < v->items->len ? v->items->pdata[i] : NULL;
}

const rift_value *rift_value_get(const rift_value *v, const char *key)
{
    if (!rift_value_is_dict_like(v))
        return NULL;
    guint pos = GPOINTER_TO_UINT(g_hash_table_lookup(v->index, key));
    return pos ? v->items->pdata[pos - 1] : NULL;
}

const rift_value *rift_value_lookup(const rift_value *root, const char *path)
{
    char **parts = g_strsplit(path, "/", -1);
    const rift_value *v = root;
    for (char **p = parts; v && *p; p++) {
        if (**p)
            v = rift_value_get(v, *p);
    }
    g_strfreev(parts);
    return v;
}

const char *rift_value_object_class(const rift_value *v)
{
    return v && v->type == RIFT_VAL_OBJECT ? v->str : NULL;
}

void rift_value_free(rift_value *v)
{
    if (!v)
        return;
    rift_value_pool *pool = v->pool; /* v itself is one of the nodes */
    g_ptr_array_unref(pool->nodes);
    g_free(pool);
}

/* ---- printing ---------------------------------------------------------- */

/* Printing stops here: a pickle can share one node many times over, so the
 * expanded text could be exponentially long. */
#define PRINT_MAX_BYTES (4u << 20)

typedef struct {
    GString *out;
    gboolean pretty;
} printer;

static void print_value(printer *p, const rift_value *v, int depth);

static gboolean print_full(const printer *p)
{
    return p->out->len > PRINT_MAX_BYTES;
}

static void print_indent(printer *p, int depth)
{
    if (p->pretty) {
        g_string_append_c(p->out, '\n');
        for (int i = 0; i < depth; i++)
            g_string_append(p->out, "  ");
    }
}

static void print_str(printer *p, const char *s)
{
    g_string_append_c(p->out, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_printf(p->out, "\\%c", *c);
        else if ((guchar)*c < 0x20)
            g_string_append_printf(p->out, "\\u%04x", (guchar)*c);
        else
            g_string_append_c(p->out, *c);
    }
    g_string_append_c(p->out, '"');
}

static void print_float(printer *p, double f)
{
    if (!isfinite(f)) {
        g_string_append(p->out, isnan(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
        return;
    }
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof buf, "%.15g", f); /* 1e-05, not 1.0000000000000001e-05 */
    if (g_ascii_strtod(buf, NULL) != f)
        g_ascii_formatd(buf, sizeof buf, "%.17g", f); /* all digits when needed */
    g_string_append(p->out, buf);
    if (!strpbrk(buf, ".eE")) /* keep floats recognisable: 2.0 */
        g_string_append(p->out, ".0");
}

static void print_tensor(printer *p, const rift_value *v)
{
    const rift_tensor *t = v->tensor;
    if (!t) {
        g_string_append(p->out, "\"tensor\"");
        return;
    }
    char shape[24 * RIFT_MAX_DIMS];
    rift_shape_str(shape, sizeof shape, t->ndim, t->shape);
    g_string_append_printf(p->out, "\"%s%s\"", rift_dtype_name(t->dtype), shape);
}

static void print_seq(printer *p, GPtrArray *a, const char *open, const char *close, int depth)
{
    g_string_append(p->out, open);
    for (guint i = 0; a && i < a->len && !print_full(p); i++) {
        if (i)
            g_string_append_c(p->out, ',');
        print_indent(p, depth + 1);
        print_value(p, a->pdata[i], depth + 1);
    }
    if (a && a->len)
        print_indent(p, depth);
    g_string_append(p->out, close);
}

static void print_dict(printer *p, const rift_value *v, int depth)
{
    g_string_append_c(p->out, '{');
    for (guint i = 0; i < v->keys->len && !print_full(p); i++) {
        const rift_value *k = v->keys->pdata[i];
        if (i)
            g_string_append_c(p->out, ',');
        print_indent(p, depth + 1);
        char *key = rift_value_key_text(k); /* JSON keys are strings */
        print_str(p, key);
        g_free(key);
        g_string_append(p->out, p->pretty ? ": " : ":");
        print_value(p, v->items->pdata[i], depth + 1);
    }
    if (v->keys->len)
        print_indent(p, depth);
    g_string_append_c(p->out, '}');
}

/* An object prints as {"__class__": name, "__args__": ..., "__state__": ...,
 * "__items__": ...} plus its dict entries, so the output stays JSON. */
static void print_object(printer *p, const rift_value *v, int depth)
{
    g_string_append(p->out, p->pretty ? "{\"__class__\": " : "{\"__class__\":");
    print_str(p, v->str);
    const struct {
        const char *name;
        const rift_value *val;
    } parts[] = {{"__args__", v->args}, {"__state__", v->state}};
    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        if (!parts[i].val)
            continue;
        g_string_append_printf(p->out, p->pretty ? ", \"%s\": " : ",\"%s\":", parts[i].name);
        print_value(p, parts[i].val, depth + 1);
    }
    if (v->appended) {
        g_string_append(p->out, p->pretty ? ", \"__items__\": " : ",\"__items__\":");
        print_seq(p, v->appended, "[", "]", depth + 1);
    }
    if (v->keys) {
        g_string_append(p->out, p->pretty ? ", \"__dict__\": " : ",\"__dict__\":");
        print_dict(p, v, depth + 1);
    }
    g_string_append_c(p->out, '}');
}

static void print_value(printer *p, const rift_value *v, int depth)
{
    if (print_full(p) || depth > RIFT_VALUE_MAX_DEPTH) {
        g_string_append(p->out, "\"...\"");
        return;
    }
    switch (v->type) {
    case RIFT_VAL_NONE:
        g_string_append(p->out, "null");
        break;
    case RIFT_VAL_BOOL:
        g_string_append(p->out, v->num.b ? "true" : "false");
        break;
    case RIFT_VAL_INT:
        g_string_append_printf(p->out, "%" G_GINT64_FORMAT, v->num.i);
        break;
    case RIFT_VAL_FLOAT:
        print_float(p, v->num.f);
        break;
    case RIFT_VAL_STR:
        print_str(p, v->str);
        break;
    case RIFT_VAL_BYTES:
        g_string_append_printf(p->out, "\"<%" G_GSIZE_FORMAT " bytes>\"", v->len);
        break;
    case RIFT_VAL_LIST:
    case RIFT_VAL_TUPLE:
        print_seq(p, v->items, "[", "]", depth);
        break;
    case RIFT_VAL_DICT:
        print_dict(p, v, depth);
        break;
    case RIFT_VAL_TENSOR:
        print_tensor(p, v);
        break;
    case RIFT_VAL_OBJECT:
        print_object(p, v, depth);
        break;
    }
}

char *rift_value_key_text(const rift_value *key)
{
    switch (key->type) {
    case RIFT_VAL_STR:
        return g_strdup(key->str);
    case RIFT_VAL_INT:
        return g_strdup_printf("%" G_GINT64_FORMAT, key->num.i);
    case RIFT_VAL_NONE:
    case RIFT_VAL_BOOL:
    case RIFT_VAL_FLOAT:
        return rift_value_to_string(key, FALSE);
    default: /* not printed in full: a key can be a large shared tree */
        return g_strdup_printf("<%s>", rift_value_type_name(key->type));
    }
}

char *rift_value_to_string(const rift_value *v, gboolean pretty)
{
    printer p = {g_string_new(NULL), pretty};
    if (v)
        print_value(&p, v, 0);
    else
        g_string_append(p.out, "null");
    return g_string_free(p.out, FALSE);
}
