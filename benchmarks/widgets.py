"""Explorer speed, in a kernel: creation, the main slider and every live control, for every explorer.

    .venv/bin/python benchmarks/widgets.py [--repeat 7] [--only attention] [--cpu] [--book _build/html]

Every ``make_*_explorer`` exported by ``companion.widgets`` is measured (a new explorer is
covered by being exported), and each of its live controls (``explorer.controls``, driven as
``tests/test_explorers.py`` drives them: a slider between its two ends, a selection control
to its next option). A time is what a reader waits for in a live kernel from setting a
value to the new image in the shown frame: the observers run synchronously, so it is the
time of the assignment (compute + draw + PNG encode).

- ``main``: the main slider moves to a frame that must be recomputed (its cache cleared);
- each control: the control changes (the main slider stays where it is), starting from the
  defaults with every frame drawn (as after creation). A static choice then only switches to
  frames drawn already; after another live control has changed, an option's frame is drawn
  when it is first shown (about the cost of a control change).

Creation draws the frame shown; the other frames (which only the static page needs) are drawn
once the cell that shows the explorer has run: printed as "then all frames", not bounded.

A selection control's options whose label states their cost ("... per update": 8.8's widest
networks), and a control whose description does (8.6's ``n``), are timed apart and printed with
"(stated)", not held to the bound.

Bounds: creation <= 1 s, main slider median <= 20 ms, every other control median <= 100 ms,
every built page <= 3 MB. Prints medians; not a test (exit status 0 either way).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_explorers import set_other_value  # the contract's way to drive a control

import companion.widgets as cw  # after the Agg backend is chosen

CREATE_S, MAIN_MS, CONTROL_MS = 1.0, 20.0, 100.0


def factories():
    return {name: getattr(cw, name) for name in cw.__all__ if name.startswith("make_") and name.endswith("_explorer")}


CLOCK = time.perf_counter  # --cpu: time.process_time (this process's CPU time: steadier on a shared machine)


def timed(action) -> float:
    t = CLOCK()
    action()
    return CLOCK() - t


COSTLY = "per update"  # an option whose label says what an update costs (8.8: the widest networks)


def _label(w) -> str:
    """The label of a selection control's current option, or another control's description."""
    return str(w.label) if hasattr(w, "label") and isinstance(w.label, str) else str(w.description)


def measure(make, repeat: int):
    """``(create s, all frames s, {control: median ms}, frames, PNG bytes)``; the main slider's key is
    ``"main (<description>)"``. Creation draws the frame shown; the others are drawn once the cell that
    shows the explorer has run (``all frames``: the time of that, the static page's cost)."""
    create = statistics.median(timed(make) for _ in range(3))
    e = make()
    prerender = timed(e.refresh)
    n = len(e.values)
    times = {}
    main = []
    for k in range(repeat):
        e.forget()  # force a recompute of the frame we move to
        target = (e.slider.index + 1 + k % (n - 1)) % n
        main.append(timed(lambda target=target: setattr(e.slider, "index", target)))
        assert e.last_error is None, e.last_error
    times[f"main ({e.slider.description})"] = 1000 * statistics.median(main)
    e.refresh()  # every frame drawn again, as after creation: a static choice's options are pre-rendered
    for name, w in e.controls.items():
        if getattr(w, "disabled", False):
            times[name] = float("nan")  # disabled at the defaults (an entry index when the direction is not one entry)
            continue
        ts, costly = [], []
        start = w.index if hasattr(w, "index") else w.value
        for _ in range(repeat):
            t = timed(lambda w=w: set_other_value(w))
            assert e.last_error is None, f"{name}: {e.last_error}"
            (costly if COSTLY in _label(w) else ts).append(t)
        if ts:
            times[name] = 1000 * statistics.median(ts)
        if costly:  # options or a control whose label states their cost: reported, not held to the bound
            times[f"{name} ({COSTLY}, as labelled)"] = 1000 * statistics.median(costly)
        with e.hold():  # back to where it was, so the next control is measured at the defaults
            setattr(w, "index" if hasattr(w, "index") else "value", start)
    size = sum(len(bytes(img.value)) for img in e.frames.children)
    return create, prerender, times, len(e.frames.children), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default="", help="measure only the explorers whose factory name contains this")
    ap.add_argument("--book", default="_build/html")
    ap.add_argument("--cpu", action="store_true", help="CPU time of this process instead of wall-clock time")
    args = ap.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.process_time
    ok = True
    print("| explorer | create s | control | median ms | bound |")
    print("|---|---|---|---|---|")
    for name, make in factories().items():
        if args.only not in name:
            continue
        c, every, times, n, size = measure(make, args.repeat)
        flag = "" if c <= CREATE_S else " **over**"
        ok &= not flag
        short = name[len("make_") : -len("_explorer")]
        frames = f"then all {n} x {len(make().choice_values)} frames: {every:.2f} s; {size / 1024:.0f} kB PNG"
        print(f"| {short} | {c:.2f}{flag} | ({frames}) | | |")
        for control, ms in times.items():
            if COSTLY in control:
                print(f"| | | {control} | {ms:.1f} | (stated) |")
                continue
            bound = MAIN_MS if control.startswith("main") else CONTROL_MS
            over = ms > bound
            ok &= not over
            print(f"| | | {control} | {ms:.1f}{' **over**' if over else ''} | {bound:.0f} |")
        sys.stdout.flush()
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
