/* rf.h — RIFT-SVC's rectified-flow sampler (rift_svc/rf.py RF.sample) with
 * every guidance of infer.py.
 *
 * Euler over t = linspace(0, 1, steps) (steps − 1 evaluations of the DiT),
 * starting from the masked noise y0 in the normalised mel space (−1..1 for
 * −12..2), then denormalised; padded frames of each item come from its
 * source mel. The guidance conditions of a step (plain, bad content vector,
 * dropped speaker) go through the DiT as one batch; docs/sampler.md gives the
 * exact semantics, including the global-std rescale.
 */
#pragma once

#include "dit.h"

G_BEGIN_DECLS

#define RIFT_RF_MAX_SKIP 64

typedef struct {
    int steps;               /* grid points including both ends (infer.py: 32) */
    float ds_cfg_strength;   /* content guidance against bad_cvec (0.2) */
    float spk_cfg_strength;  /* speaker guidance against the null speaker (0.8) */
    float skip_cfg_strength; /* skip-layer guidance (0.0) */
    int cfg_skip_layers[RIFT_RF_MAX_SKIP];
    int n_cfg_skip;          /* (none) */
    float cfg_rescale;       /* 0.7 */
} rift_rf_params;

/* infer.py's defaults (its code, not its README). */
rift_rf_params rift_rf_params_default(void);
/* steps >= 2, strengths >= 0 and finite, rescale in [0, 1], skip layers
 * inside the model and given when skip guidance is on. */
gboolean rift_rf_params_check(const rift_rf_params *p, const rift_dit_hparams *hp, GError **err);

/* B segments padded to T frames (host memory). */
typedef struct {
    int64_t B, T;
    const float *src_mel;     /* [B, T, n_mels] source log-mel (padded rows kept verbatim) */
    const int64_t *spk;       /* [B] speaker indices */
    const float *f0, *rms;    /* [B, T] */
    const float *cvec;        /* [B, T, cvec_dim] */
    const float *bad_cvec;    /* [B, T, cvec_dim]; required when ds guidance is on */
    const int32_t *frame_len; /* [B], each in 1..T (upstream also needs max == T; we do not) */
    const float *y0;          /* [B, T, n_mels] initial noise (NULL: zeros) */
} rift_rf_input;

/* out [B, T, n_mels] (denormalised mel); trajectory [steps, B, T, n_mels] in
 * the normalised space, or NULL. */
gboolean rift_rf_sample(rift_dit *dit, const rift_rf_params *p, const rift_rf_input *in,
                        float *out, float *trajectory, GError **err);

/* torch.linspace(0, 1, steps) in float32 as torch rounds it. */
void rift_rf_time_grid(float *t, int steps);

G_END_DECLS
