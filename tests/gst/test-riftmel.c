/* test-riftmel.c — riftmel in a GstHarness, and the feature-buffer helpers.
 *
 * Segmenting and timestamps are table-driven like gst-plugins-base's
 * audioresample tests: input buffers {samples, pts, discont} and the
 * expected segments {samples, pts, duration, offset, discont}. The input
 * signal is a function of the sample's stream index, so every segment's
 * audio is also checked sample for sample.
 *
 * Usage: test-riftmel [TEST]  (meson runs one TEST per meson test; without
 * one, all run). The CPU backend is used throughout: the features' values
 * are checked against the engine (and, in test-riftmel-pipeline.c, against
 * the fixtures), here only their layout and the element's behaviour. */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "gsttestutil.h"

#include "mel.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <math.h>
#include <string.h>

#define RATE GST_RIFT_RATE
#define AUDIO_CAPS "audio/x-raw, format=(string)F32LE, rate=(int)44100, " \
    "channels=(int)1, layout=(string)interleaved"

/* time of k samples, as riftmel computes it */
static GstClockTime
ts (guint64 k)
{
  return gst_util_uint64_scale_round (k, GST_SECOND, RATE);
}

/* a CAPS event from a string (gst_event_new_caps takes its own ref) */
static GstEvent *
caps_event (const gchar * str)
{
  GstCaps *caps = gst_caps_from_string (str);
  GstEvent *event = gst_event_new_caps (caps);

  gst_caps_unref (caps);
  return event;
}

/* the test signal at stream index i */
static gfloat
signal_at (guint64 i)
{
  return 0.5f * (gfloat) sin (2.0 * G_PI * 440.0 * (gdouble) i / RATE)
      + 0.1f * (gfloat) sin (2.0 * G_PI * 3000.0 * (gdouble) i / RATE);
}

static GstBuffer *
make_audio (guint n, guint64 first, GstClockTime pts, gboolean discont)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * sizeof (gfloat), NULL);
  GstMapInfo map;
  guint i;

  if (n > 0) {
    gst_buffer_map (buf, &map, GST_MAP_WRITE);
    for (i = 0; i < n; i++)
      ((gfloat *) map.data)[i] = signal_at (first + i);
    gst_buffer_unmap (buf, &map);
  }
  GST_BUFFER_PTS (buf) = pts;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* riftmel on the CPU backend in a harness, with a bus to read its errors
 * from (the harness itself sets none) */
static GstHarness *
setup (GstClockTime max_segment_duration, const gchar * caps, GstBus ** bus)
{
  GstElement *e = gst_element_factory_make ("riftmel", NULL);
  GstHarness *h;

  fail_unless (e != NULL, "riftmel is not registered (GST_PLUGIN_PATH?)");
  gst_util_set_object_arg (G_OBJECT (e), "backend", "cpu");
  g_object_set (e, "max-segment-duration", max_segment_duration, NULL);
  *bus = gst_bus_new ();
  gst_element_set_bus (e, *bus);
  h = gst_harness_new_with_element (e, "sink", "src");
  gst_object_unref (e);
  if (caps)
    gst_harness_set_src_caps_str (h, caps);
  return h;
}

typedef struct
{
  guint samples;
  GstClockTime pts;
  gboolean discont;
} InBuf;

typedef struct
{
  guint64 samples;
  GstClockTime pts;
  GstClockTime duration;
  guint64 offset;
  gboolean discont;
} OutSeg;

/* One segment buffer: its meta, memories, timestamps and audio. The audio
 * is the test signal from stream index `from`. */
static void
check_segment (GstBuffer * buf, const OutSeg * e, guint64 from)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buf);
  const GstRiftFeatureInfo *info;
  guint64 T = e->samples / GST_RIFT_HOP, i;
  GstMapInfo map;

  fail_unless (meta != NULL);
  fail_unless_equals_uint64 (meta->n_samples, e->samples);
  fail_unless_equals_uint64 (meta->n_frames, T);
  fail_unless_equals_int (meta->rate, RATE);
  fail_unless_equals_int (meta->hop, GST_RIFT_HOP);
  fail_unless_equals_int (gst_buffer_n_memory (buf), 3);

  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), e->pts);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), e->duration);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), e->offset);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf),
      e->offset + e->samples);
  fail_unless_equals_int (GST_BUFFER_IS_DISCONT (buf), e->discont);

  /* memory 0 is the audio; mel [T, 128] and rms [T] follow */
  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_AUDIO, &map,
          GST_MAP_READ, &info));
  fail_unless_equals_int (info->memory, 0);
  fail_unless_equals_int64 (info->frames, e->samples);
  fail_unless_equals_int64 (info->width, 1);
  fail_unless_equals_uint64 (map.size, e->samples * sizeof (gfloat));
  for (i = 0; i < e->samples; i++)
    if (((gfloat *) map.data)[i] != signal_at (from + i))
      fail ("audio sample %" G_GUINT64_FORMAT " is %g, want the input's %g",
          i, ((gfloat *) map.data)[i], signal_at (from + i));
  gst_memory_unmap (map.memory, &map);

  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_MEL, &map,
          GST_MAP_READ, &info));
  fail_unless_equals_int64 (info->frames, T);
  fail_unless_equals_int64 (info->width, GST_RIFT_N_MELS);
  fail_unless_equals_uint64 (map.size, T * GST_RIFT_N_MELS * sizeof (gfloat));
  gst_memory_unmap (map.memory, &map);

  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_RMS, &map,
          GST_MAP_READ, &info));
  fail_unless_equals_int64 (info->frames, T);
  fail_unless_equals_int64 (info->width, 1);
  fail_unless_equals_uint64 (map.size, T * sizeof (gfloat));
  gst_memory_unmap (map.memory, &map);

  fail_unless (gst_rift_features_peek (buf, GST_RIFT_FEATURE_F0, NULL) == NULL);
}

/* Pushes `in` (the signal continuing from stream index 0) and EOS, then
 * expects exactly `out`. */
static void
run_table (GstClockTime max_segment_duration, const InBuf * in, guint n_in,
    const OutSeg * out, guint n_out)
{
  GstBus *bus;
  GstHarness *h = setup (max_segment_duration, AUDIO_CAPS, &bus);
  guint64 next = 0;             /* not `first`: gst-check's macros declare one */
  guint i;

  for (i = 0; i < n_in; i++) {
    fail_unless_equals_int (gst_harness_push (h, make_audio (in[i].samples,
                next, in[i].pts, in[i].discont)), GST_FLOW_OK);
    next += in[i].samples;
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), n_out);
  for (i = 0; i < n_out; i++) {
    GstBuffer *buf = gst_harness_try_pull (h);

    check_segment (buf, &out[i], out[i].offset);
    gst_buffer_unref (buf);
  }
  teardown (h, bus);
}

GST_START_TEST (test_src_caps)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstCaps *want = gst_caps_from_string (GST_RIFT_FEATURES_MEDIA_TYPE
      ", rate=(int)44100, hop=(int)512, n-mels=(int)128, audio=(boolean)true,"
      " mel=(boolean)true, rms=(boolean)true, f0=(boolean)false,"
      " cvec=(boolean)false, cvec-dim=(int)0, outmel=(boolean)false");

  fail_unless (caps != NULL);
  fail_unless (gst_caps_is_equal (caps, want), "got %" GST_PTR_FORMAT, caps);
  gst_caps_unref (caps);
  gst_caps_unref (want);
  teardown (h, bus);
}

GST_END_TEST;

/* The buffer's mel and rms are the engine's, frame-major. */
GST_START_TEST (test_features_match_engine)
{
  const guint n = 10000;
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  rift_mel_params params = rift_mel_params_default ();
  rift_backend *be = rift_backend_new (RIFT_BACKEND_CPU, -1, NULL);
  rift_mel *mel = rift_mel_new (be, &params, NULL);
  gfloat *audio = g_new (gfloat, n), *want_mel, *want_rms;
  const guint T = n / GST_RIFT_HOP;
  OutSeg e = { n, 0, ts (n), 0, FALSE };
  GstBuffer *buf;
  GstMapInfo map;
  guint i;

  for (i = 0; i < n; i++)
    audio[i] = signal_at (i);
  want_mel = g_new (gfloat, T * GST_RIFT_N_MELS);
  want_rms = g_new (gfloat, T);
  fail_unless (rift_mel_compute (mel, audio, n, want_mel, want_rms, NULL));

  /* in three buffers, to be joined again */
  fail_unless_equals_int (gst_harness_push (h, make_audio (3000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, make_audio (4000, 3000,
              ts (3000), FALSE)), GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_push (h, make_audio (3000, 7000,
              ts (7000), FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  buf = gst_harness_try_pull (h);
  fail_unless (buf != NULL);
  check_segment (buf, &e, 0);
  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_MEL, &map,
          GST_MAP_READ, NULL));
  fail_unless (memcmp (map.data, want_mel, map.size) == 0);
  gst_memory_unmap (map.memory, &map);
  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_RMS, &map,
          GST_MAP_READ, NULL));
  fail_unless (memcmp (map.data, want_rms, map.size) == 0);
  gst_memory_unmap (map.memory, &map);
  gst_buffer_unref (buf);

  g_free (audio);
  g_free (want_mel);
  g_free (want_rms);
  rift_mel_free (mel);
  rift_backend_unref (be);
  teardown (h, bus);
}

GST_END_TEST;

GST_START_TEST (test_discont_cuts)
{
  const InBuf in[] = {
    {1000, 0, FALSE},
    {1000, ts (1000), FALSE},
    /* a gap in time and a DISCONT flag: the first segment ends */
    {500, ts (10000), TRUE},
    {700, ts (10500), FALSE},
  };
  const OutSeg out[] = {
    {2000, 0, ts (2000), 0, FALSE},
    {1200, ts (10000), ts (1200), 2000, TRUE},
  };

  run_table (0, in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

/* Segments of 441 samples cut inside buffers: a segment's PTS is its
 * buffer's PTS plus the samples before it in that buffer. */
GST_START_TEST (test_max_segment_duration)
{
  const InBuf in[] = {
    {1000, 0, FALSE},
    {1000, ts (1000), FALSE},
  };
  const OutSeg out[] = {
    {441, 0, ts (441), 0, FALSE},
    {441, ts (441), ts (882) - ts (441), 441, FALSE},
    /* opened in the first buffer, so timed from it */
    {441, ts (882), ts (1323) - ts (882), 882, FALSE},
    /* opened 323 samples into the second buffer */
    {441, ts (1000) + ts (323), ts (764) - ts (323), 1323, FALSE},
    /* the rest, at EOS */
    {236, ts (1000) + ts (764), ts (1000) - ts (764), 1764, FALSE},
  };

  run_table (10 * GST_MSECOND, in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

/* 20 s in 882 buffers of 1000 samples from a start time of 10 hours, cut
 * every second: each segment starts within 1 ns of its exact time (never
 * more, however many buffers came before) and the segments abut. */
GST_START_TEST (test_timestamps_no_drift)
{
  const GstClockTime start = 10 * 3600 * GST_SECOND;
  const guint per_buf = 1000, n_bufs = 20 * RATE / per_buf;
  GstBus *bus;
  GstHarness *h = setup (GST_SECOND, AUDIO_CAPS, &bus);
  GstClockTime prev_end = start;
  guint i;

  for (i = 0; i < n_bufs; i++)
    fail_unless_equals_int (gst_harness_push (h, make_audio (per_buf,
                (guint64) i * per_buf, start + ts ((guint64) i * per_buf),
                i == 0)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 20);
  for (i = 0; i < 20; i++) {
    GstBuffer *buf = gst_harness_try_pull (h);
    GstClockTime exact = start + (GstClockTime) i * GST_SECOND;
    GstClockTimeDiff off = GST_CLOCK_DIFF (exact, GST_BUFFER_PTS (buf));

    fail_unless (ABS (off) <= 1, "segment %u at %" GST_TIME_FORMAT
        ", %" G_GINT64_FORMAT " ns from %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)), off, GST_TIME_ARGS (exact));
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), prev_end);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), (guint64) i * RATE);
    fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf),
        (guint64) (i + 1) * RATE);
    fail_unless_equals_int (GST_BUFFER_IS_DISCONT (buf), i == 0);
    prev_end = GST_BUFFER_PTS (buf) + GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  fail_unless (ABS (GST_CLOCK_DIFF (start + 20 * GST_SECOND, prev_end)) <= 1);
  teardown (h, bus);
}

GST_END_TEST;

/* Buffers without timestamps: segments get none, but still a duration and
 * offsets. */
GST_START_TEST (test_no_timestamps)
{
  const InBuf in[] = {
    {1000, GST_CLOCK_TIME_NONE, FALSE},
    {1000, GST_CLOCK_TIME_NONE, FALSE},
  };
  const OutSeg out[] = {
    {1500, GST_CLOCK_TIME_NONE, ts (1500), 0, FALSE},
    {500, GST_CLOCK_TIME_NONE, ts (500), 1500, FALSE},
  };

  run_table (ts (1500), in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

GST_START_TEST (test_eos_drains)
{
  const InBuf in[] = {
    {700, 5 * GST_SECOND, FALSE},
  };
  const OutSeg out[] = {
    {700, 5 * GST_SECOND, ts (700), 0, FALSE},
  };

  run_table (0, in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

/* A segment shorter than one hop has T = 0 but still carries its audio. */
GST_START_TEST (test_short_segment)
{
  const InBuf in[] = {
    {300, 0, FALSE},
  };
  const OutSeg out[] = {
    {300, 0, ts (300), 0, FALSE},
  };

  run_table (0, in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

GST_START_TEST (test_gap_cuts)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  const OutSeg out[] = {
    {1000, 0, ts (1000), 0, FALSE},
    {1000, ts (2000), ts (1000), 1000, FALSE},
  };
  gboolean saw_gap = FALSE;
  GstEvent *ev;
  guint i;

  fail_unless_equals_int (gst_harness_push (h, make_audio (1000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_gap (ts (1000),
              ts (1000))));
  /* the segment before the gap is out before the gap is */
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  fail_unless_equals_int (gst_harness_push (h, make_audio (1000, 1000,
              ts (2000), FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 2);
  for (i = 0; i < G_N_ELEMENTS (out); i++) {
    GstBuffer *buf = gst_harness_try_pull (h);

    check_segment (buf, &out[i], out[i].offset);
    gst_buffer_unref (buf);
  }
  while ((ev = gst_harness_try_pull_event (h))) {
    saw_gap |= GST_EVENT_TYPE (ev) == GST_EVENT_GAP;
    gst_event_unref (ev);
  }
  fail_unless (saw_gap, "the GAP event was not forwarded");
  teardown (h, bus);
}

GST_END_TEST;

/* A new, different SEGMENT event closes the segment; the same one again
 * does not. */
GST_START_TEST (test_segment_change_cuts)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless_equals_int (gst_harness_push (h, make_audio (1000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  segment.base = GST_SECOND;
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  teardown (h, bus);
}

GST_END_TEST;

/* Different caps close the segment; the same caps again do not. */
GST_START_TEST (test_caps_change_cuts)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);

  fail_unless_equals_int (gst_harness_push (h, make_audio (1000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, caps_event (AUDIO_CAPS)));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  fail_unless (gst_harness_push_event (h,
          caps_event (AUDIO_CAPS ", channel-mask=(bitmask)0x4")));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  teardown (h, bus);
}

GST_END_TEST;

/* FLUSH_STOP drops what was accumulated and restarts the sample count. */
GST_START_TEST (test_flush_drops)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  GstSegment segment;
  const OutSeg e = { 500, ts (5000), ts (500), 0, FALSE };
  GstBuffer *buf;

  fail_unless_equals_int (gst_harness_push (h, make_audio (1000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  fail_unless (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  fail_unless_equals_int (gst_harness_push (h, make_audio (500, 5000,
              ts (5000), FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  buf = gst_harness_try_pull (h);
  check_segment (buf, &e, 5000);
  gst_buffer_unref (buf);
  teardown (h, bus);
}

GST_END_TEST;

/* Empty buffers are harmless; an empty DISCONT buffer still marks the next
 * segment. */
GST_START_TEST (test_empty_buffers)
{
  const InBuf in[] = {
    {0, 0, FALSE},
    {1000, 0, FALSE},
    {0, ts (1000), TRUE},
    {600, ts (1000), FALSE},
  };
  const OutSeg out[] = {
    {1000, 0, ts (1000), 0, FALSE},
    {600, ts (1000), ts (600), 1000, TRUE},
  };

  run_table (0, in, G_N_ELEMENTS (in), out, G_N_ELEMENTS (out));
}

GST_END_TEST;

/* EOS with nothing accumulated pushes nothing. */
GST_START_TEST (test_empty_stream)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);

  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  teardown (h, bus);
}

GST_END_TEST;

/* Digital silence: every band at the log floor, RMS 0. */
GST_START_TEST (test_silence)
{
  const guint n = 44100, T = n / GST_RIFT_HOP;
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, n * sizeof (gfloat), NULL);
  const gfloat floor_ = logf (1e-5f);
  GstMapInfo map;
  guint i;

  gst_buffer_memset (buf, 0, 0, n * sizeof (gfloat));
  GST_BUFFER_PTS (buf) = 0;
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  buf = gst_harness_try_pull (h);
  fail_unless (buf != NULL);

  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_MEL, &map,
          GST_MAP_READ, NULL));
  for (i = 0; i < T * GST_RIFT_N_MELS; i++)
    fail_unless (fabsf (((gfloat *) map.data)[i] - floor_) < 1e-5f,
        "mel[%u] = %g, want the floor %g", i, ((gfloat *) map.data)[i], floor_);
  gst_memory_unmap (map.memory, &map);
  fail_unless (gst_rift_features_map (buf, GST_RIFT_FEATURE_RMS, &map,
          GST_MAP_READ, NULL));
  for (i = 0; i < T; i++)
    fail_unless_equals_float (((gfloat *) map.data)[i], 0.0f);
  gst_memory_unmap (map.memory, &map);
  gst_buffer_unref (buf);
  teardown (h, bus);
}

GST_END_TEST;

/* NaN or Inf input is refused with an error naming it. */
GST_START_TEST (test_non_finite_refused)
{
  const gfloat bad[] = { NAN, INFINITY };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstBus *bus;
    GstHarness *h = setup (0, AUDIO_CAPS, &bus);
    GstBuffer *buf = make_audio (1000, 0, 0, FALSE);
    gchar *msg;

    gst_buffer_fill (buf, 100 * sizeof (gfloat), &bad[i], sizeof (gfloat));
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_ERROR);
    msg = pop_error (bus);
    fail_unless (msg != NULL);
    fail_unless (strstr (msg, "1 NaN or infinite samples") != NULL
        && strstr (msg, "sample 100") != NULL, "message: %s", msg);
    g_free (msg);
    teardown (h, bus);
  }
}

GST_END_TEST;

/* Wrong audio caps are refused with a message that says what to do. */
GST_START_TEST (test_wrong_caps_refused)
{
  const struct
  {
    const gchar *caps;
    const gchar *got;
  } cases[] = {
    {"audio/x-raw, format=F32LE, rate=48000, channels=1, layout=interleaved",
        "got 48000 Hz, 1 channel, F32LE"},
    {"audio/x-raw, format=F32LE, rate=44100, channels=2, layout=interleaved",
        "got 44100 Hz, 2 channels, F32LE"},
    {"audio/x-raw, format=S16LE, rate=44100, channels=1, layout=interleaved",
        "got 44100 Hz, 1 channel, S16LE"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstBus *bus;
    GstHarness *h = setup (0, NULL, &bus);
    GstSegment segment;
    gchar *msg;

    /* a refused sticky event still counts as pushed for the harness, so
     * the refusal shows in the error and the pad's caps */
    gst_harness_push_event (h, caps_event (cases[i].caps));
    fail_if (gst_pad_has_current_caps (GST_PAD_PEER (h->srcpad)));
    msg = pop_error (bus);
    fail_unless (msg != NULL, "no error for %s", cases[i].caps);
    fail_unless (strstr (msg, cases[i].got) != NULL
        && strstr (msg, "put audioconvert ! audioresample before riftmel")
        != NULL, "message: %s", msg);
    g_free (msg);
    gst_segment_init (&segment, GST_FORMAT_TIME);
    gst_harness_push_event (h, gst_event_new_segment (&segment));
    fail_unless_equals_int (gst_harness_push (h, make_audio (100, 0, 0,
                FALSE)), GST_FLOW_NOT_NEGOTIATED);
    teardown (h, bus);
  }
}

GST_END_TEST;

/* Live: a segment's first sample waits up to max-segment-duration. */
GST_START_TEST (test_latency)
{
  GstBus *bus;
  GstHarness *h = setup (GST_SECOND, AUDIO_CAPS, &bus);
  GstQuery *q;
  gboolean live;
  GstClockTime min, max;
  GstMessage *msg;

  gst_harness_set_upstream_latency (h, 10 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_harness_query_latency (h),
      GST_SECOND + 10 * GST_MSECOND);

  /* changing it announces a new latency */
  g_object_set (h->element, "max-segment-duration", 2 * GST_SECOND, NULL);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_LATENCY);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  fail_unless_equals_uint64 (gst_harness_query_latency (h),
      2 * GST_SECOND + 10 * GST_MSECOND);

  /* unlimited segments on a live source: unbounded, with a warning */
  g_object_set (h->element, "max-segment-duration", (guint64) 0, NULL);
  q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, q));
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live);
  fail_unless_equals_uint64 (min, 10 * GST_MSECOND);
  fail_unless_equals_uint64 (max, GST_CLOCK_TIME_NONE);
  gst_query_unref (q);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_unref (msg);

  /* not live: nothing added */
  gst_harness_set_live (h, FALSE);
  g_object_set (h->element, "max-segment-duration", GST_SECOND, NULL);
  fail_unless_equals_uint64 (gst_harness_query_latency (h), 10 * GST_MSECOND);
  teardown (h, bus);
}

GST_END_TEST;

/* A full copy keeps the meta; a copy of a part drops it (its memory
 * indices would be wrong). */
GST_START_TEST (test_meta_copy)
{
  GstBus *bus;
  GstHarness *h = setup (0, AUDIO_CAPS, &bus);
  const OutSeg e = { 2000, 0, ts (2000), 0, FALSE };
  GstBuffer *buf, *copy;

  fail_unless_equals_int (gst_harness_push (h, make_audio (2000, 0, 0,
              FALSE)), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  buf = gst_harness_try_pull (h);

  copy = gst_buffer_copy (buf);
  check_segment (copy, &e, 0);
  gst_buffer_unref (copy);
  copy = gst_buffer_copy_region (buf, GST_BUFFER_COPY_ALL, 0, 400);
  fail_unless (gst_buffer_get_rift_features_meta (copy) == NULL);
  gst_buffer_unref (copy);

  gst_buffer_unref (buf);
  teardown (h, bus);
}

GST_END_TEST;

/* ---- caps helpers ---- */

/* A consumer without a factory, so that messages use its object name. */
typedef GstElement TestConsumer;
typedef GstElementClass TestConsumerClass;
G_DEFINE_TYPE (TestConsumer, test_consumer, GST_TYPE_ELEMENT);

static void
test_consumer_class_init (TestConsumerClass * klass)
{
}

static void
test_consumer_init (TestConsumer * self)
{
}

/* gst_rift_features_caps_check on `caps` for a consumer named riftdit;
 * returns the error text (g_free it) or NULL when the caps passed. */
static gchar *
consumer_check (const gchar * caps_str, GstRiftFeatureMask need,
    GstRiftFeatureMask * have)
{
  GstElement *e = g_object_new (test_consumer_get_type (), "name", "riftdit",
      NULL);
  GstBus *bus = gst_bus_new ();
  GstCaps *caps = gst_caps_from_string (caps_str);
  gboolean ok;
  gchar *msg;

  gst_element_set_bus (e, bus);
  ok = gst_rift_features_caps_check (e, caps, need, have, NULL);
  msg = pop_error (bus);
  fail_unless (ok == (msg == NULL));
  gst_caps_unref (caps);
  gst_object_unref (e);
  gst_object_unref (bus);
  return msg;
}

#define F(k) GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_##k)

GST_START_TEST (test_caps_check_messages)
{
  GstCaps *mel_caps = gst_rift_features_caps_new (F (AUDIO) | F (MEL) |
      F (RMS), 0);
  gchar *mel_str = gst_caps_to_string (mel_caps);
  GstRiftFeatureMask have = 0;
  gchar *msg;

  msg = consumer_check (mel_str, F (AUDIO) | F (MEL) | F (RMS), &have);
  fail_unless (msg == NULL);
  fail_unless_equals_int (have, F (AUDIO) | F (MEL) | F (RMS));

  msg = consumer_check (mel_str, F (MEL) | F (F0), NULL);
  fail_unless_equals_string (msg, "riftdit needs f0: put riftf0 before riftdit"
      " (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)");
  g_free (msg);

  msg = consumer_check (GST_RIFT_FEATURES_MEDIA_TYPE ", rate=44100, hop=512,"
      " n-mels=128, audio=true, mel=false, rms=false, f0=false, cvec=false,"
      " cvec-dim=0, outmel=false", F (MEL) | F (F0) | F (CVEC) | F (OUTMEL),
      NULL);
  fail_unless_equals_string (msg, "riftdit needs mel, f0, cvec and outmel:"
      " put riftmel, riftf0, riftcvec and riftdit before riftdit"
      " (riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder)");
  g_free (msg);

  /* a producer that leaves a field out is caught too */
  msg = consumer_check (GST_RIFT_FEATURES_MEDIA_TYPE ", rate=44100, hop=512,"
      " n-mels=128, audio=true, mel=true, rms=true", F (MEL), NULL);
  fail_unless (msg && strstr (msg, "do not say whether 'f0' is present"),
      "message: %s", msg);
  g_free (msg);

  msg = consumer_check (GST_RIFT_FEATURES_MEDIA_TYPE ", rate=48000, hop=512,"
      " n-mels=128, audio=true, mel=true, rms=true, f0=false, cvec=false,"
      " cvec-dim=0, outmel=false", F (MEL), NULL);
  fail_unless (msg && strstr (msg, "rate=48000"), "message: %s", msg);
  g_free (msg);

  g_free (mel_str);
  gst_caps_unref (mel_caps);
}

GST_END_TEST;

GST_START_TEST (test_caps_roundtrip)
{
  GstCaps *caps = gst_rift_features_caps_new (F (AUDIO) | F (CVEC), 768);
  GstRiftFeatureMask have = 0;
  gint dim = 0;
  gchar *msg = NULL;
  gboolean b = TRUE;

  fail_unless (gst_rift_features_caps_parse (caps, &have, &dim, &msg));
  fail_unless_equals_int (have, F (AUDIO) | F (CVEC));
  fail_unless_equals_int (dim, 768);
  /* every field is stated, false ones too */
  fail_unless (gst_structure_get_boolean (gst_caps_get_structure (caps, 0),
          "outmel", &b) && !b);
  gst_caps_unref (caps);
}

GST_END_TEST;

/* ---- backend sharing ---- */

static rift_backend *
element_backend (GstElement * e)
{
  GstContext *ctx = gst_element_get_context (e, GST_RIFT_BACKEND_CONTEXT_TYPE);
  rift_backend *be = NULL;

  fail_unless (ctx != NULL, "%s has no rift.backend context",
      GST_OBJECT_NAME (e));
  fail_unless (gst_structure_get (gst_context_get_structure (ctx), "backend",
          GST_TYPE_RIFT_BACKEND, &be, NULL));
  gst_context_unref (ctx);
  rift_backend_unref (be);      /* the elements keep it alive */
  return be;
}

/* Two elements of a pipeline share one backend through the bin. */
GST_START_TEST (test_context_shared)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *a = gst_element_factory_make ("riftmel", "a");
  GstElement *b = gst_element_factory_make ("riftmel", "b");

  gst_bin_add_many (GST_BIN (pipeline), a, b, NULL);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (element_backend (a) == element_backend (b));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* An application's backend is used when it fits, ignored when not. */
GST_START_TEST (test_context_from_application)
{
  rift_backend *mine = rift_backend_new (RIFT_BACKEND_CPU, -1, NULL);
  GstContext *ctx = gst_rift_backend_context_new (mine, -1);
  GstElement *e = gst_element_factory_make ("riftmel", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (e, bus);
  gst_util_set_object_arg (G_OBJECT (e), "backend", "cpu");
  gst_element_set_context (e, ctx);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (element_backend (e) == mine);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_HAVE_CONTEXT);
  fail_unless (msg == NULL, "riftmel made its own backend");
  gst_element_set_state (e, GST_STATE_NULL);

  /* asks for CUDA device 0 (auto): a CPU backend does not fit */
  gst_util_set_object_arg (G_OBJECT (e), "backend", "auto");
  g_object_set (e, "cuda-device-id", 0, NULL);
  gst_element_set_context (e, ctx);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (element_backend (e) != mine);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_HAVE_CONTEXT);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);

  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  gst_object_unref (e);
  gst_context_unref (ctx);
  rift_backend_unref (mine);
}

GST_END_TEST;

static Suite *
riftmel_suite (void)
{
  Suite *s = suite_create ("riftmel");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  ADD_TEST (tc, test_src_caps);
  ADD_TEST (tc, test_features_match_engine);
  ADD_TEST (tc, test_discont_cuts);
  ADD_TEST (tc, test_max_segment_duration);
  ADD_TEST (tc, test_timestamps_no_drift);
  ADD_TEST (tc, test_no_timestamps);
  ADD_TEST (tc, test_eos_drains);
  ADD_TEST (tc, test_short_segment);
  ADD_TEST (tc, test_gap_cuts);
  ADD_TEST (tc, test_segment_change_cuts);
  ADD_TEST (tc, test_caps_change_cuts);
  ADD_TEST (tc, test_flush_drops);
  ADD_TEST (tc, test_empty_buffers);
  ADD_TEST (tc, test_empty_stream);
  ADD_TEST (tc, test_silence);
  ADD_TEST (tc, test_non_finite_refused);
  ADD_TEST (tc, test_wrong_caps_refused);
  ADD_TEST (tc, test_latency);
  ADD_TEST (tc, test_meta_copy);
  ADD_TEST (tc, test_caps_check_messages);
  ADD_TEST (tc, test_caps_roundtrip);
  ADD_TEST (tc, test_context_shared);
  ADD_TEST (tc, test_context_from_application);
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
  s = riftmel_suite ();
  return gst_test_run_suite (s, "riftmel", __FILE__, argv[1]);
}
