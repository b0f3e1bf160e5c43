#include "testutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int n_failed;

rift_diff rift_test_diff(const float *got, const float *ref, int64_t n)
{
    rift_diff d = {0};
    double err2 = 0.0, ref2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(got[i]) && isfinite(ref[i])) {
            d.n_nonfinite++;
            continue;
        }
        const double e = fabs((double)got[i] - (double)ref[i]);
        if (e > d.max_abs) {
            d.max_abs = e;
            d.worst = i;
        }
        err2 += e * e;
        ref2 += (double)ref[i] * ref[i];
    }
    d.rel_l2 = ref2 > 0 ? sqrt(err2 / ref2) : sqrt(err2);
    d.nmse = ref2 > 0 ? err2 / ref2 : err2;
    return d;
}

gboolean rift_test_check(const char *label, const float *got, const float *ref, int64_t n,
                         double max_abs_tol, double rel_l2_tol)
{
    rift_diff d = rift_test_diff(got, ref, n);
    gboolean ok = d.n_nonfinite == 0 && d.max_abs <= max_abs_tol && d.rel_l2 <= rel_l2_tol;
    printf("%s: n %" G_GINT64_FORMAT " max-abs %.2e (<= %.1e) rel-L2 %.2e (<= %.1e)%s %s\n", label,
           n, d.max_abs, max_abs_tol, d.rel_l2, rel_l2_tol,
           d.n_nonfinite ? " NON-FINITE" : "", ok ? "OK" : "NOT OK");
    if (!ok) {
        n_failed++;
        int shown = 0;
        for (int64_t i = 0; i < n && shown < 5; i++) {
            if (fabs((double)got[i] - ref[i]) > max_abs_tol || !isfinite(got[i])) {
                printf("    [%" G_GINT64_FORMAT "] got %.9g want %.9g\n", i, got[i], ref[i]);
                shown++;
            }
        }
        printf("    worst [%" G_GINT64_FORMAT "] got %.9g want %.9g\n", d.worst, got[d.worst],
               ref[d.worst]);
    }
    return ok;
}

gboolean rift_test_true(gboolean cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("%s: %s\n", msg, cond ? "OK" : "NOT OK");
    g_free(msg);
    if (!cond)
        n_failed++;
    return cond;
}

char *rift_test_fixture(const char *rel)
{
    const char *root = g_getenv("RIFT_FIXTURES");
    return g_build_filename(root ? root : "tests/fixtures", rel, NULL);
}

rift_weights *rift_test_open(const char *rel)
{
    char *path = rift_test_fixture(rel);
    GError *err = NULL;
    rift_weights *w = rift_weights_open(path, &err);
    if (!w) {
        rift_test_true(FALSE, "open %s (%s)", path, err->message);
        g_error_free(err);
    }
    g_free(path);
    return w;
}

float *rift_test_tensor_f32(rift_weights *w, const char *name, int64_t *numel)
{
    const rift_tensor *t = rift_weights_find(w, name);
    if (!t) {
        rift_test_true(FALSE, "tensor '%s' in %s", name, rift_weights_path(w));
        return NULL;
    }
    GError *err = NULL;
    float *f = rift_tensor_to_f32(t, &err);
    if (!f) {
        rift_test_true(FALSE, "tensor '%s' as f32 (%s)", name, err->message);
        g_error_free(err);
        return NULL;
    }
    if (numel)
        *numel = rift_tensor_numel(t);
    return f;
}

int rift_test_exit(void)
{
    printf("%s\n", n_failed ? "FAILED" : "all checks passed");
    return n_failed ? 1 : 0;
}

int rift_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    printf("SKIP: %s\n", msg);
    g_free(msg);
    return RIFT_TEST_SKIP;
}
