/* tensor.c — dtype tables, shape checks and host conversions. */
#include "tensor.h"

#include "backend.h"
#include "rift-error.h"

#include <math.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} dtype_info[RIFT_DTYPE_COUNT] = {
    [RIFT_F32] = {"F32", 4},  [RIFT_F16] = {"F16", 2}, [RIFT_BF16] = {"BF16", 2},
    [RIFT_F64] = {"F64", 8},  [RIFT_I64] = {"I64", 8}, [RIFT_I32] = {"I32", 4},
    [RIFT_I16] = {"I16", 2},  [RIFT_I8] = {"I8", 1},   [RIFT_U8] = {"U8", 1},
    [RIFT_BOOL] = {"BOOL", 1},
};

size_t rift_dtype_size(rift_dtype dt)
{
    return dt < RIFT_DTYPE_COUNT ? dtype_info[dt].size : 0;
}

const char *rift_dtype_name(rift_dtype dt)
{
    return dt < RIFT_DTYPE_COUNT ? dtype_info[dt].name : "?";
}

gboolean rift_dtype_from_name(const char *name, rift_dtype *out)
{
    for (int i = 0; i < RIFT_DTYPE_COUNT; i++) {
        if (strcmp(name, dtype_info[i].name) == 0) {
            *out = (rift_dtype)i;
            return TRUE;
        }
    }
    return FALSE;
}

int64_t rift_tensor_numel(const rift_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

size_t rift_tensor_nbytes(const rift_tensor *t)
{
    return (size_t)rift_tensor_numel(t) * rift_dtype_size(t->dtype);
}

char *rift_shape_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t off = (size_t)g_snprintf(buf, size, "[");
    for (int i = 0; i < ndim && off < size; i++)
        off += (size_t)g_snprintf(buf + off, size - off, "%s%" G_GINT64_FORMAT, i ? ", " : "",
                                  shape[i]);
    if (off < size)
        g_snprintf(buf + off, size - off, "]");
    return buf;
}

rift_tensor *rift_tensor_view(rift_dtype dt, int ndim, const int64_t *shape, void *data)
{
    g_return_val_if_fail(ndim >= 0 && ndim <= RIFT_MAX_DIMS, NULL);
    rift_tensor *t = g_new0(rift_tensor, 1);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    t->data = data;
    return t;
}

rift_tensor *rift_tensor_new(rift_dtype dt, int ndim, const int64_t *shape)
{
    rift_tensor *t = rift_tensor_view(dt, ndim, shape, NULL);
    if (!t)
        return NULL;
    t->data = g_malloc0(MAX(rift_tensor_nbytes(t), 1));
    t->owns_data = TRUE;
    return t;
}

rift_tensor *rift_tensor_new_1d(rift_dtype dt, int64_t d0)
{
    return rift_tensor_new(dt, 1, (int64_t[]){d0});
}

rift_tensor *rift_tensor_new_2d(rift_dtype dt, int64_t d0, int64_t d1)
{
    return rift_tensor_new(dt, 2, (int64_t[]){d0, d1});
}

void rift_tensor_free(rift_tensor *t)
{
    if (!t)
        return;
    if (t->owns_data) {
        if (t->backend)
            rift_backend_free_mem(t->backend, t->data);
        else
            g_free(t->data);
    }
    g_free(t->name);
    g_free(t);
}

void rift_tensor_set_name(rift_tensor *t, const char *name)
{
    g_free(t->name);
    t->name = g_strdup(name);
}

gboolean rift_tensor_check(const rift_tensor *t, const char *what, rift_dtype dt, int ndim,
                           const int64_t *shape, GError **err)
{
    gboolean ok = t->dtype == dt && t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = shape[i] < 0 || t->shape[i] == shape[i]; /* -1: any size */
    if (ok)
        return TRUE;
    char want[256], got[256];
    rift_shape_str(want, sizeof want, ndim, shape);
    rift_shape_str(got, sizeof got, t->ndim, t->shape);
    g_set_error(err, RIFT_ERROR, RIFT_ERROR_SHAPE,
                "%s: tensor '%s' has wrong shape; expected %s %s, got %s %s", what,
                t->name ? t->name : "?", rift_dtype_name(dt), want, rift_dtype_name(t->dtype), got);
    return FALSE;
}

/* IEEE 754 binary16 -> binary32, subnormals and inf/nan included. */
float rift_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        float f = ldexpf((float)mant, -24); /* zero or subnormal */
        return sign ? -f : f;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* binary32 -> binary16, round to nearest even. */
uint16_t rift_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t absx = x & 0x7fffffffu;
    if (absx >= 0x7f800000u) /* inf or nan */
        return sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0);
    if (absx >= 0x477ff000u) /* rounds to >= 65520: overflow */
        return sign | 0x7c00;
    if (absx < 0x38800000u) { /* subnormal half (or zero) */
        float a;
        memcpy(&a, &absx, 4);
        return sign | (uint16_t)lrintf(a * 16777216.0f); /* a / 2^-24, rint = nearest even */
    }
    uint32_t mant_round = absx + 0xfffu + ((absx >> 13) & 1u);
    return sign | (uint16_t)((mant_round - (112u << 23)) >> 13);
}

float rift_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t rift_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40); /* quiet nan */
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

float *rift_tensor_to_f32(const rift_tensor *t, GError **err)
{
    if (t->backend) {
        g_set_error(err, RIFT_ERROR, RIFT_ERROR_ARG, "%s: tensor '%s' is not in host memory",
                    __func__, t->name ? t->name : "?");
        return NULL;
    }
    int64_t n = rift_tensor_numel(t);
    float *out = g_malloc(MAX((size_t)n, 1) * sizeof(float));
    const void *d = t->data;
    for (int64_t i = 0; i < n; i++) {
        switch (t->dtype) {
        case RIFT_F32: out[i] = ((const float *)d)[i]; break;
        case RIFT_F16: out[i] = rift_f16_to_f32(((const uint16_t *)d)[i]); break;
        case RIFT_BF16: out[i] = rift_bf16_to_f32(((const uint16_t *)d)[i]); break;
        case RIFT_F64: out[i] = (float)((const double *)d)[i]; break;
        case RIFT_I64: out[i] = (float)((const int64_t *)d)[i]; break;
        case RIFT_I32: out[i] = (float)((const int32_t *)d)[i]; break;
        case RIFT_I16: out[i] = (float)((const int16_t *)d)[i]; break;
        case RIFT_I8: out[i] = (float)((const int8_t *)d)[i]; break;
        case RIFT_U8:
        case RIFT_BOOL: out[i] = (float)((const uint8_t *)d)[i]; break;
        default:
            g_free(out);
            g_set_error(err, RIFT_ERROR, RIFT_ERROR_UNSUPPORTED,
                        "%s: tensor '%s' has unsupported dtype", __func__,
                        t->name ? t->name : "?");
            return NULL;
        }
    }
    return out;
}
