/* resample.h — torchaudio's band-limited sinc resampler (Hann window), the
 * one RMVPE runs to bring the 44.1 kHz segment to its 16 kHz:
 *
 *   Resample(orig_freq, new_freq, lowpass_filter_width=w) (resampling_method
 *   'sinc_interp_hann', rolloff 0.99), torchaudio 0.13 .. 2.x
 *
 * The rates are reduced by their gcd (44100/16000 -> 441/160). The kernel is
 * [new, taps] with taps = 2·width + orig, width = ceil(w·orig/(0.99·min)):
 * output sample new·i + j is kernel[j] · padded[orig·i .. orig·i + taps),
 * the input zero-padded by width on the left and width + orig on the right,
 * and the first ceil(new·n/orig) outputs are kept. It is built in double
 * with torchaudio's roundings and stored as float32 (the fixtures' kernel to
 * 1e-7); applied on the host with ceil(taps/orig) sgemms, one per orig-wide
 * slice of the kernel, over the padded input read as rows of orig samples.
 *
 *   rift_resampler *r = rift_resampler_new(44100, 16000, 128, &err);
 *   float *out = g_new(float, rift_resampler_out_len(r, n));
 *   rift_resampler_process(r, audio, n, out);
 *
 * Tested against the upstream kernel and resampled audio in
 * tests/fixtures/rmvpe (tests/models/test-rmvpe.c).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct rift_resampler rift_resampler;

/* Rates in Hz (positive), lowpass_filter_width >= 1 (RMVPE: 128). */
rift_resampler *rift_resampler_new(int orig_rate, int new_rate, int lowpass_filter_width,
                                   GError **err);
void rift_resampler_free(rift_resampler *r);

/* The kernel [*phases, *taps] (torchaudio's kernel[:, 0, :]); owned by r. */
const float *rift_resampler_kernel(const rift_resampler *r, int64_t *phases, int64_t *taps);

/* ceil(n · new / orig): the output length for n input samples. */
int64_t rift_resampler_out_len(const rift_resampler *r, int64_t n);

/* in [n] -> out [rift_resampler_out_len(n)], host memory. Thread-safe (the
 * padded copy of the input is the call's own). */
void rift_resampler_process(const rift_resampler *r, const float *in, int64_t n, float *out);

G_END_DECLS
