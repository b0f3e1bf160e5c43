/* gstriftcvec.h — riftcvec: feature buffers (audio) in, the same buffers
 * with the segment's content vectors (ContentVec, interpolated onto the mel
 * frame grid) added out. */
#pragma once

#include "gstriftsegmentfilter.h"

G_BEGIN_DECLS
#define GST_TYPE_RIFT_CVEC (gst_rift_cvec_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftCvec, gst_rift_cvec, GST, RIFT_CVEC,
    GstRiftSegmentFilter);

GST_ELEMENT_REGISTER_DECLARE (riftcvec);

G_END_DECLS
