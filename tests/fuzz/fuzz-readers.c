/* fuzz-readers.c — libFuzzer target for the model file and JSON readers:
 * every input goes through rift_weights_open_bytes() (torch zip + unpickler,
 * safetensors), rift_value_from_json() and, bare, the unpickler (a pickle
 * inside a zip is reached less often). Whatever opens is walked in full
 * (every tensor byte read, the tree printed) so that a view past the input
 * or a broken tree shows up under AddressSanitizer.
 *
 * Built with -Dfuzz=enabled by clang; tests/fuzz/run-fuzz.sh seeds and runs
 * it (docs/formats.md).
 */
#include "io-private.h"

#include <stdint.h>

static guint8 touch_tensors(const rift_weights *w)
{
    guint8 sum = 0;
    for (guint i = 0; i < rift_weights_count(w); i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        const guint8 *p = t->data;
        for (size_t k = 0; k < rift_tensor_nbytes(t); k++)
            sum ^= p[k];
        sum ^= (guint8)(rift_weights_find(w, t->name) != NULL);
    }
    return sum;
}

static void fuzz_weights(const uint8_t *data, size_t size)
{
    GBytes *bytes = g_bytes_new_static(data, size);
    rift_weights *w = rift_weights_open_bytes(bytes, "fuzz", NULL);
    if (w) {
        volatile guint8 sink = touch_tensors(w);
        (void)sink;
        char *text = rift_value_to_string(rift_weights_meta(w), TRUE);
        char **unused = rift_weights_unused(w, "state_dict/");
        g_strfreev(unused);
        g_free(text);
    }
    rift_weights_free(w);
    g_bytes_unref(bytes);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
    rift_value *v = rift_value_from_json((const char *)data, (gssize)size, "fuzz", NULL);
    char *text = v ? rift_value_to_string(v, FALSE) : NULL;
    g_free(text);
    rift_value_free(v);
}

static void fuzz_pickle(const uint8_t *data, size_t size)
{
    rift_value *v = rift_pickle_load(data, size, "fuzz", NULL);
    char *text = v ? rift_value_to_string(v, FALSE) : NULL;
    g_free(text);
    rift_value_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_weights(data, size);
    fuzz_json(data, size);
    fuzz_pickle(data, size);
    return 0;
}
