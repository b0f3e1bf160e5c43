/* dit-private.h — the DiT's weights and its device-level evaluation, shared by
 * dit.c (the network) and rf.c (the sampler that calls it every step). */
#pragma once

#include "dit.h"

typedef struct {
    float *w, *b; /* w [out, in] as nn.Linear stores it, b [out] */
    void *lowp;   /* w rounded to the model's precision (blocks only; NULL in fp32) */
} rift_linear_w;

typedef struct {
    rift_linear_w adaln;     /* transformer_blocks.%d.attn_norm.proj   [6D, D] */
    rift_linear_w q, k, v;   /* transformer_blocks.%d.attn.{q,k,v}_proj [D, D] */
    rift_linear_w o;         /* transformer_blocks.%d.attn.attn_out     [D, D] */
    float *dw_w, *dw_b;      /* transformer_blocks.%d.mlp.dwconv        [D, 1, k], [D] */
    rift_linear_w ff1;       /* transformer_blocks.%d.mlp.mlp_proj      [F, D] */
    rift_linear_w ff2;       /* transformer_blocks.%d.mlp.mlp_out       [D, F] */
} rift_dit_block;

struct rift_dit {
    rift_dit_hparams hp;
    rift_backend *be;
    rift_weights *weights; /* owns the file mapping the CPU weights point into */
    GPtrArray *owned;      /* backend buffers made at load */

    const float *spk_embed_host; /* spk_embed.weight [S, D] (host view) */
    const float *null_spk_host;  /* null_spk_embed.weight [1, D] (host view) */
    rift_linear_w time_emb;      /* tembed.time_emb [D, 256] */
    rift_linear_w time_proj;     /* tembed.proj     [D, D] */
    rift_linear_w f0_embed;      /* cond_embed.f0_embed   [D, 1] */
    rift_linear_w rms_embed;     /* cond_embed.rms_embed  [D, 1] */
    rift_linear_w cvec_embed;    /* cond_embed.cvec_embed [D, C] */
    rift_linear_w cond_out;      /* cond_embed.out        [D, D] */
    float *cond_ln_w, *cond_ln_b; /* cond_embed.ln        [D], [D] */
    rift_linear_w mel_embed;     /* input_embed.mel_embed [D, n_mels] */
    rift_linear_w in_proj;       /* input_embed.proj      [D, 2D]: mel half, then cond half */
    float *inv_freq;             /* rotary_embed.inv_freq [rot_dim/2] */
    rift_dit_block *blocks;
    rift_linear_w norm_out;      /* norm_out.proj [2D, D]: (scale, shift) */
    rift_linear_w output;        /* output [n_mels, D] */

    char **speakers; /* by index, from spk2idx */

    /* the blocks' Linears multiply in this precision (rift_dit_set_precision);
     * lowp_owned holds their rounded weights */
    rift_precision precision;
    GPtrArray *lowp_owned;

    rift_dit_debug_fn debug;
    gpointer debug_user;
};

/* Device buffers for evaluating up to `max_rows` rows (sequences × frames)
 * of up to `max_seqs` sequences; made once per sampling run, so the step
 * loop never allocates. */
typedef struct {
    int64_t max_seqs, max_rows;
    float *ic;      /* [rows, D]  cond half of input_embed.proj + its bias (fixed per run) */
    float *spk;     /* [seqs, D]  speaker (or null speaker) vectors */
    /* per time point k of the run (rift_dit_set_times), [n_times, seqs, D]:
     * c = tembed(t) + spk and sc_tab = SiLU(c); sc points at the current
     * point's rows during an evaluation */
    int64_t n_times;
    float *c_tab, *sc_tab;
    const float *sc;
    float *mod;     /* [seqs, 6D] adaLN modulation of the current block */
    float *x, *h, *q, *k, *v, *a; /* [rows, D] */
    float *f;       /* [rows, F] */
    void *xlow;     /* a block Linear's input rounded to the precision (NULL in fp32) */
    rift_precision precision; /* the model's when the buffers were made */
    void *attn_work;
    float *host_tf; /* host staging of the time sinusoids (the upload reads it) */
} rift_dit_work;

rift_dit_work *rift_dit_work_new(rift_dit *dit, int64_t max_seqs, int64_t max_rows);
void rift_dit_work_free(rift_dit *dit, rift_dit_work *w);

/* Fixed per run: ic[seq] = cond_embed(f0, rms, cvec) · proj[:, D:]ᵀ + proj.b,
 * for Bs sequences of T frames (device memory inputs; f0/rms [Bs·T],
 * cvec [Bs·T, C]). Also reports "cond_embed" to the debug hook. */
void rift_dit_embed_conditions(rift_dit *dit, rift_dit_work *w, int64_t Bs, int64_t T,
                               const float *f0, const float *rms, const float *cvec);
/* Fixed per run: the speaker vector of each sequence (host arrays). */
void rift_dit_set_speakers(rift_dit *dit, rift_dit_work *w, int64_t Bs, const int64_t *spk,
                           const gboolean *drop);
/* Fixed per run, after rift_dit_set_speakers: every sequence's conditioning
 * vector at each of the run's n_times time points (times [n_times, Bs],
 * host), computed here once so that evaluations neither upload nor
 * recompute it. Allocates (set-up, not the step loop): running out of
 * memory is the backend's sticky error. */
void rift_dit_set_times(rift_dit *dit, rift_dit_work *w, int64_t Bs, const float *times,
                        int64_t n_times);
/* One evaluation: out [Bs·T, n_mels] = v(x, t_k) for x [Bs·T, n_mels]
 * (device) at time point k of rift_dit_set_times, len[Bs] (host); blocks
 * with skip[i] TRUE are identity (skip may be NULL). */
void rift_dit_eval(rift_dit *dit, rift_dit_work *w, int64_t Bs, int64_t T, const float *x,
                   int64_t k, const int32_t *len, const gboolean *skip, float *out);
