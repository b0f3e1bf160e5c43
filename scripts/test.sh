#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: packages, build, tests.
# Ends with the line "N passed, N failed, N skipped" counted from meson's log.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build=${BUILD_DIR:-build}
status=0
meson test -C "$build" --no-rebuild --print-errorlogs "$@" || status=$?
python3 scripts/test-summary.py "$build/meson-logs/testlog.json"
exit $status
