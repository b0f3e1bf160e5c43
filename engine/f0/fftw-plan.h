/* fftw-plan.h — FFTW plans made and destroyed under one process-wide lock.
 *
 * FFTW's planner keeps global state: only fftw_execute* may run from several
 * threads at once, so every engine/f0 tracker makes and destroys its plans
 * through these (double precision, FFTW_ESTIMATE: planning never touches the
 * arrays, so they may be filled before or after). */
#pragma once

#include <fftw3.h>
#include <glib.h>

G_BEGIN_DECLS

/* real [n] -> complex [n/2 + 1] */
fftw_plan rift_fftw_plan_r2c(int n, double *in, fftw_complex *out);
/* complex [n/2 + 1] -> real [n], unnormalised (n times the inverse DFT);
 * like every FFTW c2r it overwrites its input */
fftw_plan rift_fftw_plan_c2r(int n, fftw_complex *in, double *out);
/* NULL is ignored */
void rift_fftw_destroy(fftw_plan p);

G_END_DECLS
