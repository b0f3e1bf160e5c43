/* test-interp.c — infer.py's content-vector handling (tests/fixtures/dit,
 * case4_cvec_ds): HuBERT frames interpolated to mel frames, and bad_cvec
 * for ds guidance at rates 2 and 3; max-abs 1e-5, rel-L2 2e-5. Combo d
 * (N=3, T=5) is the size-1 edge. The README allows 1e-4; we hold 1e-5,
 * which a float32 source position (3e-5 off) would already fail. */
#include "interp.h"
#include "testutil.h"

static void check_combo(rift_weights *w, const char *tag)
{
    char key[64];
    int64_t n_h, n_c;
    g_snprintf(key, sizeof key, "%s.cvec_hubert", tag);
    float *hub = rift_test_tensor_f32(w, key, &n_h);
    const rift_tensor *th = rift_weights_find(w, key);
    g_snprintf(key, sizeof key, "%s.cvec", tag);
    float *want = rift_test_tensor_f32(w, key, &n_c);
    const rift_tensor *tc = rift_weights_find(w, key);
    if (!hub || !want) {
        g_free(hub);
        g_free(want);
        return;
    }
    const int64_t N = th->shape[0], C = th->shape[1], T = tc->shape[0];
    float *cvec = g_new(float, T * C), *bad = g_new(float, T * C);
    rift_interp_linear(cvec, T, hub, N, C);
    rift_test_check(key, cvec, want, T * C, 1e-5, 2e-5);
    for (int rate = 2; rate <= 3; rate++) {
        g_snprintf(key, sizeof key, "%s.cvec_ds_rate%d", tag, rate);
        float *ref = rift_test_tensor_f32(w, key, NULL);
        rift_bad_cvec(bad, want, T, C, rate);
        if (ref)
            rift_test_check(key, bad, ref, T * C, 1e-5, 2e-5);
        g_free(ref);
    }
    g_free(cvec);
    g_free(bad);
    g_free(hub);
    g_free(want);
}

int main(void)
{
    rift_weights *w = rift_test_open("dit/case4_cvec_ds.safetensors");
    if (w) {
        const char *tags[] = {"a", "b", "c", "d"};
        for (guint i = 0; i < G_N_ELEMENTS(tags); i++)
            check_combo(w, tags[i]);
        rift_weights_free(w);
    }
    return rift_test_exit();
}
