/* json.c — JSON text to a rift_value tree (configs, safetensors headers),
 * through json-glib.
 *
 * Tested by tests/io/test-value.c and, for safetensors headers, by
 * tests/io/test-safetensors.c; fuzzed by tests/fuzz/fuzz-readers.c.
 */
#include "io-private.h"

#include "rift-error.h"

#include <string.h>

/* json-glib's parser recurses once per nesting level; refuse deep nesting
 * before it sees the text, so hostile input cannot exhaust the stack. */
static gboolean check_depth(const char *text, gsize len, const char *what, GError **err)
{
    int depth = 0;
    gboolean in_str = FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = text[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = FALSE;
        } else if (c == '"') {
            in_str = TRUE;
        } else if (c == '[' || c == '{') {
            if (++depth > RIFT_VALUE_MAX_DEPTH) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                            "%s: JSON nested deeper than %d levels", what, RIFT_VALUE_MAX_DEPTH);
                return FALSE;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return TRUE;
}

JsonParser *rift_json_parse(const char *text, gsize len, const char *what, GError **err)
{
    if (memchr(text, 0, len)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: JSON text contains a NUL byte",
                    what);
        return NULL;
    }
    if (!check_depth(text, len, what, err))
        return NULL;
    JsonParser *parser = json_parser_new_immutable();
    GError *jerr = NULL;
    if (!json_parser_load_from_data(parser, text, (gssize)len, &jerr)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "%s: invalid JSON: %s", what,
                    jerr->message);
        g_error_free(jerr);
        g_object_unref(parser);
        return NULL;
    }
    return parser;
}

static rift_value *from_node(const rift_value *any, JsonNode *node);

static rift_value *from_object(const rift_value *any, JsonObject *obj)
{
    rift_value *d = rift_value_new(any, RIFT_VAL_DICT);
    GList *names = json_object_get_members(obj); /* in document order */
    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        rift_value *key = rift_value_new_str(any, name, strlen(name));
        rift_value_set(d, key, from_node(any, json_object_get_member(obj, name)));
    }
    g_list_free(names);
    return d;
}

static rift_value *from_array(const rift_value *any, JsonArray *arr)
{
    rift_value *l = rift_value_new(any, RIFT_VAL_LIST);
    guint n = json_array_get_length(arr);
    for (guint i = 0; i < n; i++)
        rift_value_append(l, from_node(any, json_array_get_element(arr, i)));
    return l;
}

static rift_value *from_scalar(const rift_value *any, JsonNode *node)
{
    switch (json_node_get_value_type(node)) {
    case G_TYPE_INT64:
        return rift_value_new_int(any, json_node_get_int(node));
    case G_TYPE_DOUBLE:
        return rift_value_new_float(any, json_node_get_double(node));
    case G_TYPE_BOOLEAN:
        return rift_value_new_bool(any, json_node_get_boolean(node));
    default: {
        const char *s = json_node_get_string(node);
        return rift_value_new_str(any, s ? s : "", s ? strlen(s) : 0);
    }
    }
}

/* Depth is bounded by check_depth(), so this recursion is too. */
static rift_value *from_node(const rift_value *any, JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
        return from_object(any, json_node_get_object(node));
    case JSON_NODE_ARRAY:
        return from_array(any, json_node_get_array(node));
    case JSON_NODE_VALUE:
        return from_scalar(any, node);
    case JSON_NODE_NULL:
        break;
    }
    return rift_value_new(any, RIFT_VAL_NONE);
}

rift_value *rift_value_from_json(const char *text, gssize len, const char *what, GError **err)
{
    if (len < 0)
        len = (gssize)strlen(text);
    JsonParser *parser = rift_json_parse(text, (gsize)len, what ? what : "JSON", err);
    if (!parser)
        return NULL;
    JsonNode *root = json_parser_get_root(parser);
    rift_value *anchor = rift_value_new_root(RIFT_VAL_NONE);
    rift_value *v = root ? from_node(anchor, root) : anchor;
    g_object_unref(parser);
    return v;
}
