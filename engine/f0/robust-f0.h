/* robust-f0.h — infer.py --robust-f0 for one segment: RMVPE's f0 checked
 * against two CPU pitch trackers, as upstream's extract_features does it:
 *
 *   audio (loudness-normalised, double) -> DIO + StoneMask -> get_f0_pw's
 *       tail -> pw_f0 [N]
 *   audio -> Praat's "To Pitch (ac)" -> get_f0_pm's tail -> pm_f0 [nx]
 *   (rmvpe_f0 [T], pw_f0, pm_f0) -> f0_ensemble (level 2), or with the
 *       segment's rms [T] -> f0_ensemble_light (level 1) -> f0 [T]
 *
 * rmvpe_f0 is RMVPE's f0 post-processed onto the 44.1 kHz / 512 grid in
 * double, before any key shift (infer.py shifts after the ensemble).
 * Everything here runs in double on the CPU, whatever backend RMVPE uses.
 *
 * One difference from upstream: Praat refuses a segment shorter than its
 * analysis window (0.15 s with infer.py's settings) and upstream then fails;
 * here such a segment has no Praat frames and keeps RMVPE's f0 unchanged at
 * either level (the trackers are still computed, for rift-tool).
 *
 *   rift_robust_f0_params p;
 *   rift_robust_f0_params_init(&p);
 *   if (!rift_robust_f0(audio, n, rmvpe_f0, rms, n / 512, 2, &p, f0, &err)) ...
 *
 * docs/robust-f0.md describes the levels, their cost and the differences
 * from upstream; tests/models/test-robust-f0.c and `rift-tool run
 * robust_f0` check them against tests/fixtures/robust_f0. */
#pragma once

#include "dio.h"
#include "praat-pitch.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RIFT_ROBUST_F0_MAX_LEVEL 2

typedef struct {
    int sample_rate;                /* 44100 */
    int hop;                        /* 512: the frame step of every track, hop / sample_rate s */
    rift_dio_params dio;            /* get_f0_pw's pyworld.dio arguments */
    rift_praat_pitch_params praat;  /* get_f0_pm's to_pitch_ac arguments */
    float rms_threshold;            /* level 1's voice-activity gate on the rms */
} rift_robust_f0_params;

/* infer.py's settings: 44.1 kHz, hop 512, f0 40..1100 Hz for both trackers,
 * DIO with a frame period of 1000·hop/rate ms (pyworld's other defaults),
 * Praat very accurate with time step hop/rate, voicing threshold 0.6 and
 * octave-jump cost 0.5 (parselmouth's other defaults), rms gate 0.05. */
void rift_robust_f0_params_init(rift_robust_f0_params *p);

/* Both trackers on one segment, with their tails. NULL/0 until computed. */
typedef struct {
    int64_t n_dio;        /* DIO frames, rift_dio_frame_count(n, ...) */
    double *dio_t;        /* [n_dio] frame times, s */
    double *dio_f0;       /* [n_dio] DIO, Hz, 0 = unvoiced */
    double *stonemask_f0; /* [n_dio] refined, Hz, 0 = unvoiced */
    double *pw_f0;        /* [n_dio] get_f0_pw: NaN = unvoiced, 3-median */
    int64_t n_pm;         /* Praat frames; 0 when the segment is shorter than its window */
    double pm_x1, pm_dx;  /* Praat frame k is centred at pm_x1 + k·pm_dx s */
    double *pm_freq;      /* [n_pm] Praat's path, Hz, 0 = unvoiced */
    double *pm_f0;        /* [n_pm] get_f0_pm: NaN = unvoiced, 3-median */
} rift_robust_f0_tracks;

/* DIO + StoneMask and Praat on audio [n] (n >= 1) into tr (cleared first;
 * rift_robust_f0_tracks_clear it). FALSE with err when a tracker refuses
 * its parameters. */
gboolean rift_robust_f0_tracks_compute(const double *audio, int64_t n,
                                       const rift_robust_f0_params *p, rift_robust_f0_tracks *tr,
                                       GError **err);
void rift_robust_f0_tracks_clear(rift_robust_f0_tracks *tr);

/* The ensemble `level` (1 or 2) of the tracks and rmvpe_f0 [T] -> f0 [T]
 * (Hz, 0 = unvoiced); rms [T] is read at level 1 only (may be NULL at 2).
 * Without Praat frames (a segment shorter than its window): rmvpe_f0. */
void rift_robust_f0_ensemble(const rift_robust_f0_tracks *tr, const double *rmvpe_f0,
                             const float *rms, int64_t T, int level,
                             const rift_robust_f0_params *p, double *f0);

/* The whole of it for one segment: audio [n], rmvpe_f0 [T], rms [T] ->
 * f0 [T], T = n / hop. Level 0 copies rmvpe_f0. FALSE with err for a level
 * outside 0..2 or when a tracker fails. */
gboolean rift_robust_f0(const double *audio, int64_t n, const double *rmvpe_f0, const float *rms,
                        int64_t T, int level, const rift_robust_f0_params *p, double *f0,
                        GError **err);

G_END_DECLS
