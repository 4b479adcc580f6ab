"""8.3 explorer: perturb W in least squares and watch the first-order prediction.

``L(W) = 1/2 |W x - b|^2`` has gradient ``G = r x^T`` (``r = W x - b``). Choose a
direction ``dW`` (unit Frobenius norm) and a step ``eps``: the true change
``L(W + eps dW) - L(W)`` and the prediction ``eps <G, dW>_F`` agree up to a remainder
that is exactly ``eps^2 |dW x|^2 / 2`` here (the loss is quadratic in ``W``).

Layers: compute (:func:`least_squares_problem`, with :mod:`companion.perturb`),
draw (``draw_*`` on given ``Axes``; the zoom and the remainders are the panels that 8.5 and
8.6 show too, from ``companion.widgets._first_order``), wire (:func:`make_least_squares_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..models import least_squares
from ..perturb import DIRECTIONS, FirstOrderStudy, direction, first_order_study
from ._base import Explorer, readout_html
from ._first_order import S_GRID, draw_remainders, draw_zoom, first_order_readout, zoom_curve, zoom_ylim

__all__ = [
    "LeastSquaresProblem",
    "least_squares_problem",
    "blowup",
    "draw_blowup",
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

    def loss(self, W) -> float:
        return least_squares(W, self.x, self.b)[0]


def least_squares_problem(m=3, n=4, seed=0, kind="random", i=0, j=0, eps=EPS_GRID) -> LeastSquaresProblem:
    """Random ``W (m, n)``, ``x (n,)``, ``b (m,)`` from ``seed``; the direction ``dW`` of ``kind``;
    the first-order study over ``eps``. ``(i, j)`` is the entry for ``kind="entry"``."""
    rng = np.random.default_rng(seed)
    W, x, b = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(m)
    _, G = least_squares(W, x, b)
    dW = direction(kind, (m, n), rng=np.random.default_rng([seed, 1]), grad=G, index=(i, j))
    f = lambda V: least_squares(V, x, b)[0]
    return LeastSquaresProblem(W, x, b, W @ x - b, G, dW, first_order_study(f, W, G, dW, np.asarray(eps)))


def blowup(problem: LeastSquaresProblem, eps: float, s=S_GRID):
    """The loss along ``dW`` seen at scale ``eps``: ``(L(W + s eps dW) - L(W)) / eps`` for ``s`` in ``[-2, 2]``.

    Its tangent line is ``s <G, dW>`` at every scale; the curve bends away from it by
    ``O(eps)``, so zooming in (``eps -> 0``) flattens the graph onto its linearization.
    """
    return np.asarray(s), zoom_curve(problem.loss, problem.W, problem.G, problem.dW, eps, s)


def draw_blowup(ax, problem: LeastSquaresProblem, eps: float, *, ylim=None):
    """Draw :func:`blowup` at ``eps`` with its tangent line and the step ``s = 1`` marked.

    Returns ``([curve, gap], update)``: the curve and the segment between the true and the
    predicted change at ``s = 1`` (whose length is ``remainder / eps``); ``update(y)`` moves
    them to the curve ``y`` of another ``eps``."""
    s, y = blowup(problem, eps)
    artists = draw_zoom(ax, s, y, problem.study.slope, ylim=ylim, predicted=r"prediction $s\,\langle G,\Delta W\rangle_F$",
                        actual=r"$(L(W+s\,\varepsilon\,\Delta W)-L(W))/\varepsilon$")
    ax.set_xlabel(r"$s = t/\varepsilon$")
    ax.set_title("zoom on the loss along dW", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return artists


def draw_outer_product(ax_G, ax_r, ax_x, r, x, G) -> None:
    """The gradient ``G = r x^T`` as a heatmap, with ``r`` (a column) and ``x^T`` (a row) beside it."""
    lim = max(np.abs(G).max(), 1e-12)
    ax_G.imshow(G, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax_G.set_xticks(range(G.shape[1]))
    ax_G.set_yticks(range(G.shape[0]))
    ax_G.tick_params(labelleft=False, length=0, labelsize=7)
    ax_G.set_xlabel("j", fontsize=8)
    lr = max(np.abs(r).max(), 1e-12)
    ax_r.imshow(r[:, None], cmap="RdBu_r", vmin=-lr, vmax=lr, aspect="auto")
    ax_r.set_xticks([])
    ax_r.set_yticks(range(len(r)))
    ax_r.tick_params(length=0, labelsize=7)
    ax_r.set_ylabel("r = Wx - b   (i)", fontsize=8)
    lx = max(np.abs(x).max(), 1e-12)
    ax_x.imshow(x[None, :], cmap="RdBu_r", vmin=-lx, vmax=lx, aspect="auto")
    ax_x.set_yticks([])
    ax_x.set_xticks([])
    ax_x.set_title(r"$G = r\,x^\top$   (top row: $x^\top$)", fontsize=9)


def readout(problem: LeastSquaresProblem, eps: float) -> dict:
    """The numbers shown for step ``eps``."""
    s = first_order_study(problem.loss, problem.W, problem.G, problem.dW, [eps])
    return {"L(W)": s.f0, **first_order_readout(s), "|dW x|^2 / 2": 0.5 * float(np.sum((problem.dW @ problem.x) ** 2))}


def make_least_squares_explorer(m: int = 3, n: int = 4, seed: int = 0, kind: str = "random", i: int = 0, j: int = 0, eps_index: int = 8) -> Explorer:
    """The client's "perturb W" explorer for 8.3; returns an ipywidgets widget.

    Static (pre-rendered): the direction ``kind`` (random, the gradient, one entry (i, j),
    rank-one u v^T) x the ``eps`` slider (13 values, 1e-3 to 1). Live: the entry, the sizes,
    the seed.
    """
    _validate.check_integers(m=m, n=n, seed=seed, i=i, j=j, eps_index=eps_index)
    if kind not in DIRECTIONS:
        raise ValueError(f"kind must be one of {DIRECTIONS}, got {kind!r}")
    m, n = int(np.clip(m, 1, 8)), int(np.clip(n, 1, 8))
    controls = {
        "kind": widgets.Dropdown(options=list(DIRECTIONS), value=kind, description="direction dW"),
        "i": widgets.IntSlider(value=int(np.clip(i, 0, m - 1)), min=0, max=m - 1, description="entry i"),
        "j": widgets.IntSlider(value=int(np.clip(j, 0, n - 1)), min=0, max=n - 1, description="entry j"),
        "m": widgets.IntSlider(value=m, min=1, max=8, description="m (rows)"),
        "n": widgets.IntSlider(value=n, min=1, max=8, description="n (cols)"),
        "seed": widgets.IntSlider(value=int(seed), min=0, max=99, description="seed"),
    }

    def clamp_entry(change):  # keep (i, j) inside the current W
        controls["i"].max = controls["m"].value - 1
        controls["j"].max = controls["n"].value - 1

    controls["m"].observe(clamp_entry, names="value")
    controls["n"].observe(clamp_entry, names="value")

    def entry_only(change=None):  # (i, j) choose the direction only when it is one entry
        controls["i"].disabled = controls["j"].disabled = controls["kind"].value != "entry"

    controls["kind"].observe(entry_only, names="value")
    entry_only()

    def render(fig, p):
        prob = least_squares_problem(p["m"], p["n"], p["seed"], p["kind"], min(p["i"], p["m"] - 1), min(p["j"], p["n"] - 1))
        curves = {e: blowup(prob, e)[1] for e in EPS_GRID}  # computed once: frames only look them up
        ylim = zoom_ylim(curves.values(), prob.study.slope, margin=0.05, tiny=5e-14)  # 5 % of (range + 1e-12)
        gs = fig.add_gridspec(2, 4, width_ratios=[3, 3, 0.35, 2.2], height_ratios=[0.35, 2.2], left=0.05, right=0.98, bottom=0.15, top=0.88, wspace=0.35, hspace=0.1)
        _, move_zoom = draw_blowup(fig.add_subplot(gs[:, 0]), prob, EPS_GRID[0], ylim=ylim)
        _, move_ring = draw_remainders(fig.add_subplot(gs[:, 1]), prob.study, EPS_GRID[0])
        draw_outer_product(fig.add_subplot(gs[1, 3]), fig.add_subplot(gs[1, 2]), fig.add_subplot(gs[0, 3]), prob.r, prob.x, prob.G)
        label = fig.text(0.06, 0.8, "", fontsize=10, fontweight="bold")

        def frame(eps):
            label.set_text(f"eps = {eps:.3g}")
            artists = [*move_zoom(curves[eps] if eps in curves else blowup(prob, eps)[1]), *move_ring(eps), label]
            return artists, readout_html(readout(prob, eps))

        return frame

    return Explorer(
        title="<b>Perturb W (8.3)</b>: L(W) = &frac12;|Wx &minus; b|&sup2;, step eps along dW",
        main=("eps", EPS_GRID, eps_index),
        controls=controls,
        render=render,
        choice="kind",
        figsize=(10, 3.3),
    )
