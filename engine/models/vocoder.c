/* vocoder.c — NSF-HiFiGAN as RIFT-SVC runs it (rift_svc/nsf_hifigan/models.py:
 * Generator, ResBlock1/2, SineGen, SourceModuleHnNSF), one function per block.
 *
 * Layout: every activation is time-major [L, C] (frame rows, channel
 * columns), the layout of the feature buffers, so a mel [T, n_mels] goes in
 * as it is and the audio [T·upp] comes out as one column. Items of a batch
 * run one after another through the same work buffers: each item is
 * independent, and the buffers of one 30 s item are already large.
 *
 * At load, weight norm is folded into plain weights (upstream does the same
 * with remove_weight_norm), and so is the 1/num_kernels of each stage's
 * resblock average: leaky_relu commutes with a positive factor, so the
 * division moves into the next layer's weights (the following upsampling
 * layer, or conv_post) and no pass over the largest activations is spent on
 * it. The debug hook still reports the average itself.
 *
 * Tested against upstream's outputs and intermediates in tests/fixtures/vocoder
 * (`rift-tool run vocoder`, tests/tool/meson.build) and, for other shapes,
 * resblock type 2 and the load errors, by tests/models/test-vocoder.c.
 */
#include "vocoder.h"

#include "loader.h"
#include "ops.h"
#include "rift-error.h"
#include "weights.h"

#include <math.h>
#include <string.h>

#define PREFIX "generator/"
#define CONV_PRE_K 7   /* conv_pre and conv_post: Conv1d(k=7, padding=3) */
#define LRELU_SLOPE 0.1f
#define LRELU_SLOPE_POST 0.01f /* F.leaky_relu's default, before conv_post */

typedef struct {
    float *w; /* [out, in, k] (Conv1d) or [in, out, k] (ConvTranspose1d) */
    float *b; /* [out] */
} conv_w;

/* resblocks.<i·n_kernels + j>: ResBlock1 has convs1 (dilated) and convs2
 * (dilation 1), one pair per dilation; ResBlock2 only "convs" (kept in c1). */
typedef struct {
    conv_w c1[3], c2[3];
} resblock_w;

struct rift_vocoder {
    rift_vocoder_hparams hp;
    rift_backend *be;
    rift_weights *weights;
    GPtrArray *owned; /* backend buffers made at load */
    int64_t n_params;

    conv_w conv_pre;                               /* conv_pre      [C0, n_mels, 7] */
    conv_w ups[RIFT_VOCODER_MAX_STAGES];           /* ups.i         [C_i, C_i+1, k_i] */
    conv_w noise_convs[RIFT_VOCODER_MAX_STAGES];   /* noise_convs.i [C_i+1, 1, 2s or 1] */
    resblock_w *resblocks;                         /* [n_stages · n_kernels] */
    conv_w conv_post;                              /* conv_post     [1, C_n, 7] */
    float *src_w, *src_b; /* m_source.l_linear [1, H], [1] */

    rift_vocoder_debug_fn debug;
    gpointer debug_user;
};

/* ---- config.json ---------------------------------------------------------- */

static gboolean bad_key(GError **err, const char *file, const char *key, const char *want)
{
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "vocoder: %s: '%s' must be %s", file, key,
                want);
    return FALSE;
}

static const rift_value *get_key(const rift_value *cfg, const char *file, const char *key,
                                 GError **err)
{
    const rift_value *v = rift_value_get(cfg, key);
    if (!v)
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING, "vocoder: %s: key '%s' is missing", file,
                    key);
    return v;
}

static gboolean positive_int(const rift_value *v, int64_t *out)
{
    return rift_value_get_type(v) == RIFT_VAL_INT && rift_value_as_int(v, out) && *out > 0;
}

static gboolean cfg_int(const rift_value *cfg, const char *file, const char *key, int64_t *out,
                        GError **err)
{
    const rift_value *v = get_key(cfg, file, key, err);
    return v && (positive_int(v, out) || bad_key(err, file, key, "a positive integer"));
}

/* A list of 1..max positive integers; its length in *n. */
static gboolean int_list(const rift_value *v, int64_t *out, int max, int *n)
{
    const rift_value_type t = rift_value_get_type(v);
    if (t != RIFT_VAL_LIST && t != RIFT_VAL_TUPLE)
        return FALSE;
    *n = (int)rift_value_len(v);
    if (*n < 1 || *n > max)
        return FALSE;
    for (int i = 0; i < *n; i++)
        if (!positive_int(rift_value_index(v, i), &out[i]))
            return FALSE;
    return TRUE;
}

static gboolean cfg_int_list(const rift_value *cfg, const char *file, const char *key,
                             int64_t *out, int max, int *n, GError **err)
{
    const rift_value *v = get_key(cfg, file, key, err);
    if (!v)
        return FALSE;
    if (int_list(v, out, max, n))
        return TRUE;
    char *want = g_strdup_printf("a list of 1 to %d positive integers", max);
    bad_key(err, file, key, want);
    g_free(want);
    return FALSE;
}

/* The keys models.py reads (others, such as the training and STFT keys,
 * are ignored), checked so that every stage's lengths work out: upstream
 * would otherwise fail at the first forward with a shape mismatch. */
static gboolean parse_config(rift_vocoder_hparams *hp, const rift_value *cfg, const char *file,
                             GError **err)
{
    int n_kernels_k, n_dil_lists;
    if (!cfg_int(cfg, file, "sampling_rate", &hp->sampling_rate, err) ||
        !cfg_int(cfg, file, "num_mels", &hp->n_mels, err) ||
        !cfg_int(cfg, file, "upsample_initial_channel", &hp->initial_channel, err) ||
        !cfg_int_list(cfg, file, "upsample_rates", hp->upsample_rates, RIFT_VOCODER_MAX_STAGES,
                      &hp->n_stages, err) ||
        !cfg_int_list(cfg, file, "upsample_kernel_sizes", hp->upsample_kernels,
                      RIFT_VOCODER_MAX_STAGES, &n_kernels_k, err) ||
        !cfg_int_list(cfg, file, "resblock_kernel_sizes", hp->resblock_kernels,
                      RIFT_VOCODER_MAX_KERNELS, &hp->n_kernels, err))
        return FALSE;

    const rift_value *rb = get_key(cfg, file, "resblock", err);
    if (!rb)
        return FALSE;
    /* upstream compares with the string '1' and takes ResBlock2 otherwise */
    const char *rbs = rift_value_as_str(rb);
    if (!rbs || (strcmp(rbs, "1") != 0 && strcmp(rbs, "2") != 0))
        return bad_key(err, file, "resblock", "\"1\" or \"2\"");
    hp->resblock = rbs[0] - '0';
    /* ResBlock1 builds three dilated convs, ResBlock2 two, from the first
     * entries of each dilation list */
    hp->n_dilations = hp->resblock == 1 ? 3 : 2;

    if (n_kernels_k != hp->n_stages) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                    "vocoder: %s: 'upsample_kernel_sizes' has %d entries but 'upsample_rates' %d "
                    "(one per stage)",
                    file, n_kernels_k, hp->n_stages);
        return FALSE;
    }
    const rift_value *dl = get_key(cfg, file, "resblock_dilation_sizes", err);
    if (!dl)
        return FALSE;
    const rift_value_type dlt = rift_value_get_type(dl);
    n_dil_lists = dlt == RIFT_VAL_LIST || dlt == RIFT_VAL_TUPLE ? (int)rift_value_len(dl) : -1;
    if (n_dil_lists != hp->n_kernels) {
        char *want = g_strdup_printf("a list of %d lists (one per resblock kernel size)",
                                     hp->n_kernels);
        bad_key(err, file, "resblock_dilation_sizes", want);
        g_free(want);
        return FALSE;
    }
    for (int j = 0; j < hp->n_kernels; j++) {
        int64_t d[RIFT_VOCODER_MAX_KERNELS];
        int n;
        if (!int_list(rift_value_index(dl, j), d, RIFT_VOCODER_MAX_KERNELS, &n) ||
            n < hp->n_dilations) {
            char *key = g_strdup_printf("resblock_dilation_sizes[%d]", j);
            char *want = g_strdup_printf("a list of at least %d positive integers (resblock "
                                         "\"%d\")",
                                         hp->n_dilations, hp->resblock);
            bad_key(err, file, key, want);
            g_free(key);
            g_free(want);
            return FALSE;
        }
        for (int m = 0; m < hp->n_dilations; m++) {
            hp->dilations[j][m] = d[m];
            /* padding d·(k−1)/2 keeps the length only when d·(k−1) is even */
            if (d[m] * (hp->resblock_kernels[j] - 1) % 2) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                            "vocoder: %s: 'resblock_kernel_sizes'[%d] = %" G_GINT64_FORMAT
                            " with dilation %" G_GINT64_FORMAT
                            " changes the sequence length (need an odd kernel size)",
                            file, j, hp->resblock_kernels[j], d[m]);
                return FALSE;
            }
        }
    }

    hp->upp = 1;
    for (int i = 0; i < hp->n_stages; i++) {
        const int64_t u = hp->upsample_rates[i], k = hp->upsample_kernels[i];
        /* ConvTranspose1d(k, u, padding (k − u)/2) makes exactly L·u frames */
        if (k < u || (k - u) % 2) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                        "vocoder: %s: 'upsample_kernel_sizes'[%d] = %" G_GINT64_FORMAT
                        " must be 'upsample_rates'[%d] = %" G_GINT64_FORMAT
                        " plus an even number, for the stage to upsample exactly %" G_GINT64_FORMAT
                        " times",
                        file, i, k, i, u, u);
            return FALSE;
        }
        if (hp->upp > G_MAXINT32 / u)
            return bad_key(err, file, "upsample_rates", "a list whose product fits 31 bits");
        hp->upp *= u;
    }
    /* noise_convs[i] has stride s = prod(rates[i+1:]), kernel 2s and padding
     * s/2: the output has the stage's length only for an even s */
    for (int i = 0, s = (int)hp->upp; i + 1 < hp->n_stages; i++) {
        s /= (int)hp->upsample_rates[i];
        if (s % 2) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                        "vocoder: %s: 'upsample_rates' after stage %d multiply to %d; the noise "
                        "convolution of that stage needs an even product",
                        file, i, s);
            return FALSE;
        }
    }
    if (hp->initial_channel >> hp->n_stages < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                    "vocoder: %s: 'upsample_initial_channel' = %" G_GINT64_FORMAT
                    " is too small for %d stages (each halves it)",
                    file, hp->initial_channel, hp->n_stages);
        return FALSE;
    }
    return TRUE;
}

/* channels out of stage i (i = −1: conv_pre), as upstream's
 * upsample_initial_channel // 2**(i+1) */
static int64_t channels(const rift_vocoder_hparams *hp, int i)
{
    return hp->initial_channel >> (i + 1);
}

/* the stride of noise_convs[i]: prod(upsample_rates[i+1:]) */
static int64_t noise_stride(const rift_vocoder_hparams *hp, int i)
{
    int64_t s = 1;
    for (int j = i + 1; j < hp->n_stages; j++)
        s *= hp->upsample_rates[j];
    return s;
}

/* ---- weights ---------------------------------------------------------------- */

/* torch.nn.utils.weight_norm (dim 0), removed as upstream's remove_weight_norm
 * does: weight = g · v / ‖v‖ with the norm over every dim but dim 0 — per
 * output channel of a Conv1d ([out, in, k]) but per *input* channel of a
 * ConvTranspose1d ([in, out, k]). `scale` multiplies the result (the folded
 * average of the previous stage). Computed in double, rounded once. */
static float *weight_norm(rift_loader *ld, const char *name, int64_t d0, int64_t d1, int64_t k,
                          double scale)
{
    float *v = rift_loader_host_f32(ld, 3, (int64_t[]){d0, d1, k}, "%s.weight_v", name);
    float *g = rift_loader_host_f32(ld, 3, (int64_t[]){d0, 1, 1}, "%s.weight_g", name);
    float *out = NULL;
    if (v && g) {
        const int64_t n = d1 * k;
        gboolean ok = TRUE;
        for (int64_t r = 0; r < d0 && ok; r++) {
            float *vr = v + r * n;
            double ss = 0.0;
            for (int64_t i = 0; i < n; i++)
                ss += (double)vr[i] * vr[i];
            /* upstream would divide by zero and fill the layer with NaN */
            ok = ss > 0.0;
            const double f = ok ? g[r] * scale / sqrt(ss) : 0.0;
            for (int64_t i = 0; i < n; i++)
                vr[i] = (float)(vr[i] * f);
        }
        if (ok)
            out = rift_loader_upload(ld, v, d0 * n);
        else
            rift_loader_fail(ld, g_error_new(RIFT_ERROR, RIFT_ERROR_FORMAT,
                                             "vocoder: tensor '" PREFIX "%s.weight_v' has an "
                                             "all-zero slice: its weight norm is undefined",
                                             name));
    }
    g_free(v);
    g_free(g);
    return out;
}

static conv_w normed_conv(rift_loader *ld, int64_t d0, int64_t d1, int64_t k, int64_t n_out,
                          double scale, const char *fmt, ...) G_GNUC_PRINTF(7, 8);

/* A weight-normed layer: weight [d0, d1, k] folded, bias [n_out]. */
static conv_w normed_conv(rift_loader *ld, int64_t d0, int64_t d1, int64_t k, int64_t n_out,
                          double scale, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    conv_w c = {
        .w = weight_norm(ld, name, d0, d1, k, scale),
        .b = rift_loader_f32(ld, 1, (int64_t[]){n_out}, "%s.bias", name),
    };
    g_free(name);
    return c;
}

static void bind_weights(rift_vocoder *voc, rift_loader *ld)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    const double avg = 1.0 / (double)hp->n_kernels; /* the previous stage's average */
    const int64_t C0 = channels(hp, -1);
    voc->conv_pre = normed_conv(ld, C0, hp->n_mels, CONV_PRE_K, C0, 1.0, "conv_pre");
    voc->resblocks = g_new0(resblock_w, hp->n_stages * hp->n_kernels);
    for (int i = 0; i < hp->n_stages; i++) {
        const int64_t cin = channels(hp, i - 1), c = channels(hp, i);
        voc->ups[i] = normed_conv(ld, cin, c, hp->upsample_kernels[i], c, i ? avg : 1.0, "ups.%d",
                                  i);
        const int64_t nk = i + 1 < hp->n_stages ? 2 * noise_stride(hp, i) : 1;
        voc->noise_convs[i].w =
            rift_loader_f32(ld, 3, (int64_t[]){c, 1, nk}, "noise_convs.%d.weight", i);
        voc->noise_convs[i].b = rift_loader_f32(ld, 1, (int64_t[]){c}, "noise_convs.%d.bias", i);
        for (int j = 0; j < hp->n_kernels; j++) {
            const int r = i * hp->n_kernels + j;
            const int64_t k = hp->resblock_kernels[j];
            resblock_w *rb = &voc->resblocks[r];
            for (int m = 0; m < hp->n_dilations; m++) {
                if (hp->resblock == 1) {
                    rb->c1[m] = normed_conv(ld, c, c, k, c, 1.0, "resblocks.%d.convs1.%d", r, m);
                    rb->c2[m] = normed_conv(ld, c, c, k, c, 1.0, "resblocks.%d.convs2.%d", r, m);
                } else {
                    rb->c1[m] = normed_conv(ld, c, c, k, c, 1.0, "resblocks.%d.convs.%d", r, m);
                }
            }
        }
    }
    voc->conv_post = normed_conv(ld, 1, channels(hp, hp->n_stages - 1), CONV_PRE_K, 1, avg,
                                 "conv_post");
    voc->src_w = rift_loader_f32(ld, 2, (int64_t[]){1, hp->n_harmonics},
                                 "m_source.l_linear.weight");
    voc->src_b = rift_loader_f32(ld, 1, (int64_t[]){1}, "m_source.l_linear.bias");
}

/* model.ckpt and the config.json beside it, from a file or a directory */
static void model_paths(const char *path, char **ckpt, char **config)
{
    *ckpt = g_file_test(path, G_FILE_TEST_IS_DIR) ? g_build_filename(path, "model.ckpt", NULL)
                                                  : g_strdup(path);
    char *dir = g_path_get_dirname(*ckpt);
    *config = g_build_filename(dir, "config.json", NULL);
    g_free(dir);
}

/* config.json beside the checkpoint `ckpt` */
static rift_value *read_config(const char *path, const char *ckpt, GError **err)
{
    char *text = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, &len, &e)) {
        if (g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                        "vocoder: %s: no config.json beside it (the vocoder's sizes are read "
                        "from %s)",
                        ckpt, path);
        else
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_IO, "vocoder: %s", e->message);
        g_error_free(e);
        return NULL;
    }
    rift_value *cfg = rift_value_from_json(text, (gssize)len, path, err);
    if (!cfg)
        g_prefix_error(err, "vocoder: ");
    g_free(text);
    if (cfg && rift_value_get_type(cfg) != RIFT_VAL_DICT) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT, "vocoder: %s: not a JSON object", path);
        g_clear_pointer(&cfg, rift_value_free);
    }
    return cfg;
}

static void log_hparams(const rift_vocoder *voc)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    GString *s = g_string_new(NULL);
    for (int i = 0; i < hp->n_stages; i++)
        g_string_append_printf(s, "%s%" G_GINT64_FORMAT, i ? "·" : "", hp->upsample_rates[i]);
    g_info("vocoder: %s: %" G_GINT64_FORMAT " Hz, %" G_GINT64_FORMAT " mels, %" G_GINT64_FORMAT
           " channels, %d stages (%s = %" G_GINT64_FORMAT " samples per frame), resblock %d "
           "with %d kernels, %" G_GINT64_FORMAT " harmonics, %" G_GINT64_FORMAT " parameters",
           rift_weights_path(voc->weights), hp->sampling_rate, hp->n_mels, hp->initial_channel,
           hp->n_stages, s->str, hp->upp, hp->resblock, hp->n_kernels, hp->n_harmonics,
           voc->n_params);
    g_string_free(s, TRUE);
}

rift_vocoder *rift_vocoder_load(const char *path, rift_backend *be, GError **err)
{
    char *ckpt, *config;
    model_paths(path, &ckpt, &config);
    rift_vocoder *voc = g_new0(rift_vocoder, 1);
    voc->be = rift_backend_ref(be);
    rift_value *cfg = NULL;
    gboolean ok = (voc->weights = rift_weights_open(ckpt, err)) != NULL &&
                  (cfg = read_config(config, ckpt, err)) != NULL &&
                  parse_config(&voc->hp, cfg, config, err);
    if (ok) {
        /* the number of harmonics is fixed in upstream's code (harmonic_num 8);
         * the merge layer's width says it too */
        const rift_tensor *l = rift_weights_find(voc->weights, PREFIX "m_source.l_linear.weight");
        const rift_tensor *pre = rift_weights_find(voc->weights, PREFIX "conv_pre.weight_v");
        if (!l || !pre || l->ndim != 2) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                        "vocoder: %s: no tensor '" PREFIX "%s' (is this an NSF-HiFiGAN "
                        "checkpoint, {'generator': state_dict}?)",
                        ckpt, !pre ? "conv_pre.weight_v" : "m_source.l_linear.weight");
            ok = FALSE;
        } else {
            voc->hp.n_harmonics = l->shape[1];
        }
    }
    if (ok) {
        for (guint i = 0; i < rift_weights_count(voc->weights); i++) {
            const rift_tensor *t = rift_weights_nth(voc->weights, i);
            if (g_str_has_prefix(t->name, PREFIX))
                voc->n_params += rift_tensor_numel(t);
        }
        rift_loader *ld = rift_loader_new(voc->weights, be, PREFIX, "vocoder");
        bind_weights(voc, ld);
        GError *e = NULL;
        ok = rift_loader_finish(ld, &voc->owned, &e);
        /* every tensor name and shape expected comes from config.json: say so */
        if (!ok) {
            g_set_error(err, RIFT_ERROR, e->code,
                        "%s (the layers expected come from %s: does it belong to this "
                        "checkpoint?)",
                        e->message, config);
            g_error_free(e);
        }
    }
    if (ok)
        log_hparams(voc);
    rift_value_free(cfg);
    g_free(ckpt);
    g_free(config);
    if (!ok) {
        rift_vocoder_free(voc);
        return NULL;
    }
    return voc;
}

void rift_vocoder_free(rift_vocoder *voc)
{
    if (!voc)
        return;
    rift_loader_free_owned(voc->be, voc->owned);
    g_free(voc->resblocks);
    rift_weights_free(voc->weights);
    rift_backend_unref(voc->be);
    g_free(voc);
}

const rift_vocoder_hparams *rift_vocoder_get_hparams(const rift_vocoder *voc)
{
    return &voc->hp;
}

int64_t rift_vocoder_get_sample_rate(const rift_vocoder *voc)
{
    return voc->hp.sampling_rate;
}

int64_t rift_vocoder_get_hop(const rift_vocoder *voc)
{
    return voc->hp.upp;
}

int64_t rift_vocoder_get_n_mels(const rift_vocoder *voc)
{
    return voc->hp.n_mels;
}

rift_backend *rift_vocoder_get_backend(const rift_vocoder *voc)
{
    return voc->be;
}

void rift_vocoder_set_debug(rift_vocoder *voc, rift_vocoder_debug_fn fn, gpointer user)
{
    voc->debug = fn;
    voc->debug_user = user;
}

/* ---- the forward ---------------------------------------------------------- */

/* Device buffers for one item of T frames. */
typedef struct {
    int64_t T;
    float *mel;     /* [T, n_mels] */
    float *f0, *acc; /* [T] */
    float *rand_ini; /* [H] */
    float *randn;   /* [T·upp, H] */
    float *sines;   /* [T·upp, H] (rift_vocoder_source only) */
    float *har;     /* [T·upp] */
    float *act[5];  /* activations, each the largest stage's [L, C] */
    void *conv_work, *tconv_work;
    float *host_acc; /* [T] */
} work;

/* The workspace of every conv1d of the forward, in its order. */
static size_t conv_workspace(const rift_vocoder *voc, int64_t T)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    const int64_t n = T * hp->upp;
    size_t ws = rift_op_conv1d_workspace(be, T, hp->n_mels, channels(hp, -1), CONV_PRE_K, 1,
                                         CONV_PRE_K / 2, 1, 1);
    int64_t L = T;
    for (int i = 0; i < hp->n_stages; i++) {
        const int64_t c = channels(hp, i), s = noise_stride(hp, i);
        L *= hp->upsample_rates[i];
        ws = MAX(ws, i + 1 < hp->n_stages
                         ? rift_op_conv1d_workspace(be, n, 1, c, 2 * s, s, s / 2, 1, 1)
                         : rift_op_conv1d_workspace(be, n, 1, c, 1, 1, 0, 1, 1));
        for (int j = 0; j < hp->n_kernels; j++) {
            const int64_t k = hp->resblock_kernels[j];
            for (int m = 0; m < hp->n_dilations; m++) {
                const int64_t d = hp->dilations[j][m];
                ws = MAX(ws, rift_op_conv1d_workspace(be, L, c, c, k, 1, d * (k - 1) / 2, d, 1));
            }
            ws = MAX(ws, rift_op_conv1d_workspace(be, L, c, c, k, 1, (k - 1) / 2, 1, 1));
        }
    }
    return MAX(ws, rift_op_conv1d_workspace(be, L, channels(hp, hp->n_stages - 1), 1, CONV_PRE_K,
                                            1, CONV_PRE_K / 2, 1, 1));
}

static work *work_new(const rift_vocoder *voc, int64_t T, gboolean full, const float *randn,
                      gboolean sines)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    const int64_t n = T * hp->upp, H = hp->n_harmonics;
    work *w = g_new0(work, 1);
    w->T = T;
#define ALLOC(count) rift_backend_alloc(be, (size_t)(count) * sizeof(float))
    w->f0 = ALLOC(T);
    w->acc = ALLOC(T);
    w->rand_ini = ALLOC(H);
    w->har = ALLOC(n);
    w->randn = randn ? ALLOC(n * H) : NULL;
    w->sines = sines ? ALLOC(n * H) : NULL;
    if (full) {
        int64_t act = T * channels(hp, -1), L = T;
        size_t tws = 0;
        for (int i = 0; i < hp->n_stages; i++) {
            tws = MAX(tws, rift_op_conv_transpose1d_workspace(
                               be, L, channels(hp, i - 1), channels(hp, i),
                               hp->upsample_kernels[i], hp->upsample_rates[i],
                               (hp->upsample_kernels[i] - hp->upsample_rates[i]) / 2));
            L *= hp->upsample_rates[i];
            act = MAX(act, L * channels(hp, i));
        }
        w->mel = ALLOC(T * hp->n_mels);
        for (int i = 0; i < 5; i++)
            w->act[i] = ALLOC(act);
        const size_t cws = conv_workspace(voc, T);
        w->conv_work = cws ? rift_backend_alloc(be, cws) : NULL;
        w->tconv_work = tws ? rift_backend_alloc(be, tws) : NULL;
    }
#undef ALLOC
    w->host_acc = g_new(float, T);
    return w;
}

static void work_free(const rift_vocoder *voc, work *w)
{
    float *bufs[] = {w->mel, w->f0, w->acc, w->rand_ini, w->randn, w->sines, w->har,
                     w->act[0], w->act[1], w->act[2], w->act[3], w->act[4]};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(voc->be, bufs[i]);
    rift_backend_free_mem(voc->be, w->conv_work);
    rift_backend_free_mem(voc->be, w->tconv_work);
    g_free(w->host_acc);
    g_free(w);
}

/* Hand a device tensor [rows, cols] of item b to the debug hook as a host
 * copy, every value divided by `div` (1 except for a stage's average). */
static void debug_dump(rift_vocoder *voc, const char *name, int64_t b, const float *d,
                       int64_t rows, int64_t cols, int div)
{
    if (!voc->debug)
        return;
    float *host = g_new(float, rows * cols);
    rift_backend_download(voc->be, host, d, rows * cols * sizeof(float));
    if (rift_backend_sync(voc->be, NULL)) {
        for (int64_t i = 0; div != 1 && i < rows * cols; i++)
            host[i] /= (float)div;
        voc->debug(name, b, host, rows, cols, voc->debug_user);
    }
    g_free(host);
}

/* The phase each frame starts from, as SineGen._f02sine accumulates it:
 * rad2[t] = fmod(512·inc[t] + 0.5, 1) − 0.5 (the frame's whole increment,
 * wrapped), summed over the frames before t in double with every prefix
 * rounded to float32 (torch's CPU cumsum), then fmod 1 in float32. A float32
 * running sum would drift by 1e-4 over a few hundred frames. */
static void phase_offsets(float *acc, const float *f0, int64_t T, int64_t upp, float rate)
{
    double sum = 0.0;
    for (int64_t t = 0; t < T; t++) {
        acc[t] = fmodf((float)sum, 1.0f);
        const float inc = f0[t] / rate;
        sum += fmodf(inc * (float)upp + 0.5f, 1.0f) - 0.5f;
    }
}

/* har = SourceModuleHnNSF(f0) for item b (and its sines when w->sines). */
static void harmonic_source(rift_vocoder *voc, work *w, const rift_vocoder_input *in, int64_t b)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    const int64_t T = in->T, n = T * hp->upp, H = hp->n_harmonics;
    const float rate = (float)hp->sampling_rate;
    phase_offsets(w->host_acc, in->f0 + b * T, T, hp->upp, rate);
    rift_backend_upload(be, w->f0, in->f0 + b * T, T * sizeof(float));
    rift_backend_upload(be, w->acc, w->host_acc, T * sizeof(float));
    if (w->randn)
        rift_backend_upload(be, w->randn, in->randn + b * n * H, n * H * sizeof(float));
    rift_op_nsf_source(be, w->har, w->sines, w->f0, w->acc, T, hp->upp, rate, H,
                       in->rand_ini ? w->rand_ini : NULL, w->randn, voc->src_w, voc->src_b);
    debug_dump(voc, "har_source", b, w->har, n, 1, 1);
}

static void conv(rift_vocoder *voc, work *w, float *y, const float *x, const conv_w *c,
                 int64_t L, int64_t cin, int64_t cout, int64_t k, int64_t stride, int64_t pad,
                 int64_t dilation)
{
    rift_op_conv1d(voc->be, y, x, c->w, c->b, L, cin, cout, k, stride, pad, dilation, 1,
                   w->conv_work);
}

/* x += ResBlock(x) − x over L frames of C channels, t1/t2 scratch:
 * ResBlock1: for each dilation d, x += conv2(lrelu(conv1_d(lrelu(x))));
 * ResBlock2: for each dilation d, x += conv_d(lrelu(x)). */
static void resblock(rift_vocoder *voc, work *w, const resblock_w *rb, int j, float *x,
                     float *t1, float *t2, int64_t L, int64_t C)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    const int64_t k = hp->resblock_kernels[j], n = L * C;
    for (int m = 0; m < hp->n_dilations; m++) {
        const int64_t d = hp->dilations[j][m];
        rift_op_leaky_relu(be, t1, x, n, LRELU_SLOPE);
        conv(voc, w, t2, t1, &rb->c1[m], L, C, C, k, 1, d * (k - 1) / 2, d);
        if (hp->resblock == 1) {
            rift_op_leaky_relu(be, t2, t2, n, LRELU_SLOPE);
            conv(voc, w, t1, t2, &rb->c2[m], L, C, C, k, 1, (k - 1) / 2, 1);
            rift_op_axpy(be, x, n, t1, n, 1, n, 1.0f);
        } else {
            rift_op_axpy(be, x, n, t2, n, 1, n, 1.0f);
        }
    }
}

/* Generator.forward for item b: the audio to audio[b·T·upp ..]. */
static void generator(rift_vocoder *voc, work *w, const rift_vocoder_input *in, int64_t b,
                      float *audio)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    const int64_t T = in->T, n = T * hp->upp;
    char name[32];
    /* x: the stage's input, y: the upsampled sum, xs: the resblocks' sum,
     * r: one resblock's running value (x's buffer, free once upsampled) */
    float *x = w->act[0], *y = w->act[1], *xs = w->act[2], *t1 = w->act[3], *t2 = w->act[4];

    harmonic_source(voc, w, in, b);
    rift_backend_upload(be, w->mel, in->mel + b * T * hp->n_mels, T * hp->n_mels * sizeof(float));
    conv(voc, w, x, w->mel, &voc->conv_pre, T, hp->n_mels, channels(hp, -1), CONV_PRE_K, 1,
         CONV_PRE_K / 2, 1);
    debug_dump(voc, "conv_pre_out", b, x, T, channels(hp, -1), 1);

    int64_t L = T;
    for (int i = 0; i < hp->n_stages; i++) {
        const int64_t u = hp->upsample_rates[i], ku = hp->upsample_kernels[i];
        const int64_t cin = channels(hp, i - 1), c = channels(hp, i), s = noise_stride(hp, i);
        rift_op_leaky_relu(be, x, x, L * cin, LRELU_SLOPE);
        rift_op_conv_transpose1d(be, y, x, voc->ups[i].w, voc->ups[i].b, L, cin, c, ku, u,
                                 (ku - u) / 2, w->tconv_work);
        L *= u;
        if (i + 1 < hp->n_stages)
            conv(voc, w, t1, w->har, &voc->noise_convs[i], n, 1, c, 2 * s, s, s / 2, 1);
        else
            conv(voc, w, t1, w->har, &voc->noise_convs[i], n, 1, c, 1, 1, 0, 1);
        rift_op_axpy(be, y, L * c, t1, L * c, 1, L * c, 1.0f);
        g_snprintf(name, sizeof name, "stage%d_in", i);
        debug_dump(voc, name, b, y, L, c, 1);

        float *r = x;
        for (int j = 0; j < hp->n_kernels; j++) {
            float *dst = j ? r : xs;
            rift_backend_copy(be, dst, y, (size_t)(L * c) * sizeof(float));
            resblock(voc, w, &voc->resblocks[i * hp->n_kernels + j], j, dst, t1, t2, L, c);
            if (j)
                rift_op_axpy(be, xs, L * c, r, L * c, 1, L * c, 1.0f);
        }
        /* xs / n_kernels is folded into the next layer's weights */
        g_snprintf(name, sizeof name, "stage%d_out", i);
        debug_dump(voc, name, b, xs, L, c, hp->n_kernels);
        x = xs;
        xs = r;
    }

    const int64_t c = channels(hp, hp->n_stages - 1);
    rift_op_leaky_relu(be, x, x, L * c, LRELU_SLOPE_POST);
    conv(voc, w, t1, x, &voc->conv_post, L, c, 1, CONV_PRE_K, 1, CONV_PRE_K / 2, 1);
    debug_dump(voc, "conv_post_out", b, t1, L, 1, 1);
    rift_op_tanh(be, t1, t1, L);
    rift_backend_download(be, audio + b * n, t1, n * sizeof(float));
}

static gboolean check_input(const rift_vocoder *voc, const rift_vocoder_input *in,
                            gboolean need_mel, GError **err)
{
    if (in->B < 0 || in->T < 0 || (in->B && in->T && (!in->f0 || (need_mel && !in->mel)))) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "vocoder: B = %" G_GINT64_FORMAT ", T = %" G_GINT64_FORMAT
                    ": need B, T >= 0, and %s",
                    in->B, in->T, need_mel ? "mel and f0" : "f0");
        return FALSE;
    }
    if (in->T > G_MAXINT32 / voc->hp.upp) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "vocoder: %" G_GINT64_FORMAT " frames are more than this build handles",
                    in->T);
        return FALSE;
    }
    return TRUE;
}

/* Run `full` (the generator) or the source alone for every item. */
static gboolean run(rift_vocoder *voc, const rift_vocoder_input *in, gboolean full, float *audio,
                    float *har, float *sines, GError **err)
{
    const rift_vocoder_hparams *hp = &voc->hp;
    rift_backend *be = voc->be;
    if (!check_input(voc, in, full, err))
        return FALSE;
    if (in->B == 0 || in->T == 0)
        return TRUE;
    const int64_t n = in->T * hp->upp, H = hp->n_harmonics;
    work *w = work_new(voc, in->T, full, in->randn, sines != NULL);
    /* upstream overwrites the first harmonic's initial phase with 0 */
    float *rand_ini = g_new0(float, H);
    if (in->rand_ini)
        memcpy(rand_ini + 1, in->rand_ini + 1, (H - 1) * sizeof(float));
    rift_backend_upload(be, w->rand_ini, rand_ini, H * sizeof(float));
    gboolean ok = TRUE;
    for (int64_t b = 0; ok && b < in->B; b++) {
        if (full)
            generator(voc, w, in, b, audio);
        else
            harmonic_source(voc, w, in, b);
        if (har)
            rift_backend_download(be, har + b * n, w->har, n * sizeof(float));
        if (sines)
            rift_backend_download(be, sines + b * n * H, w->sines, n * H * sizeof(float));
        /* the next item reuses the host and device buffers */
        ok = rift_backend_sync(be, err);
    }
    g_free(rand_ini);
    work_free(voc, w);
    return ok;
}

gboolean rift_vocoder_forward(rift_vocoder *voc, const rift_vocoder_input *in, float *audio,
                              float *har, GError **err)
{
    return run(voc, in, TRUE, audio, har, NULL, err);
}

gboolean rift_vocoder_source(rift_vocoder *voc, const rift_vocoder_input *in, float *har,
                             float *sines, GError **err)
{
    return run(voc, in, FALSE, NULL, har, sines, err);
}
