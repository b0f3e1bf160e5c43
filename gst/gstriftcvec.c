/* gstriftcvec.c — riftcvec: computes each segment's content vectors with
 * ContentVec, as infer.py does (the segment resampled to 16 kHz with soxr
 * HQ as librosa does, HuBERT's last_hidden_state, linearly interpolated onto
 * the mel frames), and adds them to the segment's buffer as `cvec`
 * (docs/design.md "Feature buffers", docs/elements.md,
 * docs/feature-extractors.md). The computation is the engine's
 * (engine/models/contentvec.h, engine/resample-soxr.h, engine/interp.h);
 * this file only handles caps, properties, latency and errors.
 * Tested by tests/gst/test-riftcvec.c (GstHarness, against direct engine
 * calls and the ContentVec fixtures) and
 * tests/gst/test-features-pipeline.c. */

/**
 * SECTION:element-riftcvec
 * @title: riftcvec
 *
 * riftcvec is the content stage of the rift feature chain
 * (`riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder`). For each
 * `application/x-rift-features` buffer (one segment of n samples, T = n /
 * 512 frames) it resamples the segment's 44.1 kHz audio to 16 kHz (libsoxr
 * HQ, as librosa does in infer.py), runs ContentVec (#GstRiftCvec:model, a
 * Hugging Face HuBERT directory such as content-vec-best) on the whole
 * segment, interpolates its last hidden state (50 frames a second) linearly
 * onto the T mel frames and appends it as the `cvec` feature (F32 [T,
 * hidden_size]); the caps' `cvec-dim` is the model's hidden size. Every
 * other memory, the timestamps, offsets and flags are kept.
 *
 * riftcvec only needs the segment's audio, so it may come before or after
 * riftf0. Buffers flagged GAP pass through untouched. A segment shorter
 * than ContentVec's receptive field (400 samples at 16 kHz, about 1100 at
 * 44.1 kHz) is zero-padded to it, and the one frame it gives is used for
 * all of its T frames.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! wavparse ! audioconvert ! audioresample ! riftmel ! riftf0 model=rmvpe/model.pt ! riftcvec model=content-vec-best ! fakesink silent=false
 * ]| Computes each segment's mel, f0 and content vectors.
 *
 * Since: 0.1
 */
#include "gstriftcvec.h"
#include "riftcontext.h"
#include "riftfeatures.h"

#include "contentvec.h"
#include "interp.h"
#include "resample-soxr.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_cvec_debug);
#define GST_CAT_DEFAULT gst_rift_cvec_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_BACKEND RIFT_BACKEND_AUTO
#define DEFAULT_CUDA_DEVICE_ID -1

/* ContentVec's input rate (infer.py: librosa.resample(..., target_sr=16000)) */
#define CVEC_RATE 16000

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_RIFT_FEATURES_MEDIA_TYPE));

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define NEEDED_FEATURES F (AUDIO)

struct _GstRiftCvec
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock */
  gchar *model;
  rift_backend_kind backend_kind;
  gint cuda_device_id;

  /* latency, under the object lock */
  gboolean live;                /* upstream said so in the last LATENCY query */
  GstClockTime processing;      /* the longest segment so far */
  GstClockTime reported;        /* the processing time in the last answer */

  /* engine objects, from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  rift_contentvec *cv;
  gchar *loaded_model;          /* its path, for messages */
};

#define gst_rift_cvec_parent_class parent_class
G_DEFINE_TYPE (GstRiftCvec, gst_rift_cvec, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftcvec, "riftcvec", GST_RANK_NONE,
    GST_TYPE_RIFT_CVEC, GST_DEBUG_CATEGORY_INIT (gst_rift_cvec_debug,
        "riftcvec", 0, "RIFT-SVC content vectors (ContentVec)"));

static void gst_rift_cvec_finalize (GObject * object);
static void gst_rift_cvec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_cvec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_cvec_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_rift_cvec_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_rift_cvec_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rift_cvec_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rift_cvec_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_rift_cvec_class_init (GstRiftCvecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstCaps *src_caps;

  gobject_class->finalize = gst_rift_cvec_finalize;
  gobject_class->set_property = gst_rift_cvec_set_property;
  gobject_class->get_property = gst_rift_cvec_get_property;

  /**
   * GstRiftCvec:model:
   *
   * The ContentVec model as a Hugging Face directory (upstream's
   * `pretrained/content-vec-best`): config.json with pytorch_model.bin or
   * model.safetensors. Loaded at READY->PAUSED; a missing or wrong
   * directory fails that state change with a message naming it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "ContentVec model directory (config.json with pytorch_model.bin or"
          " model.safetensors; upstream's pretrained/content-vec-best)",
          DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftCvec:backend:
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
   * GstRiftCvec:cuda-device-id:
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
  gst_caps_set_simple (src_caps, "cvec", G_TYPE_BOOLEAN, TRUE, NULL);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, src_caps));
  gst_caps_unref (src_caps);

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC content vectors (ContentVec)", "Filter/Analyzer/Audio",
      "Computes the content vectors of each segment with ContentVec, as"
      " RIFT-SVC's infer.py does, and adds them to the feature buffer on the"
      " mel frame grid", "gst-rift developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rift_cvec_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, 0);
}

static void
gst_rift_cvec_init (GstRiftCvec * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_cvec_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_cvec_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_cvec_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_template (gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "src"), "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_cvec_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->model = g_strdup (DEFAULT_MODEL);
  self->backend_kind = DEFAULT_BACKEND;
  self->cuda_device_id = DEFAULT_CUDA_DEVICE_ID;
}

static void
gst_rift_cvec_finalize (GObject * object)
{
  GstRiftCvec *self = GST_RIFT_CVEC (object);

  g_free (self->model);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_cvec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftCvec *self = GST_RIFT_CVEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
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
gst_rift_cvec_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRiftCvec *self = GST_RIFT_CVEC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
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
 * audio as F32 [n, 1], or already has content vectors. */
static gboolean
gst_rift_cvec_check_buffer (GstRiftCvec * self, GstBuffer * buffer)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const GstRiftFeatureInfo *info = NULL;

  if (meta == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("riftcvec received a buffer without GstRiftFeaturesMeta: its input"
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
            "; riftcvec needs F32 [%" G_GUINT64_FORMAT ", 1] with T=%"
            G_GUINT64_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
            rift_dtype_name (info->dtype), info->frames, info->width,
            meta->n_frames, meta->n_samples, meta->n_samples / GST_RIFT_HOP),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  if (meta->features[GST_RIFT_FEATURE_CVEC].memory >= 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The segment at %" GST_TIME_FORMAT " already has content vectors:"
            " is there another riftcvec before this one?",
            GST_TIME_ARGS (GST_BUFFER_PTS (buffer))),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  return TRUE;
}

/* infer.py's extract_features for the content vectors of the segment
 * `audio` [n]: cvec [T, hidden]. A segment whose 16 kHz audio is shorter
 * than the model's receptive field is zero-padded to it at the end (as
 * librosa's fix_length pads), which gives one frame. */
static gboolean
gst_rift_cvec_compute (GstRiftCvec * self, const gfloat * audio, gint64 n,
    gint64 T, gfloat * cvec, GError ** err)
{
  const rift_contentvec_hparams *hp = rift_contentvec_get_hparams (self->cv);
  const gint64 n16 = rift_resample_soxr_len (n, GST_RIFT_RATE, CVEC_RATE);
  const gint64 len = MAX (n16, hp->min_samples);
  gfloat *audio_16k = g_new0 (gfloat, len), *hidden = NULL;
  gint64 N = rift_contentvec_n_frames (self->cv, len);
  gboolean ok;

  if (n16 < len)
    GST_DEBUG_OBJECT (self, "segment of %" G_GINT64_FORMAT " samples (%"
        G_GINT64_FORMAT " at 16 kHz) is shorter than ContentVec's %"
        G_GINT64_FORMAT ": zero-padded", n, n16, hp->min_samples);
  ok = rift_resample_soxr_hq (audio, n, GST_RIFT_RATE, CVEC_RATE, audio_16k,
      err);
  if (ok) {
    hidden = g_new (gfloat, N * hp->hidden);
    ok = rift_contentvec_forward (self->cv, audio_16k, len, hidden, &N, err);
  }
  /* linear_interpolate_tensor (align_corners) onto the mel frames */
  if (ok)
    rift_interp_linear (cvec, T, hidden, N, hp->hidden);
  g_free (audio_16k);
  g_free (hidden);
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
gst_rift_cvec_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRiftCvec *self = GST_RIFT_CVEC (parent);
  const gint64 C = rift_contentvec_get_hparams (self->cv)->hidden;
  GstRiftFeaturesMeta *meta;
  GstMemory *mem;
  GstMapInfo map, audio;
  GError *err = NULL;
  gint64 T, start, elapsed;
  gboolean ok = TRUE, post_latency = FALSE;

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
  if (!gst_rift_cvec_check_buffer (self, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  meta = gst_buffer_get_rift_features_meta (buffer);
  T = meta->n_frames;
  mem = gst_allocator_alloc (NULL, T * C * sizeof (gfloat), NULL);
  start = g_get_monotonic_time ();
  if (T > 0) {
    if (!gst_rift_features_map (buffer, GST_RIFT_FEATURE_AUDIO, &audio,
            GST_MAP_READ, NULL)) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
          ("could not map the audio of %" GST_PTR_FORMAT, buffer));
      gst_memory_unref (mem);
      gst_buffer_unref (buffer);
      return GST_FLOW_ERROR;
    }
    gst_memory_map (mem, &map, GST_MAP_WRITE);
    ok = gst_rift_cvec_compute (self, (const gfloat *) audio.data,
        meta->n_samples, T, (gfloat *) map.data, &err);
    gst_memory_unmap (mem, &map);
    gst_memory_unmap (audio.memory, &audio);
  }
  elapsed = g_get_monotonic_time () - start;

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
  gst_rift_features_add (buffer, GST_RIFT_FEATURE_CVEC, mem, RIFT_F32, T, C);

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
gst_rift_cvec_set_caps (GstRiftCvec * self, GstCaps * caps)
{
  GstRiftFeatureMask kinds = 0;
  GstCaps *current, *src_caps;
  gboolean ok = TRUE;

  if (!gst_rift_features_caps_check (GST_ELEMENT (self), caps, NEEDED_FEATURES,
          &kinds, NULL))
    return FALSE;
  if (kinds & F (CVEC)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("riftcvec got buffers that already carry cvec: there is another"
            " riftcvec before this one"), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }

  /* whatever came before (riftmel alone, or riftf0 too) plus cvec of the
   * model's width */
  src_caps = gst_rift_features_caps_new (kinds | F (CVEC),
      (gint) rift_contentvec_get_hparams (self->cv)->hidden);
  current = gst_pad_get_current_caps (self->srcpad);
  if (current == NULL || !gst_caps_is_equal (current, src_caps))
    ok = gst_pad_set_caps (self->srcpad, src_caps);
  if (current)
    gst_caps_unref (current);
  gst_caps_unref (src_caps);
  return ok;
}

static gboolean
gst_rift_cvec_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRiftCvec *self = GST_RIFT_CVEC (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_cvec_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    default:
      break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_cvec_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftCvec *self = GST_RIFT_CVEC (parent);

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
gst_rift_cvec_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftCvec *self = GST_RIFT_CVEC (parent);

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

      /* a segment leaves riftcvec once its content vectors are computed:
       * the longest computation so far (0 before the first segment) */
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
gst_rift_cvec_start (GstRiftCvec * self)
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
        ("riftcvec has no model: set the model property to a ContentVec"
            " model directory (config.json with pytorch_model.bin or"
            " model.safetensors, e.g. content-vec-best)"), (NULL));
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

  self->cv = rift_contentvec_load_dir (model, self->backend, &err);
  if (self->cv == NULL) {
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
    const rift_contentvec_hparams *hp = rift_contentvec_get_hparams (self->cv);

    GST_INFO_OBJECT (self, "model %s: hidden size %" G_GINT64_FORMAT ", %"
        G_GINT64_FORMAT " layers, %" G_GINT64_FORMAT " heads, on %s", model,
        hp->hidden, hp->n_layers, hp->n_heads,
        rift_backend_describe (self->backend));
  }

  GST_OBJECT_LOCK (self);
  self->live = FALSE;
  self->processing = 0;
  self->reported = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rift_cvec_stop (GstRiftCvec * self)
{
  g_clear_pointer (&self->cv, rift_contentvec_free);
  g_clear_pointer (&self->backend, rift_backend_unref);
  g_clear_pointer (&self->loaded_model, g_free);
}

static GstStateChangeReturn
gst_rift_cvec_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftCvec *self = GST_RIFT_CVEC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_cvec_start (self)) {
    gst_rift_cvec_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_cvec_stop (self);
  return ret;
}
