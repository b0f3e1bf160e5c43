/* riftfeatures.c — caps, meta and memory helpers of the rift feature buffer
 * (riftfeatures.h, docs/design.md "Feature buffers").
 *
 * This file is linked into the plugin and into the tests and examples that
 * read feature buffers, so two copies can live in one process: the GTypes
 * and the GstMetaInfo are looked up by name before they are registered, and
 * whichever copy comes first registers them for both. */
#include "riftfeatures.h"

#include <math.h>
#include <string.h>

static const struct
{
  const gchar *name;
  const gchar *producer;
} kinds[GST_RIFT_N_FEATURES] = {
  [GST_RIFT_FEATURE_AUDIO] = {"audio", "riftmel"},
  [GST_RIFT_FEATURE_MEL] = {"mel", "riftmel"},
  [GST_RIFT_FEATURE_RMS] = {"rms", "riftmel"},
  [GST_RIFT_FEATURE_F0] = {"f0", "riftf0"},
  [GST_RIFT_FEATURE_CVEC] = {"cvec", "riftcvec"},
  [GST_RIFT_FEATURE_OUTMEL] = {"outmel", "riftdit"},
};

#define CHAIN "riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder"

const gchar *
gst_rift_feature_kind_name (GstRiftFeatureKind kind)
{
  g_return_val_if_fail (kind < GST_RIFT_N_FEATURES, NULL);
  return kinds[kind].name;
}

const gchar *
gst_rift_feature_kind_producer (GstRiftFeatureKind kind)
{
  g_return_val_if_fail (kind < GST_RIFT_N_FEATURES, NULL);
  return kinds[kind].producer;
}

/* ---- caps ---- */

GstCaps *
gst_rift_features_caps_new (GstRiftFeatureMask mask, gint cvec_dim)
{
  GstStructure *s;
  guint k;

  s = gst_structure_new (GST_RIFT_FEATURES_MEDIA_TYPE,
      "rate", G_TYPE_INT, GST_RIFT_RATE,
      "hop", G_TYPE_INT, GST_RIFT_HOP,
      "n-mels", G_TYPE_INT, GST_RIFT_N_MELS, NULL);
  /* every field, true or false: a field left out would intersect with
   * anything and hide a missing stage */
  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    gst_structure_set (s, kinds[k].name, G_TYPE_BOOLEAN,
        (mask & GST_RIFT_FEATURE_BIT (k)) != 0, NULL);
    if (k == GST_RIFT_FEATURE_CVEC)
      gst_structure_set (s, "cvec-dim", G_TYPE_INT,
          (mask & GST_RIFT_FEATURE_BIT (k)) ? cvec_dim : 0, NULL);
  }
  return gst_caps_new_full (s, NULL);
}

gboolean
gst_rift_features_caps_parse (const GstCaps * caps, GstRiftFeatureMask * mask,
    gint * cvec_dim, gchar ** message)
{
  const GstStructure *s;
  GstRiftFeatureMask have = 0;
  gint rate = 0, hop = 0, n_mels = 0, dim = 0;
  guint k;

  if (gst_caps_get_size (caps) != 1 ||
      !gst_structure_has_name (gst_caps_get_structure (caps, 0),
          GST_RIFT_FEATURES_MEDIA_TYPE)) {
    gchar *str = gst_caps_to_string (caps);
    *message = g_strdup_printf ("caps %s are not " GST_RIFT_FEATURES_MEDIA_TYPE,
        str);
    g_free (str);
    return FALSE;
  }
  s = gst_caps_get_structure (caps, 0);

  if (!gst_structure_get_int (s, "rate", &rate)
      || !gst_structure_get_int (s, "hop", &hop)
      || !gst_structure_get_int (s, "n-mels", &n_mels)
      || rate != GST_RIFT_RATE || hop != GST_RIFT_HOP
      || n_mels != GST_RIFT_N_MELS) {
    *message = g_strdup_printf ("features on a rate=%d hop=%d n-mels=%d grid;"
        " rift features are on the rate=%d hop=%d n-mels=%d grid", rate, hop,
        n_mels, GST_RIFT_RATE, GST_RIFT_HOP, GST_RIFT_N_MELS);
    return FALSE;
  }

  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    gboolean present;

    if (!gst_structure_get_boolean (s, kinds[k].name, &present)) {
      *message = g_strdup_printf ("the caps do not say whether '%s' is present"
          " (every producer must state audio, mel, rms, f0, cvec and outmel)",
          kinds[k].name);
      return FALSE;
    }
    if (present)
      have |= GST_RIFT_FEATURE_BIT (k);
  }

  if ((have & GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_CVEC))
      && (!gst_structure_get_int (s, "cvec-dim", &dim) || dim <= 0)) {
    *message = g_strdup ("cvec=true needs a positive cvec-dim");
    return FALSE;
  }

  if (mask)
    *mask = have;
  if (cvec_dim)
    *cvec_dim = dim;
  return TRUE;
}

/* "f0", "f0 and cvec", "f0, cvec and outmel" */
static void
append_list (GString * str, const gchar ** items, guint n)
{
  guint i;

  for (i = 0; i < n; i++) {
    if (i > 0)
      g_string_append (str, i == n - 1 ? " and " : ", ");
    g_string_append (str, items[i]);
  }
}

gboolean
gst_rift_features_caps_check (GstElement * element, const GstCaps * caps,
    GstRiftFeatureMask need, GstRiftFeatureMask * mask, gint * cvec_dim)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  const gchar *name = factory ? GST_OBJECT_NAME (factory) :
      GST_OBJECT_NAME (element);
  const gchar *missing[GST_RIFT_N_FEATURES], *producers[GST_RIFT_N_FEATURES];
  guint n_missing = 0, n_producers = 0, k, i;
  GstRiftFeatureMask have;
  gchar *message = NULL;
  GString *str;

  if (!gst_rift_features_caps_parse (caps, &have, cvec_dim, &message)) {
    GST_ELEMENT_ERROR (element, CORE, NEGOTIATION, ("%s: %s", name, message),
        (NULL));
    g_free (message);
    return FALSE;
  }
  if (mask)
    *mask = have;
  if ((need & ~have) == 0)
    return TRUE;

  /* kinds come in chain order, so the producers do too */
  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    if (!(need & ~have & GST_RIFT_FEATURE_BIT (k)))
      continue;
    missing[n_missing++] = kinds[k].name;
    for (i = 0; i < n_producers; i++)
      if (strcmp (producers[i], kinds[k].producer) == 0)
        break;
    if (i == n_producers)
      producers[n_producers++] = kinds[k].producer;
  }

  str = g_string_new (name);
  g_string_append (str, " needs ");
  append_list (str, missing, n_missing);
  g_string_append (str, ": put ");
  append_list (str, producers, n_producers);
  g_string_append_printf (str, " before %s (" CHAIN ")", name);
  GST_ELEMENT_ERROR (element, CORE, NEGOTIATION, ("%s", str->str), (NULL));
  g_string_free (str, TRUE);
  return FALSE;
}

/* ---- meta ---- */

GType
gst_rift_features_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { GST_META_TAG_MEMORY_STR, NULL };

  if (g_once_init_enter (&type)) {
    GType t = g_type_from_name ("GstRiftFeaturesMetaAPI");

    if (t == 0)
      t = gst_meta_api_type_register ("GstRiftFeaturesMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
gst_rift_features_meta_init (GstMeta * meta, gpointer params,
    GstBuffer * buffer)
{
  GstRiftFeaturesMeta *fmeta = (GstRiftFeaturesMeta *) meta;
  guint k;

  fmeta->rate = GST_RIFT_RATE;
  fmeta->hop = GST_RIFT_HOP;
  fmeta->n_samples = 0;
  fmeta->n_frames = 0;
  fmeta->original_lufs = NAN;
  fmeta->gain = 1.0;
  fmeta->batch_frames = 0;
  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    fmeta->features[k].memory = -1;
    fmeta->features[k].dtype = RIFT_F32;
    fmeta->features[k].frames = 0;
    fmeta->features[k].width = 0;
  }
  return TRUE;
}

/* Everything but the GstMeta header, for a copy with the same memories. */
static void
copy_fields (GstRiftFeaturesMeta * dst, const GstRiftFeaturesMeta * src)
{
  dst->rate = src->rate;
  dst->hop = src->hop;
  dst->n_samples = src->n_samples;
  dst->n_frames = src->n_frames;
  memcpy (dst->features, src->features, sizeof (src->features));
  dst->original_lufs = src->original_lufs;
  dst->gain = src->gain;
  dst->batch_frames = src->batch_frames;
}

static gboolean
gst_rift_features_meta_transform (GstBuffer * dest, GstMeta * meta,
    GstBuffer * buffer, GQuark type, gpointer data)
{
  GstRiftFeaturesMeta *src = (GstRiftFeaturesMeta *) meta, *dst;
  GstMetaTransformCopy *copy = data;

  if (!GST_META_TRANSFORM_IS_COPY (type))
    return FALSE;
  /* memory indices only hold in a copy of the whole buffer with all its
   * memories; a part of a segment is not a segment */
  if (copy->region || gst_buffer_n_memory (dest) != gst_buffer_n_memory (buffer)
      || gst_buffer_get_rift_features_meta (dest))
    return TRUE;

  dst = (GstRiftFeaturesMeta *) gst_buffer_add_meta (dest,
      GST_RIFT_FEATURES_META_INFO, NULL);
  copy_fields (dst, src);
  return TRUE;
}

const GstMetaInfo *
gst_rift_features_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *i = gst_meta_get_info ("GstRiftFeaturesMeta");

    if (i == NULL)
      i = gst_meta_register (GST_RIFT_FEATURES_META_API_TYPE,
          "GstRiftFeaturesMeta", sizeof (GstRiftFeaturesMeta),
          gst_rift_features_meta_init, NULL, gst_rift_features_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) i);
  }
  return info;
}

GstRiftFeaturesMeta *
gst_buffer_add_rift_features_meta (GstBuffer * buffer, guint64 n_samples)
{
  GstRiftFeaturesMeta *meta;

  g_return_val_if_fail (gst_buffer_is_writable (buffer), NULL);

  meta = (GstRiftFeaturesMeta *) gst_buffer_add_meta (buffer,
      GST_RIFT_FEATURES_META_INFO, NULL);
  meta->n_samples = n_samples;
  meta->n_frames = n_samples / GST_RIFT_HOP;
  return meta;
}

gboolean
gst_rift_features_add (GstBuffer * buffer, GstRiftFeatureKind kind,
    GstMemory * mem, rift_dtype dtype, gint64 frames, gint64 width)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);
  gsize size = gst_memory_get_sizes (mem, NULL, NULL);
  GstRiftFeatureInfo *info;

  if (kind >= GST_RIFT_N_FEATURES || meta == NULL
      || meta->features[kind].memory >= 0 || frames < 0 || width < 0
      || size != (gsize) (frames * width) * rift_dtype_size (dtype)) {
    g_critical ("%s: cannot add %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
        "] in %" G_GSIZE_FORMAT " bytes (%s)", G_STRFUNC,
        kind < GST_RIFT_N_FEATURES ? kinds[kind].name : "?", frames, width,
        size, meta == NULL ? "the buffer has no GstRiftFeaturesMeta" :
        kind < GST_RIFT_N_FEATURES && meta->features[kind].memory >= 0 ?
        "the buffer has it already" : "wrong kind or size");
    gst_memory_unref (mem);
    return FALSE;
  }

  info = &meta->features[kind];
  info->memory = gst_buffer_n_memory (buffer);
  info->dtype = dtype;
  info->frames = frames;
  info->width = width;
  gst_buffer_append_memory (buffer, mem);
  return TRUE;
}

GstMemory *
gst_rift_features_peek (GstBuffer * buffer, GstRiftFeatureKind kind,
    const GstRiftFeatureInfo ** info)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buffer);

  if (meta == NULL || kind >= GST_RIFT_N_FEATURES
      || meta->features[kind].memory < 0
      || (guint) meta->features[kind].memory >= gst_buffer_n_memory (buffer))
    return NULL;
  if (info)
    *info = &meta->features[kind];
  return gst_buffer_peek_memory (buffer, meta->features[kind].memory);
}

gboolean
gst_rift_features_map (GstBuffer * buffer, GstRiftFeatureKind kind,
    GstMapInfo * map, GstMapFlags flags, const GstRiftFeatureInfo ** info)
{
  GstMemory *mem = gst_rift_features_peek (buffer, kind, info);

  return mem != NULL && gst_memory_map (mem, map, flags);
}

GstBuffer *
gst_rift_features_make_writable (GstBuffer * buffer)
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
  /* flags, timestamps and the metas not tied to memories (ours is, so
   * gst_buffer_copy_into leaves it out) ... */
  gst_buffer_copy_into (copy, buffer, GST_BUFFER_COPY_METADATA, 0, -1);
  /* ... and ours, valid again since the memories are the same */
  src = gst_buffer_get_rift_features_meta (buffer);
  if (src) {
    dst = gst_buffer_add_rift_features_meta (copy, src->n_samples);
    copy_fields (dst, src);
  }
  gst_buffer_unref (buffer);
  return copy;
}
