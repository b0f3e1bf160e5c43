/* test-riftcvec.c — riftcvec in a GstHarness.
 *
 * Segments are built with riftfeatures.h from the fixture audio (the
 * samples of tests/fixtures/audio/CASE.wav, as tests/fixtures/mel stores
 * them) and run through the tiny ContentVec of tests/fixtures/contentvec.
 * Each cvec must be bit-identical to the engine called directly on the same
 * samples (rift_resample_soxr_hq to 16 kHz, rift_contentvec_forward,
 * rift_interp_linear onto the T mel frames), which checks the element's
 * plumbing (audio in, order, timestamps, every memory kept).
 *
 * The ContentVec fixtures start from infer.py's loudness-normalised segment
 * (x · loudness_gain in float64), not from the raw WAV, so against them:
 * the engine on the stored audio_16k gives last_hidden_state (max-abs 1e-4,
 * rel-L2 1e-5) and cvec_interp once interpolated (2e-4, 2e-5), and the
 * element fed that normalised segment (rounded to float32, which soxr HQ
 * resamples to the same audio_16k) gives cvec_interp within the same
 * 2e-4 / 2e-5 (tests/fixtures/contentvec/README.md "Tolerances").
 *
 * Usage: test-riftcvec [TEST]  (meson runs one TEST per meson test; without
 * one, all run). The CPU backend is used throughout, except test_cuda. */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "gsttestutil.h"

#include "contentvec.h"
#include "interp.h"
#include "resample-soxr.h"
#include "weights.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#define N_MELS GST_RIFT_N_MELS
#define CVEC_DIM 64             /* the tiny ContentVec's hidden size */
#define MIN_16K 400             /* its receptive field at 16 kHz */
#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define MEL_FEATURES (F (AUDIO) | F (MEL) | F (RMS))
#define MODEL "contentvec/tiny-content-vec-best"

/* ---- fixtures and segments ---- */

/* A copy of the F32 tensor `name` of `w`, *n its size. */
static gfloat *
tensor_f32 (rift_weights * w, const gchar * name, gint64 * n)
{
  const rift_tensor *t = rift_weights_find (w, name);

  fail_unless (t != NULL && t->dtype == RIFT_F32, "fixture has no F32 %s",
      name);
  if (n)
    *n = rift_tensor_numel (t);
  return g_memdup2 (t->data, MAX (rift_tensor_nbytes (t), 1));
}

static gdouble
scalar_f64 (rift_weights * w, const gchar * name)
{
  const rift_tensor *t = rift_weights_find (w, name);

  fail_unless (t != NULL && t->dtype == RIFT_F64, "fixture has no F64 %s",
      name);
  return *(const gdouble *) t->data;
}

/* One segment: n samples, T = n / 512 frames. */
typedef struct
{
  guint64 n;
  gint64 T;
  gfloat *audio;
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
  g_free (s);
}

/* The feature buffer riftmel would push for `s` (mel and rms zeros:
 * riftcvec does not read them), with f0 too when `with_f0` (riftf0 before
 * riftcvec). */
static GstBuffer *
seg_buffer (const Seg * s, gboolean with_f0, GstClockTime pts,
    guint64 offset, gboolean discont)
{
  GstBuffer *buf = gst_buffer_new ();

  gst_buffer_add_rift_features_meta (buf, s->n);
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO,
          memory_from (s->audio, s->n), RIFT_F32, s->n, 1));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_MEL,
          memory_from (NULL, s->T * N_MELS), RIFT_F32, s->T, N_MELS));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_RMS,
          memory_from (NULL, s->T), RIFT_F32, s->T, 1));
  if (with_f0)
    fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_F0,
            memory_from (NULL, s->T), RIFT_F32, s->T, 1));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_round (s->n, GST_SECOND, GST_RIFT_RATE);
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + s->n;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* ---- the reference: the engine called directly ---- */

static rift_contentvec *
load_model (rift_backend ** be)
{
  gchar *dir = fixture (MODEL);
  GError *err = NULL;
  rift_contentvec *cv;

  *be = rift_backend_new (RIFT_BACKEND_CPU, -1, &err);
  fail_unless (*be != NULL, "%s", err ? err->message : "");
  cv = rift_contentvec_load_dir (dir, *be, &err);
  fail_unless (cv != NULL, "%s", err ? err->message : dir);
  g_free (dir);
  return cv;
}

/* infer.py's content vectors of `s`: 16 kHz with soxr HQ (zero-padded to
 * the 400 samples of one frame when shorter, as riftcvec documents),
 * last_hidden_state, interpolated to T frames. *N gets the number of
 * ContentVec frames. */
static gfloat *
reference (const Seg * s, gint64 * N)
{
  rift_backend *be;
  rift_contentvec *cv = load_model (&be);
  gint64 n16 = rift_resample_soxr_len (s->n, 44100, 16000);
  gint64 len = MAX (n16, MIN_16K), frames;
  gfloat *a16 = g_new0 (gfloat, len), *h, *cvec;
  GError *err = NULL;

  fail_unless (rift_resample_soxr_hq (s->audio, s->n, 44100, 16000, a16,
          &err), "%s", err ? err->message : "");
  frames = rift_contentvec_n_frames (cv, len);
  h = g_new (gfloat, frames * CVEC_DIM);
  fail_unless (rift_contentvec_forward (cv, a16, len, h, NULL, &err), "%s",
      err ? err->message : "");
  cvec = g_new (gfloat, MAX (s->T, 1) * CVEC_DIM);
  rift_interp_linear (cvec, s->T, h, frames, CVEC_DIM);
  if (N)
    *N = frames;
  g_free (a16);
  g_free (h);
  rift_contentvec_free (cv);
  rift_backend_unref (be);
  return cvec;
}

/* max-abs and rel-L2 of got against ref, printed; fails beyond the
 * tolerances. */
static void
check_close (const gchar * label, const gfloat * got, const gfloat * ref,
    gint64 n, gdouble max_abs_tol, gdouble rel_l2_tol)
{
  gdouble max_abs = 0.0, d2 = 0.0, r2 = 0.0;
  gint64 i;

  for (i = 0; i < n; i++) {
    gdouble d = (gdouble) got[i] - ref[i];

    fail_unless (isfinite (got[i]), "%s[%" G_GINT64_FORMAT "] is %g", label,
        i, got[i]);
    max_abs = MAX (max_abs, fabs (d));
    d2 += d * d;
    r2 += (gdouble) ref[i] * ref[i];
  }
  g_print ("%s: max-abs %.2e rel-L2 %.2e\n", label, max_abs, sqrt (d2 / r2));
  fail_unless (max_abs <= max_abs_tol && sqrt (d2 / r2) <= rel_l2_tol,
      "%s: max-abs %.3g (<= %.0e), rel-L2 %.3g (<= %.0e)", label, max_abs,
      max_abs_tol, sqrt (d2 / r2), rel_l2_tol);
}

/* ---- the element ---- */

/* riftcvec on the CPU backend with the fixture model and the given
 * properties (NULL-terminated name/value pairs), with a bus to read its
 * errors from (*bus gets a ref when bus is not NULL). */
static GstElement *
make_cvec (GstBus ** bus, const gchar * first_property, ...)
{
  GstElement *e = gst_element_factory_make ("riftcvec", NULL);
  GstBus *b;
  gchar *model = fixture (MODEL);
  va_list args;

  fail_unless (e != NULL, "riftcvec is not registered (GST_PLUGIN_PATH?)");
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
 * caps, or riftf0's after riftmel when `with_f0`. */
static GstHarness *
start (GstElement * e, gboolean with_f0)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  GstCaps *caps = gst_rift_features_caps_new (MEL_FEATURES |
      (with_f0 ? F (F0) : 0), 0);

  gst_object_unref (e);
  gst_harness_set_src_caps (h, caps);
  return h;
}

/* An output buffer: every memory of `in` kept (the same GstMemory objects),
 * the cvec [T, 64] appended after them and bit-identical to `want` (NULL:
 * not checked), timestamps, offsets and flags as the input's. Returns the
 * cvec (a copy, g_free it). */
static gfloat *
check_out (GstBuffer * out, GstBuffer * in, const Seg * s, const gfloat * want)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (out);
  const GstRiftFeatureInfo *info;
  guint n_in = gst_buffer_n_memory (in), i;
  GstMapInfo map;
  gfloat *cvec;
  gint64 k;

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

  fail_unless (gst_rift_features_map (out, GST_RIFT_FEATURE_CVEC, &map,
          GST_MAP_READ, &info));
  fail_unless_equals_int (info->memory, n_in);
  fail_unless_equals_int (info->dtype, RIFT_F32);
  fail_unless_equals_int64 (info->frames, s->T);
  fail_unless_equals_int64 (info->width, CVEC_DIM);
  fail_unless_equals_uint64 (map.size, s->T * CVEC_DIM * sizeof (gfloat));
  cvec = g_memdup2 (map.data, MAX (map.size, 1));
  gst_memory_unmap (map.memory, &map);
  for (k = 0; want && k < s->T * CVEC_DIM; k++) {
    if (memcmp (&cvec[k], &want[k], sizeof (gfloat)) != 0)
      fail ("cvec[%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "] is %.9g, the"
          " engine gives %.9g", k / CVEC_DIM, k % CVEC_DIM, cvec[k], want[k]);
  }
  return cvec;
}

/* The whole WAV `name` as one segment: the element equals the engine
 * called directly; a buffer someone else holds too is left as it was. */
static void
run_engine (const gchar * name)
{
  Seg *s = seg_from_wav (name, 0, 0);
  gint64 N;
  gfloat *want = reference (s, &N), *got;
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
  GstBuffer *in = seg_buffer (s, FALSE, 3 * GST_SECOND, 132300, TRUE), *out;

  fail_unless (N > 100, "%" G_GINT64_FORMAT " ContentVec frames", N);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (out != in);
  got = check_out (out, in, s, want);
  fail_unless_equals_int (gst_buffer_n_memory (in), 3);
  fail_unless (gst_rift_features_peek (in, GST_RIFT_FEATURE_CVEC,
          NULL) == NULL);
  fail_unless (pop_error (bus) == NULL);

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  g_free (want);
  seg_free (s);
}

/* Against contentvec/CASE.safetensors (see the top of this file). */
static void
run_fixture (const gchar * name, const gchar * wav)
{
  gchar *rel = g_strdup_printf ("contentvec/%s.safetensors", name);
  rift_weights *w = open_fixture (rel);
  gint64 n16, n_last, n_interp, N, T;
  gfloat *audio_16k = tensor_f32 (w, "audio_16k", &n16);
  gfloat *last = tensor_f32 (w, "last_hidden_state", &n_last);
  gfloat *interp = tensor_f32 (w, "cvec_interp", &n_interp);
  gdouble gain = scalar_f64 (w, "loudness_gain");
  gdouble clip = scalar_f64 (w, "clip_scale");
  Seg *s = seg_from_wav (wav, 0, 0);
  rift_backend *be;
  rift_contentvec *cv = load_model (&be);
  gfloat *h, *cvec, *got;
  GError *err = NULL;
  GstBus *bus;
  GstHarness *hn;
  GstBuffer *in, *out;
  guint64 i;

  T = n_interp / CVEC_DIM;
  fail_unless_equals_int64 (T, s->T);

  /* the engine on the stored 16 kHz audio */
  N = rift_contentvec_n_frames (cv, n16);
  fail_unless_equals_int64 (N * CVEC_DIM, n_last);
  h = g_new (gfloat, N * CVEC_DIM);
  fail_unless (rift_contentvec_forward (cv, audio_16k, n16, h, NULL, &err),
      "%s", err ? err->message : "");
  check_close ("last_hidden_state (engine, stored audio_16k)", h, last,
      n_last, 1e-4, 1e-5);
  cvec = g_new (gfloat, T * CVEC_DIM);
  rift_interp_linear (cvec, T, h, N, CVEC_DIM);
  check_close ("cvec_interp (engine, stored audio_16k)", cvec, interp,
      n_interp, 2e-4, 2e-5);

  /* the element on infer.py's loudness-normalised segment */
  for (i = 0; i < s->n; i++)
    s->audio[i] = (gfloat) ((gdouble) s->audio[i] * gain * clip);
  hn = start (make_cvec (&bus, NULL), FALSE);
  in = seg_buffer (s, FALSE, 0, 0, FALSE);
  fail_unless_equals_int (gst_harness_push (hn, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (hn);
  got = check_out (out, in, s, NULL);
  check_close ("cvec_interp (riftcvec, normalised segment)", got, interp,
      n_interp, 2e-4, 2e-5);
  fail_unless (pop_error (bus) == NULL);

  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (hn, bus);
  g_free (got);
  g_free (cvec);
  g_free (h);
  rift_contentvec_free (cv);
  rift_backend_unref (be);
  seg_free (s);
  g_free (audio_16k);
  g_free (last);
  g_free (interp);
  rift_weights_free (w);
  g_free (rel);
}

/* ---- tests ---- */

GST_START_TEST (test_defaults)
{
  GstElement *e = gst_element_factory_make ("riftcvec", NULL);
  gchar *model;
  gint backend, device;
  GParamSpec *pspec;

  g_object_get (e, "model", &model, "backend", &backend, "cuda-device-id",
      &device, NULL);
  fail_unless (model == NULL);
  fail_unless_equals_int (backend, RIFT_BACKEND_AUTO);
  fail_unless_equals_int (device, -1);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "model");
  fail_unless (pspec->flags & GST_PARAM_MUTABLE_READY);
  fail_if (pspec->flags & GST_PARAM_MUTABLE_PLAYING);
  ASSERT_WARNING (g_object_set (e, "cuda-device-id", -2, NULL));
  gst_object_unref (e);
}

GST_END_TEST;

/* Src caps are the sink caps plus cvec with the model's hidden size,
 * whichever of riftmel or riftf0 comes before. */
GST_START_TEST (test_src_caps)
{
  guint i;

  for (i = 0; i < 2; i++) {
    gboolean with_f0 = i == 1;
    GstBus *bus;
    GstHarness *h = start (make_cvec (&bus, NULL), with_f0);
    GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
    GstCaps *want = gst_rift_features_caps_new (MEL_FEATURES | F (CVEC) |
        (with_f0 ? F (F0) : 0), CVEC_DIM);

    fail_unless (caps != NULL);
    fail_unless (gst_caps_is_equal (caps, want), "src caps %" GST_PTR_FORMAT,
        caps);
    gst_caps_unref (caps);
    gst_caps_unref (want);
    teardown (h, bus);
  }
}

GST_END_TEST;

GST_START_TEST (test_engine_sing)
{
  run_engine ("sing_44k");
}

GST_END_TEST;

GST_START_TEST (test_engine_speech)
{
  run_engine ("speech_44k");
}

GST_END_TEST;

GST_START_TEST (test_fixture_sing)
{
  run_fixture ("sing", "sing_44k");
}

GST_END_TEST;

GST_START_TEST (test_fixture_speech)
{
  run_fixture ("speech", "speech_44k");
}

GST_END_TEST;

/* After riftf0: the f0 stays, cvec comes after it; segments are computed
 * one by one, in order. */
GST_START_TEST (test_after_f0)
{
  Seg *a = seg_from_wav ("speech_44k", 0, 30000);
  Seg *b = seg_from_wav ("speech_44k", 30000, 50000);
  gfloat *want_a = reference (a, NULL), *want_b = reference (b, NULL), *got;
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), TRUE);
  GstBuffer *in_a = seg_buffer (a, TRUE, 0, 0, FALSE);
  GstBuffer *in_b = seg_buffer (b, TRUE, 680272108, 30000, TRUE), *out;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in_a)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in_b)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in_a, a, want_a);
  fail_unless (gst_rift_features_peek (out, GST_RIFT_FEATURE_F0, NULL) != NULL);
  g_free (got);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  got = check_out (out, in_b, b, want_b);
  g_free (got);
  gst_buffer_unref (out);

  gst_buffer_unref (in_a);
  gst_buffer_unref (in_b);
  teardown (h, bus);
  g_free (want_a);
  g_free (want_b);
  seg_free (a);
  seg_free (b);
}

GST_END_TEST;

/* T = 0 (n < 512): an empty cvec, even for a buffer held elsewhere too. */
GST_START_TEST (test_zero_frames)
{
  Seg *s = seg_from_wav ("sing_44k", 20000, 300);
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
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

/* A segment whose 16 kHz audio is shorter than ContentVec's 400 samples
 * (n < 1100 at 44.1 kHz, T <= 2) is zero-padded to 400: one frame, used
 * for every mel frame. From 1100 on, the plain computation. */
GST_START_TEST (test_short_segment)
{
  const guint64 lengths[] = { 512, 1000, 1099, 1100, 1536, 2048 };
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (lengths); i++) {
    Seg *s = seg_from_wav ("sing_44k", 40000, lengths[i]);
    gint64 N, t;
    gfloat *want = reference (s, &N), *got;
    GstBuffer *in = seg_buffer (s, FALSE, i * GST_SECOND, 0, FALSE), *out;

    fail_unless_equals_int64 (N, lengths[i] >= 2048 ? 2 : 1);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    got = check_out (out, in, s, want);
    for (t = 1; N == 1 && t < s->T; t++)
      fail_unless (memcmp (got, got + t * CVEC_DIM,
              CVEC_DIM * sizeof (gfloat)) == 0);
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

/* Buffers flagged GAP (removed silence, docs/design.md) pass through
 * untouched: the same buffer, with or without features. */
GST_START_TEST (test_gap_passthrough)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 5000);
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
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
    fail_unless (gst_rift_features_peek (out, GST_RIFT_FEATURE_CVEC,
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

/* A directory without config.json, a file, a missing path and no model at
 * all fail the state change with the engine's message. */
GST_START_TEST (test_wrong_model)
{
  gchar *dit_dir = fixture ("dit");
  gchar *rmvpe = fixture ("rmvpe/model.pt");
  gchar *msg;

  msg = start_fails (make_cvec (NULL, "model", dit_dir, NULL));
  fail_unless_contains (msg, "has no config.json");
  fail_unless_contains (msg, dit_dir);
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_free (msg);

  msg = start_fails (make_cvec (NULL, "model", rmvpe, NULL));
  fail_unless_contains (msg, "is not a directory");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_free (msg);

  msg = start_fails (make_cvec (NULL, "model", "/nonexistent/cvec", NULL));
  fail_unless_contains (msg, "/nonexistent/cvec");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);

  msg = start_fails (make_cvec (NULL, "model", NULL, NULL));
  fail_unless_equals_string (msg, "riftcvec has no model: set the model"
      " property to a ContentVec model directory (config.json with"
      " pytorch_model.bin or model.safetensors, e.g. content-vec-best)");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);
  g_free (dit_dir);
  g_free (rmvpe);
}

GST_END_TEST;

/* Caps refused at the CAPS event: the message says what is missing or
 * wrong (a refused sticky event still counts as pushed for the harness). */
GST_START_TEST (test_caps_refused)
{
  GstCaps *no_audio = gst_rift_features_caps_new (F (MEL) | F (RMS) | F (F0),
      0);
  GstCaps *twice = gst_rift_features_caps_new (MEL_FEATURES | F (CVEC), 64);
  struct
  {
    GstCaps *caps;
    const gchar *message;
  } cases[] = {
    {no_audio, "riftcvec needs audio: put riftmel before riftcvec"
          " (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)"},
    {twice, "riftcvec got buffers that already carry cvec: there is another"
          " riftcvec before this one"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBus *bus;
    GstElement *e = make_cvec (&bus, NULL);
    GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
    gchar *msg;

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
}

GST_END_TEST;

/* Buffers that do not match their caps are refused, naming the problem. */
GST_START_TEST (test_bad_buffer)
{
  Seg *s = seg_from_wav ("sing_44k", 0, 5000);
  GstBus *bus;
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
  GstBuffer *buf;
  gchar *msg;

  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new ()),
      GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "without GstRiftFeaturesMeta");
  fail_unless_error_was (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_free (msg);

  buf = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (buf, s->n);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "has no audio");
  g_free (msg);

  buf = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (buf, s->n + 1);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO, memory_from (s->audio,
          s->n), RIFT_F32, s->n, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "riftcvec needs F32 [5001, 1]");
  g_free (msg);

  buf = seg_buffer (s, FALSE, 0, 0, FALSE);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_CVEC, memory_from (NULL,
          s->T * CVEC_DIM), RIFT_F32, s->T, CVEC_DIM);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "already has content vectors");
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
  GstHarness *h = start (make_cvec (&bus, NULL), FALSE);
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

/* On CUDA (meson skips this case without a device): the normalised sing
 * segment against cvec_interp within the README's tolerance. */
GST_START_TEST (test_cuda)
{
  rift_weights *w = open_fixture ("contentvec/sing.safetensors");
  gint64 n_interp;
  gfloat *interp = tensor_f32 (w, "cvec_interp", &n_interp);
  gdouble gain = scalar_f64 (w, "loudness_gain");
  Seg *s = seg_from_wav ("sing_44k", 0, 0);
  GstBus *bus;
  GstHarness *h;
  GstBuffer *in, *out;
  gfloat *got;
  guint64 i;

  for (i = 0; i < s->n; i++)
    s->audio[i] = (gfloat) ((gdouble) s->audio[i] * gain);
  h = start (make_cvec (&bus, "backend", RIFT_BACKEND_CUDA, NULL), FALSE);
  in = seg_buffer (s, FALSE, 0, 0, FALSE);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  got = check_out (out, in, s, NULL);
  check_close ("cvec_interp (riftcvec on CUDA)", got, interp, n_interp, 2e-4,
      2e-5);
  fail_unless (pop_error (bus) == NULL);
  gst_buffer_unref (out);
  gst_buffer_unref (in);
  teardown (h, bus);
  g_free (got);
  g_free (interp);
  rift_weights_free (w);
  seg_free (s);
}

GST_END_TEST;

static Suite *
riftcvec_suite (void)
{
  Suite *s = suite_create ("riftcvec");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  /* ContentVec on the CPU: give slow machines time */
  tcase_set_timeout (tc, 120);
  ADD_TEST (tc, test_defaults);
  ADD_TEST (tc, test_src_caps);
  ADD_TEST (tc, test_engine_sing);
  ADD_TEST (tc, test_engine_speech);
  ADD_TEST (tc, test_fixture_sing);
  ADD_TEST (tc, test_fixture_speech);
  ADD_TEST (tc, test_after_f0);
  ADD_TEST (tc, test_zero_frames);
  ADD_TEST (tc, test_short_segment);
  ADD_TEST (tc, test_gap_passthrough);
  ADD_TEST (tc, test_wrong_model);
  ADD_TEST (tc, test_caps_refused);
  ADD_TEST (tc, test_bad_buffer);
  ADD_TEST (tc, test_latency);
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
  s = riftcvec_suite ();
  return gst_test_run_suite (s, "riftcvec", __FILE__, argv[1]);
}
