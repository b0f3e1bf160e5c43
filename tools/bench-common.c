/* bench-common.c — timing, the sgemm peak, peak memory, the report line,
 * synthetic singing and random weights for every `rift-tool bench` entry
 * (bench.h). */
#include "bench.h"
#include "safetensors.h"

#include <cblas.h>
#include <glib/gstdio.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- measuring ------------------------------------------------------------ */

double bench_now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
    qsort(v, n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_time_median(void (*fn)(gpointer), gpointer data, int runs)
{
    fn(data);
    double *t = g_new(double, runs);
    for (int i = 0; i < runs; i++) {
        const double t0 = bench_now();
        fn(data);
        t[i] = bench_now() - t0;
    }
    const double med = bench_median(t, runs);
    g_free(t);
    return med;
}

double bench_rss_mb(const char *field)
{
    char *status = NULL, *key = g_strconcat("\n", field, ":", NULL);
    double mb = 0;
    if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        const char *p = strstr(status, key);
        if (p)
            mb = g_ascii_strtod(p + strlen(key), NULL) / 1024.0; /* kB */
        g_free(status);
    }
    g_free(key);
    return mb;
}

double bench_peak_rss_mb(void)
{
    return bench_rss_mb("VmHWM");
}

typedef struct {
    int64_t M, N, K;
    float *A, *B, *C;
} sgemm_case;

static void run_sgemm(gpointer data)
{
    sgemm_case *c = data;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)c->M, (blasint)c->N,
                (blasint)c->K, 1.0f, c->A, (blasint)c->K, c->B, (blasint)c->K, 0.0f, c->C,
                (blasint)c->N);
}

/* a few runs each of the DiT's two MLP products at 10 s and a square one */
double bench_sgemm_peak(int runs)
{
    const int64_t shapes[][3] = {{2583, 3072, 768}, {2583, 768, 3072}, {2048, 2048, 2048}};
    double best = 0;
    for (guint i = 0; i < G_N_ELEMENTS(shapes); i++) {
        sgemm_case c = {.M = shapes[i][0], .N = shapes[i][1], .K = shapes[i][2]};
        c.A = g_new(float, c.M * c.K);
        c.B = g_new(float, c.N * c.K);
        c.C = g_new(float, c.M * c.N);
        for (int64_t j = 0; j < c.M * c.K; j++)
            c.A[j] = (float)((j * 7919) % 1000) / 1000.0f - 0.5f;
        for (int64_t j = 0; j < c.N * c.K; j++)
            c.B[j] = (float)((j * 104729) % 1000) / 1000.0f - 0.5f;
        const double t = bench_time_median(run_sgemm, &c, MAX(runs, 3));
        best = MAX(best, 2.0 * c.M * c.N * c.K / t / 1e9);
        g_free(c.A);
        g_free(c.B);
        g_free(c.C);
    }
    return best;
}

/* ---- reporting -------------------------------------------------------------- */

void bench_report_begin(bench_report *r, const char *bench, gboolean json)
{
    r->line = g_string_new(json ? "{" : "");
    r->json = json;
    if (json)
        g_string_append_printf(r->line, "\"bench\": \"%s\"", bench);
    else
        g_string_append_printf(r->line, "bench=%s", bench);
}

void bench_report_num(bench_report *r, const char *key, double v, const char *fmt)
{
    char num[64];
    g_snprintf(num, sizeof num, fmt, v);
    g_string_append_printf(r->line, r->json ? ", \"%s\": %s" : " %s=%s", key, num);
}

void bench_report_str(bench_report *r, const char *key, const char *v)
{
    g_string_append_printf(r->line, r->json ? ", \"%s\": \"%s\"" : " %s=\"%s\"", key, v);
}

void bench_report_end(bench_report *r)
{
    if (r->json)
        g_string_append(r->line, "}");
    printf("%s\n", r->line->str);
    fflush(stdout);
    g_string_free(r->line, TRUE);
}

void bench_report_speed(bench_report *r, double time_s, double flop, double peak,
                        double audio_s)
{
    bench_report_num(r, "time_s", time_s, "%.4f");
    if (flop > 0) {
        bench_report_num(r, "gflop", flop / 1e9, "%.3f");
        bench_report_num(r, "gflops", flop / time_s / 1e9, "%.1f");
        bench_report_num(r, "ratio", flop / time_s / 1e9 / peak, "%.3f");
    }
    bench_report_num(r, "rtf", time_s / audio_s, "%.4f");
}

void bench_report_machine(bench_report *r, rift_backend *be, double peak)
{
    bench_report_num(r, "peak_gflops", peak, "%.1f");
    bench_report_str(r, "backend", rift_backend_describe(be));
    bench_report_str(r, "blas", rift_backend_blas(be));
    bench_report_str(r, "kernels", rift_backend_kernels(be));
    bench_report_num(r, "threads", omp_get_max_threads(), "%.0f");
    bench_report_num(r, "rss_mb", bench_peak_rss_mb(), "%.0f");
    if (rift_backend_get_kind(be) == RIFT_BACKEND_CUDA)
        bench_report_num(r, "device_peak_mb", rift_backend_peak_memory(be) / 1048576.0, "%.0f");
}

/* ---- synthetic singing -------------------------------------------------------- */

/* Phrases of notes of NOTE_S seconds, each followed by SILENCE_S of silence;
 * their lengths cycle through phrase_s. The third, sung from 8.2 s to
 * 60.2 s, fills the second 30 s piece: any conversion of 60 s or more meets
 * a segment as long as the slicer's window (the most memory a segment
 * takes), and the first piece has three segments. */
static const double phrase_s[] = {4.0, 3.0, 52.0, 9.0, 6.0, 14.0};
#define SILENCE_S 0.6
#define NOTE_S 0.5
#define HARMONICS 12
#define VIB_HZ 5.5    /* vibrato rate */
#define VIB_DEPTH 0.012 /* and depth (relative frequency) */
#define EDGE_S 0.01   /* raised-cosine fade at each note's ends */

/* the note at time t (s): its frequency and the time since it began, or
 * FALSE in a silence */
static gboolean note_at(double t, double *f, double *tn)
{
    static const int melody[16] = {0, 2, 4, 5, 7, 5, 4, 2, 7, 9, 7, 5, 4, 2, 0, -1};
    double period = 0.0;
    for (guint i = 0; i < G_N_ELEMENTS(phrase_s); i++)
        period += phrase_s[i] + SILENCE_S;
    const int64_t cycle = (int64_t)floor(t / period);
    double tp = t - (double)cycle * period;
    guint i = 0;
    while (tp >= phrase_s[i] + SILENCE_S) {
        tp -= phrase_s[i] + SILENCE_S;
        i++;
    }
    if (tp >= phrase_s[i])
        return FALSE;
    const int64_t p = cycle * (int64_t)G_N_ELEMENTS(phrase_s) + i; /* phrase number */
    const int64_t q = (int64_t)(tp / NOTE_S);
    *tn = tp - (double)q * NOTE_S;
    const int semis = melody[(p * 5 + q) % 16] + (int)(p % 3) * 2;
    *f = 220.0 * pow(2.0, semis / 12.0);
    return TRUE;
}

/* x(t) = env · Σₖ sin(k·φ)/k, φ = 2π·f·(tn + d/(2π·v)·(1 − cos 2π·v·tn)): the
 * phase of f·(1 + d·sin 2π·v·tn); sin(kφ) by the Chebyshev recurrence
 * sin kφ = 2·cos φ·sin (k−1)φ − sin (k−2)φ */
void bench_singing(float *x, int64_t start, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double f, tn;
        x[i] = 0.0f;
        if (!note_at((double)(start + i) / BENCH_RATE, &f, &tn))
            continue;
        const double w = 2.0 * G_PI * VIB_HZ;
        const double phi = 2.0 * G_PI * f * (tn + VIB_DEPTH / w * (1.0 - cos(w * tn)));
        const double c = cos(phi);
        double s1 = sin(phi), s0 = 0.0, sum = 0.0;
        for (int k = 1; k <= HARMONICS; k++) {
            sum += s1 / k;
            const double s2 = 2.0 * c * s1 - s0;
            s0 = s1;
            s1 = s2;
        }
        const double edge = MIN(tn, NOTE_S - tn) / EDGE_S;
        const double env = edge >= 1.0 ? 1.0 : 0.5 - 0.5 * cos(G_PI * edge);
        x[i] = (float)(0.2 * env * sum);
    }
}

double bench_singing_f0(int64_t start, int64_t t)
{
    double f, tn;
    if (!note_at((double)(start + t * BENCH_HOP + BENCH_HOP / 2) / BENCH_RATE, &f, &tn))
        return 0.0;
    return f * (1.0 + VIB_DEPTH * sin(2.0 * G_PI * VIB_HZ * tn));
}

/* ---- random numbers ------------------------------------------------------------ */

float bench_randn(guint64 *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u1 = ((double)(*s >> 11) + 1.0) / 9007199254740993.0;
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u2 = (double)(*s >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2));
}

void bench_fill_random(rift_backend *be, float *dst, int64_t n, double std, double mean)
{
    guint64 s = 42;
    float *h = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        h[i] = (float)(mean + std * bench_randn(&s));
    rift_backend_upload(be, dst, h, n * sizeof(float));
    rift_backend_sync(be, NULL);
    g_free(h);
}

/* ---- random weights -------------------------------------------------------------- */

typedef struct {
    double std, mean; /* std < 0: the caller's data */
} weight_dist;

static double total_bytes; /* bench_weights_total_mb */

void bench_weights_init(bench_weights *wb, const char *prefix, guint64 seed)
{
    wb->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
    wb->dist = g_array_new(FALSE, FALSE, sizeof(weight_dist));
    wb->prefix = prefix;
    wb->seed = seed;
}

void bench_weights_clear(bench_weights *wb)
{
    g_clear_pointer(&wb->tensors, g_ptr_array_unref);
    g_clear_pointer(&wb->dist, g_array_unref);
}

static void add_named(bench_weights *wb, const char *name, rift_tensor *t, double std,
                      double mean)
{
    char *full = g_strconcat(wb->prefix, name, NULL);
    rift_tensor_set_name(t, full);
    g_free(full);
    g_ptr_array_add(wb->tensors, t);
    g_array_append_val(wb->dist, ((weight_dist){std, mean}));
}

void bench_weights_take(bench_weights *wb, const char *name, rift_tensor *t)
{
    add_named(wb, name, t, -1.0, 0.0);
}

void bench_weights_add(bench_weights *wb, const char *name, int ndim, const int64_t *shape,
                       double std, double mean)
{
    add_named(wb, name, rift_tensor_view(RIFT_F32, ndim, shape, NULL), std, mean);
}

void bench_weights_add_linear(bench_weights *wb, const char *name, int64_t out, int64_t in)
{
    char *w = g_strconcat(name, ".weight", NULL), *b = g_strconcat(name, ".bias", NULL);
    bench_weights_add(wb, w, 2, (int64_t[]){out, in}, 1.0 / sqrt((double)in), 0.0);
    bench_weights_add(wb, b, 1, (int64_t[]){out}, 0.1, 0.0);
    g_free(w);
    g_free(b);
}

void bench_weights_add_normed(bench_weights *wb, const char *name, int64_t d0, int64_t d1,
                              int64_t k, double gain, int64_t out)
{
    char *v = g_strconcat(name, ".weight_v", NULL), *g = g_strconcat(name, ".weight_g", NULL);
    char *b = g_strconcat(name, ".bias", NULL);
    bench_weights_add(wb, v, 3, (int64_t[]){d0, d1, k}, 1.0, 0.0);
    bench_weights_add(wb, g, 3, (int64_t[]){d0, 1, 1}, 0.0, gain);
    bench_weights_add(wb, b, 1, (int64_t[]){out}, 0.1, 0.0);
    g_free(v);
    g_free(g);
    g_free(b);
}

gboolean bench_weights_write(bench_weights *wb, const char *path, GError **err)
{
    /* one pool per distribution, as large as its largest tensor */
    GArray *pools = g_array_new(FALSE, FALSE, sizeof(weight_dist));
    GPtrArray *data = g_ptr_array_new_with_free_func(g_free);
    guint *pool_of = g_new(guint, wb->tensors->len);
    GArray *size = g_array_new(FALSE, TRUE, sizeof(int64_t));
    for (guint i = 0; i < wb->tensors->len; i++) {
        const weight_dist d = g_array_index(wb->dist, weight_dist, i);
        if (d.std < 0)
            continue;
        guint p = 0;
        while (p < pools->len && (g_array_index(pools, weight_dist, p).std != d.std ||
                                  g_array_index(pools, weight_dist, p).mean != d.mean))
            p++;
        if (p == pools->len) {
            g_array_append_val(pools, d);
            g_array_set_size(size, pools->len);
        }
        pool_of[i] = p;
        int64_t *sz = &g_array_index(size, int64_t, p);
        *sz = MAX(*sz, rift_tensor_numel(wb->tensors->pdata[i]));
    }
    for (guint p = 0; p < pools->len; p++) {
        const weight_dist d = g_array_index(pools, weight_dist, p);
        const int64_t n = g_array_index(size, int64_t, p);
        float *v = g_new(float, n);
        for (int64_t j = 0; j < n; j++)
            v[j] = (float)(d.mean + d.std * bench_randn(&wb->seed));
        g_ptr_array_add(data, v);
    }
    for (guint i = 0; i < wb->tensors->len; i++) {
        rift_tensor *t = wb->tensors->pdata[i];
        if (g_array_index(wb->dist, weight_dist, i).std >= 0)
            t->data = data->pdata[pool_of[i]];
        total_bytes += (double)rift_tensor_nbytes(t);
    }
    const gboolean ok = rift_safetensors_write(path, (rift_tensor *const *)wb->tensors->pdata,
                                               wb->tensors->len, NULL, err);
    g_ptr_array_set_size(wb->tensors, 0);
    g_array_set_size(wb->dist, 0);
    g_array_unref(pools);
    g_array_unref(size);
    g_ptr_array_unref(data);
    g_free(pool_of);
    return ok;
}

double bench_weights_total_mb(void)
{
    return total_bytes / 1048576.0;
}

char *bench_tmpdir_new(GError **err)
{
    return g_dir_make_tmp("rift-bench-XXXXXX", err);
}

void bench_tmpdir_remove(char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
}
