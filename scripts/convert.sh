#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: packages, build, run.
#
# Today the pipeline's first element, riftmel, is the part that runs on
# audio, so this runs the feature stage only: any audio file GStreamer
# decodes in, RIFT-SVC's log-mel and RMS out (one safetensors file per
# segment in OUTDIR). It becomes a full voice conversion as the f0, content
# and vocoder elements land.
#
# Usage: scripts/convert.sh [INPUT] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
in=${1:-tests/fixtures/audio/sing_44k.wav}
out=${2:-features}
scripts/install-deps.sh
scripts/build.sh >/dev/null
build=$(realpath "${BUILD_DIR:-build}")
echo "note: only the feature stage (riftmel) runs on audio yet: this writes log-mel + RMS to $out/, not converted audio"
GST_PLUGIN_PATH="$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  "$build/examples/dump-features" "$in" "$out"
