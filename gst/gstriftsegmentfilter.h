/* gstriftsegmentfilter.h — GstRiftSegmentFilter, the abstract base of the
 * rift elements that take one feature buffer per segment and push the same
 * buffer on with one feature more, computed by a model (riftf0, riftcvec,
 * riftdit; docs/design.md "Feature buffers").
 *
 * The base owns the pads and everything those elements have in common:
 *  - caps: the sink takes application/x-rift-features; a CAPS event that
 *    lacks a needed feature, or already carries the added one, is refused
 *    with an error naming the stage to add or remove; the src caps are the
 *    sink caps with the added feature set;
 *  - buffers: each is checked against its caps (GstRiftFeaturesMeta, every
 *    needed feature of the right shape, not yet the added one), the added
 *    feature is allocated, computed by the subclass and appended, on a
 *    writable copy that keeps every memory when the buffer is shared
 *    (gst_rift_features_make_writable); PTS, duration, offsets and flags
 *    stay; buffers flagged GAP (removed silence) pass through untouched;
 *  - batching, for subclasses that process several segments together:
 *    segments are held until the batch is full (or, batched by length as
 *    infer.py, until the stream ends), and drained at EOS, a GAP event,
 *    STREAM_START and a caps or segment change; FLUSH_STOP drops them;
 *    serialized events stay behind the segments that came first;
 *  - the `backend` and `cuda-device-id` properties, the shared backend
 *    (riftcontext.h) and the model, loaded by the subclass at
 *    READY->PAUSED with the errors posted here; context queries;
 *  - live latency: the longest processing time so far is added to
 *    upstream's, and a LATENCY message is posted when it grows by more
 *    than a quarter; a live pipeline processes segments one at a time.
 *
 * Subclasses install a string property `model` (GST_PARAM_MUTABLE_READY):
 * the base reads it at READY->PAUSED and hands it to start().
 *
 * Tested through its subclasses by tests/gst/test-riftf0.c,
 * test-riftcvec.c and test-riftdit.c, and by
 * tests/gst/test-riftsegmentfilter.c. */
#pragma once

#include <gst/gst.h>

#include "backend.h"
#include "riftfeatures.h"

G_BEGIN_DECLS
#define GST_TYPE_RIFT_SEGMENT_FILTER (gst_rift_segment_filter_get_type ())
G_DECLARE_DERIVABLE_TYPE (GstRiftSegmentFilter, gst_rift_segment_filter,
    GST, RIFT_SEGMENT_FILTER, GstElement);

/**
 * GstRiftSegmentFilterClass:
 * @needs: the features a buffer must carry
 * @adds: the feature the element adds
 * @model_hint: what the model property should name, for the error when it
 *   is unset ("an RMVPE checkpoint (...)")
 * @start: loads the model from @model (the model property, never empty)
 *   onto @backend, which stays valid until stop. FALSE with @error when it
 *   cannot: an error in one of GStreamer's error domains (e.g.
 *   GST_LIBRARY_ERROR_SETTINGS for a setting the model cannot take) is
 *   posted as such, any other as RESOURCE/NOT_FOUND when @model does not
 *   exist and RESOURCE/OPEN_READ when it does; the state change fails.
 * @stop: frees what start made, at PAUSED->READY and after a start that
 *   failed half-way.
 * @get_added_width: optional: values per frame of the added feature once
 *   the model is loaded (the cvec-dim of the src caps when it adds cvec);
 *   1 when NULL.
 * @check_caps: optional: more checks of sink caps that carry the needed
 *   features (@kinds, @cvec_dim); FALSE, after posting an error, refuses
 *   them.
 * @get_batch_size: optional: how many segments to process together (the
 *   element's batch-size property); 1 when NULL. The segments of a batch
 *   are passed sorted by length (stable), as infer.py passes them. Without
 *   *@by_length (FALSE on entry) a batch is processed as soon as it is
 *   full; with it, every segment is held until the stream ends (or another
 *   drain point) and the batches are cut from all of them sorted by
 *   length, which are infer.py's batches. A live pipeline processes one at
 *   a time whatever it says, with a warning.
 * @process: computes the added feature of one checked segment of T > 0
 *   frames into @out [T, width]. FALSE with @error: posted as that error
 *   when it is in one of GStreamer's error domains, as LIBRARY/FAILED
 *   otherwise.
 * @process_batch: optional, instead of process: the added features of @n
 *   segments processed together, @out[i] [T_i, width] for segment i (NULL
 *   when T_i = 0); the @segments are writable, so it may record in their
 *   GstRiftFeaturesMeta how they were processed (riftdit's batch_frames);
 *   @numbers[i] is the number of segment i in the stream
 *   (from 0 at start, STREAM_START and FLUSH_STOP; every buffer counts,
 *   GAP ones too, so a buffer has the same number in every element).
 *   Called only when one of them has frames. Errors as for process.
 *
 * Before a segment is queued for processing, the element's controlled
 * properties are synced to its stream time. process and process_batch run
 * in the streaming thread.
 */
struct _GstRiftSegmentFilterClass
{
  GstElementClass parent_class;

  GstRiftFeatureMask needs;
  GstRiftFeatureKind adds;
  const gchar *model_hint;

  gboolean (*start) (GstRiftSegmentFilter * filter, const gchar * model,
      rift_backend * backend, GError ** error);
  void (*stop) (GstRiftSegmentFilter * filter);
  gint64 (*get_added_width) (GstRiftSegmentFilter * filter);
  gboolean (*check_caps) (GstRiftSegmentFilter * filter, const GstCaps * caps,
      GstRiftFeatureMask kinds, gint cvec_dim);
  guint (*get_batch_size) (GstRiftSegmentFilter * filter,
      gboolean * by_length);
  gboolean (*process) (GstRiftSegmentFilter * filter, GstBuffer * segment,
      gfloat * out, GError ** error);
  gboolean (*process_batch) (GstRiftSegmentFilter * filter,
      GstBuffer * const *segments, gfloat * const *out, guint n,
      const guint64 * numbers, GError ** error);

  gpointer _gst_reserved[GST_PADDING];
};

/* For class_init: sets @needs and @adds and adds the pad templates: sink
 * application/x-rift-features, src the same with the added feature true. */
void gst_rift_segment_filter_class_set_features (GstRiftSegmentFilterClass *
    klass, GstRiftFeatureMask needs, GstRiftFeatureKind adds);

/* The path of the model loaded at READY->PAUSED, for messages; NULL when
 * stopped. */
const gchar *gst_rift_segment_filter_get_loaded_model (GstRiftSegmentFilter *
    filter);

/* Whether the pipeline is live, as upstream answered the last LATENCY
 * query (FALSE before one): for subclasses that warn about a setting that
 * is costly in real time. */
gboolean gst_rift_segment_filter_is_live (GstRiftSegmentFilter * filter);

G_END_DECLS
