"""8.6 explorer: perturb the attention inputs Q, K, V and watch the pullback's prediction.

``Y = softmax(tau Q K^T / sqrt(d)) V`` (row-wise softmax) with the fixed loss
``L(Y) = 1/2 |Y - T|_F^2`` (``T`` a fixed random target), so ``G_Y = Y - T``. The
pullback :func:`companion.models.attention_vjp` gives ``G_Q, G_K, G_V``; a step ``eps``
along a unit direction ``dX`` of one input ``X`` changes the loss by
``eps <G_X, dX>_F + O(eps^2)``. The temperature ``tau`` multiplies the scores: large
``tau`` saturates the softmax (rows of ``P`` near one-hot), its Jacobians
``Diag(p) - p p^T`` go to zero, and so do ``G_S``, ``G_Q``, ``G_K`` (but not ``G_V``).

Layers: compute (:func:`attention_problem`, :func:`blowup`, :func:`readout`, with the math
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
from ..models import AttentionCache, attention, attention_vjp, softmax_jacobian, softmax_vjp, squared_loss
from ..perturb import FirstOrderStudy, direction, first_order_study
from ._base import Explorer, readout_html
from ._first_order import BLUE as _BLUE, ORANGE as _ORANGE, S_GRID, draw_remainders, draw_zoom, first_order_readout, zoom_curve, zoom_ylim

__all__ = [
    "AttentionProblem",
    "attention_problem",
    "blowup",
    "readout",
    "draw_heatmap",
    "draw_softmax_jacobian",
    "draw_blowup",
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

    def loss(self, X) -> float:
        """``L(Y)`` with the target input replaced by ``X`` (the others fixed)."""
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


def attention_problem(n=6, d=3, d_v=3, seed=0, target="Q", kind="entry", i=0, j=0, tau=1.0, eps=EPS_GRID) -> AttentionProblem:
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
    prob = AttentionProblem(Q, K, V, T, float(tau), cache, loss0, G_Y, G_P, G_S, G_Q, G_K, G_V, target, kind, index, dX, None)
    prob.study = first_order_study(prob.loss, X, grads[target], dX, np.asarray(eps, float))
    return prob


def blowup(problem: AttentionProblem, eps: float, s=S_GRID):
    """The loss along ``dX`` seen at scale ``eps``: ``(L(X + s eps dX) - L(X)) / eps`` for ``s`` in ``[-2, 2]``.

    Its tangent line is ``s <G_X, dX>_F`` at every scale; the curve leaves it by ``O(eps)``."""
    return np.asarray(s, float), zoom_curve(problem.loss, problem.X, problem.G_X, problem.dX, eps, s)


def readout(problem: AttentionProblem, eps: float) -> dict:
    """The numbers shown for step ``eps``: the first-order check and the gradients' sizes."""
    s = first_order_study(problem.loss, problem.X, problem.G_X, problem.dX, [eps])
    return {
        "L": s.f0,
        **first_order_readout(s),
        "||G_S||_F": float(np.linalg.norm(problem.G_S)),
        "||G_Q||_F": float(np.linalg.norm(problem.G_Q)),
        "||G_K||_F": float(np.linalg.norm(problem.G_K)),
        "||G_V||_F": float(np.linalg.norm(problem.G_V)),
        "mean max P": float(problem.cache.P.max(axis=1).mean()),
    }


# ---------------------------------------------------------------------- draw
def draw_heatmap(ax, M, title, *, cmap="RdBu_r", lim=None, vmin=None, vmax=None, entry=None, row=None, frame=False):
    """``M`` as a heatmap (symmetric colour range ``[-lim, lim]`` unless ``vmin``/``vmax``).

    ``entry=(i, j)`` outlines one cell, ``row=r`` outlines a row, ``frame=True`` colours the
    border (the panel of the perturbed input). Returns the image."""
    M = np.asarray(M)
    if vmin is None:
        lim = max(float(np.abs(M).max()), 1e-300) if lim is None else lim
        vmin, vmax = -lim, lim
    im = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8.5, pad=3)
    outline(ax, M.shape, row=row, entry=entry)
    for sp in ax.spines.values():
        sp.set_color(_ORANGE if frame else "0.6")
        sp.set_linewidth(2.5 if frame else 0.8)
    return im


def outline(ax, shape, *, row=None, entry=None) -> None:
    """Outline row ``row`` (dashed, orange) and cell ``entry=(i, j)`` of a heatmap of ``shape`` (replacing earlier outlines)."""
    for patch in list(ax.patches):
        patch.remove()
    if row is not None:
        ax.add_patch(Rectangle((-0.5, row - 0.5), shape[1], 1, fill=False, ec=_ORANGE, lw=1.5, ls="--"))
    if entry is not None:
        ax.add_patch(Rectangle((entry[1] - 0.5, entry[0] - 0.5), 1, 1, fill=False, ec="k", lw=2.2))
        ax.add_patch(Rectangle((entry[1] - 0.5, entry[0] - 0.5), 1, 1, fill=False, ec=_ORANGE, lw=1.1))


def draw_softmax_jacobian(ax, p, row: int):
    """The softmax Jacobian of one row, ``Diag(p) - p p^T``, on the fixed colour range ``[-1/4, 1/4]``.

    Every entry is bounded by 1/4 (``p_k (1 - p_k)`` on the diagonal, ``-p_k p_l`` off it), so
    a saturated row (``p`` near one-hot) fades to white."""
    Jm = softmax_jacobian(p)
    return draw_heatmap(ax, Jm, f"Diag(p) − ppᵀ, row {row}", lim=0.25)


def draw_blowup(ax, problem: AttentionProblem, eps: float, *, ylim=None):
    """Draw :func:`blowup` at ``eps`` with its tangent line ``s <G_X, dX>_F``; returns ``([curve, gap], update)``.

    ``gap`` joins the true and the predicted change at ``s = 1``: its length is ``remainder / eps``;
    ``update(y)`` moves both to the curve ``y`` of another ``eps``."""
    s, y = blowup(problem, eps)
    artists = draw_zoom(ax, s, y, problem.study.slope, ylim=ylim, predicted=r"$s\,\langle G_X,dX\rangle_F$", actual=r"$(L(X+s\varepsilon dX)-L)/\varepsilon$")
    ax.tick_params(labelsize=7)
    ax.set_xlabel(r"$s$", fontsize=8, labelpad=1)
    ax.set_title(f"zoom on L along d{problem.target}", fontsize=9, pad=3)
    ax.legend(fontsize=6.5, loc="best", framealpha=0.8)
    return artists


# ---------------------------------------------------------------------- wire
def _nearest(grid, value):
    return grid[int(np.argmin(np.abs(np.log(np.asarray(grid)) - np.log(value))))]


def make_attention_explorer(n: int = 6, d: int = 3, d_v: int = 3, seed: int = 0, target: str = "Q", kind: str = "entry",
                            i: int = 1, j: int = 0, row: int = 1, tau: float = 1.0, eps_index: int = 8) -> Explorer:
    """The client's "perturb the attention inputs" explorer for 8.6; returns an ipywidgets widget.

    Static (pre-rendered): which input is perturbed (Q, K, V) x the ``eps`` slider (13
    values, 1e-4 to 1). Live: the direction (one entry (i, j), random, the gradient), the entry, the row
    of the softmax Jacobian shown, the temperature ``tau`` (0.25 to 1024) multiplying the
    scores, the sizes ``n`` (4-8), ``d`` and ``d_v`` (2-4), and the seed.
    """
    _validate.check_integers(n=n, d=d, d_v=d_v, seed=seed, i=i, j=j, row=row, eps_index=eps_index)
    _validate.as_number(tau, "tau", positive=True)
    _check_choices(target, kind, tau)
    n, d, d_v = int(np.clip(n, 4, 8)), int(np.clip(d, 2, 4)), int(np.clip(d_v, 2, 4))
    cols = lambda t, dd, ddv: dd if t in ("Q", "K") else ddv
    style = {"description_width": "initial"}
    controls = {
        "target": widgets.Dropdown(options=list(TARGETS), value=target, description="perturb", style=style, layout=widgets.Layout(width="140px")),
        "kind": widgets.Dropdown(options=list(KINDS), value=kind, description="direction", style=style, layout=widgets.Layout(width="180px")),
        "i": widgets.IntSlider(value=int(np.clip(i, 0, n - 1)), min=0, max=n - 1, description="entry i"),
        "j": widgets.IntSlider(value=int(np.clip(j, 0, cols(target, d, d_v) - 1)), min=0, max=cols(target, d, d_v) - 1, description="entry j"),
        "row": widgets.IntSlider(value=int(np.clip(row, 0, n - 1)), min=0, max=n - 1, description="softmax row"),
        "tau": widgets.SelectionSlider(options=[(f"{t:.3g}", t) for t in TAU_GRID], value=_nearest(TAU_GRID, tau), description="temperature tau", style=style),
        "n": widgets.IntSlider(value=n, min=4, max=8, description="n"),
        "d": widgets.IntSlider(value=d, min=2, max=4, description="d"),
        "d_v": widgets.IntSlider(value=d_v, min=2, max=4, description="d_v"),
        "seed": widgets.IntSlider(value=int(seed), min=0, max=99, description="seed"),
    }

    def clamp(change):  # keep (i, j) and the row inside the current matrices
        nn = controls["n"].value
        controls["i"].max = nn - 1
        controls["row"].max = nn - 1
        controls["j"].max = cols(controls["target"].value, controls["d"].value, controls["d_v"].value) - 1

    for name in ("n", "d", "d_v", "target"):
        controls[name].observe(clamp, names="value")

    def entry_only(change=None):  # (i, j) choose the direction only when it is one entry
        controls["i"].disabled = controls["j"].disabled = controls["kind"].value != "entry"

    controls["kind"].observe(entry_only, names="value")
    entry_only()

    def build(fig, prob, r):
        """Draw every panel for ``prob``; returns the handles that :func:`update` moves."""
        fig.clear()
        c, t = prob.cache, prob.target
        gs = fig.add_gridspec(2, 5, width_ratios=[1.1, 1.1, 0.8, 1.1, 2.3], left=0.025, right=0.985, bottom=0.09, top=0.9, wspace=0.28, hspace=0.42)
        heat = {}  # name -> (axes, image)
        for name, slot, M, kw in [("S", gs[0, 0], c.S, {}), ("P", gs[0, 1], c.P, dict(cmap="viridis", vmin=0.0, vmax=1.0)), ("Y", gs[0, 2], c.Y, {})]:
            ax = fig.add_subplot(slot)
            heat[name] = (ax, draw_heatmap(ax, M, "", **kw))
        ax = fig.add_subplot(gs[0, 3])
        heat["J"] = (ax, draw_softmax_jacobian(ax, c.P[r], r))
        for k, name in enumerate(TARGETS):
            ax = fig.add_subplot(gs[1, k])
            heat["G_" + name] = (ax, draw_heatmap(ax, prob.grads[name], "", frame=name == t))
        ax = fig.add_subplot(gs[1, 3])
        heat["G_S"] = (ax, draw_heatmap(ax, prob.G_S, ""))
        fig.text(0.004, 0.88, "forward", fontsize=8, color="0.35", rotation=90, va="top")
        fig.text(0.004, 0.44, "pullback", fontsize=8, color="0.35", rotation=90, va="top")
        curves = {e: blowup(prob, e)[1] for e in EPS_GRID}
        ax_z = fig.add_subplot(gs[0, 4])
        _, move_zoom = draw_blowup(ax_z, prob, EPS_GRID[0], ylim=zoom_ylim(curves.values(), prob.study.slope))
        ax_r = fig.add_subplot(gs[1, 4])
        _, move_ring = draw_remainders(ax_r, prob.study, EPS_GRID[0])
        ax_r.tick_params(labelsize=7)
        ax_r.set_xlabel(r"$\varepsilon$", fontsize=8, labelpad=1)
        label = fig.text(0.985, 0.955, "", fontsize=10, fontweight="bold", ha="right", color=_BLUE)
        panels = dict(heat=heat, ax_z=ax_z, ax_r=ax_r, move_zoom=move_zoom, move_ring=move_ring, label=label,
                      roundoff=[], shape=(t, *c.P.shape, *prob.Q.shape, *prob.V.shape))
        fig._attention_panels = panels
        return panels

    def update(panels, prob, r, curves):
        """Move every panel to ``prob`` (same shapes): data, colour ranges, titles, outlines, zoom, remainders."""
        c, t = prob.cache, prob.target
        heat = panels["heat"]
        lim = max(float(max(np.abs(g).max() for g in prob.grads.values())), 1e-300)  # one scale: vanishing shows
        jac = softmax_jacobian(c.P[r])
        rows = {"S": r, "P": r, "G_S": r}
        for name, M, title, clim in [
            ("S", c.S, f"S = τQKᵀ/√d,  τ = {prob.tau:g}", None),
            ("P", c.P, "P = softmax(S)", (0.0, 1.0)),
            ("Y", c.Y, "Y = PV", None),
            ("J", jac, f"Diag(p) − ppᵀ, row {r}", (-0.25, 0.25)),
            *[("G_" + k, prob.grads[k], f"G_{k}   ‖·‖ = {np.linalg.norm(prob.grads[k]):.2g}", (-lim, lim)) for k in TARGETS],
            ("G_S", prob.G_S, f"G_S   ‖·‖ = {np.linalg.norm(prob.G_S):.2g}", None),
        ]:
            ax, im = heat[name]
            im.set_data(M)
            if clim is None:
                m = max(float(np.abs(M).max()), 1e-300)
                clim = (-m, m)
            im.set_clim(*clim)
            ax.set_title(title, fontsize=8.5, pad=3)
            outline(ax, M.shape, row=rows.get(name), entry=prob.index if name == "G_" + t else None)
        panels["move_zoom"](curves[EPS_GRID[0]], prob.study.slope)
        panels["ax_z"].set_ylim(*zoom_ylim(curves.values(), prob.study.slope))
        for a in panels["roundoff"]:  # first: the new limits must not hold the old round-off line
            a.remove()
        panels["roundoff"] = []
        panels["move_ring"].restudy(prob.study)
        floor = 16 * np.finfo(float).eps * max(abs(prob.loss0), 1.0)  # |L| times a few ulps
        if prob.study.remainder.min() < 100 * floor:
            ax_r = panels["ax_r"]
            panels["roundoff"] = [ax_r.axhline(floor, color="0.5", lw=1, ls="--"),
                                  ax_r.text(EPS_GRID[0], floor, " round-off", fontsize=7, color="0.4", va="bottom")]
            ax_r.relim(visible_only=True)
            ax_r.autoscale_view()

    def render(fig, p):
        nn, dd, ddv = p["n"], p["d"], p["d_v"]
        t = p["target"]
        ii, jj = min(p["i"], nn - 1), min(p["j"], cols(t, dd, ddv) - 1)
        r = min(p["row"], nn - 1)
        prob = attention_problem(nn, dd, ddv, p["seed"], t, p["kind"], ii, jj, p["tau"])
        entry = prob.index
        # the figure is kept from one setting of the controls to the next (render.reuses_figure):
        # its axes are drawn once per shape of the matrices, then only updated
        panels = getattr(fig, "_attention_panels", None)
        shape = (t, *prob.cache.P.shape, *prob.Q.shape, *prob.V.shape)
        if panels is None or panels["shape"] != shape or not all(ax in fig.axes for ax in (panels["ax_z"], panels["ax_r"])):
            panels = build(fig, prob, r)
        curves = {e: blowup(prob, e)[1] for e in EPS_GRID}  # computed once: frames only look them up
        update(panels, prob, r, curves)
        label, move_zoom, move_ring = panels["label"], panels["move_zoom"], panels["move_ring"]

        def frame(eps):
            what = f"entry ({entry[0]}, {entry[1]})" if entry else prob.kind
            label.set_text(f"eps = {eps:.3g}   (d{t}: {what})")
            artists = [*move_zoom(curves[eps] if eps in curves else blowup(prob, eps)[1]), *move_ring(eps), label]
            return artists, readout_html(readout(prob, eps))

        return frame

    render.reuses_figure = True

    return Explorer(
        title=(
            "<b>Perturb the attention inputs (8.6)</b>: Y = softmax(&tau; QK<sup>T</sup>/&radic;d) V, "
            "fixed loss L(Y) = &frac12;|Y &minus; T|<sub>F</sub><sup>2</sup> with a fixed random target T; "
            "step eps along a unit direction dX of X = Q, K or V"
        ),
        main=("eps", EPS_GRID, eps_index),
        controls=controls,
        render=render,
        choice="target",
        figsize=(10, 5.0),
    )
