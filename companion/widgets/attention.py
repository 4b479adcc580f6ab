"""8.6 explorer: perturb the attention inputs Q, K, V and watch the pullback's prediction.

``Y = softmax(tau Q K^T / sqrt(d)) V`` (row-wise softmax) with the fixed loss
``ℒ(Y) = 1/2 |Y - T|_F^2`` (``T`` a fixed random target), so ``G_Y = Y - T``. The
pullback :func:`companion.models.attention_vjp` gives ``G_Q, G_K, G_V``; a step ``eps``
along a unit direction ``dX`` of one input ``X`` changes the loss by
``eps <G_X, dX>_F + O(eps^2)``. The temperature ``tau`` multiplies the scores: large
``tau`` saturates the softmax (rows of ``P`` near one-hot), its Jacobians
``Diag(p) - p p^T`` go to zero, and so do ``G_S``, ``G_Q``, ``G_K`` (but not ``G_V``).

Layers: compute (:func:`attention_problem`, :func:`zoom`, :func:`readout`, with the math
of :mod:`companion.models`), draw (``draw_*`` on given ``Axes``; the zoom and the remainders
are the panels of 8.3 and 8.5 too, from ``companion.widgets._first_order``), wire
(:func:`make_attention_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle

from .. import _validate
from ..models import AttentionCache, attention, attention_vjp, softmax, softmax_jacobian, softmax_vjp, squared_loss
from ..perturb import S_GRID, FirstOrderStudy, Zoom, direction, first_order_study, zoom_study
from . import palette
from ._base import LOSS, Explorer, readout_html
from ._first_order import FirstOrderPanels, draw_remainders
from ._heatmap import Heatmap

__all__ = [
    "AttentionProblem",
    "attention_problem",
    "zoom",
    "readout",
    "draw_heatmap",
    "draw_softmax_jacobian",
    "draw_remainders",
    "make_attention_explorer",
    "EPS_GRID",
    "TAU_GRID",
    "TARGETS",
    "KINDS",
]

EPS_GRID = tuple(float(e) for e in np.logspace(-4, 0, 13))
TAU_GRID = tuple(float(t) for t in 2.0 ** np.arange(-2, 11))  # 0.25 ... 1024, log-spaced
TARGETS = ("Q", "K", "V")
KINDS = ("entry", "random", "gradient")


@dataclass
class AttentionProblem:
    """One setting of the explorer: primals, the forward pass, the pullback and the chosen direction."""

    Q: np.ndarray  # (n, d)
    K: np.ndarray  # (n, d)
    V: np.ndarray  # (n, d_v)
    T: np.ndarray  # (n, d_v), the loss's target
    tau: float  # temperature: S = tau Q K^T / sqrt(d)
    cache: AttentionCache
    loss0: float
    G_Y: np.ndarray  # Y - T
    G_P: np.ndarray  # G_Y V^T
    G_S: np.ndarray  # row-wise (Diag(p) - p p^T) G_P
    G_Q: np.ndarray
    G_K: np.ndarray
    G_V: np.ndarray
    target: str  # which input is perturbed
    kind: str
    index: tuple | None  # the perturbed entry (kind "entry")
    dX: np.ndarray  # unit Frobenius norm, shaped like the target
    study: FirstOrderStudy  # over EPS_GRID
    zoom: Zoom  # over EPS_GRID

    @property
    def scale(self) -> float:
        return self.cache.scale

    @property
    def X(self) -> np.ndarray:
        """The perturbed input (Q, K or V)."""
        return {"Q": self.Q, "K": self.K, "V": self.V}[self.target]

    @property
    def grads(self) -> dict:
        return {"Q": self.G_Q, "K": self.G_K, "V": self.G_V}

    @property
    def G_X(self) -> np.ndarray:
        return self.grads[self.target]

    def losses(self, Xs) -> np.ndarray:
        """``ℒ(Y)`` for each of a stack of replacements ``Xs`` (shape ``(B, *X.shape)``) of the target input."""
        args = {"Q": self.Q, "K": self.K, "V": self.V, self.target: np.asarray(Xs, float)}
        P = softmax(self.scale * (args["Q"] @ np.swapaxes(args["K"], -1, -2)))
        return 0.5 * np.sum((P @ args["V"] - self.T) ** 2, axis=(-2, -1))

    def loss(self, X) -> float:
        """``ℒ(Y)`` with the target input replaced by ``X`` (the others fixed)."""
        args = {"Q": self.Q, "K": self.K, "V": self.V, self.target: X}
        return squared_loss(attention(args["Q"], args["K"], args["V"], scale=self.scale)[0], self.T)[0]


def _check_choices(target, kind, tau) -> None:
    """``ValueError`` unless ``target`` is one of ``TARGETS``, ``kind`` one of ``KINDS`` and ``tau > 0`` a number."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if not (np.isscalar(tau) and np.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a positive number, got {tau!r}")


def attention_problem(
    n=6, d=3, d_v=3, seed=0, target="Q", kind="entry", i=0, j=0, tau=1.0, eps=EPS_GRID
) -> AttentionProblem:
    """Random ``Q (n, d)``, ``K (n, d)``, ``V (n, d_v)``, ``T (n, d_v)`` from ``seed``; the forward
    pass at temperature ``tau``; the pullback of ``G_Y = Y - T``; the direction ``dX`` of ``kind``
    in the input ``target``; the first-order study over ``eps``. ``(i, j)``: the entry for ``kind="entry"``."""
    _check_choices(target, kind, tau)
    rng = np.random.default_rng(seed)
    Q, K, V = rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((n, d_v))
    T = rng.standard_normal((n, d_v))
    Y, cache = attention(Q, K, V, scale=tau / np.sqrt(d))
    loss0, G_Y = squared_loss(Y, T)
    G_Q, G_K, G_V = attention_vjp(cache, G_Y)
    G_P = G_Y @ V.T
    G_S = softmax_vjp(cache.P, G_P)
    grads = {"Q": G_Q, "K": G_K, "V": G_V}
    X = {"Q": Q, "K": K, "V": V}[target]
    index = (int(i), int(j)) if kind == "entry" else None
    drng = np.random.default_rng([int(seed), 1, TARGETS.index(target)])
    dX = direction(kind, X.shape, rng=drng, grad=grads[target], index=index or (0, 0))
    prob = AttentionProblem(
        Q, K, V, T, float(tau), cache, loss0, G_Y, G_P, G_S, G_Q, G_K, G_V, target, kind, index, dX, None, None
    )
    prob.study = first_order_study(prob.loss, X, grads[target], dX, np.asarray(eps, float))
    prob.zoom = zoom_study(prob.losses, X, grads[target], dX, np.asarray(eps, float), batched=True)
    return prob


def zoom(problem: AttentionProblem, eps: float, s=S_GRID):
    """The loss along ``dX`` seen at scale ``eps``: ``(ℒ(X + s eps dX) - ℒ(X)) / eps`` for ``s`` in ``[-2, 2]``.

    Its tangent line is ``s <G_X, dX>_F`` at every scale; the curve leaves it by ``O(eps)``.
    Returns ``(s, curve)``."""
    return problem.zoom.at(eps, problem.loss, problem.X, problem.G_X, problem.dX, s=s, f0=problem.study.f0)


def readout(problem: AttentionProblem, eps: float) -> dict:
    """The numbers shown for step ``eps``: the first-order check (read from the study when ``eps`` is
    on its grid) and the gradients' sizes."""
    k = problem.study.index(eps)
    s = problem.study if k is not None else first_order_study(problem.loss, problem.X, problem.G_X, problem.dX, [eps])
    return {
        LOSS: s.f0,
        **s.numbers(k or 0),
        "||G_S||_F": float(np.linalg.norm(problem.G_S)),
        "||G_Q||_F": float(np.linalg.norm(problem.G_Q)),
        "||G_K||_F": float(np.linalg.norm(problem.G_K)),
        "||G_V||_F": float(np.linalg.norm(problem.G_V)),
        "mean max P": float(problem.cache.P.max(axis=1).mean()),
    }


# ---------------------------------------------------------------------- draw
def draw_heatmap(
    ax,
    M,
    title,
    *,
    cmap=palette.DIVERGING,
    lim=None,
    vmin=None,
    vmax=None,
    entry=None,
    row=None,
    frame=False,
    xlabel="j",
    ylabel="i",
    colorbar=True,
) -> Heatmap:
    """``M`` as a heatmap (symmetric colour range ``[-lim, lim]`` unless ``vmin``/``vmax``), integer
    ticks labelled from 1, axis labels, a colour bar.

    ``entry=(i, j)`` outlines one cell, ``row=r`` outlines a row (array positions, from 0: the cell
    labelled ``(i + 1, j + 1)``, the row labelled ``r + 1``), ``frame=True`` colours the
    border (the panel of the perturbed input). Returns the ``Heatmap`` (its ``image``: the image)."""
    M = np.asarray(M)
    clim = (vmin, vmax) if vmin is not None else ((-lim, lim) if lim is not None else None)
    heat = Heatmap(ax, M, title=title, cmap=cmap, clim=clim, xlabel=xlabel, ylabel=ylabel, colorbar=colorbar)
    outline(ax, M.shape, row=row, entry=entry)
    mark_perturbed(ax, frame)
    return heat


def mark_perturbed(ax, perturbed: bool) -> None:
    """A thick coloured border on the panel of the perturbed input, the plain one elsewhere."""
    for sp in ax.spines.values():
        sp.set_color(palette.VERMILLION if perturbed else palette.FRAME)
        sp.set_linewidth(2.5 if perturbed else 0.8)


def outline(ax, shape, *, row=None, entry=None) -> None:
    """Outline row ``row`` (dashed) and cell ``entry=(i, j)`` (black and coloured) of a heatmap of ``shape``
    (replacing earlier outlines). Array positions, from 0: row ``r`` is the one labelled ``r + 1``."""
    for patch in list(ax.patches):
        patch.remove()
    if row is not None:
        ax.add_patch(Rectangle((-0.5, row - 0.5), shape[1], 1, fill=False, ec=palette.VERMILLION, lw=1.5, ls="--"))
    if entry is not None:
        ax.add_patch(Rectangle((entry[1] - 0.5, entry[0] - 0.5), 1, 1, fill=False, ec=palette.INK, lw=2.2))
        ax.add_patch(Rectangle((entry[1] - 0.5, entry[0] - 0.5), 1, 1, fill=False, ec=palette.VERMILLION, lw=1.1))


JACOBIAN_TITLE = r"$\mathrm{{Diag}}(p) - pp^\top$, row {row}"


def draw_softmax_jacobian(ax, p, row: int):
    """The softmax Jacobian of one row, ``Diag(p) - p p^T``, on the fixed colour range ``[-1/4, 1/4]``.
    ``p`` is ``P[row]`` (``row`` an array position, from 0); the title names it as a reader counts,
    row ``row + 1`` (the row whose tick label is that number in a heatmap of ``P``).

    Every entry is bounded by 1/4 (``p_k (1 - p_k)`` on the diagonal, ``-p_k p_l`` off it), so
    a saturated row (``p`` near one-hot) fades to white. Returns the image."""
    Jm = softmax_jacobian(p)
    return draw_heatmap(ax, Jm, JACOBIAN_TITLE.format(row=row + 1), lim=0.25, xlabel="l", ylabel="k").image


# ---------------------------------------------------------------------- wire
def _nearest(grid, value):
    return grid[int(np.argmin(np.abs(np.log(np.asarray(grid)) - np.log(value))))]


def _cols(target, d, d_v) -> int:
    """Columns of the perturbed input: ``d`` for Q and K, ``d_v`` for V."""
    return d if target in ("Q", "K") else d_v


def _controls(n, d, d_v, seed, target, kind, i, j, row, tau) -> dict:
    """The explorer's controls; the entry and the row (counting from 1, as on the page) are kept inside
    the current matrices."""
    style = {"description_width": "initial"}
    cols = _cols(target, d, d_v)
    controls = {
        "target": widgets.Dropdown(
            options=list(TARGETS),
            value=target,
            description="perturb",
            style=style,
            layout=widgets.Layout(width="140px"),
        ),
        "kind": widgets.Dropdown(
            options=list(KINDS), value=kind, description="direction", style=style, layout=widgets.Layout(width="180px")
        ),
        "i": widgets.IntSlider(value=int(np.clip(i, 1, n)), min=1, max=n, description="entry i"),
        "j": widgets.IntSlider(value=int(np.clip(j, 1, cols)), min=1, max=cols, description="entry j"),
        "row": widgets.IntSlider(value=int(np.clip(row, 1, n)), min=1, max=n, description="softmax row"),
        "tau": widgets.SelectionSlider(
            options=[(f"{t:.3g}", t) for t in TAU_GRID],
            value=_nearest(TAU_GRID, tau),
            description="temperature tau",
            style=style,
        ),
        # a change of n redraws every panel: about 0.1 s on a slow 2-core machine (benchmarks/README.md)
        "n": widgets.IntSlider(value=n, min=4, max=8, description="n (~0.1 s per update)", style=style),
        "d": widgets.IntSlider(value=d, min=2, max=4, description="d"),
        "d_v": widgets.IntSlider(value=d_v, min=2, max=4, description="d_v"),
        "seed": widgets.IntSlider(value=int(seed), min=0, max=99, description="seed"),
    }

    def clamp(change):  # keep (i, j) and the row inside the current matrices: 1..n, 1..columns
        nn = controls["n"].value
        controls["i"].max = nn
        controls["row"].max = nn
        controls["j"].max = _cols(controls["target"].value, controls["d"].value, controls["d_v"].value)

    for name in ("n", "d", "d_v", "target"):
        controls[name].observe(clamp, names="value")

    def entry_only(change=None):  # (i, j) choose the direction only when it is one entry
        controls["i"].disabled = controls["j"].disabled = controls["kind"].value != "entry"

    controls["kind"].observe(entry_only, names="value")
    entry_only()
    return controls


# (name, grid slot, axis labels, colour map, fixed colour range, colour bar) of each heatmap
_HEATMAPS = [
    ("S", (0, 0), ("key j", "query i"), palette.DIVERGING, None, True),
    ("P", (0, 1), ("key j", "query i"), palette.SEQUENTIAL, (0.0, 1.0), True),
    ("Y", (0, 2), ("j", "i"), palette.DIVERGING, None, True),
    ("J", (0, 3), ("l", "k"), palette.DIVERGING, (-0.25, 0.25), True),
    ("G_Q", (1, 0), ("j", "i"), palette.DIVERGING, None, False),  # G_Q, G_K, G_V share one range: G_V's bar
    ("G_K", (1, 1), ("j", "i"), palette.DIVERGING, None, False),
    ("G_V", (1, 2), ("j", "i"), palette.DIVERGING, None, True),
    ("G_S", (1, 3), ("key j", "query i"), palette.DIVERGING, None, True),
]


def _build(fig, prob):
    """Draw every panel once (the figure is then updated in place by :func:`_update`)."""
    fig.clear()
    gs = fig.add_gridspec(
        2,
        5,
        width_ratios=[1.1, 1.1, 0.8, 1.1, 2.3],
        left=0.045,
        right=0.985,
        bottom=0.1,
        top=0.9,
        wspace=0.55,
        hspace=0.5,
    )
    heat = {}
    for name, (r, c), (xlabel, ylabel), cmap, clim, bar in _HEATMAPS:
        heat[name] = Heatmap(
            fig.add_subplot(gs[r, c]),
            np.zeros((1, 1)),
            cmap=cmap,
            clim=clim,
            xlabel=xlabel,
            ylabel=ylabel,
            colorbar=bar,
        )
        if c > 0:  # every panel has n rows, in line with the first column's: its numbers serve the row
            heat[name].ax.tick_params(labelleft=False)
    fig.text(0.004, 0.88, "forward", fontsize=8, color=palette.MUTED, rotation=90, va="top")
    fig.text(0.004, 0.44, "pullback", fontsize=8, color=palette.MUTED, rotation=90, va="top")
    first = FirstOrderPanels(
        fig.add_subplot(gs[0, 4]),
        fig.add_subplot(gs[1, 4]),
        prob.study,
        prob.zoom,
        predicted=r"$s\,\langle G_X,dX\rangle_F$",
        actual=r"$(\mathcal{L}(X+s\varepsilon dX)-\mathcal{L})/\varepsilon$",
        zoom_title="zoom",
    )
    label = fig.text(0.985, 0.955, "", fontsize=10, fontweight="bold", ha="right", color=palette.BLUE)
    panels = dict(heat=heat, first=first, label=label, roundoff=[])
    fig._attention_panels = panels
    return panels


def _titles(prob, r) -> dict:
    def norm(M):
        return f"{np.linalg.norm(M):.2g}"

    return {
        "S": rf"$S = \tau QK^\top/\sqrt{{d}}$, $\tau = {prob.tau:g}$",
        "P": r"$P = \mathrm{softmax}(S)$",
        "Y": r"$Y = PV$",
        "J": JACOBIAN_TITLE.format(row=r + 1),  # r: an array position; the title counts from 1
        **{f"G_{k}": rf"$G_{k}$, $\|G_{k}\|_F = {norm(prob.grads[k])}$" for k in TARGETS},
        "G_S": rf"$G_S$, $\|G_S\|_F = {norm(prob.G_S)}$",
    }


def _update(panels, prob, r) -> None:
    """Move every panel to ``prob`` (any sizes): data, colour ranges, titles, outlines, zoom, remainders."""
    c, t = prob.cache, prob.target
    lim = max(float(max(np.abs(g).max() for g in prob.grads.values())), 1e-300)  # one scale: vanishing shows
    data = {
        "S": c.S,
        "P": c.P,
        "Y": c.Y,
        "J": softmax_jacobian(c.P[r]),
        **{f"G_{k}": prob.grads[k] for k in TARGETS},
        "G_S": prob.G_S,
    }
    titles = _titles(prob, r)
    for name, h in panels["heat"].items():
        h.update(data[name], title=titles[name], clim=(-lim, lim) if name in ("G_Q", "G_K", "G_V") else None)
        outline(
            h.ax,
            data[name].shape,
            row=r if name in ("S", "P", "G_S") else None,
            entry=prob.index if name == "G_" + t else None,
        )
        mark_perturbed(h.ax, name == "G_" + t)
    first = panels["first"]
    for a in panels["roundoff"]:  # first: the new limits must not hold the old round-off line
        a.remove()
    panels["roundoff"] = []
    first.show(prob.study, prob.zoom, zoom_title=rf"zoom on $\mathcal{{L}}$ along $d{t}$")
    floor = 16 * np.finfo(float).eps * max(abs(prob.loss0), 1.0)  # |ℒ| times a few ulps
    if prob.study.remainder.min() < 100 * floor:
        ax_r = first.ax_rem
        panels["roundoff"] = [
            ax_r.axhline(floor, color=palette.FRAME, lw=1, ls="--"),
            ax_r.text(EPS_GRID[0], floor, " round-off", fontsize=7, color=palette.MUTED, va="bottom"),
        ]
        ax_r.relim(visible_only=True)
        ax_r.autoscale_view()


def _render(fig, p):
    """Draw (the first time) or update in place (after) the figure for the controls ``p``; returns ``frame(eps)``.
    The entry and row sliders count from 1; the problem and the drawing take array positions, from 0."""
    nn, t = p["n"], p["target"]
    ii, jj = min(p["i"], nn) - 1, min(p["j"], _cols(t, p["d"], p["d_v"])) - 1
    r = min(p["row"], nn) - 1
    prob = attention_problem(nn, p["d"], p["d_v"], p["seed"], t, p["kind"], ii, jj, p["tau"])
    panels = getattr(fig, "_attention_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["first"].axes):
        panels = _build(fig, prob)
    _update(panels, prob, r)
    first, label, entry = panels["first"], panels["label"], prob.index
    what = f"entry ({entry[0] + 1}, {entry[1] + 1})" if entry else prob.kind

    def frame(eps):
        label.set_text(f"eps = {eps:.3g}   (d{t}: {what})")
        return [*first.frame(prob.study.index(eps)), label], readout_html(readout(prob, eps))

    return frame


_render.reuses_figure = True


def make_attention_explorer(
    n: int = 6,
    d: int = 3,
    d_v: int = 3,
    seed: int = 0,
    target: str = "Q",
    kind: str = "entry",
    i: int = 2,
    j: int = 1,
    row: int = 2,
    tau: float = 1.0,
    eps_index: int = 8,
) -> Explorer:
    """The client's "perturb the attention inputs" explorer for 8.6; returns an ipywidgets widget.

    Static (pre-rendered): which input is perturbed (Q, K, V) x the ``eps`` slider (13
    values, 1e-4 to 1). Live: the direction (one entry (i, j), random, the gradient), the entry, the row
    of the softmax Jacobian shown, the temperature ``tau`` (0.25 to 1024) multiplying the
    scores, the sizes ``n`` (4-8), ``d`` and ``d_v`` (2-4), and the seed. ``i``, ``j``, ``row``: the
    sliders' initial values, counting from 1, as on the page (clamped to ``1..n`` and the columns
    of the perturbed input).
    """
    _validate.check_integers(n=n, d=d, d_v=d_v, seed=seed, i=i, j=j, row=row, eps_index=eps_index)
    _validate.as_number(tau, "tau", positive=True)
    _check_choices(target, kind, tau)
    n, d, d_v = int(np.clip(n, 4, 8)), int(np.clip(d, 2, 4)), int(np.clip(d_v, 2, 4))
    return Explorer(
        title=(
            "<b>Perturb the attention inputs (8.6)</b>: Y = softmax(&tau; QK<sup>T</sup>/&radic;d) V, "
            f"fixed loss {LOSS}(Y) = &frac12;|Y &minus; T|<sub>F</sub><sup>2</sup> with a fixed random target T; "
            "step eps along a unit direction dX of X = Q, K or V"
        ),
        main=("eps", EPS_GRID, eps_index),
        controls=_controls(n, d, d_v, seed, target, kind, i, j, row, tau),
        render=_render,
        choice="target",
        figsize=(10, 5.0),
    )
