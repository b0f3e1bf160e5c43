#!/bin/bash
# bench/upstream-bench.sh — our DiT beside upstream RIFT-SVC's PyTorch DiT, on the
# same shapes, on the same machine, in the same run.
#
#   bench/upstream-bench.sh --upstream RIFT-SVC-CHECKOUT [--python PY] [--rift-tool PATH]
#       [--repeat K] [--torch-blas same|system|both] [--no-bf16]
#       [--dim 512] [--depth 8] [--frames 861] [--conds 3] [--runs 5]
#       [--head-dim 64] [--ff-mult 4] [--kernel 31] [--cvec-dim 768]
#
# Each round runs, each in its own process, one after the other:
#   rift         rift-tool bench dit --backend cpu (our engine, float32)
#   torch-fp32   bench/upstream_dit.py: upstream's rift_svc.dit.DiT in float32,
#                with torch's BLAS the one rift-tool uses (same OpenBLAS build)
#   torch-fp32-sysblas   the same with the BLAS the system gives torch
#                (Debian: the libblas.so.3 alternative; --torch-blas both|system)
#   torch-bf16   the same model under CPU bfloat16 autocast, as infer.py runs
# with the same sizes, frames, conditions and runs (median of --runs after a
# warm-up, in each). With --repeat K it does K rounds and keeps each one's
# fastest time (for a machine that is not idle). It then prints one line per
# implementation and the speed-up (upstream time / our time); exits 1 when
# one of them failed.
#
# `ratio` is GFLOP/s over the best sgemm peak rift-tool measured in these
# rounds; every GFLOP/s uses the same FLOP count (rift_dit_flops()).
#
# Needs: a built rift-tool (default build/tools/rift-tool), a RIFT-SVC checkout,
# and a Python with Debian's python3-torch and the packages upstream_dit.py
# names when one is missing (see docs/performance.md). Installs nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    exit "${1:-2}"
}

upstream="" python=python3 rift_tool="$root/build/tools/rift-tool"
repeat=1 torch_blas=both bf16=1
dim=512 depth=8 frames=861 conds=3 runs=5 head_dim=64 ff_mult=4 kernel=31 cvec_dim=768
while [ $# -gt 0 ]; do
    case "$1" in
    --help | -h) usage 0 ;;
    --no-bf16) bf16=0; shift; continue ;;
    esac
    [ $# -ge 2 ] || { echo "upstream-bench.sh: $1 needs a value" >&2; exit 2; }
    case "$1" in
    --upstream) upstream=$2 ;;
    --python) python=$2 ;;
    --rift-tool) rift_tool=$2 ;;
    --repeat) repeat=$2 ;;
    --torch-blas) torch_blas=$2 ;;
    --dim) dim=$2 ;;
    --depth) depth=$2 ;;
    --frames) frames=$2 ;;
    --conds) conds=$2 ;;
    --runs) runs=$2 ;;
    --head-dim) head_dim=$2 ;;
    --ff-mult) ff_mult=$2 ;;
    --kernel) kernel=$2 ;;
    --cvec-dim) cvec_dim=$2 ;;
    *) echo "upstream-bench.sh: unknown flag $1" >&2; usage 2 ;;
    esac
    shift 2
done
[ -n "$upstream" ] || { echo "upstream-bench.sh: --upstream RIFT-SVC-CHECKOUT is required" >&2; usage 2; }
[ -f "$upstream/rift_svc/dit.py" ] || { echo "upstream-bench.sh: $upstream has no rift_svc/dit.py" >&2; exit 2; }
[ -x "$rift_tool" ] || { echo "upstream-bench.sh: no rift-tool at $rift_tool (build it: ninja -C build tools/rift-tool, or pass --rift-tool)" >&2; exit 2; }
case "$torch_blas" in same | system | both) ;; *) echo "upstream-bench.sh: --torch-blas same, system or both" >&2; exit 2 ;; esac
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "upstream-bench.sh: --repeat needs a count >= 1" >&2; exit 2; }

sizes=(--dim "$dim" --depth "$depth" --head-dim "$head_dim" --ff-mult "$ff_mult"
       --kernel "$kernel" --cvec-dim "$cvec_dim" --frames "$frames" --conds "$conds" --runs "$runs")

# The OpenBLAS build rift-tool is linked with. Debian installs each build in a
# folder of its own that also holds a libblas.so.3, the name torch asks for:
# putting that folder first makes torch run on the same BLAS build as ours.
# (Debian's default libblas.so.3 alternative is OpenBLAS's pthreads build; its
# threads and torch's OpenMP threads fight for the cores, see "Threads and the
# BLAS" in docs/performance.md.)
blas_dir=""
if so=$(ldd "$rift_tool" 2>/dev/null | awk '/libopenblas|libblas/ { print $3; exit }') && [ -n "$so" ]; then
    d=$(dirname "$(readlink -f "$so")")
    [ -e "$d/libblas.so.3" ] && blas_dir=$d
fi
if [ -z "$blas_dir" ] && [ "$torch_blas" != system ]; then
    echo "upstream-bench.sh: cannot find the libblas.so.3 of rift-tool's BLAS; timing torch on its system BLAS only" >&2
    torch_blas=system
fi

field() { # field KEY LINE
    sed -n "s/.*[ ^]$1=\"\{0,1\}\([^\" ]*\).*/\1/p" <<<" $2"
}

declare -A best_line best_time
keep() { # keep NAME LINE: the fastest line of each implementation
    local t
    t=$(field time_s "$2")
    [ -n "$t" ] || return 0
    if [ -z "${best_time[$1]:-}" ] || awk -v a="$t" -v b="${best_time[$1]}" 'BEGIN { exit !(a < b) }'; then
        best_time[$1]=$t
        best_line[$1]=$2
    fi
}

run_torch() { # run_torch NAME same|system ARGS...
    local name=$1 blas=$2 line rc=0
    shift 2
    local env_cmd=(env)
    [ "$blas" = same ] && env_cmd+=("LD_LIBRARY_PATH=$blas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
    line=$("${env_cmd[@]}" "$python" "$here/upstream_dit.py" --upstream "$upstream" "${sizes[@]}" "$@" \
        2>"$errs" | grep '^bench=') || rc=$?
    # einx 0.2.0's warning about torch < 2 is expected (see upstream_dit.py)
    grep -v '^WARNING: einx with PyTorch requires' "$errs" >&2 || true
    if [ -z "$line" ]; then
        echo "upstream-bench.sh: $name failed (exit $rc); see the message above" >&2
        return 0
    fi
    echo "# $name: $line"
    keep "$name" "$line"
}

errs=$(mktemp)
trap 'rm -f "$errs"' EXIT
short_libs() { # the last two parts of each path: "openblas-openmp/libblas.so.3"
    tr ',' '\n' <<<"$1" | awk -F/ 'NF > 1 { printf "%s%s/%s", sep, $(NF - 1), $NF; sep = "," } NF <= 1 { printf "%s%s", sep, $0; sep = "," }'
}

peak=0
names=(rift)
[ "$torch_blas" != system ] && names+=(torch-fp32)
[ "$torch_blas" != same ] && names+=(torch-fp32-sysblas)
[ "$bf16" = 1 ] && names+=(torch-bf16)
for ((round = 1; round <= repeat; round++)); do
    echo "# round $round of $repeat"
    line=$("$rift_tool" bench dit "${sizes[@]}" --backend cpu 2>/dev/null | grep '^bench=dit') || {
        echo "upstream-bench.sh: rift-tool bench dit failed" >&2
        exit 1
    }
    echo "# rift: $line"
    keep rift "$line"
    p=$(field peak_gflops "$line")
    awk -v a="$p" -v b="$peak" 'BEGIN { exit !(a > b) }' && peak=$p
    [ "$torch_blas" != system ] && run_torch torch-fp32 same --precision fp32
    [ "$torch_blas" != same ] && run_torch torch-fp32-sysblas system --precision fp32
    [ "$bf16" = 1 ] && run_torch torch-bf16 "$([ "$torch_blas" = system ] && echo system || echo same)" --precision bf16
done

ours=${best_time[rift]}
gflop=$(field gflop "${best_line[rift]}")
echo "dit-$dim-$depth frames=$frames conds=$conds runs=$runs repeat=$repeat peak_gflops=$peak"
printf '%-20s %9s %8s %7s %9s  %s\n' impl time_s gflops ratio speedup notes
status=0
for name in "${names[@]}"; do
    l=${best_line[$name]:-}
    if [ -z "$l" ]; then
        printf '%-20s %9s %8s %7s %9s  %s\n' "$name" - - - - failed
        status=1
        continue
    fi
    t=$(field time_s "$l")
    case "$name" in
    rift) notes=$(sed -n 's/.*backend="\([^"]*\)".*/\1/p' <<<"$l") ;;
    *) notes="torch $(field torch "$l"), $(field threads "$l") threads, blas $(short_libs "$(field blas "$l")")"
       [ "$(field ln_shim "$l")" = yes ] && notes="$notes, LayerNorm shim" ;;
    esac
    awk -v n="$name" -v t="$t" -v f="$gflop" -v p="$peak" -v o="$ours" -v notes="$notes" 'BEGIN {
        printf "%-20s %9.4f %8.1f %7.3f %8.2fx  %s\n", n, t, f / t, f / t / p, t / o, notes }'
done
exit $status
