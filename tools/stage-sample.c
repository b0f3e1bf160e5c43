/* stage-sample.c — `rift-tool run sample`: the rectified-flow sampler.
 * Inputs src_mel [B,T,n_mels], spk [B], f0/rms [B,T], cvec [B,T,C],
 * bad_cvec (when ds guidance is on), frame_len [B], y0 [B,T,n_mels].
 * Parameters steps, ds_cfg_strength, spk_cfg_strength, skip_cfg_strength,
 * cfg_skip_layers, cfg_rescale (absent strengths are 0, absent rescale 0.7,
 * as RF.sample's own defaults). Outputs out [B,T,n_mels] and trajectory
 * [steps,B,T,n_mels]. */
#include "rf.h"
#include "rift-error.h"
#include "stages.h"

#include <stdlib.h>

static gboolean param_float(rift_stage_ctx *ctx, const char *name, float dflt, float *out,
                            GError **err)
{
    const char *v = rift_stage_param(ctx, name);
    char *end = NULL;
    *out = v ? (float)g_ascii_strtod(v, &end) : dflt;
    if (v && (end == v || *end)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "parameter %s: '%s' is not a number", name, v);
        return FALSE;
    }
    return TRUE;
}

static gboolean read_params(rift_stage_ctx *ctx, rift_rf_params *p, GError **err)
{
    *p = rift_rf_params_default();
    float steps;
    int *layers = NULL, n = 0;
    if (!param_float(ctx, "steps", 32.0f, &steps, err) ||
        !param_float(ctx, "ds_cfg_strength", 0.0f, &p->ds_cfg_strength, err) ||
        !param_float(ctx, "spk_cfg_strength", 0.0f, &p->spk_cfg_strength, err) ||
        !param_float(ctx, "skip_cfg_strength", 0.0f, &p->skip_cfg_strength, err) ||
        !param_float(ctx, "cfg_rescale", 0.7f, &p->cfg_rescale, err) ||
        !rift_stage_parse_layers(rift_stage_param(ctx, "cfg_skip_layers"), &layers, &n, err))
        return FALSE;
    p->steps = (int)steps;
    p->n_cfg_skip = MIN(n, RIFT_RF_MAX_SKIP);
    for (int i = 0; i < p->n_cfg_skip; i++)
        p->cfg_skip_layers[i] = layers[i];
    g_free(layers);
    return TRUE;
}

gboolean rift_stage_sample(rift_stage_ctx *ctx, GError **err)
{
    rift_rf_params p;
    if (!read_params(ctx, &p, err))
        return FALSE;
    rift_dit *dit = rift_dit_load_file(ctx->model, ctx->be, err);
    if (!dit)
        return FALSE;
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    gboolean ok = FALSE;
    const rift_tensor *tm;
    float *src = rift_stage_input_f32(ctx, "src_mel", &tm, err);
    float *f0 = NULL, *rms = NULL, *cvec = NULL, *bad = NULL, *y0 = NULL;
    int64_t *spk = NULL, *len = NULL;
    if (!src)
        goto out;
    if (tm->ndim != 3 || tm->shape[2] != hp->n_mels) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "input 'src_mel' must be [B, T, %" G_GINT64_FORMAT "]", hp->n_mels);
        goto out;
    }
    const int64_t B = tm->shape[0], T = tm->shape[1];
    if (!(f0 = rift_stage_input_f32(ctx, "f0", NULL, err)) ||
        !(rms = rift_stage_input_f32(ctx, "rms", NULL, err)) ||
        !(cvec = rift_stage_input_f32(ctx, "cvec", NULL, err)) ||
        !(y0 = rift_stage_input_f32(ctx, "y0", NULL, err)) ||
        !(spk = rift_stage_input_i64(ctx, "spk", B, err)) ||
        !(len = rift_stage_input_i64(ctx, "frame_len", B, err)))
        goto out;
    if (rift_weights_find(ctx->in, "bad_cvec") &&
        !(bad = rift_stage_input_f32(ctx, "bad_cvec", NULL, err)))
        goto out;

    int32_t *len32 = g_new(int32_t, B);
    for (int64_t b = 0; b < B; b++)
        len32[b] = (int32_t)CLAMP(len[b], 0, T);
    rift_rf_input in = {.B = B, .T = T, .src_mel = src, .spk = spk, .f0 = f0, .rms = rms,
                        .cvec = cvec, .bad_cvec = bad, .frame_len = len32, .y0 = y0};
    rift_tensor *t_out = rift_tensor_new(RIFT_F32, 3, (int64_t[]){B, T, hp->n_mels});
    rift_tensor *t_traj = rift_tensor_new(RIFT_F32, 4, (int64_t[]){MAX(p.steps, 1), B, T, hp->n_mels});
    ok = rift_rf_sample(dit, &p, &in, t_out->data, t_traj->data, err);
    if (ok) {
        rift_stage_output(ctx, "out", t_out);
        rift_stage_output(ctx, "trajectory", t_traj);
    } else {
        rift_tensor_free(t_out);
        rift_tensor_free(t_traj);
    }
    g_free(len32);
out:
    g_free(src);
    g_free(f0);
    g_free(rms);
    g_free(cvec);
    g_free(bad);
    g_free(y0);
    g_free(spk);
    g_free(len);
    rift_dit_free(dit);
    return ok;
}
