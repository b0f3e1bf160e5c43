#!/usr/bin/env bash
# Configures (once) and builds gst-rift into ${BUILD_DIR:-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/local/cuda/bin/nvcc ] && export PATH="$PATH:/usr/local/cuda/bin"
build=${BUILD_DIR:-build}
# OpenBLAS's OpenMP build: one thread pool for BLAS and our loops (meson.build)
blas_pc=/usr/lib/$(gcc -print-multiarch)/openblas-openmp/pkgconfig
opts=()
[ -d "$blas_pc" ] && opts+=("-Dpkg_config_path=$blas_pc")
[ -f "$build/build.ninja" ] || meson setup "$build" "${opts[@]}" >/dev/null
ninja -C "$build"
