/* pipelineutil.h — running a whole pipeline to its end in a test: the
 * pipeline tests (test-e2e.c, test-riftsvc.c, test-robust-f0-e2e.c,
 * test-riftmel-pipeline.c, test-features-pipeline.c) all pull what reaches
 * an appsink until EOS and fail on a pipeline error. */
#ifndef PIPELINE_UTIL_H
#define PIPELINE_UTIL_H

#include <gst/gst.h>

G_BEGIN_DECLS

typedef void (*RiftTestOnSample) (GstSample * sample, gpointer data);

/* Sets `pipeline` PLAYING and hands every sample its appsink `sink` gets to
 * on_sample (may be NULL), in order, until the sink has EOS or the pipeline
 * posts an error (a failed check with its message); then sets it to NULL.
 * There is no time limit of its own: a slow machine only makes it slower,
 * and meson's test timeout stops a pipeline that hangs. Returns the number
 * of samples. */
guint rift_test_play (GstElement * pipeline, GstElement * sink,
    RiftTestOnSample on_sample, gpointer data);

/* rift_test_play keeping the first sample in *first (unref it; NULL when
 * none came). */
guint rift_test_play_first (GstElement * pipeline, GstElement * sink,
    GstSample ** first);

/* rift_test_play that appends every buffer's bytes to `bytes`. */
guint rift_test_play_bytes (GstElement * pipeline, GstElement * sink,
    GByteArray * bytes);

G_END_DECLS

#endif /* PIPELINE_UTIL_H */
