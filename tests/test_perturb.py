"""Perturbation directions and first-order studies (companion.perturb; the 'perturb W' explorers)."""

from __future__ import annotations

import numpy as np
import pytest

from companion import least_squares
from companion.perturb import direction, first_order_study


@pytest.mark.parametrize("kind", ["random", "gradient", "entry", "rank-one"])
def test_directions_have_unit_norm(kind):
    rng = np.random.default_rng(0)
    G = rng.standard_normal((3, 4))
    d = direction(kind, (3, 4), rng=rng, grad=G, index=(2, 3))
    assert d.shape == (3, 4) and np.linalg.norm(d) == pytest.approx(1.0)
    if kind == "entry":
        assert d[2, 3] == 1.0 and np.count_nonzero(d) == 1
    if kind == "rank-one":
        assert np.linalg.matrix_rank(d) == 1
    if kind == "gradient":
        assert np.allclose(d, G / np.linalg.norm(G))


def test_first_order_study_remainder_is_quadratic():
    rng = np.random.default_rng(1)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    L, G = least_squares(W, x, b)
    dW = direction("random", W.shape, rng=rng)
    eps = np.geomspace(1, 1e-3, 7)
    s = first_order_study(lambda V: least_squares(V, x, b)[0], W, G, dW, eps)
    assert s.f0 == pytest.approx(L)
    assert np.allclose(s.predicted, eps * np.vdot(G, dW))
    assert np.allclose(s.ratio, 0.5 * np.sum((dW @ x) ** 2), rtol=1e-6)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: direction("diagonal", (2, 2)), ValueError, "kind"),
        (lambda: direction("random", (2, 2)), TypeError, "rng"),
        (lambda: direction("entry", (2, 2), index=(2, 0)), ValueError, "outside"),
        (lambda: direction("gradient", (2, 2), grad=np.zeros((2, 2))), ValueError, "zero"),
        (lambda: direction("gradient", (2, 2), grad=np.ones(3)), ValueError, r"\(3,\)"),
        (lambda: direction("rank-one", (4,), rng=np.random.default_rng()), ValueError, "matrix"),
        (lambda: first_order_study(np.sum, np.ones(2), np.ones(3), np.ones(2), [0.1]), ValueError, r"\(2,\)"),
    ],
)
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()
