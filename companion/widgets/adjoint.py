"""8.4 explorer: the adjoint of a linear map of the plane, under two inner products.

``A`` is built from a rotation, a shear and a stretch (:func:`companion.pullbacks.plane_map`).
For vectors ``v`` (the input side) and ``w`` (the output side) the adjoint is the one map
with ``<A v, w> = <v, A* w>`` for all ``v, w``. Under the Euclidean inner product that is
``A^T``; under ``<u, u'>_M = u^T M u'`` (the same ``M`` on both sides) it is
``A* = M^{-1} A^T M``, and ``A^T`` no longer balances the two pairings.

Layers: compute (:func:`adjoint_problem`, ``frame_limits``, with :mod:`companion.pullbacks` and
:func:`companion.spaces.adjoint`), draw (``draw_*`` on given ``Axes``), wire
(:func:`make_adjoint_explorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from .. import _validate
from ..pullbacks import plane_map
from ..spaces import adjoint, plane_metric, unit_circle
from . import palette
from ._base import Explorer, check_numbers, readout_html
from ._layers import fix_empty_labels

__all__ = [
    "ANGLE_GRID",
    "INNER_PRODUCTS",
    "METRIC",
    "AdjointProblem",
    "adjoint_problem",
    "readout",
    "draw_plane",
    "draw_pairings",
    "make_adjoint_explorer",
]

ANGLE_GRID = tuple(float(a) for a in np.linspace(-90.0, 90.0, 13))  # rotation of A, degrees
INNER_PRODUCTS = ("Euclidean", "metric M")
METRIC = plane_metric(4.0, np.deg2rad(30.0)).M  # M = R(30 deg) diag(1, 4) R(30 deg)^T

# Okabe-Ito colors
C_V, C_AV, C_W, C_ADJ, C_T = palette.BLUE, palette.SKY, palette.VERMILLION, palette.ORANGE, palette.GREY


@dataclass
class AdjointProblem:
    A: np.ndarray  # (2, 2)
    M: np.ndarray | None  # (2, 2) SPD, or None for Euclidean
    v: np.ndarray  # (2,)
    w: np.ndarray  # (2,)
    A_star: np.ndarray  # (2, 2): the adjoint under the chosen inner product
    Av: np.ndarray
    A_star_w: np.ndarray
    AT_w: np.ndarray

    def inner(self, a, b) -> float:
        """``<a, b>`` under the chosen inner product."""
        return float(a @ b) if self.M is None else float(a @ self.M @ b)


def adjoint_problem(angle_deg=30.0, shear=0.6, scale=1.4, v_deg=20.0, w_deg=110.0, inner="Euclidean") -> AdjointProblem:
    """``A = plane_map(angle, shear, scale)``, ``v, w`` at the given angles (degrees), and ``A*`` under ``inner``.

    ``inner="Euclidean"``: ``A* = A^T``; ``"metric M"``: ``A* = M^{-1} A^T M`` with ``M = METRIC``.
    ``v`` and ``w`` have unit length in the chosen inner product (they lie on its unit circle).
    """
    if inner not in INNER_PRODUCTS:
        raise ValueError(f"inner must be one of {INNER_PRODUCTS}, got {inner!r}")
    A = plane_map(np.deg2rad(angle_deg), shear, scale)
    M = None if inner == "Euclidean" else METRIC
    A_star = adjoint(A, (2,), (2,), inner_x=M, inner_y=M).matrix
    v = np.array([np.cos(np.deg2rad(v_deg)), np.sin(np.deg2rad(v_deg))])
    w = np.array([np.cos(np.deg2rad(w_deg)), np.sin(np.deg2rad(w_deg))])
    if M is not None:  # unit vectors of the chosen inner product
        v /= np.sqrt(v @ M @ v)
        w /= np.sqrt(w @ M @ w)
    return AdjointProblem(A, M, v, w, A_star, A @ v, A_star @ w, A.T @ w)


def readout(p: AdjointProblem) -> dict:
    """The numbers shown: both pairings (equal), the pairing with ``A^T`` (equal only if Euclidean)."""
    s = "" if p.M is None else "_M"
    return {
        f"<Av, w>{s}": p.inner(p.Av, p.w),
        f"<v, A* w>{s}": p.inner(p.v, p.A_star_w),
        f"<v, A^T w>{s}": p.inner(p.v, p.AT_w),
        "|A* w - A^T w|": float(np.linalg.norm(p.A_star_w - p.AT_w)),
    }


def _arrow(ax, vec, color, width=0.012, zorder=3, **kw):
    return ax.quiver(
        [0.0],
        [0.0],
        [vec[0]],
        [vec[1]],
        color=color,
        angles="xy",
        scale_units="xy",
        scale=1,
        width=width,
        zorder=zorder,
        **kw,
    )


def _circle_label(M) -> str:
    return "unit circle" if M is None else r"unit circle of $M$"


def draw_plane(ax, p: AdjointProblem, lim: float):
    """The plane with ``v, w`` (fixed), ``A v``, ``A* w``, ``A^T w`` (only if it differs from ``A* w``: under
    a metric), the unit circle of the inner product and its image under ``A``.

    Returns the artists that depend on ``A`` and ``update(q) -> artists``, which moves them to the problem ``q``
    (the same ``v``, ``w`` and inner product as the panel's); ``update.restudy(p, lim)`` moves the panel to
    another problem (its ``v``, ``w`` and inner product) and half-width."""
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.axhline(0, color=palette.RULE, lw=0.8, zorder=0)
    ax.axvline(0, color=palette.RULE, lw=0.8, zorder=0)
    circle = unit_circle(p.M, 121)
    (circle_line,) = ax.plot(*circle, color=palette.RULE, lw=1, ls=":", label=_circle_label(p.M))
    (image,) = ax.plot(*(p.A @ circle), color=C_AV, lw=1, alpha=0.6, label="its image under A")
    arrow_v, arrow_w = _arrow(ax, p.v, C_V), _arrow(ax, p.w, C_W)
    tv = ax.text(*(1.12 * p.v), "v", color=C_V, fontsize=11, ha="center", va="center", fontweight="bold")
    tw = ax.text(*(1.12 * p.w), "w", color=C_W, fontsize=11, ha="center", va="center", fontweight="bold")
    av, aa = _arrow(ax, p.Av, C_AV), _arrow(ax, p.A_star_w, C_ADJ)
    t_av = ax.text(0, 0, "Av", color=C_AV, fontsize=10, ha="center", va="center", fontweight="bold")
    t_aa = ax.text(0, 0, "A* w", color=C_ADJ, fontsize=10, ha="center", va="center", fontweight="bold")
    # A^T w is always drawn, hidden under the Euclidean inner product (where it is A* w): restudy may show it
    metric = p.M is not None
    at = _arrow(ax, p.AT_w, C_T, width=0.007, zorder=2, alpha=0.8, visible=metric)
    t_at = ax.text(0, 0, r"A$^T$w", color=C_T, fontsize=10, ha="center", va="center", visible=metric)
    legend = ax.legend(fontsize=7, loc="lower left", framealpha=0.8)
    ax.tick_params(labelsize=7)
    fix_empty_labels(ax)
    for t in (tv, tw):
        t.set_clip_on(True)
    moving = [image, av, aa, t_av, t_aa, at, t_at]
    now = {"circle": circle, "lim": lim}

    def update(q: AdjointProblem):
        lim = now["lim"]
        image.set_data(*(q.A @ now["circle"]))
        av.set_UVC([q.Av[0]], [q.Av[1]])
        aa.set_UVC([q.A_star_w[0]], [q.A_star_w[1]])
        at.set_UVC([q.AT_w[0]], [q.AT_w[1]])
        _place(t_av, q.Av, lim)
        _place(t_aa, q.A_star_w, lim)
        _place(t_at, q.AT_w, lim)
        return moving

    def restudy(p: AdjointProblem, lim: float):
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        circle = unit_circle(p.M, 121)
        circle_line.set_data(*circle)
        legend.get_texts()[0].set_text(_circle_label(p.M))
        for arrow, text, u in ((arrow_v, tv, p.v), (arrow_w, tw, p.w)):
            arrow.set_UVC([u[0]], [u[1]])
            text.set_position(1.12 * u)
        for a in (at, t_at):
            a.set_visible(p.M is not None)
        now.update(circle=circle, lim=lim)

    update.restudy = restudy
    update(p)
    return moving, update


def _place(text, vec, lim):
    """Put a label just beyond the tip of ``vec``, kept inside the axes."""
    n = np.linalg.norm(vec)
    pos = vec + 0.09 * lim * (vec / n if n > 1e-12 else np.array([0.7, 0.7]))
    text.set_position(np.clip(pos, -0.92 * lim, 0.92 * lim))


def draw_pairings(ax, p: AdjointProblem, ylim):
    """Bars of ``<Av, w>``, ``<v, A* w>`` and ``<v, A^T w>`` under the chosen inner product.

    Returns the bars and ``update(q) -> bars``, which sets their heights to the pairings of the problem ``q``
    (the same inner product as the panel's); ``update.restudy(p, ylim)`` moves the panel to another problem
    (its inner product) and limits."""
    names = [r"$\langle Av, w\rangle$", r"$\langle v, A^*w\rangle$", r"$\langle v, A^Tw\rangle$"]
    vals = _pairings(p)
    bars = list(ax.bar(range(3), vals, color=[C_AV, C_ADJ, palette.WHITE], edgecolor=[C_AV, C_ADJ, C_T], linewidth=1.5))
    bars[2].set_hatch("//")
    ax.axhline(0, color=palette.FRAME, lw=0.8)
    ax.set_xticks(range(3))
    ax.set_xlim(-0.6, 2.6)
    ax.tick_params(axis="y", labelsize=7)
    fix_empty_labels(ax)

    def update(q: AdjointProblem):
        for bar, h in zip(bars, _pairings(q), strict=True):
            bar.set_height(h)
        return bars

    def restudy(p: AdjointProblem, ylim):
        ax.set_xticklabels([n + ("" if p.M is None else r"$_M$") for n in names], fontsize=8)
        ax.set_ylim(*ylim)
        ax.set_title("the pairings" + (" (Euclidean)" if p.M is None else " under M"), fontsize=10, y=1.0)

    update.restudy = restudy
    restudy(p, ylim)
    return bars, update


def _pairings(p: AdjointProblem):
    return [p.inner(p.Av, p.w), p.inner(p.v, p.A_star_w), p.inner(p.v, p.AT_w)]


def frame_limits(shear=0.6, scale=1.4, v_deg=20.0, w_deg=110.0, inner="Euclidean", angles=ANGLE_GRID):
    """Limits that hold every frame (fixed, for blitting): ``(lim, top)``, the half-width of the plane (it holds
    ``A* w``, ``A^T w`` and the image of the unit circle) and of the pairings' axis, over the rotations ``angles``.

    The operations of :func:`adjoint_problem` and :func:`readout` in the same order, on all the angles at once:
    the same numbers as frame by frame."""
    p = adjoint_problem(angles[0], shear, scale, v_deg, w_deg, inner)  # v, w and M
    t = np.deg2rad(np.asarray(angles, dtype=float))
    c, s = np.cos(t), np.sin(t)
    R = np.stack([np.stack([c, -s], axis=-1), np.stack([s, c], axis=-1)], axis=-2)
    A = R @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([scale, 1.0])  # plane_map at each angle, (k, 2, 2)
    AT = A.swapaxes(1, 2)
    A_star = AT if p.M is None else np.linalg.solve(p.M, AT @ p.M)
    Av, A_star_w, AT_w = A @ p.v, A_star @ p.w, AT @ p.w  # (k, 2) each
    reach = max(
        np.sqrt(np.vecdot(A_star_w, A_star_w).max()),
        np.sqrt(np.vecdot(AT_w, AT_w).max()),
        np.linalg.norm(A @ unit_circle(p.M, 121), axis=1).max(),
    )
    Av_M, v_M = (Av, p.v) if p.M is None else (Av @ p.M, p.v @ p.M)
    pairings = np.stack([np.vecdot(Av_M, p.w), np.vecdot(A_star_w, v_M), np.vecdot(AT_w, v_M)])
    return max(1.6, 1.1 * reach + 0.35), max(np.abs(pairings).max(), 0.1) * 1.1


def _build(fig, p, lim, top):
    """Draw the two panels once; returns the handles that ``_render`` moves to other controls."""
    fig.clear()
    gs = fig.add_gridspec(1, 2, width_ratios=[1, 0.8], left=0.04, right=0.98, bottom=0.08, top=0.92, wspace=0.15)
    axes = (fig.add_subplot(gs[0]), fig.add_subplot(gs[1]))
    panels = {
        "axes": axes,
        "plane": draw_plane(axes[0], p, lim)[1],
        "pairings": draw_pairings(axes[1], p, (-top, top))[1],
        "label": fig.text(0.05, 0.945, "", fontsize=10, fontweight="bold"),
    }
    fig._adjoint_panels = panels
    return panels


def _render(fig, params):
    """Draw (the first time) or move (after) the plane and the pairings for the controls ``params``;
    returns ``frame(angle)``."""
    p = adjoint_problem(ANGLE_GRID[0], **params)
    lim, top = frame_limits(**params)
    # the figure is kept from one setting of the controls to the next (render.reuses_figure):
    # the panels are drawn once, then moved to the new map, vectors and inner product
    panels = getattr(fig, "_adjoint_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
        panels = _build(fig, p, lim, top)
    else:
        panels["plane"].restudy(p, lim)
        panels["pairings"].restudy(p, (-top, top))
    update_plane, update_bars, label = panels["plane"], panels["pairings"], panels["label"]

    def frame(angle):
        q = p if angle == ANGLE_GRID[0] else adjoint_problem(angle, **params)  # the shell's first call
        label.set_text(f"rotation of A = {angle:.0f} deg")
        return update_plane(q) + update_bars(q) + [label], readout_html(readout(q))

    return frame


_render.reuses_figure = True


def make_adjoint_explorer(
    shear: float = 0.6,
    scale: float = 1.4,
    v_deg: float = 20.0,
    w_deg: float = 110.0,
    inner: str = "Euclidean",
    angle_index: int = 10,
) -> Explorer:
    """The adjoint explorer for 8.4; returns an ipywidgets widget.

    Static: the rotation angle of ``A`` (13 values, -90 to 90 degrees). Live: the shear and
    the stretch of ``A``, the directions of ``v`` and ``w``, and the inner product
    (Euclidean, or the metric ``M = R(30 deg) diag(1, 4) R(30 deg)^T`` on both sides).
    """
    _validate.check_integers(angle_index=angle_index)
    if inner not in INNER_PRODUCTS:
        raise ValueError(f"inner must be one of {INNER_PRODUCTS}, got {inner!r}")
    check_numbers(shear=shear, scale=scale, v_deg=v_deg, w_deg=w_deg)
    controls = {
        "inner": widgets.ToggleButtons(
            options=list(INNER_PRODUCTS),
            value=inner,
            description="inner product",
            style={"button_width": "90px", "description_width": "initial"},
        ),
        "shear": widgets.FloatSlider(
            value=float(np.clip(shear, -1.5, 1.5)), min=-1.5, max=1.5, step=0.05, description="shear"
        ),
        "scale": widgets.FloatSlider(
            value=float(np.clip(scale, 0.25, 2.5)), min=0.25, max=2.5, step=0.05, description="stretch"
        ),
        "v_deg": widgets.FloatSlider(value=float(np.mod(v_deg, 360)), min=0, max=360, step=5, description="angle of v"),
        "w_deg": widgets.FloatSlider(value=float(np.mod(w_deg, 360)), min=0, max=360, step=5, description="angle of w"),
    }

    return Explorer(
        title="<b>The adjoint (8.4)</b>: &lt;Av, w&gt; = &lt;v, A*w&gt;, "
        "with A = rotation &middot; shear &middot; stretch",
        main=("rotation of A (deg)", ANGLE_GRID, angle_index),
        controls=controls,
        render=_render,
        figsize=(9.0, 4.4),
        labels=lambda a: f"{a:.0f}",
    )
