/* test-rmvpe.c — RMVPE against upstream's fixtures, with the acceptance
 * rules of tests/fixtures/rmvpe/README.md ("Tolerances"):
 *
 *   frontend        resample_kernel, mel_basis, hann_window: max-abs 1e-7
 *   resample CASE   audio_16k from ../audio/CASE.wav: max-abs 2e-6
 *   forward CASE [cpu|cuda]
 *                   mel: max-abs 1e-3 where the reference is > -7, 2e-2 overall, rel-L2 1e-4;
 *                   hidden from our mel: max-abs 2e-4, rel-L2 3e-4; from the stored mel:
 *                   2e-5, 3e-5; gru_in / gru_out (when stored): rel-L2 1e-4;
 *                   f0_rmvpe: identical voicing and relative error 1e-5 where frame_stable;
 *                   f0_post, f0_post_key+3: identical zeros and relative error 1e-5 where
 *                   post_stable — from our hidden, and once more from the WAV through the
 *                   one-call rift_rmvpe_f0_44k (resampler included)
 *   decode          decode_synthetic: identical uv and center, f0 relative error 1e-6
 *   post_process    every sub-case: the float64 result exactly f0_post_f64, the float32
 *                   outputs (f0_post, f0_post_key+3) within relative 1e-6
 *   errors          a DiT checkpoint, a missing tensor, an unexpected tensor are refused
 *                   with messages naming them; a float16 copy of the model loads
 *
 * Usage: test-rmvpe frontend | resample CASE | forward CASE [cpu|cuda] | decode |
 *                   post_process | errors          (CASE: sing_44k, phrases_44k) */
#include "mel.h"
#include "resample.h"
#include "rmvpe.h"
#include "safetensors.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

static float *f32(rift_weights *w, const char *name, int64_t *n)
{
    return rift_test_tensor_f32(w, name, n);
}

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

static int64_t meta_int(rift_weights *w, const char *key)
{
    const char *v = rift_value_as_str(rift_value_get(rift_weights_meta(w), key));
    return v ? g_ascii_strtoll(v, NULL, 10) : -1;
}

/* f0 tracks: zeros at the same places and relative error <= tol on the
 * frames where mask (if any) is 1 */
static void check_f0(const char *label, const float *got, const float *ref, const float *mask,
                     int64_t n, double tol)
{
    int64_t checked = 0, flips = 0, worst = -1;
    double max_rel = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (mask && mask[i] == 0.0f)
            continue;
        checked++;
        if ((got[i] == 0.0f) != (ref[i] == 0.0f)) {
            flips++;
        } else if (ref[i] != 0.0f) {
            const double rel = fabs((double)got[i] - ref[i]) / fabs((double)ref[i]);
            if (rel > max_rel) {
                max_rel = rel;
                worst = i;
            }
        }
    }
    if (!rift_test_true(flips == 0 && max_rel <= tol,
                        "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames checked, voicing "
                        "differs on %" G_GINT64_FORMAT ", max relative error %.2e (<= %.0e)",
                        label, checked, n, flips, max_rel, tol) &&
        worst >= 0)
        printf("    worst [%" G_GINT64_FORMAT "] got %.9g want %.9g\n", worst, got[worst],
               ref[worst]);
}

/* ---- frontend, resample ---- */

static void test_frontend(void)
{
    rift_weights *w = rift_test_open("rmvpe/frontend.safetensors");
    if (!w)
        return;
    int64_t n, phases, taps;
    GError *err = NULL;
    rift_resampler *rs = rift_resampler_new(44100, 16000, 128, &err);
    g_assert_no_error(err);
    const float *kernel = rift_resampler_kernel(rs, &phases, &taps);
    float *ref = f32(w, "resample_kernel", &n);
    if (ref && rift_test_true(phases == 160 && taps == 1155 && n == phases * taps,
                              "resample kernel is [160, 1155] (got [%" G_GINT64_FORMAT
                              ", %" G_GINT64_FORMAT "])",
                              phases, taps))
        rift_test_check("resample_kernel", kernel, ref, n, 1e-7, 1e-7);
    g_free(ref);
    rift_resampler_free(rs);

    const rift_mel_params p = {.sample_rate = 16000, .n_fft = 1024, .win_length = 1024,
                               .hop = 160, .n_mels = 128, .fmin = 30.0, .fmax = 8000.0,
                               .htk = TRUE};
    float *basis = rift_mel_filterbank(&p), *win = rift_mel_window(&p);
    ref = f32(w, "mel_basis", &n);
    if (ref && rift_test_true(n == 128 * 513, "mel_basis has 128x513 values"))
        rift_test_check("mel_basis (htk)", basis, ref, n, 1e-7, 1e-7);
    g_free(ref);
    ref = f32(w, "hann_window", &n);
    if (ref && rift_test_true(n == 1024, "hann_window has 1024 values"))
        rift_test_check("hann_window", win, ref, n, 1e-7, 1e-7);
    g_free(ref);
    g_free(basis);
    g_free(win);
    rift_weights_free(w);
}

static void test_resample(const char *name)
{
    char *rel = g_strdup_printf("rmvpe/%s.safetensors", name);
    char *wav = g_strdup_printf("audio/%s.wav", name);
    rift_weights *ref = rift_test_open(rel);
    int64_t n = 0, n16 = 0;
    float *x = read_wav(wav, &n);
    float *want = ref ? f32(ref, "audio_16k", &n16) : NULL;
    if (x && want) {
        rift_resampler *rs = rift_resampler_new(44100, 16000, 128, NULL);
        const int64_t len = rift_resampler_out_len(rs, n);
        float *got = g_new(float, len);
        rift_resampler_process(rs, x, n, got);
        if (rift_test_true(len == n16, "%" G_GINT64_FORMAT " samples -> %" G_GINT64_FORMAT
                           " at 16 kHz (want %" G_GINT64_FORMAT ")", n, len, n16))
            rift_test_check("audio_16k", got, want, n16, 2e-6, 1e-5);
        g_free(got);
        rift_resampler_free(rs);
    }
    g_free(x);
    g_free(want);
    rift_weights_free(ref);
    g_free(rel);
    g_free(wav);
}

/* ---- forward ---- */

static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    rift_weights *ref = user;
    if (!rift_weights_find(ref, name))
        return;
    int64_t n;
    float *want = f32(ref, name, &n);
    char *label = g_strdup_printf("%s from the stored mel (rel-L2 only)", name);
    if (want && rift_test_true(n == rows * cols, "%s has %" G_GINT64_FORMAT " values", name, n))
        rift_test_check(label, data, want, n, INFINITY, 1e-4);
    g_free(label);
    g_free(want);
}

/* mel [M, T]: max-abs 1e-3 where ref > -7, max-abs 2e-2 and rel-L2 1e-4 overall */
static void check_mel(const float *got, const float *want, int64_t n)
{
    rift_test_check("mel", got, want, n, 2e-2, 1e-4);
    float *g = g_new(float, n), *w = g_new(float, n);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (want[i] > -7.0f) {
            g[k] = got[i];
            w[k++] = want[i];
        }
    rift_test_check("mel where the reference is > -7", g, w, k, 1e-3, 1e-4);
    g_free(g);
    g_free(w);
}

static void test_forward(const char *name, rift_backend_kind kind)
{
    char *rel = g_strdup_printf("rmvpe/%s.safetensors", name);
    rift_weights *ref = rift_test_open(rel);
    g_free(rel);
    char *model = rift_test_fixture("rmvpe/model.pt");
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    rift_rmvpe *r = be ? rift_rmvpe_load_file(model, be, &err) : NULL;
    g_free(model);
    if (!rift_test_true(ref && r, "load case and model%s%s", err ? ": " : "",
                        err ? err->message : "")) {
        g_clear_error(&err);
        rift_backend_unref(be);
        rift_weights_free(ref);
        return;
    }
    const rift_rmvpe_hparams *hp = rift_rmvpe_get_hparams(r);
    rift_test_true(hp->en_de_layers == 5 && hp->n_blocks == 1 && hp->inter_layers == 4 &&
                       hp->en_out_channels == 2 && hp->n_mels == 128 && hp->n_gru == 1 &&
                       hp->gru_hidden == 256 && hp->n_classes == 360,
                   "sizes from the tensors: E2E0(n_blocks %" G_GINT64_FORMAT
                   ", en_de_layers %" G_GINT64_FORMAT ", inter_layers %" G_GINT64_FORMAT
                   ", en_out_channels %" G_GINT64_FORMAT ")",
                   hp->n_blocks, hp->en_de_layers, hp->inter_layers, hp->en_out_channels);

    int64_t n16, n_mel, n_hidden, n44 = meta_int(ref, "n_frames_44k"), T16 = meta_int(ref, "T16");
    float *audio = f32(ref, "audio_16k", &n16), *mel_ref = f32(ref, "mel", &n_mel);
    float *hidden_ref = f32(ref, "hidden", &n_hidden), *f0_ref = f32(ref, "f0_rmvpe", NULL);
    float *stable = f32(ref, "frame_stable", NULL), *post_stable = f32(ref, "post_stable", NULL);
    float *post_ref = f32(ref, "f0_post", NULL), *key_ref = f32(ref, "f0_post_key+3", NULL);
    if (!(audio && mel_ref && hidden_ref && f0_ref && stable && post_stable && post_ref &&
          key_ref) ||
        !rift_test_true(rift_rmvpe_n_frames(n16) == T16 && n_mel == 128 * T16 &&
                            n_hidden == 360 * T16,
                        "%" G_GINT64_FORMAT " samples give T16 = %" G_GINT64_FORMAT, n16, T16))
        goto out;

    /* the whole path from the stored 16 kHz audio */
    float *mel = g_new(float, n_mel), *hidden = g_new(float, n_hidden);
    if (rift_test_true(rift_rmvpe_hidden(r, audio, n16, mel, hidden, &err),
                       "hidden from audio_16k%s%s", err ? ": " : "", err ? err->message : "")) {
        check_mel(mel, mel_ref, n_mel);
        rift_test_check("hidden from our mel", hidden, hidden_ref, n_hidden, 2e-4, 3e-4);
        float *f0 = g_new(float, T16), *post = g_new(float, n44), *key = g_new(float, n44);
        rift_rmvpe_decode(hidden, T16, 360, 0.03f, f0, NULL, NULL);
        check_f0("f0_rmvpe where frame_stable", f0, f0_ref, stable, T16, 1e-5);
        rift_f0_post_process(f0, T16, n44, 0.0, post);
        rift_f0_post_process(f0, T16, n44, 3.0, key);
        check_f0("f0_post where post_stable", post, post_ref, post_stable, n44, 1e-5);
        check_f0("f0_post_key+3 where post_stable", key, key_ref, post_stable, n44, 1e-5);
        g_free(f0);
        g_free(post);
        g_free(key);
    }
    g_clear_error(&err);

    /* the network alone on the stored mel, with the BiGRU's input and output */
    float *mel_tm = g_new(float, n_mel);
    for (int64_t t = 0; t < T16; t++)
        for (int64_t m = 0; m < 128; m++)
            mel_tm[t * 128 + m] = mel_ref[m * T16 + t];
    rift_rmvpe_set_debug(r, on_debug, ref);
    if (rift_test_true(rift_rmvpe_hidden_from_mel(r, mel_tm, T16, hidden, &err),
                       "hidden from the stored mel%s%s", err ? ": " : "", err ? err->message : ""))
        rift_test_check("hidden from the stored mel", hidden, hidden_ref, n_hidden, 2e-5, 3e-5);
    g_clear_error(&err);
    rift_rmvpe_set_debug(r, NULL, NULL);

    /* what riftf0 will call: the 44.1 kHz WAV to key-shifted f0 in one go */
    int64_t n = 0;
    char *wav = g_strdup_printf("audio/%s.wav", name);
    float *x = read_wav(wav, &n), *f0_44k = g_new(float, MAX(n / 512, 1));
    if (x &&
        rift_test_true(n / 512 == n44, "the WAV has %" G_GINT64_FORMAT " mel frames", n / 512) &&
        rift_test_true(rift_rmvpe_f0_44k(r, x, n, 3.0, 0.03f, f0_44k, &err),
                       "rift_rmvpe_f0_44k%s%s", err ? ": " : "", err ? err->message : ""))
        check_f0("f0_44k (WAV, key +3) where post_stable", f0_44k, key_ref, post_stable, n44, 1e-5);
    g_clear_error(&err);
    g_free(wav);
    g_free(x);
    g_free(f0_44k);
    g_free(mel_tm);
    g_free(mel);
    g_free(hidden);
out:
    g_free(audio);
    g_free(mel_ref);
    g_free(hidden_ref);
    g_free(f0_ref);
    g_free(stable);
    g_free(post_stable);
    g_free(post_ref);
    g_free(key_ref);
    rift_rmvpe_free(r);
    rift_backend_unref(be);
    rift_weights_free(ref);
}

/* ---- decode, post-process ---- */

static void test_decode(void)
{
    rift_weights *ref = rift_test_open("rmvpe/decode_synthetic.safetensors");
    if (!ref)
        return;
    const rift_tensor *th = rift_weights_find(ref, "hidden");
    float *hidden = f32(ref, "hidden", NULL), *f0_ref = f32(ref, "f0", NULL);
    float *center_ref = f32(ref, "center", NULL), *uv_ref = f32(ref, "uv", NULL);
    if (th && hidden && f0_ref && center_ref && uv_ref) {
        const int64_t T = th->shape[0];
        float *f0 = g_new(float, T);
        int64_t *center = g_new(int64_t, T);
        guint8 *uv = g_new(guint8, T);
        rift_rmvpe_decode(hidden, T, th->shape[1], 0.03f, f0, center, uv);
        int64_t bad_center = 0, bad_uv = 0;
        for (int64_t t = 0; t < T; t++) {
            bad_center += center[t] != (int64_t)center_ref[t];
            bad_uv += uv[t] != (guint8)uv_ref[t];
        }
        rift_test_true(bad_center == 0 && bad_uv == 0,
                       "decode_synthetic: center differs on %" G_GINT64_FORMAT
                       ", uv on %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames",
                       bad_center, bad_uv, T);
        check_f0("decode_synthetic f0", f0, f0_ref, NULL, T, 1e-6);
        g_free(f0);
        g_free(center);
        g_free(uv);
    }
    g_free(hidden);
    g_free(f0_ref);
    g_free(center_ref);
    g_free(uv_ref);
    rift_weights_free(ref);
}

static void test_post_process(void)
{
    rift_weights *ref = rift_test_open("rmvpe/post_process.safetensors");
    if (!ref)
        return;
    static const char *const cases[] = {"realistic", "all_unvoiced", "extrapolate",
                                        "single_voiced"};
    for (guint c = 0; c < G_N_ELEMENTS(cases); c++) {
        char *k_in = g_strdup_printf("%s.f0_in", cases[c]);
        char *k_n = g_strdup_printf("%s.n_frames", cases[c]);
        char *k_f64 = g_strdup_printf("%s.f0_post_f64", cases[c]);
        char *k_post = g_strdup_printf("%s.f0_post", cases[c]);
        char *k_key = g_strdup_printf("%s.f0_post_key+3", cases[c]);
        int64_t n;
        float *f0 = f32(ref, k_in, &n), *n_out_f = f32(ref, k_n, NULL);
        float *post_ref = f32(ref, k_post, NULL), *key_ref = f32(ref, k_key, NULL);
        const rift_tensor *t64 = rift_weights_find(ref, k_f64);
        if (f0 && n_out_f && post_ref && key_ref &&
            rift_test_true(t64 && t64->dtype == RIFT_F64, "%s is F64", k_f64)) {
            const int64_t n_out = (int64_t)n_out_f[0];
            const double *want = t64->data;
            double *got = g_new(double, n_out);
            rift_f0_post_process_f64(f0, n, n_out, got);
            int64_t differ = 0;
            for (int64_t j = 0; j < n_out; j++)
                differ += memcmp(&got[j], &want[j], sizeof(double)) != 0;
            rift_test_true(differ == 0 && rift_tensor_numel(t64) == n_out,
                           "%s: float64 result bit-exact (%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                           " outputs differ)",
                           cases[c], differ, n_out);
            float *post = g_new(float, n_out), *key = g_new(float, n_out);
            rift_f0_post_process(f0, n, n_out, 0.0, post);
            rift_f0_post_process(f0, n, n_out, 3.0, key);
            check_f0(k_post, post, post_ref, NULL, n_out, 1e-6);
            check_f0(k_key, key, key_ref, NULL, n_out, 1e-6);
            g_free(got);
            g_free(post);
            g_free(key);
        }
        g_free(f0);
        g_free(n_out_f);
        g_free(post_ref);
        g_free(key_ref);
        g_free(k_in);
        g_free(k_n);
        g_free(k_f64);
        g_free(k_post);
        g_free(k_key);
    }
    rift_weights_free(ref);
}

/* ---- refused models ---- */

/* A copy of the fixture model as safetensors (names kept): without `drop`,
 * with an `extra` tensor, float32 tensors as float16 when `f16`. */
static char *write_variant(const char *dir, const char *file, const char *drop, const char *extra,
                           gboolean f16)
{
    char *model = rift_test_fixture("rmvpe/model.pt");
    rift_weights *w = rift_weights_open(model, NULL);
    g_free(model);
    if (!rift_test_true(w != NULL, "open the fixture model"))
        return NULL;
    GPtrArray *ts = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
    for (guint i = 0; i < rift_weights_count(w); i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        if (drop && !strcmp(t->name, drop))
            continue;
        rift_tensor *c;
        if (f16 && t->dtype == RIFT_F32) {
            c = rift_tensor_new(RIFT_F16, t->ndim, t->shape);
            for (int64_t k = 0; k < rift_tensor_numel(t); k++)
                ((uint16_t *)c->data)[k] = rift_f32_to_f16(((const float *)t->data)[k]);
        } else {
            c = rift_tensor_view(t->dtype, t->ndim, t->shape, t->data);
        }
        rift_tensor_set_name(c, t->name);
        g_ptr_array_add(ts, c);
    }
    if (extra) {
        rift_tensor *e = rift_tensor_new_1d(RIFT_F32, 4);
        rift_tensor_set_name(e, extra);
        g_ptr_array_add(ts, e);
    }
    char *path = g_build_filename(dir, file, NULL);
    GError *err = NULL;
    if (!rift_test_true(rift_safetensors_write(path, (rift_tensor *const *)ts->pdata, ts->len,
                                               NULL, &err),
                        "write %s%s%s", file, err ? ": " : "", err ? err->message : ""))
        g_clear_pointer(&path, g_free);
    g_clear_error(&err);
    g_ptr_array_unref(ts);
    rift_weights_free(w);
    return path;
}

/* Loading `path` fails with a message containing every needle. */
static void expect_refused(rift_backend *be, const char *what, const char *path,
                           const char *needle1, const char *needle2)
{
    GError *err = NULL;
    rift_rmvpe *r = path ? rift_rmvpe_load_file(path, be, &err) : NULL;
    rift_test_true(path && !r && err && strstr(err->message, needle1) &&
                       (!needle2 || strstr(err->message, needle2)),
                   "%s is refused: %s", what, err ? err->message : "(loaded)");
    g_clear_error(&err);
    rift_rmvpe_free(r);
}

static void test_errors(void)
{
    rift_backend *be = rift_backend_new(RIFT_BACKEND_CPU, -1, NULL);
    char *dit = rift_test_fixture("dit/model.ckpt");
    expect_refused(be, "a DiT checkpoint", dit, "is this an RMVPE checkpoint",
                   "model/unet.encoder.bn.weight");
    g_free(dit);

    char *dir = g_dir_make_tmp("rift-rmvpe-XXXXXX", NULL);
    const char *dropped = "model/unet.decoder.layers.1.conv2.0.conv.4.running_var";
    char *missing = write_variant(dir, "missing.safetensors", dropped, NULL, FALSE);
    expect_refused(be, "a model without one BatchNorm's running_var", missing, dropped, "missing");
    char *extra = write_variant(dir, "extra.safetensors", NULL, "model/fc.2.weight", FALSE);
    expect_refused(be, "a model with an unknown tensor", extra, "unexpected", "model/fc.2.weight");

    /* float16 weights are converted at load; the salience moves by their rounding */
    char *half = write_variant(dir, "half.safetensors", NULL, NULL, TRUE);
    GError *err = NULL;
    rift_rmvpe *r = half ? rift_rmvpe_load_file(half, be, &err) : NULL;
    rift_weights *ref = rift_test_open("rmvpe/sing_44k.safetensors");
    if (rift_test_true(r != NULL, "a float16 copy of the model loads%s%s", err ? ": " : "",
                       err ? err->message : "") &&
        ref) {
        int64_t n16, n_hidden;
        float *audio = f32(ref, "audio_16k", &n16), *want = f32(ref, "hidden", &n_hidden);
        float *hidden = g_new(float, n_hidden);
        if (audio && want && rift_rmvpe_hidden(r, audio, n16, NULL, hidden, NULL))
            rift_test_check("hidden of the float16 model (its rounding only)", hidden, want,
                            n_hidden, 1e-2, 1e-2);
        g_free(audio);
        g_free(want);
        g_free(hidden);
    }
    g_clear_error(&err);
    rift_rmvpe_free(r);
    rift_weights_free(ref);

    for (char **p = (char *[]){missing, extra, half, NULL}; *p; p++)
        g_unlink(*p);
    g_rmdir(dir);
    g_free(missing);
    g_free(extra);
    g_free(half);
    g_free(dir);
    rift_backend_unref(be);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "frontend")) {
        test_frontend();
    } else if (!strcmp(mode, "resample") && argc > 2) {
        test_resample(argv[2]);
    } else if (!strcmp(mode, "forward") && argc > 2) {
        rift_backend_kind kind = RIFT_BACKEND_CPU;
        if (argc > 3 && !rift_backend_kind_from_string(argv[3], &kind))
            return 2;
        char *why = NULL;
        if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why))
            return rift_test_skip("CUDA backend: %s", why);
        test_forward(argv[2], kind);
    } else if (!strcmp(mode, "decode")) {
        test_decode();
    } else if (!strcmp(mode, "post_process")) {
        test_post_process();
    } else if (!strcmp(mode, "errors")) {
        test_errors();
    } else {
        fprintf(stderr, "usage: test-rmvpe frontend | resample CASE | forward CASE [cpu|cuda] | "
                        "decode | post_process | errors\n");
        return 2;
    }
    return rift_test_exit();
}
