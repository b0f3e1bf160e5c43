/* riftnoise.c — seeded standard normal and uniform noise for riftdit and
 * riftvocoder (riftnoise.h). */
#include "riftnoise.h"

#include <math.h>
#include <string.h>

#define GOLDEN_GAMMA G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)

/* splitmix64's finaliser: a bijection of the 64-bit integers */
static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static guint64
splitmix64_next (guint64 * x)
{
  *x += GOLDEN_GAMMA;
  return mix64 (*x);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
static guint64
next_u64 (GstRiftNoise * noise)
{
  guint64 *s = noise->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

void
gst_rift_noise_init (GstRiftNoise * noise, guint64 seed, guint64 stream)
{
  guint64 x = seed ^ mix64 (stream);
  guint i;

  /* splitmix64 never gives four zero words, which xoshiro cannot leave */
  for (i = 0; i < 4; i++)
    noise->s[i] = splitmix64_next (&x);
  noise->have_spare = FALSE;
  noise->spare = 0.0;
}

static gdouble
next_normal (GstRiftNoise * noise)
{
  gdouble u1, u2, r;

  if (noise->have_spare) {
    noise->have_spare = FALSE;
    return noise->spare;
  }
  /* 53-bit uniforms: u1 in (0, 1] so that log (u1) is finite, u2 in [0, 1) */
  u1 = ((next_u64 (noise) >> 11) + 1) * (1.0 / 9007199254740992.0);
  u2 = (next_u64 (noise) >> 11) * (1.0 / 9007199254740992.0);
  r = sqrt (-2.0 * log (u1));
  noise->spare = r * sin (2.0 * G_PI * u2);
  noise->have_spare = TRUE;
  return r * cos (2.0 * G_PI * u2);
}

void
gst_rift_noise_fill (GstRiftNoise * noise, gfloat * out, gsize n, gfloat scale)
{
  gsize i;

  if (scale == 0.0f) {
    memset (out, 0, n * sizeof (gfloat));
    return;
  }
  for (i = 0; i < n; i++)
    out[i] = (gfloat) next_normal (noise) * scale;
}

void
gst_rift_noise_fill_uniform (GstRiftNoise * noise, gfloat * out, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++)
    out[i] = (gfloat) (next_u64 (noise) >> 40) * (1.0f / 16777216.0f);
}
