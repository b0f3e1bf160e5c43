/* riftfeatures.h — the feature buffer that travels along a rift chain
 * (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder), docs/design.md
 * "Feature buffers".
 *
 * One GstBuffer = one segment of input audio. Each feature is one GstMemory
 * of the buffer; a GstRiftFeaturesMeta says which memory holds which feature,
 * its dtype and its [frames, width], plus the segment's sample count n,
 * frame count T = n / hop, hop and sample rate. Caps
 * (application/x-rift-features) state which features the buffers carry, so
 * a missing stage is caught at negotiation.
 *
 * Tested by tests/gst/test-riftmel.c (caps, meta, riftmel's buffers) and
 * tests/gst/test-riftsegmentfilter.c (gst_rift_features_make_writable).
 */
#pragma once

#include <gst/gst.h>

#include "tensor.h"

G_BEGIN_DECLS

#define GST_RIFT_FEATURES_MEDIA_TYPE "application/x-rift-features"

/* The one frame grid every feature is on. */
#define GST_RIFT_RATE 44100
#define GST_RIFT_HOP 512
#define GST_RIFT_N_MELS 128

/* The kinds, in the order the chain adds them. The caps field of each is
 * its name (gst_rift_feature_kind_name). */
typedef enum
{
  GST_RIFT_FEATURE_AUDIO,       /* F32 [n, 1]: the segment's samples, 44.1 kHz mono */
  GST_RIFT_FEATURE_MEL,         /* F32 [T, 128]: log-mel, frame-major */
  GST_RIFT_FEATURE_RMS,         /* F32 [T, 1] */
  GST_RIFT_FEATURE_F0,          /* F32 [T, 1]: Hz, 0 = unvoiced */
  GST_RIFT_FEATURE_CVEC,        /* F32 [T, cvec-dim]: content vectors on the mel grid */
  GST_RIFT_FEATURE_OUTMEL,      /* F32 [T, 128]: the converted log-mel */
  GST_RIFT_N_FEATURES
} GstRiftFeatureKind;

#define GST_RIFT_FEATURE_BIT(kind) (1u << (kind))

/* A set of kinds as a bitmask of GST_RIFT_FEATURE_BIT. */
typedef guint GstRiftFeatureMask;

/* "audio", "mel", "rms", "f0", "cvec", "outmel" */
const gchar *gst_rift_feature_kind_name (GstRiftFeatureKind kind);
/* The element that adds the kind: riftmel, riftf0, riftcvec, riftdit. */
const gchar *gst_rift_feature_kind_producer (GstRiftFeatureKind kind);

/* ---- caps ---- */

/* application/x-rift-features with rate, hop and n-mels, and every feature
 * field set: TRUE for the kinds in `kinds`, FALSE for the others; cvec-dim
 * is `cvec_dim` when cvec is in `kinds` and 0 otherwise. */
GstCaps *gst_rift_features_caps_new (GstRiftFeatureMask kinds, gint cvec_dim);

/* Reads fixed feature caps back. FALSE with *message (g_free it) when the
 * caps are not application/x-rift-features on the 44100/512/128 grid or do
 * not state every feature field. */
gboolean gst_rift_features_caps_parse (const GstCaps * caps,
    GstRiftFeatureMask * kinds, gint * cvec_dim, gchar ** message);

/* For a consumer's CAPS event: checks that `caps` carries every kind in
 * `need`. When it does not, posts GST_ELEMENT_ERROR (CORE, NEGOTIATION)
 * naming the missing features and the elements that add them, e.g.
 *   "riftdit needs f0: put riftf0 before riftdit
 *    (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)"
 * and returns FALSE; the caller then refuses the caps. `kinds`/`cvec_dim`
 * (may be NULL) receive what the caps carry. */
gboolean gst_rift_features_caps_check (GstElement * element,
    const GstCaps * caps, GstRiftFeatureMask need,
    GstRiftFeatureMask * kinds, gint * cvec_dim);

/* ---- per-buffer meta ---- */

typedef struct
{
  gint memory;                  /* index of the GstMemory in the buffer; -1: absent */
  rift_dtype dtype;
  gint64 frames;                /* n for audio, T for the others */
  gint64 width;                 /* values per frame: 1, 128 or cvec-dim */
} GstRiftFeatureInfo;

typedef struct
{
  GstMeta meta;

  gint rate;                    /* 44100 */
  gint hop;                     /* 512 */
  guint64 n_samples;            /* n: the segment's length in samples */
  guint64 n_frames;             /* T = n / hop */
  GstRiftFeatureInfo features[GST_RIFT_N_FEATURES];
  /* loudness normalisation by riftmel (docs/design.md "The whole
   * conversion"): the segment's integrated loudness before it, in LUFS
   * (NaN: not measured, i.e. not normalised; -inf: digital silence), and
   * the gain its audio was multiplied by (1 when not normalised) */
  gdouble original_lufs;
  gdouble gain;
  /* batching by riftdit (docs/design.md "The whole conversion"): the
   * frames of the padded batch the segment was sampled in (the longest T
   * of the batch; 0: not sampled in a batch). infer.py runs the vocoder on
   * that padded batch, so riftvocoder vocodes this many frames, those after
   * T being the batch's padding (mel 0, f0 0), and keeps n samples. */
  guint64 batch_frames;
} GstRiftFeaturesMeta;

GType gst_rift_features_meta_api_get_type (void);
#define GST_RIFT_FEATURES_META_API_TYPE (gst_rift_features_meta_api_get_type ())
const GstMetaInfo *gst_rift_features_meta_get_info (void);
#define GST_RIFT_FEATURES_META_INFO (gst_rift_features_meta_get_info ())

#define gst_buffer_get_rift_features_meta(b) \
  ((GstRiftFeaturesMeta *) gst_buffer_get_meta ((b), GST_RIFT_FEATURES_META_API_TYPE))

/* Adds the meta for a segment of n samples (T = n / hop, no features yet). */
GstRiftFeaturesMeta *gst_buffer_add_rift_features_meta (GstBuffer * buffer,
    guint64 n_samples);

/* Appends `mem` (transfer full) to `buffer` and records it in the meta as
 * `kind` with [frames, width] of `dtype`. FALSE (and `mem` is dropped) when
 * the buffer has no meta, already has that kind, or the memory's size is
 * not frames * width * dtype size. */
gboolean gst_rift_features_add (GstBuffer * buffer, GstRiftFeatureKind kind,
    GstMemory * mem, rift_dtype dtype, gint64 frames, gint64 width);

/* The memory holding `kind` (transfer none) and its entry, or NULL. */
GstMemory *gst_rift_features_peek (GstBuffer * buffer, GstRiftFeatureKind kind,
    const GstRiftFeatureInfo ** info);

/* Maps the memory of `kind`; unmap with gst_memory_unmap (map->memory, map). */
gboolean gst_rift_features_map (GstBuffer * buffer, GstRiftFeatureKind kind,
    GstMapInfo * map, GstMapFlags flags, const GstRiftFeatureInfo ** info);

/* gst_buffer_make_writable for feature buffers (transfer full both ways).
 * gst_buffer_copy drops zero-size memories (the frame features of a T = 0
 * segment) and with them the GstRiftFeaturesMeta, whose memory indices
 * would no longer hold; a copy made here keeps every memory, shared with
 * `buffer`, its flags, timestamps and metas, and the GstRiftFeaturesMeta. */
GstBuffer *gst_rift_features_make_writable (GstBuffer * buffer);

G_END_DECLS
