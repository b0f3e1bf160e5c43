/* loudness.c — see loudness.h. Tested against pyloudnorm's values, block by
 * block, in tests/fixtures/dsp (tests/dsp/test-dsp.c). */
#include "loudness.h"

#include <math.h>
#include <string.h>

#define BLOCK_S 0.1    /* RIFT-SVC's Meter(block_size=0.1), not BS.1770's 0.4 */
#define OVERLAP 0.75
#define ABS_GATE -70.0
#define REL_GATE -10.0

/* The RBJ formulas pyloudnorm evaluates, b and a divided by a0. */
static rift_biquad rbj(const char *kind, double G, double Q, double fc, double rate)
{
    const double A = pow(10.0, G / 40.0), w0 = 2.0 * G_PI * (fc / rate);
    const double alpha = sin(w0) / (2.0 * Q), c = cos(w0), sA = sqrt(A);
    double b0, b1, b2, a0, a1, a2;
    if (!strcmp(kind, "high_shelf")) {
        b0 = A * ((A + 1) + (A - 1) * c + 2 * sA * alpha);
        b1 = -2 * A * ((A - 1) + (A + 1) * c);
        b2 = A * ((A + 1) + (A - 1) * c - 2 * sA * alpha);
        a0 = (A + 1) - (A - 1) * c + 2 * sA * alpha;
        a1 = 2 * ((A - 1) - (A + 1) * c);
        a2 = (A + 1) - (A - 1) * c - 2 * sA * alpha;
    } else { /* high_pass */
        b0 = (1 + c) / 2;
        b1 = -(1 + c);
        b2 = (1 + c) / 2;
        a0 = 1 + alpha;
        a1 = -2 * c;
        a2 = 1 - alpha;
    }
    return (rift_biquad){.b = {b0 / a0, b1 / a0, b2 / a0}, .a = {1.0, a1 / a0, a2 / a0}};
}

void rift_kweighting(double rate, rift_biquad *shelf, rift_biquad *high_pass)
{
    *shelf = rbj("high_shelf", 4.0, 1.0 / sqrt(2.0), 1500.0, rate);
    *high_pass = rbj("high_pass", 0.0, 0.5, 38.0, rate);
}

/* scipy.signal.lfilter (direct form II transposed, zero state) in double,
 * each output stored back into float32 as upstream's array is float32. */
static void biquad_f32(float *y, int64_t n, const rift_biquad *f)
{
    double z1 = 0.0, z2 = 0.0;
    for (int64_t i = 0; i < n; i++) {
        const double x = y[i];
        const double out = f->b[0] * x + z1;
        z1 = f->b[1] * x - f->a[1] * out + z2;
        z2 = f->b[2] * x - f->a[2] * out;
        y[i] = (float)out;
    }
}

double rift_loudness_lufs(const float *x, int64_t n, double rate)
{
    if (n <= 0)
        return -INFINITY;
    float *y = g_memdup2(x, n * sizeof(float));
    rift_biquad shelf, hp;
    rift_kweighting(rate, &shelf, &hp);
    biquad_f32(y, n, &shelf);
    biquad_f32(y, n, &hp);

    /* blocks of 0.1 s every 25 ms; the block bounds as pyloudnorm computes them */
    const double step = 1.0 - OVERLAP, dur = (double)n / rate;
    /* round() is NumPy's half-to-even, as rint in the default rounding mode */
    int64_t n_blocks = (int64_t)rint((dur - BLOCK_S) / (BLOCK_S * step)) + 1;
    const gboolean short_segment = dur < BLOCK_S;
    if (short_segment)
        n_blocks = 1;
    double *z = g_new(double, n_blocks);
    for (int64_t j = 0; j < n_blocks; j++) {
        const int64_t lo = (int64_t)(BLOCK_S * ((double)j * step) * rate);
        const int64_t hi = MIN((int64_t)(BLOCK_S * ((double)j * step + 1.0) * rate), n);
        double s = 0.0;
        for (int64_t i = lo; i < hi; i++)
            s += (double)y[i] * y[i];
        /* a full block's mean square; a segment shorter than a block uses its own length */
        z[j] = s / (short_segment ? (double)n : BLOCK_S * rate);
    }
    g_free(y);

    /* absolute gate, then relative gate 10 LU below the absolutely gated mean */
    double sum = 0.0;
    int64_t count = 0;
    for (int64_t j = 0; j < n_blocks; j++)
        if (-0.691 + 10.0 * log10(z[j]) >= ABS_GATE) {
            sum += z[j];
            count++;
        }
    double lufs = -INFINITY;
    if (count > 0) {
        const double rel = -0.691 + 10.0 * log10(sum / (double)count) + REL_GATE;
        sum = 0.0;
        count = 0;
        for (int64_t j = 0; j < n_blocks; j++) {
            const double l = -0.691 + 10.0 * log10(z[j]);
            if (l > rel && l > ABS_GATE) {
                sum += z[j];
                count++;
            }
        }
        if (count > 0)
            lufs = -0.691 + 10.0 * log10(sum / (double)count);
    }
    g_free(z);
    return lufs;
}

double rift_loudness_gain(double lufs, double target)
{
    return isfinite(lufs) ? pow(10.0, (target - lufs) / 20.0) : 1.0;
}

double rift_loudness_normalize(float *x, int64_t n, double rate, double target, double *gain)
{
    const double lufs = rift_loudness_lufs(x, n, rate);
    double g = rift_loudness_gain(lufs, target), peak = 0.0;
    for (int64_t i = 0; i < n; i++)
        peak = fmax(peak, fabs(x[i] * g));
    if (peak > 1.0)
        g *= 0.99 / peak;
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(x[i] * g);
    if (gain)
        *gain = g;
    return lufs;
}
