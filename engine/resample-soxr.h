/* resample-soxr.h — the 44.1 kHz -> 16 kHz resampling in front of
 * ContentVec, exactly as infer.py gets it: librosa 0.11's
 * resample(res_type='soxr_hq') calls python-soxr, which runs libsoxr (the
 * same C library, linked here) with soxr_quality_spec(SOXR_HQ, 0); librosa
 * then zero-pads or trims soxr's output to ceil(n·out_rate/in_rate).
 *
 *   float *y = g_new(float, rift_resample_soxr_len(n, 44100, 16000));
 *   rift_resample_soxr_hq(x, n, 44100, 16000, y, &err);
 *
 * HQ runs soxr's single-precision engine: float32 and float64 I/O give the
 * same samples for the same input values, so infer.py's float64 loudness-
 * normalised segment, rounded to float32, reproduces its audio_16k exactly.
 * A segment is resampled whole (the filter's start and end transients are
 * part of the result), so the output of a segment does not depend on how
 * the stream was cut into buffers before it.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* librosa's output length: ceil(n · (out_rate / in_rate)) in double, as
 * NumPy computes it. */
int64_t rift_resample_soxr_len(int64_t n, int in_rate, int out_rate);

/* out [rift_resample_soxr_len(n, in_rate, out_rate)] from x [n], mono. */
gboolean rift_resample_soxr_hq(const float *x, int64_t n, int in_rate, int out_rate, float *out,
                               GError **err);

G_END_DECLS
