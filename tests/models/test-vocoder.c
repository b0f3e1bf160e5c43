/* test-vocoder.c — NSF-HiFiGAN at configurations other than the fixture's
 * (tests/fixtures/vocoder is one model: resblock "1", 5 stages x8 x8 x2 x2
 * x2, 64 channels), and its load errors.
 *
 * test-vocoder CONFIG [cpu|cuda], for one configuration of `configs`:
 *   1. writes model.ckpt ({'generator': OrderedDict}, torch.save zip,
 *      weight-normed layers as weight_g/weight_v) and config.json (with the
 *      training keys upstream's inference ignores) into a temporary folder;
 *   2. loads it (by the folder's name) and checks the sizes it reports;
 *   3. compares rift_vocoder_forward for a batch of two (unvoiced frames,
 *      injected rand_ini and randn, then zero noise) with a naive double
 *      forward written here from tests/fixtures/vocoder/README.md: audio
 *      max-abs 5e-5 / rel-L2 2e-5, the harmonic source and the sines
 *      max-abs 3e-5, every stage's average (debug hook) rel-L2 1e-5.
 * The weight-normed layers get g far from ‖v‖ and different for every slice
 * along dim 0, so normalising over the wrong axis — the output instead of
 * the input channels of a ConvTranspose1d — or not at all fails step 3.
 *
 * test-vocoder errors: refusals whose message must name the culprit — no
 * config.json, config values missing, mistyped or inconsistent (named by
 * key), a config that does not match the checkpoint, a damaged checkpoint,
 * a DiT checkpoint.
 */
#include "synth.h"
#include "testutil.h"
#include "torchzip.h"
#include "vocoder.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define H 9        /* SineGen(harmonic_num=8) */
#define N_ITEMS 2 /* items per forward */
#define MAX_ST 4
#define MAX_K 4

typedef struct {
    const char *name;
    int64_t rate, n_mels, C0;
    int resblock;
    int n_stages;
    int64_t rates[MAX_ST], kernels[MAX_ST];
    int n_kernels;
    int64_t rb_kernels[MAX_K];
    int n_dil;                 /* entries of each dilation list in config.json */
    int64_t dil[MAX_K][MAX_K];
    int64_t T;                 /* frames of the forward runs */
} vconfig;

static const vconfig configs[] = {
    /* ResBlock2, 3 stages (x4 x2 x2: kernels with taps past both ends), two
     * resblock kernels; dilation lists longer than the two convs use */
    {"rb2", 22050, 20, 24, 2, 3, {4, 2, 2}, {8, 4, 6}, 2, {3, 5}, 3, {{1, 2, 7}, {2, 3, 1}}, 11},
    /* ResBlock1, 2 stages x2 x6 (a noise conv of stride 6), three kernels
     * (the average divides by 3), dilation 2 on a kernel of 7 */
    {"rb1", 16000, 12, 16, 1, 2, {2, 6}, {4, 12}, 3, {3, 7, 5}, 3,
     {{1, 3, 5}, {1, 2, 4}, {2, 1, 1}}, 7},
    /* one stage with kernel = rate (no overlap), resblock kernel 1, one frame */
    {"one", 8000, 5, 6, 1, 1, {4}, {4}, 1, {1}, 3, {{1, 2, 3}}, 1},
};

/* ---- the synthetic model ------------------------------------------------- */

typedef struct {
    const vconfig *cfg;
    int n_dil_used; /* 3 (ResBlock1) or 2 (ResBlock2) */
    int64_t upp;
    synth_tensors *t; /* in state_dict order */
} model;

static int64_t chan(const model *m, int i) /* out of stage i; −1: conv_pre */
{
    return m->cfg->C0 >> (i + 1);
}

static int64_t noise_stride(const model *m, int i)
{
    int64_t s = 1;
    for (int j = i + 1; j < m->cfg->n_stages; j++)
        s *= m->cfg->rates[j];
    return s;
}

/* weight_norm(layer) with weight [d0, d1, k]: v ~ N(0, s²) with s = e^N(0,1)
 * per dim-0 slice, g = std·√(d1·k)·U(0.3, 3) — so the weight's entries are
 * ~N(0, (std·u)²) while g differs from ‖v‖ slice by slice */
static void add_normed(model *m, GRand *r, int64_t d0, int64_t d1, int64_t k, double std,
                       const char *name)
{
    const int64_t n = d1 * k;
    float *v = synth_normals(r, d0 * n, 0.0, 1.0), *g = g_new(float, d0);
    for (int64_t i = 0; i < d0; i++) {
        const double s = exp(synth_normal(r));
        for (int64_t j = 0; j < n; j++)
            v[i * n + j] *= (float)s;
        g[i] = (float)(std * sqrt((double)n) * g_rand_double_range(r, 0.3, 3.0));
    }
    synth_add(m->t, g, 3, (int64_t[]){d0, 1, 1}, "%s.weight_g", name);
    synth_add(m->t, v, 3, (int64_t[]){d0, d1, k}, "%s.weight_v", name);
}

static void add_bias(model *m, GRand *r, int64_t n, const char *name)
{
    synth_add(m->t, synth_normals(r, n, 0.0, 0.1), 1, (int64_t[]){n}, "%s.bias", name);
}

/* Generator(h)'s parameters, scaled so that activations stay O(1) */
static model *model_new(const vconfig *c, guint32 seed)
{
    model *m = g_new0(model, 1);
    m->cfg = c;
    m->n_dil_used = c->resblock == 1 ? 3 : 2;
    m->t = synth_tensors_new();
    m->upp = 1;
    for (int i = 0; i < c->n_stages; i++)
        m->upp *= c->rates[i];
    GRand *r = g_rand_new_with_seed(seed);
    char name[64];

    synth_add(m->t, synth_normals(r, H, 0.0, 2.0), 2, (int64_t[]){1, H},
              "m_source.l_linear.weight");
    add_bias(m, r, 1, "m_source.l_linear");
    for (int i = 0; i < c->n_stages; i++) {
        const int64_t ks = i + 1 < c->n_stages ? 2 * noise_stride(m, i) : 1;
        synth_add(m->t, synth_normals(r, chan(m, i) * ks, 0.0, 1.0 / sqrt((double)ks)), 3,
                  (int64_t[]){chan(m, i), 1, ks}, "noise_convs.%d.weight", i);
        g_snprintf(name, sizeof name, "noise_convs.%d", i);
        add_bias(m, r, chan(m, i), name);
    }
    add_normed(m, r, chan(m, -1), c->n_mels, 7, 1.0 / sqrt(7.0 * c->n_mels), "conv_pre");
    add_bias(m, r, chan(m, -1), "conv_pre");
    for (int i = 0; i < c->n_stages; i++) {
        const int64_t cin = chan(m, i - 1), k = c->kernels[i];
        g_snprintf(name, sizeof name, "ups.%d", i);
        add_normed(m, r, cin, chan(m, i), k, 1.0 / sqrt((double)(cin * k / c->rates[i])), name);
        add_bias(m, r, chan(m, i), name);
    }
    for (int i = 0; i < c->n_stages; i++)
        for (int j = 0; j < c->n_kernels; j++) {
            const int64_t C = chan(m, i), k = c->rb_kernels[j];
            const double std = 0.5 / sqrt((double)(C * k));
            for (int d = 0; d < m->n_dil_used; d++) {
                const int rb = i * c->n_kernels + j;
                if (c->resblock == 1) {
                    for (int s = 1; s <= 2; s++) {
                        g_snprintf(name, sizeof name, "resblocks.%d.convs%d.%d", rb, s, d);
                        add_normed(m, r, C, C, k, std, name);
                        add_bias(m, r, C, name);
                    }
                } else {
                    g_snprintf(name, sizeof name, "resblocks.%d.convs.%d", rb, d);
                    add_normed(m, r, C, C, k, std, name);
                    add_bias(m, r, C, name);
                }
            }
        }
    const int64_t cl = chan(m, c->n_stages - 1);
    add_normed(m, r, 1, cl, 7, 0.3 / sqrt(7.0 * cl), "conv_post");
    add_bias(m, r, 1, "conv_post");
    g_rand_free(r);
    return m;
}

static void model_free(model *m)
{
    synth_tensors_free(m->t);
    g_free(m);
}

/* ---- the files ----------------------------------------------------------- */

/* What to spoil in a written checkpoint (all zero: a good one). */
typedef struct {
    const char *omit;  /* leave this tensor out */
    const char *extra; /* add a tensor [2] of this name */
} damage;

/* torch.save({'generator': state_dict}) as torch 1.13 writes model.ckpt:
 * records under "model/" (the file's stem) */
static void write_checkpoint(const model *m, const char *path, const damage *dmg)
{
    synth_tensors *extra = NULL;
    if (dmg->extra) {
        extra = synth_tensors_new();
        synth_add(extra, g_new0(float, 2), 1, (int64_t[]){2}, "%s", dmg->extra);
    }
    synth_write_torch(m->t, path,
                      &(synth_torch_opts){.stem = "model", .key = "generator", .omit = dmg->omit,
                                          .extra = extra});
    if (extra)
        synth_tensors_free(extra);
}

static char *json_list(const int64_t *v, int n)
{
    GString *s = g_string_new("[");
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? ", " : "", v[i]);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

/* The JSON text that replaces `key` in config.json: the value after it in
 * `changes` (key, value, key, value, ..., NULL), NULL to leave it out, or
 * `text` itself when it is not changed */
static const char *changed(const char *const *changes, const char *key, const char *text)
{
    for (int i = 0; changes && changes[i]; i += 2)
        if (!strcmp(changes[i], key))
            return changes[i + 1];
    return text;
}

/* config.json in the openvpi key set, with `changes` (see changed()) */
static void write_config(const model *m, const char *path, const char *const *changes)
{
    const vconfig *c = m->cfg;
    GString *dl = g_string_new("[");
    for (int j = 0; j < c->n_kernels; j++) {
        char *l = json_list(c->dil[j], c->n_dil);
        g_string_append_printf(dl, "%s%s", j ? ", " : "", l);
        g_free(l);
    }
    g_string_append_c(dl, ']');
    char *rates = json_list(c->rates, c->n_stages), *kernels = json_list(c->kernels, c->n_stages);
    char *rbk = json_list(c->rb_kernels, c->n_kernels);
    const struct {
        const char *key;
        char *value;
    } entries[] = {
        {"resblock", g_strdup_printf("\"%d\"", c->resblock)},
        {"num_gpus", g_strdup("4")},
        {"learning_rate", g_strdup("0.0002")},
        {"upsample_rates", g_strdup(rates)},
        {"upsample_kernel_sizes", g_strdup(kernels)},
        {"upsample_initial_channel", g_strdup_printf("%" G_GINT64_FORMAT, c->C0)},
        {"resblock_kernel_sizes", g_strdup(rbk)},
        {"resblock_dilation_sizes", g_strdup(dl->str)},
        {"num_mels", g_strdup_printf("%" G_GINT64_FORMAT, c->n_mels)},
        {"hop_size", g_strdup_printf("%" G_GINT64_FORMAT, m->upp)},
        {"sampling_rate", g_strdup_printf("%" G_GINT64_FORMAT, c->rate)},
        {"fmax_for_loss", g_strdup("null")},
        {"dist_config", g_strdup("{\"dist_backend\": \"nccl\", \"world_size\": 1}")},
    };
    GString *s = g_string_new("{\n");
    gboolean first = TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(entries); i++) {
        const char *text = changed(changes, entries[i].key, entries[i].value);
        if (text) {
            g_string_append_printf(s, "%s    \"%s\": %s", first ? "" : ",\n", entries[i].key,
                                   text);
            first = FALSE;
        }
        g_free(entries[i].value);
    }
    g_string_append(s, "\n}\n");
    g_file_set_contents(path, s->str, -1, NULL);
    g_string_free(s, TRUE);
    g_string_free(dl, TRUE);
    g_free(rates);
    g_free(kernels);
    g_free(rbk);
}

/* ---- the reference forward (double, from the fixture README) ------------- */

/* weight = g·v/‖v‖ per dim-0 slice (both Conv1d and ConvTranspose1d) */
static double *ref_weight(const model *m, const char *name)
{
    const synth_tensor *g = synth_get(m->t, "%s.weight_g", name),
                       *v = synth_get(m->t, "%s.weight_v", name);
    const int64_t d0 = v->shape[0], n = v->numel / d0;
    double *w = g_new(double, v->numel);
    for (int64_t i = 0; i < d0; i++) {
        double ss = 0.0;
        for (int64_t j = 0; j < n; j++)
            ss += (double)v->data[i * n + j] * v->data[i * n + j];
        for (int64_t j = 0; j < n; j++)
            w[i * n + j] = g->data[i] * v->data[i * n + j] / sqrt(ss);
    }
    return w;
}

/* Conv1d on time-major x [L, cin] -> y [Lout, cout], w [cout, cin, k] */
static int64_t ref_conv(double *y, const double *x, int64_t L, int64_t cin, int64_t cout,
                        const double *w, const float *b, int64_t k, int64_t stride, int64_t pad,
                        int64_t dil)
{
    const int64_t Lout = (L + 2 * pad - dil * (k - 1) - 1) / stride + 1;
    for (int64_t t = 0; t < Lout; t++)
        for (int64_t o = 0; o < cout; o++) {
            double acc = b[o];
            for (int64_t j = 0; j < k; j++) {
                const int64_t s = t * stride + j * dil - pad;
                if (s >= 0 && s < L)
                    for (int64_t c = 0; c < cin; c++)
                        acc += w[(o * cin + c) * k + j] * x[s * cin + c];
            }
            y[t * cout + o] = acc;
        }
    return Lout;
}

/* a weight-normed Conv1d by name */
static void ref_normed_conv(const model *m, const char *name, double *y, const double *x,
                            int64_t L, int64_t cin, int64_t cout, int64_t k, int64_t pad,
                            int64_t dil)
{
    double *w = ref_weight(m, name);
    ref_conv(y, x, L, cin, cout, w, synth_get(m->t, "%s.bias", name)->data, k, 1, pad, dil);
    g_free(w);
}

static void lrelu(double *y, const double *x, int64_t n, double slope)
{
    for (int64_t i = 0; i < n; i++)
        y[i] = x[i] >= 0 ? x[i] : slope * x[i];
}

/* SineGen + SourceModuleHnNSF: har [T·upp], sines [T·upp, H] */
static void ref_source(const model *m, const float *f0, int64_t T, const float *rand_ini,
                       const float *randn, double *har, double *sines)
{
    const int64_t upp = m->upp;
    const float *lw = synth_get(m->t, "m_source.l_linear.weight")->data;
    const double lb = synth_get(m->t, "m_source.l_linear.bias")->data[0],
                 rate = (double)m->cfg->rate;
    double start = 0.0; /* wrapped phase accumulated over the frames before t */
    for (int64_t t = 0; t < T; t++) {
        const double inc = f0[t] / rate;
        const gboolean uv = f0[t] > 0;
        for (int64_t k = 0; k < upp; k++) {
            const int64_t n = t * upp + k;
            const double phase = inc * (double)(k + 1) + start;
            double sum = lb;
            for (int h = 0; h < H; h++) {
                /* upstream zeroes rand_ini[0] */
                const double ini = rand_ini && h > 0 ? rand_ini[h] : 0.0;
                double s = uv ? 0.1 * sin(2.0 * G_PI * (phase * (h + 1) + ini)) : 0.0;
                if (randn)
                    s += (uv ? 0.003 : 0.1 / 3.0) * randn[n * H + h];
                sines[n * H + h] = s;
                sum += lw[h] * s;
            }
            har[n] = tanh(sum);
        }
        start = fmod(start + fmod(inc * (double)upp + 0.5, 1.0) - 0.5, 1.0);
    }
}

/* ResBlock1/2 on x [L, C] in place */
static void ref_resblock(const model *m, int rb, int j, double *x, int64_t L, int64_t C)
{
    const vconfig *c = m->cfg;
    const int64_t k = c->rb_kernels[j];
    double *a = g_new(double, L * C), *t = g_new(double, L * C);
    char name[64];
    for (int d = 0; d < m->n_dil_used; d++) {
        const int64_t dil = c->dil[j][d];
        lrelu(a, x, L * C, 0.1);
        g_snprintf(name, sizeof name, c->resblock == 1 ? "resblocks.%d.convs1.%d"
                                                        : "resblocks.%d.convs.%d",
                   rb, d);
        ref_normed_conv(m, name, t, a, L, C, C, k, dil * (k - 1) / 2, dil);
        if (c->resblock == 1) {
            lrelu(a, t, L * C, 0.1);
            g_snprintf(name, sizeof name, "resblocks.%d.convs2.%d", rb, d);
            ref_normed_conv(m, name, t, a, L, C, C, k, (k - 1) / 2, 1);
        }
        for (int64_t i = 0; i < L * C; i++)
            x[i] += t[i];
    }
    g_free(a);
    g_free(t);
}

/* Generator.forward of one item: audio [T·upp]; stage_out[i] [L_i, C_i] */
static void ref_forward(const model *m, const float *mel, const float *f0, int64_t T,
                        const float *rand_ini, const float *randn, double *audio, double *har,
                        double *sines, double **stage_out)
{
    const vconfig *c = m->cfg;
    const int64_t n = T * m->upp;
    ref_source(m, f0, T, rand_ini, randn, har, sines);
    int64_t maxact = T * c->C0;
    for (int i = 0, L = (int)T; i < c->n_stages; i++) {
        L *= (int)c->rates[i];
        maxact = MAX(maxact, L * chan(m, i));
    }
    double *x = g_new0(double, maxact), *y = g_new0(double, maxact), *r = g_new0(double, maxact);
    double *melx = g_new(double, T * c->n_mels);
    for (int64_t i = 0; i < T * c->n_mels; i++)
        melx[i] = mel[i];
    ref_normed_conv(m, "conv_pre", x, melx, T, c->n_mels, chan(m, -1), 7, 3, 1);
    int64_t L = T;
    char name[64];
    for (int i = 0; i < c->n_stages; i++) {
        const int64_t cin = chan(m, i - 1), C = chan(m, i), u = c->rates[i], k = c->kernels[i];
        const int64_t pad = (k - u) / 2, Lout = L * u;
        lrelu(x, x, L * cin, 0.1);
        /* ConvTranspose1d: y[i'·u + q − pad, o] += x[i', c]·W[c, o, q] */
        g_snprintf(name, sizeof name, "ups.%d", i);
        double *w = ref_weight(m, name);
        const float *bias = synth_get(m->t, "%s.bias", name)->data;
        for (int64_t t = 0; t < Lout * C; t++)
            y[t] = bias[t % C];
        for (int64_t t = 0; t < L; t++)
            for (int64_t q = 0; q < k; q++) {
                const int64_t j = t * u + q - pad;
                if (j < 0 || j >= Lout)
                    continue;
                for (int64_t ci = 0; ci < cin; ci++)
                    for (int64_t o = 0; o < C; o++)
                        y[j * C + o] += x[t * cin + ci] * w[(ci * C + o) * k + q];
            }
        g_free(w);
        /* + noise_convs[i](har) */
        const synth_tensor *nw = synth_get(m->t, "noise_convs.%d.weight", i);
        double *nwd = g_new(double, nw->numel), *src = g_new(double, Lout * C);
        for (int64_t e = 0; e < nw->numel; e++)
            nwd[e] = nw->data[e];
        const int64_t s = noise_stride(m, i), ks = nw->shape[2];
        const int64_t got =
            ref_conv(src, har, n, 1, C, nwd, synth_get(m->t, "noise_convs.%d.bias", i)->data, ks,
                     i + 1 < c->n_stages ? s : 1, i + 1 < c->n_stages ? s / 2 : 0, 1);
        g_assert(got == Lout);
        for (int64_t e = 0; e < Lout * C; e++)
            y[e] += src[e];
        g_free(nwd);
        g_free(src);
        /* the resblocks' average */
        for (int64_t e = 0; e < Lout * C; e++)
            x[e] = 0.0;
        for (int j = 0; j < c->n_kernels; j++) {
            memcpy(r, y, Lout * C * sizeof(double));
            ref_resblock(m, i * c->n_kernels + j, j, r, Lout, C);
            for (int64_t e = 0; e < Lout * C; e++)
                x[e] += r[e];
        }
        for (int64_t e = 0; e < Lout * C; e++)
            x[e] /= c->n_kernels;
        if (stage_out) {
            stage_out[i] = g_new(double, Lout * C);
            memcpy(stage_out[i], x, Lout * C * sizeof(double));
        }
        L = Lout;
    }
    const int64_t cl = chan(m, c->n_stages - 1);
    lrelu(x, x, L * cl, 0.01);
    ref_normed_conv(m, "conv_post", y, x, L, cl, 1, 7, 3, 1);
    for (int64_t t = 0; t < n; t++)
        audio[t] = tanh(y[t]);
    g_free(x);
    g_free(y);
    g_free(r);
    g_free(melx);
}

/* ---- checks -------------------------------------------------------------- */

typedef struct {
    int n_stages;
    float *stage_out[MAX_ST]; /* item 0's, from the debug hook */
    int64_t stage_n[MAX_ST];
} captured;

static void capture(const char *name, int64_t item, const float *data, int64_t rows,
                    int64_t cols, gpointer user)
{
    captured *cap = user;
    int i;
    if (item != 0 || sscanf(name, "stage%d_out", &i) != 1 || i < 0 || i >= cap->n_stages)
        return;
    g_free(cap->stage_out[i]);
    cap->stage_out[i] = g_memdup2(data, rows * cols * sizeof(float));
    cap->stage_n[i] = rows * cols;
}

static void check_hparams(const model *m, rift_vocoder *voc)
{
    const vconfig *c = m->cfg;
    const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(voc);
    gboolean ok = hp->sampling_rate == c->rate && hp->n_mels == c->n_mels &&
                  hp->initial_channel == c->C0 && hp->resblock == c->resblock &&
                  hp->n_stages == c->n_stages && hp->n_kernels == c->n_kernels &&
                  hp->n_dilations == m->n_dil_used && hp->upp == m->upp &&
                  hp->n_harmonics == H && rift_vocoder_get_hop(voc) == m->upp &&
                  rift_vocoder_get_sample_rate(voc) == c->rate &&
                  rift_vocoder_get_n_mels(voc) == c->n_mels;
    for (int i = 0; i < c->n_stages; i++)
        ok = ok && hp->upsample_rates[i] == c->rates[i] && hp->upsample_kernels[i] == c->kernels[i];
    for (int j = 0; j < c->n_kernels; j++) {
        ok = ok && hp->resblock_kernels[j] == c->rb_kernels[j];
        for (int d = 0; d < m->n_dil_used; d++)
            ok = ok && hp->dilations[j][d] == c->dil[j][d];
    }
    rift_test_true(ok, "hparams: %" G_GINT64_FORMAT " Hz, %" G_GINT64_FORMAT " mels, %"
                   G_GINT64_FORMAT " channels, resblock %d, %d stages, upp %" G_GINT64_FORMAT,
                   hp->sampling_rate, hp->n_mels, hp->initial_channel, hp->resblock,
                   hp->n_stages, hp->upp);
}

/* Batch of two: item 0 voiced with unvoiced frames at 1 and 3, item 1 with
 * a zero-padded tail (mel 0, f0 0) as infer.py pads a batch. */
static void check_forward(const model *m, rift_vocoder *voc, GRand *r, gboolean noise)
{
    const vconfig *c = m->cfg;
    const int64_t T = c->T, n = T * m->upp;
    float *mel = g_new(float, N_ITEMS * T * c->n_mels), *f0 = g_new(float, N_ITEMS * T);
    for (int64_t i = 0; i < N_ITEMS * T * c->n_mels; i++)
        mel[i] = (float)(synth_normal(r) - 1.0);
    for (int64_t t = 0; t < T; t++) {
        f0[t] = t == 1 || t == 3 ? 0.0f : (float)(80.0 + 900.0 * g_rand_double(r));
        f0[T + t] = t > T / 2 ? 0.0f : (float)(100.0 + 500.0 * g_rand_double(r));
        if (t > T / 2)
            memset(mel + (T + t) * c->n_mels, 0, c->n_mels * sizeof(float));
    }
    float rand_ini[H], *randn = NULL;
    for (int h = 0; h < H; h++)
        rand_ini[h] = (float)g_rand_double(r); /* index 0 is not 0: the engine must zero it */
    if (noise)
        randn = synth_normals(r, N_ITEMS * n * H, 0.0, 1.0);

    captured cap = {.n_stages = c->n_stages};
    rift_vocoder_set_debug(voc, capture, &cap);
    rift_vocoder_input in = {.B = N_ITEMS, .T = T, .mel = mel, .f0 = f0,
                             .rand_ini = noise ? rand_ini : NULL, .randn = randn};
    float *audio = g_new(float, N_ITEMS * n), *har = g_new(float, N_ITEMS * n);
    float *har2 = g_new(float, N_ITEMS * n), *sines = g_new(float, N_ITEMS * n * H);
    GError *err = NULL;
    gboolean ok = rift_vocoder_forward(voc, &in, audio, har, &err) &&
                  rift_vocoder_source(voc, &in, har2, sines, &err);
    rift_vocoder_set_debug(voc, NULL, NULL);
    const char *what = noise ? "injected noise" : "zero noise";
    if (rift_test_true(ok, "forward, %s%s%s", what, err ? ": " : "", err ? err->message : "")) {
        double *ra = g_new(double, N_ITEMS * n), *rh = g_new(double, N_ITEMS * n);
        double *rs = g_new(double, N_ITEMS * n * H), *stage[MAX_ST] = {0};
        for (int b = 0; b < N_ITEMS; b++)
            ref_forward(m, mel + b * T * c->n_mels, f0 + b * T, T, in.rand_ini,
                        randn ? randn + b * n * H : NULL, ra + b * n, rh + b * n, rs + b * n * H,
                        b == 0 ? stage : NULL);
        float *fa = synth_to_float(ra, N_ITEMS * n), *fh = synth_to_float(rh, N_ITEMS * n);
        float *fs = synth_to_float(rs, N_ITEMS * n * H);
        char *label = g_strdup_printf("%s: audio", what);
        rift_test_check(label, audio, fa, N_ITEMS * n, 5e-5, 2e-5);
        g_free(label);
        label = g_strdup_printf("%s: har_source", what);
        rift_test_check(label, har, fh, N_ITEMS * n, 3e-5, 2e-5);
        g_free(label);
        label = g_strdup_printf("%s: har_source (source alone)", what);
        rift_test_check(label, har2, fh, N_ITEMS * n, 3e-5, 2e-5);
        g_free(label);
        label = g_strdup_printf("%s: sine_waves", what);
        rift_test_check(label, sines, fs, N_ITEMS * n * H, 3e-5, 2e-5);
        g_free(label);
        for (int i = 0, L = (int)T; i < c->n_stages; i++) {
            L *= (int)c->rates[i];
            float *fo = synth_to_float(stage[i], L * chan(m, i));
            label = g_strdup_printf("%s: stage%d_out", what, i);
            if (rift_test_true(cap.stage_out[i] && cap.stage_n[i] == L * chan(m, i),
                               "%s reported", label))
                rift_test_check(label, cap.stage_out[i], fo, L * chan(m, i), 1e-4, 1e-5);
            g_free(label);
            g_free(fo);
            g_free(stage[i]);
        }
        g_free(ra);
        g_free(rh);
        g_free(rs);
        g_free(fa);
        g_free(fh);
        g_free(fs);
    }
    for (int i = 0; i < c->n_stages; i++)
        g_free(cap.stage_out[i]);
    g_clear_error(&err);
    g_free(mel);
    g_free(f0);
    g_free(randn);
    g_free(audio);
    g_free(har);
    g_free(har2);
    g_free(sines);
}

static void check_empty(rift_vocoder *voc)
{
    GError *err = NULL;
    rift_vocoder_input in = {.B = 2, .T = 0};
    gboolean ok = rift_vocoder_forward(voc, &in, NULL, NULL, &err);
    in = (rift_vocoder_input){.B = 0, .T = 5};
    ok = ok && rift_vocoder_forward(voc, &in, NULL, NULL, &err);
    rift_test_true(ok, "T = 0 and B = 0 run and produce nothing");
    g_clear_error(&err);
}

static int run_config(const vconfig *c, rift_backend_kind kind)
{
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why)) {
        const int rc = rift_test_skip("CUDA backend: %s", why);
        g_free(why);
        return rc;
    }
    model *m = model_new(c, 20261125u + (guint32)c->C0);
    char *dir = tz_tmpdir();
    char *ckpt = g_build_filename(dir, "model.ckpt", NULL);
    char *cfg = g_build_filename(dir, "config.json", NULL);
    write_checkpoint(m, ckpt, &(damage){0});
    write_config(m, cfg, NULL);
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    rift_vocoder *voc = be ? rift_vocoder_load(dir, be, &err) : NULL;
    if (rift_test_true(voc != NULL, "load %s (%u tensors) by its folder%s%s", c->name,
                       m->t->list->len, err ? ": " : "", err ? err->message : "")) {
        GRand *r = g_rand_new_with_seed(11 + (guint32)c->C0);
        check_hparams(m, voc);
        check_forward(m, voc, r, TRUE);
        check_forward(m, voc, r, FALSE);
        check_empty(voc);
        g_rand_free(r);
    }
    g_clear_error(&err);
    rift_vocoder_free(voc);
    rift_backend_unref(be);
    tz_rmtree(dir);
    g_free(dir);
    g_free(ckpt);
    g_free(cfg);
    model_free(m);
    return rift_test_exit();
}

/* ---- refusals ------------------------------------------------------------ */

/* Loading `path` must fail with a message containing both needles. */
static void expect_refused(const char *what, const char *path, rift_backend *be,
                           const char *needle1, const char *needle2)
{
    GError *err = NULL;
    rift_vocoder *voc = rift_vocoder_load(path, be, &err);
    const char *msg = err ? err->message : "(no error)";
    rift_test_true(!voc && err && strstr(msg, needle1) && (!needle2 || strstr(msg, needle2)),
                   "refuses %s: \"%s\"", what, msg);
    rift_vocoder_free(voc);
    g_clear_error(&err);
}

static int run_errors(void)
{
    model *m = model_new(&configs[0], 5);
    char *dir = tz_tmpdir();
    char *ckpt = g_build_filename(dir, "model.ckpt", NULL);
    char *cfg = g_build_filename(dir, "config.json", NULL);
    GError *err = NULL;
    rift_backend *be = rift_backend_new(RIFT_BACKEND_CPU, -1, &err);
    g_assert_no_error(err);

    write_checkpoint(m, ckpt, &(damage){0});
    expect_refused("no config.json", ckpt, be, "no config.json beside it", NULL);

    /* config values, each named by its key (rb2: rates [4, 2, 2], kernels
     * [8, 4, 6], resblock kernels [3, 5], dilations [[1, 2, 7], [2, 3, 1]]) */
    const struct {
        const char *what, *changes[5], *needle;
    } bad[] = {
        {"a missing num_mels", {"num_mels", NULL}, "'num_mels' is missing"},
        {"a string upsample_initial_channel", {"upsample_initial_channel", "\"24\""},
         "'upsample_initial_channel' must be a positive integer"},
        {"resblock 3", {"resblock", "\"3\""}, "'resblock' must be \"1\" or \"2\""},
        {"an integer resblock", {"resblock", "2"}, "'resblock'"},
        {"a zero sampling_rate", {"sampling_rate", "0"}, "'sampling_rate'"},
        {"fewer kernel sizes than rates", {"upsample_kernel_sizes", "[8, 4]"},
         "'upsample_kernel_sizes' has 2 entries"},
        {"an odd kernel − rate", {"upsample_kernel_sizes", "[8, 5, 6]"},
         "'upsample_kernel_sizes'[1]"},
        {"a rate product the noise conv cannot take",
         {"upsample_rates", "[4, 2, 3]", "upsample_kernel_sizes", "[8, 4, 5]"},
         "'upsample_rates' after stage 1 multiply to 3"},
        {"a short dilation list", {"resblock_dilation_sizes", "[[1, 2], [3]]"},
         "'resblock_dilation_sizes[1]'"},
        {"one dilation list too few", {"resblock_dilation_sizes", "[[1, 2]]"},
         "'resblock_dilation_sizes'"},
        {"an even resblock kernel", {"resblock_kernel_sizes", "[3, 4]"},
         "'resblock_kernel_sizes'[1]"},
        {"too few channels", {"upsample_initial_channel", "4"}, "'upsample_initial_channel'"},
        {"not a list", {"upsample_rates", "8"}, "'upsample_rates' must be a list"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        write_config(m, cfg, bad[i].changes);
        expect_refused(bad[i].what, ckpt, be, bad[i].needle, "config.json");
    }
    g_file_set_contents(cfg, "[1, 2]", -1, NULL);
    expect_refused("a config that is not an object", ckpt, be, "not a JSON object", NULL);
    g_file_set_contents(cfg, "{\"num_mels\": ", -1, NULL);
    expect_refused("broken JSON", ckpt, be, "vocoder: ", "config.json");

    /* a config of another model: the tensor and the config file are named */
    write_config(m, cfg, (const char *[]){"num_mels", "128", NULL});
    expect_refused("num_mels 128 for a 20-mel checkpoint", ckpt, be,
                   "generator/conv_pre.weight_v", "config.json");
    write_config(m, cfg, (const char *[]){"upsample_initial_channel", "48", NULL});
    expect_refused("twice the channels", ckpt, be, "has wrong shape", "config.json");

    /* damaged checkpoints */
    write_config(m, cfg, NULL);
    write_checkpoint(m, ckpt, &(damage){.omit = "resblocks.4.convs.1.weight_g"});
    expect_refused("a missing weight_g", ckpt, be, "generator/resblocks.4.convs.1.weight_g",
                   "missing");
    write_checkpoint(m, ckpt, &(damage){.extra = "resblocks.0.convs.2.bias"});
    expect_refused("an extra tensor", ckpt, be, "generator/resblocks.0.convs.2.bias",
                   "unexpected");

    /* a RIFT-SVC DiT checkpoint with a vocoder config beside it */
    char *dit = rift_test_fixture("dit/model.ckpt");
    char *dit_copy = g_build_filename(dir, "dit.ckpt", NULL);
    char *bytes = NULL;
    gsize len = 0;
    if (rift_test_true(g_file_get_contents(dit, &bytes, &len, NULL) &&
                           g_file_set_contents(dit_copy, bytes, (gssize)len, NULL),
                       "copy %s", dit))
        expect_refused("a DiT checkpoint", dit_copy, be, "generator/conv_pre.weight_v",
                       "NSF-HiFiGAN");
    g_free(bytes);
    g_free(dit);
    g_free(dit_copy);

    rift_backend_unref(be);
    tz_rmtree(dir);
    g_free(dir);
    g_free(ckpt);
    g_free(cfg);
    model_free(m);
    return rift_test_exit();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "errors"))
        return run_errors();
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    for (guint i = 0; argc > 1 && i < G_N_ELEMENTS(configs); i++)
        if (!strcmp(argv[1], configs[i].name) &&
            (argc < 3 || rift_backend_kind_from_string(argv[2], &kind)))
            return run_config(&configs[i], kind);
    fprintf(stderr, "usage: test-vocoder rb2|rb1|one|errors [cpu|cuda]\n");
    return 2;
}
