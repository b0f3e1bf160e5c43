/* synth.c — see synth.h. */
#include "synth.h"

#include "safetensors.h"
#include "testutil.h"
#include "torchzip.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

double synth_normal(GRand *r)
{
    /* Box–Muller; 1 − u keeps the log finite */
    const double u = 1.0 - g_rand_double(r), v = g_rand_double(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * G_PI * v);
}

float *synth_normals(GRand *r, int64_t n, double mean, double std)
{
    float *p = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(mean + std * synth_normal(r));
    return p;
}

float *synth_uniforms(GRand *r, int64_t n, double lo, double hi)
{
    float *p = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)g_rand_double_range(r, lo, hi);
    return p;
}

float *synth_to_float(const double *d, int64_t n)
{
    float *f = g_new(float, n);
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)d[i];
    return f;
}

synth_tensors *synth_tensors_new(void)
{
    synth_tensors *t = g_new0(synth_tensors, 1);
    t->list = g_ptr_array_new();
    t->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return t;
}

void synth_tensors_free(synth_tensors *t)
{
    for (guint i = 0; i < t->list->len; i++) {
        synth_tensor *p = t->list->pdata[i];
        g_free(p->name);
        g_free(p->data);
        g_free(p);
    }
    g_ptr_array_unref(t->list);
    g_hash_table_unref(t->by_name);
    g_free(t);
}

synth_tensor *synth_add(synth_tensors *t, float *data, int ndim, const int64_t *shape,
                        const char *fmt, ...)
{
    g_assert(ndim <= (int)G_N_ELEMENTS(((synth_tensor *)NULL)->shape));
    synth_tensor *p = g_new0(synth_tensor, 1);
    va_list ap;
    va_start(ap, fmt);
    p->name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p->ndim = ndim;
    p->numel = 1;
    for (int d = 0; d < ndim; d++) {
        p->shape[d] = shape[d];
        p->numel *= shape[d];
    }
    p->data = data;
    g_ptr_array_add(t->list, p);
    g_hash_table_insert(t->by_name, p->name, p);
    return p;
}

static const synth_tensor *lookup(const synth_tensors *t, int64_t numel, const char *fmt,
                                  va_list ap)
{
    char *name = g_strdup_vprintf(fmt, ap);
    const synth_tensor *p = g_hash_table_lookup(t->by_name, name);
    if (!p)
        g_error("reference: no tensor %s", name);
    if (numel >= 0 && (!p->data || p->numel != numel))
        g_error("reference: no tensor %s of %" G_GINT64_FORMAT " values", name, numel);
    g_free(name);
    return p;
}

const synth_tensor *synth_get(const synth_tensors *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const synth_tensor *p = lookup(t, -1, fmt, ap);
    va_end(ap);
    return p;
}

const float *synth_weight(const synth_tensors *t, int64_t numel, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const synth_tensor *p = lookup(t, numel, fmt, ap);
    va_end(ap);
    return p->data;
}

static void pk_tensors(GByteArray *b, GPtrArray *storages, const synth_tensors *t,
                       const char *omit)
{
    for (guint i = 0; t && i < t->list->len; i++) {
        const synth_tensor *p = t->list->pdata[i];
        if (omit && !strcmp(omit, p->name))
            continue;
        if (p->data)
            pk_tensor_item(b, storages, p->name, "torch.FloatStorage", p->data, sizeof(float),
                           p->ndim, p->shape);
        else
            pk_tensor_item(b, storages, p->name, "torch.LongStorage", &p->count,
                           sizeof p->count, 0, NULL);
    }
}

gboolean synth_write_torch(const synth_tensors *t, const char *path, const synth_torch_opts *o)
{
    GPtrArray *storages = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    GByteArray *b = pk_new();
    if (o->key) {
        pk_op(b, '}');
        pk_str(b, o->key);
    }
    pk_ordered_dict_begin(b);
    pk_tensors(b, storages, t, o->omit);
    pk_tensors(b, storages, o->extra, NULL);
    pk_op(b, 'u');
    if (o->n_modules)
        pk_metadata_build(b, o->modules, o->versions, o->n_modules);
    if (o->key)
        pk_op(b, 's');
    pk_stop(b);
    const gboolean ok = tz_write_torch(path, o->stem, b, storages);
    g_byte_array_unref(b);
    g_ptr_array_unref(storages);
    return ok;
}

gboolean synth_write_safetensors(const synth_tensors *t, const char *path)
{
    rift_tensor **ts = g_new(rift_tensor *, t->list->len);
    for (guint i = 0; i < t->list->len; i++) {
        const synth_tensor *p = t->list->pdata[i];
        ts[i] = rift_tensor_view(RIFT_F32, p->ndim, p->shape, p->data);
        rift_tensor_set_name(ts[i], p->name);
    }
    GError *err = NULL;
    const gboolean ok = rift_test_true(rift_safetensors_write(path, ts, t->list->len, NULL, &err),
                                       "write %s%s%s", path, err ? ": " : "",
                                       err ? err->message : "");
    g_clear_error(&err);
    for (guint i = 0; i < t->list->len; i++)
        rift_tensor_free(ts[i]);
    g_free(ts);
    return ok;
}
