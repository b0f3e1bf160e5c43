/* gstriftmel.c — riftmel: cuts 44.1 kHz mono audio into segments and pushes
 * one feature buffer per segment holding the segment's audio, its log-mel
 * spectrogram and its RMS (docs/design.md "Feature buffers", docs/elements.md).
 * The features are computed by the engine (engine/mel.h); this file only
 * handles caps, segments (fixed or infer.py's slicer), loudness
 * normalisation, timestamps, latency and errors.
 * Tested by tests/gst/test-riftmel.c (GstHarness) and
 * tests/gst/test-riftmel-pipeline.c (against the mel fixtures) and, with
 * segmentation=slicer, tests/gst/test-e2e.c. */

/**
 * SECTION:element-riftmel
 * @title: riftmel
 *
 * riftmel is the head of the rift feature chain
 * (`riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder`). It accumulates
 * 44.1 kHz mono float audio into segments and, for each segment, pushes one
 * `application/x-rift-features` buffer holding the segment's samples (F32
 * [n]), RIFT-SVC's log-mel spectrogram (F32 [T, 128], frame-major) and the
 * RMS (F32 [T]), with T = n / 512, described by a GstRiftFeaturesMeta.
 *
 * A segment closes at EOS, at a DISCONT buffer, at a GAP event, at a caps
 * or segment change and when it reaches #GstRiftMel:max-segment-duration.
 * Its buffer's PTS is the time of its first sample, its duration that of
 * its n samples, and OFFSET/OFFSET_END its first and last+1 sample index.
 * A segment shorter than 512 samples gives T = 0: the buffer still carries
 * the audio, with empty mel and rms.
 *
 * With #GstRiftMel:segmentation=slicer the audio gathered up to such a point
 * is cut at its silences as RIFT-SVC's infer.py does: each segment found is
 * pushed as a feature buffer, each removed stretch of silence as a
 * GAP-flagged buffer carrying its audio (T = 0, no other feature). With
 * #GstRiftMel:normalize-loudness (by default with the slicer) each
 * segment's audio is normalised to #GstRiftMel:target-loudness before its
 * features are computed, and the original loudness and the gain go into the
 * GstRiftFeaturesMeta for riftvocoder to restore.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -v filesrc location=song.flac ! decodebin ! audioconvert ! audioresample ! riftmel ! fakesink silent=false
 * ]| Prints one line per segment (at most 30 s each), with its PTS,
 * duration and sample offsets.
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! wavparse ! audioconvert ! audioresample ! riftmel max-segment-duration=0 ! fakesink dump=true
 * ]| Computes the whole file as one segment and dumps the buffer.
 *
 * Since: 0.1
 */
#include "gstriftmel.h"
#include "riftcontext.h"
#include "riftfeatures.h"

#include "mel.h"
#include "loudness.h"
#include "slicer.h"

#include <gst/audio/audio.h>
#include <gst/base/gstadapter.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_mel_debug);
#define GST_CAT_DEFAULT gst_rift_mel_debug

#define DEFAULT_MAX_SEGMENT_DURATION (30 * GST_SECOND)
#define DEFAULT_SEGMENTATION GST_RIFT_MEL_SEGMENTATION_FIXED
#define DEFAULT_NORMALIZE_LOUDNESS GST_RIFT_MEL_LOUDNESS_AUTO
#define DEFAULT_TARGET_LOUDNESS (-18.0)

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
  PROP_MAX_SEGMENT_DURATION,
  PROP_SEGMENTATION,
  PROP_SLICER_THRESHOLD,
  PROP_SLICER_MIN_LENGTH,
  PROP_SLICER_MIN_INTERVAL,
  PROP_SLICER_HOP_SIZE,
  PROP_SLICER_MAX_SIL_KEPT,
  PROP_NORMALIZE_LOUDNESS,
  PROP_TARGET_LOUDNESS,
};

GType
gst_rift_mel_segmentation_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_RIFT_MEL_SEGMENTATION_FIXED,
        "Cut only at max-segment-duration, EOS, DISCONT, GAP, caps or segment"
          " changes", "fixed"},
    {GST_RIFT_MEL_SEGMENTATION_SLICER,
        "Cut at silences as RIFT-SVC's infer.py (Slicer); removed silence"
          " travels as GAP buffers", "slicer"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRiftMelSegmentation", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_rift_mel_loudness_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {GST_RIFT_MEL_LOUDNESS_AUTO,
        "Normalise with segmentation=slicer (as infer.py), not with fixed",
        "auto"},
    {GST_RIFT_MEL_LOUDNESS_ON, "Normalise every segment", "on"},
    {GST_RIFT_MEL_LOUDNESS_OFF, "Never normalise", "off"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRiftMelLoudness", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define SINK_CAPS "audio/x-raw, format=(string)F32LE, rate=(int)44100, " \
    "channels=(int)1, layout=(string)interleaved"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (SINK_CAPS));

#define OUT_FEATURES (GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_AUDIO) | \
    GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_MEL) | \
    GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_RMS))

struct _GstRiftMel
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock: the streaming thread reads
   * max_segment_duration for every buffer */
  rift_backend_kind backend_kind;
  gint cuda_device_id;
  GstClockTime max_segment_duration;
  GstRiftMelSegmentation segmentation;
  rift_slicer_params slicer;
  GstRiftMelLoudness normalize_loudness;
  gdouble target_loudness;

  /* engine objects, from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  rift_mel *mel;

  /* streaming state (streaming thread; reset at start, stream start and
   * FLUSH_STOP) */
  GstAdapter *adapter;          /* the open segment's samples */
  GstSegment segment;           /* the last SEGMENT event */
  guint64 next_sample;          /* stream index of the next input sample */
  GstClockTime anchor_pts;      /* PTS of the latest input buffer with one... */
  guint64 anchor_sample;        /* ...and the stream index of its first sample */
  gboolean discont;             /* the next segment follows a discontinuity */
  gboolean warned_unbounded;

  /* the open segment: where it starts and the anchor its times come from */
  guint64 seg_start;
  GstClockTime seg_anchor_pts;
  guint64 seg_anchor_sample;
  gboolean seg_discont;
};

#define gst_rift_mel_parent_class parent_class
G_DEFINE_TYPE (GstRiftMel, gst_rift_mel, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftmel, "riftmel", GST_RANK_NONE,
    GST_TYPE_RIFT_MEL, GST_DEBUG_CATEGORY_INIT (gst_rift_mel_debug, "riftmel",
        0, "RIFT-SVC mel features"));

static void gst_rift_mel_finalize (GObject * object);
static void gst_rift_mel_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_mel_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_mel_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_rift_mel_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_rift_mel_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rift_mel_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rift_mel_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_rift_mel_class_init (GstRiftMelClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstCaps *src_caps;

  gobject_class->finalize = gst_rift_mel_finalize;
  gobject_class->set_property = gst_rift_mel_set_property;
  gobject_class->get_property = gst_rift_mel_get_property;

  /**
   * GstRiftMel:backend:
   *
   * Where the features are computed. The rift elements of a pipeline that
   * ask for the same backend share one (see docs/elements.md).
   *
   * Since: 0.1
   */
  /**
   * GstRiftMel:cuda-device-id:
   *
   * The CUDA device ordinal for the cuda and auto backends; -1 takes the
   * first device, or whichever device the pipeline's shared backend is on.
   *
   * Since: 0.1
   */
  gst_rift_backend_install_properties (gobject_class, PROP_BACKEND,
      PROP_CUDA_DEVICE_ID,
      "Where the features are computed" GST_RIFT_BACKEND_CHOICES);

  /**
   * GstRiftMel:max-segment-duration:
   *
   * The longest segment, in nanoseconds; a segment that reaches it is
   * closed and a new one starts with the next sample. 0 means unlimited:
   * segments close only at EOS, DISCONT, GAP or a caps or segment change
   * (for whole-file jobs). When the source is live this is added to the
   * latency.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_SEGMENT_DURATION,
      g_param_spec_uint64 ("max-segment-duration", "Maximum segment duration",
          "Longest segment in nanoseconds (0 = unlimited: segments end only at"
          " EOS, DISCONT, GAP or a caps or segment change); added to the"
          " latency when live", 0, G_MAXUINT64, DEFAULT_MAX_SEGMENT_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftMel:segmentation:
   *
   * How the audio is cut into segments. `fixed`: a segment ends at
   * #GstRiftMel:max-segment-duration (and at EOS, DISCONT, GAP, caps or
   * segment changes). `slicer`: the audio up to such a point is cut at its
   * silences exactly as RIFT-SVC's infer.py (Slicer, the slicer-*
   * properties); every segment is pushed as a feature buffer and every
   * removed stretch of silence as a GAP-flagged buffer carrying its audio
   * (T = 0, no other feature), so every input sample is accounted for.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SEGMENTATION,
      g_param_spec_enum ("segmentation", "Segmentation",
          "How the audio is cut into segments",
          GST_TYPE_RIFT_MEL_SEGMENTATION, DEFAULT_SEGMENTATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftMel:slicer-threshold:
   *
   * segmentation=slicer: frames whose RMS is below this level (dB) are
   * silent (infer.py's slicer threshold).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SLICER_THRESHOLD,
      g_param_spec_double ("slicer-threshold", "Slicer threshold",
          "segmentation=slicer: RMS level in dB below which a frame is silent",
          -200.0, 0.0, -30.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRiftMel:slicer-min-length:
   *
   * segmentation=slicer: the shortest segment, in milliseconds.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SLICER_MIN_LENGTH,
      g_param_spec_double ("slicer-min-length", "Slicer minimum length",
          "segmentation=slicer: shortest segment in ms", 0.0, 1e9, 3000.0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRiftMel:slicer-min-interval:
   *
   * segmentation=slicer: the shortest silence that may cut, in
   * milliseconds.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SLICER_MIN_INTERVAL,
      g_param_spec_double ("slicer-min-interval", "Slicer minimum interval",
          "segmentation=slicer: shortest silence that may cut, in ms", 0.0,
          1e9, 100.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRiftMel:slicer-hop-size:
   *
   * segmentation=slicer: the hop of the slicer's RMS, in milliseconds.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SLICER_HOP_SIZE,
      g_param_spec_double ("slicer-hop-size", "Slicer hop size",
          "segmentation=slicer: hop of the RMS frames in ms", 0.0, 1e9, 10.0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  /**
   * GstRiftMel:slicer-max-sil-kept:
   *
   * segmentation=slicer: the most silence kept around a cut, in
   * milliseconds.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_SLICER_MAX_SIL_KEPT,
      g_param_spec_double ("slicer-max-sil-kept", "Slicer silence kept",
          "segmentation=slicer: most silence kept around a cut, in ms", 0.0,
          1e9, 200.0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftMel:normalize-loudness:
   *
   * Whether each segment's audio is normalised to
   * #GstRiftMel:target-loudness (pyloudnorm integrated loudness, 100 ms
   * blocks; ×0.99/peak when it would clip) before its features are
   * computed, as infer.py does. The original loudness and the gain go into
   * the GstRiftFeaturesMeta, where riftvocoder finds them to restore the
   * loudness. `auto` normalises with segmentation=slicer only, so that
   * `fixed` keeps computing the features of the audio as it comes.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_NORMALIZE_LOUDNESS,
      g_param_spec_enum ("normalize-loudness", "Normalise loudness",
          "Normalise each segment to target-loudness (auto: with"
          " segmentation=slicer only)", GST_TYPE_RIFT_MEL_LOUDNESS,
          DEFAULT_NORMALIZE_LOUDNESS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstRiftMel:target-loudness:
   *
   * The loudness segments are normalised to, in LUFS.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TARGET_LOUDNESS,
      g_param_spec_double ("target-loudness", "Target loudness",
          "Loudness segments are normalised to, in LUFS", -70.0, 0.0,
          DEFAULT_TARGET_LOUDNESS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  src_caps = gst_rift_features_caps_new (OUT_FEATURES, 0);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, src_caps));
  gst_caps_unref (src_caps);

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC mel features", "Filter/Analyzer/Audio",
      "Cuts 44.1 kHz mono audio into segments and computes RIFT-SVC's log-mel"
      " spectrogram and RMS of each: the head of the rift feature chain",
      "gst-rift developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rift_mel_change_state);
}

static void
gst_rift_mel_init (GstRiftMel * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_mel_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_mel_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_mel_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_template (gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "src"), "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_mel_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->backend_kind = GST_RIFT_DEFAULT_BACKEND;
  self->cuda_device_id = GST_RIFT_DEFAULT_CUDA_DEVICE_ID;
  self->max_segment_duration = DEFAULT_MAX_SEGMENT_DURATION;
  self->segmentation = DEFAULT_SEGMENTATION;
  self->slicer = rift_slicer_params_default ();
  self->normalize_loudness = DEFAULT_NORMALIZE_LOUDNESS;
  self->target_loudness = DEFAULT_TARGET_LOUDNESS;
  self->adapter = gst_adapter_new ();
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_rift_mel_finalize (GObject * object)
{
  GstRiftMel *self = GST_RIFT_MEL (object);

  g_object_unref (self->adapter);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_mel_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftMel *self = GST_RIFT_MEL (object);
  gboolean latency_changed = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BACKEND:
      self->backend_kind = g_value_get_enum (value);
      break;
    case PROP_CUDA_DEVICE_ID:
      self->cuda_device_id = g_value_get_int (value);
      break;
    case PROP_MAX_SEGMENT_DURATION:
      latency_changed =
          self->max_segment_duration != g_value_get_uint64 (value);
      self->max_segment_duration = g_value_get_uint64 (value);
      break;
    case PROP_SEGMENTATION:
      self->segmentation = g_value_get_enum (value);
      break;
    case PROP_SLICER_THRESHOLD:
      self->slicer.threshold_db = g_value_get_double (value);
      break;
    case PROP_SLICER_MIN_LENGTH:
      self->slicer.min_length_ms = g_value_get_double (value);
      break;
    case PROP_SLICER_MIN_INTERVAL:
      self->slicer.min_interval_ms = g_value_get_double (value);
      break;
    case PROP_SLICER_HOP_SIZE:
      self->slicer.hop_ms = g_value_get_double (value);
      break;
    case PROP_SLICER_MAX_SIL_KEPT:
      self->slicer.max_sil_kept_ms = g_value_get_double (value);
      break;
    case PROP_NORMALIZE_LOUDNESS:
      self->normalize_loudness = g_value_get_enum (value);
      break;
    case PROP_TARGET_LOUDNESS:
      self->target_loudness = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* the latency of a live pipeline includes one segment */
  if (latency_changed)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

static void
gst_rift_mel_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRiftMel *self = GST_RIFT_MEL (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend_kind);
      break;
    case PROP_CUDA_DEVICE_ID:
      g_value_set_int (value, self->cuda_device_id);
      break;
    case PROP_MAX_SEGMENT_DURATION:
      g_value_set_uint64 (value, self->max_segment_duration);
      break;
    case PROP_SEGMENTATION:
      g_value_set_enum (value, self->segmentation);
      break;
    case PROP_SLICER_THRESHOLD:
      g_value_set_double (value, self->slicer.threshold_db);
      break;
    case PROP_SLICER_MIN_LENGTH:
      g_value_set_double (value, self->slicer.min_length_ms);
      break;
    case PROP_SLICER_MIN_INTERVAL:
      g_value_set_double (value, self->slicer.min_interval_ms);
      break;
    case PROP_SLICER_HOP_SIZE:
      g_value_set_double (value, self->slicer.hop_ms);
      break;
    case PROP_SLICER_MAX_SIL_KEPT:
      g_value_set_double (value, self->slicer.max_sil_kept_ms);
      break;
    case PROP_NORMALIZE_LOUDNESS:
      g_value_set_enum (value, self->normalize_loudness);
      break;
    case PROP_TARGET_LOUDNESS:
      g_value_set_double (value, self->target_loudness);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- streaming ---- */

static void
gst_rift_mel_reset_stream (GstRiftMel * self)
{
  gst_adapter_clear (self->adapter);
  self->next_sample = 0;
  self->anchor_pts = GST_CLOCK_TIME_NONE;
  self->anchor_sample = 0;
  self->discont = FALSE;
}

/* The segment's first sample is the next one to arrive. */
static void
gst_rift_mel_open_segment (GstRiftMel * self)
{
  self->seg_start = self->next_sample;
  self->seg_anchor_pts = self->anchor_pts;
  self->seg_anchor_sample = self->anchor_sample;
  self->seg_discont = self->discont;
  self->discont = FALSE;
}

/* Time of `k` samples after the anchor: from sample counts, never from
 * accumulated durations, so that it does not drift. */
static GstClockTime
samples_to_time (guint64 k)
{
  return gst_util_uint64_scale_round (k, GST_SECOND, GST_RIFT_RATE);
}

/* Normalises x [n] in place to `target` LUFS as infer.py: gain =
 * 10^((target - L)/20) (1 for digital silence), then ×0.99/peak when the
 * peak exceeds 1. *lufs gets L, the return value the whole gain applied. */
static gdouble
normalize_loudness (gfloat * x, guint64 n, gdouble target, gdouble * lufs)
{
  gdouble L = rift_loudness_lufs (x, (int64_t) n, GST_RIFT_RATE);
  gdouble gain = rift_loudness_gain (L, target), peak = 0.0;
  guint64 i;

  *lufs = L;
  for (i = 0; i < n; i++) {
    x[i] = (gfloat) (x[i] * gain);
    peak = MAX (peak, fabs (x[i]));
  }
  if (peak > 1.0) {
    gdouble s = 0.99 / peak;

    for (i = 0; i < n; i++)
      x[i] = (gfloat) (x[i] * s);
    gain *= s;
  }
  return gain;
}

/* Pushes one piece of the open segment: `audio` [n] (transfer full), the
 * samples from stream index `start`. A GAP piece (removed silence) carries
 * its audio only, with T = 0; any other gets its features, computed from
 * its loudness-normalised audio when `normalize`. */
static GstFlowReturn
gst_rift_mel_push_piece (GstRiftMel * self, gfloat * audio, guint64 start,
    guint64 n, gboolean gap, gboolean discont, gboolean normalize,
    gdouble target)
{
  const gsize nbytes = n * sizeof (gfloat);
  guint64 T = 0, k;
  GstBuffer *out;
  GstRiftFeaturesMeta *meta;
  GstMemory *mel_mem, *rms_mem;
  GstMapInfo mel_map, rms_map;
  GError *err = NULL;
  gboolean ok = TRUE;

  out = gst_buffer_new ();
  meta = gst_buffer_add_rift_features_meta (out, n);
  if (!gap) {
    if (normalize)
      meta->gain = normalize_loudness (audio, n, target, &meta->original_lufs);
    T = rift_mel_n_frames (self->mel, n);
    mel_mem = gst_allocator_alloc (NULL,
        T * GST_RIFT_N_MELS * sizeof (gfloat), NULL);
    rms_mem = gst_allocator_alloc (NULL, T * sizeof (gfloat), NULL);
    gst_memory_map (mel_mem, &mel_map, GST_MAP_WRITE);
    gst_memory_map (rms_mem, &rms_map, GST_MAP_WRITE);
    ok = rift_mel_compute (self->mel, audio, n, (gfloat *) mel_map.data,
        (gfloat *) rms_map.data, &err);
    gst_memory_unmap (mel_mem, &mel_map);
    gst_memory_unmap (rms_mem, &rms_map);
  } else {
    meta->n_frames = 0;
  }

  /* memory 0 is the audio, so that every later element finds it there */
  gst_rift_features_add (out, GST_RIFT_FEATURE_AUDIO,
      gst_memory_new_wrapped (0, audio, nbytes, 0, nbytes, audio, g_free),
      RIFT_F32, n, 1);
  if (!gap) {
    gst_rift_features_add (out, GST_RIFT_FEATURE_MEL, mel_mem, RIFT_F32, T,
        GST_RIFT_N_MELS);
    gst_rift_features_add (out, GST_RIFT_FEATURE_RMS, rms_mem, RIFT_F32, T, 1);
  } else {
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_GAP);
  }

  k = start - self->seg_anchor_sample;
  if (GST_CLOCK_TIME_IS_VALID (self->seg_anchor_pts)) {
    GST_BUFFER_PTS (out) = self->seg_anchor_pts + samples_to_time (k);
    /* end minus start, so that consecutive segments abut exactly */
    GST_BUFFER_DURATION (out) = samples_to_time (k + n) - samples_to_time (k);
  } else {
    GST_BUFFER_DURATION (out) = samples_to_time (n);
  }
  GST_BUFFER_OFFSET (out) = start;
  GST_BUFFER_OFFSET_END (out) = start + n;
  if (discont)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);

  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", err->message),
        ("segment of %" G_GUINT64_FORMAT " samples at %" GST_TIME_FORMAT
            " (stream sample %" G_GUINT64_FORMAT ")", n,
            GST_TIME_ARGS (GST_BUFFER_PTS (out)), start));
    g_error_free (err);
    gst_buffer_unref (out);
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (self, "%s: %" G_GUINT64_FORMAT " samples, T=%"
      G_GUINT64_FORMAT ", loudness %.3f LUFS, gain %g, %" GST_PTR_FORMAT,
      gap ? "removed silence" : "segment", n, T, meta->original_lufs,
      meta->gain, out);
  return gst_pad_push (self->srcpad, out);
}

/* Computes the features of the open segment and pushes its buffer; with
 * segmentation=slicer, slices it first and pushes its segments and the
 * silence between them (GAP) in order. Nothing happens when the segment is
 * empty. */
static GstFlowReturn
gst_rift_mel_close_segment (GstRiftMel * self)
{
  gsize nbytes = gst_adapter_available (self->adapter);
  guint64 n = nbytes / sizeof (gfloat), pos = 0;
  GstRiftMelSegmentation segmentation;
  GstRiftMelLoudness loudness;
  rift_slicer_params slicer;
  gdouble target;
  gboolean normalize, discont = self->seg_discont;
  GstFlowReturn ret = GST_FLOW_OK;
  rift_span *spans;
  gfloat *audio;
  int n_spans = 0, i;

  if (n == 0)
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  segmentation = self->segmentation;
  loudness = self->normalize_loudness;
  slicer = self->slicer;
  target = self->target_loudness;
  GST_OBJECT_UNLOCK (self);
  normalize = loudness == GST_RIFT_MEL_LOUDNESS_ON
      || (loudness == GST_RIFT_MEL_LOUDNESS_AUTO
      && segmentation == GST_RIFT_MEL_SEGMENTATION_SLICER);

  audio = gst_adapter_take (self->adapter, nbytes);
  if (segmentation != GST_RIFT_MEL_SEGMENTATION_SLICER)
    return gst_rift_mel_push_piece (self, audio, self->seg_start, n, FALSE,
        discont, normalize, target);

  spans = rift_slice (&slicer, GST_RIFT_RATE, audio, (int64_t) n, &n_spans);
  GST_DEBUG_OBJECT (self, "%" G_GUINT64_FORMAT " samples from stream sample %"
      G_GUINT64_FORMAT ": %d segments", n, self->seg_start, n_spans);
  for (i = 0; i <= n_spans && ret == GST_FLOW_OK; i++) {
    /* the silence before span i (or after the last), then span i */
    guint64 s = i < n_spans ? (guint64) CLAMP (spans[i].start, 0, (gint64) n)
        : n;
    guint64 e = i < n_spans ? MIN (s + (guint64) MAX (spans[i].length, 0), n)
        : n;

    if (s > pos) {
      ret = gst_rift_mel_push_piece (self,
          g_memdup2 (audio + pos, (s - pos) * sizeof (gfloat)),
          self->seg_start + pos, s - pos, TRUE, discont, FALSE, target);
      discont = FALSE;
      pos = s;
    }
    if (ret == GST_FLOW_OK && e > s) {
      ret = gst_rift_mel_push_piece (self,
          g_memdup2 (audio + s, (e - s) * sizeof (gfloat)),
          self->seg_start + s, e - s, FALSE, discont, normalize, target);
      discont = FALSE;
      pos = e;
    }
  }
  g_free (spans);
  g_free (audio);
  return ret;
}

static guint64
gst_rift_mel_max_samples (GstRiftMel * self)
{
  GstClockTime duration;

  GST_OBJECT_LOCK (self);
  duration = self->max_segment_duration;
  GST_OBJECT_UNLOCK (self);
  if (duration == 0)
    return 0;
  return MAX (gst_util_uint64_scale_round (duration, GST_RIFT_RATE,
          GST_SECOND), 1);
}

/* "0:00:01.250000000 (stream sample 55125)": where sample `i` of `buffer`
 * is, as the stream time of its PTS (or of the last PTS seen, plus the
 * samples since) when there is one, and as the stream index. */
static gchar *
describe_sample (GstRiftMel * self, GstBuffer * buffer, guint64 i)
{
  guint64 index = self->next_sample + i;
  GstClockTime t = GST_CLOCK_TIME_NONE;

  if (GST_BUFFER_PTS_IS_VALID (buffer))
    t = GST_BUFFER_PTS (buffer) + samples_to_time (i);
  else if (GST_CLOCK_TIME_IS_VALID (self->anchor_pts))
    t = self->anchor_pts + samples_to_time (index - self->anchor_sample);
  if (GST_CLOCK_TIME_IS_VALID (t) && self->segment.format == GST_FORMAT_TIME)
    t = gst_segment_to_stream_time (&self->segment, GST_FORMAT_TIME, t);
  if (!GST_CLOCK_TIME_IS_VALID (t))
    return g_strdup_printf ("stream sample %" G_GUINT64_FORMAT, index);
  return g_strdup_printf ("%" GST_TIME_FORMAT " (stream sample %"
      G_GUINT64_FORMAT ")", GST_TIME_ARGS (t), index);
}

/* NaN or Inf in the audio would make every later feature of the segment,
 * and the converted audio, NaN: refuse it where it enters. */
static gboolean
gst_rift_mel_check_finite (GstRiftMel * self, GstBuffer * buffer)
{
  GstMapInfo map;
  const gfloat *x;
  gsize i, n, bad = 0, first = 0;
  gchar *where;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("could not map an input buffer"),
        (NULL));
    return FALSE;
  }
  x = (const gfloat *) map.data;
  n = map.size / sizeof (gfloat);
  for (i = 0; i < n; i++) {
    if (G_UNLIKELY (!isfinite (x[i]))) {
      if (bad++ == 0)
        first = i;
    }
  }
  gst_buffer_unmap (buffer, &map);
  if (bad == 0)
    return TRUE;

  where = describe_sample (self, buffer, first);
  GST_ELEMENT_ERROR (self, STREAM, FORMAT,
      ("The input audio has %" G_GSIZE_FORMAT " NaN or infinite samples in a"
          " buffer, the first at %s; riftmel refuses them because every"
          " feature computed from them would be NaN. Check the elements"
          " before riftmel.", bad, where), ("buffer %" GST_PTR_FORMAT, buffer));
  g_free (where);
  return FALSE;
}

static GstFlowReturn
gst_rift_mel_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRiftMel *self = GST_RIFT_MEL (parent);
  gsize size = gst_buffer_get_size (buffer);
  guint64 n = size / sizeof (gfloat), pos = 0, max;
  GstFlowReturn ret = GST_FLOW_OK;

  if (G_UNLIKELY (!gst_pad_has_current_caps (pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    ret = GST_FLOW_NOT_NEGOTIATED;
    goto done;
  }
  if (G_UNLIKELY (size % sizeof (gfloat))) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("a buffer of %" G_GSIZE_FORMAT " bytes is not a whole number of F32"
            " samples", size));
    ret = GST_FLOW_ERROR;
    goto done;
  }
  if (n > 0 && !gst_rift_mel_check_finite (self, buffer)) {
    ret = GST_FLOW_ERROR;
    goto done;
  }

  if (GST_BUFFER_IS_DISCONT (buffer)) {
    /* what came before does not continue into this buffer */
    ret = gst_rift_mel_close_segment (self);
    self->discont = TRUE;
  }
  if (GST_BUFFER_PTS_IS_VALID (buffer)) {
    self->anchor_pts = GST_BUFFER_PTS (buffer);
    self->anchor_sample = self->next_sample;
  }

  max = gst_rift_mel_max_samples (self);
  /* the property may have been lowered below what is already held */
  if (ret == GST_FLOW_OK && max > 0
      && gst_adapter_available (self->adapter) / sizeof (gfloat) >= max)
    ret = gst_rift_mel_close_segment (self);

  while (ret == GST_FLOW_OK && pos < n) {
    guint64 have = gst_adapter_available (self->adapter) / sizeof (gfloat);
    guint64 take = n - pos;

    if (have == 0)
      gst_rift_mel_open_segment (self);
    if (max > 0)
      take = MIN (take, max - have);
    gst_adapter_push (self->adapter, gst_buffer_copy_region (buffer,
            GST_BUFFER_COPY_MEMORY, pos * sizeof (gfloat),
            take * sizeof (gfloat)));
    pos += take;
    self->next_sample += take;
    if (max > 0 && have + take >= max)
      ret = gst_rift_mel_close_segment (self);
  }

done:
  gst_buffer_unref (buffer);
  return ret;
}

/* "48000 Hz, 2 channels, S16LE, interleaved" from whatever the caps say */
static gchar *
describe_audio_caps (const GstCaps * caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const gchar *format = gst_structure_get_string (s, "format");
  const gchar *layout = gst_structure_get_string (s, "layout");
  gint rate = 0, channels = 0;

  gst_structure_get_int (s, "rate", &rate);
  gst_structure_get_int (s, "channels", &channels);
  return g_strdup_printf ("%d Hz, %d channel%s, %s, %s", rate, channels,
      channels == 1 ? "" : "s", format ? format : "no format",
      layout ? layout : "no layout");
}

/* The name of the element upstream links to (g_free it): riftmel's, or,
 * when riftmel's sink pad is the target of a bin's ghost pad (riftsvc's),
 * the outermost such bin's, so that advice names what the user wrote. The
 * factory's name, as in "riftmel needs ...". */
static gchar *
linked_element_name (GstRiftMel * self)
{
  GstElement *element = gst_object_ref (GST_ELEMENT (self));
  GstPad *pad = gst_object_ref (self->sinkpad);
  GstElementFactory *factory;
  gchar *name;

  for (;;) {
    GstPad *peer = gst_pad_get_peer (pad);
    GstObject *ghost = NULL;
    GstElement *bin = NULL;

    /* a ghost pad reaches its target through its internal proxy pad */
    if (peer != NULL && GST_IS_PROXY_PAD (peer))
      ghost = gst_object_get_parent (GST_OBJECT (peer));
    if (ghost != NULL && GST_IS_GHOST_PAD (ghost))
      bin = gst_pad_get_parent_element (GST_PAD (ghost));
    if (peer)
      gst_object_unref (peer);
    if (bin == NULL) {
      if (ghost)
        gst_object_unref (ghost);
      break;
    }
    gst_object_unref (pad);
    pad = GST_PAD (ghost);
    gst_object_unref (element);
    element = bin;
  }
  factory = gst_element_get_factory (element);
  name = g_strdup (factory ? GST_OBJECT_NAME (factory) :
      GST_OBJECT_NAME (element));
  gst_object_unref (pad);
  gst_object_unref (element);
  return name;
}

static gboolean
gst_rift_mel_set_caps (GstRiftMel * self, GstCaps * caps)
{
  GstCaps *current, *template, *src_caps;
  gboolean ok;

  template = gst_static_pad_template_get_caps (&sink_template);
  ok = gst_caps_is_subset (caps, template);
  gst_caps_unref (template);
  if (!ok) {
    gchar *got = describe_audio_caps (caps);
    gchar *name = linked_element_name (self);

    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("%s needs 44100 Hz mono F32LE interleaved audio but got %s:"
            " put audioconvert ! audioresample before %s", name, got, name),
        ("caps %" GST_PTR_FORMAT, caps));
    g_free (name);
    g_free (got);
    return FALSE;
  }

  current = gst_pad_get_current_caps (self->sinkpad);
  if (current) {
    if (!gst_caps_is_equal (current, caps))
      gst_rift_mel_close_segment (self);
    gst_caps_unref (current);
  }

  if (!gst_pad_has_current_caps (self->srcpad)) {
    src_caps = gst_rift_features_caps_new (OUT_FEATURES, 0);
    ok = gst_pad_set_caps (self->srcpad, src_caps);
    gst_caps_unref (src_caps);
  }
  return ok;
}

static gboolean
gst_rift_mel_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRiftMel *self = GST_RIFT_MEL (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_mel_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      if (!gst_segment_is_equal (segment, &self->segment)) {
        gst_rift_mel_close_segment (self);
        gst_segment_copy_into (segment, &self->segment);
      }
      break;
    }
    case GST_EVENT_STREAM_START:
      gst_rift_mel_close_segment (self);
      gst_rift_mel_reset_stream (self);
      break;
    case GST_EVENT_GAP:
    case GST_EVENT_EOS:
      /* pushed before the event, so downstream sees the segment first */
      gst_rift_mel_close_segment (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_rift_mel_reset_stream (self);
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_mel_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftMel *self = GST_RIFT_MEL (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_ACCEPT_CAPS:{
      GstCaps *caps;

      /* Any raw audio is accepted here so that wrong caps reach the CAPS
       * event, where riftmel says what to do about them; refused here they
       * would only give "not-negotiated". CAPS queries still answer with the
       * template, so converters before riftmel pick the right format. */
      gst_query_parse_accept_caps (query, &caps);
      gst_query_set_accept_caps_result (query, gst_caps_get_size (caps) > 0
          && gst_structure_has_name (gst_caps_get_structure (caps, 0),
              "audio/x-raw"));
      return TRUE;
    }
    case GST_QUERY_CONTEXT:
      if (gst_rift_backend_handle_context_query (GST_ELEMENT (self), query))
        return TRUE;
      break;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_rift_mel_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftMel *self = GST_RIFT_MEL (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live;
      GstClockTime min, max, segment;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);
      if (!live)
        return TRUE;

      GST_OBJECT_LOCK (self);
      segment = self->max_segment_duration;
      GST_OBJECT_UNLOCK (self);
      /* a segment is processed once complete, so its first sample waits
       * for up to a whole segment */
      if (segment > 0) {
        min += segment;
        if (GST_CLOCK_TIME_IS_VALID (max))
          max += segment;
      } else {
        max = GST_CLOCK_TIME_NONE;
        if (!self->warned_unbounded) {
          self->warned_unbounded = TRUE;
          GST_ELEMENT_WARNING (self, CORE, CLOCK,
              ("riftmel has max-segment-duration=0 on a live source: a"
                  " segment only ends at EOS, DISCONT or GAP, so its output"
                  " will be late. Set max-segment-duration."), (NULL));
        }
      }
      GST_DEBUG_OBJECT (self, "latency: live, min %" GST_TIME_FORMAT ", max %"
          GST_TIME_FORMAT, GST_TIME_ARGS (min), GST_TIME_ARGS (max));
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    case GST_QUERY_CONTEXT:
      if (gst_rift_backend_handle_context_query (GST_ELEMENT (self), query))
        return TRUE;
      break;
    default:
      break;
  }
  return gst_pad_query_default (pad, parent, query);
}

/* ---- states ---- */

static gboolean
gst_rift_mel_start (GstRiftMel * self)
{
  rift_backend_kind kind;
  gint device;
  rift_mel_params params = rift_mel_params_default ();
  rift_slicer_params slicer;
  GstRiftMelSegmentation segmentation;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  kind = self->backend_kind;
  device = self->cuda_device_id;
  slicer = self->slicer;
  segmentation = self->segmentation;
  GST_OBJECT_UNLOCK (self);

  if (segmentation == GST_RIFT_MEL_SEGMENTATION_SLICER
      && !rift_slicer_params_check (&slicer, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", err->message),
        ("slicer-threshold=%g slicer-min-length=%g slicer-min-interval=%g"
            " slicer-hop-size=%g slicer-max-sil-kept=%g", slicer.threshold_db,
            slicer.min_length_ms, slicer.min_interval_ms, slicer.hop_ms,
            slicer.max_sil_kept_ms));
    g_error_free (err);
    return FALSE;
  }

  self->backend = gst_rift_backend_ensure (GST_ELEMENT (self), kind, device,
      &err);
  if (self->backend)
    self->mel = rift_mel_new (self->backend, &params, &err);
  if (self->mel == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message),
        ("backend=%s cuda-device-id=%d", rift_backend_kind_to_string (kind),
            device));
    g_error_free (err);
    g_clear_pointer (&self->backend, rift_backend_unref);
    return FALSE;
  }
  GST_INFO_OBJECT (self, "computing on %s",
      rift_backend_describe (self->backend));

  gst_rift_mel_reset_stream (self);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  self->warned_unbounded = FALSE;
  return TRUE;
}

static void
gst_rift_mel_stop (GstRiftMel * self)
{
  gst_adapter_clear (self->adapter);
  g_clear_pointer (&self->mel, rift_mel_free);
  g_clear_pointer (&self->backend, rift_backend_unref);
}

static GstStateChangeReturn
gst_rift_mel_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftMel *self = GST_RIFT_MEL (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_mel_start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_mel_stop (self);
  return ret;
}
