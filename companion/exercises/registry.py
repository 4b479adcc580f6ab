"""The registry of exercises: ``EXERCISES`` (by id, in order), ``get``, ``by_section``, ``show``, ``listing``."""

from __future__ import annotations

from .._validate import describe
from .exercise import Exercise

__all__ = ["EXERCISES", "register", "get", "by_section", "show", "listing", "Markdown"]

#: every exercise, by id, in the order of the chapter
EXERCISES: dict = {}


def _key(eid: str):
    return tuple(int(k) for k in eid.split("."))


def register(*exercises: Exercise) -> None:
    """Add exercises to ``companion.exercises.EXERCISES`` (ids must be new); keeps the chapter's order."""
    for ex in exercises:
        if not isinstance(ex, Exercise):
            raise TypeError(f"register: each exercise must be an Exercise, got {describe(ex)}")
        if ex.id in EXERCISES:
            raise ValueError(f"register: exercise {ex.id} is already registered")
        EXERCISES[ex.id] = ex
    ordered = sorted(EXERCISES.items(), key=lambda kv: _key(kv[0]))
    EXERCISES.clear()
    EXERCISES.update(ordered)


def get(exercise_id) -> Exercise:
    """The exercise with this id, e.g. ``get("8.3.1")``; ``ValueError`` naming the known ids otherwise."""
    if isinstance(exercise_id, Exercise):
        return exercise_id
    if not isinstance(exercise_id, str):
        raise TypeError(f"exercise_id must be a string like '8.3.1', got {describe(exercise_id)}")
    try:
        return EXERCISES[exercise_id.strip()]
    except KeyError:
        raise ValueError(f"exercise_id: no exercise {exercise_id!r}; known ids: {', '.join(EXERCISES)}") from None


def by_section(section) -> list:
    """The exercises of one section, easiest first: ``by_section("8.3")`` (or ``3``, or ``8.3``)."""
    s = str(section).strip()
    if s.isdigit():
        s = f"8.{s}"
    out = [ex for ex in EXERCISES.values() if ex.section == s]
    if not out:
        raise ValueError(f"no exercises for section {section!r}; sections: {sorted({e.section for e in EXERCISES.values()}, key=_key)}")
    return out


class Markdown:
    """Markdown text that renders in a notebook (``_repr_markdown_``) and prints as itself."""

    def __init__(self, text: str):
        if not isinstance(text, str):
            raise TypeError(f"text must be a string (markdown), got {describe(text)}")
        self.text = text

    def _repr_markdown_(self):
        return self.text

    def __str__(self):
        return self.text

    __repr__ = __str__


def show(exercise_id) -> Markdown:
    """The statement of an exercise, rendered (put it last in a notebook cell), or printed."""
    return Markdown(get(exercise_id).markdown())


def listing(section=None) -> Markdown:
    """A table of the exercises (of one section, or all): id, level, title, the mistakes diagnosed."""
    exs = by_section(section) if section is not None else list(EXERCISES.values())
    rows = ["| id | level | title | known mistakes |", "|---|---|---|---|"]
    for ex in exs:
        cells = (ex.id, ex.level, ex.title, "; ".join(m.name for m in ex.mistakes))
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return Markdown("\n".join(rows))
