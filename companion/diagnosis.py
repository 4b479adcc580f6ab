"""One diagnosis ladder for an answer, and one verdict type, shared by ``check_gradient`` and the exercises.

When an answer is not right, the same questions are asked in the same order, whoever asks:

1. the **shape** (expected vs got; a column ``(n, 1)`` where ``(n,)`` is asked is told exactly
   what to change, see ``shape_finding``), then whether it is **finite**;
2. the **transpose** of the right answer (square matrices);
3. the right answer with the opposite **sign**;
4. the right answer times a constant (**scale**, the factor named by :func:`describe_factor`;
   a factor within ``NEAR`` of 1 is left to the next step);
5. a **near miss**: within a relative error ``NEAR`` (about four significant digits) but not
   to the tolerance (typed digits, a rounded print): "give more digits", not "wrong method";
6. otherwise a **mismatch**, with the relative error and where it is largest.

The callers differ only in how they know the truth: an exercise compares with its reference
array, entry by entry; ``check_gradient`` compares directional derivatives with those of ``f``.
So each caller passes ``explains(candidates, tol=None)``, "is this candidate the truth?", and
the ladder tries the candidates (``G.T``, ``-G``, ``c G``) through it; the near miss and the
mismatch are told apart by the relative error the caller measures (``mismatch_finding``). Its findings are
keyword dictionaries for :class:`Verdict`, the one type of outcome (with one rendering: a box
in a notebook, text in a terminal).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._validate import as_number, shape_str
from .differentials import TaylorResult

# the steps (shape_finding, finite_finding, slip_finding, mismatch_finding) are the package's own, used by
# companion.checks and companion.exercises.grading; the public names are the verdict and the factor's name
__all__ = ["DIAGNOSES", "NEAR", "Verdict", "describe_factor"]

DIAGNOSES = (
    "correct", "not attempted", "invalid", "order", "shape", "not finite", "not differentiable", "known mistake",
    "wrong choice", "incomplete", "transpose", "sign", "near miss", "scale", "mismatch",
)

#: an answer within this relative error of the truth (but not within the tolerance) is a near miss
NEAR = 1e-3

_STYLE = {
    # outcome: (border/text colour, background, mark)
    "correct": ("#1b7837", "#eef7ee", "&#10004;"),
    "not attempted": ("#555555", "#f3f3f3", "&#8230;"),
    "wrong": ("#b2182b", "#fdf0f0", "&#10008;"),
}
_MARK = {"correct": "[ok]", "not attempted": "[..]", "wrong": "[x]"}


def reader_index(where) -> str:
    """An array index as the reader counts it, from 1 (``(0, 2)`` -> ``"(1, 3)"``); ``where`` itself stays 0-based."""
    return "(" + ", ".join(str(int(i) + 1) for i in where) + ")"


def _taylor_text(t: TaylorResult, ok: bool = True) -> str:
    if t.status == "round-off":
        return "Taylor test: the remainder is at round-off level (the linear model is exact here)"
    if not np.isfinite(t.order):
        return f"Taylor test: {t.status}"
    if t.order > 1.8 and not ok:  # the answer failed other directions: this one happens not to expose it
        return (f"Taylor test: along the first direction tried the remainder still looks second order "
                f"(eps^{t.order:.2f}): the error is too small along that direction to show there, and the "
                f"comparison along the other directions catches it")
    if t.order > 1.8:
        return f"Taylor test: the remainder shrinks like eps^{t.order:.2f}, second order: the linear model is right"
    return f"Taylor test: the remainder shrinks only like eps^{t.order:.2f} (a right derivative gives eps^2)"


@dataclass
class Verdict:
    """The outcome of a check. Truthy exactly when the answer is right.

    ``diagnosis`` is one of ``DIAGNOSES``; ``message`` says what was found and ``hint`` what to
    redo. ``mistake`` names a known mistake (``"known mistake"``); ``expected_shape``/``got_shape``
    are set for ``"shape"``; ``factor`` (the right answer is ``factor`` times yours) for
    ``"sign"`` and ``"scale"``; ``relative_error`` for ``"correct"``, ``"near miss"`` and
    ``"mismatch"``; ``where`` (an index) where the error is largest or the first NaN is;
    ``chosen`` the labels read from a choice answer; ``taylor`` and ``evidence`` the supporting
    measurement (a Taylor test, a dot-product test, a simulation). ``subject`` heads the box.
    """

    ok: bool
    diagnosis: str
    message: str
    hint: str = ""
    mistake: str | None = None
    expected_shape: tuple | None = None
    got_shape: tuple | None = None
    factor: float | None = None
    relative_error: float | None = None
    where: tuple | None = None
    taylor: TaylorResult | None = None
    evidence: str | None = None
    chosen: tuple | None = None
    subject: str = "Gradient check"

    def __post_init__(self):
        if self.diagnosis not in DIAGNOSES:
            raise ValueError(f"diagnosis must be one of {DIAGNOSES}, got {self.diagnosis!r}")

    def __bool__(self):
        return bool(self.ok)

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
        lines = [_taylor_text(self.taylor, self.ok)] if self.taylor is not None else []
        return lines + ([self.evidence] if self.evidence else [])

    def __str__(self):
        lines = [f"{_MARK[self.outcome]} {self.subject}: {self._headline()}", f"    {self.message}"]
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines + [f"    {e}" for e in self._evidence_lines()])

    def __repr__(self):
        extra = f", mistake={self.mistake!r}" if self.mistake else ""
        return f"{type(self).__name__}({self.subject!r}, ok={self.ok}, diagnosis={self.diagnosis!r}{extra})"

    def _repr_html_(self):
        color, background, mark = _STYLE[self.outcome]
        def esc(text: str) -> str:  # plain text, with `code` spans as <code>
            return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))

        parts = [
            f'<div class="exercise-feedback exercise-feedback-{self.outcome.replace(" ", "-")}" '
            f'style="border-left:5px solid {color};background:{background};padding:6px 12px;margin:6px 0;'
            f'border-radius:3px">',
            f'<div><b style="color:{color}">{mark} {esc(self.subject)}: {esc(self._headline())}</b></div>',
            f"<div>{esc(self.message)}</div>",
        ]
        if self.hint:
            parts.append(f"<div><i>Hint:</i> {esc(self.hint)}</div>")
        parts += [f'<div><small style="color:#444">{esc(e)}</small></div>' for e in self._evidence_lines()]
        return "".join(parts) + "</div>"


def describe_factor(c: float, tol: float = 1e-6) -> str:
    """Name a scale factor: ``2``, ``1/2``, ``sqrt(3)``, ``1/sqrt(8)``..., else its value."""
    c = as_number(c, "c", finite=False)
    tol = as_number(tol, "tol", positive=True)
    if c == 0 or not np.isfinite(c):
        return f"{c:.6g}"
    sign = "-" if c < 0 else ""
    a = abs(c)
    for k in range(1, 65):
        r = np.sqrt(k)
        for value, name in ((k, f"{k}"), (1 / k, f"1/{k}"), (r, f"sqrt({k})"), (1 / r, f"1/sqrt({k})")):
            if abs(a - value) <= tol * value:
                return sign + name
    return f"{c:.6g}"


# ----------------------------------------------------------------------------- the steps
def _shape_phrase(s: tuple) -> str:
    return "a single number" if s == () else f"shape {shape_str(s)}"


#: the shape step's generic hint (a caller that knows what is asked may say it in its own words)
SHAPE_HINT = ("the answer has the shape of the variable it is the gradient/cotangent of; "
              "check which dimensions your products contract")


def shape_finding(expected, got, *, name: str = "answer", expected_what: str = "") -> dict | None:
    """The shape step: ``None`` when the shapes agree, else the finding.

    A column ``(n, 1)`` (or a row ``(1, n)``) where ``(n,)`` is asked, and the reverse, hold
    the same numbers in another layout; they are not accepted silently (numpy would broadcast
    a column against a flat vector into an ``(n, n)`` array in the reader's next step), but
    told exactly what to change: "give an array of shape (n,): e.g. answer.ravel()" (``name`` is
    what the caller calls the answer). ``expected_what`` says where the expected shape comes from.
    """
    expected, got = tuple(expected), tuple(got)
    if expected == got:
        return None
    what = f" ({expected_what})" if expected_what else ""
    message = f"expected {_shape_phrase(expected)}{what}, got {_shape_phrase(got)}"
    hint = SHAPE_HINT
    if expected and [s for s in got if s != 1] == [s for s in expected if s != 1]:
        fix = f"{name}.ravel()" if len(expected) == 1 else f"{name}.reshape{shape_str(expected)}"
        message += f": give an array of {_shape_phrase(expected)}: e.g. {fix}"
        hint = "the same numbers in another layout: a vector is a flat array here, not a column or a row"
    elif len(got) == 2 and got[::-1] == expected:
        message += " (it looks transposed)"
    return {"diagnosis": "shape", "message": message, "hint": hint, "expected_shape": expected, "got_shape": got}


def finite_finding(g: np.ndarray) -> dict | None:
    """``None`` when every entry is finite, else the finding (with the first bad index)."""
    if np.all(np.isfinite(g)):
        return None
    where = tuple(int(i) for i in np.argwhere(~np.isfinite(g))[0]) if g.ndim else ()
    return {"diagnosis": "not finite",
            "message": "the answer contains NaN or inf"
                           + (f" (first at index {reader_index(where)}, counting from 1)" if where else ""),
            "hint": "look for a division by zero, a log of a non-positive number, or an overflowing exp",
            "where": where}


def _scale_hint(c: float, asked: str) -> str:
    name = describe_factor(c).lstrip("-")  # the sign is in the message ("opposite direction")
    if name in ("2", "1/2"):
        why = "a 1/2 that should cancel the 2 from differentiating a square (or cancelled twice)"
    elif "sqrt" in name:
        why = "a square root: a 1/sqrt(d) scaling applied twice, or not at all"
    elif name.replace("1/", "").isdigit():
        why = "a count: a sum taken as a mean (or the reverse), a batch size, a number of layers or terms"
    else:
        why = "a constant of the problem: a learning rate, a penalty weight, a variance"
    sign = ", and a minus sign lost or added" if c < 0 else ""
    return f"redo the derivation of {asked} keeping every constant: look for {why}{sign}"


def slip_finding(G: list, explains: Callable, *, factor: float, asked: str) -> dict | None:
    """The generic slips, in order: transpose, sign, scale; ``None`` if none explains ``G``.

    ``G`` is the answer (one array per trial input); ``explains(candidates)`` says whether a list
    of candidate arrays is the truth (to the check's tolerance); ``factor`` is the ``c`` that
    makes ``c G`` closest to the truth; ``asked`` names what the answer should be ("the gradient
    of f at the point", "the answer to 8.3.3 (Least squares with a ridge penalty)"). A single
    number has no scale slip (any wrong number is a multiple of the right one).
    """
    if all(g.ndim == 2 and g.shape[0] == g.shape[1] > 1 for g in G) and explains([g.T for g in G]):
        return {"diagnosis": "transpose", "message": f"your answer is the transpose of {asked}",
                "hint": f"check which index of {asked} belongs to what: entry (i, j) of a gradient pairs with entry "
                        "(i, j) of the variable (read it off dℒ = <G, dX>_F = tr(G^T dX)); row i of a Jacobian is "
                        "output i and column j is input j; and check the order of each outer product"}
    if explains([-g for g in G]):
        return {"diagnosis": "sign", "factor": -1.0,
                "message": f"right size and direction, opposite sign: your answer is -1 times {asked}",
                "hint": f"follow each minus sign through the derivation of {asked}: which term did you subtract, "
                        f"or which difference did you take the wrong way round?"}
    # a factor within NEAR of 1 is no slip of method: it is left to the near miss (see mismatch_finding)
    scalable = all(g.size > 1 for g in G) and np.isfinite(factor) and factor != 0 and abs(factor - 1) > NEAR
    if scalable and explains([factor * g for g in G]):
        # a negative factor (other than -1) reverses the direction as well: say so, not "right direction"
        how = "right direction, wrong scale" if factor > 0 else "opposite direction and wrong scale"
        return {"diagnosis": "scale", "factor": float(factor),
                "message": f"{how}: {asked} is {describe_factor(factor)} times yours",
                "hint": _scale_hint(factor, asked)}
    return None


def mismatch_finding(asked: str, rel: float, *, rtol: float, where=None, detail: str = "") -> dict:
    """The last rungs: a near miss (closer than ``NEAR``, give more digits) or a mismatch."""
    where = None if where is None else tuple(int(i) for i in where)
    if rtol < NEAR and rel < NEAR:
        return {"diagnosis": "near miss", "relative_error": rel, "where": where,
                "message": f"close: relative error {rel:.1g}; give more digits (the tolerance is {rtol:g})",
                "hint": "the method is right; pass the computed array or number itself, not digits copied from a print"}
    message = f"does not match {asked}: relative error {rel:.3g}"
    if where:
        message += f", largest at index {reader_index(where)} (counting from 1)"
    return {"diagnosis": "mismatch", "relative_error": rel, "where": where, "message": message + detail,
            "hint": f"none of the usual slips explains it; redo the derivation of {asked} step by step"}
