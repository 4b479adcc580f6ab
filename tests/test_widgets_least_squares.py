"""8.3 explorer (perturb W): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest

from companion.models import least_squares
from companion.widgets import make_least_squares_explorer
from companion.widgets._base import LOSS
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
            least_squares(W2, prob.x, prob.b)[0] - r[f"{LOSS}(W)"], rel=1e-12, abs=1e-15
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
        assert (e.controls["i"].min, e.controls["i"].max) == (1, 2)  # rows 1..m, as on the page
        e.controls["kind"].value = "entry"
        e.controls["i"].value = 2
    assert e.last_error is None
    # entry (2, j) of the page is the array entry (1, j - 1): the prediction is eps r_2 x_j
    j = e.controls["j"].value
    prob = least_squares_problem(2, 4, 0, "entry", 1, j - 1)
    assert numbers(e.readout)["predicted change"] == pytest.approx(EPS_GRID[5] * prob.r[1] * prob.x[j - 1], rel=1e-3)


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="kind"):
        make_least_squares_explorer(kind="diagonal")


def test_entry_sliders_enabled_only_for_entry_direction():
    e = make_least_squares_explorer(kind="random")
    assert e.controls["i"].disabled and e.controls["j"].disabled
    e.controls["kind"].value = "entry"
    assert not e.controls["i"].disabled and not e.controls["j"].disabled


def test_indices_shown_count_from_one():
    """The entry sliders run over 1..m, 1..n (the page's count); the default shows the first entry;
    the heatmaps' ticks sit on the array positions and are labelled from 1; slider entry (i, j) is
    the array entry (i - 1, j - 1)."""
    e = make_least_squares_explorer(m=3, n=5)
    assert (e.controls["i"].min, e.controls["i"].max, e.controls["i"].value) == (1, 3, 1)
    assert (e.controls["j"].min, e.controls["j"].max, e.controls["j"].value) == (1, 5, 1)
    ax_G = next(ax for ax in e.figure.axes if ax.images and ax.get_xlabel() == "column j")
    assert list(ax_G.get_xticks()) == [0, 1, 2, 3, 4]
    assert [t.get_text() for t in ax_G.get_xticklabels()] == ["1", "2", "3", "4", "5"]
    ax_r = next(ax for ax in e.figure.axes if ax.images and ax.get_ylabel().startswith("row"))
    assert [t.get_text() for t in ax_r.get_yticklabels()] == ["1", "2", "3"]
    with e.hold():
        e.controls["kind"].value = "entry"
        e.controls["i"].value, e.controls["j"].value = 3, 2
    assert e.last_error is None
    prob = least_squares_problem(3, 5, 0, "entry", 2, 1)
    assert prob.dW[2, 1] == 1.0 and np.count_nonzero(prob.dW) == 1
    eps = e.values[e.slider.index]
    assert numbers(e.readout)["predicted change"] == pytest.approx(eps * prob.r[2] * prob.x[1], rel=1e-3)
    # the factory's i, j are the sliders' values, clamped into 1..m, 1..n
    e = make_least_squares_explorer(m=2, n=3, i=9, j=-4)
    assert (e.controls["i"].value, e.controls["j"].value) == (2, 1)
