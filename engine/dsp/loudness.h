/* loudness.h — integrated loudness as pyloudnorm 0.1.1 measures it with
 * RIFT-SVC's settings (Meter(rate, block_size=0.1)), and the gain that
 * normalises to a target.
 *
 * BS.1770 K-weighting (pyloudnorm's RBJ-cookbook biquads, each stage's output
 * rounded to float32 as upstream stores it), 100 ms blocks with 75 % overlap,
 * absolute gate −70 LUFS, relative gate −10 LU. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    double b[3], a[3]; /* a[0] == 1 */
} rift_biquad;

/* pyloudnorm's K-weighting stages at `rate`: high shelf (+4 dB, 1500 Hz,
 * Q 1/√2) then high pass (38 Hz, Q 0.5). */
void rift_kweighting(double rate, rift_biquad *shelf, rift_biquad *high_pass);

/* Integrated loudness in LUFS of x [n] (mono). Digital silence (no block
 * passes the gates) gives -INFINITY, as upstream. A segment shorter than one
 * block, where pyloudnorm raises, is measured as a single block of its own
 * length. n == 0 gives -INFINITY. */
double rift_loudness_lufs(const float *x, int64_t n, double rate);

/* 10^((target − lufs)/20); 1 when lufs is not finite (silence stays silence
 * instead of upstream's inf gain and NaN samples). */
double rift_loudness_gain(double lufs, double target);

/* infer.py's normalisation of x [n] in place: the gain to `target` LUFS,
 * times 0.99/peak where the result would exceed 1 (its clipping guard), each
 * sample rounded to float32 once. Returns the loudness measured before;
 * *gain (may be NULL) gets the gain applied. */
double rift_loudness_normalize(float *x, int64_t n, double rate, double target, double *gain);

G_END_DECLS
