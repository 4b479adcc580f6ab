"""8.8 explorer (Jacobian spectra at initialization): built headlessly, driven programmatically, numbers checked."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorers import assert_updates_like_a_fresh_one

from companion.spectra import marchenko_pastur_cdf, sample_weights
from companion.widgets import make_spectra_explorer
from companion.widgets._base import parse_readout as numbers
from companion.widgets.spectra import DEPTHS, spectra_study


@pytest.fixture(scope="module")
def explorer():
    return make_spectra_explorer()


def explicit_jacobian(n, depth, init, gain, activation, seed):
    """J = D_L A_L ... D_1 A_1 with explicit diagonal matrices, from the same draws as the explorer."""
    rng = np.random.default_rng(seed)
    As = sample_weights(n, max(DEPTHS), init=init, sigma_w=gain, rng=rng)
    x = rng.standard_normal(n)
    sigma = {"linear": lambda z: z, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[activation]
    dsigma = {"linear": np.ones_like, "tanh": lambda z: 1 - np.tanh(z) ** 2, "relu": lambda z: (z > 0) * 1.0}[
        activation
    ]
    J, h = np.eye(n), x
    for A in As[:depth]:
        z = A @ h
        J = np.diag(dsigma(z)) @ A @ J
        h = sigma(z)
    return J


def test_main_slider_runs_over_the_depths(explorer):
    assert explorer.values == list(DEPTHS)
    frames = [numbers(r.value) for r in explorer.readouts.children]
    assert [f["depth L"] for f in frames] == list(DEPTHS)
    assert frames[1]["mean s^2 (this network)"] != frames[5]["mean s^2 (this network)"]


@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
@pytest.mark.parametrize("init", ["gaussian", "orthogonal"])
def test_readout_matches_an_explicit_product(activation, init):
    e = make_spectra_explorer(width=16, gain=1.1, activation=activation, init=init, seed=3)
    for k, depth in enumerate(DEPTHS):
        e.slider.index = k
        shown = numbers(e.readout)
        J = explicit_jacobian(16, depth, init, 1.1, activation, 3)
        s = np.linalg.svd(J, compute_uv=False)
        assert shown["mean s^2 (this network)"] == pytest.approx(np.trace(J.T @ J) / 16, rel=1e-3)
        assert shown["s_max"] == pytest.approx(s[0], rel=1e-3)
        if activation == "linear":
            assert shown["mean s^2 (theory)"] == pytest.approx(1.1 ** (2 * depth), rel=1e-3)
        if activation == "relu":
            assert shown["mean s^2 (theory)"] == pytest.approx((1.1**2 / 2) ** depth, rel=1e-3)
            assert shown["fraction of s ~ 0"] >= 0.2  # the relu zeros make J singular


def test_orthogonal_linear_is_an_exact_point_mass():
    e = make_spectra_explorer(width=32, gain=1.25, activation="linear", init="orthogonal")
    for k, depth in enumerate(DEPTHS):
        e.slider.index = k
        shown = numbers(e.readout)
        assert shown["s_max"] == pytest.approx(1.25**depth, rel=1e-3)
        assert shown["s_min above round-off"] == pytest.approx(1.25**depth, rel=1e-3)
        assert shown["mean s^2 (this network)"] == pytest.approx(shown["mean s^2 (theory)"], rel=1e-3)
    study = spectra_study(32, init="orthogonal", sigma_w=1.25, activation="linear")
    for d in DEPTHS:  # the whole histogram in one bin, the reference's bin
        assert study.fractions[d].max() == 1.0
        assert np.argmax(study.fractions[d]) == np.argmax(study.reference[d])


def test_marchenko_pastur_reference_at_depth_one():
    study = spectra_study(64, init="gaussian", sigma_w=1.3, activation="linear")
    ref = study.reference[1]
    assert ref is not None and all(study.reference[d] is None for d in DEPTHS[1:])
    e = study.edges
    assert ref == pytest.approx(
        marchenko_pastur_cdf(e[1:] ** 2, 1.0, 1.3**2) - marchenko_pastur_cdf(e[:-1] ** 2, 1.0, 1.3**2)
    )
    assert ref.sum() == pytest.approx(1.0, abs=1e-3)  # the bins cover the law's support
    # the sample follows the law: cumulated fractions within a few percent
    assert np.abs(np.cumsum(study.fractions[1]) - np.cumsum(ref)).max() < 0.1
    for act in ("tanh", "relu"):
        assert all(r is None for r in spectra_study(16, sigma_w=1.3, activation=act).reference.values())


def test_fixed_bins_hold_every_singular_value():
    study = spectra_study(32, init="gaussian", sigma_w=1.6, activation="tanh")
    for d in DEPTHS:
        assert study.fractions[d].sum() + study.zero_fraction[d] == pytest.approx(1.0)
        s = study.sweep.singular_values[d]
        assert s.max() <= study.edges[-1]


def test_live_controls_rerender_and_numbers_follow():
    e = make_spectra_explorer(depth_index=4, activation="linear")
    before = e.image
    e.controls["init"].value = "orthogonal"
    assert e.image != before and e.last_error is None
    assert numbers(e.readout)["s_max"] == pytest.approx(1.0, rel=1e-9)
    with e.hold():  # these controls change together: one render, with their final values
        e.controls["activation"].value = "relu"
        e.controls["gain"].value = float(np.sqrt(2))
    assert numbers(e.readout)["mean s^2 (theory)"] == pytest.approx(1.0)
    e.controls["width"].value = 32
    assert e.last_error is None
    assert "per update" in dict((v, k) for k, v in e.controls["width"].options)[256]


def test_updated_figure_equals_a_fresh_one():
    """The figure is kept and updated in place when a control changes: each frame is byte for byte the
    one a new explorer with those controls draws (bins, reference law, curves around the critical gain
    and their names, legends, limits), on both figures of the static choice."""
    e = make_spectra_explorer()
    e.refresh()  # both options' figures drawn: every change below moves a figure already drawn
    assert_updates_like_a_fresh_one(
        e,
        make_spectra_explorer,
        [
            dict(width=16),
            dict(gain=1.25),  # not critical for tanh: its curve around the critical gain is drawn
            dict(activation="relu"),
            dict(gain=float(np.sqrt(2))),  # critical for relu
            dict(init="orthogonal"),
            dict(activation="linear", gain=1.0),  # a point mass at every depth
            dict(width=32, gain=0.5),
            dict(width=64, activation="tanh", gain=2.0),
            dict(init="gaussian", activation="linear"),  # Marchenko-Pastur at depth 1
        ],
        index="depth_index",
    )


def test_bad_defaults_rejected():
    with pytest.raises(ValueError, match="activation"):
        make_spectra_explorer(activation="gelu")
    with pytest.raises(ValueError, match="init"):
        make_spectra_explorer(init="uniform")
    with pytest.raises(ValueError, match="width"):
        make_spectra_explorer(width=100)
    with pytest.raises(ValueError, match="gain"):
        make_spectra_explorer(gain=-1.0)
    e = make_spectra_explorer(gain=1.05, depth_index=42, width=16)  # an unlisted gain is added; the index clamped
    assert e.controls["gain"].value == 1.05 and e.index == len(DEPTHS) - 1


@pytest.mark.parametrize(
    ("init", "activation", "gain"),
    [("gaussian", "linear", 1.0), ("orthogonal", "linear", 1.0), ("gaussian", "tanh", 1.0), ("gaussian", "relu", 1.0)],
)
def test_legends_list_what_is_drawn_once(init, activation, gain):
    """On every frame, each legend shown lists distinct entries, each of them a visible artist of its panel."""
    e = make_spectra_explorer(init=init, activation=activation, gain=gain)
    for i in range(len(DEPTHS)):
        e.slider.index = i
        fig = e.figure
        for ax in fig.axes:
            legends = [a for a in ax.get_children() if type(a).__name__ == "Legend" and a.get_visible()]
            assert len(legends) <= 1, f"depth {DEPTHS[i]}: {len(legends)} legends shown on one panel"
            for legend in legends:
                labels = [t.get_text() for t in legend.get_texts()]
                assert len(labels) == len(set(labels)), f"depth {DEPTHS[i]}: listed twice in {labels}"
                drawn = {a.get_label() for a in ax.get_children() if a.get_visible()}
                assert set(labels) <= drawn, f"depth {DEPTHS[i]}: {set(labels) - drawn} listed but not drawn"
