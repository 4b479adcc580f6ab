"""Sphinx extension: the book's version and licenses in every page's footer.

The version is the package's, ``companion.__version__``, read from ``pyproject.toml`` (the
one place it is written); it also becomes Sphinx's ``version``/``release``. The footer links
the two license files in the repository set in ``_config.yml``: the text and figures are
CC BY 4.0 (``LICENSE-TEXT``), the code MIT (``LICENSE``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parents[1]


def book_version() -> str:
    sys.path.insert(0, str(ROOT))  # the package of this checkout, even where it is not installed
    try:
        from companion._version import package_version
    finally:
        sys.path.pop(0)
    return package_version()


def footer_html(version: str, repo: str, branch: str) -> str:
    blob = f"{repo.rstrip('/')}/blob/{branch}/" if repo else ""
    text = f'<a href="{blob}LICENSE-TEXT">CC BY 4.0</a>' if blob else "CC BY 4.0"
    code = f'<a href="{blob}LICENSE">MIT</a>' if blob else "MIT"
    return (f'<p class="companion-footer">Version {version}. Text and figures: {text}; code: {code}. '
            "A companion to Xujiang Tang, <i>Chapter 8: Matrix Calculus</i>, which remains its author's.</p>")


def configure(app: Sphinx, config) -> None:
    version = book_version()
    config.version = config.release = version
    options = dict(config.html_theme_options or {})
    repo = options.get("repository_url", "")
    branch = options.get("repository_branch", "main") or "main"
    options["extra_footer"] = (options.get("extra_footer") or "") + footer_html(version, repo, branch)
    config.html_theme_options = options


def setup(app: Sphinx):
    app.connect("config-inited", configure, priority=150)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
