/* cmd-bench.c — `rift-tool bench`: how fast each stage runs on this machine,
 * beside the best this machine's sgemm does in the same run.
 *
 *   rift-tool bench peak
 *   rift-tool bench dit    [--dim 512] [--depth 8] [--frames 861] [--conds 3] ...
 *   rift-tool bench sample [--dim 512] [--depth 8] [--frames 861] [--steps 32] ...
 *   rift-tool bench mel    [--seconds 10]
 *   rift-tool bench robust-f0 [--seconds 10]
 *
 * Models have random weights at the requested size, built in memory (no
 * download). Each result is one line of key=value pairs (or JSON with
 * --json): wall time as the median of --runs runs after a warm-up, the FLOP
 * count used and the GFLOP/s achieved, the same run's sgemm peak and the
 * ratio, the real-time factor, peak RSS. docs/performance.md explains each;
 * bench.h has what the entries share, bench-<stage>.c each entry. */
#include "bench.h"
#include "rift-error.h"
#include "rift-tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arguments ---------------------------------------------------------------------- */

static gboolean parse(int argc, char **argv, bench_args *a, GError **err)
{
    struct {
        const char *flag;
        int64_t *dst;
    } ints[] = {{"--dim", &a->dim},         {"--depth", &a->depth},
                {"--head-dim", &a->head_dim}, {"--ff-mult", &a->ff_mult},
                {"--kernel", &a->kernel},   {"--cvec-dim", &a->cvec_dim},
                {"--speakers", &a->speakers}, {"--frames", &a->frames},
                {"--conds", &a->conds},     {"--steps", &a->steps}};
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--json")) {
            a->json = TRUE;
            continue;
        }
        if (i + 1 >= argc) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s needs a value", f);
            return FALSE;
        }
        const char *v = argv[++i];
        gboolean known = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS(ints); k++) {
            if (!strcmp(f, ints[k].flag)) {
                *ints[k].dst = g_ascii_strtoll(v, NULL, 10);
                known = TRUE;
            }
        }
        if (!strcmp(f, "--runs"))
            a->runs = atoi(v);
        else if (!strcmp(f, "--seconds"))
            a->seconds = g_ascii_strtod(v, NULL);
        else if (!strcmp(f, "--backend")) {
            if (!rift_backend_kind_from_string(v, &a->kind)) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--backend: auto, cpu or cuda");
                return FALSE;
            }
        } else if (!known) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "unknown flag %s", f);
            return FALSE;
        }
    }
    if (a->dim < 2 || a->depth < 1 || a->head_dim < 2 || a->dim % a->head_dim || a->frames < 1 ||
        a->conds < 1 || a->runs < 1 || a->steps < 2 || a->kernel % 2 == 0 || a->seconds <= 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "need dim divisible by head-dim, depth, frames, conds, runs >= 1, steps >= 2, "
                    "an odd kernel, seconds > 0");
        return FALSE;
    }
    return TRUE;
}

/* the sgemm peak alone */
static int bench_peak(const bench_args *a, rift_backend *be, double peak)
{
    bench_report r;
    bench_report_begin(&r, "peak", a->json);
    bench_report_machine(&r, be, peak);
    bench_report_end(&r);
    return 0;
}

static const struct {
    const char *name;
    int (*run)(const bench_args *a, rift_backend *be, double peak);
} entries[] = {
    {"peak", bench_peak},
    {"dit", bench_dit},
    {"sample", bench_sample},
    {"mel", bench_mel},
    {"robust-f0", bench_robust_f0},
};

int rift_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("Usage: rift-tool bench peak|dit|sample|mel|robust-f0 [--dim N] [--depth N]\n"
               "       [--head-dim N] [--ff-mult N] [--kernel N] [--cvec-dim N] [--frames N] [--conds N]\n"
               "       [--steps N] [--seconds S] [--runs N] [--backend auto|cpu|cuda] [--json]\n"
               "Defaults: dit-512-8 (head 64, ff 4, kernel 31, cvec 768), 861 frames (10 s),\n"
               "3 conditions, 32 steps, 5 runs. See docs/performance.md.\n");
        return argc < 2 ? 2 : 0;
    }
    bench_args a = {.what = argv[1], .dim = 512, .depth = 8, .head_dim = 64, .ff_mult = 4,
                    .kernel = 31, .cvec_dim = 768, .speakers = 1, .frames = 861, .conds = 3,
                    .steps = 32, .seconds = 10.0, .runs = 5, .kind = RIFT_BACKEND_AUTO};
    int (*run)(const bench_args *, rift_backend *, double) = NULL;
    for (guint i = 0; i < G_N_ELEMENTS(entries); i++)
        if (!strcmp(a.what, entries[i].name))
            run = entries[i].run;
    if (!run) {
        fprintf(stderr, "rift-tool bench: unknown benchmark '%s'\n", a.what);
        return 2;
    }
    GError *err = NULL;
    if (!parse(argc, argv, &a, &err)) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    rift_backend *be = rift_backend_new(a.kind, -1, &err);
    if (!be) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const double peak = bench_sgemm_peak(a.runs);
    const int rc = run(&a, be, peak);
    rift_backend_unref(be);
    return rc;
}
