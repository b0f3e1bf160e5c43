/* bench-mel.c — `rift-tool bench mel`: the log-mel and RMS of --seconds of
 * noise, as riftmel computes them for a segment. */
#include "bench.h"
#include "mel.h"

typedef struct {
    rift_mel *mel;
    float *audio, *out, *rms;
    int64_t n;
} mel_run;

static void run_mel(gpointer data)
{
    mel_run *m = data;
    rift_mel_compute(m->mel, m->audio, m->n, m->out, m->rms, NULL);
}

int bench_mel(const bench_args *a, rift_backend *be, double peak)
{
    const rift_mel_params p = rift_mel_params_default();
    mel_run m = {.mel = rift_mel_new(be, &p, NULL)};
    m.n = (int64_t)(a->seconds * BENCH_RATE);
    m.audio = g_new(float, m.n);
    guint64 seed = 3;
    for (int64_t i = 0; i < m.n; i++)
        m.audio[i] = 0.1f * bench_randn(&seed);
    const int64_t T = rift_mel_n_frames(m.mel, m.n);
    m.out = g_new(float, T * p.n_mels);
    m.rms = g_new(float, T);
    const double t = bench_time_median(run_mel, &m, a->runs);
    /* the filterbank product [T, bins] · [bins, n_mels]; the FFTs are not counted */
    const double flop = 2.0 * (double)(T * p.n_mels) * (double)(p.n_fft / 2 + 1);
    bench_report r;
    bench_report_begin(&r, "mel", a->json);
    bench_report_num(&r, "seconds", a->seconds, "%.1f");
    bench_report_speed(&r, t, flop, peak, a->seconds);
    bench_report_machine(&r, be, peak);
    bench_report_end(&r);
    g_free(m.audio);
    g_free(m.out);
    g_free(m.rms);
    rift_mel_free(m.mel);
    return 0;
}
