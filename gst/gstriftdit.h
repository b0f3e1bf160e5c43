/* gstriftdit.h — riftdit: feature buffers (mel, rms, f0, cvec) in, the same
 * buffers with the converted mel (outmel) added out; RIFT-SVC's DiT and
 * rectified-flow sampler. */
#pragma once

#include "gstriftsegmentfilter.h"

G_BEGIN_DECLS
#define GST_TYPE_RIFT_DIT (gst_rift_dit_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftDit, gst_rift_dit, GST, RIFT_DIT,
    GstRiftSegmentFilter);

GST_ELEMENT_REGISTER_DECLARE (riftdit);

G_END_DECLS
