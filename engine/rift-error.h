/* rift-error.h — the engine's error domain.
 *
 * Every engine function that can fail takes a GError ** last and returns
 * FALSE/NULL on failure. Messages name the function's object (file, tensor,
 * op, parameter) and say what was expected, so that an element can pass them
 * to GST_ELEMENT_ERROR unchanged. Nothing in the engine exits or aborts on
 * bad data.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RIFT_ERROR (rift_error_quark())
GQuark rift_error_quark(void);

typedef enum {
    RIFT_ERROR_IO,          /* a file could not be opened, mapped or read */
    RIFT_ERROR_FORMAT,      /* a file is not what it claims to be, or is truncated */
    RIFT_ERROR_SHAPE,       /* a tensor has the wrong shape or dtype */
    RIFT_ERROR_MISSING,     /* a required tensor or key is absent */
    RIFT_ERROR_ARG,         /* an argument or parameter is out of range */
    RIFT_ERROR_BACKEND,     /* the compute backend failed (CUDA error, out of memory) */
    RIFT_ERROR_UNSUPPORTED, /* valid input that this build cannot handle */
} RiftErrorCode;

G_END_DECLS
