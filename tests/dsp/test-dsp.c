/* test-dsp.c — infer.py's DSP against upstream (tests/fixtures/dsp/README.md):
 *   kweight            pyloudnorm's biquads at 44.1 and 16 kHz (1e-12)
 *   loudness CASE      integrated LUFS (|Δ| <= 1e-5 LU) and every block's mean square
 *   normalize          the -18 LUFS gain (relative 1e-6) and the normalised samples
 *   slicer TAG         the cut points (exact) and the rms frames
 *   assembly-gain      infer.main()'s re-assembly from known segments (exact)
 *   assembly-loud      the loudness path per segment (measure, normalise back,
 *                      peak guard) and the re-assembly, from the raw input (1e-6)
 *   edges              silence, short segments, segments shorter than the fade
 * WAV inputs are read with libsndfile; the shared WAVs' samples also come
 * as `audio` in the mel fixtures. */
#include "assembly.h"
#include "loudness.h"
#include "slicer.h"
#include "testutil.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>

static float *read_wav(const char *rel, int64_t *n)
{
    char *path = rift_test_fixture(rel);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    float *x = NULL;
    if (rift_test_true(f != NULL && info.channels == 1, "read %s", rel)) {
        x = g_new(float, info.frames);
        *n = sf_readf_float(f, x, info.frames);
    }
    if (f)
        sf_close(f);
    g_free(path);
    return x;
}

/* the input of a case: the shared WAVs, or the case's own x */
static float *case_input(rift_weights *w, const char *c, int64_t *n)
{
    if (g_str_has_suffix(c, "_44k")) {
        char *rel = g_strdup_printf("audio/%s.wav", c);
        float *x = read_wav(rel, n);
        g_free(rel);
        return x;
    }
    char *key = g_strdup_printf("%s.x", c);
    float *x = rift_test_tensor_f32(w, key, n);
    g_free(key);
    return x;
}

static double scalar(rift_weights *w, const char *fmt, const char *c)
{
    char *key = g_strdup_printf(fmt, c);
    const rift_tensor *t = rift_weights_find(w, key);
    double v = NAN;
    if (rift_test_true(t && t->dtype == RIFT_F64, "%s is an F64 scalar", key))
        v = *(const double *)t->data;
    g_free(key);
    return v;
}

static void test_kweight(void)
{
    rift_weights *w = rift_test_open("dsp/loudness.safetensors");
    const double rates[] = {44100, 16000};
    for (guint r = 0; w && r < G_N_ELEMENTS(rates); r++) {
        rift_biquad f[2];
        rift_kweighting(rates[r], &f[0], &f[1]);
        const char *names[] = {"high_shelf", "high_pass"};
        for (int s = 0; s < 2; s++) {
            for (int ba = 0; ba < 2; ba++) {
                char key[96];
                g_snprintf(key, sizeof key, "kweight_%d.%s.%s", (int)rates[r], names[s], ba ? "a" : "b");
                const rift_tensor *t = rift_weights_find(w, key);
                if (!rift_test_true(t && t->dtype == RIFT_F64, "%s present", key))
                    continue;
                const double *ref = t->data, *got = ba ? f[s].a : f[s].b;
                double d = 0;
                for (int i = 0; i < 3; i++)
                    d = fmax(d, fabs(got[i] - ref[i]));
                rift_test_true(d <= 1e-12, "%s: max-abs %.1e <= 1e-12", key, d);
            }
        }
    }
    rift_weights_free(w);
}

static void test_loudness(const char *c)
{
    rift_weights *w = rift_test_open("dsp/loudness.safetensors");
    int64_t n = 0;
    float *x = w ? case_input(w, c, &n) : NULL;
    if (x) {
        const double want = scalar(w, "%s.lufs", c), got = rift_loudness_lufs(x, n, 44100);
        rift_test_true(fabs(got - want) <= 1e-5, "%s: LUFS %.9f, upstream %.9f (|d| <= 1e-5)", c,
                       got, want);
    }
    g_free(x);
    rift_weights_free(w);
}

static void test_normalize(void)
{
    rift_weights *w = rift_test_open("dsp/loudness.safetensors");
    int64_t n;
    float *x = w ? rift_test_tensor_f32(w, "noise.x", &n) : NULL;
    float *want = w ? rift_test_tensor_f32(w, "noise.normalized_m18", NULL) : NULL;
    if (x && want) {
        const double gain = rift_loudness_gain(rift_loudness_lufs(x, n, 44100), -18.0);
        const double ref = scalar(w, "%s.normalize_gain", "noise");
        rift_test_true(fabs(gain / ref - 1) <= 1e-6, "gain %.12f, upstream %.12f", gain, ref);
        float *y = g_memdup2(x, n * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)(x[i] * gain);
        rift_test_check("noise normalised to -18 LUFS", x, want, n, 1e-6, 1e-6);
        /* the same in one call; then to -3 LUFS, where the guard holds the
         * peak at 0.99 */
        double g;
        const double before = rift_loudness_lufs(y, n, 44100);
        rift_test_true(rift_loudness_normalize(y, n, 44100, -18.0, &g) == before &&
                           fabs(g / ref - 1) <= 1e-6,
                       "rift_loudness_normalize gain %.12f, upstream %.12f", g, ref);
        rift_test_check("noise normalised to -18 LUFS in one call", y, want, n, 1e-6, 1e-6);
        rift_loudness_normalize(y, n, 44100, -3.0, &g);
        float peak = 0.0f;
        for (int64_t i = 0; i < n; i++)
            peak = fmaxf(peak, fabsf(y[i]));
        rift_test_true(fabsf(peak - 0.99f) <= 1e-6f && g < rift_loudness_gain(-18.0, -3.0),
                       "clipping guard: peak %.7f (0.99), gain %.4f below the loudness gain", peak,
                       g);
        g_free(y);
    }
    rift_test_true(rift_loudness_gain(-INFINITY, -18) == 1.0, "silence keeps gain 1");
    g_free(x);
    g_free(want);
    rift_weights_free(w);
}

static rift_slicer_params params_from_json(rift_weights *w, const char *key)
{
    rift_slicer_params p = rift_slicer_params_default();
    const char *json = rift_value_as_str(rift_value_get(rift_weights_meta(w), key));
    rift_value *v = json ? rift_value_from_json(json, -1, key, NULL) : NULL;
    struct {
        const char *name;
        double *dst;
    } f[] = {{"threshold", &p.threshold_db},       {"min_length", &p.min_length_ms},
             {"min_interval", &p.min_interval_ms}, {"hop_size", &p.hop_ms},
             {"max_sil_kept", &p.max_sil_kept_ms}};
    for (guint i = 0; v && i < G_N_ELEMENTS(f); i++)
        rift_value_as_double(rift_value_get(v, f[i].name), f[i].dst);
    rift_test_true(v != NULL, "slicer parameters %s", key);
    rift_value_free(v);
    return p;
}

static void test_slicer(const char *tag)
{
    rift_weights *w = rift_test_open("dsp/slicer.safetensors");
    if (!w)
        return;
    int64_t n = 0;
    float *x = read_wav(!strcmp(tag, "phrases_44k") ? "audio/phrases_44k.wav"
                                                    : "dsp/slicer_long_44k.wav",
                        &n);
    rift_slicer_params p =
        params_from_json(w, !strcmp(tag, "long_alt") ? "params_long_alt" : "params_infer");
    char key[64];
    g_snprintf(key, sizeof key, "%s.start_sample", tag);
    int64_t k;
    float *start = rift_test_tensor_f32(w, key, &k);
    g_snprintf(key, sizeof key, "%s.length", tag);
    float *length = rift_test_tensor_f32(w, key, NULL);
    if (x && start && length) {
        int n_spans;
        rift_span *s = rift_slice(&p, 44100, x, n, &n_spans);
        gboolean same = n_spans == k;
        for (int i = 0; same && i < n_spans; i++)
            same = s[i].start == (int64_t)start[i] && s[i].length == (int64_t)length[i];
        rift_test_true(same, "%s: %d segments with upstream's cut points", tag, n_spans);
        for (int i = 0; i < n_spans; i++)
            printf("    (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")\n", s[i].start, s[i].length);
        g_free(s);

        const int64_t hop = (int64_t)rint(44100 * p.hop_ms / 1000);
        const int64_t win = MIN((int64_t)rint(44100 * p.min_interval_ms / 1000), 4 * hop);
        int64_t F, F_ref;
        float *rms = rift_slicer_rms(x, n, win, hop, &F);
        g_snprintf(key, sizeof key, "%s.rms", tag);
        float *want = rift_test_tensor_f32(w, key, &F_ref);
        if (want && rift_test_true(F == F_ref, "%s: %" G_GINT64_FORMAT " rms frames", tag, F))
            rift_test_check(key, rms, want, F, 1e-6, 1e-6);
        g_free(rms);
        g_free(want);
    }
    g_free(x);
    g_free(start);
    g_free(length);
    rift_weights_free(w);
}

/* Reassemble segments ys and compare with upstream's result (float32 file). */
static void check_assembly(rift_weights *w, const char *c, int n_seg, const int64_t *start,
                           const int64_t *length, float **ys, const int64_t *m, int64_t n,
                           double tol)
{
    double *out = g_new(double, n);
    float *out32 = g_new(float, n);
    rift_assemble(out, n, n_seg, start, length, (const float *const *)ys, m, 882);
    for (int64_t i = 0; i < n; i++)
        out32[i] = (float)out[i];
    char key[64];
    g_snprintf(key, sizeof key, "%s.result_audio", c);
    float *want = rift_test_tensor_f32(w, key, NULL);
    if (want)
        rift_test_check(key, out32, want, n, tol, tol);
    g_free(want);
    g_free(out);
    g_free(out32);
}

static void test_assembly_gain(void)
{
    rift_weights *w = rift_test_open("dsp/assembly.safetensors");
    int64_t n = 0, K = 0;
    float *x = read_wav("dsp/slicer_long_44k.wav", &n);
    float *start_f = w ? rift_test_tensor_f32(w, "gain.start_sample", &K) : NULL;
    float *len_f = w ? rift_test_tensor_f32(w, "gain.length", NULL) : NULL;
    float *delta_f = w ? rift_test_tensor_f32(w, "gain.len_delta", NULL) : NULL;
    const rift_tensor *tg = w ? rift_weights_find(w, "gain.gains") : NULL;
    rift_test_true(rift_fade_samples(20.0, 44100) == 882, "20 ms fade = 882 samples");
    if (x && start_f && len_f && delta_f && tg) {
        int64_t start[16], length[16], m[16];
        float *ys[16];
        for (int64_t i = 0; i < K && i < 16; i++) {
            start[i] = (int64_t)start_f[i];
            length[i] = (int64_t)len_f[i];
            const int64_t d = (int64_t)delta_f[i];
            m[i] = length[i] + d;
            ys[i] = g_new0(float, MAX(m[i], 1));
            /* the stand-in processing: chunk · gain, longer by a linspace(0.3, -0.3, d) tail */
            for (int64_t j = 0; j < MIN(length[i], m[i]); j++)
                ys[i][j] = x[start[i] + j] * (float)((const double *)tg->data)[i];
            for (int64_t j = 0; j < d; j++)
                ys[i][length[i] + j] = (float)(0.3 + j * (-0.6 / (double)(d - 1)));
        }
        check_assembly(w, "gain", (int)K, start, length, ys, m, n, 0.0);
        for (int64_t i = 0; i < K && i < 16; i++)
            g_free(ys[i]);
    }
    g_free(x);
    g_free(start_f);
    g_free(len_f);
    g_free(delta_f);
    rift_weights_free(w);
}

/* infer.py per segment: L = loudness(chunk); x = chunk·gain(L → −18) (peak
 * guard 0.99/max); stand-in vocoder output float32(reverse(x)[:n//512·512]·g);
 * generate_audio: zero-pad to n, measure, normalise back to L, peak guard. */
static void test_assembly_loud(void)
{
    rift_weights *w = rift_test_open("dsp/assembly.safetensors");
    int64_t n = 0, K = 0;
    float *x = read_wav("audio/phrases_44k.wav", &n);
    float *start_f = w ? rift_test_tensor_f32(w, "loud.start_sample", &K) : NULL;
    float *len_f = w ? rift_test_tensor_f32(w, "loud.length", NULL) : NULL;
    float *seg_out = w ? rift_test_tensor_f32(w, "loud.segment_out", NULL) : NULL;
    const rift_tensor *tg = w ? rift_weights_find(w, "loud.gains") : NULL;
    const rift_tensor *tl = w ? rift_weights_find(w, "loud.original_lufs") : NULL;
    if (x && start_f && len_f && seg_out && tg && tl) {
        int64_t start[8], length[8], off = 0;
        float *ys[8];
        for (int64_t i = 0; i < K && i < 8; i++) {
            start[i] = (int64_t)start_f[i];
            const int64_t L = length[i] = (int64_t)len_f[i];
            const float *chunk = x + start[i];
            const double lufs = rift_loudness_lufs(chunk, L, 44100);
            rift_test_true(fabs(lufs - ((const double *)tl->data)[i]) <= 1e-5,
                           "segment %" G_GINT64_FORMAT ": LUFS %.9f", i, lufs);
            double *norm = g_new(double, L), peak = 0;
            const double gain = rift_loudness_gain(lufs, -18.0);
            for (int64_t j = 0; j < L; j++)
                peak = fmax(peak, fabs(norm[j] = chunk[j] * gain));
            const double guard = peak > 1.0 ? 0.99 / peak : 1.0;
            float *y = ys[i] = g_new0(float, L);
            for (int64_t j = 0; j < L / 512 * 512; j++)
                y[j] = (float)(norm[L - 1 - j] * guard * ((const double *)tg->data)[i]);
            const double back = rift_loudness_gain(rift_loudness_lufs(y, L, 44100), lufs);
            peak = 0;
            for (int64_t j = 0; j < L; j++)
                peak = fmax(peak, fabs(y[j] * back));
            const double guard2 = peak > 1.0 ? 0.99 / peak : 1.0;
            for (int64_t j = 0; j < L; j++)
                y[j] = (float)(y[j] * back * guard2);
            char label[64];
            g_snprintf(label, sizeof label, "segment %" G_GINT64_FORMAT " out", i);
            rift_test_check(label, y, seg_out + off, L, 1e-6, 1e-6);
            off += L;
            g_free(norm);
        }
        check_assembly(w, "loud", (int)K, start, length, ys, length, n, 1e-6);
        for (int64_t i = 0; i < K && i < 8; i++)
            g_free(ys[i]);
    }
    g_free(x);
    g_free(start_f);
    g_free(len_f);
    g_free(seg_out);
    rift_weights_free(w);
}

/* Where upstream fails we give an answer: silence is -inf LUFS with gain 1
 * (upstream: NaN samples), a segment shorter than one 100 ms block is
 * measured as one block of its own length (upstream raises), a segment
 * shorter than the fade is faded as far as it goes (upstream raises). */
static void test_edges(void)
{
    float *x = g_new0(float, 44100);
    rift_test_true(isinf(rift_loudness_lufs(x, 44100, 44100)), "digital silence: -inf LUFS");
    rift_test_true(rift_loudness_gain(rift_loudness_lufs(x, 44100, 44100), -18) == 1.0,
                   "digital silence: gain 1");
    for (int i = 0; i < 44100; i++)
        x[i] = 0.1f * sinf(2.0f * (float)G_PI * 997.0f * (float)i / 44100.0f);
    const double full = rift_loudness_lufs(x, 44100, 44100);
    const double part = rift_loudness_lufs(x, 4000, 44100);
    rift_test_true(isfinite(part) && fabs(part - full) < 0.1,
                   "4000 samples (< one block): %.3f LUFS, the whole tone %.3f", part, full);
    rift_test_true(isinf(rift_loudness_lufs(x, 0, 44100)), "no samples: -inf LUFS");

    float y[100];
    for (int i = 0; i < 100; i++)
        y[i] = 1.0f;
    rift_fade_segment(y, 100, 882, TRUE, TRUE);
    rift_test_true(y[0] == 0.0f && y[99] == 0.0f && y[50] > 0.0f && y[50] < 1.0f,
                   "a 100-sample segment with an 882-sample fade: faded both ways");
    g_free(x);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *what = argv[1], *arg = argc > 2 ? argv[2] : "";
    if (!strcmp(what, "kweight"))
        test_kweight();
    else if (!strcmp(what, "loudness"))
        test_loudness(arg);
    else if (!strcmp(what, "normalize"))
        test_normalize();
    else if (!strcmp(what, "slicer"))
        test_slicer(arg);
    else if (!strcmp(what, "assembly-gain"))
        test_assembly_gain();
    else if (!strcmp(what, "assembly-loud"))
        test_assembly_loud();
    else if (!strcmp(what, "edges"))
        test_edges();
    else
        return 2;
    return rift_test_exit();
}
