/* test-robust-f0-ensemble.c — upstream's robust-f0 glue (engine/f0/ensemble.h)
 * against tests/fixtures/robust_f0, bit for bit, NaN positions included (the
 * README: pure selection and averaging in double, so a port given the
 * stored inputs must reproduce upstream exactly).
 *
 * Cases (the first argument):
 *   unit CASE   ensemble_unit.safetensors: CASE's rmvpe_f0, pw_f0, pm_f0 and
 *               rms -> f0_ensemble, f0_light and ens.nan_nums, ens.slide41,
 *               ens.pre_slide3
 *   slide       ensemble_unit's slide.slide_in -> slide.slide3, slide.slide41
 *   stage CASE  stages.safetensors: pw_f0 from stonemask_f0, pm_f0 from
 *               pm_freq (the trackers' tails), then f0_ensemble, f0_light and
 *               every ens.* intermediate and light.mask from the stored
 *               rmvpe_f0, pw_f0, pm_f0 and rms */
#include "ensemble.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A copy of tensor `name` of `w`, which must be `dt` (g_free it), or NULL
 * and a failed check. */
static void *take(rift_weights *w, const char *name, rift_dtype dt, int64_t *n)
{
    const rift_tensor *t = rift_weights_find(w, name);
    if (!rift_test_true(t && t->dtype == dt, "%s: %s tensor in the fixture", name,
                        rift_dtype_name(dt)))
        return NULL;
    *n = rift_tensor_numel(t);
    return g_memdup2(t->data, MAX(rift_tensor_nbytes(t), 1));
}

/* Equal bit for bit, or both NaN. */
static gboolean same(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void check_f64(rift_weights *w, const char *name, const double *got, int64_t n)
{
    int64_t n_ref = 0, bad = 0;
    double *ref = take(w, name, RIFT_F64, &n_ref);
    if (!ref || !rift_test_true(n_ref == n, "%s: %" G_GINT64_FORMAT " frames, want %" G_GINT64_FORMAT,
                                name, n, n_ref)) {
        g_free(ref);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        if (!same(got[i], ref[i]) && bad++ < 5)
            printf("    [%" G_GINT64_FORMAT "] got %.17g want %.17g\n", i, got[i], ref[i]);
    }
    rift_test_true(bad == 0, "%s: %" G_GINT64_FORMAT " frames bit-exact (%" G_GINT64_FORMAT " differ)",
                   name, n, bad);
    g_free(ref);
}

static void check_u8(rift_weights *w, const char *name, const guint8 *got, int64_t n)
{
    int64_t n_ref = 0, bad = 0;
    guint8 *ref = take(w, name, RIFT_U8, &n_ref);
    if (!ref || !rift_test_true(n_ref == n, "%s: %" G_GINT64_FORMAT " frames, want %" G_GINT64_FORMAT,
                                name, n, n_ref)) {
        g_free(ref);
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        if (got[i] != ref[i] && bad++ < 5)
            printf("    [%" G_GINT64_FORMAT "] got %d want %d\n", i, got[i], ref[i]);
    }
    rift_test_true(bad == 0, "%s: %" G_GINT64_FORMAT " frames equal (%" G_GINT64_FORMAT " differ)",
                   name, n, bad);
    g_free(ref);
}

/* The inputs of both ensembles for case `c`. */
typedef struct {
    double *rmvpe, *pw, *pm;
    float *rms;
    int64_t T, n_pw, n_pm;
} inputs;

static gboolean read_inputs(rift_weights *w, const char *c, inputs *in)
{
    char name[128];
    int64_t n_rms = 0;
    g_snprintf(name, sizeof name, "%s.rmvpe_f0", c);
    in->rmvpe = take(w, name, RIFT_F64, &in->T);
    g_snprintf(name, sizeof name, "%s.pw_f0", c);
    in->pw = take(w, name, RIFT_F64, &in->n_pw);
    g_snprintf(name, sizeof name, "%s.pm_f0", c);
    in->pm = take(w, name, RIFT_F64, &in->n_pm);
    g_snprintf(name, sizeof name, "%s.rms", c);
    in->rms = take(w, name, RIFT_F32, &n_rms);
    return in->rmvpe && in->pw && in->pm && in->rms &&
           rift_test_true(n_rms == in->T, "%s: rms has T = %" G_GINT64_FORMAT " frames", c, in->T);
}

static void free_inputs(inputs *in)
{
    g_free(in->rmvpe);
    g_free(in->pw);
    g_free(in->pm);
    g_free(in->rms);
}

/* Both ensembles of case `c` and the intermediates the file has
 * (`all_steps`: median, dev_replaced and light.mask as well). */
static void check_ensembles(rift_weights *w, const char *c, gboolean all_steps)
{
    inputs in = {0};
    if (read_inputs(w, c, &in)) {
        const int64_t T = in.T;
        double *f0 = g_new(double, T), *light = g_new(double, T);
        rift_f0_ensemble_steps st = {
            .nan_nums = g_new(guint8, T),
            .median = g_new(double, T),
            .slide41 = g_new(double, T),
            .dev_replaced = g_new(guint8, T),
            .pre_slide3 = g_new(double, T),
        };
        guint8 *mask = g_new(guint8, T);
        char name[128];

        rift_f0_ensemble(in.rmvpe, T, in.pw, in.n_pw, in.pm, in.n_pm, f0, &st);
        rift_f0_ensemble_light(in.rmvpe, T, in.pw, in.n_pw, in.pm, in.n_pm, in.rms,
                               RIFT_F0_LIGHT_RMS_THRESHOLD, light, mask);
        g_snprintf(name, sizeof name, "%s.f0_ensemble", c);
        check_f64(w, name, f0, T);
        g_snprintf(name, sizeof name, "%s.f0_light", c);
        check_f64(w, name, light, T);
        g_snprintf(name, sizeof name, "%s.ens.nan_nums", c);
        check_u8(w, name, st.nan_nums, T);
        g_snprintf(name, sizeof name, "%s.ens.slide41", c);
        check_f64(w, name, st.slide41, T);
        g_snprintf(name, sizeof name, "%s.ens.pre_slide3", c);
        check_f64(w, name, st.pre_slide3, T);
        if (all_steps) {
            g_snprintf(name, sizeof name, "%s.ens.median", c);
            check_f64(w, name, st.median, T);
            g_snprintf(name, sizeof name, "%s.ens.dev_replaced", c);
            check_u8(w, name, st.dev_replaced, T);
            g_snprintf(name, sizeof name, "%s.light.mask", c);
            check_u8(w, name, mask, T);
        }
        g_free(f0);
        g_free(light);
        g_free(st.nan_nums);
        g_free(st.median);
        g_free(st.slide41);
        g_free(st.dev_replaced);
        g_free(st.pre_slide3);
        g_free(mask);
    }
    free_inputs(&in);
}

/* get_f0_pw / get_f0_pm's tail: `from` (0 = unvoiced) -> `to` (NaN, 3-median) */
static void check_tail(rift_weights *w, const char *c, const char *from, const char *to)
{
    char name[128];
    int64_t n = 0;
    g_snprintf(name, sizeof name, "%s.%s", c, from);
    double *f0 = take(w, name, RIFT_F64, &n);
    if (f0) {
        double *out = g_new(double, MAX(n, 1));
        rift_f0_tracker_tail(f0, n, out);
        g_snprintf(name, sizeof name, "%s.%s", c, to);
        check_f64(w, name, out, n);
        g_free(out);
    }
    g_free(f0);
}

static void case_slide(rift_weights *w)
{
    int64_t n = 0;
    double *x = take(w, "slide.slide_in", RIFT_F64, &n);
    if (x) {
        double *out = g_new(double, n);
        rift_slide_nanmedian(x, n, 3, out);
        check_f64(w, "slide.slide3", out, n);
        rift_slide_nanmedian(x, n, 41, out);
        check_f64(w, "slide.slide41", out, n);
        g_free(out);
    }
    g_free(x);
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "slide") != 0 && argc < 3)) {
        fprintf(stderr, "usage: %s unit CASE | slide | stage CASE\n", argv[0]);
        return 2;
    }
    const char *kind = argv[1];
    const gboolean stage = !strcmp(kind, "stage");
    rift_weights *w = rift_test_open(stage ? "robust_f0/stages.safetensors"
                                           : "robust_f0/ensemble_unit.safetensors");
    if (!w)
        return rift_test_exit();
    if (!strcmp(kind, "slide")) {
        case_slide(w);
    } else if (!strcmp(kind, "unit")) {
        check_ensembles(w, argv[2], FALSE);
    } else if (stage) {
        check_tail(w, argv[2], "stonemask_f0", "pw_f0");
        check_tail(w, argv[2], "pm_freq", "pm_f0");
        check_ensembles(w, argv[2], TRUE);
    } else {
        rift_test_true(FALSE, "unknown case kind '%s'", kind);
    }
    rift_weights_free(w);
    return rift_test_exit();
}
