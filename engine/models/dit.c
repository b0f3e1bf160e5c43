/* dit.c — RIFT-SVC's DiT (rift_svc/dit.py, modules.py), one function per block.
 *
 * Layout: B sequences of T frames are stacked into R = B·T rows of width D;
 * per-sequence vectors (conditioning, adaLN modulation) are rows of their own
 * matrices and ops apply them to each sequence's T rows. All conditions of a
 * guided sampler step travel as extra sequences of one batch, so each Linear
 * is one GEMM over every condition and batch item.
 *
 * Tested against upstream's forward (with intermediates) in
 * tests/fixtures/dit (tests/models/test-dit.c, `rift-tool run dit`).
 */
#include "dit-private.h"

#include "loader.h"
#include "ops.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

#define LN_EPS 1e-6f
#define CFG_PREFIX "hyper_parameters/cfg"

/* ---- loading ------------------------------------------------------------ */

static rift_linear_w linear(rift_loader *ld, int64_t out, int64_t in, const char *fmt, int il)
{
    char *name = g_strdup_printf(fmt, il);
    rift_linear_w l = {
        .w = rift_loader_f32(ld, 2, (int64_t[]){out, in}, "%s.weight", name),
        .b = rift_loader_f32(ld, 1, (int64_t[]){out}, "%s.bias", name),
    };
    g_free(name);
    return l;
}

static int64_t dim_of(const rift_tensor *t, int axis)
{
    return t && axis < t->ndim ? t->shape[axis] : -1;
}

/* Sizes from the tensors; cfg['model'] (when present) must agree. */
static gboolean derive_hparams(rift_dit *dit, rift_loader *ld, GError **err)
{
    rift_dit_hparams *hp = &dit->hp;
    const rift_tensor *spk = rift_loader_peek(ld, "spk_embed.weight");
    const rift_tensor *cvec = rift_loader_peek(ld, "cond_embed.cvec_embed.weight");
    const rift_tensor *out = rift_loader_peek(ld, "output.weight");
    const rift_tensor *ff = rift_loader_peek(ld, "transformer_blocks.0.mlp.mlp_proj.weight");
    const rift_tensor *dw = rift_loader_peek(ld, "transformer_blocks.0.mlp.dwconv.weight");
    const rift_tensor *rot = rift_loader_peek(ld, "rotary_embed.inv_freq");
    const rift_tensor *tf = rift_loader_peek(ld, "tembed.time_emb.weight");
    const char *missing = !spk    ? "spk_embed.weight"
                          : !cvec ? "cond_embed.cvec_embed.weight"
                          : !out  ? "output.weight"
                          : !ff   ? "transformer_blocks.0.mlp.mlp_proj.weight"
                          : !dw   ? "transformer_blocks.0.mlp.dwconv.weight"
                          : !rot  ? "rotary_embed.inv_freq"
                          : !tf   ? "tembed.time_emb.weight"
                                  : NULL;
    if (missing) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_MISSING,
                    "dit: %s: no tensor 'state_dict/model.transformer.%s' (is this a RIFT-SVC "
                    "DiT checkpoint?)",
                    rift_weights_path(dit->weights), missing);
        return FALSE;
    }
    hp->n_speakers = dim_of(spk, 0);
    hp->dim = dim_of(spk, 1);
    hp->cvec_dim = dim_of(cvec, 1);
    hp->n_mels = dim_of(out, 0);
    hp->ff_inner = dim_of(ff, 0);
    hp->kernel_size = dim_of(dw, 2);
    hp->rot_dim = 2 * dim_of(rot, 0);
    hp->freq_dim = dim_of(tf, 1);
    for (hp->depth = 0; rift_loader_peek(ld, "transformer_blocks.%d.attn.q_proj.weight",
                                         (int)hp->depth);
         hp->depth++)
        ;
    /* x-transformers' RotaryEmbedding(head_dim) rotates head_dim channels */
    hp->head_dim = hp->rot_dim;

    const rift_value *cfg = rift_value_lookup(rift_weights_meta(dit->weights), CFG_PREFIX "/model");
    const struct {
        const char *key;
        int64_t value;
        const char *source;
    } checks[] = {
        {"dim", hp->dim, "spk_embed.weight"},
        {"depth", hp->depth, "transformer_blocks.N"},
        {"head_dim", hp->head_dim, "rotary_embed.inv_freq"},
        {"n_mel_channels", hp->n_mels, "output.weight"},
        {"cvec_dim", hp->cvec_dim, "cond_embed.cvec_embed.weight"},
        {"kernel_size", hp->kernel_size, "mlp.dwconv.weight"},
        {"ff_mult", hp->dim > 0 && hp->ff_inner % hp->dim == 0 ? hp->ff_inner / hp->dim : -1,
         "mlp.mlp_proj.weight"},
    };
    for (guint i = 0; cfg && i < G_N_ELEMENTS(checks); i++) {
        int64_t v;
        const rift_value *cv = rift_value_get(cfg, checks[i].key);
        if (cv && rift_value_as_int(cv, &v) && v != checks[i].value) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                        "dit: %s: cfg model %s is %" G_GINT64_FORMAT " but %s says %" G_GINT64_FORMAT,
                        rift_weights_path(dit->weights), checks[i].key, v, checks[i].source,
                        checks[i].value);
            return FALSE;
        }
    }
    if (hp->depth < 1 || hp->head_dim < 2 || hp->dim % hp->head_dim || hp->kernel_size % 2 == 0 ||
        hp->freq_dim < 4 || hp->freq_dim % 2) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                    "dit: %s: inconsistent sizes (dim %" G_GINT64_FORMAT ", depth %" G_GINT64_FORMAT
                    ", head_dim %" G_GINT64_FORMAT ", kernel %" G_GINT64_FORMAT
                    ", timestep width %" G_GINT64_FORMAT
                    "): need dim divisible by head_dim, an odd kernel, an even timestep width",
                    rift_weights_path(dit->weights), hp->dim, hp->depth, hp->head_dim,
                    hp->kernel_size, hp->freq_dim);
        return FALSE;
    }
    hp->n_heads = hp->dim / hp->head_dim;
    return TRUE;
}

/* spk2idx: name -> index, a permutation of 0..S-1 of the embedding rows. */
static gboolean read_speakers(rift_dit *dit, GError **err)
{
    const rift_value *map =
        rift_value_lookup(rift_weights_meta(dit->weights), CFG_PREFIX "/spk2idx");
    const int64_t S = dit->hp.n_speakers;
    guint n = map ? rift_value_len(map) : 0;
    if (n != (guint)S) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                    "dit: %s: hyper_parameters.cfg.spk2idx lists %u speakers but spk_embed.weight "
                    "has %" G_GINT64_FORMAT " (one row per speaker)",
                    rift_weights_path(dit->weights), n, S);
        return FALSE;
    }
    dit->speakers = g_new0(char *, S + 1);
    for (guint i = 0; i < n; i++) {
        const char *name = rift_value_as_str(rift_value_key_at(map, i));
        int64_t idx;
        if (!name || !rift_value_as_int(rift_value_value_at(map, i), &idx) || idx < 0 ||
            idx >= S || dit->speakers[idx]) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_FORMAT,
                        "dit: %s: spk2idx entry %u is not a unique name -> index below %" G_GINT64_FORMAT,
                        rift_weights_path(dit->weights), i, S);
            return FALSE;
        }
        dit->speakers[idx] = g_strdup(name);
    }
    return TRUE;
}

static void bind_weights(rift_dit *dit, rift_loader *ld)
{
    const rift_dit_hparams *hp = &dit->hp;
    const int64_t D = hp->dim, F = hp->ff_inner;
    /* embeddings are gathered on the host, so they must stay host views */
    const rift_tensor *spk = rift_loader_peek(ld, "spk_embed.weight");
    const rift_tensor *nul = rift_loader_peek(ld, "null_spk_embed.weight");
    if (spk && nul && (spk->dtype != RIFT_F32 || nul->dtype != RIFT_F32)) {
        rift_loader_fail(ld, g_error_new(RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                                         "dit: %s: speaker embeddings must be float32",
                                         rift_weights_path(dit->weights)));
        return;
    }
    rift_backend *cpu = rift_backend_get_kind(dit->be) == RIFT_BACKEND_CPU ? dit->be : NULL;
    if (!cpu) {
        /* on CUDA the loader would upload them; read the mapping instead */
        dit->spk_embed_host = spk ? spk->data : NULL;
        dit->null_spk_host = nul ? nul->data : NULL;
    }
    float *s = rift_loader_f32(ld, 2, (int64_t[]){hp->n_speakers, D}, "spk_embed.weight");
    float *ns = rift_loader_f32(ld, 2, (int64_t[]){1, D}, "null_spk_embed.weight");
    if (cpu) {
        dit->spk_embed_host = s;
        dit->null_spk_host = ns;
    }

    dit->time_emb = linear(ld, D, hp->freq_dim, "tembed.time_emb", 0);
    dit->time_proj = linear(ld, D, D, "tembed.proj", 0);
    dit->f0_embed = linear(ld, D, 1, "cond_embed.f0_embed", 0);
    dit->rms_embed = linear(ld, D, 1, "cond_embed.rms_embed", 0);
    dit->cvec_embed = linear(ld, D, hp->cvec_dim, "cond_embed.cvec_embed", 0);
    dit->cond_out = linear(ld, D, D, "cond_embed.out", 0);
    dit->cond_ln_w = rift_loader_f32(ld, 1, (int64_t[]){D}, "cond_embed.ln.weight");
    dit->cond_ln_b = rift_loader_f32(ld, 1, (int64_t[]){D}, "cond_embed.ln.bias");
    dit->mel_embed = linear(ld, D, hp->n_mels, "input_embed.mel_embed", 0);
    dit->in_proj = linear(ld, D, 2 * D, "input_embed.proj", 0);
    dit->inv_freq = rift_loader_f32(ld, 1, (int64_t[]){hp->rot_dim / 2}, "rotary_embed.inv_freq");

    dit->blocks = g_new0(rift_dit_block, hp->depth);
    for (int i = 0; i < hp->depth; i++) {
        rift_dit_block *b = &dit->blocks[i];
        b->adaln = linear(ld, 6 * D, D, "transformer_blocks.%d.attn_norm.proj", i);
        b->q = linear(ld, D, D, "transformer_blocks.%d.attn.q_proj", i);
        b->k = linear(ld, D, D, "transformer_blocks.%d.attn.k_proj", i);
        b->v = linear(ld, D, D, "transformer_blocks.%d.attn.v_proj", i);
        b->o = linear(ld, D, D, "transformer_blocks.%d.attn.attn_out", i);
        b->dw_w = rift_loader_f32(ld, 3, (int64_t[]){D, 1, hp->kernel_size},
                                  "transformer_blocks.%d.mlp.dwconv.weight", i);
        b->dw_b = rift_loader_f32(ld, 1, (int64_t[]){D}, "transformer_blocks.%d.mlp.dwconv.bias", i);
        b->ff1 = linear(ld, F, D, "transformer_blocks.%d.mlp.mlp_proj", i);
        b->ff2 = linear(ld, D, F, "transformer_blocks.%d.mlp.mlp_out", i);
    }
    dit->norm_out = linear(ld, 2 * D, D, "norm_out.proj", 0);
    dit->output = linear(ld, hp->n_mels, D, "output", 0);
}

static void log_hparams(const rift_dit *dit)
{
    const rift_dit_hparams *hp = &dit->hp;
    g_info("dit: %s: dim %" G_GINT64_FORMAT ", depth %" G_GINT64_FORMAT ", heads %" G_GINT64_FORMAT
           " x %" G_GINT64_FORMAT ", ff %" G_GINT64_FORMAT ", kernel %" G_GINT64_FORMAT
           ", mels %" G_GINT64_FORMAT ", cvec %" G_GINT64_FORMAT ", speakers %" G_GINT64_FORMAT,
           rift_weights_path(dit->weights), hp->dim, hp->depth, hp->n_heads, hp->head_dim,
           hp->ff_inner, hp->kernel_size, hp->n_mels, hp->cvec_dim, hp->n_speakers);
}

rift_dit *rift_dit_load(rift_weights *w, rift_backend *be, GError **err)
{
    return rift_dit_load_with_speakers(w, NULL, be, err);
}

/* Speakers named by the caller: as many names as spk_embed has rows. */
static gboolean take_speakers(rift_dit *dit, const char *const *speakers, GError **err)
{
    if (g_strv_length((char **)speakers) != (guint)dit->hp.n_speakers) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "dit: %u speaker names given for %" G_GINT64_FORMAT " speaker embeddings",
                    g_strv_length((char **)speakers), dit->hp.n_speakers);
        return FALSE;
    }
    dit->speakers = g_strdupv((char **)speakers);
    return TRUE;
}

rift_dit *rift_dit_load_with_speakers(rift_weights *w, const char *const *speakers,
                                      rift_backend *be, GError **err)
{
    rift_dit *dit = g_new0(rift_dit, 1);
    dit->be = rift_backend_ref(be);
    dit->weights = w;
    rift_loader *ld = rift_loader_new(w, be, "state_dict/model.transformer.", "dit");
    gboolean ok = derive_hparams(dit, ld, err);
    if (ok)
        bind_weights(dit, ld);
    if (!rift_loader_finish(ld, &dit->owned, ok ? err : NULL))
        ok = FALSE;
    if (ok)
        ok = speakers ? take_speakers(dit, speakers, err) : read_speakers(dit, err);
    if (!ok) {
        rift_dit_free(dit);
        return NULL;
    }
    log_hparams(dit);
    return dit;
}

rift_dit *rift_dit_load_file(const char *path, rift_backend *be, GError **err)
{
    rift_weights *w = rift_weights_open(path, err);
    return w ? rift_dit_load(w, be, err) : NULL;
}

void rift_dit_free(rift_dit *dit)
{
    if (!dit)
        return;
    rift_loader_free_owned(dit->be, dit->lowp_owned);
    rift_loader_free_owned(dit->be, dit->owned);
    g_free(dit->blocks);
    g_strfreev(dit->speakers);
    rift_weights_free(dit->weights);
    rift_backend_unref(dit->be);
    g_free(dit);
}

/* the block Linears that set_precision rounds, in order */
static rift_linear_w *block_linears(rift_dit_block *b, int i)
{
    rift_linear_w *l[] = {&b->q, &b->k, &b->v, &b->o, &b->ff1, &b->ff2};
    return i < (int)G_N_ELEMENTS(l) ? l[i] : NULL;
}

gboolean rift_dit_set_precision(rift_dit *dit, rift_precision p, GError **err)
{
    const rift_dit_hparams *hp = &dit->hp;
    if (p == dit->precision)
        return TRUE;
    if (!rift_backend_supports_precision(dit->be, p, err))
        return FALSE;
    GPtrArray *owned = g_ptr_array_new();
    for (int64_t il = 0; il < hp->depth; il++) {
        rift_linear_w *l;
        for (int i = 0; (l = block_linears(&dit->blocks[il], i)); i++) {
            const int64_t out = l == &dit->blocks[il].ff1 ? hp->ff_inner : hp->dim;
            const int64_t in = l == &dit->blocks[il].ff2 ? hp->ff_inner : hp->dim;
            l->lowp = NULL;
            if (p == RIFT_PRECISION_FP32)
                continue;
            l->lowp = rift_backend_alloc(dit->be, (size_t)(out * in) * 2);
            if (l->lowp) {
                g_ptr_array_add(owned, l->lowp);
                rift_op_to_lowp(dit->be, l->lowp, l->w, out, in, in, p);
            }
        }
    }
    rift_loader_free_owned(dit->be, dit->lowp_owned);
    dit->lowp_owned = owned;
    dit->precision = p;
    if (rift_backend_sync(dit->be, err))
        return TRUE;
    /* out of memory, say: back to the mapped fp32 weights */
    rift_dit_set_precision(dit, RIFT_PRECISION_FP32, NULL);
    return FALSE;
}

rift_precision rift_dit_get_precision(const rift_dit *dit)
{
    return dit->precision;
}

const rift_dit_hparams *rift_dit_get_hparams(const rift_dit *dit)
{
    return &dit->hp;
}

rift_backend *rift_dit_get_backend(const rift_dit *dit)
{
    return dit->be;
}

int rift_dit_speaker_index(const rift_dit *dit, const char *name)
{
    for (int i = 0; dit->speakers && dit->speakers[i]; i++)
        if (!strcmp(dit->speakers[i], name))
            return i;
    return -1;
}

const char *rift_dit_speaker_name(const rift_dit *dit, int index)
{
    return index >= 0 && index < dit->hp.n_speakers ? dit->speakers[index] : NULL;
}

char *rift_dit_speaker_list(const rift_dit *dit)
{
    return g_strjoinv(", ", dit->speakers);
}

int rift_dit_lookup_speaker(const rift_dit *dit, const char *name, GError **err)
{
    int idx = name ? rift_dit_speaker_index(dit, name) : -1;
    if (idx < 0) {
        char *list = rift_dit_speaker_list(dit);
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "unknown speaker '%s'; this model has: %s",
                    name ? name : "(none)", list);
        g_free(list);
    }
    return idx;
}

void rift_dit_set_debug(rift_dit *dit, rift_dit_debug_fn fn, gpointer user)
{
    dit->debug = fn;
    dit->debug_user = user;
}

/* ---- building blocks ------------------------------------------------------ */

/* y[R, out] = x[R, in] · Wᵀ + b   (x rows ldx apart) */
static void linear_fwd(rift_backend *be, float *y, const float *x, int64_t ldx, rift_linear_w l,
                       int64_t R, int64_t in, int64_t out)
{
    rift_op_fill_rows(be, y, l.b, R, out);
    rift_op_gemm(be, FALSE, TRUE, R, out, in, 1.0f, x, ldx, l.w, in, 1.0f, y, out);
}

/* Hand a device tensor to the debug hook as a host copy. */
static void debug_dump(rift_dit *dit, const char *name, const float *d, int64_t rows,
                       int64_t cols)
{
    if (!dit->debug)
        return;
    float *host = g_new(float, rows * cols);
    rift_backend_download(dit->be, host, d, rows * cols * sizeof(float));
    if (rift_backend_sync(dit->be, NULL))
        dit->debug(name, host, rows, cols, dit->debug_user);
    g_free(host);
}

/* ---- work buffers ------------------------------------------------------- */

/* Rows per MLP chunk: 256 on the CPU (256 × ff fits in L2 for every
 * upstream size while the GEMMs stay large), everything on a GPU. */
static int64_t mlp_chunk(const rift_dit *dit, int64_t rows)
{
    return rift_backend_get_kind(dit->be) == RIFT_BACKEND_CPU ? MIN(rows, 256) : rows;
}

rift_dit_work *rift_dit_work_new(rift_dit *dit, int64_t max_seqs, int64_t max_rows)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t D = hp->dim, T = max_rows / MAX(max_seqs, 1);
    rift_dit_work *w = g_new0(rift_dit_work, 1);
    w->max_seqs = max_seqs;
    w->max_rows = max_rows;
#define ALLOC(n) rift_backend_alloc(be, (size_t)(n) * sizeof(float))
    w->ic = ALLOC(max_rows * D);
    w->spk = ALLOC(max_seqs * D);
    w->mod = ALLOC(max_seqs * 6 * D);
    float **acts[] = {&w->x, &w->h, &w->q, &w->k, &w->v, &w->a};
    for (guint i = 0; i < G_N_ELEMENTS(acts); i++)
        *acts[i] = ALLOC(max_rows * MAX(D, hp->n_mels));
    w->f = ALLOC(mlp_chunk(dit, max_rows) * hp->ff_inner);
#undef ALLOC
    w->precision = dit->precision;
    if (w->precision != RIFT_PRECISION_FP32)
        w->xlow = rift_backend_alloc(
            be, (size_t)MAX(max_rows * D, mlp_chunk(dit, max_rows) * hp->ff_inner) * 2);
    size_t ws = rift_op_attention_workspace(be, max_seqs, T, hp->n_heads, hp->head_dim);
    w->attn_work = ws ? rift_backend_alloc(be, ws) : NULL;
    return w;
}

void rift_dit_work_free(rift_dit *dit, rift_dit_work *w)
{
    if (!w)
        return;
    float *bufs[] = {w->ic, w->spk, w->c_tab, w->sc_tab, w->mod, w->x,
                     w->h,  w->q,   w->k,     w->v,      w->a,   w->f};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(dit->be, bufs[i]);
    rift_backend_free_mem(dit->be, w->xlow);
    rift_backend_free_mem(dit->be, w->attn_work);
    g_free(w->host_tf);
    g_free(w);
}

/* ---- the network -------------------------------------------------------- */

/* cond = LN_affine(out(f0_embed(f0/1200) + rms_embed(rms) + LN(cvec_embed(cvec))))
 * then ic = cond · proj[:, D:2D]ᵀ + proj.b: the half of input_embed.proj that
 * does not change between sampler steps. */
void rift_dit_embed_conditions(rift_dit *dit, rift_dit_work *w, int64_t Bs, int64_t T,
                               const float *f0, const float *rms, const float *cvec)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t R = Bs * T, D = hp->dim;
    float *sum = w->h, *cv = w->q, *cond = w->k;

    linear_fwd(be, cv, cvec, hp->cvec_dim, dit->cvec_embed, R, hp->cvec_dim, D);
    rift_op_layernorm(be, cv, cv, R, D, LN_EPS, NULL, NULL, NULL, NULL, 0, 0);
    rift_op_fill_rows(be, sum, dit->f0_embed.b, R, D);
    rift_op_gemm(be, FALSE, TRUE, R, D, 1, 1.0f / 1200.0f, f0, 1, dit->f0_embed.w, 1, 1.0f, sum, D);
    /* + rms_embed(rms) = rms · w + b (Linear(1, D): a rank-1 update) */
    rift_op_axpy(be, sum, D, dit->rms_embed.b, 0, R, D, 1.0f);
    rift_op_gemm(be, FALSE, TRUE, R, D, 1, 1.0f, rms, 1, dit->rms_embed.w, 1, 1.0f, sum, D);
    rift_op_axpy(be, sum, D, cv, D, R, D, 1.0f);
    linear_fwd(be, cond, sum, D, dit->cond_out, R, D, D);
    rift_op_layernorm(be, cond, cond, R, D, LN_EPS, dit->cond_ln_w, dit->cond_ln_b, NULL, NULL, 0,
                      0);
    debug_dump(dit, "cond_embed", cond, R, D);

    /* the cond half of input_embed.proj: weight columns D..2D-1 (row stride 2D) */
    rift_op_fill_rows(be, w->ic, dit->in_proj.b, R, D);
    rift_op_gemm(be, FALSE, TRUE, R, D, D, 1.0f, cond, D, dit->in_proj.w + D, 2 * D, 1.0f, w->ic,
                 D);
}

void rift_dit_set_speakers(rift_dit *dit, rift_dit_work *w, int64_t Bs, const int64_t *spk,
                           const gboolean *drop)
{
    const int64_t D = dit->hp.dim;
    for (int64_t b = 0; b < Bs; b++) {
        const float *row = drop && drop[b] ? dit->null_spk_host : dit->spk_embed_host + spk[b] * D;
        rift_backend_upload(dit->be, w->spk + b * D, row, D * sizeof(float));
    }
}

/* Sinusoidal timestep embedding as upstream computes it in float32:
 * freqs[k] = exp(k · −ln(10000)/(half − 1)), arg = (1000·t)·freqs[k],
 * emb = [sin(arg), cos(arg)]. */
static void timestep_sinusoid(float *out, const float *time, int64_t Bs, int64_t freq_dim)
{
    const int64_t half = freq_dim / 2;
    const float step = (float)(log(10000.0) / (double)(half - 1));
    for (int64_t b = 0; b < Bs; b++) {
        const float t1000 = 1000.0f * time[b];
        for (int64_t k = 0; k < half; k++) {
            const float arg = t1000 * expf((float)k * -step);
            out[b * freq_dim + k] = sinf(arg);
            out[b * freq_dim + half + k] = cosf(arg);
        }
    }
}

/* c = tembed(t) + spk: the vector every adaLN is conditioned on; sc = SiLU(c).
 * All n_times points at once: rows = n_times · Bs, the speaker rows repeat. */
void rift_dit_set_times(rift_dit *dit, rift_dit_work *w, int64_t Bs, const float *times,
                        int64_t n_times)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t D = hp->dim, rows = n_times * Bs;
    rift_backend_free_mem(be, w->c_tab);
    rift_backend_free_mem(be, w->sc_tab);
    w->n_times = n_times;
    w->c_tab = rift_backend_alloc(be, rows * D * sizeof(float));
    w->sc_tab = rift_backend_alloc(be, rows * D * sizeof(float));
    float *tf = rift_backend_alloc(be, rows * hp->freq_dim * sizeof(float));
    g_free(w->host_tf);
    w->host_tf = g_new(float, rows * hp->freq_dim);
    timestep_sinusoid(w->host_tf, times, rows, hp->freq_dim);
    rift_backend_upload(be, tf, w->host_tf, rows * hp->freq_dim * sizeof(float));
    linear_fwd(be, w->sc_tab, tf, hp->freq_dim, dit->time_emb, rows, hp->freq_dim, D);
    rift_op_silu(be, w->sc_tab, w->sc_tab, rows * D);
    linear_fwd(be, w->c_tab, w->sc_tab, D, dit->time_proj, rows, D, D);
    debug_dump(dit, "tembed", w->c_tab, rows, D);
    for (int64_t k = 0; k < n_times; k++)
        rift_op_axpy(be, w->c_tab + k * Bs * D, D, w->spk, D, Bs, D, 1.0f);
    rift_op_silu(be, w->sc_tab, w->c_tab, rows * D);
    rift_backend_free_mem(be, tf); /* stream-ordered on CUDA */
}

/* A block Linear's input in the precision its weights are kept in: x itself
 * in fp32, else x rounded once into w->xlow (q, k and v share one rounding). */
static const void *block_input(rift_dit *dit, rift_dit_work *w, const float *x, int64_t ldx,
                               int64_t R, int64_t in)
{
    if (w->precision == RIFT_PRECISION_FP32)
        return x;
    rift_op_to_lowp(dit->be, w->xlow, x, R, in, ldx, w->precision);
    return w->xlow;
}

/* y[R, out] = x · Wᵀ + b for a block Linear, x from block_input (rows ldx
 * apart in fp32, contiguous when rounded) */
static void block_linear(rift_dit *dit, rift_dit_work *w, float *y, const void *x, int64_t ldx,
                         rift_linear_w l, int64_t R, int64_t in, int64_t out)
{
    if (w->precision == RIFT_PRECISION_FP32) {
        linear_fwd(dit->be, y, x, ldx, l, R, in, out);
        return;
    }
    rift_op_fill_rows(dit->be, y, l.b, R, out);
    rift_op_gemm_lowp(dit->be, R, out, in, x, l.lowp, 1.0f, y, out, w->precision);
}

/* Attention(h): q,k,v projections, RoPE on head 0 + per-head LN of q and k,
 * masked softmax(q·kᵀ/D)·v, output projection, padded rows zeroed. Result in a. */
static void attention(rift_dit *dit, rift_dit_work *w, const rift_dit_block *b, int64_t Bs,
                      int64_t T, const int32_t *len)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t R = Bs * T, D = hp->dim;
    const void *h = block_input(dit, w, w->h, D, R, D);
    block_linear(dit, w, w->q, h, D, b->q, R, D, D);
    block_linear(dit, w, w->k, h, D, b->k, R, D, D);
    block_linear(dit, w, w->v, h, D, b->v, R, D, D);
    rift_op_rope_headnorm(be, w->q, Bs, T, D, hp->head_dim, hp->rot_dim, dit->inv_freq, LN_EPS);
    rift_op_rope_headnorm(be, w->k, Bs, T, D, hp->head_dim, hp->rot_dim, dit->inv_freq, LN_EPS);
    /* the attention output goes to h (free again), then its projection to a */
    rift_op_attention(be, w->h, w->q, w->k, w->v, Bs, T, hp->n_heads, hp->head_dim,
                      1.0f / (float)D, len, w->attn_work);
    block_linear(dit, w, w->a, block_input(dit, w, w->h, D, R, D), D, b->o, R, D, D);
    rift_op_zero_pad_rows(be, w->a, Bs, T, D, len);
}

/* ConvMLP(h): depthwise conv along time, LN, Linear, ReLU², Linear. Result in a.
 * On the CPU the two Linears run over row chunks so that the [rows, ff]
 * hidden layer stays in cache between them (and takes chunk·ff floats, not
 * rows·ff); a GPU takes all rows at once. */
static void conv_mlp(rift_dit *dit, rift_dit_work *w, const rift_dit_block *b, int64_t Bs,
                     int64_t T)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t R = Bs * T, D = hp->dim, F = hp->ff_inner, chunk = mlp_chunk(dit, R);
    rift_op_dwconv1d(be, w->q, w->h, b->dw_w, b->dw_b, Bs, T, D, hp->kernel_size);
    rift_op_layernorm(be, w->q, w->q, R, D, LN_EPS, NULL, NULL, NULL, NULL, 0, 0);
    for (int64_t r0 = 0; r0 < R; r0 += chunk) {
        const int64_t n = MIN(chunk, R - r0);
        block_linear(dit, w, w->f, block_input(dit, w, w->q + r0 * D, D, n, D), D, b->ff1, n, D,
                     F);
        rift_op_relu_sq(be, w->f, n * F);
        block_linear(dit, w, w->a + r0 * D, block_input(dit, w, w->f, F, n, F), F, b->ff2, n, F,
                     D);
    }
}

/* DiTBlock: e = adaLN(SiLU(c)) = (shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp)
 *   x += gate_msa · Attention(LN(x)·(1+scale_msa) + shift_msa)
 *   x += gate_mlp · ConvMLP(LN(x)·(1+scale_mlp) + shift_mlp) */
static void dit_block(rift_dit *dit, rift_dit_work *w, int il, int64_t Bs, int64_t T,
                      const int32_t *len)
{
    rift_backend *be = dit->be;
    const rift_dit_block *b = &dit->blocks[il];
    const int64_t R = Bs * T, D = dit->hp.dim, M = 6 * D;
    char name[64];
    float *e = w->mod;
    linear_fwd(be, e, w->sc, D, b->adaln, Bs, D, M);
    rift_op_layernorm(be, w->h, w->x, R, D, LN_EPS, NULL, NULL, e + D, e, T, M);
    attention(dit, w, b, Bs, T, len);
    g_snprintf(name, sizeof name, "block%d.attn_out", il);
    debug_dump(dit, name, w->a, R, D);
    rift_op_gated_add(be, w->x, w->a, e + 2 * D, R, D, T, M);
    rift_op_layernorm(be, w->h, w->x, R, D, LN_EPS, NULL, NULL, e + 4 * D, e + 3 * D, T, M);
    conv_mlp(dit, w, b, Bs, T);
    rift_op_gated_add(be, w->x, w->a, e + 5 * D, R, D, T, M);
    g_snprintf(name, sizeof name, "block%d.out", il);
    debug_dump(dit, name, w->x, R, D);
}

void rift_dit_eval(rift_dit *dit, rift_dit_work *w, int64_t Bs, int64_t T, const float *x,
                   int64_t k, const int32_t *len, const gboolean *skip, float *out)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t R = Bs * T, D = hp->dim;
    g_return_if_fail(k >= 0 && k < w->n_times);
    w->sc = w->sc_tab + k * Bs * D;

    /* input embedding: x = LN(proj(concat(mel_embed(x), cond))) where the
     * cond half of proj, with its bias, is ic: x = LN(mel_embed(x)·proj[:, :D]ᵀ + ic) */
    linear_fwd(be, w->h, x, hp->n_mels, dit->mel_embed, R, hp->n_mels, D);
    rift_op_gemm(be, FALSE, TRUE, R, D, D, 1.0f, w->h, D, dit->in_proj.w, 2 * D, 0.0f, w->x, D);
    rift_op_axpy(be, w->x, D, w->ic, D, R, D, 1.0f);
    rift_op_layernorm(be, w->x, w->x, R, D, LN_EPS, NULL, NULL, NULL, NULL, 0, 0);
    debug_dump(dit, "input_embed", w->x, R, D);

    for (int64_t i = 0; i < hp->depth; i++) {
        if (skip && skip[i])
            continue;
        dit_block(dit, w, i, Bs, T, len);
    }

    /* final layer: (scale, shift) = norm_out(SiLU(c)); out = output(LN(x)·(1+scale) + shift) */
    float *e = w->mod;
    linear_fwd(be, e, w->sc, D, dit->norm_out, Bs, D, 2 * D);
    rift_op_layernorm(be, w->h, w->x, R, D, LN_EPS, NULL, NULL, e, e + D, T, 2 * D);
    debug_dump(dit, "norm_out", w->h, R, D);
    linear_fwd(be, out, w->h, D, dit->output, R, D, hp->n_mels);
}

double rift_dit_flops(const rift_dit_hparams *hp, int64_t seqs, int64_t T)
{
    const double R = (double)(seqs * T), D = (double)hp->dim, F = (double)hp->ff_inner;
    const double per_block = 2.0 * R * D * D * 4                    /* q, k, v, out */
                             + 2.0 * 2.0 * (double)seqs * T * T * D /* q·kᵀ, p·v */
                             + 2.0 * R * D * F * 2                  /* the two MLP linears */
                             + 2.0 * R * D * (double)hp->kernel_size /* depthwise conv */
                             + 2.0 * (double)seqs * D * 6 * D;      /* adaLN */
    const double embed = 2.0 * R * (double)hp->n_mels * D * 2 /* mel_embed, output */
                         + 2.0 * R * D * D                      /* input proj, mel half */
                         + 2.0 * (double)seqs * ((double)hp->freq_dim * D + D * D + 2 * D * D);
    return per_block * (double)hp->depth + embed;
}

/* ---- single evaluation from host memory ---------------------------------- */

gboolean rift_dit_forward(rift_dit *dit, const rift_dit_input *in, float *out, GError **err)
{
    const rift_dit_hparams *hp = &dit->hp;
    rift_backend *be = dit->be;
    const int64_t B = in->B, T = in->T, R = B * T;
    for (int64_t b = 0; b < B; b++) {
        if (in->frame_len[b] < 1 || in->frame_len[b] > T || in->spk[b] < 0 ||
            in->spk[b] >= hp->n_speakers) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                        "dit: item %" G_GINT64_FORMAT ": frame_len %d must be in 1..%" G_GINT64_FORMAT
                        " and speaker %" G_GINT64_FORMAT " below %" G_GINT64_FORMAT,
                        b, in->frame_len[b], T, in->spk[b], hp->n_speakers);
            return FALSE;
        }
    }
    gboolean *skip = g_new0(gboolean, hp->depth);
    for (int i = 0; i < in->n_skip; i++) {
        if (in->skip_layers[i] < 0 || in->skip_layers[i] >= hp->depth) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                        "dit: skip layer %d is outside 0..%" G_GINT64_FORMAT, in->skip_layers[i],
                        hp->depth - 1);
            g_free(skip);
            return FALSE;
        }
        skip[in->skip_layers[i]] = TRUE;
    }

    rift_dit_work *w = rift_dit_work_new(dit, B, R);
    const size_t fb = sizeof(float);
    float *d_x = rift_backend_alloc(be, R * hp->n_mels * fb);
    float *d_f0 = rift_backend_alloc(be, R * fb), *d_rms = rift_backend_alloc(be, R * fb);
    float *d_cvec = rift_backend_alloc(be, R * hp->cvec_dim * fb);
    float *d_out = rift_backend_alloc(be, R * hp->n_mels * fb);
    rift_backend_upload(be, d_x, in->x, R * hp->n_mels * fb);
    rift_backend_upload(be, d_f0, in->f0, R * fb);
    rift_backend_upload(be, d_rms, in->rms, R * fb);
    rift_backend_upload(be, d_cvec, in->cvec, R * hp->cvec_dim * fb);

    rift_dit_embed_conditions(dit, w, B, T, d_f0, d_rms, d_cvec);
    rift_dit_set_speakers(dit, w, B, in->spk, in->drop_speaker);
    rift_dit_set_times(dit, w, B, in->time, 1);
    rift_dit_eval(dit, w, B, T, d_x, 0, in->frame_len, skip, d_out);
    rift_backend_download(be, out, d_out, R * hp->n_mels * fb);
    gboolean ok = rift_backend_sync(be, err);

    float *bufs[] = {d_x, d_f0, d_rms, d_cvec, d_out};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(be, bufs[i]);
    rift_dit_work_free(dit, w);
    g_free(skip);
    return ok;
}
