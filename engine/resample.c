/* resample.c — see resample.h. */
#include "resample.h"

#include "rift-error.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#define ROLLOFF 0.99

struct rift_resampler {
    int64_t orig, new_; /* rates divided by their gcd */
    int64_t width;      /* zero padding on the left, in input samples */
    int64_t taps;       /* 2·width + orig */
    float *kernel;      /* [new_, taps] */
};

static int64_t gcd(int64_t a, int64_t b)
{
    while (b) {
        const int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* torchaudio _get_sinc_resample_kernel, operation by operation:
 *   idx = arange(−width, width + orig, dtype=float64) / orig
 *   t   = arange(0, −new, −1) / new      (int64 / int: float32)
 *         + idx                          (promoted to float64)
 *   t   = clamp(t · base, −w, w);  window = cos(t·π/w/2)²;  t *= π
 *   k   = where(t == 0, 1, sin(t)/t) · (window · base/orig)  -> float32 */
static void build_kernel(rift_resampler *r, int lw)
{
    const double base = (double)MIN(r->orig, r->new_) * ROLLOFF;
    const double scale = base / (double)r->orig;
    r->kernel = g_new(float, r->new_ * r->taps);
    for (int64_t j = 0; j < r->new_; j++) {
        const float phase = (float)(-j) / (float)r->new_;
        for (int64_t m = 0; m < r->taps; m++) {
            double t = (double)phase + (double)(m - r->width) / (double)r->orig;
            t = CLAMP(t * base, (double)-lw, (double)lw);
            const double c = cos(t * G_PI / lw / 2.0);
            const double window = c * c;
            t *= G_PI;
            const double sinc = t == 0.0 ? 1.0 : sin(t) / t;
            r->kernel[j * r->taps + m] = (float)(sinc * (window * scale));
        }
    }
}

rift_resampler *rift_resampler_new(int orig_rate, int new_rate, int lowpass_filter_width,
                                   GError **err)
{
    if (orig_rate <= 0 || new_rate <= 0 || lowpass_filter_width < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "%s: need positive rates and a lowpass filter width >= 1 (got %d -> %d Hz, "
                    "width %d)",
                    __func__, orig_rate, new_rate, lowpass_filter_width);
        return NULL;
    }
    rift_resampler *r = g_new0(rift_resampler, 1);
    const int64_t g = gcd(orig_rate, new_rate);
    r->orig = orig_rate / g;
    r->new_ = new_rate / g;
    const double base = (double)MIN(r->orig, r->new_) * ROLLOFF;
    r->width = (int64_t)ceil((double)(lowpass_filter_width * r->orig) / base);
    r->taps = 2 * r->width + r->orig;
    build_kernel(r, lowpass_filter_width);
    return r;
}

void rift_resampler_free(rift_resampler *r)
{
    if (!r)
        return;
    g_free(r->kernel);
    g_free(r);
}

const float *rift_resampler_kernel(const rift_resampler *r, int64_t *phases, int64_t *taps)
{
    *phases = r->new_;
    *taps = r->taps;
    return r->kernel;
}

int64_t rift_resampler_out_len(const rift_resampler *r, int64_t n)
{
    return n > 0 ? (n * r->new_ + r->orig - 1) / r->orig : 0;
}

void rift_resampler_process(const rift_resampler *r, const float *in, int64_t n, float *out)
{
    const int64_t n_out = rift_resampler_out_len(r, n);
    if (n_out == 0)
        return;
    /* torchaudio's conv1d(stride orig) has n/orig + 1 output blocks of new
     * samples; block i reads padded[orig·i, orig·i + taps). Read as rows of
     * orig samples, that window is rows i .. i + slices − 1, so the blocks
     * are Σ_q rows[i + q] · kernel[:, q·orig .. q·orig + len_q]ᵀ. */
    const int64_t blocks = n / r->orig + 1, slices = (r->taps + r->orig - 1) / r->orig;
    float *padded = g_new0(float, (blocks + slices) * r->orig);
    float *full = g_new(float, blocks * r->new_);
    memcpy(padded + r->width, in, n * sizeof(float));
    for (int64_t q = 0; q < slices; q++) {
        const int64_t len = MIN(r->orig, r->taps - q * r->orig);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)blocks, (blasint)r->new_,
                    (blasint)len, 1.0f, padded + q * r->orig, (blasint)r->orig,
                    r->kernel + q * r->orig, (blasint)r->taps, q ? 1.0f : 0.0f, full,
                    (blasint)r->new_);
    }
    memcpy(out, full, n_out * sizeof(float));
    g_free(full);
    g_free(padded);
}
