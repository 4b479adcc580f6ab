"""The registry of exercises: ``EXERCISES`` (by id, in order), ``get``, ``by_section``, ``show``, ``listing``,
``intro`` (what a section's exercises are and how they work) and the reader's ``progress`` in this session."""

from __future__ import annotations

import re
import textwrap

from .._validate import as_choice, describe
from .exercise import CATEGORIES, Exercise

__all__ = ["EXERCISES", "register", "get", "by_section", "show", "listing", "intro", "progress", "Markdown"]

#: every exercise, by id, in the order of the chapter
EXERCISES: dict = {}

#: the outcome of the reader's checks in this kernel, by id: "correct" once right, else "attempted"
#: (kept in memory only: nothing is written to disk)
SESSION: dict = {}


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
        known = sorted({e.section for e in EXERCISES.values()}, key=_key)
        raise ValueError(f"no exercises for section {section!r}; sections: {known}")
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


def _table(header: tuple, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in rows]
    return "\n".join(lines)


def listing(section=None, category=None) -> Markdown:
    """A table of the exercises (of one section, or all; of one category, or all):
    id, level, category, title, the mistakes diagnosed."""
    if category is not None:
        category = as_choice(category, "category", CATEGORIES)
    exs = by_section(section) if section is not None else list(EXERCISES.values())
    exs = [ex for ex in exs if category is None or ex.category == category]
    rows = [(ex.id, ex.level, ex.category, ex.title, "; ".join(m.name for m in ex.mistakes)) for ex in exs]
    return Markdown(_table(("id", "level", "category", "title", "known mistakes"), rows))


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _number(n: int) -> str:
    """``n`` in words up to ten, in digits above."""
    return _WORDS[n] if n < len(_WORDS) else str(n)


def _count(n: int, one: str, many: str) -> str:
    """``"one drill"``, ``"four drills"``."""
    return f"{_number(n)} {one if n == 1 else many}"


def _paragraph(text: str, width: int = 112) -> str:
    """``text`` wrapped at ``width``, never inside a code span."""
    spans = re.split(r"(`[^`]*`)", " ".join(text.split()))
    glued = "".join(p.replace(" ", "\0") if p.startswith("`") else p for p in spans)
    return textwrap.fill(glued, width, break_long_words=False, break_on_hyphens=False).replace("\0", " ")


def intro(section) -> Markdown:
    """The introduction to one section's exercises, as its page shows it above them: the heading, the three
    categories (with this section's counts), how an answer is given and checked, the graded hints, the written
    solution, and the progress cell at the end. ``_ext/sync_exercises.py`` writes it into every section notebook,
    so the eight pages say the same thing in the same words."""
    exs = by_section(section)
    count = {c: sum(ex.category == c for ex in exs) for c in CATEGORIES}
    kinds = (
        f"The {_number(len(exs))} exercises of section {exs[0].section} are "
        f"of three kinds, each named under its title with its level: "
        f"{_count(count['drill'], '*drill*', '*drills*')} (the page's method on the page's objects), "
        f"{_count(count['transfer'], '*transfer* problem', '*transfer* problems')} (the method carried to an "
        f"object the page does not treat) and {_count(count['concept'], '*concept* question', '*concept* questions')} "
        f"(choose the true statements among labelled options)."
    )
    answer = (
        "The data of an exercise, if it has any, are in `get(id).data`. Write your answer in its answer cell in "
        "place of `None` and run the cell: `check(id, answer)` says whether the answer is right, with the "
        "evidence where the exercise has a measurement to show (a Taylor test, a dot-product test, a simulation); "
        "otherwise it names the mistake when it recognizes one (a transpose, a sign, a missing factor, a wrong "
        "shape, too few digits, or a slip typical of this section). For a concept question it says why each "
        "wrong choice is wrong, and once you are right, why every option is what it is."
    )
    help_ = (
        "Under each exercise, two or three graded hints open one at a time, the last being the key step; then "
        "come the written solution and its code, both folded. The cell at the end of the page shows which "
        "exercises of this section you have answered correctly in this session."
    )
    return Markdown("## Exercises\n\n" + "\n\n".join(_paragraph(p) for p in (kinds, answer, help_)))


def note_attempt(exercise_id: str, feedback) -> None:
    """Record a checked answer for :func:`progress` ("not attempted" answers are not attempts)."""
    if feedback.ok:
        SESSION[exercise_id] = "correct"
    elif feedback.diagnosis != "not attempted" and SESSION.get(exercise_id) != "correct":
        SESSION[exercise_id] = "attempted"


def progress(section=None) -> Markdown:
    """Which exercises (of one section, or all) were answered correctly in this session, which were
    attempted and are not right yet, and which were not attempted; kept in this kernel only."""
    exs = by_section(section) if section is not None else list(EXERCISES.values())
    state = {"correct": "right", "attempted": "tried, not yet right"}
    rows = [(ex.id, ex.title, ex.category, state.get(SESSION.get(ex.id), "not attempted")) for ex in exs]
    n_right = sum(SESSION.get(ex.id) == "correct" for ex in exs)
    n_tried = sum(SESSION.get(ex.id) == "attempted" for ex in exs)
    where = f"section {exs[0].section}" if section is not None else "the chapter"
    head = (f"**Your progress in {where}** (this session): {n_right} of {len(exs)} right, "
            f"{n_tried} tried and not yet right, {len(exs) - n_right - n_tried} not attempted.")
    return Markdown(head + "\n\n" + _table(("exercise", "title", "category", "status"), rows))
