/* dio.h — WORLD's DIO f0 estimator and its StoneMask refinement, in double.
 *
 * What pyworld 0.3.5 (WORLD, "last update 2021/02/15") computes for
 * pyworld.dio() and pyworld.stonemask(), which upstream's get_f0_pw calls
 * (infer.py --robust-f0) with f0 floor 40 Hz, ceiling 1100 Hz and a frame
 * period of 512/44100 s on the loudness-normalised 44.1 kHz segment.
 * Written from the published algorithm (Morise et al., "Fast and reliable F0
 * estimation method based on the period extraction of vocal fold vibration
 * of singing voice and speech", AES 2009; StoneMask: instantaneous frequency
 * of the harmonics) and the behaviour tests/fixtures/robust_f0 pins down.
 * docs/robust-f0.md ("DIO and StoneMask") describes both; tested by
 * tests/models/test-robust-f0-dio.c.
 *
 * Usage:
 *     rift_dio_params p;
 *     rift_dio_params_init(&p);
 *     p.f0_floor = 40.0; p.f0_ceil = 1100.0; p.frame_period_ms = 1000.0 * 512 / 44100;
 *     int64_t N = rift_dio_frame_count(n, 44100, p.frame_period_ms);
 *     double *t = g_new(double, N), *f0 = g_new(double, N), *f0r = g_new(double, N);
 *     if (!rift_dio(x, n, 44100, &p, t, f0, &err)) ...
 *     rift_stonemask(x, n, 44100, t, f0, N, f0r);
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    double f0_floor, f0_ceil, frame_period_ms, channels_in_octave, allowed_range;
    int speed;
} rift_dio_params;

/* pyworld's defaults: floor 71, ceil 800, period 5 ms, 2 channels/octave, range 0.1, speed 1 */
void rift_dio_params_init(rift_dio_params *p);

/* frames DIO makes for n samples: (int)(1000.0*n/fs/frame_period) + 1, evaluated as WORLD does */
int64_t rift_dio_frame_count(int64_t n, int fs, double frame_period_ms);

/* f0 [frames] (Hz, 0 = unvoiced) and t [frames] (s), frames =
 * rift_dio_frame_count(n, fs, p->frame_period_ms); GError for bad arguments
 * (n < 1, fs < 1, floor <= 0, floor >= ceil, period <= 0, ...) and for
 * speed != 1 (WORLD's decimation is not implemented). A signal too short to
 * find three periods in gives all-zero f0, as WORLD. */
gboolean rift_dio(const double *x, int64_t n, int fs, const rift_dio_params *p,
                  double *t, double *f0, GError **err);

/* StoneMask refinement of f0 [n_frames] at times t (s); zero in -> zero out,
 * and 0 where f0 <= 40 Hz or f0 > fs/12 (WORLD's limits). n < 1 or fs < 1
 * gives all zeros. */
void rift_stonemask(const double *x, int64_t n, int fs, const double *t, const double *f0,
                    int64_t n_frames, double *out);

G_END_DECLS
