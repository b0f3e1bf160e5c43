/* cmd-bench.c — `rift-tool bench`: how fast each stage runs on this machine,
 * beside the best this machine's sgemm does in the same run.
 *
 *   rift-tool bench peak
 *   rift-tool bench dit    [--dim 512] [--depth 8] [--frames 861] [--conds 3] ...
 *   rift-tool bench sample [--dim 512] [--depth 8] [--frames 861] [--steps 32] ...
 *   rift-tool bench mel    [--seconds 10]
 *
 * Models have random weights at the requested size, built in memory (no
 * download). Each result is one line of key=value pairs (or JSON with
 * --json): wall time as the median of --runs runs after a warm-up, the FLOP
 * count used and the GFLOP/s achieved, the same run's sgemm peak and the
 * ratio, the real-time factor, peak RSS. docs/performance.md explains each. */
#include "dit-private.h"
#include "mel.h"
#include "ops.h"
#include "rf.h"
#include "rift-error.h"
#include "rift-tool.h"
#include "safetensors.h"

#include <cblas.h>
#include <glib/gstdio.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 44100.0
#define HOP 512
#define INFER_EVALS 31 /* infer.py's 32 grid points */

typedef struct {
    const char *what;
    int64_t dim, depth, head_dim, ff_mult, kernel, cvec_dim, speakers, frames, conds, steps;
    double seconds;
    int runs;
    gboolean json;
    rift_backend_kind kind;
} bench_args;

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

/* median wall time of `runs` calls after one warm-up call */
static double time_median(void (*fn)(gpointer), gpointer data, int runs)
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

static double peak_rss_mb(void)
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

/* The machine's sgemm peak: the best GFLOP/s of the BLAS we use on large
 * Linear-shaped products (x·Wᵀ), a few runs each. */
static double sgemm_peak(int runs)
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
        const double t = time_median(run_sgemm, &c, MAX(runs, 3));
        best = MAX(best, 2.0 * c.M * c.N * c.K / t / 1e9);
        g_free(c.A);
        g_free(c.B);
        g_free(c.C);
    }
    return best;
}

/* ---- reporting -------------------------------------------------------------- */

typedef struct {
    GString *line;
    gboolean json;
    gboolean first;
} report;

static void rep_begin(report *r, const char *bench, gboolean json)
{
    r->line = g_string_new(json ? "{" : "");
    r->json = json;
    r->first = TRUE;
    if (json)
        g_string_append_printf(r->line, "\"bench\": \"%s\"", bench);
    else
        g_string_append_printf(r->line, "bench=%s", bench);
    r->first = FALSE;
}

static void rep_num(report *r, const char *key, double v, const char *fmt)
{
    char num[64];
    g_snprintf(num, sizeof num, fmt, v);
    g_string_append_printf(r->line, r->json ? ", \"%s\": %s" : " %s=%s", key, num);
}

static void rep_str(report *r, const char *key, const char *v)
{
    g_string_append_printf(r->line, r->json ? ", \"%s\": \"%s\"" : " %s=\"%s\"", key, v);
}

static void rep_end(report *r)
{
    if (r->json)
        g_string_append(r->line, "}");
    printf("%s\n", r->line->str);
    fflush(stdout);
    g_string_free(r->line, TRUE);
}

/* the common tail of every result: the machine and its libraries */
static void rep_machine(report *r, rift_backend *be, double peak)
{
    rep_num(r, "peak_gflops", peak, "%.1f");
    rep_str(r, "backend", rift_backend_describe(be));
    rep_num(r, "threads", omp_get_max_threads(), "%.0f");
    rep_num(r, "rss_mb", peak_rss_mb(), "%.0f");
}

/* ---- a random DiT at any size, in memory -------------------------------------- */

typedef struct {
    GPtrArray *tensors;
    guint64 seed;
} weights_builder;

/* fan-in scaled normals (Box-Muller on a small LCG: fast, deterministic) */
static float randn(guint64 *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u1 = ((double)(*s >> 11) + 1.0) / 9007199254740993.0;
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u2 = (double)(*s >> 11) / 9007199254740992.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2));
}

static void add_tensor(weights_builder *wb, const char *name, int ndim, const int64_t *shape,
                       double std, double mean)
{
    rift_tensor *t = rift_tensor_new(RIFT_F32, ndim, shape);
    float *d = t->data;
    for (int64_t i = 0; i < rift_tensor_numel(t); i++)
        d[i] = (float)(mean + std * randn(&wb->seed));
    char *full = g_strconcat("state_dict/model.transformer.", name, NULL);
    rift_tensor_set_name(t, full);
    g_free(full);
    g_ptr_array_add(wb->tensors, t);
}

static void add_linear(weights_builder *wb, const char *name, int64_t out, int64_t in)
{
    char *w = g_strconcat(name, ".weight", NULL), *b = g_strconcat(name, ".bias", NULL);
    add_tensor(wb, w, 2, (int64_t[]){out, in}, 1.0 / sqrt((double)in), 0.0);
    add_tensor(wb, b, 1, (int64_t[]){out}, 0.1, 0.0);
    g_free(w);
    g_free(b);
}

static rift_dit *random_dit(const bench_args *a, rift_backend *be, GError **err)
{
    const int64_t D = a->dim, F = a->ff_mult * a->dim;
    weights_builder wb = {g_ptr_array_new_with_free_func((GDestroyNotify)rift_tensor_free), 1234};
    add_tensor(&wb, "spk_embed.weight", 2, (int64_t[]){a->speakers, D}, 0.5, 0.0);
    add_tensor(&wb, "null_spk_embed.weight", 2, (int64_t[]){1, D}, 0.5, 0.0);
    add_linear(&wb, "tembed.time_emb", D, 256);
    add_linear(&wb, "tembed.proj", D, D);
    add_linear(&wb, "cond_embed.f0_embed", D, 1);
    add_linear(&wb, "cond_embed.rms_embed", D, 1);
    add_linear(&wb, "cond_embed.cvec_embed", D, a->cvec_dim);
    add_linear(&wb, "cond_embed.out", D, D);
    add_tensor(&wb, "cond_embed.ln.weight", 1, (int64_t[]){D}, 0.1, 1.0);
    add_tensor(&wb, "cond_embed.ln.bias", 1, (int64_t[]){D}, 0.1, 0.0);
    add_linear(&wb, "input_embed.mel_embed", D, 128);
    add_linear(&wb, "input_embed.proj", D, 2 * D);
    rift_tensor *inv = rift_tensor_new_1d(RIFT_F32, a->head_dim / 2);
    for (int64_t i = 0; i < a->head_dim / 2; i++)
        ((float *)inv->data)[i] = (float)pow(10000.0, -2.0 * (double)i / (double)a->head_dim);
    rift_tensor_set_name(inv, "state_dict/model.transformer.rotary_embed.inv_freq");
    g_ptr_array_add(wb.tensors, inv);
    for (int64_t l = 0; l < a->depth; l++) {
        char p[96];
#define BLK(suffix) (g_snprintf(p, sizeof p, "transformer_blocks.%d.%s", (int)l, suffix), p)
        add_linear(&wb, BLK("attn_norm.proj"), 6 * D, D);
        add_linear(&wb, BLK("attn.q_proj"), D, D);
        add_linear(&wb, BLK("attn.k_proj"), D, D);
        add_linear(&wb, BLK("attn.v_proj"), D, D);
        add_linear(&wb, BLK("attn.attn_out"), D, D);
        add_tensor(&wb, BLK("mlp.dwconv.weight"), 3, (int64_t[]){D, 1, a->kernel},
                   1.0 / sqrt((double)a->kernel), 0.0);
        add_tensor(&wb, BLK("mlp.dwconv.bias"), 1, (int64_t[]){D}, 0.1, 0.0);
        add_linear(&wb, BLK("mlp.mlp_proj"), F, D);
        add_linear(&wb, BLK("mlp.mlp_out"), D, F);
#undef BLK
    }
    add_linear(&wb, "norm_out.proj", 2 * D, D);
    add_linear(&wb, "output", 128, D);

    /* through a file so the weights are mapped, as a real checkpoint is */
    char *path = NULL;
    const int fd = g_file_open_tmp("rift-bench-XXXXXX.safetensors", &path, err);
    rift_dit *dit = NULL;
    if (fd >= 0) {
        close(fd);
        if (rift_safetensors_write(path, (rift_tensor *const *)wb.tensors->pdata, wb.tensors->len,
                                   NULL, err)) {
            rift_weights *w = rift_weights_open(path, err);
            char **names = g_new0(char *, a->speakers + 1);
            for (int64_t i = 0; i < a->speakers; i++)
                names[i] = g_strdup_printf("speaker%d", (int)i);
            dit = w ? rift_dit_load_with_speakers(w, (const char *const *)names, be, err) : NULL;
            g_strfreev(names);
        }
        g_unlink(path); /* the mapping stays valid */
        g_free(path);
    }
    g_ptr_array_unref(wb.tensors);
    return dit;
}

/* ---- the benchmarks ---------------------------------------------------------------- */

typedef struct {
    rift_dit *dit;
    rift_dit_work *work;
    int64_t seqs, T;
    float *x, *out, *time;
    int32_t *len;
} dit_step;

static void run_dit_step(gpointer data)
{
    dit_step *s = data;
    rift_dit_eval(s->dit, s->work, s->seqs, s->T, s->x, 0, s->len, NULL, s->out);
    rift_backend_sync(rift_dit_get_backend(s->dit), NULL);
}

static void fill_random(rift_backend *be, float *dst, int64_t n, double std, double mean)
{
    guint64 s = 42;
    float *h = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        h[i] = (float)(mean + std * randn(&s));
    rift_backend_upload(be, dst, h, n * sizeof(float));
    rift_backend_sync(be, NULL);
    g_free(h);
}

/* One guided sampler step: all conditions of one item in one DiT evaluation. */
static int bench_dit(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_dit *dit = random_dit(a, be, &err);
    if (!dit) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    const int64_t S = a->conds, T = a->frames, R = S * T;
    dit_step s = {.dit = dit, .work = rift_dit_work_new(dit, S, R), .seqs = S, .T = T};
    s.x = rift_backend_alloc(be, R * hp->n_mels * sizeof(float));
    s.out = rift_backend_alloc(be, R * hp->n_mels * sizeof(float));
    float *f0 = rift_backend_alloc(be, R * sizeof(float)), *rms = rift_backend_alloc(be, R * sizeof(float));
    float *cvec = rift_backend_alloc(be, R * hp->cvec_dim * sizeof(float));
    fill_random(be, s.x, R * hp->n_mels, 1.0, 0.0);
    fill_random(be, f0, R, 100.0, 300.0);
    fill_random(be, rms, R, 0.02, 0.05);
    fill_random(be, cvec, R * hp->cvec_dim, 1.0, 0.0);
    rift_dit_embed_conditions(dit, s.work, S, T, f0, rms, cvec);
    int64_t *spk = g_new0(int64_t, S);
    gboolean *drop = g_new0(gboolean, S);
    drop[S - 1] = S > 1;
    rift_dit_set_speakers(dit, s.work, S, spk, drop);
    s.time = g_new(float, S);
    s.len = g_new(int32_t, S);
    for (int64_t i = 0; i < S; i++) {
        s.time[i] = 0.5f;
        s.len[i] = (int32_t)T;
    }
    rift_dit_set_times(dit, s.work, S, s.time, 1);

    const double t = time_median(run_dit_step, &s, a->runs);
    const double flop = rift_dit_flops(hp, S, T), gflops = flop / t / 1e9;
    const double audio_s = (double)T * HOP / RATE;
    report r;
    rep_begin(&r, "dit", a->json);
    rep_num(&r, "dim", (double)hp->dim, "%.0f");
    rep_num(&r, "depth", (double)hp->depth, "%.0f");
    rep_num(&r, "frames", (double)T, "%.0f");
    rep_num(&r, "conds", (double)S, "%.0f");
    rep_num(&r, "time_s", t, "%.4f");
    rep_num(&r, "gflop", flop / 1e9, "%.2f");
    rep_num(&r, "gflops", gflops, "%.1f");
    rep_num(&r, "ratio", gflops / peak, "%.3f");
    /* infer.py's default 31 evaluations per segment, over the audio they cover */
    rep_num(&r, "rtf", t * INFER_EVALS / audio_s, "%.3f");
    rep_machine(&r, be, peak);
    rep_end(&r);

    float *bufs[] = {s.x, s.out, f0, rms, cvec};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        rift_backend_free_mem(be, bufs[i]);
    rift_dit_work_free(dit, s.work);
    g_free(spk);
    g_free(drop);
    g_free(s.time);
    g_free(s.len);
    rift_dit_free(dit);
    return 0;
}

typedef struct {
    rift_dit *dit;
    rift_rf_params p;
    rift_rf_input in;
    float *out;
    gboolean ok;
} sample_run;

static void run_sample(gpointer data)
{
    sample_run *s = data;
    s->ok = rift_rf_sample(s->dit, &s->p, &s->in, s->out, NULL, NULL);
}

/* The whole sampler at infer.py's defaults (ds + spk guidance, rescale) on one segment. */
static int bench_sample(const bench_args *a, rift_backend *be, double peak)
{
    GError *err = NULL;
    rift_dit *dit = random_dit(a, be, &err);
    if (!dit) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const rift_dit_hparams *hp = rift_dit_get_hparams(dit);
    const int64_t T = a->frames, M = hp->n_mels, C = hp->cvec_dim;
    sample_run s = {.dit = dit, .p = rift_rf_params_default()};
    s.p.steps = (int)a->steps;
    guint64 seed = 7;
    float *mel = g_new(float, T * M), *y0 = g_new(float, T * M), *f0 = g_new(float, T);
    float *rms = g_new(float, T), *cvec = g_new(float, T * C), *bad = g_new(float, T * C);
    for (int64_t i = 0; i < T * M; i++) {
        mel[i] = -6.0f + 2.0f * randn(&seed);
        y0[i] = randn(&seed);
    }
    for (int64_t i = 0; i < T; i++) {
        f0[i] = 300.0f + 50.0f * randn(&seed);
        rms[i] = 0.05f;
    }
    for (int64_t i = 0; i < T * C; i++)
        cvec[i] = bad[i] = randn(&seed);
    int64_t spk = 0;
    int32_t len = (int32_t)T;
    s.in = (rift_rf_input){.B = 1, .T = T, .src_mel = mel, .spk = &spk, .f0 = f0, .rms = rms,
                           .cvec = cvec, .bad_cvec = bad, .frame_len = &len, .y0 = y0};
    s.out = g_new(float, T * M);
    const double t = time_median(run_sample, &s, MAX(a->runs / 2, 1));
    const int64_t conds = 3; /* ds + spk guidance: cond, bad cvec, no speaker */
    const double flop = rift_dit_flops(hp, conds, T) * (double)(s.p.steps - 1);
    report r;
    rep_begin(&r, "sample", a->json);
    rep_num(&r, "dim", (double)hp->dim, "%.0f");
    rep_num(&r, "depth", (double)hp->depth, "%.0f");
    rep_num(&r, "frames", (double)T, "%.0f");
    rep_num(&r, "steps", (double)s.p.steps, "%.0f");
    rep_num(&r, "time_s", t, "%.3f");
    rep_num(&r, "gflop", flop / 1e9, "%.1f");
    rep_num(&r, "gflops", flop / t / 1e9, "%.1f");
    rep_num(&r, "ratio", flop / t / 1e9 / peak, "%.3f");
    rep_num(&r, "rtf", t / ((double)T * HOP / RATE), "%.3f");
    rep_str(&r, "ok", s.ok ? "yes" : "no");
    rep_machine(&r, be, peak);
    rep_end(&r);
    float *bufs[] = {mel, y0, f0, rms, cvec, bad, s.out};
    for (guint i = 0; i < G_N_ELEMENTS(bufs); i++)
        g_free(bufs[i]);
    rift_dit_free(dit);
    return s.ok ? 0 : 1;
}

typedef struct {
    rift_mel *mel;
    float *audio, *out, *rms;
    int64_t n;
} mel_run;

static void run_mel(gpointer data)
{
    mel_run *m = data;
    rift_mel_compute(m->mel, m->audio, m->n, m->out, m->rms, NULL);
}

static int bench_mel(const bench_args *a, rift_backend *be, double peak)
{
    const rift_mel_params p = rift_mel_params_default();
    mel_run m = {.mel = rift_mel_new(be, &p, NULL)};
    m.n = (int64_t)(a->seconds * RATE);
    m.audio = g_new(float, m.n);
    guint64 seed = 3;
    for (int64_t i = 0; i < m.n; i++)
        m.audio[i] = 0.1f * randn(&seed);
    const int64_t T = rift_mel_n_frames(m.mel, m.n);
    m.out = g_new(float, T * p.n_mels);
    m.rms = g_new(float, T);
    const double t = time_median(run_mel, &m, a->runs);
    report r;
    rep_begin(&r, "mel", a->json);
    rep_num(&r, "seconds", a->seconds, "%.1f");
    rep_num(&r, "time_s", t, "%.4f");
    rep_num(&r, "rtf", t / a->seconds, "%.5f");
    rep_machine(&r, be, peak);
    rep_end(&r);
    g_free(m.audio);
    g_free(m.out);
    g_free(m.rms);
    rift_mel_free(m.mel);
    return 0;
}

/* ---- arguments ---------------------------------------------------------------------- */

static gboolean parse(int argc, char **argv, bench_args *a, GError **err)
{
    struct {
        const char *flag;
        int64_t *dst;
    } ints[] = {{"--dim", &a->dim},         {"--depth", &a->depth},
                {"--head-dim", &a->head_dim}, {"--ff-mult", &a->ff_mult},
                {"--kernel", &a->kernel},   {"--cvec-dim", &a->cvec_dim},
                {"--speakers", &a->speakers}, {"--frames", &a->frames},
                {"--conds", &a->conds},     {"--steps", &a->steps}};
    for (int i = 2; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--json")) {
            a->json = TRUE;
            continue;
        }
        if (i + 1 >= argc) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s needs a value", f);
            return FALSE;
        }
        const char *v = argv[++i];
        gboolean known = FALSE;
        for (guint k = 0; k < G_N_ELEMENTS(ints); k++) {
            if (!strcmp(f, ints[k].flag)) {
                *ints[k].dst = g_ascii_strtoll(v, NULL, 10);
                known = TRUE;
            }
        }
        if (!strcmp(f, "--runs"))
            a->runs = atoi(v);
        else if (!strcmp(f, "--seconds"))
            a->seconds = g_ascii_strtod(v, NULL);
        else if (!strcmp(f, "--backend")) {
            if (!rift_backend_kind_from_string(v, &a->kind)) {
                g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "--backend: auto, cpu or cuda");
                return FALSE;
            }
        } else if (!known) {
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "unknown flag %s", f);
            return FALSE;
        }
    }
    if (a->dim < 2 || a->depth < 1 || a->head_dim < 2 || a->dim % a->head_dim || a->frames < 1 ||
        a->conds < 1 || a->runs < 1 || a->steps < 2 || a->kernel % 2 == 0 || a->seconds <= 0) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG,
                    "need dim divisible by head-dim, depth, frames, conds, runs >= 1, steps >= 2, "
                    "an odd kernel, seconds > 0");
        return FALSE;
    }
    return TRUE;
}

int rift_cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help")) {
        printf("Usage: rift-tool bench peak|dit|sample|mel [--dim N] [--depth N] [--head-dim N]\n"
               "       [--ff-mult N] [--kernel N] [--cvec-dim N] [--frames N] [--conds N]\n"
               "       [--steps N] [--seconds S] [--runs N] [--backend auto|cpu|cuda] [--json]\n"
               "Defaults: dit-512-8 (head 64, ff 4, kernel 31, cvec 768), 861 frames (10 s),\n"
               "3 conditions, 32 steps, 5 runs. See docs/performance.md.\n");
        return argc < 2 ? 2 : 0;
    }
    bench_args a = {.what = argv[1], .dim = 512, .depth = 8, .head_dim = 64, .ff_mult = 4,
                    .kernel = 31, .cvec_dim = 768, .speakers = 1, .frames = 861, .conds = 3,
                    .steps = 32, .seconds = 10.0, .runs = 5, .kind = RIFT_BACKEND_AUTO};
    GError *err = NULL;
    if (!parse(argc, argv, &a, &err)) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 2;
    }
    rift_backend *be = rift_backend_new(a.kind, -1, &err);
    if (!be) {
        fprintf(stderr, "rift-tool bench: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    const double peak = sgemm_peak(a.runs);
    int rc = 0;
    if (!strcmp(a.what, "peak")) {
        report r;
        rep_begin(&r, "peak", a.json);
        rep_machine(&r, be, peak);
        rep_end(&r);
    } else if (!strcmp(a.what, "dit")) {
        rc = bench_dit(&a, be, peak);
    } else if (!strcmp(a.what, "sample")) {
        rc = bench_sample(&a, be, peak);
    } else if (!strcmp(a.what, "mel")) {
        rc = bench_mel(&a, be, peak);
    } else {
        fprintf(stderr, "rift-tool bench: unknown benchmark '%s'\n", a.what);
        rc = 2;
    }
    rift_backend_unref(be);
    return rc;
}
