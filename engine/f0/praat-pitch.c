/* praat-pitch.c — see praat-pitch.h. Written from Boersma (1993), Praat's
 * manual ("Sound: To Pitch (ac)...") and a reading of Praat 6.1.38
 * (fon/Sound_to_Pitch.cpp, fon/Pitch.cpp Pitch_pathFinder,
 * melder/NUMinterpol.cpp, dwsys/NUM2.cpp NUMminimize_brent,
 * fon/Sampled.cpp Sampled_shortTermAnalysis), whose every arithmetic choice
 * that moves a result by more than rounding is kept: frame placement, sample
 * indices, the order of the candidate bookkeeping, the Brent minimiser's
 * steps and tolerance (its stopping point is only good to ~3e-5 samples, so
 * it must take Praat's steps to land where Praat lands).
 *
 * Cost per frame: two real FFTs of nfft (16384 at 44.1 kHz, floor 40 Hz,
 * very accurate) and, per candidate, a Brent search of ~10-30 windowed-sinc
 * evaluations over 2 × 700 lags. Frames run in parallel (OpenMP). */
#include "praat-pitch.h"
#include "fftw-plan.h"
#include "rift-error.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define PERIODS_PER_WINDOW 3.0  /* to_pitch_ac's fixed argument (doubled for very_accurate) */
#define STRENGTH_SINC_DEPTH 30  /* sinc depth of a maximum's first strength estimate */
#define SINC70 70               /* the refinement's sinc depths */
#define SINC700 700
#define BRENT_TOL 1e-10         /* the refinement's absolute tolerance, in lags */
#define BRENT_MAX_ITER 60
#define MAX_CEILING_RATIO 1e4   /* beyond this the candidate lists grow absurd */

void rift_praat_pitch_params_init(rift_praat_pitch_params *p)
{
    *p = (rift_praat_pitch_params){
        .time_step = 0.0,
        .pitch_floor = 75.0,
        .pitch_ceiling = 600.0,
        .silence_threshold = 0.03,
        .voicing_threshold = 0.45,
        .octave_cost = 0.01,
        .octave_jump_cost = 0.35,
        .voiced_unvoiced_cost = 0.14,
        .max_candidates = 15,
        .very_accurate = FALSE,
    };
}

/* The analysis layout, from the parameters and the sample rate as Praat's
 * Sound_to_Pitch_any derives it. At 44.1 kHz, floor 40 Hz, ceiling 1100 Hz,
 * very accurate: window 6612 samples, FFT 16384, r over lags 0..1653,
 * candidates at lags 2..1103, 27 candidates, local mean over 2 × 1102. */
typedef struct {
    double dx;          /* sample period 1/fs */
    double sound_x1;    /* time of sample 0's centre: dx/2 (parselmouth's Sound) */
    double dt;          /* frame step */
    double floor;       /* pitch floor */
    double ceiling;     /* pitch ceiling, clipped to Nyquist */
    double window_s;    /* window duration: periods / floor */
    int max_cand;       /* candidates per frame, the unvoiced one included */
    int64_t nwin;       /* window samples (even) */
    int64_t half_win;   /* nwin / 2 */
    int64_t nperiod;    /* samples in the longest period, floor(fs / floor) */
    int64_t half_period;/* nperiod / 2 + 1: the local peak's half-width */
    int64_t max_lag;    /* candidates at lags below this */
    int64_t nlag;       /* r is known for |lag| <= nlag (the sinc's support) */
    int64_t nfft;
    int refine_depth;   /* sinc depth of the refinement (SINC700 above 0.3 fs) */
    gboolean gauss;
} layout;

static gboolean check_params(const rift_praat_pitch_params *p, double fs, int64_t n, GError **err)
{
    const char *bad = NULL;
    if (!(fs > 0.0) || !isfinite(fs))
        bad = "sample rate must be positive";
    else if (n < 0)
        bad = "sample count must not be negative";
    else if (!(p->pitch_floor > 0.0) || !isfinite(p->pitch_floor))
        bad = "pitch_floor must be positive";
    else if (!(p->pitch_ceiling > 0.0) || !isfinite(p->pitch_ceiling))
        bad = "pitch_ceiling must be positive";
    else if (p->pitch_ceiling / p->pitch_floor > MAX_CEILING_RATIO)
        bad = "pitch_ceiling / pitch_floor must not exceed " G_STRINGIFY(MAX_CEILING_RATIO);
    else if (!(p->time_step >= 0.0) || !isfinite(p->time_step))
        bad = "time_step must be 0 (automatic) or positive";
    else if (p->max_candidates < 2)
        bad = "max_candidates must be at least 2";
    else if (!isfinite(p->silence_threshold) || !isfinite(p->voicing_threshold) ||
             !isfinite(p->octave_cost) || !isfinite(p->octave_jump_cost) ||
             !isfinite(p->voiced_unvoiced_cost))
        bad = "thresholds and costs must be finite";
    if (bad)
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "rift_praat_pitch_ac: %s", bad);
    return bad == NULL;
}

static gboolean layout_init(layout *L, const rift_praat_pitch_params *p, double fs, int64_t n,
                            GError **err)
{
    if (!check_params(p, fs, n, err))
        return FALSE;
    double periods = PERIODS_PER_WINDOW, interp_depth;
    L->dx = 1.0 / fs;
    L->sound_x1 = 0.5 / fs;
    L->floor = p->pitch_floor;
    /* the automatic step is a quarter of the 3-period window, before doubling */
    L->dt = p->time_step > 0.0 ? p->time_step : periods / p->pitch_floor / 4.0;
    L->max_cand = p->max_candidates;
    if (L->max_cand < p->pitch_ceiling / p->pitch_floor)
        L->max_cand = (int)floor(p->pitch_ceiling / p->pitch_floor);
    L->gauss = p->very_accurate;
    if (L->gauss) {
        periods *= 2.0; /* the Gaussian window is twice as long for the same resolution */
        L->refine_depth = SINC700;
        interp_depth = 0.25;
    } else {
        L->refine_depth = SINC70;
        interp_depth = 0.5;
    }
    const double duration = L->dx * (double)n;
    L->window_s = periods / p->pitch_floor;
    if (p->pitch_floor < periods / duration || L->window_s > duration) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "rift_praat_pitch_ac: the sound (%" G_GINT64_FORMAT " samples, %.4f s) is "
                    "shorter than one analysis window (%.4f s: %g periods of the %g Hz floor)",
                    n, duration, L->window_s, periods, p->pitch_floor);
        return FALSE;
    }
    if ((duration - L->window_s) / L->dt >= (double)n) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "rift_praat_pitch_ac: time_step %g s gives more frames than samples", L->dt);
        return FALSE;
    }
    L->nperiod = (int64_t)floor(1.0 / L->dx / p->pitch_floor);
    L->half_period = L->nperiod / 2 + 1;
    L->ceiling = MIN(p->pitch_ceiling, 0.5 / L->dx);
    L->half_win = (int64_t)floor(L->window_s / L->dx) / 2 - 1;
    if (L->half_win < 2) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "rift_praat_pitch_ac: the analysis window (%.4g s) is shorter than 6 samples "
                    "at %g Hz",
                    L->window_s, fs);
        return FALSE;
    }
    L->nwin = 2 * L->half_win;
    L->max_lag = MIN((int64_t)floor((double)L->nwin / periods) + 2, L->nwin);
    L->nlag = (int64_t)floor((double)L->nwin * interp_depth);
    /* zero padding keeps the circular autocorrelation exact up to lag nlag */
    L->nfft = 1;
    while ((double)L->nfft < (double)L->nwin * (1.0 + interp_depth))
        L->nfft *= 2;
    return TRUE;
}

/* Frames fitted symmetrically into the sound (Praat's
 * Sampled_shortTermAnalysis): nx = floor((duration − window) / dt) + 1, and
 * the middle of the frames is the middle of the sound,
 * x1 = mid − nx·dt/2 + dt/2, mid = sound_x1 − dx/2 + duration/2. */
static void frame_grid(const layout *L, int64_t n, int64_t *nx, double *x1)
{
    const double duration = L->dx * (double)n;
    *nx = (int64_t)floor((duration - L->window_s) / L->dt) + 1;
    const double mid = L->sound_x1 - 0.5 * L->dx + 0.5 * duration;
    *x1 = mid - 0.5 * ((double)*nx * L->dt) + 0.5 * L->dt;
}

/* Gaussian window (exp(−48 (i − m)² / (N + 1)²) − e^−12) / (1 − e^−12),
 * m = (N + 1)/2, or Hanning 0.5 − 0.5 cos(2π i / (N + 1)), for i = 1..N
 * (stored at i − 1): both reach zero one sample beyond each end. */
static void make_window(const layout *L, double *w)
{
    const double N1 = (double)L->nwin + 1.0, mid = 0.5 * N1, edge = exp(-12.0);
    for (int64_t i = 1; i <= L->nwin; i++) {
        const double d = (double)i - mid;
        w[i - 1] = L->gauss ? (exp(-48.0 * d * d / N1 / N1) - edge) / (1.0 - edge)
                            : 0.5 - 0.5 * cos((double)i * 2.0 * G_PI / N1);
    }
}

typedef struct {
    fftw_plan fwd, bwd;
} fft_plans;

/* Autocorrelation of buf [nfft] (the signal zero-padded to nfft) in place, by
 * the inverse FFT of the power spectrum; unnormalised (lag 0 = nfft·Σx²). */
static void autocorrelate(const layout *L, const fft_plans *plans, double *buf,
                          fftw_complex *spec)
{
    fftw_execute_dft_r2c(plans->fwd, buf, spec);
    for (int64_t k = 0; k <= L->nfft / 2; k++) {
        spec[k][0] = spec[k][0] * spec[k][0] + spec[k][1] * spec[k][1];
        spec[k][1] = 0.0;
    }
    fftw_execute_dft_c2r(plans->bwd, spec, buf);
}

/* The window's autocorrelation normalised to 1 at lag 0, wr[0..nwin−1]: a
 * windowed periodic signal's autocorrelation divided by it is the signal's
 * own (Boersma 1993, eq. 9). */
static void window_autocorrelation(const layout *L, const fft_plans *plans, const double *window,
                                   double *wr, double *buf, fftw_complex *spec)
{
    memset(buf, 0, L->nfft * sizeof(double));
    memcpy(buf, window, L->nwin * sizeof(double));
    autocorrelate(L, plans, buf, spec);
    wr[0] = 1.0;
    for (int64_t i = 1; i < L->nwin; i++)
        wr[i] = buf[i] / buf[0];
}

/* max |x − mean(x)|: the reference of every frame's intensity (the mean
 * summed in long double, as Praat's NUMmean) */
static double global_peak(const double *x, int64_t n)
{
    long double sum = 0.0L;
    for (int64_t i = 0; i < n; i++)
        sum += x[i];
    const double mean = (double)(sum / (long double)n);
    double peak = 0.0;
    for (int64_t i = 0; i < n; i++)
        peak = MAX(peak, fabs(x[i] - mean));
    return peak;
}

/* Frame centred at t: buf[j] = (x[s + j] − μ)·w[j] for j < nwin, zero up to
 * nfft, where s is half a window before t and μ is the mean of the 2·nperiod
 * samples around t (the DC goes before windowing). `left` is the last
 * sample at or before t (Praat's low index, here 0-based). Returns the local
 * peak: max |buf[j]| within half a longest period of the centre. */
static double frame_fill(const layout *L, const double *x, int64_t left, const double *window,
                         double *buf)
{
    double mean = 0.0;
    for (int64_t i = left + 1 - L->nperiod; i <= left + L->nperiod; i++)
        mean += x[i];
    mean /= (double)(2 * L->nperiod);

    const double *s = x + left + 1 - L->half_win;
    for (int64_t j = 0; j < L->nwin; j++)
        buf[j] = (s[j] - mean) * window[j];
    memset(buf + L->nwin, 0, (L->nfft - L->nwin) * sizeof(double));

    const int64_t j0 = MAX(L->half_win - L->half_period, 0);
    const int64_t j1 = MIN(L->half_win + L->half_period, L->nwin);
    double peak = 0.0;
    for (int64_t j = j0; j < j1; j++)
        peak = MAX(peak, fabs(buf[j]));
    return peak;
}

/* One side of the windowed sinc: Σ_k y[k0 + k·step] · sinc(d) · ½(1 + cos(π d / width)),
 * d = d0 + k for k = 0..count−1 (sinc(d) = sin(πd)/(πd)). sin(πd) only
 * changes sign from one term to the next; cos(πd / width) advances by the
 * angle-addition rotation. */
static double sinc_side(const double *y, int64_t k0, int step, int64_t count, double d0,
                        double width)
{
    double a = G_PI * d0, half_sin = 0.5 * sin(a);
    const double b = a / width, db = G_PI / width;
    double cb = cos(b), sb = sin(b);
    const double cdb = cos(db), sdb = sin(db);
    double sum = 0.0;
    for (int64_t k = 0; k < count; k++) {
        sum += y[k0 + k * step] * (half_sin / a * (1.0 + cb));
        a += G_PI;
        half_sin = -half_sin;
        const double c = cb * cdb - sb * sdb;
        sb = cb * sdb + sb * cdb;
        cb = c;
    }
    return sum;
}

/* y interpolated at x, Praat's NUM_interpolate_sinc: x counts from 1 at
 * y[0] (as Praat's vectors; the refinement's tolerance depends on |x|), the
 * ends extend as constants, and `depth` points each side of x enter a sinc
 * whose raised-cosine window ends one point beyond the outermost. The depth
 * shrinks near the ends of y; down to 2 it becomes a cubic (Hermite with
 * central slopes), 1 linear, 0 nearest. */
static double sinc_interpolate(const double *y, int64_t n, double x, int64_t depth)
{
    if (x < 1.0)
        return y[0];
    if (x > (double)n)
        return y[n - 1];
    const int64_t ml = (int64_t)floor(x), mr = ml + 1; /* 1-based neighbours */
    if (x == (double)ml)
        return y[ml - 1];
    depth = MIN(depth, MIN(mr - 1, n - ml));
    if (depth <= 0)
        return y[(int64_t)floor(x + 0.5) - 1];
    const double yl = y[ml - 1], yr = y[mr - 1], f = x - (double)ml;
    if (depth == 1)
        return yl + f * (yr - yl);
    if (depth == 2) {
        const double sl = 0.5 * (yr - y[ml - 2]), sr = 0.5 * (y[mr] - yl), g = (double)mr - x;
        return yl * g + yr * f -
               f * g * (0.5 * (sr - sl) + (f - 0.5) * (sl + sr - 2.0 * (yr - yl)));
    }
    const int64_t lo = mr - depth, hi = ml + depth;
    return sinc_side(y, ml - 1, -1, depth, x - (double)ml, x - (double)lo + 1.0) +
           sinc_side(y, mr - 1, +1, depth, (double)mr - x, (double)hi - x + 1.0);
}

/* Maximum of the sinc-interpolated y on [a, b] by Brent's method (golden
 * section with parabolic steps; Brent 1973, ch. 5), with Praat's start
 * (the golden-section point from a), tolerance sqrt(ε)·|x| + tol/3 with
 * ε = 2^−53, and 60 iterations at most. Returns x, the maximum in *ymax. */
static double brent_maximise(const double *y, int64_t n, int64_t depth, double a, double b,
                             double *ymax)
{
    const double c = 1.0 - 0.6180339887498948482, sqrt_eps = sqrt(0.5 * DBL_EPSILON);
    /* minimise f = −y; v, w, x: the three best points, x the best */
    double v = a + c * (b - a), fv = -sinc_interpolate(y, n, v, depth);
    double w = v, fw = fv, x = v, fx = fv;
    for (int iter = 0; iter < BRENT_MAX_ITER; iter++) {
        const double mid = 0.5 * (a + b), tol = sqrt_eps * fabs(x) + BRENT_TOL / 3.0;
        if (fabs(x - mid) + 0.5 * (b - a) <= 2.0 * tol)
            break;
        double step = c * (x < mid ? b - x : a - x);
        if (fabs(x - w) >= tol) {
            /* the parabola through (v, fv), (w, fw), (x, fx) has its vertex at x + p/q */
            const double t = (x - w) * (fx - fv);
            double q = (x - v) * (fx - fw), p = (x - v) * q - (x - w) * t;
            q = 2.0 * (q - t);
            if (q > 0.0)
                p = -p;
            else
                q = -q;
            if (fabs(p) < fabs(step * q) && p > q * (a - x + 2.0 * tol) &&
                p < q * (b - x - 2.0 * tol))
                step = p / q;
        }
        if (fabs(step) < tol)
            step = step > 0.0 ? tol : -tol;
        const double u = x + step, fu = -sinc_interpolate(y, n, u, depth);
        if (fu <= fx) {
            if (u < x)
                b = x;
            else
                a = x;
            v = w, fv = fw;
            w = x, fw = fx;
            x = u, fx = fu;
        } else {
            if (u < x)
                a = u;
            else
                b = u;
            if (fu <= fw || w == x) {
                v = w, fv = fw;
                w = u, fw = fu;
            } else if (fu <= fv || v == x || v == w) {
                v = u, fv = fu;
            }
        }
    }
    *ymax = -fx;
    return x;
}

/* log2 as Praat rounds it, log(x)·log2(e): the costs below are compared
 * with each other, so ties are broken on the same last bits */
static double log2_praat(double x)
{
    return log(x) * M_LOG2E;
}

/* The octave cost, cost·log2(ref / f): with ref the floor it ranks
 * candidates for a full list, with ref the ceiling it is the path's local
 * penalty. Either way higher frequencies pay less, which favours the true
 * period over its multiples, whose autocorrelation peaks are as high for a
 * perfectly periodic signal. */
static double octave_penalty(double cost, double ref, double f)
{
    return cost * log2_praat(ref / f);
}

/* One frame's candidates. Slot 0 is the unvoiced candidate (0 Hz). Every
 * local maximum r[i] ≥ r[i+1], r[i] > r[i−1] at lags 2 ≤ i < max_lag with
 * r[i] > voicing/2 gives a frequency fs/(i + δ) (δ from the parabola through
 * r[i−1..i+1]) and a strength: r sinc-interpolated (depth 30) at i + δ, a
 * value above 1 (short windows) reflected to its inverse. When all
 * max_cand slots are taken, it replaces the weakest by
 * strength − octave_cost·log2(floor/f), if stronger by the same measure.
 * r [2·nlag + 1] holds lags −nlag..nlag; lag[] receives each slot's lag. */
static int find_candidates(const layout *L, const rift_praat_pitch_params *p, const double *r,
                           double *freq, double *strength, int64_t *lag)
{
    const double *r0 = r + L->nlag; /* r0[i]: lag i */
    const int64_t nr = 2 * L->nlag + 1;
    const double fs = 1.0 / L->dx;
    int count = 1;
    freq[0] = strength[0] = 0.0;
    for (int64_t i = 2; i < L->max_lag && i < L->nlag; i++) {
        if (!(r0[i] > 0.5 * p->voicing_threshold && r0[i] > r0[i - 1] && r0[i] >= r0[i + 1]))
            continue;
        const double dr = 0.5 * (r0[i + 1] - r0[i - 1]), d2r = 2.0 * r0[i] - r0[i - 1] - r0[i + 1];
        const double f = fs / ((double)i + dr / d2r);
        double s = sinc_interpolate(r, nr, fs / f + (double)(L->nlag + 1), STRENGTH_SINC_DEPTH);
        if (s > 1.0)
            s = 1.0 / s;
        int place = -1;
        if (count < L->max_cand) {
            place = count++;
        } else {
            double weakest = 2.0;
            for (int k = 1; k < L->max_cand; k++) {
                const double ks = strength[k] - octave_penalty(p->octave_cost, L->floor, freq[k]);
                if (ks < weakest) {
                    weakest = ks;
                    place = k;
                }
            }
            if (s - octave_penalty(p->octave_cost, L->floor, f) <= weakest)
                place = -1;
        }
        if (place >= 0) {
            freq[place] = f;
            strength[place] = s;
            lag[place] = i;
        }
    }
    return count;
}

/* Each voiced candidate moved to the maximum of the sinc-interpolated r
 * (depth 700 above 0.3 fs, else the method's) within one lag of its
 * integer lag; its strength is the value there (reflected above 1). */
static void refine_candidates(const layout *L, const double *r, int count, double *freq,
                              double *strength, const int64_t *lag)
{
    const int64_t nr = 2 * L->nlag + 1, offset = L->nlag + 1; /* x = lag + offset */
    const double fs = 1.0 / L->dx;
    for (int k = 1; k < count; k++) {
        const int64_t depth = freq[k] > 0.3 / L->dx ? SINC700 : L->refine_depth;
        const double xm = (double)(lag[k] + offset);
        double y;
        const double x = brent_maximise(r, nr, depth, xm - 1.0, xm + 1.0, &y);
        freq[k] = fs / (x - (double)offset);
        strength[k] = y > 1.0 ? 1.0 / y : y;
    }
}

/* Per-thread buffers of the frame analysis. */
typedef struct {
    double *buf;       /* [nfft] the frame, then its autocorrelation */
    fftw_complex *spec;/* [nfft/2 + 1] */
    double *r;         /* [2·nlag + 1] normalised autocorrelation, lags −nlag..nlag */
    int64_t *lag;      /* [max_cand] */
} workspace;

/* Frame at time t: its intensity and candidates (count returned). A frame
 * whose local peak is 0 keeps only the unvoiced candidate. r[lag] is the
 * frame's autocorrelation over its lag-0 value, divided by the window's. */
static int analyse_frame(const layout *L, const rift_praat_pitch_params *p, const fft_plans *plans,
                         const double *x, double t, double gpeak, const double *window,
                         const double *wr, workspace *ws, double *freq, double *strength,
                         double *intensity)
{
    const int64_t left = (int64_t)floor((t - L->sound_x1) / L->dx + 1.0) - 1;
    const double peak = frame_fill(L, x, left, window, ws->buf);
    *intensity = peak > gpeak ? 1.0 : peak / gpeak;
    if (peak == 0.0) {
        freq[0] = strength[0] = 0.0;
        return 1;
    }
    autocorrelate(L, plans, ws->buf, ws->spec);
    double *r0 = ws->r + L->nlag;
    r0[0] = 1.0;
    for (int64_t i = 1; i <= L->nlag; i++)
        r0[i] = r0[-i] = ws->buf[i] / (ws->buf[0] * wr[i]);
    const int count = find_candidates(L, p, ws->r, freq, strength, ws->lag);
    refine_candidates(L, ws->r, count, freq, strength, ws->lag);
    return count;
}

static gboolean is_voiced(double f, double ceiling)
{
    return f > 0.0 && f < ceiling;
}

/* The path (Viterbi) through every frame's candidates maximising
 *   Σ local − Σ transition, with
 *   local(unvoiced) = voicing + max(0, 2 − intensity / (silence / (1 + voicing))),
 *   local(f)        = strength − octave_cost · log2(ceiling / f),
 *   transition      = v/uv cost · c between voiced and unvoiced,
 *                     octave-jump cost · c · |log2(f1/f2)| between voiced frames,
 * c = 0.01 s / dt (costs are per 10 ms). Ties keep the earlier candidate.
 * The chosen candidate is swapped into slot 0 of each frame. freq and
 * strength are [nx, stride]. */
static void path_finder(const layout *L, const rift_praat_pitch_params *p, int64_t nx, int stride,
                        const int *count, double *freq, double *strength, const double *intensity)
{
    const double c = 0.01 / L->dt;
    const double jump = p->octave_jump_cost * c, vuv = p->voiced_unvoiced_cost * c;
    double *delta = g_new(double, nx * stride);
    int *psi = g_new0(int, nx * stride);
    for (int64_t t = 0; t < nx; t++) {
        double unvoiced = p->silence_threshold <= 0.0
                              ? 0.0
                              : 2.0 - intensity[t] / (p->silence_threshold /
                                                      (1.0 + p->voicing_threshold));
        unvoiced = p->voicing_threshold + MAX(0.0, unvoiced);
        for (int k = 0; k < count[t]; k++) {
            const double f = freq[t * stride + k];
            delta[t * stride + k] =
                is_voiced(f, L->ceiling)
                    ? strength[t * stride + k] - octave_penalty(p->octave_cost, L->ceiling, f)
                    : unvoiced;
        }
    }
    for (int64_t t = 1; t < nx; t++) {
        const double *f1 = freq + (t - 1) * stride, *d1 = delta + (t - 1) * stride;
        for (int k2 = 0; k2 < count[t]; k2++) {
            const double f2 = freq[t * stride + k2];
            double best = -1e30;
            int place = 0;
            for (int k1 = 0; k1 < count[t - 1]; k1++) {
                const gboolean v1 = is_voiced(f1[k1], L->ceiling), v2 = is_voiced(f2, L->ceiling);
                const double cost = v1 && v2  ? jump * fabs(log2_praat(f1[k1] / f2))
                                    : v1 != v2 ? vuv
                                               : 0.0;
                const double value = d1[k1] - cost + delta[t * stride + k2];
                if (value > best) {
                    best = value;
                    place = k1;
                }
            }
            delta[t * stride + k2] = best;
            psi[t * stride + k2] = place;
        }
    }
    int place = 0;
    for (int k = 1; k < count[nx - 1]; k++)
        if (delta[(nx - 1) * stride + k] > delta[(nx - 1) * stride + place])
            place = k;
    for (int64_t t = nx - 1; t >= 0; t--) {
        double *f = freq + t * stride, *s = strength + t * stride;
        const double tf = f[0], ts = s[0];
        f[0] = f[place], s[0] = s[place];
        f[place] = tf, s[place] = ts;
        place = psi[t * stride + place];
    }
    g_free(delta);
    g_free(psi);
}

/* Candidates of every frame into c (allocated here), intensities into
 * out->intensity. Digital silence (global peak 0) leaves every frame with
 * max_cand zero candidates and no path, as Praat returns early. */
static gboolean analyse_frames(const layout *L, const rift_praat_pitch_params *p, const double *x,
                               int64_t n, rift_praat_pitch *out, rift_praat_candidates *c)
{
    const int64_t nx = out->nx, stride = L->max_cand;
    c->nx = nx;
    c->stride = L->max_cand;
    c->count = g_new(int, nx);
    c->freq = g_new0(double, nx * stride);
    c->strength = g_new0(double, nx * stride);
    for (int64_t t = 0; t < nx; t++)
        c->count[t] = L->max_cand;
    const double gpeak = global_peak(x, n);
    if (gpeak == 0.0)
        return FALSE;

    double *window = g_new(double, L->nwin), *wr = g_new(double, L->nwin);
    double *buf = fftw_malloc(L->nfft * sizeof(double));
    fftw_complex *spec = fftw_malloc((L->nfft / 2 + 1) * sizeof(fftw_complex));
    fft_plans plans;
    /* made under fftw-plan.h's lock, executed (new-array interface) from
     * every thread without it */
    plans.fwd = rift_fftw_plan_r2c((int)L->nfft, buf, spec);
    plans.bwd = rift_fftw_plan_c2r((int)L->nfft, spec, buf);
    make_window(L, window);
    window_autocorrelation(L, &plans, window, wr, buf, spec);

#pragma omp parallel
    {
        workspace ws = {
            .buf = fftw_malloc(L->nfft * sizeof(double)),
            .spec = fftw_malloc((L->nfft / 2 + 1) * sizeof(fftw_complex)),
            .r = g_new(double, 2 * L->nlag + 1),
            .lag = g_new(int64_t, L->max_cand),
        };
#pragma omp for schedule(dynamic, 4)
        for (int64_t t = 0; t < nx; t++)
            c->count[t] = analyse_frame(L, p, &plans, x, out->x1 + (double)t * out->dx, gpeak,
                                        window, wr, &ws, c->freq + t * stride,
                                        c->strength + t * stride, out->intensity + t);
        fftw_free(ws.buf);
        fftw_free(ws.spec);
        g_free(ws.r);
        g_free(ws.lag);
    }

    rift_fftw_destroy(plans.fwd);
    rift_fftw_destroy(plans.bwd);
    fftw_free(buf);
    fftw_free(spec);
    g_free(window);
    g_free(wr);
    return TRUE;
}

gboolean rift_praat_pitch_ac_candidates(const double *x, int64_t n, double fs,
                                        const rift_praat_pitch_params *p, rift_praat_pitch *out,
                                        rift_praat_candidates *cands, GError **err)
{
    memset(out, 0, sizeof *out);
    memset(cands, 0, sizeof *cands);
    layout L;
    if (!layout_init(&L, p, fs, n, err))
        return FALSE;
    frame_grid(&L, n, &out->nx, &out->x1);
    out->dx = L.dt;
    out->freq = g_new0(double, out->nx);
    out->strength = g_new0(double, out->nx);
    out->intensity = g_new0(double, out->nx);
    if (analyse_frames(&L, p, x, n, out, cands))
        path_finder(&L, p, out->nx, cands->stride, cands->count, cands->freq, cands->strength,
                    out->intensity);
    for (int64_t t = 0; t < out->nx; t++) {
        out->freq[t] = cands->freq[t * cands->stride];
        out->strength[t] = cands->strength[t * cands->stride];
    }
    return TRUE;
}

gboolean rift_praat_pitch_ac(const double *x, int64_t n, double fs,
                             const rift_praat_pitch_params *p, rift_praat_pitch *out, GError **err)
{
    rift_praat_candidates cands;
    const gboolean ok = rift_praat_pitch_ac_candidates(x, n, fs, p, out, &cands, err);
    rift_praat_candidates_clear(&cands);
    return ok;
}

void rift_praat_pitch_clear(rift_praat_pitch *out)
{
    g_clear_pointer(&out->freq, g_free);
    g_clear_pointer(&out->strength, g_free);
    g_clear_pointer(&out->intensity, g_free);
    out->nx = 0;
}

void rift_praat_candidates_clear(rift_praat_candidates *c)
{
    g_clear_pointer(&c->count, g_free);
    g_clear_pointer(&c->freq, g_free);
    g_clear_pointer(&c->strength, g_free);
    c->nx = 0;
}
