"""Explorer speed: creation time and one live update of the main control, for every explorer.

    .venv/bin/python benchmarks/widgets.py [--repeat 15] [--book _build/html]

Every ``make_*_explorer`` exported by ``companion.widgets`` is measured (a new explorer
is covered by being exported). "Update" is what a reader waits for in a live kernel
when the main slider moves to a frame that must be recomputed: compute + draw + PNG
encode (the frame cache is cleared before each move). Goals: creation <= 2 s, update
median <= 50 ms, every built page <= 3 MB. Prints medians; not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import companion.widgets as cw  # noqa: E402


def factories():
    return {name: getattr(cw, name) for name in cw.__all__ if name.startswith("make_") and name.endswith("_explorer")}


def measure(make, repeat: int):
    create = []
    for _ in range(3):
        t = time.perf_counter()
        e = make()
        create.append(time.perf_counter() - t)
    n = len(e.values)
    update = []
    for k in range(repeat):
        e._keys = [None] * n  # force a recompute of the frame we move to
        target = (e.slider.index + 1 + k % (n - 1)) % n if n > 1 else 0
        t = time.perf_counter()
        e.slider.index = target
        update.append(time.perf_counter() - t)
        assert e.last_error is None, e.last_error
    frames = sum(len(bytes(img.value)) for img in e.frames.children)
    return statistics.median(create), statistics.median(update), n, frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--book", default="_build/html")
    args = ap.parse_args()
    print(f"{'explorer':42s} {'create s':>9s} {'update ms':>10s} {'frames':>7s} {'PNG kB':>8s}")
    ok = True
    for name, make in factories().items():
        c, u, n, size = measure(make, args.repeat)
        flag = "" if (c <= 2.0 and u <= 0.050) else "  <-- over bound"
        ok &= not flag
        print(f"{name:42s} {c:9.2f} {1000 * u:10.1f} {n:7d} {size / 1024:8.0f}{flag}")
    book = Path(args.book)
    if book.exists():
        print(f"\npages of {book} (bound 3 MB):")
        for page in sorted(book.rglob("*.html")):
            mb = page.stat().st_size / 2**20
            if mb > 0.2:
                print(f"  {page.relative_to(book)}: {mb:.2f} MB" + ("  <-- over bound" if mb > 3 else ""))
                ok &= mb <= 3
    print("\nall within bounds" if ok else "\nSOME OVER BOUND")


if __name__ == "__main__":
    main()
