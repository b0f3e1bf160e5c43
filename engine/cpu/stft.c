/* stft.c — framing, windowed real FFT, magnitude and RMS on the CPU.
 *
 * The FFT is KissFFT's real transform (the library GstFFT wraps; BSD
 * licensed, in Debian). A kiss_fftr plan keeps scratch space inside it, so
 * each OpenMP thread makes its own plan for the call. */
#include "cpu-ops.h"
#include "reflect.h"

#include <kiss_fftr.h>
#include <math.h>
#include <glib.h>

void rift_cpu_reflect_pad(rift_backend *be, float *out, const float *x, int64_t n, int64_t pad)
{
    for (int64_t i = 0; i < n + 2 * pad; i++)
        out[i] = x[rift_reflect_index(i - pad, n)];
}

void rift_cpu_stft_magnitude(rift_backend *be, float *mag, const float *x, int64_t T,
                             int64_t n_fft, int64_t hop, const float *window, float eps)
{
    const int64_t n_bins = n_fft / 2 + 1;
#pragma omp parallel
    {
        kiss_fftr_cfg plan = kiss_fftr_alloc((int)n_fft, 0, NULL, NULL);
        float *frame = g_new(float, n_fft);
        kiss_fft_cpx *spec = g_new(kiss_fft_cpx, n_bins);
#pragma omp for schedule(static)
        for (int64_t t = 0; t < T; t++) {
            const float *src = x + t * hop;
            for (int64_t i = 0; i < n_fft; i++)
                frame[i] = src[i] * window[i];
            kiss_fftr(plan, frame, spec);
            float *row = mag + t * n_bins;
            for (int64_t k = 0; k < n_bins; k++)
                row[k] = sqrtf(spec[k].r * spec[k].r + spec[k].i * spec[k].i + eps);
        }
        g_free(spec);
        g_free(frame);
        kiss_fftr_free(plan);
    }
}

void rift_cpu_log_clamp(rift_backend *be, float *x, int64_t n, float floor)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; i++)
        x[i] = logf(x[i] > floor ? x[i] : floor); /* NaN stays NaN, as torch.clamp */
}

void rift_cpu_frame_rms(rift_backend *be, float *out, const float *x, int64_t T, int64_t win,
                        int64_t hop)
{
    /* each window summed on its own (in double): no running sum, so no
     * drift over hours of audio and bit-identical frames wherever they start */
#pragma omp parallel for schedule(static)
    for (int64_t t = 0; t < T; t++) {
        const float *src = x + t * hop;
        double acc = 0.0;
        for (int64_t i = 0; i < win; i++)
            acc += (double)src[i] * src[i];
        out[t] = (float)sqrt(acc / (double)win);
    }
}
