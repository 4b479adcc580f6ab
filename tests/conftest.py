"""Shared fixtures: the repository root and one executed build of the whole book per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import yaml

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def toc_files() -> list[str]:
    """The book's source files listed in ``_toc.yml`` (root first), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    assert toc["format"] == "jb-book"
    files = [toc["root"]]

    def walk(entries):
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


KERNEL_RACE = ("Address already in use", "Kernel died before replying to kernel_info")


def _build(out: Path, timeout: float) -> subprocess.CompletedProcess:
    """``jupyter-book build`` into ``out``, -W -n; a hung build (a parallel reader that died, a kernel
    that never answers) fails after ``timeout`` s with what it printed, not at CI's time limit."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--path-output", str(out), "-W", "-n", "--keep-going"]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out_text = (exc.stdout or b"").decode(errors="replace")[-6000:]
        pytest.fail(f"jupyter-book build did not finish in {timeout:.0f} s (COMPANION_BOOK_TIMEOUT):\n{out_text}")


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> Path:
    """Build the book once, every notebook executed, warnings as errors (-W -n).

    Returns the ``html`` folder. The build output goes to a temporary folder so that
    a developer's ``_build`` (and its execution cache) is never used or touched.
    """
    timeout = float(os.environ.get("COMPANION_BOOK_TIMEOUT", "1200"))
    for attempt in (1, 2):
        out = tmp_path_factory.mktemp("book")
        proc = _build(out, timeout)
        if proc.returncode == 0:
            break
        log = proc.stdout + proc.stderr
        # Two kernels started at once in parallel readers can race for one port (jupyter_client
        # picks a free port, then the kernel binds it): seen about once in six builds here. That
        # failure, and only it, is retried once, and said.
        if attempt == 1 and any(s in log for s in KERNEL_RACE):
            print("book build: a kernel lost a port race while starting; building once more")
            continue
        pytest.fail(f"jupyter-book build failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    html = out / "_build" / "html"
    assert (html / "index.html").exists()
    # keep a copy where people look for it, for screenshots and inspection; two pytest-xdist workers
    # that each built the book may get here at once: each copies aside, then one copy takes the place
    dest = ROOT / "_build" / "test-html"
    aside = dest.with_name(f"test-html.{os.getpid()}")
    shutil.copytree(html, aside, dirs_exist_ok=True)
    shutil.rmtree(dest, ignore_errors=True)
    try:
        aside.rename(dest)
    except OSError:  # the other worker's copy took the place first
        shutil.rmtree(aside, ignore_errors=True)
    return html
