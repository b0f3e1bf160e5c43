/* bench.h — what every `rift-tool bench` entry shares (docs/performance.md):
 * its arguments, wall time as a median after a warm-up, this machine's sgemm
 * peak, peak memory, the one-line report, synthetic singing, and every model
 * with random weights at any size, written to a temporary directory and
 * mapped from there as a real checkpoint is. One bench-<stage>.c per entry;
 * a stage's model builder, FLOP count and run live in its file and are shared
 * with bench-conversion.c through here. */
#pragma once

#include "backend.h"
#include "contentvec.h"
#include "dit.h"
#include "rmvpe.h"
#include "tensor.h"
#include "vocoder.h"

#include <glib.h>
#include <stdint.h>

#define BENCH_RATE 44100.0 /* the mel grid every stage is aligned to */
#define BENCH_HOP 512

typedef struct {
    const char *what;
    /* DiT (its cvec_dim is also ContentVec's hidden size) */
    int64_t dim, depth, head_dim, ff_mult, kernel, cvec_dim, speakers, frames, conds, steps;
    /* RMVPE E2E0: en_out_channels, n_blocks */
    int64_t rmvpe_channels, rmvpe_blocks;
    /* ContentVec: layers, heads, intermediate_size, conv_dim (all 7 convs) */
    int64_t cvec_layers, cvec_heads, cvec_ffn, cvec_conv;
    /* NSF-HiFiGAN: upsample_initial_channel */
    int64_t vocoder_channels;
    /* the conversion: segments sampled together, the slicer's window (s) */
    int64_t batch_size;
    double max_segment;
    double seconds;
    int runs;
    gboolean json;
    rift_backend_kind kind;
    rift_precision precision; /* of the DiT's block Linears */
} bench_args;

/* ---- measuring ---- */

double bench_now(void); /* seconds, monotonic */
/* Median wall time in seconds of `runs` calls of fn(data) after one warm-up
 * call. */
double bench_time_median(void (*fn)(gpointer), gpointer data, int runs);
double bench_median(double *v, int n); /* sorts v */
/* Peak resident memory of the process in MiB (VmHWM of /proc/self/status);
 * bench_rss_mb reads any other field ("VmRSS", "RssFile", ...). */
double bench_peak_rss_mb(void);
double bench_rss_mb(const char *field);
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
/* time_s, gflop, gflops, ratio (flop 0: gflop/gflops/ratio left out), rtf */
void bench_report_speed(bench_report *r, double time_s, double flop, double peak,
                        double audio_s);
/* the tail of every result: peak_gflops, backend, blas, kernels, threads,
 * rss_mb, and device_peak_mb on CUDA */
void bench_report_machine(bench_report *r, rift_backend *be, double peak);
/* prints the line and frees it */
void bench_report_end(bench_report *r);

/* ---- inputs ---- */

/* Synthetic singing at 44.1 kHz, the same samples whichever piece asks:
 * x [n] = samples start .. start + n − 1 of phrases of sung notes (harmonic,
 * with vibrato) and silences the slicer cuts at; from 60 s on it has met a
 * phrase longer than 30 s. f0 of frame t of a piece starting at `start`
 * (its centre) in Hz, 0 in silence. */
void bench_singing(float *x, int64_t start, int64_t n);
double bench_singing_f0(int64_t start, int64_t t);

/* N(0, 1) from a 64-bit LCG and Box-Muller: fast and the same everywhere. */
float bench_randn(guint64 *state);
/* n values ~ N(mean, std²) into backend memory dst. */
void bench_fill_random(rift_backend *be, float *dst, int64_t n, double std, double mean);

/* ---- random weights ---- */

/* Named tensors to write, each named prefix + name. Random tensors of the
 * same (std, mean) are views of one pool of values, so a model of any size
 * costs a few MB to build: only the file holds all of it. */
typedef struct {
    GPtrArray *tensors; /* rift_tensor *; data NULL until written */
    GArray *dist;       /* per tensor: {std, mean}, or std < 0 for the caller's data */
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
/* A weight-normed layer at `name`: weight_v [d0, d1, k] ~ N(0, 1), weight_g
 * [d0, 1, 1] (gain, so that the normed weight has the fan-in scale), bias [out]. */
void bench_weights_add_normed(bench_weights *wb, const char *name, int64_t d0, int64_t d1,
                              int64_t k, double gain, int64_t out);
/* Adds a tensor the caller filled (takes it; its name gets the prefix). */
void bench_weights_take(bench_weights *wb, const char *name, rift_tensor *t);
/* Writes the tensors as a safetensors file (then clears the list). */
gboolean bench_weights_write(bench_weights *wb, const char *path, GError **err);
/* MiB of weights bench_weights_write wrote in this process (every model built) */
double bench_weights_total_mb(void);

/* A new private temporary directory for model files (g_free). Files in it
 * may be removed as soon as they are loaded: the mappings stay valid. */
char *bench_tmpdir_new(GError **err);
/* Removes the files in it, then it; frees dir. */
void bench_tmpdir_remove(char *dir);

/* ---- the models: random weights at a's sizes, and what one run computes ---- */

rift_dit *bench_random_dit(const bench_args *a, rift_backend *be, GError **err);
rift_rmvpe *bench_random_rmvpe(const bench_args *a, rift_backend *be, GError **err);
rift_contentvec *bench_random_contentvec(const bench_args *a, rift_backend *be, GError **err);
rift_vocoder *bench_random_vocoder(const bench_args *a, rift_backend *be, GError **err);

/* FLOPs counted as rift_dit_flops counts them: every matrix product and
 * convolution as 2 per multiply-add (conv: 2·k·C_in/groups·C_out per output
 * value), attention's two products over all keys; normalisations,
 * activations, resampling, FFTs and pooling are not counted. */
/* the network on a 44.1 kHz segment of n samples (T16 frames padded to 32) */
double bench_rmvpe_flops(const rift_rmvpe_hparams *hp, int64_t n44);
/* the network on n16 samples at 16 kHz */
double bench_contentvec_flops(const rift_contentvec_hparams *hp, int64_t n16);
/* the generator on T frames, harmonic source included */
double bench_vocoder_flops(const rift_vocoder_hparams *hp, int64_t T);

/* riftcvec's computation: audio [n] at 44.1 kHz -> cvec [T, hidden] on the
 * mel grid (16 kHz resampling, zero-padded to the model's shortest input,
 * ContentVec, linear interpolation). *flop gets the network's count. */
gboolean bench_contentvec_segment(rift_contentvec *cv, const float *audio, int64_t n, int64_t T,
                                  float *cvec, double *flop, GError **err);

/* ---- the entries (0 on success, 1 on a failure they printed) ---- */

int bench_dit(const bench_args *a, rift_backend *be, double peak);
int bench_sample(const bench_args *a, rift_backend *be, double peak);
int bench_mel(const bench_args *a, rift_backend *be, double peak);
int bench_rmvpe(const bench_args *a, rift_backend *be, double peak);
int bench_contentvec(const bench_args *a, rift_backend *be, double peak);
int bench_vocoder(const bench_args *a, rift_backend *be, double peak);
int bench_conversion(const bench_args *a, rift_backend *be, double peak);
int bench_robust_f0(const bench_args *a, rift_backend *be, double peak);
