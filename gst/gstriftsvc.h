/* gstriftsvc.h — riftsvc: the whole conversion (riftmel segmentation=slicer
 * ! riftf0 ! riftcvec ! riftdit ! riftvocoder) as one bin, with the options
 * of upstream's infer.py as properties. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
#define GST_TYPE_RIFT_SVC (gst_rift_svc_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftSvc, gst_rift_svc, GST, RIFT_SVC, GstBin);

GST_ELEMENT_REGISTER_DECLARE (riftsvc);

G_END_DECLS
