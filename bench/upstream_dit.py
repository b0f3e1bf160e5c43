#!/usr/bin/env python3
"""Time upstream RIFT-SVC's DiT in PyTorch on the shapes of `rift-tool bench dit`.

    python3 bench/upstream_dit.py --upstream RIFT-SVC-CHECKOUT [--dim 512] [--depth 8]
        [--frames 861] [--conds 3] [--runs 5] [--precision fp32|bf16] [--threads N]

Upstream's own `rift_svc.dit.DiT`, imported from the given checkout and left
unmodified, is built with random weights at the requested size (head_dim 64,
ff_mult 4, kernel 31, cvec 768, 128 mel channels by default), put in eval mode
and evaluated under torch.no_grad() on one guided sampler step: `--conds`
sequences of `--frames` frames in one call, with the key mask and the
per-sequence speaker drop infer.py passes (the last condition drops the
speaker). The wall time is the median of `--runs` calls after one warm-up call,
as in `rift-tool bench dit`. The FLOP count is the one of our C function
rift_dit_flops() (engine/models/dit.c), re-implemented below in Python, so the
GFLOP/s of both implementations are comparable.

`--precision fp32` runs float32 (the semantics our engine implements);
`--precision bf16` runs the same float32 model under CPU autocast, as
upstream's infer.py does on the CPU (`autocast(device_type='cpu',
enabled=use_fp16)`, whose CPU dtype is bfloat16).

The result is one line of key=value pairs, like rift-tool's. bench/upstream-bench.sh
runs this and `rift-tool bench dit` side by side; see docs/performance.md.

Upstream needs torch >= 2.0; Debian's python3-torch is 1.13.1. To run it there,
this script applies the environment-only deviations that
tests/fixtures/dit/README.md ("Deviations from pure upstream") lists for the
reference fixtures; each is marked "SHIM" below. No upstream file is changed.
"""

import argparse
import importlib
import importlib.util
import math
import os
import sys
import time
import types

UPSTREAM_COMMIT = "c03fa5940fb8edc32bd43be41eb2655fd8a93deb"

# What to install when an import fails (the script itself installs nothing).
# x-transformers and einx are installed without their dependencies: both
# declare torch >= 2, and pip would otherwise replace Debian's torch.
INSTALL_HINT = """\
upstream_dit.py needs Debian's PyTorch and a few pip packages:
  apt-get install python3-torch python3-numpy python3-venv
  python3 -m venv --system-site-packages VENV      # sees Debian's torch
  VENV/bin/pip install --no-deps x-transformers==2.10.2 einx==0.2.0 \\
      einops jaxtyping==0.3.3 wadler-lindig==0.1.7 loguru packaging sympy frozendict
and is then run with VENV/bin/python3 (bench/upstream-bench.sh --python VENV/bin/python3)."""


def die(msg, code=1):
    print(f"upstream_dit.py: {msg}", file=sys.stderr)
    sys.exit(code)


def need(module):
    """Import `module` or stop with what to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        die(f"cannot import {module} ({e})\n{INSTALL_HINT}")


# ---- the FLOP count: rift_dit_flops() of engine/models/dit.c, in Python ----------------
# Every matrix product counted as 2·m·n·k, attention's two products over all keys,
# the depthwise conv; elementwise work (norms, activations, softmax, RoPE) is not
# counted. Keep in step with the C function.
def dit_flops(dim, depth, ff_mult, kernel, n_mels, seqs, T, freq_dim=256):
    R, D, F = float(seqs * T), float(dim), float(ff_mult * dim)
    per_block = (2.0 * R * D * D * 4                # q, k, v, out
                 + 2.0 * 2.0 * seqs * T * T * D     # q·kᵀ, p·v
                 + 2.0 * R * D * F * 2              # the two MLP linears
                 + 2.0 * R * D * kernel             # depthwise conv
                 + 2.0 * seqs * D * 6 * D)          # adaLN
    embed = (2.0 * R * n_mels * D * 2               # mel_embed, output
             + 2.0 * R * D * D                      # input proj, mel half
             + 2.0 * seqs * (freq_dim * D + D * D + 2 * D * D))
    return per_block * depth + embed


# ---- SHIMs: running upstream (written for torch >= 2.0) on torch 1.13 ----------------

def install_sdpa_shim(torch):
    """SHIM 1: F.scaled_dot_product_attention (torch >= 2.0) as plain math.

    upstream's Attention raises at construction when torch.nn.functional has no
    scaled_dot_product_attention, and calls it with `scale=` (1/dim, not
    1/sqrt(head_dim)) and a boolean attn_mask (True = attend). This is
    softmax(q·kᵀ·scale + bias)·v with bias = -inf where the mask is False, as
    for the fixtures. On torch >= 2.0 the real function is left alone.
    Note for timing: torch 2's real kernel fuses these steps; this math version
    materialises the [seqs, heads, T, T] scores.
    """
    F = torch.nn.functional
    if hasattr(F, "scaled_dot_product_attention"):
        return False

    def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                     is_causal=False, scale=None):
        if scale is None:
            scale = 1.0 / math.sqrt(query.size(-1))
        scores = torch.matmul(query, key.transpose(-2, -1)) * scale
        if is_causal:
            L, S = query.size(-2), key.size(-2)
            keep = torch.ones(L, S, dtype=torch.bool, device=query.device).tril()
            scores = scores.masked_fill(~keep, float("-inf"))
        if attn_mask is not None:
            if attn_mask.dtype == torch.bool:
                scores = scores.masked_fill(~attn_mask, float("-inf"))
            else:
                scores = scores + attn_mask
        p = torch.softmax(scores, dim=-1)
        if dropout_p > 0.0:
            p = F.dropout(p, p=dropout_p)
        return torch.matmul(p, value)

    F.scaled_dot_product_attention = scaled_dot_product_attention
    return True


def install_layernorm_shim(torch):
    """SHIM 4 (bf16 only, and only after the plain bf16 forward failed):
    torch 1.13's CPU layer_norm refuses a bfloat16 input with float32
    weight/bias ("expected scalar type BFloat16 but found Float"): upstream's
    one affine LayerNorm (cond_embed.ln) gets the bfloat16 output of an
    autocast Linear. torch >= 2.0 accepts the mixed dtypes. Here weight and
    bias are cast to the input's dtype. Not one of the fixtures' deviations
    (they are float32); reported as ln_shim=yes on the result line.
    """
    F = torch.nn.functional
    plain = F.layer_norm

    def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
        if weight is not None and weight.dtype != input.dtype:
            weight = weight.to(input.dtype)
        if bias is not None and bias.dtype != input.dtype:
            bias = bias.to(input.dtype)
        return plain(input, normalized_shape, weight, bias, eps)

    F.layer_norm = layer_norm


def import_package_without_init(name, path=None):
    """SHIM 2: make `name` importable as a package without running its __init__.py.

    Only the submodules imported afterwards (`name.sub`) are executed.
    - x_transformers: its __init__.py imports unrelated wrappers that need
      torch.func (torch >= 2); x_transformers/x_transformers.py itself, which
      upstream imports RotaryEmbedding and apply_rotary_pos_emb from, runs as is.
    - rift_svc (from the checkout): its __init__.py also imports the sampler
      (torchdiffeq) and the training LightningModule (pytorch_lightning, wandb,
      torchaudio, transformers, librosa, parselmouth, pyworld, ...), none of
      which the DiT uses. The fixtures stubbed those imports instead; skipping
      the __init__ makes the stubs unnecessary here: rift_svc/dit.py and
      rift_svc/modules.py import only einops, jaxtyping, torch and
      x_transformers.x_transformers.
    """
    if path is None:
        spec = importlib.util.find_spec(name)  # locates, does not execute
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(f"No module named '{name}'")
        path = list(spec.submodule_search_locations)
    pkg = types.ModuleType(name)
    pkg.__path__ = path
    pkg.__package__ = name
    sys.modules[name] = pkg
    return pkg


def import_upstream_dit(upstream):
    pkg_dir = os.path.join(upstream, "rift_svc")
    if not os.path.isfile(os.path.join(pkg_dir, "dit.py")):
        die(f"{upstream} is not a RIFT-SVC checkout (no rift_svc/dit.py)", 2)
    torch = need("torch")
    for m in ("einops", "jaxtyping", "loguru", "packaging"):
        need(m)
    # SHIM 3: einx is imported by x_transformers.py (not used on the DiT's code
    # paths). einx 0.3.0, which x-transformers 2.10.2 asks for, raises at import
    # on torch < 2; 0.2.0 only prints a warning. Say so if the wrong one is there.
    try:
        import einx  # noqa: F401
    except Exception as e:  # ImportError, or 0.3.0's error on torch 1.x
        die(f"cannot import einx ({type(e).__name__}: {e}); on torch < 2 use einx==0.2.0\n"
            f"{INSTALL_HINT}")
    install_sdpa_shim(torch)
    try:
        import_package_without_init("x_transformers")
        importlib.import_module("x_transformers.x_transformers")
    except ImportError as e:
        die(f"cannot import x_transformers.x_transformers ({e})\n{INSTALL_HINT}")
    import_package_without_init("rift_svc", [pkg_dir])
    try:
        dit = importlib.import_module("rift_svc.dit")
    except ImportError as e:
        die(f"cannot import upstream rift_svc.dit ({e})\n{INSTALL_HINT}")
    return torch, dit.DiT


# ---- the benchmark ---------------------------------------------------------------------

def loaded_blas():
    """The BLAS libraries this process mapped (torch reaches BLAS through
    Debian's libblas.so.3 alternative, whichever build that points to)."""
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                base = os.path.basename(p)
                if base.startswith(("libblas", "libopenblas", "libmkl", "libblis")):
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return ",".join(sorted(libs)) or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--upstream", required=True, help="a RIFT-SVC checkout")
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--ff-mult", type=int, default=4)
    ap.add_argument("--kernel", type=int, default=31)
    ap.add_argument("--cvec-dim", type=int, default=768)
    ap.add_argument("--n-mels", type=int, default=128)
    ap.add_argument("--frames", type=int, default=861)
    ap.add_argument("--conds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    ap.add_argument("--no-ln-shim", action="store_true",
                    help="bf16: report a failure instead of retrying with SHIM 4")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads (default: the cores this process may use)")
    a = ap.parse_args()
    if (a.dim < 2 or a.depth < 1 or a.head_dim < 2 or a.dim % a.head_dim or a.frames < 1
            or a.conds < 1 or a.runs < 1 or a.kernel % 2 == 0):
        die("need dim divisible by head-dim, depth, frames, conds, runs >= 1, an odd kernel", 2)

    torch, DiT = import_upstream_dit(os.path.abspath(a.upstream))
    threads = a.threads or len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.manual_seed(1234)

    S, T = a.conds, a.frames
    model = DiT(dim=a.dim, depth=a.depth, head_dim=a.head_dim, ff_mult=a.ff_mult,
                n_mel_channels=a.n_mels, num_speaker=1, cvec_dim=a.cvec_dim,
                kernel_size=a.kernel)
    with torch.no_grad():
        # DiT() zero-initialises the adaLN projections and the output layer;
        # give every parameter fan-in scaled random values instead, as
        # rift-tool's random models have (no all-zero fast paths, real activations).
        for p in model.parameters():
            if p.ndim == 1:  # biases, norm weights
                p.normal_(0.0, 0.1)
            else:  # [out, in] or the conv's [dim, 1, kernel]
                p.normal_(0.0, 1.0 / math.sqrt(p[0].numel()))
    model = model.float().eval()

    # the inputs of one guided step (ds + spk guidance: cond, bad cvec, no speaker)
    x = torch.randn(S, T, a.n_mels)
    f0 = 300.0 + 100.0 * torch.randn(S, T)
    rms = 0.05 + 0.02 * torch.randn(S, T)
    cvec = torch.randn(S, T, a.cvec_dim)
    spk = torch.zeros(S, dtype=torch.long)
    drop = torch.zeros(S, dtype=torch.bool)
    drop[-1] = S > 1
    t = torch.full((S,), 0.5)
    mask = torch.ones(S, T, dtype=torch.bool)

    if a.precision == "bf16":
        # as infer.py: the float32 model under autocast; on the CPU that is bfloat16
        ctx = lambda: torch.autocast(device_type="cpu", dtype=torch.bfloat16)  # noqa: E731
    else:
        import contextlib
        ctx = contextlib.nullcontext

    def step():
        with torch.no_grad(), ctx():
            return model(x, spk, f0, rms, cvec, t, drop_speaker=drop, mask=mask)

    ln_shim = False
    try:
        out = step()  # warm-up
    except RuntimeError as e:  # e.g. an op without a bfloat16 CPU kernel in this torch
        if a.precision != "bf16" or a.no_ln_shim:
            die(f"the {a.precision} forward failed on torch {torch.__version__}: {e}", 3)
        print(f"upstream_dit.py: the bf16 autocast forward fails on torch {torch.__version__}"
              f" ({e}); timing it again with the LayerNorm shim (SHIM 4)", file=sys.stderr)
        install_layernorm_shim(torch)
        ln_shim = True
        try:
            out = step()
        except RuntimeError as e2:
            die(f"the bf16 forward fails on torch {torch.__version__} even with the "
                f"LayerNorm shim: {e2}", 3)
    finite = bool(torch.isfinite(out.float()).all())
    times = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])

    flop = dit_flops(a.dim, a.depth, a.ff_mult, a.kernel, a.n_mels, S, T)
    audio_s = T * 512 / 44100.0
    rss_mb = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                rss_mb = float(line.split()[1]) / 1024.0
    print(f"bench=dit impl=upstream precision={a.precision} dim={a.dim} depth={a.depth} "
          f"frames={T} conds={S} time_s={med:.4f} gflop={flop / 1e9:.2f} "
          f"gflops={flop / med / 1e9:.1f} rtf={med * 31 / audio_s:.3f} "
          f"finite={'yes' if finite else 'no'} ln_shim={'yes' if ln_shim else 'no'} torch=\"{torch.__version__}\" "
          f"threads={torch.get_num_threads()} blas=\"{loaded_blas()}\" rss_mb={rss_mb:.0f}",
          flush=True)


if __name__ == "__main__":
    main()
