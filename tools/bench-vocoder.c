/* bench-vocoder.c — `rift-tool bench vocoder`: NSF-HiFiGAN on one segment's
 * mel and f0, with a random generator of the size RIFT-SVC ships
 * (nsf_hifigan_44.1k_hop512_128bin_2024.02): 128 mels, upsample_initial_channel
 * 512, resblock "1", upsample_rates [8,8,2,2,2], upsample_kernel_sizes
 * [16,16,4,4,4], resblock_kernel_sizes [3,7,11], dilations [[1,3,5]] x 3. */
#include "bench.h"
#include "mel.h"

#include <math.h>
#include <stdio.h>

#define N_MELS 128
#define STAGES 5
#define KERNELS 3
#define DILATIONS 3
#define CONV_PRE_K 7
#define HARMONICS 9 /* upstream's harmonic_num 8, plus the fundamental */

static const int64_t up_rate[STAGES] = {8, 8, 2, 2, 2};
static const int64_t up_kernel[STAGES] = {16, 16, 4, 4, 4};
static const int64_t rb_kernel[KERNELS] = {3, 7, 11};

/* the config.json keys models.py reads */
static char *config_json(const bench_args *a)
{
    return g_strdup_printf("{\"sampling_rate\": 44100, \"num_mels\": %d, "
                           "\"upsample_initial_channel\": %" G_GINT64_FORMAT ", "
                           "\"resblock\": \"1\", \"upsample_rates\": [8, 8, 2, 2, 2], "
                           "\"upsample_kernel_sizes\": [16, 16, 4, 4, 4], "
                           "\"resblock_kernel_sizes\": [3, 7, 11], "
                           "\"resblock_dilation_sizes\": [[1, 3, 5], [1, 3, 5], [1, 3, 5]]}\n",
                           N_MELS, a->vocoder_channels);
}

rift_vocoder *bench_random_vocoder(const bench_args *a, rift_backend *be, GError **err)
{
    const int64_t C0 = a->vocoder_channels;
    bench_weights wb;
    bench_weights_init(&wb, "generator/", 3456);
    char p[96];
    /* weight norm with g = 1 per output row: each weight ~ 1/sqrt(fan-in) */
    bench_weights_add_normed(&wb, "conv_pre", C0, N_MELS, CONV_PRE_K, 1.0, C0);
    int64_t s = 1;
    for (int i = 0; i < STAGES; i++)
        s *= up_rate[i];
    for (int i = 0; i < STAGES; i++) {
        const int64_t cin = C0 >> i, c = C0 >> (i + 1);
        s /= up_rate[i]; /* noise_convs[i]: stride prod(rates[i+1:]), kernel 2s (1 at the end) */
        g_snprintf(p, sizeof p, "ups.%d", i);
        bench_weights_add_normed(&wb, p, cin, c, up_kernel[i], 1.0, c);
        g_snprintf(p, sizeof p, "noise_convs.%d.weight", i);
        const int64_t nk = i + 1 < STAGES ? 2 * s : 1;
        bench_weights_add(&wb, p, 3, (int64_t[]){c, 1, nk}, 1.0 / sqrt((double)nk), 0.0);
        g_snprintf(p, sizeof p, "noise_convs.%d.bias", i);
        bench_weights_add(&wb, p, 1, &c, 0.1, 0.0);
        for (int j = 0; j < KERNELS; j++)
            for (int m = 0; m < DILATIONS; m++)
                for (int k = 1; k <= 2; k++) {
                    g_snprintf(p, sizeof p, "resblocks.%d.convs%d.%d", i * KERNELS + j, k, m);
                    bench_weights_add_normed(&wb, p, c, c, rb_kernel[j], 1.0, c);
                }
    }
    bench_weights_add_normed(&wb, "conv_post", 1, C0 >> STAGES, CONV_PRE_K, 1.0, 1);
    bench_weights_add(&wb, "m_source.l_linear.weight", 2, (int64_t[]){1, HARMONICS}, 0.3, 0.0);
    bench_weights_add(&wb, "m_source.l_linear.bias", 1, (int64_t[]){1}, 0.0, 0.0);

    rift_vocoder *voc = NULL;
    char *dir = bench_tmpdir_new(err);
    char *path = dir ? g_build_filename(dir, "model.ckpt", NULL) : NULL;
    char *cfg = dir ? g_build_filename(dir, "config.json", NULL) : NULL, *json = config_json(a);
    if (dir && bench_weights_write(&wb, path, err) && g_file_set_contents(cfg, json, -1, err))
        voc = rift_vocoder_load(path, be, err);
    g_free(path);
    g_free(cfg);
    g_free(json);
    if (dir)
        bench_tmpdir_remove(dir);
    bench_weights_clear(&wb);
    return voc;
}

/* conv_pre, then per stage the transposed conv (2·k·cin·cout per input
 * frame), the noise conv (2·k·cout per output sample) and the resblocks'
 * dilated convs (2·k·c² per output sample each), conv_post, and the source's
 * Linear over the harmonics */
double bench_vocoder_flops(const rift_vocoder_hparams *hp, int64_t T)
{
    int64_t L = T, s = hp->upp;
    double f = 2.0 * CONV_PRE_K * (double)(hp->n_mels * hp->initial_channel) * (double)T;
    const int convs = hp->resblock == 1 ? 2 : 1;
    for (int i = 0; i < hp->n_stages; i++) {
        const double cin = (double)(hp->initial_channel >> i);
        const double c = (double)(hp->initial_channel >> (i + 1));
        f += 2.0 * (double)hp->upsample_kernels[i] * cin * c * (double)L;
        L *= hp->upsample_rates[i];
        s /= hp->upsample_rates[i];
        f += 2.0 * (double)(i + 1 < hp->n_stages ? 2 * s : 1) * c * (double)L;
        for (int j = 0; j < hp->n_kernels; j++)
            f += 2.0 * (double)(convs * hp->n_dilations * hp->resblock_kernels[j]) * c * c *
                 (double)L;
    }
    f += 2.0 * CONV_PRE_K * (double)(hp->initial_channel >> hp->n_stages) * (double)L;
    return f + 2.0 * (double)hp->n_harmonics * (double)L;
}

typedef struct {
    rift_vocoder *voc;
    rift_vocoder_input in;
    float *audio;
    gboolean ok;
} vocoder_run;

static void run_vocoder(gpointer data)
{
    vocoder_run *s = data;
    s->ok = rift_vocoder_forward(s->voc, &s->in, s->audio, NULL, NULL);
}

int bench_vocoder(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_vocoder *voc = bench_random_vocoder(a, be, &err);
    if (!voc) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(voc);
    /* the mel and f0 of synthetic singing */
    const int64_t n = (int64_t)(a->seconds * BENCH_RATE);
    const rift_mel_params mp = rift_mel_params_default();
    rift_mel *mel = rift_mel_new(be, &mp, NULL);
    const int64_t T = MAX(rift_mel_n_frames(mel, n), 1);
    float *audio = g_new0(float, MAX(n, T * BENCH_HOP)), *m = g_new(float, T * N_MELS);
    float *f0 = g_new(float, T);
    bench_singing(audio, 0, n);
    rift_mel_compute(mel, audio, MAX(n, T * BENCH_HOP), m, NULL, NULL);
    rift_mel_free(mel);
    for (int64_t t = 0; t < T; t++)
        f0[t] = (float)bench_singing_f0(0, t);
    vocoder_run s = {.voc = voc, .in = {.B = 1, .T = T, .mel = m, .f0 = f0}};
    s.audio = g_new(float, T * hp->upp);
    const double t = bench_time_median(run_vocoder, &s, a->runs);
    bench_report rep;
    bench_report_begin(&rep, "vocoder", a->json);
    bench_report_num(&rep, "channels", (double)hp->initial_channel, "%.0f");
    bench_report_num(&rep, "frames", (double)T, "%.0f");
    bench_report_speed(&rep, t, bench_vocoder_flops(hp, T), peak,
                       (double)(T * hp->upp) / BENCH_RATE);
    bench_report_str(&rep, "ok", s.ok ? "yes" : "no");
    bench_report_machine(&rep, be, peak);
    bench_report_end(&rep);
    g_free(audio);
    g_free(m);
    g_free(f0);
    g_free(s.audio);
    rift_vocoder_free(voc);
    return s.ok ? 0 : 1;
}
