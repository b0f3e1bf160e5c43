/* test-riftsvc-inputs.c — inputs a user should not send, and streams a user
 * does not let finish, through the riftsvc bin in real pipelines
 * (filesrc ! wavparse [! audioconvert ! audioresample] ! riftsvc ! appsink)
 * with the tiny fixture models (noise-scale 0, 2 sampler steps): each is
 * either converted correctly or stopped with an error that says what is
 * wrong, and nothing crashes, hangs or leaks. Every case but `memory` runs
 * under GStreamer's leaks tracer and fails when an element, pad, buffer,
 * memory, event, message, query or context outlives its pipeline.
 *
 * Cases (the first argument):
 *   missing-model    model=, rmvpe= naming no file, and the vocoder left to
 *                    a pretrained directory that lacks it: the state change
 *                    fails with RESOURCE/NOT_FOUND from riftsvc, naming the
 *                    file and the property (or pretrained).
 *   unknown-speaker  speaker=zed: the state change fails; the message names
 *                    zed and lists alice, bob, carol.
 *   silence          5 s of digital silence: 220500 zero samples, EOS.
 *   one-sample       a 1-sample file: 1 finite sample, EOS.
 *   empty            a WAV with no samples: EOS, no samples, no error.
 *   nan              a NaN at sample 30000 of 1 s: STREAM/FORMAT from mel
 *                    naming NaN, its stream time (0:00:00.680272109) and
 *                    index; nothing non-finite comes out.
 *   eight-channel    2 s of 8-channel 96 kHz S16 through audioconvert !
 *                    audioresample: 88200 finite samples at 44.1 kHz, not
 *                    all zero; straight into riftsvc: CORE/NEGOTIATION with
 *                    the advice to put those two in front of riftsvc.
 *   seek             a flushing seek to 3 s while phrases_44k.wav converts:
 *                    the output restarts at 3 s and runs to 6.8 s, sample
 *                    for sample (167580), with no gap or overlap.
 *   state-change     PLAYING -> NULL while converting, then PLAYING again:
 *                    both state changes succeed and the second run gives
 *                    all 299880 samples.
 *   infer-errors     rift-tool infer with a missing --model, a missing
 *                    --rmvpe and an unknown --speaker: exit status 1 and
 *                    those messages.
 *   memory           30 s and 180 s of synthetic singing (phrases with
 *                    pauses), each converted in a child process: the peak
 *                    RSS of the longer stays within MEMORY_BOUND_MB of the
 *                    shorter, which keeping anything per segment breaks
 *                    (docs/performance.md, "Memory over long inputs").
 *
 * wavparse, audioconvert or audioresample missing is a skip. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#define RATE 44100
#define N_PHRASES 299880        /* samples of phrases_44k.wav, 6.8 s */

/* The objects the leaks tracer follows: not the plugin features and caps
 * that loading a plugin creates for good. */
#define LEAKS_TRACER "leaks(filters=GstElement,GstPad,GstBus,GstBuffer," \
  "GstMemory,GstEvent,GstMessage,GstQuery,GstSample,GstContext,GstBufferPool)"

/* 30 s vs 180 s: the 150 s more hold 30 more segments (phrases_synth), and
 * keeping one segment's input and output audio (about 2 x 160 kB) each
 * would add some 10 MB; the flat difference is about 2 MB. */
#define MEMORY_SHORT_S 30
#define MEMORY_LONG_S 180
#define MEMORY_BOUND_MB 6.0

/* ---- inputs ---- */

/* Writes `frames` frames of `channels` interleaved floats as a WAV of
 * `rate` Hz in `format` (SF_FORMAT_FLOAT, SF_FORMAT_PCM_16). */
static gboolean
write_wav (const gchar * path, gint rate, gint channels, gint format,
    const gfloat * data, sf_count_t frames)
{
  SF_INFO info = {.samplerate = rate,.channels = channels,
    .format = SF_FORMAT_WAV | format
  };
  SNDFILE *sf = sf_open (path, SFM_WRITE, &info);
  sf_count_t written;

  if (!rift_test_true (sf != NULL, "write %s%s%s", path, sf ? "" : ": ",
          sf ? "" : sf_strerror (NULL)))
    return FALSE;
  /* NaN must reach the file as it is */
  sf_command (sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
  written = frames > 0 ? sf_writef_float (sf, data, frames) : 0;
  sf_close (sf);
  return rift_test_true (written == frames, "wrote %" G_GINT64_FORMAT
      " of %" G_GINT64_FORMAT " frames to %s", (gint64) written,
      (gint64) frames, path);
}

/* A sung note: f0 · 2^(d·sin(2π·5.5·t)/12) with a vibrato of d = 0.5
 * semitone, harmonics 1, 1/2, 1/3, raised-cosine 30 ms attack and release,
 * peak `amp`; `n` samples into x. */
static void
synth_note (gfloat * x, gint64 n, gdouble f0, gdouble amp)
{
  const gint64 edge = RATE * 30 / 1000;
  gdouble phase = 0.0;
  gint64 i;

  for (i = 0; i < n; i++) {
    gdouble t = (gdouble) i / RATE;
    gdouble f = f0 * pow (2.0, 0.5 * sin (2 * G_PI * 5.5 * t) / 12.0);
    gdouble env = 1.0;

    if (i < edge)
      env = 0.5 - 0.5 * cos (G_PI * i / edge);
    else if (n - i < edge)
      env = 0.5 - 0.5 * cos (G_PI * (n - i) / edge);
    phase += 2 * G_PI * f / RATE;
    x[i] = (gfloat) (amp * env * (sin (phase) + 0.5 * sin (2 * phase)
            + sin (3 * phase) / 3.0) / 1.83);
  }
}

/* `seconds` of singing-like audio: notes of 0.4-0.6 s on a scale, at
 * several levels, each followed by 4-5.2 s of silence, so that the slicer
 * makes one short segment per note (about 6 in 30 s, 36 in 180 s) and the
 * models see little audio. */
static gfloat *
phrases_synth (gint64 seconds, gint64 * n_out)
{
  const gint64 n = seconds * RATE;
  gfloat *x = g_new0 (gfloat, n);
  gint64 pos = 0, k;

  for (k = 0; pos < n; k++) {
    gint64 len = MIN (RATE * (4 + k % 3) / 10, n - pos);

    synth_note (x + pos, len, 196.0 * pow (2.0, (k % 7) * 2 / 12.0),
        0.25 + 0.05 * (k % 4));
    pos += len + RATE * (40 + 3 * (k % 5)) / 10;
  }
  *n_out = n;
  return x;
}

/* ---- pipelines ---- */

/* riftsvc on the fixture models, then `extra` properties (a later one
 * overrides an earlier one of the same name) */
static gchar *
svc_desc (const gchar * extra)
{
  gchar *dit = rift_test_fixture ("dit/model.ckpt");
  gchar *rmvpe = rift_test_fixture ("rmvpe/model.pt");
  gchar *cvec = rift_test_fixture ("contentvec/tiny-content-vec-best");
  gchar *voc = rift_test_fixture ("vocoder/model.ckpt");
  gchar *desc = g_strdup_printf ("riftsvc name=svc model=\"%s\" speaker=bob"
      " infer-steps=2 rmvpe=\"%s\" contentvec=\"%s\" vocoder=\"%s\""
      " noise-scale=0 backend=cpu %s", dit, rmvpe, cvec, voc, extra);

  g_free (dit);
  g_free (rmvpe);
  g_free (cvec);
  g_free (voc);
  return desc;
}

/* filesrc ! wavparse ! [convert] ! riftsvc extra ! appsink */
static gchar *
file_desc (const gchar * wav, const gchar * convert, const gchar * extra)
{
  gchar *svc = svc_desc (extra);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! %s %s"
      " ! appsink name=sink sync=false", wav, convert, svc);

  g_free (svc);
  return desc;
}

/* What came out of riftsvc. */
typedef struct
{
  GArray *audio;                /* gfloat */
  guint n_buffers;
  GstClockTime first_pts;
  GstClockTime end;             /* PTS + duration of the last buffer */
  gboolean contiguous;          /* every buffer starts where the last ended */
  gboolean eos;
  gchar *error;                 /* the first error's message, or NULL */
  gchar *error_src;             /* the name of the element that posted it */
  GQuark error_domain;
  gint error_code;
} Output;

static void
output_init (Output * out)
{
  memset (out, 0, sizeof *out);
  out->audio = g_array_new (FALSE, FALSE, sizeof (gfloat));
  out->first_pts = out->end = GST_CLOCK_TIME_NONE;
  out->contiguous = TRUE;
}

static void
output_clear (Output * out)
{
  g_array_unref (out->audio);
  g_free (out->error);
  g_free (out->error_src);
}

static void
output_append (Output * out, GstSample * sample)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstClockTime pts = GST_BUFFER_PTS (buf);
  GstMapInfo map;

  if (out->n_buffers++ == 0)
    out->first_pts = pts;
  else if (pts != out->end)
    out->contiguous = FALSE;
  out->end = pts + GST_BUFFER_DURATION (buf);
  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_array_append_vals (out->audio, map.data, map.size / sizeof (gfloat));
  gst_buffer_unmap (buf, &map);
}

/* Keeps the first error on `bus`; TRUE when there was one. */
static gboolean
output_take_error (Output * out, GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;

  if (msg == NULL)
    return FALSE;
  if (out->error == NULL) {
    gst_message_parse_error (msg, &err, NULL);
    out->error = g_strdup (err->message);
    out->error_src = gst_object_get_name (GST_MESSAGE_SRC (msg));
    out->error_domain = err->domain;
    out->error_code = err->code;
    printf ("error from %s: %s\n", out->error_src, out->error);
    g_error_free (err);
  }
  gst_message_unref (msg);
  return TRUE;
}

typedef struct
{
  GstElement *pipeline;
  GstElement *sink;
  GstBus *bus;
} Run;

/* Builds `desc`, sets the max-segment-duration of riftsvc's riftmel to
 * `piece` unless it is GST_CLOCK_TIME_NONE, and sets it PLAYING; the state
 * change's result. (Not `mel::max-segment-duration=` on the launch line:
 * GStreamer 1.22's parser keeps a reference to the child it sets.) */
static GstStateChangeReturn
run_start (Run * run, const gchar * desc, GstClockTime piece)
{
  GError *err = NULL;

  memset (run, 0, sizeof *run);
  run->pipeline = gst_parse_launch (desc, &err);
  if (!rift_test_true (run->pipeline != NULL && err == NULL, "pipeline %s%s%s",
          desc, err ? ": " : "", err ? err->message : "")) {
    g_clear_error (&err);
    g_clear_object (&run->pipeline);
    return GST_STATE_CHANGE_FAILURE;
  }
  run->sink = gst_bin_get_by_name (GST_BIN (run->pipeline), "sink");
  run->bus = gst_element_get_bus (run->pipeline);
  if (GST_CLOCK_TIME_IS_VALID (piece)) {
    GstElement *svc = gst_bin_get_by_name (GST_BIN (run->pipeline), "svc");

    gst_child_proxy_set (GST_CHILD_PROXY (svc), "mel::max-segment-duration",
        piece, NULL);
    gst_object_unref (svc);
  }
  return gst_element_set_state (run->pipeline, GST_STATE_PLAYING);
}

/* Pulls into `out` until EOS, an error, or `max_buffers` buffers (0: no
 * limit). Fails the test when none of these comes within 300 s. */
static void
run_pull (Run * run, Output * out, guint max_buffers)
{
  gint64 deadline = g_get_monotonic_time () + 300 * G_USEC_PER_SEC;
  guint pulled = 0;

  while (g_get_monotonic_time () < deadline) {
    GstSample *sample = NULL;
    gboolean eos = FALSE;

    g_signal_emit_by_name (run->sink, "try-pull-sample", 100 * GST_MSECOND,
        &sample);
    if (sample) {
      output_append (out, sample);
      gst_sample_unref (sample);
      if (max_buffers > 0 && ++pulled >= max_buffers)
        return;
      continue;
    }
    g_object_get (run->sink, "eos", &eos, NULL);
    if (eos) {
      out->eos = TRUE;
      return;
    }
    if (output_take_error (out, run->bus))
      return;
  }
  rift_test_true (FALSE, "neither EOS nor an error within 300 s");
}

/* Drops our reference to `pipeline` and waits (up to 10 s) until it is
 * finalized: GStreamer may hold a reference for a moment in one of its own
 * threads (gst_element_call_async), and the leaks check must not look at
 * the objects while that thread is still tearing them down. */
static void
wait_disposed (GstElement * pipeline)
{
  GWeakRef ref;
  GObject *alive;
  gint i;

  g_weak_ref_init (&ref, pipeline);
  gst_object_unref (pipeline);
  for (i = 0; i < 1000 && (alive = g_weak_ref_get (&ref)) != NULL; i++) {
    g_object_unref (alive);
    g_usleep (10 * 1000);
  }
  g_weak_ref_clear (&ref);
}

/* To NULL and gone; the state change's result. */
static GstStateChangeReturn
run_finish (Run * run, Output * out)
{
  GstStateChangeReturn ret = GST_STATE_CHANGE_SUCCESS;

  if (run->pipeline == NULL)
    return GST_STATE_CHANGE_FAILURE;
  if (out)
    output_take_error (out, run->bus);
  ret = gst_element_set_state (run->pipeline, GST_STATE_NULL);
  gst_bus_set_flushing (run->bus, TRUE);
  gst_object_unref (run->bus);
  gst_object_unref (run->sink);
  wait_disposed (run->pipeline);
  return ret;
}

/* Runs `desc` to EOS or its first error; the result of going PLAYING. */
static GstStateChangeReturn
convert (const gchar * desc, Output * out)
{
  Run run;
  GstStateChangeReturn started = run_start (&run, desc, GST_CLOCK_TIME_NONE);

  if (started != GST_STATE_CHANGE_FAILURE)
    run_pull (&run, out, 0);
  run_finish (&run, out);
  return started;
}

static gint64
count_nonfinite (const Output * out)
{
  const gfloat *x = (const gfloat *) out->audio->data;
  gint64 bad = 0;
  guint i;

  for (i = 0; i < out->audio->len; i++)
    bad += !isfinite (x[i]);
  return bad;
}

/* EOS after exactly `n` finite samples in buffers that abut, without an
 * error. */
static void
check_converted (const gchar * label, const Output * out, gint64 n)
{
  rift_test_true (out->error == NULL, "%s: no error (%s)", label,
      out->error ? out->error : "none");
  rift_test_true (out->eos, "%s: EOS", label);
  rift_test_true ((gint64) out->audio->len == n, "%s: %u samples, want %"
      G_GINT64_FORMAT, label, out->audio->len, n);
  rift_test_true (count_nonfinite (out) == 0, "%s: %" G_GINT64_FORMAT
      " non-finite samples", label, count_nonfinite (out));
  rift_test_true (out->contiguous, "%s: buffers abut", label);
}

/* The state change failed and riftsvc (or the child named `src`) posted
 * `domain`/`code` with every one of the NULL-terminated `parts`. */
static void
check_refused (const gchar * label, GstStateChangeReturn started,
    const Output * out, const gchar * src, GQuark domain, gint code, ...)
{
  const gchar *part;
  va_list ap;

  rift_test_true (started == GST_STATE_CHANGE_FAILURE,
      "%s: the state change fails", label);
  if (!rift_test_true (out->error != NULL, "%s: an error", label))
    return;
  rift_test_true (g_str_equal (out->error_src, src), "%s: from %s (got %s)",
      label, src, out->error_src);
  rift_test_true (out->error_domain == domain && out->error_code == code,
      "%s: %s error %d (got %s %d)", label, g_quark_to_string (domain), code,
      g_quark_to_string (out->error_domain), out->error_code);
  va_start (ap, code);
  while ((part = va_arg (ap, const gchar *)))
    rift_test_true (strstr (out->error, part) != NULL,
        "%s: the message has '%s'", label, part);
  va_end (ap);
  rift_test_true (out->audio->len == 0, "%s: no output", label);
}

/* ---- leaks ---- */

/* FALSE, and each object named, when the leaks tracer sees objects alive. */
static gboolean
check_no_leaks (void)
{
  GList *tracers = gst_tracing_get_active_tracers (), *l;
  guint n_live = 0, n_tracers = 0, i;

  for (l = tracers; l; l = l->next) {
    GstStructure *live = NULL;
    const GValue *list;

    if (!g_str_equal (G_OBJECT_TYPE_NAME (l->data), "GstLeaksTracer"))
      continue;
    n_tracers++;
    g_signal_emit_by_name (l->data, "get-live-objects", &live);
    list = gst_structure_get_value (live, "live-objects-list");
    for (i = 0; i < gst_value_list_get_size (list); i++) {
      gchar *s = gst_structure_to_string (gst_value_get_structure
          (gst_value_list_get_value (list, i)));

      printf ("  alive: %s\n", s);
      g_free (s);
      n_live++;
    }
    gst_structure_free (live);
  }
  g_list_free_full (tracers, gst_object_unref);
  return rift_test_true (n_tracers == 1, "the leaks tracer is active")
      && rift_test_true (n_live == 0, "no GStreamer object outlives its"
      " pipeline (%u alive)", n_live);
}

/* ---- cases ---- */

typedef struct
{
  gchar *dir;                   /* a temporary directory for the files */
  gchar *phrases;               /* phrases_44k.wav */
} Env;

static void
case_missing_model (Env * env)
{
  gchar *missing = g_build_filename (env->dir, "missing.ckpt", NULL);
  gchar *pretrained = g_build_filename (env->dir, "pretrained", NULL);
  gchar *voc_default = g_build_filename (pretrained,
      "nsf_hifigan_44.1k_hop512_128bin_2024.02", "model.ckpt", NULL);
  const struct
  {
    const gchar *label, *fmt, *path, *part;
  } cases[] = {
    {"model", "model=\"%s\"", missing, "(property model)"},
    {"rmvpe", "rmvpe=\"%s\"", missing, "(property rmvpe)"},
    {"vocoder from pretrained", "vocoder=\"\" pretrained=\"%s\"", pretrained,
        "set the vocoder property, or pretrained to the directory that holds"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *extra = g_strdup_printf (cases[i].fmt, cases[i].path);
    gchar *desc = file_desc (env->phrases, "", extra);
    const gchar *file = i < 2 ? missing : voc_default;
    Output out;
    GstStateChangeReturn started;

    output_init (&out);
    started = convert (desc, &out);
    check_refused (cases[i].label, started, &out, "svc", GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_NOT_FOUND, file, cases[i].part, NULL);
    output_clear (&out);
    g_free (desc);
    g_free (extra);
  }
  g_free (voc_default);
  g_free (pretrained);
  g_free (missing);
}

static void
case_unknown_speaker (Env * env)
{
  gchar *desc = file_desc (env->phrases, "", "speaker=zed");
  Output out;
  GstStateChangeReturn started;

  output_init (&out);
  started = convert (desc, &out);
  check_refused ("speaker=zed", started, &out, "dit", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "unknown speaker 'zed'",
      "alice, bob, carol", NULL);
  output_clear (&out);
  g_free (desc);
}

static void
case_silence (Env * env)
{
  const gint64 n = 5 * RATE;
  gfloat *zeros = g_new0 (gfloat, n);
  gchar *wav = g_build_filename (env->dir, "silence.wav", NULL);
  gchar *desc = file_desc (wav, "", "");
  Output out;
  gint64 nonzero = 0;
  guint i;

  output_init (&out);
  if (write_wav (wav, RATE, 1, SF_FORMAT_FLOAT, zeros, n)) {
    convert (desc, &out);
    check_converted ("silence", &out, n);
    for (i = 0; i < out.audio->len; i++)
      nonzero += g_array_index (out.audio, gfloat, i) != 0.0f;
    rift_test_true (nonzero == 0, "silence: %" G_GINT64_FORMAT " samples are"
        " not zero", nonzero);
    rift_test_true (out.first_pts == 0 && out.end == 5 * GST_SECOND,
        "silence: output from %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT,
        GST_TIME_ARGS (out.first_pts), GST_TIME_ARGS (out.end));
  }
  output_clear (&out);
  g_unlink (wav);
  g_free (desc);
  g_free (wav);
  g_free (zeros);
}

/* `n` samples of `x` as a 44.1 kHz mono float WAV, converted: EOS and n
 * finite samples. */
static void
convert_short (Env * env, const gchar * label, const gfloat * x, gint64 n)
{
  gchar *name = g_strdup_printf ("%s.wav", label);
  gchar *wav = g_build_filename (env->dir, name, NULL);
  gchar *desc = file_desc (wav, "", "");
  Output out;

  output_init (&out);
  if (write_wav (wav, RATE, 1, SF_FORMAT_FLOAT, x, n)) {
    convert (desc, &out);
    check_converted (label, &out, n);
  }
  output_clear (&out);
  g_unlink (wav);
  g_free (desc);
  g_free (wav);
  g_free (name);
}

static void
case_one_sample (Env * env)
{
  const gfloat x = 0.25f;

  convert_short (env, "one-sample", &x, 1);
}

static void
case_empty (Env * env)
{
  convert_short (env, "empty", NULL, 0);
}

static void
case_nan (Env * env)
{
  gfloat *x = g_new (gfloat, RATE);
  gchar *wav = g_build_filename (env->dir, "nan.wav", NULL);
  gchar *desc = file_desc (wav, "", "");
  Output out;
  gint i;

  for (i = 0; i < RATE; i++)
    x[i] = (gfloat) (0.3 * sin (2 * G_PI * 220.0 * i / RATE));
  x[30000] = NAN;
  output_init (&out);
  if (write_wav (wav, RATE, 1, SF_FORMAT_FLOAT, x, RATE)) {
    convert (desc, &out);
    if (rift_test_true (out.error != NULL, "nan: an error")) {
      rift_test_true (g_str_equal (out.error_src, "mel")
          && out.error_domain == GST_STREAM_ERROR
          && out.error_code == GST_STREAM_ERROR_FORMAT,
          "nan: STREAM/FORMAT from mel (got %s from %s)",
          g_quark_to_string (out.error_domain), out.error_src);
      /* 30000 / 44100 s */
      rift_test_true (strstr (out.error, "NaN") != NULL
          && strstr (out.error, "0:00:00.680272109") != NULL
          && strstr (out.error, "stream sample 30000") != NULL,
          "nan: the message names NaN, the time and the sample");
    }
    rift_test_true (!out.eos, "nan: no EOS after the error");
    rift_test_true (count_nonfinite (&out) == 0, "nan: nothing non-finite"
        " came out (%u samples)", out.audio->len);
  }
  output_clear (&out);
  g_unlink (wav);
  g_free (desc);
  g_free (wav);
  g_free (x);
}

static void
case_eight_channel (Env * env)
{
  const gint rate = 96000, channels = 8;
  const gint64 frames = 2 * rate;
  gfloat *x = g_new (gfloat, frames * channels);
  gchar *wav = g_build_filename (env->dir, "eight.wav", NULL);
  gchar *desc = file_desc (wav, "audioconvert ! audioresample !", "");
  gchar *direct = file_desc (wav, "", "");
  Output out;
  GstStateChangeReturn started;
  gint64 i, nonzero = 0;
  gint c;

  /* one note, a different level on each channel */
  for (i = 0; i < frames; i++)
    for (c = 0; c < channels; c++)
      x[i * channels + c] = (gfloat) ((0.1 + 0.05 * c)
          * sin (2 * G_PI * 261.6 * i / rate));

  output_init (&out);
  if (write_wav (wav, rate, channels, SF_FORMAT_PCM_16, x, frames)) {
    convert (desc, &out);
    check_converted ("8 channels, 96 kHz, converted", &out, 2 * RATE);
    for (i = 0; i < out.audio->len; i++)
      nonzero += g_array_index (out.audio, gfloat, i) != 0.0f;
    rift_test_true (nonzero > RATE, "8 channels, 96 kHz: %" G_GINT64_FORMAT
        " samples are not zero: the note went through the models", nonzero);
    rift_test_true (out.first_pts == 0 && out.end == 2 * GST_SECOND,
        "8 channels, 96 kHz: output from %" GST_TIME_FORMAT " to %"
        GST_TIME_FORMAT, GST_TIME_ARGS (out.first_pts),
        GST_TIME_ARGS (out.end));
    output_clear (&out);

    /* without the converters: riftmel's advice, naming riftsvc */
    output_init (&out);
    started = convert (direct, &out);
    rift_test_true (started != GST_STATE_CHANGE_FAILURE,
        "8 channels, 96 kHz, straight in: the state change succeeds");
    if (rift_test_true (out.error != NULL, "straight in: an error")) {
      rift_test_true (out.error_domain == GST_CORE_ERROR
          && out.error_code == GST_CORE_ERROR_NEGOTIATION,
          "straight in: CORE/NEGOTIATION");
      rift_test_true (strstr (out.error, "96000 Hz, 8 channels") != NULL
          && strstr (out.error, "put audioconvert ! audioresample before"
              " riftsvc") != NULL, "straight in: the message says what came"
          " and what to do");
    }
    rift_test_true (out.audio->len == 0, "straight in: no output");
  }
  output_clear (&out);
  g_unlink (wav);
  g_free (direct);
  g_free (desc);
  g_free (wav);
  g_free (x);
}

/* phrases_44k.wav is cut into pieces of this length, so that riftsvc
 * pushes its first output while the file is still being read */
#define PIECE (2 * GST_SECOND)

static void
case_seek (Env * env)
{
  const GstClockTime to = 3 * GST_SECOND;
  gchar *desc = file_desc (env->phrases, "", "");
  Run run;
  Output before, after;

  output_init (&before);
  output_init (&after);
  if (run_start (&run, desc, PIECE) != GST_STATE_CHANGE_FAILURE) {
    run_pull (&run, &before, 1);
    rift_test_true (before.n_buffers == 1 && !before.eos,
        "seek: converting when the seek comes");
    /* flushes riftsvc; what is pulled after this is after the seek */
    rift_test_true (gst_element_seek_simple (run.pipeline, GST_FORMAT_TIME,
            GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE, to), "seek: done");
    run_pull (&run, &after, 0);
    check_converted ("after the seek", &after, N_PHRASES - 3 * RATE);
    rift_test_true (after.first_pts == to, "seek: output restarts at %"
        GST_TIME_FORMAT ", want %" GST_TIME_FORMAT,
        GST_TIME_ARGS (after.first_pts), GST_TIME_ARGS (to));
    rift_test_true (after.end == gst_util_uint64_scale (N_PHRASES,
            GST_SECOND, RATE), "seek: output ends at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (after.end));
  }
  rift_test_true (run_finish (&run, &after) == GST_STATE_CHANGE_SUCCESS,
      "seek: to NULL");
  output_clear (&before);
  output_clear (&after);
  g_free (desc);
}

static void
case_state_change (Env * env)
{
  gchar *desc = file_desc (env->phrases, "", "");
  Run run;
  Output first, again;
  GstStateChangeReturn ret;
  gint64 t0;

  output_init (&first);
  output_init (&again);
  if (run_start (&run, desc, PIECE) != GST_STATE_CHANGE_FAILURE) {
    run_pull (&run, &first, 1);
    rift_test_true (first.n_buffers == 1 && !first.eos,
        "state-change: converting when the state changes");
    /* waits for the segment being computed, never for the whole file */
    t0 = g_get_monotonic_time ();
    ret = gst_element_set_state (run.pipeline, GST_STATE_NULL);
    rift_test_true (ret == GST_STATE_CHANGE_SUCCESS, "PLAYING -> NULL while"
        " converting: %d (%d = success), in %.2f s", ret,
        GST_STATE_CHANGE_SUCCESS, (g_get_monotonic_time () - t0) / 1e6);
    output_take_error (&first, run.bus);
    rift_test_true (first.error == NULL, "state-change: no error");

    /* the same pipeline again, from the start */
    ret = gst_element_set_state (run.pipeline, GST_STATE_PLAYING);
    rift_test_true (ret != GST_STATE_CHANGE_FAILURE, "NULL -> PLAYING again");
    run_pull (&run, &again, 0);
    check_converted ("converted again", &again, N_PHRASES);
    rift_test_true (again.first_pts == 0, "again: from 0");
  }
  rift_test_true (run_finish (&run, &again) == GST_STATE_CHANGE_SUCCESS,
      "state-change: to NULL");
  output_clear (&first);
  output_clear (&again);
  g_free (desc);
}

/* Runs $RIFT_TOOL infer on phrases_44k.wav with the fixture models and
 * `option` `value`; its exit status, and its stderr in *err_text. */
static gint
run_infer (Env * env, const gchar * option, const gchar * value,
    gchar ** err_text)
{
  const gchar *tool = g_getenv ("RIFT_TOOL");
  gchar *out = g_build_filename (env->dir, "out.wav", NULL);
  gchar *dit = rift_test_fixture ("dit/model.ckpt");
  gchar *rmvpe = rift_test_fixture ("rmvpe/model.pt");
  gchar *cvec = rift_test_fixture ("contentvec/tiny-content-vec-best");
  gchar *voc = rift_test_fixture ("vocoder/model.ckpt");
  const gchar *argv[] = { tool, "infer", "--quiet", "--input", env->phrases,
    "--output", out, "--model", dit, "--speaker", "bob", "--rmvpe", rmvpe,
    "--contentvec", cvec, "--vocoder", voc, "--infer-steps", "2",
    "--backend", "cpu", option, value, NULL
  };
  GError *err = NULL;
  gint status = -1;

  *err_text = NULL;
  if (rift_test_true (tool != NULL, "RIFT_TOOL is set")
      && rift_test_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
              G_SPAWN_DEFAULT, NULL, NULL, NULL, err_text, &status, &err),
          "run %s: %s", tool, err ? err->message : "ok"))
    status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  printf ("rift-tool infer %s %s: exit %d\n%s", option, value, status,
      *err_text ? *err_text : "");
  g_clear_error (&err);
  g_unlink (out);
  g_free (out);
  g_free (dit);
  g_free (rmvpe);
  g_free (cvec);
  g_free (voc);
  return status;
}

static void
case_infer_errors (Env * env)
{
  gchar *missing = g_build_filename (env->dir, "missing.pt", NULL);
  const struct
  {
    const gchar *option, *value, *part1, *part2;
  } cases[] = {
    {"--model", missing, missing, "(property model)"},
    {"--rmvpe", missing, missing, "(property rmvpe)"},
    {"--speaker", "zed", "unknown speaker 'zed'", "alice, bob, carol"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *text = NULL;
    gint status = run_infer (env, cases[i].option, cases[i].value, &text);

    rift_test_true (status == 1 && text && strstr (text, cases[i].part1)
        && strstr (text, cases[i].part2), "rift-tool infer %s %s: exit 1"
        " and a message with '%s' and '%s' (exit %d)", cases[i].option,
        cases[i].value, cases[i].part1, cases[i].part2, status);
    g_free (text);
  }
  g_free (missing);
}

/* The child of `memory`: converts `seconds` of phrases_synth pushed through
 * appsrc and exits 0 on EOS, 1 on an error. */
static gint
memory_child (gint64 seconds)
{
  gint64 n, pos;
  gfloat *x = phrases_synth (seconds, &n);
  gchar *svc = svc_desc ("");
  gchar *desc = g_strdup_printf ("appsrc name=src format=time block=true"
      " caps=audio/x-raw,format=F32LE,rate=%d,channels=1,layout=interleaved"
      " ! %s ! fakesink sync=false", RATE, svc);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstMessage *msg;
  GstFlowReturn flow = GST_FLOW_OK;
  gboolean ok;
  struct rusage ru;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  /* 0.1 s buffers, timestamped from the sample count */
  for (pos = 0; pos < n && flow == GST_FLOW_OK; pos += RATE / 10) {
    gint64 len = MIN (RATE / 10, n - pos);
    GstBuffer *buf = gst_buffer_new_memdup (x + pos, len * sizeof (gfloat));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (pos, GST_SECOND, RATE);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (pos + len, GST_SECOND,
        RATE) - GST_BUFFER_PTS (buf);
    g_signal_emit_by_name (src, "push-buffer", buf, &flow);
    gst_buffer_unref (buf);
  }
  g_signal_emit_by_name (src, "end-of-stream", &flow);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  getrusage (RUSAGE_SELF, &ru);
  printf ("%" G_GINT64_FORMAT " s: peak RSS %.1f MB\n", seconds,
      ru.ru_maxrss / 1024.0);
  g_free (desc);
  g_free (svc);
  g_free (x);
  return ok ? 0 : 1;
}

/* Peak RSS in MB of `memory_child (seconds)` run as a process of its own
 * (so that the two runs share no heap); -1 when it fails. */
static gdouble
memory_peak (gint64 seconds)
{
  gchar *arg = g_strdup_printf ("%" G_GINT64_FORMAT, seconds);
  const gchar *argv[] = { "/proc/self/exe", "memory-child", arg, NULL };
  GError *err = NULL;
  GPid pid;
  gint status = -1;
  struct rusage ru;
  gdouble mb = -1.0;

  if (rift_test_true (g_spawn_async (NULL, (gchar **) argv, NULL,
              G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &err),
          "spawn the %s s child: %s", arg, err ? err->message : "ok")
      && rift_test_true (wait4 (pid, &status, 0, &ru) == pid
          && WIFEXITED (status) && WEXITSTATUS (status) == 0,
          "the %s s child converts its audio", arg))
    mb = ru.ru_maxrss / 1024.0;
  g_clear_error (&err);
  g_free (arg);
  return mb;
}

static void
case_memory (void)
{
  gdouble short_mb = memory_peak (MEMORY_SHORT_S);
  gdouble long_mb = memory_peak (MEMORY_LONG_S);

  if (short_mb > 0 && long_mb > 0)
    rift_test_true (long_mb - short_mb <= MEMORY_BOUND_MB, "peak RSS: %.1f MB"
        " for %d s, %.1f MB for %d s: %+.1f MB (<= %.1f)", short_mb,
        MEMORY_SHORT_S, long_mb, MEMORY_LONG_S, long_mb - short_mb,
        MEMORY_BOUND_MB);
}

int
main (int argc, char **argv)
{
  const gchar *needed[] = { "wavparse", "audioconvert", "audioresample",
    "appsrc", "appsink", NULL
  };
  const gchar *name;
  Env env;
  guint i;

  if (argc < 2) {
    fprintf (stderr, "usage: %s CASE (see the top of %s)\n", argv[0], __FILE__);
    return 2;
  }
  name = argv[1];
  if (g_str_equal (name, "memory-child")) {
    gst_init (&argc, &argv);
    return memory_child (argc > 2 ? g_ascii_strtoll (argv[2], NULL, 10) : 30);
  }
  /* set before gst_init, which starts the tracers, and gone from the
   * environment of the processes this one starts */
  if (!g_str_equal (name, "memory"))
    g_setenv ("GST_TRACERS", LEAKS_TRACER, TRUE);
  gst_init (&argc, &argv);
  g_unsetenv ("GST_TRACERS");
  for (i = 0; needed[i]; i++)
    if (!gst_registry_check_feature_version (gst_registry_get (), needed[i],
            1, 0, 0))
      return rift_test_skip ("%s is not installed", needed[i]);

  env.dir = g_dir_make_tmp ("test-riftsvc-inputs-XXXXXX", NULL);
  env.phrases = rift_test_fixture ("audio/phrases_44k.wav");
  if (g_str_equal (name, "missing-model"))
    case_missing_model (&env);
  else if (g_str_equal (name, "unknown-speaker"))
    case_unknown_speaker (&env);
  else if (g_str_equal (name, "silence"))
    case_silence (&env);
  else if (g_str_equal (name, "one-sample"))
    case_one_sample (&env);
  else if (g_str_equal (name, "empty"))
    case_empty (&env);
  else if (g_str_equal (name, "nan"))
    case_nan (&env);
  else if (g_str_equal (name, "eight-channel"))
    case_eight_channel (&env);
  else if (g_str_equal (name, "seek"))
    case_seek (&env);
  else if (g_str_equal (name, "state-change"))
    case_state_change (&env);
  else if (g_str_equal (name, "infer-errors"))
    case_infer_errors (&env);
  else if (g_str_equal (name, "memory"))
    case_memory ();
  else
    rift_test_true (FALSE, "unknown case %s", name);
  if (!g_str_equal (name, "memory"))
    check_no_leaks ();

  g_rmdir (env.dir);
  g_free (env.dir);
  g_free (env.phrases);
  return rift_test_exit ();
}
