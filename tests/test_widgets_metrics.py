"""8.7 explorer (descent under three metrics): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.metrics import ADAPTIVE, adaptive_descent, ill_conditioned_quadratic
from companion.widgets import make_metric_descent_explorer
from companion.widgets._base import parse_readout as numbers
from companion.widgets.metrics import COND_GRID, NAMES, W0, descent_study, level_ellipses, readout, readout_text


@pytest.fixture(scope="module")
def explorer():
    return make_metric_descent_explorer()


def independent_losses(cond, rotation, eta, steps, metric):
    """Closed form on the quadratic: e_k = (I - eta M^{-1} H)^k e_0, L_k = 1/2 e_k^T H e_k (w* = 0)."""
    t = np.deg2rad(rotation)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    H = R @ np.diag([1.0, 1.0 / cond]) @ R.T
    M = {"euclidean": np.eye(2), "jacobi": np.diag(np.diag(H)), "newton": H}[metric]
    T = np.eye(2) - eta * np.linalg.inv(M) @ H
    e = np.array(W0, dtype=float)
    out = [0.5 * e @ H @ e]
    for _ in range(steps):
        e = T @ e
        out.append(0.5 * e @ H @ e)
    return np.array(out), H


def test_main_slider_runs_over_cond_and_slows_euclidean_descent(explorer):
    assert explorer.values == list(COND_GRID)
    assert explorer.values[0] == 1.0 and explorer.values[-1] == pytest.approx(1000.0)
    finals = [numbers(r.value)["final loss (Euclidean)"] for r in explorer.readouts.children]
    assert finals[2] != finals[11]


@pytest.mark.parametrize("k", [0, 4, 8, 12])
def test_readout_matches_closed_form(explorer, k):
    """Final losses and steps-to-1e-6 against the closed-form iteration, the bound against 2 / lambda_max."""
    explorer.slider.index = k
    shown = numbers(explorer.readout)
    cond, eta, steps, rot = (
        COND_GRID[k],
        explorer.controls["eta"].value,
        explorer.controls["steps"].value,
        explorer.controls["rotation"].value,
    )
    for m in ("euclidean", "jacobi", "newton"):
        losses, H = independent_losses(cond, rot, eta, steps, m)
        assert shown[f"final loss ({NAMES[m]})"] == pytest.approx(losses[-1], rel=1e-3, abs=1e-300)
        hit = np.flatnonzero(losses <= 1e-6)
        key = f"steps to 1e-6 ({NAMES[m]})"
        if hit.size:
            assert shown[key] == hit[0]
        else:
            assert key not in shown and f"{key} = not reached in {steps}" in explorer.readout
    assert shown["Euclidean eta bound 2/lambda_max"] == pytest.approx(2.0 / np.linalg.eigvalsh(H).max(), rel=1e-4)


def test_newton_ignores_conditioning_and_euclidean_does_not(explorer):
    finals = {m: [] for m in ("Euclidean", "Newton")}
    for k in range(len(COND_GRID)):
        explorer.slider.index = k
        shown = numbers(explorer.readout)
        for m in finals:
            finals[m].append(shown[f"final loss ({m})"])
    nat = np.array(finals["Newton"])
    assert np.allclose(nat, nat[0], rtol=1e-2), "Newton: same contraction (1 - eta)^2 per step for every cond"
    euc = np.array(finals["Euclidean"])
    assert euc[-1] > 1e3 * euc[0], "Euclidean descent slows down as the valley gets narrower"


def test_level_lines_are_level_sets():
    s = descent_study(100.0, rotation=30.0)
    for c, e in zip([1e-3, 4.0], [level_ellipses(s.quadratic)[0], level_ellipses(s.quadratic)[-1]], strict=True):
        vals = 0.5 * np.einsum("ki,ij,kj->k", e, s.quadratic.H, e)
        assert np.allclose(vals, c, rtol=1e-10)


def test_live_controls_rerender_and_numbers_follow():
    e = make_metric_descent_explorer(cond_index=6)
    before, shown = e.image, numbers(e.readout)
    e.controls["eta"].value = 0.5
    assert e.image != before and e.last_error is None
    after = numbers(e.readout)
    # Newton: L_k = (1 - eta)^{2k} L_0, so the final loss moves from 0.1^{2*60} L0 to 0.5^{120} L0
    L0 = descent_study(COND_GRID[6], eta=0.5, steps=60, rotation=30.0).paths["newton"].loss[0]
    assert after["final loss (Newton)"] == pytest.approx(0.25**60 * L0, rel=1e-6)
    assert shown["final loss (Newton)"] != after["final loss (Newton)"]
    # past the stability bound, Euclidean descent diverges and the readout says so
    e.controls["eta"].value = 2.2
    assert "steps to 1e-6 (Euclidean) = diverging" in e.readout
    assert numbers(e.readout)["final loss (Euclidean)"] > 1e3
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["rotation"].value = 0.0
        e.controls["steps"].value = 200
    assert e.last_error is None


def test_readout_text_is_parseable_and_complete():
    s = descent_study(1000.0, eta=0.9, steps=30, rotation=30.0)
    nums, notes = readout(s)
    text = readout_text(s)
    assert numbers(text) == pytest.approx(nums, rel=1e-3)  # shown with 4 significant digits
    assert all(f"{k} = {v}" in text for k, v in notes.items())


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="eta"):
        make_metric_descent_explorer(eta=0.0)
    with pytest.raises(ValueError, match="steps"):
        make_metric_descent_explorer(steps=0)
    with pytest.raises(ValueError, match="rotation"):
        make_metric_descent_explorer(rotation=float("nan"))
    with pytest.raises(TypeError, match="eta"):
        make_metric_descent_explorer(eta="fast")
    # out-of-range values are clamped to the sliders, not refused
    e = make_metric_descent_explorer(eta=10.0, steps=10_000, cond_index=99)
    assert e.controls["eta"].value == 2.5 and e.controls["steps"].value == 500 and e.index == len(COND_GRID) - 1


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (paths, losses, the step axis, the minimiser)."""
    e = make_metric_descent_explorer()
    assert_updates_like_a_fresh_one(
        e,
        make_metric_descent_explorer,
        [
            dict(eta=0.3),
            dict(steps=200),
            dict(rotation=-60.0),
            dict(eta=2.5, steps=5),
            dict(adaptive_eta=0.4),
        ],
        index="cond_index",
    )


def test_readout_names_newton_and_never_natural(explorer):
    """M = H is Newton's method: the readout and the legends say so (natural gradient means the Fisher metric)."""
    for k in range(len(COND_GRID)):
        text = explorer.readouts.children[k].value
        assert "(Newton)" in text and "natural" not in text


@pytest.mark.parametrize("method", ADAPTIVE)
def test_adaptive_choice_is_static_and_its_readout_is_the_method_s_own_run(method):
    """Each adaptive method has its own pre-rendered frames (a static choice); the readout's numbers are those
    of ``adaptive_descent`` with the explorer's controls."""
    e = make_metric_descent_explorer(cond_index=4, adaptive=method)
    assert e.choice == "adaptive" and len(e.option_frames) == len(ADAPTIVE)
    assert e.controls["adaptive"].value == method
    q = ill_conditioned_quadratic(COND_GRID[4], 30.0)
    path = adaptive_descent(
        q, np.array(W0), method=method, eta=e.controls["adaptive_eta"].value, steps=e.controls["steps"].value
    )
    assert numbers(e.readout)[f"final loss ({NAMES[method]})"] == pytest.approx(path.loss[-1], rel=1e-3)
    other = ADAPTIVE[(ADAPTIVE.index(method) + 1) % len(ADAPTIVE)]
    e.controls["adaptive"].value = other
    assert f"final loss ({NAMES[other]})" in e.readout and e.last_error is None


def test_adaptive_path_does_not_see_an_axis_aligned_condition_number():
    """At rotation 0 the valley is a diagonal rescaling of a round bowl, which the diagonal metric absorbs: the
    Adam path is the same for every cond (up to the effect of eps); rotated by 30 degrees it is not."""
    aligned = [descent_study(c, rotation=0.0).paths["adaptive"].w for c in COND_GRID]
    assert max(np.abs(a - aligned[0]).max() for a in aligned) < 1e-4  # eps = 1e-8 against sqrt(v) down to ~1e-6
    rotated = [descent_study(c, rotation=30.0).paths["adaptive"].w for c in COND_GRID]
    assert max(np.abs(a - rotated[0]).max() for a in rotated) > 0.5


def test_bad_adaptive_defaults_rejected():
    with pytest.raises(ValueError, match="adaptive"):
        make_metric_descent_explorer(adaptive="sgd")
    with pytest.raises(ValueError, match="adaptive_eta"):
        make_metric_descent_explorer(adaptive_eta=-0.1)


def test_path_figure_shows_every_path():
    """8.7 path figure and explorer: no path hides another. Each path has its own marker and line style (readable
    without colour); where paths overlap, the ones drawn on top are thinner than the one below, which stays visible
    at their edges; every path starts inside the frame and stays mostly in it."""
    from matplotlib.figure import Figure

    from companion.widgets.metrics import LIMITS, PATHS, draw_paths

    study = descent_study(100.0, eta=0.9, steps=60, rotation=30.0)
    ax = Figure().add_subplot()
    _, lines = draw_paths(ax, study)
    paths = [lines[m] for m in PATHS]
    assert len({(ln.get_marker(), ln.get_linestyle()) for ln in paths}) == len(PATHS)
    by_depth = sorted(paths, key=lambda ln: ln.get_zorder())
    assert by_depth[0].get_linewidth() == max(ln.get_linewidth() for ln in paths)
    assert by_depth[0].get_markersize() == max(ln.get_markersize() for ln in paths)
    assert by_depth[0].get_markerfacecolor() == "none"  # open markers: what lies under them shows through
    lo, hi = LIMITS
    for ln in paths:
        xy = np.column_stack([ln.get_xdata(), ln.get_ydata()])
        assert np.all((lo < xy[0]) & (xy[0] < hi)), ln.get_label()
        assert np.mean(np.all((lo <= xy) & (xy <= hi), axis=1)) > 0.5, ln.get_label()
