/* testutil.h — comparison and fixture helpers shared by the C tests.
 *
 * Checks print one line each ("label: max-abs 3.1e-06 rel-L2 2.0e-07 OK")
 * and the first mismatching elements when they fail, as llm.c's
 * check_tensor does; rift_test_exit() turns the tally into the exit code
 * meson reads (0 pass, 1 fail, 77 skip). */
#pragma once

#include "tensor.h"
#include "weights.h"

#include <glib.h>
#include <stdint.h>

#define RIFT_TEST_SKIP 77

typedef struct {
    double max_abs;
    double rel_l2; /* ||got - ref|| / ||ref|| */
    double nmse;   /* mse(got, ref) / mse(ref, 0), as ggml's test-backend-ops */
    int64_t worst; /* index of the largest absolute difference */
    int64_t n_nonfinite; /* NaN/inf in got where ref is finite */
} rift_diff;

rift_diff rift_test_diff(const float *got, const float *ref, int64_t n);

/* Compare and report; FALSE (and the run is marked failed) when max-abs or
 * rel-L2 exceeds its tolerance or got has a non-finite value. */
gboolean rift_test_check(const char *label, const float *got, const float *ref, int64_t n,
                         double max_abs_tol, double rel_l2_tol);
/* A plain condition, reported the same way. */
gboolean rift_test_true(gboolean cond, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Path of a fixture file: $RIFT_FIXTURES/rel (g_free it). */
char *rift_test_fixture(const char *rel);

/* Open a fixture file, failing the run with the error when it cannot. */
rift_weights *rift_test_open(const char *rel);
/* A float32 copy of a tensor of `w` (any float dtype), or NULL and a failed check. */
float *rift_test_tensor_f32(rift_weights *w, const char *name, int64_t *numel);

/* Exit code for meson: 1 if any check failed, else 0. */
int rift_test_exit(void);
/* Print the reason and return 77 (meson counts it as skipped). */
int rift_test_skip(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
