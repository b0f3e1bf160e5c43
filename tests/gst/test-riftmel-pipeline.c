/* test-riftmel-pipeline.c — riftmel in a real pipeline against the mel
 * fixtures (tests/fixtures/mel/README.md):
 *
 *   filesrc location=audio/CASE.wav ! wavparse
 *       ! riftmel backend=BACKEND max-segment-duration=0 ! appsink
 *
 * gives one buffer, whose audio must be the fixture's `audio`, whose mel
 * (ours [T, 128], the fixture's [128, T]) must be within log-mel max-abs
 * 5e-3 and rel-L2 5e-5 overall and max-abs 1e-4 where the reference is
 * above -7, and whose rms within max-abs 1e-6 and rel-L2 1e-6; PTS 0,
 * duration n samples, offsets [0, n).
 *
 * Usage: test-riftmel-pipeline CASE [cpu|cuda]  (cuda is skipped without a
 * device; wavparse missing is a skip too) */
#include "pipelineutil.h"
#include "backend.h"
#include "riftfeatures.h"
#include "testutil.h"

#include <gst/gst.h>
#include <stdio.h>

/* The element's mel [T, n_mels] as [n_mels, T], the fixture's layout. */
static float *
transpose (const float *x, int64_t T, int64_t n_mels)
{
  float *y = g_new (float, T * n_mels);
  int64_t t, m;

  for (t = 0; t < T; t++)
    for (m = 0; m < n_mels; m++)
      y[m * T + t] = x[t * n_mels + m];
  return y;
}

static void
check_features (GstBuffer * buf, rift_weights * ref)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buf);
  int64_t n = 0, n_mel = 0, n_rms = 0, T, i, k = 0;
  float *audio = rift_test_tensor_f32 (ref, "audio", &n);
  float *mel = rift_test_tensor_f32 (ref, "mel", &n_mel);
  float *rms = rift_test_tensor_f32 (ref, "rms", &n_rms);
  const GstRiftFeatureInfo *info;
  GstMapInfo map;

  if (!rift_test_true (meta != NULL, "buffer has a GstRiftFeaturesMeta")
      || !audio || !mel || !rms)
    goto out;
  T = n / GST_RIFT_HOP;
  rift_test_true (n_mel == T * GST_RIFT_N_MELS && n_rms == T,
      "fixture: %" G_GINT64_FORMAT " samples, T %" G_GINT64_FORMAT, n, T);
  rift_test_true (meta->n_samples == (guint64) n
      && meta->n_frames == (guint64) T, "meta: n %" G_GUINT64_FORMAT ", T %"
      G_GUINT64_FORMAT, meta->n_samples, meta->n_frames);
  rift_test_true (GST_BUFFER_PTS (buf) == 0, "PTS %" GST_TIME_FORMAT,
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)));
  rift_test_true (GST_BUFFER_DURATION (buf) ==
      gst_util_uint64_scale_round (n, GST_SECOND, GST_RIFT_RATE),
      "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (GST_BUFFER_DURATION (buf)));
  rift_test_true (GST_BUFFER_OFFSET (buf) == 0
      && GST_BUFFER_OFFSET_END (buf) == (guint64) n,
      "offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
      GST_BUFFER_OFFSET (buf), GST_BUFFER_OFFSET_END (buf));

  if (gst_rift_features_map (buf, GST_RIFT_FEATURE_AUDIO, &map, GST_MAP_READ,
          &info)) {
    if (rift_test_true (info->frames == n, "audio has %" G_GINT64_FORMAT
            " samples", info->frames))
      rift_test_check ("audio", (const float *) map.data, audio, n, 0.0, 0.0);
    gst_memory_unmap (map.memory, &map);
  }

  if (gst_rift_features_map (buf, GST_RIFT_FEATURE_MEL, &map, GST_MAP_READ,
          &info)) {
    if (rift_test_true (info->frames == T && info->width == GST_RIFT_N_MELS,
            "mel is [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", info->frames,
            info->width)) {
      float *got = transpose ((const float *) map.data, T, GST_RIFT_N_MELS);
      float *got_hi = g_new (float, n_mel), *ref_hi = g_new (float, n_mel);

      rift_test_check ("mel", got, mel, n_mel, 5e-3, 5e-5);
      for (i = 0; i < n_mel; i++) {
        if (mel[i] > -7.0f) {
          got_hi[k] = got[i];
          ref_hi[k++] = mel[i];
        }
      }
      rift_test_check ("mel where ref > -7", got_hi, ref_hi, k, 1e-4, 5e-5);
      g_free (got);
      g_free (got_hi);
      g_free (ref_hi);
    }
    gst_memory_unmap (map.memory, &map);
  }

  if (gst_rift_features_map (buf, GST_RIFT_FEATURE_RMS, &map, GST_MAP_READ,
          &info)) {
    if (rift_test_true (info->frames == T, "rms has %" G_GINT64_FORMAT
            " frames", info->frames))
      rift_test_check ("rms", (const float *) map.data, rms, n_rms, 1e-6, 1e-6);
    gst_memory_unmap (map.memory, &map);
  }

out:
  g_free (audio);
  g_free (mel);
  g_free (rms);
}

int
main (int argc, char **argv)
{
  const gchar *name, *backend;
  gchar *wav, *rel, *desc;
  GstElement *pipeline, *sink;
  GstSample *sample;
  GError *err = NULL;
  rift_weights *ref;
  guint n_buffers = 0;
  gchar *why = NULL;

  gst_init (&argc, &argv);
  if (argc < 2) {
    fprintf (stderr, "usage: %s CASE [cpu|cuda]\n", argv[0]);
    return 2;
  }
  name = argv[1];
  backend = argc > 2 ? argv[2] : "cpu";

  if (g_str_equal (backend, "cuda") && !rift_backend_cuda_available (&why)) {
    int ret = rift_test_skip ("%s", why);

    g_free (why);
    return ret;
  }
  if (!gst_registry_check_feature_version (gst_registry_get (), "wavparse", 1,
          0, 0))
    return rift_test_skip ("wavparse (gst-plugins-good) is not installed");

  wav = g_strdup_printf ("audio/%s.wav", name);
  rel = rift_test_fixture (wav);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! riftmel"
      " backend=%s max-segment-duration=0 ! appsink name=sink sync=false",
      rel, backend);
  pipeline = gst_parse_launch (desc, &err);
  if (!rift_test_true (pipeline != NULL, "pipeline %s%s%s", desc,
          err ? ": " : "", err ? err->message : ""))
    return rift_test_exit ();

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  n_buffers = rift_test_play_first (pipeline, sink, &sample);

  if (rift_test_true (n_buffers == 1, "%s: %u buffer(s), want 1", name,
          n_buffers)) {
    gchar *mel_rel = g_strdup_printf ("mel/%s.safetensors", name);

    ref = rift_test_open (mel_rel);
    if (ref) {
      check_features (gst_sample_get_buffer (sample), ref);
      rift_weights_free (ref);
    }
    g_free (mel_rel);
  }

  if (sample)
    gst_sample_unref (sample);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (rel);
  g_free (wav);
  return rift_test_exit ();
}
