/* pickle.c — a restricted unpickler: Python pickle (protocols 2..5, the
 * opcodes torch.save, Lightning and Hugging Face checkpoints use) to an inert
 * rift_value tree.
 *
 * Nothing is ever executed or imported. GLOBAL/STACK_GLOBAL push a class
 * *name*; REDUCE/NEWOBJ of that name build data: dicts for the dict classes,
 * unresolved TENSOR values for torch's tensor rebuild functions (torch.c
 * resolves them against the zip's storages), and for anything else an OBJECT
 * holding the class name, the arguments and, after BUILD, the state. Every
 * read is bounds-checked; the stack, marks and memo are bounded; the machine
 * is a loop, so hostile input cannot recurse.
 *
 * Tested by tests/io/test-torch.c (fixture checkpoints, hand-written
 * pickles) and tests/io/test-bad-input.c; fuzzed by tests/fuzz/fuzz-readers.c.
 */
#include "io-private.h"

#include "rift-error.h"

#include <math.h>
#include <string.h>

#define MAX_STACK (1u << 20)
#define MAX_MARKS (1u << 16)
#define MAX_MEMO (1u << 22)
#define MAX_GLOBAL_NAME 512

typedef struct {
    const guint8 *start, *p, *end;
    const char *what;
    guint8 op;          /* the opcode being run, for messages */
    gsize op_pos;
    rift_value *anchor; /* any node of the tree: the pool */
    GPtrArray *stack;
    GArray *marks;      /* stack lengths at each MARK */
    GHashTable *memo;   /* index -> rift_value * */
    rift_value *result; /* set by STOP */
    GError **err;
} unpickler;

typedef gboolean (*op_fn)(unpickler *u);

static gboolean fail(unpickler *u, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean fail(unpickler *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(u->err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                "%s: %s (pickle opcode 0x%02x at byte %" G_GSIZE_FORMAT ")", u->what, why, u->op,
                u->op_pos);
    g_free(why);
    return FALSE;
}

/* ---- reading the byte stream ------------------------------------------- */

static gboolean take(unpickler *u, guint64 n, const guint8 **out)
{
    *out = u->p;
    if ((guint64)(u->end - u->p) < n)
        return fail(u, "truncated: %" G_GUINT64_FORMAT " bytes needed, %" G_GSIZE_FORMAT " left",
                    n, (gsize)(u->end - u->p));
    *out = u->p;
    u->p += n;
    return TRUE;
}

/* An unsigned little-endian integer of `width` bytes (1..8). */
static gboolean read_uint(unpickler *u, guint width, guint64 *out)
{
    const guint8 *b;
    if (!take(u, width, &b))
        return FALSE;
    *out = 0;
    for (guint i = 0; i < width; i++)
        *out |= (guint64)b[i] << (8 * i);
    return TRUE;
}

/* ---- the stack ------------------------------------------------------------ */

static guint stack_base(const unpickler *u)
{
    return u->marks->len ? g_array_index(u->marks, guint, u->marks->len - 1) : 0;
}

static gboolean push(unpickler *u, rift_value *v)
{
    if (u->stack->len >= MAX_STACK)
        return fail(u, "stack deeper than %u items", MAX_STACK);
    g_ptr_array_add(u->stack, v);
    return TRUE;
}

static rift_value *top(unpickler *u)
{
    if (u->stack->len <= stack_base(u)) {
        fail(u, "stack underflow");
        return NULL;
    }
    return u->stack->pdata[u->stack->len - 1];
}

static rift_value *pop(unpickler *u)
{
    rift_value *v = top(u);
    if (v)
        g_ptr_array_set_size(u->stack, u->stack->len - 1);
    return v;
}

/* Pop the last MARK; the items above it are stack[*at ..]. */
static gboolean pop_mark(unpickler *u, guint *at)
{
    *at = 0;
    if (!u->marks->len)
        return fail(u, "no MARK before this opcode");
    *at = g_array_index(u->marks, guint, u->marks->len - 1);
    g_array_set_size(u->marks, u->marks->len - 1);
    return TRUE;
}

static rift_value *new_node(unpickler *u, rift_value_type type)
{
    return rift_value_new(u->anchor, type);
}

/* ---- values ------------------------------------------------------------------ */

static gboolean op_proto(unpickler *u)
{
    guint64 proto;
    if (!read_uint(u, 1, &proto))
        return FALSE;
    return proto <= 5 || fail(u, "pickle protocol %u is newer than 5", (guint)proto);
}

static gboolean op_frame(unpickler *u)
{
    guint64 len;
    return read_uint(u, 8, &len); /* frames only group opcodes; nothing to check */
}

static gboolean op_stop(unpickler *u)
{
    u->result = pop(u);
    return u->result != NULL;
}

static gboolean op_none(unpickler *u)
{
    return push(u, new_node(u, RIFT_VAL_NONE));
}

static gboolean op_newtrue(unpickler *u)
{
    return push(u, rift_value_new_bool(u->anchor, TRUE));
}

static gboolean op_newfalse(unpickler *u)
{
    return push(u, rift_value_new_bool(u->anchor, FALSE));
}

static gboolean push_uint(unpickler *u, guint width)
{
    guint64 x;
    return read_uint(u, width, &x) && push(u, rift_value_new_int(u->anchor, (int64_t)x));
}

static gboolean op_binint(unpickler *u)
{
    guint64 x;
    return read_uint(u, 4, &x) && push(u, rift_value_new_int(u->anchor, (gint32)(guint32)x));
}

static gboolean op_binint1(unpickler *u)
{
    return push_uint(u, 1);
}

static gboolean op_binint2(unpickler *u)
{
    return push_uint(u, 2);
}

/* Python's arbitrary-precision int: little-endian two's complement. Values
 * beyond int64 become the nearest double. */
static rift_value *long_value(unpickler *u, const guint8 *b, guint64 n)
{
    gboolean neg = n && (b[n - 1] & 0x80);
    gboolean fits = n <= 8 || ((b[7] & 0x80) != 0) == neg;
    for (guint64 i = 8; fits && i < n; i++)
        fits = b[i] == (neg ? 0xff : 0x00);
    if (fits) {
        guint64 x = neg ? G_MAXUINT64 : 0;
        for (guint64 i = 0; i < MIN(n, 8); i++)
            x = (x & ~((guint64)0xff << (8 * i))) | ((guint64)b[i] << (8 * i));
        return rift_value_new_int(u->anchor, (int64_t)x);
    }
    double mag = 0.0; /* |value| = ~bits + 1 when negative */
    for (guint64 i = n; i-- > 0;)
        mag = mag * 256.0 + (neg ? (guint8)~b[i] : b[i]);
    return rift_value_new_float(u->anchor, neg ? -(mag + 1.0) : mag);
}

static gboolean push_long(unpickler *u, guint width)
{
    guint64 n;
    const guint8 *b;
    if (!read_uint(u, width, &n))
        return FALSE;
    if (width == 4 && n > G_MAXINT32)
        return fail(u, "negative LONG4 length");
    return take(u, n, &b) && push(u, long_value(u, b, n));
}

static gboolean op_long1(unpickler *u)
{
    return push_long(u, 1);
}

static gboolean op_long4(unpickler *u)
{
    return push_long(u, 4);
}

static gboolean op_binfloat(unpickler *u)
{
    const guint8 *b;
    if (!take(u, 8, &b))
        return FALSE;
    guint64 bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | b[i]; /* big-endian */
    double d;
    memcpy(&d, &bits, 8);
    return push(u, rift_value_new_float(u->anchor, d));
}

static gboolean push_text(unpickler *u, guint width, gboolean is_str)
{
    guint64 n;
    const guint8 *b;
    if (!read_uint(u, width, &n) || !take(u, n, &b))
        return FALSE;
    return push(u, is_str ? rift_value_new_str(u->anchor, (const char *)b, (gsize)n)
                          : rift_value_new_bytes(u->anchor, b, (gsize)n));
}

static gboolean op_short_binunicode(unpickler *u)
{
    return push_text(u, 1, TRUE);
}

static gboolean op_binunicode(unpickler *u)
{
    return push_text(u, 4, TRUE);
}

static gboolean op_binunicode8(unpickler *u)
{
    return push_text(u, 8, TRUE);
}

static gboolean op_short_binbytes(unpickler *u)
{
    return push_text(u, 1, FALSE);
}

static gboolean op_binbytes(unpickler *u)
{
    return push_text(u, 4, FALSE);
}

static gboolean op_binbytes8(unpickler *u)
{
    return push_text(u, 8, FALSE);
}

/* ---- containers ------------------------------------------------------------ */

static gboolean op_empty_tuple(unpickler *u)
{
    return push(u, new_node(u, RIFT_VAL_TUPLE));
}

/* Sets have no type of their own here: they become lists. */
static gboolean op_empty_list(unpickler *u)
{
    return push(u, new_node(u, RIFT_VAL_LIST));
}

static gboolean op_empty_dict(unpickler *u)
{
    return push(u, new_node(u, RIFT_VAL_DICT));
}

/* TUPLE, LIST, FROZENSET: the items above the last MARK. */
static gboolean collect(unpickler *u, rift_value_type type)
{
    guint at;
    if (!pop_mark(u, &at))
        return FALSE;
    rift_value *c = new_node(u, type);
    for (guint i = at; i < u->stack->len; i++)
        rift_value_append(c, u->stack->pdata[i]);
    g_ptr_array_set_size(u->stack, at);
    return push(u, c);
}

static gboolean op_tuple(unpickler *u)
{
    return collect(u, RIFT_VAL_TUPLE);
}

static gboolean op_list(unpickler *u)
{
    return collect(u, RIFT_VAL_LIST);
}

static gboolean tuple_n(unpickler *u, guint n)
{
    if (u->stack->len < stack_base(u) + n)
        return fail(u, "stack underflow");
    rift_value *t = new_node(u, RIFT_VAL_TUPLE);
    for (guint i = u->stack->len - n; i < u->stack->len; i++)
        rift_value_append(t, u->stack->pdata[i]);
    g_ptr_array_set_size(u->stack, u->stack->len - n);
    return push(u, t);
}

static gboolean op_tuple1(unpickler *u)
{
    return tuple_n(u, 1);
}

static gboolean op_tuple2(unpickler *u)
{
    return tuple_n(u, 2);
}

static gboolean op_tuple3(unpickler *u)
{
    return tuple_n(u, 3);
}

static gboolean is_instance(const rift_value *v)
{
    return v->type == RIFT_VAL_OBJECT && !v->is_class;
}

static gboolean append_to(unpickler *u, rift_value *c, rift_value *item)
{
    if (c->type != RIFT_VAL_LIST && !is_instance(c))
        return fail(u, "cannot append to a %s", rift_value_type_name(c->type));
    rift_value_append(c, item);
    return TRUE;
}

static gboolean set_on(unpickler *u, rift_value *c, rift_value *key, rift_value *val)
{
    if (c->type != RIFT_VAL_DICT && !is_instance(c))
        return fail(u, "cannot set an item on a %s", rift_value_type_name(c->type));
    rift_value_set(c, key, val);
    return TRUE;
}

static gboolean op_append(unpickler *u)
{
    rift_value *item = pop(u);
    rift_value *c = item ? top(u) : NULL;
    return c && append_to(u, c, item);
}

/* APPENDS, ADDITEMS: the items above the MARK go into the object below it. */
static gboolean op_appends(unpickler *u)
{
    guint at;
    if (!pop_mark(u, &at))
        return FALSE;
    if (at <= stack_base(u))
        return fail(u, "stack underflow");
    rift_value *c = u->stack->pdata[at - 1];
    for (guint i = at; i < u->stack->len; i++) {
        if (!append_to(u, c, u->stack->pdata[i]))
            return FALSE;
    }
    g_ptr_array_set_size(u->stack, at);
    return TRUE;
}

static gboolean op_setitem(unpickler *u)
{
    rift_value *val = pop(u);
    rift_value *key = val ? pop(u) : NULL;
    rift_value *c = key ? top(u) : NULL;
    return c && set_on(u, c, key, val);
}

static gboolean op_setitems(unpickler *u)
{
    guint at;
    if (!pop_mark(u, &at))
        return FALSE;
    if (at <= stack_base(u))
        return fail(u, "stack underflow");
    if ((u->stack->len - at) % 2)
        return fail(u, "odd number of items for SETITEMS");
    rift_value *c = u->stack->pdata[at - 1];
    for (guint i = at; i < u->stack->len; i += 2) {
        if (!set_on(u, c, u->stack->pdata[i], u->stack->pdata[i + 1]))
            return FALSE;
    }
    g_ptr_array_set_size(u->stack, at);
    return TRUE;
}

static gboolean op_dict(unpickler *u)
{
    guint at;
    if (!pop_mark(u, &at))
        return FALSE;
    if ((u->stack->len - at) % 2)
        return fail(u, "odd number of items for DICT");
    rift_value *d = new_node(u, RIFT_VAL_DICT);
    for (guint i = at; i < u->stack->len; i += 2)
        rift_value_set(d, u->stack->pdata[i], u->stack->pdata[i + 1]);
    g_ptr_array_set_size(u->stack, at);
    return push(u, d);
}

static gboolean op_frozenset(unpickler *u)
{
    return collect(u, RIFT_VAL_LIST);
}

static gboolean op_mark(unpickler *u)
{
    if (u->marks->len >= MAX_MARKS)
        return fail(u, "more than %u nested MARKs", MAX_MARKS);
    guint at = u->stack->len;
    g_array_append_val(u->marks, at);
    return TRUE;
}

static gboolean op_pop(unpickler *u)
{
    return pop(u) != NULL;
}

static gboolean op_pop_mark(unpickler *u)
{
    guint at;
    if (!pop_mark(u, &at))
        return FALSE;
    g_ptr_array_set_size(u->stack, at);
    return TRUE;
}

static gboolean op_dup(unpickler *u)
{
    rift_value *v = top(u);
    return v && push(u, v);
}

/* ---- memo ---------------------------------------------------------------------- */

static gboolean memo_put(unpickler *u, guint64 idx)
{
    rift_value *v = top(u);
    if (!v)
        return FALSE;
    gpointer key = GSIZE_TO_POINTER((gsize)idx);
    if (g_hash_table_size(u->memo) >= MAX_MEMO && !g_hash_table_contains(u->memo, key))
        return fail(u, "memo larger than %u entries", MAX_MEMO);
    g_hash_table_insert(u->memo, key, v);
    return TRUE;
}

static gboolean memo_get(unpickler *u, guint64 idx)
{
    rift_value *v = g_hash_table_lookup(u->memo, GSIZE_TO_POINTER((gsize)idx));
    if (!v)
        return fail(u, "memo entry %" G_GUINT64_FORMAT " is not defined", idx);
    return push(u, v);
}

static gboolean op_binput(unpickler *u)
{
    guint64 i;
    return read_uint(u, 1, &i) && memo_put(u, i);
}

static gboolean op_long_binput(unpickler *u)
{
    guint64 i;
    return read_uint(u, 4, &i) && memo_put(u, i);
}

static gboolean op_memoize(unpickler *u)
{
    return memo_put(u, g_hash_table_size(u->memo));
}

static gboolean op_binget(unpickler *u)
{
    guint64 i;
    return read_uint(u, 1, &i) && memo_get(u, i);
}

static gboolean op_long_binget(unpickler *u)
{
    guint64 i;
    return read_uint(u, 4, &i) && memo_get(u, i);
}

/* ---- classes and objects: names only, never imported or called ------------ */

static gboolean push_class(unpickler *u, const char *module, gsize mlen, const char *name,
                           gsize nlen)
{
    /* protocol-2 pickles written by Python 3 use the Python 2 module names */
    char *mod = g_strndup(module, mlen);
    const char *m = strcmp(mod, "__builtin__") == 0 ? "builtins"
                    : strcmp(mod, "copy_reg") == 0  ? "copyreg"
                                                    : mod;
    char *full = g_strdup_printf("%s.%.*s", m, (int)nlen, name);
    rift_value *cls = rift_value_new_object(u->anchor, full, TRUE);
    g_free(full);
    g_free(mod);
    return push(u, cls);
}

static gboolean read_line(unpickler *u, const char **line, gsize *len)
{
    gsize avail = MIN((gsize)(u->end - u->p), MAX_GLOBAL_NAME + 1);
    const guint8 *nl = memchr(u->p, '\n', avail);
    *line = (const char *)u->p;
    *len = 0;
    if (!nl)
        return fail(u, "GLOBAL name is not a line of at most %d bytes", MAX_GLOBAL_NAME);
    *len = (gsize)(nl - u->p);
    u->p = nl + 1;
    return TRUE;
}

static gboolean op_global(unpickler *u)
{
    const char *mod, *name;
    gsize mlen, nlen;
    return read_line(u, &mod, &mlen) && read_line(u, &name, &nlen) &&
           push_class(u, mod, mlen, name, nlen);
}

static gboolean op_stack_global(unpickler *u)
{
    rift_value *name = pop(u);
    rift_value *mod = name ? pop(u) : NULL;
    if (!mod)
        return FALSE;
    if (name->type != RIFT_VAL_STR || mod->type != RIFT_VAL_STR ||
        name->len > MAX_GLOBAL_NAME || mod->len > MAX_GLOBAL_NAME)
        return fail(u, "STACK_GLOBAL needs two short strings");
    return push_class(u, mod->str, mod->len, name->str, name->len);
}

static gboolean class_in(const char *name, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(name, *list) == 0)
            return TRUE;
    }
    return FALSE;
}

static const char *const dict_classes[] = {"collections.OrderedDict", "builtins.dict",
                                           "collections.defaultdict", NULL};
static const char *const tensor_rebuilders[] = {"torch._utils._rebuild_tensor_v2",
                                                "torch._utils._rebuild_tensor", NULL};
static const char *const parameter_rebuilders[] = {"torch._utils._rebuild_parameter",
                                                   "torch._utils._rebuild_parameter_with_state",
                                                   NULL};

static rift_value *arg(const rift_value *args, guint i)
{
    return i < args->items->len ? args->items->pdata[i] : NULL;
}

/* _codecs.encode(str, 'latin1'): how protocol 2 pickles bytes objects. */
static rift_value *latin1_bytes(unpickler *u, const rift_value *args)
{
    const rift_value *s = arg(args, 0), *enc = arg(args, 1);
    if (!s || s->type != RIFT_VAL_STR || !enc || enc->type != RIFT_VAL_STR ||
        (strcmp(enc->str, "latin1") != 0 && strcmp(enc->str, "latin-1") != 0))
        return NULL;
    gsize n;
    char *b = g_convert(s->str, (gssize)s->len, "ISO-8859-1", "UTF-8", NULL, &n, NULL);
    rift_value *v = b ? rift_value_new_bytes(u->anchor, b, n) : NULL;
    g_free(b);
    return v;
}

/* What calling class `cls` with `args` would make, as data. */
static rift_value *construct_value(unpickler *u, const char *cls, rift_value *args)
{
    rift_value *a0 = arg(args, 0), *v;
    if (class_in(cls, dict_classes))
        return new_node(u, RIFT_VAL_DICT);
    if (class_in(cls, tensor_rebuilders)) {
        v = new_node(u, RIFT_VAL_TENSOR);
        v->args = args; /* checked and resolved by torch.c, which knows the name */
        return v;
    }
    if (class_in(cls, parameter_rebuilders) && a0 && a0->type == RIFT_VAL_TENSOR)
        return a0;
    if (strcmp(cls, "_codecs.encode") == 0 && (v = latin1_bytes(u, args)))
        return v;
    if (strcmp(cls, "copyreg._reconstructor") == 0 && a0 && a0->type == RIFT_VAL_OBJECT &&
        a0->is_class)
        cls = a0->str; /* copyreg._reconstructor(cls, base, state): an instance of cls */
    v = rift_value_new_object(u->anchor, cls, FALSE);
    v->args = args;
    return v;
}

static gboolean construct(unpickler *u, rift_value *cls, rift_value *args)
{
    if (cls->type != RIFT_VAL_OBJECT || !cls->is_class)
        return fail(u, "callable is a %s, not a class",
                    cls->type == RIFT_VAL_OBJECT ? "object" : rift_value_type_name(cls->type));
    if (args->type != RIFT_VAL_TUPLE)
        return fail(u, "arguments of %s are a %s, not a tuple", cls->str,
                    rift_value_type_name(args->type));
    return push(u, construct_value(u, cls->str, args));
}

static gboolean op_reduce(unpickler *u)
{
    rift_value *args = pop(u);
    rift_value *cls = args ? pop(u) : NULL;
    return cls && construct(u, cls, args);
}

static gboolean op_newobj(unpickler *u)
{
    return op_reduce(u); /* cls.__new__(cls, *args): same data */
}

static gboolean op_newobj_ex(unpickler *u)
{
    return pop(u) && op_reduce(u); /* keyword arguments are dropped */
}

/* BUILD: obj.__setstate__(state). Kept as the object's state; on a dict (an
 * OrderedDict's `_metadata` attribute) it does not touch the items. */
static gboolean op_build(unpickler *u)
{
    rift_value *state = pop(u);
    rift_value *obj = state ? top(u) : NULL;
    if (!obj)
        return FALSE;
    if (obj->type == RIFT_VAL_TENSOR)
        return TRUE; /* a tensor subclass' attributes: not data we use */
    if (obj->type != RIFT_VAL_DICT && !is_instance(obj))
        return fail(u, "BUILD on a %s", rift_value_type_name(obj->type));
    obj->state = state;
    return TRUE;
}

static gboolean op_binpersid(unpickler *u)
{
    rift_value *pid = pop(u);
    if (!pid)
        return FALSE;
    rift_value *v = rift_value_new_object(u->anchor, RIFT_PICKLE_PERSID, FALSE);
    v->args = pid;
    return push(u, v);
}

/* ---- the machine ------------------------------------------------------------- */

static const op_fn ops[256] = {
    [0x80] = op_proto,        [0x95] = op_frame,          ['.'] = op_stop,
    ['('] = op_mark,          ['0'] = op_pop,             ['1'] = op_pop_mark,
    ['2'] = op_dup,           ['N'] = op_none,            [0x88] = op_newtrue,
    [0x89] = op_newfalse,     ['J'] = op_binint,          ['K'] = op_binint1,
    ['M'] = op_binint2,       [0x8a] = op_long1,          [0x8b] = op_long4,
    ['G'] = op_binfloat,      ['X'] = op_binunicode,      [0x8c] = op_short_binunicode,
    [0x8d] = op_binunicode8,  ['B'] = op_binbytes,        ['C'] = op_short_binbytes,
    [0x8e] = op_binbytes8,    [0x96] = op_binbytes8,      [')'] = op_empty_tuple,
    [']'] = op_empty_list,    [0x8f] = op_empty_list,     ['}'] = op_empty_dict,
    ['t'] = op_tuple,         [0x85] = op_tuple1,         [0x86] = op_tuple2,
    [0x87] = op_tuple3,       ['l'] = op_list,            ['d'] = op_dict,
    [0x91] = op_frozenset,    ['a'] = op_append,          ['e'] = op_appends,
    [0x90] = op_appends,      ['s'] = op_setitem,         ['u'] = op_setitems,
    ['q'] = op_binput,        ['r'] = op_long_binput,     [0x94] = op_memoize,
    ['h'] = op_binget,        ['j'] = op_long_binget,     ['c'] = op_global,
    [0x93] = op_stack_global, ['R'] = op_reduce,          [0x81] = op_newobj,
    [0x92] = op_newobj_ex,    ['b'] = op_build,           ['Q'] = op_binpersid,
};

static gboolean run(unpickler *u)
{
    while (!u->result) {
        if (u->p >= u->end)
            return fail(u, "ends without STOP");
        u->op_pos = (gsize)(u->p - u->start);
        u->op = *u->p++;
        if (!ops[u->op])
            return fail(u, "unsupported opcode");
        if (!ops[u->op](u))
            return FALSE;
    }
    return TRUE;
}

rift_value *rift_pickle_load(const guint8 *data, gsize len, const char *what, GError **err)
{
    unpickler u = {
        .start = data, .p = data, .end = data + len, .what = what, .err = err,
        .anchor = rift_value_new_root(RIFT_VAL_NONE),
        .stack = g_ptr_array_new(),
        .marks = g_array_new(FALSE, FALSE, sizeof(guint)),
        .memo = g_hash_table_new(g_direct_hash, g_direct_equal),
    };
    gboolean ok = run(&u);
    g_ptr_array_unref(u.stack);
    g_array_unref(u.marks);
    g_hash_table_unref(u.memo);
    if (!ok) {
        rift_value_free(u.anchor);
        return NULL;
    }
    return u.result; /* frees the whole pool, anchor included, when freed */
}
