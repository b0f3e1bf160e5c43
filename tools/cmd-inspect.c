/* cmd-inspect.c — `rift-tool inspect FILE|DIR`: every tensor of a model file
 * (name, dtype, shape), then what a user needs to know about the model: for
 * a RIFT-SVC DiT checkpoint its model config and speakers, for RMVPE its
 * sizes (read off the tensors), for the ContentVec (Hugging Face) directory
 * and the vocoder their config.json, for a safetensors file its metadata.
 *
 * Tested by tests/io/test-inspect.c on the four fixture models.
 */
#include "rift-tool.h"
#include "weights.h"

#include <stdio.h>
#include <string.h>

/* What the summary shows of each config; the rest is in the file. */
static const char *const hf_keys[] = {
    "model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "intermediate_size", "hidden_act", "conv_dim", "conv_kernel", "conv_stride",
    "num_conv_pos_embeddings", "num_conv_pos_embedding_groups", "feat_extract_norm",
    "do_stable_layer_norm", "classifier_proj_size", "layer_norm_eps", "torch_dtype", NULL};
static const char *const vocoder_keys[] = {
    "sampling_rate", "num_mels", "hop_size", "n_fft", "win_size", "fmin", "fmax", "resblock",
    "upsample_rates", "upsample_kernel_sizes", "upsample_initial_channel",
    "resblock_kernel_sizes", "resblock_dilation_sizes", NULL};
/* model files looked for in a directory, in this order */
static const char *const dir_models[] = {"model.safetensors", "pytorch_model.bin", "model.ckpt",
                                         "model.pt", NULL};

static void usage(FILE *f)
{
    fprintf(f, "Usage: rift-tool inspect FILE|DIR\n\n"
               "Lists the tensors of a PyTorch checkpoint (.pt/.ckpt/.bin) or safetensors file,\n"
               "or of the model in DIR (%s, %s, %s or %s, with config.json),\n"
               "then the model's configuration.\n",
            dir_models[0], dir_models[1], dir_models[2], dir_models[3]);
}

static void print_value(const char *indent, const char *key, const rift_value *v)
{
    char *s = rift_value_to_string(v, FALSE);
    if (strlen(s) > 160)
        strcpy(s + 150, " ...");
    printf("%s%-26s %s\n", indent, key, s);
    g_free(s);
}

static void print_tensors(const rift_weights *w)
{
    guint n = rift_weights_count(w);
    guint64 bytes[RIFT_DTYPE_COUNT] = {0};
    for (guint i = 0; i < n; i++) {
        const rift_tensor *t = rift_weights_nth(w, i);
        char shape[24 * RIFT_MAX_DIMS];
        rift_shape_str(shape, sizeof shape, t->ndim, t->shape);
        printf("  %-60s %-4s %s\n", t->name, rift_dtype_name(t->dtype), shape);
        bytes[t->dtype] += rift_tensor_nbytes(t);
    }
    printf("%s: %s, %u tensors (", rift_weights_path(w), rift_weights_format(w), n);
    const char *sep = "";
    for (int d = 0; d < RIFT_DTYPE_COUNT; d++) {
        if (bytes[d]) {
            char *size = g_format_size(bytes[d]);
            printf("%s%s %s", sep, rift_dtype_name((rift_dtype)d), size);
            g_free(size);
            sep = ", ";
        }
    }
    printf(")\n");
}

static void print_keys(const char *title, const rift_value *cfg, const char *const *keys)
{
    printf("%s\n", title);
    for (const char *const *k = keys; *k; k++) {
        const rift_value *v = rift_value_get(cfg, *k);
        if (v)
            print_value("  ", *k, v);
    }
}

static void print_dict(const char *title, const rift_value *d)
{
    printf("%s\n", title);
    for (guint i = 0; i < rift_value_len(d); i++) {
        const char *k = rift_value_as_str(rift_value_key_at(d, i));
        print_value("  ", k ? k : "?", rift_value_value_at(d, i));
    }
}

static gboolean has_prefix(const rift_weights *w, const char *prefix)
{
    for (guint i = 0; i < rift_weights_count(w); i++) {
        if (g_str_has_prefix(rift_weights_nth(w, i)->name, prefix))
            return TRUE;
    }
    return FALSE;
}

static void print_speakers(const rift_value *spk2idx)
{
    printf("speakers (%u):", rift_value_len(spk2idx));
    for (guint i = 0; i < rift_value_len(spk2idx); i++) {
        int64_t idx = -1;
        rift_value_as_int(rift_value_value_at(spk2idx, i), &idx);
        const char *name = rift_value_as_str(rift_value_key_at(spk2idx, i));
        printf("%s %s=%" G_GINT64_FORMAT, i ? "," : "", name ? name : "?", idx);
    }
    printf("\n");
}

static void summarize_dit(const rift_value *meta)
{
    const rift_value *cfg = rift_value_lookup(meta, "hyper_parameters/cfg");
    const char *pl = rift_value_as_str(rift_value_get(meta, "pytorch-lightning_version"));
    int64_t epoch = -1, step = -1;
    rift_value_as_int(rift_value_get(meta, "epoch"), &epoch);
    rift_value_as_int(rift_value_get(meta, "global_step"), &step);
    printf("RIFT-SVC DiT checkpoint (Lightning %s, epoch %" G_GINT64_FORMAT ", step %"
           G_GINT64_FORMAT ")\n",
           pl ? pl : "?", epoch, step);
    if (!cfg) {
        printf("no hyper_parameters/cfg: model config unknown\n");
        return;
    }
    print_dict("model config (hyper_parameters/cfg/model):", rift_value_get(cfg, "model"));
    print_speakers(rift_value_get(cfg, "spk2idx"));
}

/* RMVPE has no config: its sizes are read off the tensors. */
static int64_t dim_of(const rift_weights *w, const char *name, int d)
{
    const rift_tensor *t = rift_weights_find(w, name);
    return t && d < t->ndim ? t->shape[d] : -1;
}

static void summarize_rmvpe(const rift_weights *w)
{
    printf("RMVPE checkpoint ({'model': state_dict}): encoder channels %" G_GINT64_FORMAT
           ", BiGRU hidden %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " pitch bins\n",
           dim_of(w, "model/unet.encoder.layers.0.conv.0.conv.0.weight", 0),
           dim_of(w, "model/fc.0.gru.weight_hh_l0", 1), dim_of(w, "model/fc.1.weight", 0));
}

/* config.json beside the model file, or NULL */
static rift_value *config_beside(const char *model, GError **err)
{
    char *dir = g_path_get_dirname(model);
    char *path = g_build_filename(dir, "config.json", NULL);
    char *text = NULL;
    gsize len = 0;
    rift_value *cfg = NULL;
    if (g_file_test(path, G_FILE_TEST_EXISTS) && g_file_get_contents(path, &text, &len, err))
        cfg = rift_value_from_json(text, (gssize)len, path, err);
    g_free(text);
    g_free(path);
    g_free(dir);
    return cfg;
}

static void summarize(const rift_weights *w, const rift_value *cfg)
{
    const rift_value *meta = rift_weights_meta(w);
    if (strcmp(rift_weights_format(w), "safetensors") == 0 && rift_value_len(meta))
        print_dict("metadata:", meta);
    if (has_prefix(w, "state_dict/model.") && rift_value_get(meta, "hyper_parameters"))
        summarize_dit(meta);
    else if (has_prefix(w, "model/unet."))
        summarize_rmvpe(w);
    if (has_prefix(w, "generator/"))
        printf("vocoder checkpoint ({'generator': state_dict})\n");
    if (cfg && rift_value_get(cfg, "model_type"))
        print_keys("Hugging Face config (config.json):", cfg, hf_keys);
    else if (cfg && rift_value_get(cfg, "upsample_rates"))
        print_keys("vocoder config (config.json):", cfg, vocoder_keys);
}

static char *model_in_dir(const char *dir)
{
    for (const char *const *m = dir_models; *m; m++) {
        char *path = g_build_filename(dir, *m, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
            return path;
        g_free(path);
    }
    return NULL;
}

static int inspect(const char *arg)
{
    char *path = g_file_test(arg, G_FILE_TEST_IS_DIR) ? model_in_dir(arg) : g_strdup(arg);
    if (!path) {
        fprintf(stderr,
                "rift-tool inspect: %s: no model file (%s, %s, %s or %s) in this directory\n", arg,
                dir_models[0], dir_models[1], dir_models[2], dir_models[3]);
        return 1;
    }
    GError *err = NULL;
    rift_weights *w = rift_weights_open(path, &err);
    rift_value *cfg = w ? config_beside(path, &err) : NULL;
    if (w && !err) {
        print_tensors(w);
        summarize(w, cfg);
    }
    if (err)
        fprintf(stderr, "rift-tool inspect: %s\n", err->message);
    int rc = err ? 1 : 0;
    g_clear_error(&err);
    rift_value_free(cfg);
    rift_weights_free(w);
    g_free(path);
    return rc;
}

int rift_cmd_inspect(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        usage(stderr);
        return 2;
    }
    return inspect(argv[1]);
}
