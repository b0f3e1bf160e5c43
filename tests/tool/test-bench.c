/* test-bench.c — `rift-tool bench ENTRY` at tiny sizes, one run, as a user
 * runs it (a separate process): its result line must carry every key
 * docs/performance.md promises, with values that agree with each other
 * (gflops = gflop / time_s, ratio = gflops / peak_gflops, rtf = time_s /
 * seconds, a conversion's stage times within its total, robust-f0's three
 * parts adding up to its total) and, for the
 * vocoder, the FLOP count of the model's layers computed here. No timing
 * is asserted.
 *
 * Usage: test-bench ENTRY [json] [-- FLAGS]   ($RIFT_TOOL is the binary) */
#include "testutil.h"
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* every result */
static const char *const machine_keys[] = {"peak_gflops", "backend", "blas", "kernels",
                                           "threads", "rss_mb"};
/* every stage and the conversion */
static const char *const speed_keys[] = {"time_s", "gflop", "gflops", "ratio", "rtf"};
static const char *const conversion_stages[] = {"dsp_s", "mel_s",  "f0_s",
                                                "cvec_s", "dit_s", "vocoder_s"};

/* the last line of `rift-tool bench entry --backend cpu --runs 1 flags` */
static char *run_bench(const char *entry, gboolean json, char **flags)
{
    GPtrArray *argv = g_ptr_array_new();
    const char *tool = g_getenv("RIFT_TOOL");
    g_ptr_array_add(argv, (char *)(tool ? tool : "rift-tool"));
    const char *fixed[] = {"bench", entry, "--backend", "cpu", "--runs", "1"};
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (char *)fixed[i]);
    for (char **f = flags; f && *f; f++)
        g_ptr_array_add(argv, *f);
    if (json)
        g_ptr_array_add(argv, "--json");
    g_ptr_array_add(argv, NULL);

    char *cmd = g_strjoinv(" ", (char **)argv->pdata), *out = NULL, *line = NULL;
    printf("$ %s\n", cmd);
    fflush(stdout);
    int status = -1;
    GError *err = NULL;
    const gboolean spawned = g_spawn_sync(NULL, (char **)argv->pdata, NULL, 0, NULL, NULL, &out,
                                          NULL, &status, &err);
    if (rift_test_true(spawned && g_spawn_check_wait_status(status, NULL),
                       "rift-tool bench %s exits 0%s%s", entry, err ? ": " : "",
                       err ? err->message : "")) {
        printf("%s", out);
        char **lines = g_strsplit(g_strstrip(out), "\n", -1);
        const guint n = g_strv_length(lines);
        line = n ? g_strdup(lines[n - 1]) : NULL;
        g_strfreev(lines);
    }
    g_clear_error(&err);
    g_free(out);
    g_free(cmd);
    g_ptr_array_unref(argv);
    return line;
}

/* `key=value key="text with spaces"` -> key -> value */
static GHashTable *parse_text(const char *line)
{
    GHashTable *kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const char *p = line;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *eq = strchr(p, '=');
        if (!*p || !eq)
            break;
        char *key = g_strndup(p, eq - p);
        const char *v = eq + 1, *end;
        if (*v == '"') {
            end = strchr(v + 1, '"');
            end = end ? end : v + strlen(v);
            g_hash_table_replace(kv, key, g_strndup(v + 1, end - v - 1));
            p = *end ? end + 1 : end;
        } else {
            end = strchr(v, ' ');
            end = end ? end : v + strlen(v);
            g_hash_table_replace(kv, key, g_strndup(v, end - v));
            p = end;
        }
    }
    return kv;
}

/* one JSON object -> the same table (numbers printed back) */
static GHashTable *parse_json(const char *line)
{
    GHashTable *kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GError *err = NULL;
    rift_value *v = rift_value_from_json(line, -1, "bench output", &err);
    if (rift_test_true(v && rift_value_get_type(v) == RIFT_VAL_DICT, "output is a JSON object%s%s",
                       err ? ": " : "", err ? err->message : "")) {
        for (guint i = 0; i < rift_value_len(v); i++) {
            const rift_value *val = rift_value_value_at(v, i);
            const char *s = rift_value_as_str(val);
            double d;
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            if (!s && rift_value_as_double(val, &d))
                s = g_ascii_dtostr(buf, sizeof buf, d);
            g_hash_table_replace(kv, g_strdup(rift_value_as_str(rift_value_key_at(v, i))),
                                 g_strdup(s ? s : ""));
        }
    }
    g_clear_error(&err);
    rift_value_free(v);
    return kv;
}

/* the number under key, NAN (and a failed check) when missing */
static double num(GHashTable *kv, const char *key)
{
    const char *s = g_hash_table_lookup(kv, key);
    char *end = NULL;
    const double v = s ? g_ascii_strtod(s, &end) : NAN;
    rift_test_true(s && end && *end == '\0' && isfinite(v), "%s=%s is a number", key,
                   s ? s : "(missing)");
    return v;
}

/* a == b within the rounding of the printed values: |a − b| <= abs + rel·|b| */
static void agree(const char *what, double a, double b, double rel, double abs)
{
    rift_test_true(fabs(a - b) <= abs + rel * fabs(b), "%s: %.6g vs %.6g (rel %.1e, abs %.1e)",
                   what, a, b, rel, abs);
}

/* NSF-HiFiGAN with initial channels C0 and upstream's layer lists on T
 * frames: conv_pre, and per stage the transposed conv, the noise conv and
 * the 3·3 pairs of resblock convs, then conv_post and the source's Linear */
static double vocoder_flops(double C0, double T)
{
    const double rate[5] = {8, 8, 2, 2, 2}, up_k[5] = {16, 16, 4, 4, 4};
    const double taps = 3 + 7 + 11; /* resblock kernels, each with 3 dilations of 2 convs */
    double f = 2 * 7 * 128 * C0 * T, L = T;
    for (int i = 0; i < 5; i++) {
        const double cin = C0 / pow(2, i), c = C0 / pow(2, i + 1);
        double after = 1;
        for (int j = i + 1; j < 5; j++)
            after *= rate[j];
        f += 2 * up_k[i] * cin * c * L;
        L *= rate[i];
        f += 2 * (i < 4 ? 2 * after : 1) * c * L + 2 * taps * 3 * 2 * c * c * L;
    }
    return f + 2 * 7 * (C0 / 32) * L + 2 * 9 * L;
}

static void check(const char *entry, GHashTable *kv, char **flags)
{
    rift_test_true(!g_strcmp0(g_hash_table_lookup(kv, "bench"), entry), "bench=%s",
                   (const char *)g_hash_table_lookup(kv, "bench"));
    for (guint i = 0; i < G_N_ELEMENTS(machine_keys); i++) {
        const char *v = g_hash_table_lookup(kv, machine_keys[i]);
        rift_test_true(v && *v && strcmp(v, "?"), "%s=\"%s\" is set", machine_keys[i],
                       v ? v : "(missing)");
    }
    const double peak = num(kv, "peak_gflops");
    rift_test_true(peak > 0 && num(kv, "rss_mb") > 0 && num(kv, "threads") >= 1,
                   "peak_gflops, rss_mb, threads > 0");
    if (!strcmp(entry, "peak"))
        return;
    if (!strcmp(entry, "robust-f0")) {
        /* CPU DSP in double: no FLOP count, its three parts and their sum */
        const double parts = num(kv, "dio_stonemask_s") + num(kv, "praat_s") +
                             num(kv, "ensemble_s"), time_s = num(kv, "time_s");
        rift_test_true(num(kv, "dio_stonemask_s") > 0 && num(kv, "praat_s") > 0,
                       "dio_stonemask_s, praat_s > 0");
        agree("time_s = dio_stonemask_s + praat_s + ensemble_s", time_s, parts, 0, 2e-4);
        agree("rtf = time_s / seconds", num(kv, "rtf"), time_s / num(kv, "seconds"),
              5e-5 / time_s + 1e-3, 5e-5);
        return;
    }

    double v[G_N_ELEMENTS(speed_keys)];
    for (guint i = 0; i < G_N_ELEMENTS(speed_keys); i++) {
        v[i] = num(kv, speed_keys[i]);
        rift_test_true(v[i] > 0, "%s > 0", speed_keys[i]);
    }
    const double time_s = v[0], gflop = v[1], gflops = v[2], ratio = v[3], rtf = v[4];
    /* printed as time_s %.4f, gflop %.3f, gflops %.1f, ratio %.3f, rtf
     * %.4f, peak %.1f: tiny runs round coarsely */
    const double t_rel = 5e-5 / time_s, g_rel = 5e-4 / gflop;
    agree("gflops = gflop / time_s", gflops, gflop / time_s, 1e-3 + t_rel + g_rel, 0.05);
    agree("ratio = gflops / peak_gflops", ratio, gflops / peak, 0.05 / gflops + 0.05 / peak, 5e-4);
    if (g_hash_table_contains(kv, "seconds"))
        agree("rtf = time_s / seconds", rtf, time_s / num(kv, "seconds"), t_rel + 1e-3, 5e-5);
    if (g_hash_table_contains(kv, "ok"))
        rift_test_true(!strcmp(g_hash_table_lookup(kv, "ok"), "yes"), "ok=yes");

    if (!strcmp(entry, "vocoder")) {
        const double C0 = num(kv, "channels"), T = num(kv, "frames");
        agree("vocoder gflop from the layer list", gflop, vocoder_flops(C0, T) / 1e9, 1e-3, 5e-4);
        agree("rtf = time_s / audio", rtf, time_s / (T * 512 / 44100.0), t_rel + 1e-3, 5e-5);
    }
    if (!strcmp(entry, "conversion")) {
        double sum = 0;
        for (guint i = 0; i < G_N_ELEMENTS(conversion_stages); i++) {
            const double t = num(kv, conversion_stages[i]);
            rift_test_true(t >= 0, "%s >= 0", conversion_stages[i]);
            sum += t;
        }
        rift_test_true(sum <= time_s * 1.01 + 0.01 && sum >= time_s * 0.5,
                       "the stages' %.3f s are most of the total %.4f s", sum, time_s);
        rift_test_true(num(kv, "segments") >= 1 && num(kv, "out_rms") > 0 &&
                           num(kv, "weights_mb") > 0,
                       "segments, out_rms, weights_mb > 0");
        /* the flags' batch size reaches the report */
        for (char **f = flags; f && f[0] && f[1]; f++)
            if (!strcmp(f[0], "--batch-size"))
                agree("batch_size", num(kv, "batch_size"), g_ascii_strtod(f[1], NULL), 0, 0);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-bench ENTRY [json] [-- FLAGS]\n");
        return 2;
    }
    const gboolean json = argc > 2 && !strcmp(argv[2], "json");
    char **flags = NULL;
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            flags = argv + i + 1;
            break;
        }
    char *line = run_bench(argv[1], json, flags);
    if (line) {
        GHashTable *kv = json ? parse_json(line) : parse_text(line);
        check(argv[1], kv, flags);
        g_hash_table_unref(kv);
    }
    g_free(line);
    return rift_test_exit();
}
