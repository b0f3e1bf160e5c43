/* test-stage.c — runs `rift-tool run STAGE` on a fixture case as a user
 * would (a separate process), then compares each named output with the
 * case's reference tensor of the same name.
 *
 * Usage: test-stage STAGE MODEL|- CASE CHECK ... [-- EXTRA FLAGS]
 * MODEL and CASE are relative to $RIFT_FIXTURES; $RIFT_TOOL is the binary.
 * A CHECK is either
 *   NAME:MAXABS:RELL2   max-abs and rel-L2 of the whole tensor, or
 *   NAME~STABLE[+1]:REL:FRAC[:FRACREL]   an f0 track (voiced = a value > 0,
 *       so NaN and 0 are both unvoiced): on the frames the case's U8 mask
 *       STABLE marks 1 (with +1: it and both neighbours, for tracks after a
 *       3-median) the same voicing and rel <= REL where voiced; over all
 *       frames at least FRAC with the same voicing and, where voiced, rel
 *       <= FRACREL (no bound when left out) — the acceptance of
 *       tests/fixtures/robust_f0/README.md. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean run_tool(const char *stage, const char *model, const char *in, const char *out,
                         char **extra)
{
    GPtrArray *argv = g_ptr_array_new();
    const char *tool = g_getenv("RIFT_TOOL");
    g_ptr_array_add(argv, (char *)(tool ? tool : "rift-tool"));
    g_ptr_array_add(argv, "run");
    g_ptr_array_add(argv, (char *)stage);
    char *model_path = NULL;
    if (strcmp(model, "-") != 0) {
        model_path = rift_test_fixture(model);
        g_ptr_array_add(argv, "--model");
        g_ptr_array_add(argv, model_path);
    }
    char *in_path = rift_test_fixture(in);
    const char *fixed[] = {"--in", in_path, "--out", out, "--backend", "cpu"};
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (char *)fixed[i]);
    for (char **e = extra; e && *e; e++)
        g_ptr_array_add(argv, *e);
    g_ptr_array_add(argv, NULL);

    int status = -1;
    GError *err = NULL;
    char *cmd = g_strjoinv(" ", (char **)argv->pdata);
    printf("$ %s\n", cmd);
    fflush(stdout);
    gboolean spawned = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                                    NULL, NULL, NULL, NULL, &status, &err);
    gboolean ok = rift_test_true(spawned && g_spawn_check_wait_status(status, NULL),
                                 "rift-tool run %s exits 0%s%s", stage, err ? ": " : "",
                                 err ? err->message : "");
    g_clear_error(&err);
    g_free(cmd);
    g_free(model_path);
    g_free(in_path);
    g_ptr_array_unref(argv);
    return ok;
}

/* A double copy of tensor `name` of `w` (float or U8; g_free it). */
static double *tensor_f64(rift_weights *w, const char *name, int64_t *n)
{
    const rift_tensor *t = rift_weights_find(w, name);
    if (!rift_test_true(t && (t->dtype == RIFT_F64 || t->dtype == RIFT_F32 || t->dtype == RIFT_U8),
                        "%s: F64, F32 or U8 tensor in %s", name, rift_weights_path(w)))
        return NULL;
    *n = rift_tensor_numel(t);
    double *d = g_new(double, MAX(*n, 1));
    for (int64_t i = 0; i < *n; i++) {
        if (t->dtype == RIFT_F64)
            memcpy(&d[i], (const char *)t->data + i * sizeof(double), sizeof(double));
        else if (t->dtype == RIFT_F32)
            d[i] = ((const float *)t->data)[i];
        else
            d[i] = ((const guint8 *)t->data)[i];
    }
    return d;
}

static gboolean voiced(double f)
{
    return f > 0.0; /* false for NaN and 0 */
}

/* rel difference of two voiced values */
static double rel_diff(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

/* NAME~STABLE[+1]:REL:FRAC[:FRACREL] (see the header) */
static void compare_f0(rift_weights *out, rift_weights *ref, const char *spec)
{
    char **f = g_strsplit_set(spec, "~:", 6);
    const guint nf = g_strv_length(f);
    if (nf < 4 || nf > 5) {
        rift_test_true(FALSE, "check spec '%s' is NAME~STABLE[+1]:REL:FRAC[:FRACREL]", spec);
        g_strfreev(f);
        return;
    }
    const gboolean dilate = g_str_has_suffix(f[1], "+1");
    if (dilate)
        f[1][strlen(f[1]) - 2] = '\0';
    const double rel_tol = g_ascii_strtod(f[2], NULL), frac_min = g_ascii_strtod(f[3], NULL);
    const double frac_rel = nf == 5 ? g_ascii_strtod(f[4], NULL) : INFINITY;
    int64_t n = 0, n_ref = 0, n_mask = 0;
    double *got = tensor_f64(out, f[0], &n), *want = tensor_f64(ref, f[0], &n_ref);
    double *mask = tensor_f64(ref, f[1], &n_mask);
    if (got && want && mask &&
        rift_test_true(n == n_ref && n_mask == n_ref, "%s: %" G_GINT64_FORMAT " frames, want %" G_GINT64_FORMAT
                       " (mask %" G_GINT64_FORMAT ")", f[0], n, n_ref, n_mask)) {
        int64_t n_stable = 0, flips = 0, good = 0, worst = -1;
        double max_rel = 0.0;
        for (int64_t i = 0; i < n; i++) {
            gboolean stable = mask[i] != 0.0;
            if (dilate)
                stable = stable && (i == 0 || mask[i - 1] != 0.0) && (i == n - 1 || mask[i + 1] != 0.0);
            const gboolean same = voiced(got[i]) == voiced(want[i]);
            const double rel = same && voiced(want[i]) ? rel_diff(got[i], want[i]) : 0.0;
            good += same && rel <= frac_rel;
            if (!stable)
                continue;
            n_stable++;
            if (!same) {
                if (flips++ < 5)
                    printf("    [%" G_GINT64_FORMAT "] stable, got %.9g want %.9g\n", i, got[i], want[i]);
            } else if (rel > max_rel) {
                max_rel = rel;
                worst = i;
            }
        }
        rift_test_true(flips == 0, "%s: same voicing on the %" G_GINT64_FORMAT " stable frames of %" G_GINT64_FORMAT
                       " (%" G_GINT64_FORMAT " differ)", f[0], n_stable, n, flips);
        if (!rift_test_true(max_rel <= rel_tol, "%s: rel %.2e (<= %.1e) on stable voiced frames", f[0],
                            max_rel, rel_tol))
            printf("    worst [%" G_GINT64_FORMAT "] got %.12g want %.12g\n", worst, got[worst], want[worst]);
        rift_test_true(good >= frac_min * n, "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                       " frames agree (voicing, rel <= %.0e), want >= %.0f%%", f[0], good, n, frac_rel,
                       100.0 * frac_min);
    }
    g_free(got);
    g_free(want);
    g_free(mask);
    g_strfreev(f);
}

static void compare(rift_weights *out, rift_weights *ref, const char *spec)
{
    if (strchr(spec, '~')) {
        compare_f0(out, ref, spec);
        return;
    }
    char **f = g_strsplit(spec, ":", 3);
    if (!f[0] || !f[1] || !f[2]) {
        rift_test_true(FALSE, "check spec '%s' is NAME:MAXABS:RELL2", spec);
        g_strfreev(f);
        return;
    }
    int64_t n_got = 0, n_ref = 0;
    float *got = rift_test_tensor_f32(out, f[0], &n_got);
    float *want = rift_test_tensor_f32(ref, f[0], &n_ref);
    const rift_tensor *tg = rift_weights_find(out, f[0]), *tr = rift_weights_find(ref, f[0]);
    if (got && want) {
        char sg[128], sr[128];
        rift_shape_str(sg, sizeof sg, tg->ndim, tg->shape);
        rift_shape_str(sr, sizeof sr, tr->ndim, tr->shape);
        if (rift_test_true(!strcmp(sg, sr), "%s: shape %s == %s", f[0], sg, sr))
            rift_test_check(f[0], got, want, n_got, g_ascii_strtod(f[1], NULL),
                            g_ascii_strtod(f[2], NULL));
    }
    g_free(got);
    g_free(want);
    g_strfreev(f);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: test-stage STAGE MODEL|- CASE NAME:MAXABS:RELL2 ... [-- FLAGS]\n");
        return 2;
    }
    int n_checks = argc - 4;
    char **extra = NULL;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            n_checks = i - 4;
            extra = argv + i + 1;
            break;
        }
    }
    char *dir = g_dir_make_tmp("rift-stage-XXXXXX", NULL);
    char *out_path = g_build_filename(dir, "out.safetensors", NULL);
    if (run_tool(argv[1], argv[2], argv[3], out_path, extra)) {
        rift_weights *out = rift_weights_open(out_path, NULL);
        rift_weights *ref = rift_test_open(argv[3]);
        if (rift_test_true(out != NULL, "output file readable") && ref)
            for (int i = 0; i < n_checks; i++)
                compare(out, ref, argv[4 + i]);
        rift_weights_free(out);
        rift_weights_free(ref);
    }
    g_unlink(out_path);
    g_rmdir(dir);
    g_free(out_path);
    g_free(dir);
    return rift_test_exit();
}
