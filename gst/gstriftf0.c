/* gstriftf0.c — riftf0: estimates the f0 of each segment with RMVPE, as
 * infer.py does (resampled to 16 kHz, network, decode, post-processed onto
 * the 44.1 kHz / 512 mel grid, key-shifted), and adds it to the segment's
 * buffer as `f0` (docs/design.md "Feature buffers", docs/elements.md,
 * docs/feature-extractors.md). The computation is the engine's
 * (engine/models/rmvpe.h); this file only handles caps, properties,
 * latency and errors.
 * Tested by tests/gst/test-riftf0.c (GstHarness, against direct
 * rift_rmvpe_f0_44k calls and the RMVPE fixtures) and
 * tests/gst/test-features-pipeline.c. */

/**
 * SECTION:element-riftf0
 * @title: riftf0
 *
 * riftf0 is the f0 stage of the rift feature chain
 * (`riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder`). For each
 * `application/x-rift-features` buffer (one segment of n samples, T = n /
 * 512 frames) it runs RMVPE (#GstRiftF0:model) on the segment's 44.1 kHz
 * audio exactly as upstream's infer.py does, and appends the f0 in Hz (F32
 * [T, 1], 0 = unvoiced, on the same frame grid as the mel), shifted by
 * #GstRiftF0:key-shift semitones, as the `f0` feature. Every other memory,
 * the timestamps, offsets and flags are kept.
 *
 * riftf0 only needs the segment's audio, so it may come before or after
 * riftcvec. Buffers flagged GAP pass through untouched. A segment shorter
 * than 1412 samples (32 ms), too short for RMVPE as upstream runs it, is
 * unvoiced: its f0 is 0.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! wavparse ! audioconvert ! audioresample ! riftmel ! riftf0 model=rmvpe/model.pt key-shift=3 ! riftcvec model=content-vec-best ! fakesink silent=false
 * ]| Computes each segment's mel, f0 (three semitones up) and content
 * vectors.
 *
 * Since: 0.1
 */
#include "gstriftf0.h"
#include "riftcontext.h"
#include "riftfeatures.h"

#include "rmvpe.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_f0_debug);
#define GST_CAT_DEFAULT gst_rift_f0_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_KEY_SHIFT 0.0
#define DEFAULT_VOICING_THRESHOLD RIFT_RMVPE_THRED
#define DEFAULT_BACKEND RIFT_BACKEND_AUTO
#define DEFAULT_CUDA_DEVICE_ID -1

/* three octaves either way: far beyond any singer, well inside float */
#define MAX_KEY_SHIFT 36.0

/* RMVPE's STFT reflect-pads its 16 kHz input by n_fft / 2 = 512 samples on
 * each side; upstream's torch reflect padding refuses inputs of 512 samples
 * or fewer. RMVPE's resampler makes ceil(n · 160 / 441) samples of n, so
 * segments of fewer than 1412 samples (32 ms, T <= 2) are not computed:
 * their f0 is 0, unvoiced. */
#define RMVPE_MIN_SAMPLES_16K 513
#define RMVPE_16K(n) (((n) * 160 + 440) / 441)

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_KEY_SHIFT,
  PROP_VOICING_THRESHOLD,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_RIFT_FEATURES_MEDIA_TYPE));

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define NEEDED_FEATURES F (AUDIO)

struct _GstRiftF0
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock: the streaming thread reads
   * key_shift and voicing_threshold for every segment */
  gchar *model;
  gdouble key_shift;
  gfloat voicing_threshold;
  rift_backend_kind backend_kind;
  gint cuda_device_id;

  /* latency, under the object lock */
  gboolean live;                /* upstream said so in the last LATENCY query */
  GstClockTime processing;      /* the longest segment so far */
  GstClockTime reported;        /* the processing time in the last answer */

  /* engine objects, from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  rift_rmvpe *rmvpe;
  gchar *loaded_model;          /* its path, for messages */

  /* streaming state (streaming thread) */
  GstSegment segment;           /* the last SEGMENT event: the controller's
                                 * stream time */
};

#define gst_rift_f0_parent_class parent_class
G_DEFINE_TYPE (GstRiftF0, gst_rift_f0, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftf0, "riftf0", GST_RANK_NONE,
    GST_TYPE_RIFT_F0, GST_DEBUG_CATEGORY_INIT (gst_rift_f0_debug, "riftf0",
        0, "RIFT-SVC f0 (RMVPE)"));

static void gst_rift_f0_finalize (GObject * object);
static void gst_rift_f0_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_f0_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_f0_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_rift_f0_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_rift_f0_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rift_f0_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rift_f0_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_rift_f0_class_init (GstRiftF0Class * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstCaps *src_caps;

  gobject_class->finalize = gst_rift_f0_finalize;
  gobject_class->set_property = gst_rift_f0_set_property;
  gobject_class->get_property = gst_rift_f0_get_property;

  /**
   * GstRiftF0:model:
   *
   * The RMVPE checkpoint (upstream's `pretrained/rmvpe/model.pt`). Loaded
   * at READY->PAUSED; a missing or wrong file fails that state change with
   * a message naming it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "RMVPE pitch-estimation checkpoint (upstream's"
          " pretrained/rmvpe/model.pt)", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftF0:key-shift:
   *
   * Transposes the f0 by this many semitones (f0 · 2^(key-shift / 12), as
   * infer.py --key-shift; fractions are cents). The value is read when a
   * segment starts, so a change while playing takes effect at the next
   * segment; with a control binding, the value at the segment's stream
   * time applies to the whole segment.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_KEY_SHIFT,
      g_param_spec_double ("key-shift", "Key shift",
          "Transpose the singing by this many semitones (0.01 = one cent;"
          " infer.py --key-shift). Takes effect at the next segment",
          -MAX_KEY_SHIFT, MAX_KEY_SHIFT, DEFAULT_KEY_SHIFT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING | GST_PARAM_CONTROLLABLE));

  /**
   * GstRiftF0:voicing-threshold:
   *
   * RMVPE's `thred`: a 10 ms frame whose highest pitch salience is below
   * it is unvoiced (f0 0). 0.03 is what infer.py uses.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_VOICING_THRESHOLD,
      g_param_spec_float ("voicing-threshold", "Voicing threshold",
          "Pitch salience below which a frame is unvoiced (RMVPE's thred):"
          " higher values mark more breathy or quiet frames unvoiced. Takes"
          " effect at the next segment", 0.0f, 1.0f, DEFAULT_VOICING_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftF0:backend:
   *
   * Where the model runs. The rift elements of a pipeline that ask for the
   * same backend share one (see docs/elements.md).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BACKEND,
      g_param_spec_enum ("backend", "Backend",
          "Where the model runs: auto (CUDA when a device answers, otherwise"
          " the CPU), cpu or cuda (fails without a device)",
          GST_TYPE_RIFT_BACKEND_KIND, DEFAULT_BACKEND,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftF0:cuda-device-id:
   *
   * The CUDA device ordinal for the cuda and auto backends; -1 takes the
   * first device, or whichever device the pipeline's shared backend is on.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CUDA_DEVICE_ID,
      g_param_spec_int ("cuda-device-id", "CUDA device ID",
          "CUDA device ordinal (-1 = auto: the first device, or the one the"
          " pipeline's shared backend uses)", -1, G_MAXINT,
          DEFAULT_CUDA_DEVICE_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  src_caps = gst_caps_new_empty_simple (GST_RIFT_FEATURES_MEDIA_TYPE);
  gst_caps_set_simple (src_caps, "f0", G_TYPE_BOOLEAN, TRUE, NULL);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, src_caps));
  gst_caps_unref (src_caps);

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC f0 (RMVPE)", "Filter/Analyzer/Audio",
      "Estimates the f0 of each segment with RMVPE, as RIFT-SVC's infer.py"
      " does, and adds it to the feature buffer on the mel frame grid",
      "gst-rift developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rift_f0_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, 0);
}

static void
gst_rift_f0_init (GstRiftF0 * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_f0_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_f0_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_f0_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_template (gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "src"), "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_f0_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->model = g_strdup (DEFAULT_MODEL);
  self->key_shift = DEFAULT_KEY_SHIFT;
  self->voicing_threshold = DEFAULT_VOICING_THRESHOLD;
  self->backend_kind = DEFAULT_BACKEND;
  self->cuda_device_id = DEFAULT_CUDA_DEVICE_ID;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
}

static void
gst_rift_f0_finalize (GObject * object)
{
  GstRiftF0 *self = GST_RIFT_F0 (object);

  g_free (self->model);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_f0_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftF0 *self = GST_RIFT_F0 (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_KEY_SHIFT:
      self->key_shift = g_value_get_double (value);
      break;
    case PROP_VOICING_THRESHOLD:
      self->voicing_threshold = g_value_get_float (value);
      break;
    case PROP_BACKEND:
      self->backend_kind = g_value_get_enum (value);
      break;
    case PROP_CUDA_DEVICE_ID:
      self->cuda_device_id = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rift_f0_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRiftF0 *self = GST_RIFT_F0 (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_KEY_SHIFT:
      g_value_set_double (value, self->key_shift);
      break;
    case PROP_VOICING_THRESHOLD:
      g_value_set_float (value, self->voicing_threshold);
      break;
    case PROP_BACKEND:
      g_value_set_enum (value, self->backend_kind);
      break;
    case PROP_CUDA_DEVICE_ID:
      g_value_set_int (value, self->cuda_device_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- streaming ---- */

/* FALSE with a STREAM/FORMAT error when `buffer` is not a segment with its
 * audio as F32 [n, 1], or already has an f0. */
static gboolean
gst_rift_f0_check_buffer (GstRiftF0 * self, GstBuffer * buffer)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const GstRiftFeatureInfo *info = NULL;

  if (meta == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("riftf0 received a buffer without GstRiftFeaturesMeta: its input"
            " must come from riftmel"), ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  if (gst_rift_features_peek (buffer, GST_RIFT_FEATURE_AUDIO, &info) == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The segment at %" GST_TIME_FORMAT " has no audio although its caps"
            " say so", GST_TIME_ARGS (GST_BUFFER_PTS (buffer))),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  if (info->dtype != RIFT_F32 || info->frames != (gint64) meta->n_samples
      || info->width != 1 || meta->n_frames != meta->n_samples / GST_RIFT_HOP) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The audio of the segment at %" GST_TIME_FORMAT " is %s [%"
            G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] with T=%" G_GUINT64_FORMAT
            "; riftf0 needs F32 [%" G_GUINT64_FORMAT ", 1] with T=%"
            G_GUINT64_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
            rift_dtype_name (info->dtype), info->frames, info->width,
            meta->n_frames, meta->n_samples, meta->n_samples / GST_RIFT_HOP),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  if (meta->features[GST_RIFT_FEATURE_F0].memory >= 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The segment at %" GST_TIME_FORMAT " already has an f0: is there"
            " another riftf0 before this one?",
            GST_TIME_ARGS (GST_BUFFER_PTS (buffer))),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  return TRUE;
}

/* The f0 [T] of the segment `buffer` (checked) into `f0`, with the
 * properties read now: at the segment's stream time when a control binding
 * drives them. */
static gboolean
gst_rift_f0_compute (GstRiftF0 * self, GstBuffer * buffer, gfloat * f0,
    GError ** err)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const gint64 n = meta->n_samples, T = meta->n_frames;
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  gdouble key_shift;
  gfloat thred;
  GstMapInfo map;
  gboolean ok = TRUE;

  if (self->segment.format == GST_FORMAT_TIME && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime stream_time = gst_segment_to_stream_time (&self->segment,
        GST_FORMAT_TIME, pts);

    if (GST_CLOCK_TIME_IS_VALID (stream_time))
      gst_object_sync_values (GST_OBJECT (self), stream_time);
  }
  GST_OBJECT_LOCK (self);
  key_shift = self->key_shift;
  thred = self->voicing_threshold;
  GST_OBJECT_UNLOCK (self);

  if (T == 0)
    return TRUE;
  if (RMVPE_16K (n) < RMVPE_MIN_SAMPLES_16K) {
    GST_DEBUG_OBJECT (self, "segment of %" G_GINT64_FORMAT " samples at %"
        GST_TIME_FORMAT " is too short for RMVPE: unvoiced", n,
        GST_TIME_ARGS (pts));
    memset (f0, 0, T * sizeof (gfloat));
    return TRUE;
  }

  if (!gst_rift_features_map (buffer, GST_RIFT_FEATURE_AUDIO, &map,
          GST_MAP_READ, NULL)) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftf0 could not map the audio of the segment at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (pts));
    return FALSE;
  }
  ok = rift_rmvpe_f0_44k (self->rmvpe, (const gfloat *) map.data, n,
      key_shift, thred, f0, err);
  gst_memory_unmap (map.memory, &map);
  GST_LOG_OBJECT (self, "key-shift %g, voicing-threshold %g", key_shift, thred);
  return ok;
}

/* gst_buffer_make_writable, except that a copy keeps every memory:
 * gst_buffer_copy drops zero-size memories (the frame features of a T = 0
 * segment), and with them the GstRiftFeaturesMeta, whose memory indices
 * would no longer hold. The copy shares the memories. */
static GstBuffer *
make_writable (GstBuffer * buffer)
{
  GstRiftFeaturesMeta *src, *dst;
  GstBuffer *copy;
  guint i, n;

  if (gst_buffer_is_writable (buffer))
    return buffer;
  copy = gst_buffer_new ();
  n = gst_buffer_n_memory (buffer);
  for (i = 0; i < n; i++)
    gst_buffer_append_memory (copy, gst_buffer_get_memory (buffer, i));
  /* flags, timestamps and the metas not tied to memories ... */
  gst_buffer_copy_into (copy, buffer, GST_BUFFER_COPY_METADATA, 0, -1);
  /* ... and ours, valid again since the memories are the same */
  src = gst_buffer_get_rift_features_meta (buffer);
  dst = gst_buffer_add_rift_features_meta (copy, src->n_samples);
  dst->rate = src->rate;
  dst->hop = src->hop;
  dst->n_frames = src->n_frames;
  memcpy (dst->features, src->features, sizeof (src->features));
  gst_buffer_unref (buffer);
  return copy;
}

static GstFlowReturn
gst_rift_f0_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRiftF0 *self = GST_RIFT_F0 (parent);
  GstRiftFeaturesMeta *meta;
  GstMemory *mem;
  GstMapInfo map;
  GError *err = NULL;
  gint64 T, start, elapsed;
  gboolean ok, post_latency = FALSE;

  if (G_UNLIKELY (!gst_pad_has_current_caps (pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* removed silence (docs/design.md): no features, nothing to add */
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP)) {
    GST_LOG_OBJECT (self, "GAP segment passes: %" GST_PTR_FORMAT, buffer);
    return gst_pad_push (self->srcpad, buffer);
  }
  if (!gst_rift_f0_check_buffer (self, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  meta = gst_buffer_get_rift_features_meta (buffer);
  T = meta->n_frames;
  mem = gst_allocator_alloc (NULL, T * sizeof (gfloat), NULL);
  gst_memory_map (mem, &map, GST_MAP_WRITE);
  start = g_get_monotonic_time ();
  ok = gst_rift_f0_compute (self, buffer, (gfloat *) map.data, &err);
  elapsed = g_get_monotonic_time () - start;
  gst_memory_unmap (mem, &map);

  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", err->message),
        ("segment of %" G_GUINT64_FORMAT " samples at %" GST_TIME_FORMAT
            ", model %s", meta->n_samples,
            GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), self->loaded_model));
    g_error_free (err);
    gst_memory_unref (mem);
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  GST_DEBUG_OBJECT (self, "segment at %" GST_TIME_FORMAT ": T=%"
      G_GINT64_FORMAT " (%" G_GUINT64_FORMAT " samples) in %.3f s",
      GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), T, meta->n_samples,
      elapsed / 1e6);

  /* a buffer held elsewhere too is copied; the copy shares the memories */
  buffer = make_writable (buffer);
  gst_rift_features_add (buffer, GST_RIFT_FEATURE_F0, mem, RIFT_F32, T, 1);

  if (T > 0) {
    GST_OBJECT_LOCK (self);
    if ((GstClockTime) elapsed * GST_USECOND > self->processing)
      self->processing = elapsed * GST_USECOND;
    /* a live pipeline redistributes latency when the processing time grew
     * by more than a quarter since the last answer */
    post_latency = self->live
        && self->processing > self->reported + self->reported / 4;
    GST_OBJECT_UNLOCK (self);
  }
  if (post_latency)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));

  return gst_pad_push (self->srcpad, buffer);
}

static gboolean
gst_rift_f0_set_caps (GstRiftF0 * self, GstCaps * caps)
{
  GstRiftFeatureMask kinds = 0;
  gint cvec_dim = 0;
  GstCaps *current, *src_caps;
  gboolean ok = TRUE;

  if (!gst_rift_features_caps_check (GST_ELEMENT (self), caps, NEEDED_FEATURES,
          &kinds, &cvec_dim))
    return FALSE;
  if (kinds & F (F0)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("riftf0 got buffers that already carry f0: there is another riftf0"
            " before this one"), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }

  /* whatever came before (riftmel alone, or riftcvec too) plus f0 */
  src_caps = gst_rift_features_caps_new (kinds | F (F0), cvec_dim);
  current = gst_pad_get_current_caps (self->srcpad);
  if (current == NULL || !gst_caps_is_equal (current, src_caps))
    ok = gst_pad_set_caps (self->srcpad, src_caps);
  if (current)
    gst_caps_unref (current);
  gst_caps_unref (src_caps);
  return ok;
}

static gboolean
gst_rift_f0_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRiftF0 *self = GST_RIFT_F0 (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_f0_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      gst_segment_copy_into (segment, &self->segment);
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      break;
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_f0_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftF0 *self = GST_RIFT_F0 (parent);

  switch (GST_QUERY_TYPE (query)) {
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
gst_rift_f0_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftF0 *self = GST_RIFT_F0 (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live;
      GstClockTime min, max, processing;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);

      GST_OBJECT_LOCK (self);
      self->live = live;
      processing = self->processing;
      if (live)
        self->reported = processing;
      GST_OBJECT_UNLOCK (self);
      if (!live)
        return TRUE;

      /* a segment leaves riftf0 once its f0 is computed: the longest
       * computation so far (0 before the first segment) */
      min += processing;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += processing;
      GST_DEBUG_OBJECT (self, "latency: live, processing %" GST_TIME_FORMAT
          ", min %" GST_TIME_FORMAT ", max %" GST_TIME_FORMAT,
          GST_TIME_ARGS (processing), GST_TIME_ARGS (min), GST_TIME_ARGS (max));
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
gst_rift_f0_start (GstRiftF0 * self)
{
  rift_backend_kind kind;
  gint device;
  gchar *model;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  kind = self->backend_kind;
  device = self->cuda_device_id;
  model = g_strdup (self->model);
  GST_OBJECT_UNLOCK (self);

  if (model == NULL || *model == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("riftf0 has no model: set the model property to an RMVPE checkpoint"
            " (upstream's pretrained/rmvpe/model.pt)"), (NULL));
    g_free (model);
    return FALSE;
  }

  self->backend = gst_rift_backend_ensure (GST_ELEMENT (self), kind, device,
      &err);
  if (self->backend == NULL) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT, ("%s", err->message),
        ("backend=%s cuda-device-id=%d", rift_backend_kind_to_string (kind),
            device));
    g_error_free (err);
    g_free (model);
    return FALSE;
  }

  self->rmvpe = rift_rmvpe_load_file (model, self->backend, &err);
  if (self->rmvpe == NULL) {
    if (g_file_test (model, G_FILE_TEST_EXISTS))
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", err->message),
          ("model=%s", model));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", err->message),
          ("model=%s", model));
    g_error_free (err);
    g_free (model);
    g_clear_pointer (&self->backend, rift_backend_unref);
    return FALSE;
  }
  self->loaded_model = model;

  {
    const rift_rmvpe_hparams *hp = rift_rmvpe_get_hparams (self->rmvpe);

    GST_INFO_OBJECT (self, "model %s: %" G_GINT64_FORMAT " levels of %"
        G_GINT64_FORMAT " blocks, %" G_GINT64_FORMAT " channels, %"
        G_GINT64_FORMAT " pitch bins, on %s", model, hp->en_de_layers,
        hp->n_blocks, hp->en_out_channels, hp->n_classes,
        rift_backend_describe (self->backend));
  }

  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  GST_OBJECT_LOCK (self);
  self->live = FALSE;
  self->processing = 0;
  self->reported = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rift_f0_stop (GstRiftF0 * self)
{
  g_clear_pointer (&self->rmvpe, rift_rmvpe_free);
  g_clear_pointer (&self->backend, rift_backend_unref);
  g_clear_pointer (&self->loaded_model, g_free);
}

static GstStateChangeReturn
gst_rift_f0_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftF0 *self = GST_RIFT_F0 (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_f0_start (self)) {
    gst_rift_f0_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_f0_stop (self);
  return ret;
}
