/* stage-dit.c — `rift-tool run dit`: one DiT evaluation on a case file.
 * Inputs x [B,T,n_mels], spk [B], f0/rms [B,T], cvec [B,T,C], time [B],
 * drop_speaker [B], frame_len [B]; parameter skip_layers (JSON null, an int
 * or a list). Output out [B,T,n_mels]. */
#include "dit.h"
#include "rift-error.h"
#include "stages.h"

#include <string.h>

gboolean rift_stage_parse_layers(const char *json, int **layers, int *n, GError **err)
{
    *layers = NULL;
    *n = 0;
    if (!json || !*json || !strcmp(json, "null") || !strcmp(json, "None"))
        return TRUE;
    rift_value *v = rift_value_from_json(json, -1, "skip layers", err);
    if (!v)
        return FALSE;
    gboolean ok = TRUE;
    int64_t one;
    if (rift_value_as_int(v, &one)) {
        *layers = g_new(int, 1);
        (*layers)[0] = (int)one;
        *n = 1;
    } else if (rift_value_get_type(v) == RIFT_VAL_LIST) {
        *n = (int)rift_value_len(v);
        *layers = g_new(int, MAX(*n, 1));
        for (int i = 0; ok && i < *n; i++) {
            ok = rift_value_as_int(rift_value_index(v, i), &one);
            (*layers)[i] = (int)one;
        }
    } else {
        ok = FALSE;
    }
    if (!ok) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "skip layers '%s': expected null, an integer or a list of integers", json);
        g_clear_pointer(layers, g_free);
        *n = 0;
    }
    rift_value_free(v);
    return ok;
}

gboolean rift_stage_dit(rift_stage_ctx *ctx, GError **err)
{
    rift_dit *dit = rift_dit_load_file(ctx->model, ctx->be, err);
    if (!dit)
        return FALSE;
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    const rift_tensor *tx;
    gboolean ok = FALSE;
    float *x = rift_stage_input_f32(ctx, "x", &tx, err);
    float *f0 = NULL, *rms = NULL, *cvec = NULL, *time = NULL;
    int64_t *spk = NULL, *drop = NULL, *len = NULL;
    int *skip = NULL, n_skip = 0;
    if (!x)
        goto out;
    if (tx->ndim != 3 || tx->shape[2] != hp->n_mels) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE, "input 'x' must be [B, T, %" G_GINT64_FORMAT "]",
                    hp->n_mels);
        goto out;
    }
    const int64_t B = tx->shape[0], T = tx->shape[1];
    if (!(f0 = rift_stage_input_f32(ctx, "f0", NULL, err)) ||
        !(rms = rift_stage_input_f32(ctx, "rms", NULL, err)) ||
        !(cvec = rift_stage_input_f32(ctx, "cvec", NULL, err)) ||
        !(time = rift_stage_input_f32(ctx, "time", NULL, err)) ||
        !(spk = rift_stage_input_i64(ctx, "spk", B, err)) || !(drop = rift_stage_input_i64(ctx, "drop_speaker", B, err)) ||
        !(len = rift_stage_input_i64(ctx, "frame_len", B, err)) ||
        !rift_stage_parse_layers(rift_stage_param(ctx, "skip_layers"), &skip, &n_skip, err))
        goto out;

    gboolean *drop_b = g_new(gboolean, B);
    int32_t *len32 = g_new(int32_t, B);
    for (int64_t b = 0; b < B; b++) {
        drop_b[b] = drop[b] != 0;
        len32[b] = (int32_t)CLAMP(len[b], 0, T);
    }
    rift_dit_input in = {.B = B, .T = T, .x = x, .f0 = f0, .rms = rms, .cvec = cvec,
                         .time = time, .spk = spk, .drop_speaker = drop_b,
                         .frame_len = len32, .skip_layers = skip, .n_skip = n_skip};
    rift_tensor *out = rift_tensor_new(RIFT_F32, 3, (int64_t[]){B, T, hp->n_mels});
    ok = rift_dit_forward(dit, &in, out->data, err);
    if (ok)
        rift_stage_output(ctx, "out", out);
    else
        rift_tensor_free(out);
    g_free(drop_b);
    g_free(len32);
out:
    g_free(x);
    g_free(f0);
    g_free(rms);
    g_free(cvec);
    g_free(time);
    g_free(spk);
    g_free(drop);
    g_free(len);
    g_free(skip);
    rift_dit_free(dit);
    return ok;
}
