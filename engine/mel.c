/* mel.c — log-mel and RMS through the backend ops:
 *   reflect pad -> windowed rFFT magnitude -> [T,bins]·basisᵀ -> log clamp
 *   reflect pad (of the squares' source) -> rectangular-window RMS
 * The filterbank is rebuilt here the way librosa 0.11 builds it (see
 * rift_mel_filterbank); tests compare it with the stored upstream basis. */
#include "mel.h"

#include "ops.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

#define MAG_EPS 1e-9f   /* inside the sqrt, as upstream */
#define LOG_FLOOR 1e-5f /* clamp before the natural log */

struct rift_mel {
    rift_backend *be;
    rift_mel_params p;
    int64_t n_bins;
    float *basis;  /* [n_mels, n_bins], backend memory */
    float *window; /* [n_fft], backend memory */
    /* workspace, grown on demand and reused across calls */
    int64_t cap_samples, cap_frames;
    float *padded; /* [n + n_fft - hop] */
    float *audio;  /* [n] */
    float *mag;    /* [T, n_bins] */
    float *mel;    /* [T, n_mels] */
    float *rms;    /* [T] */
};

rift_mel_params rift_mel_params_default(void)
{
    return (rift_mel_params){.sample_rate = 44100,
                             .n_fft = 2048,
                             .win_length = 2048,
                             .hop = 512,
                             .n_mels = 128,
                             .fmin = 40.0,
                             .fmax = 16000.0};
}

gboolean rift_mel_params_check(const rift_mel_params *p, GError **err)
{
    const char *bad = NULL;
    if (p->sample_rate <= 0)
        bad = "sample_rate must be positive";
    else if (p->n_fft < 2 || p->n_fft % 2)
        bad = "n_fft must be even and >= 2";
    else if (p->win_length < 1 || p->win_length > p->n_fft)
        bad = "win_length must be in [1, n_fft]";
    else if (p->hop < 1 || p->hop > p->n_fft)
        bad = "hop must be in [1, n_fft]";
    else if ((p->n_fft - p->hop) % 2)
        bad = "n_fft - hop must be even (the padding is (n_fft - hop) / 2 on each side)";
    else if (p->n_mels < 1)
        bad = "n_mels must be >= 1";
    else if (!(p->fmin >= 0 && p->fmin < p->fmax && p->fmax <= p->sample_rate / 2.0))
        bad = "need 0 <= fmin < fmax <= sample_rate / 2";
    if (!bad)
        return TRUE;
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "mel parameters: %s", bad);
    return FALSE;
}

/* Slaney's mel scale (librosa htk=False): linear below 1 kHz, log above;
 * or HTK's (htk=True), librosa's formulas as written. */
static const double F_SP = 200.0 / 3.0;
static const double MIN_LOG_HZ = 1000.0;
#define MIN_LOG_MEL (MIN_LOG_HZ / F_SP)
#define LOGSTEP (log(6.4) / 27.0)

static double hz_to_mel(double f, gboolean htk)
{
    if (htk)
        return 2595.0 * log10(1.0 + f / 700.0);
    return f >= MIN_LOG_HZ ? MIN_LOG_MEL + log(f / MIN_LOG_HZ) / LOGSTEP : f / F_SP;
}

static double mel_to_hz(double m, gboolean htk)
{
    if (htk)
        return 700.0 * (pow(10.0, m / 2595.0) - 1.0);
    return m >= MIN_LOG_MEL ? MIN_LOG_HZ * exp(LOGSTEP * (m - MIN_LOG_MEL)) : F_SP * m;
}

/* numpy.linspace(start, stop, num)[i]: start + i·step, the last one exactly stop */
static double linspace_at(double start, double stop, int num, int i)
{
    if (i == num - 1)
        return stop;
    return (double)i * ((stop - start) / (double)(num - 1)) + start;
}

float *rift_mel_filterbank(const rift_mel_params *p)
{
    const int n_bins = p->n_fft / 2 + 1, n_mels = p->n_mels;
    double *mel_f = g_new(double, n_mels + 2);
    const double mlo = hz_to_mel(p->fmin, p->htk), mhi = hz_to_mel(p->fmax, p->htk);
    for (int i = 0; i < n_mels + 2; i++)
        mel_f[i] = mel_to_hz(linspace_at(mlo, mhi, n_mels + 2, i), p->htk);

    float *w = g_new0(float, (size_t)n_mels * n_bins);
    for (int m = 0; m < n_mels; m++) {
        const double enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
        for (int k = 0; k < n_bins; k++) {
            const double f = linspace_at(0.0, p->sample_rate / 2.0, n_bins, k);
            const double lower = (f - mel_f[m]) / (mel_f[m + 1] - mel_f[m]);
            const double upper = (mel_f[m + 2] - f) / (mel_f[m + 2] - mel_f[m + 1]);
            /* librosa stores the triangle as float32, then scales it in float64
             * and rounds again: two roundings, reproduced here */
            const float tri = (float)fmax(0.0, fmin(lower, upper));
            w[(size_t)m * n_bins + k] = (float)((double)tri * enorm);
        }
    }
    g_free(mel_f);
    return w;
}

float *rift_mel_window(const rift_mel_params *p)
{
    float *w = g_new0(float, p->n_fft);
    const int off = (p->n_fft - p->win_length) / 2;
    /* torch.hann_window's float32 arithmetic: ((float)i · (float)(2π/N)),
     * cosf, ·(−0.5), +0.5. Up to 2e-7 away from the exact window, which moves
     * the quiet mel bands by up to 3.5e-4, so we round as torch does. */
    const float step = (float)(2.0 * G_PI / p->win_length);
    for (int i = 0; i < p->win_length; i++)
        w[off + i] = cosf((float)i * step) * -0.5f + 0.5f;
    return w;
}

rift_mel *rift_mel_new(rift_backend *be, const rift_mel_params *p, GError **err)
{
    if (!rift_mel_params_check(p, err))
        return NULL;
    rift_mel *m = g_new0(rift_mel, 1);
    m->be = rift_backend_ref(be);
    m->p = *p;
    m->n_bins = p->n_fft / 2 + 1;

    float *basis = rift_mel_filterbank(p), *window = rift_mel_window(p);
    const size_t basis_bytes = (size_t)p->n_mels * m->n_bins * sizeof(float);
    m->basis = rift_backend_alloc(be, basis_bytes);
    m->window = rift_backend_alloc(be, (size_t)p->n_fft * sizeof(float));
    rift_backend_upload(be, m->basis, basis, basis_bytes);
    rift_backend_upload(be, m->window, window, (size_t)p->n_fft * sizeof(float));
    gboolean ok = rift_backend_sync(be, err);
    g_free(basis);
    g_free(window);
    if (!ok) {
        rift_mel_free(m);
        return NULL;
    }
    return m;
}

static void free_workspace(rift_mel *m)
{
    float **bufs[] = {&m->padded, &m->audio, &m->mag, &m->mel, &m->rms};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++) {
        rift_backend_free_mem(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->cap_samples = m->cap_frames = 0;
}

void rift_mel_free(rift_mel *m)
{
    if (!m)
        return;
    free_workspace(m);
    rift_backend_free_mem(m->be, m->basis);
    rift_backend_free_mem(m->be, m->window);
    rift_backend_unref(m->be);
    g_free(m);
}

const rift_mel_params *rift_mel_get_params(const rift_mel *m)
{
    return &m->p;
}

int64_t rift_mel_n_frames(const rift_mel *m, int64_t n_samples)
{
    return n_samples > 0 ? n_samples / m->p.hop : 0;
}

static void ensure_workspace(rift_mel *m, int64_t n, int64_t T)
{
    if (n <= m->cap_samples && T <= m->cap_frames)
        return;
    free_workspace(m);
    const int64_t pad2 = m->p.n_fft - m->p.hop;
    m->cap_samples = MAX(n, 1);
    m->cap_frames = MAX(T, 1);
    m->audio = rift_backend_alloc(m->be, m->cap_samples * sizeof(float));
    m->padded = rift_backend_alloc(m->be, (m->cap_samples + pad2) * sizeof(float));
    m->mag = rift_backend_alloc(m->be, m->cap_frames * m->n_bins * sizeof(float));
    m->mel = rift_backend_alloc(m->be, m->cap_frames * m->p.n_mels * sizeof(float));
    m->rms = rift_backend_alloc(m->be, m->cap_frames * sizeof(float));
}

gboolean rift_mel_compute(rift_mel *m, const float *audio, int64_t n, float *mel, float *rms,
                          GError **err)
{
    if (n < 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s: negative sample count", __func__);
        return FALSE;
    }
    const int64_t T = rift_mel_n_frames(m, n);
    if (T == 0)
        return TRUE;
    const int64_t pad = (m->p.n_fft - m->p.hop) / 2, n_mels = m->p.n_mels;
    rift_backend *be = m->be;
    ensure_workspace(m, n, T);

    rift_backend_upload(be, m->audio, audio, n * sizeof(float));
    rift_op_reflect_pad(be, m->padded, m->audio, n, pad);
    if (mel) {
        rift_op_stft_magnitude(be, m->mag, m->padded, T, m->p.n_fft, m->p.hop, m->window,
                               MAG_EPS);
        /* mel[T, n_mels] = mag[T, bins] · basis[n_mels, bins]ᵀ */
        rift_op_gemm(be, FALSE, TRUE, T, n_mels, m->n_bins, 1.0f, m->mag, m->n_bins, m->basis,
                     m->n_bins, 0.0f, m->mel, n_mels);
        rift_op_log_clamp(be, m->mel, T * n_mels, LOG_FLOOR);
        rift_backend_download(be, mel, m->mel, T * n_mels * sizeof(float));
    }
    if (rms) {
        rift_op_frame_rms(be, m->rms, m->padded, T, m->p.win_length, m->p.hop);
        rift_backend_download(be, rms, m->rms, T * sizeof(float));
    }
    return rift_backend_sync(be, err);
}
