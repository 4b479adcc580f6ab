"""The "perturb and compare" panels shared by the explorers of 8.3, 8.5 and 8.6 (drawing only).

A step ``eps`` along a unit direction ``dX`` changes a loss by ``eps <G, dX>_F`` to first
order. :mod:`companion.perturb` computes the comparison (a ``FirstOrderStudy`` over a grid of
``eps``, and its ``Zoom``); two panels show it:

- the *zoom*: the loss along ``dX`` magnified ``1/eps`` times about the point,
  ``y(s) = (ℒ(X + s eps dX) - ℒ(X)) / eps`` for ``s`` in ``[-2, 2]``, against its tangent
  line ``s <G, dX>_F``, which is the same at every scale; the curve leaves it by ``O(eps)``;
- the *remainders* ``|actual - predicted|`` against ``eps`` on log-log axes, beside a
  slope-2 guide, the current ``eps`` ringed.

:class:`FirstOrderPanels` draws both once on given axes, moves them to another problem in place
(:meth:`~FirstOrderPanels.show`) and to another ``eps`` of the grid (:meth:`~FirstOrderPanels.frame`);
each explorer gives only the panels' titles and legend labels and places the axes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import LogLocator, MaxNLocator, MultipleLocator, NullLocator

from ..perturb import FirstOrderStudy, Zoom
from ._layers import fix_empty_labels
from .palette import BLUE, INK, MUTED, RULE, VERMILLION

__all__ = ["FirstOrderPanels", "draw_zoom", "draw_remainders"]

LABEL_SIZE, TICK_SIZE, TITLE_SIZE, LEGEND_SIZE = 8, 7, 9.5, 6.5  # one type scale for both panels


def _style(ax, title: str, xlabel: str) -> None:
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE, labelpad=1)
    ax.set_title(title, fontsize=TITLE_SIZE, pad=3, y=1.0)  # a fixed place: not computed at every draw
    fix_empty_labels(ax)


def draw_zoom(ax, zoom: Zoom, k: int = 0, *, predicted: str, actual: str, title: str = "zoom"):
    """The zoom at ``zoom.eps[k]``: the curve (solid), its tangent line ``s * slope`` (dashed, another
    colour) and the gap between them at the step ``s = 1`` (its length is ``remainder / eps``),
    on the fixed limits ``zoom.ylim``. ``predicted``, ``actual``: the two lines' legend labels.

    Returns ``update(k)`` (moves the curve and the gap to ``eps[k]``, returns them);
    ``update.show(zoom)`` moves every line and the limits to another problem's zoom (same ``s``)."""
    s = zoom.s
    k1 = int(np.argmin(np.abs(s - 1)))
    ax.axhline(0, color=RULE, lw=0.8)
    (tangent,) = ax.plot(s, s * zoom.slope, color=VERMILLION, lw=1.5, ls="--", label=predicted)
    (curve,) = ax.plot(s, zoom.curve(k), color=BLUE, lw=2, label=actual)
    (gap,) = ax.plot([1, 1], [zoom.slope, zoom.curve(k)[k1]], color=INK, lw=2, marker="_", ms=8)
    ax.set_xlim(s[0], s[-1])
    ax.set_ylim(*zoom.ylim)
    ax.xaxis.set_major_locator(MultipleLocator(1.0))  # s = -2 ... 2; few tick labels: text is most of a redraw
    ax.yaxis.set_major_locator(MaxNLocator(5))
    _style(ax, title, r"$s = t/\varepsilon$")
    ax.legend(fontsize=LEGEND_SIZE, loc="best", framealpha=0.8)
    now = {"zoom": zoom}

    def update(k: int):
        z = now["zoom"]
        curve.set_ydata(z.curve(k))
        gap.set_ydata([z.slope, z.curve(k)[k1]])
        return [curve, gap]

    def show(zoom: Zoom) -> None:
        now["zoom"] = zoom
        tangent.set_ydata(s * zoom.slope)
        ax.set_ylim(*zoom.ylim)
        update(0)

    update.show = show
    return update


def _remainder_data(study: FirstOrderStudy, compact: bool):
    """Points, the slope-2 guide, the floor for zero remainders and the y-limits of the remainder panel."""
    grid, rem = study.eps, study.remainder
    ok = rem > 0
    floor = (rem[ok].min() / 10 if ok.any() else 1e-12) if compact else 1e-300
    if ok.any():  # the guide goes through the last nonzero remainder
        a = int(np.flatnonzero(ok)[-1])
        guide = max(rem[a], floor) * (grid / grid[a]) ** 2
    else:
        guide = floor * (grid / grid[-1]) ** 2 if compact else grid**2
    points = (grid, np.maximum(rem, floor)) if compact else (grid[ok], rem[ok])
    ylim = (floor / 2, rem[ok].max() * 10 if ok.any() else 1.0)
    return points, guide, floor, ylim


def draw_remainders(ax, study: FirstOrderStudy, eps: float, *, compact: bool = False):
    """Remainder ``|actual - predicted|`` against ``eps`` (log-log), a slope-2 guide, the current ``eps`` ringed.

    The axes fit the data, and remainders at exactly zero are left out; ``compact`` (for a
    crowded figure): fixed limits with zero remainders (a loss flat along ``dX``) drawn on
    the bottom edge, five ticks an axis. No minor ticks (they cost most of a redraw).

    Returns ``(ring, update)``; ``update(eps)`` moves the ring to the grid ``eps`` nearest to ``eps``;
    ``update.restudy(study)`` redraws the panel, in place, for another study on the same ``eps`` grid."""
    grid = study.eps
    points, guide, floor, ylim = _remainder_data(study, compact)
    now = {"rem": study.remainder, "floor": floor}
    (line,) = ax.loglog(*points, "o-", color=BLUE, ms=3, label="remainder")
    (guide_line,) = ax.loglog(grid, guide, ":", color=MUTED, label="slope 2")
    k = int(np.argmin(np.abs(grid - eps)))
    (ring,) = ax.loglog([grid[k]], [max(now["rem"][k], floor)], "o", ms=9, mfc="none", mec=VERMILLION, mew=2)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(numticks=5))
        axis.set_minor_locator(NullLocator())
    if compact:
        ax.set_xlim(grid[0] / 2, grid[-1] * 2)
        ax.set_ylim(*ylim)
    _style(ax, r"remainder $\sim \varepsilon^2$", r"$\varepsilon$")
    ax.legend(fontsize=LEGEND_SIZE, loc="upper left")

    def update(eps):
        k = int(np.argmin(np.abs(grid - eps)))
        ring.set_data([grid[k]], [max(now["rem"][k], now["floor"])])
        return [ring]

    def restudy(study):
        if not np.array_equal(study.eps, grid):
            raise ValueError("restudy needs a study on the same eps grid")
        points, guide, floor, ylim = _remainder_data(study, compact)
        now.update(rem=study.remainder, floor=floor)
        line.set_data(*points)
        guide_line.set_ydata(guide)
        ring.set_data([grid[k]], [max(now["rem"][k], floor)])  # where it was drawn first (for the limits)
        if compact:
            ax.set_ylim(*ylim)
        else:  # the limits the axes would choose for the new data (the ring is animated: left out)
            ax.relim(visible_only=True)
            ax.autoscale_view()

    update.restudy = restudy
    return ring, update


class FirstOrderPanels:
    """The zoom and the remainders of one problem, drawn once on ``ax_zoom`` and ``ax_rem``.

    ``show(study, zoom)`` moves both panels to another problem (same ``eps`` grid) in place;
    ``frame(k)`` moves the animated artists to ``eps[k]`` and returns them."""

    def __init__(
        self,
        ax_zoom,
        ax_rem,
        study: FirstOrderStudy,
        zoom: Zoom,
        *,
        predicted: str,
        actual: str,
        zoom_title: str,
        compact: bool = False,
    ):
        self.ax_zoom, self.ax_rem = ax_zoom, ax_rem
        self.study, self.zoom = study, zoom
        self._move_zoom = draw_zoom(ax_zoom, zoom, 0, predicted=predicted, actual=actual, title=zoom_title)
        _, self._move_ring = draw_remainders(ax_rem, study, float(study.eps[0]), compact=compact)

    @property
    def axes(self) -> tuple:
        return self.ax_zoom, self.ax_rem

    def show(self, study: FirstOrderStudy, zoom: Zoom, *, zoom_title: str | None = None) -> None:
        self.study, self.zoom = study, zoom
        self._move_zoom.show(zoom)
        self._move_ring.restudy(study)
        if zoom_title is not None:
            self.ax_zoom.set_title(zoom_title, fontsize=TITLE_SIZE, pad=3, y=1.0)

    def frame(self, k: int) -> list:
        return [*self._move_zoom(k), *self._move_ring(float(self.study.eps[k]))]
