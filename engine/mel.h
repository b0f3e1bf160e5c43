/* mel.h — RIFT-SVC's log-mel spectrogram and RMS, the features every later
 * stage is aligned to.
 *
 * For a segment of n samples at 44.1 kHz there are T = n / hop frames; frame t
 * covers samples [t·hop, t·hop + hop) and is centred on t·hop + hop/2 (the
 * reflect padding of (n_fft − hop)/2 makes it so). Both outputs come frame
 * by frame: mel [T, n_mels], rms [T].
 *
 * reference: rift_svc.feature_extractors.get_mel_spectrogram and RMSExtractor
 * (librosa Slaney filterbank, periodic Hann, center=False STFT,
 *  sqrt(|X|² + 1e-9), log(max(mel, 1e-5)); RMS of a rectangular window).
 */
#pragma once

#include "backend.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    int sample_rate; /* 44100 */
    int n_fft;       /* 2048 */
    int win_length;  /* 2048: Hann window length; also the RMS window */
    int hop;         /* 512 */
    int n_mels;      /* 128 */
    double fmin;     /* 40 Hz */
    double fmax;     /* 16000 Hz */
    gboolean htk;    /* FALSE: Slaney's mel scale; TRUE: HTK's 2595·log10(1 + f/700)
                      * (RMVPE's filterbank). Either with Slaney's area norm. */
} rift_mel_params;

/* RIFT-SVC's parameters (the list above). */
rift_mel_params rift_mel_params_default(void);
gboolean rift_mel_params_check(const rift_mel_params *p, GError **err);

/* librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=p->htk, norm='slaney')
 * as float32 [n_mels, n_fft/2+1]; g_free it. */
float *rift_mel_filterbank(const rift_mel_params *p);
/* torch.hann_window(win_length) (periodic) zero-padded to n_fft, centred. */
float *rift_mel_window(const rift_mel_params *p);

typedef struct rift_mel rift_mel;

rift_mel *rift_mel_new(rift_backend *be, const rift_mel_params *p, GError **err);
void rift_mel_free(rift_mel *m);
const rift_mel_params *rift_mel_get_params(const rift_mel *m);

/* T = n / hop */
int64_t rift_mel_n_frames(const rift_mel *m, int64_t n_samples);

/* audio [n] (host) -> mel [T, n_mels] and rms [T] (host; either may be NULL).
 * Any n >= 1 works; n < hop gives T = 0. Segments shorter than the padding
 * reflect repeatedly (upstream raises there). */
gboolean rift_mel_compute(rift_mel *m, const float *audio, int64_t n, float *mel, float *rms,
                          GError **err);

G_END_DECLS
