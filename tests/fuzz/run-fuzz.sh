#!/bin/sh
# run-fuzz.sh — build the reader fuzzer (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer), seed it from the fixture model, safetensors
# and JSON files, and run it.
#
#   tests/fuzz/run-fuzz.sh [SECONDS [BUILD_DIR]]    (default: 600 s, build-fuzz)
#
# Findings (crashes, leaks, timeouts) are written to BUILD_DIR/fuzz-findings/;
# replay one with BUILD_DIR/tests/fuzz/fuzz-readers FILE.
# FUZZ_JOBS=N runs N fuzzing processes in parallel (libFuzzer's -fork=N).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-600}
build=${2:-$src/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzz=enabled -Dcuda=disabled \
        -Db_sanitize=address,undefined -Dbuildtype=debugoptimized
fi
ninja -C "$build" tests/fuzz/fuzz-readers

corpus=$build/fuzz-corpus
findings=$build/fuzz-findings
mkdir -p "$corpus" "$findings"
# every fixture file a reader accepts, below 2 MB, named after its path
# (model.ckpt and config.json exist in several folders); and the pickle of
# every fixture checkpoint on its own, when unzip is there
find "$src/tests/fixtures" -type f \( -name '*.ckpt' -o -name '*.pt' -o -name '*.bin' \
        -o -name '*.safetensors' -o -name '*.json' \) |
    while read -r f; do
        seed=$corpus/$(echo "${f#"$src/tests/fixtures/"}" | tr / _)
        if [ "$(wc -c <"$f")" -lt 2097152 ]; then
            cp "$f" "$seed"
        fi
        case "$f" in
        *.ckpt | *.pt | *.bin)
            if command -v unzip >/dev/null; then
                unzip -p "$f" '*/data.pkl' >"$seed.pkl" || rm -f "$seed.pkl"
            fi ;;
        esac
    done

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
set -- "$corpus" -dict="$src/tests/fuzz/readers.dict" -max_total_time="$secs" \
    -max_len=2097152 -timeout=20 -rss_limit_mb=4096 -artifact_prefix="$findings/" \
    -print_final_stats=1
if [ -n "${FUZZ_JOBS:-}" ]; then
    set -- "$@" -fork="$FUZZ_JOBS"
fi
exec "$build/tests/fuzz/fuzz-readers" "$@"
