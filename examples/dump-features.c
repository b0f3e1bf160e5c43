/* dump-features — riftmel's features of an audio file, one safetensors file
 * per segment.
 *
 *   dump-features [--max-segment-duration=SECONDS] [--backend=auto|cpu|cuda]
 *                 INPUT OUTDIR
 *
 * Runs
 *   filesrc ! decodebin ! audioconvert ! audioresample ! riftmel ! appsink
 * prints the pipeline's progress from its bus (states, the backend riftmel
 * chose, position) and, for segment k, writes OUTDIR/segment-KKKK.safetensors
 * holding
 *   audio [n]       the segment's samples, 44.1 kHz mono
 *   mel   [T, 128]  log-mel, frame-major (upstream's [128, T] transposed)
 *   rms   [T]
 * with metadata pts, duration (ns), offset, offset_end (samples), and one
 * line on stdout:
 *   segment 0: pts 0:00:00.000000000, 132300 samples, T 258 -> out/segment-0000.safetensors
 *
 * The plugin must be on the GStreamer plugin path (from a build tree:
 * GST_PLUGIN_PATH=build/gst). */
#include "riftcontext.h"
#include "riftfeatures.h"
#include "safetensors.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <errno.h>
#include <stdio.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  const gchar *outdir;
  guint n_segments;             /* written so far (streaming thread) */
  int status;
} Dump;

static gchar *
time_str (GstClockTime t)
{
  return GST_CLOCK_TIME_IS_VALID (t) ? g_strdup_printf ("%" G_GUINT64_FORMAT,
      t) : g_strdup ("none");
}

/* Writes one segment's features; FALSE with `err` set on failure. */
static gboolean
write_segment (Dump * d, GstBuffer * buf, GError ** err)
{
  GstRiftFeaturesMeta *meta = gst_buffer_get_rift_features_meta (buf);
  const GstRiftFeatureKind kinds[] = { GST_RIFT_FEATURE_AUDIO,
    GST_RIFT_FEATURE_MEL, GST_RIFT_FEATURE_RMS
  };
  GstMapInfo maps[G_N_ELEMENTS (kinds)];
  rift_tensor *tensors[G_N_ELEMENTS (kinds)];
  GHashTable *metadata;
  gchar *path;
  guint i, n_mapped = 0;
  gboolean ok = FALSE;

  if (meta == NULL) {
    g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
        "a buffer without GstRiftFeaturesMeta reached the appsink");
    return FALSE;
  }
  path = g_strdup_printf ("%s/segment-%04u.safetensors", d->outdir,
      d->n_segments);

  for (i = 0; i < G_N_ELEMENTS (kinds); i++) {
    const GstRiftFeatureInfo *info;
    int64_t shape[2];

    if (!gst_rift_features_map (buf, kinds[i], &maps[i], GST_MAP_READ, &info)) {
      g_set_error (err, GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT,
          "the segment has no %s", gst_rift_feature_kind_name (kinds[i]));
      goto out;
    }
    n_mapped++;
    shape[0] = info->frames;
    shape[1] = info->width;
    /* audio and rms are vectors, the mel a matrix */
    tensors[i] = rift_tensor_view (info->dtype, info->width == 1 ? 1 : 2,
        shape, maps[i].data);
    rift_tensor_set_name (tensors[i], gst_rift_feature_kind_name (kinds[i]));
  }

  metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (metadata, "pts", time_str (GST_BUFFER_PTS (buf)));
  g_hash_table_insert (metadata, "duration",
      time_str (GST_BUFFER_DURATION (buf)));
  g_hash_table_insert (metadata, "offset", g_strdup_printf ("%"
          G_GUINT64_FORMAT, GST_BUFFER_OFFSET (buf)));
  g_hash_table_insert (metadata, "offset_end", g_strdup_printf ("%"
          G_GUINT64_FORMAT, GST_BUFFER_OFFSET_END (buf)));
  ok = rift_safetensors_write (path, tensors, G_N_ELEMENTS (tensors), metadata,
      err);
  g_hash_table_unref (metadata);
  for (i = 0; i < G_N_ELEMENTS (tensors); i++)
    rift_tensor_free (tensors[i]);

  if (ok)
    g_print ("segment %u: pts %" GST_TIME_FORMAT ", %" G_GUINT64_FORMAT
        " samples, T %" G_GUINT64_FORMAT " -> %s\n", d->n_segments,
        GST_TIME_ARGS (GST_BUFFER_PTS (buf)), meta->n_samples,
        meta->n_frames, path);
  d->n_segments++;

out:
  for (i = 0; i < n_mapped; i++)
    gst_memory_unmap (maps[i].memory, &maps[i]);
  g_free (path);
  return ok;
}

/* appsink's streaming thread */
static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  Dump *d = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GError *err = NULL;
  gboolean ok;

  if (sample == NULL)
    return GST_FLOW_EOS;
  ok = write_segment (d, gst_sample_get_buffer (sample), &err);
  gst_sample_unref (sample);
  if (!ok) {
    /* reported on the bus like any other pipeline error */
    gst_element_post_message (GST_ELEMENT (sink),
        gst_message_new_error (GST_OBJECT (sink), err, "writing features"));
    g_error_free (err);
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static gboolean
report_position (gpointer user_data)
{
  Dump *d = user_data;
  gint64 pos, dur;

  if (gst_element_query_position (d->pipeline, GST_FORMAT_TIME, &pos)
      && gst_element_query_duration (d->pipeline, GST_FORMAT_TIME, &dur)
      && dur > 0)
    g_print ("progress: %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT
        " (%.0f%%)\n", GST_TIME_ARGS (pos), GST_TIME_ARGS (dur),
        100.0 * pos / dur);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Dump *d = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (d->pipeline)) {
        GstState old, new;

        gst_message_parse_state_changed (msg, &old, &new, NULL);
        g_print ("state: %s -> %s\n", gst_element_state_get_name (old),
            gst_element_state_get_name (new));
      }
      break;
    case GST_MESSAGE_HAVE_CONTEXT:{
      /* riftmel announces the backend it created */
      GstContext *context;
      rift_backend *be = NULL;

      gst_message_parse_have_context (msg, &context);
      if (gst_context_has_context_type (context, GST_RIFT_BACKEND_CONTEXT_TYPE)
          && gst_structure_get (gst_context_get_structure (context), "backend",
              GST_TYPE_RIFT_BACKEND, &be, NULL)) {
        g_print ("backend: %s\n", rift_backend_describe (be));
        rift_backend_unref (be);
      }
      gst_context_unref (context);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err;
      gchar *debug;

      gst_message_parse_warning (msg, &err, &debug);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_error_free (err);
      g_free (debug);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err;
      gchar *debug;

      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
      g_error_free (err);
      g_free (debug);
      d->status = 1;
      g_main_loop_quit (d->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_print ("done: %u segment(s) in %s\n", d->n_segments, d->outdir);
      g_main_loop_quit (d->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gdouble max_seconds = 30.0;
  gchar *backend = NULL;
  GOptionEntry entries[] = {
    {"max-segment-duration", 'm', 0, G_OPTION_ARG_DOUBLE, &max_seconds,
        "Longest segment in seconds (0 = whole file; default 30)", "SECONDS"},
    {"backend", 'b', 0, G_OPTION_ARG_STRING, &backend,
        "auto, cpu or cuda (default auto)", "KIND"},
    {NULL},
  };
  GOptionContext *options;
  GError *err = NULL;
  GstElement *src, *mel, *sink;
  GstAppSinkCallbacks callbacks = {.new_sample = on_new_sample };
  GstBus *bus;
  Dump d = { 0 };
  guint timer;

  options = g_option_context_new ("INPUT OUTDIR - write riftmel's features"
      " of an audio file, one safetensors file per segment");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_add_group (options, gst_init_get_option_group ());
  if (!g_option_context_parse (options, &argc, &argv, &err) || argc != 3) {
    g_printerr ("%s\n", err ? err->message : "need INPUT and OUTDIR");
    g_printerr ("%s", g_option_context_get_help (options, TRUE, NULL));
    return 2;
  }
  g_option_context_free (options);
  if (max_seconds < 0) {
    g_printerr ("--max-segment-duration must be >= 0\n");
    return 2;
  }
  if (g_mkdir_with_parents (argv[2], 0755) != 0) {
    g_printerr ("cannot create %s: %s\n", argv[2], g_strerror (errno));
    return 1;
  }
  d.outdir = argv[2];

  d.pipeline = gst_parse_launch ("filesrc name=src ! decodebin"
      " ! audioconvert ! audioresample ! riftmel name=mel"
      " ! appsink name=sink sync=false", &err);
  /* a missing element (the plugin not on GST_PLUGIN_PATH) still returns a
   * pipeline, with err set */
  if (d.pipeline == NULL || err != NULL) {
    g_printerr ("cannot build the pipeline: %s\n", err->message);
    g_clear_error (&err);
    if (d.pipeline)
      gst_object_unref (d.pipeline);
    return 1;
  }
  src = gst_bin_get_by_name (GST_BIN (d.pipeline), "src");
  mel = gst_bin_get_by_name (GST_BIN (d.pipeline), "mel");
  sink = gst_bin_get_by_name (GST_BIN (d.pipeline), "sink");
  g_object_set (src, "location", argv[1], NULL);
  g_object_set (mel, "max-segment-duration",
      (guint64) (max_seconds * GST_SECOND), NULL);
  if (backend)
    gst_util_set_object_arg (G_OBJECT (mel), "backend", backend);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &d, NULL);

  d.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (d.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &d);
  timer = g_timeout_add_seconds (1, report_position, &d);

  g_print ("input: %s\n", argv[1]);
  if (gst_element_set_state (d.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    g_printerr ("the pipeline could not start (see the error below)\n");
  g_main_loop_run (d.loop);

  g_source_remove (timer);
  gst_element_set_state (d.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (mel);
  gst_object_unref (sink);
  gst_object_unref (d.pipeline);
  g_main_loop_unref (d.loop);
  g_free (backend);
  return d.status;
}
