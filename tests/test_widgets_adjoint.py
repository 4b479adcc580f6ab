"""8.4 explorer (the adjoint): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.pullbacks import plane_map
from companion.spaces import plane_metric, unit_circle
from companion.widgets import make_adjoint_explorer
from companion.widgets._base import parse_readout as numbers
from companion.widgets.adjoint import ANGLE_GRID, METRIC, adjoint_problem, frame_limits, readout


@pytest.fixture(scope="module")
def explorer():
    return make_adjoint_explorer()


def independent(angle_deg, shear, scale, v_deg, w_deg, M):
    """The pairings from scratch: A = R S diag(scale, 1), A* = M^{-1} A^T M (M = I for Euclidean)."""
    t = np.deg2rad(angle_deg)
    A = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) @ np.array([[scale, shear], [0.0, 1.0]])
    v = np.array([np.cos(np.deg2rad(v_deg)), np.sin(np.deg2rad(v_deg))])
    w = np.array([np.cos(np.deg2rad(w_deg)), np.sin(np.deg2rad(w_deg))])
    v, w = v / np.sqrt(v @ M @ v), w / np.sqrt(w @ M @ w)
    A_star = np.linalg.inv(M) @ A.T @ M
    return (A @ v) @ M @ w, v @ M @ (A_star @ w), v @ M @ (A.T @ w)


def test_main_slider_turns_A(explorer):
    assert explorer.values == list(ANGLE_GRID)
    pairings = [numbers(r.value)["<Av, w>"] for r in explorer.readouts.children]
    assert pairings[1] != pairings[7]


@pytest.mark.parametrize("k", range(len(ANGLE_GRID)))
def test_euclidean_readout_is_right_on_every_frame(explorer, k):
    """Euclidean: A* = A^T, the three pairings are equal and match an independent computation."""
    explorer.slider.index = k
    shown = numbers(explorer.readout)
    lhs, rhs, with_T = independent(ANGLE_GRID[k], 0.6, 1.4, 20.0, 110.0, np.eye(2))
    assert shown["<Av, w>"] == pytest.approx(lhs, rel=1e-3, abs=1e-4)
    assert shown["<v, A* w>"] == pytest.approx(rhs, rel=1e-3, abs=1e-4)
    assert shown["<v, A^T w>"] == pytest.approx(with_T, rel=1e-3, abs=1e-4)
    assert shown["|A* w - A^T w|"] == 0.0


@pytest.mark.parametrize("angle", ANGLE_GRID)
def test_metric_adjoint_balances_pairings_and_transpose_does_not(angle):
    p = adjoint_problem(angle, shear=-0.4, scale=0.7, v_deg=200.0, w_deg=35.0, inner="metric M")
    r = readout(p)
    lhs, rhs, with_T = independent(angle, -0.4, 0.7, 200.0, 35.0, METRIC)
    assert r["<Av, w>_M"] == pytest.approx(lhs, rel=1e-12, abs=1e-12)
    assert r["<v, A* w>_M"] == pytest.approx(lhs, rel=1e-10, abs=1e-12)
    assert r["<v, A^T w>_M"] == pytest.approx(with_T, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(p.A_star, np.linalg.solve(METRIC, p.A.T @ METRIC), rtol=1e-12, atol=1e-12)
    # A^T is not the adjoint under M (for this A), whatever v and w happen to give
    assert np.abs(p.A_star - p.A.T).max() > 1e-2


def test_vectors_are_unit_in_the_chosen_inner_product():
    p = adjoint_problem(10.0, inner="metric M")
    assert p.inner(p.v, p.v) == pytest.approx(1.0) and p.inner(p.w, p.w) == pytest.approx(1.0)
    q = adjoint_problem(10.0)
    assert np.linalg.norm(q.v) == pytest.approx(1.0) and np.linalg.norm(q.w) == pytest.approx(1.0)


def test_metric_is_the_documented_one():
    np.testing.assert_allclose(METRIC, plane_metric(4.0, np.deg2rad(30.0)).M)
    assert np.linalg.eigvalsh(METRIC) == pytest.approx([1.0, 4.0])
    np.testing.assert_allclose(adjoint_problem(25.0, 0.3, 2.0).A, plane_map(np.deg2rad(25.0), 0.3, 2.0))


def test_toggle_to_metric_rerenders_and_shows_the_failure_of_the_transpose():
    e = make_adjoint_explorer(angle_index=3)
    before = e.image
    e.controls["inner"].value = "metric M"
    assert e.last_error is None and e.image != before
    shown = numbers(e.readout)
    lhs, rhs, with_T = independent(ANGLE_GRID[3], 0.6, 1.4, 20.0, 110.0, METRIC)
    assert shown["<Av, w>_M"] == pytest.approx(lhs, rel=1e-3)
    assert shown["<v, A* w>_M"] == pytest.approx(shown["<Av, w>_M"], rel=1e-3)
    assert abs(shown["<v, A^T w>_M"] - shown["<Av, w>_M"]) > 0.05
    assert shown["|A* w - A^T w|"] > 0.05
    # the other live controls re-render too, and the numbers follow
    for name, value in (("shear", -1.0), ("scale", 0.5), ("v_deg", 300.0), ("w_deg", 45.0)):
        img = e.image
        e.controls[name].value = value
        assert e.last_error is None and e.image != img, name
    lhs, _, with_T = independent(ANGLE_GRID[3], -1.0, 0.5, 300.0, 45.0, METRIC)
    shown = numbers(e.readout)
    assert shown["<Av, w>_M"] == pytest.approx(lhs, rel=1e-3, abs=1e-4)
    assert shown["<v, A^T w>_M"] == pytest.approx(with_T, rel=1e-3, abs=1e-4)


def test_bad_defaults_rejected_and_ranges_clamped():
    with pytest.raises(ValueError, match="inner"):
        make_adjoint_explorer(inner="hyperbolic")
    with pytest.raises(ValueError, match="shear"):
        make_adjoint_explorer(shear=float("nan"))
    with pytest.raises(ValueError, match="scale"):
        make_adjoint_explorer(scale="big")
    with pytest.raises(ValueError, match="inner"):
        adjoint_problem(inner="cosine")
    e = make_adjoint_explorer(shear=9.0, scale=-3.0, v_deg=725.0, angle_index=99)
    assert e.controls["shear"].value == 1.5 and e.controls["scale"].value == 0.25
    assert e.controls["v_deg"].value == pytest.approx(5.0)
    assert e.slider.index == len(ANGLE_GRID) - 1 and e.last_error is None


@pytest.mark.parametrize("inner", ["Euclidean", "metric M"])
@pytest.mark.parametrize(
    "shear, scale, v_deg, w_deg", [(0.6, 1.4, 20.0, 110.0), (-1.5, 0.25, 200.0, 35.0), (1.5, 2.5, 0.0, 270.0)]
)
def test_frame_limits_hold_every_frame(inner, shear, scale, v_deg, w_deg):
    """The limits, computed for all the angles at once, are those of the frames one by one."""
    probs = [adjoint_problem(a, shear, scale, v_deg, w_deg, inner) for a in ANGLE_GRID]
    image = [np.linalg.norm(q.A @ unit_circle(q.M, 121), axis=0).max() for q in probs]
    reach = max(max(np.linalg.norm(q.A_star_w), np.linalg.norm(q.AT_w), r) for q, r in zip(probs, image, strict=True))
    top = max(max(abs(x) for q in probs for x in list(readout(q).values())[:3]), 0.1) * 1.1
    lim_, top_ = frame_limits(shear, scale, v_deg, w_deg, inner)
    assert lim_ == pytest.approx(max(1.6, 1.1 * reach + 0.35), rel=1e-12)
    assert top_ == pytest.approx(top, rel=1e-12)


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (arrows, unit circle and legend, bars, limits)."""
    e = make_adjoint_explorer()
    changes = [
        dict(inner="metric M"),
        dict(shear=-1.5),
        dict(scale=0.25),
        dict(v_deg=200.0),
        dict(w_deg=35.0),
        dict(inner="Euclidean"),
        dict(v_deg=90.0),  # Euclidean: the plane's limits stay, the bars' change
        dict(shear=1.5, scale=2.5, inner="metric M"),
        dict(w_deg=300.0, v_deg=0.0),
        dict(inner="Euclidean", scale=1.0, shear=0.0),
    ]
    assert_updates_like_a_fresh_one(e, make_adjoint_explorer, changes, index="angle_index")
