"""Evidence shown with a verdict: the Taylor test of a derivative, the dot-product test of an adjoint.

Each helper builds an ``evidence(data, answer)`` function for an :class:`companion.exercises.Exercise`. They
reuse the package's own checks (:func:`companion.check_gradient`,
:func:`companion.taylor_test`, :func:`companion.dot_product_test`), so an exercise is
graded by the same measurements the book uses on its own formulas.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_callable
from ..checks import check_gradient
from ..differentials import taylor_test
from ..spaces import dot_product_test

__all__ = ["gradient_evidence", "differential_evidence", "adjoint_evidence"]


def gradient_evidence(objective):
    """Evidence for a gradient answer ``G`` of a scalar ``f`` at ``x``: ``objective(**data) -> (f, x)``.

    Returns the Taylor test of ``f(x) + eps <G, V>_F`` along a random ``V`` (order 2 when
    ``G`` is the gradient), from :func:`companion.check_gradient`.
    """
    check_callable(objective, "objective")

    def evidence(data, G):
        f, x = objective(**data)
        return check_gradient(f, x, G, rng=np.random.default_rng(1)).taylor

    return evidence


def differential_evidence(objective):
    """Evidence for a claimed differential: ``objective(data, answer) -> (F, x, v, dFv)``.

    The Taylor test of ``F(x + eps v) - F(x) - eps dFv``.
    """
    check_callable(objective, "objective")

    def evidence(data, answer):
        F, x, v, dFv = objective(data, answer)
        return taylor_test(F, x, v, dFv)

    return evidence


def adjoint_evidence(objective):
    """Evidence for a claimed adjoint: ``objective(data, answer) -> (A, A_adj, x_shape, inner_x, inner_y)``.

    The dot-product test ``<A v, w>_Y`` vs ``<v, A* w>_X`` (about 1e-16 for the adjoint).
    """
    check_callable(objective, "objective")

    def evidence(data, answer):
        A, A_adj, x_shape, inner_x, inner_y = objective(data, answer)
        mis = dot_product_test(A, A_adj, x_shape, rng=np.random.default_rng(2), inner_x=inner_x, inner_y=inner_y)
        verdict = "the adjoint identity holds" if mis < 1e-10 else "so this is not the adjoint"
        return f"dot-product test: |<A v, w> - <v, A* w>| is {mis:.1e} of its size for random v, w ({verdict})"

    return evidence
