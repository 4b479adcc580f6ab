"""``Feedback``: the verdict on an exercise's answer, a :class:`companion.diagnosis.Verdict` headed by the exercise.

One type and one rendering for every check of the package (a green/red/grey box in a
notebook, text in a terminal): ``check_gradient``'s report is the same type with another heading.
"""

from __future__ import annotations

from ..diagnosis import DIAGNOSES, Verdict

__all__ = ["Feedback", "DIAGNOSES"]


class Feedback(Verdict):
    """The outcome of :func:`companion.exercises.check`. Truthy exactly when the answer is right.

    ``Feedback(exercise_id, ok, diagnosis, message, **fields)``: ``diagnosis`` is one of
    ``companion.exercises.DIAGNOSES``; the other fields are those of
    :class:`companion.diagnosis.Verdict` (``hint``, ``mistake``, ``expected_shape``/``got_shape``,
    ``factor``, ``relative_error``, ``where``, ``taylor``, ``evidence``, ``chosen``). For a choice
    question, ``"wrong choice"`` names each wrongly chosen option with why it is wrong and
    ``"incomplete"`` says that a true option is missing.
    """

    def __init__(self, exercise_id: str, ok: bool, diagnosis: str, message: str, **fields):
        super().__init__(ok, diagnosis, message, subject=f"Exercise {exercise_id}", **fields)
        self.exercise_id = exercise_id
