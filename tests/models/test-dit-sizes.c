/* test-dit-sizes.c — the DiT and its sampler at sizes other than the
 * fixture's (tests/fixtures/dit is one tiny model: dim 64, depth 4, head_dim
 * 16, ...), so that nothing in the loader, the forward or the sampler quietly
 * depends on those sizes.
 *
 * For one configuration (argv[1]) the test
 *   1. writes a RIFT-SVC Lightning checkpoint with seeded random weights the
 *      way training saves it (torch.save zip, 'state_dict' OrderedDict of
 *      'model.transformer.*' float32 tensors on 'cuda:0', and
 *      'hyper_parameters'/'cfg'/{'model', 'spk2idx'});
 *   2. loads it and checks the sizes and speakers the engine reports;
 *   3. compares rift_dit_forward with a naive double-precision forward
 *      written here from docs/dit.md (padded items, per-item time, a dropped
 *      speaker, skipped layers): max-abs 1e-4, rel-L2 1e-5;
 *   4. compares rift_rf_sample (guidance, rescale, padding) with a reference
 *      sampler loop on top of that forward: max-abs 5e-4, rel-L2 1e-5 on the
 *      mel, 1e-4 / 1e-5 on every Euler state;
 *   5. checks that damaged copies of the checkpoint (a wrong shape, an extra
 *      tensor, a missing one, spk2idx or cfg disagreeing with the tensors)
 *      are refused with a message that names the culprit.
 * The reference reads the weights from the arrays generated here, never
 * through the engine.
 *
 * Usage: test-dit-sizes CONFIG [cpu|cuda]   (CONFIG: see `configs` below)
 */
#include "dit.h"
#include "rf.h"
#include "synth.h"
#include "testutil.h"
#include "torchzip.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SD_PREFIX "model.transformer." /* the LightningModule's RF's DiT */
#define FREQ_DIM 256                   /* TimestepEmbedding's fixed sinusoid width */
#define LN_EPS 1e-6
#define STEPS 4
#define MAX_SKIP 3

typedef struct {
    const char *name;
    int64_t dim, depth, head_dim, ff_mult, kernel, cvec, speakers, n_mels;
    gboolean cfg_has_cvec; /* real checkpoints' cfg['model'] has no cvec_dim */
    int64_t forward_T[2];  /* frames of the forward cases (0 = unused) */
    int64_t sample_T;      /* frames of the sampler cases */
    int skip[MAX_SKIP];    /* blocks skipped by the skip cases */
    int n_skip;
} config;

static const config configs[] = {
    /* odd ff_mult, small kernel, 5 speakers */
    {"d48", 48, 3, 16, 3, 7, 40, 5, 128, TRUE, {37, 0}, 23, {1}, 1},
    /* wide heads, the default cvec_dim 768 left out of cfg, a single speaker,
     * a kernel wider than the sampled sequences */
    {"d96", 96, 2, 32, 4, 31, 768, 1, 128, FALSE, {41, 0}, 19, {0}, 1},
    /* narrow heads, deep, 80 mel channels */
    {"d32", 32, 5, 8, 2, 3, 16, 2, 80, TRUE, {29, 0}, 21, {1, 3}, 2},
    /* 1- and 2-frame sequences: padding is one frame, the conv sees mostly zeros */
    {"short", 24, 2, 12, 2, 5, 12, 3, 20, TRUE, {1, 2}, 2, {1}, 1},
    /* one head (RoPE on every channel), one block, kernel 1, ff_mult 1 */
    {"onehead", 32, 1, 32, 1, 1, 8, 1, 16, TRUE, {9, 0}, 7, {0}, 1},
};

/* ---- the synthetic model ------------------------------------------------- */

typedef struct {
    const config *cfg;
    int64_t D, H, HD, F, K, C, M, S, depth;
    synth_tensors *t; /* in state_dict order */
} model;

/* nn.Linear(in, out) as `base`.weight [out, in] ~ N(0, wstd²), .bias ~ N(0, 0.1²) */
static void add_linear(model *m, GRand *r, int64_t out, int64_t in, double wstd, const char *base,
                       int il)
{
    char *name = g_strdup_printf(base, il);
    synth_add(m->t, synth_normals(r, out * in, 0, wstd), 2, (int64_t[]){out, in}, "%s.weight",
              name);
    synth_add(m->t, synth_normals(r, out, 0, 0.1), 1, (int64_t[]){out}, "%s.bias", name);
    g_free(name);
}

/* Every parameter of DiT(num_speaker=S, **cfg) in state_dict order, with
 * fan-in aware random values so activations stay O(1) at every size (the
 * fixture's recipe): Linear N(0, 1/fan_in), adaLN projections
 * N(0, 0.25/fan_in) — non-zero, unlike upstream's zero init, so every gate
 * and modulation matters —, rms_embed std 3 so rms matters, depthwise conv
 * N(0, 1/k), biases N(0, 0.1²), cond_embed.ln.weight 1 + N(0, 0.2²),
 * speaker embeddings N(0, 0.5²); rotary_embed.inv_freq is the computed
 * buffer 1/10000^(2i/head_dim). */
static model *model_new(const config *cfg, guint32 seed)
{
    model *m = g_new0(model, 1);
    m->cfg = cfg;
    m->D = cfg->dim;
    m->HD = cfg->head_dim;
    m->H = cfg->dim / cfg->head_dim;
    m->F = cfg->ff_mult * cfg->dim;
    m->K = cfg->kernel;
    m->C = cfg->cvec;
    m->M = cfg->n_mels;
    m->S = cfg->speakers;
    m->depth = cfg->depth;
    m->t = synth_tensors_new();
    GRand *r = g_rand_new_with_seed(seed);
    const int64_t D = m->D;
    const double lin = 1.0 / sqrt((double)D);

    synth_add(m->t, synth_normals(r, m->S * D, 0, 0.5), 2, (int64_t[]){m->S, D},
              "spk_embed.weight");
    synth_add(m->t, synth_normals(r, D, 0, 0.5), 2, (int64_t[]){1, D}, "null_spk_embed.weight");
    add_linear(m, r, D, FREQ_DIM, 1.0 / sqrt(FREQ_DIM), "tembed.time_emb", 0);
    add_linear(m, r, D, D, lin, "tembed.proj", 0);
    add_linear(m, r, D, 1, 1.0, "cond_embed.f0_embed", 0);
    add_linear(m, r, D, 1, 3.0, "cond_embed.rms_embed", 0);
    add_linear(m, r, D, m->C, 1.0 / sqrt((double)m->C), "cond_embed.cvec_embed", 0);
    add_linear(m, r, D, D, lin, "cond_embed.out", 0);
    synth_add(m->t, synth_normals(r, D, 1.0, 0.2), 1, (int64_t[]){D}, "cond_embed.ln.weight");
    synth_add(m->t, synth_normals(r, D, 0, 0.1), 1, (int64_t[]){D}, "cond_embed.ln.bias");
    add_linear(m, r, D, m->M, 1.0 / sqrt((double)m->M), "input_embed.mel_embed", 0);
    add_linear(m, r, D, 2 * D, 1.0 / sqrt(2.0 * D), "input_embed.proj", 0);
    float *inv = g_new(float, m->HD / 2);
    for (int64_t i = 0; i < m->HD / 2; i++)
        inv[i] = (float)(1.0 / pow(10000.0, (double)(2 * i) / (double)m->HD));
    synth_add(m->t, inv, 1, (int64_t[]){m->HD / 2}, "rotary_embed.inv_freq");
    for (int il = 0; il < m->depth; il++) {
        add_linear(m, r, 6 * D, D, 0.5 * lin, "transformer_blocks.%d.attn_norm.proj", il);
        add_linear(m, r, D, D, lin, "transformer_blocks.%d.attn.q_proj", il);
        add_linear(m, r, D, D, lin, "transformer_blocks.%d.attn.k_proj", il);
        add_linear(m, r, D, D, lin, "transformer_blocks.%d.attn.v_proj", il);
        add_linear(m, r, D, D, lin, "transformer_blocks.%d.attn.attn_out", il);
        synth_add(m->t, synth_normals(r, D * m->K, 0, 1.0 / sqrt((double)m->K)), 3,
                  (int64_t[]){D, 1, m->K}, "transformer_blocks.%d.mlp.dwconv.weight", il);
        synth_add(m->t, synth_normals(r, D, 0, 0.1), 1, (int64_t[]){D},
                  "transformer_blocks.%d.mlp.dwconv.bias", il);
        add_linear(m, r, m->F, D, lin, "transformer_blocks.%d.mlp.mlp_proj", il);
        add_linear(m, r, D, m->F, 1.0 / sqrt((double)m->F), "transformer_blocks.%d.mlp.mlp_out",
                   il);
    }
    add_linear(m, r, 2 * D, D, 0.5 * lin, "norm_out.proj", 0);
    add_linear(m, r, m->M, D, lin, "output", 0);
    g_rand_free(r);
    return m;
}

static void model_free(model *m)
{
    synth_tensors_free(m->t);
    g_free(m);
}

/* Speaker i is named speaker_names[i] in spk2idx and has row S − 1 − i, so
 * the engine must follow the indices, not the order of the names. */
static const char *const speaker_names[] = {"alice", "bob", "carol", "dave", "erin", "frank"};

static int64_t speaker_row(const model *m, int i)
{
    return m->S - 1 - i;
}

/* ---- the checkpoint ------------------------------------------------------ */

/* What to spoil in a written checkpoint (all zero: a good one). */
typedef struct {
    const char *reshape; /* this tensor gets shape `shape` */
    int ndim;
    int64_t shape[3];
    const char *extra;   /* an extra tensor [4, dim] of this name */
    const char *omit;    /* leave this tensor out */
    int extra_speakers;  /* spk2idx names this many more speakers */
    const char *cfg_key; /* cfg['model'][cfg_key] is off by one */
} damage;

static void pk_key_int(GByteArray *b, const char *key, int64_t v)
{
    pk_str(b, key);
    pk_int(b, v);
}

/* state_dict: OrderedDict of the tensors (SETITEMS), then — as pickle saves an
 * OrderedDict with instance attributes — BUILD with {'_metadata': ...}. */
static void pk_state_dict(GByteArray *b, const model *m, const damage *dmg, GPtrArray *storages)
{
    pk_ordered_dict_begin(b);
    for (guint i = 0; i < m->t->list->len; i++) {
        const synth_tensor *p = m->t->list->pdata[i];
        if (dmg->omit && !strcmp(dmg->omit, p->name))
            continue;
        int ndim = p->ndim;
        const int64_t *shape = p->shape;
        const float *data = p->data;
        if (dmg->reshape && !strcmp(dmg->reshape, p->name)) {
            ndim = dmg->ndim;
            shape = dmg->shape;
            data = NULL; /* zeros of the new size */
        }
        char *name = g_strconcat(SD_PREFIX, p->name, NULL);
        pk_tensor_item(b, storages, name, "torch.FloatStorage", data, sizeof(float), ndim, shape);
        g_free(name);
    }
    if (dmg->extra) {
        char *name = g_strconcat(SD_PREFIX, dmg->extra, NULL);
        pk_tensor_item(b, storages, name, "torch.FloatStorage", NULL, sizeof(float), 2,
                       (int64_t[]){4, m->D});
        g_free(name);
    }
    pk_op(b, 'u');
    const char *const modules[] = {"", "model", "model.transformer", "model.transformer.tembed",
                                   "model.transformer.cond_embed"};
    pk_metadata_build(b, modules, NULL, G_N_ELEMENTS(modules));
}

/* cfg: the training yaml as a plain dict; model sizes in the yaml's key order */
static void pk_cfg(GByteArray *b, const model *m, const damage *dmg)
{
    const config *c = m->cfg;
    pk_op(b, '}');
    pk_op(b, '(');
    pk_key_int(b, "seed", 2024);
    pk_str(b, "dataset");
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "data_dir");
    pk_str(b, "data/finetune");
    pk_str(b, "meta_info_path");
    pk_str(b, "data/finetune/meta_info.json");
    pk_key_int(b, "max_frame_len", 256);
    pk_op(b, 'u');
    pk_str(b, "training");
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "learning_rate");
    pk_float(b, 5e-5);
    pk_key_int(b, "batch_size", 64);
    pk_key_int(b, "max_steps", 1000);
    pk_str(b, "weight_decay");
    pk_float(b, 0.01);
    pk_op(b, 'u');

    pk_str(b, "model");
    pk_op(b, '}');
    pk_op(b, '(');
    const struct {
        const char *key;
        int64_t v;
        gboolean on;
    } model_keys[] = {
        {"dim", c->dim, TRUE},           {"depth", c->depth, TRUE},
        {"n_mel_channels", c->n_mels, TRUE}, {"head_dim", c->head_dim, TRUE},
        {"ff_mult", c->ff_mult, TRUE},   {"kernel_size", c->kernel, TRUE},
        {"cvec_dim", c->cvec, c->cfg_has_cvec},
    };
    for (guint i = 0; i < G_N_ELEMENTS(model_keys); i++) {
        const gboolean off = dmg->cfg_key && !strcmp(dmg->cfg_key, model_keys[i].key);
        if (model_keys[i].on)
            pk_key_int(b, model_keys[i].key, model_keys[i].v + off);
    }
    pk_op(b, 'u');

    pk_str(b, "spk2idx");
    pk_op(b, '}');
    pk_op(b, '(');
    for (int i = 0; i < m->S + dmg->extra_speakers; i++)
        pk_key_int(b, speaker_names[i], i < m->S ? speaker_row(m, i) : i);
    pk_op(b, 'u');
    pk_op(b, 'u');
}

/* The top-level dict of a Lightning checkpoint, in the order Lightning writes it. */
static GByteArray *checkpoint_pickle(const model *m, const damage *dmg, GPtrArray *storages)
{
    GByteArray *b = pk_new();
    pk_op(b, '}');
    pk_op(b, '(');
    pk_key_int(b, "epoch", 15);
    pk_key_int(b, "global_step", 1000);
    pk_str(b, "pytorch-lightning_version");
    pk_str(b, "2.5.5");
    pk_str(b, "state_dict");
    pk_state_dict(b, m, dmg, storages);
    pk_str(b, "loops"); /* Lightning's loop progress: nested plain dicts of ints/bools */
    pk_op(b, '}');
    pk_str(b, "fit_loop");
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "state_dict");
    pk_op(b, '}');
    pk_str(b, "epoch_loop.batch_progress");
    pk_op(b, '}');
    pk_op(b, '(');
    pk_key_int(b, "ready", 1000);
    pk_str(b, "is_last_batch");
    pk_op(b, 0x89); /* NEWFALSE */
    pk_op(b, 'u');
    pk_op(b, 'u');
    pk_op(b, 's');
    pk_str(b, "hparams_name");
    pk_str(b, "kwargs");
    pk_str(b, "hyper_parameters"); /* a plain dict, as Lightning >= 1.1 saves it */
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "cfg");
    pk_cfg(b, m, dmg);
    pk_str(b, "lr_scheduler");
    pk_op(b, 'N');
    pk_op(b, 'u');
    pk_op(b, 'u');
    pk_stop(b);
    return b;
}

/* torch.save into archive/{data.pkl, data/<n>, version}, as Lightning's
 * _atomic_save names the records. */
static char *write_checkpoint(const model *m, const char *dir, const char *file, const damage *dmg)
{
    GPtrArray *storages = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    GByteArray *pkl = checkpoint_pickle(m, dmg, storages);
    char *path = g_build_filename(dir, file, NULL);
    tz_write_torch(path, "archive", pkl, storages);
    g_byte_array_unref(pkl);
    g_ptr_array_unref(storages);
    return path;
}

/* ---- the reference forward (double precision, from docs/dit.md) ---------- */

/* One sequence of the batch: the DiT treats batch items independently (the
 * sampler's rescale is what couples them). */
typedef struct {
    int64_t T, len;
    const double *x;              /* [T, n_mels] */
    const float *f0, *rms, *cvec; /* [T], [T], [T, cvec_dim] */
    float time;
    int64_t spk;
    gboolean drop_speaker;
    const gboolean *skip; /* [depth] or NULL */
} ref_seq;

static double silu(double v)
{
    return v / (1.0 + exp(-v));
}

/* nn.Linear `base` on R rows: y[r] = W·x[r] + b, W [out, in] */
static void ref_linear(const model *m, double *y, const double *x, int64_t R, int64_t in,
                       int64_t out, const char *base, int il)
{
    char *name = g_strdup_printf(base, il);
    const float *W = synth_weight(m->t, out * in, "%s.weight", name);
    const float *bias = synth_weight(m->t, out, "%s.bias", name);
    g_free(name);
    for (int64_t r = 0; r < R; r++) {
        for (int64_t o = 0; o < out; o++) {
            double s = bias[o];
            for (int64_t i = 0; i < in; i++)
                s += (double)W[o * in + i] * x[r * in + i];
            y[r * out + o] = s;
        }
    }
}

/* LayerNorm over n values in place: (x − mean)/sqrt(var + 1e-6), biased
 * variance, then ·w + b when affine (w, b non-NULL). */
static void ref_layernorm(double *x, int64_t n, const float *w, const float *b)
{
    double mean = 0, var = 0;
    for (int64_t i = 0; i < n; i++)
        mean += x[i];
    mean /= (double)n;
    for (int64_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    var /= (double)n;
    const double inv = 1.0 / sqrt(var + LN_EPS);
    for (int64_t i = 0; i < n; i++) {
        x[i] = (x[i] - mean) * inv;
        if (w)
            x[i] = x[i] * w[i] + b[i];
    }
}

/* TimestepEmbedding: freqs[k] = exp(−k·ln(10000)/127), k < 128, and
 * arg = (1000·t)·freqs[k], both in float32 as upstream hard-codes them;
 * emb = [sin(arg), cos(arg)] → time_emb → SiLU → proj. */
static void ref_tembed(const model *m, float t, double *out)
{
    const int half = FREQ_DIM / 2;
    const float step = (float)(log(10000.0) / (double)(half - 1));
    double emb[FREQ_DIM];
    for (int k = 0; k < half; k++) {
        const float freq = (float)exp((double)((float)k * -step));
        const float arg = (1000.0f * t) * freq;
        emb[k] = sin((double)arg);
        emb[half + k] = cos((double)arg);
    }
    double *h = g_new(double, m->D);
    ref_linear(m, h, emb, 1, FREQ_DIM, m->D, "tembed.time_emb", 0);
    for (int64_t i = 0; i < m->D; i++)
        h[i] = silu(h[i]);
    ref_linear(m, out, h, 1, m->D, m->D, "tembed.proj", 0);
    g_free(h);
}

/* c = tembed(t) + spk_embed[spk] (null_spk_embed[0] when the speaker is
 * dropped); returns SiLU(c), which is all the adaLN layers use. */
static void ref_conditioning(const model *m, const ref_seq *s, double *sc)
{
    const int64_t D = m->D;
    const float *spk = s->drop_speaker
                           ? synth_weight(m->t, D, "null_spk_embed.weight")
                           : synth_weight(m->t, m->S * D, "spk_embed.weight") + s->spk * D;
    ref_tembed(m, s->time, sc);
    for (int64_t i = 0; i < D; i++)
        sc[i] = silu(sc[i] + spk[i]);
}

/* CondEmbedding of one frame:
 * cond = LN_affine(out(f0_embed(f0/1200) + rms_embed(rms) + LN(cvec_embed(cvec)))) */
static void ref_cond_embed(const model *m, float f0, float rms, const float *cvec, double *cond)
{
    const int64_t D = m->D, C = m->C;
    double *cv_in = g_new(double, C), *cv = g_new(double, D), *sum = g_new(double, D);
    double f0n = f0 / 1200.0, rmsd = rms;
    for (int64_t i = 0; i < C; i++)
        cv_in[i] = cvec[i];
    ref_linear(m, cv, cv_in, 1, C, D, "cond_embed.cvec_embed", 0);
    ref_layernorm(cv, D, NULL, NULL);
    ref_linear(m, sum, &f0n, 1, 1, D, "cond_embed.f0_embed", 0);
    double *r = g_new(double, D);
    ref_linear(m, r, &rmsd, 1, 1, D, "cond_embed.rms_embed", 0);
    for (int64_t i = 0; i < D; i++)
        sum[i] += r[i] + cv[i];
    ref_linear(m, cond, sum, 1, D, D, "cond_embed.out", 0);
    ref_layernorm(cond, D, synth_weight(m->t, D, "cond_embed.ln.weight"),
                  synth_weight(m->t, D, "cond_embed.ln.bias"));
    g_free(cv_in);
    g_free(cv);
    g_free(sum);
    g_free(r);
}

/* InputEmbedding of one frame: x = LN(proj(concat(mel_embed(mel), cond))) */
static void ref_input_embed(const model *m, const double *mel, const double *cond, double *x)
{
    const int64_t D = m->D;
    double *cat = g_new(double, 2 * D);
    ref_linear(m, cat, mel, 1, m->M, D, "input_embed.mel_embed", 0);
    memcpy(cat + D, cond, D * sizeof(double));
    ref_linear(m, x, cat, 1, 2 * D, D, "input_embed.proj", 0);
    ref_layernorm(x, D, NULL, NULL);
    g_free(cat);
}

/* h = LN(x)·(1 + scale) + shift for each of the T rows */
static void ref_modulate(double *h, const double *x, int64_t T, int64_t D, const double *shift,
                         const double *scale)
{
    for (int64_t t = 0; t < T; t++) {
        double *row = h + t * D;
        memcpy(row, x + t * D, D * sizeof(double));
        ref_layernorm(row, D, NULL, NULL);
        for (int64_t i = 0; i < D; i++)
            row[i] = row[i] * (1.0 + scale[i]) + shift[i];
    }
}

/* x-transformers RoPE with rot_dim = head_dim on a full-width row: only
 * channels [0, head_dim) turn, as interleaved pairs (2i, 2i+1) by the angle
 * pos·inv_freq[i]:  out[2i] = x[2i]·cos − x[2i+1]·sin,
 *                   out[2i+1] = x[2i+1]·cos + x[2i]·sin. */
static void ref_rope(const model *m, double *row, int64_t pos)
{
    const float *inv_freq = synth_weight(m->t, m->HD / 2, "rotary_embed.inv_freq");
    for (int64_t i = 0; i < m->HD / 2; i++) {
        const double th = (double)pos * inv_freq[i], c = cos(th), s = sin(th);
        const double a = row[2 * i], b = row[2 * i + 1];
        row[2 * i] = a * c - b * s;
        row[2 * i + 1] = b * c + a * s;
    }
}

/* Attention(h) of block il:
 *   q, k, v = q_proj(h), k_proj(h), v_proj(h)                 [T, D]
 *   q, k: RoPE (head 0 only), then LayerNorm per head (no affine)
 *   o_head = softmax(q_head·k_headᵀ / D, keys ≥ len → −inf) · v_head
 *   out = attn_out(o) with the rows of padded frames (≥ len) set to 0 */
static void ref_attention(const model *m, int il, const double *h, int64_t T, int64_t len,
                          double *out)
{
    const int64_t D = m->D, HD = m->HD;
    double *q = g_new(double, T * D), *k = g_new(double, T * D), *v = g_new(double, T * D);
    double *o = g_new(double, T * D), *p = g_new(double, T);
    ref_linear(m, q, h, T, D, D, "transformer_blocks.%d.attn.q_proj", il);
    ref_linear(m, k, h, T, D, D, "transformer_blocks.%d.attn.k_proj", il);
    ref_linear(m, v, h, T, D, D, "transformer_blocks.%d.attn.v_proj", il);
    for (int64_t t = 0; t < T; t++) {
        ref_rope(m, q + t * D, t);
        ref_rope(m, k + t * D, t);
        for (int64_t hd = 0; hd < m->H; hd++) {
            ref_layernorm(q + t * D + hd * HD, HD, NULL, NULL);
            ref_layernorm(k + t * D + hd * HD, HD, NULL, NULL);
        }
    }
    for (int64_t hd = 0; hd < m->H; hd++) {
        for (int64_t i = 0; i < T; i++) { /* every query row, padded ones too */
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < len; j++) {
                double s = 0;
                for (int64_t d = 0; d < HD; d++)
                    s += q[i * D + hd * HD + d] * k[j * D + hd * HD + d];
                p[j] = s / (double)D;
                mx = fmax(mx, p[j]);
            }
            for (int64_t j = 0; j < len; j++)
                sum += p[j] = exp(p[j] - mx);
            for (int64_t d = 0; d < HD; d++) {
                double acc = 0;
                for (int64_t j = 0; j < len; j++)
                    acc += p[j] * v[j * D + hd * HD + d];
                o[i * D + hd * HD + d] = acc / sum;
            }
        }
    }
    ref_linear(m, out, o, T, D, D, "transformer_blocks.%d.attn.attn_out", il);
    for (int64_t t = len; t < T; t++)
        memset(out + t * D, 0, D * sizeof(double));
    g_free(q);
    g_free(k);
    g_free(v);
    g_free(o);
    g_free(p);
}

/* ConvMLP(h) of block il: mlp_out(ReLU(mlp_proj(LN(dwconv(h))))²), where the
 * depthwise conv runs along time over the whole padded sequence with zero
 * padding k//2 at its ends:
 *   conv[t][c] = b[c] + Σ_j w[c][0][j]·h[t + j − k//2][c] */
static void ref_conv_mlp(const model *m, int il, const double *h, int64_t T, double *out)
{
    const int64_t D = m->D, K = m->K, F = m->F;
    const float *w = synth_weight(m->t, D * K, "transformer_blocks.%d.mlp.dwconv.weight", il);
    const float *b = synth_weight(m->t, D, "transformer_blocks.%d.mlp.dwconv.bias", il);
    double *conv = g_new(double, T * D), *f = g_new(double, T * F);
    for (int64_t t = 0; t < T; t++) {
        for (int64_t c = 0; c < D; c++) {
            double s = b[c];
            for (int64_t j = 0; j < K; j++) {
                const int64_t src = t + j - K / 2;
                if (src >= 0 && src < T)
                    s += (double)w[c * K + j] * h[src * D + c];
            }
            conv[t * D + c] = s;
        }
        ref_layernorm(conv + t * D, D, NULL, NULL);
    }
    ref_linear(m, f, conv, T, D, F, "transformer_blocks.%d.mlp.mlp_proj", il);
    for (int64_t i = 0; i < T * F; i++)
        f[i] = f[i] > 0 ? f[i] * f[i] : 0.0;
    ref_linear(m, out, f, T, F, D, "transformer_blocks.%d.mlp.mlp_out", il);
    g_free(conv);
    g_free(f);
}

/* DiTBlock il, in place on x [T, D]:
 *   (shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp) = attn_norm.proj(SiLU(c))
 *   x += gate_msa · Attention(LN(x)·(1 + scale_msa) + shift_msa)
 *   x += gate_mlp · ConvMLP(LN(x)·(1 + scale_mlp) + shift_mlp) */
static void ref_block(const model *m, int il, const double *sc, double *x, int64_t T, int64_t len)
{
    const int64_t D = m->D;
    double *e = g_new(double, 6 * D), *h = g_new(double, T * D), *a = g_new(double, T * D);
    ref_linear(m, e, sc, 1, D, 6 * D, "transformer_blocks.%d.attn_norm.proj", il);
    const double *shift_msa = e, *scale_msa = e + D, *gate_msa = e + 2 * D;
    const double *shift_mlp = e + 3 * D, *scale_mlp = e + 4 * D, *gate_mlp = e + 5 * D;

    ref_modulate(h, x, T, D, shift_msa, scale_msa);
    ref_attention(m, il, h, T, len, a);
    for (int64_t i = 0; i < T * D; i++)
        x[i] += gate_msa[i % D] * a[i];
    ref_modulate(h, x, T, D, shift_mlp, scale_mlp);
    ref_conv_mlp(m, il, h, T, a);
    for (int64_t i = 0; i < T * D; i++)
        x[i] += gate_mlp[i % D] * a[i];
    g_free(e);
    g_free(h);
    g_free(a);
}

/* Final layer: (scale, shift) = norm_out.proj(SiLU(c)) — the reverse of the
 * blocks' order —, out = output(LN(x)·(1 + scale) + shift). */
static void ref_final(const model *m, const double *sc, const double *x, int64_t T, double *out)
{
    const int64_t D = m->D;
    double *e = g_new(double, 2 * D), *h = g_new(double, T * D);
    ref_linear(m, e, sc, 1, D, 2 * D, "norm_out.proj", 0);
    ref_modulate(h, x, T, D, e + D, e);
    ref_linear(m, out, h, T, D, m->M, "output", 0);
    g_free(e);
    g_free(h);
}

/* DiT.forward for one sequence: out [T, n_mels] for every frame, padded
 * ones included (nothing but the attention keys and output rows is masked). */
static void ref_forward(const model *m, const ref_seq *s, double *out)
{
    const int64_t D = m->D, T = s->T;
    double *sc = g_new(double, D), *cond = g_new(double, D), *x = g_new(double, T * D);
    ref_conditioning(m, s, sc);
    for (int64_t t = 0; t < T; t++) {
        ref_cond_embed(m, s->f0[t], s->rms[t], s->cvec + t * m->C, cond);
        ref_input_embed(m, s->x + t * m->M, cond, x + t * D);
    }
    for (int il = 0; il < m->depth; il++) {
        if (!s->skip || !s->skip[il])
            ref_block(m, il, sc, x, T, s->len);
    }
    ref_final(m, sc, x, T, out);
    g_free(sc);
    g_free(cond);
    g_free(x);
}

/* ---- the reference sampler (docs/dit.md "The sampler") ------------------- */

/* torch.linspace(0, 1, steps) in float32: start + step·i for the first half,
 * end − step·(steps − 1 − i) for the second, step = 1/(steps − 1) */
static void torch_linspace01(float *t, int steps)
{
    const float step = 1.0f / (float)(steps - 1);
    for (int i = 0; i < steps; i++)
        t[i] = i < steps / 2 ? (float)i * step : 1.0f - step * (float)(steps - 1 - i);
}

/* Tensor.std(): over every value, Bessel-corrected (it cancels in the ratio) */
static double ref_std(double *const *rows, int64_t nrows, int64_t n)
{
    double mean = 0, ss = 0;
    for (int64_t r = 0; r < nrows; r++)
        for (int64_t i = 0; i < n; i++)
            mean += rows[r][i];
    mean /= (double)(nrows * n);
    for (int64_t r = 0; r < nrows; r++)
        for (int64_t i = 0; i < n; i++)
            ss += (rows[r][i] - mean) * (rows[r][i] - mean);
    return sqrt(ss / (double)(nrows * n - 1));
}

/* RF.sample with infer.py's guidance. Per step, for each item, conditions
 * c < nc = 1 + ds + spk: cvec [cvec, bad_cvec, cvec] (ds+spk), [cvec,
 * bad_cvec] (ds), [cvec, cvec] (spk), the speaker dropped in the last one
 * when spk guidance is on; then
 *   pred = p_cond; pred += (pred − p_bad)·ds; pred += (pred − p_nospk)·spk;
 *   pred += (pred − p_skip)·skip   (p_skip: cfg_skip_layers skipped, speaker kept)
 *   pred = r·pred·std(p_cond)/std(pred) + (1 − r)·pred  (stds over all items and frames)
 *   y += (t[k+1] − t[k])·pred
 * from y = where(mask, y0, 0); out = (y + 1)/2·14 − 12, padded frames = src_mel.
 * traj [steps, B, T, n_mels] gets every state. */
static void ref_sample(const model *m, const rift_rf_params *p, const rift_rf_input *in,
                       double *out, double *traj)
{
    const int64_t B = in->B, T = in->T, M = m->M, n = T * M;
    const gboolean ds = p->ds_cfg_strength > 1e-5f, spk = p->spk_cfg_strength > 1e-5f;
    const gboolean skip = p->skip_cfg_strength > 1e-5f;
    const gboolean rescale = p->cfg_rescale > 1e-5f && (ds || spk || skip);
    const int64_t nc = 1 + ds + spk;
    float *grid = g_new(float, p->steps);
    torch_linspace01(grid, p->steps);
    gboolean *skip_mask = g_new0(gboolean, m->depth);
    for (int i = 0; i < p->n_cfg_skip; i++)
        skip_mask[p->cfg_skip_layers[i]] = TRUE;

    double *y = g_new(double, B * n), *preds = g_new(double, B * nc * n);
    double *pskip = g_new(double, B * n);
    double **rows = g_new(double *, B); /* slot 0 of each item: p_cond, guided in place */
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < n; i++)
            y[b * n + i] = i / M < in->frame_len[b] ? in->y0[b * n + i] : 0.0;
    memcpy(traj, y, B * n * sizeof(double));

    for (int k = 0; k + 1 < p->steps; k++) {
        for (int64_t b = 0; b < B; b++) {
            for (int64_t c = 0; c < nc; c++) {
                const ref_seq s = {
                    .T = T,
                    .len = in->frame_len[b],
                    .x = y + b * n,
                    .f0 = in->f0 + b * T,
                    .rms = in->rms + b * T,
                    .cvec = (ds && c == 1 ? in->bad_cvec : in->cvec) + b * T * m->C,
                    .time = grid[k],
                    .spk = in->spk[b],
                    .drop_speaker = spk && c == nc - 1,
                };
                ref_forward(m, &s, preds + (b * nc + c) * n);
            }
            if (skip) {
                const ref_seq s = {.T = T, .len = in->frame_len[b], .x = y + b * n,
                                   .f0 = in->f0 + b * T, .rms = in->rms + b * T,
                                   .cvec = in->cvec + b * T * m->C, .time = grid[k],
                                   .spk = in->spk[b], .skip = skip_mask};
                ref_forward(m, &s, pskip + b * n);
            }
            rows[b] = preds + b * nc * n;
        }
        const double std_pred = rescale ? ref_std(rows, B, n) : 1.0;
        for (int64_t b = 0; b < B; b++) {
            double *pred = preds + b * nc * n; /* p_cond, guided in place */
            for (int64_t i = 0; i < n; i++) {
                if (ds)
                    pred[i] += (pred[i] - pred[n + i]) * (double)p->ds_cfg_strength;
                if (spk)
                    pred[i] += (pred[i] - pred[(nc - 1) * n + i]) * (double)p->spk_cfg_strength;
                if (skip)
                    pred[i] += (pred[i] - pskip[b * n + i]) * (double)p->skip_cfg_strength;
            }
        }
        if (rescale) {
            const double ratio = std_pred / ref_std(rows, B, n), r = p->cfg_rescale;
            for (int64_t b = 0; b < B; b++)
                for (int64_t i = 0; i < n; i++)
                    rows[b][i] = r * rows[b][i] * ratio + (1.0 - r) * rows[b][i];
        }
        const float dt = grid[k + 1] - grid[k]; /* in float32, as torchdiffeq */
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < n; i++)
                y[b * n + i] += (double)dt * rows[b][i];
        memcpy(traj + (k + 1) * B * n, y, B * n * sizeof(double));
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t i = 0; i < n; i++)
            out[b * n + i] = i / M < in->frame_len[b] ? (y[b * n + i] + 1.0) / 2.0 * 14.0 - 12.0
                                                      : in->src_mel[b * n + i];
    g_free(skip_mask);
    g_free(y);
    g_free(preds);
    g_free(pskip);
    g_free(rows);
    g_free(grid);
}

/* ---- inputs --------------------------------------------------------------- */

/* B items of T frames, every frame filled — the padded ones too, with
 * non-zero values, since they reach valid outputs through the conv. */
typedef struct {
    int64_t B, T;
    float *x, *f0, *rms, *cvec, *bad_cvec, *src_mel, *y0;
    int64_t spk[2];
    int32_t len[2];
} inputs;

static inputs make_inputs(const model *m, GRand *r, int64_t T)
{
    inputs in = {.B = 2, .T = T};
    const int64_t R = in.B * T;
    in.x = synth_normals(r, R * m->M, 0, 1);
    in.y0 = synth_normals(r, R * m->M, 0, 1);
    in.cvec = synth_normals(r, R * m->C, 0, 1);
    in.bad_cvec = synth_normals(r, R * m->C, 0, 1);
    in.f0 = g_new(float, R);
    in.rms = g_new(float, R);
    in.src_mel = g_new(float, R * m->M);
    for (int64_t i = 0; i < R; i++) {
        /* f0 in Hz, a third of the frames unvoiced (0) */
        in.f0[i] = g_rand_double(r) < 0.33 ? 0.0f : (float)g_rand_double_range(r, 80, 800);
        in.rms[i] = (float)g_rand_double_range(r, 0, 0.4);
    }
    for (int64_t i = 0; i < R * m->M; i++)
        in.src_mel[i] = (float)g_rand_double_range(r, -12, 2);
    in.spk[0] = m->S - 1;
    in.spk[1] = 0;
    in.len[0] = (int32_t)T;
    in.len[1] = (int32_t)MAX(1, 2 * T / 3); /* T = 1: no padding; T = 2: one frame */
    return in;
}

static void free_inputs(inputs *in)
{
    float *bufs[] = {in->x, in->f0, in->rms, in->cvec, in->bad_cvec, in->src_mel, in->y0};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
}

/* ---- the checks ----------------------------------------------------------- */

static void check_hparams(const model *m, rift_dit *dit)
{
    const config *c = m->cfg;
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    rift_test_true(hp->dim == c->dim && hp->depth == c->depth && hp->head_dim == c->head_dim &&
                       hp->n_heads == c->dim / c->head_dim && hp->ff_inner == c->ff_mult * c->dim &&
                       hp->kernel_size == c->kernel && hp->n_mels == c->n_mels &&
                       hp->cvec_dim == c->cvec && hp->n_speakers == c->speakers &&
                       hp->freq_dim == FREQ_DIM && hp->rot_dim == c->head_dim,
                   "hparams: dim %d depth %d heads %d x %d ff %d kernel %d mels %d cvec %d "
                   "speakers %d freq %d rot %d",
                   (int)hp->dim, (int)hp->depth, (int)hp->n_heads, (int)hp->head_dim,
                   (int)hp->ff_inner, (int)hp->kernel_size, (int)hp->n_mels, (int)hp->cvec_dim,
                   (int)hp->n_speakers, (int)hp->freq_dim, (int)hp->rot_dim);
    gboolean ok = TRUE;
    for (int i = 0; i < m->S; i++) {
        const int64_t row = speaker_row(m, i);
        ok = ok && rift_dit_speaker_index(dit, speaker_names[i]) == row &&
             g_strcmp0(rift_dit_speaker_name(dit, (int)row), speaker_names[i]) == 0;
    }
    ok = ok && rift_dit_speaker_index(dit, speaker_names[m->S]) == -1 &&
         rift_dit_speaker_name(dit, (int)m->S) == NULL;
    char *list = rift_dit_speaker_list(dit);
    rift_test_true(ok, "speakers by spk2idx index: %s", list);
    g_free(list);
}

/* rift_dit_forward of B = 2 items (the second padded, speaker dropped)
 * against the reference, optionally with blocks skipped. */
static void check_forward(const model *m, rift_dit *dit, GRand *r, int64_t T, const int *skip,
                          int n_skip, const float *time, const gboolean *drop)
{
    inputs in = make_inputs(m, r, T);
    const int64_t n = T * m->M;
    rift_dit_input di = {.B = in.B, .T = T, .x = in.x, .f0 = in.f0, .rms = in.rms,
                         .cvec = in.cvec, .time = time, .spk = in.spk, .drop_speaker = drop,
                         .frame_len = in.len, .skip_layers = skip, .n_skip = n_skip};
    float *got = g_new(float, in.B * n);
    double *want = g_new(double, in.B * n), *x = g_new(double, in.B * n);
    gboolean *skip_mask = g_new0(gboolean, m->depth);
    for (int i = 0; i < n_skip; i++)
        skip_mask[skip[i]] = TRUE;
    for (int64_t i = 0; i < in.B * n; i++)
        x[i] = in.x[i];
    for (int64_t b = 0; b < in.B; b++) {
        const ref_seq s = {.T = T, .len = in.len[b], .x = x + b * n, .f0 = in.f0 + b * T,
                           .rms = in.rms + b * T, .cvec = in.cvec + b * T * m->C,
                           .time = time[b], .spk = in.spk[b], .drop_speaker = drop[b],
                           .skip = skip_mask};
        ref_forward(m, &s, want + b * n);
    }
    GError *err = NULL;
    GString *label = g_string_new(NULL);
    g_string_printf(label, "forward T %" G_GINT64_FORMAT " len %d,%d time %g,%g drop %d,%d skip [",
                    T, in.len[0], in.len[1], time[0], time[1], drop[0], drop[1]);
    for (int i = 0; i < n_skip; i++)
        g_string_append_printf(label, "%s%d", i ? "," : "", skip[i]);
    g_string_append(label, "]");
    if (rift_test_true(rift_dit_forward(dit, &di, got, &err), "%s: runs%s%s", label->str,
                       err ? ": " : "", err ? err->message : "")) {
        float *wf = synth_to_float(want, in.B * n);
        rift_test_check(label->str, got, wf, in.B * n, 1e-4, 1e-5);
        g_free(wf);
    }
    g_clear_error(&err);
    g_string_free(label, TRUE);
    g_free(got);
    g_free(want);
    g_free(x);
    g_free(skip_mask);
    free_inputs(&in);
}

static void check_sample(const model *m, rift_dit *dit, GRand *r, const char *what,
                         const rift_rf_params *p)
{
    inputs in = make_inputs(m, r, m->cfg->sample_T);
    const int64_t B = in.B, T = in.T, M = m->M, n = T * M;
    rift_rf_input ri = {.B = B, .T = T, .src_mel = in.src_mel, .spk = in.spk, .f0 = in.f0,
                        .rms = in.rms, .cvec = in.cvec, .bad_cvec = in.bad_cvec,
                        .frame_len = in.len, .y0 = in.y0};
    float *got = g_new(float, B * n), *traj = g_new(float, p->steps * B * n);
    double *want = g_new(double, B * n), *want_traj = g_new(double, p->steps * B * n);
    GError *err = NULL;
    char *label = g_strdup_printf("sample %s (T %" G_GINT64_FORMAT ", len %d,%d, steps %d)", what,
                                  T, in.len[0], in.len[1], p->steps);
    if (rift_test_true(rift_rf_sample(dit, p, &ri, got, traj, &err), "%s: runs%s%s", label,
                       err ? ": " : "", err ? err->message : "")) {
        int64_t nonfinite = 0;
        gboolean pad_ok = TRUE;
        for (int64_t i = 0; i < B * n; i++)
            nonfinite += !isfinite(got[i]);
        for (int64_t b = 0; b < B; b++)
            for (int64_t t = in.len[b]; t < T; t++)
                pad_ok = pad_ok && !memcmp(got + b * n + t * M, in.src_mel + b * n + t * M,
                                           M * sizeof(float));
        rift_test_true(nonfinite == 0, "%s: %" G_GINT64_FORMAT " non-finite values", label,
                       nonfinite);
        rift_test_true(pad_ok, "%s: padded frames are src_mel verbatim", label);

        ref_sample(m, p, &ri, want, want_traj);
        float *wf = synth_to_float(want, B * n), *wt = synth_to_float(want_traj, p->steps * B * n);
        char *l2 = g_strdup_printf("%s: mel", label);
        rift_test_check(l2, got, wf, B * n, 5e-4, 1e-5);
        g_free(l2);
        for (int k = 1; k < p->steps; k++) {
            l2 = g_strdup_printf("%s: state %d", label, k);
            rift_test_check(l2, traj + k * B * n, wt + k * B * n, B * n, 1e-4, 1e-5);
            g_free(l2);
        }
        g_free(wf);
        g_free(wt);
    }
    g_clear_error(&err);
    g_free(label);
    g_free(got);
    g_free(traj);
    g_free(want);
    g_free(want_traj);
    free_inputs(&in);
}

static void check_samples(const model *m, rift_dit *dit, GRand *r)
{
    float grid[STEPS], torch_grid[STEPS];
    rift_rf_time_grid(grid, STEPS);
    torch_linspace01(torch_grid, STEPS);
    rift_test_check("time grid vs torch.linspace", grid, torch_grid, STEPS, 0, 0);

    const config *c = m->cfg;
    rift_rf_params p = {.steps = STEPS, .ds_cfg_strength = 0.2f, .spk_cfg_strength = 0.8f,
                        .cfg_rescale = 0.7f};
    check_sample(m, dit, r, "ds 0.2 + spk 0.8, rescale 0.7", &p);

    p = (rift_rf_params){.steps = STEPS, .spk_cfg_strength = 0.8f, .skip_cfg_strength = 0.3f,
                         .n_cfg_skip = c->n_skip, .cfg_rescale = 0.5f};
    memcpy(p.cfg_skip_layers, c->skip, sizeof c->skip);
    check_sample(m, dit, r, "spk 0.8 + skip 0.3, rescale 0.5", &p);

    /* the un-batched branch: std(p_cond) of the single plain prediction */
    p = (rift_rf_params){.steps = STEPS, .skip_cfg_strength = 0.4f, .n_cfg_skip = c->n_skip,
                         .cfg_rescale = 0.7f};
    memcpy(p.cfg_skip_layers, c->skip, sizeof c->skip);
    check_sample(m, dit, r, "skip 0.4 only, rescale 0.7", &p);

    p = (rift_rf_params){.steps = STEPS, .ds_cfg_strength = 0.5f, .spk_cfg_strength = 0.8f,
                         .skip_cfg_strength = 0.1f, .n_cfg_skip = c->n_skip, .cfg_rescale = 0.7f};
    memcpy(p.cfg_skip_layers, c->skip, sizeof c->skip);
    check_sample(m, dit, r, "ds 0.5 + spk 0.8 + skip 0.1, rescale 0.7", &p);

    /* no guidance: no rescale either */
    p = (rift_rf_params){.steps = STEPS, .cfg_rescale = 0.7f};
    check_sample(m, dit, r, "plain", &p);
}

/* A damaged copy must be refused, with a message containing every `needle`. */
static void check_refused(const model *m, const char *dir, rift_backend *be, const char *what,
                          const damage *dmg, const char *needle1, const char *needle2)
{
    char *file = g_strdup_printf("bad-%s.ckpt", what);
    char *path = write_checkpoint(m, dir, file, dmg);
    GError *err = NULL;
    rift_dit *dit = rift_dit_load_file(path, be, &err);
    const char *msg = err ? err->message : "(no error)";
    rift_test_true(dit == NULL && err && strstr(msg, needle1) && (!needle2 || strstr(msg, needle2)),
                   "refuses %s: \"%s\"", what, msg);
    rift_dit_free(dit);
    g_clear_error(&err);
    g_free(file);
    g_free(path);
}

static void check_bad_checkpoints(const model *m, const char *dir, rift_backend *be)
{
    const int64_t D = m->D, last = m->depth - 1;
    char *name = NULL;

    /* output.weight gives n_mels, so the cfg cross-check is what notices */
    damage d = {.reshape = "output.weight", .ndim = 2, .shape = {m->M + 1, D}};
    check_refused(m, dir, be, "output-shape", &d, "n_mel_channels", NULL);

    /* a tensor no size is derived from: the shape check itself */
    name = g_strdup_printf("transformer_blocks.%" G_GINT64_FORMAT ".attn.k_proj.weight", last);
    d = (damage){.reshape = name, .ndim = 2, .shape = {D, D + 1}};
    check_refused(m, dir, be, "k_proj-shape", &d, name, "shape");
    g_free(name);

    d = (damage){.reshape = "norm_out.proj.bias", .ndim = 1, .shape = {2 * D + 2}};
    check_refused(m, dir, be, "norm_out-shape", &d, "norm_out.proj.bias", "shape");

    d = (damage){.extra = "transformer_blocks.0.attn.q_proj.lora_A"};
    check_refused(m, dir, be, "extra-lora", &d, "transformer_blocks.0.attn.q_proj.lora_A",
                  "unexpected");

    /* a stray block without attention is not counted into depth: unused */
    name = g_strdup_printf("transformer_blocks.%" G_GINT64_FORMAT ".mlp.dwconv.bias", m->depth);
    d = (damage){.extra = name};
    check_refused(m, dir, be, "extra-block", &d, name, "unexpected");
    g_free(name);

    name = g_strdup_printf("transformer_blocks.%" G_GINT64_FORMAT ".mlp.mlp_out.bias", last);
    d = (damage){.omit = name};
    check_refused(m, dir, be, "missing", &d, name, NULL);
    g_free(name);

    d = (damage){.extra_speakers = 1};
    check_refused(m, dir, be, "spk2idx-length", &d, "spk2idx", NULL);

    d = (damage){.cfg_key = "depth"};
    check_refused(m, dir, be, "cfg-depth", &d, "depth", NULL);

    d = (damage){.cfg_key = "ff_mult"};
    check_refused(m, dir, be, "cfg-ff_mult", &d, "ff_mult", NULL);
}

int main(int argc, char **argv)
{
    const config *cfg = NULL;
    for (guint i = 0; argc > 1 && i < G_N_ELEMENTS(configs); i++)
        if (!strcmp(argv[1], configs[i].name))
            cfg = &configs[i];
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (!cfg || (argc > 2 && !rift_backend_kind_from_string(argv[2], &kind))) {
        fprintf(stderr, "usage: test-dit-sizes d48|d96|d32|short|onehead [cpu|cuda]\n");
        return 2;
    }
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why))
        return rift_test_skip("CUDA backend: %s", why);

    printf("config %s: dim %d depth %d head_dim %d ff_mult %d kernel %d cvec %d speakers %d "
           "n_mels %d%s\n",
           cfg->name, (int)cfg->dim, (int)cfg->depth, (int)cfg->head_dim, (int)cfg->ff_mult,
           (int)cfg->kernel, (int)cfg->cvec, (int)cfg->speakers, (int)cfg->n_mels,
           cfg->cfg_has_cvec ? "" : " (no cvec_dim in cfg)");
    model *m = model_new(cfg, 20251124u + (guint32)cfg->dim * 7u + (guint32)cfg->depth);
    char *dir = tz_tmpdir();
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    char *path = write_checkpoint(m, dir, "model.ckpt", &(damage){0});
    rift_dit *dit = be ? rift_dit_load_file(path, be, &err) : NULL;
    if (rift_test_true(dit != NULL, "load %u tensors%s%s", m->t->list->len, err ? ": " : "",
                       err ? err->message : "")) {
        GRand *r = g_rand_new_with_seed(7 + (guint32)cfg->dim);
        check_hparams(m, dit);
        const float time_a[2] = {0.3f, 0.85f}, time_b[2] = {0.0f, 0.97f};
        const gboolean drop_a[2] = {FALSE, TRUE}, drop_b[2] = {TRUE, FALSE};
        for (int i = 0; i < 2 && cfg->forward_T[i]; i++) {
            check_forward(m, dit, r, cfg->forward_T[i], NULL, 0, time_a, drop_a);
            check_forward(m, dit, r, cfg->forward_T[i], cfg->skip, cfg->n_skip, time_b, drop_b);
        }
        check_samples(m, dit, r);
        g_rand_free(r);
    }
    g_clear_error(&err);
    rift_dit_free(dit);
    if (be)
        check_bad_checkpoints(m, dir, be);

    rift_backend_unref(be);
    tz_rmtree(dir);
    g_free(dir);
    g_free(path);
    g_free(why);
    model_free(m);
    return rift_test_exit();
}
