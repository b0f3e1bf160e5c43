/* test-riftf0.c — riftf0 in a GstHarness.
 *
 * Segments are built with riftfeatures.h from the fixture audio (the
 * samples of tests/fixtures/audio/CASE.wav, as tests/fixtures/mel stores
 * them) and run through the tiny RMVPE of tests/fixtures/rmvpe. Each f0
 * must be bit-identical to a direct rift_rmvpe_f0_44k call on the same
 * samples with the same key shift and threshold, which checks the element's
 * plumbing (audio in, properties, order, timestamps, every memory kept),
 * and, for the whole WAVs, match the fixture's f0_post (f0_post_key+3 for
 * key-shift 3) with tests/fixtures/rmvpe/README.md's rule: the same zeros
 * and a relative error of at most 1e-5 wherever post_stable is 1. (The RMVPE
 * fixtures feed the raw 44.1 kHz WAV, not a loudness-normalised segment, so
 * the element's input is exactly theirs.)
 *
 * Usage: test-riftf0 [TEST]  (meson runs one TEST per meson test; without
 * one, all run). The CPU backend is used throughout, except test_cuda. */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "gsttestutil.h"

#include "rmvpe.h"
#include "robust-f0.h"
#include "weights.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <math.h>
#include <string.h>

#define N_MELS GST_RIFT_N_MELS
#define CVEC_DIM 64             /* the tiny ContentVec's */
#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define MEL_FEATURES (F (AUDIO) | F (MEL) | F (RMS))

/* ---- fixtures and segments ---- */

/* A float32 copy of tensor `name` of `w` (F32, F64 or U8), *n its size. */
static gfloat *
tensor_f32 (rift_weights * w, const gchar * name, gint64 * n)
{
  const rift_tensor *t = rift_weights_find (w, name);
  gfloat *x;
  gint64 i, numel;

  fail_unless (t != NULL, "fixture has no %s", name);
  numel = rift_tensor_numel (t);
  x = g_new (gfloat, MAX (numel, 1));
  for (i = 0; i < numel; i++) {
    if (t->dtype == RIFT_F32)
      x[i] = ((const gfloat *) t->data)[i];
    else if (t->dtype == RIFT_U8)
      x[i] = ((const guint8 *) t->data)[i];
    else if (t->dtype == RIFT_F64) {
      gdouble d;

      memcpy (&d, (const gchar *) t->data + i * sizeof d, sizeof d);
      x[i] = (gfloat) d;
    } else
      fail ("%s is %s", name, rift_dtype_name (t->dtype));
  }
  if (n)
    *n = numel;
  return x;
}

/* One segment: n samples, T = n / 512 frames, and its rms (NULL: zeros). */
typedef struct
{
  guint64 n;
  gint64 T;
  gfloat *audio;
  gfloat *rms;
} Seg;

/* `n` samples from sample `first` of tests/fixtures/audio/NAME.wav (n = 0:
 * all of it). */
static Seg *
seg_from_wav (const gchar * name, guint64 first, guint64 n)
{
  gchar *rel = g_strdup_printf ("mel/%s.safetensors", name);
  rift_weights *w = open_fixture (rel);
  gint64 total;
  gfloat *audio = tensor_f32 (w, "audio", &total);
  Seg *s = g_new0 (Seg, 1);

  if (n == 0)
    n = total - first;
  fail_unless (first + n <= (guint64) total);
  s->n = n;
  s->T = n / GST_RIFT_HOP;
  s->audio = g_memdup2 (audio + first, MAX (n, 1) * sizeof (gfloat));
  g_free (audio);
  rift_weights_free (w);
  g_free (rel);
  return s;
}

static void
seg_free (Seg * s)
{
  g_free (s->audio);
  g_free (s->rms);
  g_free (s);
}

/* The feature buffer riftmel would push for `s` (mel zeros: riftf0 does not
 * read it; rms s->rms, read by robust-f0=1), with cvec too when `with_cvec` (riftcvec before
 * riftf0). */
static GstBuffer *
seg_buffer (const Seg * s, gboolean with_cvec, GstClockTime pts,
    guint64 offset, gboolean discont)
{
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_add_rift_features_meta (buf, s->n);
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO,
          memory_from (s->audio, s->n), RIFT_F32, s->n, 1));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_MEL,
          memory_from (NULL, s->T * N_MELS), RIFT_F32, s->T, N_MELS));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_RMS,
          memory_from (s->rms, s->T), RIFT_F32, s->T, 1));
  if (with_cvec)
    fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_CVEC,
            memory_from (NULL, s->T * CVEC_DIM), RIFT_F32, s->T, CVEC_DIM));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_round (s->n, GST_SECOND, GST_RIFT_RATE);
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + s->n;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* ---- the reference: rift_rmvpe_f0_44k called directly ---- */

static gfloat *
reference (const Seg * s, gdouble key_shift, gfloat thred)
{
  gchar *path = fixture ("rmvpe/model.pt");
  GError *err = NULL;
  rift_backend *be = rift_backend_new (RIFT_BACKEND_CPU, -1, &err);
  rift_rmvpe *r = be ? rift_rmvpe_load_file (path, be, &err) : NULL;
  gfloat *f0 = g_new0 (gfloat, MAX (s->T, 1));

  fail_unless (r != NULL, "%s", err ? err->message : path);
  fail_unless (rift_rmvpe_f0_44k (r, s->audio, s->n, key_shift, thred, f0,
          &err), "%s", err ? err->message : "");
  rift_rmvpe_free (r);
  rift_backend_unref (be);
  g_free (path);
  return f0;
}

/* ---- the element ---- */

/* riftf0 on the CPU backend with the fixture model and the given
 * properties (NULL-terminated name/value pairs), with a bus to read its
 * errors from (*bus gets a ref when bus is not NULL). */
static GstElement *
make_f0 (GstBus ** bus, const gchar * first_property, ...)
{
  GstElement *e = gst_element_factory_make ("riftf0", NULL);
  GstBus *b;
  gchar *model = fixture ("rmvpe/model.pt");
  va_list args;

  fail_unless (e != NULL, "riftf0 is not registered (GST_PLUGIN_PATH?)");
  gst_util_set_object_arg (G_OBJECT (e), "backend", "cpu");
  g_object_set (e, "model", model, NULL);
  g_free (model);
  va_start (args, first_property);
  if (first_property)
    g_object_set_valist (G_OBJECT (e), first_property, args);
  va_end (args);
  b = gst_bus_new ();
  gst_element_set_bus (e, b);
  if (bus)
    *bus = b;
  else
    gst_object_unref (b);
  return e;
}

/* A harness around `e` (transfer full), started (PLAYING) with riftmel's
 * caps, or riftcvec's after riftmel when `with_cvec`. */
static GstHarness *
start (GstElement * e, gboolean with_cvec)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  GstCaps *caps = gst_rift_features_caps_new (MEL_FEATURES |
      (with_cvec ? F (CVEC) : 0), CVEC_DIM);

  gst_object_unref (e);
  gst_harness_set_src_caps (h, caps);
  return h;
}

/* An output buffer: every memory of `in` kept (the same GstMemory objects),
 * the f0 [T, 1] appended after them and bit-identical to `want` (NULL: all
 * zeros), timestamps, offsets and flags as the input's. Returns the f0 (a
 * copy, g_free it). */
static gfloat *
check_out (GstBuffer * out, GstBuffer * in, const Seg * s, const gfloat * want)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (out);
  const GstRiftFeatureInfo *info;
  guint n_in = gst_buffer_n_memory (in), i;
  GstMapInfo map;
  gfloat *f0;
  gint64 t;

  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (meta->n_samples, s->n);
  fail_unless_equals_uint64 (meta->n_frames, s->T);
  fail_unless_equals_int (gst_buffer_n_memory (out), n_in + 1);
  for (i = 0; i < n_in; i++)
    fail_unless (gst_buffer_peek_memory (out, i) ==
        gst_buffer_peek_memory (in, i), "memory %u was replaced", i);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), GST_BUFFER_PTS (in));
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out),
      GST_BUFFER_DURATION (in));
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), GST_BUFFER_OFFSET (in));
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (out),
      GST_BUFFER_OFFSET_END (in));
  fail_unless_equals_int (GST_BUFFER_FLAGS (out) & ~GST_BUFFER_FLAG_TAG_MEMORY,
      GST_BUFFER_FLAGS (in) & ~GST_BUFFER_FLAG_TAG_MEMORY);

  fail_unless (gst_rift_features_map (out, GST_RIFT_FEATURE_F0, &map,
          GST_MAP_READ, &info));
  fail_unless_equals_int (info->memory, n_in);
  fail_unless_equals_int (info->dtype, RIFT_F32);
  fail_unless_equals_int64 (info->frames, s->T);
  fail_unless_equals_int64 (info->width, 1);
  fail_unless_equals_uint64 (map.size, s->T * sizeof (gfloat));
  f0 = g_memdup2 (map.data, MAX (map.size, 1));
  gst_memory_unmap (map.memory, &map);
  for (t = 0; t < s->T; t++) {
    gfloat w = want ? want[t] : 0.0f;

    if (memcmp (&f0[t], &w, sizeof (gfloat)) != 0)
      fail ("f0[%" G_GINT64_FORMAT "] is %.9g, the direct call gives %.9g", t,
          f0[t], w);
  }
  return f0;
}

/* tests/fixtures/rmvpe/README.md: where post_stable is 1, the same zeros
 * and a relative error of at most `tol`. */
static void
check_fixture (const gchar * label, const gfloat * got, const gfloat * ref,
    const gfloat * stable, gint64 n, gdouble tol)
{
  gint64 i, checked = 0, voiced = 0;
  gdouble max_rel = 0.0;

  for (i = 0; i < n; i++) {
    if (stable[i] == 0.0f)
      continue;
    checked++;
    fail_unless ((got[i] == 0.0f) == (ref[i] == 0.0f),
        "%s: frame %" G_GINT64_FORMAT " is %g, the fixture's %g", label, i,
        got[i], ref[i]);
    if (ref[i] != 0.0f) {
      voiced++;
      max_rel = MAX (max_rel, fabs ((gdouble) got[i] - ref[i]) /
          fabs ((gdouble) ref[i]));
    }
  }
  g_print ("%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames checked,"
      " %" G_GINT64_FORMAT " voiced, max relative error %.2e\n", label, checked,
      n, voiced, max_rel);
  fail_unless (checked > n / 2 && voiced > 0, "%s: %" G_GINT64_FORMAT
      " frames checked, %" G_GINT64_FORMAT " voiced", label, checked, voiced);
  fail_unless (max_rel <= tol, "%s: max relative error %.2e > %.0e", label,
      max_rel, tol);
}

/* The whole WAV `name` as one segment: the element equals the direct call
 * and the fixture's `ref_name`; a buffer someone else holds too is left as
 * it was. */
static void
run_fixture (const gchar * name, gdouble key_shift, const gchar * ref_name)
{
  Seg *s = seg_from_wav (name, 0, 0);
  gchar *rel = g_strdup_printf ("rmvpe/%s.safetensors", name);
  rift_weights *w = open_fixture (rel);
  gint64 n_ref, n_stable;
  gfloat *ref = tensor_f32 (w, ref_name, &n_ref);
  gfloat *stable = tensor_f32 (w, "post_stable", &n_stable);
  gfloat *want = reference (s, key_shift, RIFT_RMVPE_THRED), *got;
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "key-shift", key_shift, NULL), FALSE);
  GstBuffer *in = seg_buffer (s, FALSE, 3 * GST_SECOND, 132300, TRUE), *out;

  fail_unless_equals_int64 (n_ref, s->T);
  fail_unless_equals_int64 (n_stable, s->T);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != in);
  got = check_out (out, in, s, want);
  /* the input buffer is untouched */
  fail_unless_equals_int (gst_buffer_n_memory (in), 3);
  fail_unless (gst_rift_features_peek (in, GST_RIFT_FEATURE_F0, NULL) == NULL);
  check_fixture (ref_name, got, ref, stable, s->T, 1e-5);
  fail_unless (pop_error (bus) == NULL);

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  g_free (want);
  g_free (ref);
  g_free (stable);
  rift_weights_free (w);
  g_free (rel);
  seg_free (s);
}

/* ---- robust-f0 ---- */

/* Segment `c` of tests/fixtures/robust_f0/stages.safetensors: its float64
 * loudness-normalised audio rounded to float32, as riftmel carries it, and
 * its rms. */
static Seg *
seg_from_robust (const gchar * c)
{
  rift_weights *w = open_fixture ("robust_f0/stages.safetensors");
  gchar *name = g_strdup_printf ("%s.audio", c);
  const rift_tensor *ta = rift_weights_find (w, name);
  Seg *s = g_new0 (Seg, 1);
  guint64 i;

  fail_unless (ta != NULL && ta->dtype == RIFT_F64, "no F64 %s", name);
  s->n = rift_tensor_numel (ta);
  s->T = s->n / GST_RIFT_HOP;
  s->audio = g_new (gfloat, s->n);
  for (i = 0; i < s->n; i++) {
    gdouble x;

    memcpy (&x, (const gchar *) ta->data + i * sizeof x, sizeof x);
    s->audio[i] = (gfloat) x;
  }
  g_free (name);
  name = g_strdup_printf ("%s.rms", c);
  s->rms = tensor_f32 (w, name, NULL);
  g_free (name);
  rift_weights_free (w);
  return s;
}

/* What riftf0 robust-f0=level must give, from the engine's calls in a row:
 * RMVPE's f0 in double, the robust-f0 path on the audio in double, the key
 * shift. */
static gfloat *
robust_reference (const Seg * s, gint level, gdouble key_shift)
{
  gchar *path = fixture ("rmvpe/model.pt");
  GError *err = NULL;
  rift_backend *be = rift_backend_new (RIFT_BACKEND_CPU, -1, &err);
  rift_rmvpe *r = be ? rift_rmvpe_load_file (path, be, &err) : NULL;
  gdouble *x = g_new (gdouble, s->n), *rmvpe = g_new (gdouble, s->T);
  gdouble *f = g_new (gdouble, s->T);
  gfloat *f0 = g_new (gfloat, s->T);
  rift_robust_f0_params p;
  guint64 i;

  fail_unless (r != NULL, "%s", err ? err->message : path);
  fail_unless (rift_rmvpe_f0_44k_f64 (r, s->audio, s->n, RIFT_RMVPE_THRED,
          rmvpe, &err), "%s", err ? err->message : "");
  for (i = 0; i < s->n; i++)
    x[i] = s->audio[i];
  rift_robust_f0_params_init (&p);
  fail_unless (rift_robust_f0 (x, s->n, rmvpe, s->rms, s->T, level, &p, f,
          &err), "%s", err ? err->message : "");
  rift_f0_key_shift (f, s->T, key_shift, f0);
  rift_rmvpe_free (r);
  rift_backend_unref (be);
  g_free (path);
  g_free (x);
  g_free (rmvpe);
  g_free (f);
  return f0;
}

/* ---- tests ---- */

GST_START_TEST (test_defaults)
{
  GstElement *e = gst_element_factory_make ("riftf0", NULL);
  gchar *model;
  gdouble key;
  gfloat thred;
  gint backend, device, robust;
  GParamSpec *pspec;

  g_object_get (e, "model", &model, "key-shift", &key, "voicing-threshold",
      &thred, "backend", &backend, "cuda-device-id", &device, NULL);
  fail_unless (model == NULL);
  fail_unless_equals_float (key, 0.0);
  fail_unless_equals_float (thred, 0.03f);
  fail_unless_equals_int (backend, RIFT_BACKEND_AUTO);
  fail_unless_equals_int (device, -1);

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "key-shift");
  fail_unless (pspec->flags & GST_PARAM_CONTROLLABLE);
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "model");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
  fail_if (pspec->flags & GST_PARAM_MUTABLE_PLAYING);

  /* ranges refuse nonsense; the value stays */
  ASSERT_WARNING (g_object_set (e, "key-shift", 48.0, NULL));
  ASSERT_WARNING (g_object_set (e, "voicing-threshold", -0.1f, NULL));
  ASSERT_WARNING (g_object_set (e, "cuda-device-id", -2, NULL));
  ASSERT_WARNING (g_object_set (e, "robust-f0", 3, NULL));
  g_object_get (e, "key-shift", &key, "voicing-threshold", &thred,
      "robust-f0", &robust, NULL);
  fail_unless_equals_float (key, 0.0);
  fail_unless_equals_float (thred, 0.03f);
  fail_unless_equals_int (robust, 0);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "robust-f0");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  gst_object_unref (e);
}

GST_END_TEST;

/* Src caps are the sink caps plus f0, whichever of riftmel or riftcvec
 * comes before. */
GST_START_TEST (test_src_caps)
{
  guint i;

  for (i = 0; i < 2; i++) {
    gboolean with_cvec = i == 1;
    GstBus *bus;
    GstHarness *h = start (make_f0 (&bus, NULL), with_cvec);
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    GstCaps *want = gst_rift_features_caps_new (MEL_FEATURES | F (F0) |
        (with_cvec ? F (CVEC) : 0), CVEC_DIM);

    fail_unless (caps != NULL);
    fail_unless (gst_caps_is_equal (caps, want), "src caps %" GST_PTR_FORMAT,
        caps);
    gst_caps_unref (caps);
    gst_caps_unref (want);
    teardown (h, bus);
  }
}

GST_END_TEST;

GST_START_TEST (test_fixture_sing_44k)
{
  run_fixture ("sing_44k", 0.0, "f0_post");
}

GST_END_TEST;

GST_START_TEST (test_fixture_phrases_44k)
{
  run_fixture ("phrases_44k", 0.0, "f0_post");
}

GST_END_TEST;

/* key-shift 3 = infer.py --key-shift 3 */
GST_START_TEST (test_key_shift)
{
  run_fixture ("sing_44k", 3.0, "f0_post_key+3");
}

GST_END_TEST;

/* After riftcvec: the cvec stays, f0 comes after it. */
GST_START_TEST (test_after_cvec)
{
  Seg *s = seg_from_wav ("sing_44k", 10000, 40000);
  gfloat *want = reference (s, 0.0, RIFT_RMVPE_THRED), *got;
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), TRUE);
  GstBuffer *in = seg_buffer (s, TRUE, 0, 0, FALSE), *out;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in, s, want);
  fail_unless (gst_rift_features_peek (out, GST_RIFT_FEATURE_CVEC,
          NULL) != NULL);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* Set while playing, key-shift applies from the next segment. */
GST_START_TEST (test_key_shift_playing)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 44100);
  gfloat *want0 = reference (s, 0.0, RIFT_RMVPE_THRED);
  gfloat *want3 = reference (s, 3.0, RIFT_RMVPE_THRED), *got;
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), FALSE);
  GstBuffer *in0 = seg_buffer (s, FALSE, 0, 0, FALSE);
  GstBuffer *in1 = seg_buffer (s, FALSE, GST_SECOND, s->n, FALSE), *out;

  fail_if (memcmp (want0, want3, s->T * sizeof (gfloat)) == 0);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in0)),
      GST_FLOW_OK);
  g_object_set (h->element, "key-shift", 3.0, NULL);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in1)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in0, s, want0);
  g_free (got);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  got = check_out (out, in1, s, want3);
  g_free (got);
  gst_buffer_unref (out);

  gst_buffer_unref (in0);
  gst_buffer_unref (in1);
  teardown (h, bus);
  g_free (want0);
  g_free (want3);
  seg_free (s);
}

GST_END_TEST;

/* key-shift driven by a control binding: each segment takes the value at
 * its stream time. */
GST_START_TEST (test_key_shift_controlled)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 44100);
  gfloat *want0 = reference (s, 0.0, RIFT_RMVPE_THRED);
  gfloat *want5 = reference (s, -5.0, RIFT_RMVPE_THRED), *got;
  GstBus *bus;
  GstElement *e = make_f0 (&bus, NULL);
  GstControlSource *cs = gst_interpolation_control_source_new ();
  GstHarness *h;
  GstBuffer *in0 = seg_buffer (s, FALSE, 0, 0, FALSE);
  GstBuffer *in1 = seg_buffer (s, FALSE, 2 * GST_SECOND, s->n, FALSE), *out;
  gdouble key;

  g_object_set (cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
  gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs), 0,
      0.0);
  gst_timed_value_control_source_set (GST_TIMED_VALUE_CONTROL_SOURCE (cs),
      GST_SECOND, -5.0);
  fail_unless (gst_object_add_control_binding (GST_OBJECT (e),
          gst_direct_control_binding_new_absolute (GST_OBJECT (e),
              "key-shift", cs)));
  h = start (e, FALSE);

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in0)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in1)),
      GST_FLOW_OK);
  g_object_get (h->element, "key-shift", &key, NULL);
  fail_unless_equals_float (key, -5.0);
  out = gst_harness_pull (h);
  got = check_out (out, in0, s, want0);
  g_free (got);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  got = check_out (out, in1, s, want5);
  g_free (got);
  gst_buffer_unref (out);

  gst_buffer_unref (in0);
  gst_buffer_unref (in1);
  teardown (h, bus);
  gst_object_unref (cs);
  g_free (want0);
  g_free (want5);
  seg_free (s);
}

GST_END_TEST;

/* voicing-threshold is RMVPE's thred: a higher one unvoices more frames
 * (of the tiny random model's salience, 0.1 leaves a few voiced). */
GST_START_TEST (test_voicing_threshold)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 0);
  gfloat *want = reference (s, 0.0, 0.1f), *dflt =
      reference (s, 0.0, RIFT_RMVPE_THRED), *got;
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "voicing-threshold", 0.1f, NULL),
      FALSE);
  GstBuffer *in = seg_buffer (s, FALSE, 0, 0, FALSE), *out;
  gint64 t, zeros = 0, zeros_dflt = 0;

  for (t = 0; t < s->T; t++) {
    zeros += want[t] == 0.0f;
    zeros_dflt += dflt[t] == 0.0f;
  }
  fail_unless (zeros > zeros_dflt && zeros < s->T, "%" G_GINT64_FORMAT
      " unvoiced at 0.1, %" G_GINT64_FORMAT " at 0.03", zeros, zeros_dflt);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in, s, want);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  g_free (want);
  g_free (dflt);
  seg_free (s);
}

GST_END_TEST;

/* T = 0 (n < 512): an empty f0. */
GST_START_TEST (test_zero_frames)
{
  Seg *s = seg_from_wav ("sing_44k", 20000, 300);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), FALSE);
  GstBuffer *in = seg_buffer (s, FALSE, GST_SECOND, 44100, TRUE), *out;
  gfloat *got;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in, s, NULL);
  fail_unless (pop_error (bus) == NULL);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  seg_free (s);
}

GST_END_TEST;

/* Segments of fewer than 1412 samples (32 ms: RMVPE's 16 kHz input would
 * not be longer than its 512-sample reflect padding, which upstream
 * refuses) are unvoiced; from 1412 on, the engine's f0. (At sample 40000
 * of sing_44k, the engine called directly on 1411 samples would say
 * voiced.) */
GST_START_TEST (test_short_segment)
{
  const guint64 lengths[] = { 512, 1000, 1023, 1024, 1411, 1412, 2048 };
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "key-shift", 2.0, NULL), FALSE);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lengths); i++) {
    Seg *s = seg_from_wav ("sing_44k", 40000, lengths[i]);
    gboolean computed = lengths[i] >= 1412;
    gfloat *want = computed ? reference (s, 2.0, RIFT_RMVPE_THRED) : NULL;
    GstBuffer *in = seg_buffer (s, FALSE, i * GST_SECOND, 0, FALSE), *out;
    gfloat *got;

    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    got = check_out (out, in, s, want);
    if (lengths[i] == 1411) {
      gfloat *engine = reference (s, 2.0, RIFT_RMVPE_THRED);

      fail_unless (engine[0] != 0.0f, "the engine's f0 is unvoiced too");
      g_free (engine);
    }
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    g_free (got);
    g_free (want);
    seg_free (s);
  }
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
}

GST_END_TEST;

/* robust-f0 1 and 2 with a key shift: the f0 is the engine's robust-f0
 * path shifted after the ensemble, bit for bit, and differs from RMVPE's
 * alone; the level may change between segments. */
GST_START_TEST (test_robust_f0)
{
  Seg *s = seg_from_robust ("phrases_44k.seg1");
  gfloat *plain = reference (s, 2.0, RIFT_RMVPE_THRED);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "key-shift", 2.0, "robust-f0", 2,
          NULL), FALSE);
  gint level;

  for (level = 2; level >= 1; level--) {
    gfloat *want = robust_reference (s, level, 2.0), *got;
    GstBuffer *in = seg_buffer (s, FALSE, level * GST_SECOND, 0, FALSE), *out;
    gint64 t, changed = 0;

    g_object_set (h->element, "robust-f0", level, NULL);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    got = check_out (out, in, s, want);
    for (t = 0; t < s->T; t++)
      changed += got[t] != plain[t];
    g_print ("robust-f0=%d: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
        " frames differ from RMVPE's\n", level, changed, s->T);
    fail_unless (changed > 0, "robust-f0=%d changed nothing", level);
    gst_buffer_unref (out);
    gst_buffer_unref (in);
    g_free (got);
    g_free (want);
  }
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  g_free (plain);
  seg_free (s);
}

GST_END_TEST;

/* Level 1 gates on the rms riftmel adds: a buffer without one is an
 * error that says so. */
GST_START_TEST (test_robust_f0_needs_rms)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 22050);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "robust-f0", 1, NULL), FALSE);
  GstBuffer *in = gst_buffer_new ();
  gchar *msg;

  gst_buffer_add_rift_features_meta (in, s->n);
  gst_rift_features_add (in, GST_RIFT_FEATURE_AUDIO,
      memory_from (s->audio, s->n), RIFT_F32, s->n, 1);
  fail_if (gst_harness_push (h, in) == GST_FLOW_OK);
  msg = pop_error (bus);
  fail_unless_contains (msg, "robust-f0=1");
  fail_unless_contains (msg, "put riftmel before riftf0");
  fail_unless_error_was (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_free (msg);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* Every segment of tests/fixtures/robust_f0/stages.safetensors through
 * riftf0 robust-f0=2 and =1, RMVPE included, against upstream's
 * f0_ensemble and f0_light with the README's end-to-end acceptance: the
 * same voicing and rel <= 1e-5 on the frames it marks stable, at least
 * 97 % of all frames with the same voicing within rel 1e-4. */
GST_START_TEST (test_robust_f0_fixtures)
{
  const gchar *cases[] = { "sing_44k.seg0", "phrases_44k.seg0",
    "phrases_44k.seg1", "synth"
  };
  rift_weights *w = open_fixture ("robust_f0/stages.safetensors");
  guint c;
  gint level;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    Seg *s = seg_from_robust (cases[c]);

    for (level = 2; level >= 1; level--) {
      const gchar *ens = level == 2 ? "f0_ensemble" : "f0_light";
      gchar *name = g_strdup_printf ("%s.%s", cases[c], ens);
      gchar *stable_name = g_strdup_printf ("%s_stable", name);
      gint64 n_ref, n_stable, t, close = 0, checked = 0;
      gfloat *ref = tensor_f32 (w, name, &n_ref);
      gfloat *stable = tensor_f32 (w, stable_name, &n_stable);
      GstBus *bus;
      GstHarness *h = start (make_f0 (&bus, "robust-f0", level, NULL), FALSE);
      GstBuffer *out;
      GstMapInfo map;
      const gfloat *got;
      gdouble max_rel = 0.0;

      fail_unless_equals_int64 (n_ref, s->T);
      fail_unless_equals_int64 (n_stable, s->T);
      fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, FALSE, 0, 0,
                  FALSE)), GST_FLOW_OK);
      out = gst_harness_pull (h);
      fail_unless (gst_rift_features_map (out, GST_RIFT_FEATURE_F0, &map,
              GST_MAP_READ, NULL));
      got = (const gfloat *) map.data;
      for (t = 0; t < s->T; t++) {
        gboolean same = (got[t] > 0) == (ref[t] > 0);
        gdouble rel = same && ref[t] > 0 ?
            fabs ((gdouble) got[t] - ref[t]) / ref[t] : 0.0;

        close += same && rel <= 1e-4;
        if (stable[t] == 0.0f)
          continue;
        checked++;
        fail_unless (same, "%s: stable frame %" G_GINT64_FORMAT " is %g, "
            "upstream's %g", name, t, got[t], ref[t]);
        max_rel = MAX (max_rel, rel);
      }
      g_print ("%s: %" G_GINT64_FORMAT " stable frames, max rel %.2e; %"
          G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames within 1e-4\n",
          name, checked, max_rel, close, s->T);
      fail_unless (max_rel <= 1e-5, "%s: max rel %.2e", name, max_rel);
      fail_unless (close >= 0.97 * s->T, "%s: %" G_GINT64_FORMAT " of %"
          G_GINT64_FORMAT " frames within 1e-4", name, close, s->T);
      gst_memory_unmap (map.memory, &map);
      gst_buffer_unref (out);
      fail_unless (pop_error (bus) == NULL);
      teardown (h, bus);
      g_free (ref);
      g_free (stable);
      g_free (name);
      g_free (stable_name);
    }
    seg_free (s);
  }
  rift_weights_free (w);
}

GST_END_TEST;

/* robust-f0 in a live pipeline: one warning that says what it costs, and
 * the conversion goes on. */
GST_START_TEST (test_robust_f0_live)
{
  Seg *s = seg_from_robust ("phrases_44k.seg1");
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, "robust-f0", 2, NULL), FALSE);
  GstMessage *msg;
  GError *err = NULL;
  guint i;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  gst_harness_query_latency (h);
  for (i = 0; i < 2; i++) {
    fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, FALSE,
                i * GST_SECOND, 0, FALSE)), GST_FLOW_OK);
    gst_buffer_unref (gst_harness_pull (h));
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless_contains (err->message, "robust-f0=2 in a live pipeline");
  fail_unless_contains (err->message, "latency");
  g_clear_error (&err);
  gst_message_unref (msg);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL,
      "warned twice");
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* Buffers flagged GAP (removed silence, docs/design.md) pass through
 * untouched: the same buffer, with or without features. */
GST_START_TEST (test_gap_passthrough)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 5000);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), FALSE);
  GstBuffer *gaps[2], *out;
  guint i;

  /* the planned form: audio only */
  gaps[0] = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (gaps[0], s->n);
  gst_rift_features_add (gaps[0], GST_RIFT_FEATURE_AUDIO,
      memory_from (s->audio, s->n), RIFT_F32, s->n, 1);
  /* and a GAP buffer with riftmel's features */
  gaps[1] = seg_buffer (s, FALSE, GST_SECOND, 5000, FALSE);
  for (i = 0; i < 2; i++) {
    GST_BUFFER_FLAG_SET (gaps[i], GST_BUFFER_FLAG_GAP);
    GST_BUFFER_PTS (gaps[i]) = i * GST_SECOND;
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (gaps[i])),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out == gaps[i]);
    fail_unless_equals_int (gst_buffer_n_memory (out), i == 0 ? 1 : 3);
    fail_unless (gst_rift_features_peek (out, GST_RIFT_FEATURE_F0,
            NULL) == NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * GST_SECOND);
    gst_buffer_unref (out);
    gst_buffer_unref (gaps[i]);
  }
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* A checkpoint of another model, a missing file and no model at all fail
 * the state change with the engine's message. */
GST_START_TEST (test_wrong_model)
{
  gchar *dit = fixture ("dit/model.ckpt");
  gchar *msg;

  msg = start_fails (make_f0 (NULL, "model", dit, NULL));
  fail_unless_contains (msg, "is this an RMVPE checkpoint");
  fail_unless_contains (msg, dit);
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_free (msg);

  msg = start_fails (make_f0 (NULL, "model", "/nonexistent/rmvpe.pt", NULL));
  fail_unless_contains (msg, "/nonexistent/rmvpe.pt");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);

  msg = start_fails (make_f0 (NULL, "model", NULL, NULL));
  fail_unless_equals_string (msg, "riftf0 has no model: set the model"
      " property to an RMVPE checkpoint (upstream's"
      " pretrained/rmvpe/model.pt)");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);
  g_free (dit);
}

GST_END_TEST;

/* Caps refused at the CAPS event: the message says what is missing or
 * wrong (a refused sticky event still counts as pushed for the harness).
 * Raw audio is not even accepted: riftf0 takes riftmel's buffers. */
GST_START_TEST (test_caps_refused)
{
  GstCaps *no_audio = gst_rift_features_caps_new (F (MEL) | F (RMS), 0);
  GstCaps *twice = gst_rift_features_caps_new (MEL_FEATURES | F (F0), 0);
  struct
  {
    GstCaps *caps;
    const gchar *message;
  } cases[] = {
    {no_audio, "riftf0 needs audio: put riftmel before riftf0"
          " (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)"},
    {twice, "riftf0 got buffers that already carry f0: there is another"
          " riftf0 before this one"},
  };
  GstCaps *raw = gst_caps_from_string ("audio/x-raw, format=(string)F32LE,"
      " rate=(int)8000, channels=(int)2, layout=(string)interleaved");
  GstBus *bus;
  GstElement *e;
  GstPad *sink;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstHarness *h;
    gchar *msg;

    e = make_f0 (&bus, NULL);
    h = gst_harness_new_with_element (e, "sink", "src");
    gst_object_unref (e);
    gst_harness_push_event (h, gst_event_new_caps (cases[i].caps));
    fail_if (gst_pad_has_current_caps (GST_PAD_PEER (h->srcpad)));
    msg = pop_error (bus);
    fail_unless_equals_string (msg, cases[i].message);
    fail_unless_error_was (GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
    g_free (msg);
    teardown (h, bus);
    gst_caps_unref (cases[i].caps);
  }

  e = make_f0 (&bus, NULL);
  sink = gst_element_get_static_pad (e, "sink");
  fail_if (gst_pad_query_accept_caps (sink, raw));
  gst_object_unref (sink);
  gst_caps_unref (raw);
  gst_object_unref (e);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

GST_END_TEST;

/* Buffers that do not match their caps are refused, naming the problem. */
GST_START_TEST (test_bad_buffer)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 5000);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), FALSE);
  GstBuffer *buf;
  gchar *msg;

  /* no meta at all */
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new ()),
      GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "without GstRiftFeaturesMeta");
  fail_unless_error_was (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_free (msg);

  /* no audio although the caps say so */
  buf = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (buf, s->n);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "has no audio");
  g_free (msg);

  /* audio of another length than the meta's */
  buf = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (buf, s->n + 1);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO, memory_from (s->audio,
          s->n), RIFT_F32, s->n, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "riftf0 needs F32 [5001, 1]");
  g_free (msg);

  /* already an f0 */
  buf = seg_buffer (s, FALSE, 0, 0, FALSE);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_F0, memory_from (NULL, s->T),
      RIFT_F32, s->T, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "already has an f0");
  g_free (msg);

  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* Live: the latency includes the longest computation so far, announced
 * with a LATENCY message. Not live: nothing added. */
GST_START_TEST (test_latency)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 44100);
  GstBus *bus;
  GstHarness *h = start (make_f0 (&bus, NULL), FALSE);
  GstMessage *msg;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 10 * GST_MSECOND);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, FALSE, 0, 0,
              FALSE)), GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless (gst_harness_query_latency (h) > 10 * GST_MSECOND);

  gst_harness_set_live (h, FALSE);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 10 * GST_MSECOND);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* riftmel, riftf0 and riftcvec of one pipeline share one backend. */
GST_START_TEST (test_context_shared)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *mel = gst_element_factory_make ("riftmel", NULL);
  GstElement *cvec = gst_element_factory_make ("riftcvec", NULL);
  GstBus *bus;
  GstElement *f0 = make_f0 (&bus, NULL);
  GstElement *elements[3] = { mel, f0, cvec };
  gchar *cvec_model = fixture ("contentvec/tiny-content-vec-best");
  rift_backend *backends[3] = { NULL, NULL, NULL };
  guint i;

  gst_util_set_object_arg (G_OBJECT (mel), "backend", "cpu");
  gst_util_set_object_arg (G_OBJECT (cvec), "backend", "cpu");
  g_object_set (cvec, "model", cvec_model, NULL);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_bin_add_many (GST_BIN (pipeline), mel, f0, cvec, NULL);
  fail_unless (gst_element_link_many (mel, f0, cvec, NULL));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  for (i = 0; i < 3; i++) {
    GstContext *ctx = gst_element_get_context (elements[i],
        GST_RIFT_BACKEND_CONTEXT_TYPE);

    fail_unless (ctx != NULL, "%s has no backend context",
        GST_OBJECT_NAME (elements[i]));
    gst_structure_get (gst_context_get_structure (ctx), "backend",
        GST_TYPE_RIFT_BACKEND, &backends[i], NULL);
    gst_context_unref (ctx);
  }
  fail_unless (backends[0] != NULL && backends[0] == backends[1]
      && backends[1] == backends[2]);
  for (i = 0; i < 3; i++)
    rift_backend_unref (backends[i]);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
  g_free (cvec_model);
}

GST_END_TEST;

/* On CUDA (meson skips this case without a device): sing_44k against the
 * fixture with the README's rule. */
GST_START_TEST (test_cuda)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 0);
  rift_weights *w = open_fixture ("rmvpe/sing_44k.safetensors");
  gfloat *ref = tensor_f32 (w, "f0_post", NULL);
  gfloat *stable = tensor_f32 (w, "post_stable", NULL);
  GstBus *bus;
  GstHarness *h;
  GstBuffer *out;
  GstMapInfo map;

  h = start (make_f0 (&bus, "backend", RIFT_BACKEND_CUDA, NULL), FALSE);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, FALSE, 0, 0,
              FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_rift_features_map (out, GST_RIFT_FEATURE_F0, &map,
          GST_MAP_READ, NULL));
  check_fixture ("f0_post (CUDA)", (const gfloat *) map.data, ref, stable,
      s->T, 1e-5);
  gst_memory_unmap (map.memory, &map);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  g_free (ref);
  g_free (stable);
  rift_weights_free (w);
  seg_free (s);
}

GST_END_TEST;

static Suite *
riftf0_suite (void)
{
  Suite *s = suite_create ("riftf0");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  /* RMVPE on the CPU: give slow machines time */
  tcase_set_timeout (tc, 120);
  ADD_TEST (tc, test_defaults);
  ADD_TEST (tc, test_src_caps);
  ADD_TEST (tc, test_fixture_sing_44k);
  ADD_TEST (tc, test_fixture_phrases_44k);
  ADD_TEST (tc, test_key_shift);
  ADD_TEST (tc, test_after_cvec);
  ADD_TEST (tc, test_key_shift_playing);
  ADD_TEST (tc, test_key_shift_controlled);
  ADD_TEST (tc, test_voicing_threshold);
  ADD_TEST (tc, test_zero_frames);
  ADD_TEST (tc, test_short_segment);
  ADD_TEST (tc, test_robust_f0);
  ADD_TEST (tc, test_robust_f0_fixtures);
  ADD_TEST (tc, test_robust_f0_needs_rms);
  ADD_TEST (tc, test_robust_f0_live);
  ADD_TEST (tc, test_gap_passthrough);
  ADD_TEST (tc, test_wrong_model);
  ADD_TEST (tc, test_caps_refused);
  ADD_TEST (tc, test_bad_buffer);
  ADD_TEST (tc, test_latency);
  ADD_TEST (tc, test_context_shared);
  ADD_TEST (tc, test_cuda);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  gint ret;

  ret = gst_test_prepare (argc, argv, TRUE);
  if (ret != 0)
    return ret;
  gst_check_init (&argc, &argv);
  s = riftf0_suite ();
  return gst_test_run_suite (s, "riftf0", __FILE__, argv[1]);
}
