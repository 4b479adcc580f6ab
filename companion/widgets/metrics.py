"""8.7 explorer: one loss, one differential, three metrics, three descent paths.

The loss is the ill-conditioned quadratic ``L(w) = 1/2 (w - w*)^T H (w - w*)`` with
eigenvalues ``1`` and ``1 / cond`` along axes rotated by ``rotation`` degrees. From the
same start, gradient descent ``w <- w - eta M^{-1} dL_w`` runs under ``M = I``
(Euclidean), ``M = diag(H)`` (Jacobi) and ``M = H`` (natural / Newton). The main slider is
the condition number: the Euclidean path bends into the valley and slows down as it grows,
the natural one does not notice it, the Jacobi one only if the valley is axis-aligned.

Layers: compute (``companion.metrics``: ``metric_descent`` and friends; here
``descent_study`` and ``readout``), draw (``draw_*`` on given ``Axes``), wire
(``make_metric_descent_explorer``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .. import _validate
from ..metrics import METRICS, DescentPath, Quadratic, ill_conditioned_quadratic, metric_descent, stability_bound
from . import palette
from ._base import Explorer, readout_html

__all__ = [
    "COND_GRID",
    "W0",
    "LEVELS",
    "COLORS",
    "DescentStudy",
    "descent_study",
    "level_ellipses",
    "draw_paths",
    "draw_losses",
    "readout",
    "readout_text",
    "make_metric_descent_explorer",
]

COND_GRID = tuple(float(c) for c in 10 ** (np.arange(13) / 4))  # 1 ... 1000, log-spaced
W0 = (-2.0, 2.0)
LEVELS = tuple(float(c) for c in np.geomspace(1e-3, 4.0, 8))
TOL = 1e-6
LIMITS = (-3.5, 3.5)
LOSS_FLOOR = 1e-14
COLORS = {"euclidean": palette.BLUE, "jacobi": palette.ORANGE, "natural": palette.GREEN}
MARKERS = {"euclidean": "o", "jacobi": "s", "natural": "^"}  # readable without colour
STYLES = {"euclidean": "-", "jacobi": "--", "natural": "-."}
WIDTHS = {"euclidean": 1.4, "jacobi": 2.8, "natural": 1.2}  # Jacobi drawn wide: it hides under Newton when H is diagonal
LABELS = {"euclidean": "Euclidean  M = I", "jacobi": "Jacobi  M = diag(H)", "natural": "Newton  M = H"}


@dataclass
class DescentStudy:
    """The quadratic for one condition number and its three descent paths (``paths[metric]``)."""

    quadratic: Quadratic
    cond: float
    paths: dict


def descent_study(cond: float, *, eta: float = 0.9, steps: int = 60, rotation: float = 30.0, w0=W0) -> DescentStudy:
    """Run ``companion.metrics.metric_descent`` from ``w0`` under every metric of ``METRICS``."""
    q = ill_conditioned_quadratic(cond, rotation)
    paths = {m: metric_descent(q, np.asarray(w0, dtype=float), metric=m, eta=eta, steps=steps) for m in METRICS}
    return DescentStudy(quadratic=q, cond=float(cond), paths=paths)


def level_ellipses(q: Quadratic, levels=LEVELS, num: int = 121) -> list:
    """The level sets ``{L(w) = c}`` of a 2-d quadratic: ellipses ``w* + V diag(sqrt(2c / lambda)) (cos t, sin t)``.

    Returns one ``(num, 2)`` array per level."""
    lam, V = np.linalg.eigh(q.H)
    t = np.linspace(0, 2 * np.pi, num)
    circle = np.stack([np.cos(t), np.sin(t)])
    return [(q.w_star[:, None] + V @ (np.sqrt(2 * c / lam)[:, None] * circle)).T for c in levels]


def draw_paths(ax, study: DescentStudy):
    """Level lines and the three paths on fixed limits. Returns ``(level_lines, path_lines)`` to update
    (``path_lines`` also holds the minimiser's marker, as ``"w*"``)."""
    levels = [ax.plot(e[:, 0], e[:, 1], color="0.75", lw=0.8)[0] for e in level_ellipses(study.quadratic)]
    lines = {}
    for m in METRICS:
        p = study.paths[m]
        (lines[m],) = ax.plot(p.w[:, 0], p.w[:, 1], marker=MARKERS[m], ls="-", color=COLORS[m], lw=WIDTHS[m], ms=WIDTHS[m] + 1, label=LABELS[m])
    (star,) = ax.plot(*study.quadratic.w_star, "k*", ms=9)
    lines["w*"] = star  # moved by the renderer when another study is drawn on these axes
    ax.plot(*W0, "ko", ms=4)
    ax.set_xlim(*LIMITS)
    ax.set_ylim(*LIMITS)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_title("descent paths over the level lines of L", fontsize=10)
    ax.legend(fontsize=7, loc="lower right", framealpha=0.9)
    return levels, lines


def draw_losses(ax, study: DescentStudy, *, ylim=(LOSS_FLOOR, 1e2)):
    """Loss against step on a log scale, one curve per metric, the tolerance ``1e-6`` dashed. Returns the lines
    (and the tolerance's label, as ``"1e-6"``)."""
    lines = {}
    steps = len(study.paths[METRICS[0]].loss) - 1
    for m in METRICS:
        (lines[m],) = ax.semilogy(np.arange(steps + 1), np.maximum(study.paths[m].loss, LOSS_FLOOR / 10), ls=STYLES[m], color=COLORS[m], lw=WIDTHS[m] + 0.3, label=m)
    ax.axhline(TOL, color="0.4", ls="--", lw=0.8)
    lines["1e-6"] = ax.text(0.01 * steps, TOL * 1.6, "1e-6", ha="left", va="bottom", fontsize=7, color="0.3")
    ax.set_xlim(0, steps)
    ax.set_ylim(*ylim)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=9))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"1e{np.log10(y):.0f}"))  # plain text: no mathtext, faster
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("step k")
    ax.set_title("loss L(wₖ)", fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    return lines


def readout(study: DescentStudy) -> tuple[dict, dict]:
    """``(numbers, notes)``: final losses, steps to reach ``1e-6`` (or a note "not reached ..."),
    and the Euclidean stability bound ``2 / lambda_max(H)`` on the learning rate."""
    numbers, notes = {}, {}
    for m in METRICS:
        p: DescentPath = study.paths[m]
        numbers[f"final loss ({m})"] = float(p.loss[-1]) if not p.diverged else float("inf")
    for m in METRICS:
        p = study.paths[m]
        k = p.steps_to(TOL)
        if k is None:
            growing = p.diverged or p.loss[-1] > p.loss[0]
            notes[f"steps to 1e-6 ({m})"] = "diverging" if growing else f"not reached in {len(p.loss) - 1}"
        else:
            numbers[f"steps to 1e-6 ({m})"] = k
    numbers["Euclidean eta bound 2/lambda_max"] = stability_bound(study.quadratic.H)
    return numbers, notes


def readout_text(study: DescentStudy) -> str:
    """The readout as HTML: numbers parseable by ``_base.parse_readout``, then the notes."""
    numbers, notes = readout(study)
    items = [f"<code>{html.escape(k)} = {html.escape(v)}</code>" for k, v in notes.items()]
    extra = ('<div style="line-height:1.9">' + " &nbsp; ".join(items) + "</div>") if items else ""
    return readout_html(numbers) + extra


def make_metric_descent_explorer(cond_index: int = 8, eta: float = 0.9, steps: int = 60, rotation: float = 30.0) -> Explorer:
    """The 8.7 explorer; returns an ipywidgets widget.

    Static: the condition number ``cond`` of ``H`` (13 values, 1 to 1000, log-spaced). Live:
    the learning rate ``eta`` (0.05 to 2.5, shared by the three metrics), the number of
    steps (5 to 500) and the rotation of the valley (degrees, -90 to 90).
    """
    _validate.check_integers(cond_index=cond_index, steps=steps)
    _validate.check_numbers(eta=eta, rotation=rotation)
    try:
        eta, steps, rotation = float(eta), int(steps), float(rotation)
    except (TypeError, ValueError):
        raise TypeError("eta and rotation must be numbers, steps an integer") from None
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"eta must be a positive learning rate, got {eta!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if not np.isfinite(rotation):
        raise ValueError(f"rotation must be a finite angle in degrees, got {rotation!r}")
    controls = {
        "eta": widgets.FloatSlider(value=float(np.clip(eta, 0.05, 2.5)), min=0.05, max=2.5, step=0.05, description="learning rate eta", style={"description_width": "initial"}),
        "steps": widgets.IntSlider(value=int(np.clip(steps, 5, 500)), min=5, max=500, step=5, description="steps"),
        "rotation": widgets.FloatSlider(value=float(np.clip(rotation, -90, 90)), min=-90, max=90, step=5, description="rotation (deg)", style={"description_width": "initial"}),
    }

    def render(fig, p):
        studies = {c: descent_study(c, eta=p["eta"], steps=p["steps"], rotation=p["rotation"]) for c in COND_GRID}
        first = studies[COND_GRID[0]]
        # the figure is kept from one setting of the controls to the next (render.reuses_figure): the
        # frames move the level lines and the paths anyway; the rest follows the number of steps
        panels = getattr(fig, "_metric_panels", None)
        if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
            fig.clear()
            gs = fig.add_gridspec(1, 2, width_ratios=[1.0, 1.25], left=0.06, right=0.98, bottom=0.13, top=0.91, wspace=0.16)
            axes = [fig.add_subplot(gs[0]), fig.add_subplot(gs[1])]
            levels, path_lines = draw_paths(axes[0], first)
            loss_lines = draw_losses(axes[1], first)
            label = fig.text(0.43, 0.94, "", fontsize=10, fontweight="bold")
            panels = fig._metric_panels = dict(axes=axes, levels=levels, paths=path_lines, losses=loss_lines, label=label)
        levels, path_lines, loss_lines, label = panels["levels"], panels["paths"], panels["losses"], panels["label"]
        steps = len(first.paths[METRICS[0]].loss) - 1
        path_lines["w*"].set_data(*[[v] for v in first.quadratic.w_star])
        for m in METRICS:
            loss_lines[m].set_data(np.arange(steps + 1), np.maximum(first.paths[m].loss, LOSS_FLOOR / 10))
        loss_lines["1e-6"].set_x(0.01 * steps)
        panels["axes"][1].set_xlim(0, steps)

        def frame(cond):
            s = studies[cond]
            for line, e in zip(levels, level_ellipses(s.quadratic)):
                line.set_data(e[:, 0], e[:, 1])
            for m in METRICS:
                path = s.paths[m]
                path_lines[m].set_data(path.w[:, 0], path.w[:, 1])
                loss_lines[m].set_ydata(np.maximum(path.loss, LOSS_FLOOR / 10))
            label.set_text(f"cond = {cond:.4g}")
            return [*levels, *(path_lines[m] for m in METRICS), *(loss_lines[m] for m in METRICS), label], readout_text(s)

        return frame

    render.reuses_figure = True

    return Explorer(
        title="<b>Gradient descent under three metrics (8.7)</b>: L(w) = &frac12;(w &minus; w*)<sup>T</sup>H(w &minus; w*), "
        "step = &minus;eta M<sup>&minus;1</sup> dL",
        main=("cond(H)", COND_GRID, cond_index),
        controls=controls,
        render=render,
        figsize=(9.5, 3.9),
    )
