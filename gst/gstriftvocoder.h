/* gstriftvocoder.h — riftvocoder: feature buffers (the converted mel and the
 * f0) in, the segment's audio (NSF-HiFiGAN, 44.1 kHz mono F32) out. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
#define GST_TYPE_RIFT_VOCODER (gst_rift_vocoder_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftVocoder, gst_rift_vocoder, GST, RIFT_VOCODER,
    GstElement);

GST_ELEMENT_REGISTER_DECLARE (riftvocoder);

G_END_DECLS
