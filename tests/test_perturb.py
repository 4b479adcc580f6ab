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


def test_zoom_study_is_the_magnified_loss_and_its_tangent():
    """curves[k](s) = (L(W + s eps_k dW) - L(W)) / eps_k, approaching the tangent line s <G, dW>_F as eps -> 0
    (8.3: the first-order term of L(W + dW) - L(W) is <G, dW>_F); a batched f gives the same numbers."""
    from companion.perturb import S_GRID, zoom_study

    rng = np.random.default_rng(2)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    L, G = least_squares(W, x, b)
    dW = direction("random", W.shape, rng=rng)
    eps = np.array([1e-3, 1e-2, 1e-1, 1.0])
    z = zoom_study(lambda V: least_squares(V, x, b)[0], W, G, dW, eps)
    assert z.curves.shape == (4, S_GRID.size) and z.slope == pytest.approx(np.vdot(G, dW), rel=1e-12)
    for k, e in enumerate(eps):
        want = [(least_squares(W + s * e * dW, x, b)[0] - L) / e for s in S_GRID]
        np.testing.assert_allclose(z.curve(k), want, rtol=1e-12, atol=1e-12)
        # the loss is quadratic in W: the curve leaves its tangent by exactly eps s^2 |dW x|^2 / 2
        np.testing.assert_allclose(z.curve(k) - S_GRID * z.slope, e * S_GRID**2 * np.sum((dW @ x) ** 2) / 2, atol=1e-9)
    lo, hi = z.ylim
    assert lo < min(z.curves.min(), (S_GRID * z.slope).min()) and hi > max(z.curves.max(), (S_GRID * z.slope).max())

    def batched(Ws):
        return 0.5 * np.sum((Ws @ x - b) ** 2, axis=-1)

    zb = zoom_study(batched, W, G, dW, eps, batched=True)
    np.testing.assert_allclose(zb.curves, z.curves, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="one value per point"):
        zoom_study(lambda Ws: np.zeros(3), W, G, dW, eps, batched=True)
    with pytest.raises(ValueError, match="shape of x"):
        zoom_study(lambda V: 0.0, W, G[:2], dW, eps)
