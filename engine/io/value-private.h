/* value-private.h — how the readers (pickle.c, json.c, safetensors.c,
 * torch.c) build and walk rift_value trees. Not for model code: models see
 * value.h only.
 *
 * Every node of a tree belongs to one pool, and the tree is freed as a whole
 * with its root (rift_value_free). A pickle may share a node between several
 * parents or even make cycles (memo + APPEND), so nodes are never freed one by
 * one and nothing here recurses without a depth bound.
 */
#pragma once

#include "value.h"

G_BEGIN_DECLS

/* How deep readers and printers follow containers. */
#define RIFT_VALUE_MAX_DEPTH 200

typedef struct rift_value_pool rift_value_pool;

struct rift_value {
    rift_value_type type;
    rift_value_pool *pool;
    gboolean is_class;   /* OBJECT: a class reference (pickle GLOBAL), not an instance */
    union {
        gboolean b;
        int64_t i;
        double f;
    } num;
    char *str;           /* STR, BYTES (NUL-terminated too); OBJECT: class name */
    gsize len;           /* STR, BYTES: bytes */
    GPtrArray *items;    /* LIST, TUPLE: items; DICT, OBJECT: dict values */
    GPtrArray *keys;     /* DICT, OBJECT: dict keys, parallel to items */
    GHashTable *index;   /* DICT, OBJECT: string key -> position + 1 */
    GPtrArray *appended; /* OBJECT: items APPENDed to a list subclass */
    rift_value *args;    /* OBJECT: constructor arguments; TENSOR: the rebuild call's */
    rift_value *state;   /* DICT, OBJECT: pickle BUILD state */
    rift_tensor *tensor; /* TENSOR: NULL until the reader resolves it */
};

/* A new tree: its pool and a root node of type `type`. */
rift_value *rift_value_new_root(rift_value_type type);
/* A new node in the same pool as `any` (any node of the tree). */
rift_value *rift_value_new(const rift_value *any, rift_value_type type);
rift_value *rift_value_new_int(const rift_value *any, int64_t i);
rift_value *rift_value_new_float(const rift_value *any, double f);
rift_value *rift_value_new_bool(const rift_value *any, gboolean b);
/* STR: invalid UTF-8 is repaired (U+FFFD) so the text is always printable. */
rift_value *rift_value_new_str(const rift_value *any, const char *s, gsize len);
rift_value *rift_value_new_bytes(const rift_value *any, const void *data, gsize len);
/* OBJECT named `cls`; is_class marks a class reference. */
rift_value *rift_value_new_object(const rift_value *any, const char *cls, gboolean is_class);

/* Containers; the caller checks that `c` has the right type. */
void rift_value_append(rift_value *c, rift_value *item);          /* LIST, TUPLE, OBJECT */
void rift_value_set(rift_value *c, rift_value *key, rift_value *val); /* DICT, OBJECT */
gboolean rift_value_is_dict_like(const rift_value *v);
/* A dict key as text: strings as they are, ints in decimal, other scalars
 * printed, containers as "<tuple>" (never expanded: bounded work). */
char *rift_value_key_text(const rift_value *key);

G_END_DECLS
