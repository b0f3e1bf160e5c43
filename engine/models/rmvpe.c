/* rmvpe.c — RIFT-SVC's RMVPE (rift_svc/rmvpe: inference.py RMVPE,
 * model.py E2E0, deepunet.py DeepUnet0, seq.py BiGRU, spec.py
 * MelSpectrogram, utils.py to_local_average_f0; rift_svc/utils.py
 * post_process_f0), one function per block.
 *
 * The network runs on one image, channels first: the log-mel is [1, T32, M]
 * (H = time, W = mel bin), each level halves both and doubles the channels.
 * Every BatchNorm that follows a conv is folded into it at load; only the
 * input BatchNorm stays an affine op, because the first conv's zero padding
 * would see its shift. The decoder's concatenation costs no copy: each level
 * has one buffer [2·C, H, W] whose second half receives the encoder's skip
 * tensor and whose first half receives the upsampled tensor. The BiGRU input
 * (cnn output [3, T32, M] read as [T32, 3·M]) is never transposed: its input
 * projection is one GEMM per cnn channel.
 *
 * Tested against upstream's outputs and intermediates in tests/fixtures/rmvpe
 * (tests/models/test-rmvpe.c, `rift-tool run rmvpe`).
 */
#include "rmvpe.h"

#include "loader.h"
#include "mel.h"
#include "ops.h"
#include "resample.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

#define PREFIX "model/"
#define BN_EPS 1e-5 /* BatchNorm2d's default */
/* MelSpectrogram(N_MELS, 16000, 1024, 160, None, 30, 8000), center=True */
#define N_FFT 1024
#define MEL_FMIN 30.0
#define MEL_FMAX 8000.0
#define LOG_FLOOR 1e-5f
#define PAD_MULTIPLE 32 /* mel2hidden pads the frames to a multiple of 32 */
#define MAX_LEVELS 5    /* 2^levels must divide PAD_MULTIPLE */
/* utils.py: bin i is 20·i + CONST cents (10 Hz reference) */
#define CENTS_PER_BIN 20
#define CENTS_0 1997.3794084376191
#define DECODE_HALF 4 /* the local average spans argmax − 4 .. argmax + 4 */
/* infer.py: RMVPE runs on the 44.1 kHz segment, resampled by torchaudio with
 * lowpass_filter_width 128; post_process_f0 maps onto the mel's hop 512 */
#define RATE_44K 44100
#define HOP_44K 512
#define RESAMPLE_WIDTH 128

typedef struct {
    float *w; /* conv [cout, cin, k, k]; transposed conv [cin, cout, k, k] */
    float *b; /* [cout] */
} conv_w;

/* ConvBlockRes: ReLU(BN(conv3×3)) twice, plus a 1×1 shortcut conv (or the
 * input itself when cin == cout) */
typedef struct {
    int64_t cin, cout;
    conv_w conv1;    /* .conv.0 + .conv.1 (BN), no conv bias */
    conv_w conv2;    /* .conv.3 + .conv.4 (BN) */
    conv_w shortcut; /* .shortcut.weight [cout, cin, 1, 1] / .bias; w NULL: identity */
} res_block;

typedef struct {
    conv_w up;         /* .conv1.0 ConvTranspose2d(3, stride 2, pad 1, out pad 1) + .conv1.1 */
    res_block *blocks; /* .conv2.N */
} dec_layer;

typedef struct {
    float *w_ih, *b_ih; /* weight_ih_lN[_reverse] [3H, in], bias_ih [3H] */
    float *w_hh, *b_hh; /* weight_hh [3H, H], bias_hh [3H] */
} gru_dir;

struct rift_rmvpe {
    rift_backend *be;
    rift_weights *weights;
    GPtrArray *owned;
    rift_rmvpe_hparams hp;
    rift_resampler *resampler; /* 44.1 kHz -> 16 kHz */

    float *in_scale, *in_shift; /* unet.encoder.bn as an affine map [in_channels] */
    res_block *enc;             /* unet.encoder.layers.L.conv.B: [levels · n_blocks] */
    res_block *inter;           /* unet.intermediate.layers.I.conv.B */
    dec_layer *dec;             /* unet.decoder.layers.L */
    conv_w cnn;                 /* cnn [cnn_channels, en_out_channels, 3, 3] */
    gru_dir *gru;               /* fc.0.gru: [n_gru][forward, reverse] */
    float *fc_w, *fc_b;         /* fc.1 [n_classes, 2H], [n_classes] */

    float *mel_basis; /* [n_mels, N_FFT/2 + 1] */
    float *window;    /* [N_FFT] */

    /* work buffers (backend memory), grown on demand */
    int64_t cap_n16, cap_T32;
    float *audio, *padded, *mag;
    float *image;              /* [T32, n_mels]: the log-mel, time-major */
    float *cat[MAX_LEVELS];    /* level l: [2·C_l, H_l, W_l]; skip in the second half */
    float *act[3];             /* activations, rotated */
    void *conv_work;
    float *xp;                 /* [T32, 3H]: a GRU direction's input projection */
    float *seq[2];             /* [T32, 2H]: BiGRU layer outputs */
    float *gru_work;           /* [4H] */
    float *hidden;             /* [T32, n_classes] */

    rift_rmvpe_debug_fn debug;
    gpointer debug_user;
};

/* ---- loading ------------------------------------------------------------ */

static int64_t dim_of(const rift_tensor *t, int axis)
{
    return t && axis < t->ndim ? t->shape[axis] : -1;
}

/* A conv weight followed by a BatchNorm2d, folded: with s = γ/sqrt(var + eps)
 * per output channel, w' = w·s and b' = β − mean·s (the conv has no bias).
 * shape is the weight's; the output channels are axis 0, or axis 1 for a
 * transposed conv. num_batches_tracked is a training counter: ignored. */
static conv_w bind_conv_bn(rift_loader *ld, const int64_t *shape, gboolean transposed,
                           const char *conv, const char *bn)
{
    conv_w cw = {0};
    const int64_t cout = transposed ? shape[1] : shape[0];
    const int64_t n = shape[0] * shape[1] * shape[2] * shape[3], taps = shape[2] * shape[3];
    float *w = rift_loader_host_f32(ld, 4, shape, "%s.weight", conv);
    float *gamma = rift_loader_host_f32(ld, 1, &cout, "%s.weight", bn);
    float *beta = rift_loader_host_f32(ld, 1, &cout, "%s.bias", bn);
    float *mean = rift_loader_host_f32(ld, 1, &cout, "%s.running_mean", bn);
    float *var = rift_loader_host_f32(ld, 1, &cout, "%s.running_var", bn);
    rift_loader_ignore(ld, "%s.num_batches_tracked", bn);
    if (w && gamma && beta && mean && var) {
        float *bias = g_new(float, cout);
        /* output channel co's weights: one run of cin·taps floats in a conv,
         * shape[0] runs of taps floats (one per input channel) when transposed */
        const int64_t runs = transposed ? shape[0] : 1, run = transposed ? taps : shape[1] * taps;
        for (int64_t co = 0; co < cout; co++) {
            const double s = gamma[co] / sqrt((double)var[co] + BN_EPS);
            bias[co] = (float)(beta[co] - mean[co] * s);
            for (int64_t k = 0; k < runs; k++) {
                float *wc = w + (k * cout + co) * run;
                for (int64_t i = 0; i < run; i++)
                    wc[i] = (float)(wc[i] * s);
            }
        }
        cw.w = rift_loader_upload(ld, w, n);
        cw.b = rift_loader_upload(ld, bias, cout);
        g_free(bias);
    }
    g_free(w);
    g_free(gamma);
    g_free(beta);
    g_free(mean);
    g_free(var);
    return cw;
}

/* ConvBlockRes at `p` (e.g. "unet.encoder.layers.0.conv.0") */
static res_block bind_res_block(rift_loader *ld, const char *p, int64_t cin, int64_t cout)
{
    res_block rb = {.cin = cin, .cout = cout};
    char *c0 = g_strdup_printf("%s.conv.0", p), *bn1 = g_strdup_printf("%s.conv.1", p);
    char *c3 = g_strdup_printf("%s.conv.3", p), *bn4 = g_strdup_printf("%s.conv.4", p);
    rb.conv1 = bind_conv_bn(ld, (int64_t[]){cout, cin, 3, 3}, FALSE, c0, bn1);
    rb.conv2 = bind_conv_bn(ld, (int64_t[]){cout, cout, 3, 3}, FALSE, c3, bn4);
    if (cin != cout) {
        rb.shortcut.w =
            rift_loader_f32(ld, 4, (int64_t[]){cout, cin, 1, 1}, "%s.shortcut.weight", p);
        rb.shortcut.b = rift_loader_f32(ld, 1, (int64_t[]){cout}, "%s.shortcut.bias", p);
    }
    g_free(c0);
    g_free(bn1);
    g_free(c3);
    g_free(bn4);
    return rb;
}

/* Channels of encoder level l (the skip tensor's): en_out_channels · 2^l. */
static int64_t level_channels(const rift_rmvpe_hparams *hp, int64_t l)
{
    return hp->en_out_channels << l;
}

static gboolean derive_hparams(rift_rmvpe *r, rift_loader *ld, GError **err)
{
    rift_rmvpe_hparams *hp = &r->hp;
    static const char *const needed[] = {
        "unet.encoder.bn.weight", "unet.encoder.layers.0.conv.0.conv.0.weight", "cnn.weight",
        "fc.0.gru.weight_ih_l0",  "fc.0.gru.weight_hh_l0",                      "fc.1.weight",
    };
    const rift_tensor *t[G_N_ELEMENTS(needed)];
    for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
        t[i] = rift_loader_peek(ld, "%s", needed[i]);
        if (!t[i]) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                        "rmvpe: %s: no tensor '" PREFIX "%s' (is this an RMVPE checkpoint, "
                        "{'model': E2E0 state_dict}?)",
                        rift_weights_path(r->weights), needed[i]);
            return FALSE;
        }
    }
    hp->in_channels = dim_of(t[0], 0);
    hp->en_out_channels = dim_of(t[1], 0);
    hp->cnn_channels = dim_of(t[2], 0);
    hp->gru_hidden = dim_of(t[4], 1);
    hp->n_classes = dim_of(t[5], 0);
    const int64_t gru_in = dim_of(t[3], 1);
    hp->n_mels = hp->cnn_channels > 0 && gru_in % hp->cnn_channels == 0
                     ? gru_in / hp->cnn_channels
                     : -1;
    while (rift_loader_peek(ld, "unet.encoder.layers.%d.conv.0.conv.0.weight",
                            (int)hp->en_de_layers))
        hp->en_de_layers++;
    while (rift_loader_peek(ld, "unet.encoder.layers.0.conv.%d.conv.0.weight", (int)hp->n_blocks))
        hp->n_blocks++;
    while (rift_loader_peek(ld, "unet.intermediate.layers.%d.conv.0.conv.0.weight",
                            (int)hp->inter_layers))
        hp->inter_layers++;
    while (rift_loader_peek(ld, "fc.0.gru.weight_ih_l%d", (int)hp->n_gru))
        hp->n_gru++;

    const char *bad = NULL;
    if (hp->in_channels != 1)
        bad = "unet.encoder.bn must have 1 channel (the mel image)";
    else if (hp->en_de_layers > MAX_LEVELS)
        bad = "more than 5 encoder levels (frames are padded to a multiple of 32 only)";
    else if (hp->n_mels < 1 || hp->n_mels % ((int64_t)1 << hp->en_de_layers))
        bad = "fc.0.gru.weight_ih_l0's width must be cnn channels × mel bins, the bins divisible "
              "by 2^levels";
    else if (hp->en_de_layers < 1 || hp->n_blocks < 1 || hp->inter_layers < 1 ||
             hp->en_out_channels < 1 || hp->gru_hidden < 1 || hp->n_classes < 1)
        bad = "no intermediate layer, or an empty tensor";
    if (bad) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "rmvpe: %s: inconsistent model (%" G_GINT64_FORMAT " levels, %" G_GINT64_FORMAT
                    " channels, %" G_GINT64_FORMAT " mel bins): %s",
                    rift_weights_path(r->weights), hp->en_de_layers, hp->en_out_channels,
                    hp->n_mels, bad);
        return FALSE;
    }
    return TRUE;
}

static void bind_weights(rift_rmvpe *r, rift_loader *ld)
{
    const rift_rmvpe_hparams *hp = &r->hp;
    const int64_t L = hp->en_de_layers, nb = hp->n_blocks, H = hp->gru_hidden;

    /* the input BatchNorm as y = x·scale + shift */
    const int64_t cin = hp->in_channels;
    float *g = rift_loader_host_f32(ld, 1, &cin, "unet.encoder.bn.weight");
    float *b = rift_loader_host_f32(ld, 1, &cin, "unet.encoder.bn.bias");
    float *m = rift_loader_host_f32(ld, 1, &cin, "unet.encoder.bn.running_mean");
    float *v = rift_loader_host_f32(ld, 1, &cin, "unet.encoder.bn.running_var");
    rift_loader_ignore(ld, "unet.encoder.bn.num_batches_tracked");
    if (g && b && m && v) {
        float *scale = g_new(float, cin), *shift = g_new(float, cin);
        for (int64_t c = 0; c < cin; c++) {
            const double s = g[c] / sqrt((double)v[c] + BN_EPS);
            scale[c] = (float)s;
            shift[c] = (float)(b[c] - m[c] * s);
        }
        r->in_scale = rift_loader_upload(ld, scale, cin);
        r->in_shift = rift_loader_upload(ld, shift, cin);
        g_free(scale);
        g_free(shift);
    }
    g_free(g);
    g_free(b);
    g_free(m);
    g_free(v);

    r->enc = g_new0(res_block, L * nb);
    for (int64_t l = 0; l < L; l++) {
        const int64_t C = level_channels(hp, l);
        for (int64_t i = 0; i < nb; i++) {
            char *p = g_strdup_printf("unet.encoder.layers.%d.conv.%d", (int)l, (int)i);
            const int64_t in = i ? C : l ? C / 2 : cin;
            r->enc[l * nb + i] = bind_res_block(ld, p, in, C);
            g_free(p);
        }
    }
    /* DeepUnet0 builds a TimbreFilter its forward never calls */
    rift_loader_ignore(ld, "unet.tf.");

    const int64_t C_in = level_channels(hp, L);
    r->inter = g_new0(res_block, hp->inter_layers * nb);
    for (int64_t l = 0; l < hp->inter_layers; l++)
        for (int64_t i = 0; i < nb; i++) {
            char *p = g_strdup_printf("unet.intermediate.layers.%d.conv.%d", (int)l, (int)i);
            const int64_t in = l || i ? C_in : C_in / 2;
            r->inter[l * nb + i] = bind_res_block(ld, p, in, C_in);
            g_free(p);
        }

    r->dec = g_new0(dec_layer, L);
    for (int64_t i = 0; i < L; i++) {
        const int64_t C = level_channels(hp, L - 1 - i);
        dec_layer *d = &r->dec[i];
        char *up = g_strdup_printf("unet.decoder.layers.%d.conv1.0", (int)i);
        char *bn = g_strdup_printf("unet.decoder.layers.%d.conv1.1", (int)i);
        d->up = bind_conv_bn(ld, (int64_t[]){2 * C, C, 3, 3}, TRUE, up, bn);
        g_free(up);
        g_free(bn);
        d->blocks = g_new0(res_block, nb);
        for (int64_t k = 0; k < nb; k++) {
            char *p = g_strdup_printf("unet.decoder.layers.%d.conv2.%d", (int)i, (int)k);
            d->blocks[k] = bind_res_block(ld, p, k ? C : 2 * C, C);
            g_free(p);
        }
    }

    r->cnn.w = rift_loader_f32(ld, 4, (int64_t[]){hp->cnn_channels, hp->en_out_channels, 3, 3},
                               "cnn.weight");
    r->cnn.b = rift_loader_f32(ld, 1, (int64_t[]){hp->cnn_channels}, "cnn.bias");

    r->gru = g_new0(gru_dir, 2 * hp->n_gru);
    for (int64_t l = 0; l < hp->n_gru; l++)
        for (int d = 0; d < 2; d++) {
            gru_dir *gd = &r->gru[2 * l + d];
            const int64_t in = l ? 2 * H : hp->cnn_channels * hp->n_mels;
            const char *sfx = d ? "_reverse" : "";
            gd->w_ih = rift_loader_f32(ld, 2, (int64_t[]){3 * H, in}, "fc.0.gru.weight_ih_l%d%s",
                                       (int)l, sfx);
            gd->w_hh = rift_loader_f32(ld, 2, (int64_t[]){3 * H, H}, "fc.0.gru.weight_hh_l%d%s",
                                       (int)l, sfx);
            gd->b_ih = rift_loader_f32(ld, 1, (int64_t[]){3 * H}, "fc.0.gru.bias_ih_l%d%s",
                                       (int)l, sfx);
            gd->b_hh = rift_loader_f32(ld, 1, (int64_t[]){3 * H}, "fc.0.gru.bias_hh_l%d%s",
                                       (int)l, sfx);
        }
    r->fc_w = rift_loader_f32(ld, 2, (int64_t[]){hp->n_classes, 2 * H}, "fc.1.weight");
    r->fc_b = rift_loader_f32(ld, 1, (int64_t[]){hp->n_classes}, "fc.1.bias");
}

/* The 16 kHz log-mel's filterbank and window, built (as upstream's librosa
 * and torch) rather than read: the checkpoint does not hold them. */
static gboolean build_frontend(rift_rmvpe *r, GError **err)
{
    const rift_mel_params p = {.sample_rate = RIFT_RMVPE_SAMPLE_RATE,
                               .n_fft = N_FFT,
                               .win_length = N_FFT,
                               .hop = RIFT_RMVPE_HOP,
                               .n_mels = (int)r->hp.n_mels,
                               .fmin = MEL_FMIN,
                               .fmax = MEL_FMAX,
                               .htk = TRUE};
    float *basis = rift_mel_filterbank(&p), *window = rift_mel_window(&p);
    const size_t basis_bytes = (size_t)r->hp.n_mels * (N_FFT / 2 + 1) * sizeof(float);
    r->mel_basis = rift_backend_alloc(r->be, basis_bytes);
    r->window = rift_backend_alloc(r->be, N_FFT * sizeof(float));
    rift_backend_upload(r->be, r->mel_basis, basis, basis_bytes);
    rift_backend_upload(r->be, r->window, window, N_FFT * sizeof(float));
    const gboolean ok = rift_backend_sync(r->be, err);
    g_free(basis);
    g_free(window);
    return ok;
}

static void log_hparams(const rift_rmvpe *r)
{
    const rift_rmvpe_hparams *hp = &r->hp;
    g_info("rmvpe: %s: E2E0(n_blocks %" G_GINT64_FORMAT ", n_gru %" G_GINT64_FORMAT
           ", en_de_layers %" G_GINT64_FORMAT ", inter_layers %" G_GINT64_FORMAT
           ", en_out_channels %" G_GINT64_FORMAT "), %" G_GINT64_FORMAT
           " mel bins, BiGRU %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " classes",
           rift_weights_path(r->weights), hp->n_blocks, hp->n_gru, hp->en_de_layers,
           hp->inter_layers, hp->en_out_channels, hp->n_mels, hp->gru_hidden, hp->n_classes);
}

rift_rmvpe *rift_rmvpe_load(rift_weights *w, rift_backend *be, GError **err)
{
    rift_rmvpe *r = g_new0(rift_rmvpe, 1);
    r->be = rift_backend_ref(be);
    r->weights = w;
    rift_loader *ld = rift_loader_new(w, be, PREFIX, "rmvpe");
    gboolean ok = derive_hparams(r, ld, err);
    if (ok)
        bind_weights(r, ld);
    if (!rift_loader_finish(ld, &r->owned, ok ? err : NULL))
        ok = FALSE;
    if (ok)
        ok = build_frontend(r, err);
    if (ok)
        r->resampler = rift_resampler_new(RATE_44K, RIFT_RMVPE_SAMPLE_RATE, RESAMPLE_WIDTH, err);
    if (!ok || !r->resampler) {
        rift_rmvpe_free(r);
        return NULL;
    }
    log_hparams(r);
    return r;
}

rift_rmvpe *rift_rmvpe_load_file(const char *path, rift_backend *be, GError **err)
{
    rift_weights *w = rift_weights_open(path, err);
    return w ? rift_rmvpe_load(w, be, err) : NULL;
}

static void free_workspace(rift_rmvpe *r)
{
    float **bufs[] = {&r->audio, &r->padded, &r->mag,    &r->image,    &r->act[0], &r->act[1],
                      &r->act[2], &r->xp,    &r->seq[0], &r->seq[1], &r->gru_work, &r->hidden};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++) {
        rift_backend_free_mem(r->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    for (int l = 0; l < MAX_LEVELS; l++) {
        rift_backend_free_mem(r->be, r->cat[l]);
        r->cat[l] = NULL;
    }
    rift_backend_free_mem(r->be, r->conv_work);
    r->conv_work = NULL;
    r->cap_n16 = r->cap_T32 = 0;
}

void rift_rmvpe_free(rift_rmvpe *r)
{
    if (!r)
        return;
    free_workspace(r);
    rift_backend_free_mem(r->be, r->mel_basis);
    rift_backend_free_mem(r->be, r->window);
    rift_loader_free_owned(r->be, r->owned);
    g_free(r->enc);
    g_free(r->inter);
    for (int64_t i = 0; r->dec && i < r->hp.en_de_layers; i++)
        g_free(r->dec[i].blocks);
    g_free(r->dec);
    g_free(r->gru);
    rift_resampler_free(r->resampler);
    rift_weights_free(r->weights);
    rift_backend_unref(r->be);
    g_free(r);
}

const rift_rmvpe_hparams *rift_rmvpe_get_hparams(const rift_rmvpe *r)
{
    return &r->hp;
}

void rift_rmvpe_set_debug(rift_rmvpe *r, rift_rmvpe_debug_fn fn, gpointer user)
{
    r->debug = fn;
    r->debug_user = user;
}

int64_t rift_rmvpe_n_frames(int64_t n16)
{
    return n16 > 0 ? 1 + n16 / RIFT_RMVPE_HOP : 0;
}

/* ---- work buffers ------------------------------------------------------- */

/* The largest im2col / gather workspace any conv of the network needs. */
static size_t conv_workspace(rift_rmvpe *r, int64_t T32)
{
    const rift_rmvpe_hparams *hp = &r->hp;
    rift_backend *be = r->be;
    const int64_t L = hp->en_de_layers, M = hp->n_mels;
    size_t ws = 0;
#define CONV3(cin, H, W, cout)                                                                \
    ws = MAX(ws, rift_op_conv2d_workspace(be, cin, H, W, cout, 3, 3, 1, 1, 1, 1))
    for (int64_t l = 0; l < L; l++) {
        const int64_t C = level_channels(hp, l), H = T32 >> l, W = M >> l;
        CONV3(l ? C / 2 : hp->in_channels, H, W, C);
        CONV3(C, H, W, C);
        CONV3(2 * C, H, W, C);
        ws = MAX(ws, rift_op_conv_transpose2d_workspace(be, 2 * C, H / 2, W / 2, C, 3, 3, 2, 2,
                                                        1, 1, 1, 1));
    }
    const int64_t C = level_channels(hp, L);
    CONV3(C / 2, T32 >> L, M >> L, C);
    CONV3(C, T32 >> L, M >> L, C);
    CONV3(hp->en_out_channels, T32, M, hp->cnn_channels);
#undef CONV3
    return ws;
}

static void ensure_workspace(rift_rmvpe *r, int64_t n16, int64_t T32)
{
    if (n16 <= r->cap_n16 && T32 <= r->cap_T32)
        return;
    n16 = MAX(n16, r->cap_n16);
    T32 = MAX(T32, r->cap_T32);
    free_workspace(r);
    const rift_rmvpe_hparams *hp = &r->hp;
    rift_backend *be = r->be;
    const int64_t M = hp->n_mels, H = hp->gru_hidden, T16 = rift_rmvpe_n_frames(n16);
#define ALLOC(n) rift_backend_alloc(be, (size_t)(n) * sizeof(float))
    r->audio = ALLOC(n16);
    r->padded = ALLOC(n16 + N_FFT);
    r->mag = ALLOC(T16 * (N_FFT / 2 + 1));
    r->image = ALLOC(T32 * M);
    for (int64_t l = 0; l < hp->en_de_layers; l++)
        r->cat[l] = ALLOC(2 * level_channels(hp, l) * (T32 >> l) * (M >> l));
    /* the widest activation is level 0's (each level has 1/2 the floats of
     * the one above) or the cnn output */
    for (int i = 0; i < 3; i++)
        r->act[i] = ALLOC(MAX(hp->en_out_channels, hp->cnn_channels) * T32 * M);
    r->xp = ALLOC(T32 * 3 * H);
    r->seq[0] = ALLOC(T32 * 2 * H);
    r->seq[1] = ALLOC(T32 * 2 * H);
    r->gru_work = ALLOC(4 * H);
    r->hidden = ALLOC(T32 * hp->n_classes);
#undef ALLOC
    r->conv_work = rift_backend_alloc(be, MAX(conv_workspace(r, T32), 1));
    r->cap_n16 = n16;
    r->cap_T32 = T32;
}

/* an activation buffer that is neither a nor b */
static float *other_act(rift_rmvpe *r, const float *a, const float *b)
{
    for (int i = 0; i < 3; i++)
        if (r->act[i] != a && r->act[i] != b)
            return r->act[i];
    g_assert_not_reached();
}

/* ---- the network -------------------------------------------------------- */

static void conv3x3(rift_rmvpe *r, float *y, const float *x, conv_w c, int64_t cin, int64_t cout,
                    int64_t H, int64_t W)
{
    rift_op_conv2d(r->be, y, x, c.w, c.b, cin, H, W, cout, 3, 3, 1, 1, 1, 1, r->conv_work);
}

/* out = ReLU(conv2(ReLU(conv1(x)))) + shortcut(x); tmp is scratch of out's size */
static void res_block_fwd(rift_rmvpe *r, const res_block *b, const float *x, float *out,
                          float *tmp, int64_t H, int64_t W)
{
    rift_backend *be = r->be;
    const int64_t n = b->cout * H * W;
    conv3x3(r, tmp, x, b->conv1, b->cin, b->cout, H, W);
    rift_op_relu(be, tmp, tmp, n);
    conv3x3(r, out, tmp, b->conv2, b->cout, b->cout, H, W);
    rift_op_relu(be, out, out, n);
    if (b->shortcut.w) {
        rift_op_conv2d(be, tmp, x, b->shortcut.w, b->shortcut.b, b->cin, H, W, b->cout, 1, 1, 1,
                       1, 0, 0, r->conv_work);
        x = tmp;
    }
    rift_op_axpy(be, out, n, x, n, 1, n, 1.0f);
}

/* n_blocks ConvBlockRes from x; the last writes to `last` (or to an
 * activation buffer when NULL). Returns the output. */
static const float *res_layer_fwd(rift_rmvpe *r, const res_block *blocks, const float *x,
                                  float *last, int64_t H, int64_t W)
{
    for (int64_t i = 0; i < r->hp.n_blocks; i++) {
        float *out = i == r->hp.n_blocks - 1 && last ? last : other_act(r, x, NULL);
        res_block_fwd(r, &blocks[i], x, out, other_act(r, x, out), H, W);
        x = out;
    }
    return x;
}

/* image [1, T32, M] (after the input affine) -> cnn output [cnn_channels, T32, M] */
static const float *unet_cnn_fwd(rift_rmvpe *r, int64_t T32)
{
    const rift_rmvpe_hparams *hp = &r->hp;
    const int64_t L = hp->en_de_layers, M = hp->n_mels;
    const float *x = r->image;
    for (int64_t l = 0; l < L; l++) {
        const int64_t C = level_channels(hp, l), H = T32 >> l, W = M >> l;
        float *skip = r->cat[l] + C * H * W;
        res_layer_fwd(r, &r->enc[l * hp->n_blocks], x, skip, H, W);
        float *pooled = other_act(r, NULL, NULL);
        rift_op_avgpool2d(r->be, pooled, skip, C, H, W, 2);
        x = pooled;
    }
    for (int64_t l = 0; l < hp->inter_layers; l++)
        x = res_layer_fwd(r, &r->inter[l * hp->n_blocks], x, NULL, T32 >> L, M >> L);
    for (int64_t i = 0; i < L; i++) {
        const int64_t l = L - 1 - i, C = level_channels(hp, l), H = T32 >> l, W = M >> l;
        const dec_layer *d = &r->dec[i];
        /* upsampled tensor first, then the skip: torch.cat([x, skip], dim=1) */
        rift_op_conv_transpose2d(r->be, r->cat[l], x, d->up.w, d->up.b, 2 * C, H / 2, W / 2, C, 3,
                                 3, 2, 2, 1, 1, 1, 1, r->conv_work);
        rift_op_relu(r->be, r->cat[l], r->cat[l], C * H * W);
        x = res_layer_fwd(r, d->blocks, r->cat[l], NULL, H, W);
    }
    float *out = other_act(r, x, NULL);
    conv3x3(r, out, x, r->cnn, hp->en_out_channels, hp->cnn_channels, T32, M);
    return out;
}

/* Hand a device tensor to the debug hook as a host copy; "gru_in" is the cnn
 * output [C, T, M] transposed to [T, C·M] as upstream flattens it. */
static void debug_dump(rift_rmvpe *r, const char *name, const float *d, int64_t rows,
                       int64_t cols, int64_t channels)
{
    if (!r->debug)
        return;
    float *host = g_new(float, rows * cols), *out = host;
    rift_backend_download(r->be, host, d, rows * cols * sizeof(float));
    if (rift_backend_sync(r->be, NULL)) {
        if (channels > 1) {
            const int64_t M = cols / channels;
            out = g_new(float, rows * cols);
            for (int64_t c = 0; c < channels; c++)
                for (int64_t t = 0; t < rows; t++)
                    memcpy(out + t * cols + c * M, host + (c * rows + t) * M, M * sizeof(float));
        }
        r->debug(name, out, rows, cols, r->debug_user);
    }
    if (out != host)
        g_free(out);
    g_free(host);
}

/* cnn [C, T32, M] -> BiGRU layers -> fc + sigmoid: hidden [T16, n_classes] */
static void bigru_fc_fwd(rift_rmvpe *r, const float *cnn, int64_t T16, int64_t T32)
{
    const rift_rmvpe_hparams *hp = &r->hp;
    rift_backend *be = r->be;
    const int64_t H = hp->gru_hidden, M = hp->n_mels, C = hp->cnn_channels;
    debug_dump(r, "gru_in", cnn, T32, C * M, C);
    const float *in = NULL;
    float *out = NULL;
    for (int64_t l = 0; l < hp->n_gru; l++) {
        out = r->seq[l % 2];
        for (int d = 0; d < 2; d++) {
            const gru_dir *g = &r->gru[2 * l + d];
            rift_op_fill_rows(be, r->xp, g->b_ih, T32, 3 * H);
            if (l == 0) {
                /* x[t, c·M + m] = cnn[c, t, m]: one GEMM per cnn channel */
                for (int64_t c = 0; c < C; c++)
                    rift_op_gemm(be, FALSE, TRUE, T32, 3 * H, M, 1.0f, cnn + c * T32 * M, M,
                                 g->w_ih + c * M, C * M, 1.0f, r->xp, 3 * H);
            } else {
                rift_op_gemm(be, FALSE, TRUE, T32, 3 * H, 2 * H, 1.0f, in, 2 * H, g->w_ih, 2 * H,
                             1.0f, r->xp, 3 * H);
            }
            rift_op_gru(be, out + d * H, 2 * H, r->xp, g->w_hh, g->b_hh, T32, H, d == 1,
                        r->gru_work);
        }
        in = out;
    }
    debug_dump(r, "gru_out", out, T32, 2 * H, 1);
    /* only the first T16 frames are kept */
    rift_op_fill_rows(be, r->hidden, r->fc_b, T16, hp->n_classes);
    rift_op_gemm(be, FALSE, TRUE, T16, hp->n_classes, 2 * H, 1.0f, out, 2 * H, r->fc_w, 2 * H,
                 1.0f, r->hidden, hp->n_classes);
    rift_op_sigmoid(be, r->hidden, r->hidden, T16 * hp->n_classes);
}

/* image rows T16 .. T32 are 0 (mel2hidden's constant padding, in the log
 * domain), then the input BatchNorm, the network, the salience. */
static void network_fwd(rift_rmvpe *r, int64_t T16, int64_t T32)
{
    const int64_t M = r->hp.n_mels;
    rift_backend_memset0(r->be, r->image + T16 * M, (T32 - T16) * M * sizeof(float));
    rift_op_channel_affine(r->be, r->image, r->image, 1, T32 * M, r->in_scale, r->in_shift);
    bigru_fc_fwd(r, unet_cnn_fwd(r, T32), T16, T32);
}

static int64_t padded_frames(int64_t T16)
{
    return (T16 + PAD_MULTIPLE - 1) / PAD_MULTIPLE * PAD_MULTIPLE;
}

gboolean rift_rmvpe_hidden(rift_rmvpe *r, const float *audio_16k, int64_t n16, float *mel,
                           float *hidden, GError **err)
{
    if (n16 < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s: no audio (%" G_GINT64_FORMAT " samples)",
                    __func__, n16);
        return FALSE;
    }
    rift_backend *be = r->be;
    const int64_t M = r->hp.n_mels, bins = N_FFT / 2 + 1;
    const int64_t T16 = rift_rmvpe_n_frames(n16), T32 = padded_frames(T16);
    ensure_workspace(r, n16, T32);

    /* MelSpectrogram(center=True): reflect pad n_fft/2, |rFFT| without an
     * epsilon, mel = |X|·basisᵀ (time-major), log(max(mel, 1e-5)) */
    rift_backend_upload(be, r->audio, audio_16k, n16 * sizeof(float));
    rift_op_reflect_pad(be, r->padded, r->audio, n16, N_FFT / 2);
    rift_op_stft_magnitude(be, r->mag, r->padded, T16, N_FFT, RIFT_RMVPE_HOP, r->window, 0.0f);
    rift_op_gemm(be, FALSE, TRUE, T16, M, bins, 1.0f, r->mag, bins, r->mel_basis, bins, 0.0f,
                 r->image, M);
    rift_op_log_clamp(be, r->image, T16 * M, LOG_FLOOR);
    float *mel_t = NULL;
    if (mel) {
        mel_t = g_new(float, T16 * M);
        rift_backend_download(be, mel_t, r->image, T16 * M * sizeof(float));
    }
    network_fwd(r, T16, T32);
    rift_backend_download(be, hidden, r->hidden, T16 * r->hp.n_classes * sizeof(float));
    const gboolean ok = rift_backend_sync(be, err);
    if (ok && mel)
        for (int64_t t = 0; t < T16; t++)
            for (int64_t m = 0; m < M; m++)
                mel[m * T16 + t] = mel_t[t * M + m];
    g_free(mel_t);
    return ok;
}

gboolean rift_rmvpe_hidden_from_mel(rift_rmvpe *r, const float *mel, int64_t T, float *hidden,
                                    GError **err)
{
    if (T < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s: no frames", __func__);
        return FALSE;
    }
    const int64_t T32 = padded_frames(T);
    ensure_workspace(r, r->cap_n16, T32);
    rift_backend_upload(r->be, r->image, mel, T * r->hp.n_mels * sizeof(float));
    network_fwd(r, T, T32);
    rift_backend_download(r->be, hidden, r->hidden, T * r->hp.n_classes * sizeof(float));
    return rift_backend_sync(r->be, err);
}

/* ---- decoding and post-processing (host) -------------------------------- */

/* torch.sum of a float32 row of n values that are zero outside [lo, hi), in
 * the order ATen's cascade_sum adds them on an AVX2 CPU (torch 1.13's
 * default; AVX-512 is opt-in there), which is how upstream's reference ran:
 * 8-float vectors v go to 4 interleaved accumulators (v mod 4; the vectors
 * after the last multiple of 4 into the first), the 4 are folded in order,
 * then the scalar tail and the 8 lanes are added in order. Zeros leave a
 * partial sum unchanged and a window narrower than 32 puts at most one term
 * in each (accumulator, lane), so only the folds round. terms [hi − lo]. */
static float torch_window_sum(const float *terms, int64_t lo, int64_t hi, int64_t n)
{
    enum { LANES = 8, ILP = 4 };
    const int64_t vecs = n / LANES, main_vecs = vecs / ILP * ILP;
    float acc[ILP][LANES] = {{0.0f}}, sum = 0.0f;
    for (int64_t i = lo; i < hi; i++) {
        const int64_t v = i / LANES;
        if (v >= vecs)
            sum += terms[i - lo]; /* the scalar tail comes first */
        else
            acc[v < main_vecs ? v % ILP : 0][i % LANES] += terms[i - lo];
    }
    for (int l = 0; l < LANES; l++) {
        float lane = acc[0][l];
        for (int k = 1; k < ILP; k++)
            lane += acc[k][l];
        sum += lane;
    }
    return sum;
}

/* utils.py to_local_average_f0, in float32 as torch computes it: cents_i =
 * float(20·i) + float(CONST), the products and both sums in float (in torch's
 * order, above), the weight guarded against 0, 10·2^(cents/1200), and
 * `max < thred` compared in float32. Matches upstream bit for bit on the
 * decode_synthetic fixture. */
void rift_rmvpe_decode(const float *hidden, int64_t T, int64_t n_bins, float thred, float *f0,
                       int64_t *center, guint8 *uv)
{
    for (int64_t t = 0; t < T; t++) {
        const float *s = hidden + t * n_bins;
        int64_t c = 0;
        for (int64_t i = 1; i < n_bins; i++)
            if (s[i] > s[c])
                c = i; /* the first index of the maximum, as torch.argmax */
        const int64_t lo = MAX(0, c - DECODE_HALF), hi = MIN(n_bins, c + DECODE_HALF + 1);
        float products[2 * DECODE_HALF + 1];
        for (int64_t i = lo; i < hi; i++)
            products[i - lo] = s[i] * ((float)(CENTS_PER_BIN * i) + (float)CENTS_0);
        const float product = torch_window_sum(products, lo, hi, n_bins);
        const float weight = torch_window_sum(s + lo, lo, hi, n_bins);
        const float cents = product / (weight + (weight == 0.0f ? 1.0f : 0.0f));
        const gboolean unvoiced = s[c] < thred;
        f0[t] = unvoiced ? 0.0f : 10.0f * exp2f(cents / 1200.0f);
        if (center)
            center[t] = c;
        if (uv)
            uv[t] = unvoiced;
    }
}

/* numpy.interp(x, xp, fp) for increasing xp [n >= 1], as compiled_base.c
 * computes it: fp[0] left of xp[0], fp[n−1] from xp[n−1] on, an exact hit
 * returns its fp, otherwise slope·(x − xp[j]) + fp[j] with xp[j] <= x < xp[j+1]. */
static double np_interp(double x, const double *xp, const double *fp, int64_t n)
{
    if (n == 1 || x < xp[0])
        return fp[0];
    if (x >= xp[n - 1])
        return fp[n - 1];
    int64_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (xp[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    if (xp[lo] == x)
        return fp[lo];
    const double slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
    return slope * (x - xp[lo]) + fp[lo];
}

void rift_f0_post_process_f64(const float *f0, int64_t n, int64_t n_out, double *out)
{
    if (n_out <= 0)
        return;
    if (n <= 0) {
        memset(out, 0, n_out * sizeof(double));
        return;
    }
    double *filled = g_new(double, n), *uv = g_new(double, n), *origin = g_new(double, n);
    double *vx = g_new(double, n), *vy = g_new(double, n);
    int64_t nv = 0;
    for (int64_t i = 0; i < n; i++) {
        uv[i] = f0[i] == 0.0f ? 1.0 : 0.0;
        origin[i] = 0.01 * (double)i;
        if (f0[i] != 0.0f) {
            vx[nv] = (double)i;
            vy[nv++] = f0[i];
        }
    }
    /* unvoiced frames take np.interp over the voiced ones, stored back into
     * the float32 array (so rounded to float32); no voiced frame: all zero */
    for (int64_t i = 0; i < n; i++)
        filled[i] = nv == 0 ? 0.0 : uv[i] != 0.0 ? (float)np_interp((double)i, vx, vy, nv) : f0[i];
    const double step = (double)HOP_44K / (double)RATE_44K;
    for (int64_t j = 0; j < n_out; j++) {
        const double t = step * (double)j;
        out[j] = np_interp(t, origin, uv, n) > 0.5 ? 0.0 : np_interp(t, origin, filled, n);
    }
    g_free(filled);
    g_free(uv);
    g_free(origin);
    g_free(vx);
    g_free(vy);
}

void rift_f0_key_shift(const double *f0, int64_t n, double key_shift, float *out)
{
    /* infer.py: f0 · 2^(key_shift/12) in float64, then .float() */
    const double factor = pow(2.0, key_shift / 12.0);
    for (int64_t j = 0; j < n; j++)
        out[j] = (float)(key_shift != 0.0 ? f0[j] * factor : f0[j]);
}

void rift_f0_post_process(const float *f0, int64_t n, int64_t n_out, double key_shift,
                          float *out)
{
    if (n_out <= 0)
        return;
    double *f = g_new(double, n_out);
    rift_f0_post_process_f64(f0, n, n_out, f);
    rift_f0_key_shift(f, n_out, key_shift, out);
    g_free(f);
}

gboolean rift_rmvpe_f0_44k_f64(rift_rmvpe *r, const float *audio_44k, int64_t n, float thred,
                               double *f0, GError **err)
{
    const int64_t n_out = n > 0 ? n / HOP_44K : 0;
    if (n_out == 0)
        return TRUE;
    const int64_t n16 = rift_resampler_out_len(r->resampler, n), T16 = rift_rmvpe_n_frames(n16);
    float *audio_16k = g_new(float, n16);
    float *hidden = g_new(float, T16 * r->hp.n_classes), *f0_16k = g_new(float, T16);
    rift_resampler_process(r->resampler, audio_44k, n, audio_16k);
    const gboolean ok = rift_rmvpe_hidden(r, audio_16k, n16, NULL, hidden, err);
    if (ok) {
        rift_rmvpe_decode(hidden, T16, r->hp.n_classes, thred, f0_16k, NULL, NULL);
        rift_f0_post_process_f64(f0_16k, T16, n_out, f0);
    }
    g_free(audio_16k);
    g_free(hidden);
    g_free(f0_16k);
    return ok;
}

gboolean rift_rmvpe_f0_44k(rift_rmvpe *r, const float *audio_44k, int64_t n, double key_shift,
                           float thred, float *f0, GError **err)
{
    const int64_t n_out = n > 0 ? n / HOP_44K : 0;
    double *f = g_new(double, MAX(n_out, 1));
    const gboolean ok = rift_rmvpe_f0_44k_f64(r, audio_44k, n, thred, f, err);
    if (ok)
        rift_f0_key_shift(f, n_out, key_shift, f0);
    g_free(f);
    return ok;
}
