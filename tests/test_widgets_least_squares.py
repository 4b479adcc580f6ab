"""8.3 explorer (perturb W): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest

from companion.models import least_squares
from companion.widgets import make_least_squares_explorer
from companion.widgets.least_squares import EPS_GRID, least_squares_problem, readout


from companion.widgets._base import parse_readout as numbers


@pytest.fixture(scope="module")
def explorer():
    return make_least_squares_explorer()


def test_every_static_frame_is_rendered_and_linked(explorer):
    assert len(explorer.frames.children) == len(EPS_GRID)
    pngs = [bytes(img.value) for img in explorer.frames.children]
    assert all(p.startswith(b"\x89PNG") for p in pngs)
    assert len(set(pngs)) == len(pngs), "frames should differ from one eps to the next"
    assert all(r.value for r in explorer.readouts.children)
    # the slider drives both stacks in the browser through jslinks
    links = {(l.source[0].model_id, l.source[1], l.target[0].model_id, l.target[1]) for l in explorer.links}
    assert (explorer.slider.model_id, "index", explorer.frames.model_id, "selected_index") in links
    assert (explorer.slider.model_id, "index", explorer.readouts.model_id, "selected_index") in links


def test_main_slider_changes_figure_and_numbers(explorer):
    explorer.slider.index = 2
    img2, nums2 = explorer.image, numbers(explorer.readout)
    explorer.slider.index = 10
    img10, nums10 = explorer.image, numbers(explorer.readout)
    assert img2 != img10
    assert explorer.frames.selected_index == 10 and explorer.readouts.selected_index == 10
    assert nums2["predicted change"] != nums10["predicted change"]


@pytest.mark.parametrize("kind", ["random", "gradient", "entry", "rank-one"])
def test_readout_is_first_order_correct(kind):
    """actual - predicted = remainder = eps^2 |dW x|^2 / 2 exactly (the loss is quadratic in W)."""
    prob = least_squares_problem(m=3, n=5, seed=3, kind=kind, i=2, j=4)
    for eps in EPS_GRID:
        r = readout(prob, eps)
        assert r["predicted change"] == pytest.approx(eps * np.vdot(prob.G, prob.dW), rel=1e-12)
        assert r["remainder"] == pytest.approx(eps**2 * r["|dW x|^2 / 2"], rel=1e-6, abs=1e-15)
        W2 = prob.W + eps * prob.dW
        assert r["actual change"] == pytest.approx(least_squares(W2, prob.x, prob.b)[0] - r["L(W)"], rel=1e-12, abs=1e-15)


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
    e.controls["m"].value = 2
    assert e.controls["i"].max == 1
    e.controls["kind"].value = "entry"
    e.controls["i"].value = 1
    assert e.last_error is None


def test_stale_frames_rerender_when_reached():
    e = make_least_squares_explorer(eps_index=0)
    old_last = bytes(e.frames.children[12].value)
    e.controls["seed"].value = 7
    e.slider.index = 12
    assert bytes(e.frames.children[12].value) != old_last


def test_errors_are_shown_not_raised(monkeypatch):
    e = make_least_squares_explorer()
    import companion.widgets.least_squares as mod

    def boom(*a, **k):
        raise RuntimeError("deliberate failure")

    monkeypatch.setattr(mod, "least_squares_problem", boom)
    e.controls["seed"].value = 5  # must not raise
    assert "deliberate failure" in e.last_error
    assert "deliberate failure" in e.error.value
    assert any("deliberate failure" in o.get("text", "") for o in e.output.outputs)


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="kind"):
        make_least_squares_explorer(kind="diagonal")
