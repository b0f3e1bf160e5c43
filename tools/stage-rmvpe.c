/* stage-rmvpe.c — `rift-tool run rmvpe`: RMVPE on a case file. The case's
 * inputs say which part runs (tests/fixtures/rmvpe has all three kinds):
 *
 *   audio_16k [n16] (needs --model)
 *       -> mel [n_mels, T16], hidden [T16, n_classes], f0_rmvpe [T16],
 *          f0_post [n_frames_44k], and with key_shift k != 0 also
 *          f0_post_key+k (f0_post · 2^(k/12), infer.py's --key-shift)
 *   hidden [T, n_bins]  (the decode alone)
 *       -> f0 [T], center [T] (I64), uv [T] (U8)
 *   C.f0_in [N], C.n_frames [1] for every sub-case C  (post_process_f0 alone)
 *       -> C.f0_post [n_frames] (and C.f0_post_key+k)
 *
 * Parameters: n_frames_44k (audio case), thred (0.03), key_shift (0). */
#include "rift-error.h"
#include "rmvpe.h"
#include "stages.h"

#include <string.h>

static gboolean param_double(rift_stage_ctx *ctx, const char *name, double def, double *out,
                             GError **err)
{
    const char *v = rift_stage_param(ctx, name);
    char *end = NULL;
    *out = v ? g_ascii_strtod(v, &end) : def;
    if (v && (end == v || *end)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "parameter %s: '%s' is not a number", name,
                    v);
        return FALSE;
    }
    return TRUE;
}

/* "<base>" = post_process_f0 of f0 [n] onto n_out frames, plus
 * "<base>_key+k" when key_shift is not 0 */
static void output_post(rift_stage_ctx *ctx, const char *base, const float *f0, int64_t n,
                        int64_t n_out, double key_shift)
{
    rift_tensor *t = rift_tensor_new_1d(RIFT_F32, n_out);
    rift_f0_post_process(f0, n, n_out, 0.0, t->data);
    rift_stage_output(ctx, base, t);
    if (key_shift != 0.0) {
        char *name = g_strdup_printf("%s_key%+g", base, key_shift);
        t = rift_tensor_new_1d(RIFT_F32, n_out);
        rift_f0_post_process(f0, n, n_out, key_shift, t->data);
        rift_stage_output(ctx, name, t);
        g_free(name);
    }
}

static gboolean run_decode(rift_stage_ctx *ctx, float thred, GError **err)
{
    const rift_tensor *th;
    float *hidden = rift_stage_input_f32(ctx, "hidden", &th, err);
    if (!hidden)
        return FALSE;
    if (th->ndim != 2) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE, "input 'hidden' must be [T, bins]");
        g_free(hidden);
        return FALSE;
    }
    const int64_t T = th->shape[0];
    rift_tensor *f0 = rift_tensor_new_1d(RIFT_F32, T);
    rift_tensor *center = rift_tensor_new_1d(RIFT_I64, T);
    rift_tensor *uv = rift_tensor_new_1d(RIFT_U8, T);
    rift_rmvpe_decode(hidden, T, th->shape[1], thred, f0->data, center->data, uv->data);
    rift_stage_output(ctx, "f0", f0);
    rift_stage_output(ctx, "center", center);
    rift_stage_output(ctx, "uv", uv);
    g_free(hidden);
    return TRUE;
}

static gboolean run_post_process(rift_stage_ctx *ctx, double key_shift, GError **err)
{
    GPtrArray *cases = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < rift_weights_count(ctx->in); i++) {
        const char *name = rift_weights_nth(ctx->in, i)->name;
        if (g_str_has_suffix(name, ".f0_in"))
            g_ptr_array_add(cases, g_strndup(name, strlen(name) - strlen(".f0_in")));
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < cases->len; i++) {
        const char *c = cases->pdata[i];
        char *in_name = g_strdup_printf("%s.f0_in", c), *n_name = g_strdup_printf("%s.n_frames", c);
        char *out_name = g_strdup_printf("%s.f0_post", c);
        const rift_tensor *tf;
        float *f0 = rift_stage_input_f32(ctx, in_name, &tf, err);
        int64_t *n_out = f0 ? rift_stage_input_i64(ctx, n_name, 1, err) : NULL;
        ok = n_out != NULL;
        if (ok)
            output_post(ctx, out_name, f0, rift_tensor_numel(tf), MAX(n_out[0], 0), key_shift);
        g_free(n_out);
        g_free(f0);
        g_free(in_name);
        g_free(n_name);
        g_free(out_name);
    }
    g_ptr_array_unref(cases);
    return ok;
}

static gboolean run_audio(rift_stage_ctx *ctx, float thred, double key_shift, GError **err)
{
    const char *nf = rift_stage_param(ctx, "n_frames_44k");
    char *end = NULL;
    const gint64 n44 = nf ? g_ascii_strtoll(nf, &end, 10) : -1;
    if (!nf || end == nf || *end || n44 < 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "parameter n_frames_44k (the 44.1 kHz mel's frame count, n / 512) is %s",
                    nf ? "not a count" : "missing");
        return FALSE;
    }
    if (!ctx->model) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "a case with audio_16k needs --model (RMVPE model.pt)");
        return FALSE;
    }
    const rift_tensor *ta;
    float *audio = rift_stage_input_f32(ctx, "audio_16k", &ta, err);
    if (!audio)
        return FALSE;
    rift_rmvpe *r = rift_rmvpe_load_file(ctx->model, ctx->be, err);
    gboolean ok = r != NULL;
    if (ok) {
        const rift_rmvpe_hparams *hp = rift_rmvpe_get_hparams(r);
        const int64_t n16 = rift_tensor_numel(ta), T16 = rift_rmvpe_n_frames(n16);
        rift_tensor *mel = rift_tensor_new_2d(RIFT_F32, hp->n_mels, T16);
        rift_tensor *hidden = rift_tensor_new_2d(RIFT_F32, T16, hp->n_classes);
        ok = rift_rmvpe_hidden(r, audio, n16, mel->data, hidden->data, err);
        if (ok) {
            rift_tensor *f0 = rift_tensor_new_1d(RIFT_F32, T16);
            rift_rmvpe_decode(hidden->data, T16, hp->n_classes, thred, f0->data, NULL, NULL);
            output_post(ctx, "f0_post", f0->data, T16, n44, key_shift);
            rift_stage_output(ctx, "mel", mel);
            rift_stage_output(ctx, "hidden", hidden);
            rift_stage_output(ctx, "f0_rmvpe", f0);
        } else {
            rift_tensor_free(mel);
            rift_tensor_free(hidden);
        }
    }
    rift_rmvpe_free(r);
    g_free(audio);
    return ok;
}

gboolean rift_stage_rmvpe(rift_stage_ctx *ctx, GError **err)
{
    double thred, key_shift;
    if (!param_double(ctx, "thred", RIFT_RMVPE_THRED, &thred, err) ||
        !param_double(ctx, "key_shift", 0.0, &key_shift, err))
        return FALSE;
    if (rift_weights_find(ctx->in, "audio_16k"))
        return run_audio(ctx, (float)thred, key_shift, err);
    if (rift_weights_find(ctx->in, "hidden"))
        return run_decode(ctx, (float)thred, err);
    for (guint i = 0; i < rift_weights_count(ctx->in); i++)
        if (g_str_has_suffix(rift_weights_nth(ctx->in, i)->name, ".f0_in"))
            return run_post_process(ctx, key_shift, err);
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                "%s: no input for stage rmvpe: expected audio_16k, hidden, or C.f0_in + "
                "C.n_frames",
                rift_weights_path(ctx->in));
    return FALSE;
}
