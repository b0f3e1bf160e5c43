/* test-e2e.c — the whole conversion as infer.py does it, against the
 * end-to-end reference (tests/fixtures/e2e/README.md, case1: batch 1,
 * 8 steps, speaker bob, noise zero) on tests/fixtures/audio/phrases_44k.wav
 * with the tiny fixture models:
 *
 *   filesrc ! wavparse ! riftmel segmentation=slicer ! riftf0 ! riftcvec
 *       ! riftdit speaker=bob infer-steps=8 noise-scale=0
 *       ! riftvocoder noise-scale=0 ! appsink
 *
 * Cases (the first argument):
 *   slicer  the chain up to riftmel: the segments' boundaries (buffer
 *           offsets) exactly segment_start/segment_length, the removed
 *           silence as GAP buffers covering every other sample, the
 *           original loudness and gain in the meta (original_lufs,
 *           input_norm_gain), and each segment's mel and rms against
 *           seg{k}.mel / seg{k}.rms with the mel fixtures' tolerances.
 *   stages  the chain up to riftdit: each segment's f0, cvec and outmel
 *           against seg{k}.f0 / seg{k}.cvec / seg{k}.mel_out (outmel with
 *           the README's acceptance, max-abs 2e-3, rel-L2 3e-5; f0 and cvec
 *           with the rmvpe and contentvec fixtures' tolerances), to tell
 *           which stage a difference in the output comes from.
 *   output  the whole chain: exactly 299880 samples from PTS 0, against
 *           output_audio with rel-L2 <= 2e-3, max-abs <= 3e-3.
 *
 * wavparse missing is a skip. */
#include "riftfeatures.h"
#include "testutil.h"

#include <gst/gst.h>
#include <math.h>
#include <stdio.h>

#define N_INPUT 299880

static const gchar *
chain_tail (const gchar * stage)
{
  if (g_str_equal (stage, "slicer"))
    return "";
  if (g_str_equal (stage, "stages"))
    return " ! riftf0 backend=cpu model=\"%1$s\""
        " ! riftcvec backend=cpu model=\"%2$s\""
        " ! riftdit backend=cpu model=\"%3$s\" speaker=bob infer-steps=8"
        " noise-scale=0";
  return " ! riftf0 backend=cpu model=\"%1$s\""
      " ! riftcvec backend=cpu model=\"%2$s\""
      " ! riftdit backend=cpu model=\"%3$s\" speaker=bob infer-steps=8"
      " noise-scale=0 ! riftvocoder backend=cpu model=\"%4$s\" noise-scale=0";
}

/* Runs the chain up to `stage` and returns its buffers, in order. */
static GPtrArray *
run (const gchar * stage)
{
  gchar *wav = rift_test_fixture ("audio/phrases_44k.wav");
  gchar *rmvpe = rift_test_fixture ("rmvpe/model.pt");
  gchar *cvec = rift_test_fixture ("contentvec/tiny-content-vec-best");
  gchar *dit = rift_test_fixture ("dit/model.ckpt");
  gchar *voc = rift_test_fixture ("vocoder/model.ckpt");
  gchar *tail = g_strdup_printf (chain_tail (stage), rmvpe, cvec, dit, voc);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse"
      " ! riftmel backend=cpu segmentation=slicer%s"
      " ! appsink name=sink sync=false", wav, tail);
  GPtrArray *buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstElement *pipeline, *sink;
  GstSample *sample;
  GstMessage *msg;
  GError *err = NULL;

  pipeline = gst_parse_launch (desc, &err);
  if (!rift_test_true (pipeline != NULL && err == NULL, "pipeline %s%s%s",
          desc, err ? ": " : "", err ? err->message : ""))
    goto out;

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* appsink's action signal; the timeout keeps a stalled pipeline from
   * hanging the test */
  for (;;) {
    g_signal_emit_by_name (sink, "try-pull-sample", 120 * GST_SECOND,
        &sample);
    if (sample == NULL)
      break;
    g_ptr_array_add (buffers, gst_buffer_ref (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR);
  if (msg) {
    GError *perr = NULL;

    gst_message_parse_error (msg, &perr, NULL);
    rift_test_true (FALSE, "pipeline error: %s", perr->message);
    g_error_free (perr);
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);

out:
  g_clear_error (&err);
  g_free (desc);
  g_free (tail);
  g_free (wav);
  g_free (rmvpe);
  g_free (cvec);
  g_free (dit);
  g_free (voc);
  return buffers;
}

static gdouble
tensor_f64 (rift_weights * w, const gchar * name, gint k)
{
  const rift_tensor *t = rift_weights_find (w, name);

  if (!rift_test_true (t != NULL && t->dtype == RIFT_F64
          && rift_tensor_numel (t) > k, "f64 tensor '%s'", name))
    return NAN;
  return ((const gdouble *) t->data)[k];
}

/* Checks feature `kind` of `buf` ([frames, width]) against the tensor
 * `name` of `ref` (the same layout). */
static void
check_feature (GstBuffer * buf, GstRiftFeatureKind kind, rift_weights * ref,
    const gchar * name, gdouble max_abs, gdouble rel_l2)
{
  const GstRiftFeatureInfo *info;
  GstMapInfo map;
  int64_t n = 0;
  float *want = rift_test_tensor_f32 (ref, name, &n);

  if (want && rift_test_true (gst_rift_features_map (buf, kind, &map,
              GST_MAP_READ, &info), "%s: buffer has %s", name,
          gst_rift_feature_kind_name (kind))) {
    if (rift_test_true (info->frames * info->width == n,
            "%s: [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "], reference has %"
            G_GINT64_FORMAT " values", name, info->frames, info->width, n))
      rift_test_check (name, (const float *) map.data, want, n, max_abs,
          rel_l2);
    gst_memory_unmap (map.memory, &map);
  }
  g_free (want);
}

/* The non-GAP buffers at the reference's boundaries, GAP buffers for the
 * rest, contiguous from 0 to the input's end. Returns the segments. */
static GPtrArray *
check_segments (GPtrArray * buffers, rift_weights * ref)
{
  GPtrArray *segs = g_ptr_array_new ();
  int64_t K = 0, K2 = 0;
  float *start = rift_test_tensor_f32 (ref, "segment_start", &K);
  float *length = rift_test_tensor_f32 (ref, "segment_length", &K2);
  guint64 pos = 0;
  guint i;

  for (i = 0; i < buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (buffers, i);
    GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (b);
    gboolean gap = GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_GAP);

    rift_test_true (meta != NULL, "buffer %u has a GstRiftFeaturesMeta", i);
    rift_test_true (GST_BUFFER_OFFSET (b) == pos,
        "buffer %u starts at sample %" G_GUINT64_FORMAT ", want %"
        G_GUINT64_FORMAT, i, GST_BUFFER_OFFSET (b), pos);
    rift_test_true (meta && GST_BUFFER_OFFSET_END (b) - GST_BUFFER_OFFSET (b)
        == meta->n_samples, "buffer %u: offsets and n agree", i);
    rift_test_true (GST_BUFFER_PTS (b) ==
        gst_util_uint64_scale_round (pos, GST_SECOND, GST_RIFT_RATE),
        "buffer %u: PTS %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (GST_BUFFER_PTS (b)));
    printf ("buffer %u: [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT ")%s\n",
        i, GST_BUFFER_OFFSET (b), GST_BUFFER_OFFSET_END (b),
        gap ? " GAP" : "");
    if (gap)
      rift_test_true (meta && meta->n_frames == 0
          && gst_rift_features_peek (b, GST_RIFT_FEATURE_MEL, NULL) == NULL,
          "GAP buffer %u: T = 0, no mel", i);
    else
      g_ptr_array_add (segs, b);
    pos = GST_BUFFER_OFFSET_END (b);
  }
  rift_test_true (pos == N_INPUT, "the buffers end at sample %"
      G_GUINT64_FORMAT ", want %d", pos, N_INPUT);

  if (start && length && rift_test_true (segs->len == K && K2 == K,
          "%u segments, want %" G_GINT64_FORMAT, segs->len, K)) {
    for (i = 0; i < segs->len; i++) {
      GstBuffer *b = g_ptr_array_index (segs, i);

      rift_test_true (GST_BUFFER_OFFSET (b) == (guint64) start[i]
          && GST_BUFFER_OFFSET_END (b) - GST_BUFFER_OFFSET (b)
          == (guint64) length[i], "segment %u: (%" G_GUINT64_FORMAT ", %"
          G_GUINT64_FORMAT "), want (%.0f, %.0f)", i, GST_BUFFER_OFFSET (b),
          GST_BUFFER_OFFSET_END (b) - GST_BUFFER_OFFSET (b), start[i],
          length[i]);
    }
  } else {
    g_ptr_array_set_size (segs, 0);
  }
  g_free (start);
  g_free (length);
  return segs;
}

static void
case_slicer (rift_weights * ref)
{
  GPtrArray *buffers = run ("slicer");
  GPtrArray *segs = check_segments (buffers, ref);
  guint k;

  for (k = 0; k < segs->len; k++) {
    GstBuffer *b = g_ptr_array_index (segs, k);
    GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (b);
    gdouble lufs = tensor_f64 (ref, "original_lufs", k);
    gdouble gain = tensor_f64 (ref, "input_norm_gain", k);
    gchar *name = g_strdup_printf ("seg%u.mel", k);
    const GstRiftFeatureInfo *info;
    GstMapInfo map;
    int64_t n = 0, i, m = 0;
    float *want = rift_test_tensor_f32 (ref, name, &n);

    rift_test_true (fabs (meta->original_lufs - lufs) <= 1e-4,
        "segment %u: original loudness %.9f LUFS, want %.9f", k,
        meta->original_lufs, lufs);
    rift_test_true (fabs (meta->gain - gain) <= 1e-6 * gain,
        "segment %u: gain %.9g, want %.9g", k, meta->gain, gain);
    /* mel fixtures' tolerances (tests/fixtures/mel/README.md) */
    check_feature (b, GST_RIFT_FEATURE_MEL, ref, name, 5e-3, 5e-5);
    if (want && gst_rift_features_map (b, GST_RIFT_FEATURE_MEL, &map,
            GST_MAP_READ, &info)) {
      float *got_hi = g_new (float, n), *ref_hi = g_new (float, n);
      const float *got = (const float *) map.data;

      for (i = 0; i < n && i < info->frames * info->width; i++) {
        if (want[i] > -7.0f) {
          got_hi[m] = got[i];
          ref_hi[m++] = want[i];
        }
      }
      g_free (name);
      name = g_strdup_printf ("seg%u.mel where ref > -7", k);
      rift_test_check (name, got_hi, ref_hi, m, 1e-4, 5e-5);
      gst_memory_unmap (map.memory, &map);
      g_free (got_hi);
      g_free (ref_hi);
    }
    g_free (want);
    g_free (name);
    name = g_strdup_printf ("seg%u.rms", k);
    check_feature (b, GST_RIFT_FEATURE_RMS, ref, name, 1e-6, 1e-6);
    g_free (name);
  }
  g_ptr_array_unref (segs);
  g_ptr_array_unref (buffers);
}

static void
case_stages (rift_weights * ref)
{
  GPtrArray *buffers = run ("stages");
  GPtrArray *segs = check_segments (buffers, ref);
  guint k;

  for (k = 0; k < segs->len; k++) {
    GstBuffer *b = g_ptr_array_index (segs, k);
    gchar *name;

    /* tests/fixtures/rmvpe/README.md, tests/fixtures/contentvec/README.md */
    name = g_strdup_printf ("seg%u.f0", k);
    check_feature (b, GST_RIFT_FEATURE_F0, ref, name, 1e-2, 1e-5);
    g_free (name);
    name = g_strdup_printf ("seg%u.cvec", k);
    check_feature (b, GST_RIFT_FEATURE_CVEC, ref, name, 2e-4, 2e-5);
    g_free (name);
    /* tests/fixtures/e2e/README.md */
    name = g_strdup_printf ("seg%u.mel_out", k);
    check_feature (b, GST_RIFT_FEATURE_OUTMEL, ref, name, 2e-3, 3e-5);
    g_free (name);
  }
  g_ptr_array_unref (segs);
  g_ptr_array_unref (buffers);
}

static void
case_output (rift_weights * ref)
{
  GPtrArray *buffers = run ("output");
  GByteArray *audio = g_byte_array_new ();
  int64_t n_ref = 0;
  float *want = rift_test_tensor_f32 (ref, "output_audio", &n_ref);
  guint64 pos = 0;
  guint i;

  for (i = 0; i < buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (buffers, i);
    GstMapInfo map;

    rift_test_true (GST_BUFFER_PTS (b) ==
        gst_util_uint64_scale_round (pos, GST_SECOND, GST_RIFT_RATE),
        "output buffer %u: PTS %" GST_TIME_FORMAT, i,
        GST_TIME_ARGS (GST_BUFFER_PTS (b)));
    gst_buffer_map (b, &map, GST_MAP_READ);
    g_byte_array_append (audio, map.data, map.size);
    pos += map.size / sizeof (gfloat);
    gst_buffer_unmap (b, &map);
  }
  if (rift_test_true (pos == N_INPUT && n_ref == N_INPUT,
          "output has %" G_GUINT64_FORMAT " samples, want %d", pos, N_INPUT)
      && want)
    rift_test_check ("output_audio", (const float *) audio->data, want,
        N_INPUT, 3e-3, 2e-3);
  g_free (want);
  g_byte_array_unref (audio);
  g_ptr_array_unref (buffers);
}

int
main (int argc, char **argv)
{
  rift_weights *ref;
  const gchar *name;

  gst_init (&argc, &argv);
  if (argc < 2) {
    fprintf (stderr, "usage: %s slicer|stages|output\n", argv[0]);
    return 2;
  }
  name = argv[1];
  if (!gst_registry_check_feature_version (gst_registry_get (), "wavparse", 1,
          0, 0))
    return rift_test_skip ("wavparse (gst-plugins-good) is not installed");

  ref = rift_test_open ("e2e/case1.safetensors");
  if (ref == NULL)
    return rift_test_exit ();
  if (g_str_equal (name, "slicer"))
    case_slicer (ref);
  else if (g_str_equal (name, "stages"))
    case_stages (ref);
  else if (g_str_equal (name, "output"))
    case_output (ref);
  else
    rift_test_true (FALSE, "unknown case %s", name);
  rift_weights_free (ref);
  return rift_test_exit ();
}
