/* test-robust-f0.c — engine/f0/robust-f0.h on inputs the fixtures do not
 * cover (the fixtures themselves go through `rift-tool run robust_f0`,
 * tests/tool, and end to end through tests/gst/test-robust-f0-e2e.c):
 *
 *   short    segments from one frame to just past Praat's 0.15 s window
 *            (upstream fails below it): below, no Praat frames and RMVPE's
 *            f0 unchanged at both levels; from the window on, Praat runs
 *            and both levels give the tone where they give a pitch
 *   silence  one second of digital silence (which upstream cannot even
 *            normalise): both trackers unvoiced, level 2 all 0 whatever
 *            RMVPE says, level 1 RMVPE's f0 (the rms gate stays shut)
 *   floor    a pure 40 Hz tone: DIO's 50 Hz low-cut removes it, Praat
 *            finds 40 Hz; level 2 with RMVPE at 40 Hz gives 40 Hz wherever
 *            Praat has a frame, level 1 fills an unvoiced RMVPE with 40 Hz;
 *            level 2 with RMVPE unvoiced gives 0, 40 Hz or their mean
 *            (the one-NaN rule's knife edge, as upstream)
 *   ceiling  a pure 1100 Hz tone: DIO rejects it (not below the ceiling),
 *            Praat reports the octave below (a candidate at the ceiling is
 *            unvoiced); level 2 keeps RMVPE's 1100 Hz (the one-NaN rule's
 *            tie gives the higher value), level 1 leaves a voiced RMVPE
 *            alone and fills an unvoiced one with Praat's 550 Hz
 *   errors   a level outside 0..2, and level 1 without an rms, refused
 *            with a message */
#include "ensemble.h"
#include "rift-error.h"
#include "robust-f0.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RATE 44100
#define HOP 512

/* a·sin(2π·f·i/RATE) [n] (g_free it) */
static double *tone(double f, double a, int64_t n)
{
    double *x = g_new(double, MAX(n, 1));
    for (int64_t i = 0; i < n; i++)
        x[i] = a * sin(2.0 * G_PI * f * (double)i / RATE);
    return x;
}

static double *constant(double v, int64_t n)
{
    double *x = g_new(double, MAX(n, 1));
    for (int64_t i = 0; i < n; i++)
        x[i] = v;
    return x;
}

/* the rms of a sine of amplitude a, on every frame */
static float *sine_rms(double a, int64_t T)
{
    float *r = g_new(float, MAX(T, 1));
    for (int64_t t = 0; t < T; t++)
        r[t] = (float)(a / G_SQRT2);
    return r;
}

/* rift_robust_f0 at `level` -> f0 [T] (g_free it), or NULL and a failed check */
static double *robust(const double *x, int64_t n, const double *rmvpe, const float *rms, int level)
{
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    const int64_t T = n / HOP;
    double *f0 = g_new(double, MAX(T, 1));
    GError *err = NULL;
    if (!rift_test_true(rift_robust_f0(x, n, rmvpe, rms, T, level, &p, f0, &err),
                        "n %" G_GINT64_FORMAT " level %d runs%s%s", n, level, err ? ": " : "",
                        err ? err->message : "")) {
        g_clear_error(&err);
        g_free(f0);
        return NULL;
    }
    return f0;
}

/* Every frame of f0 [T] is 0 or within rel 1e-3 of one of want[0..k);
 * returns how many are voiced. */
static int64_t only_of(const char *label, const double *f0, int64_t T, const double *want, int k)
{
    int64_t voiced = 0, bad = 0;
    for (int64_t t = 0; t < T; t++) {
        if (f0[t] == 0.0)
            continue;
        voiced++;
        gboolean near = FALSE;
        for (int j = 0; j < k; j++)
            near = near || fabs(f0[t] - want[j]) <= 1e-3 * want[j];
        if (!near && bad++ < 3)
            printf("    [%" G_GINT64_FORMAT "] %.9g\n", t, f0[t]);
    }
    rift_test_true(bad == 0, "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                   " frames voiced, all at %g Hz%s (%" G_GINT64_FORMAT " elsewhere)",
                   label, voiced, T, want[0], k > 1 ? " or the like" : "", bad);
    return voiced;
}

static int64_t only(const char *label, const double *f0, int64_t T, double want)
{
    return only_of(label, f0, T, &want, 1);
}

static gboolean equal(const double *a, const double *b, int64_t n)
{
    return n == 0 || memcmp(a, b, n * sizeof(double)) == 0;
}

static void case_short(void)
{
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    /* one frame, 0.1 s, the window's edge (6615 samples = 0.15 s), 0.2 s */
    const int64_t lengths[] = {512, 4410, 6614, 6615, 6616, 8820};
    for (guint i = 0; i < G_N_ELEMENTS(lengths); i++) {
        const int64_t n = lengths[i], T = n / HOP;
        const gboolean too_short = n < 6615;
        double *x = tone(200.0, 0.3, n), *rmvpe = constant(200.0, T);
        float *rms = sine_rms(0.3, T);
        rift_robust_f0_tracks tr;
        GError *err = NULL;
        if (rift_test_true(rift_robust_f0_tracks_compute(x, n, &p, &tr, &err),
                           "n %" G_GINT64_FORMAT ": trackers run%s%s", n, err ? ": " : "",
                           err ? err->message : "")) {
            rift_test_true(too_short ? tr.n_pm == 0 : tr.n_pm >= 1,
                           "n %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " Praat frames", n, tr.n_pm);
            rift_robust_f0_tracks_clear(&tr);
        }
        g_clear_error(&err);
        for (int level = 1; level <= 2; level++) {
            double *f0 = robust(x, n, rmvpe, rms, level);
            char label[64];
            g_snprintf(label, sizeof label, "n %" G_GINT64_FORMAT " level %d", n, level);
            if (f0 && too_short)
                rift_test_true(equal(f0, rmvpe, T), "%s: RMVPE's f0 unchanged", label);
            else if (f0)
                only(label, f0, T, 200.0);
            g_free(f0);
        }
        g_free(x);
        g_free(rmvpe);
        g_free(rms);
    }
}

static void case_silence(void)
{
    const int64_t n = RATE, T = n / HOP;
    double *x = constant(0.0, n), *rmvpe = constant(150.0, T);
    float *rms = g_new0(float, T);
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    rift_robust_f0_tracks tr;
    GError *err = NULL;
    if (rift_test_true(rift_robust_f0_tracks_compute(x, n, &p, &tr, &err), "trackers run%s%s",
                       err ? ": " : "", err ? err->message : "")) {
        int64_t voiced = 0;
        for (int64_t i = 0; i < tr.n_dio; i++)
            voiced += tr.stonemask_f0[i] != 0.0;
        for (int64_t i = 0; i < tr.n_pm; i++)
            voiced += tr.pm_freq[i] != 0.0;
        rift_test_true(tr.n_pm > 0 && voiced == 0, "DIO and Praat unvoiced throughout (%" G_GINT64_FORMAT
                       " voiced frames)", voiced);
        rift_robust_f0_tracks_clear(&tr);
    }
    g_clear_error(&err);
    double *f2 = robust(x, n, rmvpe, rms, 2), *f1 = robust(x, n, rmvpe, rms, 1);
    double *zero = constant(0.0, T);
    if (f2)
        rift_test_true(equal(f2, zero, T), "level 2: 0 Hz on all %" G_GINT64_FORMAT " frames", T);
    if (f1)
        rift_test_true(equal(f1, rmvpe, T), "level 1: RMVPE's f0 (rms 0 never opens the gate)");
    g_free(f2);
    g_free(f1);
    g_free(zero);
    g_free(x);
    g_free(rmvpe);
    g_free(rms);
}

/* A 1.5 s pure tone at `f`: the trackers' view of it, then both levels
 * with RMVPE voiced at `f` and with RMVPE unvoiced. `pm_f` is what Praat
 * reports for it. */
static void case_tone(double f, double pm_f)
{
    const double a = 0.5;
    const int64_t n = 3 * RATE / 2, T = n / HOP;
    double *x = tone(f, a, n), *at_f = constant(f, T), *unvoiced = constant(0.0, T);
    float *rms = sine_rms(a, T);
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    rift_robust_f0_tracks tr;
    GError *err = NULL;
    char label[96];
    if (!rift_test_true(rift_robust_f0_tracks_compute(x, n, &p, &tr, &err), "trackers run%s%s",
                        err ? ": " : "", err ? err->message : "")) {
        g_clear_error(&err);
        goto out;
    }
    rift_test_true(only("DIO + StoneMask", tr.stonemask_f0, tr.n_dio, f) == 0,
                   "DIO unvoiced throughout");
    g_snprintf(label, sizeof label, "Praat (%" G_GINT64_FORMAT " frames)", tr.n_pm);
    rift_test_true(only(label, tr.pm_freq, tr.n_pm, pm_f) == tr.n_pm, "Praat voiced throughout");
    /* the ensembles pair frame k of each track: frames 0 .. n_pm − 1 have
     * Praat's value, the rest only RMVPE's (two NaN: unvoiced at level 2) */
    const int64_t covered = tr.n_pm;
    rift_robust_f0_tracks_clear(&tr);

    double *f2 = robust(x, n, at_f, rms, 2), *f1 = robust(x, n, at_f, rms, 1);
    double *g2 = robust(x, n, unvoiced, rms, 2), *g1 = robust(x, n, unvoiced, rms, 1);
    if (f2) {
        g_snprintf(label, sizeof label, "level 2, RMVPE at %g Hz", f);
        rift_test_true(only(label, f2, T, f) == covered, "%s: voiced where Praat is", label);
    }
    if (f1)
        rift_test_true(equal(f1, at_f, T), "level 1, RMVPE at %g Hz: unchanged", f);
    if (g1) {
        g_snprintf(label, sizeof label, "level 1, RMVPE unvoiced");
        rift_test_true(only(label, g1, T, pm_f) == covered, "%s: filled where Praat is", label);
    }
    if (g2) {
        /* each frame's one-NaN choice between RMVPE's 0 and Praat's value
         * is a knife edge (README "Knife-edge frames"): Praat's last bits
         * decide, and the 3-median then also makes their mean */
        const double choices[] = {pm_f, pm_f / 2};
        g_snprintf(label, sizeof label, "level 2, RMVPE unvoiced");
        rift_test_true(only_of(label, g2, T, choices, 2) <= covered, "%s: only where Praat is",
                       label);
    }
    g_free(f2);
    g_free(f1);
    g_free(g2);
    g_free(g1);
out:
    g_free(x);
    g_free(at_f);
    g_free(unvoiced);
    g_free(rms);
}

static void case_errors(void)
{
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    const int64_t n = 8820, T = n / HOP;
    double *x = tone(200.0, 0.3, n), *rmvpe = constant(200.0, T), *f0 = g_new(double, T);
    GError *err = NULL;
    gboolean ok = rift_robust_f0(x, n, rmvpe, NULL, T, 3, &p, f0, &err);
    rift_test_true(!ok && err && err->code == RIFT_ERROR_ARG && strstr(err->message, "level 3"),
                   "level 3 refused: %s", err ? err->message : "(no error)");
    g_clear_error(&err);
    ok = rift_robust_f0(x, n, rmvpe, NULL, T, 1, &p, f0, &err);
    rift_test_true(!ok && err && strstr(err->message, "rms"), "level 1 without rms refused: %s",
                   err ? err->message : "(no error)");
    g_clear_error(&err);
    g_free(x);
    g_free(rmvpe);
    g_free(f0);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "short"))
        case_short();
    else if (!strcmp(c, "silence"))
        case_silence();
    else if (!strcmp(c, "floor"))
        case_tone(40.0, 40.0);
    else if (!strcmp(c, "ceiling"))
        case_tone(1100.0, 550.0);
    else if (!strcmp(c, "errors"))
        case_errors();
    else
        rift_test_true(FALSE, "case '%s': expected short, silence, floor, ceiling or errors", c);
    return rift_test_exit();
}
