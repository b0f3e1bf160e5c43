/* weights.h — the tensors and metadata of a model file, mapped not copied.
 *
 * rift_weights_open() reads:
 *   - PyTorch torch.save zips (.pt/.ckpt/.bin, torch 1.x and 2.x, top folder
 *     "archive/" or named after the file), through a restricted unpickler that
 *     only builds data (value.h) and never executes anything. Storages tagged
 *     'cuda:N' load on any machine. Tensor storage is mmap'ed from the
 *     archive (stored entries) and tensors are views into it.
 *   - safetensors files.
 * Tensor names are the path of keys from the root object joined with '/':
 * "state_dict/model.transformer.blocks.0.attn.to_q.weight" for a Lightning
 * checkpoint, "model/unet.encoder.bn.weight" for RMVPE, "generator/conv_pre.weight"
 * for the vocoder, and the bare key for a flat state dict or a safetensors file.
 *
 * List items are named by index ("x/list/0"). A file without tensors is an
 * error. Errors name the file (and the tensor or record) and say what was
 * expected. docs/formats.md describes the formats and every check.
 */
#pragma once

#include "tensor.h"
#include "value.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct rift_weights rift_weights;

rift_weights *rift_weights_open(const char *path, GError **err);
/* Same, from memory (the fuzz target); `name` is used in messages. */
rift_weights *rift_weights_open_bytes(GBytes *bytes, const char *name, GError **err);
void rift_weights_free(rift_weights *w);

const char *rift_weights_path(const rift_weights *w);
/* "torch" or "safetensors" */
const char *rift_weights_format(const rift_weights *w);

guint rift_weights_count(const rift_weights *w);
const rift_tensor *rift_weights_nth(const rift_weights *w, guint i);
const rift_tensor *rift_weights_find(const rift_weights *w, const char *name);

/* The root object: for torch files the unpickled tree (tensors appear as
 * TENSOR values); for safetensors a dict of the __metadata__ strings. */
const rift_value *rift_weights_meta(const rift_weights *w);

/* Binding for model loaders: look up `prefix` + name, check dtype and shape
 * (-1 = any size), mark it used. On failure:
 *   "<file>: tensor '<name>' has wrong shape; expected F32 [64, 64], got F32 [64, 32]"
 *   "<file>: tensor '<name>' is missing"                                          */
const rift_tensor *rift_weights_take(rift_weights *w, const char *prefix, const char *name,
                                     rift_dtype dt, int ndim, const int64_t *shape, GError **err);
/* Full names under `prefix` (NULL: all) not taken yet, in file order
 * (NULL-terminated, g_strfreev it). */
char **rift_weights_unused(const rift_weights *w, const char *prefix);

G_END_DECLS
