/* test-inspect.c — `rift-tool inspect` on the four fixture models (and a
 * safetensors file): exit status 0 and the facts a user looks for; then a
 * directory without a model and a broken file: status 1 and a message.
 */
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* Run `rift-tool inspect rel`; the exit status, stdout and stderr. */
static int run_inspect(const char *rel, char **out, char **errout)
{
    char *path = g_str_has_prefix(rel, "/") ? g_strdup(rel) : rift_test_fixture(rel);
    const char *tool = g_getenv("RIFT_TOOL");
    char *argv[] = {(char *)(tool ? tool : "rift-tool"), "inspect", path, NULL};
    int status = -1;
    GError *err = NULL;
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, errout, &status, &err)) {
        rift_test_true(FALSE, "spawn %s (%s)", argv[0], err->message);
        g_error_free(err);
        *out = g_strdup("");
        *errout = g_strdup("");
    }
    g_free(path);
    if (g_spawn_check_wait_status(status, &err))
        return 0;
    int rc = err->domain == G_SPAWN_EXIT_ERROR ? err->code : -1; /* -1: killed */
    g_error_free(err);
    return rc;
}

/* Every needle must be in the output of a successful run. */
static void expect_output(const char *rel, const char *const *needles)
{
    char *out = NULL, *err = NULL;
    int rc = run_inspect(rel, &out, &err);
    gboolean ok = rc == 0;
    const char *missing = NULL;
    for (const char *const *n = needles; ok && *n; n++) {
        if (!strstr(out, *n)) {
            missing = *n;
            ok = FALSE;
        }
    }
    rift_test_true(ok, "inspect %s: exit %d%s%s %s", rel, rc, missing ? ", missing: " : "",
                   missing ? missing : "", err);
    g_free(out);
    g_free(err);
}

static void expect_failure(const char *label, const char *path, const char *needle)
{
    char *out = NULL, *err = NULL;
    int rc = run_inspect(path, &out, &err);
    rift_test_true(rc == 1 && strstr(err, needle), "%s: exit %d: %s", label, rc, err);
    g_free(out);
    g_free(err);
}

int main(void)
{
    const char *dit[] = {"89 tensors",
                         "state_dict/model.transformer.spk_embed.weight",
                         "RIFT-SVC DiT checkpoint (Lightning 2.5.5, epoch 15, step 1000)",
                         "speakers (3): alice=0, bob=1, carol=2", "cvec_dim", NULL};
    expect_output("dit/model.ckpt", dit);
    expect_output("dit/model_attrdict.ckpt", dit);
    const char *rmvpe[] = {"297 tensors", "model/unet.encoder.bn.num_batches_tracked",
                           "RMVPE checkpoint", NULL};
    expect_output("rmvpe/model.pt", rmvpe);
    const char *cvec[] = {"53 tensors", "masked_spec_embed", "Hugging Face config",
                          "\"hubert\"", "num_hidden_layers", NULL};
    expect_output("contentvec/tiny-content-vec-best", cvec);
    const char *voc[] = {"303 tensors", "generator/conv_pre.weight_v", "vocoder config",
                         "44100", "[8,8,2,2,2]", NULL};
    expect_output("vocoder", voc);
    expect_output("vocoder/model.ckpt", voc);
    const char *mel[] = {"mel_basis", "[128, 1025]", "metadata:", "producer", NULL};
    expect_output("mel/mel_filterbank.safetensors", mel);

    char *dir = g_dir_make_tmp("rift-inspect-XXXXXX", NULL);
    expect_failure("empty directory", dir, "no model file");
    char *bad = g_build_filename(dir, "model.ckpt", NULL);
    g_file_set_contents(bad, "PK\x03\x04 not really", 16, NULL);
    expect_failure("broken model.ckpt", bad, "not a readable zip archive");
    g_remove(bad);
    g_rmdir(dir);
    g_free(bad);
    g_free(dir);
    return rift_test_exit();
}
