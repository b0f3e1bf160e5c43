#!/usr/bin/env bash
# Installs the Debian 12 packages gst-rift builds and tests with (skips what
# is already there). The CUDA toolkit is not in Debian: with nvcc on PATH (or
# in /usr/local/cuda) the CUDA backend is built too, otherwise only the CPU one.
set -euo pipefail

pkgs=(
  meson ninja-build pkg-config gcc python3
  libglib2.0-dev libjson-glib-dev libminizip-dev libkissfft-dev libopenblas-openmp-dev libsndfile1-dev libsoxr-dev libfftw3-dev libdnnl-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
