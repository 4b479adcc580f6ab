"""Perturb a parameter and compare the true change with the first-order prediction.

The "perturb W" studies of 8.3, 8.5 and 8.6: pick a direction ``dW``, step ``eps`` along
it, and watch ``ℒ(W + eps dW) - ℒ(W)`` against its linearization ``eps <G, dW>_F``.
The gap (the remainder) shrinks like ``eps**2`` exactly when ``G`` is the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import (
    MAX_SIZE,
    as_bool,
    as_choice,
    as_float_array,
    as_int,
    as_limit,
    as_number,
    as_rng,
    as_shape,
    check_callable,
    check_limit,
    describe,
    shape_str,
)

__all__ = ["DIRECTIONS", "S_GRID", "direction", "FirstOrderStudy", "first_order_study", "Zoom", "zoom_study"]

DIRECTIONS = ("random", "gradient", "entry", "rank-one")
S_GRID = np.linspace(-2.0, 2.0, 41)  # the zoom's abscissa s = t / eps; s = 1 is the step eps itself
ZOOM_MARGIN, ZOOM_TINY = 0.06, 1e-9  # the zoom's vertical padding: 6 % of the range, plus a floor for flat curves


def direction(
    kind: str,
    shape,
    *,
    rng: np.random.Generator | None = None,
    grad=None,
    index=(0, 0),
    normalize: bool = True,
    max_size: int = MAX_SIZE,
) -> np.ndarray:
    """A perturbation direction ``dW`` of the given ``shape``, of unit Frobenius norm.

    kind : ``"random"`` (Gaussian, needs ``rng``), ``"gradient"`` (along ``grad``: the
        steepest-ascent direction), ``"entry"`` (the basis matrix ``E_ij`` at ``index``),
        or ``"rank-one"`` (``u v^T`` with Gaussian ``u, v`` from ``rng``; matrices only).

    A ``shape`` of more than ``max_size`` entries is refused (``ValueError``).
    """
    as_choice(kind, "kind", DIRECTIONS)
    shape = as_shape(shape, "shape", limit=as_limit(max_size))
    normalize = as_bool(normalize, "normalize")
    if kind in ("random", "rank-one"):
        if rng is None:
            raise TypeError(f"direction {kind!r} needs rng, a numpy Generator, e.g. np.random.default_rng(0)")
        rng = as_rng(rng)
    if kind == "random":
        d = rng.standard_normal(shape)
    elif kind == "gradient":
        d = as_float_array(grad, "grad").copy()
        if d.shape != shape:
            raise ValueError(f"grad has shape {shape_str(d.shape)}, expected {shape_str(shape)}")
        if not np.any(d):
            raise ValueError("grad is zero here: it gives no direction")
    elif kind == "entry":
        if isinstance(index, (str, bytes)) or index is None:
            raise TypeError(
                f"index must be a tuple of integers, one per axis of shape {shape_str(shape)}, got {describe(index)}"
            )
        index = tuple(as_int(i, "index") for i in (index if isinstance(index, (tuple, list, np.ndarray)) else (index,)))
        if len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape, strict=True)):
            raise ValueError(f"index {index} is outside an array of shape {shape_str(shape)}")
        d = np.zeros(shape)
        d[index] = 1.0
    else:
        if len(shape) != 2:
            raise ValueError(f"a rank-one direction u v^T needs a matrix shape, got {shape_str(shape)}")
        d = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
    return d / np.linalg.norm(d) if normalize else d


@dataclass
class FirstOrderStudy:
    """``actual = f(x + eps dx) - f(x)``, ``predicted = eps <g, dx>_F``, ``remainder = |actual - predicted|``."""

    eps: np.ndarray
    f0: float
    slope: float  # <g, dx>_F, the claimed directional derivative
    actual: np.ndarray
    predicted: np.ndarray
    remainder: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        """``remainder / eps**2``: roughly constant (half the curvature along ``dx``) for the true gradient."""
        return self.remainder / self.eps**2

    def index(self, eps: float) -> int | None:
        """The position of ``eps`` in the study's grid, or ``None`` if it is not one of its values."""
        hits = np.flatnonzero(self.eps == eps)
        return int(hits[0]) if hits.size else None

    def numbers(self, k: int = 0) -> dict:
        """The numbers of the step ``eps[k]``: actual and predicted change, remainder, remainder / eps^2."""
        return {
            "actual change": float(self.actual[k]),
            "predicted change": float(self.predicted[k]),
            "remainder": float(self.remainder[k]),
            "remainder / eps^2": float(self.ratio[k]),
        }


def first_order_study(f, x, g, dx, eps, *, max_size: int = MAX_SIZE) -> FirstOrderStudy:
    """Compare ``f(x + eps dx) - f(x)`` with ``eps <g, dx>_F`` for each ``eps`` (scalar ``f``).

    ``f`` is evaluated once per ``eps``: ``len(eps) * x.size`` above ``max_size`` is refused (``ValueError``).
    """
    check_callable(f, "f")
    x = as_float_array(x, "x")
    g = as_float_array(g, "g")
    dx = as_float_array(dx, "dx")
    if g.shape != x.shape or dx.shape != x.shape:
        raise ValueError(
            f"g and dx must have the shape of x {shape_str(x.shape)}, "
            f"got {shape_str(g.shape)} and {shape_str(dx.shape)}"
        )
    eps = np.atleast_1d(as_float_array(eps, "eps", ndim=(0, 1), allow_empty=False)).astype(float)
    check_limit(
        eps.size * max(x.size, 1),
        as_limit(max_size),
        name=f"eps with {eps.size} values (x with {x.size} entries)",
        what="entries read (len(eps) evaluations of f at points of x.size entries)",
    )
    f0 = float(f(x))
    slope = float(np.vdot(g, dx))
    actual = np.array([float(f(x + e * dx)) - f0 for e in eps])
    predicted = eps * slope
    return FirstOrderStudy(
        eps=eps, f0=f0, slope=slope, actual=actual, predicted=predicted, remainder=np.abs(actual - predicted)
    )


@dataclass(frozen=True)
class Zoom:
    """``f`` along ``dx`` seen at each scale ``eps`` of a study, magnified ``1/eps`` times:
    ``curves[k] = (f(x + s eps_k dx) - f(x)) / eps_k`` for ``s`` in ``s``.

    Each curve's tangent line at ``s = 0`` is ``s <g, dx>_F`` (``slope``) at every scale when
    ``g`` is the gradient; the curve leaves it by ``O(eps)``. ``ylim`` holds every curve and the
    tangent line (the panel is drawn once, only its curve moves from one ``eps`` to the next)."""

    eps: np.ndarray
    s: np.ndarray
    curves: np.ndarray  # (len(eps), len(s))
    slope: float
    ylim: tuple[float, float]

    def curve(self, k: int) -> np.ndarray:
        return self.curves[k]

    def at(self, eps: float, f, x, g, dx, *, s=S_GRID, f0: float | None = None):
        """``(s, curve)`` at scale ``eps``: read from this zoom when ``eps`` is one of its scales and
        ``s`` its grid, else computed (one :func:`zoom_study` of ``f`` at ``x`` along ``dx``)."""
        hits = np.flatnonzero(self.eps == eps)
        if hits.size and s is S_GRID and np.array_equal(self.s, S_GRID):
            return self.s, self.curves[int(hits[0])]
        z = zoom_study(f, x, g, dx, [eps], s=s, f0=f0)
        return z.s, z.curve(0)


def zoom_limits(curves, slope: float, s=S_GRID) -> tuple[float, float]:
    """The one padding policy of the zoom: the range of ``curves`` and of the line ``s * slope``,
    widened by ``ZOOM_MARGIN`` of that range plus ``ZOOM_TINY`` on both sides."""
    ys = np.concatenate([np.ravel(curves), slope * np.asarray(s, float)[[0, -1]]])
    pad = ZOOM_MARGIN * (ys.max() - ys.min()) + ZOOM_TINY
    return float(ys.min() - pad), float(ys.max() + pad)


def zoom_study(
    f, x, g, dx, eps, *, s=S_GRID, f0: float | None = None, batched: bool = False, max_size: int = MAX_SIZE
) -> Zoom:
    """The :class:`Zoom` of ``f`` at ``x`` along ``dx`` for each ``eps`` (``g``: the claimed gradient,
    which gives the tangent line). ``f0 = f(x)`` if known. ``f`` is evaluated ``len(eps) * len(s)``
    times: with ``x.size`` entries each, above ``max_size`` is refused (``ValueError``).

    ``batched``: ``f`` takes a stack of points (shape ``(B, *x.shape)``) and returns their ``B``
    values, and is called once (``f0`` is then computed that way too, unless given)."""
    check_callable(f, "f")
    batched = as_bool(batched, "batched")
    f0 = None if f0 is None else as_number(f0, "f0")
    x, g, dx = as_float_array(x, "x"), as_float_array(g, "g"), as_float_array(dx, "dx")
    if g.shape != x.shape or dx.shape != x.shape:
        raise ValueError(
            f"g and dx must have the shape of x {shape_str(x.shape)}, "
            f"got {shape_str(g.shape)} and {shape_str(dx.shape)}"
        )
    eps = np.atleast_1d(as_float_array(eps, "eps", ndim=(0, 1), allow_empty=False)).astype(float)
    s = np.atleast_1d(as_float_array(s, "s", ndim=(0, 1), allow_empty=False)).astype(float)
    check_limit(
        eps.size * s.size * max(x.size, 1),
        as_limit(max_size),
        name=f"eps and s with {eps.size} x {s.size} values",
        what="entries read (len(eps) * len(s) evaluations of f at points of x.size entries)",
    )
    steps = eps[:, None] * s[None, :]
    if batched:
        f0 = float(np.asarray(f(x[None]))[0]) if f0 is None else f0
        points = x[None] + steps.reshape((-1,) + (1,) * x.ndim) * dx[None]
        values = np.asarray(f(points), dtype=float)
        if values.shape != (steps.size,):
            raise ValueError(
                f"a batched f must return one value per point: {steps.size} values, got shape {shape_str(values.shape)}"
            )
        curves = (values.reshape(steps.shape) - f0) / eps[:, None]
    else:
        f0 = float(f(x)) if f0 is None else f0
        curves = np.array([[float(f(x + t * dx)) - f0 for t in row] for row in steps]) / eps[:, None]
    slope = float(np.vdot(g, dx))
    return Zoom(eps=eps, s=s, curves=curves, slope=slope, ylim=zoom_limits(curves, slope, s))
