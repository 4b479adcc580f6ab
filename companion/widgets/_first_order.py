"""The "perturb and compare" panels shared by the explorers of 8.3, 8.5 and 8.6.

A step ``eps`` along a unit direction ``dX`` changes a loss by ``eps <G, dX>_F`` to first
order (:mod:`companion.perturb` computes the comparison, a ``FirstOrderStudy``). Two panels
show it:

- the *zoom*: the loss along ``dX`` magnified ``1/eps`` times about the point,
  ``y(s) = (L(X + s eps dX) - L(X)) / eps`` for ``s`` in ``[-2, 2]``, against its tangent
  line ``s <G, dX>_F``, which is the same at every scale; the curve leaves it by ``O(eps)``;
- the *remainders* ``|actual - predicted|`` against ``eps`` on log-log axes, beside a
  slope-2 guide, the current ``eps`` ringed.

Here is what the three explorers share: the numbers (:func:`first_order_readout`,
:func:`zoom_curve`, :func:`zoom_ylim`) and the geometry of the two panels; each explorer
adds its own titles, labels and type sizes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import LogLocator, NullLocator

from ..perturb import FirstOrderStudy, first_order_study

__all__ = ["S_GRID", "first_order_readout", "zoom_curve", "zoom_ylim", "draw_zoom", "draw_remainders"]

S_GRID = np.linspace(-2.0, 2.0, 41)  # the zoom's abscissa s = t / eps; s = 1 is the step eps itself
from .palette import BLUE, VERMILLION as ORANGE  # prediction (vermillion: "ORANGE" here), truth


def first_order_readout(study: FirstOrderStudy, k: int = 0) -> dict:
    """The numbers of the step ``study.eps[k]``: actual and predicted change, remainder, remainder / eps^2."""
    return {
        "actual change": float(study.actual[k]),
        "predicted change": float(study.predicted[k]),
        "remainder": float(study.remainder[k]),
        "remainder / eps^2": float(study.ratio[k]),
    }


def zoom_curve(f, x, g, dx, eps: float, s=S_GRID) -> np.ndarray:
    """``(f(x + s eps dx) - f(x)) / eps`` for each ``s``: ``f`` along ``dx`` magnified ``1/eps`` times.

    Its tangent line is ``s <g, dx>_F`` at every scale (when ``g`` is the gradient)."""
    return first_order_study(f, x, g, dx, eps * np.asarray(s)).actual / eps


def zoom_ylim(curves, slope: float, s=S_GRID, *, margin: float = 0.06, tiny: float = 1e-12) -> tuple[float, float]:
    """Fixed limits that hold every curve of ``curves`` and the tangent line ``s * slope``, with a
    ``margin`` (a fraction of the range, plus ``tiny``) on both sides: the zoom is drawn once and
    only its curve moves from one ``eps`` to the next."""
    ys = np.concatenate([*curves, slope * np.asarray(s)[[0, -1]]])
    pad = margin * (ys.max() - ys.min()) + tiny
    return ys.min() - pad, ys.max() + pad


def draw_zoom(ax, s, y, slope: float, *, predicted: str, actual: str, ylim=None):
    """The zoom: the curve ``y(s)`` (solid), its tangent line ``s * slope`` (dashed) and the gap between
    them at the step ``s = 1`` (its length is ``remainder / eps``). ``predicted``, ``actual``: the two
    lines' legend labels.

    Returns ``([curve, gap], update)``; ``update(y)`` moves both to another ``eps`` and returns them;
    ``update(y, slope)`` also moves the tangent line to a new ``slope`` (another problem, same axes)."""
    s = np.asarray(s)
    ax.axhline(0, color="0.85", lw=0.8)
    (tangent,) = ax.plot(s, s * slope, color=ORANGE, lw=1.5, ls="--", label=predicted)
    (curve,) = ax.plot(s, y, color=BLUE, lw=2, label=actual)
    k1 = int(np.argmin(np.abs(s - 1)))
    (gap,) = ax.plot([1, 1], [slope, y[k1]], color="k", lw=2, marker="_", ms=8)
    ax.set_xlim(s[0], s[-1])
    if ylim is not None:
        ax.set_ylim(*ylim)

    now = {"slope": slope}

    def update(y, slope=None):
        if slope is not None:
            now["slope"] = slope
            tangent.set_ydata(s * slope)
        curve.set_ydata(y)
        gap.set_ydata([now["slope"], y[k1]])
        return [curve, gap]

    return [curve, gap], update


def draw_remainders(ax, study: FirstOrderStudy, eps: float, *, compact: bool = False):
    """Remainder ``|actual - predicted|`` against ``eps`` (log-log), a slope-2 guide, the current ``eps`` ringed.

    The axes fit the data, and remainders at exactly zero are left out; ``compact`` (for a
    crowded figure): fixed limits with zero remainders (a loss flat along ``dX``) drawn on
    the bottom edge, five ticks an axis, small type.

    Returns ``(ring, update)``; ``update(eps)`` moves the ring to the grid ``eps`` nearest to ``eps``;
    ``update.restudy(study)`` redraws the panel, in place, for another study on the same ``eps`` grid."""
    grid = study.eps
    now = {}

    def data(study):
        rem = study.remainder
        ok = rem > 0
        floor = (rem[ok].min() / 10 if ok.any() else 1e-12) if compact else 1e-300
        if ok.any():  # the guide goes through the last nonzero remainder
            a = int(np.flatnonzero(ok)[-1])
            guide = max(rem[a], floor) * (grid / grid[a]) ** 2
        else:
            guide = floor * (grid / grid[-1]) ** 2 if compact else grid**2
        now.update(rem=rem, floor=floor)
        points = (grid, np.maximum(rem, floor)) if compact else (grid[ok], rem[ok])
        ylim = (floor / 2, rem[ok].max() * 10 if ok.any() else 1.0)
        return points, guide, ylim

    points, guide, ylim = data(study)
    (line,) = ax.loglog(*points, "o-", color=BLUE, ms=3, label="remainder")
    (guide_line,) = ax.loglog(grid, guide, ":", color="0.4", label="slope 2")
    k = int(np.argmin(np.abs(grid - eps)))
    (ring,) = ax.loglog([grid[k]], [max(now["rem"][k], now["floor"])], "o", ms=9, mfc="none", mec=ORANGE, mew=2)
    if compact:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(LogLocator(numticks=5))
            axis.set_minor_locator(NullLocator())
        ax.set_xlim(grid[0] / 2, grid[-1] * 2)
        ax.set_ylim(*ylim)
        ax.set_xlabel(r"$\varepsilon$", fontsize=8)
        ax.tick_params(labelsize=7)
    else:
        ax.set_xlabel(r"$\varepsilon$")
    ax.set_title(r"remainder $\sim \varepsilon^2$", fontsize=10)
    ax.legend(fontsize=6.5 if compact else 7, loc="upper left")

    def update(eps):
        k = int(np.argmin(np.abs(grid - eps)))
        ring.set_data([grid[k]], [max(now["rem"][k], now["floor"])])
        return [ring]

    def restudy(study):
        if not np.array_equal(study.eps, grid):
            raise ValueError("restudy needs a study on the same eps grid")
        points, guide, ylim = data(study)
        line.set_data(*points)
        guide_line.set_ydata(guide)
        ring.set_data([grid[k]], [max(now["rem"][k], now["floor"])])  # where it was drawn first (for the limits)
        if compact:
            ax.set_ylim(*ylim)
        else:  # the limits the axes would choose for the new data (the ring is animated: left out)
            ax.relim(visible_only=True)
            ax.autoscale_view()

    update.restudy = restudy
    return ring, update
