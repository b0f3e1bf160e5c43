/* test-safetensors.c — safetensors reading, writing and header checks.
 *
 * Reads every fixture safetensors file, checks known shapes and values,
 * round-trips a write, and feeds hand-made bad headers that must fail with a
 * message naming the file and the tensor.
 */
#include "io-private.h"
#include "rift-error.h"
#include "safetensors.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

static void check_all_fixtures(void)
{
    char *root = rift_test_fixture("");
    const char *dirs[] = {"mel",     "dit", "rmvpe", "contentvec",
                          "vocoder", "dsp", "e2e",   "robust_f0"};
    int n_files = 0;
    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char *dir = g_build_filename(root, dirs[i], NULL);
        GDir *d = g_dir_open(dir, 0, NULL);
        for (const char *f; d && (f = g_dir_read_name(d));) {
            if (!g_str_has_suffix(f, ".safetensors"))
                continue;
            char *rel = g_build_filename(dirs[i], f, NULL);
            rift_weights *w = rift_test_open(rel);
            if (w)
                rift_test_true(rift_weights_count(w) > 0 &&
                                   strcmp(rift_weights_format(w), "safetensors") == 0,
                               "%s: %u tensors", rel, rift_weights_count(w));
            rift_weights_free(w);
            g_free(rel);
            n_files++;
        }
        if (d)
            g_dir_close(d);
        g_free(dir);
    }
    rift_test_true(n_files >= 20, "read %d fixture safetensors files", n_files);
    g_free(root);
}

static void check_mel_filterbank(void)
{
    rift_weights *w = rift_test_open("mel/mel_filterbank.safetensors");
    if (!w)
        return;
    GError *err = NULL;
    const rift_tensor *basis = rift_weights_take(w, NULL, "mel_basis", RIFT_F32, 2,
                                                 (int64_t[]){128, 1025}, &err);
    rift_test_true(basis != NULL, "mel_basis F32 [128, 1025]");
    g_clear_error(&err);
    const rift_tensor *win = rift_weights_take(w, "", "hann_window", RIFT_F32, 1,
                                               (int64_t[]){2048}, &err);
    rift_test_true(win != NULL, "hann_window F32 [2048]");
    g_clear_error(&err);
    if (win) {
        const float *h = win->data;
        /* torch.hann_window(2048) (periodic): 0 at 0, 1 at the middle */
        rift_test_true(h[0] == 0.0f && h[1024] > 0.99999f, "hann_window[0] = %g, [1024] = %g",
                       h[0], h[1024]);
    }
    /* a wrong shape names the file, the tensor and both shapes */
    rift_test_true(!rift_weights_take(w, NULL, "mel_basis", RIFT_F32, 2, (int64_t[]){128, 1024},
                                      &err) &&
                       g_error_matches(err, RIFT_ERROR, RIFT_ERROR_SHAPE) &&
                       strstr(err->message, "mel_filterbank.safetensors") &&
                       strstr(err->message, "'mel_basis'") &&
                       strstr(err->message, "[128, 1024]") && strstr(err->message, "[128, 1025]"),
                   "wrong shape message: %s", err ? err->message : "(none)");
    g_clear_error(&err);
    rift_test_true(!rift_weights_take(w, "x.", "nope", RIFT_F32, 0, NULL, &err) &&
                       g_error_matches(err, RIFT_ERROR, RIFT_ERROR_MISSING) &&
                       strstr(err->message, "'x.nope' is missing"),
                   "missing message: %s", err ? err->message : "(none)");
    g_clear_error(&err);
    char **unused = rift_weights_unused(w, NULL);
    rift_test_true(g_strv_length(unused) == rift_weights_count(w) - 2,
                   "unused after two takes: %u of %u", g_strv_length(unused),
                   rift_weights_count(w));
    g_strfreev(unused);
    rift_weights_free(w);
}

static void check_metadata(void)
{
    rift_weights *w = rift_test_open("dit/case1_forward.safetensors");
    if (!w)
        return;
    const rift_value *meta = rift_weights_meta(w);
    const char *fn = rift_value_as_str(rift_value_get(meta, "function"));
    rift_test_true(fn != NULL, "case1 __metadata__ function = %s", fn ? fn : "(none)");
    const char *cfg = rift_value_as_str(rift_value_get(meta, "model_cfg"));
    rift_value *v = cfg ? rift_value_from_json(cfg, -1, "model_cfg", NULL) : NULL;
    int64_t dim = 0;
    rift_test_true(rift_value_as_int(rift_value_get(v, "dim"), &dim) && dim == 64,
                   "case1 model_cfg dim = %" G_GINT64_FORMAT, dim);
    rift_value_free(v);
    const rift_tensor *x = rift_weights_find(w, "x");
    rift_test_true(x && x->dtype == RIFT_F32 && x->ndim == 3 && x->shape[0] == 2 &&
                       x->shape[1] == 96 && x->shape[2] == 128,
                   "case1 x F32 [2, 96, 128]");
    const rift_tensor *spk = rift_weights_find(w, "spk");
    rift_test_true(spk && spk->dtype == RIFT_I64 && ((const int64_t *)spk->data)[0] == 2 &&
                       ((const int64_t *)spk->data)[1] == 0,
                   "case1 spk I64 = [2, 0]");
    rift_weights_free(w);
}

static void check_round_trip(void)
{
    rift_tensor *a = rift_tensor_new_2d(RIFT_F32, 3, 5);
    rift_tensor *b = rift_tensor_new_1d(RIFT_BF16, 7);
    rift_tensor *c = rift_tensor_new(RIFT_I64, 0, NULL);
    rift_tensor *e = rift_tensor_new_2d(RIFT_U8, 0, 4);
    rift_tensor_set_name(a, "layer.weight");
    rift_tensor_set_name(b, "b\"quoted\"");
    rift_tensor_set_name(c, "scalar");
    rift_tensor_set_name(e, "empty");
    for (int i = 0; i < 15; i++)
        ((float *)a->data)[i] = (float)i * 0.25f - 1.0f;
    for (int i = 0; i < 7; i++)
        ((uint16_t *)b->data)[i] = rift_f32_to_bf16((float)i);
    *(int64_t *)c->data = -42;
    GHashTable *meta = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(meta, "steps", "8");
    g_hash_table_insert(meta, "json", "{\"a\": [1, 2]}");
    char *dir = g_dir_make_tmp("rift-io-XXXXXX", NULL);
    char *path = g_build_filename(dir, "rt.safetensors", NULL);
    GError *err = NULL;
    rift_tensor *ts[] = {a, b, c, e};
    gboolean ok = rift_safetensors_write(path, ts, 4, meta, &err);
    rift_test_true(ok, "write %s (%s)", "rt.safetensors", err ? err->message : "ok");
    g_clear_error(&err);
    rift_weights *w = ok ? rift_weights_open(path, &err) : NULL;
    rift_test_true(w != NULL, "read back (%s)", err ? err->message : "ok");
    g_clear_error(&err);
    if (w) {
        const rift_tensor *ra = rift_weights_find(w, "layer.weight");
        const rift_tensor *rb = rift_weights_find(w, "b\"quoted\"");
        const rift_tensor *rc = rift_weights_find(w, "scalar");
        const rift_tensor *re = rift_weights_find(w, "empty");
        rift_test_true(ra && rb && rc && re && rift_weights_count(w) == 4, "4 tensors back");
        if (ra && rb && rc && re) {
            rift_test_true(memcmp(ra->data, a->data, 60) == 0 && ra->shape[1] == 5,
                           "F32 [3, 5] values");
            rift_test_true(rb->dtype == RIFT_BF16 && memcmp(rb->data, b->data, 14) == 0,
                           "BF16 values");
            rift_test_true(rc->ndim == 0 && *(const int64_t *)rc->data == -42, "I64 scalar");
            rift_test_true(re->ndim == 2 && re->shape[0] == 0 && re->shape[1] == 4,
                           "empty U8 [0, 4]");
        }
        const rift_value *m = rift_weights_meta(w);
        rift_test_true(g_strcmp0(rift_value_as_str(rift_value_get(m, "steps")), "8") == 0 &&
                           g_strcmp0(rift_value_as_str(rift_value_get(m, "json")),
                                     "{\"a\": [1, 2]}") == 0,
                       "metadata back");
        gsize size;
        const guint8 *d = rift_weights_bytes(w, &size);
        guint64 hlen;
        memcpy(&hlen, d, 8);
        rift_test_true((8 + GUINT64_FROM_LE(hlen)) % 8 == 0, "data area 8-aligned");
    }
    rift_weights_free(w);
    /* a duplicate name is refused */
    rift_tensor_set_name(b, "layer.weight");
    rift_test_true(!rift_safetensors_write(path, ts, 2, NULL, &err) &&
                       g_error_matches(err, RIFT_ERROR, RIFT_ERROR_ARG) &&
                       strstr(err->message, "'layer.weight' appears twice"),
                   "duplicate name refused: %s", err ? err->message : "(none)");
    g_clear_error(&err);
    g_remove(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    g_hash_table_unref(meta);
    for (guint i = 0; i < G_N_ELEMENTS(ts); i++)
        rift_tensor_free(ts[i]);
}

/* A safetensors file in memory: header text, then `data_len` zero bytes. */
static GBytes *make_st(const char *header, gsize data_len)
{
    gsize hlen = strlen(header);
    guint8 *buf = g_malloc0(8 + hlen + data_len);
    guint64 le = GUINT64_TO_LE((guint64)hlen);
    memcpy(buf, &le, 8);
    memcpy(buf + 8, header, hlen);
    return g_bytes_new_take(buf, 8 + hlen + data_len);
}

static void expect_bad(const char *label, GBytes *bytes, int code, const char *needle)
{
    GError *err = NULL;
    rift_weights *w = rift_weights_open_bytes(bytes, "bad.safetensors", &err);
    gboolean ok = !w && g_error_matches(err, RIFT_ERROR, code) &&
                  strstr(err->message, "bad.safetensors") && strstr(err->message, needle);
    rift_test_true(ok, "%s: %s", label, err ? err->message : "(opened)");
    g_clear_error(&err);
    rift_weights_free(w);
    g_bytes_unref(bytes);
}

static void check_bad_headers(void)
{
    const int F = RIFT_ERROR_FORMAT;
    expect_bad("offsets past the data", make_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],"
                                                "\"data_offsets\":[0,16]}}", 8),
               F, "'t': data_offsets [0, 16] are outside the data area of 8 bytes");
    expect_bad("size vs shape", make_st("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],"
                                        "\"data_offsets\":[0,16]}}", 16),
               F, "'t': F32 [3] needs 12 bytes");
    expect_bad("overlap", make_st("{\"a\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]},"
                                  "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[4,12]}}",
                                  12),
               F, "'a' [0, 8) and 'b' [4, 12) overlap");
    expect_bad("unknown dtype", make_st("{\"t\":{\"dtype\":\"F33\",\"shape\":[1],"
                                        "\"data_offsets\":[0,4]}}", 4),
               F, "'t': unknown dtype \"F33\"");
    expect_bad("unsupported dtype", make_st("{\"t\":{\"dtype\":\"U32\",\"shape\":[1],"
                                            "\"data_offsets\":[0,4]}}", 4),
               RIFT_ERROR_UNSUPPORTED, "'t': dtype U32 is not supported");
    expect_bad("rank", make_st("{\"t\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],"
                               "\"data_offsets\":[0,1]}}", 1),
               F, "'t': rank 9 is above the maximum 8");
    expect_bad("negative dim", make_st("{\"t\":{\"dtype\":\"U8\",\"shape\":[-1],"
                                       "\"data_offsets\":[0,0]}}", 0),
               F, "'t': shape[0] is not a non-negative integer");
    expect_bad("overflowing shape",
               make_st("{\"t\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                       "\"data_offsets\":[0,0]}}", 0),
               F, "'t': shape [4294967296, 4294967296] is too large");
    expect_bad("metadata not strings", make_st("{\"__metadata__\":{\"steps\":8}}", 0), F,
               "__metadata__ value of 'steps' is not a string");
    expect_bad("not JSON", make_st("{\"t\":", 0), F, "safetensors header: invalid JSON");
    expect_bad("deep nesting", make_st("{\"t\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                                       "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", 0),
               F, "nested deeper than");
    GBytes *st = make_st("{\"t\":{}}", 0);
    guint8 *cut = g_memdup2(g_bytes_get_data(st, NULL), 12);
    guint64 big = GUINT64_TO_LE(1000);
    memcpy(cut, &big, 8);
    g_bytes_unref(st);
    expect_bad("header past the end", g_bytes_new_take(cut, 12), F,
               "header size 1000 exceeds the file (12 bytes)");
}

int main(void)
{
    check_all_fixtures();
    check_mel_filterbank();
    check_metadata();
    check_round_trip();
    check_bad_headers();
    return rift_test_exit();
}
