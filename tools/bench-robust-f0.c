/* bench-robust-f0.c — `rift-tool bench robust-f0`: what infer.py
 * --robust-f0 adds to a segment of --seconds (default 10 s) of singing:
 * DIO + StoneMask (get_f0_pw), Praat's To Pitch (ac) (get_f0_pm), and the
 * level-2 ensemble, each timed alone on the CPU in double whatever
 * --backend says (robust f0 never runs on a GPU), and their sum's real-time
 * factor. The voice is synthetic: 220 Hz with a 5.5 Hz vibrato of ±50
 * cents, 20 harmonics falling as 1/k, a little noise, so both trackers
 * work on voiced frames as they do on a song. */
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

/* the synthetic voice of the header, ~0.3 peak */
static double *voice(int64_t n)
{
    double *x = g_new(double, n), phase = 0.0;
    guint64 seed = 7;
    for (int64_t i = 0; i < n; i++) {
        const double t = (double)i / BENCH_RATE;
        const double f0 = 220.0 * pow(2.0, 0.5 * sin(2.0 * G_PI * 5.5 * t) / 12.0);
        phase += 2.0 * G_PI * f0 / BENCH_RATE;
        double s = 0.0;
        for (int k = 1; k <= 20; k++)
            s += sin(k * phase) / k;
        x[i] = 0.15 * s + 0.003 * bench_randn(&seed);
    }
    return x;
}

int bench_robust_f0(const bench_args *a, rift_backend *be, double peak)
{
    rift_robust_f0_params p;
    rift_robust_f0_params_init(&p);
    const int64_t n = (int64_t)(a->seconds * BENCH_RATE), T = n / BENCH_HOP;
    const int64_t N = rift_dio_frame_count(n, p.sample_rate, p.dio.frame_period_ms);
    double *rmvpe = g_new(double, MAX(T, 1));
    for (int64_t t = 0; t < T; t++)
        rmvpe[t] = 220.0;
    robust_run r = {.audio = voice(n), .n = n, .T = T, .N = N, .rmvpe = rmvpe, .p = &p,
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
    g_free((double *)r.audio);
    g_free(rmvpe);
    g_free(r.t);
    g_free(r.f0);
    g_free(r.refined);
    g_free(r.pw);
    g_free(r.out);
    return rc;
}
