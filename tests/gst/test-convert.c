/* test-convert.c — runs an example application, examples/convert.c or
 * examples/convert.py, as a user runs it, on the end-to-end reference
 * (e2eutil.h: case1 on phrases_44k.wav with the fixture models, noise
 * zero).
 *
 * Usage: test-convert CASE [--python] PROGRAM [ARG ...]
 * runs `PROGRAM ARG ... IN OUT.wav PROPERTY=VALUE ...`; with --python,
 * PROGRAM is a Python interpreter (ARG the script) and the case is skipped
 * when it cannot import Gst through gi. Cases:
 *   case1      exit 0; at least three "progress:" lines, their stream
 *              times increasing, each of 6.8 s (the input's duration),
 *              the last at 6.8 s and 100.0%; OUT.wav against output_audio
 *              (299880 samples, rel-L2 <= 2e-3, max-abs <= 3e-3).
 *   errors     model=<missing file>: exit 1 and the file named on stderr;
 *              an unknown property: exit 2 and the property named.
 *   interrupt  SIGINT after the first progress line: exit 0, "interrupted"
 *              on stderr, and still the whole WAV (the input was all read
 *              by then; the stream ends with EOS instead of being killed,
 *              so wavenc completes the file). */
#include "e2eutil.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

typedef struct
{
  GPtrArray *argv;              /* the command line */
  gchar *dir, *out;             /* a temporary folder, OUT.wav in it */
  E2eFixtures f;
} Run;

/* The command line: `prefix` (PROGRAM [ARG ...]), IN, OUT.wav and case1's
 * properties with `model` (NULL: the fixture DiT); append to it, then
 * run_clear. */
static void
run_init (Run * r, gchar ** prefix, const gchar * model)
{
  gchar **p;

  e2e_fixtures_init (&r->f);
  r->dir = g_dir_make_tmp ("test-convert-XXXXXX", NULL);
  r->out = g_build_filename (r->dir, "out.wav", NULL);
  r->argv = g_ptr_array_new_with_free_func (g_free);
  for (p = prefix; *p; p++)
    g_ptr_array_add (r->argv, g_strdup (*p));
  g_ptr_array_add (r->argv, g_strdup (r->f.wav));
  g_ptr_array_add (r->argv, g_strdup (r->out));
  g_ptr_array_add (r->argv, g_strconcat ("model=", model ? model : r->f.dit,
          NULL));
  g_ptr_array_add (r->argv, g_strdup ("speaker=bob"));
  g_ptr_array_add (r->argv, g_strdup ("infer-steps=8"));
  g_ptr_array_add (r->argv, g_strconcat ("rmvpe=", r->f.rmvpe, NULL));
  g_ptr_array_add (r->argv, g_strconcat ("contentvec=", r->f.cvec, NULL));
  g_ptr_array_add (r->argv, g_strconcat ("vocoder=", r->f.voc, NULL));
  g_ptr_array_add (r->argv, g_strdup ("noise-scale=0"));
  g_ptr_array_add (r->argv, g_strdup ("backend=cpu"));
}

static void
run_clear (Run * r)
{
  g_unlink (r->out);
  g_rmdir (r->dir);
  g_free (r->out);
  g_free (r->dir);
  g_ptr_array_free (r->argv, TRUE);
  e2e_fixtures_clear (&r->f);
}

/* Runs the command line to its end: its exit status (-1 when it did not
 * exit), stdout and stderr, both printed for the log. */
static gint
run_sync (Run * r, gchar ** out, gchar ** err)
{
  GError *error = NULL;
  gint status;

  gboolean ran;

  g_ptr_array_add (r->argv, NULL);
  ran = g_spawn_sync (NULL, (gchar **) r->argv->pdata, NULL, G_SPAWN_DEFAULT,
      NULL, NULL, out, err, &status, &error);
  g_ptr_array_remove_index (r->argv, r->argv->len - 1);
  if (!rift_test_true (ran, "run %s%s%s", (gchar *) r->argv->pdata[0],
          error ? ": " : "", error ? error->message : "")) {
    g_clear_error (&error);
    *out = g_strdup ("");
    *err = g_strdup ("");
    return -1;
  }
  printf ("stdout:\n%sstderr:\n%s", *out, *err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A "progress: H:MM:SS.NNNNNNNNN of H:MM:SS.NNNNNNNNN (P%)" line into its
 * stream time, duration and percentage; FALSE for another line. */
static gboolean
parse_progress (const gchar * line, GstClockTime * pos, GstClockTime * dur,
    gdouble * percent)
{
  guint h[2], m[2], s[2], ns[2];

  if (sscanf (line, "progress: %u:%u:%u.%u of %u:%u:%u.%u (%lf%%)", &h[0],
          &m[0], &s[0], &ns[0], &h[1], &m[1], &s[1], &ns[1], percent) != 9)
    return FALSE;
  *pos = ((h[0] * 60 + m[0]) * 60 + s[0]) * GST_SECOND + ns[0];
  *dur = ((h[1] * 60 + m[1]) * 60 + s[1]) * GST_SECOND + ns[1];
  return TRUE;
}

/* The progress lines of `out`: at least three, every one with the input's
 * duration, stream times increasing to that duration, the last at 100%. */
static void
check_progress (const gchar * out)
{
  const GstClockTime want = gst_util_uint64_scale_round (E2E_N_INPUT,
      GST_SECOND, 44100);
  gchar **lines = g_strsplit (out, "\n", -1), **l;
  GstClockTime pos = 0, dur = 0, last = 0;
  gdouble percent = 0;
  guint n = 0;
  gboolean ok = TRUE;

  for (l = lines; *l && ok; l++) {
    if (!g_str_has_prefix (*l, "progress:"))
      continue;
    ok = rift_test_true (parse_progress (*l, &pos, &dur, &percent)
        && dur == want && (n == 0 || pos > last), "'%s': of %"
        GST_TIME_FORMAT ", after %" GST_TIME_FORMAT, *l, GST_TIME_ARGS (want),
        GST_TIME_ARGS (last));
    last = pos;
    n++;
  }
  if (ok)
    rift_test_true (n >= 3 && last == want && percent == 100.0,
        "%u progress lines, the last at %" GST_TIME_FORMAT " (%.1f%%), want"
        " three or more ending at %" GST_TIME_FORMAT " (100.0%%)", n,
        GST_TIME_ARGS (last), percent, GST_TIME_ARGS (want));
  g_strfreev (lines);
}

static void
case_case1 (gchar ** prefix, rift_weights * ref)
{
  Run r;
  gchar *out, *err;
  gint status;

  run_init (&r, prefix, NULL);
  status = run_sync (&r, &out, &err);
  if (rift_test_true (status == 0, "exit status %d, want 0", status)) {
    check_progress (out);
    e2e_check_wav ("output_audio", r.out, ref);
  }
  g_free (out);
  g_free (err);
  run_clear (&r);
}

static void
case_errors (gchar ** prefix)
{
  Run r;
  gchar *missing = g_build_filename (g_get_tmp_dir (), "test-convert-none",
      "missing.ckpt", NULL);
  gchar *out, *err;
  gint status;

  run_init (&r, prefix, missing);
  status = run_sync (&r, &out, &err);
  rift_test_true (status == 1 && strstr (err, missing) != NULL,
      "missing model: exit 1 (got %d) and %s named", status, missing);
  g_free (out);
  g_free (err);

  g_ptr_array_add (r.argv, g_strdup ("no-such-property=1"));
  status = run_sync (&r, &out, &err);
  rift_test_true (status == 2 && strstr (err, "no-such-property") != NULL,
      "unknown property: exit 2 (got %d) and the property named", status);
  g_free (out);
  g_free (err);
  run_clear (&r);
  g_free (missing);
}

/* Reads `f` up to a line that starts with `prefix` (TRUE) or the end, each
 * line appended to `log`. */
static gboolean
read_until (FILE * f, const gchar * prefix, GString * log)
{
  gchar line[4096];

  while (fgets (line, sizeof line, f)) {
    g_string_append (log, line);
    if (prefix && g_str_has_prefix (line, prefix))
      return TRUE;
  }
  return FALSE;
}

static void
case_interrupt (gchar ** prefix, rift_weights * ref)
{
  Run r;
  GError *error = NULL;
  GPid pid;
  gint out_fd, err_fd, status = 0;
  FILE *out, *err;
  GString *out_log = g_string_new (NULL), *err_log = g_string_new (NULL);
  gboolean started;

  run_init (&r, prefix, NULL);
  g_ptr_array_add (r.argv, NULL);
  if (!rift_test_true (g_spawn_async_with_pipes (NULL,
              (gchar **) r.argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL,
              NULL, &pid, NULL, &out_fd, &err_fd, &error), "run %s%s%s",
          (gchar *) r.argv->pdata[0], error ? ": " : "",
          error ? error->message : "")) {
    g_clear_error (&error);
    goto out;
  }
  out = fdopen (out_fd, "r");
  err = fdopen (err_fd, "r");
  started = read_until (out, "progress:", out_log);
  if (started)
    kill (pid, SIGINT);
  read_until (out, NULL, out_log);
  read_until (err, NULL, err_log);
  fclose (out);
  fclose (err);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  printf ("stdout:\n%sstderr:\n%s", out_log->str, err_log->str);

  if (rift_test_true (started, "a progress line before the end")
      && rift_test_true (WIFEXITED (status) && WEXITSTATUS (status) == 0,
          "exit 0 after SIGINT (status 0x%x)", status)) {
    rift_test_true (strstr (err_log->str, "interrupted") != NULL,
        "'interrupted' on stderr");
    e2e_check_wav ("output_audio after SIGINT", r.out, ref);
  }
out:
  g_string_free (out_log, TRUE);
  g_string_free (err_log, TRUE);
  run_clear (&r);
}

/* Whether `python` imports Gst through gi (its error on stdout when not). */
static gboolean
python_has_gst (const gchar * python)
{
  gchar *argv[] = { (gchar *) python, (gchar *) "-c",
    (gchar *) "import gi; gi.require_version('Gst', '1.0');"
        " from gi.repository import Gst", NULL
  };
  gchar *err = NULL;
  gint status = -1;
  gboolean ok;

  ok = g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
      &err, &status, NULL) && g_spawn_check_wait_status (status, NULL);
  if (!ok)
    printf ("%s cannot import Gst from gi:\n%s", python, err ? err : "");
  g_free (err);
  return ok;
}

int
main (int argc, char **argv)
{
  const gchar *name;
  gchar **prefix;
  gboolean python;
  rift_weights *ref = NULL;

  python = argc > 2 && g_str_equal (argv[2], "--python");
  if (argc < (python ? 4 : 3)) {
    fprintf (stderr, "usage: %s case1|errors|interrupt [--python] PROGRAM"
        " [ARG ...]\n", argv[0]);
    return 2;
  }
  name = argv[1];
  prefix = argv + (python ? 3 : 2);
  if (python && !python_has_gst (prefix[0]))
    return rift_test_skip ("no Python with PyGObject and Gst");

  if (!g_str_equal (name, "errors")) {
    ref = rift_test_open ("e2e/case1.safetensors");
    if (ref == NULL)
      return rift_test_exit ();
  }
  if (g_str_equal (name, "case1"))
    case_case1 (prefix, ref);
  else if (g_str_equal (name, "errors"))
    case_errors (prefix);
  else if (g_str_equal (name, "interrupt"))
    case_interrupt (prefix, ref);
  else
    rift_test_true (FALSE, "unknown case %s", name);
  if (ref)
    rift_weights_free (ref);
  return rift_test_exit ();
}
