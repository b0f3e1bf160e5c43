/* e2eutil.c — see e2eutil.h. */
#include "e2eutil.h"
#include "testutil.h"

#include <sndfile.h>

void
e2e_fixtures_init (E2eFixtures * f)
{
  f->wav = rift_test_fixture ("audio/phrases_44k.wav");
  f->rmvpe = rift_test_fixture ("rmvpe/model.pt");
  f->cvec = rift_test_fixture ("contentvec/tiny-content-vec-best");
  f->dit = rift_test_fixture ("dit/model.ckpt");
  f->voc = rift_test_fixture ("vocoder/model.ckpt");
}

void
e2e_fixtures_clear (E2eFixtures * f)
{
  g_free (f->wav);
  g_free (f->rmvpe);
  g_free (f->cvec);
  g_free (f->dit);
  g_free (f->voc);
}

void
e2e_check_output (const gchar * label, const float *got, gint64 n,
    rift_weights * ref)
{
  int64_t n_ref = 0;
  float *want = rift_test_tensor_f32 (ref, "output_audio", &n_ref);

  if (rift_test_true (n == E2E_N_INPUT && n_ref == E2E_N_INPUT,
          "%s: %" G_GINT64_FORMAT " samples, want %d", label, n, E2E_N_INPUT)
      && want)
    rift_test_check (label, got, want, E2E_N_INPUT, 3e-3, 2e-3);
  g_free (want);
}

void
e2e_check_wav (const gchar * label, const gchar * path, rift_weights * ref)
{
  SF_INFO info = { 0 };
  SNDFILE *sf = sf_open (path, SFM_READ, &info);
  float *audio;
  sf_count_t n;

  if (!rift_test_true (sf != NULL, "open %s%s%s", path, sf ? "" : ": ",
          sf ? "" : sf_strerror (NULL)))
    return;
  if (rift_test_true (info.samplerate == 44100 && info.channels == 1
          && (info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_FLOAT,
          "%s: %d Hz, %d channels, format 0x%x, want 44100 Hz mono float",
          path, info.samplerate, info.channels, info.format)) {
    audio = g_new0 (float, info.frames + 1);
    n = sf_readf_float (sf, audio, info.frames);
    e2e_check_output (label, audio, n, ref);
    g_free (audio);
  }
  sf_close (sf);
}
