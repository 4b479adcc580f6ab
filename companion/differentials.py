"""Differentials computed numerically, and the Taylor test (sections 8.1, 8.2).

The differential ``dF_x`` is the linear map with ``F(x + dx) = F(x) + dF_x[dx] + o(|dx|)``
(8.1.2). These tools evaluate it without knowing a formula, so that every formula in the
book can be checked against them: a directional derivative (pushforward of one tangent),
the Jacobian (the array of ``dF_x`` in the ``vec`` bases), the gradient (the Riesz
representer of ``df_x`` under a chosen inner product), and the Taylor test, which shows
the remainder of a claimed linearization shrinking like ``eps**2``.

Points and directions are promoted to float64 before ``f`` is called: the default steps
are tuned to float64 round-off, and evaluating ``f`` at a float32 ``x`` but at a float64
``x + h v`` would mix two precisions in one difference.

It also holds small worked examples whose derivatives are known in closed form (maps of
the plane for 8.1, a log-sum-exp loss on the plane for 8.2), to compare against.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validate import MAX_SIZE, as_choice, as_float_array, as_limit, as_number, check_callable, check_limit, shape_str
from .spaces import as_metric, unvec, vec

__all__ = [
    "directional_derivative",
    "jacobian",
    "numerical_gradient",
    "taylor_test",
    "TaylorResult",
]

_EPS = np.finfo(float).eps


def _eval(f, x, name="f"):
    y = f(x)
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must return an array of numbers, got {type(y).__name__}: {exc}") from None
    if y.dtype.kind not in "fciu":
        raise TypeError(f"{name} must return numbers, got dtype {y.dtype}")
    return y


def _check_work(x_size, y_size, max_size, fn):
    """The limit of the tabulating functions: ``x.size * max(x.size, F(x).size)``.

    That is the number of entries of the table (``F(x).size`` by ``x.size``), or, if larger,
    the number of entries of ``x`` read over the ``x.size`` evaluations of ``f``.
    """
    if fn == "jacobian":
        name, what = (
            f"jacobian: x with {x_size} entries and f(x) with {y_size}",
            f"units of work, x.size * max(x.size, f(x).size) ({2 * x_size:,} evaluations of f on {x_size:,} "
            f"entries each, and a Jacobian of {y_size * x_size:,} entries)",
        )
    else:
        name = f"{fn}: x with {x_size} entries"
        what = f"units of work, x.size**2 ({2 * x_size:,} evaluations of f on {x_size:,} entries each)"
    check_limit(x_size * max(x_size, y_size), as_limit(max_size), name=name, what=what)


def _max_abs(a) -> float:
    """max |a_i|, and 0 for an empty array."""
    return float(np.max(np.abs(a))) if np.size(a) else 0.0


def _default_step(x, v, method):
    """A step ``h`` for ``f(x + h v)``: balances truncation against round-off.

    Central differences: ``h ~ eps**(1/3)`` relative to the size of ``x`` along ``v``;
    forward: ``eps**(1/2)``; complex step has no cancellation, so ``h`` can be tiny.
    """
    if method == "complex":
        return 1e-20
    scale = max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    vmax = float(np.max(np.abs(v)))
    power = 1 / 3 if method == "central" else 1 / 2
    return _EPS**power * scale / vmax


def directional_derivative(f, x, v, *, method: str = "central", h=None):
    """``dF_x[v]`` by finite differences: the pushforward of the tangent ``v``.

    Parameters
    ----------
    f : callable, arrays of ``x.shape`` -> array (any shape) or float.
    x : point (float array); v : tangent of the same shape.
    method : ``"central"`` (``(F(x+hv) - F(x-hv)) / 2h``, error ``O(h^2)``),
        ``"forward"`` (``O(h)``) or ``"complex"`` (``Im F(x + i h v) / h``, exact to
        round-off for ``F`` built from analytic numpy operations; no ``abs``/``conj``).
    h : step; by default ``eps**(1/3) * max(1, |x|_inf) / |v|_inf`` for central.

    Returns an array shaped like ``F(x)`` (a float when ``F`` is scalar).
    """
    check_callable(f, "f")
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    v = as_float_array(v, "v").astype(np.float64, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x {shape_str(x.shape)}, got {shape_str(v.shape)}")
    as_choice(method, "method", METHODS)
    if h is not None:
        h = as_number(h, "h", positive=True)
    if not np.any(v):
        return _zero_like(_eval(f, x))
    if h is None:
        h = _default_step(x, v, method)
    if method == "central":
        d = (_eval(f, x + h * v) - _eval(f, x - h * v)) / (2 * h)
    elif method == "forward":
        d = (_eval(f, x + h * v) - _eval(f, x)) / h
    else:
        d = _complex_step(f, x, v, h)
    return float(d) if np.ndim(d) == 0 else d


METHODS = ("central", "forward", "complex")


def _complex_step(f, x, v, h):
    """``Im F(x + i h v) / h``, refused (``ValueError``) when ``F`` is not analytic.

    The formula holds for an ``F`` that extends to complex inputs analytically (polynomials,
    exp, sin, tanh, matrix products...). Two ways an ``F`` is not, and the formula returns a
    wrong number without a word: ``F`` drops the imaginary part (``abs``, ``norm``,
    ``real``, a cast to ``float``: its output is real), or it uses ``conj`` (so that
    ``|z|^2 = z conj(z)``). The first is seen in the output's dtype; the second by
    comparing with central differences, which need no analyticity.
    """
    y = _eval(f, x + 1j * h * v)
    if not np.iscomplexobj(y):
        raise ValueError(
            f"method='complex': f returned a real output (dtype {y.dtype}) for the complex input x + i h v, so it "
            f"drops the imaginary part (abs, norm, real, a cast to float...) and the complex step would read 0. "
            f"The complex step needs an f that is analytic (built from +, *, exp, sin, tanh, @ ...); "
            f"use method='central'"
        )
    d = np.imag(y) / h
    hc = _default_step(x, v, "central")
    fp, fm = _eval(f, x + hc * v), _eval(f, x - hc * v)
    dc = (fp - fm) / (2 * hc)
    if np.shape(dc) == np.shape(d):
        gap = float(np.max(np.abs(d - dc))) if np.size(d) else 0.0
        size = max(_max_abs(d), _max_abs(dc))
        fscale = max(_max_abs(fp), _max_abs(fm))
        if gap > 1e-4 * size + 1e4 * _EPS * (1.0 + fscale) / hc:
            raise ValueError(
                f"method='complex': the complex step gives {np.round(d, 6)} but central differences give "
                f"{np.round(dc, 6)}: f is not analytic (conj, abs, real or imag parts, a branch on the value...). "
                f"The complex step needs an analytic f; use method='central'"
            )
    return d


def _zero_like(y):
    return 0.0 if np.ndim(y) == 0 else np.zeros(np.shape(y))


def jacobian(f, x, *, method: str = "central", max_size: int = MAX_SIZE) -> np.ndarray:
    """The Jacobian of ``F`` at ``x``: the array of ``dF_x`` in the ``vec`` bases (8.1.2).

    Shape ``(F(x).size, x.size)``; column ``k`` is ``vec(dF_x[E_k])`` where ``E_k`` is the
    ``k``-th basis array in column-major (``vec``) order, so ``J @ vec(v) == vec(dF_x[v])``.

    The work grows like ``x.size * max(x.size, F(x).size)`` (the table's entries, or the
    entries of ``x`` read over ``2 x.size`` evaluations of ``F``); above ``max_size``
    (default ``10**7``) it is refused up front with a ``ValueError``: pass a larger
    ``max_size`` if you mean it.
    """
    check_callable(f, "f")
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    as_choice(method, "method", METHODS)
    y0 = _eval(f, x)
    _check_work(x.size, y0.size, max_size, "jacobian")
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = 1.0
        cols.append(vec(np.atleast_1d(directional_derivative(f, x, unvec(e, x.shape), method=method))))
    return np.stack(cols, axis=1) if cols else np.zeros((y0.size, 0))


def numerical_gradient(f, x, *, inner=None, method: str = "central", max_size: int = MAX_SIZE) -> np.ndarray:
    """Gradient of a scalar ``f`` at ``x``, shaped like ``x`` (8.2.2).

    Coordinates of the differential by finite differences, ``c_k = df_x[E_k]``, then the
    Riesz map of the chosen inner product: ``inner=None`` gives the Frobenius gradient
    ``c``; an SPD metric ``M`` (acting on ``vec``) gives ``M^{-1} c``.

    It evaluates ``f`` twice per entry of ``x``, each time at a point of ``x.size``
    entries: above ``x.size**2 = max_size`` (default ``10**7``, about 3,000 entries) the
    call is refused up front with a ``ValueError``; pass a larger ``max_size`` if you mean it.
    """
    check_callable(f, "f")
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    as_choice(method, "method", METHODS)
    _check_work(x.size, 1, max_size, "numerical_gradient")
    metric = as_metric(inner, x.shape, "inner", of="x")
    y0 = _eval(f, x)
    if y0.size != 1:
        raise ValueError(f"numerical_gradient needs a scalar f, but f(x) has shape {shape_str(y0.shape)}")
    c = np.empty(x.shape)
    flat = c.reshape(-1)
    for k in range(x.size):
        e = np.zeros(x.shape)
        e.flat[k] = 1.0
        flat[k] = float(np.squeeze(directional_derivative(f, x, e, method=method)))
    return c if metric is None else metric.sharp(c)


@dataclass
class TaylorResult:
    """Remainders ``|F(x + eps v) - F(x) - eps dF[v]|`` over a grid of ``eps``.

    ``order`` is the slope of ``log remainder`` against ``log eps`` fitted on the points
    above round-off: about 2 when the claimed ``dF[v]`` is right, 1 when it is wrong (or
    when no derivative is given). ``status`` says which, or that the remainders are at
    round-off level (the linear model is exact, e.g. ``F`` linear), in which case
    ``order`` is ``nan``.
    """

    eps: np.ndarray
    remainders: np.ndarray
    order: float
    usable: np.ndarray
    floor: np.ndarray
    expected: int
    status: str = field(default="")

    @property
    def ok(self) -> bool:
        """True when the remainders behave as they should for a correct derivative."""
        if self.status == "round-off":
            return True
        return bool(np.isfinite(self.order) and self.order > self.expected - 0.2)

    def __str__(self):
        order = "" if np.isnan(self.order) else f" (observed order {self.order:.2f})"
        lines = [f"Taylor test: {self.status}{order}"]
        rows = zip(self.eps, self.remainders, self.usable, strict=True)
        lines += [f"  eps={e:9.2e}  remainder={r:9.2e}{'' if u else '  (round-off)'}" for e, r, u in rows]
        return "\n".join(lines)


def taylor_test(f, x, v, dfv=None, *, eps=None, max_size: int = MAX_SIZE) -> TaylorResult:
    """Taylor test of a claimed differential ``dfv = dF_x[v]`` (8.1.2).

    Computes ``r(eps) = |F(x + eps v) - F(x) - eps dfv|`` on a geometric grid of ``eps``
    (default: 13 values over six decades, starting at ``0.1 max(1, |x|_inf)/|v|_inf``)
    and the observed order from a least-squares fit of ``log r`` on ``log eps`` over the
    points above round-off. With ``dfv=None`` the zeroth-order remainder
    ``|F(x + eps v) - F(x)|`` is used, whose order is 1. ``F`` is evaluated once per
    ``eps``: a grid with ``len(eps) * x.size`` above ``max_size`` is refused (``ValueError``).
    """
    check_callable(f, "f")
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    v = as_float_array(v, "v").astype(np.float64, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x {shape_str(x.shape)}, got {shape_str(v.shape)}")
    if not np.any(v):
        raise ValueError("v must be a nonzero direction")
    f0 = _eval(f, x).astype(float)
    if dfv is None:
        d = np.zeros_like(f0)
        expected = 1
    else:
        d = as_float_array(dfv, "dfv")
        if d.size != f0.size:
            raise ValueError(f"dfv has shape {shape_str(d.shape)}, but F(x) has shape {shape_str(f0.shape)}")
        d = d.reshape(f0.shape)
        expected = 2
    if eps is None:
        h0 = 0.1 * max(1.0, float(np.max(np.abs(x)))) / float(np.max(np.abs(v)))
        eps = h0 * np.logspace(0, -6, 13)
    else:
        eps = as_float_array(eps, "eps", ndim=1, allow_empty=False)
        if np.any(eps <= 0):
            raise ValueError("eps must be positive")
        if np.unique(eps).size < eps.size:
            raise ValueError("eps must hold distinct steps (the order is fitted over them)")
        check_limit(eps.size * x.size, as_limit(max_size), name=f"eps with {eps.size} values (x with {x.size} entries)",
                    what="entries read (len(eps) evaluations of f at points of x.size entries)")
    rem = np.empty(len(eps))
    floor = np.empty(len(eps))
    for k, e in enumerate(eps):
        fe = _eval(f, x + e * v).astype(float)
        rem[k] = np.linalg.norm(fe - f0 - e * d)
        floor[k] = 64 * _EPS * (np.linalg.norm(f0) + np.linalg.norm(fe) + e * np.linalg.norm(d))
    usable = rem > 10 * floor
    if usable.sum() >= 3:
        le, lr = np.log(eps[usable]), np.log(rem[usable])
        order = float(np.polyfit(le, lr, 1)[0])
        status = "second order" if order > 1.8 else ("first order" if order > 0.8 else "no convergence")
    else:
        order = float("nan")
        status = "round-off" if np.all(rem <= 10 * floor) else "too few points above round-off"
    return TaylorResult(eps=np.asarray(eps, float), remainders=rem, order=order, usable=usable, floor=floor,
                        expected=expected, status=status)
