/* synth.h — synthetic models for the tests that write their own checkpoints:
 * seeded random tensors, a named tensor list in state_dict order, and that
 * list written as a torch.save archive (torchzip.h) or a safetensors file,
 * so no test needs Python or a real model.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

/* ---- random numbers ---- */
double synth_normal(GRand *r); /* N(0, 1) */
/* n values (g_free) ~ N(mean, std²) and ~ U(lo, hi) */
float *synth_normals(GRand *r, int64_t n, double mean, double std);
float *synth_uniforms(GRand *r, int64_t n, double lo, double hi);

/* A float copy (g_free) of a double-precision reference, for rift_test_check. */
float *synth_to_float(const double *d, int64_t n);

/* ---- tensor lists ---- */
typedef struct {
    char *name; /* the state_dict key */
    int ndim;
    int64_t shape[4];
    int64_t numel;
    float *data;   /* NULL: an int64 scalar holding `count` (a num_batches_tracked) */
    int64_t count;
} synth_tensor;

typedef struct {
    GPtrArray *list;     /* synth_tensor *, in state_dict order */
    GHashTable *by_name; /* name -> synth_tensor * */
} synth_tensors;

synth_tensors *synth_tensors_new(void);
void synth_tensors_free(synth_tensors *t); /* the tensors' data too */
/* Append a tensor named by the format, taking `data` (NULL: see synth_tensor). */
synth_tensor *synth_add(synth_tensors *t, float *data, int ndim, const int64_t *shape,
                        const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* The tensor of that name; aborts the test when there is none, as a
 * reference that reads a tensor the model lacks is a bug of the test. */
const synth_tensor *synth_get(const synth_tensors *t, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The float data of that name, which must have `numel` values. */
const float *synth_weight(const synth_tensors *t, int64_t numel, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* ---- files ---- */
typedef struct {
    const char *stem; /* records under stem/: "archive" (torch >= 2) or the file's stem */
    const char *key;  /* torch.save({key: state_dict}); NULL: the state_dict alone */
    const char *omit; /* leave this tensor out */
    const synth_tensors *extra; /* written after the list's tensors (NULL: none) */
    /* state_dict._metadata: {module: {'version': versions[i]}} (versions NULL:
     * all 1); n_modules 0: no _metadata */
    const char *const *modules;
    const int64_t *versions;
    guint n_modules;
} synth_torch_opts;

/* torch.save of the list's state_dict as `path`; FALSE (and a failed check) on error. */
gboolean synth_write_torch(const synth_tensors *t, const char *path, const synth_torch_opts *o);
/* The list's float tensors as a safetensors file; FALSE (and a failed check) on error. */
gboolean synth_write_safetensors(const synth_tensors *t, const char *path);
