/* safetensors.h — write a safetensors file (reading goes through weights.h).
 * Format: u64 little-endian header size, JSON header {name: {dtype, shape,
 * data_offsets}, "__metadata__": {str: str}}, then the raw data. */
#pragma once

#include "tensor.h"

#include <glib.h>

G_BEGIN_DECLS

/* tensors: host tensors with names. metadata: NULL or a string->string table. */
gboolean rift_safetensors_write(const char *path, rift_tensor *const *tensors, guint n,
                                GHashTable *metadata, GError **err);

G_END_DECLS
