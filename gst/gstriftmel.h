/* gstriftmel.h — riftmel: audio in, one feature buffer (audio, log-mel, RMS)
 * per segment out; the head of the rift feature chain. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* GstRiftMel:segmentation */
typedef enum
{
  GST_RIFT_MEL_SEGMENTATION_FIXED,
  GST_RIFT_MEL_SEGMENTATION_SLICER,
} GstRiftMelSegmentation;

GType gst_rift_mel_segmentation_get_type (void);
#define GST_TYPE_RIFT_MEL_SEGMENTATION (gst_rift_mel_segmentation_get_type ())

/* GstRiftMel:normalize-loudness */
typedef enum
{
  GST_RIFT_MEL_LOUDNESS_AUTO,
  GST_RIFT_MEL_LOUDNESS_ON,
  GST_RIFT_MEL_LOUDNESS_OFF,
} GstRiftMelLoudness;

GType gst_rift_mel_loudness_get_type (void);
#define GST_TYPE_RIFT_MEL_LOUDNESS (gst_rift_mel_loudness_get_type ())

#define GST_TYPE_RIFT_MEL (gst_rift_mel_get_type ())
G_DECLARE_FINAL_TYPE (GstRiftMel, gst_rift_mel, GST, RIFT_MEL, GstElement);

GST_ELEMENT_REGISTER_DECLARE (riftmel);

G_END_DECLS
