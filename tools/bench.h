/* bench.h — what every `rift-tool bench` entry shares (docs/performance.md):
 * its arguments, wall time as a median after a warm-up, this machine's sgemm
 * peak, peak memory, the one-line report, and models with random weights at
 * any size, written to a temporary file and mapped from it as a real
 * checkpoint is. One bench-<stage>.c per entry. */
#pragma once

#include "backend.h"
#include "dit.h"
#include "tensor.h"

#include <glib.h>
#include <stdint.h>

#define BENCH_RATE 44100.0 /* the mel grid every stage is aligned to */
#define BENCH_HOP 512

typedef struct {
    const char *what;
    int64_t dim, depth, head_dim, ff_mult, kernel, cvec_dim, speakers, frames, conds, steps;
    double seconds;
    int runs;
    gboolean json;
    rift_backend_kind kind;
} bench_args;

/* ---- measuring ---- */

/* Median wall time in seconds of `runs` calls of fn(data) after one warm-up
 * call. */
double bench_time_median(void (*fn)(gpointer), gpointer data, int runs);
/* Peak resident memory of the process in MiB (VmHWM). */
double bench_peak_rss_mb(void);
/* The best GFLOP/s of the BLAS in use on large Linear-shaped products (x·Wᵀ). */
double bench_sgemm_peak(int runs);

/* ---- the report: one line of key=value pairs, or one JSON object ---- */

typedef struct {
    GString *line;
    gboolean json;
} bench_report;

void bench_report_begin(bench_report *r, const char *bench, gboolean json);
void bench_report_num(bench_report *r, const char *key, double v, const char *fmt);
void bench_report_str(bench_report *r, const char *key, const char *v);
/* the tail of every result: peak_gflops, backend, threads, rss_mb */
void bench_report_machine(bench_report *r, rift_backend *be, double peak);
/* prints the line and frees it */
void bench_report_end(bench_report *r);

/* ---- random weights ---- */

/* N(0, 1) from a 64-bit LCG and Box-Muller: fast and the same everywhere. */
float bench_randn(guint64 *state);
/* n values ~ N(mean, std²) into backend memory dst. */
void bench_fill_random(rift_backend *be, float *dst, int64_t n, double std, double mean);

/* A list of named random tensors, each named prefix + name. */
typedef struct {
    GPtrArray *tensors; /* rift_tensor * */
    const char *prefix;
    guint64 seed;
} bench_weights;

void bench_weights_init(bench_weights *wb, const char *prefix, guint64 seed);
void bench_weights_clear(bench_weights *wb);
/* A tensor of that shape ~ N(mean, std²). */
void bench_weights_add(bench_weights *wb, const char *name, int ndim, const int64_t *shape,
                       double std, double mean);
/* nn.Linear(in, out) at `name`: weight [out, in] ~ N(0, 1/in), bias [out] ~ N(0, 0.1²). */
void bench_weights_add_linear(bench_weights *wb, const char *name, int64_t out, int64_t in);
/* Adds a tensor the caller filled (takes it; its name gets the prefix). */
void bench_weights_take(bench_weights *wb, const char *name, rift_tensor *t);

/* The DiT of a->dim, depth, head_dim, ff_mult, kernel, cvec_dim and
 * speakers (speaker0...) with random weights, on `be`. */
rift_dit *bench_random_dit(const bench_args *a, rift_backend *be, GError **err);

/* ---- the entries (0 on success, 1 on a failure they printed) ---- */

int bench_dit(const bench_args *a, rift_backend *be, double peak);
int bench_sample(const bench_args *a, rift_backend *be, double peak);
int bench_mel(const bench_args *a, rift_backend *be, double peak);
int bench_robust_f0(const bench_args *a, rift_backend *be, double peak);
