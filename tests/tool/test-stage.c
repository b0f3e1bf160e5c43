/* test-stage.c — runs `rift-tool run STAGE` on a fixture case as a user
 * would (a separate process), then compares each named output with the
 * case's reference tensor of the same name.
 *
 * Usage: test-stage STAGE MODEL|- CASE NAME:MAXABS:RELL2 ... [-- EXTRA FLAGS]
 * MODEL and CASE are relative to $RIFT_FIXTURES; $RIFT_TOOL is the binary. */
#include "testutil.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gboolean run_tool(const char *stage, const char *model, const char *in, const char *out,
                         char **extra)
{
    GPtrArray *argv = g_ptr_array_new();
    const char *tool = g_getenv("RIFT_TOOL");
    g_ptr_array_add(argv, (char *)(tool ? tool : "rift-tool"));
    g_ptr_array_add(argv, "run");
    g_ptr_array_add(argv, (char *)stage);
    char *model_path = NULL;
    if (strcmp(model, "-") != 0) {
        model_path = rift_test_fixture(model);
        g_ptr_array_add(argv, "--model");
        g_ptr_array_add(argv, model_path);
    }
    char *in_path = rift_test_fixture(in);
    const char *fixed[] = {"--in", in_path, "--out", out, "--backend", "cpu"};
    for (guint i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_ptr_array_add(argv, (char *)fixed[i]);
    for (char **e = extra; e && *e; e++)
        g_ptr_array_add(argv, *e);
    g_ptr_array_add(argv, NULL);

    int status = -1;
    GError *err = NULL;
    char *cmd = g_strjoinv(" ", (char **)argv->pdata);
    printf("$ %s\n", cmd);
    fflush(stdout);
    gboolean spawned = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_CHILD_INHERITS_STDIN,
                                    NULL, NULL, NULL, NULL, &status, &err);
    gboolean ok = rift_test_true(spawned && g_spawn_check_wait_status(status, NULL),
                                 "rift-tool run %s exits 0%s%s", stage, err ? ": " : "",
                                 err ? err->message : "");
    g_clear_error(&err);
    g_free(cmd);
    g_free(model_path);
    g_free(in_path);
    g_ptr_array_unref(argv);
    return ok;
}

static void compare(rift_weights *out, rift_weights *ref, const char *spec)
{
    char **f = g_strsplit(spec, ":", 3);
    if (!f[0] || !f[1] || !f[2]) {
        rift_test_true(FALSE, "check spec '%s' is NAME:MAXABS:RELL2", spec);
        g_strfreev(f);
        return;
    }
    int64_t n_got = 0, n_ref = 0;
    float *got = rift_test_tensor_f32(out, f[0], &n_got);
    float *want = rift_test_tensor_f32(ref, f[0], &n_ref);
    const rift_tensor *tg = rift_weights_find(out, f[0]), *tr = rift_weights_find(ref, f[0]);
    if (got && want) {
        char sg[128], sr[128];
        rift_shape_str(sg, sizeof sg, tg->ndim, tg->shape);
        rift_shape_str(sr, sizeof sr, tr->ndim, tr->shape);
        if (rift_test_true(!strcmp(sg, sr), "%s: shape %s == %s", f[0], sg, sr))
            rift_test_check(f[0], got, want, n_got, g_ascii_strtod(f[1], NULL),
                            g_ascii_strtod(f[2], NULL));
    }
    g_free(got);
    g_free(want);
    g_strfreev(f);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: test-stage STAGE MODEL|- CASE NAME:MAXABS:RELL2 ... [-- FLAGS]\n");
        return 2;
    }
    int n_checks = argc - 4;
    char **extra = NULL;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            n_checks = i - 4;
            extra = argv + i + 1;
            break;
        }
    }
    char *dir = g_dir_make_tmp("rift-stage-XXXXXX", NULL);
    char *out_path = g_build_filename(dir, "out.safetensors", NULL);
    if (run_tool(argv[1], argv[2], argv[3], out_path, extra)) {
        rift_weights *out = rift_weights_open(out_path, NULL);
        rift_weights *ref = rift_test_open(argv[3]);
        if (rift_test_true(out != NULL, "output file readable") && ref)
            for (int i = 0; i < n_checks; i++)
                compare(out, ref, argv[4 + i]);
        rift_weights_free(out);
        rift_weights_free(ref);
    }
    g_unlink(out_path);
    g_rmdir(dir);
    g_free(out_path);
    g_free(dir);
    return rift_test_exit();
}
