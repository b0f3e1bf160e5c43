/* stage-vocoder.c — `rift-tool run vocoder`: NSF-HiFiGAN on a case file,
 * with upstream's tensor layouts (tests/fixtures/vocoder/README.md).
 *
 * With a `mel` input: mel [B, n_mels, T], f0 [B, T], optional rand_ini
 * [1, 1, H] and randn [B, T·hop, H] (absent = zero) -> audio [B, 1, T·hop],
 * har_source [B, T·hop, 1], and item 0's intermediates over its first 8
 * frames, channel-major as upstream's forward hooks see them:
 * conv_pre_out_first8, stage<i>_in_first8, stage<i>_out_first8,
 * conv_post_out_first8 [1, C, 8·samples per frame].
 * Without one, the harmonic source alone: f0 [B, T] -> sine_waves
 * [B, T·hop, H] and har_source [B, T·hop, 1] with zero random parts, and,
 * when the case has rand_ini (and randn), har_source_rand_ini with them. */
#include "rift-error.h"
#include "stages.h"
#include "vocoder.h"

#include <string.h>

#define FIRST_FRAMES 8

typedef struct {
    rift_stage_ctx *ctx;
    int64_t T, frames; /* the item's frames, and how many the slices keep */
} debug_ctx;

/* Item 0's [rows, cols] time-major intermediate -> "<name>_first8"
 * [1, cols, first rows of `frames` frames], channel-major. */
static void keep_first_frames(const char *name, int64_t item, const float *data, int64_t rows,
                              int64_t cols, gpointer user)
{
    const debug_ctx *d = user;
    if (item != 0 || !strcmp(name, "har_source"))
        return;
    const int64_t keep = rows / d->T * d->frames;
    rift_tensor *t = rift_tensor_new(RIFT_F32, 3, (int64_t[]){1, cols, keep});
    float *out = t->data;
    for (int64_t r = 0; r < keep; r++)
        for (int64_t c = 0; c < cols; c++)
            out[c * keep + r] = data[r * cols + c];
    char *out_name = g_strdup_printf("%s_first%d", name, FIRST_FRAMES);
    rift_stage_output(d->ctx, out_name, t);
    g_free(out_name);
}

/* An optional input of exactly `want` values; *out stays NULL (and the
 * result TRUE) when the case does not have it. */
static gboolean optional_input(rift_stage_ctx *ctx, const char *name, int64_t want, float **out,
                               GError **err)
{
    *out = NULL;
    if (!rift_weights_find(ctx->in, name))
        return TRUE;
    const rift_tensor *t;
    *out = rift_stage_input_f32(ctx, name, &t, err);
    if (*out && rift_tensor_numel(t) != want) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "input '%s' has %" G_GINT64_FORMAT " values, expected %" G_GINT64_FORMAT, name,
                    rift_tensor_numel(t), want);
        g_clear_pointer(out, g_free);
    }
    return *out != NULL;
}

/* [B, n, 1] from [B·n] */
static rift_tensor *column_tensor(int64_t B, int64_t n)
{
    return rift_tensor_new(RIFT_F32, 3, (int64_t[]){B, n, 1});
}

static gboolean run_source(rift_stage_ctx *ctx, rift_vocoder *voc, rift_vocoder_input *in,
                           GError **err)
{
    const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(voc);
    const int64_t n = in->T * hp->upp;
    const float *rand_ini = in->rand_ini, *randn = in->randn;
    rift_tensor *sines = rift_tensor_new(RIFT_F32, 3, (int64_t[]){in->B, n, hp->n_harmonics});
    rift_tensor *har = column_tensor(in->B, n);
    in->rand_ini = NULL;
    in->randn = NULL;
    gboolean ok = rift_vocoder_source(voc, in, har->data, sines->data, err);
    rift_stage_output(ctx, "sine_waves", sines);
    rift_stage_output(ctx, "har_source", har);
    if (ok && (rand_ini || randn)) {
        in->rand_ini = rand_ini;
        in->randn = randn;
        har = column_tensor(in->B, n);
        ok = rift_vocoder_source(voc, in, har->data, NULL, err);
        rift_stage_output(ctx, "har_source_rand_ini", har);
    }
    return ok;
}

gboolean rift_stage_vocoder(rift_stage_ctx *ctx, GError **err)
{
    rift_vocoder *voc = rift_vocoder_load(ctx->model, ctx->be, err);
    if (!voc)
        return FALSE;
    const rift_vocoder_hparams *hp = rift_vocoder_get_hparams(voc);
    const int64_t H = hp->n_harmonics;
    const gboolean full = rift_weights_find(ctx->in, "mel") != NULL;
    gboolean ok = FALSE;
    const rift_tensor *tf0, *tmel = NULL;
    float *mel_cm = NULL, *mel = NULL, *rand_ini = NULL, *randn = NULL;
    float *f0 = rift_stage_input_f32(ctx, "f0", &tf0, err);
    if (!f0)
        goto out;
    if (tf0->ndim != 2) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE, "input 'f0' must be [B, T]");
        goto out;
    }
    const int64_t B = tf0->shape[0], T = tf0->shape[1], n = T * hp->upp;
    if (full) {
        if (!(mel_cm = rift_stage_input_f32(ctx, "mel", &tmel, err)))
            goto out;
        if (tmel->ndim != 3 || tmel->shape[0] != B || tmel->shape[1] != hp->n_mels ||
            tmel->shape[2] != T) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                        "input 'mel' must be [B, %" G_GINT64_FORMAT ", T] with f0's B = %"
                        G_GINT64_FORMAT " and T = %" G_GINT64_FORMAT,
                        hp->n_mels, B, T);
            goto out;
        }
    }
    if (!optional_input(ctx, "rand_ini", H, &rand_ini, err) ||
        !optional_input(ctx, "randn", B * n * H, &randn, err))
        goto out;

    rift_vocoder_input in = {.B = B, .T = T, .f0 = f0, .rand_ini = rand_ini, .randn = randn};
    if (!full) {
        ok = run_source(ctx, voc, &in, err);
        goto out;
    }
    /* upstream's [B, n_mels, T] -> the frame-major [B, T, n_mels] of the engine */
    mel = g_new(float, B * T * hp->n_mels);
    for (int64_t b = 0; b < B; b++)
        for (int64_t m = 0; m < hp->n_mels; m++)
            for (int64_t t = 0; t < T; t++)
                mel[(b * T + t) * hp->n_mels + m] = mel_cm[(b * hp->n_mels + m) * T + t];
    in.mel = mel;
    debug_ctx dbg = {.ctx = ctx, .T = T, .frames = MIN(T, FIRST_FRAMES)};
    rift_vocoder_set_debug(voc, keep_first_frames, &dbg);
    rift_tensor *audio = rift_tensor_new(RIFT_F32, 3, (int64_t[]){B, 1, n});
    rift_tensor *har = column_tensor(B, n);
    ok = rift_vocoder_forward(voc, &in, audio->data, har->data, err);
    rift_stage_output(ctx, "audio", audio);
    rift_stage_output(ctx, "har_source", har);
out:
    g_free(f0);
    g_free(mel_cm);
    g_free(mel);
    g_free(rand_ini);
    g_free(randn);
    rift_vocoder_free(voc);
    return ok;
}
