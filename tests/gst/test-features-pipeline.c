/* test-features-pipeline.c — the feature extractors in a real pipeline:
 *
 *   filesrc location=audio/CASE.wav ! wavparse
 *       ! riftmel backend=B max-segment-duration=0
 *       ! riftf0 backend=B model=rmvpe/model.pt
 *       ! riftcvec backend=B model=contentvec/tiny-content-vec-best
 *       ! appsink
 *
 * (riftcvec before riftf0 with ORDER cvec-f0) gives one buffer whose caps
 * carry audio, mel, rms, f0 and cvec (cvec-dim 64), with the memories in
 * the order the elements added them: audio [n, 1], mel [T, 128], rms
 * [T, 1], f0 [T, 1], cvec [T, 64] (or cvec before f0). Against the
 * fixtures: audio bit-exact and mel and rms as test-riftmel-pipeline.c
 * checks them (tests/fixtures/mel), f0 against the RMVPE fixture's f0_post
 * (tests/fixtures/rmvpe/README.md: the same zeros and relative error <=
 * 1e-5 where post_stable is 1; that fixture feeds the raw WAV, as this
 * pipeline does). The cvec is that of the engine called directly on the
 * WAV's samples (soxr HQ to 16 kHz, ContentVec, interpolation): on the CPU
 * bit-identical, on CUDA within the ContentVec README's cvec_interp
 * tolerance (max-abs 2e-4, rel-L2 2e-5). The ContentVec fixtures start from
 * a loudness-normalised segment, which riftmel does not make yet; the
 * harness test test-riftcvec.c compares with them.
 *
 * Usage: test-features-pipeline CASE [f0-cvec|cvec-f0] [cpu|cuda]  (cuda
 * is skipped without a device; wavparse missing is a skip too) */
#include "pipelineutil.h"
#include "backend.h"
#include "riftfeatures.h"
#include "testutil.h"

#include "contentvec.h"
#include "interp.h"
#include "resample-soxr.h"

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CVEC_DIM 64             /* the tiny ContentVec's hidden size */
#define CVEC_MODEL "contentvec/tiny-content-vec-best"

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

/* Maps feature `kind`, checking that it is memory `index` of F32 [frames,
 * width]; NULL (and a failed check) otherwise. Unmap with
 * gst_memory_unmap (map->memory, map). */
static const float *
map_feature (GstBuffer * buf, GstRiftFeatureKind kind, gint index,
    int64_t frames, int64_t width, GstMapInfo * map)
{
  const GstRiftFeatureInfo *info;
  const gchar *name = gst_rift_feature_kind_name (kind);

  if (!rift_test_true (gst_rift_features_map (buf, kind, map, GST_MAP_READ,
              &info), "the buffer has %s", name))
    return NULL;
  if (!rift_test_true (info->memory == index && info->dtype == RIFT_F32
          && info->frames == frames && info->width == width
          && map->size == (gsize) (frames * width) * sizeof (float),
          "%s is memory %d, %s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
          "] (want memory %d, F32 [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
          "])", name, info->memory, rift_dtype_name (info->dtype),
          info->frames, info->width, index, frames, width)) {
    gst_memory_unmap (map->memory, map);
    return NULL;
  }
  return (const float *) map->data;
}

/* tests/fixtures/rmvpe/README.md: where `stable` is 1, the same zeros and
 * a relative error of at most `tol`. */
static void
check_f0 (const char *label, const float *got, const float *ref,
    const guint8 * stable, int64_t n, double tol)
{
  int64_t i, checked = 0, voiced = 0, flips = 0;
  double max_rel = 0.0;

  for (i = 0; i < n; i++) {
    if (!stable[i])
      continue;
    checked++;
    if ((got[i] == 0.0f) != (ref[i] == 0.0f)) {
      flips++;
    } else if (ref[i] != 0.0f) {
      voiced++;
      max_rel = MAX (max_rel, fabs ((double) got[i] - ref[i]) /
          fabs ((double) ref[i]));
    }
  }
  rift_test_true (flips == 0 && voiced > 0 && max_rel <= tol,
      "%s: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " frames checked, %"
      G_GINT64_FORMAT " voiced, voicing differs on %" G_GINT64_FORMAT
      ", max relative error %.2e (<= %.0e)", label, checked, n, voiced, flips,
      max_rel, tol);
}

/* The content vectors of `audio` [n] as infer.py computes them, with the
 * engine on the CPU. */
static float *
reference_cvec (const float *audio, int64_t n, int64_t T)
{
  char *dir = rift_test_fixture (CVEC_MODEL);
  GError *err = NULL;
  rift_backend *be = rift_backend_new (RIFT_BACKEND_CPU, -1, &err);
  rift_contentvec *cv = be ? rift_contentvec_load_dir (dir, be, &err) : NULL;
  int64_t n16 = rift_resample_soxr_len (n, 44100, 16000), N;
  float *a16 = g_new0 (float, n16), *h = NULL, *cvec = NULL;

  if (rift_test_true (cv != NULL, "load %s%s%s", dir, err ? ": " : "",
          err ? err->message : "")
      && rift_resample_soxr_hq (audio, n, 44100, 16000, a16, &err)) {
    N = rift_contentvec_n_frames (cv, n16);
    h = g_new (float, N * CVEC_DIM);
    if (rift_test_true (rift_contentvec_forward (cv, a16, n16, h, NULL, &err),
            "ContentVec forward%s%s", err ? ": " : "",
            err ? err->message : "")) {
      cvec = g_new (float, T * CVEC_DIM);
      rift_interp_linear (cvec, T, h, N, CVEC_DIM);
    }
  }
  g_clear_error (&err);
  g_free (a16);
  g_free (h);
  rift_contentvec_free (cv);
  if (be)
    rift_backend_unref (be);
  g_free (dir);
  return cvec;
}

static void
check_buffer (GstBuffer * buf, const char *name, gboolean f0_first,
    gboolean cuda)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buf);
  char *mel_rel = g_strdup_printf ("mel/%s.safetensors", name);
  char *f0_rel = g_strdup_printf ("rmvpe/%s.safetensors", name);
  rift_weights *mel_ref = rift_test_open (mel_rel);
  rift_weights *f0_ref = rift_test_open (f0_rel);
  int64_t n = 0, n_mel = 0, n_rms = 0, n_f0 = 0, T, i, k = 0;
  float *audio = NULL, *mel = NULL, *rms = NULL, *f0 = NULL;
  const rift_tensor *stable = NULL;
  const float *x;
  GstMapInfo map;

  if (!mel_ref || !f0_ref)
    goto out;
  audio = rift_test_tensor_f32 (mel_ref, "audio", &n);
  mel = rift_test_tensor_f32 (mel_ref, "mel", &n_mel);
  rms = rift_test_tensor_f32 (mel_ref, "rms", &n_rms);
  f0 = rift_test_tensor_f32 (f0_ref, "f0_post", &n_f0);
  stable = rift_weights_find (f0_ref, "post_stable");
  if (!rift_test_true (meta != NULL, "buffer has a GstRiftFeaturesMeta")
      || !audio || !mel || !rms || !f0
      || !rift_test_true (stable != NULL && stable->dtype == RIFT_U8,
          "rmvpe fixture has post_stable"))
    goto out;
  T = n / GST_RIFT_HOP;
  rift_test_true (n_mel == T * GST_RIFT_N_MELS && n_rms == T && n_f0 == T
      && rift_tensor_numel (stable) == T, "fixtures: %" G_GINT64_FORMAT
      " samples, T %" G_GINT64_FORMAT, n, T);
  rift_test_true (meta->n_samples == (guint64) n
      && meta->n_frames == (guint64) T, "meta: n %" G_GUINT64_FORMAT ", T %"
      G_GUINT64_FORMAT, meta->n_samples, meta->n_frames);
  rift_test_true (gst_buffer_n_memory (buf) == 5, "%u memories, want 5",
      gst_buffer_n_memory (buf));
  rift_test_true (GST_BUFFER_PTS (buf) == 0 && GST_BUFFER_OFFSET (buf) == 0
      && GST_BUFFER_OFFSET_END (buf) == (guint64) n
      && GST_BUFFER_DURATION (buf) ==
      gst_util_uint64_scale_round (n, GST_SECOND, GST_RIFT_RATE),
      "PTS %" GST_TIME_FORMAT ", duration %" GST_TIME_FORMAT ", offsets [%"
      G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")",
      GST_TIME_ARGS (GST_BUFFER_PTS (buf)),
      GST_TIME_ARGS (GST_BUFFER_DURATION (buf)), GST_BUFFER_OFFSET (buf),
      GST_BUFFER_OFFSET_END (buf));

  if ((x = map_feature (buf, GST_RIFT_FEATURE_AUDIO, 0, n, 1, &map))) {
    rift_test_check ("audio", x, audio, n, 0.0, 0.0);
    gst_memory_unmap (map.memory, &map);
  }

  if ((x = map_feature (buf, GST_RIFT_FEATURE_MEL, 1, T, GST_RIFT_N_MELS,
              &map))) {
    float *got = transpose (x, T, GST_RIFT_N_MELS);
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
    gst_memory_unmap (map.memory, &map);
  }

  if ((x = map_feature (buf, GST_RIFT_FEATURE_RMS, 2, T, 1, &map))) {
    rift_test_check ("rms", x, rms, T, 1e-6, 1e-6);
    gst_memory_unmap (map.memory, &map);
  }

  if ((x = map_feature (buf, GST_RIFT_FEATURE_F0, f0_first ? 3 : 4, T, 1,
              &map))) {
    check_f0 ("f0 vs f0_post where post_stable", x, f0,
        (const guint8 *) stable->data, T, 1e-5);
    gst_memory_unmap (map.memory, &map);
  }

  if ((x = map_feature (buf, GST_RIFT_FEATURE_CVEC, f0_first ? 4 : 3, T,
              CVEC_DIM, &map))) {
    float *want = reference_cvec (audio, n, T);

    if (want && cuda)
      rift_test_check ("cvec (CUDA) vs the engine on the CPU", x, want,
          T * CVEC_DIM, 2e-4, 2e-5);
    else if (want)
      rift_test_true (memcmp (x, want, T * CVEC_DIM * sizeof (float)) == 0,
          "cvec bit-identical to the engine called directly");
    g_free (want);
    gst_memory_unmap (map.memory, &map);
  }

out:
  g_free (audio);
  g_free (mel);
  g_free (rms);
  g_free (f0);
  if (mel_ref)
    rift_weights_free (mel_ref);
  if (f0_ref)
    rift_weights_free (f0_ref);
  g_free (mel_rel);
  g_free (f0_rel);
}

int
main (int argc, char **argv)
{
  const gchar *name, *order, *backend;
  gchar *wav, *wav_path, *rmvpe, *cvec, *f0_desc, *cvec_desc, *desc;
  GstElement *pipeline, *sink;
  GstSample *sample;
  GstCaps *want_caps;
  GError *err = NULL;
  guint n_buffers = 0;
  gboolean f0_first;
  gchar *why = NULL;

  gst_init (&argc, &argv);
  if (argc < 2) {
    fprintf (stderr, "usage: %s CASE [f0-cvec|cvec-f0] [cpu|cuda]\n", argv[0]);
    return 2;
  }
  name = argv[1];
  order = argc > 2 ? argv[2] : "f0-cvec";
  backend = argc > 3 ? argv[3] : "cpu";
  f0_first = g_str_equal (order, "f0-cvec");

  if (g_str_equal (backend, "cuda") && !rift_backend_cuda_available (&why)) {
    int ret = rift_test_skip ("%s", why);

    g_free (why);
    return ret;
  }
  if (!gst_registry_check_feature_version (gst_registry_get (), "wavparse", 1,
          0, 0))
    return rift_test_skip ("wavparse (gst-plugins-good) is not installed");

  wav = g_strdup_printf ("audio/%s.wav", name);
  wav_path = rift_test_fixture (wav);
  rmvpe = rift_test_fixture ("rmvpe/model.pt");
  cvec = rift_test_fixture (CVEC_MODEL);
  f0_desc = g_strdup_printf ("riftf0 backend=%s model=\"%s\"", backend, rmvpe);
  cvec_desc = g_strdup_printf ("riftcvec backend=%s model=\"%s\"", backend,
      cvec);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! riftmel"
      " backend=%s max-segment-duration=0 ! %s ! %s"
      " ! appsink name=sink sync=false", wav_path, backend,
      f0_first ? f0_desc : cvec_desc, f0_first ? cvec_desc : f0_desc);
  pipeline = gst_parse_launch (desc, &err);
  if (!rift_test_true (pipeline != NULL, "pipeline %s%s%s", desc,
          err ? ": " : "", err ? err->message : ""))
    return rift_test_exit ();

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  n_buffers = rift_test_play_first (pipeline, sink, &sample);

  want_caps = gst_rift_features_caps_new (GST_RIFT_FEATURE_BIT
      (GST_RIFT_FEATURE_AUDIO) | GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_MEL) |
      GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_RMS) |
      GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_F0) |
      GST_RIFT_FEATURE_BIT (GST_RIFT_FEATURE_CVEC), CVEC_DIM);
  if (rift_test_true (n_buffers == 1, "%s: %u buffer(s), want 1", name,
          n_buffers)) {
    GstCaps *caps = gst_sample_get_caps (sample);
    gchar *str = gst_caps_to_string (caps);

    rift_test_true (gst_caps_is_equal (caps, want_caps), "caps %s", str);
    g_free (str);
    check_buffer (gst_sample_get_buffer (sample), name, f0_first, g_str_equal (backend, "cuda"));
  }

  gst_caps_unref (want_caps);
  if (sample)
    gst_sample_unref (sample);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (f0_desc);
  g_free (cvec_desc);
  g_free (rmvpe);
  g_free (cvec);
  g_free (wav_path);
  g_free (wav);
  return rift_test_exit ();
}
