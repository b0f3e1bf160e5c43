/* riftcontext.c — sharing one rift_backend through a "rift.backend"
 * GstContext (riftcontext.h). The dance follows gst_gl_ensure_element_data()
 * and gst_cuda_ensure_element_context(). Like riftfeatures.c this file may
 * be linked twice into a process, so its GTypes are looked up by name
 * before they are registered. */
#include "riftcontext.h"

GST_DEBUG_CATEGORY_STATIC (GST_CAT_CONTEXT);

static void
init_debug (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    GST_DEBUG_CATEGORY_GET (GST_CAT_CONTEXT, "GST_CONTEXT");
    g_once_init_leave (&done, 1);
  }
}

/* so that a context prints as backend=(GstRiftBackend)"cuda:0 (...)"
 * (gst-launch shows the contexts elements announce) */
static void
backend_to_string (const GValue * src, GValue * dest)
{
  rift_backend *be = g_value_get_boxed (src);

  g_value_set_string (dest, be ? rift_backend_describe (be) : NULL);
}

GType
gst_rift_backend_get_type (void)
{
  static GType type = 0;

  if (g_once_init_enter (&type)) {
    GType t = g_type_from_name ("GstRiftBackend");

    if (t == 0) {
      t = g_boxed_type_register_static ("GstRiftBackend",
          (GBoxedCopyFunc) rift_backend_ref,
          (GBoxedFreeFunc) rift_backend_unref);
      g_value_register_transform_func (t, G_TYPE_STRING, backend_to_string);
    }
    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_rift_backend_kind_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {RIFT_BACKEND_AUTO, "CUDA when a device answers, otherwise the CPU",
        "auto"},
    {RIFT_BACKEND_CPU, "CPU", "cpu"},
    {RIFT_BACKEND_CUDA, "CUDA (fails when no device answers)", "cuda"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_type_from_name ("GstRiftBackendKind");

    if (t == 0)
      t = g_enum_register_static ("GstRiftBackendKind", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

void
gst_rift_backend_install_properties (GObjectClass * klass, guint backend_id,
    guint device_id, const gchar * backend_blurb)
{
  g_object_class_install_property (klass, backend_id,
      g_param_spec_enum ("backend", "Backend", backend_blurb,
          GST_TYPE_RIFT_BACKEND_KIND, GST_RIFT_DEFAULT_BACKEND,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass, device_id,
      g_param_spec_int ("cuda-device-id", "CUDA device ID",
          "CUDA device ordinal (-1 = auto: the first device, or the one the"
          " pipeline's shared backend uses)", -1, G_MAXINT,
          GST_RIFT_DEFAULT_CUDA_DEVICE_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  gst_type_mark_as_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, 0);
}

GstContext *
gst_rift_backend_context_new (rift_backend * be, gint device)
{
  rift_backend_kind kind = rift_backend_get_kind (be);
  /* not persistent: the backend holds device memory and should go with the
   * pipeline when it goes back to NULL */
  GstContext *context = gst_context_new (GST_RIFT_BACKEND_CONTEXT_TYPE, FALSE);

  gst_structure_set (gst_context_writable_structure (context),
      "backend", GST_TYPE_RIFT_BACKEND, be,
      "kind", G_TYPE_STRING, rift_backend_kind_to_string (kind),
      "device", G_TYPE_INT, kind == RIFT_BACKEND_CUDA ? device : -1, NULL);
  return context;
}

/* The backend of a "rift.backend" context if it is one `kind`/`device`
 * accepts (riftcontext.h), with a new ref; NULL otherwise. */
static rift_backend *
context_take_backend (GstContext * context, rift_backend_kind kind, gint device)
{
  const GstStructure *s;
  rift_backend *be = NULL;
  rift_backend_kind have;
  gint have_device = -1;
  gboolean ok;

  if (context == NULL || g_strcmp0 (gst_context_get_context_type (context),
          GST_RIFT_BACKEND_CONTEXT_TYPE) != 0)
    return NULL;
  s = gst_context_get_structure (context);
  if (!gst_structure_get (s, "backend", GST_TYPE_RIFT_BACKEND, &be, NULL)
      || be == NULL)
    return NULL;
  gst_structure_get_int (s, "device", &have_device);
  have = rift_backend_get_kind (be);

  switch (kind) {
    case RIFT_BACKEND_CPU:
      ok = have == RIFT_BACKEND_CPU;
      break;
    case RIFT_BACKEND_CUDA:
      ok = have == RIFT_BACKEND_CUDA && (device < 0 || device == have_device);
      break;
    default:
      ok = device < 0 || (have == RIFT_BACKEND_CUDA && device == have_device);
      break;
  }
  GST_CAT_DEBUG (GST_CAT_CONTEXT, "context backend %s (device %d) %s %s"
      " device %d", rift_backend_describe (be), have_device,
      ok ? "fits" : "does not fit", rift_backend_kind_to_string (kind), device);
  if (!ok) {
    rift_backend_unref (be);
    return NULL;
  }
  return be;
}

static rift_backend *
element_take_backend (GstElement * element, rift_backend_kind kind, gint device)
{
  GstContext *context = gst_element_get_context (element,
      GST_RIFT_BACKEND_CONTEXT_TYPE);
  rift_backend *be = context_take_backend (context, kind, device);

  if (context)
    gst_context_unref (context);
  return be;
}

static gboolean
pad_query (const GValue * item, GValue * value, gpointer user_data)
{
  GstPad *pad = g_value_get_object (item);
  GstQuery *query = user_data;

  if (gst_pad_peer_query (pad, query)) {
    g_value_set_boolean (value, TRUE);
    return FALSE;
  }
  return TRUE;
}

/* Asks the peers of the element's pads in one direction; a context they
 * answer with is set on the element. */
static void
query_peers (GstElement * element, GstPadDirection direction)
{
  GstQuery *query = gst_query_new_context (GST_RIFT_BACKEND_CONTEXT_TYPE);
  GstIterator *it = direction == GST_PAD_SRC ?
      gst_element_iterate_src_pads (element) :
      gst_element_iterate_sink_pads (element);
  GValue res = G_VALUE_INIT;
  GstContext *context = NULL;

  g_value_init (&res, G_TYPE_BOOLEAN);
  g_value_set_boolean (&res, FALSE);
  while (gst_iterator_fold (it, pad_query, &res, query) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);

  if (g_value_get_boolean (&res)) {
    gst_query_parse_context (query, &context);
    GST_CAT_DEBUG_OBJECT (GST_CAT_CONTEXT, element, "%s peer answered with %"
        GST_PTR_FORMAT, direction == GST_PAD_SRC ? "downstream" : "upstream",
        context);
    gst_element_set_context (element, context);
  }
  gst_query_unref (query);
}

rift_backend *
gst_rift_backend_ensure (GstElement * element, rift_backend_kind kind,
    gint device, GError ** err)
{
  rift_backend *be;
  GstContext *context;

  init_debug ();

  if ((be = element_take_backend (element, kind, device)))
    return be;

  query_peers (element, GST_PAD_SRC);
  if ((be = element_take_backend (element, kind, device)))
    return be;
  query_peers (element, GST_PAD_SINK);
  if ((be = element_take_backend (element, kind, device)))
    return be;

  /* the bin (which keeps the contexts its children announced) or the
   * application answers synchronously with gst_element_set_context() */
  gst_element_post_message (element,
      gst_message_new_need_context (GST_OBJECT (element),
          GST_RIFT_BACKEND_CONTEXT_TYPE));
  if ((be = element_take_backend (element, kind, device)))
    return be;

  be = rift_backend_new (kind, device, err);
  if (be == NULL)
    return NULL;
  /* the device it opened: -1 asks for the first one */
  context = gst_rift_backend_context_new (be, rift_backend_get_device (be));
  GST_CAT_INFO_OBJECT (GST_CAT_CONTEXT, element, "created backend %s",
      rift_backend_describe (be));
  gst_element_set_context (element, context);
  gst_element_post_message (element,
      gst_message_new_have_context (GST_OBJECT (element), context));
  return be;
}

gboolean
gst_rift_backend_handle_context_query (GstElement * element, GstQuery * query)
{
  const gchar *type;
  GstContext *context;

  if (GST_QUERY_TYPE (query) != GST_QUERY_CONTEXT
      || !gst_query_parse_context_type (query, &type)
      || g_strcmp0 (type, GST_RIFT_BACKEND_CONTEXT_TYPE) != 0)
    return FALSE;

  context = gst_element_get_context (element, GST_RIFT_BACKEND_CONTEXT_TYPE);
  if (context == NULL)
    return FALSE;
  gst_query_set_context (query, context);
  gst_context_unref (context);
  return TRUE;
}
