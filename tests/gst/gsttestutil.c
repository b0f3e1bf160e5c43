/* gsttestutil.c — helpers the GstHarness tests share; see gsttestutil.h. */
#include "gsttestutil.h"

#include "backend.h"

/* ---- fixtures ---- */

gchar *
fixture (const gchar * rel)
{
  const gchar *dir = g_getenv ("RIFT_FIXTURES");

  fail_unless (dir != NULL, "RIFT_FIXTURES is not set (run through meson)");
  return g_build_filename (dir, rel, NULL);
}

rift_weights *
open_fixture (const gchar * rel)
{
  gchar *path = fixture (rel);
  GError *err = NULL;
  rift_weights *w = rift_weights_open (path, &err);

  fail_unless (w != NULL, "%s: %s", path, err ? err->message : "");
  g_free (path);
  return w;
}

/* ---- feature memories ---- */

GstMemory *
memory_from (const gfloat * data, gsize n)
{
  GstMemory *mem = gst_allocator_alloc (NULL, n * sizeof (gfloat), NULL);
  GstMapInfo map;

  if (n > 0) {
    gst_memory_map (mem, &map, GST_MAP_WRITE);
    if (data)
      memcpy (map.data, data, n * sizeof (gfloat));
    else
      memset (map.data, 0, n * sizeof (gfloat));
    gst_memory_unmap (mem, &map);
  }
  return mem;
}

/* ---- the element's errors ---- */

GQuark last_domain;
gint last_code;

gchar *
pop_error (GstBus * bus)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *err = NULL;
  gchar *text;

  if (msg == NULL)
    return NULL;
  gst_message_parse_error (msg, &err, NULL);
  last_domain = err->domain;
  last_code = err->code;
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

gchar *
start_fails (GstElement * e)
{
  GstBus *bus = gst_element_get_bus (e);
  gchar *msg;

  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = pop_error (bus);
  fail_unless (msg != NULL, "no error message");
  gst_element_set_state (e, GST_STATE_NULL);
  gst_object_unref (e);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  return msg;
}

void
teardown (GstHarness * h, GstBus * bus)
{
  gst_harness_teardown (h);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
}

/* ---- main ---- */

guint n_selected;

gint
gst_test_prepare (int argc, char **argv, gboolean no_fork)
{
  if (argc > 1 && strcmp (argv[1], "test_cuda") == 0) {
    gchar *why = NULL;

    if (!rift_backend_cuda_available (&why)) {
      g_print ("SKIP: CUDA backend: %s\n", why);
      g_free (why);
      return 77;                /* meson: skipped */
    }
  }
  if (argc > 1)
    g_setenv ("GST_CHECKS", argv[1], TRUE);
  /* each meson test runs one case anyway */
  if (no_fork)
    g_setenv ("CK_FORK", "no", FALSE);
  return 0;
}

gint
gst_test_run_suite (Suite * s, const gchar * name, const gchar * file,
    const gchar * test)
{
  if (n_selected == 0) {
    g_printerr ("no test named %s\n", test);
    return 1;
  }
  return gst_check_run_suite (s, name, file);
}
