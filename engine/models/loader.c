/* loader.c — see loader.h. */
#include "loader.h"

#include "rift-error.h"

#include <stdarg.h>
#include <string.h>

struct rift_loader {
    rift_weights *w;
    rift_backend *be;
    char *prefix;
    char *what;
    GPtrArray *owned; /* backend buffers we allocated */
    GError *error;
};

rift_loader *rift_loader_new(rift_weights *w, rift_backend *be, const char *prefix,
                             const char *what)
{
    rift_loader *ld = g_new0(rift_loader, 1);
    ld->w = w;
    ld->be = be;
    ld->prefix = g_strdup(prefix);
    ld->what = g_strdup(what);
    ld->owned = g_ptr_array_new();
    return ld;
}

void rift_loader_fail(rift_loader *ld, GError *error)
{
    if (ld->error)
        g_error_free(error);
    else
        ld->error = error;
}

gboolean rift_loader_failed(const rift_loader *ld)
{
    return ld->error != NULL;
}

static gboolean is_float(rift_dtype dt)
{
    return dt == RIFT_F32 || dt == RIFT_F16 || dt == RIFT_BF16 || dt == RIFT_F64;
}

float *rift_loader_f32(rift_loader *ld, int ndim, const int64_t *shape, const char *fmt, ...)
{
    if (ld->error)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *name = g_strconcat(ld->prefix, rel, NULL);
    g_free(rel);

    float *out = NULL;
    GError *err = NULL;
    const rift_tensor *t = rift_weights_find(ld->w, name);
    rift_dtype dt = t && is_float(t->dtype) ? t->dtype : RIFT_F32;
    t = rift_weights_take(ld->w, "", name, dt, ndim, shape, &err);
    if (!t) {
        g_prefix_error(&err, "%s: ", ld->what);
        rift_loader_fail(ld, err);
    } else if (dt == RIFT_F32 && rift_backend_get_kind(ld->be) == RIFT_BACKEND_CPU) {
        out = t->data; /* the mapping itself */
    } else {
        float *host = rift_tensor_to_f32(t, &err);
        if (!host) {
            rift_loader_fail(ld, err);
        } else {
            const size_t bytes = (size_t)rift_tensor_numel(t) * sizeof(float);
            out = rift_backend_alloc(ld->be, bytes);
            rift_backend_upload(ld->be, out, host, bytes);
            g_ptr_array_add(ld->owned, out);
            /* the upload may be asynchronous: keep the host copy until sync */
            if (!rift_backend_sync(ld->be, &err)) {
                rift_loader_fail(ld, err);
                out = NULL;
            }
            g_free(host);
        }
    }
    g_free(name);
    return out;
}

float *rift_loader_host_f32(rift_loader *ld, int ndim, const int64_t *shape, const char *fmt, ...)
{
    if (ld->error)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    char *rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *name = g_strconcat(ld->prefix, rel, NULL);
    g_free(rel);
    GError *err = NULL;
    const rift_tensor *t = rift_weights_find(ld->w, name);
    const rift_dtype dt = t && is_float(t->dtype) ? t->dtype : RIFT_F32;
    float *host = NULL;
    t = rift_weights_take(ld->w, "", name, dt, ndim, shape, &err);
    if (t)
        host = rift_tensor_to_f32(t, &err);
    else
        g_prefix_error(&err, "%s: ", ld->what);
    if (!host)
        rift_loader_fail(ld, err);
    g_free(name);
    return host;
}

float *rift_loader_upload(rift_loader *ld, const float *host, int64_t n)
{
    if (ld->error)
        return NULL;
    const size_t bytes = (size_t)n * sizeof(float);
    float *out = rift_backend_alloc(ld->be, bytes);
    rift_backend_upload(ld->be, out, host, bytes);
    g_ptr_array_add(ld->owned, out);
    GError *err = NULL;
    /* the upload may be asynchronous and the caller frees host next */
    if (!rift_backend_sync(ld->be, &err)) {
        rift_loader_fail(ld, err);
        return NULL;
    }
    return out;
}

void rift_loader_ignore(rift_loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *prefix = g_strconcat(ld->prefix, rel, NULL);
    g_free(rel);
    for (guint i = 0; i < rift_weights_count(ld->w); i++) {
        const rift_tensor *t = rift_weights_nth(ld->w, i);
        if (g_str_has_prefix(t->name, prefix))
            rift_weights_take(ld->w, "", t->name, t->dtype, t->ndim, t->shape, NULL);
    }
    g_free(prefix);
}

const rift_tensor *rift_loader_peek(rift_loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *name = g_strconcat(ld->prefix, rel, NULL);
    const rift_tensor *t = rift_weights_find(ld->w, name);
    g_free(rel);
    g_free(name);
    return t;
}

void rift_loader_free_owned(rift_backend *be, GPtrArray *owned)
{
    if (!owned)
        return;
    for (guint i = 0; i < owned->len; i++)
        rift_backend_free_mem(be, owned->pdata[i]);
    g_ptr_array_unref(owned);
}

gboolean rift_loader_finish(rift_loader *ld, GPtrArray **owned, GError **err)
{
    if (!ld->error) {
        char **unused = rift_weights_unused(ld->w, ld->prefix);
        if (unused && unused[0]) {
            char *list = g_strjoinv(", ", unused);
            ld->error = g_error_new(RIFT_ERROR, RIFT_ERROR_FORMAT,
                                    "%s: %s: unexpected tensors (another model type or version?): "
                                    "%s",
                                    ld->what, rift_weights_path(ld->w), list);
            g_free(list);
        }
        g_strfreev(unused);
    }
    gboolean ok = ld->error == NULL;
    if (ok) {
        *owned = ld->owned;
    } else {
        g_propagate_error(err, ld->error);
        rift_loader_free_owned(ld->be, ld->owned);
    }
    g_free(ld->prefix);
    g_free(ld->what);
    g_free(ld);
    return ok;
}
