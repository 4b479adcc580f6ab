"""8.8 explorer: singular values of the input-output Jacobian of a deep network at initialization.

``J = D_L A_L ... D_1 A_1`` for ``L`` square layers of width ``n``, Gaussian
(``N(0, sigma_w^2 / n)``) or orthogonal (``sigma_w`` times Haar), with a linear, tanh or
ReLU activation, at a Gaussian input. The main slider is the depth ``L``: the histogram
of the singular values of ``J`` spreads over orders of magnitude for Gaussian layers,
stays a point mass for orthogonal linear ones, and its mean square drifts away from 1
unless the gain is critical (1 for linear and tanh, sqrt(2) for ReLU).

Layers: compute (``companion.spectra``, here ``spectra_study``, everything every
frame needs, in one pass over the depths), draw (``draw_*`` on given ``Axes``), wire
(``make_spectra_explorer``).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.legend import Legend
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from .. import _validate
from ..spectra import (
    INITS,
    SPECTRA_ACTIVATIONS,
    DepthSweep,
    critical_gain,
    depth_sweep,
    marchenko_pastur_cdf,
    predicted_mean_squared_singular_value,
)
from . import palette
from ._base import Artists, Explorer, readout_html
from ._layers import fix_empty_labels

__all__ = [
    "DEPTHS",
    "WIDTHS",
    "GAINS",
    "SpectraStudy",
    "spectra_study",
    "draw_histogram",
    "draw_depth_curves",
    "readout",
    "make_spectra_explorer",
]

DEPTHS = (1, 2, 4, 8, 16, 32)
WIDTHS = (16, 32, 64, 128, 256)
WIDTH_COST = {128: "~0.5 s", 256: "~1 s"}  # measured per live update on a 2-core machine
GAINS = (0.5, 0.8, 0.9, 1.0, 1.1, 1.25, float(np.sqrt(2)), 1.6, 2.0)
GAIN_FACTORS = (0.8, 0.9, 1.0, 1.1, 1.25)  # the theory curves: these multiples of the critical gain
N_BINS = 80
_EPS = np.finfo(float).eps


def _plain_log(v, _):
    """Tick label of a log axis as plain text (``1e-3``, ``1``, ``100``): no mathtext, faster to draw."""
    e = np.log10(v)
    return f"{v:g}" if -2 <= e <= 2 else f"1e{e:.0f}"


@dataclass
class SpectraStudy:
    """Everything the frames of one setting of the controls show.

    ``edges`` are the (fixed, log-spaced) histogram bin edges; ``fractions[L]`` the
    fraction of the ``n`` singular values of ``J_L`` in each bin (those below round-off,
    ``s <= n eps s_max``, are counted in ``zero_fraction[L]`` instead); ``reference[L]``
    the reference law's mass per bin (Marchenko-Pastur at depth 1 for Gaussian linear
    nets, a point mass ``sigma_w^L`` for orthogonal linear ones) or ``None``;
    ``theory`` the predicted mean squared singular value for depths ``1..32``.
    """

    sweep: DepthSweep
    edges: np.ndarray
    fractions: dict
    zero_fraction: dict
    reference: dict
    theory: np.ndarray


def _above_roundoff(s: np.ndarray) -> np.ndarray:
    return s[s > len(s) * _EPS * s.max()] if s.size and s.max() > 0 else s[:0]


def spectra_study(
    n: int = 64, *, init: str = "gaussian", sigma_w: float = 1.0, activation: str = "linear", seed: int = 0
) -> SpectraStudy:
    """Sample one network of depth ``max(DEPTHS)`` and prepare every frame (see ``SpectraStudy``)."""
    L = max(DEPTHS)
    sweep = depth_sweep(
        n, L, init=init, sigma_w=sigma_w, activation=activation, rng=np.random.default_rng(seed), kept=DEPTHS
    )
    kept = {d: _above_roundoff(sweep.singular_values[d]) for d in DEPTHS}
    values = np.concatenate([v for v in kept.values() if v.size]) if any(v.size for v in kept.values()) else np.ones(1)
    lo, hi = np.log10(values.min()), np.log10(values.max())
    lo, hi = np.floor(lo - 0.05), np.ceil(hi + 0.05)
    if hi - lo < 2:  # at least two decades, centred on the data
        mid = 0.5 * (lo + hi)
        lo, hi = np.floor(mid - 1), np.ceil(mid + 1)
    edges = np.logspace(lo, hi, N_BINS + 1)
    fractions, zeros, reference = {}, {}, {}
    for d in DEPTHS:
        fractions[d] = np.histogram(kept[d], edges)[0] / n
        zeros[d] = 1.0 - kept[d].size / n
        reference[d] = None
        if activation == "linear" and init == "gaussian" and d == 1:
            # squared singular values of one square Gaussian layer: MP with ratio 1, variance sigma_w^2
            reference[d] = np.diff(marchenko_pastur_cdf(edges**2, 1.0, sigma_w**2))
        elif activation == "linear" and init == "orthogonal":
            mass = np.zeros(N_BINS)
            k = np.searchsorted(edges, sigma_w**d, side="right") - 1
            if 0 <= k < N_BINS:
                mass[k] = 1.0
            reference[d] = mass
    theory = predicted_mean_squared_singular_value(sigma_w, L, activation)
    return SpectraStudy(
        sweep=sweep, edges=edges, fractions=fractions, zero_fraction=zeros, reference=reference, theory=theory
    )


def _reference_label(study: SpectraStudy) -> str:
    return "Marchenko-Pastur law" if study.sweep.init == "gaussian" else r"every $s = \sigma_w^L$"


def draw_histogram(ax, study: SpectraStudy, depth: int, *, ylim=None):
    """Histogram of the singular values of ``J_depth`` (fraction per log-spaced bin) and the reference law.

    Returns ``(bars, ref)``: the histogram (a ``StepPatch``) and the reference (a dashed
    ``StepPatch``, hidden when there is none), both updated per depth;
    ``.restudy(study, ylim=None)`` moves the bins, the limits and the reference's name to
    another study and returns them (the values they show are the depth's: the caller sets them per depth)."""
    bars = ax.stairs(
        study.fractions[depth], study.edges, fill=True, color=palette.SKY, alpha=0.85, label="singular values of J"
    )
    r = study.reference[depth]
    ref_label = _reference_label(study)
    ref = ax.stairs(
        r if r is not None else np.zeros(N_BINS),
        study.edges,
        color=palette.VERMILLION,
        lw=1.6,
        ls="--",
        label=ref_label,
    )
    ref.set_visible(r is not None)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10.0, numticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(_plain_log))
    ax.xaxis.set_minor_locator(NullLocator())  # unlabelled minor ticks cost a third of a redraw
    ax.set_xlabel("singular value s of J (log scale)")
    ax.set_ylabel("fraction of the n values", fontsize=8)
    ax.set_title(
        "spectrum of the input-output Jacobian", fontsize=10, loc="right", y=1.0
    )  # fixed: not computed per draw
    # two legends, one shown per frame: the reference law is listed only where it is drawn
    legends = (
        Legend(ax, [bars], [bars.get_label()], fontsize=7, loc="upper left"),
        Legend(ax, [bars, ref], [bars.get_label(), ref_label], fontsize=7, loc="upper left"),
    )
    for legend in legends:
        ax.add_artist(legend)
    legends[0].set_visible(r is None)
    legends[1].set_visible(r is not None)
    bars.legends = legends
    artists = Artists((bars, ref))

    def restudy(study, ylim=None):
        for stairs in artists:
            stairs.set_data(edges=study.edges)
        ref_label = _reference_label(study)
        ref.set_label(ref_label)
        legends[1].texts[1].set_text(ref_label)
        ax.set_xlim(study.edges[0], study.edges[-1])
        if ylim is None:
            tops = [f.max() for f in study.fractions.values()] + [
                x.max() for x in study.reference.values() if x is not None
            ]
            ylim = (0, 1.15 * max(tops))
        ax.set_ylim(*ylim)
        return artists

    artists.restudy = restudy
    return restudy(study, ylim)


def draw_depth_curves(ax, study: SpectraStudy, depth: int):
    """Mean squared singular value against depth (log-log): theory for a few gains around the critical one,
    theory and samples at the current gain. Returns ``(vline, marker)`` marking the current depth;
    ``.restudy(study)`` moves the curves, their names, the limits and the legend to another study
    and returns them (they stay at the depth they mark: the caller moves them per depth)."""
    ls = np.arange(1, len(study.theory) + 1)
    cmap = colormaps[palette.UNIFORM]  # dark blue (small gains) to olive (large); its yellow end is too pale on white
    around = [
        ax.plot([], [], color=cmap(0.85 * k / (len(GAIN_FACTORS) - 1)), lw=2.4 if f == 1.0 else 1.0)[0]
        for k, f in enumerate(GAIN_FACTORS)
    ]
    (theory,) = ax.plot(ls, study.theory, "--", color=palette.INK, lw=1.2)
    (sampled,) = ax.plot(ls, study.sweep.mean_sq, "o", mfc="none", mec=palette.VERMILLION, ms=4, label="this network")
    ax.axhline(1.0, color=palette.FRAME, lw=0.6)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator(DEPTHS))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=7))
    ax.yaxis.set_major_formatter(FuncFormatter(_plain_log))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(0.85, max(DEPTHS) * 1.15)
    ax.set_xlabel("depth L")
    ax.set_title(r"mean squared singular value $\frac{1}{n}\,\mathrm{tr}(J^\top J)$", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    vline = ax.axvline(depth, color=palette.VERMILLION, lw=1, alpha=0.6)
    (marker,) = ax.plot([depth], [study.sweep.mean_sq[depth - 1]], "o", color=palette.VERMILLION, ms=9)
    artists = Artists((vline, marker))

    def restudy(study):
        sw = study.sweep
        act, gc = sw.activation, critical_gain(sw.activation)
        curves = [study.theory, sw.mean_sq]
        for k, (f, line) in enumerate(zip(GAIN_FACTORS, around, strict=True)):
            y = predicted_mean_squared_singular_value(f * gc, len(ls), act)
            curves.append(y)
            # the theory at the current gain is drawn once, by `theory` (and labelled once); the curve
            # skipped is emptied too, as a hidden line still counts where the legend finds its "best" place
            shown = not np.isclose(f * gc, sw.sigma_w, rtol=1e-9)
            line.set_data((ls, y) if shown else ([], []))
            line.set_visible(shown)
            if f == 1.0:
                line.set_label(f"critical gain {gc:.3g}")
            elif k in (0, len(GAIN_FACTORS) - 1):
                line.set_label(f"gain {f * gc:.3g}")
        critical = " (critical)" if np.isclose(sw.sigma_w, gc, rtol=1e-9) else ""
        theory.set_ydata(study.theory)
        theory.set_label(f"theory, gain {sw.sigma_w:.3g}{critical}")
        sampled.set_ydata(sw.mean_sq)
        y = np.concatenate(curves)
        y = y[np.isfinite(y) & (y > 0)]
        lo, hi = np.log10(max(y.min(), 1e-30)), np.log10(min(y.max(), 1e30))
        ax.set_ylim(10 ** (np.floor(lo) - 0.2), 10 ** (np.ceil(hi) + 0.2))
        named = [h for h in (*around, theory, sampled) if h.get_visible() and not h.get_label().startswith("_")]
        ax.legend(handles=named, fontsize=6.5, loc="best")
        return artists

    artists.restudy = restudy
    return restudy(study)


def readout(study: SpectraStudy, depth: int) -> dict:
    """The numbers shown at ``depth``: sampled and predicted mean squared singular value, extremes, zeros."""
    s = study.sweep.singular_values[depth]
    nz = _above_roundoff(s)
    return {
        "depth L": depth,
        "mean s^2 (this network)": float(study.sweep.mean_sq[depth - 1]),
        "mean s^2 (theory)": float(study.theory[depth - 1]),
        "s_max": float(s.max()),
        "s_min above round-off": float(nz.min()) if nz.size else 0.0,
        "fraction of s ~ 0": float(study.zero_fraction[depth]),
    }


def _reference_note(study: SpectraStudy, depth: int) -> str:
    sw = study.sweep
    if study.reference[depth] is None:
        return ""
    if sw.init == "gaussian":
        return "dashed: Marchenko-Pastur law (one Gaussian layer)"
    return f"dashed: every s = sigma_w^L = {sw.sigma_w**depth:.3g}"


def _controls(width, gains, gain, activation, init) -> dict:
    """The explorer's controls; the widths that cost more than the bound of a live update say so."""
    width_options = [(f"{w}" + (f" ({WIDTH_COST[w]} per update)" if w in WIDTH_COST else ""), w) for w in WIDTHS]
    gain_options = [(f"{g:.4g}" + (" (√2)" if abs(g - np.sqrt(2)) < 1e-12 else ""), g) for g in gains]

    def dropdown(options, value, description, width):
        return widgets.Dropdown(
            options=options, value=value, description=description, layout=widgets.Layout(width=width)
        )

    return {
        "width": dropdown(width_options, width, "width n", "260px"),
        "gain": dropdown(gain_options, gain, "gain σ_w", "200px"),
        "activation": dropdown(list(SPECTRA_ACTIVATIONS), activation, "activation", "200px"),
        "init": dropdown(list(INITS), init, "init", "220px"),
    }


def _build(fig, study: SpectraStudy) -> dict:
    """Draw the two panels and the figure's texts once; returns the handles that ``render`` moves to another study."""
    fig.clear()
    gs = fig.add_gridspec(1, 2, width_ratios=[1.25, 1.0], left=0.07, right=0.98, bottom=0.14, top=0.9, wspace=0.2)
    ax_h, ax_d = fig.add_subplot(gs[0]), fig.add_subplot(gs[1])
    panels = {
        "axes": (ax_h, ax_d),
        "histogram": draw_histogram(ax_h, study, DEPTHS[0]),
        "depths": draw_depth_curves(ax_d, study, DEPTHS[0]),
        "label": fig.text(0.01, 0.95, "", fontsize=10, fontweight="bold"),
        "note": fig.text(0.075, 0.7, "", fontsize=7.5, color=palette.VERMILLION),
    }
    fig._spectra_panels = panels
    return panels


def _make_render(seed: int):
    """The render function of the explorer for the networks drawn from ``seed``."""

    def render(fig, p):
        study = spectra_study(p["width"], init=p["init"], sigma_w=p["gain"], activation=p["activation"], seed=seed)
        # the figure is kept from one setting of the controls to the next (render.reuses_figure):
        # the panels are drawn once, then moved to the new study
        panels = getattr(fig, "_spectra_panels", None)
        if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
            panels = _build(fig, study)
        bars, ref = panels["histogram"].restudy(study)
        vline, marker = panels["depths"].restudy(study)
        label, note = panels["label"], panels["note"]

        def frame(depth):
            bars.set_data(values=study.fractions[depth])
            r = study.reference[depth]
            ref.set_visible(r is not None)
            if r is not None:
                ref.set_data(values=r)
            bars.legends[0].set_visible(r is None)
            bars.legends[1].set_visible(r is not None)
            vline.set_xdata([depth, depth])
            marker.set_data([depth], [study.sweep.mean_sq[depth - 1]])
            label.set_text(f"depth L = {depth}")
            note.set_text(_reference_note(study, depth))
            artists = [bars, ref, *bars.legends, vline, marker, label, note]
            return artists, readout_html(readout(study, depth))

        return frame

    render.reuses_figure = True
    return render


def make_spectra_explorer(
    depth_index: int = 3,
    width: int = 64,
    gain: float = 1.0,
    activation: str = "tanh",
    init: str = "gaussian",
    seed: int = 0,
) -> Explorer:
    """The 8.8 explorer; returns an ipywidgets widget.

    Static (pre-rendered): the initialization (Gaussian or orthogonal) x the depth ``L`` (1, 2,
    4, 8, 16, 32). Live: the width ``n`` (16 to 256; larger widths cost more per update, as the
    labels say), the gain ``sigma_w`` and the activation (linear, tanh, relu).
    """
    _validate.check_integers(depth_index=depth_index)
    _validate.as_seed(seed)
    _validate.as_number(gain, "gain")
    if activation not in SPECTRA_ACTIVATIONS:
        raise ValueError(f"activation must be one of {SPECTRA_ACTIVATIONS}, got {activation!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {WIDTHS}, got {width!r}")
    try:
        gain = float(gain)
    except (TypeError, ValueError):
        raise TypeError(f"gain must be a number, got {type(gain).__name__}") from None
    if not (np.isfinite(gain) and 0 < gain <= 4):
        raise ValueError(f"gain must be a number in (0, 4], got {gain!r}")
    gains = sorted(set(GAINS) | {gain})
    return Explorer(
        title="<b>Jacobian spectra at initialization (8.8)</b>: "
        "J = D<sub>L</sub>A<sub>L</sub> &hellip; D<sub>1</sub>A<sub>1</sub> "
        "for L random layers of width n",
        main=("depth L", DEPTHS, depth_index),
        controls=_controls(width, gains, gain, activation, init),
        render=_make_render(seed),
        choice="init",
        figsize=(10, 3.7),
        labels=lambda v: f"{v:d}",
    )
