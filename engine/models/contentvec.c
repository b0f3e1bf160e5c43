/* contentvec.c — ContentVec / HuBERT as transformers' HubertModel runs it in
 * eval mode without an attention mask (modeling_hubert.py: the GroupNorm
 * conv feature encoder, HubertFeatureProjection, the weight-normed
 * positional conv and the post-LN HubertEncoder), one function per block.
 *
 * Layout: every activation is time-major, [frames, channels] row-major, so
 * the convolutions, the Linear layers and attention all read the previous
 * op's output as it is. The positional conv's weight norm is folded once at
 * load. One segment runs as one sequence (B = 1).
 *
 * Tested against upstream's outputs and every intermediate in
 * tests/fixtures/contentvec (tests/models/test-contentvec.c,
 * `rift-tool run contentvec` in tests/tool).
 */
#include "contentvec.h"

#include "loader.h"
#include "ops.h"
#include "rift-error.h"
#include "weights.h"

#include <math.h>
#include <string.h>

/* HubertGroupNormConvLayer's nn.GroupNorm keeps torch's default eps;
 * layer_norm_eps only reaches the LayerNorms */
#define GROUP_NORM_EPS 1e-5f

#define POS_CONV "encoder.pos_conv_embed.conv."

typedef struct {
    float *w, *b; /* w [out, in] as nn.Linear stores it, b [out] */
} cv_linear;

typedef struct {
    float *w, *b; /* affine weight and bias [C] of a LayerNorm or GroupNorm */
} cv_norm;

typedef struct {
    cv_linear q, k, v, o; /* encoder.layers.%d.attention.{q,k,v,out}_proj          [H, H] */
    cv_norm ln;           /* encoder.layers.%d.layer_norm                          [H] */
    cv_linear ff1;        /* encoder.layers.%d.feed_forward.intermediate_dense     [F, H] */
    cv_linear ff2;        /* encoder.layers.%d.feed_forward.output_dense           [H, F] */
    cv_norm final_ln;     /* encoder.layers.%d.final_layer_norm                    [H] */
} cv_layer;

struct rift_contentvec {
    rift_contentvec_hparams hp;
    rift_backend *be;
    rift_weights *weights; /* owns the file mapping the CPU weights point into */
    GPtrArray *owned;      /* backend buffers the loader made */
    char *dir;             /* the model directory, for messages */

    /* feature_extractor.conv_layers.%d.conv.weight [C_i, C_i-1, k_i], .bias [C_i] or NULL */
    float *conv_w[RIFT_CONTENTVEC_MAX_CONV];
    float *conv_b[RIFT_CONTENTVEC_MAX_CONV];
    cv_norm group_norm;    /* feature_extractor.conv_layers.0.layer_norm (GroupNorm) [C_0] */
    cv_norm proj_ln;       /* feature_projection.layer_norm [C] (feat_proj_layer_norm) */
    cv_linear proj;        /* feature_projection.projection [H, C] */
    float *pos_w;          /* encoder.pos_conv_embed.conv weight, g·v/‖v‖ folded [H, H/G, K] */
    gboolean pos_w_owned;  /* pos_w is ours (folded), not the loader's */
    float *pos_b;          /* encoder.pos_conv_embed.conv.bias [H] */
    cv_norm enc_ln;        /* encoder.layer_norm [H] */
    cv_layer *layers;

    rift_contentvec_debug_fn debug;
    gpointer debug_user;
};

/* ---- config.json ------------------------------------------------------- */

/* Each reader leaves *out at HubertConfig's default when the key is absent
 * (as from_pretrained does) and fails when it has the wrong type. */
static gboolean type_error(const char *path, const char *key, const char *want, GError **err)
{
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "contentvec: %s: %s must be %s", path, key,
                want);
    return FALSE;
}

static gboolean cfg_int(const rift_value *cfg, const char *path, const char *key, int64_t *out,
                        GError **err)
{
    const rift_value *v = rift_value_get(cfg, key);
    if (!v)
        return TRUE;
    if (rift_value_get_type(v) != RIFT_VAL_INT || !rift_value_as_int(v, out) || *out < 1)
        return type_error(path, key, "a positive integer", err);
    return TRUE;
}

static gboolean cfg_bool(const rift_value *cfg, const char *path, const char *key,
                         gboolean *out, GError **err)
{
    const rift_value *v = rift_value_get(cfg, key);
    if (v && (rift_value_get_type(v) != RIFT_VAL_BOOL || !rift_value_as_bool(v, out)))
        return type_error(path, key, "true or false", err);
    return TRUE;
}

static gboolean cfg_str(const rift_value *cfg, const char *path, const char *key,
                        const char **out, GError **err)
{
    const rift_value *v = rift_value_get(cfg, key);
    if (v && !(*out = rift_value_as_str(v)))
        return type_error(path, key, "a string", err);
    return TRUE;
}

/* a list of positive integers; *n keeps its value when the key is absent */
static gboolean cfg_int_list(const rift_value *cfg, const char *path, const char *key,
                             int64_t *out, int *n, GError **err)
{
    const rift_value *v = rift_value_get(cfg, key);
    if (!v)
        return TRUE;
    const guint len = rift_value_len(v);
    if (rift_value_get_type(v) != RIFT_VAL_LIST || len < 1 || len > RIFT_CONTENTVEC_MAX_CONV)
        return type_error(path, key, "a list of 1 to 16 positive integers", err);
    for (guint i = 0; i < len; i++)
        if (!rift_value_as_int(rift_value_index(v, i), &out[i]) || out[i] < 1)
            return type_error(path, key, "a list of 1 to 16 positive integers", err);
    *n = (int)len;
    return TRUE;
}

static gboolean unsupported(const char *path, const char *key, const char *value,
                            const char *supported, GError **err)
{
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                "contentvec: %s: %s %s is not supported (only %s, as in HuBERT base and "
                "content-vec-best)",
                path, key, value, supported);
    return FALSE;
}

/* The sizes and switches of HubertConfig that last_hidden_state depends on. */
static gboolean read_config(rift_contentvec_hparams *hp, const rift_value *cfg, const char *path,
                            GError **err)
{
    static const int64_t kernel[] = {10, 3, 3, 3, 3, 2, 2}, stride[] = {5, 2, 2, 2, 2, 2, 2};
    const char *model_type = NULL;
    if (!cfg_str(cfg, path, "model_type", &model_type, err))
        return FALSE;
    if (g_strcmp0(model_type, "hubert") != 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                    "contentvec: %s: model_type is %s%s%s, expected \"hubert\" (ContentVec is a "
                    "Hugging Face HubertModel)",
                    path, model_type ? "\"" : "", model_type ? model_type : "missing",
                    model_type ? "\"" : "");
        return FALSE;
    }

    /* HubertConfig's defaults (HuBERT base) */
    *hp = (rift_contentvec_hparams){.hidden = 768, .n_layers = 12, .n_heads = 12, .ffn = 3072,
                                    .n_conv = 7, .feat_proj_layer_norm = TRUE,
                                    .pos_kernel = 128, .pos_groups = 16,
                                    .layer_norm_eps = 1e-5f};
    int n_dim = 7, n_kernel = 7, n_stride = 7;
    for (int i = 0; i < 7; i++) {
        hp->conv_dim[i] = 512;
        hp->conv_kernel[i] = kernel[i];
        hp->conv_stride[i] = stride[i];
    }
    int64_t n_feat_layers = -1;
    double eps = hp->layer_norm_eps;
    gboolean stable = FALSE, pos_bn = FALSE;
    const char *norm = "group", *act = "gelu", *feat_act = "gelu";
    const rift_value *eps_v = rift_value_get(cfg, "layer_norm_eps");
    if (!cfg_int(cfg, path, "hidden_size", &hp->hidden, err) ||
        !cfg_int(cfg, path, "num_hidden_layers", &hp->n_layers, err) ||
        !cfg_int(cfg, path, "num_attention_heads", &hp->n_heads, err) ||
        !cfg_int(cfg, path, "intermediate_size", &hp->ffn, err) ||
        !cfg_int(cfg, path, "num_conv_pos_embeddings", &hp->pos_kernel, err) ||
        !cfg_int(cfg, path, "num_conv_pos_embedding_groups", &hp->pos_groups, err) ||
        !cfg_int(cfg, path, "num_feat_extract_layers", &n_feat_layers, err) ||
        !cfg_int_list(cfg, path, "conv_dim", hp->conv_dim, &n_dim, err) ||
        !cfg_int_list(cfg, path, "conv_kernel", hp->conv_kernel, &n_kernel, err) ||
        !cfg_int_list(cfg, path, "conv_stride", hp->conv_stride, &n_stride, err) ||
        !cfg_bool(cfg, path, "conv_bias", &hp->conv_bias, err) ||
        !cfg_bool(cfg, path, "feat_proj_layer_norm", &hp->feat_proj_layer_norm, err) ||
        !cfg_bool(cfg, path, "do_stable_layer_norm", &stable, err) ||
        !cfg_bool(cfg, path, "conv_pos_batch_norm", &pos_bn, err) ||
        !cfg_str(cfg, path, "feat_extract_norm", &norm, err) ||
        !cfg_str(cfg, path, "hidden_act", &act, err) ||
        !cfg_str(cfg, path, "feat_extract_activation", &feat_act, err))
        return FALSE;
    if (eps_v && (!rift_value_as_double(eps_v, &eps) || !(eps > 0.0)))
        return type_error(path, "layer_norm_eps", "a positive number", err);
    hp->layer_norm_eps = (float)eps;

    if (strcmp(norm, "group") != 0) {
        char *q = g_strdup_printf("\"%s\"", norm);
        unsupported(path, "feat_extract_norm", q, "\"group\", a GroupNorm after the first conv",
                    err);
        g_free(q);
        return FALSE;
    }
    if (stable)
        return unsupported(path, "do_stable_layer_norm", "true (the pre-LN encoder)",
                           "false, the post-LN encoder", err);
    if (pos_bn)
        return unsupported(path, "conv_pos_batch_norm", "true", "false", err);
    const char *acts[][2] = {{"hidden_act", act}, {"feat_extract_activation", feat_act}};
    for (guint i = 0; i < G_N_ELEMENTS(acts); i++) {
        if (strcmp(acts[i][1], "gelu") != 0) {
            char *q = g_strdup_printf("\"%s\"", acts[i][1]);
            unsupported(path, acts[i][0], q, "\"gelu\", the exact-erf GELU", err);
            g_free(q);
            return FALSE;
        }
    }

    hp->n_conv = n_dim;
    if (n_kernel != n_dim || n_stride != n_dim || (n_feat_layers > 0 && n_feat_layers != n_dim) ||
        hp->hidden % hp->n_heads != 0 || hp->hidden % hp->pos_groups != 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                    "contentvec: %s: inconsistent sizes: conv_dim, conv_kernel and conv_stride "
                    "have %d, %d and %d entries (num_feat_extract_layers %" G_GINT64_FORMAT
                    "); hidden_size %" G_GINT64_FORMAT " must divide by num_attention_heads %"
                    G_GINT64_FORMAT " and num_conv_pos_embedding_groups %" G_GINT64_FORMAT,
                    path, n_dim, n_kernel, n_stride, n_feat_layers, hp->hidden, hp->n_heads,
                    hp->pos_groups);
        return FALSE;
    }
    hp->head_dim = hp->hidden / hp->n_heads;
    /* one frame out of the last conv needs k samples into it, and so on back */
    hp->min_samples = 1;
    for (int i = hp->n_conv - 1; i >= 0; i--)
        hp->min_samples = (hp->min_samples - 1) * hp->conv_stride[i] + hp->conv_kernel[i];
    return TRUE;
}

static rift_value *load_config(const char *path, GError **err)
{
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, NULL)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_IO,
                    "contentvec: %s: cannot read it (a Hugging Face model directory has "
                    "config.json beside pytorch_model.bin or model.safetensors)",
                    path);
        return NULL;
    }
    rift_value *cfg = rift_value_from_json(text, (gssize)len, path, err);
    g_free(text);
    if (cfg && rift_value_get_type(cfg) != RIFT_VAL_DICT) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "contentvec: %s: not a JSON object",
                    path);
        rift_value_free(cfg);
        return NULL;
    }
    return cfg;
}

/* ---- binding the tensors ------------------------------------------------ */

static cv_linear linear(rift_loader *ld, int64_t out, int64_t in, const char *fmt, int il)
{
    char *name = g_strdup_printf(fmt, il);
    cv_linear l = {
        .w = rift_loader_f32(ld, 2, (int64_t[]){out, in}, "%s.weight", name),
        .b = rift_loader_f32(ld, 1, (int64_t[]){out}, "%s.bias", name),
    };
    g_free(name);
    return l;
}

static cv_norm norm(rift_loader *ld, int64_t C, const char *fmt, int il)
{
    char *name = g_strdup_printf(fmt, il);
    cv_norm n = {
        .w = rift_loader_f32(ld, 1, (int64_t[]){C}, "%s.weight", name),
        .b = rift_loader_f32(ld, 1, (int64_t[]){C}, "%s.bias", name),
    };
    g_free(name);
    return n;
}

/* How many of fmt % 0, 1, 2, ... the checkpoint has, counting up from 0. */
static int count_indexed(rift_loader *ld, const char *fmt)
{
    int n = 0;
    while (n < 10000 && rift_loader_peek(ld, fmt, n))
        n++;
    return n;
}

static gboolean is_float(rift_dtype dt)
{
    return dt == RIFT_F32 || dt == RIFT_F16 || dt == RIFT_BF16 || dt == RIFT_F64;
}

/* A float32 host copy of a tensor, shape-checked and marked used. */
static float *take_host(rift_contentvec *cv, const char *prefix, const char *name, int ndim,
                        const int64_t *shape, GError **err)
{
    char *full = g_strconcat(prefix, name, NULL);
    const rift_tensor *t = rift_weights_find(cv->weights, full);
    g_free(full);
    t = rift_weights_take(cv->weights, prefix, name,
                          t && is_float(t->dtype) ? t->dtype : RIFT_F32, ndim, shape, err);
    if (!t) {
        g_prefix_error(err, "contentvec: ");
        return NULL;
    }
    return rift_tensor_to_f32(t, err);
}

/* The positional conv's weight. Weight norm over dim 2 is
 * w[o, i, j] = g[j] · v[o, i, j] / ‖v[:, :, j]‖, the norm per kernel tap over
 * (out, in/groups); folded once here as torch evaluates it, v · (g / ‖v‖)
 * in float32 (the norm summed in double). Checkpoints name g and v
 * weight_g/weight_v (content-vec-best, transformers' old weight_norm) or
 * parametrizations.weight.original0/1 (torch ≥ 2.1's parametrization);
 * one whose weight norm was removed has a plain weight. */
static gboolean bind_pos_conv(rift_contentvec *cv, rift_loader *ld, const char *prefix,
                              GError **err)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    const int64_t H = hp->hidden, K = hp->pos_kernel, per = H * (H / hp->pos_groups);
    const int64_t v_shape[3] = {H, H / hp->pos_groups, K}, g_shape[3] = {1, 1, K};
    cv->pos_b = rift_loader_f32(ld, 1, (int64_t[]){H}, POS_CONV "bias");
    if (rift_loader_peek(ld, POS_CONV "weight")) {
        cv->pos_w = rift_loader_f32(ld, 3, v_shape, POS_CONV "weight");
        return TRUE;
    }
    const char *g_name = POS_CONV "weight_g", *v_name = POS_CONV "weight_v";
    if (!rift_loader_peek(ld, POS_CONV "weight_g") &&
        rift_loader_peek(ld, POS_CONV "parametrizations.weight.original0")) {
        g_name = POS_CONV "parametrizations.weight.original0";
        v_name = POS_CONV "parametrizations.weight.original1";
    }
    float *g = take_host(cv, prefix, g_name, 3, g_shape, err);
    float *v = g ? take_host(cv, prefix, v_name, 3, v_shape, err) : NULL;
    if (!v) {
        g_free(g);
        return FALSE;
    }
    float *scale = g_new(float, K);
    for (int64_t j = 0; j < K; j++) {
        double ss = 0.0;
        for (int64_t e = 0; e < per; e++)
            ss += (double)v[e * K + j] * v[e * K + j];
        scale[j] = g[j] / (float)sqrt(ss);
    }
    for (int64_t e = 0; e < per; e++)
        for (int64_t j = 0; j < K; j++)
            v[e * K + j] *= scale[j];
    const size_t bytes = (size_t)(per * K) * sizeof(float);
    cv->pos_w = rift_backend_alloc(cv->be, bytes);
    cv->pos_w_owned = TRUE;
    rift_backend_upload(cv->be, cv->pos_w, v, bytes);
    /* the upload may be asynchronous: keep v until it is done */
    const gboolean ok = rift_backend_sync(cv->be, err);
    g_free(scale);
    g_free(g);
    g_free(v);
    return ok;
}

/* Tensors of HubertModelWithFinalProj that last_hidden_state does not use:
 * marked used (any size), never uploaded. */
static gboolean skip_unused(rift_contentvec *cv, const char *prefix, GError **err)
{
    static const struct {
        const char *name;
        int ndim;
    } skip[] = {{"masked_spec_embed", 1}, {"final_proj.weight", 2}, {"final_proj.bias", 1}};
    const int64_t any[2] = {-1, -1};
    for (guint i = 0; i < G_N_ELEMENTS(skip); i++) {
        char *full = g_strconcat(prefix, skip[i].name, NULL);
        const rift_tensor *t = rift_weights_find(cv->weights, full);
        g_free(full);
        if (t && !rift_weights_take(cv->weights, prefix, skip[i].name, t->dtype, skip[i].ndim,
                                    any, err)) {
            g_prefix_error(err, "contentvec: ");
            return FALSE;
        }
    }
    return TRUE;
}

/* The widths config.json states, against the tensor that shows each, so a
 * wrong config is reported as the config key to fix rather than as the
 * first tensor whose shape then disagrees. (num_attention_heads changes no
 * shape and cannot be checked.) */
static gboolean check_sizes(rift_contentvec *cv, rift_loader *ld, GError **err)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    const struct {
        const char *key, *tensor;
        int axis;
        int64_t want;
    } sizes[] = {
        {"hidden_size", "feature_projection.projection.weight", 0, hp->hidden},
        {"intermediate_size", "encoder.layers.0.feed_forward.intermediate_dense.weight", 0,
         hp->ffn},
        {"num_conv_pos_embeddings", "encoder.pos_conv_embed.conv.weight_v", 2, hp->pos_kernel},
        {"num_conv_pos_embeddings", "encoder.pos_conv_embed.conv.parametrizations.weight.original1",
         2, hp->pos_kernel},
        {"conv_dim[0]", "feature_extractor.conv_layers.0.conv.weight", 0, hp->conv_dim[0]},
        {"conv_kernel[0]", "feature_extractor.conv_layers.0.conv.weight", 2, hp->conv_kernel[0]},
    };
    for (guint i = 0; i < G_N_ELEMENTS(sizes); i++) {
        const rift_tensor *t = rift_loader_peek(ld, "%s", sizes[i].tensor);
        if (!t || sizes[i].axis >= t->ndim)
            continue; /* absent (or another naming): reported when bound */
        const int64_t have = t->shape[sizes[i].axis];
        if (have != sizes[i].want) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                        "contentvec: %s: config.json %s is %" G_GINT64_FORMAT
                        " but %s has %" G_GINT64_FORMAT " there",
                        cv->dir, sizes[i].key, sizes[i].want, sizes[i].tensor, have);
            return FALSE;
        }
    }
    return TRUE;
}

/* The layer counts the checkpoint has must be the config's. */
static gboolean check_counts(rift_contentvec *cv, rift_loader *ld, GError **err)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    const struct {
        const char *key, *pattern, *shown;
        int64_t want;
    } counts[] = {
        {"len(conv_dim)", "feature_extractor.conv_layers.%d.conv.weight",
         "feature_extractor.conv_layers.N", hp->n_conv},
        {"num_hidden_layers", "encoder.layers.%d.attention.q_proj.weight", "encoder.layers.N",
         hp->n_layers},
    };
    for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
        const int have = count_indexed(ld, counts[i].pattern);
        if (have != counts[i].want) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                        "contentvec: %s: config.json %s is %" G_GINT64_FORMAT
                        " but the checkpoint has %d (%s)",
                        cv->dir, counts[i].key, counts[i].want, have, counts[i].shown);
            return FALSE;
        }
    }
    return check_sizes(cv, ld, err);
}

static void bind_weights(rift_contentvec *cv, rift_loader *ld)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    const int64_t H = hp->hidden, F = hp->ffn, C = hp->conv_dim[hp->n_conv - 1];
    for (int i = 0; i < hp->n_conv; i++) {
        const int64_t shape[3] = {hp->conv_dim[i], i ? hp->conv_dim[i - 1] : 1,
                                  hp->conv_kernel[i]};
        cv->conv_w[i] =
            rift_loader_f32(ld, 3, shape, "feature_extractor.conv_layers.%d.conv.weight", i);
        if (hp->conv_bias)
            cv->conv_b[i] = rift_loader_f32(ld, 1, (int64_t[]){hp->conv_dim[i]},
                                            "feature_extractor.conv_layers.%d.conv.bias", i);
    }
    cv->group_norm = norm(ld, hp->conv_dim[0], "feature_extractor.conv_layers.%d.layer_norm", 0);
    if (hp->feat_proj_layer_norm)
        cv->proj_ln = norm(ld, C, "feature_projection.layer_norm", 0);
    cv->proj = linear(ld, H, C, "feature_projection.projection", 0);
    cv->enc_ln = norm(ld, H, "encoder.layer_norm", 0);
    cv->layers = g_new0(cv_layer, hp->n_layers);
    for (int i = 0; i < hp->n_layers; i++) {
        cv_layer *l = &cv->layers[i];
        l->q = linear(ld, H, H, "encoder.layers.%d.attention.q_proj", i);
        l->k = linear(ld, H, H, "encoder.layers.%d.attention.k_proj", i);
        l->v = linear(ld, H, H, "encoder.layers.%d.attention.v_proj", i);
        l->o = linear(ld, H, H, "encoder.layers.%d.attention.out_proj", i);
        l->ln = norm(ld, H, "encoder.layers.%d.layer_norm", i);
        l->ff1 = linear(ld, F, H, "encoder.layers.%d.feed_forward.intermediate_dense", i);
        l->ff2 = linear(ld, H, F, "encoder.layers.%d.feed_forward.output_dense", i);
        l->final_ln = norm(ld, H, "encoder.layers.%d.final_layer_norm", i);
    }
}

static void log_hparams(const rift_contentvec *cv, const char *file)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    g_info("contentvec: %s: hidden %" G_GINT64_FORMAT ", layers %" G_GINT64_FORMAT
           ", heads %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT ", ffn %" G_GINT64_FORMAT
           ", %d convs to %" G_GINT64_FORMAT " channels (%" G_GINT64_FORMAT
           " samples per frame at least), positional conv %" G_GINT64_FORMAT " taps / %"
           G_GINT64_FORMAT " groups",
           file, hp->hidden, hp->n_layers, hp->n_heads, hp->head_dim, hp->ffn, hp->n_conv,
           hp->conv_dim[hp->n_conv - 1], hp->min_samples, hp->pos_kernel, hp->pos_groups);
}

/* The checkpoint file of a model directory, as from_pretrained prefers it. */
static char *find_model_file(const char *dir, GError **err)
{
    static const char *const names[] = {"model.safetensors", "pytorch_model.bin"};
    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        char *path = g_build_filename(dir, names[i], NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            return path;
        g_free(path);
    }
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                "contentvec: %s: no model.safetensors or pytorch_model.bin beside config.json",
                dir);
    return NULL;
}

rift_contentvec *rift_contentvec_load_dir(const char *dir, rift_backend *be, GError **err)
{
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "contentvec: %s is not a directory: ContentVec loads from a Hugging Face "
                    "model directory (config.json with pytorch_model.bin or model.safetensors)",
                    dir);
        return NULL;
    }
    char *cfg_path = g_build_filename(dir, "config.json", NULL);
    if (!g_file_test(cfg_path, G_FILE_TEST_EXISTS)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                    "contentvec: %s has no config.json: ContentVec loads from a Hugging Face "
                    "model directory (config.json with pytorch_model.bin or model.safetensors)",
                    dir);
        g_free(cfg_path);
        return NULL;
    }
    rift_contentvec *cv = g_new0(rift_contentvec, 1);
    cv->be = rift_backend_ref(be);
    cv->dir = g_strdup(dir);
    rift_value *cfg = load_config(cfg_path, err);
    gboolean ok = cfg && read_config(&cv->hp, cfg, cfg_path, err);
    rift_value_free(cfg);
    g_free(cfg_path);
    char *file = ok ? find_model_file(dir, err) : NULL;
    if (file && !(cv->weights = rift_weights_open(file, err)))
        g_clear_pointer(&file, g_free);
    if (!file) {
        rift_contentvec_free(cv);
        return NULL;
    }

    /* a HubertFor... head's checkpoint keeps the model under "hubert." */
    const char *first = "feature_extractor.conv_layers.0.conv.weight";
    const char *prefix = "";
    char *hubert = g_strconcat("hubert.", first, NULL);
    if (!rift_weights_find(cv->weights, first) && rift_weights_find(cv->weights, hubert))
        prefix = "hubert.";
    g_free(hubert);
    rift_loader *ld = rift_loader_new(cv->weights, be, prefix, "contentvec");
    if (!rift_loader_peek(ld, "%s", first)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                    "contentvec: %s: no tensor '%s' (is this a HuBERT / ContentVec checkpoint?)",
                    file, first);
        ok = FALSE;
    }
    ok = ok && check_counts(cv, ld, err);
    if (ok) {
        bind_weights(cv, ld);
        GError *e = NULL;
        if (!bind_pos_conv(cv, ld, prefix, &e) || !skip_unused(cv, prefix, &e))
            rift_loader_fail(ld, e);
    }
    if (!rift_loader_finish(ld, &cv->owned, ok ? err : NULL))
        ok = FALSE;
    if (ok)
        log_hparams(cv, file);
    g_free(file);
    if (!ok) {
        rift_contentvec_free(cv);
        return NULL;
    }
    return cv;
}

void rift_contentvec_free(rift_contentvec *cv)
{
    if (!cv)
        return;
    rift_loader_free_owned(cv->be, cv->owned);
    if (cv->pos_w_owned)
        rift_backend_free_mem(cv->be, cv->pos_w);
    g_free(cv->layers);
    rift_weights_free(cv->weights);
    rift_backend_unref(cv->be);
    g_free(cv->dir);
    g_free(cv);
}

const rift_contentvec_hparams *rift_contentvec_get_hparams(const rift_contentvec *cv)
{
    return &cv->hp;
}

int64_t rift_contentvec_n_frames(const rift_contentvec *cv, int64_t n16)
{
    int64_t len = n16;
    for (int i = 0; i < cv->hp.n_conv; i++) {
        if (len < cv->hp.conv_kernel[i])
            return 0;
        len = (len - cv->hp.conv_kernel[i]) / cv->hp.conv_stride[i] + 1;
    }
    return len;
}

void rift_contentvec_set_debug(rift_contentvec *cv, rift_contentvec_debug_fn fn, gpointer user)
{
    cv->debug = fn;
    cv->debug_user = user;
}

/* ---- the network -------------------------------------------------------- */

/* Device buffers of one forward, sized for its segment. */
typedef struct {
    int64_t L[RIFT_CONTENTVEC_MAX_CONV + 1]; /* frames into conv i; L[n_conv] = N */
    int64_t N, pos_len;                       /* frames; rows of the positional conv's output */
    float *audio;                             /* [n16] */
    float *conv[2]; /* conv i writes conv[i % 2]: [L[i+1], conv_dim[i]] */
    void *conv_work;
    float *x, *q, *k, *v; /* [N, H] */
    float *h;             /* [pos_len, H] */
    float *f;             /* [N, F] */
    void *attn_work;
} cv_work;

static void work_free(rift_backend *be, cv_work *w)
{
    void *bufs[] = {w->audio, w->conv[0], w->conv[1], w->conv_work, w->x,
                    w->q,     w->k,       w->v,       w->h,         w->f, w->attn_work};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(be, bufs[i]);
}

static void work_alloc(rift_contentvec *cv, cv_work *w, int64_t n16)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    rift_backend *be = cv->be;
    const int64_t H = hp->hidden, K = hp->pos_kernel;
    size_t conv_bytes[2] = {0, 0}, ws = 0;
    w->L[0] = n16;
    for (int i = 0; i < hp->n_conv; i++) {
        const int64_t cin = i ? hp->conv_dim[i - 1] : 1;
        w->L[i + 1] = (w->L[i] - hp->conv_kernel[i]) / hp->conv_stride[i] + 1;
        conv_bytes[i % 2] = MAX(conv_bytes[i % 2],
                                (size_t)(w->L[i + 1] * hp->conv_dim[i]) * sizeof(float));
        ws = MAX(ws, rift_op_conv1d_workspace(be, w->L[i], cin, hp->conv_dim[i],
                                              hp->conv_kernel[i], hp->conv_stride[i], 0, 1, 1));
    }
    w->N = w->L[hp->n_conv];
    /* padding K/2 on both sides: N + 1 rows for an even kernel, whose last
     * one HubertSamePadLayer drops */
    w->pos_len = w->N + 2 * (K / 2) - K + 1;
    ws = MAX(ws, rift_op_conv1d_workspace(be, w->N, H, H, K, 1, K / 2, 1, hp->pos_groups));

#define ALLOC(bytes) rift_backend_alloc(be, (bytes))
#define FLOATS(n) ALLOC((size_t)(n) * sizeof(float))
    w->audio = FLOATS(n16);
    w->conv[0] = ALLOC(conv_bytes[0]);
    w->conv[1] = conv_bytes[1] ? ALLOC(conv_bytes[1]) : NULL;
    w->conv_work = ALLOC(ws);
    w->x = FLOATS(w->N * H);
    w->q = FLOATS(w->N * H);
    w->k = FLOATS(w->N * H);
    w->v = FLOATS(w->N * H);
    w->h = FLOATS(w->pos_len * H);
    w->f = FLOATS(w->N * hp->ffn);
    const size_t aws = rift_op_attention_workspace(be, 1, w->N, hp->n_heads, hp->head_dim);
    w->attn_work = aws ? ALLOC(aws) : NULL;
#undef FLOATS
#undef ALLOC
}

/* Hand a device tensor to the debug hook as a host copy. */
static void debug_dump(rift_contentvec *cv, const char *name, const float *d, int64_t rows,
                       int64_t cols)
{
    if (!cv->debug)
        return;
    float *host = g_new(float, rows * cols);
    rift_backend_download(cv->be, host, d, (size_t)(rows * cols) * sizeof(float));
    if (rift_backend_sync(cv->be, NULL))
        cv->debug(name, host, rows, cols, cv->debug_user);
    g_free(host);
}

/* y[R, out] = x[R, in] · Wᵀ + b */
static void linear_fwd(rift_backend *be, float *y, const float *x, cv_linear l, int64_t R,
                       int64_t in, int64_t out)
{
    rift_op_fill_rows(be, y, l.b, R, out);
    rift_op_gemm(be, FALSE, TRUE, R, out, in, 1.0f, x, in, l.w, in, 1.0f, y, out);
}

/* x[R, out] += y[R, in] · Wᵀ + b: a Linear layer into its residual */
static void linear_add(rift_backend *be, float *x, const float *y, cv_linear l, int64_t R,
                       int64_t in, int64_t out)
{
    rift_op_axpy(be, x, out, l.b, 0, R, out, 1.0f);
    rift_op_gemm(be, FALSE, TRUE, R, out, in, 1.0f, y, in, l.w, in, 1.0f, x, out);
}

/* HubertFeatureEncoder: conv 0 → GroupNorm(C, C) over the whole segment →
 * GELU, then every other conv → GELU. Returns the [N, conv_dim[-1]] output. */
static float *feature_encoder(rift_contentvec *cv, cv_work *w)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    rift_backend *be = cv->be;
    const float *in = w->audio;
    float *out = NULL;
    for (int i = 0; i < hp->n_conv; i++) {
        const int64_t cin = i ? hp->conv_dim[i - 1] : 1, C = hp->conv_dim[i];
        const int64_t Lout = w->L[i + 1];
        out = w->conv[i % 2];
        rift_op_conv1d(be, out, in, cv->conv_w[i], cv->conv_b[i], w->L[i], cin, C,
                       hp->conv_kernel[i], hp->conv_stride[i], 0, 1, 1, w->conv_work);
        if (i == 0)
            rift_op_channel_norm(be, out, out, Lout, C, GROUP_NORM_EPS, cv->group_norm.w,
                                 cv->group_norm.b);
        rift_op_gelu(be, out, out, Lout * C);
        in = out;
    }
    return out;
}

/* HubertFeatureProjection (LayerNorm, Linear) into x, then the positional
 * embedding: conv (pad K/2, groups) → drop the last frame for an even K →
 * GELU, added to x; then the encoder's LayerNorm (post-LN: before the layers). */
static void embed(rift_contentvec *cv, cv_work *w, float *feat)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    rift_backend *be = cv->be;
    const int64_t N = w->N, H = hp->hidden, C = hp->conv_dim[hp->n_conv - 1];
    const int64_t K = hp->pos_kernel;
    debug_dump(cv, "feat_extract", feat, N, C);
    if (hp->feat_proj_layer_norm)
        rift_op_layernorm(be, feat, feat, N, C, hp->layer_norm_eps, cv->proj_ln.w, cv->proj_ln.b,
                          NULL, NULL, 0, 0);
    linear_fwd(be, w->x, feat, cv->proj, N, C, H);
    debug_dump(cv, "feat_proj", w->x, N, H);

    rift_op_conv1d(be, w->h, w->x, cv->pos_w, cv->pos_b, N, H, H, K, 1, K / 2, 1, hp->pos_groups,
                   w->conv_work);
    rift_op_gelu(be, w->h, w->h, N * H); /* rows N.. are the dropped frame */
    debug_dump(cv, "pos_conv", w->h, N, H);
    rift_op_axpy(be, w->x, H, w->h, H, N, H, 1.0f);
    rift_op_layernorm(be, w->x, w->x, N, H, hp->layer_norm_eps, cv->enc_ln.w, cv->enc_ln.b, NULL,
                      NULL, 0, 0);
    debug_dump(cv, "enc_in", w->x, N, H);
}

/* HubertEncoderLayer (post-LN):
 *   x = LN(x + out_proj(MHA(x))),  x = LN(x + W2·gelu(W1·x + b1) + b2)
 * MHA: q·kᵀ scaled by head_dim^-0.5, softmax over every frame. */
static void encoder_layer(rift_contentvec *cv, cv_work *w, int il)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    rift_backend *be = cv->be;
    const cv_layer *l = &cv->layers[il];
    const int64_t N = w->N, H = hp->hidden, F = hp->ffn;
    const int32_t len = (int32_t)N;
    linear_fwd(be, w->q, w->x, l->q, N, H, H);
    linear_fwd(be, w->k, w->x, l->k, N, H, H);
    linear_fwd(be, w->v, w->x, l->v, N, H, H);
    rift_op_attention(be, w->h, w->q, w->k, w->v, 1, N, hp->n_heads, hp->head_dim,
                      (float)(1.0 / sqrt((double)hp->head_dim)), &len, w->attn_work);
    linear_add(be, w->x, w->h, l->o, N, H, H);
    rift_op_layernorm(be, w->x, w->x, N, H, hp->layer_norm_eps, l->ln.w, l->ln.b, NULL, NULL, 0,
                      0);
    linear_fwd(be, w->f, w->x, l->ff1, N, H, F);
    rift_op_gelu(be, w->f, w->f, N * F);
    linear_add(be, w->x, w->f, l->ff2, N, F, H);
    rift_op_layernorm(be, w->x, w->x, N, H, hp->layer_norm_eps, l->final_ln.w, l->final_ln.b,
                      NULL, NULL, 0, 0);
    char name[32];
    g_snprintf(name, sizeof name, "layer%d", il);
    debug_dump(cv, name, w->x, N, H);
}

gboolean rift_contentvec_forward(rift_contentvec *cv, const float *audio_16k, int64_t n16,
                                 float *out, int64_t *n_frames, GError **err)
{
    const rift_contentvec_hparams *hp = &cv->hp;
    rift_backend *be = cv->be;
    if (n16 < hp->min_samples) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "contentvec: a segment of %" G_GINT64_FORMAT " samples at 16 kHz is shorter "
                    "than the %" G_GINT64_FORMAT " needed for one frame (%.1f ms)",
                    n16, hp->min_samples, (double)hp->min_samples / 16.0);
        return FALSE;
    }
    if (rift_contentvec_n_frames(cv, n16) > G_MAXINT32) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "contentvec: a segment of %" G_GINT64_FORMAT " samples is too long", n16);
        return FALSE;
    }
    cv_work w = {0};
    work_alloc(cv, &w, n16);
    rift_backend_upload(be, w.audio, audio_16k, (size_t)n16 * sizeof(float));
    float *feat = feature_encoder(cv, &w);
    embed(cv, &w, feat);
    for (int i = 0; i < hp->n_layers; i++)
        encoder_layer(cv, &w, i);
    rift_backend_download(be, out, w.x, (size_t)(w.N * hp->hidden) * sizeof(float));
    const gboolean ok = rift_backend_sync(be, err);
    if (ok && n_frames)
        *n_frames = w.N;
    work_free(be, &w);
    return ok;
}
