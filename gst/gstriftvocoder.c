/* gstriftvocoder.c — riftvocoder: turns each segment's converted mel
 * (outmel) and f0 into audio with RIFT-SVC's NSF-HiFiGAN vocoder and pushes
 * exactly the segment's n samples as 44.1 kHz mono F32 audio, with the
 * segment's timestamps (docs/design.md "Feature buffers", docs/elements.md,
 * docs/vocoder.md). The forward is the engine's (engine/models/vocoder.h);
 * this file only handles caps, noise, padding, properties, latency and
 * errors, loudness restore and infer.py's fades (docs/design.md "The whole
 * conversion"), the padding of segments riftdit sampled in a batch, and
 * progress messages.
 * Tested by tests/gst/test-riftvocoder.c (GstHarness, against the vocoder
 * fixture and direct rift_vocoder_forward calls, and the whole chain in a
 * pipeline). */

/**
 * SECTION:element-riftvocoder
 * @title: riftvocoder
 *
 * riftvocoder is the last stage of the rift feature chain
 * (`riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder`). For each
 * `application/x-rift-features` buffer (one segment of n samples, T
 * frames) it runs the NSF-HiFiGAN vocoder of #GstRiftVocoder:model on the
 * segment's converted log-mel (`outmel`, from riftdit) and f0 (from riftf0),
 * which gives T · 512 samples, zero-pads (or trims) them to n as upstream's
 * infer.py does, and pushes one `audio/x-raw` buffer of n F32 samples at
 * 44100 Hz, mono, with the segment's PTS, duration, offsets and flags. So
 * the output has exactly as many samples as the input and lines up with it.
 *
 * A segment that riftdit sampled in a padded batch (#GstRiftDit:batch-size)
 * is vocoded, as infer.py vocodes the batch, with the batch's padding after
 * its own frames (zero mel and f0 up to the batch's longest segment), so
 * that its last samples are upstream's; then trimmed to n.
 *
 * A segment buffer flagged GAP (removed silence) becomes n zero samples
 * flagged GAP.
 *
 * When riftmel normalised the segment's loudness (its GstRiftFeaturesMeta
 * holds a finite original loudness) and #GstRiftVocoder:restore-loudness is
 * on, the n samples are brought back to that loudness (×0.99/peak when they
 * would clip), as infer.py's generate_audio. Then infer.py's fades of
 * #GstRiftVocoder:fade-duration: a half-Hann fade-in on every segment after
 * the first, a linear fade-out on every segment before the last. Whether a
 * segment is the last is only known when the next segment buffer (or EOS)
 * arrives, so with fades on each segment is held until then, and the GAP
 * buffers and events that follow it wait behind it. The source's random start phases and excitation noise come
 * from #GstRiftVocoder:seed and the segment's number in the stream
 * (gst/riftnoise.h); #GstRiftVocoder:noise-scale=0 makes them zero.
 *
 * Each time a buffer has been pushed, riftvocoder posts an element message
 * `rift-progress` with `stream-time` (#GstClockTime, how far the output has
 * come: the end of that buffer in stream time) and `duration`
 * (#GstClockTime, the stream's duration as upstream answers it, or
 * #GST_CLOCK_TIME_NONE), from which an application shows its progress.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! wavparse ! audioconvert ! audioresample ! riftmel ! riftf0 model=rmvpe/model.pt ! riftcvec model=content-vec-best ! riftdit model=model.ckpt speaker=alice ! riftvocoder model=nsf_hifigan/model.ckpt ! audioconvert ! autoaudiosink
 * ]| Sings song.wav with the voice of `alice` of model.ckpt.
 *
 * Since: 0.1
 */
#include "gstriftvocoder.h"
#include "riftcontext.h"
#include "riftfeatures.h"
#include "riftnoise.h"

#include "vocoder.h"
#include "loudness.h"
#include "assembly.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_vocoder_debug);
#define GST_CAT_DEFAULT gst_rift_vocoder_debug

#define DEFAULT_MODEL NULL
#define DEFAULT_SEED 0
#define DEFAULT_NOISE_SCALE 1.0f
#define DEFAULT_BACKEND RIFT_BACKEND_AUTO
#define DEFAULT_CUDA_DEVICE_ID -1
#define DEFAULT_RESTORE_LOUDNESS TRUE
#define DEFAULT_FADE_DURATION 20.0

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_SEED,
  PROP_NOISE_SCALE,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
  PROP_RESTORE_LOUDNESS,
  PROP_FADE_DURATION,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_RIFT_FEATURES_MEDIA_TYPE));

/* The rate is the vocoder's sampling_rate, which must be the chain's
 * (checked when the model is loaded). */
#define SRC_CAPS "audio/x-raw, format=(string)F32LE, rate=(int)44100, " \
  "channels=(int)1, layout=(string)interleaved"

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (SRC_CAPS));

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define NEEDED_FEATURES (F (AUDIO) | F (F0) | F (OUTMEL))

struct _GstRiftVocoder
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock: the streaming thread reads seed and
   * noise_scale for every segment */
  gchar *model;
  guint64 seed;
  gfloat noise_scale;
  rift_backend_kind backend_kind;
  gint cuda_device_id;
  gboolean restore_loudness;
  gdouble fade_duration;        /* ms */

  /* latency, under the object lock */
  gboolean live;                /* upstream said so in the last LATENCY query */
  GstClockTime processing;      /* the longest segment so far */
  GstClockTime reported;        /* the processing time in the last answer */

  /* engine objects, from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  rift_vocoder *vocoder;
  gchar *loaded_model;          /* its path, for messages */

  /* streaming state (streaming thread) */
  guint64 next_index;           /* number of the next segment since start,
                                 * STREAM_START or FLUSH_STOP: its noise stream */
  gboolean had_segment;         /* a (non-GAP) segment came out since then:
                                 * the next one fades in */
  GstBuffer *pending;           /* the last segment's output, waiting for its
                                 * fade-out to be decided */
  GQueue held;                  /* GAP outputs and events behind `pending` */
};

#define gst_rift_vocoder_parent_class parent_class
G_DEFINE_TYPE (GstRiftVocoder, gst_rift_vocoder, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftvocoder, "riftvocoder",
    GST_RANK_NONE, GST_TYPE_RIFT_VOCODER,
    GST_DEBUG_CATEGORY_INIT (gst_rift_vocoder_debug, "riftvocoder", 0,
        "RIFT-SVC vocoder (NSF-HiFiGAN)"));

static void gst_rift_vocoder_finalize (GObject * object);
static void gst_rift_vocoder_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_vocoder_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_vocoder_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_rift_vocoder_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean gst_rift_vocoder_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean gst_rift_vocoder_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query);
static gboolean gst_rift_vocoder_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
gst_rift_vocoder_class_init (GstRiftVocoderClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->finalize = gst_rift_vocoder_finalize;
  gobject_class->set_property = gst_rift_vocoder_set_property;
  gobject_class->get_property = gst_rift_vocoder_get_property;

  /**
   * GstRiftVocoder:model:
   *
   * The NSF-HiFiGAN checkpoint (upstream's
   * `pretrained/nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt`), with
   * its `config.json` beside it, or the directory holding both. Loaded at
   * READY->PAUSED; a missing or wrong file fails that state change with a
   * message naming it.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "NSF-HiFiGAN vocoder checkpoint (model.ckpt with its config.json"
          " beside it, or their directory; upstream's"
          " pretrained/nsf_hifigan_44.1k_hop512_128bin_2024.02)",
          DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstRiftVocoder:seed:
   *
   * Seed of the harmonic source's random parts. The start phases and the
   * excitation noise of the n-th segment (counted from 0 at start,
   * STREAM_START and FLUSH_STOP; GAP and T = 0 segments count) come from
   * gst_rift_noise_init (seed, n) (gst/riftnoise.h), so the same input and
   * seed give the same output. Read at each segment.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SEED,
      g_param_spec_uint64 ("seed", "Seed",
          "Seed of the vocoder's random start phases and excitation noise:"
          " the same input and seed give the same audio. Takes effect at the"
          " next segment", 0, G_MAXUINT64, DEFAULT_SEED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftVocoder:noise-scale:
   *
   * Scale of the harmonic source's excitation noise. 1 is upstream's
   * (torch.randn, with random start phases per harmonic); 0 makes the
   * start phases and the noise zero: the deterministic output, independent
   * of the seed, that the reference fixtures were made with. Any value
   * above 0 draws random start phases.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_NOISE_SCALE,
      g_param_spec_float ("noise-scale", "Noise scale",
          "Scale of the vocoder's excitation noise: 1 = as upstream (random"
          " start phases and noise); 0 = no noise and zero start phases,"
          " the same output for every seed. Takes effect at the next"
          " segment", 0.0f, G_MAXFLOAT, DEFAULT_NOISE_SCALE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftVocoder:backend:
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
   * GstRiftVocoder:cuda-device-id:
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

  /**
   * GstRiftVocoder:restore-loudness:
   *
   * Bring each segment back to the loudness it had before riftmel
   * normalised it (the original loudness in its GstRiftFeaturesMeta), as
   * infer.py. Segments riftmel did not normalise are left as they are.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_RESTORE_LOUDNESS,
      g_param_spec_boolean ("restore-loudness", "Restore loudness",
          "Bring each segment back to its loudness before riftmel normalised"
          " it", DEFAULT_RESTORE_LOUDNESS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstRiftVocoder:fade-duration:
   *
   * infer.py's fades, in milliseconds: a half-Hann fade-in at the start of
   * every segment but the first and a linear fade-out at the end of every
   * segment but the last (GAP buffers do not count). With fades on, each
   * segment is held until the next segment or EOS. 0 switches them off
   * (and the holding).
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_FADE_DURATION,
      g_param_spec_double ("fade-duration", "Fade duration",
          "Fade-in/fade-out between segments in ms, as infer.py (0 = none;"
          " otherwise each segment waits for the next or EOS)", 0.0, 10000.0,
          DEFAULT_FADE_DURATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC vocoder (NSF-HiFiGAN)", "Filter/Converter/Audio",
      "Turns each segment's converted mel and f0 into audio with RIFT-SVC's"
      " NSF-HiFiGAN vocoder, exactly as many samples as the segment had",
      "gst-rift developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rift_vocoder_change_state);

  gst_type_mark_as_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, 0);
}

static void
gst_rift_vocoder_init (GstRiftVocoder * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_vocoder_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_vocoder_sink_event));
  gst_pad_set_query_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_vocoder_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_vocoder_src_query));
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->model = g_strdup (DEFAULT_MODEL);
  self->seed = DEFAULT_SEED;
  self->noise_scale = DEFAULT_NOISE_SCALE;
  self->backend_kind = DEFAULT_BACKEND;
  self->cuda_device_id = DEFAULT_CUDA_DEVICE_ID;
  self->restore_loudness = DEFAULT_RESTORE_LOUDNESS;
  self->fade_duration = DEFAULT_FADE_DURATION;
  g_queue_init (&self->held);
}

static void
gst_rift_vocoder_finalize (GObject * object)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (object);

  g_free (self->model);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_vocoder_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
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
    case PROP_RESTORE_LOUDNESS:
      self->restore_loudness = g_value_get_boolean (value);
      break;
    case PROP_FADE_DURATION:
      self->fade_duration = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rift_vocoder_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
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
    case PROP_RESTORE_LOUDNESS:
      g_value_set_boolean (value, self->restore_loudness);
      break;
    case PROP_FADE_DURATION:
      g_value_set_double (value, self->fade_duration);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- streaming ---- */

/* FALSE with a STREAM/FORMAT error when `buffer` (not GAP) is not a segment
 * with F32 f0 [T, 1] and outmel [T, n_mels], T the meta's frame count. */
static gboolean
gst_rift_vocoder_check_buffer (GstRiftVocoder * self, GstBuffer * buffer)
{
  static const GstRiftFeatureKind kinds[] = { GST_RIFT_FEATURE_F0,
    GST_RIFT_FEATURE_OUTMEL
  };
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const gint64 n_mels = rift_vocoder_get_n_mels (self->vocoder);
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    const GstRiftFeatureInfo *info = NULL;
    gint64 width = kinds[k] == GST_RIFT_FEATURE_OUTMEL ? n_mels : 1;
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
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]; riftvocoder needs F32"
              " [%" G_GUINT64_FORMAT ", %" G_GINT64_FORMAT "]", name,
              GST_TIME_ARGS (GST_BUFFER_PTS (buffer)),
              rift_dtype_name (info->dtype), info->frames, info->width,
              meta->n_frames, width), ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
  }
  return TRUE;
}

/* `src` [T, width] followed by Tv - T zero frames, in a new array. */
static gfloat *
pad_frames (gconstpointer src, gint64 T, gint64 Tv, gint64 width)
{
  gfloat *dst = g_new0 (gfloat, Tv * width);

  memcpy (dst, src, T * width * sizeof (gfloat));
  return dst;
}

/* The n samples of segment number `index` (`buffer`, checked) into `audio`.
 * The vocoder runs on Tv = max (T, batch_frames) frames: the segment's
 * outmel and f0, then, when riftdit sampled it in a padded batch, that
 * batch's padding (mel 0, f0 0), as infer.py runs the vocoder on the padded
 * batch. Its Tv · upp samples are zero-padded or trimmed to n as infer.py
 * does. The seed and noise scale are read now. */
static gboolean
gst_rift_vocoder_compute (GstRiftVocoder * self, GstBuffer * buffer,
    guint64 index, gfloat * audio, GError ** err)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const gint64 n = meta->n_samples, T = meta->n_frames;
  const guint64 frames = MAX (meta->n_frames, meta->batch_frames);
  const gint64 upp = rift_vocoder_get_hop (self->vocoder);
  const gint64 n_mels = rift_vocoder_get_n_mels (self->vocoder);
  const gint64 H = rift_vocoder_get_hparams (self->vocoder)->n_harmonics;
  gint64 Tv, m;
  guint64 seed;
  gfloat noise_scale;
  gfloat *rand_ini = NULL, *randn = NULL, *out, *mel_pad = NULL, *f0_pad = NULL;
  GstMapInfo mel_map, f0_map;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  seed = self->seed;
  noise_scale = self->noise_scale;
  GST_OBJECT_UNLOCK (self);

  if (T == 0) {
    memset (audio, 0, n * sizeof (gfloat));
    return TRUE;
  }
  if (frames > (guint64) (G_MAXINT64 / upp / MAX (MAX (H, n_mels), 1))) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftvocoder: a segment of %" G_GINT64_FORMAT " frames (%"
        G_GUINT64_FORMAT " with its batch's padding) is too long", T, frames);
    return FALSE;
  }
  Tv = (gint64) frames;
  m = Tv * upp;

  if (noise_scale > 0.0f) {
    /* docs/elements.md "riftvocoder", Noise */
    GstRiftNoise noise;

    rand_ini = g_new (gfloat, H);
    randn = g_try_new (gfloat, m * H);
    if (randn == NULL) {
      g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
          "riftvocoder: no memory for the excitation noise of a segment of %"
          G_GINT64_FORMAT " frames (%" G_GINT64_FORMAT " MB)", Tv,
          m * H * (gint64) sizeof (gfloat) >> 20);
      g_free (rand_ini);
      return FALSE;
    }
    gst_rift_noise_init (&noise, seed, index);
    gst_rift_noise_fill_uniform (&noise, rand_ini, H);
    rand_ini[0] = 0.0f;         /* upstream's rand_ini[..., 0] = 0 */
    gst_rift_noise_fill (&noise, randn, m * H, noise_scale);
  }

  if (!gst_rift_features_map (buffer, GST_RIFT_FEATURE_OUTMEL, &mel_map,
          GST_MAP_READ, NULL)) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftvocoder could not map the outmel of the segment at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    g_free (rand_ini);
    g_free (randn);
    return FALSE;
  }
  if (!gst_rift_features_map (buffer, GST_RIFT_FEATURE_F0, &f0_map,
          GST_MAP_READ, NULL)) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "riftvocoder could not map the f0 of the segment at %"
        GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));
    gst_memory_unmap (mel_map.memory, &mel_map);
    g_free (rand_ini);
    g_free (randn);
    return FALSE;
  }
  if (Tv > T) {
    mel_pad = pad_frames (mel_map.data, T, Tv, n_mels);
    f0_pad = pad_frames (f0_map.data, T, Tv, 1);
  }

  {
    rift_vocoder_input in = {
      .B = 1,.T = Tv,
      .mel = mel_pad ? mel_pad : (const gfloat *) mel_map.data,
      .f0 = f0_pad ? f0_pad : (const gfloat *) f0_map.data,
      .rand_ini = rand_ini,.randn = randn,
    };

    /* straight into the output unless it has to be trimmed */
    out = m <= n ? audio : g_new (gfloat, m);
    ok = rift_vocoder_forward (self->vocoder, &in, out, NULL, err);
  }
  if (ok && m <= n) {
    memset (audio + m, 0, (n - m) * sizeof (gfloat));
  } else if (ok) {
    memcpy (audio, out, n * sizeof (gfloat));
  }
  if (out != audio)
    g_free (out);

  gst_memory_unmap (f0_map.memory, &f0_map);
  gst_memory_unmap (mel_map.memory, &mel_map);
  g_free (mel_pad);
  g_free (f0_pad);
  g_free (rand_ini);
  g_free (randn);
  GST_LOG_OBJECT (self, "segment %" G_GUINT64_FORMAT ": seed %"
      G_GUINT64_FORMAT ", noise-scale %g, %" G_GINT64_FORMAT " frames (+%"
      G_GINT64_FORMAT " of its batch's padding), %" G_GINT64_FORMAT
      " samples made, %" G_GINT64_FORMAT " pushed", index, seed, noise_scale,
      T, Tv - T, m, n);
  return ok;
}

/* infer.py's generate_audio: y [n] back to `lufs` (measured on the padded
 * output), ×0.99/peak when it would clip. */
static void
restore_loudness (gfloat * y, gint64 n, gdouble lufs)
{
  gdouble out_lufs = rift_loudness_lufs (y, n, GST_RIFT_RATE);
  gdouble gain = rift_loudness_gain (out_lufs, lufs), peak = 0.0;
  gint64 i;

  for (i = 0; i < n; i++)
    peak = MAX (peak, fabs (y[i] * gain));
  if (peak > 1.0)
    gain *= 0.99 / peak;
  for (i = 0; i < n; i++)
    y[i] = (gfloat) (y[i] * gain);
}

/* Applies infer.py's fade-in or fade-out of `fade` samples to `buffer`
 * (writable audio). */
static void
fade_buffer (GstBuffer * buffer, gint64 fade, gboolean in, gboolean out)
{
  GstMapInfo map;

  if (fade <= 0 || gst_buffer_get_size (buffer) == 0)
    return;
  gst_buffer_map (buffer, &map, GST_MAP_READWRITE);
  rift_fade_segment ((gfloat *) map.data, map.size / sizeof (gfloat), fade,
      in, out);
  gst_buffer_unmap (buffer, &map);
}

static gint64
gst_rift_vocoder_fade_samples (GstRiftVocoder * self)
{
  gdouble ms;

  GST_OBJECT_LOCK (self);
  ms = self->fade_duration;
  GST_OBJECT_UNLOCK (self);
  return rift_fade_samples (ms, GST_RIFT_RATE);
}

/* Posts the element message "rift-progress" (docs/elements.md, riftvocoder
 * "Progress") once audio up to `end` (its PTS + duration) has been pushed:
 *   stream-time  `end` in stream time (the SEGMENT it was pushed in)
 *   duration     the stream's duration as upstream answers it, or NONE
 * An application divides the two for a percentage. */
static void
gst_rift_vocoder_post_progress (GstRiftVocoder * self, GstClockTime end)
{
  GstEvent *event = gst_pad_get_sticky_event (self->srcpad,
      GST_EVENT_SEGMENT, 0);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  gint64 upstream;

  if (event) {
    const GstSegment *segment;

    gst_event_parse_segment (event, &segment);
    if (segment->format == GST_FORMAT_TIME)
      stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, end);
    gst_event_unref (event);
  }
  if (gst_pad_peer_query_duration (self->sinkpad, GST_FORMAT_TIME, &upstream)
      && upstream >= 0)
    duration = upstream;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self),
          gst_structure_new ("rift-progress",
              "stream-time", GST_TYPE_CLOCK_TIME, stream_time,
              "duration", GST_TYPE_CLOCK_TIME, duration, NULL)));
}

/* Pushes `buffer` and, once downstream took it, posts how far the output
 * has come. */
static GstFlowReturn
gst_rift_vocoder_push (GstRiftVocoder * self, GstBuffer * buffer)
{
  GstClockTime end = GST_CLOCK_TIME_NONE;
  GstFlowReturn ret;

  if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_DURATION_IS_VALID (buffer))
    end = GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
  ret = gst_pad_push (self->srcpad, buffer);
  if (ret == GST_FLOW_OK && GST_CLOCK_TIME_IS_VALID (end))
    gst_rift_vocoder_post_progress (self, end);
  return ret;
}

/* Pushes the held segment (as it is: its fade-out, if any, is applied by
 * the caller) and whatever waited behind it, in order. */
static GstFlowReturn
gst_rift_vocoder_drain (GstRiftVocoder * self)
{
  GstFlowReturn ret = GST_FLOW_OK, r;
  gpointer obj;

  if (self->pending)
    ret = gst_rift_vocoder_push (self, g_steal_pointer (&self->pending));
  while ((obj = g_queue_pop_head (&self->held))) {
    if (GST_IS_BUFFER (obj)) {
      r = gst_rift_vocoder_push (self, GST_BUFFER (obj));
      if (ret == GST_FLOW_OK)
        ret = r;
    } else {
      gst_pad_push_event (self->srcpad, GST_EVENT (obj));
    }
  }
  return ret;
}

static void
gst_rift_vocoder_clear_held (GstRiftVocoder * self)
{
  gst_clear_buffer (&self->pending);
  g_queue_clear_full (&self->held, (GDestroyNotify) gst_mini_object_unref);
  self->had_segment = FALSE;
}

static GstFlowReturn
gst_rift_vocoder_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (parent);
  GstRiftFeaturesMeta *meta;
  GstBuffer *out;
  GstMapInfo map;
  GError *err = NULL;
  guint64 index, n;
  gint64 T, start, elapsed = 0, fade;
  gboolean gap, ok = TRUE, post_latency = FALSE, restore;
  GstFlowReturn ret = GST_FLOW_OK;

  if (G_UNLIKELY (!gst_pad_has_current_caps (pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  meta = gst_buffer_get_rift_features_meta (buffer);
  if (meta == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT,
        ("riftvocoder received a buffer without GstRiftFeaturesMeta: its"
            " input must come from riftmel ! riftf0 ! riftcvec ! riftdit"),
        ("buffer %" GST_PTR_FORMAT, buffer));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  /* removed silence (docs/design.md) has no features: zeros */
  gap = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP);
  if (!gap && !gst_rift_vocoder_check_buffer (self, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  index = self->next_index++;
  n = meta->n_samples;
  T = gap ? 0 : (gint64) meta->n_frames;
  GST_DEBUG_OBJECT (self, "segment %" G_GUINT64_FORMAT ": T=%" G_GINT64_FORMAT
      " (%" G_GUINT64_FORMAT " samples%s) at %" GST_TIME_FORMAT, index, T, n,
      gap ? ", GAP" : "", GST_TIME_ARGS (GST_BUFFER_PTS (buffer)));

  out = gst_buffer_new_allocate (NULL, n * sizeof (gfloat), NULL);
  if (out == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT,
        ("riftvocoder could not allocate %" G_GUINT64_FORMAT " samples for"
            " the segment at %" GST_TIME_FORMAT, n,
            GST_TIME_ARGS (GST_BUFFER_PTS (buffer))), (NULL));
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  if (n > 0) {
    gst_buffer_map (out, &map, GST_MAP_WRITE);
    if (gap) {
      memset (map.data, 0, map.size);
    } else {
      start = g_get_monotonic_time ();
      ok = gst_rift_vocoder_compute (self, buffer, index,
          (gfloat *) map.data, &err);
      elapsed = g_get_monotonic_time () - start;
      GST_OBJECT_LOCK (self);
      restore = self->restore_loudness;
      GST_OBJECT_UNLOCK (self);
      if (ok && restore && isfinite (meta->original_lufs))
        restore_loudness ((gfloat *) map.data, n, meta->original_lufs);
    }
    gst_buffer_unmap (out, &map);
  }

  if (!ok) {
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, ("%s", err->message),
        ("segment %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " samples (T=%"
            G_GINT64_FORMAT ") at %" GST_TIME_FORMAT ", model %s", index, n,
            T, GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), self->loaded_model));
    g_error_free (err);
    gst_buffer_unref (out);
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  if (T > 0) {
    GST_DEBUG_OBJECT (self, "segment %" G_GUINT64_FORMAT " in %.3f s: real-"
        "time factor %.3f", index, elapsed / 1e6,
        (elapsed / 1e6) / ((gdouble) n / GST_RIFT_RATE));
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

  /* the segment's PTS, duration, offsets (n samples) and flags (DISCONT,
   * GAP); not its metas, which describe the features */
  gst_buffer_copy_into (out, buffer, GST_BUFFER_COPY_FLAGS |
      GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  gst_buffer_unref (buffer);

  /* infer.py's fades: removed silence waits behind a held segment */
  if (gap) {
    if (self->pending) {
      g_queue_push_tail (&self->held, out);
      return GST_FLOW_OK;
    }
    return gst_rift_vocoder_push (self, out);
  }
  fade = gst_rift_vocoder_fade_samples (self);
  if (self->had_segment)
    fade_buffer (out, fade, TRUE, FALSE);
  if (self->pending) {
    /* another segment follows the held one: it fades out */
    fade_buffer (self->pending, fade, FALSE, TRUE);
    ret = gst_rift_vocoder_drain (self);
  }
  self->had_segment = TRUE;
  if (fade > 0) {
    self->pending = out;
    return ret;
  }
  if (ret != GST_FLOW_OK) {
    gst_buffer_unref (out);
    return ret;
  }
  return gst_rift_vocoder_push (self, out);
}

static gboolean
gst_rift_vocoder_set_caps (GstRiftVocoder * self, GstCaps * caps)
{
  GstCaps *current, *src_caps;
  gboolean ok = TRUE;

  if (!gst_rift_features_caps_check (GST_ELEMENT (self), caps, NEEDED_FEATURES,
          NULL, NULL))
    return FALSE;

  src_caps = gst_static_pad_template_get_caps (&src_template);
  current = gst_pad_get_current_caps (self->srcpad);
  if (current == NULL || !gst_caps_is_equal (current, src_caps))
    ok = gst_pad_set_caps (self->srcpad, src_caps);
  if (current)
    gst_caps_unref (current);
  gst_caps_unref (src_caps);
  return ok;
}

static gboolean
gst_rift_vocoder_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (parent);

  GST_LOG_OBJECT (self, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_vocoder_set_caps (self, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      /* buffers keep their timestamps, so the segment stays as it is */
      gst_event_parse_segment (event, &segment);
      if (segment->format != GST_FORMAT_TIME)
        GST_WARNING_OBJECT (self, "segment in %s format: audio sinks expect"
            " TIME", gst_format_get_name (segment->format));
      break;
    }
    case GST_EVENT_EOS:
    case GST_EVENT_STREAM_START:
      /* the held segment was the last of its stream: no fade-out */
      gst_rift_vocoder_drain (self);
      self->had_segment = FALSE;
      if (GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
        self->next_index = 0;
      return gst_pad_event_default (pad, parent, event);
    case GST_EVENT_FLUSH_STOP:
      gst_rift_vocoder_clear_held (self);
      self->next_index = 0;
      break;
    default:
      break;
  }
  /* serialized events stay in order behind a held segment */
  if (self->pending && GST_EVENT_IS_SERIALIZED (event)) {
    g_queue_push_tail (&self->held, event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_vocoder_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (parent);

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
gst_rift_vocoder_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (parent);

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

      /* a segment leaves riftvocoder once its audio is made: the longest
       * forward so far (0 before the first segment) */
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
gst_rift_vocoder_start (GstRiftVocoder * self)
{
  rift_backend_kind kind;
  gint device;
  gchar *model;
  const rift_vocoder_hparams *hp;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  kind = self->backend_kind;
  device = self->cuda_device_id;
  model = g_strdup (self->model);
  GST_OBJECT_UNLOCK (self);

  if (model == NULL || *model == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("riftvocoder has no model: set the model property to an NSF-HiFiGAN"
            " checkpoint (model.ckpt with its config.json beside it)"), (NULL));
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

  self->vocoder = rift_vocoder_load (model, self->backend, &err);
  if (self->vocoder == NULL) {
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

  /* the chain's grid: 44.1 kHz audio, 512 samples and 128 mels a frame */
  hp = rift_vocoder_get_hparams (self->vocoder);
  if (hp->sampling_rate != GST_RIFT_RATE || hp->upp != GST_RIFT_HOP
      || hp->n_mels != GST_RIFT_N_MELS) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("riftvocoder: the vocoder %s makes %" G_GINT64_FORMAT " Hz audio"
            " from %" G_GINT64_FORMAT " mels with %" G_GINT64_FORMAT
            " samples a frame (sampling_rate, num_mels and upsample_rates in"
            " its config.json), but the rift chain runs at %d Hz with %d mels"
            " and %d samples a frame: use a 44.1 kHz, hop 512, 128-mel"
            " NSF-HiFiGAN such as nsf_hifigan_44.1k_hop512_128bin_2024.02",
            model, hp->sampling_rate, hp->n_mels, hp->upp, GST_RIFT_RATE,
            GST_RIFT_N_MELS, GST_RIFT_HOP), ("model=%s", model));
    return FALSE;
  }

  GST_INFO_OBJECT (self, "model %s: %" G_GINT64_FORMAT " Hz, %"
      G_GINT64_FORMAT " channels, %d stages, %" G_GINT64_FORMAT
      " harmonics, on %s", model, hp->sampling_rate, hp->initial_channel,
      hp->n_stages, hp->n_harmonics, rift_backend_describe (self->backend));

  self->next_index = 0;
  gst_rift_vocoder_clear_held (self);
  GST_OBJECT_LOCK (self);
  self->live = FALSE;
  self->processing = 0;
  self->reported = 0;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_rift_vocoder_stop (GstRiftVocoder * self)
{
  gst_rift_vocoder_clear_held (self);
  g_clear_pointer (&self->vocoder, rift_vocoder_free);
  g_clear_pointer (&self->backend, rift_backend_unref);
  g_clear_pointer (&self->loaded_model, g_free);
}

static GstStateChangeReturn
gst_rift_vocoder_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftVocoder *self = GST_RIFT_VOCODER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_vocoder_start (self)) {
    gst_rift_vocoder_stop (self);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_vocoder_stop (self);
  return ret;
}
