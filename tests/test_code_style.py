"""The package's code stays readable: no function in companion/ is longer than 60 lines.

(The rest of the style is ruff's, configured in pyproject.toml and run by ``make lint``.)
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "companion").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES)
def test_functions_are_at_most_60_lines(path):
    tree = ast.parse((ROOT / path).read_text())
    long = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60
    ]
    assert not long, f"{path}: functions over 60 lines: {long}"
