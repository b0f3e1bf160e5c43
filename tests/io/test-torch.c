/* test-torch.c — torch.save zip checkpoints through rift_weights_open().
 *
 * The four fixture models (Lightning DiT, its AttributeDict twin, RMVPE's
 * {'model': ...}, the HF ContentVec bin, the vocoder's {'generator': ...}):
 * counts, names, shapes, dtypes, metadata lookups, views into the mapping,
 * and values against the DiT forward fixture. Then torch 2.x style archives
 * built here (extra records, top folder named after the file, f16/bf16/i64,
 * untyped and dtype-tagged storages, storage offsets, a deflated record,
 * shared tensors, protocol 4 opcodes).
 */
#include "io-private.h"
#include "rift-error.h"
#include "testutil.h"
#include "torchzip.h"

#include <math.h>
#include <string.h>

static gboolean in_mapping(rift_weights *w, const rift_tensor *t)
{
    gsize size;
    const guint8 *base = rift_weights_bytes(w, &size);
    const guint8 *p = t->data;
    return p >= base && p + rift_tensor_nbytes(t) <= base + size;
}

static gboolean has_shape(const rift_tensor *t, rift_dtype dt, int ndim, const int64_t *shape)
{
    return t && rift_tensor_check(t, "test", dt, ndim, shape, NULL);
}

static void check_dit_meta(const char *rel, const rift_value *meta)
{
    int64_t dim = 0, depth = 0, epoch = 0;
    const rift_value *model = rift_value_lookup(meta, "hyper_parameters/cfg/model");
    rift_test_true(rift_value_as_int(rift_value_get(model, "dim"), &dim) && dim == 64 &&
                       rift_value_as_int(rift_value_get(model, "depth"), &depth) && depth == 4,
                   "%s: cfg model dim %" G_GINT64_FORMAT " depth %" G_GINT64_FORMAT, rel, dim,
                   depth);
    rift_test_true(rift_value_as_int(rift_value_get(meta, "epoch"), &epoch) && epoch == 15,
                   "%s: epoch %" G_GINT64_FORMAT, rel, epoch);
    const rift_value *spk = rift_value_lookup(meta, "hyper_parameters/cfg/spk2idx");
    const char *want[] = {"alice", "bob", "carol"};
    gboolean ok = rift_value_len(spk) == 3;
    for (guint i = 0; ok && i < 3; i++) {
        int64_t idx = -1;
        ok = g_strcmp0(rift_value_as_str(rift_value_key_at(spk, i)), want[i]) == 0 &&
             rift_value_as_int(rift_value_value_at(spk, i), &idx) && idx == (int64_t)i;
    }
    rift_test_true(ok, "%s: spk2idx alice/bob/carol -> 0/1/2", rel);
}

static void check_dit_tensors(const char *rel, rift_weights *w)
{
    guint n = rift_weights_count(w), under = 0, views = 0;
    for (guint i = 0; i < n; i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        under += g_str_has_prefix(t->name, "state_dict/model.transformer.") && t->dtype == RIFT_F32;
        views += in_mapping(w, t);
    }
    rift_test_true(n == 89 && under == 89,
                   "%s: %u tensors, %u F32 under state_dict/model.transformer.", rel, n, under);
    rift_test_true(views == n, "%s: %u of %u tensors are views into the mapping", rel, views, n);
    rift_test_true(strcmp(rift_weights_format(w), "torch") == 0, "%s: format torch", rel);
    const char *p = "state_dict/model.transformer.";
    GError *err = NULL;
    gboolean ok =
        rift_weights_take(w, p, "spk_embed.weight", RIFT_F32, 2, (int64_t[]){3, 64}, &err) &&
        rift_weights_take(w, p, "rotary_embed.inv_freq", RIFT_F32, 1, (int64_t[]){8}, &err) &&
        rift_weights_take(w, p, "cond_embed.cvec_embed.weight", RIFT_F32, 2, (int64_t[]){64, 64},
                          &err);
    rift_test_true(ok, "%s: known shapes (%s)", rel, err ? err->message : "ok");
    g_clear_error(&err);
    char **unused = rift_weights_unused(w, p);
    rift_test_true(g_strv_length(unused) == 86, "%s: %u unused after 3 takes", rel,
                   g_strv_length(unused));
    g_strfreev(unused);
}

/* inv_freq from the checkpoint against the RoPE angles of the forward
 * fixture (row 1 = inv_freq, interleaved-duplicated) and the formula. */
static void check_dit_values(rift_weights *w)
{
    rift_weights *c1 = rift_test_open("dit/case1_forward.safetensors");
    const rift_tensor *inv =
        rift_weights_find(w, "state_dict/model.transformer.rotary_embed.inv_freq");
    const rift_tensor *rope = c1 ? rift_weights_find(c1, "dbg.rope_freqs") : NULL;
    if (rift_test_true(inv && rope && rope->shape[1] == 16, "inv_freq, dbg.rope_freqs present")) {
        const float *f = inv->data, *r = rope->data;
        float from_rope[8], formula[8];
        for (int i = 0; i < 8; i++) {
            from_rope[i] = r[16 + 2 * i];
            formula[i] = (float)(1.0 / pow(10000.0, 2.0 * i / 16.0));
        }
        rift_test_check("inv_freq (ckpt) vs rope_freqs[1] (safetensors)", f, from_rope, 8, 0, 0);
        rift_test_check("inv_freq vs 1/10000^(2i/16)", f, formula, 8, 1e-7, 1e-6);
    }
    rift_weights_free(c1);
}

static void check_dit(void)
{
    rift_weights *plain = rift_test_open("dit/model.ckpt");
    rift_weights *attr = rift_test_open("dit/model_attrdict.ckpt");
    if (!plain || !attr) {
        rift_weights_free(plain);
        rift_weights_free(attr);
        return;
    }
    check_dit_tensors("dit/model.ckpt", plain);
    check_dit_tensors("dit/model_attrdict.ckpt", attr);
    check_dit_meta("dit/model.ckpt", rift_weights_meta(plain));
    check_dit_meta("dit/model_attrdict.ckpt", rift_weights_meta(attr));
    const rift_value *hp = rift_value_get(rift_weights_meta(attr), "hyper_parameters");
    rift_test_true(g_strcmp0(rift_value_object_class(hp),
                             "lightning_fabric.utilities.data.AttributeDict") == 0,
                   "AttributeDict kept as an object of its class");
    gboolean same = rift_weights_count(plain) == rift_weights_count(attr);
    for (guint i = 0; same && i < rift_weights_count(plain); i++) {
        const rift_tensor *a = rift_weights_nth(plain, i);
        const rift_tensor *b = rift_weights_find(attr, a->name);
        same = b && rift_tensor_nbytes(a) == rift_tensor_nbytes(b) &&
               memcmp(a->data, b->data, rift_tensor_nbytes(a)) == 0;
    }
    rift_test_true(same, "model.ckpt and model_attrdict.ckpt hold the same tensors");
    check_dit_values(plain);
    rift_weights_free(plain);
    rift_weights_free(attr);
}

static guint count_prefix(rift_weights *w, const char *prefix)
{
    guint n = 0;
    for (guint i = 0; i < rift_weights_count(w); i++)
        n += g_str_has_prefix(rift_weights_nth(w, i)->name, prefix);
    return n;
}

static void check_rmvpe(void)
{
    rift_weights *w = rift_test_open("rmvpe/model.pt");
    if (!w)
        return;
    rift_test_true(rift_weights_count(w) == 297 && count_prefix(w, "model/") == 297,
                   "rmvpe: 297 tensors under model/");
    const rift_tensor *nbt = rift_weights_find(w, "model/unet.encoder.bn.num_batches_tracked");
    const rift_tensor *conv =
        rift_weights_find(w, "model/unet.encoder.layers.0.conv.0.conv.0.weight");
    rift_test_true(has_shape(nbt, RIFT_I64, 0, NULL), "rmvpe: num_batches_tracked, I64 scalar");
    rift_test_true(has_shape(conv, RIFT_F32, 4, (int64_t[]){2, 1, 3, 3}),
                   "rmvpe: first conv F32 [2, 1, 3, 3]");
    rift_weights_free(w);
}

static rift_value *fixture_json(const char *rel)
{
    char *path = rift_test_fixture(rel);
    char *text = NULL;
    gsize len = 0;
    rift_value *v = NULL;
    if (g_file_get_contents(path, &text, &len, NULL))
        v = rift_value_from_json(text, (gssize)len, path, NULL);
    rift_test_true(v != NULL, "parse %s", rel);
    g_free(text);
    g_free(path);
    return v;
}

static void check_contentvec(void)
{
    rift_weights *w = rift_test_open("contentvec/tiny-content-vec-best/pytorch_model.bin");
    if (!w)
        return;
    rift_test_true(rift_weights_count(w) == 53, "contentvec: 53 tensors (%u)",
                   rift_weights_count(w));
    rift_test_true(has_shape(rift_weights_find(w, "masked_spec_embed"), RIFT_F32, 1,
                             (int64_t[]){64}),
                   "contentvec: bare key masked_spec_embed F32 [64]");
    rift_value *cfg = fixture_json("contentvec/tiny-content-vec-best/config.json");
    int64_t hidden = 0;
    rift_test_true(rift_value_as_int(rift_value_get(cfg, "hidden_size"), &hidden) && hidden == 64,
                   "contentvec: config hidden_size 64");
    rift_value_free(cfg);
    rift_weights_free(w);
}

static void check_vocoder(void)
{
    rift_weights *w = rift_test_open("vocoder/model.ckpt");
    if (!w)
        return;
    rift_test_true(rift_weights_count(w) == 303 && count_prefix(w, "generator/") == 303,
                   "vocoder: 303 tensors under generator/");
    rift_test_true(has_shape(rift_weights_find(w, "generator/conv_pre.weight_v"), RIFT_F32, 3,
                             (int64_t[]){64, 128, 7}),
                   "vocoder: conv_pre.weight_v F32 [64, 128, 7]");
    rift_value *cfg = fixture_json("vocoder/config.json");
    int64_t sr = 0, up2 = 0;
    rift_test_true(rift_value_as_int(rift_value_get(cfg, "sampling_rate"), &sr) && sr == 44100 &&
                       rift_value_len(rift_value_get(cfg, "upsample_rates")) == 5 &&
                       rift_value_as_int(rift_value_index(rift_value_get(cfg, "upsample_rates"), 2),
                                         &up2) && up2 == 2,
                   "vocoder: config sampling_rate 44100, upsample_rates[2] 2");
    rift_value_free(cfg);
    rift_weights_free(w);
}

/* ---- hand-built torch 2.x archive ---------------------------------------- */

typedef struct {
    uint16_t f16[6], bf16[4];
    int64_t i64[3];
    float f32[10];
    guint8 raw[8];
} storages;

static void fill_storages(storages *s)
{
    for (int i = 0; i < 6; i++)
        s->f16[i] = rift_f32_to_f16(0.5f * (float)i - 1.0f);
    for (int i = 0; i < 4; i++)
        s->bf16[i] = rift_f32_to_bf16(3.0f * (float)i);
    for (int i = 0; i < 3; i++)
        s->i64[i] = (int64_t)i * 10000000000LL - 7;
    for (int i = 0; i < 10; i++)
        s->f32[i] = (float)i + 0.25f;
    for (int i = 0; i < 8; i++)
        s->raw[i] = (guint8)(200 + i);
}

/* {'f16': ..., 'bf16': ..., 'i64': ..., 'a': F32 [2,2] @0, 'b': F32 [2,3] @4,
 *  'a_again': same object as 'a' (memo), 'nested': {'list': [param(bf16)]},
 *  'raw': UntypedStorage [8], 'tagged': (torch.float32 storage) [2,2] @0,
 *  'hp': AttributeDict{'lr': 1e-4, 'big': 2**70, 'name': 'x'} via STACK_GLOBAL}
 */
static GByteArray *torch2_pickle(void)
{
    GByteArray *b = pk_new();
    pk_op(b, '}');
    pk_op(b, '(');
    pk_str(b, "f16");
    pk_tensor(b, "torch.HalfStorage", "0", 6, 0, 2, (int64_t[]){2, 3}, NULL);
    pk_str(b, "bf16");
    pk_tensor(b, "torch.BFloat16Storage", "1", 4, 0, 1, (int64_t[]){4}, NULL);
    pk_str(b, "i64");
    pk_tensor(b, "torch.LongStorage", "2", 3, 0, 1, (int64_t[]){3}, NULL);
    pk_str(b, "a");
    pk_tensor(b, "torch.FloatStorage", "3", 10, 0, 2, (int64_t[]){2, 2}, NULL);
    pk_op(b, 'q'); /* BINPUT 200 */
    pk_op(b, 200);
    pk_str(b, "b");
    pk_tensor(b, "torch.FloatStorage", "3", 10, 4, 2, (int64_t[]){2, 3}, NULL);
    pk_str(b, "a_again");
    pk_op(b, 'h'); /* BINGET 200 */
    pk_op(b, 200);
    pk_str(b, "nested");
    pk_op(b, '}');
    pk_str(b, "list");
    pk_op(b, ']');
    pk_global(b, "torch._utils", "_rebuild_parameter");
    pk_tensor(b, "torch.BFloat16Storage", "1", 4, 1, 1, (int64_t[]){3}, NULL);
    pk_op(b, 0x88); /* NEWTRUE */
    pk_global(b, "collections", "OrderedDict");
    pk_op(b, ')');
    pk_op(b, 'R');
    pk_op(b, 0x87); /* TUPLE3 */
    pk_op(b, 'R');
    pk_op(b, 'a'); /* APPEND */
    pk_op(b, 's'); /* SETITEM */
    pk_str(b, "raw");
    pk_tensor(b, "torch.storage.UntypedStorage", "4", 8, 0, 1, (int64_t[]){8}, NULL);
    pk_str(b, "tagged");
    pk_tensor(b, "torch.float32", "3", 10, 0, 2, (int64_t[]){2, 2}, NULL);
    pk_str(b, "hp");
    pk_op(b, 0x8c); /* SHORT_BINUNICODE + STACK_GLOBAL */
    pk_op(b, 31);
    g_byte_array_append(b, (const guint8 *)"lightning_fabric.utilities.data", 31);
    pk_op(b, 0x8c);
    pk_op(b, 13);
    g_byte_array_append(b, (const guint8 *)"AttributeDict", 13);
    pk_op(b, 0x93);
    pk_op(b, ')');
    pk_op(b, 0x81); /* NEWOBJ */
    pk_op(b, 0x94); /* MEMOIZE */
    pk_op(b, '(');
    pk_str(b, "lr");
    pk_op(b, 'G'); /* BINFLOAT 1e-4, big-endian */
    const guint8 lr[8] = {0x3f, 0x1a, 0x36, 0xe2, 0xeb, 0x1c, 0x43, 0x2d};
    g_byte_array_append(b, lr, 8);
    pk_str(b, "big");
    pk_op(b, 0x8a); /* LONG1 2**70 */
    pk_op(b, 9);
    const guint8 big[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0x40};
    g_byte_array_append(b, big, 9);
    pk_str(b, "name");
    pk_str(b, "x");
    pk_op(b, 'u');
    pk_op(b, 'u');
    pk_stop(b);
    return b;
}

static char *write_torch2(const char *dir, const storages *s)
{
    GByteArray *pkl = torch2_pickle();
    char *path = g_build_filename(dir, "my_model.pt", NULL);
    const tz_record recs[] = {
        {"my_model/data.pkl", pkl->data, pkl->len, FALSE},
        {"my_model/byteorder", "little", 6, FALSE},
        {"my_model/data/0", s->f16, sizeof s->f16, FALSE},
        {"my_model/data/1", s->bf16, sizeof s->bf16, FALSE},
        {"my_model/data/2", s->i64, sizeof s->i64, FALSE},
        {"my_model/data/3", s->f32, sizeof s->f32, TRUE},
        {"my_model/data/4", s->raw, sizeof s->raw, FALSE},
        {"my_model/version", "3\n", 2, FALSE},
        {"my_model/.data/serialization_id", "1234567890", 10, FALSE},
        {"my_model/.format_version", "1", 1, FALSE},
        {"my_model/.storage_alignment", "64", 2, FALSE},
    };
    tz_write(path, recs, G_N_ELEMENTS(recs));
    g_byte_array_unref(pkl);
    return path;
}

static void check_torch2_values(rift_weights *w, const storages *s)
{
    const rift_tensor *f16 = rift_weights_find(w, "f16"), *a = rift_weights_find(w, "a");
    const rift_tensor *bf = rift_weights_find(w, "bf16"), *i64 = rift_weights_find(w, "i64");
    const rift_tensor *b = rift_weights_find(w, "b"), *p = rift_weights_find(w, "nested/list/0");
    const rift_tensor *raw = rift_weights_find(w, "raw"), *tag = rift_weights_find(w, "tagged");
    rift_test_true(has_shape(f16, RIFT_F16, 2, (int64_t[]){2, 3}) &&
                       has_shape(bf, RIFT_BF16, 1, (int64_t[]){4}) &&
                       has_shape(i64, RIFT_I64, 1, (int64_t[]){3}) &&
                       has_shape(b, RIFT_F32, 2, (int64_t[]){2, 3}) &&
                       has_shape(p, RIFT_BF16, 1, (int64_t[]){3}) &&
                       has_shape(raw, RIFT_U8, 1, (int64_t[]){8}) &&
                       has_shape(tag, RIFT_F32, 2, (int64_t[]){2, 2}),
                   "torch2: names, dtypes and shapes");
    if (!f16 || !bf || !i64 || !a || !b || !p || !raw || !tag)
        return;
    float want_f16[6], got_f16[6];
    for (int i = 0; i < 6; i++) {
        want_f16[i] = 0.5f * (float)i - 1.0f;
        got_f16[i] = rift_f16_to_f32(((const uint16_t *)f16->data)[i]);
    }
    rift_test_check("torch2: f16 values", got_f16, want_f16, 6, 0, 0);
    rift_test_true(rift_bf16_to_f32(((const uint16_t *)bf->data)[3]) == 9.0f &&
                       rift_bf16_to_f32(((const uint16_t *)p->data)[0]) == 3.0f,
                   "torch2: bf16 values, parameter at storage offset 1");
    rift_test_true(memcmp(i64->data, s->i64, sizeof s->i64) == 0, "torch2: i64 values");
    rift_test_check("torch2: F32 'b' at storage offset 4 (deflated record)", b->data, s->f32 + 4,
                    6, 0, 0);
    rift_test_true(memcmp(raw->data, s->raw, 8) == 0 && memcmp(tag->data, a->data, 16) == 0,
                   "torch2: untyped and dtype-tagged storages");
}

static void check_torch2_meta(const rift_value *meta)
{
    double lr = 0, big = 0;
    const rift_value *hp = rift_value_get(meta, "hp");
    rift_test_true(rift_value_as_double(rift_value_get(hp, "lr"), &lr) && lr == 1e-4 &&
                       rift_value_as_double(rift_value_get(hp, "big"), &big) &&
                       big == ldexp(1.0, 70) &&
                       g_strcmp0(rift_value_as_str(rift_value_lookup(meta, "hp/name")), "x") == 0,
                   "torch2: AttributeDict via STACK_GLOBAL/NEWOBJ/MEMOIZE, BINFLOAT, big LONG1");
    rift_test_true(rift_value_as_tensor(rift_value_get(meta, "a")) ==
                       rift_value_as_tensor(rift_value_get(meta, "a_again")),
                   "torch2: memoised tensor shared in the tree");
}

static void check_torch2(void)
{
    storages s;
    fill_storages(&s);
    char *dir = tz_tmpdir();
    char *path = write_torch2(dir, &s);
    GError *err = NULL;
    rift_weights *w = rift_weights_open(path, &err);
    rift_test_true(w != NULL, "torch2: open my_model.pt (%s)", err ? err->message : "ok");
    g_clear_error(&err);
    if (w) {
        rift_test_true(rift_weights_count(w) == 9 && rift_weights_find(w, "a_again"),
                       "torch2: 9 tensors, the memoised one under both keys (%u)",
                       rift_weights_count(w));
        check_torch2_values(w, &s);
        check_torch2_meta(rift_weights_meta(w));
    }
    rift_weights_free(w);
    tz_rmtree(dir);
    g_free(path);
    g_free(dir);
}

int main(void)
{
    check_dit();
    check_rmvpe();
    check_contentvec();
    check_vocoder();
    check_torch2();
    return rift_test_exit();
}
