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
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .._validate import as_choice, as_int, as_number, as_seed, check_callable, describe

__all__ = ["Mistake", "Exercise", "KINDS", "LEVELS"]

KINDS = ("array", "number", "function")
LEVELS = ("easy", "medium", "hard")
_ID = re.compile(r"^8\.[1-8]\.[1-9][0-9]?$")


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


def _shape_text(a) -> str:
    if isinstance(a, (int, float, np.integer, np.floating)):
        return "a number"
    a = np.asarray(a)
    if a.ndim == 0:
        return "a number"
    return "(" + ", ".join(str(s) for s in a.shape) + ("," if a.ndim == 1 else "") + ")"


@dataclass(eq=False)
class Exercise:
    """One exercise of the companion (see the module docstring for the conventions).

    The fields:

    - ``id``: ``"8.S.k"`` (section S, number k within the section); ``title``; ``level``,
      one of ``"easy"``, ``"medium"``, ``"hard"``;
    - ``statement``: markdown with ``$math$``, in the chapter's notation;
    - ``build``: ``rng -> dict`` of the problem data (arrays and numbers), from ``seed``;
    - ``solution``: ``(**data) -> reference answer`` (an array, a number, a tuple, or a function);
    - ``kind``: ``"array"`` (also a tuple of arrays, see ``outputs``), ``"number"`` or ``"function"``;
    - ``mistakes``: the known mistakes, checked before the generic transpose/sign/scale diagnosis;
    - ``hint``: markdown, shown collapsed in the book;
    - ``solution_code``: plain numpy code that sets ``solution``, with the data's names in scope;
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
    build: Callable[..., dict]
    solution: Callable
    kind: str = "array"
    mistakes: tuple = ()
    hint: str = ""
    solution_code: str = ""
    signature: str | None = None
    trials: Callable | None = None
    outputs: tuple = ()
    evidence: Callable | None = None
    answer_note: str = ""
    rtol: float = 1e-6
    seed: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise (ValueError if isinstance(self.id, str) else TypeError)(f"exercise id must look like '8.3.1', got {self.id!r}")
        as_choice(self.kind, f"exercise {self.id}: kind", KINDS)
        as_choice(self.level, f"exercise {self.id}: level", LEVELS)
        for what in ("title", "statement", "hint", "solution_code", "answer_note"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"exercise {self.id}: {what} must be a string, got {describe(getattr(self, what))}")
        for what in ("build", "solution"):
            check_callable(getattr(self, what), f"exercise {self.id}: {what}")
        for what in ("trials", "evidence"):
            if getattr(self, what) is not None:
                check_callable(getattr(self, what), f"exercise {self.id}: {what}")
        if self.signature is not None and not isinstance(self.signature, str):
            raise TypeError(f"exercise {self.id}: signature must be a string such as 'f(x, y)', got {describe(self.signature)}")
        if not isinstance(self.mistakes, (tuple, list)) or not all(isinstance(m, Mistake) for m in self.mistakes):
            raise TypeError(f"exercise {self.id}: mistakes must be a tuple of Mistake, got {describe(self.mistakes)}")
        if not isinstance(self.outputs, (tuple, list)) or not all(isinstance(o, str) for o in self.outputs):
            raise TypeError(f"exercise {self.id}: outputs must be a tuple of names (strings), got {describe(self.outputs)}")
        self.rtol = as_number(self.rtol, f"exercise {self.id}: rtol", positive=True)
        self.seed = as_seed(self.seed, f"exercise {self.id}: seed")
        if self.kind == "function" and (not self.signature or self.trials is None):
            raise ValueError(f"exercise {self.id}: a function exercise needs a signature and trials")
        names = [m.name for m in self.mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"exercise {self.id}: mistake names must be distinct, got {names}")

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

    # ------------------------------------------------------------------ data
    def _data(self) -> dict:
        """The pristine data (built once, from ``seed``); grading reads this copy only."""
        if "data" not in self._cache:
            data = self.build(np.random.default_rng(self.seed))
            for v in data.values():
                if isinstance(v, np.ndarray):
                    v.setflags(write=False)
            self._cache["data"] = data
        return self._cache["data"]

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
        if "trials" not in self._cache:
            data = self._data()
            first = tuple(data[a] for a in self.arg_names)
            more = self.trials(np.random.default_rng(10_000 + self.seed), **self.data)
            trials = [first] + [tuple(t) for t in more]
            for t in trials:
                for a in t:
                    if isinstance(a, np.ndarray):
                        a.setflags(write=False)
            self._cache["trials"] = trials
        return self._cache["trials"]

    # ------------------------------------------------------------------ text
    def answer_text(self) -> str:
        """How the answer is given, in words."""
        if self.answer_note:
            return self.answer_note
        if self.kind == "function":
            return f"a function `{self.signature}`"
        if self.kind == "number":
            return "a number"
        ref = self.reference()
        if isinstance(ref, tuple):
            return "a tuple " + ", ".join(f"`{n}` {_shape_text(r)}" for n, r in zip(self.outputs, ref))
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

    def markdown(self, heading_level: int = 3) -> str:
        """The statement as markdown: heading (level 1 to 6), text, data and what to answer."""
        head = "#" * as_int(heading_level, "heading_level", min=1, max=6) + f" Exercise {self.id}: {self.title}"
        lines = [head, "", f"*{self.level}*", "", self.statement.strip(), ""]
        if self._data():
            lines.append(f"**Data** (in `get(\"{self.id}\").data`): {self.data_text()}.")
            lines.append("")
        lines.append(f"**Answer**: {self.answer_text()}, checked by `check(\"{self.id}\", answer)`.")
        return "\n".join(lines)

    def _repr_markdown_(self):
        return self.markdown()

    def __str__(self):
        return f"Exercise {self.id} ({self.level}): {self.title}\n\n{self.statement.strip()}\n\nAnswer: {self.answer_text()}"

    def __repr__(self):
        return f"Exercise({self.id!r}, {self.title!r}, level={self.level!r}, kind={self.kind!r}, mistakes={[m.name for m in self.mistakes]})"
