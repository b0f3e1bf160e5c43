/* stages.h — one `rift-tool run` stage per model: a case file's named input
 * tensors in, named output tensors out (tests/fixtures/README.md states the
 * contract stage by stage). */
#pragma once

#include "backend.h"
#include "tensor.h"
#include "weights.h"

#include <glib.h>

typedef struct {
    rift_backend *be;
    const char *model;      /* --model, or NULL */
    rift_weights *in;       /* the case file */
    GHashTable *overrides;  /* parameter name -> value given as a flag */
    GPtrArray *outputs;     /* rift_tensor *, named; written to --out */
} rift_stage_ctx;

typedef struct {
    const char *name;
    gboolean needs_model;
    gboolean (*run)(rift_stage_ctx *ctx, GError **err);
    const char *summary;
} rift_stage;

/* A float32 host copy of input `name` with its shape in *t_out (numel etc.);
 * g_free the data. */
float *rift_stage_input_f32(rift_stage_ctx *ctx, const char *name, const rift_tensor **t_out,
                            GError **err);
/* An int64 copy of an integer/bool/float input that must have `want` values. */
int64_t *rift_stage_input_i64(rift_stage_ctx *ctx, const char *name, int64_t want, GError **err);
/* A parameter: the flag if given, else the case's __metadata__, else NULL. */
const char *rift_stage_param(rift_stage_ctx *ctx, const char *name);
/* Hand an output over (takes ownership, sets its name). */
void rift_stage_output(rift_stage_ctx *ctx, const char *name, rift_tensor *t);

gboolean rift_stage_mel(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_contentvec(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_rmvpe(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_dit(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_sample(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_vocoder(rift_stage_ctx *ctx, GError **err);
gboolean rift_stage_robust_f0(rift_stage_ctx *ctx, GError **err);

/* "null", "2" or "[0, 3]" -> layer list (g_free *layers). */
gboolean rift_stage_parse_layers(const char *json, int **layers, int *n, GError **err);
