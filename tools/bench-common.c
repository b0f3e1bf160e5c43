/* bench-common.c — timing, the sgemm peak, peak memory, the report line and
 * random weights for every `rift-tool bench` entry (bench.h). */
#include "bench.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- measuring ------------------------------------------------------------ */

static double now_s(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_time_median(void (*fn)(gpointer), gpointer data, int runs)
{
    fn(data);
    double *t = g_new(double, runs);
    for (int i = 0; i < runs; i++) {
        const double t0 = now_s();
        fn(data);
        t[i] = now_s() - t0;
    }
    qsort(t, runs, sizeof(double), cmp_double);
    const double med = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
    g_free(t);
    return med;
}

double bench_peak_rss_mb(void)
{
    char *status = NULL;
    double mb = 0;
    if (g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        const char *p = strstr(status, "VmHWM:");
        if (p)
            mb = g_ascii_strtod(p + 6, NULL) / 1024.0;
        g_free(status);
    }
    return mb;
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

void bench_report_machine(bench_report *r, rift_backend *be, double peak)
{
    bench_report_num(r, "peak_gflops", peak, "%.1f");
    bench_report_str(r, "backend", rift_backend_describe(be));
    bench_report_num(r, "threads", omp_get_max_threads(), "%.0f");
    bench_report_num(r, "rss_mb", bench_peak_rss_mb(), "%.0f");
}

/* ---- random weights ------------------------------------------------------------ */

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

void bench_weights_init(bench_weights *wb, const char *prefix, guint64 seed)
{
    wb->tensors = g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free);
    wb->prefix = prefix;
    wb->seed = seed;
}

void bench_weights_clear(bench_weights *wb)
{
    g_clear_pointer(&wb->tensors, g_ptr_array_unref);
}

void bench_weights_take(bench_weights *wb, const char *name, rift_tensor *t)
{
    char *full = g_strconcat(wb->prefix, name, NULL);
    rift_tensor_set_name(t, full);
    g_free(full);
    g_ptr_array_add(wb->tensors, t);
}

void bench_weights_add(bench_weights *wb, const char *name, int ndim, const int64_t *shape,
                       double std, double mean)
{
    rift_tensor *t = rift_tensor_new(RIFT_F32, ndim, shape);
    float *d = t->data;
    for (int64_t i = 0; i < rift_tensor_numel(t); i++)
        d[i] = (float)(mean + std * bench_randn(&wb->seed));
    bench_weights_take(wb, name, t);
}

void bench_weights_add_linear(bench_weights *wb, const char *name, int64_t out, int64_t in)
{
    char *w = g_strconcat(name, ".weight", NULL), *b = g_strconcat(name, ".bias", NULL);
    bench_weights_add(wb, w, 2, (int64_t[]){out, in}, 1.0 / sqrt((double)in), 0.0);
    bench_weights_add(wb, b, 1, (int64_t[]){out}, 0.1, 0.0);
    g_free(w);
    g_free(b);
}
