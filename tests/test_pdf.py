"""The print edition: ``make pdf`` builds one PDF of the whole book, and it is complete.

Builds the PDF from a fresh single-page build in a temporary folder (every notebook
executed), or reads ``COMPANION_PDF`` (a PDF you already built with ``make pdf``), then
opens it with pypdf: a plausible page count, every page of the table of contents by its
title, each explorer as a figure with its caption and the address of its live page, the
hints of every exercise, and no widget repr (``VBox(...)``) or raw TeX anywhere.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import nbformat
import pytest
from conftest import toc_files

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("COMPANION_CHROMIUM", "/usr/bin/chromium")
WIDGET_REPRS = re.compile(
    r"\b(VBox|HBox|Box|Stack|Output|IntSlider|FloatSlider|SelectionSlider|Dropdown|Image|HTML|Layout|Label)\("
)

pytestmark = pytest.mark.pdf


def norm(text: str) -> str:
    """Ligatures undone, hyphenation and line breaks joined, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", text)


def page_title(doc: str) -> str:
    path = ROOT / doc
    if path.with_suffix(".ipynb").exists():
        nb = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
        source = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        source = path.with_suffix(".md").read_text()
    return re.search(r"^# (.+)$", source, re.M).group(1).strip()


def image_count(page) -> int:
    """Images drawn on a page (its image XObjects; read, not decoded)."""
    xobjects = page.get("/Resources", {}).get_object().get("/XObject")
    if not xobjects:
        return 0
    return sum(1 for x in xobjects.get_object().values() if x.get_object().get("/Subtype") == "/Image")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    given = os.environ.get("COMPANION_PDF")
    if given:
        return Path(given)
    if os.environ.get("COMPANION_SKIP_BROWSER") == "1":
        pytest.skip("COMPANION_SKIP_BROWSER=1: the PDF is printed by Chromium")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (make pdf prints with it)")
    out = tmp_path_factory.mktemp("pdf")
    target = out / "book.pdf"
    env = {**os.environ, "COMPANION_BOOK_EXECUTE": "force"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "_ext" / "make_pdf.py"), "--build-root", str(out), "--out", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"make_pdf.py failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    print(proc.stdout.strip(), f"({time.perf_counter() - t0:.0f} s)")
    return target


@pytest.fixture(scope="module")
def pages(pdf) -> list:
    from pypdf import PdfReader

    return list(PdfReader(str(pdf)).pages)


@pytest.fixture(scope="module")
def text(pages) -> str:
    return norm("\n".join(p.extract_text() or "" for p in pages))


def test_page_count(pages):
    assert 60 <= len(pages) <= 400, f"{len(pages)} pages"


def test_every_page_of_the_book_is_in_it(text):
    missing = [doc for doc in toc_files() if norm(page_title(doc)) not in text]
    assert not missing, f"titles not found in the PDF: {[page_title(d) for d in missing]}"


def test_figures(pages, text):
    images = sum(image_count(p) for p in pages)
    chapters = [d for d in toc_files() if d.startswith("chapters/")]
    assert images >= 2 * len(chapters), (
        f"{images} images for {len(chapters)} sections (a static figure and an explorer each)"
    )
    # each explorer: its initial frame, a caption, the address of its live page
    assert text.count("Live page:") == len(chapters), text.count("Live page:")
    for doc in chapters:
        assert f"{doc}.html" in text.replace(" ", ""), f"no live-page address for {doc}"


def test_no_widget_repr_and_no_raw_tex(text):
    reprs = sorted(set(m.group(0) for m in WIDGET_REPRS.finditer(text)))
    assert not reprs, f"widget reprs in the PDF: {reprs}"
    for raw in ("$$", "\\frac", "\\mathbb", "\\begin{"):
        assert raw not in text, f"raw TeX in the PDF: {raw}"


def test_exercises_with_hints(text):
    from companion.exercises import EXERCISES

    missing = [i for i in EXERCISES if f"Exercise {i}:" not in text]
    assert not missing, f"exercises missing: {missing}"
    assert text.count("Hint") >= len(EXERCISES)
    assert "Solution: folded under this exercise in the web edition" in text
    assert "The code of this solution is in the next cell" not in text, "a written solution is printed"
