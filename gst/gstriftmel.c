/* gstriftmel.c — riftmel: cuts 44.1 kHz mono audio into segments and pushes
 * one feature buffer per segment holding the segment's audio, its log-mel
 * spectrogram and its RMS (docs/design.md "Feature buffers", docs/elements.md).
 * The features are computed by the engine (engine/mel.h); this file only
 * handles caps, segments, timestamps, latency and errors.
 * Tested by tests/gst/test-riftmel.c (GstHarness) and
 * tests/gst/test-riftmel-pipeline.c (against the mel fixtures). */

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

#include <gst/audio/audio.h>
#include <gst/base/gstadapter.h>
#include <math.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_mel_debug);
#define GST_CAT_DEFAULT gst_rift_mel_debug

#define DEFAULT_MAX_SEGMENT_DURATION (30 * GST_SECOND)

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
  PROP_MAX_SEGMENT_DURATION,
};

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

/* Computes the features of the open segment and pushes its buffer. Nothing
 * happens when the segment is empty. */
static GstFlowReturn
gst_rift_mel_close_segment (GstRiftMel * self)
{
  gsize nbytes = gst_adapter_available (self->adapter);
  guint64 n = nbytes / sizeof (gfloat), T, k;
  GstBuffer *out;
  GstMemory *mel_mem, *rms_mem;
  GstMapInfo mel_map, rms_map;
  gfloat *audio;
  GError *err = NULL;
  gboolean ok;

  if (n == 0)
    return GST_FLOW_OK;

  T = rift_mel_n_frames (self->mel, n);
  audio = gst_adapter_take (self->adapter, nbytes);
  out = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (out, n);

  mel_mem = gst_allocator_alloc (NULL, T * GST_RIFT_N_MELS * sizeof (gfloat),
      NULL);
  rms_mem = gst_allocator_alloc (NULL, T * sizeof (gfloat), NULL);
  gst_memory_map (mel_mem, &mel_map, GST_MAP_WRITE);
  gst_memory_map (rms_mem, &rms_map, GST_MAP_WRITE);
  ok = rift_mel_compute (self->mel, audio, n, (gfloat *) mel_map.data,
      (gfloat *) rms_map.data, &err);
  gst_memory_unmap (mel_mem, &mel_map);
  gst_memory_unmap (rms_mem, &rms_map);

  /* memory 0 is the audio, so that every later element finds it there */
  gst_rift_features_add (out, GST_RIFT_FEATURE_AUDIO,
      gst_memory_new_wrapped (0, audio, nbytes, 0, nbytes, audio, g_free),
      RIFT_F32, n, 1);
  gst_rift_features_add (out, GST_RIFT_FEATURE_MEL, mel_mem, RIFT_F32, T,
      GST_RIFT_N_MELS);
  gst_rift_features_add (out, GST_RIFT_FEATURE_RMS, rms_mem, RIFT_F32, T, 1);

  k = self->seg_start - self->seg_anchor_sample;
  if (GST_CLOCK_TIME_IS_VALID (self->seg_anchor_pts)) {
    GST_BUFFER_PTS (out) = self->seg_anchor_pts + samples_to_time (k);
    /* end minus start, so that consecutive segments abut exactly */
    GST_BUFFER_DURATION (out) = samples_to_time (k + n) - samples_to_time (k);
  } else {
    GST_BUFFER_DURATION (out) = samples_to_time (n);
  }
  GST_BUFFER_OFFSET (out) = self->seg_start;
  GST_BUFFER_OFFSET_END (out) = self->seg_start + n;
  if (self->seg_discont)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);

  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", err->message),
        ("segment of %" G_GUINT64_FORMAT " samples at %" GST_TIME_FORMAT
            " (stream sample %" G_GUINT64_FORMAT ")", n,
            GST_TIME_ARGS (GST_BUFFER_PTS (out)), self->seg_start));
    g_error_free (err);
    gst_buffer_unref (out);
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (self, "segment: %" G_GUINT64_FORMAT " samples, T=%"
      G_GUINT64_FORMAT ", %" GST_PTR_FORMAT, n, T, out);
  return gst_pad_push (self->srcpad, out);
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

/* NaN or Inf in the audio would make every later feature of the segment,
 * and the converted audio, NaN: refuse it where it enters. */
static gboolean
gst_rift_mel_check_finite (GstRiftMel * self, GstBuffer * buffer)
{
  GstMapInfo map;
  const gfloat *x;
  gsize i, n, bad = 0, first = 0;

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

  if (bad > 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The input audio has %" G_GSIZE_FORMAT " NaN or infinite samples"
            " (the first at stream sample %" G_GUINT64_FORMAT "); riftmel"
            " refuses them because every feature computed from them would be"
            " NaN. Check the elements before riftmel.", bad,
            self->next_sample + first), ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  return TRUE;
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

    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("riftmel needs 44100 Hz mono F32LE interleaved audio but got %s:"
            " put audioconvert ! audioresample before riftmel", got),
        ("caps %" GST_PTR_FORMAT, caps));
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
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  kind = self->backend_kind;
  device = self->cuda_device_id;
  GST_OBJECT_UNLOCK (self);

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
