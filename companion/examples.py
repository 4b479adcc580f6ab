"""Worked examples with exact derivatives, for sections 8.1 and 8.2.

Small maps of the plane whose differentials (and second derivatives) are known in
closed form, and a smooth loss on the plane with its exact gradient, so that the
numerical tools of :mod:`companion.differentials` and the explorers can be compared with
the exact answer. Points are arrays of shape ``(2,)``, or batches of points as the
COLUMNS of a ``(2, N)`` array.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._numerics import softmax
from ._validate import as_float_array, check_callable, describe, shape_str

__all__ = ["NonlinearMap", "NONLINEAR_MAPS", "nonlinear_map", "plane_loss", "plane_loss_grad", "PLANE_LOSS_A"]


def _plane_points(p, name="p") -> np.ndarray:
    p = as_float_array(p, name, ndim=(1, 2))
    if p.shape[0] != 2:
        raise ValueError(f"{name} must be a point of the plane, shape (2,) or (2, N), got {shape_str(p.shape)}")
    return p


def _plane_point(p, name="p") -> np.ndarray:
    p = as_float_array(p, name, ndim=1)
    if p.shape != (2,):
        raise ValueError(f"{name} must be a point of the plane, shape (2,), got {shape_str(p.shape)}")
    return p


@dataclass(frozen=True)
class NonlinearMap:
    """A smooth map ``F: R^2 -> R^2`` with its exact differential (8.1.2).

    ``F(p)``: ``p`` of shape ``(2,)`` or ``(2, N)`` (points as columns), same shape out.
    ``J(p)``: the Jacobian ``(2, 2)`` at one point, the array of ``dF_p``.
    ``d2(p, v)``: the second derivative along ``v``, ``d^2F_p[v, v] = d^2/dt^2 F(p + t v)|_0``
    ``(2,)``; the Taylor remainder is ``|d^2F_p[v, v]| eps^2 / 2 + O(eps^3)``.
    """

    name: str
    formula: str  # LaTeX
    _F: Callable
    _J: Callable
    _d2: Callable

    def __post_init__(self):
        for what in ("name", "formula"):
            if not isinstance(getattr(self, what), str):
                raise TypeError(f"{what} must be a string, got {describe(getattr(self, what))}")
        for what in ("_F", "_J", "_d2"):
            check_callable(getattr(self, what), what)

    def F(self, p) -> np.ndarray:
        return self._F(_plane_points(p))

    def J(self, p) -> np.ndarray:
        return self._J(_plane_point(p))

    def d2(self, p, v) -> np.ndarray:
        return self._d2(_plane_point(p), _plane_point(v, "v"))

    def __call__(self, p) -> np.ndarray:
        return self.F(p)


def _bend_F(p):
    x, y = p
    return np.stack([x + 0.5 * np.sin(2 * y), y + 0.4 * x**2])


def _bend_J(p):
    x, y = p
    return np.array([[1.0, np.cos(2 * y)], [0.8 * x, 1.0]])


def _bend_d2(p, v):
    x, y = p
    return np.array([-2.0 * np.sin(2 * y) * v[1] ** 2, 0.8 * v[0] ** 2])


def _polar_F(p):
    r, t = p
    return np.stack([r * np.cos(t), r * np.sin(t)])


def _polar_J(p):
    r, t = p
    return np.array([[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])


def _polar_d2(p, v):
    r, t = p
    return np.array(
        [
            -2 * v[0] * v[1] * np.sin(t) - r * np.cos(t) * v[1] ** 2,
            2 * v[0] * v[1] * np.cos(t) - r * np.sin(t) * v[1] ** 2,
        ]
    )


def _read_only(a: np.ndarray) -> np.ndarray:
    """A module-level array made read-only: a notebook cannot change the examples by mistake."""
    a.setflags(write=False)
    return a


_LAYER_A = _read_only(np.array([[1.5, -1.0], [0.8, 1.2]]))
_LAYER_b = _read_only(np.array([0.2, -0.3]))


def _layer_F(p):
    z = _LAYER_A @ p + (_LAYER_b if p.ndim == 1 else _LAYER_b[:, None])
    return np.tanh(z)


def _layer_J(p):
    h = np.tanh(_LAYER_A @ p + _LAYER_b)
    return (1 - h**2)[:, None] * _LAYER_A


def _layer_d2(p, v):
    h = np.tanh(_LAYER_A @ p + _LAYER_b)
    return -2 * h * (1 - h**2) * (_LAYER_A @ v) ** 2


NONLINEAR_MAPS = {
    "bend": NonlinearMap("bend", r"F(x, y) = (x + \tfrac12\sin 2y,\; y + 0.4\,x^2)", _bend_F, _bend_J, _bend_d2),
    "polar": NonlinearMap("polar", r"F(r, t) = (r\cos t,\; r\sin t)", _polar_F, _polar_J, _polar_d2),
    "tanh layer": NonlinearMap(
        "tanh layer",
        r"F(x) = \tanh(A x + b),\; A = \begin{pmatrix}1.5 & -1\\ 0.8 & 1.2\end{pmatrix},\; b = (0.2, -0.3)",
        _layer_F,
        _layer_J,
        _layer_d2,
    ),
}


def nonlinear_map(name: str) -> NonlinearMap:
    """One of the example maps of the plane: ``"bend"``, ``"polar"``, ``"tanh layer"``."""
    if not isinstance(name, str) or name not in NONLINEAR_MAPS:
        raise (ValueError if isinstance(name, str) else TypeError)(
            f"name: plane map must be one of {tuple(NONLINEAR_MAPS)}, got {name!r}"
        )
    return NONLINEAR_MAPS[name]


# ℒ(w) = log sum_k exp(a_k^T w + c_k): a smooth convex function of w in R^2 with a minimiser
# (a positive combination of the a_k vanishes), whose level lines are rounded triangles.
PLANE_LOSS_A = _read_only(np.array([[1.0, 0.5], [-1.0, 1.0], [0.0, -1.0]]))
PLANE_LOSS_c = _read_only(np.array([0.0, 0.3, -0.2]))


def plane_loss(w) -> np.ndarray | float:
    """``ℒ(w) = log sum_k exp(a_k^T w + c_k)`` (log-sum-exp of three affine scores).

    ``w``: ``(2,)`` (returns a float) or ``(2, N)`` points as columns (returns ``(N,)``).
    """
    w = _plane_points(w, "w")
    s = PLANE_LOSS_A @ w + (PLANE_LOSS_c if w.ndim == 1 else PLANE_LOSS_c[:, None])
    smax = s.max(axis=0)
    val = smax + np.log(np.exp(s - smax).sum(axis=0))
    return float(val) if w.ndim == 1 else val


def plane_loss_grad(w) -> np.ndarray:
    """Euclidean gradient of :func:`plane_loss`: ``A^T softmax(A w + c)``, shaped like ``w``."""
    w = _plane_points(w, "w")
    s = PLANE_LOSS_A @ w + (PLANE_LOSS_c if w.ndim == 1 else PLANE_LOSS_c[:, None])
    return PLANE_LOSS_A.T @ softmax(s, axis=0)
