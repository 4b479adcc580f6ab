"""8.2 explorer: one differential, two inner products, two gradients.

At a point ``w`` of the plane the loss ``ℒ`` (:func:`companion.examples.plane_loss`)
has one differential, the linear functional ``dℒ_w[v] = <c, v>`` (``c`` its Euclidean
coefficients). A gradient is the *representer* of that functional under a chosen inner
product: ``g_E = c`` for the Euclidean one, ``g_M = M^{-1} c`` for
``<u, v>_M = u^T M v`` with ``M = R(theta) diag(1, kappa) R(theta)^T``. The two arrows
differ, yet ``<g_E, v> = <g_M, v>_M = dℒ_w[v]`` for every ``v``. What changes is the
unit ball (a circle, an ellipse) and therefore the direction of steepest ascent: the
point of the ball where the highest level line of ``dℒ_w`` touches it.

Layers: compute (:func:`riesz_problem`, :func:`representers`, :func:`readout`, with
:mod:`companion.spaces`), draw (``draw_*`` on given ``Axes``), wire
(:func:`make_riesz_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import FancyArrowPatch

from .. import _validate
from ..differentials import directional_derivative
from ..examples import plane_loss, plane_loss_grad
from ..spaces import Metric, frobenius, plane_metric, riesz, steepest_ascent, unit_circle
from . import palette
from ._base import LOSS, Explorer, check_numbers, readout_html
from ._layers import fix_empty_labels

__all__ = [
    "KAPPA_GRID",
    "DIRECTIONS",
    "RieszProblem",
    "riesz_problem",
    "Representers",
    "representers",
    "readout",
    "draw_landscape",
    "draw_tangent_space",
    "draw_rates",
    "make_riesz_explorer",
]

KAPPA_GRID = tuple(float(2.0 ** ((k - 6) / 3)) for k in range(13))  # 1/4 ... 4, log-spaced, 1 in the middle
REGION = (-2.5, 2.5)
POINT_RANGE = (-2.0, 2.0)
DIRECTIONS = {"e1": np.array([1.0, 0.0]), "e2": np.array([0.0, 1.0]), "d": np.array([1.0, 1.0]) / np.sqrt(2.0)}

_BLUE, _ORANGE, _VERMILLION = palette.BLUE, palette.ORANGE, palette.VERMILLION


@dataclass
class RieszProblem:
    w: np.ndarray  # (2,) the point
    theta: float  # rotation of the metric's axes, degrees
    value: float  # ℒ(w)
    c: np.ndarray  # (2,) Euclidean coefficients of dℒ_w (= the Euclidean gradient)


def riesz_problem(w1: float = -1.1, w2: float = -0.7, theta: float = 30.0) -> RieszProblem:
    """The loss at ``w = (w1, w2)`` and the metric axes rotated by ``theta`` degrees."""
    w = np.array([float(w1), float(w2)])
    c = plane_loss_grad(w)
    if np.linalg.norm(c) < 1e-8:
        raise ValueError(f"d{LOSS} is zero at w = {w}: the minimiser has no direction of ascent; move the point")
    return RieszProblem(w, float(theta), plane_loss(w), c)


@dataclass
class Representers:
    metric: Metric
    g_E: np.ndarray  # Euclidean gradient (= c)
    g_M: np.ndarray  # gradient under the metric, M^{-1} c
    s_E: np.ndarray  # steepest-ascent unit direction, Euclidean
    s_M: np.ndarray  # steepest-ascent unit direction under M (|s_M|_M = 1)
    angle: float  # angle between g_E and g_M, degrees
    rate_E: float  # max of dℒ[v] over |v| = 1, = |g_E|
    rate_M: float  # max of dℒ[v] over |v|_M = 1, = |g_M|_M


def representers(problem: RieszProblem, kappa: float) -> Representers:
    """Both representers of ``dℒ_w`` and both steepest-ascent directions for anisotropy ``kappa``."""
    m = plane_metric(kappa, np.deg2rad(problem.theta))
    c = problem.c
    g_E, g_M = riesz(c), riesz(c, m)
    cosang = float(g_E @ g_M) / (np.linalg.norm(g_E) * np.linalg.norm(g_M))
    return Representers(
        m,
        g_E,
        g_M,
        steepest_ascent(c),
        steepest_ascent(c, m),
        float(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))),
        float(np.linalg.norm(g_E)),
        m.norm(g_M),
    )


def readout(problem: RieszProblem, kappa: float) -> dict:
    """The numbers shown: ``dℒ_w[v]`` for the fixed directions ``v`` of ``DIRECTIONS`` (e1, e2, d), three ways.

    ``dℒ[v]`` by finite differences of ``ℒ`` (no gradient involved), ``<g_E, v>`` with the
    Euclidean product, ``<g_M, v>_M`` with the metric: the same numbers.
    """
    r = representers(problem, kappa)
    out = {"kappa": kappa}
    for name, v in DIRECTIONS.items():
        out[f"d{LOSS}[{name}]"] = directional_derivative(plane_loss, problem.w, v)
        out[f"<g_E,{name}>"] = frobenius(r.g_E, v)
        out[f"<g_M,{name}>_M"] = r.metric(r.g_M, v)
    out["angle(g_E,g_M) deg"] = r.angle
    out["|g_E|"] = r.rate_E
    out["|g_M|_M"] = r.rate_M
    return out


def _arrow(ax, start, end, color, **kw):
    a = FancyArrowPatch(
        start, end, arrowstyle="-|>", mutation_scale=14, color=color, lw=2.2, shrinkA=0, shrinkB=0, **kw
    )
    ax.add_patch(a)
    return a


def draw_landscape(ax, problem: RieszProblem, kappa: float, scale: float):
    """Level lines of ``ℒ``, the point ``w`` and both gradients drawn as ``w + scale g``.

    Returns ``update(kappa) -> artists`` (it moves the arrow of ``g_M``); ``update.restudy(problem,
    scale)`` moves the point and the arrows to another problem (the level lines stay) and returns it."""
    t = np.linspace(*REGION, 90)
    X, Y = np.meshgrid(t, t)
    Z = plane_loss(np.stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    ax.contourf(X, Y, Z, levels=14, cmap=palette.UNIFORM, alpha=0.55)
    ax.contour(X, Y, Z, levels=14, colors=palette.INK, linewidths=0.5, alpha=0.5)
    r = representers(problem, kappa)
    w = problem.w
    arrow_E = _arrow(ax, w, w + scale * r.g_E, _BLUE, label=r"$g_E = c$")
    arrow_M = _arrow(ax, w, w + scale * r.g_M, _ORANGE, label=r"$g_M = M^{-1}c$")
    (point,) = ax.plot(*w, "ko", ms=4)
    ax.set_xlim(*REGION)
    ax.set_ylim(*REGION)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(r"level lines of $\mathcal{L}$; gradients at $w$", fontsize=10, y=1.0)  # y: not placed per draw
    fix_empty_labels(ax)
    ax.legend(
        handles=[arrow_M.__class__((0, 0), (1, 0), color=_BLUE), arrow_M.__class__((0, 0), (1, 0), color=_ORANGE)],
        labels=[r"$g_E = c$", r"$g_M = M^{-1}c$"],
        fontsize=7,
        loc="lower left",
        framealpha=0.85,
    )
    ax.tick_params(labelsize=7)

    now = {"problem": problem, "scale": scale}

    def update(kappa):
        problem, scale = now["problem"], now["scale"]
        w = problem.w
        arrow_M.set_positions(tuple(w), tuple(w + scale * representers(problem, kappa).g_M))
        return [arrow_M]

    def restudy(problem, scale):
        now.update(problem=problem, scale=scale)
        w = problem.w
        arrow_E.set_positions(tuple(w), tuple(w + scale * problem.c))
        point.set_data([w[0]], [w[1]])
        return update

    update.restudy = restudy
    return update


def tangent_limits(problem: RieszProblem, kappa_values=KAPPA_GRID) -> float:
    """Half-width of the tangent-space panel: holds the unit balls and ``g_M / |c|`` for every ``kappa``."""
    n = np.linalg.norm(problem.c)
    ext = [1.0] + [np.linalg.norm(representers(problem, k).g_M) / n for k in kappa_values]
    ext += [1.0 / np.sqrt(min(kappa_values))]
    return 1.12 * max(ext)


def draw_tangent_space(ax, problem: RieszProblem, kappa: float, lim: float):
    """The tangent plane at ``w`` in units of ``|c|``: level lines of the functional ``dℒ_w`` (fixed),
    the Euclidean unit circle and the unit ellipse of ``M``, both representers, and where the highest
    level line touches each ball (the steepest-ascent directions). Returns an update function;
    ``update.restudy(problem, lim)`` moves the panel to another problem and returns it."""
    (levels,) = ax.plot([], [], color=palette.RULE, lw=0.8, zorder=0)
    note = ax.text(
        0,
        0,
        r"$d\mathcal{L}_w[v] = |c|$",
        fontsize=7,
        color=palette.MUTED,
        ha="center",
        va="center",
        rotation_mode="anchor",
    )
    ax.plot(*unit_circle(None, 150), color=_BLUE, lw=1.2, ls="--")
    r = representers(problem, kappa)
    arrow_c = _arrow(ax, (0, 0), (1, 0), _BLUE)
    (s_E,) = ax.plot([], [], "o", color=_BLUE, ms=6)
    (ellipse,) = ax.plot(*unit_circle(r.metric, 150), color=_ORANGE, lw=2)
    arrow_M = _arrow(ax, (0, 0), tuple(r.g_M / np.linalg.norm(problem.c)), _ORANGE)
    (touch,) = ax.plot([], [], color=_ORANGE, lw=1.2, ls=":")
    (s_M,) = ax.plot([], [], "o", color=_VERMILLION, ms=7, mec=palette.INK, mew=0.6)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(r"tangent plane at $w$ (units of $|c|$)", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    ax.tick_params(labelsize=7)
    now = {}

    def restudy(problem, lim):
        c = problem.c / np.linalg.norm(problem.c)  # the functional, normalised: v -> <c, v>
        perp = np.array([-c[1], c[0]])
        s = np.array([-2 * lim, 2 * lim])
        gap = np.full((2, 1), np.nan)
        lines = [k * c[:, None] + perp[:, None] * s for k in np.arange(-np.floor(lim), np.floor(lim) + 1)]
        levels.set_data(*np.concatenate([a for line in lines for a in (line, gap)][:-1], axis=1))
        note.set_position(tuple(1.08 * c + 0.62 * lim * perp))
        note.set_rotation((np.degrees(np.arctan2(perp[1], perp[0])) + 90) % 180 - 90)
        arrow_c.set_positions((0, 0), tuple(c))
        s_E.set_data(*[[v] for v in representers(problem, KAPPA_GRID[0]).s_E])
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        now.update(problem=problem, c=c, perp=perp, s=s)
        return update

    def update(kappa):
        problem, c, perp, s = now["problem"], now["c"], now["perp"], now["s"]
        r = representers(problem, kappa)
        ellipse.set_data(*unit_circle(r.metric, 150))
        arrow_M.set_positions((0, 0), tuple(r.g_M / np.linalg.norm(problem.c)))
        level = float(c @ r.s_M)  # the highest level of dℒ/|c| reached on the ellipse
        touch.set_data(*(level * c[:, None] + perp[:, None] * s))
        s_M.set_data([r.s_M[0]], [r.s_M[1]])
        return [ellipse, arrow_M, touch, s_M]

    update.restudy = restudy
    restudy(problem, lim)
    update(kappa)
    return update


def draw_rates(ax, problem: RieszProblem, kappa: float):
    """``dℒ_w[v]`` for unit vectors ``v = (cos phi, sin phi)`` (fixed, blue), the same numbers as
    ``<g_M, v>_M`` (orange dots), and the ascent rate per unit ``M``-length ``dℒ_w[v] / |v|_M``
    (orange) whose maximum sits at the direction of ``g_M``. Returns an update function;
    ``update.restudy(problem)`` moves the panel to another problem and returns it."""
    phi = np.linspace(0, 360, 181)
    V = np.stack([np.cos(np.radians(phi)), np.sin(np.radians(phi))])
    ax.axhline(0, color=palette.RULE, lw=0.8)
    (dL_line,) = ax.plot(
        phi, np.zeros_like(phi), color=_BLUE, lw=2, label=r"$d\mathcal{L}_w[v] = \langle g_E, v\rangle$"
    )
    c_line = ax.axvline(0, color=_BLUE, lw=1, ls="--")
    ax.set_xlim(0, 360)
    ax.set_xticks([0, 90, 180, 270, 360])
    ax.set_xlabel(r"direction $\varphi$ of $v$ (deg), $|v| = 1$", fontsize=8)
    ax.set_title(r"same $d\mathcal{L}_w[v]$, different steepest $v$", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    (rate,) = ax.plot([], [], color=_ORANGE, lw=2, label=r"$d\mathcal{L}_w[v]\,/\,|v|_M$")
    (dots,) = ax.plot([], [], "o", color=_ORANGE, ms=4, mec=palette.INK, mew=0.4, label=r"$\langle g_M, v\rangle_M$")
    (vline,) = ax.plot([], [], color=_ORANGE, lw=1.2, ls="--")
    ax.legend(fontsize=7, loc="lower left", framealpha=0.85)
    ax.tick_params(labelsize=7)
    sample = np.arange(0, 181, 10)
    now = {}

    def restudy(problem):
        dL = problem.c @ V
        dL_line.set_ydata(dL)
        a = np.degrees(np.arctan2(problem.c[1], problem.c[0])) % 360
        c_line.set_xdata([a, a])
        top = 1.12 * max(representers(problem, k).rate_M for k in KAPPA_GRID)  # the largest ascent rate shown
        ax.set_ylim(-top, top)
        now.update(problem=problem, dL=dL)
        return update

    def update(kappa):
        problem, dL = now["problem"], now["dL"]
        r = representers(problem, kappa)
        norms = np.sqrt(np.einsum("in,ij,jn->n", V, r.metric.M, V))
        rate.set_data(phi, dL / norms)
        dots.set_data(phi[sample], [r.metric(r.g_M, V[:, j]) for j in sample])
        a = np.degrees(np.arctan2(r.g_M[1], r.g_M[0])) % 360
        vline.set_data([a, a], list(ax.get_ylim()))
        return [rate, dots, vline]

    update.restudy = restudy
    restudy(problem)
    update(kappa)
    return update


def make_riesz_explorer(theta: float = 30.0, w1: float = -1.1, w2: float = -0.7, kappa_index: int = 12) -> Explorer:
    """The 8.2 explorer: the gradient of one differential under a family of inner products.

    Static: the anisotropy ``kappa`` of the metric ``M = R(theta) diag(1, kappa) R(theta)^T``
    (13 values from 1/4 to 4, log-spaced, 1 in the middle). Live: the rotation ``theta``
    (degrees) and the point ``w`` in ``[-2, 2]^2`` (clamped).
    """
    check_numbers(theta=theta, w1=w1, w2=w2)
    _validate.check_integers(kappa_index=kappa_index)
    w1, w2 = (float(np.clip(v, *POINT_RANGE)) for v in (w1, w2))
    controls = {
        "theta": widgets.FloatSlider(value=float(theta) % 180, min=0, max=180, step=5, description="theta (deg)"),
        "w1": widgets.FloatSlider(value=w1, min=POINT_RANGE[0], max=POINT_RANGE[1], step=0.1, description="w1"),
        "w2": widgets.FloatSlider(value=w2, min=POINT_RANGE[0], max=POINT_RANGE[1], step=0.1, description="w2"),
    }

    def render(fig, p):
        prob = riesz_problem(p["w1"], p["w2"], p["theta"])
        lim = tangent_limits(prob)
        n = np.linalg.norm(prob.c)
        longest = max(1.0, *(np.linalg.norm(representers(prob, k).g_M) / n for k in KAPPA_GRID))
        scale = min(1.0, 1.8 / longest) / n  # one scale for both arrows, the longest fits in the landscape
        # the figure is kept from one setting of the controls to the next (render.reuses_figure):
        # the panels (and the level lines of ℒ, which no control changes) are drawn once, then moved
        panels = getattr(fig, "_riesz_panels", None)
        if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
            fig.clear()
            gs = fig.add_gridspec(
                1, 3, width_ratios=[1, 1, 1.25], left=0.04, right=0.985, bottom=0.15, top=0.86, wspace=0.2
            )
            axes = [fig.add_subplot(gs[0, k]) for k in range(3)]
            panels = fig._riesz_panels = dict(
                axes=axes,
                land=draw_landscape(axes[0], prob, KAPPA_GRID[0], scale),
                tan=draw_tangent_space(axes[1], prob, KAPPA_GRID[0], lim),
                rates=draw_rates(axes[2], prob, KAPPA_GRID[0]),
            )
        upd_land = panels["land"].restudy(prob, scale)
        upd_tan = panels["tan"].restudy(prob, lim)
        upd_rates = panels["rates"].restudy(prob)
        # kappa itself is on the slider and in the readout: an animated text would cost more than all the curves

        def frame(kappa):
            artists = [*upd_land(kappa), *upd_tan(kappa), *upd_rates(kappa)]
            return artists, readout_html(readout(prob, kappa))

        return frame

    render.reuses_figure = True

    return Explorer(
        title=f"<b>Gradient as Riesz representer (8.2)</b>: one differential d{LOSS}, "
        "the metric M = R diag(1, kappa) R<sup>T</sup>, two gradients",
        main=("kappa", KAPPA_GRID, kappa_index),
        controls=controls,
        render=render,
        figsize=(10.5, 3.5),
    )
