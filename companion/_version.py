"""The package's version, read from the one place it is written: ``pyproject.toml``.

In a source checkout (a clone, ``pip install -e .``, ``PYTHONPATH=.``) the ``version`` of
``[project]`` in the ``pyproject.toml`` beside the package is read directly, so an edit
there shows at once, even before reinstalling. Otherwise (an installed wheel, also in a
browser's Python) it comes from the installed distribution's metadata, which the build
copied from that same line. If neither is there, it is ``"0+unknown"``.
"""

from __future__ import annotations

import re
from pathlib import Path

DIST_NAME = "companion"
UNKNOWN = "0+unknown"


def version_from_pyproject(path: Path) -> str | None:
    """The ``version`` of the ``[project]`` table of ``path`` if it is this package's, else None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    # the [project] table, up to the next table header (tomllib is 3.11+, this package supports 3.10)
    match = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not match:
        return None
    table = match.group(1)
    name = re.search(r'^name\s*=\s*"([^"]+)"', table, re.M)
    version = re.search(r'^version\s*=\s*"([^"]+)"', table, re.M)
    if not (name and version) or name.group(1) != DIST_NAME:
        return None
    return version.group(1)


def package_version() -> str:
    found = version_from_pyproject(Path(__file__).resolve().parents[1] / "pyproject.toml")
    if found:
        return found
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return UNKNOWN
    try:
        return version(DIST_NAME)
    except PackageNotFoundError:
        return UNKNOWN


__version__ = package_version()
