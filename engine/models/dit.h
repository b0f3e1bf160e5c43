/* dit.h — RIFT-SVC's DiT: the velocity network of the rectified flow.
 *
 * Loaded straight from a RIFT-SVC Lightning checkpoint (state_dict with the
 * "model.transformer." prefix, hyper_parameters/cfg with model and spk2idx).
 * Every size comes from the tensors and is cross-checked against cfg/model.
 *
 *   GError *err = NULL;
 *   rift_dit *dit = rift_dit_load_file("model.ckpt", be, &err);
 *   int spk = rift_dit_speaker_index(dit, "alice");
 *   rift_dit_forward(dit, &input, out, &err);   // one network evaluation
 *   rift_dit_free(dit);
 *
 * The sampler (rf.h) drives the same network over many steps without
 * allocating; this header is the single-evaluation API used by
 * `rift-tool run dit` and the tests.
 */
#pragma once

#include "backend.h"
#include "weights.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* cfg['model'] of dit-768-12: {dim: 768, depth: 12, head_dim: 64, ff_mult: 4,
 * kernel_size: 31, n_mel_channels: 128} (cvec_dim 768 by default) */
typedef struct {
    int64_t dim;        /* model width D */
    int64_t depth;      /* DiT blocks */
    int64_t head_dim;   /* per-head width; heads = dim / head_dim */
    int64_t n_heads;
    int64_t ff_inner;   /* ConvMLP inner width (ff_mult · dim) */
    int64_t kernel_size; /* ConvMLP depthwise kernel */
    int64_t n_mels;     /* 128 */
    int64_t cvec_dim;   /* content vector width */
    int64_t n_speakers;
    int64_t freq_dim;   /* timestep sinusoid width (256) */
    int64_t rot_dim;    /* rotary channels (= head_dim) */
} rift_dit_hparams;

typedef struct rift_dit rift_dit;

rift_dit *rift_dit_load_file(const char *path, rift_backend *be, GError **err);
/* Takes ownership of w on success and on failure. */
rift_dit *rift_dit_load(rift_weights *w, rift_backend *be, GError **err);
/* Same with the speaker names given (index order) instead of read from
 * hyper_parameters/cfg/spk2idx: for weights that come without a config,
 * such as the benchmark's random models. */
rift_dit *rift_dit_load_with_speakers(rift_weights *w, const char *const *speakers,
                                      rift_backend *be, GError **err);
void rift_dit_free(rift_dit *dit);

/* The precision of the transformer blocks' Linear layers (their q, k, v,
 * output and MLP products: nearly all of the work). fp32 (the default)
 * multiplies the checkpoint's weights where they are mapped; bf16 / fp16
 * round inputs and weights (one rounded copy of the block weights, half
 * their size) and sum in float32. Fails when the backend cannot do `p` at
 * full speed (rift_backend_supports_precision; the precision stays as it
 * was) or has no memory for the copy (the precision is then fp32).
 * Call between sampling runs, not during one. */
gboolean rift_dit_set_precision(rift_dit *dit, rift_precision p, GError **err);
rift_precision rift_dit_get_precision(const rift_dit *dit);

const rift_dit_hparams *rift_dit_get_hparams(const rift_dit *dit);
rift_backend *rift_dit_get_backend(const rift_dit *dit);

/* Speakers as spk2idx names them: index or -1. */
int rift_dit_speaker_index(const rift_dit *dit, const char *name);
const char *rift_dit_speaker_name(const rift_dit *dit, int index);
/* "alice, bob, carol" (g_free it), for error messages */
char *rift_dit_speaker_list(const rift_dit *dit);
/* Set *err ("unknown speaker 'x'; this model has: alice, bob, carol") if
 * name is not a speaker; returns its index or -1. */
int rift_dit_lookup_speaker(const rift_dit *dit, const char *name, GError **err);

/* One evaluation: B sequences of T frames, host memory.
 * x [B,T,n_mels], f0/rms [B,T], cvec [B,T,cvec_dim], time [B], spk [B],
 * drop_speaker [B], frame_len [B] (1..T; keys beyond are masked), skip [n_skip]. */
typedef struct {
    int64_t B, T;
    const float *x, *f0, *rms, *cvec, *time;
    const int64_t *spk;
    const gboolean *drop_speaker;
    const int32_t *frame_len;
    const int *skip_layers;
    int n_skip;
} rift_dit_input;

/* Intermediates by name, for tests and debugging (llama.cpp's cb()). Called
 * with host copies: "tembed" [B,D], "cond_embed", "input_embed",
 * "block<i>.attn_out", "block<i>.out", "norm_out" [B,T,D]. */
typedef void (*rift_dit_debug_fn)(const char *name, const float *data, int64_t rows,
                                  int64_t cols, gpointer user);
void rift_dit_set_debug(rift_dit *dit, rift_dit_debug_fn fn, gpointer user);

gboolean rift_dit_forward(rift_dit *dit, const rift_dit_input *in, float *out, GError **err);

/* Floating-point operations of one evaluation of `seqs` sequences of T
 * frames, as the benchmark counts them: every matrix product (2·m·n·k),
 * attention's two products over all keys (2·2·T²·dim per sequence), the
 * depthwise conv (2·k per value); elementwise work is not counted. The
 * condition embedding, computed once per sampling run, is left out. */
double rift_dit_flops(const rift_dit_hparams *hp, int64_t seqs, int64_t T);

G_END_DECLS
