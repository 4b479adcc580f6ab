"""The live view: every explorer with every control live, by Python in the reader's browser.

What is checked:

- the built site holds a complete, self-hosted JupyterLite (``_build/html/lite``): the kernel
  points at the site's own Pyodide with the PyPI fallback off, every Pyodide package the
  pruned lock names is there with the lock's sha256, the wheel index serves ``companion``
  and the pinned widget wheels, and only the two lab extensions the view needs are shipped;
- ``_ext/live_view.py fetch`` refuses a file whose sha256 differs from the official lock;
- every section page (8.1-8.8) has one "Run live in your browser" button, whose code is the
  page's explorer cell;
- in headless Chromium, with every request outside 127.0.0.1 aborted and counted as a failure,
  for every section: the button (pressed with the keyboard) starts the explorer in the page,
  and a control that is dead in the static page (a dropdown, else the second slider) changes
  the figure; every wait is bounded and a failure prints the page's console;
- the whole notebook opens in JupyterLite's notebook app, and the exercises' ``check`` works
  there.

The browser tests use the fixtures of ``tests/test_browser.py`` (Chromium, the built book on a
local server); ``COMPANION_SKIP_BROWSER=1`` skips them as it skips those.
"""

from __future__ import annotations

import copy
import hashlib
import html as html_lib
import json
import re
import sys
from pathlib import Path

import pytest
from livepage import START_TIMEOUT_MS, LivePage, change_a_live_control, start_live
from test_browser import SCREENSHOTS, book_html, browser, site  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import live_view  # noqa: E402  (from _ext, put on the path above)

SECTIONS = sorted(p.stem for p in (ROOT / "chapters").glob("8-*.ipynb"))


# ------------------------------------------------------------------------ the built site
@pytest.fixture(scope="module")
def lite(book_html) -> Path:  # noqa: F811  (pytest fixtures imported from test_browser)
    out = book_html / "lite"
    assert (out / "jupyter-lite.json").exists(), f"no JupyterLite site in {out}"
    return out


def test_kernel_uses_the_sites_own_pyodide(lite):
    config = json.loads((lite / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][live_view.KERNEL_PLUGIN]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert kernel["disablePyPIFallback"] is True
    assert any(u.startswith("./pypi/all.json") for u in kernel["pipliteUrls"]), kernel["pipliteUrls"]
    names = sorted(e["name"] for e in config["federated_extensions"])
    assert names == sorted(live_view.LAB_EXTENSIONS)


def test_pyodide_files_match_the_official_lock(lite):
    official = live_view.official_lock()["packages"]
    pruned = json.loads((lite / "static" / "pyodide" / "pyodide-lock.json").read_text())
    assert pruned["info"] == live_view.official_lock()["info"]
    assert {"numpy", "matplotlib", "ipython", "micropip"} <= set(pruned["packages"])
    for name, entry in pruned["packages"].items():
        assert entry == official[name], f"{name}: the pruned lock differs from the official one"
        data = (lite / "static" / "pyodide" / entry["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file_name"]
    for name in live_view.RUNTIME_FILES:
        assert (lite / "static" / "pyodide" / name).read_bytes() == (live_view.NPM_PYODIDE / name).read_bytes()


def test_wheel_index_serves_companion_and_the_pinned_widgets(lite):
    index = json.loads((lite / "pypi" / "all.json").read_text())
    pins = {n.replace("_", "-"): v for n, (v, _) in live_view.read_sources().items()}
    for name in ("ipywidgets", "jupyterlab-widgets", "comm"):
        assert list(index[name]["releases"]) == [pins[name]], name
    (release,) = index["companion"]["releases"].values()
    wheel = lite / "pypi" / release[0]["filename"]
    assert wheel.exists()


def test_pages_make_no_outside_reference(book_html):  # noqa: F811  (pytest fixtures imported from test_browser)
    for page in book_html.rglob("*.html"):
        if "lite" in page.relative_to(book_html).parts:
            continue
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "cdn.jsdelivr" not in text, page


def test_every_section_has_one_live_button_with_its_explorer_cell(book_html):  # noqa: F811  (pytest fixtures imported from test_browser)
    for stem in SECTIONS:
        text = (book_html / "chapters" / f"{stem}.html").read_text(encoding="utf-8")
        boxes = re.findall(r'<div class="companion-live" hidden data-code="([^"]*)"', text)
        assert len(boxes) == 1, f"{stem}: {len(boxes)} live buttons"
        code = json.loads(html_lib.unescape(boxes[0]))
        link = re.search(r'class="companion-live-notebook" href="([^"]*)"', text).group(1)
        assert html_lib.unescape(link) == f"../lite/notebooks/index.html?path={stem}.ipynb"
        assert (book_html / "lite" / "files" / f"{stem}.ipynb").exists()
        assert code[0] == live_view.INSTALL_CELL
        assert re.search(r"make_\w+_explorer\(", code[1]), code
        assert "companion/live.js" in text


def test_fetch_refuses_a_file_that_differs_from_the_lock(tmp_path):
    lock = copy.deepcopy(live_view.official_lock())
    lock["packages"]["numpy"]["sha256"] = "0" * 64
    with pytest.raises(live_view.LiteError, match=r"numpy-.*refusing"):
        live_view.fetch(dist=tmp_path / "dist", lock=lock)
    assert not (tmp_path / "dist" / "SOURCES.json").exists()  # a refused fetch is never marked done


def test_cdn_switch_loads_pyodide_from_the_cdn_and_ships_no_copy(tmp_path):
    cdn = "https://cdn.jsdelivr.net/pyodide/v0.27.7/full/pyodide.js"
    out = live_view.build_site(tmp_path, [ROOT / "chapters" / f"{SECTIONS[0]}.ipynb"], cdn=cdn)
    config = json.loads((out / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][live_view.KERNEL_PLUGIN]
    assert kernel["pyodideUrl"] == cdn and kernel["pipliteUrls"]
    assert not (out / "static" / "pyodide").exists()
    assert (out / "pypi" / "all.json").exists() and (out / "files" / f"{SECTIONS[0]}.ipynb").exists()


def test_closure_follows_the_locks_dependencies():
    lock = live_view.official_lock()
    names = live_view.closure(lock, ["matplotlib"])
    assert {"matplotlib", "numpy", "pillow", "kiwisolver", "matplotlib-pyodide"} <= {n.lower() for n in names}
    with pytest.raises(live_view.LiteError, match="not in the official"):
        live_view.closure(lock, ["no-such-package"])


# ------------------------------------------------------------------------ in the browser
@pytest.mark.browser
@pytest.mark.parametrize("stem", SECTIONS)
def test_explorer_runs_live_in_the_browser(site, browser, stem):  # noqa: F811  (pytest fixtures imported from test_browser)
    url, _ = site
    lp = LivePage(browser, f"{url}chapters/{stem}.html")
    try:
        started = start_live(lp)
        what, changed = change_a_live_control(lp)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        lp.page.locator(".companion-live").screenshot(path=str(SCREENSHOTS / f"live-{stem}.png"))
        errors = [c for c in lp.console if c.startswith("page error")]
        assert not lp.outside, f"requests outside the site: {lp.outside[:5]}"
        assert not errors, errors
        print(f"{stem}: live in {started:.1f} s; {what}: new figure in {changed:.2f} s")
    finally:
        lp.close()


NOTEBOOK_CHECK = (
    "import numpy as np\n"
    "from companion.exercises import check, get\n"
    "ex = get('8.3.1'); W, x, b = ex.data['W'], ex.data['x'], ex.data['b']\n"
    "print('RIGHT', bool(check('8.3.1', np.outer(W @ x - b, x))),\n"
    "      'WRONG', bool(check('8.3.1', np.outer(x, W @ x - b))))"
)


@pytest.mark.browser
def test_whole_notebook_and_exercises_in_the_notebook_app(site, browser):  # noqa: F811  (pytest fixtures imported from test_browser)
    url, _ = site
    lp = LivePage(browser, f"{url}lite/notebooks/index.html?path=8-3-trace-principle.ipynb")
    page = lp.page
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000)
        # run the notebook's first cell (it installs companion from the site), then a cell with the
        # check; started here, not awaited (evaluate has no timeout): the bounded wait below is the one
        page.evaluate(
            """code => {
                const app = window.jupyterapp, panel = app.shell.currentWidget, nb = panel.content;
                window.companionCheck = panel.sessionContext.ready.then(async () => {
                    nb.activeCellIndex = 0;
                    await app.commands.execute('notebook:run-cell-and-select-next');
                    await app.commands.execute('notebook:insert-cell-above');
                    nb.activeCell.model.sharedModel.setSource(code);
                    await app.commands.execute('notebook:run-cell');
                });
            }""",
            NOTEBOOK_CHECK,
        )
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
            ".some(o => /RIGHT|Error/.test(o.textContent))",
            timeout=START_TIMEOUT_MS,
        )
        out = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-OutputArea-output')).map(o => o.textContent).join('\\n')"
        )
        assert "RIGHT True WRONG False" in out, f"{out[-2000:]}\n{lp.report()}"
        assert not lp.outside, f"requests outside the site: {lp.outside[:5]}"
    finally:
        lp.close()


# ------------------------------------------------------------------------ the explorers in the browser's Python
def test_explorer_in_the_browser_draws_the_shown_frame_then_the_reached_ones(monkeypatch):
    """In Pyodide (``sys.platform == "emscripten"``) an explorer draws only the frame shown; the
    slider draws the others when it reaches them, and the note says the controls are live."""
    from companion.widgets import _base, make_least_squares_explorer

    def drawn(e):  # the frames drawn so far (reading e.frames would draw the rest)
        return [k for k, img in enumerate(e.option_frames[e._option()].children) if img.value]

    monkeypatch.setattr(_base, "IN_BROWSER", True)
    explorer = make_least_squares_explorer()
    explorer._repr_mimebundle_()  # shown in the live view: nobody saves the page
    assert drawn(explorer) == [explorer.index]
    assert any(getattr(w, "value", None) == _base.LIVE_NOTE_BROWSER for w in explorer.children)
    first, other = explorer.index, (explorer.index + 1) % len(explorer.values)
    explorer.slider.index = other
    assert drawn(explorer) == sorted([first, other])
    assert explorer.image == bytes(explorer.option_frames[explorer._option()].children[other].value)
    monkeypatch.setattr(_base, "IN_BROWSER", False)
    static = make_least_squares_explorer()
    static._repr_mimebundle_()  # shown in a notebook with no IPython shell: every frame, for the saved page
    assert drawn(static) == list(range(len(static.values)))
