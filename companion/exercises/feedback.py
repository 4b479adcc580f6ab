"""``Feedback``: the verdict on an answer, naming the mistake; a box in a notebook, text in a terminal."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from ..differentials import TaylorResult

__all__ = ["Feedback", "DIAGNOSES"]

DIAGNOSES = (
    "correct",
    "not attempted",
    "invalid",
    "shape",
    "not finite",
    "known mistake",
    "wrong choice",
    "incomplete",
    "transpose",
    "sign",
    "scale",
    "mismatch",
)

_STYLE = {
    # outcome: (border/text colour, background, mark)
    "correct": ("#1b7837", "#eef7ee", "&#10004;"),
    "not attempted": ("#555555", "#f3f3f3", "&#8230;"),
    "wrong": ("#b2182b", "#fdf0f0", "&#10008;"),
}


def _taylor_text(t: TaylorResult) -> str:
    if t.status == "round-off":
        return "Taylor test: the remainder is at round-off level (the linear model is exact here)"
    if not np.isfinite(t.order):
        return f"Taylor test: {t.status}"
    if t.order > 1.8:
        return f"Taylor test: the remainder shrinks like eps^{t.order:.2f}, second order: the linear model is right"
    return f"Taylor test: the remainder shrinks only like eps^{t.order:.2f} (a right derivative gives eps^2)"


@dataclass
class Feedback:
    """The outcome of :func:`companion.exercises.check`. Truthy exactly when the answer is right.

    ``diagnosis`` is one of the strings in ``companion.exercises.DIAGNOSES``. ``mistake``
    names the known mistake when the diagnosis is ``"known mistake"``;
    ``expected_shape``/``got_shape`` are set for ``"shape"``; ``factor`` (the right answer
    is ``factor`` times yours) for ``"scale"`` and ``"sign"``; ``relative_error`` and
    ``where`` for ``"mismatch"``. ``taylor`` and ``evidence`` carry the supporting
    measurement (a Taylor test, a dot-product test, a simulation) when there is one.
    ``chosen`` holds the labels read from the answer to a choice question (``"wrong choice"``:
    a chosen option is wrong, each named with why; ``"incomplete"``: right so far, some true
    option missing).
    """

    exercise_id: str
    ok: bool
    diagnosis: str
    message: str
    hint: str = ""
    mistake: str | None = None
    expected_shape: tuple | None = None
    got_shape: tuple | None = None
    factor: float | None = None
    relative_error: float | None = None
    where: str | None = None
    taylor: TaylorResult | None = None
    evidence: str | None = None
    chosen: tuple | None = None

    def __post_init__(self):
        if self.diagnosis not in DIAGNOSES:
            raise ValueError(f"diagnosis must be one of {DIAGNOSES}, got {self.diagnosis!r}")

    def __bool__(self):
        return self.ok

    @property
    def outcome(self) -> str:
        """``"correct"``, ``"not attempted"`` or ``"wrong"`` (the colour of the box)."""
        if self.ok:
            return "correct"
        return "not attempted" if self.diagnosis == "not attempted" else "wrong"

    def _headline(self) -> str:
        if self.ok:
            return "correct"
        if self.diagnosis == "known mistake":
            return f"known mistake: {self.mistake}"
        return self.diagnosis

    def _evidence_lines(self) -> list:
        lines = []
        if self.taylor is not None:
            lines.append(_taylor_text(self.taylor))
        if self.evidence:
            lines.append(self.evidence)
        return lines

    def __str__(self):
        mark = {"correct": "[ok]", "not attempted": "[..]", "wrong": "[x]"}[self.outcome]
        lines = [f"{mark} Exercise {self.exercise_id}: {self._headline()}", f"    {self.message}"]
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        lines += [f"    {e}" for e in self._evidence_lines()]
        return "\n".join(lines)

    def __repr__(self):
        return f"Feedback({self.exercise_id!r}, ok={self.ok}, diagnosis={self.diagnosis!r}" + (
            f", mistake={self.mistake!r})" if self.mistake else ")"
        )

    def _repr_html_(self):
        color, background, mark = _STYLE[self.outcome]
        esc = html.escape
        parts = [
            f'<div class="exercise-feedback exercise-feedback-{self.outcome.replace(" ", "-")}" '
            f'style="border-left:5px solid {color};background:{background};padding:6px 12px;margin:6px 0;border-radius:3px">',
            f'<div><b style="color:{color}">{mark} Exercise {esc(self.exercise_id)}: {esc(self._headline())}</b></div>',
            f"<div>{esc(self.message)}</div>",
        ]
        if self.hint:
            parts.append(f"<div><i>Hint:</i> {esc(self.hint)}</div>")
        for e in self._evidence_lines():
            parts.append(f'<div><small style="color:#444">{esc(e)}</small></div>')
        parts.append("</div>")
        return "".join(parts)
