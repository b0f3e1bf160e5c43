/* value.h — an inert tree of data read from a checkpoint or a config.
 *
 * The restricted unpickler (pickle.c) and the JSON reader (json.c) both build
 * this tree: None, bool, int, float, str, bytes, list, tuple, dict (ordered,
 * any keys), tensor, and "object" — an instance of a class we do not know
 * (Lightning's AttributeDict, argparse.Namespace, ...) kept as its class name,
 * constructor arguments and state, never called. Dict-like objects (a dict
 * subclass filled with SETITEMS) answer dict lookups too.
 */
#pragma once

#include "tensor.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef enum {
    RIFT_VAL_NONE,
    RIFT_VAL_BOOL,
    RIFT_VAL_INT,
    RIFT_VAL_FLOAT,
    RIFT_VAL_STR,
    RIFT_VAL_BYTES,
    RIFT_VAL_LIST,
    RIFT_VAL_TUPLE,
    RIFT_VAL_DICT,
    RIFT_VAL_TENSOR,
    RIFT_VAL_OBJECT,
} rift_value_type;

typedef struct rift_value rift_value;

rift_value_type rift_value_get_type(const rift_value *v);
const char *rift_value_type_name(rift_value_type t);

/* Scalars: FALSE when the type does not fit (an int is accepted as a double,
 * a bool as an int). */
gboolean rift_value_as_bool(const rift_value *v, gboolean *out);
gboolean rift_value_as_int(const rift_value *v, int64_t *out);
gboolean rift_value_as_double(const rift_value *v, double *out);
const char *rift_value_as_str(const rift_value *v); /* NULL unless STR */
const rift_tensor *rift_value_as_tensor(const rift_value *v); /* NULL unless TENSOR */

/* Containers: list/tuple items, dict entries (also for dict-like objects). */
guint rift_value_len(const rift_value *v);
const rift_value *rift_value_index(const rift_value *v, guint i);
const rift_value *rift_value_key_at(const rift_value *v, guint i);   /* dicts */
const rift_value *rift_value_value_at(const rift_value *v, guint i); /* dicts */
/* dict lookup by string key; NULL if v is not dict-like or has no such key */
const rift_value *rift_value_get(const rift_value *v, const char *key);
/* "hyper_parameters/cfg/model/dim": '/'-separated string keys */
const rift_value *rift_value_lookup(const rift_value *root, const char *path);

/* OBJECT: "module.Class", e.g. "lightning_fabric.utilities.data.AttributeDict" */
const char *rift_value_object_class(const rift_value *v);

/* JSON text -> tree (objects become dicts with string keys). */
rift_value *rift_value_from_json(const char *text, gssize len, const char *what, GError **err);
/* tree -> JSON-ish text for people (tensors print as "F32[128, 1025]"). */
char *rift_value_to_string(const rift_value *v, gboolean pretty);

/* Frees the whole tree `v` belongs to (pass the root you were given; nodes
 * may be shared inside a tree, so they are never freed one by one). */
void rift_value_free(rift_value *v);

G_END_DECLS
