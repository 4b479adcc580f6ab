"""Two numerically stable maps shared by the engine's primitives and the hand-written models.

Kept apart so that the engine (:mod:`companion.rules`) and :mod:`companion.models` use the
same numbers without one importing the other. No argument checks here: callers check.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "softmax", "normalized_exp"]


def sigmoid(x):
    """1 / (1 + e^{-x}) without overflow: only exp of non-positive numbers is taken."""
    e = np.exp(-np.abs(x))
    s = 1 / (1 + e)
    return np.where(x >= 0, s, e * s)


def normalized_exp(d, axis):
    """exp(d) / sum exp(d) along ``axis``, computed in place in ``d`` (``d`` is x - max x, so exp(d) <= 1)."""
    np.exp(d, out=d)
    d /= d.sum(axis=axis, keepdims=True)
    return d


def softmax(x, axis=-1):
    """exp(x - max x) / sum exp(x - max x) along ``axis`` (the shift changes nothing but overflow).

    A row whose maximum is infinite gets its limit, never NaN: the weight is shared by the
    entries equal to ``+inf`` (or, in a row of ``-inf`` only, by all entries).
    """
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        d = x - m
    if np.isinf(m).any():
        np.copyto(d, 0.0, where=(x == m) & np.isinf(m))
    return normalized_exp(d, axis)
