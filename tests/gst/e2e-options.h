/* e2e-options.h — the infer.py options an end-to-end reference was made
 * with (its __metadata__, tests/fixtures/e2e/README.md), as the rift chain
 * takes them. riftsvc's properties are infer.py's options with '-' for '_'
 * (docs/elements.md "riftsvc"), each owned by one of its children mel, f0,
 * dit and vocoder, the elements of the explicit chain; rift-tool infer
 * takes them as --options. Shared by test-e2e.c and test-riftsvc.c. */
#pragma once

#include "weights.h"

#include <glib.h>

G_BEGIN_DECLS

/* `name="value" ...` for a launch line: the options owned by `child`
 * ("mel", "f0", "dit", "vocoder"), or all of them for riftsvc when NULL.
 * An option whose value is "null" (None upstream: the default) is left
 * out; one missing from the metadata fails the run. */
gchar *e2e_launch_options (rift_weights * ref, const gchar * child);

/* The same as rift-tool infer arguments (--name value ...), appended to
 * `argv` as copies (give it g_free as its free function). */
void e2e_infer_args (rift_weights * ref, GPtrArray * argv);

G_END_DECLS
