"""8.5 explorer: perturb one weight of a small MLP and watch backprop's prediction.

A depth-``L`` network ``h_0 = x, z_l = A_l h_{l-1} + b_l, h_l = sigma(z_l)`` with the loss
``ℒ = 1/2 |h_L - Y|_F^2`` over a batch of a few examples (columns of ``X``). The backward
recursion gives the error signals ``delta_l = grad_{z_l} ℒ`` and the weight gradients
``grad A_l = delta_l h_{l-1}^T``. Nudging one entry, ``A_l[i, j] += eps``, changes the loss
by ``eps (grad A_l)[i, j]`` to first order; the remainder shrinks like ``eps^2``.

Layers: compute (:func:`mlp_problem`, with :mod:`companion.models` and
:mod:`companion.perturb`), draw (``draw_*`` on given ``Axes``; the zoom and the remainders
are the panels of 8.3 and 8.6 too, from ``companion.widgets._first_order``), wire
(:func:`make_mlp_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogLocator, NullLocator

from ..models import ACTIVATIONS, mlp_delta_norms, mlp_init, mlp_loss, mlp_loss_and_grads
from ..perturb import S_GRID, FirstOrderStudy, Zoom, first_order_study, zoom_study
from . import _first_order, palette
from ._base import LOSS, Explorer, check_integers, readout_html
from ._first_order import FirstOrderPanels
from ._heatmap import Heatmap
from ._layers import fix_empty_labels

__all__ = [
    "EPS_GRID",
    "D_IN",
    "D_OUT",
    "BATCH",
    "MLPProblem",
    "mlp_sizes",
    "mlp_problem",
    "zoom",
    "readout",
    "draw_delta_norms",
    "draw_weight_gradient",
    "draw_remainders",
    "make_mlp_explorer",
]

EPS_GRID = tuple(float(e) for e in np.logspace(-4, 0, 13))
D_IN, D_OUT, BATCH = 3, 2, 4  # input and output widths, examples in the batch


@dataclass
class MLPProblem:
    As: list
    bs: list
    X: np.ndarray  # (D_IN, BATCH)
    Y: np.ndarray  # (D_OUT, BATCH)
    activation: str
    layer: int  # l, 1-based as in the chapter
    i: int  # the entry of A_l, array positions (from 0)
    j: int
    loss: float
    G: np.ndarray  # grad A_l, shape of A_l
    delta_norms: np.ndarray  # (L,): |delta_l|_F
    study: FirstOrderStudy  # along E_ij in A_l, over EPS_GRID
    zoom: Zoom  # along E_ij in A_l, over EPS_GRID

    @property
    def depth(self) -> int:
        return len(self.As)

    @property
    def dW(self) -> np.ndarray:
        """The direction ``E_ij`` in the space of ``A_l``."""
        E = np.zeros_like(self.As[self.layer - 1])
        E[self.i, self.j] = 1.0
        return E

    def loss_of(self, A_l) -> float:
        """The loss ``ℒ`` with ``A_l`` replaced (every other parameter fixed)."""
        As = list(self.As)
        As[self.layer - 1] = A_l
        return mlp_loss(As, self.bs, self.X, self.Y, self.activation)


def mlp_sizes(depth: int, width: int) -> list:
    """Layer widths ``[D_IN, width, ..., width, D_OUT]`` for ``depth`` layers (``depth = 1``: ``[D_IN, D_OUT]``)."""
    return [D_IN] + [int(width)] * (int(depth) - 1) + [D_OUT]


def mlp_problem(depth=3, width=8, activation="tanh", seed=0, layer=1, i=0, j=0, eps=EPS_GRID) -> MLPProblem:
    """A random network and batch from ``seed``; loss, deltas and ``grad A_l`` by backprop; the
    first-order study of ``A_l[i, j] += eps`` over ``eps``. ``layer``, ``i``, ``j`` are clamped
    to the network's shape."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sizes = mlp_sizes(depth, width)
    rng = np.random.default_rng(seed)
    As, bs = mlp_init(sizes, rng=rng, gain=1.0, bias_scale=0.1)
    X = rng.standard_normal((D_IN, BATCH))
    Y = rng.uniform(-0.5, 0.5, (D_OUT, BATCH))
    layer = int(np.clip(layer, 1, len(As)))
    i = int(np.clip(i, 0, As[layer - 1].shape[0] - 1))
    j = int(np.clip(j, 0, As[layer - 1].shape[1] - 1))
    loss, grads = mlp_loss_and_grads(As, bs, X, Y, activation)
    G = grads.A[layer - 1]
    E = np.zeros_like(G)
    E[i, j] = 1.0

    def f(A_l):
        return mlp_loss(As[: layer - 1] + [A_l] + As[layer:], bs, X, Y, activation)

    study = first_order_study(f, As[layer - 1], G, E, np.asarray(eps))
    zoom = zoom_study(f, As[layer - 1], G, E, np.asarray(eps), f0=study.f0)
    return MLPProblem(As, bs, X, Y, activation, layer, i, j, loss, G, mlp_delta_norms(grads), study, zoom)


def zoom(p: MLPProblem, eps: float, s=S_GRID):
    """The loss along ``E_ij`` seen at scale ``eps``: ``(ℒ(A_l + s eps E_ij) - ℒ) / eps`` for ``s`` in ``[-2, 2]``.

    Its tangent line is ``s (grad A_l)[i, j]`` at every scale. Returns ``(s, curve)``."""
    return p.zoom.at(eps, p.loss_of, p.As[p.layer - 1], p.G, p.dW, s=s, f0=p.loss)


def readout(p: MLPProblem, eps: float) -> dict:
    """The numbers shown for the nudge ``A_l[i, j] += eps`` (read from the study when ``eps`` is on its grid)."""
    k = p.study.index(eps)
    s = p.study if k is not None else first_order_study(p.loss_of, p.As[p.layer - 1], p.G, p.dW, [eps])
    return {LOSS: s.f0, "(grad A_l)[i, j]": float(p.G[p.i, p.j]), **s.numbers(k or 0)}


def draw_delta_norms(ax, norms, layer: int):
    """Bars of ``|delta_l|_F`` for ``l = 1..L`` (log scale), the chosen layer highlighted.

    Returns ``update(norms, layer)``, which draws the bars again for other norms (any depth)."""

    def update(norms, layer):
        for old in list(ax.containers):
            old.remove()
        pos = np.maximum(norms, 1e-300)
        colors = [palette.VERMILLION if k + 1 == layer else palette.BLUE for k in range(len(norms))]
        bars = ax.bar(np.arange(1, len(norms) + 1), pos, color=colors, width=0.7)
        if 1 <= layer <= len(norms):  # marked by a hatch too, not by colour alone
            bars[layer - 1].set_hatch("///")
            bars[layer - 1].set_edgecolor(palette.INK)
        good = norms[norms > 0]
        lo, hi = (good.min(), good.max()) if good.size else (1e-3, 1.0)
        ax.set_ylim(lo / 3, hi * 3)
        ax.set_xlim(0.4, len(norms) + 0.6)
        ax.set_xticks(np.arange(1, len(norms) + 1))

    update(norms, layer)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(numticks=5))
    ax.yaxis.set_minor_locator(NullLocator())
    good = norms[norms > 0]
    lo, hi = (good.min(), good.max()) if good.size else (1e-3, 1.0)
    ax.set_ylim(lo / 3, hi * 3)
    ax.set_xlabel("layer l", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(r"$\|\delta_\ell\|_F$ (batch)", fontsize=10, y=1.0)  # y: not placed per draw
    fix_empty_labels(ax)
    return update


def draw_weight_gradient(ax, G, i: int, j: int, layer: int):
    """Heatmap of ``grad A_l = delta_l h_{l-1}^T`` (summed over the batch), entry ``(i, j)`` outlined
    (array positions, from 0; the tick labels count from 1, so the outlined cell is labelled ``(i + 1, j + 1)``).

    Returns ``update(G, i, j, layer)`` for another gradient (any shape)."""

    def title(layer):
        return rf"$\nabla_{{A_{layer}}}\mathcal{{L}} = \delta_{layer} h_{layer - 1}^\top$"

    heat = Heatmap(ax, G, title=title(layer), xlabel="column j", ylabel="row i", fontsize=9)
    box = ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=palette.INK, lw=2.2))

    def update(G, i, j, layer):
        heat.update(G, title=title(layer))
        box.set_xy((j - 0.5, i - 0.5))

    return update


def draw_remainders(ax, study: FirstOrderStudy, eps: float):
    """Remainder ``|actual - predicted|`` against ``eps`` (log-log), a slope-2 guide, current ``eps`` ringed,
    on compact axes: remainders at exactly zero (a loss flat along the entry) are drawn at the bottom edge.

    Returns ``(ring, update)``."""
    return _first_order.draw_remainders(ax, study, eps, compact=True)


def _controls(depth, width, activation, seed, layer, i, j) -> dict:
    """The explorer's controls; the layer and the entry (counting from 1, as on the page) are kept inside
    the current network."""
    sizes = mlp_sizes(depth, width)
    rows, cols = sizes[layer], sizes[layer - 1]
    controls = {
        "depth": widgets.IntSlider(value=depth, min=1, max=6, description="depth L"),
        "width": widgets.IntSlider(value=width, min=2, max=16, description="width"),
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation, description="activation"),
        "seed": widgets.IntSlider(value=int(np.clip(seed, 0, 99)), min=0, max=99, description="seed"),
        "layer": widgets.IntSlider(value=layer, min=1, max=depth, description="layer l"),
        "i": widgets.IntSlider(value=int(np.clip(i, 1, rows)), min=1, max=rows, description="entry i"),
        "j": widgets.IntSlider(value=int(np.clip(j, 1, cols)), min=1, max=cols, description="entry j"),
    }

    def clamp(change):  # keep the layer and the entry inside the current network
        c = controls
        c["layer"].max = c["depth"].value  # ipywidgets clamps .value to the new max
        s = mlp_sizes(c["depth"].value, c["width"].value)
        c["i"].max = s[c["layer"].value]  # A_l is (d_l, d_{l-1}): i in 1..d_l, j in 1..d_{l-1}
        c["j"].max = s[c["layer"].value - 1]

    for name in ("depth", "width", "layer"):
        controls[name].observe(clamp, names="value")
    return controls


def _render(fig, p):
    """Draw (the first time) or update in place (after) the figure for the controls ``p``; returns ``frame(eps)``.
    The entry sliders count from 1; the problem takes the array entry, from 0."""
    prob = mlp_problem(p["depth"], p["width"], p["activation"], p["seed"], p["layer"], p["i"] - 1, p["j"] - 1)
    panels = getattr(fig, "_mlp_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["first"].axes):
        fig.clear()
        gs = fig.add_gridspec(
            1, 4, width_ratios=[1, 1.25, 1.5, 1.3], left=0.045, right=0.985, bottom=0.14, top=0.8, wspace=0.42
        )
        axes = [fig.add_subplot(gs[k]) for k in range(4)]
        panels = fig._mlp_panels = dict(
            bars=draw_delta_norms(axes[0], prob.delta_norms, prob.layer),
            gradient=draw_weight_gradient(axes[1], prob.G, prob.i, prob.j, prob.layer),
            first=FirstOrderPanels(
                axes[2],
                axes[3],
                prob.study,
                prob.zoom,
                compact=True,
                zoom_title=r"zoom on $\mathcal{L}$ along the entry",
                predicted=r"predicted $s\,(\nabla_{A_\ell}\mathcal{L})_{ij}$",
                actual=r"actual $(\mathcal{L}(A_\ell+s\varepsilon E_{ij})-\mathcal{L})/\varepsilon$",
            ),
            label=fig.text(0.045, 0.925, "", fontsize=10, fontweight="bold"),
        )
    else:
        panels["bars"](prob.delta_norms, prob.layer)
        panels["gradient"](prob.G, prob.i, prob.j, prob.layer)
        panels["first"].show(prob.study, prob.zoom)
    first, label = panels["first"], panels["label"]
    what = f"({prob.activation}, L = {prob.depth}, widths {mlp_sizes(prob.depth, p['width'])})"

    def frame(eps):
        label.set_text(f"A_{prob.layer}[{prob.i + 1}, {prob.j + 1}] += eps = {eps:.3g}     {what}")
        return [*first.frame(prob.study.index(eps)), label], readout_html(readout(prob, eps))

    return frame


_render.reuses_figure = True


def make_mlp_explorer(
    depth: int = 3,
    width: int = 8,
    activation: str = "tanh",
    seed: int = 0,
    layer: int = 2,
    i: int = 1,
    j: int = 1,
    eps_index: int = 8,
) -> Explorer:
    """The "perturb W" explorer for 8.5 (an MLP); returns an ipywidgets widget.

    Static (pre-rendered): the activation x ``eps`` (13 values, 1e-4 to 1). Live: depth (1-6
    layers), hidden width (2-16), seed, the layer ``l`` and the entry ``(i, j)`` of ``A_l`` that is nudged,
    counting from 1, as on the page (clamped to the layer's shape: ``1..d_l``, ``1..d_{l-1}``).
    """
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    check_integers(depth=depth, width=width, seed=seed, layer=layer, i=i, j=j, eps_index=eps_index)
    depth, width = int(np.clip(depth, 1, 6)), int(np.clip(width, 2, 16))
    return Explorer(
        title="<b>Perturb W in an MLP (8.5)</b>: nudge one weight A_l[i, j] by eps; "
        f"backprop predicts the change eps &middot; (&nabla;<sub>A_l</sub>{LOSS})[i, j]",
        main=("eps", EPS_GRID, eps_index),
        controls=_controls(depth, width, activation, seed, int(np.clip(layer, 1, depth)), i, j),
        render=_render,
        choice="activation",
        figsize=(11.0, 3.5),
    )
