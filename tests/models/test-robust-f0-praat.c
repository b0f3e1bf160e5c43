/* test-robust-f0-praat.c — Praat's To Pitch (ac) (engine/f0/praat-pitch.h)
 * against parselmouth 0.4.6 in tests/fixtures/robust_f0/stages.safetensors,
 * with that README's acceptance ("Tolerances"), and on sounds of its own:
 *
 *   case C     C.audio with upstream's arguments (metadata params.praat):
 *              pm_nx exact, pm_x1 within 1e-12 s, pm_dx exact; pm_freq with
 *              identical voicing on pm_stable frames (and >= 99 % of all
 *              frames), relative error <= 1e-6 on co-voiced stable frames;
 *              the strength there within 1e-6 and the intensity within 1e-9
 *              relative. The candidates are printed as a debugging aid, not
 *              checked.
 *   short      shorter than one window (0.15 s): a GError naming it, no crash;
 *              bad parameters refused
 *   silence    digital silence: every frame unvoiced, intensity 0
 *   tones      pure tones with upstream's arguments: 45 and 1050 Hz found
 *              within 1 % on every frame, 1250 Hz (above the 1100 Hz
 *              ceiling) never reported near 1250 nor at or above the ceiling;
 *              220 Hz with parselmouth's defaults (Hanning window)
 *
 * Usage: test-robust-f0-praat case C | short | silence | tones */
#include "praat-pitch.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define FS 44100.0

static const void *tensor(rift_weights *w, const char *c, const char *name, rift_dtype dt,
                          int64_t *numel)
{
    char *key = g_strdup_printf("%s.%s", c, name);
    const rift_tensor *t = rift_weights_find(w, key);
    const gboolean ok = rift_test_true(t && t->dtype == dt, "tensor %s is %s", key,
                                       rift_dtype_name(dt));
    g_free(key);
    if (!ok)
        return NULL;
    if (numel)
        *numel = rift_tensor_numel(t);
    return t->data;
}

static gboolean json_double(const rift_value *v, const char *key, double *out)
{
    const rift_value *e = rift_value_get(v, key);
    const char *s = rift_value_as_str(e);
    if (s) { /* time_step is stored as a string to keep every digit */
        char *end;
        *out = g_ascii_strtod(s, &end);
        return *end == '\0';
    }
    return rift_value_as_double(e, out);
}

/* upstream's arguments: the fixture's params.praat */
static gboolean fixture_params(rift_weights *w, rift_praat_pitch_params *p)
{
    rift_praat_pitch_params_init(p);
    const char *json = rift_value_as_str(rift_value_get(rift_weights_meta(w), "params"));
    rift_value *root = json ? rift_value_from_json(json, -1, "params", NULL) : NULL;
    const rift_value *v = rift_value_get(root, "praat");
    int64_t max_cand = 0;
    gboolean accurate = FALSE;
    gboolean ok = v && json_double(v, "time_step", &p->time_step) &&
                  json_double(v, "pitch_floor", &p->pitch_floor) &&
                  json_double(v, "pitch_ceiling", &p->pitch_ceiling) &&
                  json_double(v, "silence_threshold", &p->silence_threshold) &&
                  json_double(v, "voicing_threshold", &p->voicing_threshold) &&
                  json_double(v, "octave_cost", &p->octave_cost) &&
                  json_double(v, "octave_jump_cost", &p->octave_jump_cost) &&
                  json_double(v, "voiced_unvoiced_cost", &p->voiced_unvoiced_cost) &&
                  rift_value_as_int(rift_value_get(v, "max_number_of_candidates"), &max_cand) &&
                  rift_value_as_bool(rift_value_get(v, "very_accurate"), &accurate);
    p->max_candidates = (int)max_cand;
    p->very_accurate = accurate;
    rift_value_free(root);
    return rift_test_true(ok, "Praat arguments from the fixture's params.praat (time step %.17g, "
                              "floor %g, ceiling %g, voicing %g, jump %g)",
                          p->time_step, p->pitch_floor, p->pitch_ceiling, p->voicing_threshold,
                          p->octave_jump_cost);
}

/* upstream's arguments without the fixture (infer.py's values) */
static void upstream_params(rift_praat_pitch_params *p)
{
    rift_praat_pitch_params_init(p);
    p->time_step = 512.0 / FS;
    p->pitch_floor = 40.0;
    p->pitch_ceiling = 1100.0;
    p->very_accurate = TRUE;
    p->voicing_threshold = 0.6;
    p->octave_jump_cost = 0.5;
}

/* Candidate slots against pm_cand_* (float32, NaN past pm_ncand): frames
 * with the same count, and frames whose every slot agrees within 1e-5. */
static void report_candidates(rift_weights *w, const char *c, const rift_praat_candidates *k)
{
    int64_t n_ncand, n_cf;
    const int64_t *ncand = tensor(w, c, "pm_ncand", RIFT_I64, &n_ncand);
    const float *cf = tensor(w, c, "pm_cand_freq", RIFT_F32, &n_cf);
    const float *cs = tensor(w, c, "pm_cand_strength", RIFT_F32, NULL);
    if (!ncand || !cf || !cs || n_ncand != k->nx)
        return;
    const int64_t C = n_cf / n_ncand;
    int64_t same_count = 0, same_slots = 0, first_diff = -1;
    double worst_f = 0.0, worst_s = 0.0;
    for (int64_t t = 0; t < k->nx; t++) {
        if (ncand[t] != k->count[t]) {
            if (first_diff < 0)
                first_diff = t;
            continue;
        }
        same_count++;
        gboolean all = TRUE;
        for (int64_t j = 0; j < ncand[t] && j < C; j++) {
            const double f = k->freq[t * k->stride + j], s = k->strength[t * k->stride + j];
            const double ef = fabs(f - cf[t * C + j]) / MAX(fabs((double)cf[t * C + j]), 1.0);
            const double es = fabs(s - cs[t * C + j]);
            worst_f = MAX(worst_f, ef);
            worst_s = MAX(worst_s, es);
            all = all && ef <= 1e-5 && es <= 1e-5;
        }
        same_slots += all;
        if (!all && first_diff < 0)
            first_diff = t;
    }
    printf("%s candidates (not an acceptance item): count as Praat's in %" G_GINT64_FORMAT
           "/%" G_GINT64_FORMAT " frames, every slot within 1e-5 in %" G_GINT64_FORMAT
           "; worst slot rel freq %.2e, abs strength %.2e; first differing frame %" G_GINT64_FORMAT
           "\n",
           c, same_count, k->nx, same_slots, worst_f, worst_s, first_diff);
}

static void test_case(const char *c)
{
    rift_weights *w = rift_test_open("robust_f0/stages.safetensors");
    rift_praat_pitch_params p;
    if (!w || !fixture_params(w, &p)) {
        rift_weights_free(w);
        return;
    }
    int64_t n, nx_ref;
    const double *audio = tensor(w, c, "audio", RIFT_F64, &n);
    const double *freq = tensor(w, c, "pm_freq", RIFT_F64, &nx_ref);
    const double *strength = tensor(w, c, "pm_strength", RIFT_F64, NULL);
    const double *intensity = tensor(w, c, "pm_intensity", RIFT_F64, NULL);
    const double *x1 = tensor(w, c, "pm_x1", RIFT_F64, NULL);
    const double *dx = tensor(w, c, "pm_dx", RIFT_F64, NULL);
    const int64_t *nx = tensor(w, c, "pm_nx", RIFT_I64, NULL);
    const uint8_t *stable = tensor(w, c, "pm_stable", RIFT_U8, NULL);
    if (!audio || !freq || !strength || !intensity || !x1 || !dx || !nx || !stable) {
        rift_weights_free(w);
        return;
    }

    rift_praat_pitch pitch;
    rift_praat_candidates cands;
    GError *err = NULL;
    const gint64 t0 = g_get_monotonic_time();
    const gboolean ok = rift_praat_pitch_ac_candidates(audio, n, FS, &p, &pitch, &cands, &err);
    const double secs = (double)(g_get_monotonic_time() - t0) * 1e-6;
    if (!rift_test_true(ok, "%s: pitch of %" G_GINT64_FORMAT " samples (%.2f s) %s", c, n, secs,
                        err ? err->message : "")) {
        g_clear_error(&err);
        rift_weights_free(w);
        return;
    }
    rift_test_true(pitch.nx == *nx && pitch.nx == nx_ref, "%s: nx %" G_GINT64_FORMAT
                   " (Praat %" G_GINT64_FORMAT ")", c, pitch.nx, *nx);
    rift_test_true(fabs(pitch.x1 - *x1) <= 1e-12, "%s: x1 %.17g s (Praat %.17g, diff %.1e)", c,
                   pitch.x1, *x1, fabs(pitch.x1 - *x1));
    rift_test_true(pitch.dx == *dx, "%s: dx %.17g s (Praat %.17g)", c, pitch.dx, *dx);

    if (pitch.nx == nx_ref) {
        int64_t flips = 0, stable_flips = 0, n_stable = 0, covoiced = 0, worst = -1;
        double max_rel = 0.0, max_rel_s = 0.0, max_rel_i = 0.0;
        for (int64_t t = 0; t < nx_ref; t++) {
            const gboolean v = pitch.freq[t] > 0.0, v_ref = freq[t] > 0.0;
            flips += v != v_ref;
            max_rel_i = MAX(max_rel_i, fabs(pitch.intensity[t] - intensity[t]) /
                                           MAX(intensity[t], 1e-300));
            if (!stable[t])
                continue;
            n_stable++;
            if (v != v_ref) {
                stable_flips++;
                printf("    voicing differs at frame %" G_GINT64_FORMAT
                       ": %.6f Hz, Praat %.6f Hz\n", t, pitch.freq[t], freq[t]);
            } else if (v) {
                covoiced++;
                const double rel = fabs(pitch.freq[t] - freq[t]) / freq[t];
                if (rel > max_rel) {
                    max_rel = rel;
                    worst = t;
                }
                max_rel_s = MAX(max_rel_s, fabs(pitch.strength[t] - strength[t]) / strength[t]);
            }
        }
        rift_test_true(stable_flips == 0, "%s: same voicing on all %" G_GINT64_FORMAT
                       " stable frames (%" G_GINT64_FORMAT " differ)", c, n_stable, stable_flips);
        rift_test_true(flips * 100 <= nx_ref, "%s: same voicing on >= 99 %% of %" G_GINT64_FORMAT
                       " frames (%" G_GINT64_FORMAT " differ)", c, nx_ref, flips);
        rift_test_true(max_rel <= 1e-6, "%s: freq on %" G_GINT64_FORMAT " co-voiced stable frames"
                       ": worst rel %.2e (<= 1e-6) at frame %" G_GINT64_FORMAT " (%.9f Hz, Praat "
                       "%.9f)", c, covoiced, max_rel, worst, worst >= 0 ? pitch.freq[worst] : 0.0,
                       worst >= 0 ? freq[worst] : 0.0);
        rift_test_true(max_rel_i <= 1e-9, "%s: intensity worst rel %.2e (<= 1e-9)", c, max_rel_i);
        rift_test_true(max_rel_s <= 1e-6, "%s: strength on co-voiced stable frames: worst rel "
                       "%.2e (<= 1e-6)", c, max_rel_s);
        report_candidates(w, c, &cands);
    }
    rift_praat_pitch_clear(&pitch);
    rift_praat_candidates_clear(&cands);
    rift_weights_free(w);
}

static void expect_error(const char *what, const double *x, int64_t n,
                         const rift_praat_pitch_params *p, const char *needle)
{
    rift_praat_pitch pitch;
    GError *err = NULL;
    const gboolean ok = rift_praat_pitch_ac(x, n, FS, p, &pitch, &err);
    rift_test_true(!ok && err && strstr(err->message, needle) && pitch.freq == NULL,
                   "%s refused: \"%s\"", what, err ? err->message : "(no error)");
    g_clear_error(&err);
}

static void test_short(void)
{
    rift_praat_pitch_params p;
    upstream_params(&p);
    const int64_t n = (int64_t)(0.149 * FS);
    double *x = g_new(double, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.5 * sin(2 * G_PI * 200.0 * (double)i / FS);
    expect_error("0.149 s with a 40 Hz floor (window 0.15 s)", x, n, &p, "shorter than one");
    expect_error("no samples", x, 0, &p, "shorter than one");

    /* the same sound is long enough for a 75 Hz floor without very_accurate (0.04 s) */
    rift_praat_pitch_params d;
    rift_praat_pitch_params_init(&d);
    rift_praat_pitch pitch;
    GError *err = NULL;
    const gboolean ok = rift_praat_pitch_ac(x, n, FS, &d, &pitch, &err);
    /* nx = floor((0.149 − 0.04) / 0.01) + 1 */
    rift_test_true(ok && pitch.nx == 11, "0.149 s with parselmouth's defaults: %" G_GINT64_FORMAT
                   " frames (11)", ok ? pitch.nx : -1);
    if (ok)
        rift_praat_pitch_clear(&pitch);
    g_clear_error(&err);

    rift_praat_pitch_params bad = p;
    bad.pitch_floor = 0.0;
    expect_error("pitch_floor 0", x, n, &bad, "pitch_floor");
    bad = p;
    bad.max_candidates = 1;
    expect_error("max_candidates 1", x, n, &bad, "max_candidates");
    bad = p;
    bad.time_step = -0.01;
    expect_error("negative time_step", x, n, &bad, "time_step");
    bad = d;
    bad.time_step = 1e-9;
    expect_error("a time_step of 1 ns", x, n, &bad, "more frames than samples");
    g_free(x);
}

static void test_silence(void)
{
    rift_praat_pitch_params p;
    upstream_params(&p);
    const int64_t n = (int64_t)FS;
    double *x = g_new0(double, n);
    rift_praat_pitch pitch;
    GError *err = NULL;
    if (rift_test_true(rift_praat_pitch_ac(x, n, FS, &p, &pitch, &err), "1 s of silence %s",
                       err ? err->message : "")) {
        int64_t voiced = 0, loud = 0;
        for (int64_t t = 0; t < pitch.nx; t++) {
            voiced += pitch.freq[t] != 0.0;
            loud += pitch.intensity[t] != 0.0;
        }
        /* nx = floor((1 − 0.15) / (512/44100)) + 1 */
        rift_test_true(pitch.nx == 74 && voiced == 0 && loud == 0,
                       "silence: %" G_GINT64_FORMAT " frames (74), %" G_GINT64_FORMAT
                       " voiced, %" G_GINT64_FORMAT " with intensity", pitch.nx, voiced, loud);
        rift_praat_pitch_clear(&pitch);
    }
    g_clear_error(&err);
    g_free(x);
}

/* Pitch of 1 s of a sine at f0 Hz, amplitude 0.5; the track in *pitch. */
static gboolean tone(double f0, const rift_praat_pitch_params *p, rift_praat_pitch *pitch)
{
    const int64_t n = (int64_t)FS;
    double *x = g_new(double, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.5 * sin(2 * G_PI * f0 * (double)i / FS);
    GError *err = NULL;
    const gboolean ok = rift_test_true(rift_praat_pitch_ac(x, n, FS, p, pitch, &err),
                                       "%g Hz tone analysed %s", f0, err ? err->message : "");
    g_clear_error(&err);
    g_free(x);
    return ok;
}

static void expect_tone(double f0, const rift_praat_pitch_params *p, const char *what)
{
    rift_praat_pitch pitch;
    if (!tone(f0, p, &pitch))
        return;
    double worst = 0.0;
    for (int64_t t = 0; t < pitch.nx; t++)
        worst = MAX(worst, pitch.freq[t] > 0.0 ? fabs(pitch.freq[t] / f0 - 1.0) : 1.0);
    rift_test_true(pitch.nx > 0 && worst <= 0.01,
                   "%g Hz (%s) found on all %" G_GINT64_FORMAT " frames: worst rel %.2e (<= 0.01)",
                   f0, what, pitch.nx, worst);
    rift_praat_pitch_clear(&pitch);
}

static void test_tones(void)
{
    rift_praat_pitch_params p;
    upstream_params(&p);
    expect_tone(45.0, &p, "upstream's arguments");
    expect_tone(1050.0, &p, "upstream's arguments");

    rift_praat_pitch pitch;
    if (tone(1250.0, &p, &pitch)) {
        int64_t near = 0, above = 0, voiced = 0;
        for (int64_t t = 0; t < pitch.nx; t++) {
            near += fabs(pitch.freq[t] / 1250.0 - 1.0) <= 0.01;
            above += pitch.freq[t] >= p.pitch_ceiling;
            voiced += pitch.freq[t] > 0.0;
        }
        rift_test_true(near == 0 && above == 0,
                       "1250 Hz (above the ceiling): %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                       " frames near 1250 Hz, %" G_GINT64_FORMAT " at or above the ceiling (%"
                       G_GINT64_FORMAT " voiced, frame 30 at %.3f Hz)",
                       near, pitch.nx, above, voiced, pitch.nx > 30 ? pitch.freq[30] : 0.0);
        rift_praat_pitch_clear(&pitch);
    }

    rift_praat_pitch_params d;
    rift_praat_pitch_params_init(&d);
    rift_test_true(d.time_step == 0.0 && d.pitch_floor == 75.0 && d.pitch_ceiling == 600.0 &&
                       d.max_candidates == 15 && !d.very_accurate && d.silence_threshold == 0.03 &&
                       d.voicing_threshold == 0.45 && d.octave_cost == 0.01 &&
                       d.octave_jump_cost == 0.35 && d.voiced_unvoiced_cost == 0.14,
                   "parselmouth's to_pitch_ac defaults");
    expect_tone(220.0, &d, "parselmouth's defaults");
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "case"))
        test_case(argv[2]);
    else if (argc == 2 && !strcmp(argv[1], "short"))
        test_short();
    else if (argc == 2 && !strcmp(argv[1], "silence"))
        test_silence();
    else if (argc == 2 && !strcmp(argv[1], "tones"))
        test_tones();
    else {
        fprintf(stderr, "usage: %s case C | short | silence | tones\n", argv[0]);
        return 2;
    }
    return rift_test_exit();
}
