/* robust-f0.c — see robust-f0.h. Tested against tests/fixtures/robust_f0
 * (tests/models/test-robust-f0.c, tests/tool's `rift-tool run robust_f0`,
 * and end to end through riftf0 in tests/gst/test-robust-f0-e2e.c). */
#include "robust-f0.h"

#include "ensemble.h"
#include "rift-error.h"

#include <string.h>

/* infer.py's extract_features: f0_min, f0_max */
#define F0_MIN 40.0
#define F0_MAX 1100.0

void rift_robust_f0_params_init(rift_robust_f0_params *p)
{
    p->sample_rate = 44100;
    p->hop = 512;
    const double time_step = (double)p->hop / p->sample_rate;

    rift_dio_params_init(&p->dio);
    p->dio.f0_floor = F0_MIN;
    p->dio.f0_ceil = F0_MAX;
    p->dio.frame_period_ms = time_step * 1000.0; /* get_f0_pw: frame_period=time_step*1000 */

    rift_praat_pitch_params_init(&p->praat);
    p->praat.time_step = time_step;
    p->praat.pitch_floor = F0_MIN;
    p->praat.pitch_ceiling = F0_MAX;
    p->praat.voicing_threshold = 0.6;
    p->praat.very_accurate = TRUE;
    p->praat.octave_jump_cost = 0.5;

    p->rms_threshold = RIFT_F0_LIGHT_RMS_THRESHOLD;
}

void rift_robust_f0_tracks_clear(rift_robust_f0_tracks *tr)
{
    g_free(tr->dio_t);
    g_free(tr->dio_f0);
    g_free(tr->stonemask_f0);
    g_free(tr->pw_f0);
    g_free(tr->pm_freq);
    g_free(tr->pm_f0);
    memset(tr, 0, sizeof *tr);
}

/* Praat analyses windows of periods_per_window / pitch_floor seconds (3
 * periods, 6 when very accurate) and refuses a sound shorter than one:
 * window > n · (1/fs), as Sampled_shortTermAnalysis compares them. */
static gboolean shorter_than_praat_window(int64_t n, double fs, const rift_praat_pitch_params *p)
{
    const double window = (p->very_accurate ? 6.0 : 3.0) / p->pitch_floor;
    return window > (double)n * (1.0 / fs);
}

static gboolean run_dio(const double *audio, int64_t n, const rift_robust_f0_params *p,
                        rift_robust_f0_tracks *tr, GError **err)
{
    const int64_t N = rift_dio_frame_count(n, p->sample_rate, p->dio.frame_period_ms);
    tr->n_dio = N;
    tr->dio_t = g_new(double, MAX(N, 1));
    tr->dio_f0 = g_new(double, MAX(N, 1));
    tr->stonemask_f0 = g_new(double, MAX(N, 1));
    tr->pw_f0 = g_new(double, MAX(N, 1));
    if (!rift_dio(audio, n, p->sample_rate, &p->dio, tr->dio_t, tr->dio_f0, err))
        return FALSE;
    rift_stonemask(audio, n, p->sample_rate, tr->dio_t, tr->dio_f0, N, tr->stonemask_f0);
    rift_f0_tracker_tail(tr->stonemask_f0, N, tr->pw_f0);
    return TRUE;
}

static gboolean run_praat(const double *audio, int64_t n, const rift_robust_f0_params *p,
                          rift_robust_f0_tracks *tr, GError **err)
{
    tr->pm_dx = p->praat.time_step;
    if (shorter_than_praat_window(n, p->sample_rate, &p->praat))
        return TRUE; /* no frames: pm_f0 is all NaN once padded */
    rift_praat_pitch pitch = {0};
    if (!rift_praat_pitch_ac(audio, n, p->sample_rate, &p->praat, &pitch, err))
        return FALSE;
    tr->n_pm = pitch.nx;
    tr->pm_x1 = pitch.x1;
    tr->pm_dx = pitch.dx;
    tr->pm_freq = g_memdup2(pitch.freq, MAX(pitch.nx, 1) * sizeof(double));
    tr->pm_f0 = g_new(double, MAX(pitch.nx, 1));
    rift_f0_tracker_tail(tr->pm_freq, pitch.nx, tr->pm_f0);
    rift_praat_pitch_clear(&pitch);
    return TRUE;
}

gboolean rift_robust_f0_tracks_compute(const double *audio, int64_t n,
                                       const rift_robust_f0_params *p, rift_robust_f0_tracks *tr,
                                       GError **err)
{
    memset(tr, 0, sizeof *tr);
    if (!run_dio(audio, n, p, tr, err) || !run_praat(audio, n, p, tr, err)) {
        g_prefix_error(err, "robust f0 of a segment of %" G_GINT64_FORMAT " samples: ", n);
        rift_robust_f0_tracks_clear(tr);
        return FALSE;
    }
    return TRUE;
}

void rift_robust_f0_ensemble(const rift_robust_f0_tracks *tr, const double *rmvpe_f0,
                             const float *rms, int64_t T, int level,
                             const rift_robust_f0_params *p, double *f0)
{
    if (T <= 0)
        return;
    if (tr->n_pm == 0) {
        /* shorter than Praat's window (upstream fails): DIO alone cannot
         * outvote RMVPE, and level 2 would call the whole segment unvoiced
         * wherever DIO, whose first and last 5 frames are always 0, is */
        memcpy(f0, rmvpe_f0, T * sizeof(double));
        return;
    }
    if (level == 1)
        rift_f0_ensemble_light(rmvpe_f0, T, tr->pw_f0, tr->n_dio, tr->pm_f0, tr->n_pm, rms,
                               p->rms_threshold, f0, NULL);
    else
        rift_f0_ensemble(rmvpe_f0, T, tr->pw_f0, tr->n_dio, tr->pm_f0, tr->n_pm, f0, NULL);
}

gboolean rift_robust_f0(const double *audio, int64_t n, const double *rmvpe_f0, const float *rms,
                        int64_t T, int level, const rift_robust_f0_params *p, double *f0,
                        GError **err)
{
    if (level < 0 || level > RIFT_ROBUST_F0_MAX_LEVEL) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "robust f0 level %d: expected 0 (off), 1 (light) or 2 (full ensemble)", level);
        return FALSE;
    }
    if (level == 1 && !rms && T > 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "robust f0 level 1 gates on the segment's rms, and none was given");
        return FALSE;
    }
    if (level == 0 || T <= 0) {
        if (T > 0)
            memcpy(f0, rmvpe_f0, T * sizeof(double));
        return TRUE;
    }
    rift_robust_f0_tracks tr;
    if (!rift_robust_f0_tracks_compute(audio, n, p, &tr, err))
        return FALSE;
    rift_robust_f0_ensemble(&tr, rmvpe_f0, rms, T, level, p, f0);
    rift_robust_f0_tracks_clear(&tr);
    return TRUE;
}
