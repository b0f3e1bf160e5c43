/* bench-contentvec.c — `rift-tool bench contentvec`: the content vectors of
 * one segment as riftcvec computes them (16 kHz resampling, ContentVec,
 * interpolation onto the mel grid), with a random HuBERT base as
 * content-vec-best is: hidden 768, 12 layers of 12 heads, intermediate 3072,
 * conv_dim [512]*7 with kernels [10,3,3,3,3,2,2] and strides [5,2,2,2,2,2,2],
 * a positional conv of 128 taps in 16 groups. */
#include "bench.h"
#include "interp.h"
#include "resample-soxr.h"

#include <math.h>
#include <stdio.h>

#define CVEC_RATE 16000
#define N_CONV 7
#define POS_K 128
#define POS_G 16

static const int64_t conv_kernel[N_CONV] = {10, 3, 3, 3, 3, 2, 2};

/* content-vec-best's config.json keys that set sizes; the rest keep
 * HubertConfig's defaults, which are content-vec-best's */
static char *config_json(const bench_args *a)
{
    GString *s = g_string_new("{\"model_type\": \"hubert\", \"conv_dim\": [");
    for (int i = 0; i < N_CONV; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? ", " : "", a->cvec_conv);
    g_string_append_printf(s,
                           "], \"hidden_size\": %" G_GINT64_FORMAT
                           ", \"num_hidden_layers\": %" G_GINT64_FORMAT
                           ", \"num_attention_heads\": %" G_GINT64_FORMAT
                           ", \"intermediate_size\": %" G_GINT64_FORMAT
                           ", \"num_conv_pos_embeddings\": %d"
                           ", \"num_conv_pos_embedding_groups\": %d}\n",
                           a->cvec_dim, a->cvec_layers, a->cvec_heads, a->cvec_ffn, POS_K, POS_G);
    return g_string_free(s, FALSE);
}

/* LayerNorm / GroupNorm affine at name */
static void add_norm(bench_weights *wb, const char *name, int64_t C)
{
    char *w = g_strconcat(name, ".weight", NULL), *b = g_strconcat(name, ".bias", NULL);
    bench_weights_add(wb, w, 1, &C, 0.1, 1.0);
    bench_weights_add(wb, b, 1, &C, 0.1, 0.0);
    g_free(w);
    g_free(b);
}

rift_contentvec *bench_random_contentvec(const bench_args *a, rift_backend *be, GError **err)
{
    const int64_t H = a->cvec_dim, F = a->cvec_ffn, C = a->cvec_conv;
    bench_weights wb;
    bench_weights_init(&wb, "", 9012);
    char p[96];
    for (int i = 0; i < N_CONV; i++) {
        const int64_t cin = i ? C : 1, k = conv_kernel[i];
        g_snprintf(p, sizeof p, "feature_extractor.conv_layers.%d.conv.weight", i);
        bench_weights_add(&wb, p, 3, (int64_t[]){C, cin, k}, sqrt(2.0 / (double)(cin * k)), 0.0);
    }
    add_norm(&wb, "feature_extractor.conv_layers.0.layer_norm", C);
    add_norm(&wb, "feature_projection.layer_norm", C);
    bench_weights_add_linear(&wb, "feature_projection.projection", H, C);
    /* weight norm over dim 2: weight_g [1, 1, K], weight_v [H, H/G, K] */
    bench_weights_add(&wb, "encoder.pos_conv_embed.conv.weight_g", 3, (int64_t[]){1, 1, POS_K},
                      0.0, 1.0);
    bench_weights_add(&wb, "encoder.pos_conv_embed.conv.weight_v", 3,
                      (int64_t[]){H, H / POS_G, POS_K}, 1.0, 0.0);
    bench_weights_add(&wb, "encoder.pos_conv_embed.conv.bias", 1, &H, 0.1, 0.0);
    add_norm(&wb, "encoder.layer_norm", H);
    for (int l = 0; l < a->cvec_layers; l++) {
        static const char *const proj[] = {"k_proj", "v_proj", "q_proj", "out_proj"};
        for (guint i = 0; i < G_N_ELEMENTS(proj); i++) {
            g_snprintf(p, sizeof p, "encoder.layers.%d.attention.%s", l, proj[i]);
            bench_weights_add_linear(&wb, p, H, H);
        }
        g_snprintf(p, sizeof p, "encoder.layers.%d.layer_norm", l);
        add_norm(&wb, p, H);
        g_snprintf(p, sizeof p, "encoder.layers.%d.feed_forward.intermediate_dense", l);
        bench_weights_add_linear(&wb, p, F, H);
        g_snprintf(p, sizeof p, "encoder.layers.%d.feed_forward.output_dense", l);
        bench_weights_add_linear(&wb, p, H, F);
        g_snprintf(p, sizeof p, "encoder.layers.%d.final_layer_norm", l);
        add_norm(&wb, p, H);
    }

    rift_contentvec *cv = NULL;
    char *dir = bench_tmpdir_new(err);
    char *path = dir ? g_build_filename(dir, "model.safetensors", NULL) : NULL;
    char *cfg = dir ? g_build_filename(dir, "config.json", NULL) : NULL, *json = config_json(a);
    if (dir && bench_weights_write(&wb, path, err) && g_file_set_contents(cfg, json, -1, err))
        cv = rift_contentvec_load_dir(dir, be, err);
    g_free(path);
    g_free(cfg);
    g_free(json);
    if (dir)
        bench_tmpdir_remove(dir);
    bench_weights_clear(&wb);
    return cv;
}

/* the feature encoder's convs (2·k·cin·cout per output frame), the feature
 * projection, the grouped positional conv (2·K·H/G·H per frame), and per
 * layer q, k, v, out (2·4·N·H²), attention's two products (2·2·N²·H) and the
 * two feed-forward Linears (2·2·N·H·F) */
double bench_contentvec_flops(const rift_contentvec_hparams *hp, int64_t n16)
{
    double f = 0.0;
    int64_t L = n16, cin = 1;
    for (int i = 0; i < hp->n_conv; i++) {
        L = (L - hp->conv_kernel[i]) / hp->conv_stride[i] + 1;
        f += 2.0 * (double)(hp->conv_kernel[i] * cin * hp->conv_dim[i]) * (double)L;
        cin = hp->conv_dim[i];
    }
    const double N = (double)L, H = (double)hp->hidden, F = (double)hp->ffn;
    f += 2.0 * N * (double)cin * H;
    f += 2.0 * N * (double)hp->pos_kernel * (H / (double)hp->pos_groups) * H;
    const double layer = 2.0 * N * 4.0 * H * H + 2.0 * 2.0 * N * N * H + 2.0 * 2.0 * N * H * F;
    f += (double)hp->n_layers * layer;
    return f;
}

gboolean bench_contentvec_segment(rift_contentvec *cv, const float *audio, int64_t n, int64_t T,
                                  float *cvec, double *flop, GError **err)
{
    const rift_contentvec_hparams *hp = rift_contentvec_get_hparams(cv);
    const int64_t n16 = rift_resample_soxr_len(n, (int)BENCH_RATE, CVEC_RATE);
    const int64_t len = MAX(n16, hp->min_samples);
    float *audio_16k = g_new0(float, len), *hidden = NULL;
    int64_t N = rift_contentvec_n_frames(cv, len);
    gboolean ok = rift_resample_soxr_hq(audio, n, (int)BENCH_RATE, CVEC_RATE, audio_16k, err);
    if (ok) {
        hidden = g_new(float, N * hp->hidden);
        ok = rift_contentvec_forward(cv, audio_16k, len, hidden, &N, err);
    }
    if (ok)
        rift_interp_linear(cvec, T, hidden, N, hp->hidden);
    *flop = bench_contentvec_flops(hp, len);
    g_free(audio_16k);
    g_free(hidden);
    return ok;
}

typedef struct {
    rift_contentvec *cv;
    const float *audio;
    int64_t n, T;
    float *cvec;
    double flop;
    gboolean ok;
} cvec_run;

static void run_cvec(gpointer data)
{
    cvec_run *s = data;
    s->ok = bench_contentvec_segment(s->cv, s->audio, s->n, s->T, s->cvec, &s->flop, NULL);
}

int bench_contentvec(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_contentvec *cv = bench_random_contentvec(a, be, &err);
    if (!cv) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_contentvec_hparams *hp = rift_contentvec_get_hparams(cv);
    cvec_run s = {.cv = cv, .n = (int64_t)(a->seconds * BENCH_RATE)};
    s.T = MAX(s.n / BENCH_HOP, 1);
    float *audio = g_new(float, s.n);
    bench_singing(audio, 0, s.n);
    s.audio = audio;
    s.cvec = g_new(float, s.T * hp->hidden);
    const double t = bench_time_median(run_cvec, &s, a->runs);
    bench_report rep;
    bench_report_begin(&rep, "contentvec", a->json);
    bench_report_num(&rep, "hidden", (double)hp->hidden, "%.0f");
    bench_report_num(&rep, "layers", (double)hp->n_layers, "%.0f");
    bench_report_num(&rep, "seconds", a->seconds, "%.2f");
    bench_report_speed(&rep, t, s.flop, peak, a->seconds);
    bench_report_str(&rep, "ok", s.ok ? "yes" : "no");
    bench_report_machine(&rep, be, peak);
    bench_report_end(&rep);
    g_free(audio);
    g_free(s.cvec);
    rift_contentvec_free(cv);
    return s.ok ? 0 : 1;
}
