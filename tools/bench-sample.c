/* bench-sample.c — `rift-tool bench sample`: the whole rectified-flow
 * sampler at infer.py's defaults (ds + spk guidance, rescale) on one
 * segment. */
#include "bench.h"
#include "rf.h"

#include <stdio.h>

typedef struct {
    rift_dit *dit;
    rift_rf_params p;
    rift_rf_input in;
    float *out;
    gboolean ok;
} sample_run;

static void run_sample(gpointer data)
{
    sample_run *s = data;
    s->ok = rift_rf_sample(s->dit, &s->p, &s->in, s->out, NULL, NULL);
}

int bench_sample(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_dit *dit = bench_random_dit(a, be, &err);
    if (!dit) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    const int64_t T = a->frames, M = hp->n_mels, C = hp->cvec_dim;
    sample_run s = {.dit = dit, .p = rift_rf_params_default()};
    s.p.steps = (int)a->steps;
    guint64 seed = 7;
    float *mel = g_new(float, T * M), *y0 = g_new(float, T * M), *f0 = g_new(float, T);
    float *rms = g_new(float, T), *cvec = g_new(float, T * C), *bad = g_new(float, T * C);
    for (int64_t i = 0; i < T * M; i++) {
        mel[i] = -6.0f + 2.0f * bench_randn(&seed);
        y0[i] = bench_randn(&seed);
    }
    for (int64_t i = 0; i < T; i++) {
        f0[i] = 300.0f + 50.0f * bench_randn(&seed);
        rms[i] = 0.05f;
    }
    for (int64_t i = 0; i < T * C; i++)
        cvec[i] = bad[i] = bench_randn(&seed);
    int64_t spk = 0;
    int32_t len = (int32_t)T;
    s.in = (rift_rf_input){.B = 1, .T = T, .src_mel = mel, .spk = &spk, .f0 = f0, .rms = rms,
                           .cvec = cvec, .bad_cvec = bad, .frame_len = &len, .y0 = y0};
    s.out = g_new(float, T * M);
    const double t = bench_time_median(run_sample, &s, MAX(a->runs / 2, 1));
    const int64_t conds = 3; /* ds + spk guidance: cond, bad cvec, no speaker */
    const double flop = rift_dit_flops(hp, conds, T) * (double)(s.p.steps - 1);
    bench_report r;
    bench_report_begin(&r, "sample", a->json);
    bench_report_num(&r, "dim", (double)hp->dim, "%.0f");
    bench_report_num(&r, "depth", (double)hp->depth, "%.0f");
    bench_report_num(&r, "frames", (double)T, "%.0f");
    bench_report_num(&r, "steps", (double)s.p.steps, "%.0f");
    bench_report_str(&r, "precision", rift_precision_to_string(a->precision));
    bench_report_speed(&r, t, flop, peak, (double)T * BENCH_HOP / BENCH_RATE);
    bench_report_str(&r, "ok", s.ok ? "yes" : "no");
    bench_report_machine(&r, be, peak);
    bench_report_end(&r);
    float *bufs[] = {mel, y0, f0, rms, cvec, bad, s.out};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    rift_dit_free(dit);
    return s.ok ? 0 : 1;
}
