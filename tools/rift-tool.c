/* rift-tool — inspect model files and run single stages outside GStreamer.
 *
 *   rift-tool inspect FILE|DIR
 *   rift-tool run STAGE [--model PATH] --in CASE.safetensors --out OUT.safetensors
 *                 [--backend auto|cpu|cuda] [--PARAM VALUE ...]
 *   rift-tool infer --model PATH --input FILE --output OUT.wav [--speaker NAME] [--OPTION VALUE ...]
 *
 * The interface is documented (and kept stable) in docs/rift-tool.md. */
#include "rift-config.h"
#include "rift-tool.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"inspect", rift_cmd_inspect, "list a model file's tensors and metadata"},
    {"run", rift_cmd_run, "run one stage on a case file (safetensors in, safetensors out)"},
    {"bench", rift_cmd_bench, "time a stage at real model sizes against this machine's sgemm peak"},
    {"infer", rift_cmd_infer, "convert a singing voice as upstream's infer.py (the riftsvc element)"},
};

static void usage(FILE *f)
{
    fprintf(f, "rift-tool %s — RIFT-SVC models outside GStreamer\n\nUsage: rift-tool COMMAND ...\n\n",
            RIFT_VERSION);
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nrift-tool COMMAND --help describes a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("rift-tool %s\n", RIFT_VERSION);
        return 0;
    }
    for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "rift-tool: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
