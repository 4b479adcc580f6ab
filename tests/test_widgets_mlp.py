"""8.5 explorer (perturb W in an MLP): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.models import mlp_forward, mlp_init
from companion.widgets import make_mlp_explorer
from companion.widgets._base import LOSS
from companion.widgets._base import parse_readout as numbers
from companion.widgets.mlp import BATCH, D_IN, D_OUT, EPS_GRID, mlp_problem, mlp_sizes, readout


@pytest.fixture(scope="module")
def explorer():
    return make_mlp_explorer()


def loss_from_scratch(depth, width, activation, seed, layer=None, ij=None, eps=0.0):
    """The loss ℒ = 1/2 |h_L - Y|^2 rebuilt from the seed, with A_layer[ij] += eps; plain numpy forward pass."""
    sizes = mlp_sizes(depth, width)
    rng = np.random.default_rng(seed)
    As, bs = mlp_init(sizes, rng=rng, gain=1.0, bias_scale=0.1)
    X = rng.standard_normal((D_IN, BATCH))
    Y = rng.uniform(-0.5, 0.5, (D_OUT, BATCH))
    if layer is not None:
        As[layer - 1] = As[layer - 1].copy()
        As[layer - 1][ij] += eps
    sigma = {
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "identity": lambda z: z,
    }[activation]
    h = X
    for A, b in zip(As, bs, strict=False):
        h = sigma(A @ h + b[:, None])
    return 0.5 * float(np.sum((h - Y) ** 2))


def test_every_frame_predicts_eps_times_the_gradient_entry(explorer):
    """The main slider runs over EPS_GRID; the prediction is eps (grad A_l)[i, j] on every frame; the loss is fixed."""
    assert explorer.values == list(EPS_GRID)
    frames = [numbers(r.value) for r in explorer.readouts.children]
    entry = frames[0]["(grad A_l)[i, j]"]
    assert entry != 0
    assert [f["predicted change"] / eps for f, eps in zip(frames, EPS_GRID, strict=False)] == pytest.approx(
        [entry] * len(frames), rel=1e-3
    )
    assert len({f[LOSS] for f in frames}) == 1


@pytest.mark.parametrize("k", range(len(EPS_GRID)))
def test_shown_numbers_match_an_independent_forward_pass(explorer, k):
    """Default explorer: depth 3, width 8, tanh, seed 0, A_2[0, 0]."""
    explorer.slider.index = k
    eps = EPS_GRID[k]
    shown = numbers(explorer.readout)
    loss0 = loss_from_scratch(3, 8, "tanh", 0)
    loss1 = loss_from_scratch(3, 8, "tanh", 0, layer=2, ij=(0, 0), eps=eps)
    assert shown[LOSS] == pytest.approx(loss0, rel=1e-3)
    assert shown["actual change"] == pytest.approx(loss1 - loss0, rel=1e-3, abs=1e-12)
    assert shown["predicted change"] == pytest.approx(eps * shown["(grad A_l)[i, j]"], rel=1e-3)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
def test_prediction_is_first_order_correct(activation):
    """actual - predicted = O(eps^2): remainder / eps^2 levels off as eps -> 0, and the gradient
    entry agrees with a central difference of the independent loss."""
    p = mlp_problem(depth=4, width=5, activation=activation, seed=3, layer=2, i=3, j=1)
    h = 1e-6
    fd = (
        loss_from_scratch(4, 5, activation, 3, 2, (3, 1), h) - loss_from_scratch(4, 5, activation, 3, 2, (3, 1), -h)
    ) / (2 * h)
    assert p.G[3, 1] == pytest.approx(fd, rel=1e-5, abs=1e-9)
    small = [readout(p, e) for e in EPS_GRID[:7]]  # eps <= 1e-2
    ratios = np.array([r["remainder / eps^2"] for r in small])
    assert np.all(ratios < 10 * max(ratios[-1], 1e-6)), ratios
    for r, e in zip(small, EPS_GRID[:7], strict=False):
        assert abs(r["actual change"] - r["predicted change"]) == pytest.approx(r["remainder"], rel=1e-9, abs=1e-18)
        assert r["remainder"] <= max(ratios[-1], 1e-6) * 10 * e**2 + 1e-14


def test_remainder_slope_is_two():
    p = mlp_problem(depth=3, width=6, activation="tanh", seed=5, layer=1, i=2, j=0)
    rem, eps = p.study.remainder, p.study.eps
    ok = (eps <= 0.1) & (eps >= 1e-3)
    slope = np.polyfit(np.log(eps[ok]), np.log(rem[ok]), 1)[0]
    assert slope == pytest.approx(2.0, abs=0.15)


def test_delta_norms_are_those_of_the_backward_recursion():
    p = mlp_problem(depth=5, width=7, activation="sigmoid", seed=2, layer=5)
    assert p.delta_norms.shape == (5,)
    # the error at the top layer is D_L (h_L - Y); rebuild it with a plain forward pass
    hL, cache = mlp_forward(p.As, p.bs, p.X, "sigmoid")
    delta_L = hL * (1 - hL) * (hL - p.Y)
    assert p.delta_norms[-1] == pytest.approx(np.linalg.norm(delta_L), rel=1e-12)
    # grad A_L = delta_L h_{L-1}^T
    np.testing.assert_allclose(p.G, delta_L @ cache.h[-2].T, rtol=1e-12, atol=1e-15)
    # sigmoid' <= 1/4: the error signal shrinks going down this network
    assert p.delta_norms[0] < p.delta_norms[-1]


def test_live_controls_rerender_and_entry_is_clamped():
    e = make_mlp_explorer(eps_index=6)
    before = e.image
    for name, value in (("activation", "relu"), ("seed", 4), ("j", 2)):
        img = e.image
        e.controls[name].value = value
        assert e.last_error is None and e.image != img, name
    assert e.image != before
    # the entry sliders follow the chosen layer's shape A_l: (d_l, d_{l-1})
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["depth"].value = 4
        e.controls["width"].value = 9
        e.controls["layer"].value = 1
        assert (e.controls["i"].max, e.controls["j"].max) == (9, D_IN)  # counting from 1: i in 1..d_1
        e.controls["layer"].value = 4
        assert (e.controls["i"].max, e.controls["j"].max) == (D_OUT, 9)
        e.controls["depth"].value = 2  # layer 4 no longer exists
        assert e.controls["layer"].value == 2 and e.controls["layer"].max == 2
    assert e.last_error is None
    shown = numbers(e.readout)
    i, j = e.controls["i"].value, e.controls["j"].value  # the page's count: the array entry (i - 1, j - 1)
    loss0 = loss_from_scratch(2, 9, "relu", 4)
    loss1 = loss_from_scratch(2, 9, "relu", 4, layer=2, ij=(i - 1, j - 1), eps=EPS_GRID[6])
    assert shown[LOSS] == pytest.approx(loss0, rel=1e-3)
    assert shown["actual change"] == pytest.approx(loss1 - loss0, rel=1e-3, abs=1e-12)


def test_depth_one_network():
    e = make_mlp_explorer(depth=1, layer=5, i=7, j=7)
    assert e.last_error is None
    assert e.controls["layer"].value == 1
    assert (e.controls["i"].value, e.controls["j"].value) == (D_OUT, D_IN)


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="activation"):
        make_mlp_explorer(activation="gelu")
    with pytest.raises(ValueError, match="depth"):
        make_mlp_explorer(depth=2.5)
    with pytest.raises(ValueError, match="activation"):
        mlp_problem(activation="softplus")
    e = make_mlp_explorer(depth=40, width=1, seed=-3)
    assert (e.controls["depth"].value, e.controls["width"].value, e.controls["seed"].value) == (6, 2, 0)
    assert e.last_error is None


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte
    the one a new explorer with those controls draws (bars, gradient, zoom, remainders)."""
    e = make_mlp_explorer()
    assert_updates_like_a_fresh_one(
        e,
        make_mlp_explorer,
        [
            dict(seed=5),
            dict(layer=1),
            dict(i=3, j=2),
            dict(depth=5),
            dict(seed=9, layer=3),
            dict(activation="identity"),
        ],
        index="eps_index",
    )


def test_indices_shown_count_from_one():
    """The entry sliders run over 1..d_l, 1..d_{l-1} (the page's count) and start on the first entry;
    slider entry (i, j) is the array entry (i - 1, j - 1): the cell outlined on the gradient heatmap
    (whose ticks are labelled from 1), the one nudged, and the one the frame's label names."""
    e = make_mlp_explorer(depth=3, width=6, layer=2)
    assert (e.controls["i"].min, e.controls["i"].max, e.controls["i"].value) == (1, 6, 1)
    assert (e.controls["j"].min, e.controls["j"].max, e.controls["j"].value) == (1, 6, 1)
    with e.hold():
        e.controls["i"].value, e.controls["j"].value = 4, 2
    assert e.last_error is None
    ax = next(ax for ax in e.figure.axes if ax.images)
    assert list(ax.get_yticks()) == [0, 2, 4] and [t.get_text() for t in ax.get_yticklabels()] == ["1", "3", "5"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "5"]
    (box,) = ax.patches
    assert box.get_xy() == (2 - 1 - 0.5, 4 - 1 - 0.5)  # column j = 2, row i = 4: the array cell [3, 1]
    assert any(t.get_text().startswith("A_2[4, 2] += eps") for t in e.figure.texts)
    p = mlp_problem(3, 6, "tanh", 0, 2, 3, 1)
    assert p.dW[3, 1] == 1.0 and np.count_nonzero(p.dW) == 1
    shown = numbers(e.readout)
    assert shown["(grad A_l)[i, j]"] == pytest.approx(p.G[3, 1], rel=1e-3)
    eps = e.values[e.slider.index]
    loss1 = loss_from_scratch(3, 6, "tanh", 0, layer=2, ij=(3, 1), eps=eps)
    assert shown["actual change"] == pytest.approx(loss1 - p.loss, rel=1e-3, abs=1e-12)
