"""The reader's book in a real browser, and the explorers live in Voilà.

Headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright) opens every page
of the built book from a local ``http.server`` on 127.0.0.1. Every request to another host
is aborted and recorded: the book must work offline. On each page: no uncaught page
error, no failed request, no request outside the site, the math typeset by the book's own
MathJax (no raw TeX left in the text), every image loaded, every widget rendered, and on
each explorer the static slider (and the static choice, by keyboard) switches the figure with
no kernel; axe-core finds no accessibility violation of impact serious or critical. The search page finds
a page offline. Two negative controls show the checks can fail: with the local MathJax or
the widget manager blocked, the math and widget checks report it.

The live tests start Voilà on 127.0.0.1 (with the template ``make live`` uses) and a generated
notebook that shows every ``make_*_explorer`` exported by :mod:`companion.widgets`: the main
slider and a live control of each change the figure within 5 s; one explorer is driven by the
keyboard only (Tab reaches every control in reading order, arrow keys operate each, the figure
and its text alternative change); axe-core audits the live page as it audits the book's.

Chromium missing is a failure with the command to fix it; ``COMPANION_SKIP_BROWSER=1``
skips these tests explicitly. Screenshots go to ``_build/screenshots/``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from conftest import toc_files
from livepage import CHROMIUM_ARGS, PIXEL_HASH

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("COMPANION_CHROMIUM", "/usr/bin/chromium")
LOCAL = "127.0.0.1"
CHANGE_TIMEOUT_MS = 5000  # a moved control must change the figure within 5 s
# axe-core (pinned in _ext/package.json's devDependencies, installed by `make assets`): the accessibility audit
AXE_JS = Path(os.environ.get("COMPANION_AXE_JS", ROOT / "_ext" / "node_modules" / "axe-core" / "axe.min.js"))
AXE_FAILS = ("serious", "critical")  # impacts that fail a page

pytestmark = pytest.mark.browser


# ------------------------------------------------------------------------ what to check
def toc_pages() -> list[str]:
    """The book's pages as html paths, from _toc.yml (so a new chapter is checked with no edit)."""
    return [f + ".html" for f in toc_files()]


# Sphinx's generated pages: no math or widgets of their own, but they must load clean too
GENERATED = ["genindex.html", "py-modindex.html", "search.html", "prf-prf.html"]  # prf-prf: sphinx-proof's index
PAGES = toc_pages() + GENERATED
REDIRECT = "index.html"  # Jupyter Book's redirect to the root page


# ------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def browser():
    if os.environ.get("COMPANION_SKIP_BROWSER") == "1":
        pytest.skip("COMPANION_SKIP_BROWSER=1: browser tests skipped on request")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.fail("playwright is not installed: pip install -r requirements-test.txt (make test does)")
    with sync_playwright() as pw:
        # Debian's Chromium, else Playwright's own (`playwright install chromium`; make test does one or the other)
        executable = CHROMIUM if Path(CHROMIUM).exists() else None
        if executable is None and not Path(pw.chromium.executable_path).exists():
            pytest.fail(
                f"Chromium not found at {CHROMIUM} nor as Playwright's browser. `make test` installs it "
                "(apt-get install -y chromium as root, else playwright install chromium), or set "
                "COMPANION_SKIP_BROWSER=1 to skip the browser tests explicitly."
            )
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    server = http.server.ThreadingHTTPServer((LOCAL, 0), functools.partial(_QuietHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{LOCAL}:{server.server_address[1]}/"


@pytest.fixture(scope="module")
def book_html(request) -> Path:
    """The built book: the session's fresh build, or COMPANION_BOOK_HTML (an html folder you already built)."""
    given = os.environ.get("COMPANION_BOOK_HTML")
    if given:
        return Path(given).resolve()
    return request.getfixturevalue("built_book")


@pytest.fixture(scope="module")
def site(browser, book_html):
    """The built book on a local server (random free port); yields (base url, html folder)."""
    server, url = serve(book_html)
    yield url, book_html
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------ one visit
@dataclass
class Visit:
    page: object
    outside: list = field(default_factory=list)  # requests to another host (aborted)
    failed: list = field(default_factory=list)  # same-site requests that failed or got >= 400
    errors: list = field(default_factory=list)  # uncaught page errors

    def problems(self) -> list[str]:
        out = [f"request outside the site: {u}" for u in self.outside]
        out += [f"failed request: {u} ({why})" for u, why in self.failed]
        out += [f"page error: {e}" for e in self.errors]
        return out


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a phone held upright


def visit(
    browser,
    url: str,
    *,
    block: tuple[str, ...] = (),
    color_scheme: str = "light",
    wait: bool = True,
    widget_timeout: int = 20000,
    viewport: dict = DESKTOP,
) -> Visit:
    """Open ``url`` with every outside request aborted and recorded; ``block`` aborts local paths too."""
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
    page = context.new_page()
    v = Visit(page)

    def route(r):
        u = r.request.url
        parsed = urlparse(u)
        if parsed.scheme not in ("file", "blob", "data") and parsed.hostname != LOCAL:
            v.outside.append(u)
            return r.abort()
        if any(b in u for b in block):
            return r.abort()
        return r.continue_()

    context.route("**/*", route)
    page.on("pageerror", lambda e: v.errors.append(str(e)))

    def failed(r):
        parsed = urlparse(r.url)
        local = parsed.scheme == "file" or parsed.hostname == LOCAL
        if local and not any(b in r.url for b in block):
            v.failed.append((r.url, r.failure))

    page.on("requestfailed", failed)
    page.on("response", lambda r: v.failed.append((r.url, f"HTTP {r.status}")) if r.status >= 400 else None)
    page.goto(url, wait_until="load")
    if wait:
        settle(page, widget_timeout)
    return v


def settle(page, widget_timeout: int = 20000) -> None:
    """Wait for MathJax's first typeset, the widgets and the images (each bounded in time)."""
    page.evaluate(
        """async () => {
            const mj = window.MathJax;
            if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
        }"""
    )
    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    if views:
        with contextlib.suppress(Exception):  # reported by check_widgets
            page.wait_for_function(
                """n => { const s = document.querySelectorAll('.widget-subarea');
                          return s.length >= n && Array.from(s).every(e => e.querySelector('.jupyter-widgets')); }""",
                arg=views,
                timeout=widget_timeout,
            )
    with contextlib.suppress(Exception):  # reported by check_images
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=10000)
    page.wait_for_timeout(300)  # late requests (fonts) show up in the log


def close(v: Visit) -> None:
    v.page.context.close()


# ------------------------------------------------------------------------ checks (lists of problems)
def check_math(page, source: str) -> list[str]:
    """Every math element typeset by MathJax; no raw TeX delimiters in the visible text."""
    if 'class="math' not in source:
        return []
    report = page.evaluate(
        r"""() => {
            const math = Array.from(document.querySelectorAll('.math'));
            const raw = math.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 60));
            const skip = 'pre, code, script, style, textarea, mjx-container, .highlight';
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            const leftovers = [];
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                const el = n.parentElement;
                if (!el || el.closest(skip) || !el.checkVisibility()) continue;
                if (/\$\$|\\\(|\\\)|\\\[|\\\]/.test(n.textContent)) leftovers.push(n.textContent.trim().slice(0, 60));
            }
            return {n: math.length, typeset: document.querySelectorAll('mjx-container').length, raw, leftovers};
        }"""
    )
    problems = []
    if report["typeset"] == 0:
        problems.append(f"the page has {report['n']} math elements and MathJax typeset none")
    problems += [f"math not typeset: {t!r}" for t in report["raw"]]
    problems += [f"raw TeX in the visible text: {t!r}" for t in report["leftovers"]]
    return problems


def check_images(page) -> list[str]:
    bad = page.evaluate(
        """() => Array.from(document.images)
                 .filter(i => !(i.complete && i.naturalWidth > 0))
                 .map(i => (i.getAttribute('src') || '').slice(0, 80))"""
    )
    return [f"image not loaded: {s!r}" for s in bad]


def check_widgets(page) -> list[str]:
    """Each widget-view script has a rendered, visible widget in front of it."""
    report = page.evaluate(
        """() => {
            const views = Array.from(document.querySelectorAll(
                'script[type="application/vnd.jupyter.widget-view+json"]'));
            return views.map(s => {
                const area = s.previousElementSibling;
                const ok = !!(area && area.classList.contains('widget-subarea')
                              && area.querySelector('.jupyter-widgets') && area.checkVisibility());
                return {model: JSON.parse(s.textContent).model_id, ok};
            });
        }"""
    )
    return [f"widget {r['model']} not rendered" for r in report if not r["ok"]]


HASH_VISIBLE_IMAGE = f"""area => {{
    const img = Array.from(area.querySelectorAll('img')).find(i => i.checkVisibility() && i.naturalWidth > 0);
    return img ? ({PIXEL_HASH})(img) : null;
}}"""


def explorers(page):
    """Widget areas holding a slider and a figure: the explorers. Their first slider is the main one.

    A widget output is a ``.widget-subarea`` in the static book, a ``.jp-OutputArea-output`` in Voilà.
    """
    areas = page.locator(".widget-subarea, .jp-OutputArea-output:has(> .jupyter-widgets)")
    return [
        areas.nth(i)
        for i in range(areas.count())
        if areas.nth(i).locator(".noUi-handle").count() and areas.nth(i).locator("img").count()
    ]


def press_slider(handle) -> None:
    """Move a slider one step with the keyboard, away from the end it sits at."""
    now, top = float(handle.get_attribute("aria-valuenow")), float(handle.get_attribute("aria-valuemax"))
    handle.focus()
    handle.press("ArrowLeft" if now >= top else "ArrowRight")


def figure_changes(page, area, action, what: str) -> list[str]:
    """Do ``action`` and wait (<= 5 s) until the visible figure's pixels differ."""
    before = area.evaluate(HASH_VISIBLE_IMAGE)
    if before is None:
        return [f"{what}: no visible figure"]
    action()
    deadline = time.monotonic() + CHANGE_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        after = area.evaluate(HASH_VISIBLE_IMAGE)
        if after is not None and after != before:
            return []
        page.wait_for_timeout(100)
    return [f"{what}: the figure did not change within {CHANGE_TIMEOUT_MS} ms"]


def check_static_sliders(page) -> list[str]:
    problems = []
    for k, area in enumerate(explorers(page)):
        handle = area.locator(".noUi-handle").first
        start = handle.get_attribute("aria-valuenow")
        problems += figure_changes(
            page, area, lambda handle=handle: press_slider(handle), f"explorer {k + 1}, main slider"
        )
        if handle.get_attribute("aria-valuenow") == start:
            problems.append(f"explorer {k + 1}: the main slider did not move")
        problems += check_kernel_only_disabled(area, f"explorer {k + 1}")
    return problems


def check_kernel_only_disabled(area, what: str) -> list[str]:
    """With no kernel, the controls only a kernel can serve are disabled, say so, and do not move."""
    controls = area.locator(".companion-kernel-only .noUi-handle[role='slider'], .companion-kernel-only select")
    if not controls.count():
        return [f"{what}: no kernel-only controls marked (class companion-kernel-only)"]
    problems = []
    for j in range(controls.count()):
        c = controls.nth(j)
        name = c.get_attribute("aria-label") or f"control {j + 1}"
        if c.get_attribute("aria-disabled") != "true" and not c.is_disabled():
            problems.append(f"{what}: {name} looks operable in the static page, where it can change nothing")
        elif not (c.get_attribute("aria-description") or "").startswith("needs Python"):
            problems.append(f"{what}: {name} is disabled without saying why")
    handle = area.locator(".companion-kernel-only .noUi-handle[role='slider']").first
    if handle.count():
        start = handle.get_attribute("aria-valuenow")
        press_slider(handle)
        if handle.get_attribute("aria-valuenow") != start:
            problems.append(f"{what}: a disabled kernel-only slider moved with the keyboard")
    return problems


# An element of the page's text column whose box crosses the screen's edge is cut, unless it sits
# inside a box that scrolls sideways and itself fits on the screen (display math, tables, figures).
CUT_ELEMENTS = r"""() => {
    const W = document.documentElement.clientWidth;
    const fits = r => r.right <= W + 1 && r.left >= -1;
    const scrolls = e => /(auto|scroll)/.test(getComputedStyle(e).overflowX);
    const cut = [];
    for (const el of document.querySelectorAll('.bd-article *')) {
        if (!el.checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || fits(r)) continue;
        let a = el.parentElement, held = false;
        for (; a && a !== document.body; a = a.parentElement) {
            if (scrolls(a) && fits(a.getBoundingClientRect())) { held = true; break; }
        }
        if (held) continue;
        const host = el.parentElement && el.parentElement.closest('mjx-container');
        if (host) continue;  // the formula is reported, not each of its glyphs
        if (cut.some(c => c.el.contains(el))) continue;
        const cls = typeof el.className === 'string' && el.className
            ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
        const name = el.tagName.toLowerCase() + cls;
        const by = Math.round(Math.max(r.right - W, -r.left));
        cut.push({el, what: `${name} (${(el.textContent || '').trim().slice(0, 40)}) by ${by} px`});
    }
    const page = document.documentElement.scrollWidth - W;
    return cut.map(c => c.what).concat(page > 1 ? [`the page scrolls sideways by ${page} px`] : []);
}"""


def check_fits(page) -> list[str]:
    """Nothing in the text column is cut by the screen's edge (at the visit's width)."""
    width = page.viewport_size["width"]
    return [f"cut by the edge of a {width}-px screen: {c}" for c in page.evaluate(CUT_ELEMENTS)]


STATIC_CHOICE = ".companion-static-choice select"  # an explorer's pre-rendered choice (companion.widgets.Explorer)


def press_choice(select) -> None:
    """Move a drop-down list to the next option (the previous one at the end) with the keyboard."""
    last = select.evaluate("s => s.selectedIndex === s.options.length - 1")
    select.focus()
    select.press("ArrowUp" if last else "ArrowDown")


def check_static_choices(page) -> list[str]:
    """Each explorer's static choice, moved by the keyboard, switches the figure with no kernel; the
    main slider still switches it afterwards (the new option's frames follow the slider)."""
    problems = []
    for k, area in enumerate(explorers(page)):
        for select in [area.locator(STATIC_CHOICE).nth(i) for i in range(area.locator(STATIC_CHOICE).count())]:
            start = select.evaluate("s => s.selectedIndex")
            problems += figure_changes(
                page, area, lambda select=select: press_choice(select), f"explorer {k + 1}, static choice"
            )
            if select.evaluate("s => s.selectedIndex") == start:
                problems.append(f"explorer {k + 1}: the static choice did not move")
            handle = area.locator(".noUi-handle").first
            problems += figure_changes(
                page,
                area,
                lambda handle=handle: press_slider(handle),
                f"explorer {k + 1}, main slider after the choice",
            )
    return problems


def check_page(v: Visit, html_file: Path) -> list[str]:
    source = html_file.read_text(encoding="utf-8")
    problems = check_math(v.page, source) + check_images(v.page) + check_widgets(v.page) + check_fits(v.page)
    problems += check_static_sliders(v.page) + check_static_choices(v.page)
    v.page.wait_for_timeout(200)
    return v.problems() + problems  # requests made while interacting count too


def check_axe(page) -> list[str]:
    """axe-core's audit of the page as shown (widgets rendered): every violation of impact serious
    or critical, with the rule and up to three offending elements."""
    if not AXE_JS.exists():
        return [f"axe-core not found at {AXE_JS}: run `make assets` (npm ci --prefix _ext)"]
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3), n: v.nodes.length}))"
    )
    return [
        f"axe {v['impact']}: {v['id']} ({v['help']}), {v['n']} elements, e.g. {v['nodes']}"
        for v in violations
        if v["impact"] in AXE_FAILS
    ]


def shot(page, name: str, locator=None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(path=str(SCREENSHOTS / name), **({} if locator else {"full_page": False}))


# ------------------------------------------------------------------------ the static book
def test_every_built_page_is_checked(book_html):
    """No html page escapes the browser test (a page outside _toc.yml would)."""
    # lite/ is the live view's JupyterLite app, opened and checked by tests/test_live.py
    built = {
        p.relative_to(book_html).as_posix()
        for p in book_html.rglob("*.html")
        if not p.relative_to(book_html).parts[0].startswith("_") and p.relative_to(book_html).parts[0] != "lite"
    }
    assert built <= set(PAGES) | {REDIRECT}, f"pages the browser test does not open: {sorted(built - set(PAGES))}"


def test_index_redirects_to_the_first_page(site, browser):
    url, _ = site
    v = visit(browser, url + REDIRECT, wait=False)
    try:
        v.page.wait_for_url(url + toc_pages()[0], timeout=10000)
        problems = v.problems()
    finally:
        close(v)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(site, browser, path):
    url, html = site
    if not (html / path).exists():
        if path in GENERATED:
            pytest.skip(f"{path} is not built (nothing in it)")
        pytest.fail(f"{path} was not built")
    v = visit(browser, url + path)
    try:
        problems = check_page(v, html / path) + check_axe(v.page)
        if path in (toc_pages()[0], "api.html") or path.startswith("chapters/8-3"):
            shot(v.page, path.replace("/", "_").replace(".html", ".png"))
    finally:
        close(v)
    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", PAGES)
def test_page_on_a_phone(site, browser, path):
    """At 390 x 844 (a phone held upright): nothing cut by the screen's edge, math, figures and widgets there."""
    url, html = site
    if not (html / path).exists():
        pytest.skip(f"{path} is not built")
    v = visit(browser, url + path, viewport=PHONE)
    try:
        source = (html / path).read_text(encoding="utf-8")
        problems = check_fits(v.page) + check_math(v.page, source) + check_images(v.page) + check_widgets(v.page)
        if path.startswith("chapters/8-3") or path.startswith("chapters/8-6"):
            areas = explorers(v.page)
            if areas:
                areas[0].scroll_into_view_if_needed()
                shot(v.page, path.replace("/", "_").replace(".html", "-phone.png"))
        problems += v.problems()
    finally:
        close(v)
    assert not problems, f"{path} at {PHONE['width']} px:\n  " + "\n  ".join(problems)


def test_the_fit_check_can_fail(site, browser):
    """Negative control: without the book's styles, long formulas of 8.2 run off a 390-px screen, and the check
    says so."""
    url, html = site
    path = next((p for p in toc_pages() if p.startswith("chapters/8-2")), None)
    if path is None:
        pytest.skip("no section 8.2")
    v = visit(browser, url + path, viewport=PHONE, block=("/_static/companion/companion.css",))
    try:
        problems = check_fits(v.page)
    finally:
        close(v)
    assert problems, "the fit check passed with the phone styles removed: it checks nothing"


@pytest.mark.parametrize(
    "stem, options", [("8-3", ["random", "gradient", "entry", "rank-one"]), ("8-6", ["Q", "K", "V"])]
)
def test_static_choice_switches_the_figure(site, browser, stem, options):
    """8.3's direction of dW and 8.6's perturbed input work in the static page: every option, chosen
    by the keyboard, shows its own figure and readout."""
    url, html = site
    path = next(p for p in toc_pages() if p.startswith(f"chapters/{stem}"))
    v = visit(browser, url + path)
    try:
        area = next(a for a in explorers(v.page) if a.locator(STATIC_CHOICE).count())
        select = area.locator(STATIC_CHOICE).first
        assert select.evaluate("s => Array.from(s.options).map(o => o.textContent)") == options
        select.evaluate("s => { s.selectedIndex = 0; s.dispatchEvent(new Event('change')); }")
        v.page.wait_for_timeout(300)
        seen = {area.evaluate(HASH_VISIBLE_IMAGE)}
        problems = []
        for k in range(1, len(options)):
            problems += figure_changes(v.page, area, lambda: press_choice(select), f"{path}: option {options[k]}")
            seen.add(area.evaluate(HASH_VISIBLE_IMAGE))
        shot(v.page, f"static-choice-{stem}.png", area)
        problems += v.problems()
    finally:
        close(v)
    assert None not in seen and len(seen) == len(options), (
        f"{path}: {len(seen)} distinct figures for {len(options)} options"
    )
    assert not problems, "\n".join(problems)


def test_opens_from_a_local_folder(site, browser):
    """A reader may open the book as files (file://): math, widgets and the static slider still work."""
    _, html = site
    path = _page_with(html, "application/vnd.jupyter.widget-view+json") or toc_pages()[0]
    v = visit(browser, (html / path).as_uri())
    try:
        problems = check_page(v, html / path)
    finally:
        close(v)
    assert not problems, f"{path} from file://:\n  " + "\n  ".join(problems)


def test_search_works_offline(site, browser):
    """Type a query in the search page: results appear, from the local index only."""
    url, _ = site
    v = visit(browser, url + "search.html")
    try:
        box = v.page.locator('form.bd-search input[name="q"]:visible').first
        box.fill("trace principle")
        box.press("Enter")
        v.page.wait_for_load_state("load")
        v.page.locator("#search-results ul.search li").first.wait_for(timeout=10000)
        hits = v.page.locator("#search-results ul.search li a").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        )
        shot(v.page, "search.png")
        problems = v.problems()
    finally:
        close(v)
    assert any("8-3-trace-principle" in h for h in hits), f"search for 'trace principle' found {hits}"
    assert not problems, "\n".join(problems)


def test_dark_mode_figures_on_white(site, browser):
    """In the dark theme, explorer frames and figures are shown on white, undimmed."""
    url, html = site
    page_path = next(
        (
            p
            for p in toc_pages()
            if "<img" in (html / p).read_text(encoding="utf-8")
            or "widget-view" in (html / p).read_text(encoding="utf-8")
        ),
        None,
    )
    if page_path is None:
        pytest.skip("no page with a figure")
    v = visit(browser, url + page_path, color_scheme="dark")
    try:
        assert v.page.evaluate("document.documentElement.dataset.theme") == "dark"
        styles = v.page.evaluate(
            """() => Array.from(document.querySelectorAll('.bd-content .cell_output img'))
                     .filter(i => i.checkVisibility())
                     .map(i => { const s = getComputedStyle(i); return [s.backgroundColor, s.filter]; })"""
        )
        areas = explorers(v.page)
        if areas:
            shot(v.page, page_path.replace("/", "_").replace(".html", "-explorer-dark.png"), areas[0])
        problems = v.problems()
    finally:
        close(v)
    assert styles, "no figure found"
    assert all(bg == "rgb(255, 255, 255)" and f == "none" for bg, f in styles), styles
    assert not problems, "\n".join(problems)


def test_widget_text_typeset_through_the_mathjax2_bridge(site, browser):
    """The widget manager typesets with MathJax 2's Hub.Queue: the shim hands it to MathJax 3."""
    url, html = site
    path = _page_with(html, "application/vnd.jupyter.widget-view+json")
    if path is None:
        pytest.skip("no page with widgets")
    v = visit(browser, url + path)
    try:
        result = v.page.evaluate(
            r"""async () => {
                const area = document.querySelector('.widget-subarea');
                const d = document.createElement('div');
                d.textContent = String.raw`the step \(\varepsilon\)`;
                area.appendChild(d);
                MathJax.Hub.Queue(['Typeset', MathJax.Hub, d]);
                for (let i = 0; i < 50; i++) {
                    if (d.querySelector('mjx-container')) return 'typeset';
                    await new Promise(r => setTimeout(r, 100));
                }
                return 'not typeset: ' + d.innerHTML;
            }"""
        )
        problems = v.problems()
    finally:
        close(v)
    assert result == "typeset", result
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------ the checks can fail
def _page_with(html: Path, needle: str) -> str | None:
    return next((p for p in toc_pages() if needle in (html / p).read_text(encoding="utf-8")), None)


def test_math_check_fails_without_local_mathjax(site, browser):
    url, html = site
    path = _page_with(html, 'class="math')
    assert path, "no page with math"
    v = visit(browser, url + path, block=("/vendor/mathjax/",))
    try:
        problems = check_math(v.page, (html / path).read_text(encoding="utf-8"))
    finally:
        close(v)
    assert problems, "the math check passed with MathJax blocked: it checks nothing"


def test_widget_checks_fail_without_widget_manager(site, browser):
    url, html = site
    path = _page_with(html, "application/vnd.jupyter.widget-view+json")
    if path is None:
        pytest.skip("no page with widgets")
    v = visit(browser, url + path, block=("/vendor/html-manager/",), widget_timeout=3000)
    try:
        problems = check_widgets(v.page)
    finally:
        close(v)
    assert problems, "the widget check passed with the widget manager blocked: it checks nothing"


# ------------------------------------------------------------------------ live: Voilà
VOILA_TEMPLATE = "companion"  # _ext/voila/templates/companion, found through JUPYTER_PATH=_ext


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


def explorer_factories() -> list[str]:
    import companion.widgets as w

    return [n for n in w.__all__ if n.startswith("make_") and n.endswith("_explorer")]


@pytest.fixture(scope="module")
def voila(browser, tmp_path_factory):
    """Voilà on 127.0.0.1 (random free port) serving a notebook with every explorer."""
    names = explorer_factories()
    assert names, "companion.widgets exports no make_*_explorer"
    folder = tmp_path_factory.mktemp("live")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(f"from companion.widgets import {n}\n{n}()") for n in names]
    path = folder / "explorers.ipynb"
    nbformat.write(nb, path)
    port = free_port()
    log = open(folder / "voila.log", "w")  # noqa: SIM115 (open while the server runs, closed after it)
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(path),
        "--no-browser",
        f"--Voila.ip={LOCAL}",
        f"--Voila.port={port}",
        "--show_tracebacks=True",
        f"--template={VOILA_TEMPLATE}",
    ]
    # as `make live` serves them: the companion template (Voila's lab page with the book's a11y.js)
    jupyter_path = os.pathsep.join(p for p in (str(ROOT / "_ext"), os.environ.get("JUPYTER_PATH", "")) if p)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "JUPYTER_PATH": jupyter_path}
    proc = subprocess.Popen(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://{LOCAL}:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"voila exited ({proc.returncode}):\n{(folder / 'voila.log').read_text()[-3000:]}")
        try:
            with socket.create_connection((LOCAL, port), timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        pytest.fail("voila did not start listening within 60 s")
    yield url, names, folder / "voila.log"
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def live_control(area, main_handle):
    """The first live control of an explorer (not its main slider), as (description, action)."""
    controls = area.locator("select, .widget-toggle-button, .noUi-handle")
    for i in range(controls.count()):
        c = controls.nth(i)
        kind = c.evaluate(
            "e => e.tagName === 'SELECT' ? 'select' : e.classList.contains('noUi-handle') ? 'slider' : 'toggle'"
        )
        if kind == "slider":
            if c.evaluate("(e, m) => e === m", main_handle.element_handle()):
                continue
            return "slider", lambda c=c: press_slider(c)
        if kind == "select":
            values = c.evaluate("e => Array.from(e.options).map(o => o.value)")
            current = c.input_value()
            other = next(v for v in values if v != current)
            return f"dropdown -> {other}", lambda c=c, other=other: c.select_option(other)
        if not c.evaluate("e => e.classList.contains('mod-active')"):
            return "toggle button", lambda c=c: c.click()
    return None, None


def test_live_explorers_in_voila(voila, browser):
    """Every explorer served by Voilà: its main slider and a live control change the figure within 5 s."""
    url, names, log = voila
    v = visit(browser, url)
    try:
        page = v.page
        try:
            page.wait_for_function(
                "n => document.querySelectorAll('.jp-OutputArea-output img').length >= n",
                arg=len(names),
                timeout=180000,
            )
        except Exception:
            shot(page, "voila-explorers.png")
            state = page.evaluate("() => [document.querySelectorAll('.noUi-handle').length, document.images.length]")
            pytest.fail(
                f"Voilà did not render the {len(names)} explorers in 180 s (slider handles, images: {state}):\n"
                f"{log.read_text()[-3000:]}"
            )
        page.wait_for_timeout(500)
        areas = explorers(page)
        problems = (
            [] if len(areas) == len(names) else [f"{len(areas)} explorers rendered, {len(names)} expected ({names})"]
        )
        for name, area in zip(names, areas, strict=False):
            area.scroll_into_view_if_needed()
            handle = area.locator(".noUi-handle").first
            problems += figure_changes(page, area, lambda handle=handle: press_slider(handle), f"{name}: main slider")
            what, action = live_control(area, handle)
            if action is None:
                problems.append(f"{name}: no live control found")
            else:
                problems += figure_changes(page, area, action, f"{name}: live {what}")
        shot(page, "voila-explorers.png")
        errors = [e for e in v.errors]
        outside = list(v.outside)
    finally:
        close(v)
    assert not errors, "page errors in Voilà:\n" + "\n".join(errors)
    assert not problems, "\n".join(problems) + f"\n(voila log: {log})"
    if outside:  # Voilà's own front end is local; anything else is worth knowing about
        print("Voilà page asked for outside resources (blocked):", *outside, sep="\n  ")


# ------------------------------------------------------------------------ keyboard only, and axe, in Voilà
FOCUSED_CONTROL = """area => {
    const el = document.activeElement;
    if (!el || !area.contains(el)) return null;
    const box = el.closest('.widget-inline-hbox, .widget-dropdown, .widget-slider');
    const label = box && box.querySelector('.widget-label');
    const kind = el.classList.contains('noUi-handle') ? 'slider' : el.tagName === 'SELECT' ? 'select'
               : el.classList.contains('widget-readout') ? 'readout' : el.tagName.toLowerCase();
    return {name: label ? label.textContent.trim() : (el.getAttribute('aria-label') || ''), kind};
}"""
FRAME_ALT = """area => {
    const img = Array.from(area.querySelectorAll('img')).find(i => i.checkVisibility() && i.naturalWidth > 0);
    return img ? (img.getAttribute('alt') || img.getAttribute('title') || '') : null;
}"""
# the 8.3 explorer, its direction set to one entry so that every control is enabled: Tab order and labels
KEYBOARD_EXPLORER = "make_least_squares_explorer"
KEYBOARD_ORDER = ["direction dW", "eps", "entry i", "entry j", "m (rows)", "n (cols)", "seed"]


def tab_through(page, area, start) -> list[tuple[str, str]]:
    """Focus ``start`` and press Tab until the focus leaves ``area``: the (name, kind) of each control reached."""
    start.focus()
    seen = [tuple(area.evaluate(FOCUSED_CONTROL).values())]
    for _ in range(40):
        page.keyboard.press("Tab")
        now = area.evaluate(FOCUSED_CONTROL)
        if now is None:
            break
        seen.append((now["name"], now["kind"]))
    return seen


def operate(page, area, name: str, kind: str) -> list[str]:
    """Operate the focused control with the keyboard only (a list: ArrowDown/ArrowUp; a slider: ArrowRight or
    ArrowLeft, End/Home at an end): the figure and its alt text must change (the kernel redraws it)."""
    before_alt = area.evaluate(FRAME_ALT)
    el = page.evaluate_handle("() => document.activeElement")
    if kind == "select":
        last = el.evaluate("s => s.selectedIndex === s.options.length - 1")
        action = lambda: page.keyboard.press("ArrowUp" if last else "ArrowDown")
    else:
        now, top = float(el.get_attribute("aria-valuenow")), float(el.get_attribute("aria-valuemax"))
        action = lambda: page.keyboard.press("ArrowLeft" if now >= top else "ArrowRight")
    problems = figure_changes(page, area, action, f"{name} ({kind}) by keyboard")
    deadline = time.monotonic() + CHANGE_TIMEOUT_MS / 1000  # the image and its text come in two messages
    while not problems and area.evaluate(FRAME_ALT) == before_alt and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    if not problems and area.evaluate(FRAME_ALT) == before_alt:
        problems.append(f"{name}: the frame changed but its alt text did not ({before_alt!r})")
    if page.evaluate("() => document.activeElement") is None:
        problems.append(f"{name}: operating it lost the keyboard focus")
    return problems


def test_every_control_by_keyboard_in_voila(voila, browser):
    """One explorer served live, driven by the keyboard only: Tab reaches its controls in reading order (the
    static choice, the main slider, then the live controls, each with its name), and arrow keys operate each
    one: the figure and the frame's text alternative change."""
    url, names, log = voila
    v = visit(browser, url)
    try:
        page = v.page
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-OutputArea-output img').length >= n", arg=len(names), timeout=180000
        )
        area = explorers(page)[names.index(KEYBOARD_EXPLORER)]
        area.scroll_into_view_if_needed()
        select = area.locator("select").first
        select.focus()
        problems = []
        for _ in range(2):  # random -> gradient -> entry: the entry sliders become enabled
            problems += operate(page, area, "direction dW", "select")
        order = tab_through(page, area, select)
        names_reached = [n for n, k in order if k in ("select", "slider")]
        if names_reached != KEYBOARD_ORDER:
            problems.append(f"Tab order {names_reached}, expected {KEYBOARD_ORDER} (all reached: {order})")
        start = select
        for name in KEYBOARD_ORDER[1:]:  # each control, reached by Tab from the previous one
            start.focus()
            for _ in range(6):
                page.keyboard.press("Tab")
                now = area.evaluate(FOCUSED_CONTROL)
                if now and now["name"] == name and now["kind"] == "slider":
                    break
            else:
                problems.append(f"{name}: not reached by Tab")
                continue
            start = page.locator(":focus")
            problems += operate(page, area, name, "slider")
        shot(page, "voila-keyboard.png", area)
        errors = list(v.errors)
    finally:
        close(v)
    assert not errors, "page errors in Voilà:\n" + "\n".join(errors)
    assert not problems, "\n".join(problems) + f"\n(voila log: {log})"


def test_voila_page_passes_axe(voila, browser):
    """The live page (every explorer served by Voilà): axe-core finds no violation of impact serious or critical."""
    url, names, _ = voila
    v = visit(browser, url)
    try:
        v.page.wait_for_function(
            "n => document.querySelectorAll('.jp-OutputArea-output img').length >= n", arg=len(names), timeout=180000
        )
        v.page.wait_for_timeout(500)
        problems = check_axe(v.page)
    finally:
        close(v)
    assert not problems, "Voilà page:\n  " + "\n  ".join(problems)
