/* e2eutil.h — the end-to-end reference the tests of whole conversions
 * share (test-riftsvc.c, test-convert.c): tests/fixtures/e2e/README.md
 * cases (case1: speaker bob, 8 steps, batch 1, noise zero; case2) on
 * tests/fixtures/audio/phrases_44k.wav with the tiny fixture models, and
 * the check of a conversion's output against its output_audio. */
#ifndef E2E_UTIL_H
#define E2E_UTIL_H

#include "weights.h"

#include <glib.h>

G_BEGIN_DECLS

/* samples of phrases_44k.wav, and so of every conversion of it */
#define E2E_N_INPUT 299880

/* The fixture paths a conversion needs (each g_free'd by _clear). */
typedef struct
{
  gchar *wav, *rmvpe, *cvec, *dit, *voc;
} E2eFixtures;

void e2e_fixtures_init (E2eFixtures * f);
void e2e_fixtures_clear (E2eFixtures * f);

/* `got` [n] against the output_audio of the case `ref`: exactly E2E_N_INPUT
 * samples, max-abs <= 3e-3 and rel-L2 <= 2e-3 (the vocoder's float32 phase
 * spread, tests/fixtures/e2e/README.md); a failed check otherwise. */
void e2e_check_output (const gchar * label, const float *got, gint64 n,
    rift_weights * ref);

/* The WAV file `path` is 44.1 kHz mono float and its samples pass
 * e2e_check_output. */
void e2e_check_wav (const gchar * label, const gchar * path,
    rift_weights * ref);

G_END_DECLS

#endif /* E2E_UTIL_H */
