/* gstriftf0.c — riftf0: estimates the f0 of each segment with RMVPE, as
 * infer.py does (resampled to 16 kHz, network, decode, post-processed onto
 * the 44.1 kHz / 512 mel grid, with --robust-f0 checked against DIO and
 * Praat, key-shifted), and adds it to the segment's buffer as `f0`
 * (docs/design.md "Feature buffers", docs/elements.md,
 * docs/feature-extractors.md, docs/robust-f0.md). The computation is the
 * engine's (engine/models/rmvpe.h, engine/f0/robust-f0.h); this file only
 * handles the properties and the calls, the rest is GstRiftSegmentFilter's
 * (gstriftsegmentfilter.h).
 * Tested by tests/gst/test-riftf0.c (GstHarness, against direct
 * rift_rmvpe_f0_44k calls and the RMVPE fixtures),
 * tests/gst/test-features-pipeline.c and, for robust-f0, by
 * tests/gst/test-robust-f0-e2e.c. */

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
 * the timestamps, offsets and flags are kept. With #GstRiftF0:robust-f0
 * set, RMVPE's f0 is first checked against two CPU pitch trackers (WORLD's
 * DIO and Praat's autocorrelation) as infer.py --robust-f0 does.
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

#include "rmvpe.h"
#include "robust-f0.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_f0_debug);
#define GST_CAT_DEFAULT gst_rift_f0_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_KEY_SHIFT 0.0
#define DEFAULT_VOICING_THRESHOLD RIFT_RMVPE_THRED
#define DEFAULT_ROBUST_F0 0

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
  PROP_ROBUST_F0,
};

struct _GstRiftF0
{
  GstRiftSegmentFilter parent;

  /* properties, under the object lock: the streaming thread reads
   * key_shift, voicing_threshold and robust_f0 for every segment */
  gchar *model;
  gdouble key_shift;
  gfloat voicing_threshold;
  gint robust_f0;

  /* infer.py's robust-f0 settings, fixed */
  rift_robust_f0_params robust_params;

  /* from READY->PAUSED to PAUSED->READY */
  rift_rmvpe *rmvpe;
  gboolean warned_live;         /* streaming thread */
};

#define gst_rift_f0_parent_class parent_class
G_DEFINE_TYPE (GstRiftF0, gst_rift_f0, GST_TYPE_RIFT_SEGMENT_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftf0, "riftf0", GST_RANK_NONE,
    GST_TYPE_RIFT_F0, GST_DEBUG_CATEGORY_INIT (gst_rift_f0_debug, "riftf0",
        0, "RIFT-SVC f0 (RMVPE)"));

static void gst_rift_f0_finalize (GObject * object);
static void gst_rift_f0_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_f0_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_rift_f0_start (GstRiftSegmentFilter * filter,
    const gchar * model, rift_backend * backend, GError ** error);
static void gst_rift_f0_stop (GstRiftSegmentFilter * filter);
static gboolean gst_rift_f0_process (GstRiftSegmentFilter * filter,
    GstBuffer * segment, gfloat * f0, GError ** error);

static void
gst_rift_f0_class_init (GstRiftF0Class * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRiftSegmentFilterClass *filter_class =
      GST_RIFT_SEGMENT_FILTER_CLASS (klass);

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
   * GstRiftF0:robust-f0:
   *
   * infer.py's --robust-f0: checks RMVPE's f0 against WORLD's DIO (with
   * StoneMask) and Praat's autocorrelation pitch, as upstream does.
   * 0 (upstream's default) uses RMVPE alone. 1 only fills frames that RMVPE
   * calls unvoiced while the voice is loud (rms above 0.05) and another
   * tracker hears a pitch: it mends sudden gaps in the converted voice and
   * keeps RMVPE's expression. 2 takes the median of the three trackers and
   * replaces outliers by a 41-frame (0.48 s) median: it removes abnormal
   * pitch jumps but smooths vibrato and ornaments away. DIO and Praat run in
   * double on the CPU over the whole segment whatever the backend, which
   * adds their time to each segment's latency (docs/robust-f0.md); riftf0
   * warns when a live pipeline has it set.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ROBUST_F0,
      g_param_spec_int ("robust-f0", "Robust f0",
          "Check RMVPE's pitch with the DIO and Praat trackers (infer.py"
          " --robust-f0): 0 = off, RMVPE alone; 1 = light, only fills frames"
          " RMVPE calls unvoiced in loud singing (mends sudden gaps, keeps the"
          " expression); 2 = aggressive, the trackers' median smoothed over"
          " 0.5 s (removes pitch jumps, may flatten vibrato). Runs on the CPU:"
          " adds latency. Takes effect at the next segment",
          0, RIFT_ROBUST_F0_MAX_LEVEL, DEFAULT_ROBUST_F0,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /* riftf0 only needs the segment's audio, so it may come before or after
   * riftcvec (robust-f0=1 also reads the rms that riftmel adds with it) */
  gst_rift_segment_filter_class_set_features (filter_class,
      GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_AUDIO), GST_RIFT_FEATURE_F0);
  filter_class->model_hint =
      "an RMVPE checkpoint (upstream's pretrained/rmvpe/model.pt)";

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC f0 (RMVPE)", "Filter/Analyzer/Audio",
      "Estimates the f0 of each segment with RMVPE, as RIFT-SVC's infer.py"
      " does, and adds it to the feature buffer on the mel frame grid",
      "gst-rift developers");

  filter_class->start = GST_DEBUG_FUNCPTR (gst_rift_f0_start);
  filter_class->stop = GST_DEBUG_FUNCPTR (gst_rift_f0_stop);
  filter_class->process = GST_DEBUG_FUNCPTR (gst_rift_f0_process);
}

static void
gst_rift_f0_init (GstRiftF0 * self)
{
  self->model = g_strdup (DEFAULT_MODEL);
  self->key_shift = DEFAULT_KEY_SHIFT;
  self->voicing_threshold = DEFAULT_VOICING_THRESHOLD;
  self->robust_f0 = DEFAULT_ROBUST_F0;
  rift_robust_f0_params_init (&self->robust_params);
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
    case PROP_ROBUST_F0:
      self->robust_f0 = g_value_get_int (value);
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
    case PROP_ROBUST_F0:
      g_value_set_int (value, self->robust_f0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* RMVPE's f0 of audio [n] into f [T], in double, before the key shift; a
 * segment too short for RMVPE is unvoiced (0). */
static gboolean
gst_rift_f0_rmvpe (GstRiftF0 * self, const gfloat * audio, gint64 n,
    gint64 T, gfloat thred, gdouble * f, GstClockTime pts, GError ** error)
{
  if (RMVPE_16K (n) < RMVPE_MIN_SAMPLES_16K) {
    GST_DEBUG_OBJECT (self, "segment of %" G_GINT64_FORMAT " samples at %"
        GST_TIME_FORMAT " is too short for RMVPE: unvoiced", n,
        GST_TIME_ARGS (pts));
    memset (f, 0, T * sizeof (gdouble));
    return TRUE;
  }
  return rift_rmvpe_f0_44k_f64 (self->rmvpe, audio, n, thred, f, error);
}

/* infer.py --robust-f0 `level` on the segment: RMVPE's f [T] checked
 * against DIO and Praat on its audio [n] (and, at level 1, gated by its
 * rms), in place. */
static gboolean
gst_rift_f0_robust (GstRiftF0 * self, GstBuffer * segment,
    const gfloat * audio, gint64 n, gint64 T, gint level, gdouble * f,
    GError ** error)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (self);
  const GstRiftFeatureInfo *info;
  GstMapInfo rms_map = { 0 };
  gdouble *x, *rmvpe;
  gint64 i;
  gboolean ok;

  if (!self->warned_live && gst_rift_segment_filter_is_live (filter)) {
    self->warned_live = TRUE;
    GST_ELEMENT_WARNING (self, CORE, CLOCK,
        ("riftf0 has robust-f0=%d in a live pipeline: DIO and Praat run on"
            " the CPU over each whole segment after RMVPE, which adds their"
            " time to the latency (docs/robust-f0.md). Set robust-f0=0 for"
            " the lowest latency.", level), (NULL));
  }

  if (level == 1) {
    if (!gst_rift_features_map (segment, GST_RIFT_FEATURE_RMS, &rms_map,
            GST_MAP_READ, &info)) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "riftf0 robust-f0=1 gates on the segment's rms, and the buffer has"
          " none: put riftmel before riftf0");
      return FALSE;
    }
    if (info->dtype != RIFT_F32 || info->frames != T || info->width != 1) {
      g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "riftf0 robust-f0=1: the segment's rms is %s [%" G_GINT64_FORMAT
          ", %" G_GINT64_FORMAT "], expected F32 [%" G_GINT64_FORMAT ", 1]",
          rift_dtype_name (info->dtype), info->frames, info->width, T);
      gst_memory_unmap (rms_map.memory, &rms_map);
      return FALSE;
    }
  }

  /* DIO and Praat take the audio in double, as upstream's float64
   * normalised audio; ours was rounded to float32 (docs/robust-f0.md) */
  x = g_new (gdouble, n);
  for (i = 0; i < n; i++)
    x[i] = audio[i];
  rmvpe = g_memdup2 (f, T * sizeof (gdouble));
  ok = rift_robust_f0 (x, n, rmvpe, level == 1 ? (const gfloat *) rms_map.data
      : NULL, T, level, &self->robust_params, f, error);
  if (rms_map.memory != NULL)
    gst_memory_unmap (rms_map.memory, &rms_map);
  g_free (rmvpe);
  g_free (x);
  return ok;
}

/* The f0 [T] of a segment of T > 0 frames into `f0`, with the properties
 * read now (the base synced controlled ones to the segment's stream
 * time). */
static gboolean
gst_rift_f0_process (GstRiftSegmentFilter * filter, GstBuffer * segment,
    gfloat * f0, GError ** error)
{
  GstRiftF0 *self = GST_RIFT_F0 (filter);
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (segment);
  const gint64 n = meta->n_samples, T = meta->n_frames;
  GstClockTime pts = GST_BUFFER_PTS (segment);
  gdouble key_shift, *f;
  gfloat thred;
  gint robust;
  GstMapInfo map;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  key_shift = self->key_shift;
  thred = self->voicing_threshold;
  robust = self->robust_f0;
  GST_OBJECT_UNLOCK (self);

  if (!gst_rift_features_map (segment, GST_RIFT_FEATURE_AUDIO, &map,
          GST_MAP_READ, NULL)) {
    g_set_error (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftf0 could not map the audio of the segment at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (pts));
    return FALSE;
  }
  f = g_new (gdouble, T);
  ok = gst_rift_f0_rmvpe (self, (const gfloat *) map.data, n, T, thred, f,
      pts, error);
  if (ok && robust > 0)
    ok = gst_rift_f0_robust (self, segment, (const gfloat *) map.data, n, T,
        robust, f, error);
  gst_memory_unmap (map.memory, &map);
  /* infer.py shifts the key after the ensemble */
  if (ok)
    rift_f0_key_shift (f, T, key_shift, f0);
  g_free (f);
  GST_LOG_OBJECT (self, "key-shift %g, voicing-threshold %g, robust-f0 %d",
      key_shift, thred, robust);
  return ok;
}

/* ---- states ---- */

static gboolean
gst_rift_f0_start (GstRiftSegmentFilter * filter, const gchar * model,
    rift_backend * backend, GError ** error)
{
  GstRiftF0 *self = GST_RIFT_F0 (filter);
  const rift_rmvpe_hparams *hp;

  self->rmvpe = rift_rmvpe_load_file (model, backend, error);
  if (self->rmvpe == NULL)
    return FALSE;
  self->warned_live = FALSE;

  hp = rift_rmvpe_get_hparams (self->rmvpe);
  GST_INFO_OBJECT (self, "model %s: %" G_GINT64_FORMAT " levels of %"
      G_GINT64_FORMAT " blocks, %" G_GINT64_FORMAT " channels, %"
      G_GINT64_FORMAT " pitch bins, on %s", model, hp->en_de_layers,
      hp->n_blocks, hp->en_out_channels, hp->n_classes,
      rift_backend_describe (backend));
  return TRUE;
}

static void
gst_rift_f0_stop (GstRiftSegmentFilter * filter)
{
  g_clear_pointer (&GST_RIFT_F0 (filter)->rmvpe, rift_rmvpe_free);
}
