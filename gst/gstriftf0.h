/* gstriftf0.h — riftf0: feature buffers (audio) in, the same buffers with
 * the segment's f0 (RMVPE, on the mel frame grid) added out. */
#pragma once

#include "gstriftsegmentfilter.h"

G_BEGIN_DECLS
#define GST_TYPE_RIFT_F0 (gst_rift_f0_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftF0, gst_rift_f0, GST, RIFT_F0,
    GstRiftSegmentFilter);

GST_ELEMENT_REGISTER_DECLARE (riftf0);

G_END_DECLS
