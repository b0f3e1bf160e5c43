/* dio.c — see dio.h.
 *
 * DIO: the signal is low-cut at 50 Hz, then for each of a set of log-spaced
 * bands low-passed (a Nuttall window whose cut-off sits at the band's
 * boundary); a filtered signal dominated by its fundamental crosses zero,
 * peaks and dips once per period, so the four event rates (falling and rising
 * zero crossings, peaks, dips) agree there. Per frame and band the candidate
 * is their mean and its score their spread relative to it; the best-scoring
 * band wins, and FixF0Contour removes jumps and short runs and then grows the
 * voiced runs through the candidates. StoneMask then refines each voiced
 * frame from the instantaneous frequency of its first harmonics.
 *
 * Arithmetic is ordered as WORLD orders it, in double, so that the results
 * match pyworld's to rounding (tests/models/test-robust-f0-dio.c). */
#include "dio.h"

#include "fftw-plan.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

#define LOW_CUT_HZ 50.0      /* DIO's low cut before the band filters */
#define SAFE_GUARD 1e-12     /* keeps WORLD's divisions by an f0 finite */
#define REJECTED 100000.0    /* score of a candidate outside its band */
#define STONEMASK_FLOOR 40.0 /* StoneMask's own floor, whatever DIO's was */
#define MAX_FFT (1 << 30)    /* FFTW takes an int size */

/* MATLAB's round(): half away from zero */
static int64_t round_half_away(double x)
{
    return x > 0 ? (int64_t)(x + 0.5) : (int64_t)(x - 0.5);
}

/* 2^(floor(log2(len)) + 1): the power of two above len (WORLD's choice,
 * which doubles exact powers of two) */
static int64_t fft_size_above(int64_t len)
{
    return (int64_t)1 << ((int)(log((double)len) / G_LN2) + 1);
}

void rift_dio_params_init(rift_dio_params *p)
{
    *p = (rift_dio_params){.f0_floor = 71.0, .f0_ceil = 800.0, .frame_period_ms = 5.0,
                           .channels_in_octave = 2.0, .allowed_range = 0.1, .speed = 1};
}

int64_t rift_dio_frame_count(int64_t n, int fs, double frame_period_ms)
{
    return (int64_t)(1000.0 * (double)n / fs / frame_period_ms) + 1;
}

/* ---- DIO: spectrum and band filters ---- */

typedef struct {
    int64_t y_len;      /* n + 1: DIO analyses the signal with one zero appended */
    int64_t fft_size;
    double fs;
    double *buf;        /* [fft_size] time-domain work */
    fftw_complex *spec; /* [fft_size/2 + 1] spectrum of the low-cut signal */
    fftw_complex *work; /* [fft_size/2 + 1] a filter's spectrum, then the product */
    fftw_plan r2c;      /* buf -> work (also run buf -> spec) */
    fftw_plan c2r;      /* work -> buf */
    double *loc, *rate; /* [y_len] one kind of event: locations (s) and rates (Hz) */
    double *events[4];  /* [frames] the four event rates at the frame times */
    double *cand;       /* [bands, frames] candidates (0 = none) */
    double *best_f0;    /* [frames] best-scoring candidate */
    double *best_score; /* [frames] its score */
} dio_ctx;

/* a[k] *= b[k] over the n/2 + 1 bins of a real signal's spectrum */
static void spectrum_mul(fftw_complex *a, const fftw_complex *b, int64_t n)
{
    for (int64_t k = 0; k <= n / 2; k++) {
        const double re = a[k][0] * b[k][0] - a[k][1] * b[k][1];
        a[k][1] = a[k][0] * b[k][1] + a[k][1] * b[k][0];
        a[k][0] = re;
    }
}

/* The 50 Hz low cut into buf: h = δ − w/Σw, w_k = 0.5 − 0.5·cos(2πk/(N+1)),
 * k = 1..N, N = 2·round(fs/50) + 1 taps centred on sample 0 (circularly), so
 * the filter has zero phase. */
static void dio_low_cut(dio_ctx *c)
{
    const int64_t taps = 2 * round_half_away(c->fs / LOW_CUT_HZ) + 1, mid = (taps - 1) / 2;
    double sum = 0.0;
    memset(c->buf, 0, c->fft_size * sizeof(double));
    for (int64_t k = 1; k <= taps; k++) {
        /* tap k sits at offset k − 1 − mid */
        double *at = &c->buf[(k - 1 - mid + c->fft_size) % c->fft_size];
        *at = 0.5 - 0.5 * cos(k * 2.0 * G_PI / (taps + 1));
        sum += *at;
    }
    for (int64_t k = 1; k <= taps; k++) {
        double *at = &c->buf[(k - 1 - mid + c->fft_size) % c->fft_size];
        *at = -*at / sum;
    }
    c->buf[0] += 1.0;
}

/* spec = FFT(y) · FFT(low cut), y = [x, 0] minus its mean over those n + 1
 * samples, zero-padded to fft_size */
static void dio_spectrum(dio_ctx *c, const double *x, int64_t n)
{
    double mean = 0.0;
    memset(c->buf, 0, c->fft_size * sizeof(double));
    memcpy(c->buf, x, n * sizeof(double));
    for (int64_t i = 0; i < c->y_len; i++)
        mean += c->buf[i];
    mean /= c->y_len;
    for (int64_t i = 0; i < c->y_len; i++)
        c->buf[i] -= mean;
    fftw_execute_dft_r2c(c->r2c, c->buf, c->spec);

    dio_low_cut(c);
    fftw_execute(c->r2c);
    spectrum_mul(c->spec, c->work, c->fft_size);
}

/* The band's low pass applied to the low-cut signal: a Nuttall window of
 * L = 4·half taps, w_i = 0.355768 − 0.487396·cos(2πu) + 0.144232·cos(4πu)
 * − 0.012604·cos(6πu), u = i/(L−1), by FFT. Its delay of 2·half samples is
 * skipped: returns the filtered signal [y_len], inside c->buf. */
static double *dio_band_filter(dio_ctx *c, int64_t half)
{
    const int64_t len = 4 * half;
    memset(c->buf, 0, c->fft_size * sizeof(double));
    for (int64_t i = 0; i < len; i++) {
        const double u = i / (len - 1.0);
        c->buf[i] = 0.355768 - 0.487396 * cos(2.0 * G_PI * u) + 0.144232 * cos(4.0 * G_PI * u) -
                    0.012604 * cos(6.0 * G_PI * u);
    }
    fftw_execute(c->r2c);
    spectrum_mul(c->work, c->spec, c->fft_size);
    fftw_execute(c->c2r);
    return c->buf + 2 * half;
}

/* ---- DIO: events and candidates ---- */

/* One kind of event of s [len]: where s crosses zero falling (s[i] > 0 >=
 * s[i+1]) or rising (s[i] < 0 <= s[i+1]), at the interpolated position
 * e = (i + 1) − s[i]/(s[i+1] − s[i]) (one-based, as WORLD); successive
 * crossings e_k, e_k+1 give the rate fs/(e_k+1 − e_k) at time
 * (e_k + e_k+1)/2/fs. Returns the number of rates in loc/rate. */
static int64_t dio_crossings(const double *s, int64_t len, gboolean rising, double fs,
                             double *loc, double *rate)
{
    int64_t count = 0;
    double prev = NAN; /* the previous crossing */
    for (int64_t i = 0; i + 1 < len; i++) {
        const gboolean hit =
            rising ? s[i] < 0.0 && s[i + 1] >= 0.0 : s[i] > 0.0 && s[i + 1] <= 0.0;
        if (!hit)
            continue;
        const double e = (double)(i + 1) - s[i] / (s[i + 1] - s[i]);
        if (!isnan(prev)) {
            rate[count] = fs / (e - prev);
            loc[count++] = (prev + e) / 2.0 / fs;
        }
        prev = e;
    }
    return count;
}

/* MATLAB's interp1(loc, val, t, 'linear', 'extrap') at ascending t, m >= 2:
 * segment j = #{loc <= t} clamped to [1, m−1],
 * out = val[j−1] + (t − loc[j−1])/(loc[j] − loc[j−1])·(val[j] − val[j−1]). */
static void interp_extrap(const double *loc, const double *val, int64_t m, const double *t,
                          int64_t nt, double *out)
{
    int64_t j = 1;
    for (int64_t i = 0; i < nt; i++) {
        while (j < m - 1 && loc[j] <= t[i])
            j++;
        const double s = (t[i] - loc[j - 1]) / (loc[j] - loc[j - 1]);
        out[i] = val[j - 1] + s * (val[j] - val[j - 1]);
    }
}

/* The four event rates of the filtered signal f [y_len] at the frame times,
 * into c->events: falling and rising zero crossings of f, then peaks and dips
 * (falling and rising crossings of d[i] = f[i+1] − f[i], computed in place).
 * FALSE when some kind has fewer than 3 rates: no candidate in this band. */
static gboolean dio_events(dio_ctx *c, double *f, const double *t, int64_t nt)
{
    for (int kind = 0; kind < 4; kind++) {
        const int64_t len = kind < 2 ? c->y_len : c->y_len - 1;
        if (kind == 2)
            for (int64_t i = 0; i + 1 < c->y_len; i++)
                f[i] = f[i + 1] - f[i];
        const int64_t m = dio_crossings(f, len, kind & 1, c->fs, c->loc, c->rate);
        if (m < 3)
            return FALSE;
        interp_extrap(c->loc, c->rate, m, t, nt, c->events[kind]);
    }
    return TRUE;
}

/* One band's candidates cand [nt], and the running best over bands (band 0
 * first; a lower score wins, an earlier band on ties). Per frame the
 * candidate is the mean of the four rates, c = (r0 + r1 + r2 + r3)/4, and its
 * score their standard deviation relative to it, sqrt(Σ(r − c)²/3)/(c + 1e-12).
 * A candidate outside [boundary/2, boundary] or [floor, ceil] is 0 with score
 * 1e5/1e-12. */
static void dio_score_band(dio_ctx *c, int band, gboolean have_events, double boundary,
                           double floor_hz, double ceil_hz, int64_t nt, double *cand)
{
    double *const *r = c->events;
    for (int64_t i = 0; i < nt; i++) {
        double f = 0.0, score = REJECTED;
        if (have_events) {
            f = (r[0][i] + r[1][i] + r[2][i] + r[3][i]) / 4.0;
            score = sqrt(((r[0][i] - f) * (r[0][i] - f) + (r[1][i] - f) * (r[1][i] - f) +
                          (r[2][i] - f) * (r[2][i] - f) + (r[3][i] - f) * (r[3][i] - f)) /
                         3.0);
            if (f > boundary || f < boundary / 2.0 || f > ceil_hz || f < floor_hz) {
                f = 0.0;
                score = REJECTED;
            }
        }
        score /= f + SAFE_GUARD;
        cand[i] = f;
        if (band == 0 || c->best_score[i] > score) {
            c->best_score[i] = score;
            c->best_f0[i] = f;
        }
    }
}

/* ---- DIO: FixF0Contour ---- */

typedef struct {
    const double *cand; /* [bands, frames] */
    int bands;
    int64_t frames;
    double range;       /* allowed_range */
} dio_fix;

/* Step 1, jumps: with the first and last `edge` frames zeroed (b), frame i >=
 * edge keeps b[i] when |b[i] − b[i−1]|/(b[i] + 1e-12) < range, else 0. */
static void fix_jumps(const dio_fix *fx, const double *best, int64_t edge, double *out)
{
    const int64_t n = fx->frames;
    double prev = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double b = i < edge || i >= n - edge ? 0.0 : best[i];
        out[i] = i >= edge && fabs((b - prev) / (SAFE_GUARD + b)) < fx->range ? b : 0.0;
        prev = b;
    }
}

/* Step 2, short runs: frame i (half <= i < n − half) is 0 when any frame
 * within ±half of it is 0 in step 1. */
static void fix_short_runs(const dio_fix *fx, const double *in, int64_t half, double *out)
{
    const int64_t n = fx->frames;
    memcpy(out, in, n * sizeof(double));
    for (int64_t i = half; i < n - half; i++)
        for (int64_t j = -half; j <= half; j++)
            if (in[i + j] == 0.0) {
                out[i] = 0.0;
                break;
            }
}

/* The candidate of frame k nearest to ref = (3·cur − past)/2, the linear
 * extrapolation from its neighbour `cur` and the frame beyond, `past` (the
 * lowest band on ties); 0 when |1 − cand/ref| > range. */
static double fix_select(const dio_fix *fx, double cur, double past, int64_t k)
{
    const double ref = (cur * 3.0 - past) / 2.0;
    double best = fx->cand[k], err = fabs(ref - best);
    for (int b = 1; b < fx->bands; b++) {
        const double f = fx->cand[(int64_t)b * fx->frames + k];
        if (fabs(ref - f) < err) {
            err = fabs(ref - f);
            best = f;
        }
    }
    return fabs(1.0 - best / ref) > fx->range ? 0.0 : best;
}

/* Step 3, forward: from the last frame of each voiced run of step 2 (`ends`,
 * ascending), frames j + 1 = end + 1 .. (the next run's end, or the last
 * frame) become fix_select(f[j], f[j−1]), stopping at the first 0. In place. */
static void fix_forward(const dio_fix *fx, const int64_t *ends, int64_t n_ends, double *f)
{
    for (int64_t r = 0; r < n_ends; r++) {
        const int64_t limit = r == n_ends - 1 ? fx->frames - 1 : ends[r + 1];
        for (int64_t j = ends[r]; j < limit; j++) {
            f[j + 1] = fix_select(fx, f[j], f[j - 1], j + 1);
            if (f[j + 1] == 0.0)
                break;
        }
    }
}

/* Step 4, backward: from the first frame of each voiced run of step 2
 * (`starts`, taken last to first), frames j − 1 = start − 1 .. (the previous
 * run's start, or frame 1) become fix_select(f[j], f[j+1]), stopping at the
 * first 0. Frame 0 is never reached. In place. */
static void fix_backward(const dio_fix *fx, const int64_t *starts, int64_t n_starts, double *f)
{
    for (int64_t r = n_starts - 1; r >= 0; r--) {
        const int64_t limit = r == 0 ? 1 : starts[r - 1];
        for (int64_t j = starts[r]; j > limit; j--) {
            f[j - 1] = fix_select(fx, f[j], f[j + 1], j - 1);
            if (f[j - 1] == 0.0)
                break;
        }
    }
}

/* WORLD's FixF0Contour: steps 1-4 above on the best candidates, with
 * edge = round-down(0.5 + 1000/period/floor)·2 + 1 frames (≈ one floor
 * period either side); f0 stays all 0 when there are no more frames than that. */
static void fix_contour(const dio_fix *fx, const double *best, double period_ms, double floor_hz,
                        double *f0)
{
    const int64_t n = fx->frames;
    const double edge_d = floor(0.5 + 1000.0 / period_ms / floor_hz) * 2.0 + 1.0;
    memset(f0, 0, n * sizeof(double));
    if ((double)n <= edge_d)
        return;
    const int64_t edge = (int64_t)edge_d;
    double *step1 = g_new(double, n), *step2 = g_new(double, n);
    int64_t *starts = g_new(int64_t, n), *ends = g_new(int64_t, n), n_starts = 0, n_ends = 0;

    fix_jumps(fx, best, edge, step1);
    fix_short_runs(fx, step1, (edge - 1) / 2, step2);
    for (int64_t i = 1; i < n; i++) {
        if (step2[i] == 0.0 && step2[i - 1] != 0.0)
            ends[n_ends++] = i - 1;
        else if (step2[i - 1] == 0.0 && step2[i] != 0.0)
            starts[n_starts++] = i;
    }
    memcpy(f0, step2, n * sizeof(double));
    fix_forward(fx, ends, n_ends, f0);
    fix_backward(fx, starts, n_starts, f0);

    g_free(step1);
    g_free(step2);
    g_free(starts);
    g_free(ends);
}

/* ---- DIO ---- */

static gboolean dio_check(int64_t n, int fs, const rift_dio_params *p, GError **err)
{
    const char *bad = NULL;
    if (n < 1)
        bad = "n >= 1 samples";
    else if (fs < 1)
        bad = "fs >= 1 Hz";
    else if (!(p->f0_floor > 0.0 && p->f0_floor < p->f0_ceil && isfinite(p->f0_ceil)))
        bad = "0 < f0_floor < f0_ceil";
    else if (!(p->frame_period_ms > 0.0 && isfinite(p->frame_period_ms)))
        bad = "frame_period_ms > 0";
    else if (!(p->channels_in_octave > 0.0 && p->channels_in_octave <= 64.0))
        bad = "0 < channels_in_octave <= 64";
    else if (!(p->allowed_range >= 0.0))
        bad = "allowed_range >= 0";
    if (bad) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "rift_dio: expected %s (got n %" G_GINT64_FORMAT ", fs %d, f0 %g..%g Hz, "
                    "period %g ms, %g channels/octave, range %g)",
                    bad, n, fs, p->f0_floor, p->f0_ceil, p->frame_period_ms,
                    p->channels_in_octave, p->allowed_range);
        return FALSE;
    }
    if (p->speed != 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                    "rift_dio: speed %d is not supported (only 1: no decimation)", p->speed);
        return FALSE;
    }
    return TRUE;
}

gboolean rift_dio(const double *x, int64_t n, int fs, const rift_dio_params *p, double *t,
                  double *f0, GError **err)
{
    if (!dio_check(n, fs, p, err))
        return FALSE;
    const int bands = 1 + (int)(log(p->f0_ceil / p->f0_floor) / G_LN2 * p->channels_in_octave);
    const double lowest = p->f0_floor * pow(2.0, 1.0 / p->channels_in_octave);
    const double span = (double)n + 1 + 2 * round_half_away(fs / LOW_CUT_HZ) + 1 +
                        4 * (int64_t)(1.0 + fs / lowest / 2.0);
    const int64_t frames = rift_dio_frame_count(n, fs, p->frame_period_ms);
    if (span >= MAX_FFT / 2 || bands > 4096) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "rift_dio: %" G_GINT64_FORMAT " samples at %d Hz with f0 %g..%g Hz need an "
                    "FFT of %.0f points or %d bands (at most %d and 4096)",
                    n, fs, p->f0_floor, p->f0_ceil, span, bands, MAX_FFT);
        return FALSE;
    }

    dio_ctx c = {.y_len = n + 1, .fft_size = fft_size_above((int64_t)span), .fs = fs};
    c.buf = fftw_alloc_real(c.fft_size);
    c.spec = fftw_alloc_complex(c.fft_size / 2 + 1);
    c.work = fftw_alloc_complex(c.fft_size / 2 + 1);
    c.r2c = rift_fftw_plan_r2c((int)c.fft_size, c.buf, c.work);
    c.c2r = rift_fftw_plan_c2r((int)c.fft_size, c.work, c.buf);
    c.loc = g_new(double, c.y_len);
    c.rate = g_new(double, c.y_len);
    for (int k = 0; k < 4; k++)
        c.events[k] = g_new(double, frames);
    c.cand = g_new(double, (int64_t)bands * frames);
    c.best_f0 = g_new(double, frames);
    c.best_score = g_new(double, frames);

    for (int64_t i = 0; i < frames; i++)
        t[i] = i * p->frame_period_ms / 1000.0;
    dio_spectrum(&c, x, n);
    for (int b = 0; b < bands; b++) {
        const double boundary = p->f0_floor * pow(2.0, (b + 1) / p->channels_in_octave);
        double *f = dio_band_filter(&c, round_half_away(fs / boundary / 2.0));
        const gboolean have = dio_events(&c, f, t, frames);
        dio_score_band(&c, b, have, boundary, p->f0_floor, p->f0_ceil, frames,
                       c.cand + (int64_t)b * frames);
    }
    const dio_fix fx = {.cand = c.cand, .bands = bands, .frames = frames,
                        .range = p->allowed_range};
    fix_contour(&fx, c.best_f0, p->frame_period_ms, p->f0_floor, f0);

    rift_fftw_destroy(c.r2c);
    rift_fftw_destroy(c.c2r);
    fftw_free(c.buf);
    fftw_free(c.spec);
    fftw_free(c.work);
    g_free(c.loc);
    g_free(c.rate);
    for (int k = 0; k < 4; k++)
        g_free(c.events[k]);
    g_free(c.cand);
    g_free(c.best_f0);
    g_free(c.best_score);
    return TRUE;
}

/* ---- StoneMask ---- */

typedef struct {
    int fs;
    const double *x;
    int64_t n;
    double *in_main, *in_diff;       /* [max fft] windowed frame */
    fftw_complex *spec_main, *spec_diff; /* [max fft/2 + 1] their spectra */
    double *win, *dwin;              /* [max window] */
    int64_t *at;                     /* [max window] sample index of each tap */
    fftw_plan plans[31];             /* r2c in_main -> spec_main per log2(fft size) */
} stonemask_ctx;

/* StoneMask's analysis for f0: a Blackman window of 2h + 1 taps,
 * h = trunc(1.5·fs/f0 + 1) (three periods), FFT of 4..8 times that. */
static int64_t stonemask_half(int fs, double f0)
{
    return (int64_t)(1.5 * fs / f0 + 1.0);
}

static int stonemask_log2_fft(int64_t half)
{
    return 2 + (int)(log(half * 2.0 + 1.0) / G_LN2);
}

/* The frame's two spectra: x·w (Blackman window w centred on the frame) and
 * x·w' (w' = −dw/di, the window's negated central difference). Taps sit at
 * samples round((pos + i/fs)·fs) − 1, i = −h..h, clamped to the signal. */
static void stonemask_spectra(stonemask_ctx *c, double pos, int64_t half, int log2_fft)
{
    const int64_t len = 2 * half + 1, fft = (int64_t)1 << log2_fft;
    const double fs = c->fs, win_s = (2.0 * half + 1.0) / fs;
    for (int64_t i = 0; i < len; i++) {
        const int64_t raw = round_half_away((pos + (double)(i - half) / fs) * fs);
        const double u = (raw - 1.0) / fs - pos;
        c->win[i] = 0.42 + 0.5 * cos(2.0 * G_PI * u / win_s) + 0.08 * cos(4.0 * G_PI * u / win_s);
        c->at[i] = CLAMP(raw - 1, 0, c->n - 1);
    }
    c->dwin[0] = -c->win[1] / 2.0;
    for (int64_t i = 1; i < len - 1; i++)
        c->dwin[i] = -(c->win[i + 1] - c->win[i - 1]) / 2.0;
    c->dwin[len - 1] = c->win[len - 2] / 2.0;

    memset(c->in_main, 0, fft * sizeof(double));
    memset(c->in_diff, 0, fft * sizeof(double));
    for (int64_t i = 0; i < len; i++) {
        c->in_main[i] = c->x[c->at[i]] * c->win[i];
        c->in_diff[i] = c->x[c->at[i]] * c->dwin[i];
    }
    if (!c->plans[log2_fft])
        c->plans[log2_fft] = rift_fftw_plan_r2c((int)fft, c->in_main, c->spec_main);
    fftw_execute(c->plans[log2_fft]);
    fftw_execute_dft_r2c(c->plans[log2_fft], c->in_diff, c->spec_diff);
}

/* f0 from the first `harmonics` harmonics of f: harmonic h sits at bin
 * k = round(h·f·fft/fs) (at most fft/2), where the instantaneous frequency
 * is k·fs/fft + Im(conj(M)·D)/|M|²·fs/2π (M, D the spectra of x·w and
 * x·w'; 0 where |M| = 0); the estimate is Σ|M|·IF / (Σ|M|·h + 1e-12). */
static double stonemask_harmonics(const stonemask_ctx *c, int64_t fft, double f, int harmonics)
{
    double num = 0.0, den = 0.0;
    for (int h = 1; h <= harmonics; h++) {
        const int64_t k = MIN(round_half_away(f * fft / c->fs * h), fft / 2);
        const double *m = c->spec_main[k], *d = c->spec_diff[k];
        const double power = m[0] * m[0] + m[1] * m[1];
        const double cross = m[0] * d[1] - m[1] * d[0];
        const double inst =
            power == 0.0 ? 0.0 : (double)k * c->fs / fft + cross / power * c->fs / 2.0 / G_PI;
        num += sqrt(power) * inst;
        den += sqrt(power) * h;
    }
    return num / (den + SAFE_GUARD);
}

/* One frame: 0 outside (40 Hz, fs/12]; a first estimate from 2 harmonics
 * (dropped when <= 0 or above 2·f0), refined from 6; DIO's f0 is kept when
 * the result moves it by more than 20 %. */
static double stonemask_frame(stonemask_ctx *c, double pos, double f0)
{
    if (!(f0 > STONEMASK_FLOOR && f0 <= c->fs / 12.0))
        return 0.0;
    const int64_t half = stonemask_half(c->fs, f0);
    const int log2_fft = stonemask_log2_fft(half);
    stonemask_spectra(c, pos, half, log2_fft);
    const int64_t fft = (int64_t)1 << log2_fft;
    const double first = stonemask_harmonics(c, fft, f0, 2);
    double refined = 0.0;
    if (first > 0.0 && first <= f0 * 2)
        refined = stonemask_harmonics(c, fft, first, 6);
    return fabs(refined - f0) > f0 * 0.2 ? f0 : refined;
}

void rift_stonemask(const double *x, int64_t n, int fs, const double *t, const double *f0,
                    int64_t n_frames, double *out)
{
    memset(out, 0, n_frames * sizeof(double));
    if (n < 1 || fs < 1 || n_frames < 1)
        return;
    /* buffers for the largest window: the lowest f0 that is refined */
    double lowest = INFINITY;
    for (int64_t i = 0; i < n_frames; i++)
        if (f0[i] > STONEMASK_FLOOR && f0[i] <= fs / 12.0)
            lowest = MIN(lowest, f0[i]);
    if (lowest == INFINITY)
        return;
    const int64_t half = stonemask_half(fs, lowest), fft = (int64_t)1
                                                           << stonemask_log2_fft(half);
    stonemask_ctx c = {.fs = fs, .x = x, .n = n};
    c.in_main = fftw_alloc_real(fft);
    c.in_diff = fftw_alloc_real(fft);
    c.spec_main = fftw_alloc_complex(fft / 2 + 1);
    c.spec_diff = fftw_alloc_complex(fft / 2 + 1);
    c.win = g_new(double, 2 * half + 1);
    c.dwin = g_new(double, 2 * half + 1);
    c.at = g_new(int64_t, 2 * half + 1);

    for (int64_t i = 0; i < n_frames; i++)
        out[i] = stonemask_frame(&c, t[i], f0[i]);

    for (guint k = 0; k < G_N_ELEMENTS(c.plans); k++)
        rift_fftw_destroy(c.plans[k]);
    fftw_free(c.in_main);
    fftw_free(c.in_diff);
    fftw_free(c.spec_main);
    fftw_free(c.spec_diff);
    g_free(c.win);
    g_free(c.dwin);
    g_free(c.at);
}
