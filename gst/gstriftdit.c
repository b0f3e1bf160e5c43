/* gstriftdit.c — riftdit: converts each segment's features (source mel, rms,
 * f0, content vectors) into the target speaker's mel with RIFT-SVC's DiT and
 * rectified-flow sampler, and adds it to the segment's buffer as `outmel`
 * (docs/design.md "Feature buffers", docs/elements.md, docs/dit.md).
 * The sampling is the engine's (engine/models/rf.h); this file only handles
 * the properties, the padding and noise of a batch and the call, the rest
 * (caps, holding segments for a batch, latency, errors) is
 * GstRiftSegmentFilter's (gstriftsegmentfilter.h).
 * Tested by tests/gst/test-riftdit.c (GstHarness, against direct
 * rift_rf_sample calls). */

/**
 * SECTION:element-riftdit
 * @title: riftdit
 *
 * riftdit is the conversion stage of the rift feature chain
 * (`riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder`). For each
 * `application/x-rift-features` buffer (one segment of T frames) it reads
 * the source log-mel, RMS, f0 and content vectors, samples RIFT-SVC's
 * rectified flow from seeded noise with the DiT of #GstRiftDit:model,
 * guided as upstream's infer.py does, towards #GstRiftDit:speaker, and
 * appends the converted log-mel (F32 [T, 128]) as the `outmel` feature.
 * Every other memory, the timestamps, offsets and flags are kept.
 * Buffers flagged GAP pass through untouched.
 *
 * With #GstRiftDit:batch-size N > 1, N segments are sampled together as one
 * batch (faster on a GPU), padded to the longest as infer.py pads them;
 * with #GstRiftDit:batch-by-length, the batches are infer.py's: cut from
 * the whole stream's segments sorted by length.
 *
 * The initial noise of the n-th segment of a stream comes from
 * #GstRiftDit:seed and n (gst/riftnoise.h), so the same input and seed give
 * the same output.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=song.flac ! decodebin ! audioconvert ! audioresample ! riftmel ! riftf0 ! riftcvec ! riftdit model=model.ckpt speaker=alice ! riftvocoder ! autoaudiosink
 * ]| Sings song.flac with the voice of `alice` of model.ckpt.
 *
 * Since: 0.1
 */
#include "gstriftdit.h"
#include "riftnoise.h"

#include "dit.h"
#include "interp.h"
#include "rf.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_dit_debug);
#define GST_CAT_DEFAULT gst_rift_dit_debug

/* infer.py's code defaults (docs/dit.md "Defaults") */
#define DEFAULT_MODEL NULL
#define DEFAULT_SPEAKER NULL
#define DEFAULT_INFER_STEPS 32
#define DEFAULT_DS_CFG_STRENGTH 0.2f
#define DEFAULT_SPK_CFG_STRENGTH 0.8f
#define DEFAULT_SKIP_CFG_STRENGTH 0.0f
#define DEFAULT_CFG_SKIP_LAYERS ""
#define DEFAULT_CFG_RESCALE 0.7f
#define DEFAULT_CVEC_DOWNSAMPLE_RATE 2
#define DEFAULT_BATCH_SIZE 1
#define DEFAULT_BATCH_BY_LENGTH FALSE
#define DEFAULT_SEED 0
#define DEFAULT_NOISE_SCALE 1.0f
#define DEFAULT_PRECISION RIFT_PRECISION_FP32
#define MAX_INFER_STEPS 1000
#define MAX_BATCH_SIZE 64

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_SPEAKER,
  PROP_SPEAKERS,
  PROP_INFER_STEPS,
  PROP_DS_CFG_STRENGTH,
  PROP_SPK_CFG_STRENGTH,
  PROP_SKIP_CFG_STRENGTH,
  PROP_CFG_SKIP_LAYERS,
  PROP_CFG_RESCALE,
  PROP_CVEC_DOWNSAMPLE_RATE,
  PROP_BATCH_SIZE,
  PROP_BATCH_BY_LENGTH,
  PROP_SEED,
  PROP_NOISE_SCALE,
  PROP_PRECISION,
};

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define NEEDED_FEATURES (F (AUDIO) | F (MEL) | F (RMS) | F (F0) | F (CVEC))

struct _GstRiftDit
{
  GstRiftSegmentFilter parent;

  /* properties, under the object lock: the streaming thread takes a copy
   * of them when a batch starts */
  gchar *model;
  gchar *speaker;
  gint infer_steps;
  gfloat ds_cfg_strength;
  gfloat spk_cfg_strength;
  gfloat skip_cfg_strength;
  gchar *cfg_skip_layers;
  gfloat cfg_rescale;
  gint cvec_downsample_rate;
  gint batch_size;
  gboolean batch_by_length;
  guint64 seed;
  gfloat noise_scale;
  rift_precision precision;
  gchar *speakers;              /* "alice, bob, carol" of the last model loaded */

  /* from READY->PAUSED to PAUSED->READY */
  rift_dit *dit;
};

/* What a batch is sampled with: the properties when it starts, checked. */
typedef struct
{
  rift_rf_params rf;
  gint64 speaker;
  gint cvec_downsample_rate;
  guint64 seed;
  gfloat noise_scale;
} GstRiftDitSettings;

#define GST_TYPE_RIFT_PRECISION (gst_rift_precision_get_type ())
static GType
gst_rift_precision_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    {RIFT_PRECISION_FP32, "float32 throughout (exact to upstream)", "fp32"},
    {RIFT_PRECISION_BF16, "bfloat16 products, float32 sums (CPUs with"
          " AVX512-BF16, GPUs)", "bf16"},
    {RIFT_PRECISION_FP16, "float16 products, float32 sums (GPUs)", "fp16"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstRiftPrecision", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define gst_rift_dit_parent_class parent_class
G_DEFINE_TYPE (GstRiftDit, gst_rift_dit, GST_TYPE_RIFT_SEGMENT_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftdit, "riftdit", GST_RANK_NONE,
    GST_TYPE_RIFT_DIT, GST_DEBUG_CATEGORY_INIT (gst_rift_dit_debug, "riftdit",
        0, "RIFT-SVC DiT conversion"));

static void gst_rift_dit_finalize (GObject * object);
static void gst_rift_dit_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_dit_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_rift_dit_start (GstRiftSegmentFilter * filter,
    const gchar * model, rift_backend * backend, GError ** error);
static void gst_rift_dit_stop (GstRiftSegmentFilter * filter);
static gint64 gst_rift_dit_get_added_width (GstRiftSegmentFilter * filter);
static gboolean gst_rift_dit_check_caps (GstRiftSegmentFilter * filter,
    const GstCaps * caps, GstRiftFeatureMask kinds, gint cvec_dim);
static guint gst_rift_dit_get_batch_size (GstRiftSegmentFilter * filter,
    gboolean * by_length);
static gboolean gst_rift_dit_process_batch (GstRiftSegmentFilter * filter,
    GstBuffer * const *segments, gfloat * const *out, guint n,
    const guint64 * numbers, GError ** error);

static void
gst_rift_dit_class_init (GstRiftDitClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstRiftSegmentFilterClass *filter_class =
      GST_RIFT_SEGMENT_FILTER_CLASS (klass);

  gobject_class->finalize = gst_rift_dit_finalize;
  gobject_class->set_property = gst_rift_dit_set_property;
  gobject_class->get_property = gst_rift_dit_get_property;

  /**
   * GstRiftDit:model:
   *
   * The RIFT-SVC checkpoint (the Lightning `.ckpt` training writes, as
   * infer.py's `--model`). Loaded at READY->PAUSED; a missing or wrong file
   * fails that state change with a message naming it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "RIFT-SVC checkpoint (.ckpt) whose voices the singing is converted"
          " to (infer.py --model)", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftDit:speaker:
   *
   * The target voice: one of the names #GstRiftDit:speakers lists (the
   * checkpoint's spk2idx). May be left unset for a model with one speaker.
   * An unknown name is an error at start or at the next batch, listing the
   * model's speakers.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SPEAKER,
      g_param_spec_string ("speaker", "Speaker",
          "Target voice: the name of one of the model's speakers (see"
          " 'speakers'; may be unset when the model has only one). Takes"
          " effect at the next segment", DEFAULT_SPEAKER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:speakers:
   *
   * The speakers of the model, "alice, bob, carol", once it has been loaded
   * (READY->PAUSED); NULL before, and again when #GstRiftDit:model is set to
   * another file.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SPEAKERS,
      g_param_spec_string ("speakers", "Speakers",
          "The voices the loaded model can convert to, comma-separated (NULL"
          " until the model is loaded, at READY->PAUSED)", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstRiftDit:infer-steps:
   *
   * Grid points of the sampler's ODE, both ends included: steps − 1 DiT
   * evaluations per segment (infer.py --infer-steps).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFER_STEPS,
      g_param_spec_int ("infer-steps", "Inference steps",
          "Sampling steps (steps - 1 DiT evaluations per segment): more may"
          " give a cleaner, more detailed sound but take proportionally"
          " longer (infer.py --infer-steps)", 2, MAX_INFER_STEPS,
          DEFAULT_INFER_STEPS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:ds-cfg-strength:
   *
   * Guidance against a downsampled (blurred) copy of the content vectors
   * (infer.py --ds-cfg-strength). Upstream suggests 0.1 to start with.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DS_CFG_STRENGTH,
      g_param_spec_float ("ds-cfg-strength", "Content guidance strength",
          "Guidance against a blurred content vector: emphasises content"
          " fidelity, i.e. clearer words (0 = off; upstream suggests 0.1 to"
          " start with; infer.py --ds-cfg-strength)", 0.0f, G_MAXFLOAT,
          DEFAULT_DS_CFG_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:spk-cfg-strength:
   *
   * Guidance against the model without a speaker (infer.py
   * --spk-cfg-strength). Upstream suggests 0.2 to start with.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SPK_CFG_STRENGTH,
      g_param_spec_float ("spk-cfg-strength", "Speaker guidance strength",
          "Speaker guidance: higher values enhance the target speaker's"
          " timbre (0 = off; upstream suggests 0.2 to start with; infer.py"
          " --spk-cfg-strength)", 0.0f, G_MAXFLOAT, DEFAULT_SPK_CFG_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:skip-cfg-strength:
   *
   * Guidance against the model with #GstRiftDit:cfg-skip-layers skipped
   * (infer.py --skip-cfg-strength); needs those layers. Upstream suggests
   * 0.1 to start with.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SKIP_CFG_STRENGTH,
      g_param_spec_float ("skip-cfg-strength", "Skip-layer guidance strength",
          "Skip-layer guidance: how strongly the features of the layers in"
          " cfg-skip-layers are rendered on the output (0 = off; needs"
          " cfg-skip-layers; upstream suggests 0.1 to start with; infer.py"
          " --skip-cfg-strength)", 0.0f, G_MAXFLOAT,
          DEFAULT_SKIP_CFG_STRENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:cfg-skip-layers:
   *
   * The DiT layers skip-layer guidance skips, as comma-separated indices
   * from 0 ("6", "2,5"); "" for none (infer.py --cfg-skip-layers). A layer
   * outside the model is an error at start or at the next batch.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CFG_SKIP_LAYERS,
      g_param_spec_string ("cfg-skip-layers", "Guidance skip layers",
          "DiT layers (from 0) skipped for skip-layer guidance, e.g. \"6\" or"
          " \"2,5\"; \"\" = none. Upstream suggests half the depth (6 for a"
          " 12-layer model): skipping a layer that carries prosody gives the"
          " output more prosody (infer.py --cfg-skip-layers)",
          DEFAULT_CFG_SKIP_LAYERS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:cfg-rescale:
   *
   * Rescales the guided prediction towards the spread of the unguided one
   * (infer.py --cfg-rescale).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CFG_RESCALE,
      g_param_spec_float ("cfg-rescale", "Guidance rescale",
          "Guidance rescale factor: keeps strong guidance from over-saturating"
          " the sound (0 = off; infer.py --cfg-rescale)", 0.0f, 1.0f,
          DEFAULT_CFG_RESCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:cvec-downsample-rate:
   *
   * How much the content vectors are downsampled to build the negative
   * condition of content guidance (infer.py --cvec-downsample-rate); used
   * only when #GstRiftDit:ds-cfg-strength is on.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CVEC_DOWNSAMPLE_RATE,
      g_param_spec_int ("cvec-downsample-rate", "Content downsample rate",
          "How blurred the content vector that content guidance steers away"
          " from is: higher rates blur it more (used when ds-cfg-strength >"
          " 0; infer.py --cvec-downsample-rate)", 1, G_MAXINT,
          DEFAULT_CVEC_DOWNSAMPLE_RATE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:batch-size:
   *
   * Segments sampled together as one batch (infer.py --batch-size). The
   * output of a segment waits for the batch to fill (or for EOS, a GAP, a
   * caps or segment change); in a live pipeline segments are sampled one
   * at a time whatever this says (with a warning). As upstream, the
   * guidance rescale is computed over the whole batch, so a segment's
   * result depends slightly on the others in its batch.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_int ("batch-size", "Batch size",
          "Segments sampled together: faster on a GPU, needs more memory and"
          " delays output until the batch is full; ignored (1) when live."
          " Changes the sound slightly, as in infer.py --batch-size", 1,
          MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftDit:batch-by-length:
   *
   * Form the batches as infer.py does: hold every segment until the stream
   * ends (EOS; or a GAP event, STREAM_START, a caps or segment change),
   * sort them by length and cut the batches from that order, so that
   * segments of similar length share a batch (less padding) and the
   * output is infer.py's for any number of segments. Off, consecutive
   * segments form a batch as soon as #GstRiftDit:batch-size have come.
   * Only with #GstRiftDit:batch-size > 1; ignored when live.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_BY_LENGTH,
      g_param_spec_boolean ("batch-by-length", "Batch by length",
          "Hold the stream's segments until it ends and batch them sorted by"
          " length, as infer.py --batch-size (no output before the end);"
          " off: consecutive segments form a batch as soon as it is full",
          DEFAULT_BATCH_BY_LENGTH,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftDit:seed:
   *
   * Seed of the sampler's initial noise. The noise of the n-th segment
   * (counted from 0 at start, STREAM_START and FLUSH_STOP) comes from
   * gst_rift_noise_init (seed, n) (gst/riftnoise.h), so the same input and
   * seed give the same output.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the initial noise: the same input and seed give the same"
          " sound; another seed gives another take of the same conversion",
          0, G_MAXUINT64, DEFAULT_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftDit:noise-scale:
   *
   * Standard deviation of the initial noise. 1 is what the model was
   * trained for (upstream's torch.randn); 0 starts from zeros, which makes
   * the conversion independent of the seed.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_NOISE_SCALE,
      g_param_spec_float ("noise-scale", "Noise scale",
          "Standard deviation of the initial noise: 1 = as trained (upstream);"
          " lower values give a flatter, less detailed sound; 0 = start from"
          " zeros, the same output for every seed", 0.0f, G_MAXFLOAT,
          DEFAULT_NOISE_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftDit:precision:
   *
   * Number format of the transformer blocks' matrix products, nearly all
   * of the work: fp32 reproduces upstream's float32 results; bf16 and fp16
   * round the products' inputs and weights to 16 bits and sum in float32,
   * which hardware made for it multiplies about twice as fast (bf16: CPUs
   * with AVX512-BF16, as upstream's CPU bfloat16 autocast; bf16 and fp16:
   * NVIDIA GPUs' tensor cores); a whole CPU step gains less. The output differs slightly from fp32
   * (docs/performance.md). A precision the backend cannot run at full
   * speed is an error at start.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PRECISION,
      g_param_spec_enum ("precision", "Precision",
          "Number format of the DiT's matrix products: fp32 = as upstream;"
          " bf16/fp16 = 16-bit products with float32 sums, twice as fast"
          " on hardware made for them (bf16: AVX512-BF16 CPUs and GPUs, fp16:"
          " GPUs), very slightly different sound",
          GST_TYPE_RIFT_PRECISION, DEFAULT_PRECISION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_rift_segment_filter_class_set_features (filter_class, NEEDED_FEATURES,
      GST_RIFT_FEATURE_OUTMEL);
  filter_class->model_hint = "a RIFT-SVC checkpoint (.ckpt)";

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC DiT conversion", "Filter/Converter/Audio",
      "Converts each segment's source mel, f0, RMS and content vectors into"
      " the target speaker's mel with RIFT-SVC's DiT and rectified-flow"
      " sampler, and adds it to the feature buffer", "gst-rift developers");

  filter_class->start = GST_DEBUG_FUNCPTR (gst_rift_dit_start);
  filter_class->stop = GST_DEBUG_FUNCPTR (gst_rift_dit_stop);
  filter_class->get_added_width =
      GST_DEBUG_FUNCPTR (gst_rift_dit_get_added_width);
  filter_class->check_caps = GST_DEBUG_FUNCPTR (gst_rift_dit_check_caps);
  filter_class->get_batch_size =
      GST_DEBUG_FUNCPTR (gst_rift_dit_get_batch_size);
  filter_class->process_batch = GST_DEBUG_FUNCPTR (gst_rift_dit_process_batch);
}

static void
gst_rift_dit_init (GstRiftDit * self)
{
  self->model = g_strdup (DEFAULT_MODEL);
  self->speaker = g_strdup (DEFAULT_SPEAKER);
  self->infer_steps = DEFAULT_INFER_STEPS;
  self->ds_cfg_strength = DEFAULT_DS_CFG_STRENGTH;
  self->spk_cfg_strength = DEFAULT_SPK_CFG_STRENGTH;
  self->skip_cfg_strength = DEFAULT_SKIP_CFG_STRENGTH;
  self->cfg_skip_layers = g_strdup (DEFAULT_CFG_SKIP_LAYERS);
  self->cfg_rescale = DEFAULT_CFG_RESCALE;
  self->cvec_downsample_rate = DEFAULT_CVEC_DOWNSAMPLE_RATE;
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->batch_by_length = DEFAULT_BATCH_BY_LENGTH;
  self->seed = DEFAULT_SEED;
  self->noise_scale = DEFAULT_NOISE_SCALE;
  self->precision = DEFAULT_PRECISION;
}

static void
gst_rift_dit_finalize (GObject * object)
{
  GstRiftDit *self = GST_RIFT_DIT (object);

  g_free (self->model);
  g_free (self->speaker);
  g_free (self->cfg_skip_layers);
  g_free (self->speakers);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_dit_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftDit *self = GST_RIFT_DIT (object);
  gboolean speakers_changed = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      /* the speakers are those of the model last loaded */
      if (g_strcmp0 (self->model, g_value_get_string (value)) != 0
          && self->speakers) {
        g_clear_pointer (&self->speakers, g_free);
        speakers_changed = TRUE;
      }
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_SPEAKER:
      g_free (self->speaker);
      self->speaker = g_value_dup_string (value);
      break;
    case PROP_INFER_STEPS:
      self->infer_steps = g_value_get_int (value);
      break;
    case PROP_DS_CFG_STRENGTH:
      self->ds_cfg_strength = g_value_get_float (value);
      break;
    case PROP_SPK_CFG_STRENGTH:
      self->spk_cfg_strength = g_value_get_float (value);
      break;
    case PROP_SKIP_CFG_STRENGTH:
      self->skip_cfg_strength = g_value_get_float (value);
      break;
    case PROP_CFG_SKIP_LAYERS:
      g_free (self->cfg_skip_layers);
      self->cfg_skip_layers = g_value_dup_string (value);
      break;
    case PROP_CFG_RESCALE:
      self->cfg_rescale = g_value_get_float (value);
      break;
    case PROP_CVEC_DOWNSAMPLE_RATE:
      self->cvec_downsample_rate = g_value_get_int (value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_int (value);
      break;
    case PROP_BATCH_BY_LENGTH:
      self->batch_by_length = g_value_get_boolean (value);
      break;
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_NOISE_SCALE:
      self->noise_scale = g_value_get_float (value);
      break;
    case PROP_PRECISION:
      self->precision = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  if (speakers_changed)
    g_object_notify (object, "speakers");
}

static void
gst_rift_dit_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRiftDit *self = GST_RIFT_DIT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_SPEAKER:
      g_value_set_string (value, self->speaker);
      break;
    case PROP_SPEAKERS:
      g_value_set_string (value, self->speakers);
      break;
    case PROP_INFER_STEPS:
      g_value_set_int (value, self->infer_steps);
      break;
    case PROP_DS_CFG_STRENGTH:
      g_value_set_float (value, self->ds_cfg_strength);
      break;
    case PROP_SPK_CFG_STRENGTH:
      g_value_set_float (value, self->spk_cfg_strength);
      break;
    case PROP_SKIP_CFG_STRENGTH:
      g_value_set_float (value, self->skip_cfg_strength);
      break;
    case PROP_CFG_SKIP_LAYERS:
      g_value_set_string (value, self->cfg_skip_layers);
      break;
    case PROP_CFG_RESCALE:
      g_value_set_float (value, self->cfg_rescale);
      break;
    case PROP_CVEC_DOWNSAMPLE_RATE:
      g_value_set_int (value, self->cvec_downsample_rate);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_int (value, self->batch_size);
      break;
    case PROP_BATCH_BY_LENGTH:
      g_value_set_boolean (value, self->batch_by_length);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_NOISE_SCALE:
      g_value_set_float (value, self->noise_scale);
      break;
    case PROP_PRECISION:
      g_value_set_enum (value, self->precision);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- settings ---- */

/* "" -> none, "6", "2,5", " 2, 5 " -> the layer numbers; FALSE with `err`
 * when the string is not a list of integers. Ranges are checked by
 * rift_rf_params_check, which knows the model's depth. */
static gboolean
parse_skip_layers (const gchar * str, rift_rf_params * rf, GError ** err)
{
  gchar **parts;
  gboolean ok = TRUE;
  guint i;

  rf->n_cfg_skip = 0;
  if (str == NULL || str[strspn (str, " \t")] == '\0')
    return TRUE;

  parts = g_strsplit (str, ",", -1);
  for (i = 0; ok && parts[i]; i++) {
    gint64 layer;

    if (rf->n_cfg_skip == RIFT_RF_MAX_SKIP
        || !g_ascii_string_to_signed (g_strstrip (parts[i]), 10, G_MININT,
            G_MAXINT, &layer, NULL))
      ok = FALSE;
    else
      rf->cfg_skip_layers[rf->n_cfg_skip++] = (gint) layer;
  }
  g_strfreev (parts);
  if (!ok)
    g_set_error (err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        "cfg-skip-layers '%s': expected layer numbers separated by commas"
        " (at most %d), e.g. \"6\" or \"2,5\"", str, RIFT_RF_MAX_SKIP);
  return ok;
}

/* The properties a batch is sampled with, checked against the model:
 * FALSE with `err` (an unknown speaker, a layer outside the model, ...), a
 * GST_LIBRARY_ERROR_SETTINGS so that it is posted as one. */
static gboolean
gst_rift_dit_get_settings (GstRiftDit * self, GstRiftDitSettings * s,
    GError ** err)
{
  gchar *speaker, *layers;
  GError *local = NULL;
  gboolean ok;

  s->rf = rift_rf_params_default ();
  GST_OBJECT_LOCK (self);
  s->rf.steps = self->infer_steps;
  s->rf.ds_cfg_strength = self->ds_cfg_strength;
  s->rf.spk_cfg_strength = self->spk_cfg_strength;
  s->rf.skip_cfg_strength = self->skip_cfg_strength;
  s->rf.cfg_rescale = self->cfg_rescale;
  s->cvec_downsample_rate = self->cvec_downsample_rate;
  s->seed = self->seed;
  s->noise_scale = self->noise_scale;
  speaker = g_strdup (self->speaker);
  layers = g_strdup (self->cfg_skip_layers);
  GST_OBJECT_UNLOCK (self);

  ok = parse_skip_layers (layers, &s->rf, &local)
      && rift_rf_params_check (&s->rf, rift_dit_get_hparams (self->dit),
      &local);
  if (ok && (speaker == NULL || *speaker == '\0')) {
    /* infer.py requires --speaker; a one-voice model needs no name */
    if (rift_dit_get_hparams (self->dit)->n_speakers == 1) {
      s->speaker = 0;
    } else {
      gchar *list = rift_dit_speaker_list (self->dit);

      g_set_error (&local, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no speaker set: set speaker to one of this model's speakers: %s",
          list);
      g_free (list);
      ok = FALSE;
    }
  } else if (ok) {
    s->speaker = rift_dit_lookup_speaker (self->dit, speaker, &local);
    ok = s->speaker >= 0;
  }
  g_free (speaker);
  g_free (layers);
  if (!ok) {
    g_set_error_literal (err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
        local->message);
    g_error_free (local);
  }
  return ok;
}

/* ---- streaming ---- */

/* Copies a feature of `buffer` (checked by the base) to
 * `dst`. */
static void
copy_feature (GstBuffer * buffer, GstRiftFeatureKind kind, gfloat * dst)
{
  GstMapInfo map;

  if (gst_rift_features_map (buffer, kind, &map, GST_MAP_READ, NULL)) {
    memcpy (dst, map.data, map.size);
    gst_memory_unmap (map.memory, &map);
  }
}

/* Samples `n` segments as one batch, as infer.py does; T = 0 segments take
 * no part. Segment number k draws its noise from stream k. Each sampled
 * segment's meta records the batch's padded length, with which riftvocoder
 * vocodes it. */
static gboolean
gst_rift_dit_process_batch (GstRiftSegmentFilter * filter,
    GstBuffer * const *segments, gfloat * const *out, guint n,
    const guint64 * numbers, GError ** error)
{
  GstRiftDit *self = GST_RIFT_DIT (filter);
  const rift_dit_hparams *hp = rift_dit_get_hparams (self->dit);
  const gint64 M = hp->n_mels, C = hp->cvec_dim;
  GstRiftDitSettings s;
  gint64 B = 0, T = 0, b;
  gboolean ds, ok;
  gfloat *src_mel, *f0, *rms, *cvec, *bad_cvec, *y0, *sampled;
  gint64 *spk;
  gint32 *frame_len;
  guint i;

  if (!gst_rift_dit_get_settings (self, &s, error))
    return FALSE;
  ds = s.rf.ds_cfg_strength > 1e-5f;

  for (i = 0; i < n; i++) {
    GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (segments[i]);

    if (meta->n_frames > 0)
      B++;
    T = MAX (T, (gint64) meta->n_frames);
  }

  /* infer.py's pad_tensor_to_length: every input zero-padded to the
   * longest segment; each item's frame_len masks its padding */
  src_mel = g_new0 (gfloat, B * T * M);
  f0 = g_new0 (gfloat, B * T);
  rms = g_new0 (gfloat, B * T);
  cvec = g_new0 (gfloat, B * T * C);
  bad_cvec = ds ? g_new0 (gfloat, B * T * C) : NULL;
  y0 = g_new0 (gfloat, B * T * M);
  sampled = g_new (gfloat, B * T * M);
  spk = g_new (gint64, B);
  frame_len = g_new (gint32, B);

  for (i = 0, b = 0; i < n; i++) {
    GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (segments[i]);
    const gint64 Tb = meta->n_frames;
    GstRiftNoise noise;

    GST_DEBUG_OBJECT (self, "segment %" G_GUINT64_FORMAT ": T=%"
        G_GINT64_FORMAT " (%" G_GUINT64_FORMAT " samples) at %"
        GST_TIME_FORMAT, numbers[i], Tb, meta->n_samples,
        GST_TIME_ARGS (GST_BUFFER_PTS (segments[i])));
    if (Tb == 0)
      continue;
    copy_feature (segments[i], GST_RIFT_FEATURE_MEL, src_mel + b * T * M);
    copy_feature (segments[i], GST_RIFT_FEATURE_F0, f0 + b * T);
    copy_feature (segments[i], GST_RIFT_FEATURE_RMS, rms + b * T);
    copy_feature (segments[i], GST_RIFT_FEATURE_CVEC, cvec + b * T * C);
    if (ds)
      rift_bad_cvec (bad_cvec + b * T * C, cvec + b * T * C, Tb, C,
          s.cvec_downsample_rate);
    gst_rift_noise_init (&noise, s.seed, numbers[i]);
    gst_rift_noise_fill (&noise, y0 + b * T * M, Tb * M, s.noise_scale);
    spk[b] = s.speaker;
    frame_len[b] = (gint32) Tb;
    b++;
  }

  {
    rift_rf_input in = {
      .B = B,.T = T,.src_mel = src_mel,.spk = spk,.f0 = f0,.rms = rms,
      .cvec = cvec,.bad_cvec = bad_cvec,.frame_len = frame_len,.y0 = y0,
    };

    ok = rift_rf_sample (self->dit, &s.rf, &in, sampled, NULL, error);
  }
  /* each segment's outmel cut back to its own T; its rows beyond T in the
   * batch are the zero source mel (rf.py's torch.where (mask, out,
   * src_mel)), which riftvocoder puts back from batch_frames */
  for (i = 0, b = 0; ok && i < n; i++) {
    if (out[i] == NULL)
      continue;
    memcpy (out[i], sampled + b * T * M, frame_len[b] * M * sizeof (gfloat));
    gst_buffer_get_rift_features_meta (segments[i])->batch_frames = T;
    b++;
  }

  g_free (src_mel);
  g_free (f0);
  g_free (rms);
  g_free (cvec);
  g_free (bad_cvec);
  g_free (y0);
  g_free (sampled);
  g_free (spk);
  g_free (frame_len);
  return ok;
}

/* the model's mel bands */
static gint64
gst_rift_dit_get_added_width (GstRiftSegmentFilter * filter)
{
  return rift_dit_get_hparams (GST_RIFT_DIT (filter)->dit)->n_mels;
}

/* The content vectors must be as wide as the ones the model was trained
 * with. */
static gboolean
gst_rift_dit_check_caps (GstRiftSegmentFilter * filter, const GstCaps * caps,
    GstRiftFeatureMask kinds, gint cvec_dim)
{
  gint64 model_dim =
      rift_dit_get_hparams (GST_RIFT_DIT (filter)->dit)->cvec_dim;

  if (cvec_dim != model_dim) {
    GST_ELEMENT_ERROR (filter, CORE, NEGOTIATION,
        ("riftdit: the content vectors have cvec-dim=%d but the model %s"
            " takes cvec-dim=%" G_GINT64_FORMAT ": use the ContentVec model"
            " (riftcvec) the DiT was trained with", cvec_dim,
            gst_rift_segment_filter_get_loaded_model (filter), model_dim),
        ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  return TRUE;
}

static guint
gst_rift_dit_get_batch_size (GstRiftSegmentFilter * filter,
    gboolean * by_length)
{
  GstRiftDit *self = GST_RIFT_DIT (filter);
  guint n;

  GST_OBJECT_LOCK (self);
  n = self->batch_size;
  *by_length = self->batch_by_length;
  GST_OBJECT_UNLOCK (self);
  return n;
}

/* ---- states ---- */

static gboolean
gst_rift_dit_start (GstRiftSegmentFilter * filter, const gchar * model,
    rift_backend * backend, GError ** error)
{
  GstRiftDit *self = GST_RIFT_DIT (filter);
  const rift_dit_hparams *hp;
  GstRiftDitSettings s;
  rift_precision precision;

  GST_OBJECT_LOCK (self);
  precision = self->precision;
  GST_OBJECT_UNLOCK (self);
  self->dit = rift_dit_load_file (model, backend, error);
  if (self->dit == NULL)
    return FALSE;
  if (!rift_dit_set_precision (self->dit, precision, error)) {
    g_clear_pointer (&self->dit, rift_dit_free);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  g_free (self->speakers);
  self->speakers = rift_dit_speaker_list (self->dit);
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "speakers");

  hp = rift_dit_get_hparams (self->dit);
  GST_INFO_OBJECT (self, "model %s: dim %" G_GINT64_FORMAT ", depth %"
      G_GINT64_FORMAT ", cvec-dim %" G_GINT64_FORMAT ", speakers %s, %s on %s",
      model, hp->dim, hp->depth, hp->cvec_dim, self->speakers,
      rift_precision_to_string (precision), rift_backend_describe (backend));

  /* an unknown speaker or a layer outside the model fails here rather than
   * at the first segment */
  return gst_rift_dit_get_settings (self, &s, error);
}

static void
gst_rift_dit_stop (GstRiftSegmentFilter * filter)
{
  g_clear_pointer (&GST_RIFT_DIT (filter)->dit, rift_dit_free);
}
