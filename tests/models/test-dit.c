/* test-dit.c — the DiT forward against upstream (tests/fixtures/dit):
 * out within max-abs 1e-4 / rel-L2 1e-5, and each intermediate the fixture
 * stores (dbg.*) within rel-L2 1e-5, so a failure points at its layer.
 * With a reduced precision (the blocks' Linears in bf16 / fp16, fp32 sums:
 * rift_dit_set_precision) only out is compared, within max-abs 2e-2 /
 * rel-L2 1e-2 of the fp32 reference (docs/performance.md: what was measured;
 * a precision the backend lacks is a skip).
 * Usage: test-dit CASE [cpu|cuda] [fp32|bf16|fp16]
 * (case1_forward, case2_forward_skip) */
#include "dit.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    rift_weights *ref;
    int64_t B, T;
} dbg_ctx;

/* Each hook dump compared with the fixture's dbg.<name> when it has one. */
static void on_debug(const char *name, const float *data, int64_t rows, int64_t cols,
                     gpointer user)
{
    dbg_ctx *c = user;
    char *key = g_strdup_printf("dbg.%s", name);
    if (rift_weights_find(c->ref, key)) {
        int64_t n;
        float *want = rift_test_tensor_f32(c->ref, key, &n);
        if (want && rift_test_true(n == rows * cols, "%s has %" G_GINT64_FORMAT " values", key, n))
            rift_test_check(key, data, want, n, 1e-3, 1e-5);
        g_free(want);
    }
    g_free(key);
}

static float *f32(rift_weights *w, const char *name)
{
    return rift_test_tensor_f32(w, name, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (argc > 2 && !rift_backend_kind_from_string(argv[2], &kind))
        return 2;
    rift_precision prec = RIFT_PRECISION_FP32;
    if (argc > 3 && !rift_precision_from_string(argv[3], &prec))
        return 2;
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why))
        return rift_test_skip("CUDA backend: %s", why);

    char *rel = g_strdup_printf("dit/%s.safetensors", argv[1]);
    rift_weights *ref = rift_test_open(rel);
    g_free(rel);
    char *model = rift_test_fixture("dit/model.ckpt");
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    rift_dit *dit = be ? rift_dit_load_file(model, be, &err) : NULL;
    g_free(model);
    if (!rift_test_true(ref && dit, "load case and model%s%s", err ? ": " : "",
                        err ? err->message : "")) {
        g_clear_error(&err);
        return rift_test_exit();
    }
    if (!rift_backend_supports_precision(be, prec, &err))
        return rift_test_skip("%s", err->message);
    if (!rift_test_true(rift_dit_set_precision(dit, prec, &err), "set precision %s%s%s",
                        argv[3], err ? ": " : "", err ? err->message : ""))
        return rift_test_exit();

    const rift_tensor *tx = rift_weights_find(ref, "x");
    const int64_t B = tx->shape[0], T = tx->shape[1], M = tx->shape[2];
    float *spk_f = f32(ref, "spk"), *drop_f = f32(ref, "drop_speaker"), *len_f = f32(ref, "frame_len");
    int64_t spk[16];
    gboolean drop[16];
    int32_t len[16];
    for (int64_t b = 0; b < B && b < 16; b++) {
        spk[b] = (int64_t)spk_f[b];
        drop[b] = drop_f[b] != 0.0f;
        len[b] = (int32_t)len_f[b];
    }
    int skip[8], n_skip = 0;
    const char *sl = rift_value_as_str(rift_value_get(rift_weights_meta(ref), "skip_layers"));
    if (sl && strcmp(sl, "null")) {
        rift_value *v = rift_value_from_json(sl, -1, "skip_layers", NULL);
        for (guint i = 0; v && i < rift_value_len(v) && n_skip < 8; i++) {
            int64_t l;
            if (rift_value_as_int(rift_value_index(v, i), &l))
                skip[n_skip++] = (int)l;
        }
        rift_value_free(v);
    }
    float *x = f32(ref, "x"), *f0 = f32(ref, "f0"), *rms = f32(ref, "rms");
    float *cvec = f32(ref, "cvec"), *time = f32(ref, "time"), *want = f32(ref, "out");
    rift_dit_input in = {.B = B, .T = T, .x = x, .f0 = f0, .rms = rms, .cvec = cvec,
                         .time = time, .spk = spk, .drop_speaker = drop, .frame_len = len,
                         .skip_layers = skip, .n_skip = n_skip};
    dbg_ctx dc = {ref, B, T};
    if (prec == RIFT_PRECISION_FP32)
        rift_dit_set_debug(dit, on_debug, &dc);
    float *out = g_new(float, B * T * M);
    if (rift_test_true(rift_dit_forward(dit, &in, out, &err), "forward%s%s", err ? ": " : "",
                       err ? err->message : ""))
        rift_test_check("out", out, want, B * T * M, prec == RIFT_PRECISION_FP32 ? 1e-4 : 2e-2,
                        prec == RIFT_PRECISION_FP32 ? 1e-5 : 1e-2);
    g_clear_error(&err);

    g_free(out);
    float *bufs[] = {spk_f, drop_f, len_f, x, f0, rms, cvec, time, want};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    rift_dit_free(dit);
    rift_backend_unref(be);
    rift_weights_free(ref);
    return rift_test_exit();
}
