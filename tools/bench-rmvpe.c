/* bench-rmvpe.c — `rift-tool bench rmvpe`: the f0 of one segment as riftf0
 * computes it (16 kHz resampling, log-mel, E2E0, decode, post-processing onto
 * the mel grid), with a random E2E0 of upstream's size: E2E0(4, 1, (2, 2)),
 * i.e. 5 levels from 16 channels, 4 ConvBlockRes per layer, 4 intermediate
 * layers, one BiGRU of 256, 360 classes. */
#include "bench.h"

#include <math.h>
#include <stdio.h>

#define N_MELS 128 /* upstream's constants: the mel image width, */
#define CNN_CH 3   /* the output conv's channels, */
#define GRU_H 256  /* the BiGRU's width per direction, */
#define CLASSES 360
#define LEVELS 5 /* E2E0's defaults: en_de_layers, */
#define INTER 4  /* inter_layers */
#define PAD 32   /* mel2hidden pads the frames to a multiple of 32 */

/* BatchNorm2d(C) at base: near-identity statistics */
static void add_bn(bench_weights *wb, const char *base, int64_t C)
{
    static const char *const field[] = {"weight", "bias", "running_mean", "running_var"};
    static const double mean[] = {1.0, 0.0, 0.0, 1.0}, std[] = {0.1, 0.1, 0.1, 0.1};
    for (guint i = 0; i < G_N_ELEMENTS(field); i++) {
        char *n = g_strdup_printf("%s.%s", base, field[i]);
        bench_weights_add(wb, n, 1, &C, std[i], mean[i]);
        g_free(n);
    }
}

/* conv weight [cout, cin, k, k] ~ N(0, 2/fan_in) (He: the ReLUs halve it) */
static void add_conv(bench_weights *wb, const char *name, int64_t cout, int64_t cin, int64_t k)
{
    bench_weights_add(wb, name, 4, (int64_t[]){cout, cin, k, k}, sqrt(2.0 / (double)(cin * k * k)),
                      0.0);
}

/* ConvBlockRes(cin, cout) at p: conv.0, conv.1 (BN), conv.3, conv.4 (BN),
 * and a 1×1 shortcut with bias when cin != cout */
static void add_res_block(bench_weights *wb, const char *p, int64_t cin, int64_t cout)
{
    char *n = NULL;
#define NAME(fmt) (g_free(n), n = g_strdup_printf(fmt, p))
    add_conv(wb, NAME("%s.conv.0.weight"), cout, cin, 3);
    add_bn(wb, NAME("%s.conv.1"), cout);
    add_conv(wb, NAME("%s.conv.3.weight"), cout, cout, 3);
    add_bn(wb, NAME("%s.conv.4"), cout);
    if (cin != cout) {
        add_conv(wb, NAME("%s.shortcut.weight"), cout, cin, 1);
        bench_weights_add(wb, NAME("%s.shortcut.bias"), 1, &cout, 0.1, 0.0);
    }
#undef NAME
    g_free(n);
}

rift_rmvpe *bench_random_rmvpe(const bench_args *a, rift_backend *be, GError **err)
{
    const int64_t C0 = a->rmvpe_channels, nb = a->rmvpe_blocks;
    bench_weights wb;
    bench_weights_init(&wb, "model/", 5678);
    char p[96];
    add_bn(&wb, "unet.encoder.bn", 1);
    for (int l = 0; l < LEVELS; l++)
        for (int b = 0; b < nb; b++) {
            g_snprintf(p, sizeof p, "unet.encoder.layers.%d.conv.%d", l, b);
            add_res_block(&wb, p, b ? C0 << l : l ? C0 << (l - 1) : 1, C0 << l);
        }
    for (int l = 0; l < INTER; l++)
        for (int b = 0; b < nb; b++) {
            g_snprintf(p, sizeof p, "unet.intermediate.layers.%d.conv.%d", l, b);
            add_res_block(&wb, p, l || b ? C0 << LEVELS : C0 << (LEVELS - 1), C0 << LEVELS);
        }
    for (int i = 0; i < LEVELS; i++) {
        const int64_t C = C0 << (LEVELS - 1 - i);
        /* ConvTranspose2d(2C, C, 3, stride 2): weight [in, out, 3, 3] */
        g_snprintf(p, sizeof p, "unet.decoder.layers.%d.conv1.0.weight", i);
        bench_weights_add(&wb, p, 4, (int64_t[]){2 * C, C, 3, 3}, sqrt(2.0 / (4.5 * C)), 0.0);
        g_snprintf(p, sizeof p, "unet.decoder.layers.%d.conv1.1", i);
        add_bn(&wb, p, C);
        for (int b = 0; b < nb; b++) {
            g_snprintf(p, sizeof p, "unet.decoder.layers.%d.conv2.%d", i, b);
            add_res_block(&wb, p, b ? C : 2 * C, C);
        }
    }
    add_conv(&wb, "cnn.weight", CNN_CH, C0, 3);
    bench_weights_add(&wb, "cnn.bias", 1, (int64_t[]){CNN_CH}, 0.1, 0.0);
    for (int d = 0; d < 2; d++) {
        const char *sfx = d ? "_reverse" : "";
        const double k = 1.0 / sqrt(GRU_H); /* nn.GRU's U(±1/sqrt(H)) as a normal */
        g_snprintf(p, sizeof p, "fc.0.gru.weight_ih_l0%s", sfx);
        bench_weights_add(&wb, p, 2, (int64_t[]){3 * GRU_H, CNN_CH * N_MELS},
                          1.0 / sqrt(CNN_CH * N_MELS), 0.0);
        g_snprintf(p, sizeof p, "fc.0.gru.weight_hh_l0%s", sfx);
        bench_weights_add(&wb, p, 2, (int64_t[]){3 * GRU_H, GRU_H}, k, 0.0);
        g_snprintf(p, sizeof p, "fc.0.gru.bias_ih_l0%s", sfx);
        bench_weights_add(&wb, p, 1, (int64_t[]){3 * GRU_H}, k, 0.0);
        g_snprintf(p, sizeof p, "fc.0.gru.bias_hh_l0%s", sfx);
        bench_weights_add(&wb, p, 1, (int64_t[]){3 * GRU_H}, k, 0.0);
    }
    bench_weights_add_linear(&wb, "fc.1", CLASSES, 2 * GRU_H);

    rift_rmvpe *r = NULL;
    char *dir = bench_tmpdir_new(err);
    char *path = dir ? g_build_filename(dir, "model.safetensors", NULL) : NULL;
    if (dir && bench_weights_write(&wb, path, err))
        r = rift_rmvpe_load_file(path, be, err);
    g_free(path);
    if (dir)
        bench_tmpdir_remove(dir);
    bench_weights_clear(&wb);
    return r;
}

/* 2·k²·cin·cout per output pixel */
static double conv2d(int64_t k, int64_t cin, int64_t cout, int64_t H, int64_t W)
{
    return 2.0 * (double)(k * k * cin * cout) * (double)(H * W);
}

/* ConvBlockRes: two 3×3 convs and the 1×1 shortcut */
static double res_block(int64_t cin, int64_t cout, int64_t H, int64_t W)
{
    return conv2d(3, cin, cout, H, W) + conv2d(3, cout, cout, H, W) +
           (cin != cout ? conv2d(1, cin, cout, H, W) : 0.0);
}

/* E2E0 on the T32 × n_mels image: level l of the U-Net at (T32, M) / 2^l,
 * the transposed convs counted per input pixel (2·9·cin·cout each), then
 * the output conv, the BiGRU (input and recurrent products per frame and
 * direction) and the Linear, all over T32 frames */
double bench_rmvpe_flops(const rift_rmvpe_hparams *hp, int64_t n44)
{
    const int64_t n16 = (int64_t)ceil((double)n44 * RIFT_RMVPE_SAMPLE_RATE / BENCH_RATE);
    const int64_t T16 = rift_rmvpe_n_frames(n16), T = (T16 + PAD - 1) / PAD * PAD;
    const int64_t M = hp->n_mels, L = hp->en_de_layers, nb = hp->n_blocks, C0 = hp->en_out_channels;
    double f = 0.0;
    for (int64_t l = 0; l < L; l++)
        for (int64_t b = 0; b < nb; b++)
            f += res_block(b ? C0 << l : l ? C0 << (l - 1) : hp->in_channels, C0 << l, T >> l,
                           M >> l);
    for (int64_t l = 0; l < hp->inter_layers; l++)
        for (int64_t b = 0; b < nb; b++)
            f += res_block(l || b ? C0 << L : C0 << (L - 1), C0 << L, T >> L, M >> L);
    for (int64_t i = 0; i < L; i++) {
        const int64_t C = C0 << (L - 1 - i), s = L - 1 - i;
        f += conv2d(3, 2 * C, C, T >> (s + 1), M >> (s + 1));
        for (int64_t b = 0; b < nb; b++)
            f += res_block(b ? C : 2 * C, C, T >> s, M >> s);
    }
    f += conv2d(3, C0, hp->cnn_channels, T, M);
    const int64_t H = hp->gru_hidden;
    for (int64_t l = 0; l < hp->n_gru; l++) {
        const int64_t in = l ? 2 * H : hp->cnn_channels * M;
        f += 2 /* directions */ * 2.0 * (double)T * (double)(3 * H) * (double)(in + H);
    }
    return f + 2.0 * (double)T * (double)(2 * H * hp->n_classes);
}

typedef struct {
    rift_rmvpe *r;
    const float *audio;
    int64_t n;
    float *f0;
    gboolean ok;
} rmvpe_run;

static void run_rmvpe(gpointer data)
{
    rmvpe_run *s = data;
    s->ok = rift_rmvpe_f0_44k(s->r, s->audio, s->n, 0.0, RIFT_RMVPE_THRED, s->f0, NULL);
}

int bench_rmvpe(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_rmvpe *r = bench_random_rmvpe(a, be, &err);
    if (!r) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_rmvpe_hparams *hp = rift_rmvpe_get_hparams(r);
    rmvpe_run s = {.r = r, .n = (int64_t)(a->seconds * BENCH_RATE)};
    float *audio = g_new(float, s.n);
    bench_singing(audio, 0, s.n);
    s.audio = audio;
    s.f0 = g_new(float, s.n / BENCH_HOP);
    const double t = bench_time_median(run_rmvpe, &s, a->runs);
    bench_report rep;
    bench_report_begin(&rep, "rmvpe", a->json);
    bench_report_num(&rep, "channels", (double)hp->en_out_channels, "%.0f");
    bench_report_num(&rep, "blocks", (double)hp->n_blocks, "%.0f");
    bench_report_num(&rep, "seconds", a->seconds, "%.2f");
    bench_report_speed(&rep, t, bench_rmvpe_flops(hp, s.n), peak, a->seconds);
    bench_report_str(&rep, "ok", s.ok ? "yes" : "no");
    bench_report_machine(&rep, be, peak);
    bench_report_end(&rep);
    g_free(audio);
    g_free(s.f0);
    rift_rmvpe_free(r);
    return s.ok ? 0 : 1;
}
