"""Drive the live view of a book page in Chromium (used by tests/test_live.py and benchmarks/live.py).

Every request outside 127.0.0.1 is aborted and recorded; the console is kept for the report.
Every wait is bounded: a failure is an AssertionError carrying the page's console, not a hang.
"""

from __future__ import annotations

import time
from urllib.parse import urlparse

LOCAL = "127.0.0.1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # offline for real: no host but the local server resolves, whoever asks (a service worker too)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
START_TIMEOUT_MS = (
    200_000  # cold start: Pyodide, the packages, the explorer (measured 15-30 s); live.js gives up at 180 s
)
CHANGE_TIMEOUT_MS = 30_000  # a live control must change the figure within this


class LivePage:
    """A book page in Chromium, outside requests aborted and recorded, console kept."""

    def __init__(self, browser, url: str):
        # JupyterLite's service worker (as readers have it) may fetch past the route below; the
        # browser cannot resolve any host but 127.0.0.1 anyway (CHROMIUM_ARGS)
        self.context = browser.new_context(viewport={"width": 1280, "height": 1000})
        self.page = self.context.new_page()
        self.outside, self.console = [], []

        def route(r):
            if (
                urlparse(r.request.url).scheme in ("http", "https", "ws", "wss")
                and urlparse(r.request.url).hostname != LOCAL
            ):
                self.outside.append(r.request.url)
                return r.abort()
            return r.continue_()

        self.context.route("**/*", route)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        self.page.goto(url, wait_until="load")

    def report(self) -> str:
        errors = [c for c in self.console if c.startswith(("error", "page error"))]
        return "\n".join(errors[-20:] or self.console[-20:])

    def close(self):
        self.context.close()


def start_live(lp: LivePage) -> float:
    """Press the live button with the keyboard; wait until the explorer runs. Returns the seconds it took."""
    box = lp.page.locator(".companion-live").first
    button = box.locator(".companion-live-button")
    button.focus()
    t0 = time.monotonic()
    lp.page.keyboard.press("Enter")
    try:
        lp.page.wait_for_function(
            "() => ['ready', 'error', 'unavailable'].includes(document.querySelector('.companion-live').dataset.state)",
            timeout=START_TIMEOUT_MS,
        )
    except Exception as e:
        _fail(
            f"the live explorer did not start within {START_TIMEOUT_MS / 1000:.0f} s ({e.__class__.__name__})"
            f"\nstatus: {box.locator('.companion-live-status').text_content()}\nconsole:\n{lp.report()}"
        )
    seconds = time.monotonic() - t0
    state = box.get_attribute("data-state")
    assert state == "ready", f"{state}: {box.locator('.companion-live-status').text_content()}\n{lp.report()}"
    return seconds


# An image's pixels, hashed (FNV-1a): a new blob URL with the same picture is no change
PIXEL_HASH = """img => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let h = 2166136261;
    for (let k = 0; k < d.length; k += 1) { h ^= d[k]; h = Math.imul(h, 16777619); }
    return c.width + 'x' + c.height + ':' + (h >>> 0).toString(16);
}"""
IMAGE_HASHES = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))
    .filter(i => i.checkVisibility() && i.naturalWidth > 0).map(PIXEL_HASH).join('|')""".replace(
    "PIXEL_HASH", PIXEL_HASH
)


def change_a_live_control(lp: LivePage, step: int = 0):
    """Change a control that is dead in the static page: the first enabled dropdown that is not the
    static choice (to its next option, cycling with ``step``), else the second enabled slider (one
    step right, or left on odd ``step``, by keyboard). Returns (what, seconds until the figure changed)."""
    content = next((f for f in lp.page.frames if "/lite/repl/" in f.url), None)
    assert content is not None, "the live view's frame is missing"
    try:  # the figure shown (after an earlier change, its image may still be decoding)
        content.wait_for_function(f"() => ({IMAGE_HASHES})() !== ''", timeout=CHANGE_TIMEOUT_MS)
    except Exception:
        _fail(f"the live explorer shows no image\n{lp.report()}")
    before = content.evaluate(IMAGE_HASHES)
    # not the static choice (it works in the static page too), not a disabled control
    selects = content.locator(".jp-OutputArea-output .widget-dropdown:not(.companion-static-choice) select:enabled")
    if selects.count():
        select = selects.first
        options = select.locator("option").all_text_contents()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        target = options[(options.index(current) + 1) % len(options)]
        t0 = time.monotonic()
        select.select_option(label=target)
        what = f"dropdown {current!r} -> {target!r}"
    else:
        handles = content.locator(".jp-OutputArea-output .noUi-target:not([disabled]) .noUi-handle")
        assert handles.count() >= 2, "no live control found (no dropdown, no second slider)"
        handles.nth(1).focus()
        key = "ArrowLeft" if step % 2 else "ArrowRight"
        t0 = time.monotonic()
        lp.page.keyboard.press(key)
        what = f"second slider, {key} (keyboard)"
    try:
        content.wait_for_function(
            f"before => {{ const now = ({IMAGE_HASHES})(); return now !== '' && now !== before; }}",
            arg=before,
            timeout=CHANGE_TIMEOUT_MS,
        )
    except Exception:
        _fail(f"{what}: the figure did not change within {CHANGE_TIMEOUT_MS / 1000:.0f} s\n{lp.report()}")
    return what, time.monotonic() - t0


def _fail(message: str):
    raise AssertionError(message)
