/* rf.c — the rectified-flow sampler (rift_svc/rf.py RF.sample), see rf.h.
 *
 * Everything a run needs is set up before the step loop: the condition
 * embeddings (which do not depend on x or t), the speaker vectors, and every
 * buffer. The loop itself only enqueues ops — no allocation, no host round
 * trip (the guidance rescale reads its statistics from device memory).
 *
 * Tested against upstream's sampler outputs and trajectories in
 * tests/fixtures/dit (case3a..3f) by tests/models/test-sample.c and
 * `rift-tool run sample`.
 */
#include "rf.h"

#include "dit-private.h"
#include "ops.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

#define MEL_MIN -12.0f
#define MEL_MAX 2.0f
#define ON(s) ((s) > 1e-5f) /* upstream's test for "this guidance is on" */

rift_rf_params rift_rf_params_default(void)
{
    return (rift_rf_params){
        .steps = 32,
        .ds_cfg_strength = 0.2f,
        .spk_cfg_strength = 0.8f,
        .skip_cfg_strength = 0.0f,
        .n_cfg_skip = 0,
        .cfg_rescale = 0.7f,
    };
}

gboolean rift_rf_params_check(const rift_rf_params *p, const rift_dit_hparams *hp, GError **err)
{
    const struct {
        const char *name;
        float v;
    } strengths[] = {{"ds-cfg-strength", p->ds_cfg_strength},
                     {"spk-cfg-strength", p->spk_cfg_strength},
                     {"skip-cfg-strength", p->skip_cfg_strength},
                     {"cfg-rescale", p->cfg_rescale}};
    if (p->steps < 2) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "infer-steps %d: need at least 2 grid points (1 Euler step)", p->steps);
        return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS(strengths); i++) {
        if (!(strengths[i].v >= 0.0f) || !isfinite(strengths[i].v)) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s %g: must be a finite value >= 0",
                        strengths[i].name, strengths[i].v);
            return FALSE;
        }
    }
    if (p->cfg_rescale > 1.0f) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "cfg-rescale %g: must be in 0..1",
                    p->cfg_rescale);
        return FALSE;
    }
    if (p->n_cfg_skip < 0 || p->n_cfg_skip > RIFT_RF_MAX_SKIP) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "cfg-skip-layers: at most %d layers",
                    RIFT_RF_MAX_SKIP);
        return FALSE;
    }
    for (int i = 0; i < p->n_cfg_skip; i++) {
        if (p->cfg_skip_layers[i] < 0 || (hp && p->cfg_skip_layers[i] >= hp->depth)) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                        "cfg-skip-layers: layer %d is outside this model's 0..%" G_GINT64_FORMAT,
                        p->cfg_skip_layers[i], hp ? hp->depth - 1 : (int64_t)0);
            return FALSE;
        }
    }
    if (ON(p->skip_cfg_strength) && p->n_cfg_skip == 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "skip-cfg-strength %g needs cfg-skip-layers (the layers to skip)",
                    p->skip_cfg_strength);
        return FALSE;
    }
    return TRUE;
}

/* torch.linspace(0, 1, steps) in float32: start + step·i for the first half,
 * end − step·(steps − 1 − i) for the second, step = 1/(steps − 1). */
void rift_rf_time_grid(float *t, int steps)
{
    if (steps == 1) {
        t[0] = 0.0f;
        return;
    }
    const float step = 1.0f / (float)(steps - 1);
    for (int i = 0; i < steps; i++)
        t[i] = i < steps / 2 ? step * (float)i : 1.0f - step * (float)(steps - 1 - i);
}

typedef struct {
    rift_dit *dit;
    rift_backend *be;
    int64_t B, T, n;     /* items, frames, floats per item (T · n_mels) */
    int64_t nc;          /* conditions per item in the batched evaluation */
    gboolean ds, spk, skip, rescale;
    rift_dit_work *work; /* the batched evaluation, B·nc sequences */
    rift_dit_work *plain; /* the skip-layer evaluation, B sequences */
    float *y;            /* [B, n] the state */
    float *xb;           /* [B·nc, n] the state repeated per condition */
    float *preds;        /* [B·nc, n] velocities; slot 0 becomes the guided one */
    float *pskip;        /* [B, n] */
    double *mom;         /* [4] moments before / after guidance */
    const int32_t *len; /* [B] host: frame_len per item */
    int32_t *len_b;      /* [B·nc] host: frame_len per sequence of the batched evaluation */
    gboolean *skip_mask; /* [depth] host */
} sampler;

/* f0, rms and cvec per sequence of the batched evaluation, item-major
 * (b0c0, b0c1, ...): cvec per condition is [cvec, bad_cvec, cvec] with ds
 * and spk guidance, [cvec, bad_cvec] with ds only, [cvec, cvec] with spk only. */
static void embed_batched_conditions(sampler *s, rift_dit_work *w, const rift_rf_input *in,
                                     int64_t nc, gboolean with_bad)
{
    const rift_dit_hparams *hp = rift_dit_get_hparams(s->dit);
    const int64_t T = s->T, C = hp->cvec_dim, Bs = s->B * nc;
    const size_t fb = sizeof(float);
    float *f0 = rift_backend_alloc(s->be, Bs * T * fb), *rms = rift_backend_alloc(s->be, Bs * T * fb);
    float *cvec = rift_backend_alloc(s->be, Bs * T * C * fb);
    for (int64_t b = 0; b < s->B; b++) {
        for (int64_t c = 0; c < nc; c++) {
            const int64_t seq = b * nc + c;
            const float *cv = with_bad && c == 1 ? in->bad_cvec : in->cvec;
            rift_backend_upload(s->be, f0 + seq * T, in->f0 + b * T, T * fb);
            rift_backend_upload(s->be, rms + seq * T, in->rms + b * T, T * fb);
            rift_backend_upload(s->be, cvec + seq * T * C, cv + b * T * C, T * C * fb);
        }
    }
    rift_dit_embed_conditions(s->dit, w, Bs, T, f0, rms, cvec);
    rift_backend_free_mem(s->be, f0);
    rift_backend_free_mem(s->be, rms);
    rift_backend_free_mem(s->be, cvec);
}

/* Evaluation k of the run is at time grid[k] for all `seqs` sequences. */
static void set_grid_times(rift_dit *dit, rift_dit_work *w, int64_t seqs, int steps)
{
    const int64_t evals = MAX(steps - 1, 1);
    float *grid = g_new(float, steps), *times = g_new(float, evals * seqs);
    rift_rf_time_grid(grid, steps);
    for (int64_t i = 0; i < evals * seqs; i++)
        times[i] = grid[i / seqs];
    rift_dit_set_times(dit, w, seqs, times, evals);
    g_free(grid);
    g_free(times);
}

static void sampler_setup(sampler *s, rift_dit *dit, const rift_rf_params *p,
                          const rift_rf_input *in)
{
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    rift_backend *be = rift_dit_get_backend(dit);
    const size_t fb = sizeof(float);
    memset(s, 0, sizeof *s);
    s->dit = dit;
    s->be = be;
    s->B = in->B;
    s->T = in->T;
    s->n = in->T * hp->n_mels;
    s->ds = ON(p->ds_cfg_strength);
    s->spk = ON(p->spk_cfg_strength);
    s->skip = ON(p->skip_cfg_strength);
    s->rescale = ON(p->cfg_rescale) && (s->ds || s->spk || s->skip);
    s->nc = 1 + s->ds + s->spk;
    const int64_t B = s->B, nc = s->nc, Bs = B * nc, n = s->n;

    s->len = in->frame_len;
    s->len_b = g_new(int32_t, Bs);
    int64_t *spk_b = g_new(int64_t, Bs);
    gboolean *drop_b = g_new0(gboolean, Bs);
    for (int64_t i = 0; i < Bs; i++) {
        s->len_b[i] = in->frame_len[i / nc];
        spk_b[i] = in->spk[i / nc];
        drop_b[i] = s->spk && i % nc == nc - 1; /* the last condition drops the speaker */
    }
    s->work = rift_dit_work_new(dit, Bs, Bs * in->T);
    embed_batched_conditions(s, s->work, in, nc, s->ds);
    rift_dit_set_speakers(dit, s->work, Bs, spk_b, drop_b);
    set_grid_times(dit, s->work, Bs, p->steps);
    if (s->skip) {
        s->plain = rift_dit_work_new(dit, B, B * in->T);
        embed_batched_conditions(s, s->plain, in, 1, FALSE);
        rift_dit_set_speakers(dit, s->plain, B, in->spk, NULL);
        set_grid_times(dit, s->plain, B, p->steps);
        s->skip_mask = g_new0(gboolean, hp->depth);
        for (int i = 0; i < p->n_cfg_skip; i++)
            s->skip_mask[p->cfg_skip_layers[i]] = TRUE;
        s->pskip = rift_backend_alloc(be, B * n * fb);
    }
    g_free(spk_b);
    g_free(drop_b);

    s->y = rift_backend_alloc(be, B * n * fb);
    s->preds = rift_backend_alloc(be, Bs * n * fb);
    s->xb = nc > 1 ? rift_backend_alloc(be, Bs * n * fb) : NULL;
    s->mom = rift_backend_alloc(be, 4 * sizeof(double));
    /* y = where(mask, y0, 0) */
    if (in->y0)
        rift_backend_upload(be, s->y, in->y0, B * n * fb);
    else
        rift_backend_memset0(be, s->y, B * n * fb);
    rift_op_zero_pad_rows(be, s->y, B, in->T, hp->n_mels, in->frame_len);
}

static void sampler_free(sampler *s)
{
    rift_dit_work_free(s->dit, s->work);
    rift_dit_work_free(s->dit, s->plain);
    float *bufs[] = {s->y, s->xb, s->preds, s->pskip};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(s->be, bufs[i]);
    rift_backend_free_mem(s->be, s->mom);
    g_free(s->len_b);
    g_free(s->skip_mask);
}

/* The guided velocity v(t, y) into preds slot 0 (stride nc·n):
 *   pred = p_cond; pred += (pred − p_bad)·ds; pred += (pred − p_nospk)·spk;
 *   pred += (pred − p_skip)·skip;
 *   pred = r·pred·std(p_cond)/std(pred) + (1 − r)·pred   (stds over everything) */
static void guided_velocity(sampler *s, const rift_rf_params *p, int k)
{
    rift_backend *be = s->be;
    const int64_t B = s->B, nc = s->nc, n = s->n, stride = nc * n;
    if (nc > 1) { /* repeat_interleave(y, nc) */
        rift_backend_memset0(be, s->xb, B * nc * n * sizeof(float));
        for (int64_t c = 0; c < nc; c++)
            rift_op_axpy(be, s->xb + c * n, stride, s->y, n, B, n, 1.0f);
    }
    rift_dit_eval(s->dit, s->work, B * nc, s->T, nc > 1 ? s->xb : s->y, k, s->len_b, NULL,
                  s->preds);
    if (s->rescale)
        rift_op_moments(be, s->mom, s->preds, stride, B, n);
    if (s->ds)
        rift_op_guide(be, s->preds, stride, s->preds + n, stride, B, n, p->ds_cfg_strength);
    if (s->spk)
        rift_op_guide(be, s->preds, stride, s->preds + (nc - 1) * n, stride, B, n,
                      p->spk_cfg_strength);
    if (s->skip) {
        rift_dit_eval(s->dit, s->plain, B, s->T, s->y, k, s->len, s->skip_mask,
                      s->pskip);
        rift_op_guide(be, s->preds, stride, s->pskip, n, B, n, p->skip_cfg_strength);
    }
    if (s->rescale) {
        rift_op_moments(be, s->mom + 2, s->preds, stride, B, n);
        rift_op_cfg_rescale(be, s->preds, stride, B, n, s->mom, s->mom + 2, B * n, p->cfg_rescale);
    }
}

static gboolean check_input(const rift_dit_hparams *hp, const rift_rf_params *p,
                            const rift_rf_input *in, GError **err)
{
    if (in->B < 1 || in->T < 1) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "sample: empty batch (B %" G_GINT64_FORMAT
                    ", T %" G_GINT64_FORMAT ")", in->B, in->T);
        return FALSE;
    }
    for (int64_t b = 0; b < in->B; b++) {
        if (in->frame_len[b] < 1 || in->frame_len[b] > in->T || in->spk[b] < 0 ||
            in->spk[b] >= hp->n_speakers) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                        "sample: item %" G_GINT64_FORMAT ": frame_len %d must be in 1..%" G_GINT64_FORMAT
                        " and speaker %" G_GINT64_FORMAT " below %" G_GINT64_FORMAT,
                        b, in->frame_len[b], in->T, in->spk[b], hp->n_speakers);
            return FALSE;
        }
    }
    if (ON(p->ds_cfg_strength) && !in->bad_cvec) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "sample: ds-cfg-strength %g needs bad_cvec", p->ds_cfg_strength);
        return FALSE;
    }
    return TRUE;
}

gboolean rift_rf_sample(rift_dit *dit, const rift_rf_params *p, const rift_rf_input *in,
                        float *out, float *trajectory, GError **err)
{
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    if (!rift_rf_params_check(p, hp, err) || !check_input(hp, p, in, err))
        return FALSE;
    sampler s;
    sampler_setup(&s, dit, p, in);
    const int64_t B = s.B, n = s.n, M = hp->n_mels;
    const size_t state_bytes = B * n * sizeof(float);
    float *grid = g_new(float, p->steps);
    rift_rf_time_grid(grid, p->steps);
    if (trajectory)
        rift_backend_download(s.be, trajectory, s.y, state_bytes);

    for (int k = 0; k + 1 < p->steps; k++) {
        guided_velocity(&s, p, k);
        const float dt = grid[k + 1] - grid[k];
        rift_op_axpy(s.be, s.y, n, s.preds, s.nc * n, B, n, dt);
        if (trajectory)
            rift_backend_download(s.be, trajectory + (k + 1) * B * n, s.y, state_bytes);
    }
    rift_backend_download(s.be, out, s.y, state_bytes);
    gboolean ok = rift_backend_sync(s.be, err);
    sampler_free(&s);
    g_free(grid);
    if (!ok)
        return FALSE;

    /* denormalise to log-mel; padded frames come from the source mel */
    for (int64_t b = 0; b < B; b++) {
        for (int64_t t = 0; t < in->T; t++) {
            float *o = out + (b * in->T + t) * M;
            const float *src = in->src_mel + (b * in->T + t) * M;
            for (int64_t m = 0; m < M; m++)
                o[m] = t < in->frame_len[b] ? (o[m] + 1.0f) / 2.0f * (MEL_MAX - MEL_MIN) + MEL_MIN
                                            : src[m];
        }
    }
    return TRUE;
}
