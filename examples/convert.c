/* convert — an application that embeds the riftsvc element: converts the
 * singing voice of an audio file with a RIFT-SVC model, writes a WAV and
 * prints its progress from the pipeline's bus.
 *
 *   convert IN OUT.wav [PROPERTY=VALUE ...]
 *
 * runs
 *   filesrc ! decodebin ! audioconvert ! audioresample
 *       ! riftsvc PROPERTY=VALUE ... ! audioconvert ! wavenc ! filesink
 * where each PROPERTY is one of riftsvc's (model, speaker, key-shift,
 * infer-steps, pretrained, rmvpe, contentvec, vocoder, seed, noise-scale,
 * ...: gst-inspect-1.0 riftsvc) or a child's (f0::voicing-threshold), e.g.
 *
 *   convert song.flac out.wav model=model.ckpt speaker=alice key-shift=2
 *
 * Progress comes from the "rift-progress" element messages riftsvc's
 * vocoder posts as converted audio leaves it (docs/elements.md,
 * riftvocoder "Progress"), one line each:
 *
 *   progress: 0:00:02.500000000 of 0:00:06.800000000 (36.8%)
 *
 * An error prints its message and debug text; Ctrl-C ends the stream
 * (EOS) so that the WAV written so far is complete, and a second Ctrl-C
 * kills. Exit status: 0 done, 1 the conversion failed, 2 a wrong command
 * line (arguments, an unknown property or a value it does not take).
 *
 * The plugin must be on the GStreamer plugin path (from a build tree:
 * GST_PLUGIN_PATH=build/gst). examples/convert.py is the same in Python. */
#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  const gchar *output;
  guint sigint;                 /* the Ctrl-C source, 0 once it fired */
  int status;
} Convert;

/* Appends ` NAME="VALUE"` for `arg` ("NAME=VALUE") to a launch description,
 * VALUE quoted so that spaces, '!' and quotes stay in it; FALSE when `arg`
 * has no NAME=. */
static gboolean
append_property (GString * description, const gchar * arg)
{
  const gchar *eq = strchr (arg, '=');
  const gchar *c;

  if (eq == NULL || eq == arg)
    return FALSE;
  g_string_append_c (description, ' ');
  g_string_append_len (description, arg, eq - arg);
  g_string_append (description, "=\"");
  for (c = eq + 1; *c; c++) {
    if (*c == '"' || *c == '\\')
      g_string_append_c (description, '\\');
    g_string_append_c (description, *c);
  }
  g_string_append_c (description, '"');
  return TRUE;
}

/* One line per rift-progress message: stream-time of duration (percent);
 * the duration is NONE when the input does not tell it. */
static void
print_progress (const GstStructure * s)
{
  GstClockTime pos, dur;

  if (!gst_structure_get_clock_time (s, "stream-time", &pos)
      || !gst_structure_get_clock_time (s, "duration", &dur)
      || !GST_CLOCK_TIME_IS_VALID (pos))
    return;
  if (GST_CLOCK_TIME_IS_VALID (dur) && dur > 0)
    g_print ("progress: %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT
        " (%.1f%%)\n", GST_TIME_ARGS (pos), GST_TIME_ARGS (dur),
        100.0 * pos / dur);
  else
    g_print ("progress: %" GST_TIME_FORMAT "\n", GST_TIME_ARGS (pos));
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Convert *c = user_data;
  GError *err;
  gchar *debug;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "rift-progress"))
        print_progress (gst_message_get_structure (msg));
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &debug);
      g_printerr ("warning from %s: %s\n", GST_OBJECT_NAME (msg->src),
          err->message);
      g_error_free (err);
      g_free (debug);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &debug);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, debug ? debug : "");
      g_error_free (err);
      g_free (debug);
      c->status = 1;
      g_main_loop_quit (c->loop);
      break;
    case GST_MESSAGE_EOS:
      g_print ("done: %s\n", c->output);
      g_main_loop_quit (c->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* Ctrl-C: end the stream, so that the elements drain and wavenc completes
 * the file; removing this source gives SIGINT its default action back. */
static gboolean
on_sigint (gpointer user_data)
{
  Convert *c = user_data;

  g_printerr ("interrupted: finishing %s\n", c->output);
  gst_element_send_event (c->pipeline, gst_event_new_eos ());
  c->sigint = 0;
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  Convert c = { 0 };
  GString *description;
  GstElement *src, *sink;
  GstBus *bus;
  GError *err = NULL;
  guint watch;
  int i;

  gst_init (&argc, &argv);
  if (argc < 3) {
    g_printerr ("usage: %s IN OUT.wav [PROPERTY=VALUE ...]\n"
        "  e.g. %s song.flac out.wav model=model.ckpt speaker=alice\n",
        argv[0], argv[0]);
    return 2;
  }
  c.output = argv[2];

  description = g_string_new ("filesrc name=src ! decodebin ! audioconvert"
      " ! audioresample ! riftsvc");
  for (i = 3; i < argc; i++) {
    if (!append_property (description, argv[i])) {
      g_printerr ("'%s' is not PROPERTY=VALUE\n", argv[i]);
      g_string_free (description, TRUE);
      return 2;
    }
  }
  g_string_append (description, " ! audioconvert ! wavenc"
      " ! filesink name=sink");

  /* FATAL_ERRORS: an unknown property or a value that does not parse
   * fails here instead of leaving a half-configured pipeline */
  c.pipeline = gst_parse_launch_full (description->str, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &err);
  g_string_free (description, TRUE);
  if (c.pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", err->message);
    if (g_error_matches (err, GST_PARSE_ERROR, GST_PARSE_ERROR_NO_SUCH_ELEMENT))
      g_printerr ("is the rift plugin on GST_PLUGIN_PATH? (build/gst in a"
          " build tree)\n");
    c.status = g_error_matches (err, GST_PARSE_ERROR,
        GST_PARSE_ERROR_NO_SUCH_PROPERTY)
        || g_error_matches (err, GST_PARSE_ERROR,
        GST_PARSE_ERROR_COULD_NOT_SET_PROPERTY) ? 2 : 1;
    g_error_free (err);
    return c.status;
  }
  /* the file names are set directly: no quoting to get wrong */
  src = gst_bin_get_by_name (GST_BIN (c.pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (c.pipeline), "sink");
  g_object_set (src, "location", argv[1], NULL);
  g_object_set (sink, "location", c.output, NULL);
  gst_object_unref (src);
  gst_object_unref (sink);

  c.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (c.pipeline);
  watch = gst_bus_add_watch (bus, on_bus_message, &c);
  gst_object_unref (bus);
  c.sigint = g_unix_signal_add (SIGINT, on_sigint, &c);

  g_print ("converting %s -> %s\n", argv[1], c.output);
  /* a failure (a missing model, ...) has posted its error, which the
   * loop reports */
  gst_element_set_state (c.pipeline, GST_STATE_PLAYING);
  g_main_loop_run (c.loop);

  gst_element_set_state (c.pipeline, GST_STATE_NULL);
  g_source_remove (watch);
  if (c.sigint)
    g_source_remove (c.sigint);
  g_main_loop_unref (c.loop);
  gst_object_unref (c.pipeline);
  return c.status;
}
