"""The first cell of every chapter notebook: install ``companion`` where it is missing.

On Colab a notebook opens alone, without the repository, so its first cell installs the
package from the repository, and only if ``import companion`` fails; in the book's live view
(JupyterLite, Python in the browser: ``sys.platform == "emscripten"``) it installs the wheel
the site serves (``_ext/live_view.py``). In the book build, on Binder, in ``make lab`` and in
Voilà it does nothing. The cell is tagged
``remove-cell``, so the book does not show it. Its URL and branch are read from
``_config.yml`` (``repository: url, branch``), the one place they are set.

    python _ext/colab_cell.py chapters/*.ipynb          # add the cell, or bring it up to date
    python _ext/colab_cell.py --check chapters/*.ipynb  # exit 1 if a notebook lacks it

The notebook stays stripped and keeps its cell ids (the new cell's id is ``install-companion``).
``tests/test_site.py`` checks every notebook in ``chapters/`` with :func:`has_install_cell`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "install-companion"
BROWSER_INSTALL = "%pip install -q companion"  # in the live view: the wheel the site serves (live_view.py)
TAG = "remove-cell"


def install_source(config: Path = ROOT / "_config.yml") -> str:
    repo = yaml.safe_load(config.read_text())["repository"]
    url, branch = repo["url"].rstrip("/"), repo.get("branch", "main")
    return (
        "# Where the book's package is missing, install it: on Colab from the repository, in the\n"
        "# book's live view (Python in the browser) from the site itself. Elsewhere this does nothing.\n"
        "import sys\n"
        "try:\n"
        "    import companion\n"
        "except ImportError:\n"
        '    if sys.platform == "emscripten":\n'
        f"        {BROWSER_INSTALL}\n"
        "    else:\n"
        f'        %pip install -q "companion @ git+{url}@{branch}"'
    )


def has_install_cell(nb, source: str | None = None) -> bool:
    """The notebook's first cell is the install cell, up to date with _config.yml, and hidden."""
    if not nb.cells:
        return False
    first = nb.cells[0]
    return (
        first.cell_type == "code"
        and first.source == (source or install_source())
        and TAG in first.get("metadata", {}).get("tags", [])
    )


def add_install_cell(path: Path) -> bool:
    """Put the install cell first in ``path`` (replacing an outdated one). Returns True if it changed."""
    raw = path.read_text(encoding="utf-8")
    nb = nbformat.reads(raw, as_version=4)
    source = install_source()
    if has_install_cell(nb, source):
        return False
    if nb.cells and nb.cells[0].get("id") == CELL_ID:
        nb.cells.pop(0)
    cell = nbformat.v4.new_code_cell(source=source, metadata={"tags": [TAG]})
    cell.id = CELL_ID
    nb.cells.insert(0, cell)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") or not raw.endswith("\n") else text + "\n", encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    missing = []
    for path in paths:
        if check:
            if not has_install_cell(nbformat.read(path, as_version=4)):
                missing.append(path)
        elif add_install_cell(path):
            print(f"{path}: install cell added")
    for path in missing:
        print(f"{path}: the first cell is not the install cell (python _ext/colab_cell.py {path})")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
