"""8.7 explorer: one loss, one differential, four metrics, four descent paths.

The loss is the ill-conditioned quadratic ``ℒ(w) = 1/2 (w - w*)^T H (w - w*)`` with
eigenvalues ``1`` and ``1 / cond`` along axes rotated by ``rotation`` degrees. From the
same start, gradient descent ``w <- w - eta M^{-1} dℒ_w`` runs under ``M = I``
(Euclidean), ``M = diag(H)`` (Jacobi), ``M = H`` (Newton) and a learned diagonal metric
``M_k = diag(sqrt(v_k)) + eps I`` (an adaptive method: Adam, RMSProp or AdaGrad, the
static choice, with its own learning rate). The main slider is the condition number: the
Euclidean path bends into the valley and slows down as it grows, Newton's does not notice
it, the Jacobi and adaptive ones only if the valley is axis-aligned.

In this module the dictionaries are keyed by ``companion.metrics``' names (``"newton"`` is
``M = H``, the Hessian of this quadratic); what a reader sees uses ``NAMES`` (``"Newton"``).

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
from ..metrics import (
    ADAPTIVE,
    METRICS,
    DescentPath,
    Quadratic,
    adaptive_descent,
    ill_conditioned_quadratic,
    metric_descent,
    stability_bound,
)
from . import palette
from ._base import LOSS, Explorer, readout_html
from ._layers import fix_empty_labels

__all__ = [
    "COND_GRID",
    "W0",
    "LEVELS",
    "COLORS",
    "NAMES",
    "LABELS",
    "PATHS",
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
ADAPTIVE_ETA = 0.1
PATHS = (*METRICS, "adaptive")
"""The four paths: the three metrics of ``companion.metrics.METRICS``, then the chosen adaptive method."""
NAMES = {
    "euclidean": "Euclidean",
    "jacobi": "Jacobi",
    "newton": "Newton",
    "adam": "Adam",
    "rmsprop": "RMSProp",
    "adagrad": "AdaGrad",
}
COLORS = {"euclidean": palette.BLUE, "jacobi": palette.ORANGE, "newton": palette.GREEN, "adaptive": palette.VERMILLION}
# readable without colour: each path has its own marker and line style; the wide ones are drawn first
MARKERS = {"euclidean": "o", "jacobi": "s", "newton": "^", "adaptive": "x"}
FILLS = {"euclidean": "none", "jacobi": "full", "newton": "full", "adaptive": "none"}
STYLES = {"euclidean": "-", "jacobi": "--", "newton": "-.", "adaptive": ":"}
WIDTHS = {"euclidean": 2.6, "jacobi": 1.3, "newton": 1.2, "adaptive": 1.0}
SIZES = {"euclidean": 6.5, "jacobi": 3.5, "newton": 4.0, "adaptive": 3.5}
ZORDER = {"euclidean": 2.0, "jacobi": 2.4, "newton": 2.6, "adaptive": 2.2}
LABELS = {
    "euclidean": "Euclidean  M = I",
    "jacobi": "Jacobi  M = diag(H)",
    "newton": "Newton  M = H",
    **{a: f"{NAMES[a]}  M = diag(√v) + ε" for a in ADAPTIVE},
}
"""Legend entries, keyed by ``companion.metrics``' names."""


@dataclass
class DescentStudy:
    """The quadratic for one condition number and its four descent paths (``paths[p]`` for ``p`` in ``PATHS``;
    ``paths["adaptive"]`` is the run of the method ``adaptive``)."""

    quadratic: Quadratic
    cond: float
    paths: dict
    adaptive: str = "adam"


def path_name(study: DescentStudy, p: str) -> str:
    """The reader's name of the path ``p``: ``"Newton"`` for ``"newton"``, the method's name for ``"adaptive"``."""
    return NAMES[study.adaptive if p == "adaptive" else p]


def descent_study(
    cond: float,
    *,
    eta: float = 0.9,
    steps: int = 60,
    rotation: float = 30.0,
    w0=W0,
    adaptive: str = "adam",
    adaptive_eta: float = ADAPTIVE_ETA,
) -> DescentStudy:
    """Run ``companion.metrics.metric_descent`` from ``w0`` under every metric of ``METRICS`` (learning rate ``eta``),
    and ``adaptive_descent`` with the method ``adaptive`` (learning rate ``adaptive_eta``, default betas)."""
    q = ill_conditioned_quadratic(cond, rotation)
    w0 = np.asarray(w0, dtype=float)
    paths = {m: metric_descent(q, w0, metric=m, eta=eta, steps=steps) for m in METRICS}
    paths["adaptive"] = adaptive_descent(q, w0, method=adaptive, eta=adaptive_eta, steps=steps)
    return DescentStudy(quadratic=q, cond=float(cond), paths=paths, adaptive=adaptive)


def level_ellipses(q: Quadratic, levels=LEVELS, num: int = 121) -> list:
    """The level sets ``{ℒ(w) = c}`` of a 2-d quadratic: ellipses ``w* + V diag(sqrt(2c / lambda)) (cos t, sin t)``.

    Returns one ``(num, 2)`` array per level."""
    lam, V = np.linalg.eigh(q.H)
    t = np.linspace(0, 2 * np.pi, num)
    circle = np.stack([np.cos(t), np.sin(t)])
    return [(q.w_star[:, None] + V @ (np.sqrt(2 * c / lam)[:, None] * circle)).T for c in levels]


def draw_paths(ax, study: DescentStudy):
    """Level lines and the four paths on fixed limits. Returns ``(level_lines, path_lines)`` to update
    (``path_lines`` also holds the minimiser's marker, as ``"w*"``)."""
    levels = [ax.plot(e[:, 0], e[:, 1], color=palette.RULE, lw=0.8)[0] for e in level_ellipses(study.quadratic)]
    lines = {}
    for m in PATHS:
        p = study.paths[m]
        label = LABELS[study.adaptive if m == "adaptive" else m]
        (lines[m],) = ax.plot(
            p.w[:, 0],
            p.w[:, 1],
            marker=MARKERS[m],
            fillstyle=FILLS[m],
            ls=STYLES[m],
            color=COLORS[m],
            lw=WIDTHS[m],
            ms=SIZES[m],
            zorder=ZORDER[m],
            label=label,
        )
    (star,) = ax.plot(*study.quadratic.w_star, "k*", ms=9)
    lines["w*"] = star  # moved by the renderer when another study is drawn on these axes
    ax.plot(*W0, "ko", ms=4)
    ax.set_xlim(*LIMITS)
    ax.set_ylim(*LIMITS)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("w₁")
    ax.set_ylabel("w₂")
    ax.set_title(r"descent paths over the level lines of $\mathcal{L}$", fontsize=10, y=1.0)  # y: not placed per draw
    ax.legend(fontsize=7, loc="lower right", framealpha=0.9)
    return levels, lines


def draw_losses(ax, study: DescentStudy, *, ylim=(LOSS_FLOOR, 1e2)):
    """Loss against step on a log scale, one curve per metric, the tolerance ``1e-6`` dashed. Returns the lines
    (and the tolerance's label, as ``"1e-6"``)."""
    lines = {}
    steps = len(study.paths[METRICS[0]].loss) - 1
    for m in PATHS:
        (lines[m],) = ax.semilogy(
            np.arange(steps + 1),
            np.maximum(study.paths[m].loss, LOSS_FLOOR / 10),
            ls=STYLES[m],
            color=COLORS[m],
            lw=min(WIDTHS[m], 1.6) + 0.3,
            zorder=ZORDER[m],
            label=path_name(study, m),
        )
    ax.axhline(TOL, color=palette.FRAME, ls="--", lw=0.8)
    lines["1e-6"] = ax.text(0.01 * steps, TOL * 1.6, "1e-6", ha="left", va="bottom", fontsize=7, color=palette.MUTED)
    ax.set_xlim(0, steps)
    ax.set_ylim(*ylim)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=9))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"1e{np.log10(y):.0f}"))  # plain text: no mathtext, faster
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("step k")
    ax.set_title(r"loss $\mathcal{L}(w_k)$", fontsize=10, y=1.0)
    fix_empty_labels(ax)
    ax.legend(fontsize=7, loc="upper right")
    return lines


def readout(study: DescentStudy) -> tuple[dict, dict]:
    """``(numbers, notes)``: final losses, steps to reach ``1e-6`` (or a note "not reached ..."),
    and the Euclidean stability bound ``2 / lambda_max(H)`` on the learning rate; each path named as the
    reader knows it (``"final loss (Newton)"``)."""
    numbers, notes = {}, {}
    for m in PATHS:
        p: DescentPath = study.paths[m]
        numbers[f"final loss ({path_name(study, m)})"] = float(p.loss[-1]) if not p.diverged else float("inf")
    for m in PATHS:
        p = study.paths[m]
        k = p.steps_to(TOL)
        if k is None:
            growing = p.diverged or p.loss[-1] > p.loss[0]
            notes[f"steps to 1e-6 ({path_name(study, m)})"] = (
                "diverging" if growing else f"not reached in {len(p.loss) - 1}"
            )
        else:
            numbers[f"steps to 1e-6 ({path_name(study, m)})"] = k
    numbers["Euclidean eta bound 2/lambda_max"] = stability_bound(study.quadratic.H)
    return numbers, notes


def readout_text(study: DescentStudy) -> str:
    """The readout as HTML: numbers parseable by ``_base.parse_readout``, then the notes."""
    numbers, notes = readout(study)
    items = [f"<code>{html.escape(k)} = {html.escape(v)}</code>" for k, v in notes.items()]
    extra = ('<div style="line-height:1.9">' + " &nbsp; ".join(items) + "</div>") if items else ""
    return readout_html(numbers) + extra


def _checked_defaults(cond_index, eta, steps, rotation, adaptive, adaptive_eta):
    """The factory's defaults, checked: ``(eta, steps, rotation, adaptive_eta)`` as numbers, or a clear error."""
    _validate.check_integers(cond_index=cond_index, steps=steps)
    _validate.check_numbers(eta=eta, rotation=rotation, adaptive_eta=adaptive_eta)
    _validate.as_choice(adaptive, "adaptive", ADAPTIVE)
    eta, steps, rotation, adaptive_eta = float(eta), int(steps), float(rotation), float(adaptive_eta)
    if not eta > 0:
        raise ValueError(f"eta must be a positive learning rate, got {eta!r}")
    if not adaptive_eta > 0:
        raise ValueError(f"adaptive_eta must be a positive learning rate, got {adaptive_eta!r}")
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return eta, steps, rotation, adaptive_eta


def _controls(eta, steps, rotation, adaptive, adaptive_eta) -> dict:
    wide = {"description_width": "initial"}
    return {
        "adaptive": widgets.Dropdown(
            options=[(NAMES[a], a) for a in ADAPTIVE], value=adaptive, description="adaptive method"
        ),
        "eta": widgets.FloatSlider(
            value=float(np.clip(eta, 0.05, 2.5)),
            min=0.05,
            max=2.5,
            step=0.05,
            description="learning rate eta",
            style=wide,
        ),
        "adaptive_eta": widgets.FloatSlider(
            value=float(np.clip(adaptive_eta, 0.01, 1.0)),
            min=0.01,
            max=1.0,
            step=0.01,
            description="adaptive method's eta",
            style=wide,
        ),
        "steps": widgets.IntSlider(value=int(np.clip(steps, 5, 500)), min=5, max=500, step=5, description="steps"),
        "rotation": widgets.FloatSlider(
            value=float(np.clip(rotation, -90, 90)), min=-90, max=90, step=5, description="rotation (deg)", style=wide
        ),
    }


def _panels(fig, study: DescentStudy) -> dict:
    """The figure's two panels, drawn once per option's figure (then updated in place)."""
    panels = getattr(fig, "_metric_panels", None)
    if panels is None or not all(ax in fig.axes for ax in panels["axes"]):
        fig.clear()
        gs = fig.add_gridspec(1, 2, width_ratios=[1.0, 1.25], left=0.06, right=0.98, bottom=0.13, top=0.91, wspace=0.16)
        axes = [fig.add_subplot(gs[0]), fig.add_subplot(gs[1])]
        levels, path_lines = draw_paths(axes[0], study)
        loss_lines = draw_losses(axes[1], study)
        label = fig.text(0.43, 0.94, "", fontsize=10, fontweight="bold")
        panels = fig._metric_panels = dict(axes=axes, levels=levels, paths=path_lines, losses=loss_lines, label=label)
    return panels


def _render(fig, p):
    """The explorer's render function: set up (or reuse) the panels for the controls ``p``, return ``frame(cond)``."""

    def study(cond):  # computed when its frame is drawn: a control change draws the frame shown only
        kw = {k: p[k] for k in ("eta", "steps", "rotation", "adaptive", "adaptive_eta")}
        return descent_study(cond, **kw)

    # the figure is kept from one setting of the controls to the next (reuses_figure): the
    # frames move the level lines and the paths anyway; the rest follows the number of steps
    panels = getattr(fig, "_metric_panels", None)
    panels = _panels(fig, study(COND_GRID[0])) if panels is None else panels
    levels, path_lines, loss_lines, label = panels["levels"], panels["paths"], panels["losses"], panels["label"]
    k = np.arange(p["steps"] + 1)
    path_lines["w*"].set_data([0.0], [0.0])  # w* of ill_conditioned_quadratic
    for m in PATHS:
        loss_lines[m].set_data(k, np.full(k.size, np.nan))
    loss_lines["1e-6"].set_x(0.01 * p["steps"])
    panels["axes"][1].set_xlim(0, p["steps"])

    def frame(cond):
        s = study(cond)
        for line, e in zip(levels, level_ellipses(s.quadratic), strict=True):
            line.set_data(e[:, 0], e[:, 1])
        for m in PATHS:
            path = s.paths[m]
            path_lines[m].set_data(path.w[:, 0], path.w[:, 1])
            loss_lines[m].set_ydata(np.maximum(path.loss, LOSS_FLOOR / 10))
        label.set_text(f"cond = {cond:.4g}")
        return [*levels, *(path_lines[m] for m in PATHS), *(loss_lines[m] for m in PATHS), label], readout_text(s)

    return frame


_render.reuses_figure = True

TITLE = (
    "<b>Gradient descent under four metrics (8.7)</b>: "
    f"{LOSS}(w) = &frac12;(w &minus; w*)<sup>T</sup>H(w &minus; w*), step = &minus;eta M<sup>&minus;1</sup> d{LOSS}"
)


def make_metric_descent_explorer(
    cond_index: int = 8,
    eta: float = 0.9,
    steps: int = 60,
    rotation: float = 30.0,
    adaptive: str = "adam",
    adaptive_eta: float = ADAPTIVE_ETA,
) -> Explorer:
    """The 8.7 explorer; returns an ipywidgets widget.

    Static: the condition number ``cond`` of ``H`` (13 values, 1 to 1000, log-spaced) and the adaptive method
    (Adam, RMSProp, AdaGrad). Live: the learning rate ``eta`` (0.05 to 2.5, shared by the three fixed metrics), the
    adaptive method's own learning rate ``adaptive_eta`` (0.01 to 1), the number of steps (5 to 500) and the
    rotation of the valley (degrees, -90 to 90).
    """
    eta, steps, rotation, adaptive_eta = _checked_defaults(cond_index, eta, steps, rotation, adaptive, adaptive_eta)
    return Explorer(
        title=TITLE,
        main=("cond(H)", COND_GRID, cond_index),
        controls=_controls(eta, steps, rotation, adaptive, adaptive_eta),
        render=_render,
        choice="adaptive",
        figsize=(9.5, 3.9),
    )
