/* ensemble.h — upstream's robust-f0 glue (rift_svc/utils.py): the NaN-aware
 * sliding median, the tails of get_f0_pw / get_f0_pm, and the two ensembles
 * infer.py --robust-f0 picks from, f0_ensemble (level 2) and
 * f0_ensemble_light (level 1).
 *
 * Everything is selection and averaging in double, so a port reproduces
 * upstream bit for bit, NaN positions included, given the same inputs.
 * Tracks use upstream's conventions: the trackers' tails (pw_f0, pm_f0) mark
 * unvoiced frames NaN; RMVPE's post-processed f0 marks them 0, and that 0
 * takes part as a value; the ensembles' outputs are 0 where unvoiced.
 * docs/robust-f0.md walks through the rules; tests/models/
 * test-robust-f0-ensemble.c checks them against tests/fixtures/robust_f0. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* f0_ensemble's constants (hard-coded upstream) */
#define RIFT_F0_ENSEMBLE_WINDOW 41  /* frames of the long median */
#define RIFT_F0_ENSEMBLE_MAX_DEV 96.0 /* Hz from the long median before a frame is replaced */
/* f0_ensemble_light's default rms_threshold, compared with the float32 rms */
#define RIFT_F0_LIGHT_RMS_THRESHOLD 0.05f

/* slide_nanmedian(x, win): out[i] = median of the non-NaN values of
 * x[max(0, i − win/2) : min(n, i + win/2 + 1)] (the window is cut at the
 * edges, not padded): the middle value, or (a + b) / 2 of the two middle
 * ones for an even count; NaN when the window holds none. out must not
 * alias x. */
void rift_slide_nanmedian(const double *x, int64_t n, int win, double *out);

/* The tail of get_f0_pw and get_f0_pm: f0 [n] in Hz with 0 = unvoiced (DIO +
 * StoneMask, or Praat's selected frequency) -> out [n] with unvoiced = NaN,
 * then slide_nanmedian(·, 3): voiced runs grow by one frame on each side and
 * gaps of up to two frames close. out must not alias f0. */
void rift_f0_tracker_tail(const double *f0, int64_t n, double *out);

/* f0_ensemble's intermediates, each [T]; any pointer may be NULL. */
typedef struct {
    guint8 *nan_nums;     /* NaN count of (pw, pm, rmvpe) per frame */
    double *median;       /* their NaN-aware median; NaN where nan_nums >= 2 */
    double *slide41;      /* slide_nanmedian(median, 41) */
    guint8 *dev_replaced; /* 1 where |median − slide41| > 96 Hz */
    double *pre_slide3;   /* after the 96 Hz and the one-NaN rules, before the 3-median */
} rift_f0_ensemble_steps;

/* Level 2, f0_ensemble(rmvpe_f0, pw_f0, pm_f0) -> out [T] (Hz, 0 = unvoiced).
 * rmvpe_f0 [T] sets T; pw_f0 [n_pw] and pm_f0 [n_pm] are cut to T frames and
 * padded at the end with NaN (upstream pads pm; a short pw, which upstream
 * cannot take, is padded the same way). Frame k of each is paired as it
 * comes: no time alignment, as upstream.
 *   1. median of the non-NaN values of (pw, pm, rmvpe); NaN if two are NaN
 *   2. s = slide_nanmedian(median, 41)
 *   3. where |median − s| > 96: s
 *   4. where exactly one is NaN, of the other two lo <= hi: lo if
 *      |lo − s| < |hi − s|, else hi (ties and NaN s give hi)
 *   5. slide_nanmedian(·, 3); NaN where two were NaN; NaN -> 0 */
void rift_f0_ensemble(const double *rmvpe_f0, int64_t T, const double *pw_f0, int64_t n_pw,
                      const double *pm_f0, int64_t n_pm, double *out,
                      const rift_f0_ensemble_steps *steps);

/* Level 1, f0_ensemble_light(rmvpe_f0, pw_f0, pm_f0, rms, rms_threshold) ->
 * out [T]: rmvpe_f0, except where it is 0 while pw or pm is voiced (> 0)
 * and rms [T] > rms_threshold (in float32, as upstream compares the float32
 * rms): there the median of the voiced values among pw and pm. Same cutting
 * and padding as rift_f0_ensemble. mask [T] (may be NULL) gets 1 where a
 * frame was corrected. */
void rift_f0_ensemble_light(const double *rmvpe_f0, int64_t T, const double *pw_f0,
                            int64_t n_pw, const double *pm_f0, int64_t n_pm, const float *rms,
                            float rms_threshold, double *out, guint8 *mask);

G_END_DECLS
