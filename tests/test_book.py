"""The book: notebooks committed stripped and listed in the TOC; the executed build is clean."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "chapters/ has no notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_valid_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has outputs (commit notebooks stripped)"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state in metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_toc(path):
    rel = path.relative_to(ROOT).with_suffix("").as_posix()
    assert rel in toc_files(), f"{rel} is not listed in _toc.yml"


def test_toc_entries_exist():
    for f in toc_files():
        assert any((ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb")), (
            f"_toc.yml lists {f}, which does not exist"
        )


def test_requirements_pinned():
    text = (ROOT / "requirements.txt").read_text().splitlines()
    lines = [line.strip() for line in text if line.strip() and not line.startswith("#")]
    assert lines[-1] == "-e .", "requirements.txt must end with -e . (Binder installs companion from it)"
    for line in lines[:-1]:
        assert "==" in line, f"requirements.txt: {line!r} is not pinned exactly"
    assert "jupyter-book==1.0.4.post1" in lines


def test_a_parallel_read_truncates_the_execution_cache_once_after_reading(tmp_path, monkeypatch):
    """`make book` reads in parallel with jupyter-cache: during the read, caching a notebook does not truncate the
    cache (jupyter-cache's truncation races with another process's new record and stopped a fresh build); the main
    process truncates once after the read (env-updated), to the cache's own limit."""
    import sys
    from types import SimpleNamespace

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.cache.main import JupyterCacheBase

    monkeypatch.syspath_prepend(str(ROOT / "_ext"))
    monkeypatch.delitem(sys.modules, "companion_book", raising=False)
    import companion_book

    truncate = JupyterCacheBase.truncate_caches
    monkeypatch.setattr(JupyterCacheBase, "truncate_caches", truncate)  # whatever happens, restored afterwards
    handlers = {}
    config = SimpleNamespace(execution_mode="cache", execution_cache_path=str(tmp_path / "cache"))
    app = SimpleNamespace(parallel=2, env=SimpleNamespace(mystnb_config=config), connect=handlers.__setitem__)
    companion_book.create_execution_cache(app)
    cache = get_cache(tmp_path / "cache")
    cache.change_cache_limit(1)
    for k in range(3):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"x = {k}")])
        cache.cache_notebook_bundle(CacheBundleIn(nb, f"nb{k}.ipynb"), check_validity=False)
    assert len(cache.list_cache_records()) == 3, "no truncation while the readers cache their notebooks"
    handlers["env-updated"](app, app.env)
    assert JupyterCacheBase.truncate_caches is truncate
    assert [r.uri for r in cache.list_cache_records()] == ["nb2.ipynb"], "truncated once, to the limit, afterwards"


@pytest.mark.book
def test_book_builds_clean(built_book):
    """jupyter-book build -W -n --keep-going with every notebook executed (the fixture fails on any warning)."""
    for nb in NOTEBOOKS:
        page = built_book / nb.relative_to(ROOT).with_suffix(".html")
        assert page.exists(), f"no page for {nb.name}"
        assert "Traceback" not in page.read_text(), f"{page.name} shows a traceback"
