"""An exercise: a problem built from a fixed seed, its reference answer, and its known mistakes.

An :class:`companion.exercises.Exercise` is cheap to create: its data are built on first use, from its own
seed, so importing the package computes nothing. Everything that describes an answer is
computed by the same convention, ``f(**data)``:

- ``solution(**data)`` is the reference answer: an array, a number, or (for a
  ``"function"`` exercise) the reference function, a closure over the fixed data;
- each :class:`companion.exercises.Mistake` has ``wrong(**data)``, the answer a typical slip produces, of the
  same kind as the reference.

A ``"function"`` exercise asks the reader for a function; it is run on the example
inputs in ``data`` (trial 0) and on further random inputs drawn by ``trials(rng, **data)``
from a seed of its own, and compared trial by trial.

A ``"choice"`` exercise is a concept question: ``options`` (each an :class:`companion.exercises.Option`
with a ``why``) and the answer is one label, or several when several options are correct. Its
``build`` and ``solution`` may be omitted (no data; the reference is the labels of the correct options).

Each exercise also carries what the book shows around it: a ``category`` (``"drill"``,
``"transfer"``, ``"concept"``), graded ``hints`` (2 or 3 steps, the last the key step) and a
written ``solution_text`` (the derivation), rendered by :meth:`Exercise.hints_markdown` and
:meth:`Exercise.solution_markdown`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._validate import as_choice, as_int, as_number, as_seed, check_callable, describe, shape_str

__all__ = ["Mistake", "Option", "Exercise", "KINDS", "LEVELS", "CATEGORIES"]

KINDS = ("array", "number", "function", "choice")
LEVELS = ("easy", "medium", "hard")
CATEGORIES = ("drill", "transfer", "concept")
_ID = re.compile(r"^8\.[1-8]\.[1-9][0-9]?$")
_LABELS = "abcdefghij"


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``wrong(**data)`` computes it; ``hint`` says what went wrong.

    ``name`` is what the feedback calls it ("dropped the -p p^T term"); the hint is plain
    text (it is printed in terminals too), pointing at the step to redo.
    """

    name: str
    wrong: Callable
    hint: str

    def __post_init__(self):
        for what in ("name", "hint"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"Mistake {what} must be a string, got {describe(getattr(self, what))}")
        check_callable(self.wrong, "Mistake wrong")


@dataclass(frozen=True)
class Option:
    """One statement of a ``"choice"`` exercise: ``label`` ("a", "b", ...), its ``text`` (markdown),
    whether it is ``correct``, and ``why`` it is right or wrong (shown in the feedback once chosen)."""

    label: str
    text: str
    correct: bool
    why: str

    def __post_init__(self):
        for what in ("label", "text", "why"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"Option {what} must be a string, got {describe(getattr(self, what))}")
        if not isinstance(self.correct, (bool, np.bool_)):
            raise TypeError(f"Option correct must be True or False, got {describe(self.correct)}")
        if len(self.label) != 1 or self.label not in _LABELS:
            raise ValueError(f"Option label must be one letter 'a' ... 'j', got {self.label!r}")
        for what in ("text", "why"):
            if not getattr(self, what).strip():
                raise ValueError(f"Option {self.label}: {what} must not be empty")


def _shape_text(a) -> str:
    if isinstance(a, (int, float, np.integer, np.floating)):
        return "a number"
    a = np.asarray(a)
    return "a number" if a.ndim == 0 else shape_str(a.shape)


@dataclass(eq=False)
class Exercise:
    """One exercise of the companion (see the module docstring for the conventions).

    The fields:

    - ``id``: ``"8.S.k"`` (section S, number k within the section); ``title``; ``level``,
      one of ``"easy"``, ``"medium"``, ``"hard"``; ``category``, one of ``CATEGORIES``
      (``"drill"``: the section's method on the section's objects; ``"transfer"``: the method on an
      object the page does not treat; ``"concept"``: a question of understanding);
    - ``statement``: markdown with ``$math$``, in the chapter's notation;
    - ``build``: ``rng -> dict`` of the problem data (arrays and numbers), from ``seed``;
    - ``solution``: ``(**data) -> reference answer`` (an array, a number, a tuple, or a function);
    - ``kind``: ``"array"`` (also a tuple of arrays, see ``outputs``), ``"number"``, ``"function"``
      or ``"choice"`` (see ``options``);
    - ``mistakes``: the known mistakes, checked before the generic transpose/sign/scale diagnosis;
    - ``hints``: 2 or 3 graded hints (markdown), revealed one at a time; the last is the key step,
      never the answer;
    - ``solution_text``: the written derivation (markdown with MathJax, in the book's notation);
    - ``solution_code``: plain numpy code that sets ``solution``, with the data's names in scope
      (for a choice exercise, written for you when empty: ``solution = "b"``);
    - ``options``: for a choice exercise, the :class:`Option` s, labelled ``"a"``, ``"b"``, ... in order;
    - ``signature``: for a function exercise, e.g. ``"softmax_vjp(P, G_P)"``; its argument
      names are keys of ``data`` (the example input);
    - ``trials``: for a function exercise, ``(rng, **data) -> list of argument tuples``;
    - ``outputs``: the names of the parts when the answer is a tuple, e.g. ``("G_Q", "G_K", "G_V")``;
    - ``evidence``: ``(data, answer) -> TaylorResult or str``, the measurement shown with the
      verdict (a Taylor test of a derivative, a dot-product test, a simulation);
    - ``answer_note``: how the answer is given, when the default wording is not enough;
    - ``rtol``: the relative tolerance for "the same answer", entry by entry: each entry
      within ``rtol`` of the reference's entry (plus ``1e-12 (1 + max |reference|)`` for round-off);
    - ``seed``: the seed of ``build`` (the trials use a seed of their own).
    """

    id: str
    title: str
    level: str
    statement: str
    build: Callable[..., dict] | None = None
    solution: Callable | None = None
    kind: str = "array"
    mistakes: tuple = ()
    solution_code: str = ""
    signature: str | None = None
    trials: Callable | None = None
    outputs: tuple = ()
    evidence: Callable | None = None
    answer_note: str = ""
    rtol: float = 1e-6
    seed: int = 0
    category: str = "drill"
    hints: tuple = ()
    solution_text: str = ""
    options: tuple = ()
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            error = ValueError if isinstance(self.id, str) else TypeError
            raise error(f"exercise id must look like '8.3.1', got {self.id!r}")
        as_choice(self.kind, f"exercise {self.id}: kind", KINDS)
        as_choice(self.level, f"exercise {self.id}: level", LEVELS)
        as_choice(self.category, f"exercise {self.id}: category", CATEGORIES)
        for what in ("title", "statement", "solution_code", "answer_note", "solution_text"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"exercise {self.id}: {what} must be a string, got {describe(getattr(self, what))}")
        self._check_hints()
        if not isinstance(self.options, (tuple, list)) or not all(isinstance(o, Option) for o in self.options):
            raise TypeError(f"exercise {self.id}: options must be a tuple of Option, got {describe(self.options)}")
        self.options = tuple(self.options)
        if self.kind == "choice":
            self._check_options()
        elif self.options:
            raise ValueError(f"exercise {self.id}: options are for a choice exercise, but kind is {self.kind!r}")
        for what in ("build", "solution"):
            if getattr(self, what) is None and self.kind != "choice":
                raise TypeError(f"exercise {self.id}: {what} must be callable, got None")
        for what in ("build", "solution", "trials", "evidence"):
            if getattr(self, what) is not None:
                check_callable(getattr(self, what), f"exercise {self.id}: {what}")
        if self.signature is not None and not isinstance(self.signature, str):
            raise TypeError(f"exercise {self.id}: signature must be a string such as 'f(x, y)', "
                            f"got {describe(self.signature)}")
        if not isinstance(self.mistakes, (tuple, list)) or not all(isinstance(m, Mistake) for m in self.mistakes):
            raise TypeError(f"exercise {self.id}: mistakes must be a tuple of Mistake, got {describe(self.mistakes)}")
        if not isinstance(self.outputs, (tuple, list)) or not all(isinstance(o, str) for o in self.outputs):
            raise TypeError(f"exercise {self.id}: outputs must be a tuple of names (strings), "
                            f"got {describe(self.outputs)}")
        self.rtol = as_number(self.rtol, f"exercise {self.id}: rtol", positive=True)
        self.seed = as_seed(self.seed, f"exercise {self.id}: seed")
        if self.kind == "function" and (not self.signature or self.trials is None):
            raise ValueError(f"exercise {self.id}: a function exercise needs a signature and trials")
        names = [m.name for m in self.mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"exercise {self.id}: mistake names must be distinct, got {names}")

    def _check_hints(self) -> None:
        """``hints``: a tuple of 2 or 3 non-empty strings (graded steps, the last the key step)."""
        if isinstance(self.hints, str) or not isinstance(self.hints, (tuple, list)) \
                or not all(isinstance(h, str) for h in self.hints):
            raise TypeError(f"exercise {self.id}: hints must be a tuple of strings (markdown), "
                            f"got {describe(self.hints)}")
        self.hints = tuple(self.hints)
        if len(self.hints) not in (2, 3):
            raise ValueError(f"exercise {self.id}: hints must be 2 or 3 graded steps, got {len(self.hints)}")
        empty = [k for k, h in enumerate(self.hints, 1) if not h.strip()]
        if empty:
            raise ValueError(f"exercise {self.id}: hints must be non-empty steps, "
                             f"but hint {empty[0]} of {len(self.hints)} is empty")

    def _check_options(self) -> None:
        """A choice exercise: options labelled a, b, ... in order, at least two, at least one correct."""
        labels = "".join(o.label for o in self.options)
        if len(self.options) < 2 or labels != _LABELS[: len(self.options)]:
            raise ValueError(f"exercise {self.id}: a choice exercise needs options labelled 'a', 'b', ... "
                             f"in order, got {labels!r}")
        if not any(o.correct for o in self.options):
            raise ValueError(f"exercise {self.id}: at least one option must be correct")
        if self.mistakes:
            raise ValueError(f"exercise {self.id}: a choice exercise explains its wrong options by their why, "
                             f"not by mistakes")
        if self.build is None:
            self.build = _no_data
        if self.solution is None:
            self.solution = _Labels(self.correct_labels)
        if not self.solution_code.strip():
            self.solution_code = f'solution = "{",".join(self.correct_labels)}"\n'

    # ------------------------------------------------------------------ identity
    @property
    def section(self) -> str:
        """``"8.3"`` for exercise ``"8.3.1"``."""
        return self.id.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str | None:
        return None if self.signature is None else self.signature.split("(", 1)[0].strip()

    @property
    def arg_names(self) -> tuple:
        """The argument names of a function exercise's signature (keys of ``data``)."""
        if self.signature is None:
            return ()
        inside = self.signature.split("(", 1)[1].rsplit(")", 1)[0]
        return tuple(a.strip() for a in inside.split(",") if a.strip())

    @property
    def correct_labels(self) -> tuple:
        """A choice exercise's correct labels, e.g. ``("b",)`` or ``("a", "c")``; ``()`` otherwise."""
        return tuple(o.label for o in self.options if o.correct)

    # ------------------------------------------------------------------ data
    def memo(self, key: str, compute: Callable):
        """``compute()``, computed once per exercise and kept under ``key`` (the grading's cache)."""
        if not isinstance(key, str):
            raise TypeError(f"key must be a string naming what is kept, got {describe(key)}")
        check_callable(compute, "compute")
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def _data(self) -> dict:
        """The pristine data (built once, from ``seed``); grading reads this copy only."""
        return self.memo("data", self._build_data)

    def _build_data(self) -> dict:
        data = self.build(np.random.default_rng(self.seed))
        for v in data.values():
            if isinstance(v, np.ndarray):
                v.setflags(write=False)
        return data

    @property
    def data(self) -> dict:
        """The problem data, a fresh copy each time (editing it cannot break the checker)."""
        return {k: (np.array(v) if isinstance(v, np.ndarray) else copy.deepcopy(v)) for k, v in self._data().items()}

    def reference(self):
        """The reference answer: ``solution(**data)`` (for a function exercise, the function)."""
        return self.solution(**self.data)

    def trial_inputs(self) -> list:
        """Argument tuples a function answer is run on: the example in ``data``, then the trials."""
        if self.kind != "function":
            return []
        return self.memo("trials", self._build_trials)

    def _build_trials(self) -> list:
        data = self._data()
        first = tuple(data[a] for a in self.arg_names)
        more = self.trials(np.random.default_rng(10_000 + self.seed), **self.data)
        trials = [first] + [tuple(t) for t in more]
        for t in trials:
            for a in t:
                if isinstance(a, np.ndarray):
                    a.setflags(write=False)
        return trials

    # ------------------------------------------------------------------ text
    def answer_text(self) -> str:
        """How the answer is given, in words."""
        if self.answer_note:
            return self.answer_note
        if self.kind == "function":
            return f"a function `{self.signature}`"
        if self.kind == "number":
            return "a number"
        if self.kind == "choice":
            if len(self.correct_labels) > 1:
                return 'the labels of all the true statements, e.g. `"a,c"` (more than one is true)'
            return 'one label, e.g. `"b"`'
        ref = self.reference()
        if isinstance(ref, tuple):
            return "a tuple " + ", ".join(f"`{n}` {_shape_text(r)}" for n, r in zip(self.outputs, ref, strict=True))
        return f"an array of shape {_shape_text(ref)}"

    def data_text(self) -> str:
        """The data, by name and shape."""
        items = []
        for k, v in self._data().items():
            if isinstance(v, np.ndarray):
                items.append(f"`{k}` {_shape_text(v)}")
            else:
                items.append(f"`{k} = {v!r}`")
        return ", ".join(items)

    def load_code(self) -> str:
        """The lines that load the data into names (``ex = get(...)``, then one unpacking line); "" without data."""
        names = list(self._data())
        if not names:
            return ""
        loads = ", ".join(f'ex.data["{k}"]' for k in names)
        return f'ex = get("{self.id}")\n{", ".join(names)} = {loads}\n'

    def markdown(self, heading_level: int = 3) -> str:
        """The statement as markdown: heading (level 1 to 6), level and category, text, data, what to answer."""
        head = "#" * as_int(heading_level, "heading_level", min=1, max=6) + f" Exercise {self.id}: {self.title}"
        lines = [head, "", f"*{self.level} · {self.category}*", "", self.statement.strip(), ""]
        if self.options:
            lines += [f"({o.label}) {o.text.strip()}  " for o in self.options]
            lines[-1] = lines[-1].rstrip()
            lines.append("")
        if self._data():
            lines.append(f"**Data** (in `get(\"{self.id}\").data`): {self.data_text()}.")
            lines.append("")
        lines.append(f"**Answer**: {self.answer_text()}, checked by `check(\"{self.id}\", answer)`.")
        return "\n".join(lines)

    def hints_markdown(self) -> str:
        """The hints as a notebook cell: one MyST dropdown per hint ("Hint 1 of 3" ... "Hint 3 of 3: the key step")."""
        n = len(self.hints)
        blocks = []
        for k, h in enumerate(self.hints, 1):
            title = f"Hint {k} of {n}" + (": the key step" if k == n else "")
            blocks.append(f"```{{dropdown}} {title}\n{h.strip()}\n```")
        return "\n\n".join(blocks)

    def solution_markdown(self) -> str:
        """The written solution as a notebook cell (a MyST dropdown "Solution"); "" when there is none.

        Its container has the class ``companion-solution``, so that a printed edition (which unfolds
        the hints' dropdowns) can leave the solutions out.
        """
        if not self.solution_text.strip():
            return ""
        return (f"```{{dropdown}} Solution\n:class-container: companion-solution\n\n{self.solution_text.strip()}\n\n"
                f"The code of this solution is in the next cell (click to show it).\n```")

    def _repr_markdown_(self):
        return self.markdown()

    def __str__(self):
        options = "".join(f"\n({o.label}) {o.text.strip()}" for o in self.options)
        return (f"Exercise {self.id} ({self.level}, {self.category}): {self.title}\n\n{self.statement.strip()}"
                f"{chr(10) if options else ''}{options}\n\nAnswer: {self.answer_text()}")

    def __repr__(self):
        return (f"Exercise({self.id!r}, {self.title!r}, level={self.level!r}, category={self.category!r}, "
                f"kind={self.kind!r}, mistakes={[m.name for m in self.mistakes]})")


def _no_data(rng) -> dict:
    """The data of a question that has none."""
    return {}


class _Labels:
    """The reference of a choice exercise: its correct labels, joined ("b", "a,c")."""

    def __init__(self, labels: tuple):
        self.labels = labels

    def __call__(self, **data) -> str:
        return ",".join(self.labels)
