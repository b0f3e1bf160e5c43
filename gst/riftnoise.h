/* riftnoise.h — the initial noise of riftdit's sampler and the random parts
 * of riftvocoder's harmonic source: reproducible standard normal (and
 * uniform) values from a seed and a stream number.
 *
 * riftdit draws the noise of the n-th segment of a stream (n counted from 0
 * at start, STREAM_START and FLUSH_STOP) from the stream (seed, n), so a
 * segment's noise depends only on the seed and its place in the stream, not
 * on the batch it is sampled in nor on the length of earlier segments.
 * Tests reproduce it with the same two calls:
 *
 *   GstRiftNoise noise;
 *   gst_rift_noise_init (&noise, seed, n);
 *   gst_rift_noise_fill (&noise, y0, T * 128, noise_scale);
 *
 * The generator is xoshiro256** (Blackman and Vigna, 2018) whose state is
 * filled by splitmix64 started at seed XOR mix64 (n), mix64 being
 * splitmix64's bijective finaliser; normal values come from the Box–Muller
 * transform in double precision, both values of each pair used in turn.
 * riftvocoder draws its uniform start phases and normal excitation noise
 * from the same generator (gst_rift_noise_fill_uniform, then
 * gst_rift_noise_fill; docs/elements.md "riftvocoder").
 * Plain C apart from GLib types, so it can move into the engine.
 * Tested by tests/gst/test-riftdit.c and tests/gst/test-riftvocoder.c. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS typedef struct
{
  guint64 s[4];                 /* xoshiro256** state */
  gboolean have_spare;          /* the second value of a Box–Muller pair */
  gdouble spare;
} GstRiftNoise;

/* The generator of stream `stream` under `seed`. */
void gst_rift_noise_init (GstRiftNoise * noise, guint64 seed, guint64 stream);

/* out[i] = scale · N(0, 1), i < n, in generation order; each value is the
 * double-precision normal rounded to float, then multiplied by `scale` in
 * float. scale = 0 writes zeros (+0.0) and draws nothing. */
void gst_rift_noise_fill (GstRiftNoise * noise, gfloat * out, gsize n,
    gfloat scale);

/* out[i] = U[0, 1), i < n, in generation order: the top 24 bits of one
 * xoshiro256** draw each, times 2^-24, so every value is a float in
 * [0, 1) exactly. A pending second Box–Muller value is kept for the next
 * gst_rift_noise_fill. */
void gst_rift_noise_fill_uniform (GstRiftNoise * noise, gfloat * out, gsize n);

G_END_DECLS
