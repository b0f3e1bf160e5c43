/* cmd-run.c — `rift-tool run STAGE`: the harness shared by every stage:
 * argument parsing, the backend, reading the case file, parameter lookup
 * (flag > case __metadata__), writing the outputs. */
#include "rift-error.h"
#include "rift-tool.h"
#include "safetensors.h"
#include "stages.h"

#include <stdio.h>
#include <string.h>

static const rift_stage stages[] = {
    {"mel", FALSE, rift_stage_mel, "audio [n] -> mel [128,T], rms [T] (44.1 kHz, hop 512)"},
    {"contentvec", TRUE, rift_stage_contentvec, "audio_16k [n16] -> last_hidden_state [N,d], cvec_interp [T,d]"},
    {"rmvpe", FALSE, rift_stage_rmvpe, "RMVPE f0: audio_16k -> mel, hidden, f0_rmvpe, f0_post (or hidden -> f0; C.f0_in -> C.f0_post)"},
    {"dit", TRUE, rift_stage_dit, "one DiT evaluation: x, spk, f0, rms, cvec, time, ... -> out"},
    {"sample", TRUE, rift_stage_sample, "the RF sampler with guidance: src_mel, ..., y0 -> out, trajectory"},
    {"vocoder", TRUE, rift_stage_vocoder, "NSF-HiFiGAN: mel [B,128,T], f0 [B,T] -> audio [B,1,T*512], har_source"},
    {"robust_f0", FALSE, rift_stage_robust_f0, "infer.py --robust-f0 per case C: C.audio, C.rmvpe_f0, C.rms -> C.dio_f0, C.stonemask_f0, C.pw_f0, C.pm_freq, C.pm_f0, C.f0_ensemble, C.f0_light (--case C: one)"},
};

float *rift_stage_input_f32(rift_stage_ctx *ctx, const char *name, const rift_tensor **t_out,
                            GError **err)
{
    const rift_tensor *t = rift_weights_find(ctx->in, name);
    if (!t) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING, "%s: no input tensor '%s'",
                    rift_weights_path(ctx->in), name);
        return NULL;
    }
    if (t_out)
        *t_out = t;
    return rift_tensor_to_f32(t, err);
}

/* An int64 copy of any integer/bool/float input (g_free it). */
int64_t *rift_stage_input_i64(rift_stage_ctx *ctx, const char *name, int64_t want, GError **err)
{
    const rift_tensor *t;
    float *f = rift_stage_input_f32(ctx, name, &t, err);
    if (!f)
        return NULL;
    if (rift_tensor_numel(t) != want) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "input '%s' has %" G_GINT64_FORMAT " values, expected %" G_GINT64_FORMAT, name,
                    rift_tensor_numel(t), want);
        g_free(f);
        return NULL;
    }
    int64_t *v = g_new(int64_t, want);
    for (int64_t i = 0; i < want; i++)
        v[i] = (int64_t)f[i];
    g_free(f);
    return v;
}

const char *rift_stage_param(rift_stage_ctx *ctx, const char *name)
{
    const char *v = g_hash_table_lookup(ctx->overrides, name);
    if (v)
        return v;
    return rift_value_as_str(rift_value_get(rift_weights_meta(ctx->in), name));
}

void rift_stage_output(rift_stage_ctx *ctx, const char *name, rift_tensor *t)
{
    rift_tensor_set_name(t, name);
    g_ptr_array_add(ctx->outputs, t);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: rift-tool run STAGE [--model PATH] --in CASE.safetensors --out "
               "OUT.safetensors\n"
               "                     [--backend auto|cpu|cuda] [--PARAM VALUE ...]\n\n"
               "Reads the named inputs of CASE, writes the named outputs to OUT. Stage\n"
               "parameters come from CASE's __metadata__; --PARAM VALUE overrides one\n"
               "(dashes and underscores are the same). Stages:\n");
    for (guint i = 0; i < G_N_ELEMENTS(stages); i++)
        fprintf(f, "  %-12s %s%s\n", stages[i].name, stages[i].summary,
                stages[i].needs_model ? " (needs --model)" : "");
}

static const rift_stage *find_stage(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(stages); i++)
        if (!strcmp(stages[i].name, name))
            return &stages[i];
    return NULL;
}

typedef struct {
    const char *model, *in, *out, *backend;
    GHashTable *overrides;
} run_args;

/* --flag VALUE pairs; unknown flags become parameter overrides. */
static gboolean parse_args(int argc, char **argv, run_args *a, GError **err)
{
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (strncmp(flag, "--", 2) != 0 || i + 1 >= argc) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "expected --FLAG VALUE, got '%s'", flag);
            return FALSE;
        }
        const char *val = argv[++i];
        if (!strcmp(flag, "--model"))
            a->model = val;
        else if (!strcmp(flag, "--in"))
            a->in = val;
        else if (!strcmp(flag, "--out"))
            a->out = val;
        else if (!strcmp(flag, "--backend"))
            a->backend = val;
        else
            g_hash_table_insert(a->overrides, g_strdelimit(g_strdup(flag + 2), "-", '_'),
                                g_strdup(val));
    }
    if (!a->in || !a->out) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--in and --out are required");
        return FALSE;
    }
    return TRUE;
}

static gboolean run_stage(const rift_stage *st, run_args *a, GError **err)
{
    rift_backend_kind kind = RIFT_BACKEND_AUTO;
    if (a->backend && !rift_backend_kind_from_string(a->backend, &kind)) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "--backend: unknown backend '%s' (auto, cpu or cuda)", a->backend);
        return FALSE;
    }
    if (st->needs_model && !a->model) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "stage '%s' needs --model", st->name);
        return FALSE;
    }
    rift_stage_ctx ctx = {.model = a->model, .overrides = a->overrides};
    ctx.in = rift_weights_open(a->in, err);
    if (!ctx.in)
        return FALSE;
    gboolean ok = FALSE;
    ctx.be = rift_backend_new(kind, -1, err);
    if (ctx.be) {
        ctx.outputs = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
        ok = st->run(&ctx, err) &&
             rift_safetensors_write(a->out, (rift_tensor *const *)ctx.outputs->pdata,
                                    ctx.outputs->len, NULL, err);
        g_ptr_array_unref(ctx.outputs);
        rift_backend_unref(ctx.be);
    }
    rift_weights_free(ctx.in);
    return ok;
}

int rift_cmd_run(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const rift_stage *st = find_stage(argv[1]);
    if (!st) {
        fprintf(stderr, "rift-tool run: unknown stage '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
    }
    run_args a = {.overrides = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
    GError *err = NULL;
    gboolean ok = parse_args(argc, argv, &a, &err) && run_stage(st, &a, &err);
    g_hash_table_unref(a.overrides);
    if (!ok) {
        fprintf(stderr, "rift-tool run %s: %s\n", st->name, err->message);
        g_error_free(err);
        return 1;
    }
    return 0;
}
