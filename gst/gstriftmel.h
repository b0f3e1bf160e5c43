/* gstriftmel.h — riftmel: audio in, one feature buffer (audio, log-mel, RMS)
 * per segment out; the head of the rift feature chain. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_RIFT_MEL (gst_rift_mel_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftMel, gst_rift_mel, GST, RIFT_MEL, GstElement);

GST_ELEMENT_REGISTER_DECLARE (riftmel);

G_END_DECLS
