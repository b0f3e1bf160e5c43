/* plugin.c — the `rift` plugin (libgstrift.so): RIFT-SVC singing-voice
 * conversion elements. Registering touches no GPU, so the plugin loads on
 * machines without one; a backend is only opened when an element starts. */
#include "rift-config.h"

#include "gstriftcvec.h"
#include "gstriftdit.h"
#include "gstriftf0.h"
#include "gstriftmel.h"
#include "gstriftsvc.h"
#include "gstriftvocoder.h"

#include <gst/gst.h>

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (riftmel, plugin);
  ret |= GST_ELEMENT_REGISTER (riftf0, plugin);
  ret |= GST_ELEMENT_REGISTER (riftcvec, plugin);
  ret |= GST_ELEMENT_REGISTER (riftdit, plugin);
  ret |= GST_ELEMENT_REGISTER (riftvocoder, plugin);
  ret |= GST_ELEMENT_REGISTER (riftsvc, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rift,
    "RIFT-SVC singing-voice conversion: feature extraction, models and"
    " vocoder as a chain of elements", plugin_init, RIFT_VERSION, "LGPL",
    "gst-rift", "Unknown package origin")
