/* gsttestutil.h — helpers the GstHarness tests share (test-riftf0.c,
 * test-riftcvec.c, test-riftdit.c, test-riftvocoder.c, test-riftmel.c,
 * test-riftsegmentfilter.c): fixture paths, feature memories, the bus
 * errors an element posts, and the main() that runs one case per meson
 * test. Kept in one place so that a fix to one of them reaches every test. */
#ifndef GST_TEST_UTIL_H
#define GST_TEST_UTIL_H

#include "weights.h"

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <string.h>

G_BEGIN_DECLS

/* ---- fixtures ---- */

/* The path of `rel` under $RIFT_FIXTURES (g_free it); fails the test when
 * the variable is missing, i.e. when not run through meson. */
gchar *fixture (const gchar * rel);

/* The safetensors fixture `rel`, opened (rift_weights_free it). */
rift_weights *open_fixture (const gchar * rel);

/* ---- feature memories ---- */

/* A memory of `n` floats, a copy of `data` (NULL: zeros). */
GstMemory *memory_from (const gfloat * data, gsize n);

/* ---- the element's errors ---- */

/* domain and code of the last error pop_error returned */
extern GQuark last_domain;
extern gint last_code;

#define fail_unless_error_was(domain, code) G_STMT_START { \
    fail_unless_equals_string (g_quark_to_string (last_domain), \
        g_quark_to_string (domain)); \
    fail_unless_equals_int (last_code, code); \
  } G_STMT_END

#define fail_unless_contains(msg, part) \
  fail_unless ((msg) != NULL && strstr ((msg), (part)) != NULL, \
      "message '%s' lacks '%s'", (msg), (part))

/* The text of the next error on the bus (g_free it), or NULL. */
gchar *pop_error (GstBus * bus);

/* Starting `e` (transfer full) fails; returns the error text. */
gchar *start_fails (GstElement * e);

/* Tears `h` down and drops the bus its element posted to. */
void teardown (GstHarness * h, GstBus * bus);

/* ---- main ---- */

/* Counts the tests a GST_CHECKS filter selects, so that a misspelt name in
 * meson.build fails instead of running nothing. */
extern guint n_selected;
#define ADD_TEST(tc, fn) G_STMT_START { \
    if (_gst_check_run_test_func (#fn)) n_selected++; \
    tcase_add_test (tc, fn); \
  } G_STMT_END

/* Before gst_check_init: selects the case argv[1] (all without one) and,
 * when `no_fork`, runs it in this process (CUDA and fork() do not mix).
 * Returns 77, meson's "skipped", when the case is test_cuda and the CUDA
 * backend is missing; 0 otherwise. */
gint gst_test_prepare (int argc, char **argv, gboolean no_fork);

/* Runs `s` (built with ADD_TEST) as `name`; 1 when the selected case
 * `test` is none of its tests. */
gint gst_test_run_suite (Suite * s, const gchar * name, const gchar * file,
    const gchar * test);

G_END_DECLS

#endif /* GST_TEST_UTIL_H */
