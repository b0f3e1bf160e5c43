/* slicer.h — RIFT-SVC's Slicer (slicer.py): cuts a recording at silences
 * into the segments infer.py converts one by one. Removed silence never
 * reaches the models; the caller puts zeros there.
 *
 * Parameters in milliseconds and dB as infer.py's options; derived frame
 * counts use Python's round (half to even) exactly as upstream. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct {
    double threshold_db;  /* -30: frames with rms below 10^(dB/20) are silent */
    double min_length_ms; /* 3000: shortest segment */
    double min_interval_ms; /* 100: shortest silence that may cut */
    double hop_ms;        /* 10: rms hop */
    double max_sil_kept_ms; /* 200: silence kept around a cut */
} rift_slicer_params;

/* infer.py's defaults (its code's slicer options). */
rift_slicer_params rift_slicer_params_default(void);
/* upstream's own constraints: min_length >= min_interval >= hop, max_sil_kept >= hop, hop > 0 */
gboolean rift_slicer_params_check(const rift_slicer_params *p, GError **err);

typedef struct {
    int64_t start;  /* first sample */
    int64_t length; /* samples */
} rift_span;

/* Segments of x [n] at `rate`, in order; *n_spans gets their count (g_free
 * the array). A recording with no cut is one span (0, n). */
rift_span *rift_slice(const rift_slicer_params *p, double rate, const float *x, int64_t n,
                      int *n_spans);

/* librosa.feature.rms(frame_length=win, hop_length=hop, center=True,
 * pad_mode='constant'): F = 1 + n / hop frames for even win (g_free). */
float *rift_slicer_rms(const float *x, int64_t n, int64_t win, int64_t hop, int64_t *n_frames);

G_END_DECLS
