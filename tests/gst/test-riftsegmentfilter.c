/* test-riftsegmentfilter.c — GstRiftSegmentFilter, the base of riftf0,
 * riftcvec and riftdit (gst/gstriftsegmentfilter.h), and
 * gst_rift_features_make_writable (gst/riftfeatures.h).
 *
 * The elements' own tests (test-riftf0.c, test-riftcvec.c, test-riftdit.c)
 * cover what the base does for each of them; here: that all three are
 * subclasses with the base's backend properties, that the messages the
 * base composes from a subclass's needed and added features read right for
 * each one, and that copying a shared feature buffer keeps every memory.
 *
 * Usage: test-riftsegmentfilter [TEST]  (meson runs one TEST per meson
 * test; without one, all run). The CPU backend is used throughout. */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "gsttestutil.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define MEL_FEATURES (F (AUDIO) | F (MEL) | F (RMS))
#define DIT_FEATURES (MEL_FEATURES | F (F0) | F (CVEC))
#define CVEC_DIM 64             /* the fixture DiT's and tiny ContentVec's */

/* The subclasses, each with its fixture model, what it needs and adds, and
 * the words the base puts in its messages. */
static const struct
{
  const gchar *factory;
  const gchar *model;
  GstRiftFeatureMask needs;
  GstRiftFeatureKind adds;
  const gchar *producers;       /* of the needed features */
  const gchar *already_has;
  const gchar *no_model;
} elements[] = {
  {"riftf0", "rmvpe/model.pt", F (AUDIO), GST_RIFT_FEATURE_F0, "riftmel",
      "an f0", "riftf0 has no model: set the model property to an RMVPE"
        " checkpoint (upstream's pretrained/rmvpe/model.pt)"},
  {"riftcvec", "contentvec/tiny-content-vec-best", F (AUDIO),
        GST_RIFT_FEATURE_CVEC, "riftmel", "content vectors",
      "riftcvec has no model: set the model property to a ContentVec model"
        " directory (config.json with pytorch_model.bin or"
        " model.safetensors, e.g. content-vec-best)"},
  {"riftdit", "dit/model.ckpt", DIT_FEATURES, GST_RIFT_FEATURE_OUTMEL,
        "riftmel ! riftf0 ! riftcvec", "an outmel",
      "riftdit has no model: set the model property to a RIFT-SVC"
        " checkpoint (.ckpt)"},
};

/* `name` on the CPU with its fixture model (a speaker for riftdit), with a
 * bus of its own. */
static GstElement *
make (guint i, GstBus ** bus)
{
  GstElement *e = gst_element_factory_make (elements[i].factory, NULL);
  gchar *model = fixture (elements[i].model);

  fail_unless (e != NULL, "%s is not registered (GST_PLUGIN_PATH?)",
      elements[i].factory);
  gst_util_set_object_arg (G_OBJECT (e), "backend", "cpu");
  g_object_set (e, "model", model, NULL);
  if (elements[i].adds == GST_RIFT_FEATURE_OUTMEL)
    g_object_set (e, "speaker", "alice", NULL);
  g_free (model);
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  return e;
}

/* A segment of `n` samples at PTS 0 carrying the kinds in `kinds`, zeros
 * of the shapes a subclass checks. */
static GstBuffer *
segment_with (GstRiftFeatureMask kinds, guint64 n)
{
  GstBuffer *buf = gst_buffer_new ();
  const gint64 T = n / GST_RIFT_HOP;
  guint k;

  GST_BUFFER_PTS (buf) = 0;
  gst_buffer_add_rift_features_meta (buf, n);
  for (k = 0; k < GST_RIFT_N_FEATURES; k++) {
    gint64 frames = k == GST_RIFT_FEATURE_AUDIO ? (gint64) n : T;
    gint64 width = k == GST_RIFT_FEATURE_MEL || k == GST_RIFT_FEATURE_OUTMEL ?
        GST_RIFT_N_MELS : k == GST_RIFT_FEATURE_CVEC ? CVEC_DIM : 1;
    GstMemory *mem;
    GstMapInfo map;

    if (!(kinds & GST_RIFT_FEATURE_BIT (k)))
      continue;
    mem = gst_allocator_alloc (NULL, frames * width * sizeof (gfloat), NULL);
    if (frames > 0) {
      gst_memory_map (mem, &map, GST_MAP_WRITE);
      memset (map.data, 0, map.size);
      gst_memory_unmap (mem, &map);
    }
    fail_unless (gst_rift_features_add (buf, k, mem, RIFT_F32, frames, width));
  }
  return buf;
}

/* ---- tests ---- */

/* riftf0, riftcvec and riftdit derive from the abstract GstRiftSegmentFilter,
 * which is plugin API and owns their backend properties; riftmel does not
 * derive from it but has the same properties. */
GST_START_TEST (test_hierarchy)
{
  GstElement *mel = gst_element_factory_make ("riftmel", NULL);
  GType base = g_type_from_name ("GstRiftSegmentFilter");
  GstPluginAPIFlags flags;
  GParamSpec *pspec;
  guint i;

  fail_unless (base != 0, "the plugin did not register GstRiftSegmentFilter");
  fail_unless (G_TYPE_IS_ABSTRACT (base));
  fail_unless (gst_type_is_plugin_api (base, &flags));
  fail_unless (gst_type_is_plugin_api (GST_TYPE_RIFT_BACKEND_KIND, &flags));

  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    GstElement *e = gst_element_factory_make (elements[i].factory, NULL);
    GObjectClass *klass = G_OBJECT_GET_CLASS (e);

    fail_unless (g_type_is_a (G_OBJECT_TYPE (e), base), "%s",
        elements[i].factory);
    pspec = g_object_class_find_property (klass, "backend");
    fail_unless (pspec->owner_type == base);
    fail_unless_equals_string (g_param_spec_get_blurb (pspec),
        "Where the model runs: auto (CUDA when a device answers, otherwise"
        " the CPU), cpu or cuda (fails without a device)");
    fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
    fail_unless_equals_int (G_PARAM_SPEC_ENUM (pspec)->default_value,
        RIFT_BACKEND_AUTO);
    pspec = g_object_class_find_property (klass, "cuda-device-id");
    fail_unless (pspec->owner_type == base);
    fail_unless_equals_int (G_PARAM_SPEC_INT (pspec)->default_value, -1);
    fail_unless_equals_int (G_PARAM_SPEC_INT (pspec)->minimum, -1);
    fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
    /* the model property is each element's own */
    pspec = g_object_class_find_property (klass, "model");
    fail_unless (pspec->owner_type == G_OBJECT_TYPE (e));
    gst_object_unref (e);
  }

  fail_if (g_type_is_a (G_OBJECT_TYPE (mel), base));
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (mel), "backend");
  fail_unless_equals_string (g_param_spec_get_blurb (pspec),
      "Where the features are computed: auto (CUDA when a device answers,"
      " otherwise the CPU), cpu or cuda (fails without a device)");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (mel),
      "cuda-device-id");
  fail_unless_equals_string (g_param_spec_get_blurb (pspec),
      "CUDA device ordinal (-1 = auto: the first device, or the one the"
      " pipeline's shared backend uses)");
  gst_object_unref (mel);
}

GST_END_TEST;

/* The messages the base composes name each subclass, its model, the
 * stages before it and the feature it adds. */
GST_START_TEST (test_messages)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (elements); i++) {
    const gchar *name = elements[i].factory;
    const gchar *adds = gst_rift_feature_kind_name (elements[i].adds);
    GstRiftFeatureMask in = elements[i].adds == GST_RIFT_FEATURE_OUTMEL ?
        DIT_FEATURES : MEL_FEATURES;
    GstBus *bus;
    GstElement *e = make (i, &bus);
    GstHarness *h;
    gchar *msg, *want;

    /* no model */
    g_object_set (e, "model", NULL, NULL);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = pop_error (bus);
    fail_unless_equals_string (msg, elements[i].no_model);
    g_free (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_object_unref (e);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);

    /* caps that already carry the added feature */
    e = make (i, &bus);
    h = gst_harness_new_with_element (e, "sink", "src");
    gst_harness_push_event (h, gst_event_new_caps (gst_rift_features_caps_new
            (in | GST_RIFT_FEATURE_BIT (elements[i].adds), CVEC_DIM)));
    msg = pop_error (bus);
    want = g_strdup_printf ("%s got buffers that already carry %s: there is"
        " another %s before this one", name, adds, name);
    fail_unless_equals_string (msg, want);
    g_free (want);
    g_free (msg);
    gst_harness_teardown (h);
    gst_object_unref (e);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);

    /* a buffer without the meta, one that already has the feature */
    e = make (i, &bus);
    h = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    gst_harness_set_src_caps (h, gst_rift_features_caps_new (in, CVEC_DIM));
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_new ()),
        GST_FLOW_ERROR);
    msg = pop_error (bus);
    want = g_strdup_printf ("%s received a buffer without GstRiftFeaturesMeta:"
        " its input must come from %s", name, elements[i].producers);
    fail_unless_equals_string (msg, want);
    g_free (want);
    g_free (msg);
    fail_unless_equals_int (gst_harness_push (h, segment_with (in |
                GST_RIFT_FEATURE_BIT (elements[i].adds), 1000)),
        GST_FLOW_ERROR);
    msg = pop_error (bus);
    want = g_strdup_printf ("The segment at 0:00:00.000000000 already has %s:"
        " is there another %s before this one?", elements[i].already_has, name);
    fail_unless_equals_string (msg, want);
    g_free (want);
    g_free (msg);

    /* and one it takes: one memory more */
    if (elements[i].adds != GST_RIFT_FEATURE_OUTMEL) {
      GstBuffer *out;

      fail_unless_equals_int (gst_harness_push (h, segment_with (in, 1000)),
          GST_FLOW_OK);
      out = gst_harness_pull (h);
      fail_unless_equals_int (gst_buffer_n_memory (out), 4);
      fail_unless (gst_rift_features_peek (out, elements[i].adds,
              NULL) != NULL);
      gst_buffer_unref (out);
    }
    fail_unless (pop_error (bus) == NULL);
    gst_harness_teardown (h);
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (bus);
  }
}

GST_END_TEST;

/* A writable buffer is returned as it is; a shared one is copied with every
 * memory (the zero-size ones of a T = 0 segment too, which gst_buffer_copy
 * drops), its meta (loudness and batch included), timestamps, offsets and
 * flags, and is left alone. */
GST_START_TEST (test_make_writable)
{
  GstBuffer *in = segment_with (MEL_FEATURES, 300), *out, *plain;
  GstRiftFeaturesMeta *a, *b;
  guint i;

  out = gst_rift_features_make_writable (in);
  fail_unless (out == in);

  GST_BUFFER_PTS (in) = 3 * GST_SECOND;
  GST_BUFFER_DURATION (in) = 7 * GST_MSECOND;
  GST_BUFFER_OFFSET (in) = 44100;
  GST_BUFFER_OFFSET_END (in) = 44400;
  GST_BUFFER_FLAG_SET (in, GST_BUFFER_FLAG_DISCONT);
  a = gst_buffer_get_rift_features_meta (in);
  a->original_lufs = -23.5;
  a->gain = 1.75;
  a->batch_frames = 9;
  /* what riftdit used to do: the empty mel and rms are gone, and so is the
   * meta */
  plain = gst_buffer_copy (in);
  fail_unless_equals_int (gst_buffer_n_memory (plain), 1);
  fail_unless (gst_buffer_get_rift_features_meta (plain) == NULL);
  gst_buffer_unref (plain);

  out = gst_rift_features_make_writable (gst_buffer_ref (in));
  fail_unless (out != in);
  fail_unless (gst_buffer_is_writable (out));
  fail_unless_equals_int (gst_buffer_n_memory (out), 3);
  for (i = 0; i < 3; i++)
    fail_unless (gst_buffer_peek_memory (out, i) ==
        gst_buffer_peek_memory (in, i));
  b = gst_buffer_get_rift_features_meta (out);
  fail_unless (b != NULL);
  fail_unless_equals_uint64 (b->n_samples, 300);
  fail_unless_equals_uint64 (b->n_frames, 0);
  /* the loudness riftvocoder restores and the batch it vocodes */
  fail_unless_equals_float (b->original_lufs, -23.5);
  fail_unless_equals_float (b->gain, 1.75);
  fail_unless_equals_uint64 (b->batch_frames, 9);
  fail_unless (memcmp (a->features, b->features, sizeof (a->features)) == 0);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 3 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 7 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), 44100);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (out), 44400);
  fail_unless (GST_BUFFER_IS_DISCONT (out));
  /* the copy takes a feature; the original does not see it */
  fail_unless (gst_rift_features_add (out, GST_RIFT_FEATURE_F0,
          gst_allocator_alloc (NULL, 0, NULL), RIFT_F32, 0, 1));
  fail_unless_equals_int (gst_buffer_n_memory (in), 3);
  fail_unless (gst_rift_features_peek (in, GST_RIFT_FEATURE_F0, NULL) == NULL);
  gst_buffer_unref (out);

  /* a buffer without the meta is copied all the same */
  gst_buffer_remove_meta (in, (GstMeta *) a);
  out = gst_rift_features_make_writable (gst_buffer_ref (in));
  fail_unless (out != in);
  fail_unless_equals_int (gst_buffer_n_memory (out), 3);
  fail_unless (gst_buffer_get_rift_features_meta (out) == NULL);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
}

GST_END_TEST;

static Suite *
riftsegmentfilter_suite (void)
{
  Suite *s = suite_create ("riftsegmentfilter");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  ADD_TEST (tc, test_hierarchy);
  ADD_TEST (tc, test_messages);
  ADD_TEST (tc, test_make_writable);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  gint ret;

  ret = gst_test_prepare (argc, argv, FALSE);
  if (ret != 0)
    return ret;
  gst_check_init (&argc, &argv);
  s = riftsegmentfilter_suite ();
  return gst_test_run_suite (s, "riftsegmentfilter", __FILE__, argv[1]);
}
