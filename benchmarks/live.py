"""The live view's speed in a real browser: cold start and live updates, for every section.

    .venv/bin/python benchmarks/live.py [--book _build/html] [--starts 3] [--changes 9] [SECTION ...]

For each section page (8.1-8.8, or those named, e.g. 8-6-attention) of a built book (``make
book``), served from 127.0.0.1 with every outside request aborted, in Debian's headless
Chromium: ``--starts`` times, a fresh browser context (empty cache, as a first visit) opens the
page, presses "Run live in your browser" and waits for the explorer drawn with live controls
(the cold start); in the last one, ``--changes`` times, a control that is dead in the static page
(the first dropdown, else the second slider) is changed and the time to a new figure is taken.
Goals (on a 2-core machine): cold start <= 25 s, live update median <= 1.0 s. Prints medians
and ranges; not a test. The sections run one after the other, never two browsers at once.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from livepage import CHROMIUM_ARGS, LivePage, change_a_live_control, start_live  # noqa: E402 - tests/ is put on sys.path first


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", help="page names, e.g. 8-6-attention (default: all)")
    parser.add_argument("--book", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--changes", type=int, default=9)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not (args.book / "lite" / "jupyter-lite.json").exists():
        parser.error(f"no live view in {args.book}: build the book first (make book)")
    sections = args.sections or sorted(p.stem for p in (args.book / "chapters").glob("8-*.html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(args.book)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/chapters/"
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for stem in sections:
            starts, changes, what = [], [], ""
            for k in range(args.starts):
                lp = LivePage(browser, base + stem + ".html")
                try:
                    starts.append(start_live(lp))
                    if k == args.starts - 1:
                        for step in range(args.changes):
                            what, seconds = change_a_live_control(lp, step)
                            changes.append(seconds)
                    if lp.outside:
                        raise AssertionError(f"requests outside the site: {lp.outside[:3]}")
                finally:
                    lp.close()
            rows.append((stem, starts, changes, what))
            print(f"{stem:24s} cold start median {statistics.median(starts):5.1f} s "
                  f"[{min(starts):.1f}-{max(starts):.1f}]   live update median {statistics.median(changes):.2f} s "
                  f"[{min(changes):.2f}-{max(changes):.2f}]  ({what.split(' ')[0]})", flush=True)
        browser.close()
    server.shutdown()
    print(f"\nall sections: cold start median {statistics.median([s for r in rows for s in r[1]]):.1f} s, "
          f"worst {max(s for r in rows for s in r[1]):.1f} s; live update median "
          f"{statistics.median([c for r in rows for c in r[2]]):.2f} s, worst section median "
          f"{max(statistics.median(r[2]) for r in rows):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
