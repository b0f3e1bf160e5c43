/* stage-robust-f0.c — `rift-tool run robust_f0`: infer.py --robust-f0's
 * trackers and ensembles on the segments of a case file
 * (tests/fixtures/robust_f0/README.md, "The rift-tool contract").
 *
 * For every case C of the file's __metadata__ "cases" (or only --case C):
 *   C.audio [n] F64 (the loudness-normalised segment), C.rmvpe_f0 [T] F64
 *   (RMVPE's post-processed f0, 0 = unvoiced), C.rms [T] F32, T = n / hop
 *   -> C.dio_f0, C.stonemask_f0, C.pw_f0 [N]; C.pm_freq, C.pm_f0 [nx];
 *      C.f0_ensemble, C.f0_light [T] (F64; NaN = unvoiced in pw_f0/pm_f0,
 *      0 elsewhere)
 * Parameters: the file's "params" (sample_rate, hop_length, rms_threshold,
 * and the trackers' arguments under "dio" and "praat"); what it leaves out
 * is infer.py's. */
#include "rift-error.h"
#include "robust-f0.h"
#include "stages.h"

#include <string.h>

/* A number of the params JSON, given as a number or as a string (the
 * fixtures keep exact doubles as strings). */
static gboolean json_double(const rift_value *obj, const char *key, double *out, GError **err)
{
    const rift_value *v = rift_value_get(obj, key);
    if (!v)
        return TRUE;
    const char *s = rift_value_as_str(v);
    char *end = NULL;
    if (s ? (*out = g_ascii_strtod(s, &end), end != s && !*end) : rift_value_as_double(v, out))
        return TRUE;
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "parameter params.%s is not a number", key);
    return FALSE;
}

static gboolean json_int(const rift_value *obj, const char *key, int *out, GError **err)
{
    double d = *out;
    if (!json_double(obj, key, &d, err))
        return FALSE;
    *out = (int)d;
    return TRUE;
}

/* infer.py's parameters, with those the file's "params" states. */
static gboolean read_params(rift_stage_ctx *ctx, rift_robust_f0_params *p, GError **err)
{
    rift_robust_f0_params_init(p);
    const char *json = rift_stage_param(ctx, "params");
    if (!json)
        return TRUE;
    rift_value *root = rift_value_from_json(json, -1, "params", err);
    if (!root)
        return FALSE;
    const rift_value *dio = rift_value_get(root, "dio"), *praat = rift_value_get(root, "praat");
    double rms = p->rms_threshold;
    gboolean ok = json_int(root, "sample_rate", &p->sample_rate, err) &&
                  json_int(root, "hop_length", &p->hop, err) &&
                  json_double(root, "rms_threshold", &rms, err);
    if (ok && dio)
        ok = json_double(dio, "f0_floor", &p->dio.f0_floor, err) &&
             json_double(dio, "f0_ceil", &p->dio.f0_ceil, err) &&
             json_double(dio, "frame_period_ms", &p->dio.frame_period_ms, err) &&
             json_double(dio, "channels_in_octave", &p->dio.channels_in_octave, err) &&
             json_double(dio, "allowed_range", &p->dio.allowed_range, err) &&
             json_int(dio, "speed", &p->dio.speed, err);
    if (ok && praat) {
        const rift_value *va = rift_value_get(praat, "very_accurate");
        ok = json_double(praat, "time_step", &p->praat.time_step, err) &&
             json_double(praat, "pitch_floor", &p->praat.pitch_floor, err) &&
             json_double(praat, "pitch_ceiling", &p->praat.pitch_ceiling, err) &&
             json_double(praat, "silence_threshold", &p->praat.silence_threshold, err) &&
             json_double(praat, "voicing_threshold", &p->praat.voicing_threshold, err) &&
             json_double(praat, "octave_cost", &p->praat.octave_cost, err) &&
             json_double(praat, "octave_jump_cost", &p->praat.octave_jump_cost, err) &&
             json_double(praat, "voiced_unvoiced_cost", &p->praat.voiced_unvoiced_cost, err) &&
             json_int(praat, "max_number_of_candidates", &p->praat.max_candidates, err);
        if (ok && va && !rift_value_as_bool(va, &p->praat.very_accurate)) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                        "parameter params.praat.very_accurate is not a boolean");
            ok = FALSE;
        }
    }
    p->rms_threshold = (float)rms;
    rift_value_free(root);
    if (ok && (p->sample_rate < 1 || p->hop < 1)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "parameters sample_rate %d and hop_length %d must be positive", p->sample_rate,
                    p->hop);
        ok = FALSE;
    }
    return ok;
}

/* Input `C.name`, which must be of dtype `dt` with `want` values (-1: any);
 * a view into the case file. */
static const rift_tensor *input(rift_stage_ctx *ctx, const char *c, const char *name,
                                rift_dtype dt, int64_t want, GError **err)
{
    char *full = g_strdup_printf("%s.%s", c, name);
    const rift_tensor *t = rift_weights_find(ctx->in, full);
    if (!t)
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING, "%s: no input tensor '%s'",
                    rift_weights_path(ctx->in), full);
    else if (t->dtype != dt || t->ndim != 1 || (want >= 0 && t->shape[0] != want)) {
        char shape[64], len[32] = "n";
        if (want >= 0)
            g_snprintf(len, sizeof len, "%" G_GINT64_FORMAT, want);
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "%s: tensor '%s' has wrong shape; expected %s [%s], got %s %s",
                    rift_weights_path(ctx->in), full, rift_dtype_name(dt), len,
                    rift_dtype_name(t->dtype), rift_shape_str(shape, sizeof shape, t->ndim, t->shape));
        t = NULL;
    }
    g_free(full);
    return t;
}

static void output(rift_stage_ctx *ctx, const char *c, const char *name, const double *x,
                   int64_t n)
{
    rift_tensor *t = rift_tensor_new_1d(RIFT_F64, n);
    if (n > 0)
        memcpy(t->data, x, n * sizeof(double));
    char *full = g_strdup_printf("%s.%s", c, name);
    rift_stage_output(ctx, full, t);
    g_free(full);
}

static gboolean run_case(rift_stage_ctx *ctx, const char *c, const rift_robust_f0_params *p,
                         GError **err)
{
    const rift_tensor *ta = input(ctx, c, "audio", RIFT_F64, -1, err);
    if (!ta)
        return FALSE;
    const int64_t n = ta->shape[0], T = n / p->hop;
    const rift_tensor *tf = input(ctx, c, "rmvpe_f0", RIFT_F64, T, err);
    const rift_tensor *tr = tf ? input(ctx, c, "rms", RIFT_F32, T, err) : NULL;
    if (!tr)
        return FALSE;
    /* copies: the file's tensors need not be aligned for double */
    double *audio = g_memdup2(ta->data, MAX(n, 1) * sizeof(double));
    double *rmvpe = g_memdup2(tf->data, MAX(T, 1) * sizeof(double));
    float *rms = g_memdup2(tr->data, MAX(T, 1) * sizeof(float));
    rift_robust_f0_tracks tracks;
    gboolean ok = n > 0;
    if (!ok)
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE, "%s: case %s has no audio",
                    rift_weights_path(ctx->in), c);
    else
        ok = rift_robust_f0_tracks_compute(audio, n, p, &tracks, err);
    if (ok) {
        double *f0 = g_new(double, MAX(T, 1));
        output(ctx, c, "dio_f0", tracks.dio_f0, tracks.n_dio);
        output(ctx, c, "stonemask_f0", tracks.stonemask_f0, tracks.n_dio);
        output(ctx, c, "pw_f0", tracks.pw_f0, tracks.n_dio);
        output(ctx, c, "pm_freq", tracks.pm_freq, tracks.n_pm);
        output(ctx, c, "pm_f0", tracks.pm_f0, tracks.n_pm);
        rift_robust_f0_ensemble(&tracks, rmvpe, rms, T, 2, p, f0);
        output(ctx, c, "f0_ensemble", f0, T);
        rift_robust_f0_ensemble(&tracks, rmvpe, rms, T, 1, p, f0);
        output(ctx, c, "f0_light", f0, T);
        g_free(f0);
        rift_robust_f0_tracks_clear(&tracks);
    }
    g_free(audio);
    g_free(rmvpe);
    g_free(rms);
    return ok;
}

gboolean rift_stage_robust_f0(rift_stage_ctx *ctx, GError **err)
{
    rift_robust_f0_params p;
    if (!read_params(ctx, &p, err))
        return FALSE;
    const char *one = g_hash_table_lookup(ctx->overrides, "case");
    if (one)
        return run_case(ctx, one, &p, err);

    const char *json = rift_stage_param(ctx, "cases");
    if (!json) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                    "%s: no __metadata__ \"cases\" (a JSON list of case names); name one with "
                    "--case C",
                    rift_weights_path(ctx->in));
        return FALSE;
    }
    rift_value *cases = rift_value_from_json(json, -1, "cases", err);
    if (!cases)
        return FALSE;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < rift_value_len(cases); i++) {
        const char *c = rift_value_as_str(rift_value_index(cases, i));
        if (!c) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                        "%s: __metadata__ \"cases\" item %u is not a string",
                        rift_weights_path(ctx->in), i);
            ok = FALSE;
        } else {
            ok = run_case(ctx, c, &p, err);
        }
    }
    rift_value_free(cases);
    return ok;
}
