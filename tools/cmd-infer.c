/* cmd-infer.c — `rift-tool infer`: upstream's infer.py on the command line,
 * with its options and defaults. It runs the GStreamer pipeline
 *
 *   filesrc ! decodebin ! audioconvert ! audioresample ! riftsvc
 *       ! audioconvert ! audio/x-raw,format=F32LE ! wavenc ! filesink
 *
 * so the conversion is the riftsvc bin's (gst/gstriftsvc.c), not a second
 * code path: every option but --input/--output is the riftsvc property of
 * the same name, set from its string through the property's own type and
 * range. Progress goes to a terminal from the position of the audio leaving
 * riftsvc; errors come from the bus with their message (docs/rift-tool.md).
 *
 * Tested by tests/gst/test-riftsvc.c. */
#include "rift-config.h"
#include "rift-tool.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The options that are riftsvc properties, with infer.py's defaults (the
 * properties' defaults are the same; shown in --help). */
static const struct {
    const char *name;
    const char *arg;
    const char *help;
} props[] = {
    {"model", "PATH", "RIFT-SVC checkpoint (.ckpt) (required)"},
    {"speaker", "NAME", "target speaker, a name of the model's spk2idx"},
    {"key-shift", "SEMITONES", "pitch shift in semitones (0)"},
    {"robust-f0", "0|1|2", "f0 checked by DIO and Praat: 0 off, 1 light, 2 aggressive (0)"},
    {"infer-steps", "N", "number of inference steps (32)"},
    {"ds-cfg-strength", "X", "downsampled content vector guidance strength (0.2)"},
    {"spk-cfg-strength", "X", "speaker guidance strength (0.8)"},
    {"skip-cfg-strength", "X", "skip layer guidance strength (0.0)"},
    {"cfg-skip-layers", "L[,L]", "layer(s) to skip for skip layer guidance (none)"},
    {"cfg-rescale", "X", "classifier-free guidance rescale factor (0.7)"},
    {"cvec-downsample-rate", "N", "downsampling rate for the bad content vector (2)"},
    {"target-loudness", "LUFS", "loudness segments are normalised to (-18.0)"},
    {"restore-loudness", "BOOL", "restore each segment's original loudness (true)"},
    {"fade-duration", "MS", "fade between segments in milliseconds (20.0)"},
    {"slicer-threshold", "DB", "slicer silence threshold in dB (-30.0)"},
    {"slicer-min-length", "MS", "shortest segment in milliseconds (3000)"},
    {"slicer-min-interval", "MS", "shortest silence that cuts, in milliseconds (100)"},
    {"slicer-hop-size", "MS", "slicer hop in milliseconds (10)"},
    {"slicer-max-sil-kept", "MS", "most silence kept around a cut, in milliseconds (200)"},
    {"batch-size", "N", "segments sampled together (1)"},
    {"pretrained", "DIR", "directory of the models below in infer.py's layout (pretrained)"},
    {"rmvpe", "PATH", "RMVPE checkpoint (DIR/rmvpe/model.pt)"},
    {"contentvec", "DIR", "ContentVec model directory (DIR/content-vec-best)"},
    {"vocoder", "PATH", "vocoder checkpoint "
                        "(DIR/nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt)"},
    {"backend", "auto|cpu|cuda", "where the models run (auto)"},
    {"cuda-device-id", "N", "CUDA device (-1: the first)"},
    {"seed", "N", "seed of the sampler's and vocoder's noise (0)"},
    {"noise-scale", "X", "scale of that noise; 0 = none, deterministic (1.0)"},
    {"precision", "fp32|bf16|fp16", "number format of the DiT's products (fp32)"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: rift-tool infer --model PATH --input FILE --output OUT.wav [--speaker NAME]\n"
               "                       [--OPTION VALUE ...]\n\n"
               "Converts the singing voice in FILE (any format GStreamer decodes) to SPEAKER of\n"
               "the RIFT-SVC model, as upstream's infer.py, and writes a 32-bit float WAV at\n"
               "44.1 kHz with the input's length. Runs the riftsvc element of the gst-rift\n"
               "plugin (found through GST_PLUGIN_PATH, or where gst-rift was installed).\n\n"
               "  --input FILE                 input audio file (required)\n"
               "  --output OUT.wav             output WAV file (required)\n");
    for (guint i = 0; i < G_N_ELEMENTS(props); i++) {
        char *opt = g_strdup_printf("--%s %s", props[i].name, props[i].arg);
        fprintf(f, "  %-28s %s\n", opt, props[i].help);
        g_free(opt);
    }
    fprintf(f, "  --device cpu|cuda[:N]        as infer.py: --backend (and --cuda-device-id)\n"
               "  --use-fp16                   accepted and ignored: --precision chooses\n"
               "  --quiet                      no progress\n\n"
               "Options take `--name VALUE` or `--name=VALUE`. Exit status 0 on success, 1 on\n"
               "an error (with its message), 2 on a usage error.\n");
}

typedef struct {
    GMainLoop *loop;
    GstElement *pipeline;
    gboolean failed;
    gboolean progress;
    GMutex lock;
    gint64 position; /* ns of audio out of riftsvc, under lock */
    gint64 duration; /* ns, -1 while unknown */
} Run;

static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    Run *run = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    (void)pad;
    if (GST_BUFFER_PTS_IS_VALID(buf)) {
        gint64 end = (gint64)GST_BUFFER_PTS(buf);
        if (GST_BUFFER_DURATION_IS_VALID(buf))
            end += (gint64)GST_BUFFER_DURATION(buf);
        g_mutex_lock(&run->lock);
        run->position = end;
        g_mutex_unlock(&run->lock);
    }
    return GST_PAD_PROBE_OK;
}

static gint64 get_position(Run *run)
{
    g_mutex_lock(&run->lock);
    gint64 pos = run->position;
    g_mutex_unlock(&run->lock);
    return pos;
}

static void print_progress(Run *run, gboolean last)
{
    gint64 pos = get_position(run);
    if (run->duration < 0) {
        gint64 d;
        if (gst_element_query_duration(run->pipeline, GST_FORMAT_TIME, &d) && d > 0)
            run->duration = d;
    }
    if (run->duration > 0)
        fprintf(stderr, "\rconverting: %7.1f s of %.1f s (%3.0f%%)", pos / 1e9, run->duration / 1e9,
                100.0 * MIN(pos, run->duration) / run->duration);
    else
        fprintf(stderr, "\rconverting: %7.1f s", pos / 1e9);
    if (last)
        fprintf(stderr, "\n");
    fflush(stderr);
}

static gboolean on_tick(gpointer data)
{
    print_progress(data, FALSE);
    return G_SOURCE_CONTINUE;
}

static gboolean on_message(GstBus *bus, GstMessage *msg, gpointer data)
{
    Run *run = data;
    (void)bus;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        char *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        if (run->progress)
            fprintf(stderr, "\n");
        fprintf(stderr, "rift-tool infer: %s: %s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                err->message);
        if (debug && g_getenv("RIFT_DEBUG"))
            fprintf(stderr, "  %s\n", debug);
        g_clear_error(&err);
        g_free(debug);
        run->failed = TRUE;
        g_main_loop_quit(run->loop);
        break;
    }
    case GST_MESSAGE_WARNING: {
        GError *err = NULL;
        gst_message_parse_warning(msg, &err, NULL);
        fprintf(stderr, "rift-tool infer: warning: %s: %s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                err->message);
        g_clear_error(&err);
        break;
    }
    case GST_MESSAGE_EOS:
        g_main_loop_quit(run->loop);
        break;
    default:
        break;
    }
    return TRUE;
}

/* Sets riftsvc's property `name` from `value`, through its type and range. */
static gboolean set_prop(GstElement *svc, const char *name, const char *value)
{
    GParamSpec *p = g_object_class_find_property(G_OBJECT_GET_CLASS(svc), name);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, p->value_type);
    gboolean ok = gst_value_deserialize(&v, value);
    if (!ok) {
        fprintf(stderr, "rift-tool infer: --%s: '%s' is not a %s\n", name, value,
                g_type_name(p->value_type));
    } else if (g_param_value_validate(p, &v)) {
        char *s = g_strdup_value_contents(&v);
        fprintf(stderr, "rift-tool infer: --%s: %s is out of range (nearest allowed: %s)\n", name,
                value, s);
        g_free(s);
        ok = FALSE;
    } else {
        g_object_set_property(G_OBJECT(svc), name, &v);
    }
    g_value_unset(&v);
    return ok;
}

/* riftsvc from the registry: GST_PLUGIN_PATH, the system's paths, then the
 * directory gst-rift installs its plugin to. */
static GstElement *make_svc(void)
{
    GstElementFactory *f = gst_element_factory_find("riftsvc");
    if (!f) {
        gst_registry_scan_path(gst_registry_get(), RIFT_PLUGINDIR);
        f = gst_element_factory_find("riftsvc");
    }
    if (!f)
        return NULL;
    GstElement *e = gst_element_factory_create(f, "svc");
    gst_object_unref(f);
    return e;
}

int rift_cmd_infer(int argc, char **argv)
{
    const char *input = NULL, *output = NULL;
    GPtrArray *sets = g_ptr_array_new_with_free_func(g_free); /* name, value pairs */
    gboolean quiet = FALSE;
    int status = 2;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            g_ptr_array_free(sets, TRUE);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = TRUE;
            continue;
        }
        if (!strcmp(a, "--use-fp16"))
            continue;
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "rift-tool infer: unexpected argument '%s'\n\n", a);
            goto usage_error;
        }
        char *name = g_strdup(a + 2);
        const char *value;
        char *eq = strchr(name, '=');
        if (eq) {
            *eq = '\0';
            value = a + 2 + (eq - name) + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "rift-tool infer: --%s needs a value\n\n", name);
            g_free(name);
            goto usage_error;
        }
        g_strdelimit(name, "_", '-');
        if (!strcmp(name, "input")) {
            input = value;
        } else if (!strcmp(name, "output")) {
            output = value;
        } else if (!strcmp(name, "device")) {
            /* infer.py's --device: cpu, cuda, cuda:N */
            if (!strcmp(value, "cpu") || !strcmp(value, "cuda")) {
                g_ptr_array_add(sets, g_strdup("backend"));
                g_ptr_array_add(sets, g_strdup(value));
            } else if (g_str_has_prefix(value, "cuda:")) {
                g_ptr_array_add(sets, g_strdup("backend"));
                g_ptr_array_add(sets, g_strdup("cuda"));
                g_ptr_array_add(sets, g_strdup("cuda-device-id"));
                g_ptr_array_add(sets, g_strdup(value + 5));
            } else {
                fprintf(stderr, "rift-tool infer: --device: '%s' is not cpu, cuda or cuda:N\n\n",
                        value);
                g_free(name);
                goto usage_error;
            }
        } else {
            guint k;
            for (k = 0; k < G_N_ELEMENTS(props); k++)
                if (!strcmp(name, props[k].name))
                    break;
            if (k == G_N_ELEMENTS(props)) {
                fprintf(stderr, "rift-tool infer: unknown option --%s\n\n", name);
                g_free(name);
                goto usage_error;
            }
            g_ptr_array_add(sets, g_strdup(name));
            g_ptr_array_add(sets, g_strdup(value));
        }
        g_free(name);
    }
    gboolean have_model = FALSE;
    for (guint k = 0; k < sets->len; k += 2)
        have_model |= !strcmp(g_ptr_array_index(sets, k), "model");
    if (!input || !output || !have_model) {
        fprintf(stderr, "rift-tool infer: --model, --input and --output are required\n\n");
        goto usage_error;
    }
    if (!g_file_test(input, G_FILE_TEST_IS_REGULAR)) {
        fprintf(stderr, "rift-tool infer: --input %s: no such file\n", input);
        g_ptr_array_free(sets, TRUE);
        return 1;
    }

    status = 1;
    gst_init(NULL, NULL);
    GError *err = NULL;
    GstElement *pipeline = gst_parse_launch("filesrc name=src ! decodebin ! audioconvert"
                                            " ! audioresample name=resample", &err);
    if (!pipeline) {
        fprintf(stderr, "rift-tool infer: %s (GStreamer's base and good plugins are needed: "
                        "decodebin, audioconvert, audioresample, wavenc)\n", err->message);
        g_clear_error(&err);
        goto out;
    }
    GstElement *svc = make_svc();
    if (!svc) {
        fprintf(stderr, "rift-tool infer: no GStreamer element 'riftsvc': install gst-rift's plugin, "
                        "or set GST_PLUGIN_PATH to the directory of libgstrift.so (build/gst in a "
                        "build tree)\n");
        gst_object_unref(pipeline);
        goto out;
    }
    GstElement *tail = gst_parse_bin_from_description(
        "audioconvert ! audio/x-raw,format=F32LE,rate=44100,channels=1 ! wavenc"
        " ! filesink name=sink", TRUE, &err);
    if (!tail) {
        fprintf(stderr, "rift-tool infer: %s (GStreamer's good plugins are needed: wavenc)\n",
                err->message);
        g_clear_error(&err);
        gst_object_unref(svc);
        gst_object_unref(pipeline);
        goto out;
    }
    gst_bin_add_many(GST_BIN(pipeline), svc, tail, NULL);
    GstElement *resample = gst_bin_get_by_name(GST_BIN(pipeline), "resample");
    gboolean linked = gst_element_link(resample, svc) && gst_element_link(svc, tail);
    gst_object_unref(resample);
    if (!linked) {
        fprintf(stderr, "rift-tool infer: cannot link riftsvc into the pipeline\n");
        gst_object_unref(pipeline);
        goto out;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    g_object_set(src, "location", input, NULL);
    gst_object_unref(src);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(tail), "sink");
    g_object_set(sink, "location", output, NULL);
    gst_object_unref(sink);

    gboolean ok = TRUE;
    for (guint k = 0; k < sets->len && ok; k += 2)
        ok = set_prop(svc, g_ptr_array_index(sets, k), g_ptr_array_index(sets, k + 1));
    if (!ok) {
        gst_object_unref(pipeline);
        status = 2;
        goto out;
    }

    Run run = {.loop = g_main_loop_new(NULL, FALSE),
               .position = 0,
               .pipeline = pipeline,
               .progress = !quiet && isatty(fileno(stderr)),
               .duration = -1};
    g_mutex_init(&run.lock);
    GstPad *svc_src = gst_element_get_static_pad(svc, "src");
    gst_pad_add_probe(svc_src, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, &run, NULL);
    gst_object_unref(svc_src);
    GstBus *bus = gst_element_get_bus(pipeline);
    guint watch = gst_bus_add_watch(bus, on_message, &run);
    gst_object_unref(bus);
    guint tick = run.progress ? g_timeout_add(250, on_tick, &run) : 0;

    gint64 t0 = g_get_monotonic_time();
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* the error is on the bus; without one, say so */
        GstMessage *m = gst_bus_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_MESSAGE_ERROR);
        if (m) {
            on_message(NULL, m, &run);
            gst_message_unref(m);
        } else {
            fprintf(stderr, "rift-tool infer: the pipeline did not start\n");
        }
        run.failed = TRUE;
    } else {
        g_main_loop_run(run.loop);
    }
    if (tick) {
        g_source_remove(tick);
        if (!run.failed)
            print_progress(&run, TRUE);
    }
    gst_element_set_state(pipeline, GST_STATE_NULL);
    g_source_remove(watch);
    g_main_loop_unref(run.loop);
    g_mutex_clear(&run.lock);
    gst_object_unref(pipeline);
    if (!run.failed) {
        gint64 pos = get_position(&run);
        double secs = (g_get_monotonic_time() - t0) / 1e6;
        if (!quiet)
            fprintf(stderr, "rift-tool infer: wrote %s: %.2f s of audio in %.1f s\n", output,
                    pos / 1e9, secs);
        status = 0;
    }
out:
    g_ptr_array_free(sets, TRUE);
    return status;

usage_error:
    usage(stderr);
    g_ptr_array_free(sets, TRUE);
    return 2;
}
