/* test-bad-input.c — files rift_weights_open() must refuse, each with an
 * error that names the file (and the tensor or record) and says what was
 * expected: empty, garbage, truncated zips, torch archives with no tensors,
 * missing or short storages, absurd or non-contiguous shapes, broken
 * pickles, and paths that are no files.
 */
#include "rift-error.h"
#include "testutil.h"
#include "torchzip.h"
#include "weights.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;

/* Open `path`; pass when it fails with `code` and both needles (NULL: skip)
 * are in the message. */
static void expect_fail(const char *label, const char *path, int code, const char *needle,
                        const char *needle2)
{
    GError *err = NULL;
    rift_weights *w = rift_weights_open(path, &err);
    gboolean ok = !w && err && g_error_matches(err, RIFT_ERROR, code) &&
                  strstr(err->message, path) && (!needle || strstr(err->message, needle)) &&
                  (!needle2 || strstr(err->message, needle2));
    rift_test_true(ok, "%s: %s", label, err ? err->message : "(opened)");
    g_clear_error(&err);
    rift_weights_free(w);
}

static char *write_tmp(const char *name, const void *data, gsize len)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_file_set_contents(path, data, (gssize)len, NULL);
    return path;
}

static void check_not_files(void)
{
    char *empty = write_tmp("empty.pt", "", 0);
    expect_fail("empty file", empty, RIFT_ERROR_FORMAT, "file is empty", NULL);
    g_free(empty);
    const guint8 garbage[] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    char *g = write_tmp("garbage.ckpt", garbage, sizeof garbage);
    expect_fail("garbage", g, RIFT_ERROR_FORMAT, "not a PyTorch checkpoint (zip) or a safetensors",
                "de ad be ef");
    g_free(g);
    char *pkgarbage = write_tmp("pk.ckpt", "PK\x03\x04garbage-garbage-garbage", 27);
    expect_fail("zip magic then garbage", pkgarbage, RIFT_ERROR_FORMAT, "not a readable zip", NULL);
    g_free(pkgarbage);
    const guint8 legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20};
    char *old = write_tmp("legacy.pt", legacy, sizeof legacy);
    expect_fail("legacy torch format", old, RIFT_ERROR_UNSUPPORTED, "legacy torch.save", NULL);
    g_free(old);
    expect_fail("directory", tmpdir, RIFT_ERROR_IO, "is a directory", NULL);
    char *none = g_build_filename(tmpdir, "no-such-file.pt", NULL);
    expect_fail("missing file", none, RIFT_ERROR_IO, "cannot map", NULL);
    g_free(none);
}

/* The DiT checkpoint cut short at several lengths. */
static void check_truncated(void)
{
    char *src = rift_test_fixture("dit/model.ckpt");
    char *data = NULL;
    gsize len = 0;
    if (!rift_test_true(g_file_get_contents(src, &data, &len, NULL), "read %s", src)) {
        g_free(src);
        return;
    }
    const gsize cuts[] = {3, 30, 100, 4096, len / 2, len - 4096, len - 200, len - 23, len - 1};
    for (guint i = 0; i < G_N_ELEMENTS(cuts); i++) {
        char *name = g_strdup_printf("cut-%" G_GSIZE_FORMAT ".ckpt", cuts[i]);
        char *path = write_tmp(name, data, cuts[i]);
        char *label = g_strdup_printf("model.ckpt cut to %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
                                      " bytes", cuts[i], len);
        expect_fail(label, path, RIFT_ERROR_FORMAT, NULL, NULL);
        g_free(label);
        g_free(path);
        g_free(name);
    }
    g_free(data);
    g_free(src);
}

/* An archive "<stem>/data.pkl" + one F32 storage "0" of 4 elements. */
static char *write_archive(const char *stem, GByteArray *pkl)
{
    static const float store[4] = {1, 2, 3, 4};
    char *pkl_name = g_strdup_printf("%s/data.pkl", stem);
    char *data_name = g_strdup_printf("%s/data/0", stem);
    char *file = g_strdup_printf("%s.pt", stem);
    char *path = g_build_filename(tmpdir, file, NULL);
    const tz_record recs[] = {
        {pkl_name, pkl->data, pkl->len, FALSE},
        {data_name, store, sizeof store, FALSE},
    };
    tz_write(path, recs, G_N_ELEMENTS(recs));
    g_byte_array_unref(pkl);
    g_free(file);
    g_free(data_name);
    g_free(pkl_name);
    return path;
}

/* {'w': tensor} with the given storage and geometry */
static GByteArray *one_tensor(const char *storage_class, const char *key, int64_t numel,
                              int64_t offset, int ndim, const int64_t *shape,
                              const int64_t *stride)
{
    GByteArray *b = pk_new();
    pk_op(b, '}');
    pk_str(b, "w");
    pk_tensor(b, storage_class, key, numel, offset, ndim, shape, stride);
    pk_op(b, 's');
    pk_stop(b);
    return b;
}

static void expect_archive(const char *label, GByteArray *pkl, int code, const char *needle,
                           const char *needle2)
{
    char *path = write_archive("bad", pkl);
    expect_fail(label, path, code, needle, needle2);
    g_free(path);
}

static void check_tensors(void)
{
    const char *F32 = "torch.FloatStorage";
    const int F = RIFT_ERROR_FORMAT;
    GByteArray *none = pk_new();
    pk_op(none, '}');
    pk_str(none, "epoch");
    pk_int(none, 3);
    pk_op(none, 's');
    pk_stop(none);
    expect_archive("no tensors", none, F, "holds no tensors", NULL);
    expect_archive("storage missing", one_tensor(F32, "7", 4, 0, 1, (int64_t[]){4}, NULL), F,
                   "tensor 'w'", "storage record bad/data/7 is missing");
    expect_archive("past its storage", one_tensor(F32, "0", 4, 2, 1, (int64_t[]){3}, NULL), F,
                   "tensor 'w'", "offset 2 + 3 elements run past its storage of 4");
    expect_archive("storage bigger than its record",
                   one_tensor(F32, "0", 100, 0, 1, (int64_t[]){4}, NULL), F, "tensor 'w'",
                   "holds 16 bytes, fewer than its 100 F32 elements");
    expect_archive("negative dimension", one_tensor(F32, "0", 4, 0, 1, (int64_t[]){-4}, NULL), F,
                   "tensor 'w'", "absurd shape [-4]");
    expect_archive("overflowing shape",
                   one_tensor(F32, "0", 4, 0, 3, (int64_t[]){1LL << 40, 1LL << 40, 1LL << 40},
                              (int64_t[]){1, 1, 1}),
                   F, "tensor 'w'", "absurd shape");
    expect_archive("non-contiguous", one_tensor(F32, "0", 4, 0, 2, (int64_t[]){2, 2},
                                                (int64_t[]){1, 2}),
                   RIFT_ERROR_UNSUPPORTED, "tensor 'w'", "non-contiguous");
    expect_archive("unknown storage type",
                   one_tensor("torch.ComplexFloatStorage", "0", 4, 0, 1, (int64_t[]){4}, NULL),
                   RIFT_ERROR_UNSUPPORTED, "tensor 'w'", "ComplexFloatStorage");
}

static void set_u32(guint8 *p, guint32 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (guint8)(v >> (8 * i));
}

/* Make record `name` claim `size` bytes, in its local header and in the
 * central directory (minizip checks that the two agree). */
static gboolean claim_size(guint8 *zip, gsize len, const char *name, guint32 size)
{
    gsize nlen = strlen(name);
    int patched = 0;
    for (gsize i = 0; i + 46 + nlen <= len; i++) {
        if (memcmp(zip + i, "PK\x03\x04", 4) == 0 && memcmp(zip + i + 30, name, nlen) == 0) {
            set_u32(zip + i + 18, size);
            set_u32(zip + i + 22, size);
            patched++;
        } else if (memcmp(zip + i, "PK\x01\x02", 4) == 0 &&
                   memcmp(zip + i + 46, name, nlen) == 0) {
            set_u32(zip + i + 20, size);
            set_u32(zip + i + 24, size);
            patched++;
        }
    }
    return patched == 2;
}

/* A storage record whose (stored) bytes would run past the end of the file. */
static void check_record_outside(void)
{
    char *path = write_archive("bad", one_tensor("torch.FloatStorage", "0", 4, 0, 1,
                                                 (int64_t[]){4}, NULL));
    char *data = NULL;
    gsize len = 0;
    if (g_file_get_contents(path, &data, &len, NULL) &&
        rift_test_true(claim_size((guint8 *)data, len, "bad/data/0", 1u << 30),
                       "patch the size of bad/data/0") &&
        g_file_set_contents(path, data, (gssize)len, NULL))
        expect_fail("storage record past the end of the file", path, RIFT_ERROR_FORMAT,
                    "tensor 'w': record bad/data/0 (1073741824 bytes at", "lies outside the file");
    g_free(data);
    g_free(path);
}

static GByteArray *pickle_of(const char *ops, gsize len)
{
    GByteArray *b = pk_new();
    g_byte_array_append(b, (const guint8 *)ops, (guint)len);
    return b;
}

static void check_pickles(void)
{
    const int F = RIFT_ERROR_FORMAT;
    expect_archive("no STOP", pickle_of("}", 1), F, "bad/data.pkl", "ends without STOP");
    expect_archive("unsupported opcode", pickle_of("}(i", 3), F, "bad/data.pkl",
                   "unsupported opcode");
    expect_archive("undefined memo", pickle_of("h\x05.", 3), F, "bad/data.pkl",
                   "memo entry 5 is not defined");
    expect_archive("stack underflow", pickle_of("s.", 2), F, "bad/data.pkl", "stack underflow");
    expect_archive("call a non-class", pickle_of("K\x01)R.", 5), F, "bad/data.pkl",
                   "callable is a int, not a class");
    expect_archive("truncated string", pickle_of("X\xff\xff\x00\x00ab", 7), F, "bad/data.pkl",
                   "truncated");
    GByteArray *deep = pk_new();
    for (int i = 0; i < 300; i++)
        pk_op(deep, ']');
    for (int i = 0; i < 299; i++)
        pk_op(deep, 'a');
    pk_stop(deep);
    expect_archive("deep nesting", deep, F, "nested deeper than", NULL);
    GByteArray *cyc = pk_new(); /* l = []; l.append(l); {'w': tensor, 'l': l} */
    pk_op(cyc, '}');
    pk_str(cyc, "l");
    pk_op(cyc, ']');
    pk_op(cyc, 'q');
    pk_op(cyc, 0);
    pk_op(cyc, 'h');
    pk_op(cyc, 0);
    pk_op(cyc, 'a');
    pk_op(cyc, 's');
    pk_stop(cyc);
    expect_archive("a cycle and no tensors", cyc, F, "holds no tensors", NULL);
}

int main(void)
{
    tmpdir = tz_tmpdir();
    check_not_files();
    check_truncated();
    check_tensors();
    check_record_outside();
    check_pickles();
    tz_rmtree(tmpdir);
    g_free(tmpdir);
    return rift_test_exit();
}
