"""8.6 explorer (perturb Q, K, V): built headlessly, driven programmatically, numbers checked
against computations that share no code with the explorer (a plain numpy forward pass and
finite differences)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from test_explorers import assert_updates_like_a_fresh_one

from companion import jacobian, numerical_gradient
from companion.models import softmax_jacobian
from companion.widgets import make_attention_explorer
from companion.widgets._base import LOSS
from companion.widgets._base import parse_readout as numbers
from companion.widgets.attention import (
    EPS_GRID,
    TAU_GRID,
    attention_problem,
    draw_softmax_jacobian,
    readout,
)


def plain_loss(Q, K, V, T, tau):
    """``1/2 |softmax(tau Q K^T / sqrt(d)) V - T|^2``, written from the definitions."""
    S = tau * Q @ K.T / np.sqrt(Q.shape[1])
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return 0.5 * np.sum(((E / E.sum(axis=1, keepdims=True)) @ V - T) ** 2)


def plain_loss_of(prob, X):
    args = {"Q": prob.Q, "K": prob.K, "V": prob.V, prob.target: X}
    return plain_loss(args["Q"], args["K"], args["V"], prob.T, prob.tau)


def plain_softmax(s):
    e = np.exp(s - s.max())
    return e / e.sum()


@pytest.fixture(scope="module")
def explorer():
    return make_attention_explorer()


def test_main_slider_moves_the_prediction_not_the_gradients(explorer):
    """The main slider runs over EPS_GRID; the prediction is eps <G_X, dX>_F on every frame, the gradients
    do not move."""
    assert explorer.values == list(EPS_GRID)
    frames = [numbers(r.value) for r in explorer.readouts.children]
    slopes = [f["predicted change"] / eps for f, eps in zip(frames, EPS_GRID, strict=False)]
    assert slopes == pytest.approx([slopes[0]] * len(frames), rel=1e-3) and slopes[0] != 0
    for name in ("||G_S||_F", "||G_Q||_F", "||G_K||_F", "||G_V||_F"):  # the gradients do not depend on eps
        assert len({f[name] for f in frames}) == 1, name


def test_main_slider_redraws_only_the_eps_artists(monkeypatch):
    """Moving eps reuses the background: the problem is not rebuilt, few artists are redrawn."""
    import companion.widgets.attention as mod

    e = make_attention_explorer(eps_index=0)
    calls = []
    real = mod.attention_problem
    monkeypatch.setattr(mod, "attention_problem", lambda *a, **k: calls.append(1) or real(*a, **k))
    e._keys = [None] * len(e.values)
    e.slider.index = 7
    assert calls == [] and e.last_error is None
    artists, _ = e._frame[1](EPS_GRID[7])
    assert len(artists) <= 5


@pytest.mark.parametrize("target", ["Q", "K", "V"])
@pytest.mark.parametrize("kind", ["entry", "random", "gradient"])
def test_readout_is_first_order_correct(target, kind):
    """actual change, predicted change and remainder against independent computations."""
    prob = attention_problem(n=5, d=3, d_v=2, seed=4, target=target, kind=kind, i=3, j=1, tau=2.0)
    X, dX = prob.X, prob.dX

    def f(Z):
        return plain_loss_of(prob, Z)

    G_num = numerical_gradient(f, X)
    assert np.allclose(prob.G_X, G_num, rtol=1e-6, atol=1e-8)
    assert np.linalg.norm(dX) == pytest.approx(1.0, rel=1e-12)
    h = 1e-3
    curvature = (f(X + h * dX) - 2 * f(X) + f(X - h * dX)) / h**2  # d^2 ℒ along dX
    for eps in EPS_GRID:
        r = readout(prob, eps)
        assert r[LOSS] == pytest.approx(f(X), rel=1e-12)
        assert r["actual change"] == pytest.approx(f(X + eps * dX) - f(X), rel=1e-8, abs=1e-13)
        assert r["predicted change"] == pytest.approx(eps * np.vdot(G_num, dX), rel=1e-5, abs=1e-10)
        assert r["remainder"] == pytest.approx(abs(r["actual change"] - r["predicted change"]), rel=1e-9, abs=1e-15)
    # the remainder is second order: remainder / eps^2 -> |curvature| / 2
    small = readout(prob, EPS_GRID[0])
    assert small["remainder / eps^2"] == pytest.approx(abs(curvature) / 2, rel=2e-2, abs=1e-6)


@pytest.mark.parametrize("target", ["Q", "K", "V"])
def test_batched_losses_are_the_loss(target):
    """The zoom evaluates the loss on a stack of points at once: each value is the loss of its point."""
    prob = attention_problem(n=5, d=3, d_v=2, seed=1, target=target, kind="random", tau=3.0)
    Xs = prob.X[None] + np.linspace(-1, 1, 7)[:, None, None] * prob.dX
    np.testing.assert_allclose(prob.losses(Xs), [plain_loss_of(prob, X) for X in Xs], rtol=1e-12)


def test_loss_is_exactly_quadratic_in_V():
    """Y is linear in V, so the remainder along dV is exactly eps^2 |P dV|^2 / 2."""
    prob = attention_problem(n=6, d=2, d_v=3, seed=2, target="V", kind="random")
    for eps in EPS_GRID:
        r = readout(prob, eps)
        assert r["remainder"] == pytest.approx(
            0.5 * eps**2 * np.sum((prob.cache.P @ prob.dX) ** 2), rel=1e-6, abs=1e-14
        )


def test_entry_direction_predicts_one_entry_of_the_gradient():
    prob = attention_problem(n=6, d=4, d_v=2, seed=1, target="K", kind="entry", i=5, j=3)
    G_num = numerical_gradient(lambda Z: plain_loss_of(prob, Z), prob.K)
    assert readout(prob, 1e-3)["predicted change"] == pytest.approx(1e-3 * G_num[5, 3], rel=1e-5)


def test_gradient_norms_against_finite_differences():
    prob = attention_problem(n=7, d=2, d_v=4, seed=9, tau=4.0)
    r = readout(prob, 0.01)
    Q, K, V, T, tau = prob.Q, prob.K, prob.V, prob.T, prob.tau
    S = tau * Q @ K.T / np.sqrt(2)

    def J_of_S(S):
        return 0.5 * np.sum((np.apply_along_axis(plain_softmax, 1, S) @ V - T) ** 2)

    assert r["||G_S||_F"] == pytest.approx(np.linalg.norm(numerical_gradient(J_of_S, S)), rel=1e-6)
    assert r["||G_Q||_F"] == pytest.approx(
        np.linalg.norm(numerical_gradient(lambda Z: plain_loss(Z, K, V, T, tau), Q)), rel=1e-6
    )
    assert r["||G_K||_F"] == pytest.approx(
        np.linalg.norm(numerical_gradient(lambda Z: plain_loss(Q, Z, V, T, tau), K)), rel=1e-6
    )
    assert r["||G_V||_F"] == pytest.approx(
        np.linalg.norm(numerical_gradient(lambda Z: plain_loss(Q, K, Z, T, tau), V)), rel=1e-6
    )
    assert r["mean max P"] == pytest.approx(np.apply_along_axis(plain_softmax, 1, S).max(axis=1).mean(), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_saturation_kills_G_S_G_Q_G_K_but_not_G_V(seed):
    cool, hot = (readout(attention_problem(seed=seed, tau=t), 0.01) for t in (1.0, TAU_GRID[-1]))
    assert hot["mean max P"] > 0.999 > 0.9 > cool["mean max P"]
    for name in ("||G_S||_F", "||G_Q||_F", "||G_K||_F"):
        assert hot[name] < 1e-3 * cool[name], name
    assert hot["||G_V||_F"] > 0.5 * cool["||G_V||_F"]


@pytest.mark.parametrize("tau", [1.0, 16.0, 256.0])
def test_softmax_pullback_is_bounded_by_the_missing_mass(tau):
    """Why saturation kills G_S: |G_S[i]|_1 <= 4 (1 - max_j P_ij) max_j |G_P[i, j]|, row by row."""
    prob = attention_problem(n=8, d=2, d_v=3, seed=11, tau=tau)
    P = prob.cache.P
    G_P = prob.G_Y @ prob.V.T
    bound = 4 * (1 - P.max(axis=1)) * np.abs(G_P).max(axis=1)
    assert np.all(np.abs(prob.G_S).sum(axis=1) <= bound * (1 + 1e-9) + 1e-15)


@pytest.mark.parametrize("row", [0, 3])
def test_softmax_jacobian_panel(row):
    prob = attention_problem(n=6, seed=3, tau=2.0)
    ax = Figure().add_subplot()
    im = draw_softmax_jacobian(ax, prob.cache.P[row], row)
    assert ax.get_title().endswith(f"row {row + 1}")  # P[row] is row row + 1 as the page counts
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "1"
    Jm = np.asarray(im.get_array())
    s = prob.cache.S[row]
    assert np.allclose(Jm, jacobian(plain_softmax, s), atol=1e-9)
    assert np.allclose(Jm, Jm.T) and np.allclose(Jm.sum(axis=1), 0, atol=1e-15)
    assert im.get_clim() == (-0.25, 0.25)


def test_figure_shows_the_problem_arrays():
    e = make_attention_explorer(n=5, d=2, d_v=3, seed=6, target="K", kind="entry", i=3, j=2, row=5, tau=4.0)
    prob = attention_problem(5, 2, 3, 6, "K", "entry", 2, 1, 4.0)  # the sliders count from 1, the arrays from 0
    shown = [np.asarray(ax.images[0].get_array()) for ax in e.figure.axes if ax.images]
    expected = [prob.cache.S, prob.cache.P, prob.cache.Y, None, prob.G_Q, prob.G_K, prob.G_V, prob.G_S]
    assert len(shown) == len(expected)
    for got, want in zip(shown, expected, strict=False):
        if want is not None:
            assert np.allclose(got, want, rtol=1e-12, atol=1e-15)
    assert np.allclose(shown[3], jacobian(plain_softmax, prob.cache.S[4]), atol=1e-9)


def test_live_controls_rerender_and_shown_numbers_match():
    e = make_attention_explorer(eps_index=4)
    before, nums_before = e.image, numbers(e.readout)
    e.controls["tau"].value = TAU_GRID[-1]
    assert e.image != before and e.last_error is None
    shown = numbers(e.readout)
    ref = readout(attention_problem(6, 3, 3, 0, "Q", "entry", 1, 0, TAU_GRID[-1]), EPS_GRID[4])
    for k in ("||G_S||_F", "||G_Q||_F", "predicted change", "actual change"):
        assert shown[k] == pytest.approx(ref[k], rel=1e-3), k
    assert shown["||G_S||_F"] < nums_before["||G_S||_F"]
    # target V has d_v columns: the entry slider is clamped
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["d_v"].value = 2
        e.controls["target"].value = "V"
        assert e.controls["j"].max == 2  # columns 1..d_v, as on the page
        e.controls["n"].value = 4
        assert e.controls["i"].max == 4 and e.controls["row"].max == 4
        e.controls["kind"].value = "gradient"
    assert e.last_error is None
    shown = numbers(e.readout)
    prob = attention_problem(4, 3, 2, 0, "V", "gradient", 1, 0, TAU_GRID[-1])
    # along the unit gradient the predicted change is eps |G_V|_F
    assert shown["predicted change"] == pytest.approx(EPS_GRID[4] * np.linalg.norm(prob.G_V), rel=1e-3)


def test_bad_defaults_rejected_and_ranges_clamped():
    with pytest.raises(ValueError, match="target"):
        make_attention_explorer(target="W")
    with pytest.raises(ValueError, match="kind"):
        make_attention_explorer(kind="diagonal")
    with pytest.raises(ValueError, match="tau"):
        make_attention_explorer(tau=-1.0)
    with pytest.raises(ValueError, match="target"):
        attention_problem(target="P")
    e = make_attention_explorer(n=50, d=1, d_v=9, i=99, j=99, row=-3, tau=1000.0, eps_index=99)
    p = e.params
    assert (p["n"], p["d"], p["d_v"], p["i"], p["j"], p["row"]) == (8, 2, 4, 8, 2, 1)
    assert p["tau"] == TAU_GRID[-1] and e.slider.index == len(EPS_GRID) - 1
    assert e.last_error is None


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (limits, titles, outlines, round-off line)."""
    e = make_attention_explorer()
    assert_updates_like_a_fresh_one(
        e,
        make_attention_explorer,
        [
            dict(seed=5),
            dict(kind="gradient", tau=0.25),
            dict(row=3, i=4, j=2),
            dict(tau=1024.0, seed=7),
            dict(n=7),
        ],
        index="eps_index",
    )


def test_indices_shown_count_from_one():
    """The entry and row sliders run over 1..n, 1..columns (the page's count); the defaults show the
    same entry and row as the arrays' (1, 0) and row 1; slider entry (i, j) and row r are the array
    entry (i - 1, j - 1) and row r - 1: outlined on heatmaps whose ticks are labelled from 1, perturbed,
    and named by the Jacobian's title and the frame's label."""
    e = make_attention_explorer()
    p = e.params
    assert (p["i"], p["j"], p["row"]) == (2, 1, 2)
    assert all(e.controls[k].min == 1 for k in ("i", "j", "row"))
    assert (e.controls["i"].max, e.controls["j"].max, e.controls["row"].max) == (6, 3, 6)
    with e.hold():
        e.controls["target"].value = "K"
        e.controls["i"].value, e.controls["j"].value, e.controls["row"].value = 4, 3, 5
    assert e.last_error is None
    axes = {ax.get_title().split(",")[0]: ax for ax in e.figure.axes if ax.images}
    ax_P, ax_J, ax_GK = axes[r"$P = \mathrm{softmax}(S)$"], axes[r"$\mathrm{Diag}(p) - pp^\top$"], axes["$G_K$"]
    ax_S, ax_GQ = (next(ax for t, ax in axes.items() if t.startswith(s)) for s in ("$S", "$G_Q"))
    for ax in (ax_P, ax_J, ax_GK):
        assert [t.get_text() for t in ax.get_xticklabels()][0] == "1"
        # rows are labelled once, on the first column (S, G_Q): every panel has the same n rows, in line
        assert list(ax.get_yticks()) == [0, 2, 4] and ax.get_yticklabels() == []
    for ax in (ax_S, ax_GQ):
        assert list(ax.get_yticks()) == [0, 2, 4] and [t.get_text() for t in ax.get_yticklabels()] == ["1", "3", "5"]
    (dashed,) = ax_P.patches
    assert dashed.get_y() == 5 - 1 - 0.5  # row 5 as labelled: the array row 4
    assert ax_J.get_title().endswith("row 5")
    prob = attention_problem(6, 3, 3, 0, "K", "entry", 3, 2, 1.0)
    assert np.allclose(np.asarray(ax_J.images[0].get_array()), softmax_jacobian(prob.cache.P[4]))
    assert prob.dX[3, 2] == 1.0 and np.count_nonzero(prob.dX) == 1
    assert {b.get_xy() for b in ax_GK.patches} == {(3 - 1 - 0.5, 4 - 1 - 0.5)}  # entry (4, 3): the array [3, 2]
    assert any(t.get_text().endswith("(dK: entry (4, 3))") for t in e.figure.texts)
    eps = e.values[e.slider.index]
    assert numbers(e.readout)["predicted change"] == pytest.approx(eps * prob.G_K[3, 2], rel=1e-3)


def test_heatmaps_carry_colour_bars_with_their_ranges():
    """8.6 heatmaps: S, P, Y, the Jacobian, G_S have colour bars; G_Q, G_K, G_V share one range, shown by G_V's bar.
    A fixed range (P in [0, 1], the Jacobian in [-1/4, 1/4]) is the bar's; the others are symmetric about 0."""
    e = make_attention_explorer()
    heat = e.figure._attention_panels["heat"]
    assert {name for name, h in heat.items() if h.colorbar} == {"S", "P", "Y", "J", "G_V", "G_S"}
    assert heat["P"].colorbar.ax.get_ylim() == pytest.approx((0.0, 1.0))
    assert heat["J"].colorbar.ax.get_ylim() == pytest.approx((-0.25, 0.25))
    lims = [h.image.get_clim() for name, h in heat.items() if name.startswith("G_") and name != "G_S"]
    assert lims[0] == lims[1] == lims[2] and lims[0][0] == -lims[0][1] > -np.inf
    for name in ("S", "Y", "G_S"):
        lo, hi = heat[name].image.get_clim()
        assert lo == -hi and hi == pytest.approx(np.abs(heat[name].image.get_array()).max())
    for h in heat.values():
        if h.colorbar:
            assert all(t.get_text() for t in h.colorbar.ax.get_yticklabels()), "a colour bar without numbers"
            assert len(h.colorbar.ax.get_yticklabels()) >= 2
