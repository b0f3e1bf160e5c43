/* bench-robust-f0.c — `rift-tool bench robust-f0`: what infer.py
 * --robust-f0 adds to a segment of --seconds (default 10 s) of the bench's
 * synthetic singing (bench.h), as riftf0 runs it: DIO + StoneMask
 * (get_f0_pw), Praat's To Pitch (ac) (get_f0_pm), and the level-2 ensemble
 * against the sung f0 as RMVPE's, each timed alone on the CPU in double
 * whatever --backend says (robust f0 never runs on a GPU), and their sum's
 * real-time factor. */
#include "bench.h"
#include "ensemble.h"
#include "robust-f0.h"

#include <math.h>
#include <stdio.h>

typedef struct {
    const double *audio;
    int64_t n, T, N;
    const double *rmvpe; /* [T] */
    const rift_robust_f0_params *p;
    double *t, *f0, *refined, *pw; /* DIO's [N] */
    rift_robust_f0_tracks tracks;  /* both trackers, for the ensemble */
    double *out;                   /* [T] */
} robust_run;

/* get_f0_pw: DIO, StoneMask, the tail */
static void run_dio(gpointer data)
{
    robust_run *r = data;
    const int fs = r->p->sample_rate;
    rift_dio(r->audio, r->n, fs, &r->p->dio, r->t, r->f0, NULL);
    rift_stonemask(r->audio, r->n, fs, r->t, r->f0, r->N, r->refined);
    rift_f0_tracker_tail(r->refined, r->N, r->pw);
}

/* get_f0_pm: Praat, the tail */
static void run_praat(gpointer data)
{
    robust_run *r = data;
    rift_praat_pitch pitch;
    if (rift_praat_pitch_ac(r->audio, r->n, r->p->sample_rate, &r->p->praat, &pitch, NULL)) {
        double *pm = g_new(double, MAX(pitch.nx, 1));
        rift_f0_tracker_tail(pitch.freq, pitch.nx, pm);
        g_free(pm);
        rift_praat_pitch_clear(&pitch);
    }
}

static void run_ensemble(gpointer data)
{
    robust_run *r = data;
    rift_robust_f0_ensemble(&r->tracks, r->rmvpe, NULL, r->T, 2, r->p, r->out);
}

int bench_robust_f0(const bench_args *a, rift_backend *be, double peak)
{
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    const int64_t n = (int64_t)(a->seconds * BENCH_RATE), T = n / BENCH_HOP;
    const int64_t N = rift_dio_frame_count(n, p.sample_rate, p.dio.frame_period_ms);
    /* riftf0 hands the trackers its float32 samples in double */
    float *sung = g_new(float, MAX(n, 1));
    double *audio = g_new(double, MAX(n, 1)), *rmvpe = g_new(double, MAX(T, 1));
    bench_singing(sung, 0, n);
    for (int64_t i = 0; i < n; i++)
        audio[i] = sung[i];
    for (int64_t t = 0; t < T; t++)
        rmvpe[t] = bench_singing_f0(0, t);
    g_free(sung);
    robust_run r = {.audio = audio, .n = n, .T = T, .N = N, .rmvpe = rmvpe, .p = &p,
                    .t = g_new(double, N), .f0 = g_new(double, N), .refined = g_new(double, N),
                    .pw = g_new(double, N), .out = g_new(double, MAX(T, 1))};
    GError *err = NULL;
    int rc = 0;
    if (rift_robust_f0_tracks_compute(r.audio, n, &p, &r.tracks, &err)) {
        const double t_dio = bench_time_median(run_dio, &r, a->runs);
        const double t_praat = bench_time_median(run_praat, &r, a->runs);
        const double t_ens = bench_time_median(run_ensemble, &r, a->runs);
        const double total = t_dio + t_praat + t_ens;
        bench_report rep;
        bench_report_begin(&rep, "robust-f0", a->json);
        bench_report_num(&rep, "seconds", a->seconds, "%.1f");
        bench_report_num(&rep, "dio_stonemask_s", t_dio, "%.4f");
        bench_report_num(&rep, "praat_s", t_praat, "%.4f");
        bench_report_num(&rep, "ensemble_s", t_ens, "%.5f");
        bench_report_num(&rep, "time_s", total, "%.4f");
        bench_report_num(&rep, "rtf", total / a->seconds, "%.5f");
        bench_report_machine(&rep, be, peak);
        bench_report_end(&rep);
        rift_robust_f0_tracks_clear(&r.tracks);
    } else {
        fprintf(stderr, "rift-tool bench robust-f0: %s\n", err->message);
        g_error_free(err);
        rc = 1;
    }
    g_free(audio);
    g_free(rmvpe);
    g_free(r.t);
    g_free(r.f0);
    g_free(r.refined);
    g_free(r.pw);
    g_free(r.out);
    return rc;
}
