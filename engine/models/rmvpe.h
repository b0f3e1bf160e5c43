/* rmvpe.h — RMVPE, the f0 estimator RIFT-SVC runs (rift_svc/rmvpe), from a
 * 44.1 kHz segment to f0 on the 44.1 kHz / 512 mel grid:
 *
 *   audio 44.1 kHz -> torchaudio sinc resampler (resample.h) -> 16 kHz
 *   -> log-mel (Hann 1024, hop 160, HTK filterbank 30..8000 Hz) [T16, 128]
 *   -> zero-padded to T32 = 32·ceil(T16/32) frames -> E2E0 (a U-Net of
 *      ConvBlockRes, a 3-channel conv, a BiGRU, Linear + sigmoid)
 *   -> salience `hidden` [T16, 360] -> local-average decode (10 ms f0)
 *   -> post_process_f0 onto the 44.1 kHz / 512 grid -> key shift
 *
 * Loaded from upstream's `{'model': state_dict}` (pretrained/rmvpe/model.pt):
 * every size comes from the tensor names and shapes, each BatchNorm that
 * follows a conv is folded into it once at load. Not thread-safe: one
 * rift_rmvpe runs one segment at a time (its work buffers are reused).
 *
 *   GError *err = NULL;
 *   rift_rmvpe *r = rift_rmvpe_load_file("model.pt", be, &err);
 *   float *f0 = g_new(float, n / 512);
 *   rift_rmvpe_f0_44k(r, audio, n, 0.0, 0.03f, f0, &err);
 *   rift_rmvpe_free(r);
 *
 * docs/feature-extractors.md describes every step; tests/models/test-rmvpe.c
 * and `rift-tool run rmvpe` check them against tests/fixtures/rmvpe.
 */
#pragma once

#include "backend.h"
#include "weights.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define RIFT_RMVPE_SAMPLE_RATE 16000 /* the network's input rate */
#define RIFT_RMVPE_HOP 160           /* 10 ms frames */
#define RIFT_RMVPE_THRED 0.03f       /* RMVPE.decode's default voicing threshold */

/* upstream's real model is E2E0(4, 1, (2, 2)): en_de_layers 5, n_blocks 4,
 * inter_layers 4, in_channels 1, en_out_channels 16, n_mels 128, cnn 3
 * channels, one BiGRU layer of 256, 360 classes */
typedef struct {
    int64_t en_de_layers;    /* encoder (and decoder) levels */
    int64_t n_blocks;        /* ConvBlockRes per encoder/intermediate/decoder layer */
    int64_t inter_layers;    /* intermediate layers */
    int64_t in_channels;     /* 1: the mel image */
    int64_t en_out_channels; /* channels of the first level (doubling per level) */
    int64_t n_mels;          /* mel bins = the image width */
    int64_t cnn_channels;    /* output conv channels: the BiGRU sees cnn_channels · n_mels */
    int64_t n_gru;           /* BiGRU layers */
    int64_t gru_hidden;      /* per direction */
    int64_t n_classes;       /* pitch bins of 20 cents */
} rift_rmvpe_hparams;

typedef struct rift_rmvpe rift_rmvpe;

rift_rmvpe *rift_rmvpe_load_file(const char *path, rift_backend *be, GError **err);
/* Takes ownership of w on success and on failure. */
rift_rmvpe *rift_rmvpe_load(rift_weights *w, rift_backend *be, GError **err);
void rift_rmvpe_free(rift_rmvpe *r);

const rift_rmvpe_hparams *rift_rmvpe_get_hparams(const rift_rmvpe *r);

/* T16 = 1 + n16 / 160: mel frames of n16 samples at 16 kHz (center=True). */
int64_t rift_rmvpe_n_frames(int64_t n16);

/* audio_16k [n16] (host) -> hidden [T16, n_classes] (host), and, when mel
 * is not NULL, the log-mel the network saw as mel [n_mels, T16] (upstream's
 * layout). n16 >= 1. */
gboolean rift_rmvpe_hidden(rift_rmvpe *r, const float *audio_16k, int64_t n16, float *mel,
                           float *hidden, GError **err);
/* The network alone on a given log-mel, time-major mel [T, n_mels] (host)
 * -> hidden [T, n_classes] (host). */
gboolean rift_rmvpe_hidden_from_mel(rift_rmvpe *r, const float *mel, int64_t T, float *hidden,
                                    GError **err);

/* Intermediates by name, for tests: "gru_in" [T32, cnn_channels·n_mels]
 * (the BiGRU input, feature = channel·n_mels + bin), "gru_out" [T32, 2·gru_hidden]. */
typedef void (*rift_rmvpe_debug_fn)(const char *name, const float *data, int64_t rows,
                                    int64_t cols, gpointer user);
void rift_rmvpe_set_debug(rift_rmvpe *r, rift_rmvpe_debug_fn fn, gpointer user);

/* to_local_average_f0 per frame of hidden [T, n_bins] (host): f0 [T] in Hz
 * (0 = unvoiced, max < thred compared in float32); center [T] (argmax) and
 * uv [T] (1 = unvoiced) when not NULL. */
void rift_rmvpe_decode(const float *hidden, int64_t T, int64_t n_bins, float thred, float *f0,
                       int64_t *center, guint8 *uv);

/* rift_svc.utils.post_process_f0(f0, 44100, 512, n_out, silence_front=0,
 * cut_last=False) on f0 [n] at 100 Hz: unvoiced frames filled by linear
 * interpolation (rounded to float32 as upstream stores them), resampled onto
 * the 44.1 kHz / 512 grid, zero where the interpolated voicing is > 0.5.
 * The _f64 variant returns numpy's float64 result; the other key-shifts it
 * (rift_f0_key_shift). */
void rift_f0_post_process_f64(const float *f0, int64_t n, int64_t n_out, double *out);
void rift_f0_post_process(const float *f0, int64_t n, int64_t n_out, double key_shift,
                          float *out);
/* infer.py's last f0 step: out [n] = float32(f0 · 2^(key_shift/12)), the
 * product in double (f0 unchanged when key_shift is 0). */
void rift_f0_key_shift(const double *f0, int64_t n, double key_shift, float *out);

/* The whole f0 path of infer.py for one segment: audio_44k [n] (host,
 * 44.1 kHz) -> f0 [n / 512] (host, Hz, key-shifted). n / 512 == 0 is fine
 * (nothing is written). */
gboolean rift_rmvpe_f0_44k(rift_rmvpe *r, const float *audio_44k, int64_t n, double key_shift,
                           float thred, float *f0, GError **err);
/* The same before the key shift, in double (post_process_f0's float64
 * result): what infer.py --robust-f0 hands to its ensembles. */
gboolean rift_rmvpe_f0_44k_f64(rift_rmvpe *r, const float *audio_44k, int64_t n, float thred,
                               double *f0, GError **err);

G_END_DECLS
