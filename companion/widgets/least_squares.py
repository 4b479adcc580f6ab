"""8.3 explorer: perturb W in least squares and watch the first-order prediction.

``ℒ(W) = 1/2 |W x - b|^2`` has gradient ``G = r x^T`` (``r = W x - b``). Choose a
direction ``dW`` (unit Frobenius norm) and a step ``eps``: the true change
``ℒ(W + eps dW) - ℒ(W)`` and the prediction ``eps <G, dW>_F`` agree up to a remainder
that is exactly ``eps^2 |dW x|^2 / 2`` here (the loss is quadratic in ``W``).

Layers: compute (:func:`least_squares_problem`, with :mod:`companion.perturb`),
draw (``draw_*`` on given ``Axes``; the zoom and the remainders are the panels that 8.5 and
8.6 show too, from ``companion.widgets._first_order``), wire (:func:`make_least_squares_explorer`).
The figure is drawn once and updated in place when a control changes (sizes included).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..models import least_squares
from ..perturb import DIRECTIONS, S_GRID, FirstOrderStudy, Zoom, direction, first_order_study, zoom_study
from ._base import LOSS, Explorer, readout_html
from ._first_order import FirstOrderPanels, draw_remainders
from ._heatmap import Heatmap

__all__ = [
    "LeastSquaresProblem",
    "least_squares_problem",
    "zoom",
    "readout",
    "draw_remainders",
    "draw_outer_product",
    "make_least_squares_explorer",
    "EPS_GRID",
]

EPS_GRID = tuple(float(e) for e in np.logspace(-3, 0, 13))


@dataclass
class LeastSquaresProblem:
    W: np.ndarray
    x: np.ndarray
    b: np.ndarray
    r: np.ndarray
    G: np.ndarray
    dW: np.ndarray
    study: FirstOrderStudy  # over EPS_GRID
    zoom: Zoom  # over EPS_GRID

    def loss(self, W) -> float:
        return least_squares(W, self.x, self.b)[0]


def least_squares_problem(m=3, n=4, seed=0, kind="random", i=0, j=0, eps=EPS_GRID) -> LeastSquaresProblem:
    """Random ``W (m, n)``, ``x (n,)``, ``b (m,)`` from ``seed``; the direction ``dW`` of ``kind``;
    the first-order study and the zoom over ``eps``. ``(i, j)`` is the entry for ``kind="entry"``."""
    rng = np.random.default_rng(seed)
    W, x, b = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(m)
    _, G = least_squares(W, x, b)
    dW = direction(kind, (m, n), rng=np.random.default_rng([seed, 1]), grad=G, index=(i, j))

    def f(V):
        return least_squares(V, x, b)[0]

    study = first_order_study(f, W, G, dW, np.asarray(eps))
    return LeastSquaresProblem(W, x, b, W @ x - b, G, dW, study, zoom_study(f, W, G, dW, np.asarray(eps), f0=study.f0))


def zoom(problem: LeastSquaresProblem, eps: float, s=S_GRID):
    """The loss along ``dW`` seen at scale ``eps``: ``(ℒ(W + s eps dW) - ℒ(W)) / eps`` for ``s`` in ``[-2, 2]``.

    Its tangent line is ``s <G, dW>`` at every scale; the curve bends away from it by
    ``O(eps)``, so zooming in (``eps -> 0``) flattens the graph onto its linearization.
    Returns ``(s, curve)``."""
    return problem.zoom.at(eps, problem.loss, problem.W, problem.G, problem.dW, s=s, f0=problem.study.f0)


def draw_outer_product(ax_G, ax_r, ax_x, r, x, G):
    """The gradient ``G = r x^T`` as a heatmap (with its colour bar), ``r`` (a column, left) and
    ``x^T`` (a row, on top) beside it, on integer indices. Returns ``update(r, x, G)`` (any sizes)."""
    maps = (
        Heatmap(ax_G, G, title="", xlabel="column j", ylabel=None),
        Heatmap(ax_r, r[:, None], xlabel=None, ylabel=r"row $i$   ($r = Wx - b$)", colorbar=False),
        Heatmap(
            ax_x,
            x[None, :],
            title=r"$G = r\,x^\top$   (top: $x^\top$)",
            xlabel=None,
            ylabel=None,
            colorbar=False,
            fontsize=9,
        ),
    )
    ax_G.tick_params(labelleft=False)

    def update(r, x, G):
        for h, M in zip(maps, (G, r[:, None], x[None, :]), strict=True):
            h.update(M)

    return update


def readout(problem: LeastSquaresProblem, eps: float) -> dict:
    """The numbers shown for step ``eps`` (read from the problem's study when ``eps`` is on its grid)."""
    k = problem.study.index(eps)
    s = problem.study if k is not None else first_order_study(problem.loss, problem.W, problem.G, problem.dW, [eps])
    return {f"{LOSS}(W)": s.f0, **s.numbers(k or 0), "|dW x|^2 / 2": 0.5 * float(np.sum((problem.dW @ problem.x) ** 2))}


def _controls(m, n, seed, kind, i, j) -> dict:
    """The explorer's controls, with the entry sliders (counting from 1, as on the page) clamped to W and
    enabled for the entry direction only."""
    controls = {
        "kind": widgets.Dropdown(options=list(DIRECTIONS), value=kind, description="direction dW"),
        "i": widgets.IntSlider(value=int(np.clip(i, 1, m)), min=1, max=m, description="entry i"),
        "j": widgets.IntSlider(value=int(np.clip(j, 1, n)), min=1, max=n, description="entry j"),
        "m": widgets.IntSlider(value=m, min=1, max=8, description="m (rows)"),
        "n": widgets.IntSlider(value=n, min=1, max=8, description="n (cols)"),
        "seed": widgets.IntSlider(value=int(seed), min=0, max=99, description="seed"),
    }

    def clamp_entry(change):  # keep (i, j) inside the current W: 1..m, 1..n
        controls["i"].max = controls["m"].value
        controls["j"].max = controls["n"].value

    controls["m"].observe(clamp_entry, names="value")
    controls["n"].observe(clamp_entry, names="value")

    def entry_only(change=None):  # (i, j) choose the direction only when it is one entry
        controls["i"].disabled = controls["j"].disabled = controls["kind"].value != "entry"

    controls["kind"].observe(entry_only, names="value")
    entry_only()
    return controls


def _render(fig, p):
    """Draw (the first time) or update (after) the figure for the controls ``p``; returns ``frame(eps)``.
    The entry sliders count from 1; the problem takes the array entry, from 0."""
    i, j = min(p["i"], p["m"]) - 1, min(p["j"], p["n"]) - 1
    prob = least_squares_problem(p["m"], p["n"], p["seed"], p["kind"], i, j)
    panels = getattr(fig, "_least_squares_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["first"].axes):
        fig.clear()
        gs = fig.add_gridspec(
            2,
            4,
            width_ratios=[3, 3, 0.35, 2.2],
            height_ratios=[0.35, 2.2],
            left=0.05,
            right=0.95,
            bottom=0.15,
            top=0.88,
            wspace=0.35,
            hspace=0.1,
        )
        first = FirstOrderPanels(
            fig.add_subplot(gs[:, 0]),
            fig.add_subplot(gs[:, 1]),
            prob.study,
            prob.zoom,
            predicted=r"prediction $s\,\langle G,\Delta W\rangle_F$",
            actual=r"$(\mathcal{L}(W+s\,\varepsilon\,\Delta W)-\mathcal{L}(W))/\varepsilon$",
            zoom_title=r"zoom on $\mathcal{L}$ along $\Delta W$",
        )
        outer = draw_outer_product(
            fig.add_subplot(gs[1, 3]), fig.add_subplot(gs[1, 2]), fig.add_subplot(gs[0, 3]), prob.r, prob.x, prob.G
        )
        label = fig.text(0.01, 0.02, "", fontsize=10, fontweight="bold")  # below the y ticks: clear of any legend
        panels = fig._least_squares_panels = dict(first=first, outer=outer, label=label)
    else:
        panels["first"].show(prob.study, prob.zoom)
        panels["outer"](prob.r, prob.x, prob.G)
    first, label = panels["first"], panels["label"]

    def frame(eps):
        k = prob.study.index(eps)
        label.set_text(f"eps = {eps:.3g}")
        return [*first.frame(k), label], readout_html(readout(prob, eps))

    return frame


_render.reuses_figure = True


def make_least_squares_explorer(
    m: int = 3, n: int = 4, seed: int = 0, kind: str = "random", i: int = 1, j: int = 1, eps_index: int = 8
) -> Explorer:
    """The client's "perturb W" explorer for 8.3; returns an ipywidgets widget.

    Static (pre-rendered): the direction ``kind`` (random, the gradient, one entry (i, j),
    rank-one u v^T) x the ``eps`` slider (13 values, 1e-3 to 1). Live: the entry, the sizes,
    the seed. ``i``, ``j``: the entry sliders' initial values, counting from 1, as on the page
    (clamped to ``1..m``, ``1..n``).
    """
    _validate.check_integers(m=m, n=n, seed=seed, i=i, j=j, eps_index=eps_index)
    if kind not in DIRECTIONS:
        raise ValueError(f"kind must be one of {DIRECTIONS}, got {kind!r}")
    m, n = int(np.clip(m, 1, 8)), int(np.clip(n, 1, 8))
    return Explorer(
        title=f"<b>Perturb W (8.3)</b>: {LOSS}(W) = &frac12;|Wx &minus; b|&sup2;, step eps along dW",
        main=("eps", EPS_GRID, eps_index),
        controls=_controls(m, n, seed, kind, i, j),
        render=_render,
        choice="kind",
        figsize=(10, 3.3),
    )
