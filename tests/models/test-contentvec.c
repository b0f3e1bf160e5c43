/* test-contentvec.c — ContentVec against upstream (tests/fixtures/contentvec):
 *
 *   forward CASE BACKEND  last_hidden_state and every intermediate from the
 *                         stored audio_16k: max-abs 1e-4, rel-L2 1e-5
 *   resample CASE         ../audio/CASE_44k.wav · loudness_gain (the float64
 *                         product) through libsoxr vs audio_16k: max-abs 1e-6
 *   frames                frame_counts: N for each length (the model run on
 *                         each), and a 399-sample segment refused
 *   weightnorm            the checkpoint rewritten as model.safetensors with
 *                         torch's parametrizations names, with a "hubert."
 *                         prefix, and with the weight norm already folded:
 *                         the same outputs
 *   errors                directories and configs that are not a supported
 *                         ContentVec, each refused with a message naming why
 *
 * Usage: test-contentvec forward sing|speech cpu|cuda | resample sing|speech |
 *        frames | weightnorm | errors */
#include "contentvec.h"
#include "resample-soxr.h"
#include "rift-error.h"
#include "safetensors.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MODEL "contentvec/tiny-content-vec-best"

static rift_contentvec *load(const char *dir, rift_backend *be)
{
    GError *err = NULL;
    rift_contentvec *cv = rift_contentvec_load_dir(dir, be, &err);
    rift_test_true(cv != NULL, "load %s%s%s", dir, err ? ": " : "", err ? err->message : "");
    g_clear_error(&err);
    return cv;
}

static rift_contentvec *load_fixture(rift_backend *be)
{
    char *dir = rift_test_fixture(MODEL);
    rift_contentvec *cv = load(dir, be);
    g_free(dir);
    return cv;
}

/* last_hidden_state of x [n] (g_free it), or NULL after a failed check */
static float *forward(rift_contentvec *cv, const float *x, int64_t n, int64_t *N)
{
    const int64_t rows = rift_contentvec_n_frames(cv, n);
    float *out = g_new(float, MAX(rows, 1) * rift_contentvec_get_hparams(cv)->hidden);
    GError *err = NULL;
    if (!rift_test_true(rift_contentvec_forward(cv, x, n, out, N, &err), "forward %" G_GINT64_FORMAT
                        " samples%s%s", n, err ? ": " : "", err ? err->message : "")) {
        g_clear_error(&err);
        g_clear_pointer(&out, g_free);
    }
    return out;
}

/* ---- forward ---- */

static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    rift_weights *ref = user;
    int64_t n;
    float *want = rift_test_tensor_f32(ref, name, &n);
    if (want && rift_test_true(n == rows * cols, "%s has %" G_GINT64_FORMAT " values", name, n))
        rift_test_check(name, data, want, n, 1e-4, 1e-5);
    g_free(want);
}

static void test_forward(const char *name, rift_backend *be)
{
    char *rel = g_strdup_printf("contentvec/%s.safetensors", name);
    rift_weights *ref = rift_test_open(rel);
    g_free(rel);
    rift_contentvec *cv = load_fixture(be);
    int64_t n16, n_ref, N = 0;
    float *audio = ref ? rift_test_tensor_f32(ref, "audio_16k", &n16) : NULL;
    float *want = ref ? rift_test_tensor_f32(ref, "last_hidden_state", &n_ref) : NULL;
    if (cv && audio && want) {
        rift_contentvec_set_debug(cv, on_debug, ref);
        float *got = forward(cv, audio, n16, &N);
        const int64_t H = rift_contentvec_get_hparams(cv)->hidden;
        if (got && rift_test_true(N * H == n_ref, "N = %" G_GINT64_FORMAT, N))
            rift_test_check("last_hidden_state", got, want, n_ref, 1e-4, 1e-5);
        g_free(got);
    }
    g_free(audio);
    g_free(want);
    rift_contentvec_free(cv);
    rift_weights_free(ref);
}

/* ---- resample ---- */

static float *read_wav(const char *rel, int64_t *n)
{
    char *path = rift_test_fixture(rel);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    float *x = NULL;
    if (rift_test_true(f && info.channels == 1 && info.samplerate == 44100,
                       "%s is 44.1 kHz mono", path)) {
        x = g_new(float, info.frames);
        *n = sf_readf_float(f, x, info.frames);
    }
    if (f)
        sf_close(f);
    g_free(path);
    return x;
}

static void test_resample(const char *name)
{
    char *rel = g_strdup_printf("contentvec/%s.safetensors", name);
    char *wav = g_strdup_printf("audio/%s_44k.wav", name);
    rift_weights *ref = rift_test_open(rel);
    int64_t n = 0, n16 = 0;
    float *x = read_wav(wav, &n);
    float *want = ref ? rift_test_tensor_f32(ref, "audio_16k", &n16) : NULL;
    const rift_tensor *tg = ref ? rift_weights_find(ref, "loudness_gain") : NULL;
    if (x && want && rift_test_true(tg && tg->dtype == RIFT_F64, "loudness_gain is float64")) {
        /* infer.py normalises in float64; the product rounded to float32 is
         * what soxr's single-precision engine sees either way */
        const double gain = *(const double *)tg->data;
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)((double)x[i] * gain);
        const int64_t m = rift_resample_soxr_len(n, 44100, 16000);
        float *got = g_new(float, MAX(m, 1));
        GError *err = NULL;
        if (rift_test_true(m == n16, "ceil(%" G_GINT64_FORMAT " · 16000/44100) = %" G_GINT64_FORMAT
                           " samples", n, m) &&
            rift_test_true(rift_resample_soxr_hq(x, n, 44100, 16000, got, &err), "resample%s%s",
                           err ? ": " : "", err ? err->message : ""))
            rift_test_check("audio_16k", got, want, n16, 1e-6, 1e-6);
        g_clear_error(&err);
        g_free(got);
    }
    g_free(x);
    g_free(want);
    g_free(rel);
    g_free(wav);
    rift_weights_free(ref);
}

/* ---- frames ---- */

/* A test signal: a few sines */
static float *test_signal(int64_t n)
{
    float *x = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(0.3 * sin(0.05 * (double)i) + 0.1 * sin(0.71 * (double)i + 0.3));
    return x;
}

static void test_frames(rift_backend *be)
{
    rift_weights *ref = rift_test_open("contentvec/frame_counts.safetensors");
    rift_contentvec *cv = load_fixture(be);
    int64_t n_len = 0, n_fr = 0;
    float *lens = ref ? rift_test_tensor_f32(ref, "length_16k", &n_len) : NULL;
    float *frames = ref ? rift_test_tensor_f32(ref, "n_frames", &n_fr) : NULL;
    if (!cv || !lens || !frames || !rift_test_true(n_len == n_fr, "%" G_GINT64_FORMAT " lengths",
                                                   n_len))
        goto out;
    for (int64_t i = 0; i < n_len; i++) {
        const int64_t L = (int64_t)lens[i], want = (int64_t)frames[i];
        int64_t N = -1;
        float *x = test_signal(L);
        float *h = forward(cv, x, L, &N);
        rift_test_true(rift_contentvec_n_frames(cv, L) == want && N == want,
                       "L %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " frames (forward gave %"
                       G_GINT64_FORMAT ")", L, want, N);
        g_free(h);
        g_free(x);
    }
    float *x = test_signal(399);
    float out[64];
    GError *err = NULL;
    const gboolean ok = rift_contentvec_forward(cv, x, 399, out, NULL, &err);
    rift_test_true(!ok && rift_contentvec_n_frames(cv, 399) == 0 &&
                       g_error_matches(err, RIFT_ERROR, RIFT_ERROR_ARG) &&
                       strstr(err->message, "399 samples at 16 kHz is shorter than the 400"),
                   "L 399 refused: %s", err ? err->message : "no error");
    g_clear_error(&err);
    g_free(x);
out:
    g_free(lens);
    g_free(frames);
    rift_contentvec_free(cv);
    rift_weights_free(ref);
}

/* ---- model directories written by the test ---- */

/* A fresh temporary directory with the fixture's config.json, with `from`
 * replaced by `to` when given (config.json is written pretty-printed, one
 * key per line). */
static char *temp_model(const char *from, const char *to)
{
    char *dir = g_dir_make_tmp("rift-cvec-XXXXXX", NULL);
    char *src = rift_test_fixture(MODEL "/config.json");
    char *text = NULL;
    g_file_get_contents(src, &text, NULL, NULL);
    if (from && text && strstr(text, from)) {
        char **parts = g_strsplit(text, from, 2);
        g_free(text);
        text = g_strjoinv(to, parts);
        g_strfreev(parts);
    } else if (from) {
        rift_test_true(FALSE, "config.json has '%s'", from);
    }
    char *dst = g_build_filename(dir, "config.json", NULL);
    g_file_set_contents(dst, text ? text : "", -1, NULL);
    g_free(dst);
    g_free(text);
    g_free(src);
    return dir;
}

static void remove_model(char *dir)
{
    const char *names[] = {"config.json", "model.safetensors", "pytorch_model.bin"};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        char *p = g_build_filename(dir, names[i], NULL);
        g_unlink(p);
        g_free(p);
    }
    g_rmdir(dir);
    g_free(dir);
}

/* The fixture's tensors into dir/model.safetensors: renamed by rename(),
 * dropped where it returns NULL, plus `extra` (may be NULL). */
typedef char *(*rename_fn)(const char *name, gpointer user);

static void write_model(const char *dir, rename_fn rename, gpointer user, rift_tensor *extra)
{
    char *src = rift_test_fixture(MODEL "/pytorch_model.bin");
    rift_weights *w = rift_weights_open(src, NULL);
    GPtrArray *ts = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
    for (guint i = 0; w && i < rift_weights_count(w); i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        char *name = rename(t->name, user);
        if (!name)
            continue;
        rift_tensor *v = rift_tensor_view(t->dtype, t->ndim, t->shape, t->data);
        rift_tensor_set_name(v, name);
        g_ptr_array_add(ts, v);
        g_free(name);
    }
    if (extra)
        g_ptr_array_add(ts, extra);
    char *path = g_build_filename(dir, "model.safetensors", NULL);
    GError *err = NULL;
    rift_test_true(w && rift_safetensors_write(path, (rift_tensor *const *)ts->pdata, ts->len,
                                               NULL, &err),
                   "write %s%s%s", path, err ? ": " : "", err ? err->message : "");
    g_clear_error(&err);
    g_ptr_array_unref(ts);
    rift_weights_free(w);
    g_free(path);
    g_free(src);
}

/* ---- weightnorm ---- */

static char *to_parametrizations(const char *name, gpointer user)
{
    const char *pc = "encoder.pos_conv_embed.conv.";
    if (g_str_has_prefix(name, pc) && g_str_has_suffix(name, "weight_g"))
        return g_strconcat(pc, "parametrizations.weight.original0", NULL);
    if (g_str_has_prefix(name, pc) && g_str_has_suffix(name, "weight_v"))
        return g_strconcat(pc, "parametrizations.weight.original1", NULL);
    return g_strdup(name);
}

static char *with_hubert_prefix(const char *name, gpointer user)
{
    return g_strconcat("hubert.", name, NULL);
}

static char *without_weight_norm(const char *name, gpointer user)
{
    return strstr(name, "pos_conv_embed.conv.weight_") ? NULL : g_strdup(name);
}

/* w = g·v/‖v‖ per kernel tap, in double, from the fixture's tensors */
static rift_tensor *folded_pos_weight(void)
{
    rift_weights *w = rift_test_open(MODEL "/pytorch_model.bin");
    const rift_tensor *g = w ? rift_weights_find(w, "encoder.pos_conv_embed.conv.weight_g") : NULL;
    const rift_tensor *v = w ? rift_weights_find(w, "encoder.pos_conv_embed.conv.weight_v") : NULL;
    if (!rift_test_true(g && v, "the fixture has weight_g and weight_v")) {
        rift_weights_free(w);
        return NULL;
    }
    const int64_t K = v->shape[2], per = v->shape[0] * v->shape[1];
    const float *gd = g->data, *vd = v->data;
    rift_tensor *t = rift_tensor_new(RIFT_F32, 3, v->shape);
    float *out = t->data;
    for (int64_t j = 0; j < K; j++) {
        double ss = 0.0;
        for (int64_t e = 0; e < per; e++)
            ss += (double)vd[e * K + j] * vd[e * K + j];
        for (int64_t e = 0; e < per; e++)
            out[e * K + j] = (float)(gd[j] * (double)vd[e * K + j] / sqrt(ss));
    }
    rift_tensor_set_name(t, "encoder.pos_conv_embed.conv.weight");
    rift_weights_free(w);
    return t;
}

static void test_weightnorm(rift_backend *be)
{
    rift_weights *ref = rift_test_open("contentvec/sing.safetensors");
    int64_t n16 = 0, N0 = 0;
    float *audio = ref ? rift_test_tensor_f32(ref, "audio_16k", &n16) : NULL;
    rift_contentvec *cv = load_fixture(be);
    const int64_t n = MIN(n16, 16000); /* 1 s is plenty */
    float *want = cv && audio ? forward(cv, audio, n, &N0) : NULL;
    rift_contentvec_free(cv);
    const struct {
        const char *what;
        rename_fn rename;
        gboolean folded;
        double tol; /* the folding in double differs from torch's float32 by rounding */
    } variants[] = {
        {"parametrizations.weight.original0/1", to_parametrizations, FALSE, 0.0},
        {"a \"hubert.\" prefix", with_hubert_prefix, FALSE, 0.0},
        {"the weight norm folded", without_weight_norm, TRUE, 1e-5},
    };
    for (guint i = 0; want && i < G_N_ELEMENTS(variants); i++) {
        char *dir = temp_model(NULL, NULL);
        write_model(dir, variants[i].rename, NULL, variants[i].folded ? folded_pos_weight() : NULL);
        cv = load(dir, be);
        int64_t N = 0;
        float *got = cv ? forward(cv, audio, n, &N) : NULL;
        if (got &&
            rift_test_true(N == N0, "%s: %" G_GINT64_FORMAT " frames", variants[i].what, N)) {
            char *label = g_strdup_printf("%s: last_hidden_state", variants[i].what);
            rift_test_check(label, got, want, N * rift_contentvec_get_hparams(cv)->hidden,
                            variants[i].tol, variants[i].tol);
            g_free(label);
        }
        g_free(got);
        rift_contentvec_free(cv);
        remove_model(dir);
    }
    g_free(want);
    g_free(audio);
    rift_weights_free(ref);
}

/* ---- errors ---- */

static void expect_error(const char *what, const char *dir, rift_backend *be, int code,
                         const char *needle)
{
    GError *err = NULL;
    rift_contentvec *cv = rift_contentvec_load_dir(dir, be, &err);
    rift_test_true(!cv && err && err->domain == RIFT_ERROR && err->code == code &&
                       strstr(err->message, needle),
                   "%s -> \"%s\"", what, err ? err->message : "loaded");
    g_clear_error(&err);
    rift_contentvec_free(cv);
}

/* a config.json edit: the model is the fixture's, as safetensors */
static void expect_config_error(const char *what, const char *from, const char *to,
                                rift_backend *be, int code, const char *needle)
{
    char *dir = temp_model(from, to);
    write_model(dir, to_parametrizations, NULL, NULL);
    expect_error(what, dir, be, code, needle);
    remove_model(dir);
}

static char *drop_one(const char *name, gpointer user)
{
    return strcmp(name, user) ? g_strdup(name) : NULL;
}

static void test_errors(rift_backend *be)
{
    char *empty = g_dir_make_tmp("rift-cvec-XXXXXX", NULL);
    expect_error("a directory without config.json", empty, be, RIFT_ERROR_MISSING,
                 "has no config.json");
    g_rmdir(empty);
    g_free(empty);

    char *dit_dir = rift_test_fixture("dit");
    char *dit_ckpt = rift_test_fixture("dit/model.ckpt");
    char *vocoder_dir = rift_test_fixture("vocoder");
    expect_error("the DiT's directory", dit_dir, be, RIFT_ERROR_MISSING, "has no config.json");
    expect_error("the DiT's checkpoint file", dit_ckpt, be, RIFT_ERROR_ARG, "is not a directory");
    expect_error("the vocoder's directory (its config.json)", vocoder_dir, be,
                 RIFT_ERROR_UNSUPPORTED, "model_type is missing, expected \"hubert\"");

    /* HuBERT's config.json beside a DiT checkpoint */
    char *dir = temp_model(NULL, NULL);
    expect_error("config.json alone", dir, be, RIFT_ERROR_MISSING,
                 "no model.safetensors or pytorch_model.bin");
    char *link = g_build_filename(dir, "pytorch_model.bin", NULL);
    char *target = g_canonicalize_filename(dit_ckpt, NULL);
    if (rift_test_true(symlink(target, link) == 0, "link the DiT checkpoint"))
        expect_error("config.json with a DiT checkpoint", dir, be, RIFT_ERROR_MISSING,
                     "no tensor 'feature_extractor.conv_layers.0.conv.weight' (is this a HuBERT");
    remove_model(dir);
    g_free(link);
    g_free(target);
    g_free(dit_dir);
    g_free(dit_ckpt);
    g_free(vocoder_dir);

    expect_config_error("feat_extract_norm layer", "\"feat_extract_norm\": \"group\"",
                        "\"feat_extract_norm\": \"layer\"", be, RIFT_ERROR_UNSUPPORTED,
                        "feat_extract_norm \"layer\" is not supported");
    expect_config_error("do_stable_layer_norm", "\"do_stable_layer_norm\": false",
                        "\"do_stable_layer_norm\": true", be, RIFT_ERROR_UNSUPPORTED,
                        "do_stable_layer_norm true");
    expect_config_error("hidden_act relu", "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"relu\"",
                        be, RIFT_ERROR_UNSUPPORTED, "hidden_act \"relu\" is not supported");
    expect_config_error("feat_extract_activation gelu_new",
                        "\"feat_extract_activation\": \"gelu\"",
                        "\"feat_extract_activation\": \"gelu_new\"", be, RIFT_ERROR_UNSUPPORTED,
                        "feat_extract_activation \"gelu_new\" is not supported");
    expect_config_error("another model type", "\"model_type\": \"hubert\"",
                        "\"model_type\": \"wav2vec2\"", be, RIFT_ERROR_UNSUPPORTED,
                        "model_type is \"wav2vec2\", expected \"hubert\"");
    expect_config_error("hidden_size against the tensors", "\"hidden_size\": 64",
                        "\"hidden_size\": 32", be, RIFT_ERROR_SHAPE,
                        "config.json hidden_size is 32 but "
                        "feature_projection.projection.weight has 64 there");
    expect_config_error("num_hidden_layers against the tensors", "\"num_hidden_layers\": 2",
                        "\"num_hidden_layers\": 3", be, RIFT_ERROR_SHAPE,
                        "num_hidden_layers is 3 but the checkpoint has 2");
    expect_config_error("heads that do not divide", "\"num_attention_heads\": 4",
                        "\"num_attention_heads\": 5", be, RIFT_ERROR_FORMAT,
                        "must divide by num_attention_heads 5");
    expect_config_error("a list of the wrong type", "\"conv_kernel\": [",
                        "\"conv_kernel\": [\"a\", ", be, RIFT_ERROR_FORMAT,
                        "conv_kernel must be a list of 1 to 16 positive");

    dir = temp_model(NULL, NULL);
    write_model(dir, drop_one, (gpointer) "encoder.layers.1.final_layer_norm.bias", NULL);
    expect_error("a missing tensor", dir, be, RIFT_ERROR_MISSING,
                 "tensor 'encoder.layers.1.final_layer_norm.bias' is missing");
    remove_model(dir);

    dir = temp_model(NULL, NULL);
    rift_tensor *extra = rift_tensor_new_1d(RIFT_F32, 4);
    rift_tensor_set_name(extra, "lm_head.weight");
    write_model(dir, to_parametrizations, NULL, extra);
    expect_error("an unexpected tensor", dir, be, RIFT_ERROR_FORMAT,
                 "unexpected tensors (another model type or version?): lm_head.weight");
    remove_model(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *test = argv[1];
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (!strcmp(test, "forward") &&
        (argc < 4 || !rift_backend_kind_from_string(argv[3], &kind)))
        return 2;
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why)) {
        const int rc = rift_test_skip("CUDA backend: %s", why);
        g_free(why);
        return rc;
    }
    if (!strcmp(test, "resample") && argc > 2) {
        test_resample(argv[2]);
        return rift_test_exit();
    }
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    if (!rift_test_true(be != NULL, "backend%s%s", err ? ": " : "", err ? err->message : "")) {
        g_clear_error(&err);
        return rift_test_exit();
    }
    if (!strcmp(test, "forward"))
        test_forward(argv[2], be);
    else if (!strcmp(test, "frames"))
        test_frames(be);
    else if (!strcmp(test, "weightnorm"))
        test_weightnorm(be);
    else if (!strcmp(test, "errors"))
        test_errors(be);
    else
        rift_test_true(FALSE, "known test '%s'", test);
    rift_backend_unref(be);
    return rift_test_exit();
}
