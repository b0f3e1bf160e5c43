/* pipelineutil.c — see pipelineutil.h. */
#include "pipelineutil.h"

#include "testutil.h"

/* the error on the bus, as a failed check; TRUE when there was one */
static gboolean
check_bus_error (GstElement * pipeline)
{
  GstMessage *msg =
      gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *debug = NULL;

  if (msg == NULL)
    return FALSE;
  gst_message_parse_error (msg, &err, &debug);
  rift_test_true (FALSE, "pipeline error from %s: %s (%s)",
      GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message,
      debug ? debug : "no details");
  g_error_free (err);
  g_free (debug);
  gst_message_unref (msg);
  return TRUE;
}

guint
rift_test_play (GstElement * pipeline, GstElement * sink,
    RiftTestOnSample on_sample, gpointer data)
{
  guint n = 0;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (;;) {
    GstSample *sample = NULL;
    gboolean eos = FALSE;

    /* appsink's action signal (no need to link libgstapp); the short wait
     * lets an error that stops the stream without EOS end the loop */
    g_signal_emit_by_name (sink, "try-pull-sample", GST_SECOND, &sample);
    if (sample) {
      if (on_sample)
        on_sample (sample, data);
      gst_sample_unref (sample);
      n++;
      continue;
    }
    g_object_get (sink, "eos", &eos, NULL);
    if (eos || check_bus_error (pipeline))
      break;
  }
  check_bus_error (pipeline);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return n;
}

static void
keep_first (GstSample * sample, gpointer data)
{
  GstSample **first = data;

  if (*first == NULL)
    *first = gst_sample_ref (sample);
}

guint
rift_test_play_first (GstElement * pipeline, GstElement * sink,
    GstSample ** first)
{
  *first = NULL;
  return rift_test_play (pipeline, sink, keep_first, first);
}

static void
append_bytes (GstSample * sample, gpointer data)
{
  GstBuffer *buf = gst_sample_get_buffer (sample);
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (data, map.data, map.size);
  gst_buffer_unmap (buf, &map);
}

guint
rift_test_play_bytes (GstElement * pipeline, GstElement * sink,
    GByteArray * bytes)
{
  return rift_test_play (pipeline, sink, append_bytes, bytes);
}
