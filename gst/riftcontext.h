/* riftcontext.h — one rift_backend shared by the rift elements of a pipeline
 * (docs/design.md "One backend, one CUDA context, shared by the elements").
 *
 * Elements find each other's backend through a GstContext of type
 * "rift.backend" whose structure holds
 *   backend      GstRiftBackend (boxed rift_backend; as a string it is
 *                rift_backend_describe())
 *   kind         string, "cpu" or "cuda"
 *   device       int, the CUDA device ordinal (-1 for the CPU)
 * using the usual dance: a context already set on the element, else a
 * GST_QUERY_CONTEXT downstream then upstream, else a NEED_CONTEXT message
 * (the bin or the application answers with gst_element_set_context), else
 * a new backend announced with a HAVE_CONTEXT message. An application can
 * supply its own with gst_rift_backend_context_new(). */
#pragma once

#include <gst/gst.h>

#include "backend.h"

G_BEGIN_DECLS

#define GST_RIFT_BACKEND_CONTEXT_TYPE "rift.backend"

/* rift_backend as a GBoxed (copy = rift_backend_ref, free = rift_backend_unref) */
GType gst_rift_backend_get_type (void);
#define GST_TYPE_RIFT_BACKEND (gst_rift_backend_get_type ())

/* rift_backend_kind as a GEnum ("auto", "cpu", "cuda") for properties */
GType gst_rift_backend_kind_get_type (void);
#define GST_TYPE_RIFT_BACKEND_KIND (gst_rift_backend_kind_get_type ())

/* The defaults of the backend and cuda-device-id properties. */
#define GST_RIFT_DEFAULT_BACKEND RIFT_BACKEND_AUTO
#define GST_RIFT_DEFAULT_CUDA_DEVICE_ID -1

/* How the backend property's blurb goes on after saying what runs there:
 * "Where the model runs" GST_RIFT_BACKEND_CHOICES */
#define GST_RIFT_BACKEND_CHOICES ": auto (CUDA when a device answers," \
  " otherwise the CPU), cpu or cuda (fails without a device)"

/* For class_init: installs the `backend` (enum GstRiftBackendKind, blurb
 * `backend_blurb`, a static string) and `cuda-device-id` (int, -1 = any
 * device) properties every rift element has, as `backend_id` and
 * `device_id`, GST_PARAM_MUTABLE_READY, with the defaults above; marks
 * GstRiftBackendKind as plugin API so gst-inspect documents it. */
void gst_rift_backend_install_properties (GObjectClass * klass,
    guint backend_id, guint device_id, const gchar * backend_blurb);

/* A "rift.backend" context holding `be` (a new ref). `device` is the CUDA
 * device ordinal `be` runs on, ignored for a CPU backend. */
GstContext *gst_rift_backend_context_new (rift_backend * be, gint device);

/* The backend `element` should use for `kind` on CUDA device `device` (-1:
 * any device), found as described above or created; transfer full. NULL
 * with `err` set when a new one cannot be created.
 *
 * Which shared backend is taken: backend=cpu takes a CPU backend;
 * backend=cuda a CUDA backend on `device` (any device for -1); backend=auto
 * any backend for device -1, and only a CUDA backend on `device` otherwise. */
rift_backend *gst_rift_backend_ensure (GstElement * element,
    rift_backend_kind kind, gint device, GError ** err);

/* For an element's pad query functions: answers a GST_QUERY_CONTEXT of type
 * "rift.backend" with the context set on `element`. FALSE when the query is
 * something else or the element has no such context (then pass it on). */
gboolean gst_rift_backend_handle_context_query (GstElement * element,
    GstQuery * query);

G_END_DECLS
