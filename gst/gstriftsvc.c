/* gstriftsvc.c — riftsvc: upstream's infer.py as one element. A GstBin
 * holding riftmel segmentation=slicer ! riftf0 ! riftcvec ! riftdit
 * batch-by-length=true ! riftvocoder (children "mel", "f0", "cvec", "dit",
 * "vocoder"), with ghost
 * pads and infer.py's options as properties forwarded to the child that owns
 * each (docs/elements.md "riftsvc"). The forwarded properties are copies of
 * the children's own param specs, looked up by name, so ranges, defaults and
 * types are the children's; only the model paths are the bin's own: they
 * default to infer.py's pretrained/ layout and are handed to the children
 * when going READY->PAUSED.
 * Tested by tests/gst/test-riftsvc.c (a launch line against the e2e
 * reference, rift-tool infer, errors) and tests/gst/test-riftsvc-inputs.c
 * (missing models, an unknown speaker, silence, 1 or 0 samples, NaN,
 * 8-channel 96 kHz input, seeks and state changes while converting, memory
 * over long inputs). */

/**
 * SECTION:element-riftsvc
 * @title: riftsvc
 *
 * riftsvc converts the singing voice of its input to a speaker of a RIFT-SVC
 * model, as upstream's `infer.py` does: it is the chain
 * `riftmel segmentation=slicer ! riftf0 ! riftcvec ! riftdit
 * batch-by-length=true ! riftvocoder` in one bin. Its properties carry infer.py's option names; each is the
 * property of the same name of the child that owns it (`key-shift` of
 * riftf0, `infer-steps` of riftdit, `fade-duration` of riftvocoder, ...).
 * The children are reachable as `mel`, `f0`, `cvec`, `dit` and `vocoder`
 * (e.g. `riftsvc f0::voicing-threshold=0.05` on a launch line).
 *
 * The RMVPE, ContentVec and vocoder models default to infer.py's layout
 * under #GstRiftSvc:pretrained; #GstRiftSvc:rmvpe, #GstRiftSvc:contentvec
 * and #GstRiftSvc:vocoder override one each. They are resolved when the bin
 * goes from READY to PAUSED.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=song.wav ! decodebin ! audioconvert ! audioresample ! riftsvc model=model.ckpt speaker=alice ! audioconvert ! wavenc ! filesink location=out.wav
 * ]| Sings song.wav with the voice of `alice` of model.ckpt, with the other
 * models from ./pretrained.
 *
 * Since: 0.1
 */
#include "gstriftsvc.h"
#include "gstriftcvec.h"
#include "gstriftdit.h"
#include "gstriftf0.h"
#include "gstriftmel.h"
#include "gstriftvocoder.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (gst_rift_svc_debug);
#define GST_CAT_DEFAULT gst_rift_svc_debug

#define DEFAULT_PRETRAINED "pretrained"
/* infer.py's load_models, relative to pretrained */
#define RMVPE_DEFAULT "rmvpe/model.pt"
#define CONTENTVEC_DEFAULT "content-vec-best"
#define VOCODER_DEFAULT "nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt"

typedef enum
{
  CHILD_MEL,
  CHILD_F0,
  CHILD_CVEC,
  CHILD_DIT,
  CHILD_VOCODER,
  N_CHILDREN
} Child;

static const gchar *const child_names[N_CHILDREN] = {
  "mel", "f0", "cvec", "dit", "vocoder"
};

static const gchar *const child_factories[N_CHILDREN] = {
  "riftmel", "riftf0", "riftcvec", "riftdit", "riftvocoder"
};

#define C(c) (1u << (c))
#define ALL_CHILDREN (C (N_CHILDREN) - 1)

/* The forwarded properties: the name (the same on the bin and on the
 * children) and the children that get it; the first of them owns it (its
 * param spec is copied, and reading the property reads it there). */
static const struct
{
  const gchar *name;
  guint children;
} forwarded[] = {
  {"model", C (CHILD_DIT)},
  {"speaker", C (CHILD_DIT)},
  {"speakers", C (CHILD_DIT)},
  {"key-shift", C (CHILD_F0)},
  {"robust-f0", C (CHILD_F0)},
  {"infer-steps", C (CHILD_DIT)},
  {"ds-cfg-strength", C (CHILD_DIT)},
  {"spk-cfg-strength", C (CHILD_DIT)},
  {"skip-cfg-strength", C (CHILD_DIT)},
  {"cfg-skip-layers", C (CHILD_DIT)},
  {"cfg-rescale", C (CHILD_DIT)},
  {"cvec-downsample-rate", C (CHILD_DIT)},
  {"batch-size", C (CHILD_DIT)},
  {"target-loudness", C (CHILD_MEL)},
  {"restore-loudness", C (CHILD_VOCODER)},
  {"fade-duration", C (CHILD_VOCODER)},
  {"slicer-threshold", C (CHILD_MEL)},
  {"slicer-min-length", C (CHILD_MEL)},
  {"slicer-min-interval", C (CHILD_MEL)},
  {"slicer-hop-size", C (CHILD_MEL)},
  {"slicer-max-sil-kept", C (CHILD_MEL)},
  {"backend", ALL_CHILDREN},
  {"cuda-device-id", ALL_CHILDREN},
  {"seed", C (CHILD_DIT) | C (CHILD_VOCODER)},
  {"noise-scale", C (CHILD_DIT) | C (CHILD_VOCODER)},
  {"precision", C (CHILD_DIT)},
};

enum
{
  PROP_0,
  PROP_PRETRAINED,
  PROP_RMVPE,
  PROP_CONTENTVEC,
  PROP_VOCODER,
  PROP_FORWARDED                /* + index into forwarded[] */
};

struct _GstRiftSvc
{
  GstBin parent;

  GstElement *children[N_CHILDREN];

  /* properties, under the object lock */
  gchar *pretrained;
  gchar *rmvpe;
  gchar *contentvec;
  gchar *vocoder;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format=(string)F32LE, rate=(int)44100, "
        "channels=(int)1, layout=(string)interleaved"));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("audio/x-raw, format=(string)F32LE, rate=(int)44100, "
        "channels=(int)1, layout=(string)interleaved"));

#define gst_rift_svc_parent_class parent_class
G_DEFINE_TYPE (GstRiftSvc, gst_rift_svc, GST_TYPE_BIN);

GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (riftsvc, "riftsvc", GST_RANK_NONE,
    GST_TYPE_RIFT_SVC, GST_DEBUG_CATEGORY_INIT (gst_rift_svc_debug, "riftsvc",
        0, "RIFT-SVC singing voice conversion (infer.py as one bin)"));

static void gst_rift_svc_finalize (GObject * object);
static void gst_rift_svc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_rift_svc_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_rift_svc_change_state (GstElement * element,
    GstStateChange transition);

static GType
child_type (Child c)
{
  switch (c) {
    case CHILD_MEL:
      return GST_TYPE_RIFT_MEL;
    case CHILD_F0:
      return GST_TYPE_RIFT_F0;
    case CHILD_CVEC:
      return GST_TYPE_RIFT_CVEC;
    case CHILD_DIT:
      return GST_TYPE_RIFT_DIT;
    default:
      return GST_TYPE_RIFT_VOCODER;
  }
}

static Child
owner (guint children)
{
  Child c = 0;

  while (!(children & C (c)))
    c++;
  return c;
}

/* A copy of the child's param spec `p` for the bin: same name, type, range,
 * default and flags. */
static GParamSpec *
copy_pspec (GParamSpec * p)
{
  const gchar *name = g_param_spec_get_name (p);
  const gchar *nick = g_param_spec_get_nick (p);
  const gchar *blurb = g_param_spec_get_blurb (p);
  GParamFlags flags = (p->flags & (G_PARAM_READWRITE |
          GST_PARAM_MUTABLE_READY | GST_PARAM_MUTABLE_PAUSED |
          GST_PARAM_MUTABLE_PLAYING)) | G_PARAM_STATIC_STRINGS;
  GType type = G_PARAM_SPEC_TYPE (p);

  if (type == G_TYPE_PARAM_STRING)
    return g_param_spec_string (name, nick, blurb,
        G_PARAM_SPEC_STRING (p)->default_value, flags);
  if (type == G_TYPE_PARAM_BOOLEAN)
    return g_param_spec_boolean (name, nick, blurb,
        G_PARAM_SPEC_BOOLEAN (p)->default_value, flags);
  if (type == G_TYPE_PARAM_INT) {
    GParamSpecInt *i = G_PARAM_SPEC_INT (p);

    return g_param_spec_int (name, nick, blurb, i->minimum, i->maximum,
        i->default_value, flags);
  }
  if (type == G_TYPE_PARAM_UINT64) {
    GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64 (p);

    return g_param_spec_uint64 (name, nick, blurb, u->minimum, u->maximum,
        u->default_value, flags);
  }
  if (type == G_TYPE_PARAM_FLOAT) {
    GParamSpecFloat *f = G_PARAM_SPEC_FLOAT (p);

    return g_param_spec_float (name, nick, blurb, f->minimum, f->maximum,
        f->default_value, flags);
  }
  if (type == G_TYPE_PARAM_DOUBLE) {
    GParamSpecDouble *d = G_PARAM_SPEC_DOUBLE (p);

    return g_param_spec_double (name, nick, blurb, d->minimum, d->maximum,
        d->default_value, flags);
  }
  if (type == G_TYPE_PARAM_ENUM)
    return g_param_spec_enum (name, nick, blurb, p->value_type,
        G_PARAM_SPEC_ENUM (p)->default_value, flags);
  g_error ("riftsvc: cannot forward property %s of type %s", name,
      g_type_name (type));
  return NULL;
}

static void
gst_rift_svc_class_init (GstRiftSvcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  gpointer child_classes[N_CHILDREN];
  guint i;

  gobject_class->finalize = gst_rift_svc_finalize;
  gobject_class->set_property = gst_rift_svc_set_property;
  gobject_class->get_property = gst_rift_svc_get_property;

  /**
   * GstRiftSvc:pretrained:
   *
   * The directory of infer.py's pretrained models: rmvpe/model.pt,
   * content-vec-best and
   * nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt, for those of
   * #GstRiftSvc:rmvpe, #GstRiftSvc:contentvec and #GstRiftSvc:vocoder that
   * are not set.
   */
  g_object_class_install_property (gobject_class, PROP_PRETRAINED,
      g_param_spec_string ("pretrained", "Pretrained models directory",
          "Directory of the RMVPE, ContentVec and vocoder models in infer.py's"
          " layout (rmvpe/model.pt, content-vec-best, nsf_hifigan_44.1k_hop512"
          "_128bin_2024.02/model.ckpt), for the ones not set",
          DEFAULT_PRETRAINED,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_RMVPE,
      g_param_spec_string ("rmvpe", "RMVPE model",
          "The RMVPE checkpoint for riftf0 (default: pretrained/" RMVPE_DEFAULT
          ")", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CONTENTVEC,
      g_param_spec_string ("contentvec", "ContentVec model",
          "The ContentVec model directory for riftcvec (default: pretrained/"
          CONTENTVEC_DEFAULT ")", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_VOCODER,
      g_param_spec_string ("vocoder", "Vocoder model",
          "The NSF-HiFiGAN checkpoint for riftvocoder (default: pretrained/"
          VOCODER_DEFAULT ")", NULL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /* the children's classes stay referenced: the copies use their strings */
  for (i = 0; i < N_CHILDREN; i++)
    child_classes[i] = g_type_class_ref (child_type (i));
  for (i = 0; i < G_N_ELEMENTS (forwarded); i++) {
    GParamSpec *p = g_object_class_find_property (G_OBJECT_CLASS
        (child_classes[owner (forwarded[i].children)]), forwarded[i].name);

    g_assert (p != NULL);
    g_object_class_install_property (gobject_class, PROP_FORWARDED + i,
        copy_pspec (p));
  }

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RIFT-SVC singing voice conversion", "Filter/Effect/Audio",
      "Converts a singing voice to a speaker of a RIFT-SVC model as infer.py"
      " does (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)",
      "gst-rift");

  element_class->change_state = GST_DEBUG_FUNCPTR (gst_rift_svc_change_state);
}

/* riftmel answers ACCEPT_CAPS with TRUE for any raw audio, so that wrong
 * caps reach its CAPS handler, which says to put audioconvert !
 * audioresample in front; a ghost pad checks them against its template
 * instead and refuses them with a bare "not-negotiated". So ACCEPT_CAPS goes
 * to riftmel; CAPS queries still answer its exact caps, which is what makes
 * converters in front convert. */
static gboolean
gst_rift_svc_sink_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  GstPad *target;
  gboolean res;

  if (GST_QUERY_TYPE (query) != GST_QUERY_ACCEPT_CAPS)
    return gst_pad_query_default (pad, parent, query);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  if (target == NULL)
    return gst_pad_query_default (pad, parent, query);
  res = gst_pad_query (target, query);
  gst_object_unref (target);
  return res;
}

/* The bin's pad `name` (its class's template of that name), a ghost of
 * `child`'s pad of the same name. */
static GstPad *
ghost_pad (GstRiftSvc * self, const gchar * name, GstElement * child)
{
  GstPad *target = gst_element_get_static_pad (child, name);
  GstPad *ghost = gst_ghost_pad_new_from_template (name, target,
      gst_element_class_get_pad_template (GST_ELEMENT_GET_CLASS (self),
          name));

  gst_object_unref (target);
  return ghost;
}

static void
gst_rift_svc_init (GstRiftSvc * self)
{
  GstPad *ghost;
  guint i;

  self->pretrained = g_strdup (DEFAULT_PRETRAINED);

  for (i = 0; i < N_CHILDREN; i++) {
    self->children[i] = gst_element_factory_make (child_factories[i],
        child_names[i]);
    /* the bin's plugin holds the children's types: they cannot be missing */
    g_assert (self->children[i] != NULL);
    gst_bin_add (GST_BIN (self), self->children[i]);
    if (i > 0 && !gst_element_link (self->children[i - 1], self->children[i]))
      g_warn_if_reached ();
  }
  /* infer.py slices at silences and, with --batch-size > 1, batches the
   * segments sorted by length: riftdit then holds the stream's segments
   * until it ends (memory grows with the input; batch-size 1, the default,
   * streams at flat memory) */
  g_object_set (self->children[CHILD_MEL], "segmentation",
      GST_RIFT_MEL_SEGMENTATION_SLICER, NULL);
  g_object_set (self->children[CHILD_DIT], "batch-by-length", TRUE, NULL);

  ghost = ghost_pad (self, "sink", self->children[CHILD_MEL]);
  gst_pad_set_query_function (ghost,
      GST_DEBUG_FUNCPTR (gst_rift_svc_sink_query));
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  gst_element_add_pad (GST_ELEMENT (self), ghost_pad (self, "src",
          self->children[CHILD_VOCODER]));
}

static void
gst_rift_svc_finalize (GObject * object)
{
  GstRiftSvc *self = GST_RIFT_SVC (object);

  g_free (self->pretrained);
  g_free (self->rmvpe);
  g_free (self->contentvec);
  g_free (self->vocoder);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_rift_svc_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRiftSvc *self = GST_RIFT_SVC (object);
  gchar **field = NULL;
  guint i;

  switch (prop_id) {
    case PROP_PRETRAINED:
      field = &self->pretrained;
      break;
    case PROP_RMVPE:
      field = &self->rmvpe;
      break;
    case PROP_CONTENTVEC:
      field = &self->contentvec;
      break;
    case PROP_VOCODER:
      field = &self->vocoder;
      break;
    default:
      if (prop_id < PROP_FORWARDED
          || prop_id - PROP_FORWARDED >= G_N_ELEMENTS (forwarded)) {
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
        return;
      }
      for (i = 0; i < N_CHILDREN; i++)
        if (forwarded[prop_id - PROP_FORWARDED].children & C (i))
          g_object_set_property (G_OBJECT (self->children[i]),
              pspec->name, value);
      return;
  }
  GST_OBJECT_LOCK (self);
  g_free (*field);
  *field = g_value_dup_string (value);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rift_svc_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstRiftSvc *self = GST_RIFT_SVC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_PRETRAINED:
      g_value_set_string (value, self->pretrained);
      break;
    case PROP_RMVPE:
      g_value_set_string (value, self->rmvpe);
      break;
    case PROP_CONTENTVEC:
      g_value_set_string (value, self->contentvec);
      break;
    case PROP_VOCODER:
      g_value_set_string (value, self->vocoder);
      break;
    default:
      GST_OBJECT_UNLOCK (self);
      if (prop_id < PROP_FORWARDED
          || prop_id - PROP_FORWARDED >= G_N_ELEMENTS (forwarded))
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      else
        g_object_get_property (G_OBJECT (self->children[owner (forwarded
                        [prop_id - PROP_FORWARDED].children)]), pspec->name,
            value);
      return;
  }
  GST_OBJECT_UNLOCK (self);
}

/* `path`, or `default_rel` under pretrained (a NULL pretrained or an empty
 * one: the default relative to the working directory). */
static gchar *
model_path (const gchar * path, const gchar * pretrained,
    const gchar * default_rel)
{
  if (path != NULL && path[0] != '\0')
    return g_strdup (path);
  if (pretrained == NULL || pretrained[0] == '\0')
    return g_strdup (default_rel);
  return g_build_filename (pretrained, default_rel, NULL);
}

/* The model files riftsvc hands to its children: the riftsvc property that
 * names one, what it is, where infer.py looks for it under pretrained (NULL:
 * nowhere, the property is required) and the child that loads it. */
static const struct
{
  const gchar *property;
  const gchar *what;
  const gchar *default_rel;
  Child child;
} model_files[] = {
  {"model", "RIFT-SVC checkpoint", NULL, CHILD_DIT},
  {"rmvpe", "RMVPE checkpoint", RMVPE_DEFAULT, CHILD_F0},
  {"contentvec", "ContentVec model directory", CONTENTVEC_DEFAULT, CHILD_CVEC},
  {"vocoder", "vocoder checkpoint", VOCODER_DEFAULT, CHILD_VOCODER},
};

/* Hands the model paths to riftf0, riftcvec and riftvocoder, then checks
 * that every model file exists: the child that loads one would name the
 * file but not the riftsvc property it came from, and a default path under
 * pretrained is one the user never typed. An unset model is left to
 * riftdit, which says so. */
static gboolean
resolve_models (GstRiftSvc * self)
{
  gchar *paths[G_N_ELEMENTS (model_files)];
  gboolean set[G_N_ELEMENTS (model_files)];
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (model_files); i++) {
    gchar *value = NULL;

    g_object_get (self, model_files[i].property, &value, NULL);
    set[i] = value != NULL && value[0] != '\0';
    if (model_files[i].default_rel == NULL) {
      /* a forwarded property: the child has it already */
      paths[i] = value;
      continue;
    }
    GST_OBJECT_LOCK (self);
    paths[i] = model_path (value, self->pretrained, model_files[i].default_rel);
    GST_OBJECT_UNLOCK (self);
    g_free (value);
    GST_DEBUG_OBJECT (self, "%s: %s", model_files[i].property, paths[i]);
    g_object_set (self->children[model_files[i].child], "model", paths[i],
        NULL);
  }

  for (i = 0; i < G_N_ELEMENTS (model_files) && ok; i++) {
    if (paths[i] == NULL || paths[i][0] == '\0'
        || g_file_test (paths[i], G_FILE_TEST_EXISTS))
      continue;
    if (set[i])
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("riftsvc: the %s %s does not exist (property %s)",
              model_files[i].what, paths[i], model_files[i].property), (NULL));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("riftsvc: the %s %s does not exist: set the %s property, or"
              " pretrained to the directory that holds %s",
              model_files[i].what, paths[i], model_files[i].property,
              model_files[i].default_rel), (NULL));
    ok = FALSE;
  }
  for (i = 0; i < G_N_ELEMENTS (model_files); i++)
    g_free (paths[i]);
  return ok;
}

static GstStateChangeReturn
gst_rift_svc_change_state (GstElement * element, GstStateChange transition)
{
  GstRiftSvc *self = GST_RIFT_SVC (element);

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !resolve_models (self))
    return GST_STATE_CHANGE_FAILURE;
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}
