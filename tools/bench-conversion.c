/* bench-conversion.c — `rift-tool bench conversion`: the whole conversion of
 * --seconds of synthetic singing, engine call by engine call as the riftsvc
 * chain makes them (docs/design.md), with every model random at the sizes
 * of the flags:
 *
 *   pieces of --max-segment s (riftmel's max-segment-duration)
 *   -> the Slicer cuts each piece at silences (infer.py's defaults)
 *   -> per segment: loudness to -18 LUFS, mel + rms, RMVPE f0, ContentVec
 *   -> --batch-size segments sampled together (ds + spk guidance, --steps)
 *   -> per segment: NSF-HiFiGAN (with its noise), loudness restored
 *   -> the piece re-assembled with infer.py's fades, then dropped.
 *
 * Only one piece is held at a time, so memory does not grow with --seconds:
 * rss_mb of a 30-minute run is that of a one-minute run. Time per stage is
 * summed over the run; the synthetic input's generation is not timed. */
#include "assembly.h"
#include "bench.h"
#include "interp.h"
#include "loudness.h"
#include "mel.h"
#include "rf.h"
#include "slicer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TARGET_LUFS -18.0 /* infer.py's defaults */
#define FADE_MS 20.0
#define CVEC_DOWNSAMPLE 2

enum { ST_DSP, ST_MEL, ST_F0, ST_CVEC, ST_DIT, ST_VOCODER, N_STAGES };
static const char *const stage_key[N_STAGES] = {"dsp_s", "mel_s", "f0_s",
                                                "cvec_s", "dit_s", "vocoder_s"};

typedef struct {
    rift_backend *be;
    rift_mel *mel;
    rift_rmvpe *rmvpe;
    rift_contentvec *cv;
    rift_dit *dit;
    rift_vocoder *voc;
    rift_rf_params rf;
    rift_slicer_params slicer;
    int64_t batch;
    guint64 noise;
    /* this run */
    double time[N_STAGES], flop[N_STAGES];
    int64_t segments;
    double out_sq; /* Σ y² of the output (finite when all went well) */
} conversion;

/* one segment on its way through */
typedef struct {
    int64_t n, T;
    float *audio; /* [n], loudness-normalised */
    double lufs;  /* before */
    float *mel, *rms, *f0, *cvec, *out_mel; /* [T, ...] */
    float *y;     /* [n] converted */
} segment;

static double lap(double *acc, double t0)
{
    const double t = bench_now();
    *acc += t - t0;
    return t;
}

static void segment_clear(segment *s)
{
    float *bufs[] = {s->audio, s->mel, s->rms, s->f0, s->cvec, s->out_mel};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
}

/* riftmel, riftf0, riftcvec: the features of x [n] */
static gboolean features(conversion *c, segment *s, const float *x, GError **err)
{
    const int64_t M = rift_mel_get_params(c->mel)->n_mels;
    const int64_t C = rift_contentvec_get_hparams(c->cv)->hidden;
    double t = bench_now();
    s->audio = g_memdup2(x, s->n * sizeof(float));
    s->lufs = rift_loudness_normalize(s->audio, s->n, BENCH_RATE, TARGET_LUFS, NULL);
    t = lap(&c->time[ST_DSP], t);
    s->T = rift_mel_n_frames(c->mel, s->n);
    if (s->T == 0) /* shorter than a frame: silence out, as for a GAP */
        return TRUE;
    s->mel = g_new(float, s->T * M);
    s->rms = g_new(float, s->T);
    s->f0 = g_new(float, s->T);
    s->cvec = g_new(float, s->T * C);
    double flop = 0.0;
    gboolean ok = rift_mel_compute(c->mel, s->audio, s->n, s->mel, s->rms, err);
    const int64_t bins = rift_mel_get_params(c->mel)->n_fft / 2 + 1;
    c->flop[ST_MEL] += 2.0 * (double)(s->T * M) * (double)bins; /* the filterbank product */
    t = lap(&c->time[ST_MEL], t);
    ok = ok && rift_rmvpe_f0_44k(c->rmvpe, s->audio, s->n, 0.0, RIFT_RMVPE_THRED, s->f0, err);
    c->flop[ST_F0] += bench_rmvpe_flops(rift_rmvpe_get_hparams(c->rmvpe), s->n);
    t = lap(&c->time[ST_F0], t);
    ok = ok && bench_contentvec_segment(c->cv, s->audio, s->n, s->T, s->cvec, &flop, err);
    c->flop[ST_CVEC] += flop;
    lap(&c->time[ST_CVEC], t);
    return ok;
}

/* riftdit: the segments of a batch padded to the longest, sampled together */
static gboolean sample(conversion *c, segment *seg, int n, GError **err)
{
    const rift_dit_hparams *hp = rift_dit_get_hparams(c->dit);
    const int64_t M = hp->n_mels, C = hp->cvec_dim;
    int64_t B = 0, T = 0;
    for (int i = 0; i < n; i++) {
        B += seg[i].T > 0;
        T = MAX(T, seg[i].T);
    }
    if (B == 0)
        return TRUE;
    const double t = bench_now();
    float *src = g_new0(float, B * T * M), *f0 = g_new0(float, B * T), *rms = g_new0(float, B * T);
    float *cvec = g_new0(float, B * T * C), *bad = g_new0(float, B * T * C);
    float *y0 = g_new0(float, B * T * M), *out = g_new(float, B * T * M);
    int64_t *spk = g_new0(int64_t, B);
    int32_t *len = g_new(int32_t, B);
    for (int i = 0, b = 0; i < n; i++) {
        const segment *s = &seg[i];
        if (s->T == 0)
            continue;
        memcpy(src + b * T * M, s->mel, s->T * M * sizeof(float));
        memcpy(f0 + b * T, s->f0, s->T * sizeof(float));
        memcpy(rms + b * T, s->rms, s->T * sizeof(float));
        memcpy(cvec + b * T * C, s->cvec, s->T * C * sizeof(float));
        rift_bad_cvec(bad + b * T * C, s->cvec, s->T, C, CVEC_DOWNSAMPLE);
        for (int64_t j = 0; j < s->T * M; j++)
            y0[b * T * M + j] = bench_randn(&c->noise);
        len[b++] = (int32_t)s->T;
    }
    const rift_rf_input in = {.B = B, .T = T, .src_mel = src, .spk = spk, .f0 = f0, .rms = rms,
                              .cvec = cvec, .bad_cvec = bad, .frame_len = len, .y0 = y0};
    const gboolean ok = rift_rf_sample(c->dit, &c->rf, &in, out, NULL, err);
    for (int i = 0, b = 0; ok && i < n; i++)
        if (seg[i].T > 0)
            seg[i].out_mel = g_memdup2(out + b++ * T * M, seg[i].T * M * sizeof(float));
    /* the plain condition, and one per guidance that is on (rf.c) */
    const int64_t conds = 1 + (c->rf.ds_cfg_strength > 1e-5f) +
                          (c->rf.spk_cfg_strength > 1e-5f) + (c->rf.skip_cfg_strength > 1e-5f);
    c->flop[ST_DIT] += (double)(c->rf.steps - 1) * rift_dit_flops(hp, conds * B, T);
    float *bufs[] = {src, f0, rms, cvec, bad, y0, out};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    g_free(spk);
    g_free(len);
    lap(&c->time[ST_DIT], t);
    return ok;
}

/* riftvocoder: T·512 samples with the harmonic source's noise, zero-padded
 * to n, the original loudness restored */
static gboolean vocode(conversion *c, segment *s, GError **err)
{
    const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(c->voc);
    const int64_t m = s->T * hp->upp, H = hp->n_harmonics; /* m <= n */
    s->y = g_new0(float, s->n);
    if (s->T == 0)
        return TRUE;
    double t = bench_now();
    float *rand_ini = g_new(float, H), *randn = g_new(float, m * H);
    for (int64_t i = 0; i < H; i++) /* fixed phases: only the cost matters here */
        rand_ini[i] = (float)(i + 1) / (float)(H + 1);
    for (int64_t i = 0; i < m * H; i++)
        randn[i] = bench_randn(&c->noise);
    const rift_vocoder_input in = {.B = 1, .T = s->T, .mel = s->out_mel, .f0 = s->f0,
                                   .rand_ini = rand_ini, .randn = randn};
    const gboolean ok = rift_vocoder_forward(c->voc, &in, s->y, NULL, err);
    c->flop[ST_VOCODER] += bench_vocoder_flops(hp, s->T);
    g_free(rand_ini);
    g_free(randn);
    t = lap(&c->time[ST_VOCODER], t);
    if (isfinite(s->lufs))
        rift_loudness_normalize(s->y, s->n, BENCH_RATE, s->lufs, NULL);
    lap(&c->time[ST_DSP], t);
    return ok;
}

/* One piece [start, start + n) of the input, sliced and converted. */
static gboolean convert_piece(conversion *c, int64_t start, int64_t n, GError **err)
{
    float *x = g_new(float, n);
    bench_singing(x, start, n);
    double t = bench_now();
    int n_seg = 0;
    rift_span *spans = rift_slice(&c->slicer, BENCH_RATE, x, n, &n_seg);
    lap(&c->time[ST_DSP], t);
    segment *seg = g_new0(segment, MAX(n_seg, 1));
    gboolean ok = TRUE;
    for (int k = 0; ok && k < n_seg; k += (int)c->batch) {
        const int nb = MIN((int)c->batch, n_seg - k);
        for (int i = k; ok && i < k + nb; i++) {
            seg[i].n = spans[i].length;
            ok = features(c, &seg[i], x + spans[i].start, err);
        }
        ok = ok && sample(c, seg + k, nb, err);
        for (int i = k; ok && i < k + nb; i++)
            ok = vocode(c, &seg[i], err);
        for (int i = k; i < k + nb; i++)
            segment_clear(&seg[i]);
    }
    if (ok) {
        t = bench_now();
        int64_t *s0 = g_new(int64_t, MAX(n_seg, 1)), *len = g_new(int64_t, MAX(n_seg, 1));
        const float **ys = g_new(const float *, MAX(n_seg, 1));
        for (int i = 0; i < n_seg; i++) {
            s0[i] = spans[i].start;
            len[i] = spans[i].length;
            ys[i] = seg[i].y;
        }
        double *out = g_new(double, n);
        rift_assemble(out, n, n_seg, s0, len, ys, len, rift_fade_samples(FADE_MS, BENCH_RATE));
        lap(&c->time[ST_DSP], t);
        for (int64_t i = 0; i < n; i++)
            c->out_sq += out[i] * out[i];
        g_free(out);
        g_free(s0);
        g_free(len);
        g_free(ys);
    }
    for (int i = 0; i < n_seg; i++)
        g_free(seg[i].y);
    c->segments += n_seg;
    g_free(seg);
    g_free(spans);
    g_free(x);
    return ok;
}

static gboolean convert(conversion *c, double seconds, double piece_s, GError **err)
{
    const int64_t total = (int64_t)(seconds * BENCH_RATE), piece = (int64_t)(piece_s * BENCH_RATE);
    memset(c->time, 0, sizeof c->time);
    memset(c->flop, 0, sizeof c->flop);
    c->segments = 0;
    c->out_sq = 0.0;
    gboolean ok = TRUE;
    for (int64_t s = 0; ok && s < total; s += piece)
        ok = convert_piece(c, s, MIN(piece, total - s), err);
    return ok;
}

static gboolean load_models(conversion *c, const bench_args *a, GError **err)
{
    const rift_mel_params mp = rift_mel_params_default();
    return (c->mel = rift_mel_new(c->be, &mp, err)) &&
           (c->rmvpe = bench_random_rmvpe(a, c->be, err)) &&
           (c->cv = bench_random_contentvec(a, c->be, err)) &&
           (c->dit = bench_random_dit(a, c->be, err)) &&
           (c->voc = bench_random_vocoder(a, c->be, err));
}

static void free_models(conversion *c)
{
    g_clear_pointer(&c->mel, rift_mel_free);
    g_clear_pointer(&c->rmvpe, rift_rmvpe_free);
    g_clear_pointer(&c->cv, rift_contentvec_free);
    g_clear_pointer(&c->dit, rift_dit_free);
    g_clear_pointer(&c->voc, rift_vocoder_free);
}

int bench_conversion(const bench_args *a, rift_backend *be, double peak)
{
    conversion c = {.be = be,
                    .rf = rift_rf_params_default(),
                    .slicer = rift_slicer_params_default(),
                    .batch = a->batch_size,
                    .noise = 99};
    c.rf.steps = (int)a->steps;
    GError *err = NULL;
    gboolean ok = load_models(&c, a, &err);
    /* warm-up: the first phrase (every weight paged in, work buffers made) */
    ok = ok && convert(&c, MIN(a->seconds, 5.0), a->max_segment, &err);
    const int runs = a->runs ? a->runs : 1;
    double *t_total = g_new(double, runs), *t_stage[N_STAGES];
    for (int k = 0; k < N_STAGES; k++)
        t_stage[k] = g_new(double, runs);
    for (int r = 0; ok && r < runs; r++) {
        const double t0 = bench_now();
        ok = convert(&c, a->seconds, a->max_segment, &err);
        t_total[r] = bench_now() - t0;
        for (int k = 0; k < N_STAGES; k++)
            t_stage[k][r] = c.time[k];
    }
    if (ok) {
        double flop = 0.0;
        for (int k = 0; k < N_STAGES; k++)
            flop += c.flop[k];
        const rift_dit_hparams *hp = rift_dit_get_hparams(c.dit);
        bench_report rep;
        bench_report_begin(&rep, "conversion", a->json);
        bench_report_num(&rep, "seconds", a->seconds, "%.1f");
        bench_report_num(&rep, "segments", (double)c.segments, "%.0f");
        bench_report_num(&rep, "dim", (double)hp->dim, "%.0f");
        bench_report_num(&rep, "depth", (double)hp->depth, "%.0f");
        bench_report_num(&rep, "steps", (double)c.rf.steps, "%.0f");
        bench_report_num(&rep, "batch_size", (double)c.batch, "%.0f");
        bench_report_num(&rep, "max_segment", a->max_segment, "%.1f");
        bench_report_speed(&rep, bench_median(t_total, runs), flop, peak, a->seconds);
        for (int k = 0; k < N_STAGES; k++)
            bench_report_num(&rep, stage_key[k], bench_median(t_stage[k], runs), "%.3f");
        bench_report_num(&rep, "out_rms", sqrt(c.out_sq / (a->seconds * BENCH_RATE)), "%.4f");
        bench_report_num(&rep, "weights_mb", bench_weights_total_mb(), "%.0f");
        /* resident now: mapped file pages read (weights), and the rest */
        bench_report_num(&rep, "rss_file_mb", bench_rss_mb("RssFile"), "%.0f");
        bench_report_num(&rep, "rss_anon_mb", bench_rss_mb("RssAnon"), "%.0f");
        bench_report_machine(&rep, be, peak);
        bench_report_end(&rep);
    } else {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
    }
    g_free(t_total);
    for (int k = 0; k < N_STAGES; k++)
        g_free(t_stage[k]);
    free_models(&c);
    return ok ? 0 : 1;
}
