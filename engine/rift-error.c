#include "rift-error.h"

G_DEFINE_QUARK(rift-error-quark, rift_error)
