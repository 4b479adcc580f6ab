"""8.1 explorer (linearization): built headlessly, driven programmatically, numbers checked
against independent computations (the maps written out again here, not imported)."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.widgets import make_linearization_explorer
from companion.widgets._base import parse_readout as numbers
from companion.widgets.linearization import EPS_GRID, linearization_problem, readout, zoom_images, zoom_limits


def bend(p):
    x, y = p
    return np.array([x + 0.5 * np.sin(2 * y), y + 0.4 * x**2])


def polar(p):
    r, t = p
    return np.array([r * np.cos(t), r * np.sin(t)])


def layer(p):
    return np.tanh(np.array([[1.5, -1.0], [0.8, 1.2]]) @ p + np.array([0.2, -0.3]))


MAPS = {"bend": bend, "polar": polar, "tanh layer": layer}


def fd_jacobian(F, p, h=1e-6):
    return np.stack([(F(p + h * e) - F(p - h * e)) / (2 * h) for e in np.eye(2)], axis=1)


@pytest.fixture(scope="module")
def explorer():
    return make_linearization_explorer()


def test_main_slider_runs_over_eps_and_the_remainder_grows_with_it(explorer):
    assert explorer.values == list(EPS_GRID) and len(EPS_GRID) == 13
    frames = [numbers(r.value) for r in explorer.readouts.children]
    assert [f["eps"] for f in frames] == pytest.approx(EPS_GRID, rel=1e-3)
    remainders = [f["remainder"] for f in frames]
    assert remainders == sorted(set(remainders)), "the remainder grows with eps"


@pytest.mark.parametrize("name", list(MAPS))
def test_readout_numbers_are_right(name):
    """Remainders recomputed from scratch; with J they shrink like eps^2 towards |d2F[v,v]|/2,
    with J^T like eps towards |(J - J^T) v|."""
    x0, y0, angle = -0.4, 0.7, 50.0
    prob = linearization_problem(name, x0, y0, angle)
    F = MAPS[name]
    p = np.array([x0, y0])
    v = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    J = fd_jacobian(F, p)
    np.testing.assert_allclose(prob.J, J, rtol=1e-7, atol=1e-9)
    h = 1e-4
    half_d2 = 0.5 * np.linalg.norm((F(p + h * v) - 2 * F(p) + F(p - h * v)) / h**2)
    skew = np.linalg.norm((J - J.T) @ v)
    for eps in EPS_GRID:
        r = readout(prob, eps)
        step = F(p + eps * v) - F(p)
        assert r["remainder"] == pytest.approx(np.linalg.norm(step - eps * J @ v), rel=1e-5, abs=1e-12)
        assert r["wrong remainder (J^T)"] == pytest.approx(np.linalg.norm(step - eps * J.T @ v), rel=1e-5, abs=1e-12)
        assert r["remainder / eps^2"] == pytest.approx(r["remainder"] / eps**2, rel=1e-12)
        assert r["|d2F[v,v]| / 2"] == pytest.approx(half_d2, rel=1e-5, abs=1e-8)
        assert r["|(J - J^T) v|"] == pytest.approx(skew, rel=1e-6, abs=1e-9)
    small = readout(prob, EPS_GRID[0])
    assert small["remainder / eps^2"] == pytest.approx(half_d2, rel=0.02, abs=1e-3)
    assert small["wrong remainder / eps"] == pytest.approx(skew, rel=0.02, abs=1e-3)


def test_remainder_slopes_are_two_and_one():
    prob = linearization_problem("bend", -0.5, 0.6, 60.0)
    eps = np.array(EPS_GRID[:7])
    r = np.array([readout(prob, e)["remainder"] for e in eps])
    rw = np.array([readout(prob, e)["wrong remainder (J^T)"] for e in eps])
    assert np.polyfit(np.log(eps), np.log(r), 1)[0] == pytest.approx(2.0, abs=0.05)
    assert np.polyfit(np.log(eps), np.log(rw), 1)[0] == pytest.approx(1.0, abs=0.05)
    assert prob.taylor.order == pytest.approx(2.0, abs=0.1)
    assert prob.taylor_wrong.order == pytest.approx(1.0, abs=0.1)


def test_zoomed_images_merge_with_the_affine_model():
    """(F(x0 + eps u) - F(x0))/eps - J u = O(eps): the gap shrinks linearly with eps."""
    prob = linearization_problem("bend", -0.5, 0.6, 60.0)
    gaps = []
    for eps in (1e-1, 1e-2, 1e-3):
        im = zoom_images(prob, eps)
        np.testing.assert_allclose(
            im["model circle"],
            prob.J @ np.stack([np.cos(np.linspace(0, 2 * np.pi, 121)), np.sin(np.linspace(0, 2 * np.pi, 121))]),
            atol=1e-12,
        )
        gaps.append(
            max(
                np.abs(im["true circle"] - im["model circle"]).max(),
                *(np.abs(a - b).max() for a, b in zip(im["true lines"], im["model lines"], strict=False)),
            )
        )
        np.testing.assert_allclose(im["true tip"], (bend(prob.x0 + eps * prob.v) - bend(prob.x0)) / eps, rtol=1e-10)
    assert gaps[1] / gaps[0] == pytest.approx(0.1, rel=0.15)
    assert gaps[2] / gaps[1] == pytest.approx(0.1, rel=0.15)
    # the fixed limits hold every frame's image
    lim = zoom_limits(prob)
    for eps in EPS_GRID:
        im = zoom_images(prob, eps)
        assert np.abs(im["true circle"]).max() <= lim and max(np.abs(L).max() for L in im["true lines"]) <= lim


def test_live_controls_rerender_and_shown_numbers_match():
    e = make_linearization_explorer(eps_index=6)
    before = e.image
    e.controls["map"].value = "tanh layer"
    assert e.last_error is None and e.image != before
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["x0"].value = 0.3
        e.controls["y0"].value = -0.2
        e.controls["angle"].value = 135.0
    assert e.last_error is None
    shown = numbers(e.readout)
    p = np.array([0.3, -0.2])
    v = np.array([np.cos(np.radians(135)), np.sin(np.radians(135))])
    eps = EPS_GRID[6]
    J = fd_jacobian(layer, p)
    assert shown["remainder"] == pytest.approx(np.linalg.norm(layer(p + eps * v) - layer(p) - eps * J @ v), rel=1e-3)
    # a point where the polar map's Jacobian is singular still renders
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["map"].value = "polar"
        e.controls["x0"].value = 0.0
    assert e.last_error is None


def test_bad_defaults_rejected_and_ranges_clamped():
    with pytest.raises(ValueError, match="map must be one of"):
        make_linearization_explorer(map="swirl")
    with pytest.raises(ValueError, match="x0 must be a finite number"):
        make_linearization_explorer(x0=float("nan"))
    with pytest.raises(ValueError, match="angle"):
        make_linearization_explorer(angle="up")
    e = make_linearization_explorer(x0=5.0, y0=-9.0, eps_index=99)
    assert e.controls["x0"].value == 1.5 and e.controls["y0"].value == -1.5
    assert e.index == len(EPS_GRID) - 1


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (model, limits, guides and legend, map name)."""
    e = make_linearization_explorer()
    assert_updates_like_a_fresh_one(
        e,
        make_linearization_explorer,
        [dict(x0=1.2), dict(map="polar"), dict(angle=200.0, y0=-1.0), dict(map="polar", x0=-1.5, y0=1.5)],
        index="eps_index",
    )
