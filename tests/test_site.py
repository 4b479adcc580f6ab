"""The reader's book as a website: self-contained, small pages, launchable (Binder, Colab, Thebe).

The browser tests (test_browser.py) open every page; these check what can be read from the
files: the front-end files pinned and served by the book, no CDN in any page, every page at
most 3 MB, the launch and download links on every notebook page built from the repository
set once in _config.yml, the Binder environment, and the Colab install cell first in every
chapter notebook.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
MAX_PAGE_BYTES = 3 * 1024 * 1024


def _colab_cell():
    spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "_ext" / "colab_cell.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def repository() -> tuple[str, str]:
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    return repo["url"].rstrip("/"), repo["branch"]


def html_pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if not p.relative_to(html).parts[0].startswith("_"))


# ------------------------------------------------------------------------ sources
def test_front_end_files_pinned():
    """MathJax 3, RequireJS, html-manager 1.x (widget protocol 2, as ipywidgets 8 speaks) and the live
    view's Pyodide (the release its wheels are verified against) at exact versions."""
    pkg = json.loads((ROOT / "_ext" / "package.json").read_text())
    lock = json.loads((ROOT / "_ext" / "package-lock.json").read_text())
    deps = pkg["dependencies"]
    assert set(deps) == {"mathjax", "requirejs", "@jupyter-widgets/html-manager", "pyodide"}
    assert deps["pyodide"] == "0.27.7", "jupyterlite-pyodide-kernel 0.6.1 runs Pyodide 0.27 (README, the live view)"
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} {version!r} is not an exact version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, f"package-lock.json disagrees on {name}"
    assert deps["mathjax"].startswith("3."), "Sphinx writes a MathJax 3 configuration"
    assert deps["@jupyter-widgets/html-manager"].startswith("1."), "ipywidgets 8 needs html-manager 1.x"
    import ipywidgets

    assert ipywidgets.__version__.startswith("8."), ipywidgets.__version__


def test_no_scripts_in_source_static():
    """Jupyter Book 1 injects every *.js under _static/ into every page: keep scripts elsewhere."""
    scripts = list((ROOT / "_static").rglob("*.js")) if (ROOT / "_static").exists() else []
    assert not scripts, f"scripts under _static/ end up in every page: {scripts}"


def test_binder_environment():
    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), f"runtime.txt: {runtime!r} (Binder expects e.g. python-3.11)"
    lines = [
        r.strip() for r in (ROOT / "requirements.txt").read_text().splitlines() if r.strip() and not r.startswith("#")
    ]
    assert lines[-1] == "-e .", "Binder installs companion from requirements.txt"


def test_repository_set_in_one_place():
    """The repository URL appears in _config.yml once; everything else derives from it."""
    url, _ = repository()
    config = (ROOT / "_config.yml").read_text()
    assert config.count(url) == 1, "the repository URL must be set once, under repository: url"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_install_cell(path):
    """Colab opens a notebook alone: its first cell installs companion if it is missing.

    Add or refresh it with ``python _ext/colab_cell.py <notebook>`` (URL and branch from _config.yml).
    """
    colab = _colab_cell()
    nb = nbformat.read(path, as_version=4)
    assert colab.has_install_cell(nb), (
        f"{path.name}: the first cell must be the install cell tagged remove-cell:\n\n{colab.install_source()}\n\n"
        f"run: python _ext/colab_cell.py {path.relative_to(ROOT)}"
    )


# ------------------------------------------------------------------------ the built site
@pytest.mark.book
def test_pages_at_most_3_mb(built_book):
    sizes = {p.relative_to(built_book).as_posix(): p.stat().st_size for p in html_pages(built_book)}
    big = {k: f"{v / 2**20:.2f} MB" for k, v in sizes.items() if v > MAX_PAGE_BYTES}
    assert not big, f"pages over 3 MB: {big}"


@pytest.mark.book
def test_no_cdn_in_pages(built_book):
    """No page loads a script, stylesheet or font from another site (Thebe loads only on a click)."""
    remote = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"[^>]*>')
    found = {}
    for page in html_pages(built_book):
        tags = [
            t
            for t in remote.findall(page.read_text(encoding="utf-8"))
            if not t.startswith("<link") or "stylesheet" in t or "preload" in t
        ]
        if tags:
            found[page.name] = tags[:3]
    assert not found, found


@pytest.mark.book
def test_vendored_files_served(built_book):
    static = built_book / "_static"
    for rel in (
        "vendor/mathjax/tex-mml-chtml.js",
        "vendor/requirejs/require.js",
        "vendor/html-manager/embed-amd.js",
        "companion/widgets-shim.js",
        "companion/companion.css",
    ):
        assert (static / rel).is_file(), f"_static/{rel} missing from the built book"
    # MathJax loads its fonts and extensions relative to itself
    assert list((static / "vendor/mathjax/output/chtml/fonts/woff-v2").glob("*.woff"))
    assert (static / "vendor/mathjax/input/tex/extensions/ams.js").is_file()


@pytest.mark.book
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_launch_and_download_links(built_book, path):
    """Binder, Colab, Thebe, the repository and the .ipynb download, from _config.yml's repository."""
    url, branch = repository()
    org_repo = url.split("github.com/")[1]
    rel = path.relative_to(ROOT).as_posix()
    page = (built_book / rel).with_suffix(".html").read_text(encoding="utf-8")
    expected = {
        "Binder": f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{rel}",
        "Colab": f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{rel}",
        "repository": f'href="{url}"',
        "download": f"_sources/{rel}",
        "Thebe": "btn-launch-thebe",
    }
    missing = [k for k, v in expected.items() if v not in page]
    assert not missing, f"{rel}: no {missing} link"
    assert f'repo: "{org_repo}"' in page and f'ref: "{branch}"' in page, "Thebe's Binder settings"


@pytest.mark.book
def test_static_figures_have_text_alternatives(built_book):
    """A figure's text alternative says what it shows (set in the cell's mystnb.image.alt), never its file name."""
    for page in sorted((built_book / "chapters").glob("8-*.html")):
        alts = re.findall(r'<img [^>]*?alt="([^"]*)"', page.read_text())
        named = [a for a in alts if not a.strip() or a.startswith("../_images/") or a.endswith(".png")]
        assert not named, f"{page.name}: images whose text alternative is missing or a file name: {named}"
        assert any(len(a) > 80 for a in alts), f"{page.name}: no figure described in words"
