/* stage-contentvec.c — `rift-tool run contentvec`: ContentVec on one
 * segment's 16 kHz audio, as infer.py's extract_features runs it.
 * Input audio_16k [n16]; parameter n_mel_frames (T; absent: n_samples_44k
 * // 512 from the case's metadata). Outputs last_hidden_state [N, H],
 * cvec_interp [T, H] (linearly interpolated onto the mel frames) and the
 * intermediates feat_extract, feat_proj, pos_conv, enc_in, layer<i>, so
 * that a mismatch points at its block. */
#include "contentvec.h"
#include "interp.h"
#include "rift-error.h"
#include "stages.h"

#include <string.h>

/* A parameter that must be a whole number >= 1; *found FALSE when absent. */
static gboolean int_param(rift_stage_ctx *ctx, const char *name, int64_t *out, gboolean *found,
                          GError **err)
{
    const char *s = rift_stage_param(ctx, name);
    *found = s != NULL;
    if (!s)
        return TRUE;
    char *end = NULL;
    *out = g_ascii_strtoll(s, &end, 10);
    if (end == s || *end || *out < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "parameter %s '%s' is not a whole number >= 1",
                    name, s);
        return FALSE;
    }
    return TRUE;
}

/* T, the mel frames of the 44.1 kHz segment (infer.py: mel.shape[1] = n44 // 512) */
static gboolean mel_frames(rift_stage_ctx *ctx, int64_t *T, GError **err)
{
    gboolean found;
    if (!int_param(ctx, "n_mel_frames", T, &found, err))
        return FALSE;
    if (found)
        return TRUE;
    int64_t n44;
    if (!int_param(ctx, "n_samples_44k", &n44, &found, err))
        return FALSE;
    if (!found || n44 / 512 < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "cvec_interp needs the mel frame count: give --n-mel-frames T, or "
                    "n_mel_frames or n_samples_44k (>= 512) in the case's metadata");
        return FALSE;
    }
    *T = n44 / 512;
    return TRUE;
}

static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    rift_stage_ctx *ctx = user;
    rift_tensor *t = rift_tensor_new_2d(RIFT_F32, rows, cols);
    memcpy(t->data, data, (size_t)(rows * cols) * sizeof(float));
    rift_stage_output(ctx, name, t);
}

gboolean rift_stage_contentvec(rift_stage_ctx *ctx, GError **err)
{
    int64_t T;
    if (!mel_frames(ctx, &T, err))
        return FALSE;
    const rift_tensor *t_audio;
    float *audio = rift_stage_input_f32(ctx, "audio_16k", &t_audio, err);
    if (!audio)
        return FALSE;
    const int64_t n16 = rift_tensor_numel(t_audio);
    rift_contentvec *cv = rift_contentvec_load_dir(ctx->model, ctx->be, err);
    gboolean ok = cv != NULL;
    if (ok) {
        const int64_t H = rift_contentvec_get_hparams(cv)->hidden;
        const int64_t N = rift_contentvec_n_frames(cv, n16);
        rift_tensor *hidden = rift_tensor_new_2d(RIFT_F32, MAX(N, 1), H);
        rift_contentvec_set_debug(cv, on_debug, ctx);
        ok = rift_contentvec_forward(cv, audio, n16, hidden->data, NULL, err);
        if (ok) {
            rift_tensor *interp = rift_tensor_new_2d(RIFT_F32, T, H);
            rift_interp_linear(interp->data, T, hidden->data, N, H);
            rift_stage_output(ctx, "last_hidden_state", hidden);
            rift_stage_output(ctx, "cvec_interp", interp);
        } else {
            rift_tensor_free(hidden);
        }
        rift_contentvec_free(cv);
    }
    g_free(audio);
    return ok;
}
