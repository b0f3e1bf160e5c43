/* interp.h — resampling feature sequences along time.
 *
 * rift_interp_linear() is torch's F.interpolate(mode='linear',
 * align_corners=True) along time, rounded as torch rounds it, which is how
 * infer.py maps ContentVec frames onto mel frames and builds bad_cvec. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* out [n_out, C] from x [n_in, C]; n_out = 1 gives x[0], n_in = 1 a constant. */
void rift_interp_linear(float *out, int64_t n_out, const float *x, int64_t n_in, int64_t C);

/* infer.py's bad_cvec for ds guidance from the mel-rate cvec [T, C]:
 * every 2nd frame (ceil(T/2) rows), interpolated down to ceil(T/2) / rate
 * rows (at least 1), then back up to T. rate >= 1. */
void rift_bad_cvec(float *out, const float *cvec, int64_t T, int64_t C, int rate);

G_END_DECLS
