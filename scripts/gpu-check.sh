#!/usr/bin/env bash
# gpu-check.sh — everything that needs a GPU, in one run on a GPU machine.
#
# 1. Build where the CUDA toolkit is (no GPU needed):
#        meson setup build-cuda -Dcuda=enabled && ninja -C build-cuda
#    and, for a GPU machine without gst-rift's runtime packages (OpenBLAS,
#    GLib, KissFFT, ...), pack the libraries the test programs load into
#    build-cuda/runtime-libs.tar.xz (about 8 MB):
#        scripts/gpu-check.sh --bundle [BUILD_DIR]
# 2. On the GPU machine, from the repository root, with the build folder
#    brought along:
#        scripts/gpu-check.sh [--perf] [BUILD_DIR]        (default build-cuda)
#
# It prints the GPU (nvidia-smi); checks with ldd that the test programs
# find every library, naming the missing ones (and unpacking
# BUILD_DIR/runtime-libs.tar.xz only when something is missing); then runs
# every test that needs a GPU:
# the suites in GPU_SUITES and every test whose name has the word "cuda".
# RIFT_REQUIRE_CUDA=1 turns "skipped: no device" into a failure, and a test
# that skips for any other reason counts as failed too. --perf adds the op
# timings (test-backend-ops cuda-vs-cpu --perf).
#
# Tests are read from BUILD_DIR/meson-info/intro-tests.json and run directly,
# without meson: the GPU machine needs python3 and nothing else of the build
# tools, and the checkout may sit under another path than where the build was
# configured (paths are mapped). With OUT set, the log also goes to
# $OUT/gpu-check.log. Exit status 0 when everything passed, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

GPU_SUITES="backend"

perf=0
bundle=0
build="build-cuda"
for arg in "$@"; do
    case "$arg" in
        --perf) perf=1 ;;
        --bundle) bundle=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "gpu-check: unknown option $arg" >&2; exit 2 ;;
        *) build=$arg ;;
    esac
done
if [ ! -f "$build/meson-info/intro-tests.json" ]; then
    echo "gpu-check: $build is not a configured meson build folder" \
         "(no meson-info/intro-tests.json); build it first:" >&2
    echo "    meson setup $build -Dcuda=enabled && ninja -C $build" >&2
    exit 2
fi

# CUDA's own libraries come from the GPU machine (they must match its driver)
for d in "${CUDA_HOME:-/usr/local/cuda}/lib64" /usr/local/cuda/lib64; do
    [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done

run() {
    if [ "$bundle" = 0 ]; then
        echo "== GPU"
        if command -v nvidia-smi >/dev/null; then
            nvidia-smi || echo "gpu-check: nvidia-smi failed"
        else
            echo "gpu-check: nvidia-smi not found (no NVIDIA driver on this machine?)"
        fi
    fi
    python3 - "$build" "$bundle" "$perf" "$GPU_SUITES" <<'PY'
import json, os, re, subprocess, sys, tarfile, tempfile, time

build = os.path.abspath(sys.argv[1])
bundle, perf, gpu_suites = sys.argv[2] == "1", sys.argv[3] == "1", sys.argv[4].split()
root = os.getcwd()
info = os.path.join(build, "meson-info")
runtime_libs = os.path.join(build, "runtime-libs.tar.xz")

# Where the build was configured -> where it is now.
dirs = {}
try:
    with open(os.path.join(info, "meson-info.json")) as f:
        dirs = json.load(f).get("directories", {})
except OSError:
    pass
mapping = [(dirs.get("build"), build), (dirs.get("source"), root)]
mapping = [(old, new) for old, new in mapping if old and old != new]

def mapped(s):
    for old, new in mapping:
        if s == old or s.startswith(old + "/"):
            return new + s[len(old):]
    return s

with open(os.path.join(info, "intro-tests.json")) as f:
    tests = json.load(f)

def suites(t):
    return [s.split(":", 1)[-1] for s in t.get("suite", [])]

gpu_tests = [t for t in tests
             if set(suites(t)) & set(gpu_suites) or re.search(r"\bcuda\b", t["name"])]

def elf_files():
    """The programs and shared objects of the build (not meson's own files)."""
    for top, subdirs, files in os.walk(build):
        subdirs[:] = [d for d in subdirs
                      if d not in ("meson-private", "meson-info", "meson-logs")
                      and not d.endswith(".p")]
        for name in files:
            path = os.path.join(top, name)
            if os.access(path, os.X_OK) or ".so" in name:
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        yield path

# Libraries every Linux machine has, and CUDA's, which must match the driver
# of the machine that runs them: never bundled.
SYSTEM = re.compile(r"^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libresolv|"
                    r"libutil|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt|"
                    r"libcufft|libnvrtc|libnvJitLink)\.so")

def ldd(path):
    """{soname: resolved path or None}"""
    out = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
    libs = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (not found|(\S+))", line)
        if m:
            libs[m.group(1)] = m.group(3)
    return libs

# Debian packages of the libraries gst-rift links (for the message only).
PACKAGES = {
    "libglib-2.0.so.0": "libglib2.0-0", "libgobject-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0", "libgmodule-2.0.so.0": "libglib2.0-0",
    "libjson-glib-1.0.so.0": "libjson-glib-1.0-0", "libminizip.so.1": "libminizip1",
    "libkissfft-float.so.131": "libkissfft-float131", "libopenblas.so.0": "libopenblas0-pthread",
    "libgfortran.so.5": "libgfortran5", "libgomp.so.1": "libgomp1",
    "libsndfile.so.1": "libsndfile1", "libgstreamer-1.0.so.0": "libgstreamer1.0-0",
    "libgstbase-1.0.so.0": "libgstreamer1.0-0",
    "libgstaudio-1.0.so.0": "libgstreamer-plugins-base1.0-0",
    "libcudart.so.13": "the CUDA 13 toolkit", "libcublas.so.13": "the CUDA 13 toolkit",
    "libcufft.so.12": "the CUDA 13 toolkit",
}

if bundle:
    libs = {}
    for exe in elf_files():
        for soname, path in ldd(exe).items():
            if path and not SYSTEM.match(soname):
                libs[soname] = path
    with tarfile.open(runtime_libs, "w:xz") as tar:
        for soname in sorted(libs):
            real = os.path.realpath(libs[soname])  # the library, not a link to it
            print(f"bundled {soname} ({os.path.getsize(real) / 2**20:.1f} MiB)")
            tar.add(real, arcname=soname)
    print(f"{len(libs)} libraries in {runtime_libs} "
          f"({os.path.getsize(runtime_libs) / 2**20:.1f} MiB)")
    sys.exit(0)

def missing_libs():
    missing = {}
    for exe in elf_files():
        for soname, path in ldd(exe).items():
            if path is None:
                missing.setdefault(soname, []).append(os.path.relpath(exe, build))
    return missing

print("== libraries")
missing = missing_libs()
if missing and os.path.isfile(runtime_libs):
    libdir = tempfile.mkdtemp(prefix="rift-runtime-libs-")
    print(f"missing here: {', '.join(sorted(missing))}; unpacking {runtime_libs} into {libdir}")
    with tarfile.open(runtime_libs) as tar:
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(libdir, **safe)
    os.environ["LD_LIBRARY_PATH"] = ":".join(
        p for p in (os.environ.get("LD_LIBRARY_PATH"), libdir) if p)
    missing = missing_libs()
if missing:
    for soname, users in sorted(missing.items()):
        pkg = PACKAGES.get(soname, "unknown package")
        print(f"MISSING {soname} ({pkg}), needed by {', '.join(sorted(users))}")
    print("The test programs cannot start here. Install the packages above, or on the build\n"
          "machine run scripts/gpu-check.sh --bundle " + os.path.basename(build) +
          " and bring the build folder again.")
    sys.exit(1)
print("every test program finds its libraries")

def run_test(name, cmd, env, timeout):
    full_env = dict(os.environ)
    full_env.update({k: mapped(v) for k, v in env.items()})
    full_env["RIFT_REQUIRE_CUDA"] = "1"
    print(f"\n== {name}", flush=True)
    t0 = time.monotonic()
    try:
        p = subprocess.run([mapped(c) for c in cmd], env=full_env, cwd=build,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, errors="replace",
                           timeout=timeout)
        out, rc = p.stdout, p.returncode
    except OSError as e:
        out, rc = f"cannot run {e.filename}: {e.strerror} (not built?)\n", "none"
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout or ""
        rc = "timeout"
    print(out, end="" if out.endswith("\n") or not out else "\n")
    verdict = {0: "OK", 77: "SKIP"}.get(rc, "FAIL")
    print(f"-- {name}: {verdict} (exit {rc}, {time.monotonic() - t0:.1f} s)", flush=True)
    return verdict

results = [(t["name"], run_test(t["name"], t["cmd"], t.get("env") or {}, t.get("timeout") or 30))
           for t in gpu_tests]

if perf:
    ops = [t for t in tests if t["name"] == "ops cuda-vs-cpu"]
    if ops:
        results.append(("ops perf", run_test("ops perf", ops[0]["cmd"] + ["--perf"],
                                             ops[0].get("env") or {}, 600)))

print("\n== summary")
for name, verdict in results:
    print(f"{verdict:4} {name}")
bad = [name for name, verdict in results if verdict != "OK"]
print(f"{len(results) - len(bad)} passed, {len(bad)} failed or skipped")
if not results:
    print("no GPU tests found in this build (configured without -Dcuda=enabled?)")
sys.exit(1 if bad or not results else 0)
PY
}

if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT"
    run 2>&1 | tee "$OUT/gpu-check.log"
else
    run
fi
