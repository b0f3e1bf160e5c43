/* gstriftdit.c — riftdit: converts each segment's features (source mel, rms,
 * f0, content vectors) into the target speaker's mel with RIFT-SVC's DiT and
 * rectified-flow sampler, and adds it to the segment's buffer as `outmel`
 * (docs/design.md "Feature buffers", docs/elements.md, docs/dit.md).
 * The sampling is the engine's (engine/models/rf.h); this file only handles
 * caps, batching, noise, properties, latency and errors.
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
 *
 * With #GstRiftDit:batch-size N > 1, N segments are sampled together as one
 * batch (faster on a GPU), padded to the longest as infer.py pads them.
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
#include "riftcontext.h"
#include "riftfeatures.h"
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
#define DEFAULT_SEED 0
#define DEFAULT_NOISE_SCALE 1.0f
#define DEFAULT_BACKEND RIFT_BACKEND_AUTO
#define DEFAULT_CUDA_DEVICE_ID -1

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
  PROP_SEED,
  PROP_NOISE_SCALE,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_RIFT_FEATURES_MEDIA_TYPE));

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define NEEDED_FEATURES (F (AUDIO) | F (MEL) | F (RMS) | F (F0) | F (CVEC))

struct _GstRiftDit
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

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
  guint64 seed;
  gfloat noise_scale;
  rift_backend_kind backend_kind;
  gint cuda_device_id;
  gchar *speakers;              /* "alice, bob, carol" of the last model loaded */

  /* latency, under the object lock */
  gboolean live;                /* upstream said so in the last LATENCY query */
  gboolean warned_live_batch;
  GstClockTime processing;      /* the longest batch so far */
  GstClockTime reported;        /* the processing time in the last answer */

  /* engine objects, from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  rift_dit *dit;
  gchar *loaded_model;          /* its path, for messages */

  /* streaming state (streaming thread) */
  GQueue held;                  /* buffers waiting for a batch, and the
                                 * serialized events that came after them */
  guint n_held;                 /* buffers in `held` */
  guint64 next_index;           /* number of the next segment since start,
                                 * STREAM_START or FLUSH_STOP: its noise stream */
  GstSegment segment;           /* the last SEGMENT event */
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

#define gst_rift_dit_parent_class parent_class
G_DEFINE_TYPE (GstRiftDit, gst_rift_dit, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftdit, "riftdit", GST_RANK_NONE,
    GST_TYPE_RIFT_DIT, GST_DEBUG_CATEGORY_INIT (gst_rift_dit_debug, "riftdit",
        0, "RIFT-SVC DiT conversion"));

static void gst_rift_dit_finalize (GObject * object);
static void gst_rift_dit_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_dit_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_dit_change_state (GstElement * element,
    GstStateChange transition);
static GstFlowReturn gst_rift_dit_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_rift_dit_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rift_dit_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rift_dit_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_rift_dit_class_init (GstRiftDitClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstCaps *src_caps;

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
   * GstRiftDit:backend:
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
   * GstRiftDit:cuda-device-id:
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
  gst_caps_set_simple (src_caps, "outmel", G_TYPE_BOOLEAN, TRUE, NULL);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, src_caps));
  gst_caps_unref (src_caps);

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC DiT conversion", "Filter/Converter/Audio",
      "Converts each segment's source mel, f0, RMS and content vectors into"
      " the target speaker's mel with RIFT-SVC's DiT and rectified-flow"
      " sampler, and adds it to the feature buffer", "gst-rift developers");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rift_dit_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, 0);
}

static void
gst_rift_dit_init (GstRiftDit * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_dit_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_dit_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_dit_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_template (gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "src"), "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_dit_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

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
  self->seed = DEFAULT_SEED;
  self->noise_scale = DEFAULT_NOISE_SCALE;
  self->backend_kind = DEFAULT_BACKEND;
  self->cuda_device_id = DEFAULT_CUDA_DEVICE_ID;
  g_queue_init (&self->held);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
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
    case PROP_SEED:
      self->seed = g_value_get_uint64 (value);
      break;
    case PROP_NOISE_SCALE:
      self->noise_scale = g_value_get_float (value);
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
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_NOISE_SCALE:
      g_value_set_float (value, self->noise_scale);
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
 * FALSE with `err` (an unknown speaker, a layer outside the model, ...). */
static gboolean
gst_rift_dit_get_settings (GstRiftDit * self, GstRiftDitSettings * s,
    GError ** err)
{
  gchar *speaker, *layers;
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

  ok = parse_skip_layers (layers, &s->rf, err)
      && rift_rf_params_check (&s->rf, rift_dit_get_hparams (self->dit), err);
  if (ok && (speaker == NULL || *speaker == '\0')) {
    /* infer.py requires --speaker; a one-voice model needs no name */
    if (rift_dit_get_hparams (self->dit)->n_speakers == 1) {
      s->speaker = 0;
    } else {
      gchar *list = rift_dit_speaker_list (self->dit);

      g_set_error (err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS,
          "no speaker set: set speaker to one of this model's speakers: %s",
          list);
      g_free (list);
      ok = FALSE;
    }
  } else if (ok) {
    s->speaker = rift_dit_lookup_speaker (self->dit, speaker, err);
    ok = s->speaker >= 0;
  }
  g_free (speaker);
  g_free (layers);
  return ok;
}

/* ---- streaming ---- */

static void
gst_rift_dit_clear_held (GstRiftDit * self)
{
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_mini_object_unref);
  self->n_held = 0;
}

static void
gst_rift_dit_reset_stream (GstRiftDit * self)
{
  gst_rift_dit_clear_held (self);
  self->next_index = 0;
}

/* FALSE with a STREAM/FORMAT error when `buffer` is not a segment with
 * F32 mel [T, 128], rms [T], f0 [T] and cvec [T, cvec-dim], or already has
 * an outmel. */
static gboolean
gst_rift_dit_check_buffer (GstRiftDit * self, GstBuffer * buffer)
{
  static const GstRiftFeatureKind kinds[] = { GST_RIFT_FEATURE_MEL,
    GST_RIFT_FEATURE_RMS, GST_RIFT_FEATURE_F0, GST_RIFT_FEATURE_CVEC
  };
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const gint64 cvec_dim = rift_dit_get_hparams (self->dit)->cvec_dim;
  guint k;

  if (meta == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("riftdit received a buffer without GstRiftFeaturesMeta: its input"
            " must come from riftmel ! riftf0 ! riftcvec"),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    const GstRiftFeatureInfo *info = NULL;
    gint64 width = kinds[k] == GST_RIFT_FEATURE_MEL ? GST_RIFT_N_MELS :
        kinds[k] == GST_RIFT_FEATURE_CVEC ? cvec_dim : 1;
    const gchar *name = gst_rift_feature_kind_name (kinds[k]);

    if (gst_rift_features_peek (buffer, kinds[k], &info) == NULL) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("The segment at %" GST_TIME_FORMAT " has no %s although its caps"
              " say so", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), name),
          ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
    if (info->dtype != RIFT_F32 || info->frames != (gint64) meta->n_frames
        || info->width != width) {
      GST_ELEMENT_ERROR (self, STREAM, FORMAT,
          ("The %s of the segment at %" GST_TIME_FORMAT " is %s [%"
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]; riftdit needs F32 [%"
              G_GUINT64_FORMAT ", %" G_GINT64_FORMAT "]", name,
              GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
              rift_dtype_name (info->dtype), info->frames, info->width,
              meta->n_frames, width), ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
  }
  if (meta->features[GST_RIFT_FEATURE_OUTMEL].memory >= 0) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("The segment at %" GST_TIME_FORMAT " already has an outmel: is there"
            " another riftdit before this one?",
            GST_TIME_ARGS (GST_BUFFER_PTS (buffer))),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  return TRUE;
}

/* Copies a feature of `buffer` (checked by gst_rift_dit_check_buffer) to
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

/* Samples the held buffers as one batch and adds each one's outmel
 * (replacing the buffers in `held` by writable ones). */
static gboolean
gst_rift_dit_sample_held (GstRiftDit * self)
{
  const rift_dit_hparams *hp = rift_dit_get_hparams (self->dit);
  const gint64 M = hp->n_mels, C = hp->cvec_dim;
  GstRiftDitSettings s;
  GError *err = NULL;
  GList *l;
  guint64 index = self->next_index - self->n_held, n_samples = 0;
  gint64 B = 0, T = 0, b;
  gboolean ds, ok = TRUE;
  gfloat *src_mel = NULL, *f0 = NULL, *rms = NULL, *cvec = NULL;
  gfloat *bad_cvec = NULL, *y0 = NULL, *out = NULL;
  gint64 *spk = NULL;
  gint32 *frame_len = NULL;
  gint64 start, elapsed = 0;
  gdouble rtf = 0.0;
  gboolean post_latency = FALSE;

  if (!gst_rift_dit_get_settings (self, &s, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", err->message),
        ("model %s", self->loaded_model));
    g_error_free (err);
    return FALSE;
  }
  ds = s.rf.ds_cfg_strength > 1e-5f;

  for (l = self->held.head; l; l = l->next) {
    if (GST_IS_BUFFER (l->data)) {
      GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (l->data);

      if (meta->n_frames > 0)
        B++;
      T = MAX (T, (gint64) meta->n_frames);
      n_samples += meta->n_samples;
    }
  }

  if (B > 0) {
    /* infer.py's pad_tensor_to_length: every input zero-padded to the
     * longest segment; each item's frame_len masks its padding */
    src_mel = g_new0 (gfloat, B * T * M);
    f0 = g_new0 (gfloat, B * T);
    rms = g_new0 (gfloat, B * T);
    cvec = g_new0 (gfloat, B * T * C);
    bad_cvec = ds ? g_new0 (gfloat, B * T * C) : NULL;
    y0 = g_new0 (gfloat, B * T * M);
    out = g_new (gfloat, B * T * M);
    spk = g_new (gint64, B);
    frame_len = g_new (gint32, B);

    b = 0;
    for (l = self->held.head; l; l = l->next) {
      GstBuffer *buffer = l->data;
      GstRiftFeaturesMeta *meta;
      GstRiftNoise noise;
      gint64 Tb;

      if (!GST_IS_BUFFER (buffer))
        continue;
      meta = gst_buffer_get_rift_features_meta (buffer);
      Tb = meta->n_frames;
      GST_DEBUG_OBJECT (self, "segment %" G_GUINT64_FORMAT ": T=%"
          G_GINT64_FORMAT " (%" G_GUINT64_FORMAT " samples) at %"
          GST_TIME_FORMAT, index, Tb, meta->n_samples,
          GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
      if (Tb > 0) {
        copy_feature (buffer, GST_RIFT_FEATURE_MEL, src_mel + b * T * M);
        copy_feature (buffer, GST_RIFT_FEATURE_F0, f0 + b * T);
        copy_feature (buffer, GST_RIFT_FEATURE_RMS, rms + b * T);
        copy_feature (buffer, GST_RIFT_FEATURE_CVEC, cvec + b * T * C);
        if (ds)
          rift_bad_cvec (bad_cvec + b * T * C, cvec + b * T * C, Tb, C,
              s.cvec_downsample_rate);
        gst_rift_noise_init (&noise, s.seed, index);
        gst_rift_noise_fill (&noise, y0 + b * T * M, Tb * M, s.noise_scale);
        spk[b] = s.speaker;
        frame_len[b] = (gint32) Tb;
        b++;
      }
      index++;
    }

    {
      rift_rf_input in = {
        .B = B,.T = T,.src_mel = src_mel,.spk = spk,.f0 = f0,.rms = rms,
        .cvec = cvec,.bad_cvec = bad_cvec,.frame_len = frame_len,.y0 = y0,
      };

      start = g_get_monotonic_time ();
      ok = rift_rf_sample (self->dit, &s.rf, &in, out, NULL, &err);
      elapsed = g_get_monotonic_time () - start;
    }
    if (!ok) {
      GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", err->message),
          ("batch of %" G_GINT64_FORMAT " segments of up to %" G_GINT64_FORMAT
              " frames, model %s", B, T, self->loaded_model));
      g_error_free (err);
    } else if (n_samples > 0) {
      rtf = (gdouble) elapsed / 1e6 / ((gdouble) n_samples / GST_RIFT_RATE);
      GST_DEBUG_OBJECT (self, "sampled %" G_GINT64_FORMAT " segment(s) of up"
          " to %" G_GINT64_FORMAT " frames, %d steps, in %.3f s: real-time"
          " factor %.3f", B, T, s.rf.steps, elapsed / 1e6, rtf);
    }
  }

  /* every buffer gets its outmel, T = 0 ones an empty one */
  b = 0;
  for (l = self->held.head; ok && l; l = l->next) {
    GstBuffer *buffer;
    GstRiftFeaturesMeta *meta;
    GstMemory *mem;
    gint64 Tb;

    if (!GST_IS_BUFFER (l->data))
      continue;
    buffer = l->data = gst_buffer_make_writable (GST_BUFFER (l->data));
    meta = gst_buffer_get_rift_features_meta (buffer);
    Tb = meta->n_frames;
    mem = gst_allocator_alloc (NULL, Tb * M * sizeof (gfloat), NULL);
    if (Tb > 0) {
      GstMapInfo map;

      gst_memory_map (mem, &map, GST_MAP_WRITE);
      memcpy (map.data, out + b * T * M, Tb * M * sizeof (gfloat));
      gst_memory_unmap (mem, &map);
      b++;
    }
    gst_rift_features_add (buffer, GST_RIFT_FEATURE_OUTMEL, mem, RIFT_F32, Tb,
        M);
  }

  if (ok && B > 0) {
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

  g_free (src_mel);
  g_free (f0);
  g_free (rms);
  g_free (cvec);
  g_free (bad_cvec);
  g_free (y0);
  g_free (out);
  g_free (spk);
  g_free (frame_len);
  return ok;
}

/* Samples what is held and pushes it, buffers and events in the order they
 * came. Nothing happens when nothing is held. */
static GstFlowReturn
gst_rift_dit_drain (GstRiftDit * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstMiniObject *obj;

  if (self->n_held == 0)
    return GST_FLOW_OK;
  if (!gst_rift_dit_sample_held (self)) {
    gst_rift_dit_clear_held (self);
    return GST_FLOW_ERROR;
  }
  self->n_held = 0;
  while ((obj = g_queue_pop_head (&self->held))) {
    if (ret != GST_FLOW_OK)
      gst_mini_object_unref (obj);
    else if (GST_IS_BUFFER (obj))
      ret = gst_pad_push (self->srcpad, GST_BUFFER (obj));
    else
      gst_pad_push_event (self->srcpad, GST_EVENT (obj));
  }
  return ret;
}

static gint
gst_rift_dit_effective_batch (GstRiftDit * self)
{
  gint n;

  GST_OBJECT_LOCK (self);
  /* a live pipeline cannot wait for a batch to fill (see the LATENCY
   * query, which warns) */
  n = self->live ? 1 : self->batch_size;
  GST_OBJECT_UNLOCK (self);
  return n;
}

static GstFlowReturn
gst_rift_dit_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRiftDit *self = GST_RIFT_DIT (parent);

  if (G_UNLIKELY (!gst_pad_has_current_caps (pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  if (!gst_rift_dit_check_buffer (self, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (self, "segment %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT,
      self->next_index, buffer);
  g_queue_push_tail (&self->held, buffer);
  self->n_held++;
  self->next_index++;
  if (self->n_held >= (guint) gst_rift_dit_effective_batch (self))
    return gst_rift_dit_drain (self);
  return GST_FLOW_OK;
}

static gboolean
gst_rift_dit_set_caps (GstRiftDit * self, GstCaps * caps)
{
  GstRiftFeatureMask kinds = 0;
  gint cvec_dim = 0;
  gint64 model_dim;
  GstCaps *current, *src_caps;
  gboolean ok = TRUE;

  if (!gst_rift_features_caps_check (GST_ELEMENT (self), caps, NEEDED_FEATURES,
          &kinds, &cvec_dim))
    return FALSE;
  if (kinds & F (OUTMEL)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("riftdit got buffers that already carry outmel: there is another"
            " riftdit before this one"), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  model_dim = rift_dit_get_hparams (self->dit)->cvec_dim;
  if (cvec_dim != model_dim) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("riftdit: the content vectors have cvec-dim=%d but the model %s"
            " takes cvec-dim=%" G_GINT64_FORMAT ": use the ContentVec model"
            " (riftcvec) the DiT was trained with", cvec_dim,
            self->loaded_model, model_dim), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }

  current = gst_pad_get_current_caps (self->sinkpad);
  if (current) {
    if (!gst_caps_is_equal (current, caps))
      gst_rift_dit_drain (self);
    gst_caps_unref (current);
  }

  src_caps = gst_rift_features_caps_new (kinds | F (OUTMEL), cvec_dim);
  current = gst_pad_get_current_caps (self->srcpad);
  if (current == NULL || !gst_caps_is_equal (current, src_caps))
    ok = gst_pad_set_caps (self->srcpad, src_caps);
  if (current)
    gst_caps_unref (current);
  gst_caps_unref (src_caps);
  return ok;
}

static gboolean
gst_rift_dit_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRiftDit *self = GST_RIFT_DIT (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_dit_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      if (!gst_segment_is_equal (segment, &self->segment)) {
        gst_rift_dit_drain (self);
        gst_segment_copy_into (segment, &self->segment);
      }
      break;
    }
    case GST_EVENT_STREAM_START:
      gst_rift_dit_drain (self);
      gst_rift_dit_reset_stream (self);
      break;
    case GST_EVENT_GAP:
    case GST_EVENT_EOS:
      /* pushed before the event, so downstream sees the segments first */
      gst_rift_dit_drain (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_rift_dit_reset_stream (self);
      gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
      break;
    default:
      break;
  }

  /* serialized events that did not drain (tags, the same segment again,
   * ...) stay behind the segments that came before them */
  if (GST_EVENT_IS_SERIALIZED (event) && self->n_held > 0) {
    g_queue_push_tail (&self->held, event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_dit_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftDit *self = GST_RIFT_DIT (parent);

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
gst_rift_dit_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftDit *self = GST_RIFT_DIT (parent);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live, warn;
      GstClockTime min, max, processing;
      gint batch_size;

      if (!gst_pad_peer_query (self->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);

      GST_OBJECT_LOCK (self);
      self->live = live;
      batch_size = self->batch_size;
      warn = live && batch_size > 1 && !self->warned_live_batch;
      if (warn)
        self->warned_live_batch = TRUE;
      processing = self->processing;
      if (live)
        self->reported = processing;
      GST_OBJECT_UNLOCK (self);

      if (warn)
        GST_ELEMENT_WARNING (self, CORE, CLOCK,
            ("riftdit has batch-size=%d in a live pipeline: waiting for a"
                " batch would delay the output by up to %d segments, so"
                " segments are converted one at a time. Set batch-size=1.",
                batch_size, batch_size - 1), (NULL));
      if (!live)
        return TRUE;

      /* a segment leaves riftdit once it has been sampled: the longest
       * sampling so far (0 before the first segment) */
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
gst_rift_dit_start (GstRiftDit * self)
{
  rift_backend_kind kind;
  gint device;
  gchar *model;
  GstRiftDitSettings s;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  kind = self->backend_kind;
  device = self->cuda_device_id;
  model = g_strdup (self->model);
  GST_OBJECT_UNLOCK (self);

  if (model == NULL || *model == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("riftdit has no model: set the model property to a RIFT-SVC"
            " checkpoint (.ckpt)"), (NULL));
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

  self->dit = rift_dit_load_file (model, self->backend, &err);
  if (self->dit == NULL) {
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

  GST_OBJECT_LOCK (self);
  g_free (self->speakers);
  self->speakers = rift_dit_speaker_list (self->dit);
  GST_OBJECT_UNLOCK (self);
  g_object_notify (G_OBJECT (self), "speakers");

  {
    const rift_dit_hparams *hp = rift_dit_get_hparams (self->dit);

    GST_INFO_OBJECT (self, "model %s: dim %" G_GINT64_FORMAT ", depth %"
        G_GINT64_FORMAT ", cvec-dim %" G_GINT64_FORMAT ", speakers %s, on %s",
        model, hp->dim, hp->depth, hp->cvec_dim, self->speakers,
        rift_backend_describe (self->backend));
  }

  /* an unknown speaker or a layer outside the model fails here rather than
   * at the first segment */
  if (!gst_rift_dit_get_settings (self, &s, &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, ("%s", err->message),
        ("model %s", model));
    g_error_free (err);
    return FALSE;
  }

  gst_rift_dit_reset_stream (self);
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
  GST_OBJECT_LOCK (self);
  self->live = FALSE;
  self->warned_live_batch = FALSE;
  self->processing = 0;
  self->reported = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rift_dit_stop (GstRiftDit * self)
{
  gst_rift_dit_clear_held (self);
  g_clear_pointer (&self->dit, rift_dit_free);
  g_clear_pointer (&self->backend, rift_backend_unref);
  g_clear_pointer (&self->loaded_model, g_free);
}

static GstStateChangeReturn
gst_rift_dit_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftDit *self = GST_RIFT_DIT (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_dit_start (self)) {
    gst_rift_dit_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_dit_stop (self);
  return ret;
}
