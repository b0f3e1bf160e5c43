/* test-mel.c — the log-mel and RMS against upstream's fixtures
 * (tests/fixtures/mel/README.md gives the tolerances used here):
 *   filterbank  vs mel_basis             max-abs 1e-6
 *   STFT        vs mag_first64           rel-L2 1e-5
 *   mel         vs mel (each input)      max-abs 5e-3, rel-L2 5e-5; max-abs 1e-4 where ref > -7
 *   rms         vs rms                   max-abs 1e-6, rel-L2 1e-6
 * Usage: test-mel filterbank | stft | CASE (sing_44k, phrases_44k, speech_44k) [cpu|cuda] */
#include "mel.h"
#include "ops.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void test_filterbank(void)
{
    rift_weights *w = rift_test_open("mel/mel_filterbank.safetensors");
    if (!w)
        return;
    rift_mel_params p = rift_mel_params_default();
    int64_t n;
    float *ref = rift_test_tensor_f32(w, "mel_basis", &n);
    float *basis = rift_mel_filterbank(&p);
    if (ref && rift_test_true(n == 128 * 1025, "mel_basis has 128x1025 values"))
        rift_test_check("mel_basis", basis, ref, n, 1e-6, 1e-6);
    float *ref_win = rift_test_tensor_f32(w, "hann_window", &n);
    float *win = rift_mel_window(&p);
    if (ref_win && rift_test_true(n == 2048, "hann_window has 2048 values"))
        rift_test_check("hann_window", win, ref_win, n, 1e-7, 1e-7);
    g_free(basis);
    g_free(win);
    g_free(ref);
    g_free(ref_win);
    rift_weights_free(w);
}

/* The linear magnitude of the first 64 frames, before the filterbank. */
static void test_stft(rift_backend *be)
{
    rift_weights *w = rift_test_open("mel/sing_44k.safetensors");
    if (!w)
        return;
    int64_t n, n_ref;
    float *audio = rift_test_tensor_f32(w, "audio", &n);
    float *ref = rift_test_tensor_f32(w, "mag_first64", &n_ref); /* [1025, 64] */
    if (audio && ref) {
        rift_mel_params p = rift_mel_params_default();
        const int64_t T = 64, bins = 1025, pad = 768;
        float *win = rift_mel_window(&p);
        float *padded = g_new(float, n + 2 * pad), *mag = g_new(float, T * bins);
        float *mag_t = g_new(float, T * bins);
        float *d_x = rift_backend_alloc(be, (n + 2 * pad) * sizeof(float));
        float *d_pad = rift_backend_alloc(be, (n + 2 * pad) * sizeof(float));
        float *d_win = rift_backend_alloc(be, 2048 * sizeof(float));
        float *d_mag = rift_backend_alloc(be, T * bins * sizeof(float));
        rift_backend_upload(be, d_x, audio, n * sizeof(float));
        rift_backend_upload(be, d_win, win, 2048 * sizeof(float));
        rift_op_reflect_pad(be, d_pad, d_x, n, pad);
        rift_op_stft_magnitude(be, d_mag, d_pad, T, 2048, 512, d_win, 1e-9f);
        rift_backend_download(be, mag, d_mag, T * bins * sizeof(float));
        GError *err = NULL;
        if (rift_test_true(rift_backend_sync(be, &err), "stft ran%s%s", err ? ": " : "",
                           err ? err->message : "")) {
            for (int64_t t = 0; t < T; t++)
                for (int64_t k = 0; k < bins; k++)
                    mag_t[k * T + t] = mag[t * bins + k];
            rift_test_check("mag_first64", mag_t, ref, T * bins, 1e-2, 1e-5);
        }
        g_clear_error(&err);
        float *bufs[] = {d_x, d_pad, d_win, d_mag};
        for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
            rift_backend_free_mem(be, bufs[i]);
        g_free(win);
        g_free(padded);
        g_free(mag);
        g_free(mag_t);
    }
    g_free(audio);
    g_free(ref);
    rift_weights_free(w);
}

static void test_case(rift_backend *be, const char *name)
{
    char *rel = g_strdup_printf("mel/%s.safetensors", name);
    rift_weights *w = rift_test_open(rel);
    g_free(rel);
    if (!w)
        return;
    int64_t n, n_mel, n_rms;
    float *audio = rift_test_tensor_f32(w, "audio", &n);
    float *ref_mel = rift_test_tensor_f32(w, "mel", &n_mel); /* [128, T] */
    float *ref_rms = rift_test_tensor_f32(w, "rms", &n_rms);
    GError *err = NULL;
    rift_mel_params p = rift_mel_params_default();
    rift_mel *m = rift_mel_new(be, &p, &err);
    if (audio && ref_mel && ref_rms && m) {
        const int64_t T = rift_mel_n_frames(m, n);
        rift_test_true(T == n_rms && T * 128 == n_mel, "%s: T = n / 512 = %" G_GINT64_FORMAT,
                       name, T);
        float *mel = g_new(float, T * 128), *mel_t = g_new(float, T * 128);
        float *rms = g_new(float, T);
        if (rift_test_true(rift_mel_compute(m, audio, n, mel, rms, &err), "%s: mel computed%s%s",
                           name, err ? ": " : "", err ? err->message : "")) {
            for (int64_t t = 0; t < T; t++)
                for (int64_t k = 0; k < 128; k++)
                    mel_t[k * T + t] = mel[t * 128 + k];
            char *label = g_strdup_printf("%s mel", name);
            rift_test_check(label, mel_t, ref_mel, T * 128, 5e-3, 5e-5);
            g_free(label);
            /* the loud bands must match much more tightly than the floor */
            double loud_max = 0;
            for (int64_t i = 0; i < T * 128; i++)
                if (ref_mel[i] > -7.0f)
                    loud_max = fmax(loud_max, fabs(mel_t[i] - ref_mel[i]));
            rift_test_true(loud_max <= 1e-4, "%s mel where ref > -7: max-abs %.2e <= 1e-4", name,
                           loud_max);
            label = g_strdup_printf("%s rms", name);
            rift_test_check(label, rms, ref_rms, T, 1e-6, 1e-6);
            g_free(label);
        }
        g_free(mel);
        g_free(mel_t);
        g_free(rms);
    } else if (!m) {
        rift_test_true(FALSE, "rift_mel_new: %s", err->message);
    }
    g_clear_error(&err);
    rift_mel_free(m);
    g_free(audio);
    g_free(ref_mel);
    g_free(ref_rms);
    rift_weights_free(w);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-mel filterbank|stft|CASE [cpu|cuda]\n");
        return 2;
    }
    rift_backend_kind kind = RIFT_BACKEND_CPU;
    if (argc > 2 && !rift_backend_kind_from_string(argv[2], &kind))
        return 2;
    char *why = NULL;
    if (kind == RIFT_BACKEND_CUDA && !rift_backend_cuda_available(&why))
        return rift_test_skip("CUDA backend: %s", why);
    if (!strcmp(argv[1], "filterbank")) {
        test_filterbank();
        return rift_test_exit();
    }
    GError *err = NULL;
    rift_backend *be = rift_backend_new(kind, -1, &err);
    if (!be) {
        rift_test_true(FALSE, "backend: %s", err->message);
        return rift_test_exit();
    }
    if (!strcmp(argv[1], "stft"))
        test_stft(be);
    else
        test_case(be, argv[1]);
    rift_backend_unref(be);
    return rift_test_exit();
}
