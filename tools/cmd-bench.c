/* cmd-bench.c — `rift-tool bench`: how fast each stage runs on this machine,
 * beside the best this machine's sgemm does in the same run.
 *
 *   rift-tool bench peak
 *   rift-tool bench mel|rmvpe|contentvec|vocoder|robust-f0 [--seconds 10]
 *   rift-tool bench dit    [--dim 512] [--depth 8] [--frames 861] [--conds 3] ...
 *   rift-tool bench sample [--dim 512] [--depth 8] [--frames 861] [--steps 32] ...
 *   rift-tool bench conversion [--seconds 60] [--dim 768 --depth 12] [--steps 32]
 *                              [--batch-size 1] [--max-segment 30]
 *
 * Models have random weights at upstream's sizes (or those of the flags),
 * built in memory (no download). Each result is one line of key=value pairs
 * (or JSON with --json): wall time as the median of --runs runs after a
 * warm-up, the FLOP count used and the GFLOP/s achieved, the same run's
 * sgemm peak and the ratio, the real-time factor, peak RSS, the BLAS and
 * kernels. docs/performance.md explains each; bench.h has what the entries
 * share, bench-<stage>.c each entry. */
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
    } ints[] = {{"--dim", &a->dim},
                {"--depth", &a->depth},
                {"--head-dim", &a->head_dim},
                {"--ff-mult", &a->ff_mult},
                {"--kernel", &a->kernel},
                {"--cvec-dim", &a->cvec_dim},
                {"--speakers", &a->speakers},
                {"--frames", &a->frames},
                {"--conds", &a->conds},
                {"--steps", &a->steps},
                {"--rmvpe-channels", &a->rmvpe_channels},
                {"--rmvpe-blocks", &a->rmvpe_blocks},
                {"--cvec-layers", &a->cvec_layers},
                {"--cvec-heads", &a->cvec_heads},
                {"--cvec-ffn", &a->cvec_ffn},
                {"--cvec-conv", &a->cvec_conv},
                {"--vocoder-channels", &a->vocoder_channels},
                {"--batch-size", &a->batch_size}};
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
        if (!strcmp(f, "--runs")) {
            if ((a->runs = atoi(v)) < 1) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--runs needs a count >= 1");
                return FALSE;
            }
        } else if (!strcmp(f, "--seconds"))
            a->seconds = g_ascii_strtod(v, NULL);
        else if (!strcmp(f, "--max-segment"))
            a->max_segment = g_ascii_strtod(v, NULL);
        else if (!strcmp(f, "--backend")) {
            if (!rift_backend_kind_from_string(v, &a->kind)) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--backend: auto, cpu or cuda");
                return FALSE;
            }
        } else if (!strcmp(f, "--precision")) {
            if (!rift_precision_from_string(v, &a->precision)) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--precision: fp32, bf16 or fp16");
                return FALSE;
            }
        } else if (!known) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "unknown flag %s", f);
            return FALSE;
        }
    }
    if (a->dim < 2 || a->depth < 1 || a->head_dim < 2 || a->dim % a->head_dim || a->frames < 1 ||
        a->conds < 1 || a->steps < 2 || a->kernel % 2 == 0 || a->seconds <= 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "need dim divisible by head-dim, depth, frames, conds >= 1, steps >= 2, "
                    "an odd kernel, seconds > 0");
        return FALSE;
    }
    /* ContentVec's positional conv has 16 groups (only where it runs: the
     * DiT alone takes any cvec-dim); the vocoder's 5 stages halve the channels */
    const gboolean cvec = !strcmp(a->what, "contentvec") || !strcmp(a->what, "conversion");
    if ((cvec && (a->cvec_dim % 16 || a->cvec_dim % a->cvec_heads)) || a->cvec_heads < 1 ||
        a->cvec_layers < 1 || a->cvec_ffn < 1 || a->cvec_conv < 1 || a->rmvpe_channels < 1 ||
        a->rmvpe_blocks < 1 || a->vocoder_channels < 32 || a->batch_size < 1 ||
        !(a->max_segment > 0)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "need cvec-dim a multiple of 16 and of cvec-heads, cvec-layers, cvec-ffn, "
                    "cvec-conv, rmvpe-channels, rmvpe-blocks, batch-size >= 1, "
                    "vocoder-channels >= 32, max-segment > 0");
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
    {"mel", bench_mel},
    {"rmvpe", bench_rmvpe},
    {"contentvec", bench_contentvec},
    {"dit", bench_dit},
    {"sample", bench_sample},
    {"vocoder", bench_vocoder},
    {"conversion", bench_conversion},
    {"robust-f0", bench_robust_f0},
};

int rift_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("Usage: rift-tool bench peak|mel|rmvpe|contentvec|dit|sample|vocoder|conversion\n"
               "                         |robust-f0\n"
               "       [--seconds S] [--runs N] [--backend auto|cpu|cuda] [--json]\n"
               "  DiT:        [--dim N] [--depth N] [--head-dim N] [--ff-mult N] [--kernel N]\n"
               "              [--speakers N] [--frames N] [--conds N] [--steps N]\n"
               "              [--precision fp32|bf16|fp16]\n"
               "  RMVPE:      [--rmvpe-channels N] [--rmvpe-blocks N]\n"
               "  ContentVec: [--cvec-dim N] [--cvec-layers N] [--cvec-heads N] [--cvec-ffn N]\n"
               "              [--cvec-conv N]\n"
               "  vocoder:    [--vocoder-channels N]\n"
               "  conversion: every model's flags, [--batch-size N] [--max-segment S]\n"
               "Defaults: upstream's sizes: dit-512-8 (head 64, ff 4, kernel 31, cvec 768),\n"
               "E2E0(4, 1, (2, 2)) (16 channels, 4 blocks), HuBERT base (768, 12 layers,\n"
               "12 heads, 3072, conv 512), NSF-HiFiGAN 512 channels; 861 frames (10 s),\n"
               "3 conditions, 32 steps, 10 s (conversion: 60 s), batch 1, 30 s pieces;\n"
               "5 runs (conversion: 1). See docs/performance.md.\n");
        return argc < 2 ? 2 : 0;
    }
    bench_args a = {.what = argv[1], .dim = 512, .depth = 8, .head_dim = 64, .ff_mult = 4,
                    .kernel = 31, .cvec_dim = 768, .speakers = 1, .frames = 861, .conds = 3,
                    .steps = 32, .rmvpe_channels = 16, .rmvpe_blocks = 4, .cvec_layers = 12,
                    .cvec_heads = 12, .cvec_ffn = 3072, .cvec_conv = 512,
                    .vocoder_channels = 512, .batch_size = 1, .max_segment = 30.0,
                    .kind = RIFT_BACKEND_AUTO};
    const gboolean whole = !strcmp(a.what, "conversion");
    a.seconds = whole ? 60.0 : 10.0;
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
    if (a.runs == 0)
        a.runs = whole ? 1 : 5;
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
