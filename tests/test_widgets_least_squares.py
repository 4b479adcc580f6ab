"""8.3 explorer (perturb W): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest

from companion.models import least_squares
from companion.widgets import make_least_squares_explorer
from companion.widgets._base import parse_readout as numbers
from companion.widgets.least_squares import EPS_GRID, least_squares_problem, readout


@pytest.fixture(scope="module")
def explorer():
    return make_least_squares_explorer()


def test_every_frame_predicts_eps_times_one_slope(explorer):
    """The main slider runs over EPS_GRID; the prediction is eps <G, dW>_F on every frame, the same slope."""
    assert explorer.values == list(EPS_GRID)
    frames = [numbers(r.value) for r in explorer.readouts.children]
    slopes = [f["predicted change"] / eps for f, eps in zip(frames, EPS_GRID, strict=False)]
    assert slopes == pytest.approx([slopes[0]] * len(frames), rel=1e-3) and slopes[0] != 0


@pytest.mark.parametrize("kind", ["random", "gradient", "entry", "rank-one"])
def test_readout_is_first_order_correct(kind):
    """actual - predicted = remainder = eps^2 |dW x|^2 / 2 exactly (the loss is quadratic in W)."""
    prob = least_squares_problem(m=3, n=5, seed=3, kind=kind, i=2, j=4)
    for eps in EPS_GRID:
        r = readout(prob, eps)
        assert r["predicted change"] == pytest.approx(eps * np.vdot(prob.G, prob.dW), rel=1e-12)
        assert r["remainder"] == pytest.approx(eps**2 * r["|dW x|^2 / 2"], rel=1e-6, abs=1e-15)
        W2 = prob.W + eps * prob.dW
        assert r["actual change"] == pytest.approx(
            least_squares(W2, prob.x, prob.b)[0] - r["L(W)"], rel=1e-12, abs=1e-15
        )


def test_entry_direction_predicts_one_entry_of_outer_product():
    prob = least_squares_problem(m=3, n=4, seed=1, kind="entry", i=1, j=2)
    eps = EPS_GRID[0]
    assert readout(prob, eps)["predicted change"] == pytest.approx(eps * prob.r[1] * prob.x[2], rel=1e-12)


def test_live_controls_rerender_and_shown_numbers_match():
    e = make_least_squares_explorer(eps_index=5)
    before = e.image
    e.controls["kind"].value = "gradient"
    assert e.image != before and e.last_error is None
    shown = numbers(e.readout)
    prob = least_squares_problem(3, 4, 0, "gradient")
    # along the unit gradient direction the predicted change is eps * |G|_F
    assert shown["predicted change"] == pytest.approx(EPS_GRID[5] * np.linalg.norm(prob.G), rel=1e-3)
    # sizes change; the entry sliders are clamped to the new W
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["m"].value = 2
        assert e.controls["i"].max == 1
        e.controls["kind"].value = "entry"
        e.controls["i"].value = 1
    assert e.last_error is None


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="kind"):
        make_least_squares_explorer(kind="diagonal")


def test_entry_sliders_enabled_only_for_entry_direction():
    e = make_least_squares_explorer(kind="random")
    assert e.controls["i"].disabled and e.controls["j"].disabled
    e.controls["kind"].value = "entry"
    assert not e.controls["i"].disabled and not e.controls["j"].disabled
