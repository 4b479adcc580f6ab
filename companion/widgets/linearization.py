"""8.1 explorer: a nonlinear map of the plane, zoomed in at a point, against its differential.

``F(x0 + dx) = F(x0) + dF_x0[dx] + o(|dx|)``. Take the disc of radius ``eps`` around
``x0`` (a circle, a small grid, a marked direction ``v``) and look at its image under
``F`` in coordinates *relative to* ``F(x0)`` and *divided by* ``eps``: the image under
the affine model ``F(x0) + J dx`` is then the same parallelogram-and-ellipse at every
scale, and the true image bends away from it by ``O(eps)``. Zooming in (``eps -> 0``)
the two merge: that is what having a differential means. The Taylor remainder along
``v`` shrinks like ``eps^2`` with the Jacobian ``J``, only like ``eps`` with a wrong
derivative (the transposed Jacobian ``J^T``, a row/column mix-up).

Layers: compute (:func:`linearization_problem`, :func:`zoom_images`, :func:`readout`,
with :mod:`companion.differentials`), draw (``draw_*`` on given ``Axes``), wire
(:func:`make_linearization_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..differentials import TaylorResult, taylor_test
from ..examples import NONLINEAR_MAPS, NonlinearMap, nonlinear_map
from . import palette
from ._base import Artists, Explorer, check_numbers, readout_html
from ._layers import fix_empty_labels

__all__ = [
    "EPS_GRID",
    "TAYLOR_EPS",
    "LinearizationProblem",
    "linearization_problem",
    "zoom_images",
    "readout",
    "draw_zoom",
    "draw_global",
    "draw_taylor",
    "make_linearization_explorer",
]

EPS_GRID = tuple(float(e) for e in np.logspace(-3, 0, 13))
TAYLOR_EPS = np.logspace(-3.5, 0.25, 31)  # the remainder curves (finer and wider than the frames)
POINT_RANGE = (-1.5, 1.5)

_BLUE, _ORANGE, _VERMILLION, _GREEN, _PURPLE = (
    palette.BLUE,
    palette.ORANGE,
    palette.VERMILLION,
    palette.GREEN,
    palette.PURPLE,
)


@dataclass
class LinearizationProblem:
    F: NonlinearMap
    x0: np.ndarray  # (2,) the point
    v: np.ndarray  # (2,) unit direction
    F0: np.ndarray  # F(x0)
    J: np.ndarray  # (2, 2) exact Jacobian at x0: the array of dF_x0
    J_wrong: np.ndarray  # J^T, the wrong derivative shown for contrast
    taylor: TaylorResult  # remainders with J over TAYLOR_EPS
    taylor_wrong: TaylorResult  # remainders with J^T


def linearization_problem(
    name: str = "bend", x0: float = -0.5, y0: float = 0.6, angle: float = 60.0
) -> LinearizationProblem:
    """The map ``name`` at the point ``(x0, y0)``, direction ``v = (cos angle, sin angle)`` (degrees)."""
    F = nonlinear_map(name)
    p = np.array([float(x0), float(y0)])
    a = np.deg2rad(float(angle))
    v = np.array([np.cos(a), np.sin(a)])
    J = F.J(p)
    return LinearizationProblem(
        F,
        p,
        v,
        F(p),
        J,
        J.T.copy(),
        taylor_test(F, p, v, J @ v, eps=TAYLOR_EPS),
        taylor_test(F, p, v, J.T @ v, eps=TAYLOR_EPS),
    )


def _unit_shapes(n_circle: int = 121, n_lines: int = 5, n_pts: int = 25):
    """The unit circle ``(2, n)`` and a grid of ``2 n_lines`` segments across ``[-1, 1]^2`` (each ``(2, n_pts)``)."""
    t = np.linspace(0, 2 * np.pi, n_circle)
    circle = np.stack([np.cos(t), np.sin(t)])
    s = np.linspace(-1, 1, n_pts)
    lines = [np.stack([np.full_like(s, c), s]) for c in np.linspace(-1, 1, n_lines)]
    lines += [np.stack([s, np.full_like(s, c)]) for c in np.linspace(-1, 1, n_lines)]
    return circle, lines


_CIRCLE, _LINES = _unit_shapes()


def zoom_images(problem: LinearizationProblem, eps: float) -> dict:
    """Images of the disc of radius ``eps`` at ``x0``, relative to ``F(x0)`` and divided by ``eps``.

    For ``u`` in the unit disc, ``true = (F(x0 + eps u) - F(x0)) / eps`` and
    ``model = J u`` (the affine model, the same at every ``eps``). Returns the circle,
    the grid lines and the tip of the direction ``v`` under each: arrays of 2-d points
    as columns.
    """
    x0, F0, J = problem.x0[:, None], problem.F0[:, None], problem.J

    def true(U):
        return (problem.F(x0 + eps * U) - F0) / eps

    return {
        "true circle": true(_CIRCLE),
        "model circle": J @ _CIRCLE,
        "true lines": [true(L) for L in _LINES],
        "model lines": [J @ L for L in _LINES],
        "true tip": true(problem.v[:, None])[:, 0],
        "model tip": J @ problem.v,
    }


def readout(problem: LinearizationProblem, eps: float) -> dict:
    """The numbers shown at step ``eps``: remainders along ``v`` with ``J`` and with ``J^T``."""
    F, x0, v = problem.F, problem.x0, problem.v
    step = F(x0 + eps * v) - problem.F0
    r = float(np.linalg.norm(step - eps * problem.J @ v))
    r_wrong = float(np.linalg.norm(step - eps * problem.J_wrong @ v))
    return {
        "eps": eps,
        "remainder": r,
        "remainder / eps^2": r / eps**2,
        "|d2F[v,v]| / 2": 0.5 * float(np.linalg.norm(F.d2(x0, v))),
        "wrong remainder (J^T)": r_wrong,
        "wrong remainder / eps": r_wrong / eps,
        "|(J - J^T) v|": float(np.linalg.norm((problem.J - problem.J_wrong) @ v)),
    }


def zoom_limits(problem: LinearizationProblem, eps_values=EPS_GRID) -> float:
    """A half-width that holds the zoomed images at every ``eps`` of the grid (fixed limits for blitting)."""
    ext = [np.abs(problem.J @ _CIRCLE).max(), np.abs(problem.J @ np.array([[1, 1, -1, -1], [1, -1, 1, -1]])).max()]
    for e in eps_values:
        im = zoom_images(problem, e)
        ext += [np.abs(im["true circle"]).max()] + [np.abs(L).max() for L in im["true lines"]]
    return 1.08 * max(max(ext), 0.25)


def _joined(lines) -> np.ndarray:
    """Curves ``(2, k)`` joined into one ``(2, K)`` array, separated by NaN columns (one artist to draw)."""
    gap = np.full((2, 1), np.nan)
    return np.concatenate([c for L in lines for c in (L, gap)][:-1], axis=1)


def draw_zoom(ax, problem: LinearizationProblem, eps: float, lim: float):
    """The zoomed images: the affine model (fixed, dashed) and the true image at ``eps`` (solid).

    Returns the artists that depend on ``eps``: the true grid (one line), circle and direction tip;
    ``.restudy(problem, lim)`` moves the model and the limits to another problem and returns them."""
    im = zoom_images(problem, eps)
    (model_grid,) = ax.plot(*_joined(im["model lines"]), color=palette.FRAME, lw=0.8, ls="--")
    (model_circle,) = ax.plot(*im["model circle"], color=_ORANGE, lw=2.2, ls="--", label=r"model $J u$")
    arrow = ax.annotate(
        "", xy=im["model tip"], xytext=(0, 0), arrowprops=dict(arrowstyle="->", color=_ORANGE, lw=1.8, ls="--")
    )
    (grid,) = ax.plot(*_joined(im["true lines"]), color=_BLUE, lw=0.9, alpha=0.8)
    (circle,) = ax.plot(*im["true circle"], color=_BLUE, lw=2, label=r"$(F(x_0+\varepsilon u)-F(x_0))/\varepsilon$")
    (tip,) = ax.plot(*im["true tip"], "o", color=_VERMILLION, ms=6, label=r"image of $x_0+\varepsilon v$")
    ax.plot([0], [0], "k+", ms=8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(r"zoom at $F(x_0)$, scaled by $1/\varepsilon$", fontsize=10, y=1.0)  # y: not placed per draw
    fix_empty_labels(ax)
    ax.legend(fontsize=7, loc="lower left", framealpha=0.85)
    ax.tick_params(labelsize=7)
    artists = Artists((grid, circle, tip))

    def restudy(problem, lim):
        im = zoom_images(problem, EPS_GRID[0])
        model_grid.set_data(*_joined(im["model lines"]))
        model_circle.set_data(*im["model circle"])
        arrow.xy = tuple(im["model tip"])
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        return artists

    artists.restudy = restudy
    return artists


def global_view(problem: LinearizationProblem, half: float = 1.0, n_lines: int = 7, n_pts: int = 50):
    """Images under ``F`` of a grid of the square ``x0 + [-half, half]^2``: a list of ``(2, n_pts)`` curves."""
    s = np.linspace(-half, half, n_pts)
    out = []
    for c in np.linspace(-half, half, n_lines):
        out.append(problem.F(problem.x0[:, None] + np.stack([np.full_like(s, c), s])))
        out.append(problem.F(problem.x0[:, None] + np.stack([s, np.full_like(s, c)])))
    return out


def draw_global(ax, problem: LinearizationProblem, eps: float, zoom_half: float):
    """The image of a unit square of grid around ``x0`` under ``F``, the image of the ``eps`` circle and
    the window that the zoom panel magnifies (half-width ``eps * zoom_half``).

    Returns ``update(eps) -> artists``, which moves the two artists that depend on ``eps``;
    ``update.restudy(problem, zoom_half)`` moves the panel to another problem and returns ``update``."""
    (curves_line,) = ax.plot([], [], color=palette.RULE, lw=0.7)
    (img,) = ax.plot([], [], color=_BLUE, lw=1.8)
    (box,) = ax.plot([], [], color=_VERMILLION, lw=1.2)
    (point,) = ax.plot([], [], "k.", ms=5)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(r"$F$ on $x_0+[-1,1]^2$; zoom window (red)", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    ax.tick_params(labelsize=7)
    now = {}

    def update(e):
        problem, h = now["problem"], now["h"]
        img.set_data(*(problem.F0[:, None] + e * zoom_images(problem, e)["true circle"]))
        w = e * now["zoom_half"]
        X, Y = problem.F0
        box.set_data([X - w, X + w, X + w, X - w, X - w], [Y - w, Y - w, Y + w, Y + w, Y - w])
        box.set_visible(w < 0.8 * h)  # a window wider than the view would only frame the edges
        return [img, box]

    def restudy(problem, zoom_half):
        curves = global_view(problem)
        curves_line.set_data(*_joined(curves))
        pts = np.concatenate(curves, axis=1)
        lo, hi = pts.min(axis=1), pts.max(axis=1)
        c, h = (lo + hi) / 2, 0.55 * max((hi - lo).max(), 1e-6)
        point.set_data([problem.F0[0]], [problem.F0[1]])
        ax.set_xlim(c[0] - h, c[0] + h)
        ax.set_ylim(c[1] - h, c[1] + h)
        now.update(problem=problem, zoom_half=zoom_half, h=h)
        return update

    update.restudy = restudy
    restudy(problem, zoom_half)
    update(eps)
    return update


def draw_taylor(ax, problem: LinearizationProblem, eps: float):
    """Remainders along ``v`` against ``eps`` (log-log): with ``J`` (slope 2), with ``J^T`` (slope 1).

    Returns ``update(eps, numbers) -> artists`` (``numbers`` from :func:`readout`), which moves the
    marks of the current ``eps``: a vertical line and one marker per curve;
    ``update.restudy(problem)`` moves the panel to another problem and returns ``update``."""
    floor = 1e-17
    eps_grid = problem.taylor.eps
    (right,) = ax.loglog(eps_grid, np.ones_like(eps_grid), "-", color=_BLUE, lw=2, label=r"with $J$")
    (wrong,) = ax.loglog(
        eps_grid, np.ones_like(eps_grid), "--", color=_VERMILLION, lw=2, label=r"with $J^\top$ (wrong)"
    )
    (slope2,) = ax.loglog(eps_grid, np.ones_like(eps_grid), ":", color=palette.MUTED, lw=1.2, label="slope 2")
    (slope1,) = ax.loglog(eps_grid, np.ones_like(eps_grid), "-.", color=palette.MUTED, lw=1, label="slope 1")
    ax.set_xlim(eps_grid[0], eps_grid[-1])
    (vline,) = ax.plot([eps, eps], [1.0, 1.0], color=palette.FRAME, lw=1)
    (m_right,) = ax.plot([eps], [1.0], "o", ms=8, mfc="none", mec=_BLUE, mew=2)
    (m_wrong,) = ax.plot([eps], [1.0], "s", ms=7, mfc="none", mec=_VERMILLION, mew=2)
    ax.set_xlabel(r"$\varepsilon$", fontsize=9)
    ax.set_title(r"$|F(x_0+\varepsilon v)-F(x_0)-\varepsilon\,D v|$", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    ax.tick_params(labelsize=7)

    def update(e, numbers):
        vline.set_xdata([e, e])
        m_right.set_data([e], [max(numbers["remainder"], floor)])
        m_wrong.set_data([e], [max(numbers["wrong remainder (J^T)"], floor)])
        return [vline, m_right, m_wrong]

    def restudy(problem):
        t, tw = problem.taylor, problem.taylor_wrong
        right.set_ydata(np.maximum(t.remainders, floor))
        wrong.set_ydata(np.maximum(tw.remainders, floor))
        e0 = t.eps[len(t.eps) // 2]
        k = int(np.argmin(np.abs(t.eps - e0)))
        slope2.set_ydata(t.remainders[k] * (t.eps / e0) ** 2 * 0.3)
        slope2.set_visible(bool(t.remainders[k] > 1e-14))
        slope1.set_ydata(tw.remainders[k] * (tw.eps / e0) * 3)
        slope1.set_visible(bool(tw.remainders[k] > 1e-14))
        ys = np.concatenate([np.maximum(t.remainders, floor), np.maximum(tw.remainders, floor)])
        ax.set_ylim(ys.min() / 10, ys.max() * 10)
        vline.set_ydata([ys.min() / 10, ys.max() * 10])
        ax.legend(handles=[h for h in (right, wrong, slope2, slope1) if h.get_visible()], fontsize=7, loc="lower right")
        return update

    update.restudy = restudy
    restudy(problem)
    update(eps, readout(problem, eps))
    return update


def _build(fig, prob, lim):
    """Draw the three panels once; returns the handles that ``update`` moves to another problem."""
    fig.clear()
    gs = fig.add_gridspec(1, 3, width_ratios=[1, 1, 1.15], left=0.04, right=0.985, bottom=0.13, top=0.86, wspace=0.22)
    ax_g, ax_z, ax_t = (fig.add_subplot(gs[0, k]) for k in range(3))
    panels = {
        "axes": (ax_g, ax_z, ax_t),
        "global": draw_global(ax_g, prob, EPS_GRID[0], lim),
        "zoom": draw_zoom(ax_z, prob, EPS_GRID[0], lim),
        "taylor": draw_taylor(ax_t, prob, EPS_GRID[0]),
        "name": fig.text(0.01, 0.94, "", fontsize=10, fontweight="bold"),  # eps is on the slider and in the readout
    }
    fig._linearization_panels = panels
    return panels


def _render(fig, p):
    """Draw (the first time) or move (after) the three panels for the controls ``p``; returns ``frame(eps)``."""
    prob = linearization_problem(p["map"], p["x0"], p["y0"], p["angle"])
    lim = zoom_limits(prob)
    # the figure is kept from one setting of the controls to the next (render.reuses_figure):
    # the panels are drawn once, then moved to the new map, point and direction
    panels = getattr(fig, "_linearization_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
        panels = _build(fig, prob, lim)
    global_update = panels["global"].restudy(prob, lim)
    zoom_artists = panels["zoom"].restudy(prob, lim)
    taylor_update = panels["taylor"].restudy(prob)
    panels["name"].set_text(f"map: {prob.F.name}")

    def frame(eps):
        im = zoom_images(prob, eps)
        grid, circle, tip = zoom_artists
        grid.set_data(*_joined(im["true lines"]))
        circle.set_data(*im["true circle"])
        tip.set_data([im["true tip"][0]], [im["true tip"][1]])
        numbers = readout(prob, eps)
        return [*global_update(eps), *zoom_artists, *taylor_update(eps, numbers)], readout_html(numbers)

    return frame


_render.reuses_figure = True


def make_linearization_explorer(
    map: str = "bend", x0: float = -0.5, y0: float = 0.6, angle: float = 60.0, eps_index: int = 12
) -> Explorer:
    """The 8.1 explorer: zoom in on a nonlinear map of the plane until it looks linear.

    Static: the ``eps`` slider (13 values, 1e-3 to 1, log-spaced). Live: the map (bend,
    polar, tanh layer), the point ``(x0, y0)`` in ``[-1.5, 1.5]^2`` (clamped) and the
    direction angle of ``v`` (degrees).
    """
    _validate.check_integers(eps_index=eps_index)
    if not isinstance(map, str) or map not in NONLINEAR_MAPS:
        raise ValueError(f"map must be one of {tuple(NONLINEAR_MAPS)}, got {map!r}")
    check_numbers(x0=x0, y0=y0, angle=angle)
    x0, y0 = (float(np.clip(v, *POINT_RANGE)) for v in (x0, y0))
    controls = {
        "map": widgets.Dropdown(options=list(NONLINEAR_MAPS), value=map, description="map F"),
        "x0": widgets.FloatSlider(value=x0, min=POINT_RANGE[0], max=POINT_RANGE[1], step=0.05, description="x0"),
        "y0": widgets.FloatSlider(value=y0, min=POINT_RANGE[0], max=POINT_RANGE[1], step=0.05, description="y0"),
        "angle": widgets.FloatSlider(
            value=float(angle) % 360,
            min=0,
            max=360,
            step=5,
            description="angle of v (deg)",
            style={"description_width": "initial"},
        ),
    }

    return Explorer(
        title="<b>Linearization (8.1)</b>: the image of a disc of radius eps under F, zoomed, against the differential",
        main=("eps", EPS_GRID, eps_index),
        controls=controls,
        render=_render,
        figsize=(10, 3.4),
    )
