"""Write each section's exercise cells from the package: ``python _ext/sync_exercises.py NOTEBOOK ...``.

The exercises live in ``companion.exercises``; a chapter notebook shows them in cells generated
from there, so the page and the checker cannot drift apart. Per exercise ``8.k.n`` (cell ids):

- ``ex-8-k-n-statement``: markdown, ``ex.markdown()``;
- ``ex-8-k-n-answer``: code, where the reader answers; written once (a default that loads the data,
  sets ``answer = None`` and checks it), then kept as the section's author edited it;
- ``ex-8-k-n-hints``: markdown, ``ex.hints_markdown()`` (replaces an older ``ex-8-k-n-hint`` cell);
- ``ex-8-k-n-solution-text``: markdown, ``ex.solution_markdown()`` (no cell when it is empty);
- ``ex-8-k-n-solution``: code, tagged ``hide-cell``: the data-loading lines and ``ex.solution_code``;
- ``ex-8-k-n-verify``: code, tagged ``remove-cell``: the book's build checks the shipped solution
  (without counting it as the reader's progress) and fails if it is wrong;

and after the section's last exercise a cell ``ex-progress`` calling ``progress("8.k")``. Before the first
exercise come two cells shared by the eight sections: ``ex-heading``, markdown, ``intro("8.k")`` (the heading
"Exercises", the categories with this section's counts, how answers are checked, the graded hints, the written
solution, the progress cell), and ``ex-setup``, code, the imports the exercise cells use.

Cells of exercises the notebook does not have yet are inserted in id order (after the exercise
before them, else after the last exercise); cells of exercises the package no longer has are
dropped; every other cell stays where it is. Code cells are written without outputs.

Usage::

    python _ext/sync_exercises.py chapters/8-3-trace-principle.ipynb   # rewrite one notebook
    python _ext/sync_exercises.py --all                                 # every chapter notebook
    python _ext/sync_exercises.py --all --check                         # list differences, exit 1 if any
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from companion.exercises import by_section, intro  # noqa: E402  (the repository's package, after the path is set)

CELL = re.compile(r"^ex-(8-\d+-\d+)-(statement|answer|hints?|solution-text|solution|verify)$")
PROGRESS_ID = "ex-progress"
HEADING_ID, SETUP_ID = "ex-heading", "ex-setup"
SETUP = "import numpy as np\nfrom companion.exercises import check, get"
HIDE, REMOVE = "hide-cell", "remove-cell"


def section_of(path: Path) -> str:
    """``"8.3"`` for ``chapters/8-3-trace-principle.ipynb``."""
    m = re.match(r"^8-(\d+)-", path.name)
    if not m:
        raise ValueError(f"{path}: not a section notebook (its name must start with 8-k-)")
    return f"8.{m.group(1)}"


def _stem(ex) -> str:
    return "ex-" + ex.id.replace(".", "-")


def _code(cell_id: str, source: str, tags=()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.rstrip("\n"))
    cell.id = cell_id
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def _markdown(cell_id: str, source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(source.rstrip("\n"))
    cell.id = cell_id
    return cell


def default_answer(ex) -> str:
    """The answer cell of a new exercise: load the data, ``answer = None`` (or a function stub), check."""
    load = ex.load_code()
    if ex.kind == "function":
        body = (f'def {ex.signature}:\n    """Your code here: see the statement above."""\n    return None\n\n'
                f'check("{ex.id}", {ex.function_name})')
    else:
        what = re.sub(r"`", "", ex.answer_text())
        body = f'answer = None  # your answer here: {what}\ncheck("{ex.id}", answer)'
    return (load + "\n" if load else "") + body


def generated_cells(ex, answer=None) -> list:
    """The cells of one exercise, in order; ``answer`` is the existing answer cell (kept as it is)."""
    stem = _stem(ex)
    cells = [_markdown(f"{stem}-statement", ex.markdown())]
    cells.append(answer if answer is not None else _code(f"{stem}-answer", default_answer(ex)))
    cells.append(_markdown(f"{stem}-hints", ex.hints_markdown()))
    if ex.solution_markdown():
        cells.append(_markdown(f"{stem}-solution-text", ex.solution_markdown()))
    load = ex.load_code()
    cells.append(_code(f"{stem}-solution", (load + "\n" if load else "") + ex.solution_code, tags=(HIDE,)))
    verify = (f'_feedback = check("{ex.id}", solution, record=False)  # the shipped solution must pass\n'
              f"assert _feedback, _feedback")
    cells.append(_code(f"{stem}-verify", verify, tags=(REMOVE,)))
    return cells


def intro_cells(section: str) -> list:
    """The two cells before a section's first exercise: the introduction (markdown) and the imports (code)."""
    return [_markdown(HEADING_ID, str(intro(section))), _code(SETUP_ID, SETUP)]


def _kept_answer(cell) -> nbformat.NotebookNode:
    cell = nbformat.from_dict(dict(cell))
    cell.outputs, cell.execution_count = [], None
    return cell


def synced(nb, section: str):
    """The notebook with its exercise cells rewritten from the package (a new notebook object)."""
    exercises = {_stem(ex)[3:]: ex for ex in by_section(section)}
    answers = {m.group(1): c for c in nb.cells if (m := CELL.match(c.get("id", ""))) and m.group(2) == "answer"}
    pending = sorted(exercises, key=lambda k: tuple(int(p) for p in k.split("-")))
    out, done = [], set()

    def emit(key):
        ans = answers.get(key)
        out.extend(generated_cells(exercises[key], None if ans is None else _kept_answer(ans)))
        done.add(key)

    last = None  # index in out just after the last exercise emitted
    for cell in nb.cells:
        m = CELL.match(cell.get("id", ""))
        stale = m and (m.group(1) in done or m.group(1) not in exercises)
        if cell.get("id") in (PROGRESS_ID, HEADING_ID, SETUP_ID) or stale:
            continue
        if m:
            for key in [k for k in pending if k not in done and _before(k, m.group(1))]:
                emit(key)
            emit(m.group(1))
            last = len(out)
        else:
            out.append(cell)
    tail = [k for k in pending if k not in done]
    at = len(out) if last is None else last
    extra = []
    for key in tail:
        ans = answers.get(key)
        extra.extend(generated_cells(exercises[key], None if ans is None else _kept_answer(ans)))
    extra.append(_code(PROGRESS_ID, f'from companion.exercises import progress\n\nprogress("{section}")'))
    cells = out[:at] + extra + out[at:]
    first = next(i for i, c in enumerate(cells) if CELL.match(c.get("id", "")))
    new = nbformat.from_dict(dict(nb))
    new.cells = cells[:first] + intro_cells(section) + cells[first:]
    return new


def _before(a: str, b: str) -> bool:
    return tuple(int(p) for p in a.split("-")) < tuple(int(p) for p in b.split("-"))


def differences(old, new) -> list:
    """Human-readable differences between two notebooks' cells (ids, types, sources, tags)."""
    def key(c):
        return (c.cell_type, c.source, tuple(c.get("metadata", {}).get("tags", [])))

    old_ids, new_ids = [c.get("id") for c in old.cells], [c.get("id") for c in new.cells]
    diffs = [f"cell {i} is missing" for i in new_ids if i not in old_ids]
    diffs += [f"cell {i} should not be there" for i in old_ids if i not in new_ids]
    by_id = {c.get("id"): c for c in old.cells}
    diffs += [f"cell {c.id} differs from the package" for c in new.cells
              if c.id in by_id and key(by_id[c.id]) != key(c)]
    if not diffs and old_ids != new_ids:
        diffs.append("the exercise cells are not in the order of their ids")
    return diffs


def sync(path: Path, *, check: bool = False) -> list:
    """Sync one notebook (or, with ``check``, only compare); the list of differences found."""
    nb = nbformat.read(path, as_version=4)
    new = synced(nb, section_of(path))
    diffs = differences(nb, new)
    if diffs and not check:
        nbformat.validate(new)
        nbformat.write(new, path)
    return diffs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="section notebooks (chapters/8-k-*.ipynb)")
    parser.add_argument("--all", action="store_true", help="every chapter notebook")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a notebook differs")
    args = parser.parse_args(argv)
    paths = sorted((ROOT / "chapters").glob("8-*.ipynb")) if args.all else args.notebooks
    if not paths:
        parser.error("give notebooks or --all")
    failed = False
    for path in paths:
        diffs = sync(path, check=args.check)
        failed |= bool(diffs)
        verb = "differs" if args.check else "rewritten"
        print(f"{path}: {'up to date' if not diffs else verb}" + "".join(f"\n  {d}" for d in diffs))
    return 1 if (failed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
