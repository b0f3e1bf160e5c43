/* contentvec.h — ContentVec, the content encoder of RIFT-SVC: Hugging Face's
 * HubertModel (rift_svc/feature_extractors.py's HubertModelWithFinalProj),
 * 16 kHz audio of one segment in, last_hidden_state [N, hidden] out.
 *
 * Loaded from a Hugging Face model directory as users have it
 * (content-vec-best): config.json and model.safetensors or
 * pytorch_model.bin. Sizes come from config.json and are checked against
 * every tensor's shape; configurations HubertModel could run but this port
 * does not (layer-norm feature encoder, stable-layer-norm/pre-LN encoder,
 * other activations) are refused with the config key named.
 *
 *   GError *err = NULL;
 *   rift_contentvec *cv = rift_contentvec_load_dir("content-vec-best", be, &err);
 *   int64_t N = rift_contentvec_n_frames(cv, n16);      // 0: too short
 *   float *h = g_new(float, N * rift_contentvec_get_hparams(cv)->hidden);
 *   rift_contentvec_forward(cv, audio_16k, n16, h, &N, &err);
 *   rift_contentvec_free(cv);
 *
 * The features depend on the whole segment (a GroupNorm over all of its
 * frames, global attention), so a segment is run as one sequence, as
 * upstream does. docs/feature-extractors.md describes the computation.
 */
#pragma once

#include "backend.h"

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

/* The most feature-encoder convolutions a config may list (HuBERT has 7). */
#define RIFT_CONTENTVEC_MAX_CONV 16

/* config.json of content-vec-best (HuBERT base): hidden_size 768,
 * num_hidden_layers 12, num_attention_heads 12, intermediate_size 3072,
 * conv_dim [512]*7, conv_kernel [10,3,3,3,3,2,2], conv_stride [5,2,2,2,2,2,2],
 * num_conv_pos_embeddings 128, num_conv_pos_embedding_groups 16,
 * layer_norm_eps 1e-5 */
typedef struct {
    int64_t hidden;   /* hidden_size H */
    int64_t n_layers; /* num_hidden_layers */
    int64_t n_heads;  /* num_attention_heads */
    int64_t head_dim; /* H / n_heads */
    int64_t ffn;      /* intermediate_size */
    int n_conv;       /* len(conv_dim) */
    int64_t conv_dim[RIFT_CONTENTVEC_MAX_CONV];
    int64_t conv_kernel[RIFT_CONTENTVEC_MAX_CONV];
    int64_t conv_stride[RIFT_CONTENTVEC_MAX_CONV];
    gboolean conv_bias;
    gboolean feat_proj_layer_norm;
    int64_t pos_kernel; /* num_conv_pos_embeddings */
    int64_t pos_groups; /* num_conv_pos_embedding_groups */
    float layer_norm_eps;
    int64_t min_samples; /* the shortest input that gives one frame (400) */
} rift_contentvec_hparams;

typedef struct rift_contentvec rift_contentvec;

rift_contentvec *rift_contentvec_load_dir(const char *dir, rift_backend *be, GError **err);
void rift_contentvec_free(rift_contentvec *cv);

const rift_contentvec_hparams *rift_contentvec_get_hparams(const rift_contentvec *cv);

/* Frames of last_hidden_state for n16 input samples (floor((n16 − 400)/320) + 1
 * for HuBERT), or 0 when n16 is shorter than min_samples. */
int64_t rift_contentvec_n_frames(const rift_contentvec *cv, int64_t n16);

/* Intermediates by name, for tests and debugging: "feat_extract" [N, conv_dim[-1]],
 * "feat_proj", "pos_conv", "enc_in", "layer<i>" [N, H], host copies. */
typedef void (*rift_contentvec_debug_fn)(const char *name, const float *data, int64_t rows,
                                         int64_t cols, gpointer user);
void rift_contentvec_set_debug(rift_contentvec *cv, rift_contentvec_debug_fn fn, gpointer user);

/* last_hidden_state of one segment: audio_16k [n16] (host) -> out [N, H]
 * (host, rift_contentvec_n_frames(cv, n16) rows); *n_frames (may be NULL)
 * gets N. A segment shorter than min_samples is an error. */
gboolean rift_contentvec_forward(rift_contentvec *cv, const float *audio_16k, int64_t n16,
                                 float *out, int64_t *n_frames, GError **err);

G_END_DECLS
