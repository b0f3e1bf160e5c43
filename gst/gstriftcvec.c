/* gstriftcvec.c — riftcvec: computes each segment's content vectors with
 * ContentVec, as infer.py does (the segment resampled to 16 kHz with soxr
 * HQ as librosa does, HuBERT's last_hidden_state, linearly interpolated onto
 * the mel frames), and adds them to the segment's buffer as `cvec`
 * (docs/design.md "Feature buffers", docs/elements.md,
 * docs/feature-extractors.md). The computation is the engine's
 * (engine/models/contentvec.h, engine/resample-soxr.h, engine/interp.h);
 * this file only handles the property and the calls, the rest is
 * GstRiftSegmentFilter's (gstriftsegmentfilter.h).
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

#include "contentvec.h"
#include "interp.h"
#include "resample-soxr.h"

GST_DEBUG_CATEGORY_STATIC (gst_rift_cvec_debug);
#define GST_CAT_DEFAULT gst_rift_cvec_debug

#define DEFAULT_MODEL NULL

/* ContentVec's input rate (infer.py: librosa.resample(..., target_sr=16000)) */
#define CVEC_RATE 16000

enum
{
  PROP_0,
  PROP_MODEL,
};

struct _GstRiftCvec
{
  GstRiftSegmentFilter parent;

  /* properties, under the object lock */
  gchar *model;

  /* from READY->PAUSED to PAUSED->READY */
  rift_contentvec *cv;
};

#define gst_rift_cvec_parent_class parent_class
G_DEFINE_TYPE (GstRiftCvec, gst_rift_cvec, GST_TYPE_RIFT_SEGMENT_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftcvec, "riftcvec", GST_RANK_NONE,
    GST_TYPE_RIFT_CVEC, GST_DEBUG_CATEGORY_INIT (gst_rift_cvec_debug,
        "riftcvec", 0, "RIFT-SVC content vectors (ContentVec)"));

static void gst_rift_cvec_finalize (GObject * object);
static void gst_rift_cvec_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_cvec_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_rift_cvec_start (GstRiftSegmentFilter * filter,
    const gchar * model, rift_backend * backend, GError ** error);
static void gst_rift_cvec_stop (GstRiftSegmentFilter * filter);
static gint64 gst_rift_cvec_get_added_width (GstRiftSegmentFilter * filter);
static gboolean gst_rift_cvec_process (GstRiftSegmentFilter * filter,
    GstBuffer * segment, gfloat * cvec, GError ** error);

static void
gst_rift_cvec_class_init (GstRiftCvecClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRiftSegmentFilterClass *filter_class =
      GST_RIFT_SEGMENT_FILTER_CLASS (klass);

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

  /* riftcvec only needs the segment's audio, so it may come before or
   * after riftf0 */
  gst_rift_segment_filter_class_set_features (filter_class,
      GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_AUDIO), GST_RIFT_FEATURE_CVEC);
  filter_class->model_hint = "a ContentVec model directory (config.json"
      " with pytorch_model.bin or model.safetensors, e.g. content-vec-best)";

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC content vectors (ContentVec)", "Filter/Analyzer/Audio",
      "Computes the content vectors of each segment with ContentVec, as"
      " RIFT-SVC's infer.py does, and adds them to the feature buffer on the"
      " mel frame grid", "gst-rift developers");

  filter_class->start = GST_DEBUG_FUNCPTR (gst_rift_cvec_start);
  filter_class->stop = GST_DEBUG_FUNCPTR (gst_rift_cvec_stop);
  filter_class->get_added_width =
      GST_DEBUG_FUNCPTR (gst_rift_cvec_get_added_width);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_rift_cvec_process);
}

static void
gst_rift_cvec_init (GstRiftCvec * self)
{
  self->model = g_strdup (DEFAULT_MODEL);
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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- streaming ---- */

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

/* The content vectors [T, hidden] of a segment of T > 0 frames. */
static gboolean
gst_rift_cvec_process (GstRiftSegmentFilter * filter, GstBuffer * segment,
    gfloat * cvec, GError ** error)
{
  GstRiftCvec *self = GST_RIFT_CVEC (filter);
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (segment);
  GstMapInfo audio;
  gboolean ok;

  if (!gst_rift_features_map (segment, GST_RIFT_FEATURE_AUDIO, &audio,
          GST_MAP_READ, NULL)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftcvec could not map the audio of the segment at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (segment)));
    return FALSE;
  }
  ok = gst_rift_cvec_compute (self, (const gfloat *) audio.data,
      meta->n_samples, meta->n_frames, cvec, error);
  gst_memory_unmap (audio.memory, &audio);
  return ok;
}

/* the model's hidden size, which is also the src caps' cvec-dim */
static gint64
gst_rift_cvec_get_added_width (GstRiftSegmentFilter * filter)
{
  return rift_contentvec_get_hparams (GST_RIFT_CVEC (filter)->cv)->hidden;
}

/* ---- states ---- */

static gboolean
gst_rift_cvec_start (GstRiftSegmentFilter * filter, const gchar * model,
    rift_backend * backend, GError ** error)
{
  GstRiftCvec *self = GST_RIFT_CVEC (filter);
  const rift_contentvec_hparams *hp;

  self->cv = rift_contentvec_load_dir (model, backend, error);
  if (self->cv == NULL)
    return FALSE;

  hp = rift_contentvec_get_hparams (self->cv);
  GST_INFO_OBJECT (self, "model %s: hidden size %" G_GINT64_FORMAT ", %"
      G_GINT64_FORMAT " layers, %" G_GINT64_FORMAT " heads, on %s", model,
      hp->hidden, hp->n_layers, hp->n_heads, rift_backend_describe (backend));
  return TRUE;
}

static void
gst_rift_cvec_stop (GstRiftSegmentFilter * filter)
{
  g_clear_pointer (&GST_RIFT_CVEC (filter)->cv, rift_contentvec_free);
}
