"""Build the print edition: the whole book as one PDF, from the same sources (``make pdf``).

Route: Jupyter Book's ``singlehtml`` builder puts every page on one HTML page (with
``_ext/print_edition.py`` turning each explorer into its initial frame and a caption,
unfolding the hints and leaving the solutions to the web); headless Chromium (Debian's
``/usr/bin/chromium``, driven by Playwright, as in the browser tests) opens it from a local
server with every outside request blocked, waits for MathJax to typeset every equation,
and prints it with the print styles of ``_ext/assets/companion.css``.

Why this route: it prints exactly what the web edition shows (MathJax's typesetting, the
same figures, the code cells with their highlighting) with tools the project already
uses; Jupyter Book 1's ``pdfhtml`` needs pyppeteer to download its own Chromium, and
``pdflatex`` a TeX installation of several hundred MB, and would typeset the notebooks'
HTML outputs (exercise feedback, explorers) differently from the book.

Usage: ``python _ext/make_pdf.py [--out _build/pdf/matrix-calculus-companion.pdf] [--no-build]``.
Notebooks are executed through jupyter-cache (``COMPANION_BOOK_EXECUTE=cache``), so after
``make book`` only what changed runs again.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("COMPANION_CHROMIUM", "/usr/bin/chromium")
DEFAULT_OUT = ROOT / "_build" / "pdf" / "matrix-calculus-companion.pdf"
LOCAL = "127.0.0.1"

FOOTER = """<div style="font-size:8px;width:100%;padding:0 12mm;color:#555;display:flex;justify-content:space-between">
<span class="title"></span><span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>"""


def build_singlehtml(out_root: Path) -> Path:
    env = {**os.environ, "COMPANION_BOOK_EXECUTE": os.environ.get("COMPANION_BOOK_EXECUTE", "cache")}
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--builder", "singlehtml", "-W", "-n", "--keep-going"]
    if out_root != ROOT:
        cmd += ["--path-output", str(out_root)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-6000:] + proc.stderr[-6000:])
        raise SystemExit(f"the single-page build failed ({proc.returncode})")
    return out_root / "_build" / "singlehtml"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def print_pdf(folder: Path, out: Path, page_name: str = "intro.html") -> None:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    server = http.server.ThreadingHTTPServer((LOCAL, 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://{LOCAL}:{server.server_address[1]}/{page_name}"
    outside: list[str] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1000, "height": 1400})

            def route(r):
                if urlparse(r.request.url).hostname not in (LOCAL, None):
                    outside.append(r.request.url)
                    return r.abort()
                return r.continue_()

            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.emulate_media(media="print")
            # MathJax typesets after load: wait for its first pass over the whole page
            page.evaluate("""async () => { const mj = window.MathJax;
                if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; } }""")
            page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=60000)
            left = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math')).filter(e => "
                "!e.querySelector('mjx-container')).length"
            )
            if left:
                raise SystemExit(f"{left} equations were not typeset by MathJax")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                     header_template="<span></span>", footer_template=FOOTER,
                     margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if outside:
        print("requests outside the book were blocked:", *outside[:10], sep="\n  ")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument(
        "--build-root", type=Path, default=ROOT, help="where _build/singlehtml goes (default: the repository)"
    )
    ap.add_argument("--no-build", action="store_true", help="print the existing _build/singlehtml")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    folder = args.build_root / "_build" / "singlehtml" if args.no_build else build_singlehtml(args.build_root)
    t1 = time.perf_counter()
    print_pdf(folder, args.out)
    t2 = time.perf_counter()
    from pypdf import PdfReader

    pages = len(PdfReader(str(args.out)).pages)
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {pages} pages, {size:.1f} MB (single-page build {t1 - t0:.0f} s, printing {t2 - t1:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
