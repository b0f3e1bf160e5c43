/* praat-pitch.h — Praat's "To Pitch (ac)": the autocorrelation pitch tracker
 * of Boersma (1993), "Accurate short-term analysis of the fundamental
 * frequency and the harmonics-to-noise ratio of a sampled sound", as Praat
 * 6.1.38 (praat-parselmouth 0.4.6, Sound.to_pitch_ac) computes it, in double.
 *
 * Per frame: the windowed, locally mean-removed signal's autocorrelation
 * (by FFT) divided by the window's own, its maxima as candidates refined by
 * windowed-sinc interpolation, then one Viterbi path through all frames'
 * candidates. docs/robust-f0.md describes the steps; tests/fixtures/robust_f0
 * holds parselmouth's output this is tested against
 * (tests/models/test-robust-f0-praat.c).
 *
 * Usage:
 *     rift_praat_pitch_params p;
 *     rift_praat_pitch_params_init(&p);
 *     p.time_step = 512.0 / 44100; p.pitch_floor = 40; p.pitch_ceiling = 1100;
 *     rift_praat_pitch pitch;
 *     if (!rift_praat_pitch_ac(x, n, 44100, &p, &pitch, &err)) ...
 *     ... pitch.freq[k] at pitch.x1 + k * pitch.dx seconds ...
 *     rift_praat_pitch_clear(&pitch);
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    double time_step, pitch_floor, pitch_ceiling, silence_threshold, voicing_threshold,
        octave_cost, octave_jump_cost, voiced_unvoiced_cost;
    int max_candidates;
    gboolean very_accurate;
} rift_praat_pitch_params;

/* parselmouth's to_pitch_ac defaults: time_step 0 (= 0.75/floor), floor 75, 15 candidates,
 * very_accurate FALSE, silence 0.03, voicing 0.45, octave 0.01, jump 0.35, v/uv 0.14, ceiling 600 */
void rift_praat_pitch_params_init(rift_praat_pitch_params *p);

typedef struct {
    int64_t nx;        /* frames */
    double x1, dx;     /* frame k is centred at x1 + k*dx seconds */
    double *freq;      /* [nx] the path's frequency, Hz, 0 = unvoiced */
    double *strength;  /* [nx] its strength */
    double *intensity; /* [nx] local peak / global peak */
} rift_praat_pitch;

/* Pitch of x [n] sampled at fs Hz (one channel, time 0 at the start of the
 * first sample as parselmouth's Sound(x, fs)). A GError (not a crash) when
 * the sound is shorter than one analysis window (3 periods of the floor, 6
 * with very_accurate), as Praat refuses it, or for a parameter out of range. */
gboolean rift_praat_pitch_ac(const double *x, int64_t n, double fs,
                             const rift_praat_pitch_params *p, rift_praat_pitch *out, GError **err);
void rift_praat_pitch_clear(rift_praat_pitch *out); /* frees the arrays */

/* Every frame's candidates after the path finder, as Praat's Pitch object
 * keeps them (parselmouth's Pitch.to_array()): slot 0 is the path's, the
 * others in Praat's order; frequency 0 (or at or above the ceiling) is the
 * unvoiced candidate. For tests and debugging of the candidate stage. */
typedef struct {
    int64_t nx;
    int stride;       /* slots per frame: the number of candidates Praat allows */
    int *count;       /* [nx] candidates in frame k */
    double *freq;     /* [nx, stride] Hz */
    double *strength; /* [nx, stride] */
} rift_praat_candidates;

/* rift_praat_pitch_ac(), also returning the candidates into cands. */
gboolean rift_praat_pitch_ac_candidates(const double *x, int64_t n, double fs,
                                        const rift_praat_pitch_params *p, rift_praat_pitch *out,
                                        rift_praat_candidates *cands, GError **err);
void rift_praat_candidates_clear(rift_praat_candidates *c); /* frees the arrays */

G_END_DECLS
