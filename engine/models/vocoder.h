/* vocoder.h — NSF-HiFiGAN, the vocoder RIFT-SVC uses (openvpi's
 * nsf_hifigan_44.1k_hop512_128bin_2024.02): a log-mel spectrogram and its
 * f0 contour in, audio out (docs/vocoder.md).
 *
 * Loaded from the files users have: model.ckpt ({'generator': state_dict},
 * weight-normed) with config.json beside it. Every size comes from
 * config.json and every tensor is checked against it.
 *
 *   GError *err = NULL;
 *   rift_vocoder *voc = rift_vocoder_load("pretrained/nsf_hifigan/model.ckpt", be, &err);
 *   const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(voc);
 *   rift_vocoder_input in = {.B = 1, .T = T, .mel = mel, .f0 = f0};
 *   float *audio = g_new(float, T * hp->upp);
 *   if (!rift_vocoder_forward(voc, &in, audio, NULL, &err)) ...
 *   rift_vocoder_free(voc);
 */
#pragma once

#include "backend.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* Limits of the config lists (the real model has 5 stages of 3 blocks of 3
 * dilations). */
#define RIFT_VOCODER_MAX_STAGES 8
#define RIFT_VOCODER_MAX_KERNELS 8

/* config.json of nsf_hifigan_44.1k_hop512_128bin_2024.02: sampling_rate
 * 44100, num_mels 128, upsample_initial_channel 512, resblock "1",
 * upsample_rates [8,8,2,2,2], upsample_kernel_sizes [16,16,4,4,4],
 * resblock_kernel_sizes [3,7,11], resblock_dilation_sizes [[1,3,5]] x 3 */
typedef struct {
    int64_t sampling_rate;    /* Hz */
    int64_t n_mels;           /* num_mels */
    int64_t initial_channel;  /* upsample_initial_channel; stage i outputs initial / 2^(i+1) */
    int resblock;             /* 1: ResBlock1 (two convs per dilation), 2: ResBlock2 (one) */
    int n_stages;             /* len(upsample_rates) */
    int64_t upsample_rates[RIFT_VOCODER_MAX_STAGES];
    int64_t upsample_kernels[RIFT_VOCODER_MAX_STAGES];
    int n_kernels;            /* resblocks per stage: len(resblock_kernel_sizes) */
    int64_t resblock_kernels[RIFT_VOCODER_MAX_KERNELS];
    int n_dilations;          /* dilations per resblock: 3 (type 1) or 2 (type 2) */
    int64_t dilations[RIFT_VOCODER_MAX_KERNELS][3];
    int64_t upp;              /* samples per mel frame: prod(upsample_rates) */
    int64_t n_harmonics;      /* sines of the harmonic source: 9 */
} rift_vocoder_hparams;

typedef struct rift_vocoder rift_vocoder;

/* path: model.ckpt (config.json beside it) or a directory holding both. */
rift_vocoder *rift_vocoder_load(const char *path, rift_backend *be, GError **err);
void rift_vocoder_free(rift_vocoder *voc);

const rift_vocoder_hparams *rift_vocoder_get_hparams(const rift_vocoder *voc);
int64_t rift_vocoder_get_sample_rate(const rift_vocoder *voc);
/* samples per mel frame (prod(upsample_rates); 512) */
int64_t rift_vocoder_get_hop(const rift_vocoder *voc);
int64_t rift_vocoder_get_n_mels(const rift_vocoder *voc);
rift_backend *rift_vocoder_get_backend(const rift_vocoder *voc);

/* B items of T frames, host memory; items are independent (each runs
 * alone, as upstream's batched call computes them).
 * The random parts of upstream's harmonic source come from the caller:
 * rand_ini [H] (a uniform phase per harmonic; index 0 is forced to 0 as
 * upstream does) and randn [B, T·upp, H] (standard normal noise, scaled
 * by 0.003 in voiced and 0.1/3 in unvoiced frames), H = n_harmonics.
 * NULL makes them zero: the deterministic output. */
typedef struct {
    int64_t B, T;
    const float *mel;      /* [B, T, n_mels], frame-major (as the feature buffers) */
    const float *f0;       /* [B, T] Hz, 0 = unvoiced */
    const float *rand_ini; /* [H] or NULL */
    const float *randn;    /* [B, T·upp, H] or NULL */
} rift_vocoder_input;

/* audio [B, T·upp] in −1..1; har [B, T·upp] (the harmonic source, for
 * tests) or NULL. mel is ignored by rift_vocoder_source, which runs the
 * harmonic source alone: har [B, T·upp] and, unless NULL, sines
 * [B, T·upp, H] (the noisy sines before they are merged). */
gboolean rift_vocoder_forward(rift_vocoder *voc, const rift_vocoder_input *in, float *audio,
                              float *har, GError **err);
gboolean rift_vocoder_source(rift_vocoder *voc, const rift_vocoder_input *in, float *har,
                             float *sines, GError **err);

/* Intermediates of each item, as host copies [rows, cols] time-major (time
 * rows, channel columns), named as upstream's modules: "har_source"
 * [T·upp, 1], "conv_pre_out" [T, C], "stage<i>_in" (upsampled + noise conv,
 * the resblocks' input) and "stage<i>_out" (the resblocks' average)
 * [T·L_i, C_i], "conv_post_out" [T·upp, 1] (before tanh). */
typedef void (*rift_vocoder_debug_fn)(const char *name, int64_t item, const float *data,
                                      int64_t rows, int64_t cols, gpointer user);
void rift_vocoder_set_debug(rift_vocoder *voc, rift_vocoder_debug_fn fn, gpointer user);

G_END_DECLS
