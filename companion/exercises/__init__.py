"""Exercises for Chapter 8, with feedback that names the mistake.

Usage, in a notebook or a terminal::

    import numpy as np
    from companion.exercises import check, get, show
    show("8.3.1")                      # the statement (renders in a notebook)
    ex = get("8.3.1")
    W, x, b = ex.data["W"], ex.data["x"], ex.data["b"]
    check("8.3.1", np.outer(x, W @ x - b))
    # -> known mistake: x r^T, the outer product the wrong way round (+ a targeted hint)

Each exercise (:class:`companion.exercises.Exercise`) holds its data (built from a fixed
seed), a reference solution, and named mistakes (:class:`companion.exercises.Mistake`),
each a way of computing a typical wrong answer plus a hint aimed at that slip.
:func:`companion.exercises.check` returns a :class:`companion.exercises.Feedback`: truthy
when right; a green/red/grey box in a notebook, plain text in a terminal. It says
"correct" (with the Taylor test or dot-product test as evidence when a derivative or an
adjoint is involved) or names what is wrong: a known mistake, the shape (expected vs
got), the transpose, the sign, a constant factor, or the relative error and where it is
largest. ``None`` is "not attempted yet"; nothing the reader passes makes it raise.

One module per section, named after its idea:
:mod:`companion.exercises.linearization` (8.1),
:mod:`companion.exercises.matrix_gradients` (8.2),
:mod:`companion.exercises.trace_principle` (8.3),
:mod:`companion.exercises.adjoints` (8.4),
:mod:`companion.exercises.backprop` (8.5),
:mod:`companion.exercises.attention` (8.6),
:mod:`companion.exercises.optimizer_geometry` (8.7),
:mod:`companion.exercises.initialization` (8.8).
Importing builds no data: each exercise builds its own on first use.
"""

# the sections register their exercises on import (the registry keeps them in the chapter's order):
# linearization 8.1, matrix_gradients 8.2, trace_principle 8.3, adjoints 8.4, backprop 8.5,
# attention 8.6, optimizer_geometry 8.7, initialization 8.8
from . import (  # noqa: F401  (imported for their registration, not used by name)
    adjoints,
    attention,
    backprop,
    initialization,
    linearization,
    matrix_gradients,
    optimizer_geometry,
    trace_principle,
)
from .exercise import CATEGORIES, KINDS, LEVELS, Exercise, Mistake, Option
from .feedback import DIAGNOSES, Feedback
from .grading import check
from .registry import EXERCISES, by_section, get, intro, listing, progress, register, show

__all__ = [
    "CATEGORIES", "DIAGNOSES", "EXERCISES", "Exercise", "Feedback", "KINDS", "LEVELS", "Mistake", "Option",
    "by_section", "check", "get", "intro", "listing", "progress", "register", "show",
]
