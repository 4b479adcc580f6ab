"""How much does the reverse-mode engine cost next to hand-written pullbacks?

    .venv/bin/python benchmarks/engine.py [--repeats N] [--quick]

Four problems, float64: an MLP (batch 256, width 512, depth 4) and a deeper, smaller one
(batch 64, width 128, depth 8), both tanh with the squared loss; single-head attention
with n = 256 and n = 1024 (d = d_v = 64), loss 1/2 |Y - T|^2. For each, the variants
are timed interleaved in one process (round-robin, many repeats, medians):

- ``hand fwd``: the hand-written forward of companion.models (and the loss);
- ``hand f+b``: hand-written forward + backward (``mlp_loss_and_grads``, ``attention`` +
  ``attention_vjp``);
- ``engine f+b``: ``companion.value_and_grad`` of the same loss written with Tensors;
- peers, when importable: PyTorch (its threads set to numpy's BLAS threads) and HIPS
  autograd, forward + backward of the same loss.

It prints hand f+b / hand fwd (the cost of a backward pass, goal about 2.75 for the MLPs
and 3.0 for attention), engine f+b / hand f+b (goal <= 1.2), each peer / hand f+b, and
the peak memory (tracemalloc) of one engine forward + backward over the hand-written
one (goal <= 1.5). This is a measurement, not a test: nothing here fails.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import platform
import statistics
import sys
import time
import tracemalloc

import numpy as np

from companion import models, softmax, tanh, value_and_grad


def _openblas(kind):
    """numpy's bundled OpenBLAS function ``get``/``set`` of the thread count, or None."""
    libdir = os.path.dirname(np.__file__) + ".libs"
    for path in glob.glob(os.path.join(libdir, "libscipy_openblas*.so")):
        lib = ctypes.CDLL(path)
        names = (f"scipy_openblas_{kind}_num_threads64_", f"scipy_openblas_{kind}_num_threads",
                 f"openblas_{kind}_num_threads")
        for sym in names:
            if hasattr(lib, sym):
                return getattr(lib, sym)
    return None


def blas_threads(n=None) -> int:
    """numpy's OpenBLAS thread count (asked from the library itself); set it first if ``n``."""
    if n is not None:
        setter = _openblas("set")
        if setter is None:
            raise SystemExit("--blas-threads: numpy's OpenBLAS was not found; set OPENBLAS_NUM_THREADS instead")
        setter(int(n))
    getter = _openblas("get")
    return int(getter()) if getter else int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ----------------------------------------------------------------------------- problems
def mlp_problem(batch, width, depth, rng, peers=True):
    As, bs = models.mlp_init([width] * (depth + 1), rng=rng, gain=1.0, bias_scale=0.1)
    x = rng.standard_normal((width, batch))
    y = 0.5 * rng.standard_normal((width, batch))
    L = depth

    def hand_fwd():
        h, _ = models.mlp_forward(As, bs, x, "tanh")
        r = h - y
        return 0.5 * float(np.vdot(r, r))

    def hand_fb():
        return models.mlp_loss_and_grads(As, bs, x, y, "tanh")

    def loss(*args):
        params, x, y = args[: 2 * L], args[2 * L], args[2 * L + 1]
        h = x
        for A, b in zip(params[:L], params[L:], strict=False):
            h = tanh(A @ h + b[:, None])
        return 0.5 * ((h - y) ** 2).sum()

    vg = value_and_grad(loss, argnums=tuple(range(2 * L)))

    def engine_fb():
        return vg(*As, *bs, x, y)

    def check():
        val, g = engine_fb()
        l0, gr = hand_fb()
        err = max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(g, gr.A + gr.b, strict=False))
        return abs(float(val) - l0) / abs(l0), err

    others = {}
    try:
        if not peers:
            raise ImportError
        import torch

        tA = [torch.tensor(A, requires_grad=True) for A in As]
        tb = [torch.tensor(b, requires_grad=True) for b in bs]
        tx, ty = torch.tensor(x), torch.tensor(y)

        def torch_fb():
            h = tx
            for A, b in zip(tA, tb, strict=False):
                h = torch.tanh(A @ h + b[:, None])
            out = 0.5 * ((h - ty) ** 2).sum()
            return torch.autograd.grad(out, tA + tb)

        others["torch f+b"] = torch_fb
    except ImportError:
        pass
    try:
        if not peers:
            raise ImportError
        import autograd
        import autograd.numpy as anp

        def aloss(params):
            h = x
            for A, b in zip(params[:L], params[L:], strict=False):
                h = anp.tanh(anp.dot(A, h) + b[:, None])
            return 0.5 * anp.sum((h - y) ** 2)

        ag = autograd.grad(aloss)
        others["autograd f+b"] = lambda: ag(list(As) + list(bs))
    except ImportError:
        pass
    return dict(hand_fwd=hand_fwd, hand_fb=hand_fb, engine_fb=engine_fb, check=check, peers=others)


def attention_problem(n, d, rng, peers=True):
    Q, K, V = (rng.standard_normal((n, d)) for _ in range(3))
    T = rng.standard_normal((n, d))
    scale = 1.0 / np.sqrt(d)

    def hand_fwd():
        Y, _ = models.attention(Q, K, V)
        R = Y - T
        return 0.5 * float(np.vdot(R, R))

    def hand_fb():
        Y, cache = models.attention(Q, K, V)
        R = Y - T
        return 0.5 * float(np.vdot(R, R)), models.attention_vjp(cache, R)

    def loss(Q, K, V, T):
        Y = softmax(Q @ K.T * scale) @ V
        return 0.5 * ((Y - T) ** 2).sum()

    vg = value_and_grad(loss, argnums=(0, 1, 2))

    def engine_fb():
        return vg(Q, K, V, T)

    def check():
        val, g = engine_fb()
        l0, gr = hand_fb()
        err = max(np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(g, gr, strict=False))
        return abs(float(val) - l0) / abs(l0), err

    others = {}
    try:
        if not peers:
            raise ImportError
        import torch

        tQ, tK, tV = (torch.tensor(a, requires_grad=True) for a in (Q, K, V))
        tT = torch.tensor(T)

        def torch_fb():
            Y = torch.softmax(tQ @ tK.T * scale, dim=-1) @ tV
            out = 0.5 * ((Y - tT) ** 2).sum()
            return torch.autograd.grad(out, (tQ, tK, tV))

        others["torch f+b"] = torch_fb
    except ImportError:
        pass
    try:
        if not peers:
            raise ImportError
        import autograd
        import autograd.numpy as anp

        def aloss(Q, K, V):
            S = anp.dot(Q, K.T) * scale
            E = anp.exp(S - anp.max(S, axis=1, keepdims=True))
            Y = anp.dot(E / anp.sum(E, axis=1, keepdims=True), V)
            return 0.5 * anp.sum((Y - T) ** 2)

        ag = autograd.grad(aloss, argnum=(0, 1, 2)) if _autograd_tuple_argnum() else None
        if ag is not None:
            others["autograd f+b"] = lambda: ag(Q, K, V)
    except ImportError:
        pass
    return dict(hand_fwd=hand_fwd, hand_fb=hand_fb, engine_fb=engine_fb, check=check, peers=others)


def _autograd_tuple_argnum():
    try:
        import autograd

        autograd.grad(lambda a, b: a * b, argnum=(0, 1))(1.0, 2.0)
        return True
    except Exception:
        return False


# ----------------------------------------------------------------------------- measuring
def interleaved(variants: dict, repeats: int, min_time: float):
    """Median wall-clock and CPU seconds per call of each variant, timed round-robin.

    Round-robin: one call of each variant in turn, so that drift (other processes, CPU
    frequency) hits all variants alike. Returns ``(wall, cpu)``, two dicts of medians.
    """
    for f in variants.values():  # warm up
        f()
        f()
    wall = {k: [] for k in variants}
    cpu = {k: [] for k in variants}
    start = time.perf_counter()
    r = 0
    while (r < repeats or time.perf_counter() - start < min_time) and r < 20 * repeats:
        for k, f in variants.items():
            c0, t0 = time.process_time(), time.perf_counter()
            f()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
        r += 1
    med = lambda d: {k: statistics.median(v) for k, v in d.items()}  # noqa: E731 - a one-line function, read as the formula it is
    return med(wall), med(cpu)


def peak_bytes(f) -> int:
    """Peak traced allocation (bytes) during one call of ``f``, above what was live before."""
    f()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        f()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def table(header, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + " |"  # noqa: E731 - a one-line function, read as the formula it is
    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


# glibc returns freed memory at the top of the heap to the system and serves large
# arrays with fresh mmaps; in a VM each page then faults again (~2 us a page here), which
# makes every call pay for its peak memory. These settings keep freed memory for reuse.
KEEP_MEMORY = {
    "MALLOC_TRIM_THRESHOLD_": "4000000000",
    "MALLOC_MMAP_THRESHOLD_": "4000000000",
    "MALLOC_TOP_PAD_": "268435456",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30, help="round-robin rounds (at least)")
    ap.add_argument("--min-time", type=float, default=6.0, help="seconds per problem (at least)")
    ap.add_argument("--quick", action="store_true", help="a few rounds only (a smoke run)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="set numpy's BLAS threads (and torch's) to this; default: leave numpy's as they are")
    ap.add_argument("--keep-memory", action="store_true",
                    help="re-run under glibc settings that never give freed memory back (no page-fault churn)")
    ap.add_argument("--no-peers", action="store_true", help="skip torch and autograd")
    args = ap.parse_args()
    if args.keep_memory and any(os.environ.get(k) != v for k, v in KEEP_MEMORY.items()):
        os.execve(sys.executable, [sys.executable] + sys.argv, {**os.environ, **KEEP_MEMORY})
    if args.quick:
        args.repeats, args.min_time = 3, 0.0

    nthreads = blas_threads(args.blas_threads)
    notes = []
    if not args.no_peers:
        try:
            import torch

            torch.set_num_threads(nthreads)
            notes.append(f"torch {torch.__version__} with {torch.get_num_threads()} threads (= numpy's BLAS threads)")
        except ImportError:
            notes.append("torch not installed")
        try:
            from importlib.metadata import version

            import autograd  # noqa: F401 - imported only to see whether it is installed

            notes.append(f"autograd {version('autograd')}")
        except ImportError:
            notes.append("autograd not installed")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy {np.__version__} "
          f"(BLAS threads: {nthreads}); {'; '.join(notes) or 'no peers'}; "
          f"allocator: {'keeps freed memory' if args.keep_memory else 'glibc defaults'}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    rng = np.random.default_rng(0)
    peers = not args.no_peers
    problems = {
        "MLP b256 w512 L4": mlp_problem(256, 512, 4, rng, peers),
        "MLP b64 w128 L8": mlp_problem(64, 128, 8, rng, peers),
        "attention n256 d64": attention_problem(256, 64, rng, peers),
        "attention n1024 d64": attention_problem(1024, 64, rng, peers),
    }
    peers = sorted({k for p in problems.values() for k in p["peers"]})
    header = ["problem", "hand fwd ms", "hand f+b ms", "engine f+b ms", "hand f+b/fwd", "engine/hand",
              "mem engine/hand"]
    header += [f"{k}/hand" for k in peers]
    cpu_header = ["problem", "hand f+b/fwd", "engine/hand"] + [f"{k}/hand" for k in peers]
    rows, cpu_rows = [], []
    for name, p in problems.items():
        dv, dg = p["check"]()
        assert dv < 1e-10 and dg < 1e-10, f"{name}: engine and hand-written disagree ({dv:.2e}, {dg:.2e})"
        variants = {"hand_fwd": p["hand_fwd"], "hand_fb": p["hand_fb"], "engine_fb": p["engine_fb"], **p["peers"]}
        t, c = interleaved(variants, args.repeats, args.min_time)
        mem = peak_bytes(p["engine_fb"]) / peak_bytes(p["hand_fb"])
        rows.append([name, f"{1e3 * t['hand_fwd']:.2f}", f"{1e3 * t['hand_fb']:.2f}", f"{1e3 * t['engine_fb']:.2f}",
                     f"{t['hand_fb'] / t['hand_fwd']:.2f}", f"{t['engine_fb'] / t['hand_fb']:.2f}", f"{mem:.2f}"]
                    + [f"{t[k] / t['hand_fb']:.2f}" if k in t else "-" for k in peers])
        cpu_rows.append([name, f"{c['hand_fb'] / c['hand_fwd']:.2f}", f"{c['engine_fb'] / c['hand_fb']:.2f}"]
                        + [f"{c[k] / c['hand_fb']:.2f}" if k in c else "-" for k in peers])
        cells = ", ".join(f"{h}={v}" for h, v in zip(header[1:], rows[-1][1:], strict=True))
        print(f"  {name}: {cells}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\nwall-clock medians (goals: hand f+b/fwd <= ~2.75 MLP, ~3.0 attention; engine/hand <= 1.2; memory <= 1.5)")
    print(table(header, rows))
    if nthreads == 1:
        print("\nCPU-time medians (process_time; less disturbed than wall-clock by other processes)")
        print(table(cpu_header, cpu_rows))
    else:
        print(
            "\n(CPU-time ratios are printed with --blas-threads 1 only: idle OpenBLAS workers spin, so CPU time "
            "overcounts)"
        )


if __name__ == "__main__":
    main()
