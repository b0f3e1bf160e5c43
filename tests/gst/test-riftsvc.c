/* test-riftsvc.c — the riftsvc bin and `rift-tool infer` against the
 * end-to-end references (tests/fixtures/e2e/README.md: case1, batch 1;
 * case2, key +2, skip-layer guidance, batch 3; noise zero) on
 * tests/fixtures/audio/phrases_44k.wav with the tiny fixture models, each
 * with the case's infer.py options from its metadata (e2e-options.h).
 *
 * Usage: test-riftsvc TEST [CASE]. Tests:
 *   launch  filesrc ! wavparse ! riftsvc model=... rmvpe=... contentvec=...
 *           vocoder=... noise-scale=0 <the case's options> ! appsink from a
 *           launch line: exactly 299880 samples, against output_audio with
 *           rel-L2 <= 2e-3, max-abs <= 3e-3.
 *   infer   $RIFT_TOOL infer with the case's options, --pretrained pointing
 *           nowhere and explicit --rmvpe/--contentvec/--vocoder, as a
 *           separate process: exit 0, a 44.1 kHz mono float WAV compared
 *           the same way.
 *   errors  rift-tool infer with an unknown speaker: exit 1 and a message
 *           listing alice, bob and carol; with a missing model file: exit 1
 *           and a message naming the file; without the pretrained models:
 *           a message naming the default vocoder path; and the bin's
 *           properties reach its children, whose riftdit batches by length
 *           as infer.py (case1's options).
 *
 * wavparse (or, for rift-tool, decodebin/wavenc) missing is a skip. */
#include "e2e-options.h"
#include "e2eutil.h"
#include "pipelineutil.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static void
case_launch (rift_weights * ref)
{
  E2eFixtures f;
  gchar *desc, *options;
  GstElement *pipeline, *sink;
  GByteArray *audio = g_byte_array_new ();
  GError *err = NULL;

  e2e_fixtures_init (&f);
  options = e2e_launch_options (ref, NULL);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! wavparse ! riftsvc"
      " model=\"%s\" rmvpe=\"%s\" contentvec=\"%s\" vocoder=\"%s\""
      " noise-scale=0 backend=cpu%s ! appsink name=sink sync=false", f.wav,
      f.dit, f.rmvpe, f.cvec, f.voc, options);
  printf ("%s\n", desc);
  g_free (options);
  pipeline = gst_parse_launch (desc, &err);
  if (!rift_test_true (pipeline != NULL && err == NULL, "pipeline %s%s%s",
          desc, err ? ": " : "", err ? err->message : ""))
    goto out;

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  rift_test_play_bytes (pipeline, sink, audio);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  e2e_check_output ("riftsvc output_audio", (const float *) audio->data,
      audio->len / sizeof (float), ref);

out:
  g_clear_error (&err);
  g_byte_array_unref (audio);
  g_free (desc);
  e2e_fixtures_clear (&f);
}

/* Runs $RIFT_TOOL infer with the options of the case `ref`, `speaker`
 * instead of its own unless NULL, `model` (NULL: the fixture DiT) and,
 * when `explicit_models`, the fixture RMVPE, ContentVec and vocoder;
 * returns the exit status and stderr. */
static gint
run_infer (E2eFixtures * f, rift_weights * ref, const gchar * out,
    const gchar * speaker, const gchar * model, gboolean explicit_models,
    gchar ** err_text)
{
  const gchar *tool = g_getenv ("RIFT_TOOL");
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  GError *err = NULL;
  gint status = -1;
  gchar *cmd;

  g_ptr_array_add (argv, g_strdup (tool));
  g_ptr_array_add (argv, g_strdup ("infer"));
  e2e_infer_args (ref, argv);
  /* the later --speaker wins */
  if (speaker) {
    g_ptr_array_add (argv, g_strdup ("--speaker"));
    g_ptr_array_add (argv, g_strdup (speaker));
  }
  g_ptr_array_add (argv, g_strdup ("--model"));
  g_ptr_array_add (argv, g_strdup (model ? model : f->dit));
  g_ptr_array_add (argv, g_strdup ("--input"));
  g_ptr_array_add (argv, g_strdup (f->wav));
  g_ptr_array_add (argv, g_strdup ("--output"));
  g_ptr_array_add (argv, g_strdup (out));
  g_ptr_array_add (argv, g_strdup ("--noise-scale"));
  g_ptr_array_add (argv, g_strdup ("0"));
  g_ptr_array_add (argv, g_strdup ("--backend"));
  g_ptr_array_add (argv, g_strdup ("cpu"));
  g_ptr_array_add (argv, g_strdup ("--pretrained"));
  g_ptr_array_add (argv, g_strdup ("/nonexistent/pretrained"));
  if (explicit_models) {
    g_ptr_array_add (argv, g_strdup ("--rmvpe"));
    g_ptr_array_add (argv, g_strdup (f->rmvpe));
    g_ptr_array_add (argv, g_strdup ("--contentvec"));
    g_ptr_array_add (argv, g_strdup (f->cvec));
    g_ptr_array_add (argv, g_strdup ("--vocoder"));
    g_ptr_array_add (argv, g_strdup (f->voc));
  }
  g_ptr_array_add (argv, NULL);
  cmd = g_strjoinv (" ", (gchar **) argv->pdata);
  printf ("%s\n", cmd);
  g_free (cmd);

  if (rift_test_true (tool != NULL, "RIFT_TOOL is set")
      && !rift_test_true (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL,
              G_SPAWN_DEFAULT, NULL, NULL, NULL, err_text, &status, &err),
          "run %s: %s", tool, err ? err->message : ""))
    status = -1;
  if (status != -1)
    status = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
  printf ("rift-tool infer: exit %d\n%s", status, *err_text ? *err_text : "");
  g_clear_error (&err);
  g_ptr_array_free (argv, TRUE);
  return status;
}

static void
case_infer (rift_weights * ref)
{
  E2eFixtures f;
  gchar *dir = g_dir_make_tmp ("test-riftsvc-XXXXXX", NULL);
  gchar *out = g_build_filename (dir, "out.wav", NULL);
  gchar *err_text = NULL;
  gint status;

  e2e_fixtures_init (&f);
  status = run_infer (&f, ref, out, NULL, NULL, TRUE, &err_text);
  if (rift_test_true (status == 0, "rift-tool infer exits 0, not %d", status))
    e2e_check_wav ("rift-tool infer output_audio", out, ref);
  g_unlink (out);
  g_rmdir (dir);
  g_free (err_text);
  g_free (out);
  g_free (dir);
  e2e_fixtures_clear (&f);
}

static void
case_errors (rift_weights * ref)
{
  E2eFixtures f;
  gchar *dir = g_dir_make_tmp ("test-riftsvc-XXXXXX", NULL);
  gchar *out = g_build_filename (dir, "out.wav", NULL);
  gchar *missing = g_build_filename (dir, "missing.ckpt", NULL);
  gchar *err_text = NULL;
  GstElement *svc, *child;
  gdouble key = 0;
  gfloat noise = 1;
  gint steps = 0;
  gboolean by_length = FALSE;
  gchar *path = NULL;
  gint status;

  e2e_fixtures_init (&f);
  status = run_infer (&f, ref, out, "zed", NULL, TRUE, &err_text);
  rift_test_true (status == 1 && err_text
      && strstr (err_text, "unknown speaker 'zed'")
      && strstr (err_text, "alice, bob, carol"),
      "unknown speaker: exit 1 and the speakers listed (exit %d)", status);
  g_clear_pointer (&err_text, g_free);

  status = run_infer (&f, ref, out, NULL, missing, TRUE, &err_text);
  rift_test_true (status == 1 && err_text && strstr (err_text, missing),
      "missing model: exit 1 and the file named (exit %d)", status);
  g_clear_pointer (&err_text, g_free);

  /* --pretrained points nowhere: the vocoder is looked for there */
  status = run_infer (&f, ref, out, NULL, NULL, FALSE, &err_text);
  rift_test_true (status == 1 && err_text
      && strstr (err_text, "/nonexistent/pretrained/"),
      "models missing from --pretrained: exit 1 and the path named (exit %d)",
      status);
  g_clear_pointer (&err_text, g_free);

  /* forwarding */
  svc = gst_element_factory_make ("riftsvc", NULL);
  if (rift_test_true (svc != NULL, "riftsvc exists")) {
    g_object_set (svc, "key-shift", 3.0, "infer-steps", 9, "noise-scale",
        0.5f, "pretrained", "/p", NULL);
    child = gst_bin_get_by_name (GST_BIN (svc), "f0");
    g_object_get (child, "key-shift", &key, NULL);
    gst_object_unref (child);
    child = gst_bin_get_by_name (GST_BIN (svc), "dit");
    g_object_get (child, "infer-steps", &steps, "batch-by-length", &by_length,
        NULL);
    gst_object_unref (child);
    /* infer.py's batches */
    rift_test_true (by_length, "riftsvc's dit batches by length");
    child = gst_bin_get_by_name (GST_BIN (svc), "vocoder");
    g_object_get (child, "noise-scale", &noise, NULL);
    rift_test_true (key == 3.0 && steps == 9 && noise == 0.5f,
        "properties reach the children (key-shift %g, infer-steps %d,"
        " vocoder noise-scale %g)", key, steps, noise);
    /* the model paths are resolved at READY->PAUSED */
    gst_element_set_state (svc, GST_STATE_PAUSED);
    gst_element_set_state (svc, GST_STATE_NULL);
    g_object_get (child, "model", &path, NULL);
    rift_test_true (path != NULL && g_str_equal (path,
            "/p/nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt"),
        "vocoder model from pretrained: %s", path);
    g_free (path);
    gst_object_unref (child);
    gst_object_unref (svc);
  }

  g_unlink (out);
  g_rmdir (dir);
  g_free (missing);
  g_free (out);
  g_free (dir);
  e2e_fixtures_clear (&f);
}

int
main (int argc, char **argv)
{
  rift_weights *ref;
  const gchar *name;
  const gchar *needed[] = { "wavparse", "decodebin", "wavenc", NULL };
  gchar *file;
  guint i;

  gst_init (&argc, &argv);
  if (argc < 2) {
    fprintf (stderr, "usage: %s launch|infer|errors [CASE]\n", argv[0]);
    return 2;
  }
  name = argv[1];
  for (i = 0; needed[i]; i++)
    if (!gst_registry_check_feature_version (gst_registry_get (), needed[i],
            1, 0, 0))
      return rift_test_skip ("%s is not installed", needed[i]);

  file = g_strdup_printf ("e2e/%s.safetensors", argc > 2 ? argv[2] : "case1");
  ref = rift_test_open (file);
  g_free (file);
  if (ref == NULL)
    return rift_test_exit ();
  if (g_str_equal (name, "launch"))
    case_launch (ref);
  else if (g_str_equal (name, "infer"))
    case_infer (ref);
  else if (g_str_equal (name, "errors"))
    case_errors (ref);
  else
    rift_test_true (FALSE, "unknown case %s", name);
  rift_weights_free (ref);
  return rift_test_exit ();
}
