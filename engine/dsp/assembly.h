/* assembly.h — how infer.py puts converted segments back on the input's
 * timeline: each segment trimmed or zero-padded to its input length, a
 * half-Hann fade-in on every segment but the first and a linear fade-out on
 * every segment but the last, summed in place; removed silence stays zero.
 * Slicer segments never overlap, so this is no crossfade: neighbours meet as
 * a fade to zero and a fade from zero, exactly as upstream. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* infer.py: int(fade_ms · rate / 1000) */
int64_t rift_fade_samples(double fade_ms, double rate);

/* y [L] in place: the first min(fade, L) samples times hanning(2·fade)[k]
 * when fade_in, the last min(fade, L) times linspace(1, 0, fade)[k] when
 * fade_out, each product rounded to float32 as upstream's float32 array.
 * (Upstream fails on a segment shorter than the fade; we fade what there is.) */
void rift_fade_segment(float *y, int64_t L, int64_t fade, gboolean fade_in, gboolean fade_out);

/* The whole re-assembly: out [n] (double, zeroed here) from n_seg converted
 * segments ys[k] of m[k] samples that replace input spans (start[k],
 * length[k]). ys are copied, not modified. */
void rift_assemble(double *out, int64_t n, int n_seg, const int64_t *start, const int64_t *length,
                   const float *const *ys, const int64_t *m, int64_t fade);

G_END_DECLS
