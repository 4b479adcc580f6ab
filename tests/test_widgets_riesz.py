"""8.2 explorer (gradient as Riesz representer): built headlessly, driven programmatically,
numbers checked against independent computations (the loss, its gradient and the metric are
written out again here, not imported)."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.widgets import make_riesz_explorer
from companion.widgets._base import LOSS
from companion.widgets._base import parse_readout as numbers
from companion.widgets.riesz import DIRECTIONS, KAPPA_GRID, readout, representers, riesz_problem

A = np.array([[1.0, 0.5], [-1.0, 1.0], [0.0, -1.0]])
C = np.array([0.0, 0.3, -0.2])


def loss(w):
    return float(np.log(np.sum(np.exp(A @ w + C))))


def grad(w):
    p = np.exp(A @ w + C)
    return A.T @ (p / p.sum())


def metric(kappa, theta_deg):
    t = np.radians(theta_deg)
    u1, u2 = np.array([np.cos(t), np.sin(t)]), np.array([-np.sin(t), np.cos(t)])
    return np.outer(u1, u1) + kappa * np.outer(u2, u2)


@pytest.fixture(scope="module")
def explorer():
    return make_riesz_explorer()


def test_main_slider_runs_over_kappa(explorer):
    assert explorer.values == list(KAPPA_GRID) and len(KAPPA_GRID) == 13
    assert KAPPA_GRID[6] == 1.0 and KAPPA_GRID[0] == pytest.approx(0.25) and KAPPA_GRID[-1] == pytest.approx(4.0)


def test_main_slider_changes_the_gradient_not_the_differential(explorer):
    explorer.slider.index = 1
    n1 = numbers(explorer.readout)
    explorer.slider.index = 11
    n11 = numbers(explorer.readout)
    assert n1["angle(g_E,g_M) deg"] > 5 and n11["angle(g_E,g_M) deg"] > 5
    assert n1["|g_M|_M"] != n11["|g_M|_M"]
    for name in DIRECTIONS:  # the differential does not depend on the metric
        assert n1[f"d{LOSS}[{name}]"] == n11[f"d{LOSS}[{name}]"]
        assert n1[f"<g_M,{name}>_M"] == pytest.approx(n11[f"<g_M,{name}>_M"], rel=1e-3)
    explorer.slider.index = 6  # kappa = 1: the Euclidean metric, one gradient
    assert numbers(explorer.readout)["angle(g_E,g_M) deg"] == pytest.approx(0.0, abs=1e-4)


@pytest.mark.parametrize("w1,w2,theta", [(-1.1, -0.7, 30.0), (1.3, 0.4, 75.0), (0.2, 1.8, 150.0)])
def test_readout_numbers_are_right(w1, w2, theta):
    w = np.array([w1, w2])
    prob = riesz_problem(w1, w2, theta)
    c = grad(w)
    np.testing.assert_allclose(prob.c, c, rtol=1e-13)
    assert prob.value == pytest.approx(loss(w), rel=1e-13)
    for kappa in KAPPA_GRID:
        r = readout(prob, kappa)
        M = metric(kappa, theta)
        g_M = np.linalg.solve(M, c)
        for name, v in DIRECTIONS.items():
            h = 1e-6
            fd = (loss(w + h * v) - loss(w - h * v)) / (2 * h)
            assert r[f"d{LOSS}[{name}]"] == pytest.approx(fd, rel=1e-6, abs=1e-9)
            assert r[f"<g_E,{name}>"] == pytest.approx(c @ v, rel=1e-12, abs=1e-14)
            assert r[f"<g_M,{name}>_M"] == pytest.approx(g_M @ M @ v, rel=1e-10, abs=1e-12)
            assert r[f"<g_M,{name}>_M"] == pytest.approx(fd, rel=1e-6, abs=1e-9)
        cos = c @ g_M / (np.linalg.norm(c) * np.linalg.norm(g_M))
        assert r["angle(g_E,g_M) deg"] == pytest.approx(np.degrees(np.arccos(np.clip(cos, -1, 1))), abs=1e-6)
        assert r["|g_E|"] == pytest.approx(np.linalg.norm(c), rel=1e-12)
        assert r["|g_M|_M"] == pytest.approx(np.sqrt(c @ g_M), rel=1e-10)


@pytest.mark.parametrize("kappa", [KAPPA_GRID[0], KAPPA_GRID[4], KAPPA_GRID[-1]])
def test_steepest_ascent_directions_maximise_on_each_unit_ball(kappa):
    prob = riesz_problem(-1.1, -0.7, 30.0)
    r = representers(prob, kappa)
    M = metric(kappa, 30.0)
    t = np.linspace(0, 2 * np.pi, 20001)
    U = np.stack([np.cos(t), np.sin(t)])
    ellipse = U / np.sqrt(np.einsum("in,ij,jn->n", U, M, U))  # |v|_M = 1
    assert r.s_M @ M @ r.s_M == pytest.approx(1.0)
    assert prob.c @ r.s_M == pytest.approx((prob.c @ ellipse).max(), rel=1e-6)
    assert prob.c @ r.s_E == pytest.approx((prob.c @ U).max(), rel=1e-6)
    # the M-steepest direction is along g_M, not along g_E (unless kappa = 1)
    np.testing.assert_allclose(r.s_M / np.linalg.norm(r.s_M), r.g_M / np.linalg.norm(r.g_M), atol=1e-12)
    assert np.abs(r.s_M / np.linalg.norm(r.s_M) - r.s_E).max() > 0.05


def test_live_controls_rerender_and_shown_numbers_match():
    e = make_riesz_explorer(kappa_index=2)
    before = e.image
    e.controls["theta"].value = 100.0
    assert e.last_error is None and e.image != before
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["w1"].value = 0.9
        e.controls["w2"].value = 1.2
    assert e.last_error is None
    shown = numbers(e.readout)
    w, kappa = np.array([0.9, 1.2]), KAPPA_GRID[2]
    c = grad(w)
    g_M = np.linalg.solve(metric(kappa, 100.0), c)
    assert shown[f"d{LOSS}[e1]"] == pytest.approx(c[0], rel=1e-3)
    assert shown["|g_M|_M"] == pytest.approx(np.sqrt(c @ g_M), rel=1e-3)


def test_zero_gradient_is_a_clear_error():
    # the minimiser of ℒ: solve grad = 0 by Newton's method, independently of the package
    w = np.zeros(2)
    for _ in range(50):
        p = np.exp(A @ w + C)
        p /= p.sum()
        H = A.T @ (np.diag(p) - np.outer(p, p)) @ A
        w = w - np.linalg.solve(H, A.T @ p)
    assert np.linalg.norm(grad(w)) < 1e-12
    with pytest.raises(ValueError, match=f"d{LOSS} is zero"):
        riesz_problem(w[0], w[1], 0.0)


def test_bad_defaults_rejected_and_ranges_clamped():
    with pytest.raises(ValueError, match="theta must be a finite number"):
        make_riesz_explorer(theta=float("inf"))
    with pytest.raises(ValueError, match="w1"):
        make_riesz_explorer(w1="left")
    e = make_riesz_explorer(w1=7.0, w2=-7.0, kappa_index=-3)
    assert e.controls["w1"].value == 2.0 and e.controls["w2"].value == -2.0
    assert e.index == 0


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (arrows, level lines of dℒ, rates, limits)."""
    e = make_riesz_explorer()
    assert_updates_like_a_fresh_one(
        e,
        make_riesz_explorer,
        [dict(theta=90.0), dict(w1=1.5), dict(w2=2.0, theta=15.0), dict(w1=0.0, w2=0.1)],
        index="kappa_index",
    )
