/* test-dump-features.c — runs examples/dump-features on a fixture WAV with
 * one-second segments and checks what it wrote: one safetensors file per
 * segment with audio [n], mel [T, 128] and rms [T] (T = n / 512), whose
 * audio put end to end is the fixture's.
 *
 * Usage: test-dump-features DUMP_FEATURES CASE  (CASE: sing_44k, ...) */
#include "testutil.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define RATE 44100

/* Checks segment k's file; appends its audio to `audio`. */
static void
check_file (const char *path, guint k, GArray * audio)
{
  GError *err = NULL;
  rift_weights *w = rift_weights_open (path, &err);
  const rift_tensor *a, *mel, *rms;
  int64_t n, T;
  float *x;

  if (!rift_test_true (w != NULL, "open %s%s%s", path, err ? ": " : "",
          err ? err->message : "")) {
    g_clear_error (&err);
    return;
  }
  a = rift_weights_find (w, "audio");
  mel = rift_weights_find (w, "mel");
  rms = rift_weights_find (w, "rms");
  if (rift_test_true (a && mel && rms, "segment %u has audio, mel and rms", k)
      && rift_test_true (a->dtype == RIFT_F32 && a->ndim == 1,
          "segment %u audio is F32 [n]", k)) {
    n = a->shape[0];
    T = n / 512;
    rift_test_true (mel->dtype == RIFT_F32 && mel->ndim == 2
        && mel->shape[0] == T && mel->shape[1] == 128,
        "segment %u: %" G_GINT64_FORMAT " samples, mel [%" G_GINT64_FORMAT
        ", 128]", k, n, T);
    rift_test_true (rms->dtype == RIFT_F32 && rms->ndim == 1
        && rms->shape[0] == T, "segment %u: rms [%" G_GINT64_FORMAT "]", k, T);
    x = rift_tensor_to_f32 (a, NULL);
    g_array_append_vals (audio, x, n);
    g_free (x);
  }
  rift_weights_free (w);
}

int
main (int argc, char **argv)
{
  gchar *wav_rel, *wav, *tmp, *ref_rel, *out = NULL, *errout = NULL;
  gchar *cmd[] = { NULL, (gchar *) "--backend=cpu",
    (gchar *) "--max-segment-duration=1", NULL, NULL, NULL
  };
  GArray *audio = g_array_new (FALSE, FALSE, sizeof (float));
  GError *err = NULL;
  rift_weights *ref;
  float *ref_audio;
  int64_t n_ref = 0;
  gint status = -1;
  guint k, n_segments;

  if (argc != 3) {
    fprintf (stderr, "usage: %s DUMP_FEATURES CASE\n", argv[0]);
    return 2;
  }
  wav_rel = g_strdup_printf ("audio/%s.wav", argv[2]);
  wav = rift_test_fixture (wav_rel);
  tmp = g_dir_make_tmp ("dump-features-XXXXXX", &err);
  if (!rift_test_true (tmp != NULL, "temporary folder"))
    return rift_test_exit ();

  cmd[0] = argv[1];
  cmd[3] = wav;
  cmd[4] = tmp;
  if (!rift_test_true (g_spawn_sync (NULL, cmd, NULL, G_SPAWN_DEFAULT, NULL,
              NULL, &out, &errout, &status, &err), "run %s%s%s", argv[1],
          err ? ": " : "", err ? err->message : ""))
    return rift_test_exit ();
  printf ("%s%s", out, errout);
  rift_test_true (g_spawn_check_wait_status (status, NULL),
      "dump-features exited with 0");

  ref_rel = g_strdup_printf ("mel/%s.safetensors", argv[2]);
  ref = rift_test_open (ref_rel);
  ref_audio = ref ? rift_test_tensor_f32 (ref, "audio", &n_ref) : NULL;
  n_segments = (guint) ((n_ref + RATE - 1) / RATE);
  for (k = 0; k < n_segments; k++) {
    gchar *path = g_strdup_printf ("%s/segment-%04u.safetensors", tmp, k);
    gchar *line = g_strdup_printf ("segment %u: ", k);

    rift_test_true (strstr (out, line) != NULL, "a line for segment %u", k);
    check_file (path, k, audio);
    g_remove (path);
    g_free (path);
    g_free (line);
  }
  rift_test_true (g_rmdir (tmp) == 0, "%u segment files and nothing else",
      n_segments);
  if (ref_audio && rift_test_true ((int64_t) audio->len == n_ref,
          "%u samples in all, want %" G_GINT64_FORMAT, audio->len, n_ref))
    rift_test_check ("audio", (float *) audio->data, ref_audio, n_ref, 0.0,
        0.0);

  g_free (ref_audio);
  if (ref)
    rift_weights_free (ref);
  g_array_unref (audio);
  g_free (ref_rel);
  g_free (out);
  g_free (errout);
  g_free (tmp);
  g_free (wav);
  g_free (wav_rel);
  return rift_test_exit ();
}
