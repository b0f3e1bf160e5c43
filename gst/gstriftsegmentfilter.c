/* gstriftsegmentfilter.c — GstRiftSegmentFilter, the base of the rift
 * elements that add one model-computed feature to each segment's buffer
 * (gstriftsegmentfilter.h says what it does for them; docs/design.md
 * "Feature buffers"). A plain GstElement with its own chain, event and
 * query functions, like riftmel, because the output of a batching subclass
 * does not follow its input one for one and events drain or queue behind
 * held segments (docs/elements.md "riftdit", "Batching").
 * Tested through riftf0, riftcvec and riftdit (tests/gst/test-riftf0.c,
 * test-riftcvec.c, test-riftdit.c) and by
 * tests/gst/test-riftsegmentfilter.c. */

/**
 * SECTION:gstriftsegmentfilter
 * @title: GstRiftSegmentFilter
 * @short_description: Base class of the rift elements that add a feature
 *
 * The base of riftf0, riftcvec and riftdit: elements that take one
 * `application/x-rift-features` buffer per segment, compute one feature of
 * it with a model and push the buffer on with that feature appended. It
 * checks caps and buffers, passes GAP buffers through, batches segments
 * for subclasses that want it, loads the model at READY->PAUSED on the
 * backend it shares with the other rift elements (#GstRiftSegmentFilter:backend,
 * #GstRiftSegmentFilter:cuda-device-id) and reports its processing time as
 * latency when live.
 *
 * Since: 0.1
 */
#include "gstriftsegmentfilter.h"
#include "riftcontext.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_segment_filter_debug);
#define GST_CAT_DEFAULT gst_rift_segment_filter_debug

enum
{
  PROP_0,
  PROP_BACKEND,
  PROP_CUDA_DEVICE_ID,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_RIFT_FEATURES_MEDIA_TYPE));

/* What a segment "already has" when its buffer carries the kind. */
static const gchar *const already_has[GST_RIFT_N_FEATURES] = {
  [GST_RIFT_FEATURE_AUDIO] = "audio",
  [GST_RIFT_FEATURE_MEL] = "a mel",
  [GST_RIFT_FEATURE_RMS] = "an rms",
  [GST_RIFT_FEATURE_F0] = "an f0",
  [GST_RIFT_FEATURE_CVEC] = "content vectors",
  [GST_RIFT_FEATURE_OUTMEL] = "an outmel",
};

typedef struct
{
  GstPad *sinkpad;
  GstPad *srcpad;

  /* properties, under the object lock */
  rift_backend_kind backend_kind;
  gint cuda_device_id;

  /* latency, under the object lock */
  gboolean live;                /* upstream said so in the last LATENCY query */
  gboolean warned_live_batch;
  GstClockTime processing;      /* the longest processing so far */
  GstClockTime reported;        /* the processing time in the last answer */

  /* from READY->PAUSED to PAUSED->READY */
  rift_backend *backend;
  gchar *loaded_model;          /* its path, for messages */

  /* streaming state (streaming thread) */
  gint cvec_dim;                /* of the sink caps */
  GstSegment segment;           /* the last SEGMENT event: the controller's
                                 * stream time */
  GQueue held;                  /* segments waiting for a batch, and the GAP
                                 * buffers and serialized events that came
                                 * after them */
  guint n_held;                 /* segments in `held` */
  guint64 next_index;           /* number of the next buffer since start,
                                 * STREAM_START or FLUSH_STOP */
} GstRiftSegmentFilterPrivate;

/* Written out rather than with G_DEFINE_ABSTRACT_TYPE so that the instance
 * init gets the subclass's class, whose src pad template it needs (as
 * GstBaseTransform does). */
static GstElementClass *parent_class = NULL;
static gint private_offset = 0;

/* with the signatures GTypeInfo wants, so that it needs no casts */
static void gst_rift_segment_filter_class_init (gpointer g_class,
    gpointer class_data);
static void gst_rift_segment_filter_init (GTypeInstance * instance,
    gpointer g_class);

GType
gst_rift_segment_filter_get_type (void)
{
  static gsize type = 0;

  if (g_once_init_enter (&type)) {
    static const GTypeInfo info = {
      .class_size = sizeof (GstRiftSegmentFilterClass),
      .class_init = gst_rift_segment_filter_class_init,
      .instance_size = sizeof (GstRiftSegmentFilter),
      .instance_init = gst_rift_segment_filter_init,
    };
    GType t = g_type_register_static (GST_TYPE_ELEMENT, "GstRiftSegmentFilter",
        &info, G_TYPE_FLAG_ABSTRACT);

    private_offset = g_type_add_instance_private (t,
        sizeof (GstRiftSegmentFilterPrivate));
    /* here rather than in class_init, so that it holds as soon as the
     * plugin has registered its elements (docs and gst-inspect) */
    gst_type_mark_as_plugin_api (t, 0);
    g_once_init_leave (&type, t);
  }
  return type;
}

static inline GstRiftSegmentFilterPrivate *
get_priv (GstRiftSegmentFilter * filter)
{
  return G_STRUCT_MEMBER_P (filter, private_offset);
}

static void gst_rift_segment_filter_set_property (GObject * object,
    guint prop_id, const GValue * value, GParamSpec * pspec);
static void gst_rift_segment_filter_get_property (GObject * object,
    guint prop_id, GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_segment_filter_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_rift_segment_filter_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buffer);
static gboolean gst_rift_segment_filter_sink_event (GstPad * pad,
    GstObject * parent, GstEvent * event);
static gboolean gst_rift_segment_filter_sink_query (GstPad * pad,
    GstObject * parent, GstQuery * query);
static gboolean gst_rift_segment_filter_src_query (GstPad * pad,
    GstObject * parent, GstQuery * query);
static gboolean gst_rift_segment_filter_process_batch (GstRiftSegmentFilter *
    filter, GstBuffer * const *segments, gfloat * const *out, guint n,
    const guint64 * numbers, GError ** error);

static void
gst_rift_segment_filter_class_init (gpointer g_class, gpointer class_data)
{
  GstRiftSegmentFilterClass *klass = g_class;
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  parent_class = g_type_class_peek_parent (klass);
  g_type_class_adjust_private_offset (klass, &private_offset);
  GST_DEBUG_CATEGORY_INIT (gst_rift_segment_filter_debug, "riftsegmentfilter",
      0, "rift elements that add a feature to each segment");

  gobject_class->set_property = gst_rift_segment_filter_set_property;
  gobject_class->get_property = gst_rift_segment_filter_get_property;

  /**
   * GstRiftSegmentFilter:backend:
   *
   * Where the model runs. The rift elements of a pipeline that ask for the
   * same backend share one (see docs/elements.md).
   *
   * Since: 0.1
   */
  /**
   * GstRiftSegmentFilter:cuda-device-id:
   *
   * The CUDA device ordinal for the cuda and auto backends; -1 takes the
   * first device, or whichever device the pipeline's shared backend is on.
   *
   * Since: 0.1
   */
  gst_rift_backend_install_properties (gobject_class, PROP_BACKEND,
      PROP_CUDA_DEVICE_ID, "Where the model runs" GST_RIFT_BACKEND_CHOICES);

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_change_state);
  klass->process_batch =
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_process_batch);
}

/* `g_class` is the class of the element being made, a subclass's */
static void
gst_rift_segment_filter_init (GTypeInstance * instance, gpointer g_class)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (instance);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  GstElementClass *element_class = GST_ELEMENT_CLASS (g_class);

  priv->sinkpad = gst_pad_new_from_template
      (gst_element_class_get_pad_template (element_class, "sink"), "sink");
  gst_pad_set_chain_function (priv->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_chain));
  gst_pad_set_event_function (priv->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_sink_event));
  gst_pad_set_query_function (priv->sinkpad,
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_sink_query));
  gst_element_add_pad (GST_ELEMENT (filter), priv->sinkpad);

  priv->srcpad = gst_pad_new_from_template
      (gst_element_class_get_pad_template (element_class, "src"), "src");
  gst_pad_set_query_function (priv->srcpad,
      GST_DEBUG_FUNCPTR (gst_rift_segment_filter_src_query));
  gst_pad_use_fixed_caps (priv->srcpad);
  gst_element_add_pad (GST_ELEMENT (filter), priv->srcpad);

  priv->backend_kind = GST_RIFT_DEFAULT_BACKEND;
  priv->cuda_device_id = GST_RIFT_DEFAULT_CUDA_DEVICE_ID;
  g_queue_init (&priv->held);
  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
}

void
gst_rift_segment_filter_class_set_features (GstRiftSegmentFilterClass * klass,
    GstRiftFeatureMask needs, GstRiftFeatureKind adds)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstCaps *src_caps;

  g_return_if_fail (adds < GST_RIFT_N_FEATURES);

  klass->needs = needs;
  klass->adds = adds;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  src_caps = gst_caps_new_empty_simple (GST_RIFT_FEATURES_MEDIA_TYPE);
  gst_caps_set_simple (src_caps, gst_rift_feature_kind_name (adds),
      G_TYPE_BOOLEAN, TRUE, NULL);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, src_caps));
  gst_caps_unref (src_caps);
}

const gchar *
gst_rift_segment_filter_get_loaded_model (GstRiftSegmentFilter * filter)
{
  g_return_val_if_fail (GST_IS_RIFT_SEGMENT_FILTER (filter), NULL);
  return get_priv (filter)->loaded_model;
}

static void
gst_rift_segment_filter_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (GST_RIFT_SEGMENT_FILTER
      (object));

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_BACKEND:
      priv->backend_kind = g_value_get_enum (value);
      break;
    case PROP_CUDA_DEVICE_ID:
      priv->cuda_device_id = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

static void
gst_rift_segment_filter_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (GST_RIFT_SEGMENT_FILTER
      (object));

  GST_OBJECT_LOCK (object);
  switch (prop_id) {
    case PROP_BACKEND:
      g_value_set_enum (value, priv->backend_kind);
      break;
    case PROP_CUDA_DEVICE_ID:
      g_value_set_int (value, priv->cuda_device_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (object);
}

/* ---- messages ---- */

/* "riftf0": the factory's name, as in gst_rift_features_caps_check's
 * messages */
static const gchar *
element_name (GstRiftSegmentFilter * filter)
{
  GstElementFactory *factory = gst_element_get_factory (GST_ELEMENT (filter));

  return factory ? GST_OBJECT_NAME (factory) : GST_OBJECT_NAME (filter);
}

static gboolean
is_gst_error_domain (GQuark domain)
{
  return domain == GST_CORE_ERROR || domain == GST_LIBRARY_ERROR
      || domain == GST_RESOURCE_ERROR || domain == GST_STREAM_ERROR;
}

/* GST_ELEMENT_ERROR with `err`'s message and a domain and code chosen at
 * run time: `err`'s own when it is one of GStreamer's, else `domain` and
 * `code`. Takes `debug`. */
static void
post_error (GstRiftSegmentFilter * filter, const GError * err, GQuark domain,
    gint code, gchar * debug)
{
  if (is_gst_error_domain (err->domain)) {
    domain = err->domain;
    code = err->code;
  }
  GST_WARNING_OBJECT (filter, "error: %s", err->message);
  gst_element_message_full (GST_ELEMENT (filter), GST_MESSAGE_ERROR, domain,
      code, g_strdup (err->message), debug, __FILE__, GST_FUNCTION, __LINE__);
}

/* ---- streaming ---- */

static gint64
added_width (GstRiftSegmentFilter * filter)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);

  return klass->get_added_width ? klass->get_added_width (filter) : 1;
}

/* The values per frame a needed feature must have. */
static gint64
needed_width (GstRiftSegmentFilter * filter, GstRiftFeatureKind kind)
{
  switch (kind) {
    case GST_RIFT_FEATURE_MEL:
    case GST_RIFT_FEATURE_OUTMEL:
      return GST_RIFT_N_MELS;
    case GST_RIFT_FEATURE_CVEC:
      return get_priv (filter)->cvec_dim;
    default:
      return 1;
  }
}

/* "riftmel ! riftf0 ! riftcvec": the elements that add the needed kinds,
 * in chain order */
static gchar *
needed_producers (GstRiftFeatureMask needs)
{
  GString *str = g_string_new (NULL);
  const gchar *last = NULL;
  guint k;

  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    const gchar *producer = gst_rift_feature_kind_producer (k);

    if (!(needs & GST_RIFT_FEATURE_BIT (k)) || g_strcmp0 (producer, last) == 0)
      continue;
    if (str->len > 0)
      g_string_append (str, " ! ");
    g_string_append (str, producer);
    last = producer;
  }
  return g_string_free (str, FALSE);
}

/* FALSE with a STREAM/FORMAT error when `buffer` is not a segment whose
 * needed features have the shapes its meta and caps say, or already has
 * the added feature. */
static gboolean
gst_rift_segment_filter_check_buffer (GstRiftSegmentFilter * filter,
    GstBuffer * buffer)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  const gchar *name = element_name (filter);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  guint k;

  if (meta == NULL) {
    gchar *producers = needed_producers (klass->needs);

    GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
        ("%s received a buffer without GstRiftFeaturesMeta: its input must"
            " come from %s", name, producers),
        ("buffer %" GST_PTR_FORMAT, buffer));
    g_free (producers);
    return FALSE;
  }
  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    const gchar *kind = gst_rift_feature_kind_name (k);
    const GstRiftFeatureInfo *info = NULL;
    gint64 width = needed_width (filter, k);

    if (!(klass->needs & GST_RIFT_FEATURE_BIT (k)))
      continue;
    if (gst_rift_features_peek (buffer, k, &info) == NULL) {
      GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
          ("The segment at %" GST_TIME_FORMAT " has no %s although its caps"
              " say so", GST_TIME_ARGS (pts), kind),
          ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
    /* the audio also fixes T, which every frame feature must have */
    if (k == GST_RIFT_FEATURE_AUDIO && (info->dtype != RIFT_F32
            || info->frames != (gint64) meta->n_samples || info->width != 1
            || meta->n_frames != meta->n_samples / GST_RIFT_HOP)) {
      GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
          ("The audio of the segment at %" GST_TIME_FORMAT " is %s [%"
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] with T=%"
              G_GUINT64_FORMAT "; %s needs F32 [%" G_GUINT64_FORMAT
              ", 1] with T=%" G_GUINT64_FORMAT, GST_TIME_ARGS (pts),
              rift_dtype_name (info->dtype), info->frames, info->width,
              meta->n_frames, name, meta->n_samples,
              meta->n_samples / GST_RIFT_HOP),
          ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
    if (k != GST_RIFT_FEATURE_AUDIO && (info->dtype != RIFT_F32
            || info->frames != (gint64) meta->n_frames
            || info->width != width)) {
      GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
          ("The %s of the segment at %" GST_TIME_FORMAT " is %s [%"
              G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]; %s needs F32 [%"
              G_GUINT64_FORMAT ", %" G_GINT64_FORMAT "]", kind,
              GST_TIME_ARGS (pts), rift_dtype_name (info->dtype),
              info->frames, info->width, name, meta->n_frames, width),
          ("buffer %" GST_PTR_FORMAT, buffer));
      return FALSE;
    }
  }
  if (meta->features[klass->adds].memory >= 0) {
    GST_ELEMENT_ERROR (filter, STREAM, FORMAT,
        ("The segment at %" GST_TIME_FORMAT " already has %s: is there"
            " another %s before this one?", GST_TIME_ARGS (pts),
            already_has[klass->adds], name),
        ("buffer %" GST_PTR_FORMAT, buffer));
    return FALSE;
  }
  return TRUE;
}

/* A segment to process, as opposed to a GAP buffer or an event in `held`. */
static gboolean
is_segment (gpointer obj)
{
  return GST_IS_BUFFER (obj)
      && !GST_BUFFER_FLAG_IS_SET (GST_BUFFER (obj), GST_BUFFER_FLAG_GAP);
}

/* process on each segment that has frames, one after the other */
static gboolean
gst_rift_segment_filter_process_batch (GstRiftSegmentFilter * filter,
    GstBuffer * const *segments, gfloat * const *out, guint n,
    const guint64 * numbers, GError ** error)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  guint i;

  for (i = 0; i < n; i++) {
    if (out[i] && !klass->process (filter, segments[i], out[i], error))
      return FALSE;
  }
  return TRUE;
}

/* Records a processing time; a live pipeline redistributes latency when it
 * grew by more than a quarter since the last answer. */
static void
update_latency (GstRiftSegmentFilter * filter, GstClockTime elapsed)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  gboolean post;

  GST_OBJECT_LOCK (filter);
  if (elapsed > priv->processing)
    priv->processing = elapsed;
  post = priv->live && priv->processing > priv->reported + priv->reported / 4;
  GST_OBJECT_UNLOCK (filter);
  if (post)
    gst_element_post_message (GST_ELEMENT (filter),
        gst_message_new_latency (GST_OBJECT (filter)));
}

/* Computes the added feature of the `n` segments `segments` (writable, with
 * their numbers in the stream) together and appends it. FALSE after
 * posting an error. */
static gboolean
gst_rift_segment_filter_process_batch_of (GstRiftSegmentFilter * filter,
    GstBuffer * const *segments, const guint64 * numbers, guint n)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  const gint64 width = added_width (filter);
  GstMemory **mems = g_new (GstMemory *, n);
  GstMapInfo *maps = g_new (GstMapInfo, n);
  gfloat **out = g_new0 (gfloat *, n);
  guint64 n_samples = 0;
  gboolean compute = FALSE, ok = TRUE;
  GstClockTime first_pts = GST_BUFFER_PTS (segments[0]);
  gint64 start, elapsed = 0;
  GError *err = NULL;
  guint i;

  for (i = 0; i < n; i++) {
    GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (segments[i]);

    mems[i] = gst_allocator_alloc (NULL,
        meta->n_frames * width * sizeof (gfloat), NULL);
    if (meta->n_frames > 0) {
      gst_memory_map (mems[i], &maps[i], GST_MAP_WRITE);
      out[i] = (gfloat *) maps[i].data;
      compute = TRUE;
    }
    n_samples += meta->n_samples;
  }

  /* a T = 0 segment gets an empty feature without any computation */
  if (compute) {
    start = g_get_monotonic_time ();
    ok = klass->process_batch (filter, segments, out, n, numbers, &err);
    elapsed = g_get_monotonic_time () - start;
  }
  for (i = 0; i < n; i++) {
    if (out[i])
      gst_memory_unmap (mems[i], &maps[i]);
  }

  if (!ok) {
    post_error (filter, err, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_FAILED,
        g_strdup_printf ("%u segment(s) from %" GST_TIME_FORMAT ", %"
            G_GUINT64_FORMAT " samples in all, model %s", n,
            GST_TIME_ARGS (first_pts), n_samples, priv->loaded_model));
    g_error_free (err);
    for (i = 0; i < n; i++)
      gst_memory_unref (mems[i]);
  } else {
    if (compute) {
      GST_DEBUG_OBJECT (filter, "%u segment(s) from %" GST_TIME_FORMAT ", %"
          G_GUINT64_FORMAT " samples, in %.3f s: real-time factor %.3f", n,
          GST_TIME_ARGS (first_pts), n_samples, elapsed / 1e6,
          elapsed / 1e6 / ((gdouble) n_samples / GST_RIFT_RATE));
      update_latency (filter, elapsed * GST_USECOND);
    }
    for (i = 0; i < n; i++) {
      GstRiftFeaturesMeta *meta =
          gst_buffer_get_rift_features_meta (segments[i]);

      gst_rift_features_add (segments[i], klass->adds, mems[i], RIFT_F32,
          meta->n_frames, width);
    }
  }

  g_free (mems);
  g_free (maps);
  g_free (out);
  return ok;
}

/* A held segment and its number in the stream, sorted together. */
typedef struct
{
  GstBuffer *segment;
  guint64 number;
} HeldSegment;

/* g_qsort_with_data (stable) order of HeldSegments: by sample count */
static gint
compare_length (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint64 na = gst_buffer_get_rift_features_meta (((const HeldSegment *) a)
      ->segment)->n_samples;
  guint64 nb = gst_buffer_get_rift_features_meta (((const HeldSegment *) b)
      ->segment)->n_samples;

  return na < nb ? -1 : na > nb;
}

/* Computes the added feature of every held segment and appends it, in
 * batches of `batch` formed as infer.py forms them: the segments sorted by
 * length (stable), then cut into batches in that order. The segments in
 * `held` are replaced by writable ones first, so that process_batch may
 * update their metas. FALSE after posting an error. */
static gboolean
gst_rift_segment_filter_process_held (GstRiftSegmentFilter * filter,
    guint batch)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  const guint n = priv->n_held;
  HeldSegment *held = g_new (HeldSegment, n);
  GstBuffer **segments = g_new (GstBuffer *, batch);
  guint64 *numbers = g_new (guint64, batch), number = priv->next_index;
  gboolean ok = TRUE;
  GList *l;
  guint i = 0, first, k;

  /* counted back from the next buffer: the number of the first one held */
  for (l = priv->held.head; l; l = l->next) {
    if (GST_IS_BUFFER (l->data))
      number--;
  }
  for (l = priv->held.head; l; l = l->next) {
    if (!is_segment (l->data)) {
      /* a GAP buffer has its number too */
      if (GST_IS_BUFFER (l->data))
        number++;
      continue;
    }
    /* a buffer held elsewhere too is copied; the copy shares the
     * memories */
    l->data = gst_rift_features_make_writable (l->data);
    held[i].segment = l->data;
    held[i++].number = number++;
  }
  g_qsort_with_data (held, n, sizeof (HeldSegment), compare_length, NULL);

  for (first = 0; ok && first < n; first += batch) {
    for (k = 0; k < batch && first + k < n; k++) {
      segments[k] = held[first + k].segment;
      numbers[k] = held[first + k].number;
    }
    ok = gst_rift_segment_filter_process_batch_of (filter, segments, numbers,
        k);
  }

  g_free (held);
  g_free (segments);
  g_free (numbers);
  return ok;
}

static void
gst_rift_segment_filter_clear_held (GstRiftSegmentFilter * filter)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);

  g_queue_clear_full (&priv->held, (GDestroyNotify) gst_mini_object_unref);
  priv->n_held = 0;
}

static void
gst_rift_segment_filter_reset_stream (GstRiftSegmentFilter * filter)
{
  gst_rift_segment_filter_clear_held (filter);
  get_priv (filter)->next_index = 0;
}

/* The subclass's batch size, and in *by_length whether it batches the
 * whole stream sorted by length; 1 and FALSE without get_batch_size. */
static guint
batch_size (GstRiftSegmentFilter * filter, gboolean * by_length)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  guint n;

  *by_length = FALSE;
  n = klass->get_batch_size ? klass->get_batch_size (filter, by_length) : 1;
  /* batches of one are the same however the segments are sorted */
  *by_length = *by_length && n > 1;
  return n;
}

static guint
effective_batch_size (GstRiftSegmentFilter * filter, gboolean * by_length)
{
  guint n = batch_size (filter, by_length);

  /* a live pipeline cannot wait for a batch to fill (see the LATENCY
   * query, which warns) */
  if (gst_rift_segment_filter_is_live (filter)) {
    *by_length = FALSE;
    return 1;
  }
  return n;
}

/* Processes what is held and pushes it, buffers and events in the order
 * they came. Nothing happens when no segment is held. */
static GstFlowReturn
gst_rift_segment_filter_drain (GstRiftSegmentFilter * filter)
{
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  GstFlowReturn ret = GST_FLOW_OK;
  GstMiniObject *obj;
  gboolean by_length;

  if (priv->n_held == 0)
    return GST_FLOW_OK;
  if (!gst_rift_segment_filter_process_held (filter,
          effective_batch_size (filter, &by_length))) {
    gst_rift_segment_filter_clear_held (filter);
    return GST_FLOW_ERROR;
  }
  priv->n_held = 0;
  while ((obj = g_queue_pop_head (&priv->held))) {
    if (ret != GST_FLOW_OK)
      gst_mini_object_unref (obj);
    else if (GST_IS_BUFFER (obj))
      ret = gst_pad_push (priv->srcpad, GST_BUFFER (obj));
    else
      gst_pad_push_event (priv->srcpad, GST_EVENT (obj));
  }
  return ret;
}

gboolean
gst_rift_segment_filter_is_live (GstRiftSegmentFilter * filter)
{
  gboolean live;

  GST_OBJECT_LOCK (filter);
  live = get_priv (filter)->live;
  GST_OBJECT_UNLOCK (filter);
  return live;
}

/* Controlled properties take their value at the segment's stream time. */
static void
sync_values (GstRiftSegmentFilter * filter, GstBuffer * buffer)
{
  const GstSegment *segment = &get_priv (filter)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buffer), stream_time;

  if (segment->format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (pts))
    return;
  stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME, pts);
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    gst_object_sync_values (GST_OBJECT (filter), stream_time);
}

static GstFlowReturn
gst_rift_segment_filter_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (parent);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  gboolean by_length;
  guint batch;

  if (G_UNLIKELY (!gst_pad_has_current_caps (pad))) {
    GST_ELEMENT_ERROR (filter, CORE, NEGOTIATION, (NULL),
        ("received a buffer before caps"));
    gst_buffer_unref (buffer);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* removed silence (docs/design.md): no features, nothing to add; it
   * keeps its place behind held segments */
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP)) {
    GST_LOG_OBJECT (filter, "GAP segment %" G_GUINT64_FORMAT " passes: %"
        GST_PTR_FORMAT, priv->next_index, buffer);
    priv->next_index++;
    if (priv->n_held == 0)
      return gst_pad_push (priv->srcpad, buffer);
    g_queue_push_tail (&priv->held, buffer);
    return GST_FLOW_OK;
  }
  if (!gst_rift_segment_filter_check_buffer (filter, buffer)) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }

  GST_LOG_OBJECT (filter, "segment %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT,
      priv->next_index, buffer);
  sync_values (filter, buffer);
  g_queue_push_tail (&priv->held, buffer);
  priv->n_held++;
  priv->next_index++;
  /* batched by length, the stream's segments wait for its end */
  batch = effective_batch_size (filter, &by_length);
  if (!by_length && priv->n_held >= batch)
    return gst_rift_segment_filter_drain (filter);
  return GST_FLOW_OK;
}

static gboolean
gst_rift_segment_filter_set_caps (GstRiftSegmentFilter * filter, GstCaps * caps)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  const gchar *name = element_name (filter);
  GstRiftFeatureMask kinds = 0;
  gint cvec_dim = 0;
  GstCaps *current, *src_caps;
  gboolean ok = TRUE;

  if (!gst_rift_features_caps_check (GST_ELEMENT (filter), caps, klass->needs,
          &kinds, &cvec_dim))
    return FALSE;
  if (kinds & GST_RIFT_FEATURE_BIT (klass->adds)) {
    GST_ELEMENT_ERROR (filter, CORE, NEGOTIATION,
        ("%s got buffers that already carry %s: there is another %s before"
            " this one", name, gst_rift_feature_kind_name (klass->adds),
            name), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  if (klass->check_caps && !klass->check_caps (filter, caps, kinds, cvec_dim))
    return FALSE;

  /* held segments go out with the caps they came with */
  current = gst_pad_get_current_caps (priv->sinkpad);
  if (current) {
    if (!gst_caps_is_equal (current, caps))
      gst_rift_segment_filter_drain (filter);
    gst_caps_unref (current);
  }
  priv->cvec_dim = cvec_dim;

  /* whatever came before plus the added feature (of the model's width when
   * it is cvec) */
  if (klass->adds == GST_RIFT_FEATURE_CVEC)
    cvec_dim = (gint) added_width (filter);
  src_caps = gst_rift_features_caps_new (kinds |
      GST_RIFT_FEATURE_BIT (klass->adds), cvec_dim);
  current = gst_pad_get_current_caps (priv->srcpad);
  if (current == NULL || !gst_caps_is_equal (current, src_caps))
    ok = gst_pad_set_caps (priv->srcpad, src_caps);
  if (current)
    gst_caps_unref (current);
  gst_caps_unref (src_caps);
  return ok;
}

static gboolean
gst_rift_segment_filter_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (parent);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);

  GST_LOG_OBJECT (filter, "%" GST_PTR_FORMAT, event);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean ok;

      gst_event_parse_caps (event, &caps);
      ok = gst_rift_segment_filter_set_caps (filter, caps);
      gst_event_unref (event);
      return ok;
    }
    case GST_EVENT_SEGMENT:{
      const GstSegment *segment;

      gst_event_parse_segment (event, &segment);
      if (!gst_segment_is_equal (segment, &priv->segment)) {
        gst_rift_segment_filter_drain (filter);
        gst_segment_copy_into (segment, &priv->segment);
      }
      break;
    }
    case GST_EVENT_STREAM_START:
      gst_rift_segment_filter_drain (filter);
      gst_rift_segment_filter_reset_stream (filter);
      break;
    case GST_EVENT_GAP:
    case GST_EVENT_EOS:
      /* pushed before the event, so downstream sees the segments first */
      gst_rift_segment_filter_drain (filter);
      break;
    case GST_EVENT_FLUSH_STOP:
      gst_rift_segment_filter_reset_stream (filter);
      gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
      break;
    default:
      break;
  }

  /* serialized events that did not drain (tags, the same segment again,
   * ...) stay behind the segments that came before them */
  if (GST_EVENT_IS_SERIALIZED (event) && priv->n_held > 0) {
    g_queue_push_tail (&priv->held, event);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
gst_rift_segment_filter_sink_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  if (gst_rift_backend_handle_context_query (GST_ELEMENT (parent), query))
    return TRUE;
  return gst_pad_query_default (pad, parent, query);
}

static gboolean
gst_rift_segment_filter_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (parent);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);

  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:{
      gboolean live, warn;
      GstClockTime min, max, processing;
      gboolean by_length;
      guint batch = batch_size (filter, &by_length);

      if (!gst_pad_peer_query (priv->sinkpad, query))
        return FALSE;
      gst_query_parse_latency (query, &live, &min, &max);

      GST_OBJECT_LOCK (filter);
      priv->live = live;
      warn = live && batch > 1 && !priv->warned_live_batch;
      if (warn)
        priv->warned_live_batch = TRUE;
      processing = priv->processing;
      if (live)
        priv->reported = processing;
      GST_OBJECT_UNLOCK (filter);

      if (warn)
        GST_ELEMENT_WARNING (filter, CORE, CLOCK,
            ("%s has batch-size=%u in a live pipeline: waiting for a batch"
                " would delay the output by up to %u segments, so segments"
                " are converted one at a time. Set batch-size=1.",
                element_name (filter), batch, batch - 1), (NULL));
      if (!live)
        return TRUE;

      /* a segment leaves once its feature is computed: the longest
       * computation so far (0 before the first segment) */
      min += processing;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += processing;
      GST_DEBUG_OBJECT (filter, "latency: live, processing %" GST_TIME_FORMAT
          ", min %" GST_TIME_FORMAT ", max %" GST_TIME_FORMAT,
          GST_TIME_ARGS (processing), GST_TIME_ARGS (min), GST_TIME_ARGS (max));
      gst_query_set_latency (query, live, min, max);
      return TRUE;
    }
    default:
      break;
  }
  if (gst_rift_backend_handle_context_query (GST_ELEMENT (filter), query))
    return TRUE;
  return gst_pad_query_default (pad, parent, query);
}

/* ---- states ---- */

static gboolean
gst_rift_segment_filter_start (GstRiftSegmentFilter * filter)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);
  rift_backend_kind kind;
  gint device;
  gchar *model = NULL;
  GError *err = NULL;

  g_object_get (filter, "model", &model, NULL);
  GST_OBJECT_LOCK (filter);
  kind = priv->backend_kind;
  device = priv->cuda_device_id;
  GST_OBJECT_UNLOCK (filter);

  if (model == NULL || *model == '\0') {
    GST_ELEMENT_ERROR (filter, RESOURCE, NOT_FOUND,
        ("%s has no model: set the model property to %s",
            element_name (filter), klass->model_hint), (NULL));
    g_free (model);
    return FALSE;
  }

  priv->backend = gst_rift_backend_ensure (GST_ELEMENT (filter), kind, device,
      &err);
  if (priv->backend == NULL) {
    GST_ELEMENT_ERROR (filter, LIBRARY, INIT, ("%s", err->message),
        ("backend=%s cuda-device-id=%d", rift_backend_kind_to_string (kind),
            device));
    g_error_free (err);
    g_free (model);
    return FALSE;
  }

  if (!klass->start (filter, model, priv->backend, &err)) {
    if (g_file_test (model, G_FILE_TEST_EXISTS))
      post_error (filter, err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ, g_strdup_printf ("model=%s", model));
    else
      post_error (filter, err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_FOUND, g_strdup_printf ("model=%s", model));
    g_error_free (err);
    g_free (model);
    return FALSE;
  }
  priv->loaded_model = model;

  gst_rift_segment_filter_reset_stream (filter);
  gst_segment_init (&priv->segment, GST_FORMAT_UNDEFINED);
  GST_OBJECT_LOCK (filter);
  priv->live = FALSE;
  priv->warned_live_batch = FALSE;
  priv->processing = 0;
  priv->reported = 0;
  GST_OBJECT_UNLOCK (filter);
  return TRUE;
}

static void
gst_rift_segment_filter_stop (GstRiftSegmentFilter * filter)
{
  GstRiftSegmentFilterClass *klass = GST_RIFT_SEGMENT_FILTER_GET_CLASS (filter);
  GstRiftSegmentFilterPrivate *priv = get_priv (filter);

  gst_rift_segment_filter_clear_held (filter);
  if (klass->stop)
    klass->stop (filter);
  g_clear_pointer (&priv->backend, rift_backend_unref);
  g_clear_pointer (&priv->loaded_model, g_free);
}

static GstStateChangeReturn
gst_rift_segment_filter_change_state (GstElement * element,
    GstStateChange transition)
{
  GstRiftSegmentFilter *filter = GST_RIFT_SEGMENT_FILTER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED
      && !gst_rift_segment_filter_start (filter)) {
    gst_rift_segment_filter_stop (filter);
    return GST_STATE_CHANGE_FAILURE;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  /* after the parent deactivated the pads, so no chain call is running */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY
      || (transition == GST_STATE_CHANGE_READY_TO_PAUSED
          && ret == GST_STATE_CHANGE_FAILURE))
    gst_rift_segment_filter_stop (filter);
  return ret;
}
