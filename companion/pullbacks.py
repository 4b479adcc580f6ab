"""The chain rule as a pullback, and linear maps of the plane (section 8.4).

For a composition ``Phi = F_K o ... o F_1`` the chain rule composes the differentials:

    dPhi_x = dF_K ... dF_2 dF_1           (a tangent is pushed forward, first map first)
    dPhi_x^* = dF_1^* dF_2^* ... dF_K^*   (a cotangent is pulled back, last map first)

each local map linearized at the point its own input takes, ``x_k = F_k(x_{k-1})``. A
:class:`LocalMap` holds one step: its value, its pushforward ``dF_x[dx]`` and its pullback
``dF_x^*[y_bar]`` (the adjoint under the Euclidean inner products). :func:`chain_forward`,
:func:`chain_pushforward` and :func:`chain_pullback` run a list of them: this is reverse
mode without a tape, for a chain whose steps are known in advance; the engine
(:mod:`companion.reverse`) records the steps as a program runs.

:func:`plane_map` builds the 2 x 2 linear maps the section's pictures are drawn with
(their inner products come from :func:`companion.spaces.plane_metric`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ._validate import as_float_array, as_float_arrays, as_number, check_callable, describe, shape_str
from .spaces import rotation

__all__ = [
    "plane_map",
    "LocalMap",
    "chain_forward",
    "chain_pushforward",
    "chain_pullback",
]


def plane_map(angle: float = 0.0, shear: float = 0.0, scale: float = 1.0) -> np.ndarray:
    """``A = R(angle) [[1, shear], [0, 1]] diag(scale, 1)``: a linear map of the plane, (2, 2).

    First the first axis is stretched by ``scale``, then the plane is sheared along the
    first axis (``e_2 -> e_2 + shear e_1``), then rotated by ``angle`` radians, so
    ``det A = scale``. Every real 2 x 2 matrix of positive determinant is a positive
    multiple of one of these (its QR factorization); a negative ``scale`` adds a
    reflection, ``scale = 0`` makes the map singular.
    """
    angle = as_number(angle, "angle")
    shear = as_number(shear, "shear")
    scale = as_number(scale, "scale")
    return rotation(angle) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([scale, 1.0])


@dataclass(frozen=True)
class LocalMap:
    """One step ``F`` of a composition, with its two linear maps at a point ``x``.

    Parameters
    ----------
    f : callable
        ``x -> F(x)``.
    pushforward : callable
        ``(x, dx) -> dF_x[dx]``: a tangent at ``x`` to a tangent at ``F(x)``.
    pullback : callable
        ``(x, y_bar) -> dF_x^*[y_bar]``: a cotangent at ``F(x)`` to one at ``x``, the
        adjoint of the pushforward, ``<y_bar, dF_x[dx]> = <dF_x^*[y_bar], dx>``.
    name : str
        A label for printing.
    """

    f: Callable
    pushforward: Callable
    pullback: Callable
    name: str = "F"

    def __post_init__(self):
        for what in ("f", "pushforward", "pullback"):
            check_callable(getattr(self, what), f"LocalMap {what}")
        _name(self.name)

    @classmethod
    def linear(cls, A, name: str = "A") -> LocalMap:
        """``x -> A x`` for a matrix ``A`` (m, n): pushforward ``A dx``, pullback ``A^T y_bar``.

        ``A`` is copied: the map does not change when the caller edits its array.
        """
        A = as_float_array(A, "A", ndim=2, allow_empty=False, copy=True)

        def fits(v, what, n):
            if np.shape(v)[:1] != (n,):
                raise ValueError(
                    f"{what} of shape {shape_str(np.shape(v))} cannot meet A of shape {shape_str(A.shape)} (it needs "
                    f"{n} rows)"
                )
            return v

        return cls(lambda x: A @ fits(x, "x", A.shape[1]), lambda x, dx: A @ fits(dx, "dx", A.shape[1]),
                   lambda x, y_bar: A.T @ fits(y_bar, "y_bar", A.shape[0]), _name(name))

    @classmethod
    def elementwise(cls, sigma: Callable, sigma_prime: Callable, name: str = "sigma") -> LocalMap:
        """``x -> sigma(x)`` entry by entry: both linear maps multiply by ``D = Diag(sigma'(x))`` (D is symmetric)."""
        check_callable(sigma, "sigma")
        check_callable(sigma_prime, "sigma_prime")
        _name(name)
        return cls(sigma, lambda x, dx: sigma_prime(x) * dx, lambda x, y_bar: sigma_prime(x) * y_bar, name)

    def __repr__(self):
        return f"LocalMap({self.name})"


def _name(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (a label for printing), got {describe(name)}")
    return name


def _step(F, k, what, fn, x, arg=None, arg_name=None):
    """Apply one local map's ``fn`` (its value, pushforward or pullback), naming the step and the shapes if it fails."""
    try:
        return np.asarray(fn(x) if arg_name is None else fn(x, arg), dtype=float)
    except (ValueError, TypeError, IndexError) as exc:
        extra = "" if arg_name is None else f" and {arg_name} of shape {shape_str(np.shape(arg))}"
        raise type(exc)(
            f"maps[{k}] ({F.name}): its {what} failed at x_{k} of shape {shape_str(np.shape(x))}{extra}: {exc}"
        ) from None


def _check_maps(maps) -> list:
    if isinstance(maps, LocalMap) or not isinstance(maps, (list, tuple)) or not maps:
        raise TypeError("maps must be a non-empty list of LocalMap, the first map applied first")
    for k, F in enumerate(maps):
        if not isinstance(F, LocalMap):
            raise TypeError(f"maps[{k}] must be a LocalMap, got {type(F).__name__}")
    return list(maps)


def _check_points(maps, xs):
    xs = as_float_arrays(xs, "xs")
    if len(xs) != len(maps) + 1:
        raise ValueError(
            f"xs must be the {len(maps) + 1} points returned by chain_forward (x_0 ... x_K), got {len(xs)}"
        )
    return xs


def chain_forward(maps: Sequence[LocalMap], x) -> list:
    """The primals along the chain: ``[x_0, x_1, ..., x_K]`` with ``x_0 = x``, ``x_k = F_k(x_{k-1})``."""
    maps = _check_maps(maps)
    xs = [as_float_array(x, "x", allow_empty=False)]
    for k, F in enumerate(maps):
        xs.append(_step(F, k, "value", F.f, xs[-1]))
    return xs


def chain_pushforward(maps: Sequence[LocalMap], xs, dx) -> np.ndarray:
    """``dPhi_x[dx] = dF_K ... dF_1 dx``: push the tangent ``dx`` (shaped like ``x_0``) through the maps in order."""
    maps = _check_maps(maps)
    xs = _check_points(maps, xs)
    dx = as_float_array(dx, "dx")
    if dx.shape != xs[0].shape:
        raise ValueError(f"dx must have the shape of x_0 {shape_str(xs[0].shape)}, got {shape_str(dx.shape)}")
    for k, (F, x) in enumerate(zip(maps, xs[:-1], strict=False)):
        dx = _step(F, k, "pushforward", F.pushforward, x, dx, "dx")
    return dx


def chain_pullback(maps: Sequence[LocalMap], xs, y_bar) -> np.ndarray:
    """``dPhi_x^*[y_bar] = dF_1^* ... dF_K^* y_bar``: pull the cotangent ``y_bar`` (shaped like ``x_K``) back,
    last map first."""
    maps = _check_maps(maps)
    xs = _check_points(maps, xs)
    y_bar = as_float_array(y_bar, "y_bar")
    if y_bar.shape != xs[-1].shape:
        raise ValueError(
            f"y_bar must have the shape of the output x_K {shape_str(xs[-1].shape)}, got {shape_str(y_bar.shape)}"
        )
    for k in range(len(maps) - 1, -1, -1):
        y_bar = _step(maps[k], k, "pullback", maps[k].pullback, xs[k], y_bar, "y_bar")
    return y_bar


# ----------------------------------------------------------------------------- the cost of a full Jacobian (8.5)
JACOBIAN_MODES = ("forward", "reverse")


def jacobian_by_mode(f: Callable, x, *, mode: str = "reverse") -> np.ndarray:
    """The Jacobian of ``f: R^n -> R^m`` at ``x`` from the engine, one column or one row per sweep.

    ``mode="forward"`` pushes the ``n`` basis tangents ``E_j`` forward (``n`` jvps; column ``j``
    is ``vec(df_x[E_j])``); ``mode="reverse"`` records ``f`` once and pulls the ``m`` basis
    cotangents back (``m`` vjps; row ``i`` is ``vec(df_x^*[E_i])``). Both return the same
    ``(m, n)`` matrix in the ``vec`` (column-stacking) bases, as :func:`companion.jacobian` does;
    they differ in cost: forward mode pays once per input, reverse mode once per output.
    ``f`` is written with the engine's operations (``companion.tanh``, ``@``, ...).
    """
    from ._validate import as_choice
    from .reverse import jvp, vjp  # the engine of 8.4-8.5 (this section of the module is its only user here)
    from .spaces import unvec, vec

    check_callable(f, "f")
    x = as_float_array(x, "x", allow_empty=False)
    mode = as_choice(mode, "mode", JACOBIAN_MODES)
    if mode == "forward":
        columns = []
        for j in range(x.size):
            e_j = np.zeros(x.size)
            e_j[j] = 1.0
            _, dy = jvp(f, (x,), (unvec(e_j, x.shape),))
            columns.append(vec(np.atleast_1d(dy)))
        return np.stack(columns, axis=1)
    y, pullback = vjp(f, x)
    y_shape = np.shape(y)
    rows = []
    for i in range(np.size(y)):
        e_i = np.zeros(np.size(y))
        e_i[i] = 1.0
        (x_bar,) = pullback(unvec(e_i, y_shape))
        rows.append(vec(np.atleast_1d(x_bar)))
    return np.stack(rows, axis=0)
