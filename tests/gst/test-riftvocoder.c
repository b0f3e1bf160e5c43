/* test-riftvocoder.c — riftvocoder in a GstHarness, and the whole chain in
 * a pipeline.
 *
 * Segments are built from the vocoder fixture (tests/fixtures/vocoder:
 * a_sing_zero_random, the log-mel and f0 of real singing, with upstream's
 * audio made with zero noise) and vocoded with the tiny fixture model. With
 * noise-scale=0 the element's audio must match the fixture's within its
 * README tolerance; with noise it must be bit-identical to a direct
 * rift_vocoder_forward call given the start phases and excitation noise
 * riftvocoder documents (gst_rift_noise_init (seed, segment number), then
 * gst_rift_noise_fill_uniform and gst_rift_noise_fill). The padding or
 * trimming to the segment's n samples, GAP and T = 0 segments, timestamps,
 * flags, events, progress messages, errors and latency are checked too.
 * test_pipeline runs filesrc ! wavparse ! riftmel ! riftf0 ! riftcvec
 * ! riftdit ! riftvocoder ! appsink with the tiny fixture models, twice.
 *
 * Usage: test-riftvocoder [TEST]  (meson runs one TEST per meson test;
 * without one, all run). The CPU backend is used throughout. */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "gsttestutil.h"
#include "riftnoise.h"

#include "vocoder.h"
#include "weights.h"
#include "assembly.h"
#include "loudness.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <glib/gstdio.h>
#include <unistd.h>
#include <math.h>
#include <string.h>

#define N_MELS GST_RIFT_N_MELS
#define HOP GST_RIFT_HOP
#define N_HARMONICS 9           /* upstream's harmonic_num 8, plus the f0 */
#define CVEC_DIM 64
#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)
#define IN_FEATURES (F (AUDIO) | F (MEL) | F (RMS) | F (F0) | F (CVEC) | \
    F (OUTMEL))
#define OUT_CAPS "audio/x-raw, format=(string)F32LE, rate=(int)44100, " \
  "channels=(int)1, layout=(string)interleaved"

/* tests/fixtures/vocoder/README.md: a float32 port vs upstream */
#define AUDIO_MAX_ABS 5e-5
#define AUDIO_REL_L2 2e-5

/* ---- fixtures and segments ---- */

/* One segment's features: n samples, T frames (n / 512 unless a test says
 * otherwise). */
typedef struct
{
  guint64 n;
  gint64 T;
  gfloat *outmel;               /* [T, 128], frame-major */
  gfloat *f0;                   /* [T] */
} Seg;

/* A tensor of the vocoder fixture a_sing_zero_random (float32, g_free). */
static gfloat *
fixture_tensor (const gchar * name, gint64 * numel)
{
  gchar *path = fixture ("vocoder/a_sing_zero_random.safetensors");
  GError *err = NULL;
  rift_weights *w = rift_weights_open (path, &err);
  const rift_tensor *t;
  gfloat *data;

  fail_unless (w != NULL, "%s", err ? err->message : path);
  t = rift_weights_find (w, name);
  fail_unless (t != NULL && t->dtype == RIFT_F32, "%s: %s", path, name);
  *numel = rift_tensor_numel (t);
  data = g_memdup2 (t->data, *numel * sizeof (gfloat));
  rift_weights_free (w);
  g_free (path);
  return data;
}

/* `T` frames from frame `first` of the fixture; the mel, [1, 128, 258]
 * there, transposed to the frame-major [T, 128] of outmel. n = T · 512 +
 * `extra`. */
static Seg *
seg_from_fixture (gint64 first, gint64 T, gint64 extra)
{
  gint64 n_mel, n_f0, total, t, m;
  gfloat *mel = fixture_tensor ("mel", &n_mel);
  gfloat *f0 = fixture_tensor ("f0", &n_f0);
  Seg *s = g_new0 (Seg, 1);

  total = n_f0;
  fail_unless_equals_int64 (n_mel, total * N_MELS);
  fail_unless (first + T <= total);
  s->T = T;
  s->n = T * HOP + extra;
  s->outmel = g_new (gfloat, T * N_MELS);
  for (t = 0; t < T; t++)
    for (m = 0; m < N_MELS; m++)
      s->outmel[t * N_MELS + m] = mel[m * total + first + t];
  s->f0 = g_memdup2 (f0 + first, T * sizeof (gfloat));
  g_free (mel);
  g_free (f0);
  return s;
}

/* `s` as a padded batch of Tv frames holds it for the vocoder (infer.py):
 * its outmel and f0 followed by zero frames; n is kept. */
static Seg *
seg_padded (const Seg * s, gint64 Tv)
{
  Seg *p = g_new0 (Seg, 1);

  p->T = Tv;
  p->n = s->n;
  p->outmel = g_new0 (gfloat, Tv * N_MELS);
  p->f0 = g_new0 (gfloat, Tv);
  memcpy (p->outmel, s->outmel, s->T * N_MELS * sizeof (gfloat));
  memcpy (p->f0, s->f0, s->T * sizeof (gfloat));
  return p;
}

/* A segment shorter than a hop: T = 0, empty frame features. */
static Seg *
seg_short (guint64 n)
{
  Seg *s = g_new0 (Seg, 1);

  s->n = n;
  return s;
}

static void
seg_free (Seg * s)
{
  g_free (s->outmel);
  g_free (s->f0);
  g_free (s);
}

/* The feature buffer riftdit would push for `s` (audio, mel, rms and cvec
 * are zeros: riftvocoder does not read them). The meta's T is s->T, so a
 * test can make T · 512 > n. */
static GstBuffer *
seg_buffer (const Seg * s, GstClockTime pts, guint64 offset, gboolean discont)
{
  GstBuffer *buf = gst_buffer_new ();
  GstRiftFeaturesMeta *meta = gst_buffer_add_rift_features_meta (buf, s->n);

  meta->n_frames = s->T;
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO,
          memory_from (NULL, s->n), RIFT_F32, s->n, 1));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_MEL,
          memory_from (NULL, s->T * N_MELS), RIFT_F32, s->T, N_MELS));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_RMS,
          memory_from (NULL, s->T), RIFT_F32, s->T, 1));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_F0,
          memory_from (s->f0, s->T), RIFT_F32, s->T, 1));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_CVEC,
          memory_from (NULL, s->T * CVEC_DIM), RIFT_F32, s->T, CVEC_DIM));
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_OUTMEL,
          memory_from (s->outmel, s->T * N_MELS), RIFT_F32, s->T, N_MELS));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_round (s->n, GST_SECOND, GST_RIFT_RATE);
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + s->n;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* Removed silence as design.md plans it: the segment's audio, no features,
 * flagged GAP. */
static GstBuffer *
gap_buffer (guint64 n, GstClockTime pts, guint64 offset)
{
  GstBuffer *buf = gst_buffer_new ();
  gfloat *audio = g_new (gfloat, n);
  guint64 i;

  for (i = 0; i < n; i++)
    audio[i] = 1e-4f * (gfloat) (i % 7);        /* quiet, not zero */
  gst_buffer_add_rift_features_meta (buf, n);
  fail_unless (gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO,
          memory_from (audio, n), RIFT_F32, n, 1));
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) =
      gst_util_uint64_scale_round (n, GST_SECOND, GST_RIFT_RATE);
  GST_BUFFER_OFFSET (buf) = offset;
  GST_BUFFER_OFFSET_END (buf) = offset + n;
  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  g_free (audio);
  return buf;
}

/* ---- the reference: rift_vocoder_forward called directly ---- */

/* The T · 512 samples of `s` as segment number `index` of a stream under
 * `seed` and `scale`, with the noise riftvocoder documents: nothing (zeros)
 * for scale 0, otherwise gst_rift_noise_init (seed, index), H uniform start
 * phases (the first set to 0), then T · 512 · H normals times `scale`. */
static gfloat *
reference (const Seg * s, guint64 seed, guint64 index, gfloat scale)
{
  gchar *path = fixture ("vocoder/model.ckpt");
  GError *err = NULL;
  rift_backend *be = rift_backend_new (RIFT_BACKEND_CPU, -1, &err);
  rift_vocoder *voc = be ? rift_vocoder_load (path, be, &err) : NULL;
  const gint64 m = s->T * HOP;
  gfloat rand_ini[N_HARMONICS];
  gfloat *randn = NULL, *audio = g_new (gfloat, m);

  fail_unless (voc != NULL, "%s", err ? err->message : path);
  fail_unless_equals_int64 (rift_vocoder_get_hparams (voc)->n_harmonics,
      N_HARMONICS);
  if (scale > 0.0f) {
    GstRiftNoise noise;

    randn = g_new (gfloat, m * N_HARMONICS);
    gst_rift_noise_init (&noise, seed, index);
    gst_rift_noise_fill_uniform (&noise, rand_ini, N_HARMONICS);
    rand_ini[0] = 0.0f;
    gst_rift_noise_fill (&noise, randn, m * N_HARMONICS, scale);
  }
  {
    rift_vocoder_input in = {
      .B = 1,.T = s->T,.mel = s->outmel,.f0 = s->f0,
      .rand_ini = scale > 0.0f ? rand_ini : NULL,.randn = randn,
    };

    fail_unless (rift_vocoder_forward (voc, &in, audio, NULL, &err), "%s",
        err ? err->message : "");
  }
  g_free (randn);
  rift_vocoder_free (voc);
  rift_backend_unref (be);
  g_free (path);
  return audio;
}

/* ---- the element ---- */

/* riftvocoder on the CPU backend with the fixture model, fade-duration 0
 * and the given properties (NULL-terminated name/value pairs; floats as doubles), with a
 * bus to read its errors from (*bus gets a ref when bus is not NULL). */
static GstElement *
make_vocoder (GstBus ** bus, const gchar * first_property, ...)
{
  GstElement *e = gst_element_factory_make ("riftvocoder", NULL);
  GstBus *b;
  gchar *model = fixture ("vocoder/model.ckpt");
  va_list args;

  fail_unless (e != NULL, "riftvocoder is not registered (GST_PLUGIN_PATH?)");
  gst_util_set_object_arg (G_OBJECT (e), "backend", "cpu");
  /* no fades (they hold each segment until the next one, and change its
   * edges): the cases compare single segments with the engine; fades and
   * loudness restore have their own cases */
  g_object_set (e, "model", model, "fade-duration", 0.0, NULL);
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

/* A harness around `e` (transfer full), started (PLAYING) with the caps
 * riftdit gives. */
static GstHarness *
start (GstElement * e)
{
  GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
  GstCaps *caps = gst_rift_features_caps_new (IN_FEATURES, CVEC_DIM);

  gst_object_unref (e);
  gst_harness_set_src_caps (h, caps);
  return h;
}

/* An output buffer of n samples with the given timestamps and flags and no
 * metas. */
static void
check_timing (GstBuffer * buf, guint64 n, GstClockTime pts, guint64 offset,
    gboolean discont, gboolean gap)
{
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), n * sizeof (gfloat));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), pts);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf),
      gst_util_uint64_scale_round (n, GST_SECOND, GST_RIFT_RATE));
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), offset);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), offset + n);
  fail_unless_equals_int (GST_BUFFER_IS_DISCONT (buf), discont);
  fail_unless_equals_int (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP),
      gap);
  fail_unless (gst_buffer_get_rift_features_meta (buf) == NULL);
}

/* The samples of `buf`: its first min(m, n) bit-identical to `want` [m],
 * the rest +0.0 (infer.py's zero padding). */
static void
check_audio (GstBuffer * buf, const gfloat * want, gint64 m)
{
  GstMapInfo map;
  const gfloat *got;
  gint64 n, i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  got = (const gfloat *) map.data;
  n = map.size / sizeof (gfloat);
  for (i = 0; i < n; i++) {
    if (i < m && memcmp (&got[i], &want[i], sizeof (gfloat)) != 0)
      fail ("sample %" G_GINT64_FORMAT " is %.9g, direct vocoding gives %.9g",
          i, got[i], want[i]);
    if (i >= m && (got[i] != 0.0f || signbit (got[i])))
      fail ("padding sample %" G_GINT64_FORMAT " is %.9g, not 0", i, got[i]);
  }
  gst_buffer_unmap (buf, &map);
}

static gboolean
buffer_is_zero (GstBuffer * buf)
{
  GstMapInfo map;
  gsize i;
  gboolean zero = TRUE;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; i < map.size; i++)
    zero = zero && map.data[i] == 0;
  gst_buffer_unmap (buf, &map);
  return zero;
}

/* ---- tests ---- */

/* Defaults, and ranges that refuse what makes no sense. */
GST_START_TEST (test_defaults)
{
  GstElement *e = gst_element_factory_make ("riftvocoder", NULL);
  gchar *model;
  guint64 seed;
  gfloat noise;
  gint device;

  g_object_get (e, "model", &model, "seed", &seed, "noise-scale", &noise,
      "cuda-device-id", &device, NULL);
  fail_unless (model == NULL);
  fail_unless_equals_uint64 (seed, 0);
  fail_unless_equals_float (noise, 1.0f);
  fail_unless_equals_int (device, -1);
  ASSERT_WARNING (g_object_set (e, "noise-scale", -0.5, NULL));
  g_object_get (e, "noise-scale", &noise, NULL);
  fail_unless_equals_float (noise, 1.0f);
  g_object_set (e, "noise-scale", 0.0, NULL);
  g_object_get (e, "noise-scale", &noise, NULL);
  fail_unless_equals_float (noise, 0.0f);
  gst_object_unref (e);
}

GST_END_TEST;

/* The src pad has the audio caps before the first buffer; the SEGMENT is
 * forwarded as it came (TIME). */
GST_START_TEST (test_src_caps)
{
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, NULL));
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstCaps *want = gst_caps_from_string (OUT_CAPS);
  GstEvent *ev;
  gboolean saw_segment = FALSE;

  fail_unless (caps != NULL, "no caps before the first buffer");
  fail_unless (gst_caps_is_equal (caps, want), "src caps %" GST_PTR_FORMAT,
      caps);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *segment;

      gst_event_parse_segment (ev, &segment);
      fail_unless_equals_int (segment->format, GST_FORMAT_TIME);
      saw_segment = TRUE;
    }
    gst_event_unref (ev);
  }
  fail_unless (saw_segment);
  gst_caps_unref (caps);
  gst_caps_unref (want);
  teardown (h, bus);
}

GST_END_TEST;

/* The audio of `buf` against upstream's (the fixture's `audio`) within the
 * README's tolerance. */
static void
check_upstream (GstBuffer * buf, const gchar * label)
{
  gint64 n_ref, i;
  gfloat *ref = fixture_tensor ("audio", &n_ref);
  gdouble max_abs = 0.0, d2 = 0.0, r2 = 0.0;
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  fail_unless_equals_uint64 (map.size, n_ref * sizeof (gfloat));
  for (i = 0; i < n_ref; i++) {
    gdouble got = ((const gfloat *) map.data)[i];

    fail_unless (isfinite (got));
    max_abs = MAX (max_abs, fabs (got - ref[i]));
    d2 += (got - ref[i]) * (got - ref[i]);
    r2 += (gdouble) ref[i] * ref[i];
  }
  gst_buffer_unmap (buf, &map);
  GST_INFO ("%s vs upstream: max-abs %.3g, rel-L2 %.3g", label, max_abs,
      sqrt (d2 / r2));
  fail_unless (max_abs <= AUDIO_MAX_ABS && sqrt (d2 / r2) <= AUDIO_REL_L2,
      "%s vs the fixture: max-abs %.3g (<= %g), rel-L2 %.3g (<= %g)", label,
      max_abs, AUDIO_MAX_ABS, sqrt (d2 / r2), AUDIO_REL_L2);
  g_free (ref);
}

/* noise-scale 0 with n = T · 512: upstream's audio (the fixture) within the
 * README's tolerance, and bit-identical to the engine called directly. */
GST_START_TEST (test_parity)
{
  Seg *s = seg_from_fixture (0, 258, 0);
  gfloat *want = reference (s, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h;
  GstBuffer *out;

  /* the seed does not matter without noise */
  h = start (make_vocoder (&bus, "noise-scale", 0.0, "seed", (guint64) 77,
          NULL));
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 0, 0, FALSE)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, s->n, 0, 0, FALSE, FALSE);
  check_audio (out, want, s->T * HOP);
  check_upstream (out, "CPU");
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* n = T · 512 + 300 (what riftmel gives for a segment that does not end on
 * a hop): the vocoder's T · 512 samples, then exactly 300 zeros. */
GST_START_TEST (test_padded)
{
  Seg *s = seg_from_fixture (0, 258, 300);
  gfloat *want = reference (s, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0, NULL));
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, GST_SECOND,
              44100, FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, 258 * HOP + 300, GST_SECOND, 44100, FALSE, FALSE);
  check_audio (out, want, 258 * HOP);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* n < T · 512 (riftmel's T is n / 512, but the vocoder may make more, see
 * test_batch_padded): the first n of the vocoder's samples. */
GST_START_TEST (test_trimmed)
{
  Seg *s = seg_from_fixture (0, 258, -1000);
  gfloat *want = reference (s, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0, NULL));
  GstBuffer *out;

  fail_unless_equals_uint64 (s->n, 258 * HOP - 1000);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 0, 0, TRUE)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, s->n, 0, 0, TRUE, FALSE);
  check_audio (out, want, s->n);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* Segments riftdit sampled in a padded batch of 258 frames (batch_frames in
 * the meta): each is vocoded on its outmel and f0 followed by zero frames
 * up to 258, as infer.py runs the vocoder on the batch, then trimmed to its
 * n; with noise, the noise of that padded length. A T = 0 segment stays
 * zeros. */
GST_START_TEST (test_batch_padded)
{
  Seg *a = seg_from_fixture (0, 100, 300), *b = seg_from_fixture (30, 90, 0);
  Seg *pa = seg_padded (a, 258), *pb = seg_padded (b, 258);
  Seg *z = seg_short (300);
  gfloat *want_a = reference (pa, 0, 0, 0.0f);
  gfloat *want_b = reference (pb, 5, 1, 1.0f);
  gfloat *alone = reference (a, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0, NULL));
  GstBuffer *in, *out;

  /* the padding reaches the segment's last frames through the
   * convolutions */
  fail_if (memcmp (want_a, alone, a->T * HOP * sizeof (gfloat)) == 0,
      "the padding changes nothing");

  in = seg_buffer (a, 0, 0, FALSE);
  gst_buffer_get_rift_features_meta (in)->batch_frames = 258;
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, a->n, 0, 0, FALSE, FALSE);
  check_audio (out, want_a, a->n);
  gst_buffer_unref (out);

  g_object_set (h->element, "noise-scale", 1.0, "seed", (guint64) 5, NULL);
  in = seg_buffer (b, GST_SECOND, a->n, FALSE);
  gst_buffer_get_rift_features_meta (in)->batch_frames = 258;
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, b->n, GST_SECOND, a->n, FALSE, FALSE);
  check_audio (out, want_b, b->n);
  gst_buffer_unref (out);

  in = seg_buffer (z, 2 * GST_SECOND, a->n + b->n, FALSE);
  gst_buffer_get_rift_features_meta (in)->batch_frames = 258;
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, z->n, 2 * GST_SECOND, a->n + b->n, FALSE, FALSE);
  fail_unless (buffer_is_zero (out));
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want_a);
  g_free (want_b);
  g_free (alone);
  seg_free (a);
  seg_free (b);
  seg_free (pa);
  seg_free (pb);
  seg_free (z);
}

GST_END_TEST;

/* noise-scale 1 and 0.5 with a seed: each segment equals the engine given
 * the documented noise of its number in the stream; another seed, another
 * output; noise-scale 0 does not depend on the seed. */
GST_START_TEST (test_seeded_noise)
{
  Seg *a = seg_from_fixture (0, 100, 17), *b = seg_from_fixture (100, 90, 0);
  gfloat *want_a = reference (a, 1234, 0, 1.0f);
  gfloat *want_b = reference (b, 1234, 1, 1.0f);
  gfloat *other = reference (a, 1235, 0, 1.0f);
  gfloat *half = reference (b, 1234, 1, 0.5f);
  gfloat *quiet = reference (a, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h;
  GstBuffer *out;

  fail_if (memcmp (want_a, other, a->T * HOP * sizeof (gfloat)) == 0,
      "the seed changes nothing");
  fail_if (memcmp (want_a, quiet, a->T * HOP * sizeof (gfloat)) == 0,
      "the noise changes nothing");

  h = start (make_vocoder (&bus, "seed", (guint64) 1234, NULL));
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (a, 0, 0, FALSE)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (b, GST_SECOND,
              a->n, FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, a->n, 0, 0, FALSE, FALSE);
  check_audio (out, want_a, a->T * HOP);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  check_timing (out, b->n, GST_SECOND, a->n, FALSE, FALSE);
  check_audio (out, want_b, b->T * HOP);
  gst_buffer_unref (out);
  teardown (h, bus);

  /* properties set while playing apply from the next segment */
  h = start (make_vocoder (&bus, "seed", (guint64) 1235, NULL));
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (a, 0, 0, FALSE)),
      GST_FLOW_OK);
  g_object_set (h->element, "seed", (guint64) 1234, "noise-scale", 0.5, NULL);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (b, GST_SECOND,
              a->n, FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_audio (out, other, a->T * HOP);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  check_audio (out, half, b->T * HOP);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);

  g_free (want_a);
  g_free (want_b);
  g_free (other);
  g_free (half);
  g_free (quiet);
  seg_free (a);
  seg_free (b);
}

GST_END_TEST;

/* A GAP segment (removed silence: audio, no features) becomes n zeros
 * flagged GAP with its timestamps; it counts as a segment for the noise. */
GST_START_TEST (test_gap)
{
  Seg *s = seg_from_fixture (20, 60, 5);
  gfloat *want = reference (s, 9, 1, 1.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "seed", (guint64) 9, NULL));
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, gap_buffer (10000,
              2 * GST_SECOND, 88200)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s,
              2 * GST_SECOND + gst_util_uint64_scale_round (10000,
                  GST_SECOND, GST_RIFT_RATE), 98200, FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, 10000, 2 * GST_SECOND, 88200, FALSE, TRUE);
  fail_unless (buffer_is_zero (out));
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  check_timing (out, s->n, 2 * GST_SECOND + gst_util_uint64_scale_round (10000,
          GST_SECOND, GST_RIFT_RATE), 98200, FALSE, FALSE);
  check_audio (out, want, s->T * HOP);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* The direct vocoding of `s` (noise 0) padded to n, with infer.py's fades
 * of 20 ms (882 samples). */
static gfloat *
faded_reference (const Seg * s, gboolean in, gboolean out)
{
  gfloat *want = reference (s, 0, 0, 0.0f);
  gfloat *y = g_new0 (gfloat, s->n);

  memcpy (y, want, MIN ((gint64) s->n, s->T * HOP) * sizeof (gfloat));
  rift_fade_segment (y, s->n, 882, in, out);
  g_free (want);
  return y;
}

/* fade-duration 20 (the default): each segment waits until the next one (or
 * EOS) decides its fade-out; the GAP buffer after it waits behind it; the
 * first segment fades out only, the last fades in only (infer.py). */
GST_START_TEST (test_fades)
{
  Seg *a = seg_from_fixture (0, 40, 5), *b = seg_from_fixture (20, 60, 7);
  gfloat *want_a = faded_reference (a, FALSE, TRUE);
  gfloat *want_b = faded_reference (b, TRUE, FALSE);
  GstClockTime pts_gap = gst_util_uint64_scale_round (a->n, GST_SECOND,
      GST_RIFT_RATE), pts_b = gst_util_uint64_scale_round (a->n + 1000,
      GST_SECOND, GST_RIFT_RATE);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0f,
          "fade-duration", 20.0, NULL));
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, seg_buffer (a, 0, 0, FALSE)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_int (gst_harness_push (h, gap_buffer (1000, pts_gap,
              a->n)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (b, pts_b,
              a->n + 1000, FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);

  out = gst_harness_pull (h);
  check_timing (out, a->n, 0, 0, FALSE, FALSE);
  check_audio (out, want_a, a->n);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  check_timing (out, 1000, pts_gap, a->n, FALSE, TRUE);
  fail_unless (buffer_is_zero (out));
  gst_buffer_unref (out);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_pull (h);
  check_timing (out, b->n, pts_b, a->n + 1000, FALSE, FALSE);
  check_audio (out, want_b, b->n);
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (want_a);
  g_free (want_b);
  seg_free (a);
  seg_free (b);
}

GST_END_TEST;

/* A segment whose meta holds an original loudness comes out at that
 * loudness (infer.py's generate_audio), unless restore-loudness is off. */
GST_START_TEST (test_restore_loudness)
{
  Seg *s = seg_from_fixture (0, 60, 5);
  gfloat *want = reference (s, 0, 0, 0.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0f, NULL));
  GstBuffer *in, *out;
  GstMapInfo map;
  gdouble lufs;
  gint round;

  for (round = 0; round < 2; round++) {
    if (round == 1)
      g_object_set (h->element, "restore-loudness", FALSE, NULL);
    in = seg_buffer (s, 0, 0, FALSE);
    gst_buffer_get_rift_features_meta (in)->original_lufs = -30.0;
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    if (round == 1) {
      check_audio (out, want, s->T * HOP);
    } else {
      fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
      lufs = rift_loudness_lufs ((const gfloat *) map.data,
          map.size / sizeof (gfloat), GST_RIFT_RATE);
      gst_buffer_unmap (out, &map);
      fail_unless (fabs (lufs + 30.0) < 1e-4, "loudness %.6f LUFS", lufs);
    }
    gst_buffer_unref (out);
  }
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  g_free (want);
  seg_free (s);
}

GST_END_TEST;

/* A T = 0 segment (shorter than a hop) becomes n zeros, not flagged GAP. */
GST_START_TEST (test_zero_frames)
{
  Seg *s = seg_short (300);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, NULL));
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, GST_SECOND,
              44100, TRUE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, 300, GST_SECOND, 44100, TRUE, FALSE);
  fail_unless (buffer_is_zero (out));
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* Timestamps, offsets and DISCONT of consecutive segments from a non-zero
 * start are kept; a buffer held elsewhere is left untouched; EOS is
 * forwarded after the segments. */
GST_START_TEST (test_timestamps)
{
  Seg *s = seg_from_fixture (0, 40, 123);
  const GstClockTime base = 10 * 3600 * GST_SECOND;
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0, NULL));
  GstBuffer *in, *out;
  GstEvent *ev;
  gboolean eos = FALSE;
  guint i;

  for (i = 0; i < 3; i++) {
    guint64 offset = 5000 + i * s->n;
    GstClockTime pts = base + gst_util_uint64_scale_round (offset, GST_SECOND,
        GST_RIFT_RATE);

    in = seg_buffer (s, pts, offset, i == 1);
    fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
        GST_FLOW_OK);
    out = gst_harness_pull (h);
    check_timing (out, s->n, pts, offset, i == 1, FALSE);
    /* the input keeps its features and meta */
    fail_unless_equals_int (gst_buffer_n_memory (in), 6);
    fail_unless (gst_buffer_get_rift_features_meta (in) != NULL);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  while ((ev = gst_harness_try_pull_event (h))) {
    eos = eos || GST_EVENT_TYPE (ev) == GST_EVENT_EOS;
    gst_event_unref (ev);
  }
  fail_unless (eos, "EOS was not forwarded");
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* Answers upstream DURATION queries with 7 s, as a demuxer would. */
static GstPadProbeReturn
answer_duration (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

  if (GST_QUERY_TYPE (query) != GST_QUERY_DURATION)
    return GST_PAD_PROBE_OK;
  gst_query_set_duration (query, GST_FORMAT_TIME, 7 * GST_SECOND);
  return GST_PAD_PROBE_HANDLED;
}

/* The next element message on `bus` is rift-progress with these fields. */
static void
check_progress (GstBus * bus, GstClockTime stream_time, GstClockTime duration)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  const GstStructure *s;
  GstClockTime t, d;

  fail_unless (msg != NULL, "no element message");
  s = gst_message_get_structure (msg);
  fail_unless (gst_structure_has_name (s, "rift-progress"), "%"
      GST_PTR_FORMAT, s);
  fail_unless (gst_structure_get_clock_time (s, "stream-time", &t));
  fail_unless (gst_structure_get_clock_time (s, "duration", &d));
  fail_unless_equals_uint64 (t, stream_time);
  fail_unless_equals_uint64 (d, duration);
  gst_message_unref (msg);
}

/* A rift-progress message follows each buffer as it leaves, not as it
 * comes in (a segment held for its fade-out posts at EOS), with the end of
 * that buffer in stream time and upstream's duration (NONE while upstream
 * does not answer). */
GST_START_TEST (test_progress)
{
  Seg *s = seg_from_fixture (0, 40, 5);
  const GstClockTime base = 10 * GST_SECOND;
  const GstClockTime gap_duration = gst_util_uint64_scale_round (1000,
      GST_SECOND, GST_RIFT_RATE);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0f,
          "fade-duration", 20.0, NULL));
  GstSegment segment;

  /* buffers from 10 s on are stream time 0 on */
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = base;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));

  fail_unless_equals_int (gst_harness_push (h, gap_buffer (1000, base, 0)),
      GST_FLOW_OK);
  check_progress (bus, gap_duration, GST_CLOCK_TIME_NONE);

  gst_pad_add_probe (h->srcpad, GST_PAD_PROBE_TYPE_QUERY_UPSTREAM,
      answer_duration, NULL, NULL);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s,
              base + gap_duration, 1000, FALSE)), GST_FLOW_OK);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL,
      "a message for a segment still held");
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  check_progress (bus, gap_duration + gst_util_uint64_scale_round (s->n,
          GST_SECOND, GST_RIFT_RATE), 7 * GST_SECOND);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* FLUSH restarts the segment count, so the noise after a flush is that of
 * segment 0 again; the flush events and the new segment are forwarded. */
GST_START_TEST (test_flush_restarts)
{
  Seg *s = seg_from_fixture (50, 30, 0);
  gfloat *first = reference (s, 4, 0, 1.0f), *second = reference (s, 4, 1,
      1.0f);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "seed", (guint64) 4, NULL));
  GstSegment segment;
  GstBuffer *out;
  GstEvent *ev;
  guint flushes = 0, segments = 0;

  fail_if (memcmp (first, second, s->T * HOP * sizeof (gfloat)) == 0);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 0, 0, FALSE)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, GST_SECOND,
              s->n, FALSE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_audio (out, first, s->T * HOP);
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  check_audio (out, second, s->T * HOP);
  gst_buffer_unref (out);

  while ((ev = gst_harness_try_pull_event (h)))
    gst_event_unref (ev);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  segment.start = 7 * GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 7 * GST_SECOND,
              0, TRUE)), GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, s->n, 7 * GST_SECOND, 0, TRUE, FALSE);
  check_audio (out, first, s->T * HOP);
  gst_buffer_unref (out);
  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_FLUSH_STOP)
      flushes++;
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *seg;

      gst_event_parse_segment (ev, &seg);
      fail_unless_equals_int (seg->format, GST_FORMAT_TIME);
      fail_unless_equals_uint64 (seg->start, 7 * GST_SECOND);
      segments++;
    }
    gst_event_unref (ev);
  }
  fail_unless_equals_int (flushes, 1);
  fail_unless_equals_int (segments, 1);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  g_free (first);
  g_free (second);
  seg_free (s);
}

GST_END_TEST;

/* Caps without the features riftvocoder needs are refused at the CAPS
 * event, naming the element that adds them. */
GST_START_TEST (test_caps_refused)
{
  GstCaps *no_outmel = gst_rift_features_caps_new (IN_FEATURES & ~F (OUTMEL),
      CVEC_DIM);
  GstCaps *mel_only = gst_rift_features_caps_new (F (AUDIO) | F (MEL) |
      F (RMS), 0);
  struct
  {
    GstCaps *caps;
    const gchar *message;
  } cases[] = {
    {no_outmel, "riftvocoder needs outmel: put riftdit before riftvocoder"
          " (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)"},
    {mel_only, "riftvocoder needs f0 and outmel: put riftf0 and riftdit"
          " before riftvocoder"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBus *bus;
    GstElement *e = make_vocoder (&bus, NULL);
    GstHarness *h = gst_harness_new_with_element (e, "sink", "src");
    gchar *msg;

    gst_object_unref (e);
    gst_harness_push_event (h, gst_event_new_caps (cases[i].caps));
    fail_if (gst_pad_has_current_caps (GST_PAD_PEER (h->srcpad)));
    fail_if (gst_pad_has_current_caps (GST_PAD_PEER (h->sinkpad)));
    msg = pop_error (bus);
    fail_unless_contains (msg, cases[i].message);
    fail_unless_error_was (GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION);
    g_free (msg);
    teardown (h, bus);
    gst_caps_unref (cases[i].caps);
  }
}

GST_END_TEST;

/* Buffers that do not match their caps are refused, naming the feature. */
GST_START_TEST (test_bad_buffer)
{
  Seg *s = seg_from_fixture (0, 20, 0);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, NULL));
  GstBuffer *buf = gst_buffer_new ();
  gchar *msg;

  /* no outmel although the caps say so */
  gst_buffer_add_rift_features_meta (buf, s->n);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_AUDIO, memory_from (NULL,
          s->n), RIFT_F32, s->n, 1);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_F0, memory_from (s->f0, s->T),
      RIFT_F32, s->T, 1);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "has no outmel");
  fail_unless_error_was (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT);
  g_free (msg);

  /* an outmel of the wrong width */
  buf = gst_buffer_new ();
  gst_buffer_add_rift_features_meta (buf, s->n);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_F0, memory_from (s->f0, s->T),
      RIFT_F32, s->T, 1);
  gst_rift_features_add (buf, GST_RIFT_FEATURE_OUTMEL, memory_from (NULL,
          s->T * 80), RIFT_F32, s->T, 80);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg,
      "is F32 [20, 80]; riftvocoder needs F32 [20, 128]");
  g_free (msg);

  /* no meta at all */
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new ()),
      GST_FLOW_ERROR);
  msg = pop_error (bus);
  fail_unless_contains (msg, "without GstRiftFeaturesMeta");
  g_free (msg);
  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* A temporary directory holding `ckpt` (linked) as model.ckpt and a
 * config.json: the fixture vocoder's, with `from` replaced by `to` when
 * given. Remove with remove_model_dir. */
static gchar *
model_dir (const gchar * ckpt, const gchar * from, const gchar * to)
{
  gchar *dir = g_dir_make_tmp ("riftvocoder-XXXXXX", NULL);
  gchar *config = fixture ("vocoder/config.json");
  gchar *text = NULL, *link, *out;

  fail_unless (dir != NULL);
  fail_unless (g_file_get_contents (config, &text, NULL, NULL));
  if (from) {
    gchar **parts = g_strsplit (text, from, -1);

    fail_unless (g_strv_length (parts) == 2, "%s has no '%s'", config, from);
    g_free (text);
    text = g_strjoinv (to, parts);
    g_strfreev (parts);
  }
  out = g_build_filename (dir, "config.json", NULL);
  fail_unless (g_file_set_contents (out, text, -1, NULL));
  link = g_build_filename (dir, "model.ckpt", NULL);
  fail_unless (symlink (ckpt, link) == 0);
  g_free (link);
  g_free (out);
  g_free (text);
  g_free (config);
  return dir;
}

static void
remove_model_dir (gchar * dir)
{
  gchar *p = g_build_filename (dir, "model.ckpt", NULL);

  g_unlink (p);
  g_free (p);
  p = g_build_filename (dir, "config.json", NULL);
  g_unlink (p);
  g_free (p);
  g_rmdir (dir);
  g_free (dir);
}

/* A DiT checkpoint (alone, and with a vocoder config.json beside it), a
 * missing file and no model at all fail the state change with the
 * engine's message. */
GST_START_TEST (test_wrong_model)
{
  gchar *dit = fixture ("dit/model.ckpt");
  gchar *dir = model_dir (dit, NULL, NULL);
  gchar *msg;

  /* the DiT's directory has no config.json */
  msg = start_fails (make_vocoder (NULL, "model", dit, NULL));
  fail_unless_contains (msg, dit);
  fail_unless_contains (msg, "no config.json beside it");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_free (msg);

  /* with one, the checkpoint itself is refused (the directory works as the
   * model too) */
  msg = start_fails (make_vocoder (NULL, "model", dir, NULL));
  fail_unless_contains (msg, "no tensor 'generator/conv_pre.weight_v' (is"
      " this an NSF-HiFiGAN checkpoint");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  g_free (msg);

  msg = start_fails (make_vocoder (NULL, "model", "/nonexistent/model.ckpt",
          NULL));
  fail_unless_contains (msg, "/nonexistent/model.ckpt");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);

  msg = start_fails (make_vocoder (NULL, "model", NULL, NULL));
  fail_unless_equals_string (msg, "riftvocoder has no model: set the model"
      " property to an NSF-HiFiGAN checkpoint (model.ckpt with its"
      " config.json beside it)");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  g_free (msg);

  remove_model_dir (dir);
  g_free (dit);
}

GST_END_TEST;

/* A vocoder for another sampling rate cannot feed the 44.1 kHz chain. */
GST_START_TEST (test_wrong_rate)
{
  gchar *ckpt = fixture ("vocoder/model.ckpt");
  gchar *dir = model_dir (ckpt, "\"sampling_rate\": 44100",
      "\"sampling_rate\": 48000");
  gchar *path = g_build_filename (dir, "model.ckpt", NULL);
  gchar *msg;

  msg = start_fails (make_vocoder (NULL, "model", path, NULL));
  fail_unless_contains (msg, "makes 48000 Hz audio");
  fail_unless_contains (msg, "the rift chain runs at 44100 Hz");
  fail_unless_error_was (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS);
  g_free (msg);
  g_free (path);
  remove_model_dir (dir);
  g_free (ckpt);
}

GST_END_TEST;

/* Live: the latency includes the longest forward so far, announced with a
 * LATENCY message. Not live: nothing added. */
GST_START_TEST (test_latency)
{
  Seg *s = seg_from_fixture (0, 60, 0);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, NULL));
  GstMessage *msg;
  GstBuffer *out;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 10 * GST_MSECOND);
  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 0, 0, FALSE)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  gst_buffer_unref (out);
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

/* The uniform draw: in [0, 1), mean 1/2, variance 1/12, reproducible, and
 * independent of how the values are split between calls. */
GST_START_TEST (test_noise_uniform)
{
  const gsize n = 100000;
  gfloat *a = g_new (gfloat, n), *b = g_new (gfloat, n);
  GstRiftNoise noise;
  gdouble sum = 0.0, sq = 0.0;
  gsize i;

  gst_rift_noise_init (&noise, 7, 3);
  gst_rift_noise_fill_uniform (&noise, a, n);
  gst_rift_noise_init (&noise, 7, 3);
  gst_rift_noise_fill_uniform (&noise, b, 9);
  gst_rift_noise_fill_uniform (&noise, b + 9, n - 9);
  fail_unless (memcmp (a, b, n * sizeof (gfloat)) == 0);
  for (i = 0; i < n; i++) {
    fail_unless (a[i] >= 0.0f && a[i] < 1.0f, "value %g", a[i]);
    sum += a[i];
    sq += ((gdouble) a[i] - 0.5) * ((gdouble) a[i] - 0.5);
  }
  fail_unless (fabs (sum / n - 0.5) < 0.01, "mean %g", sum / n);
  fail_unless (fabs (sq / n - 1.0 / 12.0) < 0.005, "variance %g", sq / n);

  gst_rift_noise_init (&noise, 8, 3);
  gst_rift_noise_fill_uniform (&noise, b, n);
  fail_if (memcmp (a, b, n * sizeof (gfloat)) == 0);
  g_free (a);
  g_free (b);
}

GST_END_TEST;

/* riftvocoder takes the backend riftmel announced in the same pipeline. */
GST_START_TEST (test_context_shared)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *mel = gst_element_factory_make ("riftmel", NULL);
  GstBus *bus;
  GstElement *voc = make_vocoder (&bus, NULL);
  GstContext *a, *b;
  rift_backend *ba = NULL, *bb = NULL;

  gst_util_set_object_arg (G_OBJECT (mel), "backend", "cpu");
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_bin_add_many (GST_BIN (pipeline), mel, voc, NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  a = gst_element_get_context (mel, GST_RIFT_BACKEND_CONTEXT_TYPE);
  b = gst_element_get_context (voc, GST_RIFT_BACKEND_CONTEXT_TYPE);
  fail_unless (a && b);
  gst_structure_get (gst_context_get_structure (a), "backend",
      GST_TYPE_RIFT_BACKEND, &ba, NULL);
  gst_structure_get (gst_context_get_structure (b), "backend",
      GST_TYPE_RIFT_BACKEND, &bb, NULL);
  fail_unless (ba != NULL && ba == bb);
  rift_backend_unref (ba);
  rift_backend_unref (bb);
  gst_context_unref (a);
  gst_context_unref (b);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* On CUDA (meson skips this case without a device): the fixture's audio
 * within its README's tolerance, as on the CPU. */
GST_START_TEST (test_cuda)
{
  Seg *s = seg_from_fixture (0, 258, 0);
  GstBus *bus;
  GstHarness *h = start (make_vocoder (&bus, "noise-scale", 0.0,
          "backend", RIFT_BACKEND_CUDA, NULL));
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (h, seg_buffer (s, 0, 0, FALSE)),
      GST_FLOW_OK);
  out = gst_harness_pull (h);
  check_timing (out, s->n, 0, 0, FALSE, FALSE);
  check_upstream (out, "CUDA");
  gst_buffer_unref (out);
  fail_unless (pop_error (bus) == NULL);

  teardown (h, bus);
  seg_free (s);
}

GST_END_TEST;

/* ---- the whole chain ---- */

/* Runs the chain on sing_44k.wav with the fixture models and noise-scale 0
 * everywhere; returns the audio (g_free) and its sample count, with the
 * first buffer's PTS and the number of buffers. */
static gfloat *
run_chain (gsize * n, GstClockTime * first_pts, guint * n_buffers)
{
  gchar *wav = fixture ("audio/sing_44k.wav");
  gchar *rmvpe = fixture ("rmvpe/model.pt");
  gchar *cvec = fixture ("contentvec/tiny-content-vec-best");
  gchar *dit = fixture ("dit/model.ckpt");
  gchar *voc = fixture ("vocoder/model.ckpt");
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse"
      " ! riftmel backend=cpu max-segment-duration=0"
      " ! riftf0 backend=cpu model=\"%s\""
      " ! riftcvec backend=cpu model=\"%s\""
      " ! riftdit backend=cpu model=\"%s\" speaker=bob infer-steps=4"
      " noise-scale=0"
      " ! riftvocoder backend=cpu model=\"%s\" noise-scale=0"
      " ! appsink name=sink sync=false", wav, rmvpe, cvec, dit, voc);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err), *sink;
  GstCaps *want = gst_caps_from_string (OUT_CAPS);
  GByteArray *audio = g_byte_array_new ();
  GstBus *bus;
  gint64 deadline = g_get_monotonic_time () + 50 * G_TIME_SPAN_SECOND;

  fail_unless (pipeline != NULL && err == NULL, "%s: %s", desc,
      err ? err->message : "");
  bus = gst_element_get_bus (pipeline);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  *n_buffers = 0;
  *first_pts = GST_CLOCK_TIME_NONE;
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstSample *sample;
    GstMessage *msg;
    GstBuffer *buf;
    GstMapInfo map;
    gboolean eos;

    /* appsink's action signal (no need to link libgstapp for one call) */
    g_signal_emit_by_name (sink, "try-pull-sample", 100 * GST_MSECOND, &sample);
    if (sample == NULL) {
      if ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
        GError *perr = NULL;

        gst_message_parse_error (msg, &perr, NULL);
        fail ("pipeline error: %s", perr->message);
      }
      g_object_get (sink, "eos", &eos, NULL);
      if (eos)
        break;
      fail_if (g_get_monotonic_time () > deadline, "the pipeline stalled");
      continue;
    }
    fail_unless (gst_caps_is_equal (gst_sample_get_caps (sample), want),
        "caps %" GST_PTR_FORMAT, gst_sample_get_caps (sample));
    buf = gst_sample_get_buffer (sample);
    if ((*n_buffers)++ == 0)
      *first_pts = GST_BUFFER_PTS (buf);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    g_byte_array_append (audio, map.data, map.size);
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (sample);
  }
  fail_unless (gst_element_set_state (pipeline, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);

  *n = audio->len / sizeof (gfloat);
  gst_caps_unref (want);
  gst_object_unref (bus);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (wav);
  g_free (rmvpe);
  g_free (cvec);
  g_free (dit);
  g_free (voc);
  return (gfloat *) g_byte_array_free (audio, FALSE);
}

/* The chain gives exactly the input's sample count from PTS 0, finite and
 * not silent, and with noise-scale 0 the same output bit for bit twice. */
GST_START_TEST (test_pipeline)
{
  gchar *path = fixture ("mel/sing_44k.safetensors");
  GError *err = NULL;
  rift_weights *w = rift_weights_open (path, &err);
  const rift_tensor *t;
  gsize n_in, n1, n2, i;
  GstClockTime pts1, pts2;
  guint nb1, nb2;
  gfloat *a1, *a2;
  gdouble peak = 0.0;

  /* the WAV's sample count, as the mel fixture holds its samples */
  fail_unless (w != NULL, "%s", err ? err->message : path);
  t = rift_weights_find (w, "audio");
  fail_unless (t != NULL);
  n_in = rift_tensor_numel (t);
  rift_weights_free (w);
  g_free (path);

  a1 = run_chain (&n1, &pts1, &nb1);
  fail_unless_equals_int (nb1, 1);      /* max-segment-duration=0: one segment */
  fail_unless_equals_uint64 (pts1, 0);
  fail_unless_equals_uint64 (n1, n_in);
  for (i = 0; i < n1; i++) {
    fail_unless (isfinite (a1[i]), "sample %" G_GSIZE_FORMAT " is %g", i,
        a1[i]);
    peak = MAX (peak, fabs (a1[i]));
  }
  fail_unless (peak > 1e-2, "silent output (peak %g)", peak);
  GST_INFO ("%" G_GSIZE_FORMAT " samples, peak %g", n1, peak);

  a2 = run_chain (&n2, &pts2, &nb2);
  fail_unless_equals_uint64 (n2, n1);
  fail_unless_equals_uint64 (pts2, pts1);
  fail_unless (memcmp (a1, a2, n1 * sizeof (gfloat)) == 0,
      "two runs with noise-scale 0 differ");
  g_free (a1);
  g_free (a2);
}

GST_END_TEST;

static Suite *
riftvocoder_suite (void)
{
  Suite *s = suite_create ("riftvocoder");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  /* the models on the CPU: give slow machines time */
  tcase_set_timeout (tc, 120);
  ADD_TEST (tc, test_defaults);
  ADD_TEST (tc, test_src_caps);
  ADD_TEST (tc, test_parity);
  ADD_TEST (tc, test_padded);
  ADD_TEST (tc, test_trimmed);
  ADD_TEST (tc, test_batch_padded);
  ADD_TEST (tc, test_seeded_noise);
  ADD_TEST (tc, test_gap);
  ADD_TEST (tc, test_fades);
  ADD_TEST (tc, test_restore_loudness);
  ADD_TEST (tc, test_zero_frames);
  ADD_TEST (tc, test_timestamps);
  ADD_TEST (tc, test_progress);
  ADD_TEST (tc, test_flush_restarts);
  ADD_TEST (tc, test_caps_refused);
  ADD_TEST (tc, test_bad_buffer);
  ADD_TEST (tc, test_wrong_model);
  ADD_TEST (tc, test_wrong_rate);
  ADD_TEST (tc, test_latency);
  ADD_TEST (tc, test_noise_uniform);
  ADD_TEST (tc, test_context_shared);
  ADD_TEST (tc, test_cuda);
  ADD_TEST (tc, test_pipeline);
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
  if (argc > 1 && strcmp (argv[1], "test_pipeline") == 0) {
    static const gchar *needed[] = { "filesrc", "wavparse", "appsink" };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (needed); i++) {
      if (!gst_registry_check_feature_version (gst_registry_get (),
              needed[i], 1, 0, 0)) {
        g_print ("SKIP: %s is not installed\n", needed[i]);
        return 77;              /* meson: skipped */
      }
    }
  }
  s = riftvocoder_suite ();
  return gst_test_run_suite (s, "riftvocoder", __FILE__, argv[1]);
}
