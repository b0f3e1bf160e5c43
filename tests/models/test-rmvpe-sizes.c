/* test-rmvpe-sizes.c — RMVPE at model sizes other than the fixture's
 * (tests/fixtures/rmvpe is one tiny E2E0(1, 1, (2, 2), 5, 4, 1, 2) with
 * the fixed BiGRU(384, 256) and 360 classes), so that nothing in the loader
 * or the forward quietly depends on those sizes.
 *
 * For one configuration (argv[1]) the test
 *   1. writes `torch.save({'model': E2E0(...).state_dict()})` with seeded
 *      random weights, every tensor a real checkpoint has, in its order: the
 *      BatchNorms' num_batches_tracked int64 scalars and the TimbreFilter
 *      (unet.tf.*) the forward never uses included; every BatchNorm a
 *      non-trivial affine map (random running statistics, weight and bias);
 *   2. loads it and checks the sizes the engine derives from the tensors;
 *   3. compares rift_rmvpe_hidden_from_mel on a random log-mel [T, 128] with
 *      a naive double-precision E2E0 written here from
 *      tests/fixtures/rmvpe/README.md ("Exact algorithm" 3 and 4): hidden
 *      max-abs 2e-5, rel-L2 3e-5; the BiGRU input and output (debug hook,
 *      T32 rows) rel-L2 3e-5;
 *   4. checks that a copy without one BatchNorm statistic is refused with a
 *      message naming the tensor.
 * The reference reads the weights from the arrays generated here, never
 * through the engine. `test-rmvpe-sizes reference` checks the reference
 * itself: on the fixture's model and stored mel it must give upstream's
 * hidden (max-abs 2e-5, rel-L2 3e-5), gru_in and gru_out (rel-L2 1e-5).
 *
 * Usage: test-rmvpe-sizes CONFIG [cpu|cuda] | reference   (CONFIG: see `configs`)
 */
#include "rmvpe.h"
#include "synth.h"
#include "testutil.h"
#include "torchzip.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define N_MELS 128  /* upstream's constants: the mel image width, */
#define CNN_CH 3    /* the cnn's output channels */
#define BN_EPS 1e-5 /* BatchNorm2d's default */
#define PAD 32      /* mel2hidden pads the frames to a multiple of 32 */
#define N_T 2

typedef struct {
    const char *name;
    int64_t n_blocks, en_de_layers, inter_layers, en_out; /* E2E0's arguments */
    int64_t n_gru, gru_hidden, n_classes; /* upstream: 1, 256, 360 */
    int64_t T[N_T];                       /* frames of the forward runs (0 = unused) */
    const char *omit;                     /* the tensor the refused copy lacks */
} rconfig;

static const rconfig configs[] = {
    /* three levels of two blocks, two intermediate layers, a narrow BiGRU;
     * T 64 needs no padding */
    {"l3c4", 2, 3, 2, 4, 1, 32, 360, {45, 64},
     "unet.intermediate.layers.1.conv.1.conv.4.running_mean"},
    /* upstream's five levels with one block and one intermediate layer,
     * odd channels, two stacked BiGRU layers, 97 classes; T 1 is all padding
     * but one frame */
    {"l5c3", 1, 5, 1, 3, 2, 24, 97, {45, 1}, "fc.0.gru.bias_hh_l1_reverse"},
    /* one level of three blocks, three intermediate layers */
    {"l1c5", 3, 1, 3, 5, 1, 16, 360, {45, 33}, "unet.decoder.layers.0.conv1.1.running_var"},
};

/* ---- the synthetic model ------------------------------------------------- */

typedef struct {
    const rconfig *cfg;
    synth_tensors *t; /* in state_dict order */
    GRand *calibrate;    /* set while calibrate() sets the BatchNorm statistics */
} model;

/* Channels of encoder level l: en_out_channels · 2^l. */
static int64_t level_ch(const rconfig *c, int64_t l)
{
    return c->en_out << l;
}

/* BatchNorm2d(C) at `base`: weight U(0.6, 1.4), bias N(0, 0.2²), running
 * mean N(mean, sd²), running var var·exp(0.4·N(0, 1)), num_batches_tracked. */
static void add_bn(model *m, GRand *r, int64_t C, double mean, double sd, double var,
                   const char *base)
{
    float *rv = g_new(float, C);
    for (int64_t i = 0; i < C; i++)
        rv[i] = (float)(var * exp(0.4 * synth_normal(r)));
    synth_add(m->t, synth_uniforms(r, C, 0.6, 1.4), 1, &C, "%s.weight", base);
    synth_add(m->t, synth_normals(r, C, 0, 0.2), 1, &C, "%s.bias", base);
    synth_add(m->t, synth_normals(r, C, mean, sd), 1, &C, "%s.running_mean", base);
    synth_add(m->t, rv, 1, &C, "%s.running_var", base);
    synth_add(m->t, NULL, 0, NULL, "%s.num_batches_tracked", base)->count = 1000;
}

/* A conv weight [cout, cin, k, k] ~ N(0, gain/fan_in), fan_in = cin·k². */
static void add_conv(model *m, GRand *r, int64_t cout, int64_t cin, int64_t k, double gain,
                     const char *fmt, const char *base)
{
    synth_add(m->t, synth_normals(r, cout * cin * k * k, 0, sqrt(gain / (double)(cin * k * k))),
              4, (int64_t[]){cout, cin, k, k}, fmt, base);
}

/* ConvBlockRes(cin, cout) at `base`: conv.0, conv.1 (BN), conv.3, conv.4
 * (BN), and the 1×1 shortcut with bias when cin != cout. */
static void add_res_block(model *m, GRand *r, int64_t cin, int64_t cout, gboolean shortcut,
                          const char *fmt, ...) G_GNUC_PRINTF(6, 7);

static void add_res_block(model *m, GRand *r, int64_t cin, int64_t cout, gboolean shortcut,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *base = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *bn1 = g_strconcat(base, ".conv.1", NULL), *bn4 = g_strconcat(base, ".conv.4", NULL);
    add_conv(m, r, cout, cin, 3, 2.0, "%s.conv.0.weight", base);
    add_bn(m, r, cout, 0.3, 0.3, 1.0, bn1);
    add_conv(m, r, cout, cout, 3, 2.0, "%s.conv.3.weight", base);
    add_bn(m, r, cout, 0.3, 0.3, 1.0, bn4);
    if (shortcut && cin != cout) {
        add_conv(m, r, cout, cin, 1, 1.0, "%s.shortcut.weight", base);
        synth_add(m->t, synth_normals(r, cout, 0, 0.1), 1, &cout, "%s.shortcut.bias", base);
    }
    g_free(bn1);
    g_free(bn4);
    g_free(base);
}

/* Every tensor of E2E0(n_blocks, n_gru, (2, 2), en_de_layers, inter_layers,
 * 1, en_out_channels).state_dict(), with the BiGRU's width and the class
 * count of the config, in the order torch saves them. */
static model *model_new(const rconfig *c, guint32 seed)
{
    model *m = g_new0(model, 1);
    m->cfg = c;
    m->t = synth_tensors_new();
    GRand *r = g_rand_new_with_seed(seed);
    const int64_t L = c->en_de_layers, nb = c->n_blocks, H = c->gru_hidden;

    /* the input BatchNorm sees a log-mel of about −4 ± 3 */
    add_bn(m, r, 1, -4.0, 0.5, 9.0, "unet.encoder.bn");
    for (int64_t l = 0; l < L; l++)
        for (int64_t b = 0; b < nb; b++)
            add_res_block(m, r, b ? level_ch(c, l) : l ? level_ch(c, l - 1) : 1, level_ch(c, l),
                          TRUE, "unet.encoder.layers.%d.conv.%d", (int)l, (int)b);
    for (int64_t l = 0; l < c->inter_layers; l++)
        for (int64_t b = 0; b < nb; b++)
            add_res_block(m, r, l || b ? level_ch(c, L) : level_ch(c, L - 1), level_ch(c, L),
                          TRUE, "unet.intermediate.layers.%d.conv.%d", (int)l, (int)b);
    /* TimbreFilter: one ConvBlockRes(C_l, C_l) per level, never run */
    for (int64_t l = 0; l < L; l++)
        add_res_block(m, r, level_ch(c, l), level_ch(c, l), FALSE, "unet.tf.layers.%d", (int)l);
    for (int64_t i = 0; i < L; i++) {
        const int64_t C = level_ch(c, L - 1 - i);
        char *bn = g_strdup_printf("unet.decoder.layers.%d.conv1.1", (int)i);
        /* ConvTranspose2d(2C, C): weight [in, out, 3, 3]; each output sees
         * about 2C·9/4 inputs */
        synth_add(m->t,
                  synth_normals(r, 2 * C * C * 9, 0, sqrt(2.0 / (2.0 * (double)C * 9.0 / 4.0))),
                  4, (int64_t[]){2 * C, C, 3, 3}, "unet.decoder.layers.%d.conv1.0.weight", (int)i);
        add_bn(m, r, C, 0.3, 0.3, 1.0, bn);
        g_free(bn);
        for (int64_t b = 0; b < nb; b++)
            add_res_block(m, r, b ? C : 2 * C, C, TRUE, "unet.decoder.layers.%d.conv2.%d", (int)i,
                          (int)b);
    }
    add_conv(m, r, CNN_CH, c->en_out, 3, 1.0, "%s", "cnn.weight");
    synth_add(m->t, synth_normals(r, CNN_CH, 0, 0.1), 1, (int64_t[]){CNN_CH}, "cnn.bias");
    /* nn.GRU's parameters per layer, forward then reverse; the input weights
     * fan-in scaled (U(±sqrt(3/in))), the others PyTorch's U(±1/sqrt(H)) */
    const double k = 1.0 / sqrt((double)H);
    for (int64_t l = 0; l < c->n_gru; l++)
        for (int d = 0; d < 2; d++) {
            const int64_t in = l ? 2 * H : CNN_CH * N_MELS;
            const char *sfx = d ? "_reverse" : "";
            const double a = sqrt(3.0 / (double)in);
            synth_add(m->t, synth_uniforms(r, 3 * H * in, -a, a), 2, (int64_t[]){3 * H, in},
                      "fc.0.gru.weight_ih_l%d%s", (int)l, sfx);
            synth_add(m->t, synth_uniforms(r, 3 * H * H, -k, k), 2, (int64_t[]){3 * H, H},
                      "fc.0.gru.weight_hh_l%d%s", (int)l, sfx);
            synth_add(m->t, synth_uniforms(r, 3 * H, -k, k), 1, (int64_t[]){3 * H},
                      "fc.0.gru.bias_ih_l%d%s", (int)l, sfx);
            synth_add(m->t, synth_uniforms(r, 3 * H, -k, k), 1, (int64_t[]){3 * H},
                      "fc.0.gru.bias_hh_l%d%s", (int)l, sfx);
        }
    /* logits of std ~1.5 around −1: the salience spreads over (0, 1) */
    synth_add(m->t, synth_normals(r, c->n_classes * 2 * H, 0, 2.0 / sqrt(2.0 * (double)H)), 2,
              (int64_t[]){c->n_classes, 2 * H}, "fc.1.weight");
    synth_add(m->t, synth_normals(r, c->n_classes, -1.0, 0.3), 1, (int64_t[]){c->n_classes},
              "fc.1.bias");
    g_rand_free(r);
    return m;
}

static void model_free(model *m)
{
    synth_tensors_free(m->t);
    g_free(m);
}

/* ---- the checkpoint ------------------------------------------------------ */

/* torch.save({'model': state_dict}) into `path`, as torch 1.13 writes it
 * (records under the file's stem, "model/"), without the tensor `omit`,
 * the state_dict's _metadata included. */
static char *write_checkpoint(const model *m, const char *dir, const char *file, const char *omit)
{
    static const char *const modules[] = {"",   "unet", "unet.encoder", "unet.encoder.bn", "cnn",
                                          "fc", "fc.0", "fc.0.gru",     "fc.1"};
    /* BatchNorm's _version is 2 */
    static const int64_t versions[G_N_ELEMENTS(modules)] = {1, 1, 1, 2, 1, 1, 1, 1, 1};
    char *path = g_build_filename(dir, file, NULL);
    synth_write_torch(m->t, path,
                      &(synth_torch_opts){.stem = "model", .key = "model", .omit = omit,
                                          .modules = modules, .versions = versions,
                                          .n_modules = G_N_ELEMENTS(modules)});
    return path;
}

/* ---- the reference forward (double precision, from the fixture README) --- */

/* The fixture's recipe for the running statistics of the BatchNorm at
 * `base`, seeing x [C, HW]: the batch statistics of x (one train-mode pass
 * with momentum 1: mean and unbiased variance per channel), then perturbed,
 * mean += 0.3·sd·N(0, 1), var ·= exp(0.4·N(0, 1)). */
static void calibrate_bn(const model *m, const double *x, int64_t C, int64_t HW, const char *base)
{
    float *mean = (float *)synth_weight(m->t, C, "%s.running_mean", base);
    float *var = (float *)synth_weight(m->t, C, "%s.running_var", base);
    for (int64_t c = 0; c < C; c++) {
        double s = 0.0, ss = 0.0;
        for (int64_t i = 0; i < HW; i++)
            s += x[c * HW + i];
        s /= (double)HW;
        for (int64_t i = 0; i < HW; i++)
            ss += (x[c * HW + i] - s) * (x[c * HW + i] - s);
        ss /= (double)MAX(HW - 1, 1);
        mean[c] = (float)(s + 0.3 * sqrt(ss) * synth_normal(m->calibrate));
        var[c] = (float)(MAX(ss, 1e-4) * exp(0.4 * synth_normal(m->calibrate)));
    }
}

/* Eval-mode BatchNorm2d at `base` on x [C, HW] in place:
 *   y = (x − running_mean)/sqrt(running_var + 1e-5)·weight + bias */
static void ref_bn(const model *m, double *x, int64_t C, int64_t HW, const char *base)
{
    if (m->calibrate)
        calibrate_bn(m, x, C, HW, base);
    const float *g = synth_weight(m->t, C, "%s.weight", base),
                *b = synth_weight(m->t, C, "%s.bias", base);
    const float *mean = synth_weight(m->t, C, "%s.running_mean", base);
    const float *var = synth_weight(m->t, C, "%s.running_var", base);
    for (int64_t c = 0; c < C; c++) {
        const double s = g[c] / sqrt((double)var[c] + BN_EPS);
        for (int64_t i = 0; i < HW; i++)
            x[c * HW + i] = (x[c * HW + i] - mean[c]) * s + b[c];
    }
}

/* Conv2d(cin, cout, k×k, stride 1, padding (k − 1)/2) on x [cin, H, W]:
 *   y[o, i, j] = bias[o] + Σ_c Σ_a Σ_b w[o, c, a, b]·x[c, i + a − p, j + b − p]
 * (zero outside), bias 0 when NULL. */
static void ref_conv2d(double *y, const double *x, int64_t cin, int64_t cout, int64_t Hh,
                       int64_t W, int64_t k, const float *w, const float *bias)
{
    const int64_t p = (k - 1) / 2;
    for (int64_t o = 0; o < cout; o++)
        for (int64_t i = 0; i < Hh; i++)
            for (int64_t j = 0; j < W; j++) {
                double s = bias ? bias[o] : 0.0;
                for (int64_t c = 0; c < cin; c++)
                    for (int64_t a = 0; a < k; a++) {
                        const int64_t ii = i + a - p;
                        if (ii < 0 || ii >= Hh)
                            continue;
                        for (int64_t bb = 0; bb < k; bb++) {
                            const int64_t jj = j + bb - p;
                            if (jj >= 0 && jj < W)
                                s += (double)w[((o * cin + c) * k + a) * k + bb] *
                                     x[(c * Hh + ii) * W + jj];
                        }
                    }
                y[(o * Hh + i) * W + j] = s;
            }
}

static void ref_relu(double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > 0.0 ? x[i] : 0.0;
}

/* ConvBlockRes(cin, cout) at `base` on x [cin, H, W] -> y [cout, H, W]:
 *   t = ReLU(BN1(conv3×3(x)));  t = ReLU(BN2(conv3×3(t)))   (no conv bias)
 *   y = t + (cin != cout ? conv1×1(x) + bias : x)           (no ReLU after) */
static void ref_res_block(const model *m, double *y, const double *x, int64_t cin, int64_t cout,
                          int64_t Hh, int64_t W, const char *base)
{
    const int64_t HW = Hh * W;
    double *t = g_new(double, cout * HW), *sc = g_new(double, cout * HW);
    char *bn1 = g_strconcat(base, ".conv.1", NULL), *bn4 = g_strconcat(base, ".conv.4", NULL);
    ref_conv2d(t, x, cin, cout, Hh, W, 3,
               synth_weight(m->t, cout * cin * 9, "%s.conv.0.weight", base), NULL);
    ref_bn(m, t, cout, HW, bn1);
    ref_relu(t, cout * HW);
    ref_conv2d(y, t, cout, cout, Hh, W, 3,
               synth_weight(m->t, cout * cout * 9, "%s.conv.3.weight", base), NULL);
    ref_bn(m, y, cout, HW, bn4);
    ref_relu(y, cout * HW);
    if (cin != cout) {
        ref_conv2d(sc, x, cin, cout, Hh, W, 1,
                   synth_weight(m->t, cout * cin, "%s.shortcut.weight", base),
                   synth_weight(m->t, cout, "%s.shortcut.bias", base));
        x = sc;
    }
    for (int64_t i = 0; i < cout * HW; i++)
        y[i] += x[i];
    g_free(bn1);
    g_free(bn4);
    g_free(t);
    g_free(sc);
}

/* n_blocks ConvBlockRes (the first cin -> cout, the others cout -> cout) at
 * "<fmt % layer>.<i>"; returns the output [cout, H, W] (g_free it). */
static double *ref_res_layer(const model *m, const double *x, int64_t cin, int64_t cout,
                             int64_t Hh, int64_t W, const char *fmt, int layer)
{
    const int64_t n = cout * Hh * W;
    double *cur = NULL;
    for (int64_t i = 0; i < m->cfg->n_blocks; i++) {
        double *y = g_new(double, n);
        char *prefix = g_strdup_printf(fmt, layer);
        char *base = g_strdup_printf("%s.%d", prefix, (int)i);
        ref_res_block(m, y, cur ? cur : x, cur ? cout : cin, cout, Hh, W, base);
        g_free(base);
        g_free(prefix);
        g_free(cur);
        cur = y;
    }
    return cur;
}

/* AvgPool2d(2, 2) on x [C, H, W] -> [C, H/2, W/2]: the mean of each 2×2 block */
static double *ref_avgpool(const double *x, int64_t C, int64_t Hh, int64_t W)
{
    double *y = g_new(double, C * (Hh / 2) * (W / 2));
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 0; i < Hh / 2; i++)
            for (int64_t j = 0; j < W / 2; j++) {
                const double *p = x + (c * Hh + 2 * i) * W + 2 * j;
                y[(c * (Hh / 2) + i) * (W / 2) + j] = (p[0] + p[1] + p[W] + p[W + 1]) / 4.0;
            }
    return y;
}

/* ConvTranspose2d(cin, cout, 3, stride 2, padding 1, output_padding 1, no
 * bias), weight [cin, cout, 3, 3], on x [cin, H, W] -> y [cout, 2H, 2W]:
 *   y[o, 2i − 1 + a, 2j − 1 + b] += w[c, o, a, b]·x[c, i, j]
 * (the −1 is the padding; outputs outside [0, 2H) × [0, 2W) are dropped) */
static void ref_conv_transpose(double *y, const double *x, int64_t cin, int64_t cout, int64_t Hh,
                               int64_t W, const float *w)
{
    const int64_t Ho = 2 * Hh, Wo = 2 * W;
    memset(y, 0, (size_t)(cout * Ho * Wo) * sizeof(double));
    for (int64_t c = 0; c < cin; c++)
        for (int64_t o = 0; o < cout; o++)
            for (int64_t a = 0; a < 3; a++)
                for (int64_t bb = 0; bb < 3; bb++) {
                    const double wv = w[((c * cout + o) * 3 + a) * 3 + bb];
                    for (int64_t i = 0; i < Hh; i++) {
                        const int64_t oi = 2 * i - 1 + a;
                        if (oi < 0 || oi >= Ho)
                            continue;
                        for (int64_t j = 0; j < W; j++) {
                            const int64_t oj = 2 * j - 1 + bb;
                            if (oj >= 0 && oj < Wo)
                                y[(o * Ho + oi) * Wo + oj] += wv * x[(c * Hh + i) * W + j];
                        }
                    }
                }
}

static double sigmoid(double v)
{
    return 1.0 / (1.0 + exp(-v));
}

/* One direction of GRU layer l over x [T, in] into y [T, 2H] at column
 * offset dir·H (PyTorch's gate order r, z, n):
 *   r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h
 * h0 = 0; the reverse direction runs from t = T − 1 down to 0. */
static void ref_gru_dir(const model *m, double *y, const double *x, int64_t T, int64_t in, int l,
                        int dir)
{
    const int64_t H = m->cfg->gru_hidden;
    const char *sfx = dir ? "_reverse" : "";
    const float *wi = synth_weight(m->t, 3 * H * in, "fc.0.gru.weight_ih_l%d%s", l, sfx);
    const float *wh = synth_weight(m->t, 3 * H * H, "fc.0.gru.weight_hh_l%d%s", l, sfx);
    const float *bi = synth_weight(m->t, 3 * H, "fc.0.gru.bias_ih_l%d%s", l, sfx);
    const float *bh = synth_weight(m->t, 3 * H, "fc.0.gru.bias_hh_l%d%s", l, sfx);
    double *h = g_new0(double, H), *gi = g_new(double, 3 * H), *gh = g_new(double, 3 * H);
    for (int64_t s = 0; s < T; s++) {
        const int64_t t = dir ? T - 1 - s : s;
        for (int64_t g = 0; g < 3 * H; g++) {
            double a = bi[g], c = bh[g];
            for (int64_t i = 0; i < in; i++)
                a += (double)wi[g * in + i] * x[t * in + i];
            for (int64_t i = 0; i < H; i++)
                c += (double)wh[g * H + i] * h[i];
            gi[g] = a;
            gh[g] = c;
        }
        for (int64_t i = 0; i < H; i++) {
            const double r = sigmoid(gi[i] + gh[i]);
            const double z = sigmoid(gi[H + i] + gh[H + i]);
            const double n = tanh(gi[2 * H + i] + r * gh[2 * H + i]);
            h[i] = (1.0 - z) * n + z * h[i];
            y[t * 2 * H + dir * H + i] = h[i];
        }
    }
    g_free(h);
    g_free(gi);
    g_free(gh);
}

/* mel2hidden on mel [T, N_MELS] (time-major): pad to T32 = 32·ceil(T/32)
 * frames with 0.0 (in the log domain), E2E0 on the [1, T32, 128] image,
 * keep the first T rows: hidden [T, n_classes]; gru_in [T32, 3·128] and
 * gru_out [T32, 2H] as well. */
static void ref_forward(const model *m, const float *mel, int64_t T, double *hidden,
                        double *gru_in, double *gru_out)
{
    const rconfig *c = m->cfg;
    const int64_t L = c->en_de_layers, H = c->gru_hidden, M = N_MELS;
    const int64_t T32 = (T + PAD - 1) / PAD * PAD;
    double *x = g_new0(double, T32 * M);
    for (int64_t i = 0; i < T * M; i++)
        x[i] = mel[i];
    ref_bn(m, x, 1, T32 * M, "unet.encoder.bn");

    /* encoder: the pre-pool output of each level is its skip tensor */
    double **skip = g_new0(double *, L);
    int64_t cin = 1;
    for (int64_t l = 0; l < L; l++) {
        const int64_t C = level_ch(c, l), Hh = T32 >> l, W = M >> l;
        skip[l] = ref_res_layer(m, x, cin, C, Hh, W, "unet.encoder.layers.%d.conv", (int)l);
        g_free(x);
        x = ref_avgpool(skip[l], C, Hh, W);
        cin = C;
    }
    for (int64_t l = 0; l < c->inter_layers; l++) {
        double *y = ref_res_layer(m, x, l ? level_ch(c, L) : level_ch(c, L - 1), level_ch(c, L),
                                  T32 >> L, M >> L, "unet.intermediate.layers.%d.conv", (int)l);
        g_free(x);
        x = y;
    }
    /* decoder: cat([ReLU(BN(convT(x))), skip]), then the blocks */
    for (int64_t i = 0; i < L; i++) {
        const int64_t l = L - 1 - i, C = level_ch(c, l), Hh = T32 >> l, W = M >> l, n = C * Hh * W;
        double *cat = g_new(double, 2 * n);
        char *bn = g_strdup_printf("unet.decoder.layers.%d.conv1.1", (int)i);
        ref_conv_transpose(
            cat, x, 2 * C, C, Hh / 2, W / 2,
            synth_weight(m->t, 2 * C * C * 9, "unet.decoder.layers.%d.conv1.0.weight", (int)i));
        ref_bn(m, cat, C, Hh * W, bn);
        ref_relu(cat, n);
        memcpy(cat + n, skip[l], (size_t)n * sizeof(double));
        g_free(x);
        x = ref_res_layer(m, cat, 2 * C, C, Hh, W, "unet.decoder.layers.%d.conv2", (int)i);
        g_free(cat);
        g_free(bn);
    }
    /* cnn [3, T32, M] -> gru_in[t, ch·M + bin] */
    double *cnn = g_new(double, CNN_CH * T32 * M);
    ref_conv2d(cnn, x, c->en_out, CNN_CH, T32, M, 3,
               synth_weight(m->t, CNN_CH * c->en_out * 9, "cnn.weight"),
               synth_weight(m->t, CNN_CH, "cnn.bias"));
    for (int64_t ch = 0; ch < CNN_CH; ch++)
        for (int64_t t = 0; t < T32; t++)
            for (int64_t b = 0; b < M; b++)
                gru_in[t * CNN_CH * M + ch * M + b] = cnn[(ch * T32 + t) * M + b];

    /* BiGRU layers: [forward H | backward H] each */
    double *seq = g_new(double, T32 * 2 * H);
    const double *in = gru_in;
    int64_t in_dim = CNN_CH * M;
    for (int l = 0; l < c->n_gru; l++) {
        double *out = l == c->n_gru - 1 ? gru_out : seq;
        double *src = NULL;
        if (in == out) { /* a middle layer reads its own buffer: copy it first */
            src = g_memdup2(in, (gsize)(T32 * in_dim) * sizeof(double));
            in = src;
        }
        ref_gru_dir(m, out, in, T32, in_dim, l, 0);
        ref_gru_dir(m, out, in, T32, in_dim, l, 1);
        g_free(src);
        in = out;
        in_dim = 2 * H;
    }
    /* fc.1 + sigmoid on the first T rows */
    const float *fw = synth_weight(m->t, c->n_classes * 2 * H, "fc.1.weight");
    const float *fb = synth_weight(m->t, c->n_classes, "fc.1.bias");
    for (int64_t t = 0; t < T; t++)
        for (int64_t k = 0; k < c->n_classes; k++) {
            double s = fb[k];
            for (int64_t i = 0; i < 2 * H; i++)
                s += (double)fw[k * 2 * H + i] * gru_out[t * 2 * H + i];
            hidden[t * c->n_classes + k] = sigmoid(s);
        }
    for (int64_t l = 0; l < L; l++)
        g_free(skip[l]);
    g_free(skip);
    g_free(x);
    g_free(cnn);
    g_free(seq);
}

/* Every BatchNorm the forward runs gets the statistics of a random log-mel
 * of 64 frames (calibrate_bn), each seeing the output of the layers before
 * it with their new statistics: the activations stay O(1) at any depth,
 * while every BatchNorm is still a non-trivial affine map. */
static void calibrate(model *m, guint32 seed)
{
    GRand *r = g_rand_new_with_seed(seed);
    const int64_t T = 64, H = m->cfg->gru_hidden;
    float *mel = synth_uniforms(r, T * N_MELS, -11.5, 2.0);
    double *hidden = g_new(double, T * m->cfg->n_classes);
    double *gru_in = g_new(double, T * CNN_CH * N_MELS), *gru_out = g_new(double, T * 2 * H);
    m->calibrate = r;
    ref_forward(m, mel, T, hidden, gru_in, gru_out);
    m->calibrate = NULL;
    g_rand_free(r);
    g_free(mel);
    g_free(hidden);
    g_free(gru_in);
    g_free(gru_out);
}

/* ---- the checks ----------------------------------------------------------- */

static double rms(const double *x, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s / (double)MAX(n, 1));
}

static double max_abs(const double *x, int64_t n)
{
    double s = 0.0;
    for (int64_t i = 0; i < n; i++)
        s = MAX(s, fabs(x[i]));
    return s;
}

static void check_hparams(const rconfig *c, rift_rmvpe *r)
{
    const rift_rmvpe_hparams *hp = rift_rmvpe_get_hparams(r);
    rift_test_true(hp->en_de_layers == c->en_de_layers && hp->n_blocks == c->n_blocks &&
                       hp->inter_layers == c->inter_layers && hp->in_channels == 1 &&
                       hp->en_out_channels == c->en_out && hp->n_mels == N_MELS &&
                       hp->cnn_channels == CNN_CH && hp->n_gru == c->n_gru &&
                       hp->gru_hidden == c->gru_hidden && hp->n_classes == c->n_classes,
                   "hparams: en_de_layers %d n_blocks %d inter_layers %d in %d en_out %d mels %d "
                   "cnn %d n_gru %d gru_hidden %d classes %d",
                   (int)hp->en_de_layers, (int)hp->n_blocks, (int)hp->inter_layers,
                   (int)hp->in_channels, (int)hp->en_out_channels, (int)hp->n_mels,
                   (int)hp->cnn_channels, (int)hp->n_gru, (int)hp->gru_hidden,
                   (int)hp->n_classes);
}

/* The debug hook's copies of "gru_in" and "gru_out". */
typedef struct {
    float *gru_in, *gru_out;
    int64_t in_rows, in_cols, out_rows, out_cols;
} captured;

static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    captured *cap = user;
    if (!strcmp(name, "gru_in")) {
        g_free(cap->gru_in);
        cap->gru_in = g_memdup2(data, (gsize)(rows * cols) * sizeof(float));
        cap->in_rows = rows;
        cap->in_cols = cols;
    } else if (!strcmp(name, "gru_out")) {
        g_free(cap->gru_out);
        cap->gru_out = g_memdup2(data, (gsize)(rows * cols) * sizeof(float));
        cap->out_rows = rows;
        cap->out_cols = cols;
    }
}

/* An intermediate against the reference: rel-L2 3e-5, max-abs 3e-5 of its
 * largest magnitude (the cnn output is not O(1)). */
static void check_intermediate(const char *label, const float *got, int64_t rows, int64_t cols,
                               const double *want, int64_t want_rows, int64_t want_cols)
{
    char *l = g_strdup_printf("%s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", label, want_rows,
                              want_cols);
    if (rift_test_true(got && rows == want_rows && cols == want_cols,
                       "%s: the debug hook gave [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]", l,
                       rows, cols)) {
        float *wf = synth_to_float(want, rows * cols);
        rift_test_check(l, got, wf, rows * cols, 3e-5 * MAX(1.0, max_abs(want, rows * cols)),
                        3e-5);
        g_free(wf);
    }
    g_free(l);
}

/* rift_rmvpe_hidden_from_mel on a random log-mel of T frames against the
 * reference, and the BiGRU's input and output. */
static void check_forward(const model *m, rift_rmvpe *r, GRand *rng, int64_t T)
{
    const rconfig *c = m->cfg;
    const int64_t T32 = (T + PAD - 1) / PAD * PAD, K = c->n_classes, H = c->gru_hidden;
    /* a log-mel's range: the 1e-5 floor (−11.5) to loud (+2) */
    float *mel = synth_uniforms(rng, T * N_MELS, -11.5, 2.0);
    double *want = g_new(double, T * K), *gru_in = g_new(double, T32 * CNN_CH * N_MELS);
    double *gru_out = g_new(double, T32 * 2 * H);
    ref_forward(m, mel, T, want, gru_in, gru_out);
    printf("T %" G_GINT64_FORMAT " (T32 %" G_GINT64_FORMAT "): reference gru_in rms %.3g max %.3g, "
           "gru_out rms %.3g, hidden rms %.3g\n",
           T, T32, rms(gru_in, T32 * CNN_CH * N_MELS), max_abs(gru_in, T32 * CNN_CH * N_MELS),
           rms(gru_out, T32 * 2 * H), rms(want, T * K));

    captured cap = {0};
    rift_rmvpe_set_debug(r, on_debug, &cap);
    float *got = g_new(float, T * K);
    GError *err = NULL;
    char *label = g_strdup_printf("hidden T %" G_GINT64_FORMAT " [%" G_GINT64_FORMAT
                                  ", %" G_GINT64_FORMAT "]", T, T, K);
    if (rift_test_true(rift_rmvpe_hidden_from_mel(r, mel, T, got, &err), "%s: runs%s%s", label,
                       err ? ": " : "", err ? err->message : "")) {
        float *wf = synth_to_float(want, T * K);
        rift_test_check(label, got, wf, T * K, 2e-5, 3e-5);
        g_free(wf);
        check_intermediate("gru_in", cap.gru_in, cap.in_rows, cap.in_cols, gru_in, T32,
                           CNN_CH * N_MELS);
        check_intermediate("gru_out", cap.gru_out, cap.out_rows, cap.out_cols, gru_out, T32,
                           2 * H);
    }
    rift_rmvpe_set_debug(r, NULL, NULL);
    g_clear_error(&err);
    g_free(label);
    g_free(cap.gru_in);
    g_free(cap.gru_out);
    g_free(got);
    g_free(want);
    g_free(gru_in);
    g_free(gru_out);
    g_free(mel);
}

/* A copy without c->omit must be refused, naming it. */
static void check_missing(const model *m, const char *dir, rift_backend *be)
{
    const char *omit = m->cfg->omit;
    char *path = write_checkpoint(m, dir, "missing.pt", omit);
    char *full = g_strconcat("model/", omit, NULL);
    GError *err = NULL;
    rift_rmvpe *r = rift_rmvpe_load_file(path, be, &err);
    const char *msg = err ? err->message : "(loaded)";
    rift_test_true(!r && err && strstr(msg, full) && strstr(msg, "missing"),
                   "a checkpoint without %s is refused: \"%s\"", omit, msg);
    g_clear_error(&err);
    rift_rmvpe_free(r);
    g_free(full);
    g_free(path);
}

/* The reference itself against upstream: the fixture's model read into a
 * model (no engine code), run on the stored sing_44k mel, must give the
 * stored hidden, gru_in and gru_out (README: a float64 network reproduces
 * hidden to 2.4e-6 from the stored mel). */
static const rconfig fixture_cfg = {"reference", 1, 5, 4, 2, 1, 256, 360, {0}, NULL};

static int run_reference(void)
{
    rift_weights *w = rift_test_open("rmvpe/model.pt");
    rift_weights *ref = rift_test_open("rmvpe/sing_44k.safetensors");
    if (!w || !ref) {
        rift_weights_free(w);
        rift_weights_free(ref);
        return rift_test_exit();
    }
    model *m = g_new0(model, 1);
    m->cfg = &fixture_cfg;
    m->t = synth_tensors_new();
    for (guint i = 0; i < rift_weights_count(w); i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        if (t->dtype != RIFT_F32 || !g_str_has_prefix(t->name, "model/"))
            continue;
        synth_add(m->t, rift_tensor_to_f32(t, NULL), t->ndim, t->shape, "%s", t->name + 6);
    }
    int64_t n_mel, n_hidden, n_in, n_out;
    float *mel_bt = rift_test_tensor_f32(ref, "mel", &n_mel);
    float *want = rift_test_tensor_f32(ref, "hidden", &n_hidden);
    float *want_in = rift_test_tensor_f32(ref, "gru_in", &n_in);
    float *want_out = rift_test_tensor_f32(ref, "gru_out", &n_out);
    if (mel_bt && want && want_in && want_out) {
        const int64_t T = n_mel / N_MELS, T32 = (T + PAD - 1) / PAD * PAD;
        float *mel = g_new(float, n_mel);
        for (int64_t b = 0; b < N_MELS; b++)
            for (int64_t t = 0; t < T; t++)
                mel[t * N_MELS + b] = mel_bt[b * T + t];
        double *hidden = g_new(double, T * 360), *gru_in = g_new(double, T32 * CNN_CH * N_MELS);
        double *gru_out = g_new(double, T32 * 512);
        ref_forward(m, mel, T, hidden, gru_in, gru_out);
        if (rift_test_true(n_hidden == T * 360 && n_in == T32 * CNN_CH * N_MELS &&
                               n_out == T32 * 512,
                           "sing_44k: T %" G_GINT64_FORMAT ", T32 %" G_GINT64_FORMAT, T, T32)) {
            float *f = synth_to_float(hidden, n_hidden);
            rift_test_check("reference vs upstream: hidden", f, want, n_hidden, 2e-5, 3e-5);
            g_free(f);
            f = synth_to_float(gru_in, n_in);
            rift_test_check("reference vs upstream: gru_in", f, want_in, n_in, 1e-3, 1e-5);
            g_free(f);
            f = synth_to_float(gru_out, n_out);
            rift_test_check("reference vs upstream: gru_out", f, want_out, n_out, 1e-4, 1e-5);
            g_free(f);
        }
        g_free(mel);
        g_free(hidden);
        g_free(gru_in);
        g_free(gru_out);
    }
    g_free(mel_bt);
    g_free(want);
    g_free(want_in);
    g_free(want_out);
    model_free(m);
    rift_weights_free(w);
    rift_weights_free(ref);
    return rift_test_exit();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "reference"))
        return run_reference();
    const rconfig *cfg = NULL;
    for (guint i = 0; argc > 1 && i < G_N_ELEMENTS(configs); i++)
        if (!strcmp(argv[1], configs[i].name))
            cfg = &configs[i];
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (!cfg || (argc > 2 && !rift_backend_kind_from_string(argv[2], &kind))) {
        fprintf(stderr, "usage: test-rmvpe-sizes l3c4|l5c3|l1c5 [cpu|cuda] | reference\n");
        return 2;
    }
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why)) {
        const int rc = rift_test_skip("CUDA backend: %s", why);
        g_free(why);
        return rc;
    }
    printf("config %s: E2E0(n_blocks %d, n_gru %d, (2, 2), en_de_layers %d, inter_layers %d, 1, "
           "en_out_channels %d), BiGRU %d, %d classes\n",
           cfg->name, (int)cfg->n_blocks, (int)cfg->n_gru, (int)cfg->en_de_layers,
           (int)cfg->inter_layers, (int)cfg->en_out, (int)cfg->gru_hidden, (int)cfg->n_classes);

    model *m = model_new(cfg, 20261124u + (guint32)cfg->en_out * 31u + (guint32)cfg->en_de_layers);
    calibrate(m, 5u + (guint32)cfg->en_out);
    char *dir = tz_tmpdir();
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    char *path = write_checkpoint(m, dir, "model.pt", NULL);
    rift_rmvpe *r = be ? rift_rmvpe_load_file(path, be, &err) : NULL;
    if (rift_test_true(r != NULL, "load %u tensors%s%s", m->t->list->len, err ? ": " : "",
                       err ? err->message : "")) {
        GRand *rng = g_rand_new_with_seed(11 + (guint32)cfg->en_out);
        check_hparams(cfg, r);
        for (int i = 0; i < N_T && cfg->T[i]; i++)
            check_forward(m, r, rng, cfg->T[i]);
        g_rand_free(rng);
    }
    g_clear_error(&err);
    rift_rmvpe_free(r);
    if (be)
        check_missing(m, dir, be);

    rift_backend_unref(be);
    tz_rmtree(dir);
    g_free(dir);
    g_free(path);
    model_free(m);
    return rift_test_exit();
}
