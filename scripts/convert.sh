#!/usr/bin/env bash
# The main job from a fresh Debian 12 machine: packages, build, convert.
#
#   scripts/convert.sh [INPUT] [OUTPUT.wav]
#
# Runs the whole chain
#   decode ! riftmel ! riftf0 ! riftcvec ! riftdit ! riftvocoder ! wavenc
# on any file GStreamer decodes. The models default to the tiny
# random-weight models of tests/fixtures, so that it runs anywhere out of
# the box: their output is noise shaped by the input, not a voice. With real
# RIFT-SVC checkpoints set (paths as upstream lays them out):
#   RIFT_DIT=ckpts/.../model-step=30000.ckpt RIFT_SPEAKER=speaker1 \
#   RIFT_RMVPE=pretrained/rmvpe/model.pt \
#   RIFT_CONTENTVEC=pretrained/content-vec-best \
#   RIFT_VOCODER=pretrained/nsf_hifigan_44.1k_hop512_128bin_2024.02/model.ckpt \
#   scripts/convert.sh in.wav out.wav
# Like infer.py, riftmel cuts at silences and normalises each segment's
# loudness, riftvocoder restores it and fades the segments back together
# (docs/design.md). Each 30 s of input is sliced on its own, so a segment
# never grows past that.
set -euo pipefail
root=$(realpath "$(dirname "$0")/..")
fx=$root/tests/fixtures
# paths the user gives are relative to where they run the command
in=$(realpath "${1:-$fx/audio/sing_44k.wav}")
out=$(realpath -m "${2:-converted.wav}")
dit=$(realpath "${RIFT_DIT:-$fx/dit/model.ckpt}")
speaker=${RIFT_SPEAKER:-bob}
rmvpe=$(realpath "${RIFT_RMVPE:-$fx/rmvpe/model.pt}")
contentvec=$(realpath "${RIFT_CONTENTVEC:-$fx/contentvec/tiny-content-vec-best}")
vocoder=$(realpath "${RIFT_VOCODER:-$fx/vocoder/model.ckpt}")
cd "$root"
scripts/install-deps.sh
scripts/build.sh >/dev/null
build=$(realpath "${BUILD_DIR:-build}")
[ -z "${RIFT_DIT:-}" ] &&
  echo "note: using the tiny random-weight test models: the output is not a voice (set RIFT_DIT etc. for real ones)"
GST_PLUGIN_PATH="$build/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" gst-launch-1.0 -q \
  filesrc location="$in" ! decodebin ! audioconvert ! audioresample ! \
  riftmel segmentation=slicer ! riftf0 model="$rmvpe" ! riftcvec model="$contentvec" ! \
  riftdit model="$dit" speaker="$speaker" ! riftvocoder model="$vocoder" ! \
  audioconvert ! wavenc ! filesink location="$out"
echo "wrote $out"
