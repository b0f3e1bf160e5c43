/* test-value.c — the value tree of value.h: JSON to tree, typed access,
 * lookups, printing (also of shared and cyclic trees a pickle can make),
 * and JSON errors.
 */
#include "rift-error.h"
#include "testutil.h"
#include "value-private.h"

#include <string.h>

static const char *const doc =
    "{\"sampling_rate\": 44100, \"fmax\": null, \"lr\": 2e-4, \"ok\": true, \"name\": \"n\\u00e9\","
    " \"rates\": [8, 8, 2], \"cfg\": {\"model\": {\"dim\": 64, \"ratio\": 2.0}}}";

static void check_json(void)
{
    GError *err = NULL;
    rift_value *v = rift_value_from_json(doc, -1, "config.json", &err);
    if (!rift_test_true(v != NULL, "parse (%s)", err ? err->message : "ok"))
        return;
    int64_t sr = 0, dim = 0, r2 = 0;
    double lr = 0, ratio = 0, sr_d = 0;
    gboolean ok = FALSE;
    rift_test_true(rift_value_get_type(v) == RIFT_VAL_DICT && rift_value_len(v) == 7,
                   "a dict of 7 keys");
    rift_test_true(rift_value_as_int(rift_value_get(v, "sampling_rate"), &sr) && sr == 44100 &&
                       rift_value_as_double(rift_value_get(v, "sampling_rate"), &sr_d) &&
                       sr_d == 44100.0,
                   "int, also as a double");
    rift_test_true(rift_value_as_double(rift_value_get(v, "lr"), &lr) && lr == 2e-4 &&
                       !rift_value_as_int(rift_value_get(v, "lr"), &r2),
                   "float, not an int");
    rift_test_true(rift_value_get_type(rift_value_get(v, "fmax")) == RIFT_VAL_NONE &&
                       rift_value_as_bool(rift_value_get(v, "ok"), &ok) && ok,
                   "null and bool");
    rift_test_true(g_strcmp0(rift_value_as_str(rift_value_get(v, "name")), "n\xc3\xa9") == 0,
                   "unicode string");
    rift_test_true(rift_value_len(rift_value_get(v, "rates")) == 3 &&
                       rift_value_as_int(rift_value_index(rift_value_get(v, "rates"), 2), &r2) &&
                       r2 == 2 && !rift_value_index(rift_value_get(v, "rates"), 3),
                   "list index, and out of range");
    rift_test_true(rift_value_as_int(rift_value_lookup(v, "cfg/model/dim"), &dim) && dim == 64 &&
                       rift_value_as_double(rift_value_lookup(v, "cfg/model/ratio"), &ratio) &&
                       ratio == 2.0 && !rift_value_lookup(v, "cfg/nope/dim") &&
                       !rift_value_get(rift_value_get(v, "rates"), "x"),
                   "path lookup");
    rift_test_true(g_strcmp0(rift_value_as_str(rift_value_key_at(v, 6)), "cfg") == 0,
                   "keys keep document order");
    char *s = rift_value_to_string(v, FALSE);
    rift_value *back = rift_value_from_json(s, -1, "printed", NULL);
    char *s2 = back ? rift_value_to_string(back, FALSE) : NULL;
    rift_test_true(g_strcmp0(s, s2) == 0 && strstr(s, "\"ratio\":2.0") && strstr(s, "0.0002"),
                   "printing is JSON that parses back the same: %s", s);
    g_free(s);
    g_free(s2);
    rift_value_free(back);
    rift_value_free(v);
}

static void expect_json_error(const char *label, const char *text, const char *needle)
{
    GError *err = NULL;
    rift_value *v = rift_value_from_json(text, -1, "cfg.json", &err);
    rift_test_true(!v && g_error_matches(err, RIFT_ERROR, RIFT_ERROR_FORMAT) &&
                       g_str_has_prefix(err->message, "cfg.json: ") && strstr(err->message, needle),
                   "%s: %s", label, err ? err->message : "(parsed)");
    g_clear_error(&err);
    rift_value_free(v);
}

static void check_json_errors(void)
{
    expect_json_error("truncated", "{\"a\": [1, 2", "invalid JSON");
    expect_json_error("garbage", "\x01\x02", "invalid JSON");
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    expect_json_error("100000 nested lists", deep->str, "nested deeper than");
    g_string_free(deep, TRUE);
    GError *err = NULL;
    rift_value *v = rift_value_from_json("{\"a\":1}\0{", 9, "nul.json", &err);
    rift_test_true(!v && err && strstr(err->message, "NUL byte"), "NUL byte refused");
    g_clear_error(&err);
}

/* A pickle can share nodes and make cycles; printing must stay bounded. */
static void check_shared_and_cyclic(void)
{
    rift_value *root = rift_value_new_root(RIFT_VAL_LIST);
    rift_value_append(root, root);
    char *s = rift_value_to_string(root, TRUE);
    rift_test_true(strstr(s, "\"...\"") != NULL, "a cycle prints with a depth cut");
    g_free(s);
    rift_value *l = rift_value_new(root, RIFT_VAL_LIST);
    rift_value_append(l, rift_value_new_str(root, "x", 1));
    for (int i = 0; i < 60; i++) { /* 2^60 leaves if expanded */
        rift_value *up = rift_value_new(root, RIFT_VAL_LIST);
        rift_value_append(up, l);
        rift_value_append(up, l);
        l = up;
    }
    s = rift_value_to_string(l, FALSE);
    rift_test_true(strlen(s) < (8u << 20), "a shared DAG prints in bounded size (%zu bytes)",
                   strlen(s));
    g_free(s);
    rift_value *d = rift_value_new(root, RIFT_VAL_DICT); /* the DAG as a key (fuzzer finding) */
    for (int i = 0; i < 200; i++)
        rift_value_set(d, l, d);
    gint64 t0 = g_get_monotonic_time();
    s = rift_value_to_string(d, FALSE);
    rift_test_true(strstr(s, "{\"<list>\":") && g_get_monotonic_time() - t0 < G_USEC_PER_SEC,
                   "a container key prints as \"<list>\", not expanded");
    g_free(s);
    rift_value *obj = rift_value_new_object(root, "argparse.Namespace", FALSE);
    rift_value_set(obj, rift_value_new_str(root, "k", 1), rift_value_new_int(root, 3));
    int64_t k = 0;
    rift_test_true(rift_value_as_int(rift_value_get(obj, "k"), &k) && k == 3 &&
                       g_strcmp0(rift_value_object_class(obj), "argparse.Namespace") == 0,
                   "dict-like object answers lookups");
    rift_value_free(root);
}

int main(void)
{
    check_json();
    check_json_errors();
    check_shared_and_cyclic();
    return rift_test_exit();
}
