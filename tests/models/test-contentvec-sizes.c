/* test-contentvec-sizes.c — ContentVec (HF HubertModel) at sizes other than
 * the fixture's (tests/fixtures/contentvec is one tiny model: hidden 64, 2
 * layers, 4 heads, conv_dim [32]*7, positional conv 128 taps / 16 groups),
 * so that nothing in the loader or the forward quietly depends on them.
 *
 * For one configuration (argv[1]) the test
 *   1. writes a Hugging Face model directory as users have it: a complete
 *      config.json and the HubertModelWithFinalProj weights (seeded random,
 *      the fixture's recipe) as model.safetensors (rift_safetensors_write) or
 *      as pytorch_model.bin (torch.save zip of the state_dict, synth.c);
 *   2. loads it and checks the sizes the engine reports;
 *   3. compares rift_contentvec_forward on random 16 kHz audio with a naive
 *      double-precision forward written here from
 *      tests/fixtures/contentvec/README.md ("Exact forward"):
 *      last_hidden_state and every intermediate of the debug hook max-abs
 *      1e-4, rel-L2 1e-5.
 * The reference reads the weights from the arrays generated here, never
 * through the engine. `test-contentvec-sizes reference` checks the reference
 * itself against upstream's fixture (the sing case, same tolerances), and
 * `test-contentvec-sizes errors` that a config.json whose sizes disagree
 * with the tensors is refused with a message naming the config key.
 *
 * Usage: test-contentvec-sizes CONFIG [cpu|cuda] | reference | errors
 *        (CONFIG: see `configs` below)
 */
#include "contentvec.h"
#include "synth.h"
#include "testutil.h"
#include "torchzip.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_CONV 7
#define GROUP_NORM_EPS 1e-5 /* nn.GroupNorm's default: layer_norm_eps does not reach it */
#define N_LEN 2

typedef struct {
    const char *name;
    int64_t hidden, n_layers, n_heads, ffn, proj; /* proj: classifier_proj_size */
    int n_conv;
    int64_t conv_dim[MAX_CONV], conv_kernel[MAX_CONV], conv_stride[MAX_CONV];
    gboolean conv_bias;
    int64_t pos_kernel, pos_groups;
    double ln_eps;
    gboolean bin;            /* pytorch_model.bin instead of model.safetensors */
    int64_t lengths[N_LEN];  /* 16 kHz samples of the forward runs */
} cconfig;

static const cconfig configs[] = {
    /* HuBERT's feature encoder at 16 channels, 3 heads of 16, a positional
     * conv of 16 taps in 4 groups (wider than the 13 frames); 400 samples
     * give one frame */
    {"h48", 48, 3, 3, 96, 24, 7, {16, 16, 16, 16, 16, 16, 16}, {10, 3, 3, 3, 3, 2, 2},
     {5, 2, 2, 2, 2, 2, 2}, FALSE, 16, 4, 1e-5, FALSE, {4321, 400}},
    /* five convs of other kernels, strides and widths (GroupNorm on 12
     * channels), conv biases, one layer of 5 heads of 8, an odd positional
     * kernel (no frame dropped) in 8 groups, layer_norm_eps 1e-4, as
     * pytorch_model.bin */
    {"conv5", 40, 1, 5, 72, 16, 5, {12, 20, 20, 24, 24}, {10, 3, 3, 2, 2}, {5, 2, 2, 2, 2}, TRUE, 7,
     8, 1e-4, TRUE, {4321, 100}},
};

/* ---- the synthetic model ------------------------------------------------- */

typedef struct {
    const cconfig *cfg;
    synth_tensors *t; /* in state_dict order */
} model;

/* nn.Linear(in, out) at `base`: weight [out, in] ~ N(0, gain²/in), bias N(0, 0.05²) */
static void add_linear(model *m, GRand *r, int64_t out, int64_t in, double gain, const char *fmt,
                       int il)
{
    char *base = g_strdup_printf(fmt, il);
    synth_add(m->t, synth_normals(r, out * in, 0, gain / sqrt((double)in)), 2, (int64_t[]){out, in},
              "%s.weight", base);
    synth_add(m->t, synth_normals(r, out, 0, 0.05), 1, &out, "%s.bias", base);
    g_free(base);
}

/* A LayerNorm / GroupNorm affine at `base`: weight 1 + N(0, 0.1²), bias N(0, 0.1²) */
static void add_norm(model *m, GRand *r, int64_t C, const char *fmt, int il)
{
    char *base = g_strdup_printf(fmt, il);
    synth_add(m->t, synth_normals(r, C, 1.0, 0.1), 1, &C, "%s.weight", base);
    synth_add(m->t, synth_normals(r, C, 0, 0.1), 1, &C, "%s.bias", base);
    g_free(base);
}

/* HubertModelWithFinalProj(config).state_dict() in its order, with the
 * fixture's recipe: convs N(0, 2/fan_in), Linear N(0, 1/fan_in) (q, k ×1.3),
 * biases N(0, 0.05²), norm weights 1 + N(0, 0.1²), norm biases N(0, 0.1²),
 * weight_v N(0, 1), weight_g U(0.3, 1.0), masked_spec_embed U(0, 1). */
static model *model_new(const cconfig *c, guint32 seed)
{
    model *m = g_new0(model, 1);
    m->cfg = c;
    m->t = synth_tensors_new();
    GRand *r = g_rand_new_with_seed(seed);
    const int64_t H = c->hidden, F = c->ffn, C = c->conv_dim[c->n_conv - 1];
    const int64_t K = c->pos_kernel, Hg = H / c->pos_groups;

    synth_add(m->t, synth_uniforms(r, H, 0, 1), 1, &H, "masked_spec_embed");
    for (int i = 0; i < c->n_conv; i++) {
        const int64_t cin = i ? c->conv_dim[i - 1] : 1, cout = c->conv_dim[i];
        const int64_t k = c->conv_kernel[i];
        synth_add(m->t, synth_normals(r, cout * cin * k, 0, sqrt(2.0 / (double)(cin * k))), 3,
                  (int64_t[]){cout, cin, k}, "feature_extractor.conv_layers.%d.conv.weight", i);
        if (c->conv_bias)
            synth_add(m->t, synth_normals(r, cout, 0, 0.05), 1, &cout,
                      "feature_extractor.conv_layers.%d.conv.bias", i);
        if (i == 0)
            add_norm(m, r, cout, "feature_extractor.conv_layers.%d.layer_norm", 0);
    }
    add_norm(m, r, C, "feature_projection.layer_norm", 0);
    add_linear(m, r, H, C, 1.0, "feature_projection.projection", 0);
    synth_add(m->t, synth_normals(r, H, 0, 0.05), 1, &H, "encoder.pos_conv_embed.conv.bias");
    synth_add(m->t, synth_uniforms(r, K, 0.3, 1.0), 3, (int64_t[]){1, 1, K},
              "encoder.pos_conv_embed.conv.weight_g");
    synth_add(m->t, synth_normals(r, H * Hg * K, 0, 1), 3, (int64_t[]){H, Hg, K},
              "encoder.pos_conv_embed.conv.weight_v");
    add_norm(m, r, H, "encoder.layer_norm", 0);
    for (int il = 0; il < c->n_layers; il++) {
        add_linear(m, r, H, H, 1.3, "encoder.layers.%d.attention.k_proj", il);
        add_linear(m, r, H, H, 1.0, "encoder.layers.%d.attention.v_proj", il);
        add_linear(m, r, H, H, 1.3, "encoder.layers.%d.attention.q_proj", il);
        add_linear(m, r, H, H, 1.0, "encoder.layers.%d.attention.out_proj", il);
        add_norm(m, r, H, "encoder.layers.%d.layer_norm", il);
        add_linear(m, r, F, H, 1.0, "encoder.layers.%d.feed_forward.intermediate_dense", il);
        add_linear(m, r, H, F, 1.0, "encoder.layers.%d.feed_forward.output_dense", il);
        add_norm(m, r, H, "encoder.layers.%d.final_layer_norm", il);
    }
    add_linear(m, r, c->proj, H, 1.0, "final_proj", 0);
    g_rand_free(r);
    return m;
}

static void model_free(model *m)
{
    synth_tensors_free(m->t);
    g_free(m);
}

/* ---- the model directory ------------------------------------------------- */

static void json_list(GString *s, const char *key, const int64_t *v, int n)
{
    g_string_append_printf(s, "  \"%s\": [", key);
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? ", " : "", v[i]);
    g_string_append(s, "],\n");
}

/* content-vec-best's config.json (every HubertConfig key, in its order)
 * with the config's sizes; `off` (may be NULL) names an integer key whose
 * value is doubled there. */
static char *config_json(const cconfig *c, const char *off)
{
    const int64_t k = 2; /* the factor for `off` */
#define V(key, v) ((off && !strcmp(off, key)) ? (v) * k : (v))
    GString *s = g_string_new("{\n");
    g_string_append(s, "  \"_name_or_path\": \"random-content-vec\",\n"
                       "  \"activation_dropout\": 0.1,\n"
                       "  \"apply_spec_augment\": true,\n"
                       "  \"architectures\": [\"HubertModelWithFinalProj\"],\n"
                       "  \"attention_dropout\": 0.1,\n"
                       "  \"bos_token_id\": 1,\n");
    g_string_append_printf(s, "  \"classifier_proj_size\": %" G_GINT64_FORMAT ",\n", c->proj);
    g_string_append_printf(s, "  \"conv_bias\": %s,\n", c->conv_bias ? "true" : "false");
    json_list(s, "conv_dim", c->conv_dim, c->n_conv);
    json_list(s, "conv_kernel", c->conv_kernel, c->n_conv);
    g_string_append(s, "  \"conv_pos_batch_norm\": false,\n");
    json_list(s, "conv_stride", c->conv_stride, c->n_conv);
    g_string_append(s, "  \"ctc_loss_reduction\": \"sum\",\n"
                       "  \"ctc_zero_infinity\": false,\n"
                       "  \"do_stable_layer_norm\": false,\n"
                       "  \"eos_token_id\": 2,\n"
                       "  \"feat_extract_activation\": \"gelu\",\n"
                       "  \"feat_extract_norm\": \"group\",\n"
                       "  \"feat_proj_dropout\": 0.1,\n"
                       "  \"feat_proj_layer_norm\": true,\n"
                       "  \"final_dropout\": 0.1,\n"
                       "  \"hidden_act\": \"gelu\",\n"
                       "  \"hidden_dropout\": 0.1,\n");
    g_string_append_printf(s, "  \"hidden_size\": %" G_GINT64_FORMAT ",\n",
                           V("hidden_size", c->hidden));
    g_string_append(s, "  \"initializer_range\": 0.02,\n");
    g_string_append_printf(s, "  \"intermediate_size\": %" G_GINT64_FORMAT ",\n",
                           V("intermediate_size", c->ffn));
    g_string_append_printf(s, "  \"layer_norm_eps\": %g,\n", c->ln_eps);
    g_string_append(s, "  \"layerdrop\": 0.1,\n"
                       "  \"mask_feature_length\": 10,\n"
                       "  \"mask_feature_min_masks\": 0,\n"
                       "  \"mask_feature_prob\": 0.0,\n"
                       "  \"mask_time_length\": 10,\n"
                       "  \"mask_time_min_masks\": 2,\n"
                       "  \"mask_time_prob\": 0.05,\n"
                       "  \"model_type\": \"hubert\",\n");
    g_string_append_printf(s, "  \"num_attention_heads\": %" G_GINT64_FORMAT ",\n", c->n_heads);
    g_string_append_printf(s, "  \"num_conv_pos_embedding_groups\": %" G_GINT64_FORMAT ",\n",
                           c->pos_groups);
    g_string_append_printf(s, "  \"num_conv_pos_embeddings\": %" G_GINT64_FORMAT ",\n",
                           V("num_conv_pos_embeddings", c->pos_kernel));
    g_string_append_printf(s, "  \"num_feat_extract_layers\": %d,\n", c->n_conv);
    g_string_append_printf(s, "  \"num_hidden_layers\": %" G_GINT64_FORMAT ",\n", c->n_layers);
    g_string_append(s, "  \"pad_token_id\": 0,\n"
                       "  \"torch_dtype\": \"float32\",\n"
                       "  \"transformers_version\": \"4.57.1\",\n"
                       "  \"use_weighted_layer_sum\": false,\n"
                       "  \"vocab_size\": 32\n"
                       "}\n");
#undef V
    return g_string_free(s, FALSE);
}

/* torch.save(state_dict) as `path`, records under "archive/" (torch ≥ 2's
 * name; the fixture has "pytorch_model/"), the state_dict's _metadata
 * included. */
static void write_bin(const model *m, const char *path)
{
    static const char *const modules[] = {"", "feature_extractor", "feature_projection",
                                          "encoder", "encoder.pos_conv_embed", "final_proj"};
    synth_write_torch(m->t, path,
                      &(synth_torch_opts){.stem = "archive", .modules = modules,
                                          .n_modules = G_N_ELEMENTS(modules)});
}

/* config.json (with `off`, see config_json) and the weights in `dir` */
static void write_model_dir(const model *m, const char *dir, const char *off)
{
    char *cfg = config_json(m->cfg, off);
    char *path = g_build_filename(dir, "config.json", NULL);
    rift_test_true(g_file_set_contents(path, cfg, -1, NULL), "write %s", path);
    g_free(path);
    g_free(cfg);
    path = g_build_filename(dir, m->cfg->bin ? "pytorch_model.bin" : "model.safetensors", NULL);
    if (m->cfg->bin)
        write_bin(m, path);
    else
        synth_write_safetensors(m->t, path);
    g_free(path);
}

/* ---- the reference forward (double precision, from the fixture README) --- */

/* Everything the forward produces, time-major. */
typedef struct {
    int64_t N;
    double *feat_extract;  /* [N, conv_dim[-1]] */
    double *feat_proj;     /* [N, H] */
    double *pos_conv;      /* [N, H] */
    double *enc_in;        /* [N, H] */
    double **layer;        /* [n_layers][N, H]; the last is last_hidden_state */
} ref_out;

/* Conv1d(cin, cout, k, stride s, padding p, groups G) on x [L, cin]
 * (time-major) -> y [Lout, cout], Lout = (L + 2p − k)/s + 1, w [cout, cin/G, k]:
 *   y[t, o] = bias[o] + Σ_i Σ_j w[o, i, j]·x[t·s + j − p, g·cin/G + i]
 * with g = o / (cout/G), zero outside [0, L); bias 0 when NULL. */
static int64_t ref_conv1d(double *y, const double *x, int64_t L, int64_t cin, int64_t cout,
                          int64_t k, int64_t s, int64_t p, int64_t G, const double *w,
                          const float *bias)
{
    const int64_t Lout = (L + 2 * p - k) / s + 1, ci = cin / G, co = cout / G;
    for (int64_t t = 0; t < Lout; t++)
        for (int64_t o = 0; o < cout; o++) {
            const int64_t g = o / co;
            double acc = bias ? bias[o] : 0.0;
            for (int64_t i = 0; i < ci; i++)
                for (int64_t j = 0; j < k; j++) {
                    const int64_t src = t * s + j - p;
                    if (src >= 0 && src < L)
                        acc += w[(o * ci + i) * k + j] * x[src * cin + g * ci + i];
                }
            y[t * cout + o] = acc;
        }
    return Lout;
}

/* GroupNorm(C, C) on x [L, C]: each channel normalised over the whole time
 * axis (biased variance, eps 1e-5), then ·weight + bias. */
static void ref_group_norm(double *x, int64_t L, int64_t C, const float *w, const float *b)
{
    for (int64_t c = 0; c < C; c++) {
        double mean = 0.0, var = 0.0;
        for (int64_t t = 0; t < L; t++)
            mean += x[t * C + c];
        mean /= (double)L;
        for (int64_t t = 0; t < L; t++)
            var += (x[t * C + c] - mean) * (x[t * C + c] - mean);
        var /= (double)L;
        const double inv = 1.0 / sqrt(var + GROUP_NORM_EPS);
        for (int64_t t = 0; t < L; t++)
            x[t * C + c] = (x[t * C + c] - mean) * inv * w[c] + b[c];
    }
}

/* exact GELU: x/2·(1 + erf(x/√2)) */
static void ref_gelu(double *x, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
}

/* LayerNorm(C, eps) on each of R rows of x [R, C]: (x − mean)/sqrt(var + eps)
 * (biased variance)·weight + bias */
static void ref_layer_norm(const model *m, double *x, int64_t R, int64_t C, const char *fmt,
                           int il)
{
    char *base = g_strdup_printf(fmt, il);
    const float *w = synth_weight(m->t, C, "%s.weight", base),
                *b = synth_weight(m->t, C, "%s.bias", base);
    g_free(base);
    for (int64_t r = 0; r < R; r++) {
        double *v = x + r * C, mean = 0.0, var = 0.0;
        for (int64_t c = 0; c < C; c++)
            mean += v[c];
        mean /= (double)C;
        for (int64_t c = 0; c < C; c++)
            var += (v[c] - mean) * (v[c] - mean);
        var /= (double)C;
        const double inv = 1.0 / sqrt(var + m->cfg->ln_eps);
        for (int64_t c = 0; c < C; c++)
            v[c] = (v[c] - mean) * inv * w[c] + b[c];
    }
}

/* nn.Linear at `fmt % il` on R rows: y[r] = W·x[r] + b, W [out, in] */
static void ref_linear(const model *m, double *y, const double *x, int64_t R, int64_t in,
                       int64_t out, const char *fmt, int il)
{
    char *base = g_strdup_printf(fmt, il);
    const float *W = synth_weight(m->t, out * in, "%s.weight", base),
                *b = synth_weight(m->t, out, "%s.bias", base);
    g_free(base);
    for (int64_t r = 0; r < R; r++)
        for (int64_t o = 0; o < out; o++) {
            double s = b[o];
            for (int64_t i = 0; i < in; i++)
                s += (double)W[o * in + i] * x[r * in + i];
            y[r * out + o] = s;
        }
}

static double *to_double(const float *f, int64_t n)
{
    double *d = g_new(double, n);
    for (int64_t i = 0; i < n; i++)
        d[i] = f[i];
    return d;
}

/* HubertFeatureEncoder on audio [n]: conv i (no padding) for every i, the
 * GroupNorm after conv 0 only, GELU after each -> [N, conv_dim[-1]]. */
static double *ref_feature_encoder(const model *m, const float *audio, int64_t n, int64_t *N)
{
    const cconfig *c = m->cfg;
    double *x = g_new(double, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = audio[i];
    int64_t L = n, cin = 1;
    for (int i = 0; i < c->n_conv; i++) {
        const int64_t C = c->conv_dim[i], k = c->conv_kernel[i];
        const int64_t Lout = (L - k) / c->conv_stride[i] + 1;
        double *y = g_new(double, Lout * C);
        double *w = to_double(
            synth_weight(m->t, C * cin * k, "feature_extractor.conv_layers.%d.conv.weight", i),
            C * cin * k);
        ref_conv1d(y, x, L, cin, C, k, c->conv_stride[i], 0, 1, w,
                   c->conv_bias
                       ? synth_weight(m->t, C, "feature_extractor.conv_layers.%d.conv.bias", i)
                       : NULL);
        g_free(w);
        if (i == 0)
            ref_group_norm(
                y, Lout, C,
                synth_weight(m->t, C, "feature_extractor.conv_layers.0.layer_norm.weight"),
                synth_weight(m->t, C, "feature_extractor.conv_layers.0.layer_norm.bias"));
        ref_gelu(y, Lout * C);
        g_free(x);
        x = y;
        L = Lout;
        cin = C;
    }
    *N = L;
    return x;
}

/* HubertPositionalConvEmbedding on x [N, H] -> [N, H]: w = g·v/‖v‖ with the
 * norm per kernel tap j over (out, in/groups) (weight_norm dim 2, g
 * [1, 1, K]); Conv1d(H, H, K, padding K/2, groups, bias); an even K gives
 * N + 1 frames, the last dropped; GELU. */
static double *ref_pos_conv(const model *m, const double *x, int64_t N)
{
    const cconfig *c = m->cfg;
    const int64_t H = c->hidden, K = c->pos_kernel, per = H * (H / c->pos_groups);
    const float *g = synth_weight(m->t, K, "encoder.pos_conv_embed.conv.weight_g");
    const float *v = synth_weight(m->t, per * K, "encoder.pos_conv_embed.conv.weight_v");
    double *w = g_new(double, per * K);
    for (int64_t j = 0; j < K; j++) {
        double ss = 0.0;
        for (int64_t e = 0; e < per; e++)
            ss += (double)v[e * K + j] * v[e * K + j];
        for (int64_t e = 0; e < per; e++)
            w[e * K + j] = g[j] * (double)v[e * K + j] / sqrt(ss);
    }
    double *y = g_new(double, (N + 1) * H);
    const int64_t Lout = ref_conv1d(y, x, N, H, H, K, 1, K / 2, c->pos_groups, w,
                                    synth_weight(m->t, H, "encoder.pos_conv_embed.conv.bias"));
    if (Lout != N + (K % 2 == 0))
        g_error("reference: the positional conv gave %" G_GINT64_FORMAT " frames", Lout);
    ref_gelu(y, N * H);
    g_free(w);
    return y;
}

/* Multi-head self-attention of layer il on x [N, H] -> out [N, H] (before
 * out_proj): q, k, v Linear with bias, q·head_dim^-0.5, per head
 * softmax_j(q_i·k_j) over all N frames, Σ_j p_ij v_j, heads concatenated. */
static void ref_attention(const model *m, double *out, const double *x, int64_t N, int il)
{
    const cconfig *c = m->cfg;
    const int64_t H = c->hidden, nh = c->n_heads, hd = H / nh;
    double *q = g_new(double, N * H), *k = g_new(double, N * H), *v = g_new(double, N * H);
    double *p = g_new(double, N);
    ref_linear(m, q, x, N, H, H, "encoder.layers.%d.attention.q_proj", il);
    ref_linear(m, k, x, N, H, H, "encoder.layers.%d.attention.k_proj", il);
    ref_linear(m, v, x, N, H, H, "encoder.layers.%d.attention.v_proj", il);
    const double scale = 1.0 / sqrt((double)hd);
    for (int64_t h = 0; h < nh; h++)
        for (int64_t i = 0; i < N; i++) {
            double mx = -INFINITY, sum = 0.0;
            for (int64_t j = 0; j < N; j++) {
                double s = 0.0;
                for (int64_t d = 0; d < hd; d++)
                    s += q[i * H + h * hd + d] * scale * k[j * H + h * hd + d];
                p[j] = s;
                mx = MAX(mx, s);
            }
            for (int64_t j = 0; j < N; j++) {
                p[j] = exp(p[j] - mx);
                sum += p[j];
            }
            for (int64_t d = 0; d < hd; d++) {
                double acc = 0.0;
                for (int64_t j = 0; j < N; j++)
                    acc += p[j] * v[j * H + h * hd + d];
                out[i * H + h * hd + d] = acc / sum;
            }
        }
    g_free(q);
    g_free(k);
    g_free(v);
    g_free(p);
}

/* HubertEncoderLayer il (post-LN) on x [N, H] in place:
 *   x = LN1(x + out_proj(MHA(x))),  x = LN2(x + W2·gelu(W1·x + b1) + b2) */
static void ref_layer(const model *m, double *x, int64_t N, int il)
{
    const int64_t H = m->cfg->hidden, F = m->cfg->ffn;
    double *a = g_new(double, N * H), *o = g_new(double, N * H), *f = g_new(double, N * F);
    ref_attention(m, a, x, N, il);
    ref_linear(m, o, a, N, H, H, "encoder.layers.%d.attention.out_proj", il);
    for (int64_t i = 0; i < N * H; i++)
        x[i] += o[i];
    ref_layer_norm(m, x, N, H, "encoder.layers.%d.layer_norm", il);
    ref_linear(m, f, x, N, H, F, "encoder.layers.%d.feed_forward.intermediate_dense", il);
    ref_gelu(f, N * F);
    ref_linear(m, o, f, N, F, H, "encoder.layers.%d.feed_forward.output_dense", il);
    for (int64_t i = 0; i < N * H; i++)
        x[i] += o[i];
    ref_layer_norm(m, x, N, H, "encoder.layers.%d.final_layer_norm", il);
    g_free(a);
    g_free(o);
    g_free(f);
}

/* HubertModel(audio[None]).last_hidden_state and its intermediates */
static ref_out ref_forward(const model *m, const float *audio, int64_t n)
{
    const cconfig *c = m->cfg;
    const int64_t H = c->hidden, C = c->conv_dim[c->n_conv - 1];
    ref_out r = {0};
    r.feat_extract = ref_feature_encoder(m, audio, n, &r.N);
    const int64_t N = r.N;
    double *normed = g_memdup2(r.feat_extract, (gsize)(N * C) * sizeof(double));
    ref_layer_norm(m, normed, N, C, "feature_projection.layer_norm", 0);
    r.feat_proj = g_new(double, N * H);
    ref_linear(m, r.feat_proj, normed, N, C, H, "feature_projection.projection", 0);
    g_free(normed);
    r.pos_conv = ref_pos_conv(m, r.feat_proj, N);
    r.enc_in = g_new(double, N * H);
    for (int64_t i = 0; i < N * H; i++)
        r.enc_in[i] = r.feat_proj[i] + r.pos_conv[i];
    ref_layer_norm(m, r.enc_in, N, H, "encoder.layer_norm", 0);
    r.layer = g_new0(double *, c->n_layers);
    const double *x = r.enc_in;
    for (int il = 0; il < c->n_layers; il++) {
        r.layer[il] = g_memdup2(x, (gsize)(N * H) * sizeof(double));
        ref_layer(m, r.layer[il], N, il);
        x = r.layer[il];
    }
    return r;
}

static void ref_out_free(const model *m, ref_out *r)
{
    g_free(r->feat_extract);
    g_free(r->feat_proj);
    g_free(r->pos_conv);
    g_free(r->enc_in);
    for (int i = 0; r->layer && i < m->cfg->n_layers; i++)
        g_free(r->layer[i]);
    g_free(r->layer);
}

/* The reference's tensor of a debug-hook name, and its width; NULL if none. */
static const double *ref_named(const model *m, const ref_out *r, const char *name, int64_t *cols)
{
    const cconfig *c = m->cfg;
    *cols = c->hidden;
    if (!strcmp(name, "feat_extract")) {
        *cols = c->conv_dim[c->n_conv - 1];
        return r->feat_extract;
    }
    if (!strcmp(name, "feat_proj"))
        return r->feat_proj;
    if (!strcmp(name, "pos_conv"))
        return r->pos_conv;
    if (!strcmp(name, "enc_in"))
        return r->enc_in;
    int il = -1;
    if (sscanf(name, "layer%d", &il) == 1 && il >= 0 && il < c->n_layers)
        return r->layer[il];
    return NULL;
}

/* ---- the checks ----------------------------------------------------------- */

/* Test audio: two sines and noise, about speech level */
static float *test_audio(GRand *r, int64_t n)
{
    float *x = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(0.2 * sin(2.0 * G_PI * 220.0 * (double)i / 16000.0) +
                       0.1 * sin(2.0 * G_PI * 1375.0 * (double)i / 16000.0 + 0.4) +
                       0.05 * synth_normal(r));
    return x;
}

static void check_hparams(const cconfig *c, rift_contentvec *cv)
{
    const rift_contentvec_hparams *hp = rift_contentvec_get_hparams(cv);
    gboolean convs = hp->n_conv == c->n_conv;
    for (int i = 0; convs && i < c->n_conv; i++)
        convs = hp->conv_dim[i] == c->conv_dim[i] && hp->conv_kernel[i] == c->conv_kernel[i] &&
                hp->conv_stride[i] == c->conv_stride[i];
    int64_t min_samples = 1;
    for (int i = c->n_conv - 1; i >= 0; i--)
        min_samples = (min_samples - 1) * c->conv_stride[i] + c->conv_kernel[i];
    rift_test_true(convs && hp->hidden == c->hidden && hp->n_layers == c->n_layers &&
                       hp->n_heads == c->n_heads && hp->head_dim == c->hidden / c->n_heads &&
                       hp->ffn == c->ffn && hp->conv_bias == c->conv_bias &&
                       hp->pos_kernel == c->pos_kernel && hp->pos_groups == c->pos_groups &&
                       hp->layer_norm_eps == (float)c->ln_eps && hp->min_samples == min_samples,
                   "hparams: hidden %d layers %d heads %d x %d ffn %d, %d convs (%s), conv_bias "
                   "%d, pos conv %d taps / %d groups, eps %g, min_samples %d (want %d)",
                   (int)hp->hidden, (int)hp->n_layers, (int)hp->n_heads, (int)hp->head_dim,
                   (int)hp->ffn, hp->n_conv, convs ? "as configured" : "DIFFERENT",
                   hp->conv_bias, (int)hp->pos_kernel, (int)hp->pos_groups,
                   (double)hp->layer_norm_eps, (int)hp->min_samples, (int)min_samples);
}

typedef struct {
    const model *m;
    const ref_out *ref;
    int seen;
} hook_ctx;

/* Every intermediate the debug hook hands over against the reference. */
static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    hook_ctx *h = user;
    int64_t want_cols;
    const double *want = ref_named(h->m, h->ref, name, &want_cols);
    if (!rift_test_true(want && rows == h->ref->N && cols == want_cols,
                        "%s [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "]: a known intermediate",
                        name, rows, cols))
        return;
    float *wf = synth_to_float(want, rows * cols);
    rift_test_check(name, data, wf, rows * cols, 1e-4, 1e-5);
    g_free(wf);
    h->seen++;
}

static void check_forward(const model *m, rift_contentvec *cv, GRand *r, int64_t n)
{
    const cconfig *c = m->cfg;
    float *audio = test_audio(r, n);
    ref_out ref = ref_forward(m, audio, n);
    const int64_t N = ref.N, H = c->hidden;
    printf("%" G_GINT64_FORMAT " samples: %" G_GINT64_FORMAT " frames\n", n, N);
    rift_test_true(rift_contentvec_n_frames(cv, n) == N, "rift_contentvec_n_frames: %"
                   G_GINT64_FORMAT, rift_contentvec_n_frames(cv, n));
    hook_ctx h = {m, &ref, 0};
    rift_contentvec_set_debug(cv, on_debug, &h);
    float *got = g_new(float, N * H);
    int64_t got_N = -1;
    GError *err = NULL;
    if (rift_test_true(rift_contentvec_forward(cv, audio, n, got, &got_N, &err), "forward%s%s",
                       err ? ": " : "", err ? err->message : "") &&
        rift_test_true(got_N == N, "%" G_GINT64_FORMAT " frames", got_N)) {
        rift_test_true(h.seen == 4 + c->n_layers, "%d intermediates checked", h.seen);
        float *wf = synth_to_float(ref.layer[c->n_layers - 1], N * H);
        char *label = g_strdup_printf("last_hidden_state [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                                      "]", N, H);
        rift_test_check(label, got, wf, N * H, 1e-4, 1e-5);
        g_free(label);
        g_free(wf);
    }
    rift_contentvec_set_debug(cv, NULL, NULL);
    g_clear_error(&err);
    g_free(got);
    ref_out_free(m, &ref);
    g_free(audio);
}

static void remove_dir(char *dir)
{
    tz_rmtree(dir);
    g_free(dir);
}

static int run_config(const cconfig *c, rift_backend_kind kind)
{
    printf("config %s: hidden %d, %d layers, %d heads, ffn %d, %d convs, pos conv %d / %d, "
           "eps %g, %s\n",
           c->name, (int)c->hidden, (int)c->n_layers, (int)c->n_heads, (int)c->ffn, c->n_conv,
           (int)c->pos_kernel, (int)c->pos_groups, c->ln_eps,
           c->bin ? "pytorch_model.bin" : "model.safetensors");
    model *m = model_new(c, 20251124u + (guint32)c->hidden * 13u + (guint32)c->n_conv);
    char *dir = tz_tmpdir();
    write_model_dir(m, dir, NULL);
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    rift_contentvec *cv = be ? rift_contentvec_load_dir(dir, be, &err) : NULL;
    if (rift_test_true(cv != NULL, "load %u tensors%s%s", m->t->list->len, err ? ": " : "",
                       err ? err->message : "")) {
        GRand *r = g_rand_new_with_seed(3 + (guint32)c->hidden);
        check_hparams(c, cv);
        for (int i = 0; i < N_LEN; i++)
            check_forward(m, cv, r, c->lengths[i]);
        g_rand_free(r);
    }
    g_clear_error(&err);
    rift_contentvec_free(cv);
    rift_backend_unref(be);
    remove_dir(dir);
    model_free(m);
    return rift_test_exit();
}

/* ---- errors --------------------------------------------------------------- */

/* config.json with `key` doubled against the tensors: refused, and the
 * message names the key (the user's fix is in config.json, not in the
 * tensor the first shape check happens to meet). */
static void expect_key_named(const model *m, rift_backend *be, const char *key)
{
    char *dir = tz_tmpdir();
    write_model_dir(m, dir, key);
    GError *err = NULL;
    rift_contentvec *cv = rift_contentvec_load_dir(dir, be, &err);
    const char *msg = err ? err->message : "(loaded)";
    if (rift_test_true(!cv && err, "config.json %s doubled against the tensors is refused: \"%s\"",
                       key, msg))
        rift_test_true(strstr(msg, key) != NULL, "the message names config.json's %s", key);
    g_clear_error(&err);
    rift_contentvec_free(cv);
    remove_dir(dir);
}

static int run_errors(void)
{
    model *m = model_new(&configs[0], 99);
    rift_backend *be = rift_backend_new(RIFT_BACKEND_CPU, -1, NULL);
    expect_key_named(m, be, "hidden_size");
    expect_key_named(m, be, "intermediate_size");
    expect_key_named(m, be, "num_conv_pos_embeddings");
    rift_backend_unref(be);
    model_free(m);
    return rift_test_exit();
}

/* ---- the reference against upstream --------------------------------------- */

static const cconfig fixture_cfg = {"reference", 64, 2, 4, 128, 32, 7,
                                    {32, 32, 32, 32, 32, 32, 32}, {10, 3, 3, 3, 3, 2, 2},
                                    {5, 2, 2, 2, 2, 2, 2}, FALSE, 128, 16, 1e-5, TRUE, {0}};

/* The fixture's weights read into a model (no engine code), run on the
 * stored sing audio_16k: upstream's intermediates and last_hidden_state. */
static int run_reference(void)
{
    rift_weights *w = rift_test_open("contentvec/tiny-content-vec-best/pytorch_model.bin");
    rift_weights *ref = rift_test_open("contentvec/sing.safetensors");
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
        synth_add(m->t, rift_tensor_to_f32(t, NULL), t->ndim, t->shape, "%s", t->name);
    }
    int64_t n16 = 0;
    float *audio = rift_test_tensor_f32(ref, "audio_16k", &n16);
    if (audio) {
        ref_out r = ref_forward(m, audio, n16);
        const char *names[] = {"feat_extract", "feat_proj", "pos_conv", "enc_in", "layer0",
                               "layer1", "last_hidden_state"};
        for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
            int64_t n, cols;
            float *want = rift_test_tensor_f32(ref, names[i], &n);
            const double *got = ref_named(m, &r, i == 6 ? "layer1" : names[i], &cols);
            if (want && rift_test_true(got && n == r.N * cols, "%s: %" G_GINT64_FORMAT " values",
                                       names[i], n)) {
                float *f = synth_to_float(got, n);
                char *label = g_strdup_printf("reference vs upstream: %s", names[i]);
                rift_test_check(label, f, want, n, 1e-4, 1e-5);
                g_free(label);
                g_free(f);
            }
            g_free(want);
        }
        ref_out_free(m, &r);
    }
    g_free(audio);
    model_free(m);
    rift_weights_free(w);
    rift_weights_free(ref);
    return rift_test_exit();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "reference"))
        return run_reference();
    if (argc > 1 && !strcmp(argv[1], "errors"))
        return run_errors();
    const cconfig *cfg = NULL;
    for (guint i = 0; argc > 1 && i < G_N_ELEMENTS(configs); i++)
        if (!strcmp(argv[1], configs[i].name))
            cfg = &configs[i];
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (!cfg || (argc > 2 && !rift_backend_kind_from_string(argv[2], &kind))) {
        fprintf(stderr, "usage: test-contentvec-sizes h48|conv5 [cpu|cuda] | reference | errors\n");
        return 2;
    }
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why)) {
        const int rc = rift_test_skip("CUDA backend: %s", why);
        g_free(why);
        return rc;
    }
    return run_config(cfg, kind);
}
