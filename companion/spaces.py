"""Inner products, Riesz representers and adjoints (sections 8.2, 8.4, 8.7).

A gradient is not a property of a function alone: it is the vector that represents the
differential under a chosen inner product. This module makes the choice explicit.

Conventions
-----------
``vec`` stacks the columns of an array (Fortran order), as in the math texts, so that
``vec(A X B) = (B^T kron A) vec(X)``. A metric on a space of arrays of shape ``s`` is an
SPD matrix ``M`` of size ``prod(s) x prod(s)`` acting on ``vec``:
``<U, V>_M = vec(U)^T M vec(V)``. ``None`` always means the Euclidean/Frobenius product.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._validate import (
    MAX_SIZE,
    as_bool,
    as_count,
    as_float_array,
    as_limit,
    as_number,
    as_rng,
    as_shape,
    check_callable,
    check_limit,
    describe,
    shape_str,
)

__all__ = [
    "vec",
    "unvec",
    "frobenius",
    "Metric",
    "as_metric",
    "inner",
    "riesz",
    "adjoint",
    "dot_product_test",
    "change_of_basis",
    "rotation",
    "plane_metric",
    "steepest_ascent",
    "unit_circle",
]


def vec(A) -> np.ndarray:
    """Stack the columns of ``A`` into one vector (column-major ``vec``)."""
    return as_float_array(A, "A").reshape(-1, order="F")


def unvec(v, shape) -> np.ndarray:
    """Inverse of :func:`vec`: fold a vector of length ``prod(shape)`` back into ``shape``."""
    v = as_float_array(v, "v", ndim=1)
    shape = as_shape(shape, "shape", allow_zero=True, allow_scalar=True)
    if v.size != int(np.prod(shape)):
        raise ValueError(f"v has {v.size} entries, but shape {shape_str(shape)} needs {int(np.prod(shape))}")
    return v.reshape(shape, order="F")


def frobenius(A, B) -> float:
    """Frobenius inner product ``<A, B>_F = tr(A^T B) = vec(A)^T vec(B)`` (8.2.1).

    ``A`` and ``B`` must have the same shape (any rank; vectors give the dot product).
    """
    A = as_float_array(A, "A")
    B = as_float_array(B, "B")
    if A.shape != B.shape:
        raise ValueError(
            f"frobenius: A and B must have the same shape, got {shape_str(A.shape)} and {shape_str(B.shape)}"
        )
    return float(np.vdot(A, B))


class Metric:
    """An inner product ``<U, V>_M = vec(U)^T M vec(V)`` on arrays of a fixed shape.

    Parameters
    ----------
    M : (N, N) symmetric positive definite array, ``N = prod(shape)``.
    shape : shape of the arrays it measures; defaults to ``(N,)`` (vectors).

    ``chol`` is the Cholesky factor ``L`` (``M = L L^T``). ``flat`` turns a vector into a
    covector (``M v``), ``sharp`` turns a covector into
    its Riesz representer (``M^{-1} c``): the two halves of the identification 8.7
    says every optimizer makes, explicitly or not.
    """

    def __init__(self, M, shape=None):
        M = as_float_array(M, "M", ndim=2, allow_empty=False, copy=True)  # a private copy: chol stays its factor
        n = M.shape[0]
        if M.shape != (n, n):
            raise ValueError(f"metric M must be square, got shape {shape_str(M.shape)}")
        if shape is None:
            shape = (n,)
        shape = as_shape(shape, "shape")
        if int(np.prod(shape)) != n:
            raise ValueError(
                f"metric M of shape {shape_str(M.shape)} cannot act on arrays of shape {shape_str(shape)} "
                f"(needs {int(np.prod(shape))} x {int(np.prod(shape))})"
            )
        if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12 * np.abs(M).max()):
            raise ValueError(f"metric M (shape {shape_str(M.shape)}) must be symmetric")
        try:
            self.chol = np.linalg.cholesky(M)
        except np.linalg.LinAlgError:
            raise ValueError(f"metric M (shape {shape_str(M.shape)}) must be positive definite") from None
        self.M = M
        self.shape = shape

    def _check(self, U, name):
        U = as_float_array(U, name)
        if U.shape != self.shape:
            raise ValueError(
                f"{name} has shape {shape_str(U.shape)}, but the metric acts on shape {shape_str(self.shape)}"
            )
        return U

    def __call__(self, U, V) -> float:
        """``<U, V>_M``."""
        U, V = self._check(U, "U"), self._check(V, "V")
        return float(vec(U) @ self.M @ vec(V))

    def norm(self, U) -> float:
        return float(np.sqrt(self(U, U)))

    def flat(self, V) -> np.ndarray:
        """Vector -> covector: the array ``c`` with ``<c, U>_F = <V, U>_M`` for all ``U``."""
        V = self._check(V, "V")
        return unvec(self.M @ vec(V), self.shape)

    def sharp(self, c) -> np.ndarray:
        """Covector -> vector (Riesz map): the ``G`` with ``<G, U>_M = <c, U>_F`` for all ``U``."""
        c = self._check(c, "covector")
        y = np.linalg.solve(self.chol, vec(c))
        return unvec(np.linalg.solve(self.chol.T, y), self.shape)

    def __repr__(self):
        return f"Metric(shape={self.shape}, cond={np.linalg.cond(self.M):.3g})"


def as_metric(m, shape, name: str = "inner", *, of: str | None = None):
    """``None`` (Euclidean) stays ``None``; an array becomes a :class:`Metric` on ``shape``.

    ``name`` is the metric's argument name and ``of`` the name of the argument whose
    shape ``shape`` is, for the messages (``"metric (2, 2) cannot act on covector of shape (3,)"``).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the argument's name, for messages), got {describe(name)}")
    if of is not None and not isinstance(of, str):
        raise TypeError(f"of must be a string (an argument's name, for messages) or None, got {describe(of)}")
    shape = as_shape(shape, "shape", allow_zero=True, allow_scalar=True)
    if m is None:
        return None
    space = f"{of} of shape {shape_str(shape)}" if of else f"the space, of shape {shape_str(shape)}"
    if isinstance(m, Metric):
        if m.shape != tuple(shape):
            raise ValueError(f"{name} acts on shape {shape_str(m.shape)}, but {space}")
        return m
    if of is not None and np.ndim(m) == 2 and np.shape(m) != (math.prod(shape),) * 2:
        raise ValueError(
            f"{name} of shape {shape_str(np.shape(m))} cannot act on {space}: it must be ({math.prod(shape)}, "
            f"{math.prod(shape)})"
        )
    try:
        return Metric(m, shape)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}: {exc}") from None


def inner(U, V, metric=None) -> float:
    """``<U, V>`` under ``metric`` (``None``: Frobenius)."""
    if metric is None:
        return frobenius(U, V)
    U = as_float_array(U, "U", allow_empty=False)
    return as_metric(metric, U.shape, "metric", of="U")(U, V)


def riesz(covector, metric=None) -> np.ndarray:
    """Gradient from differential (8.2.2): the ``G`` with ``<G, U>_metric = dℒ[U]`` for all ``U``.

    ``covector`` is the array ``c`` of the differential's Euclidean coefficients,
    ``dℒ[U] = <c, U>_F`` (a Frobenius gradient). Under Frobenius, ``G = c``; under a metric
    ``M``, ``G = M^{-1} c`` (acting on ``vec``).
    """
    c = as_float_array(covector, "covector", allow_empty=False)
    m = as_metric(metric, c.shape, "metric", of="covector")
    return c.copy() if m is None else m.sharp(c)


def _matrix_of(A: Callable, x_shape, y_shape) -> np.ndarray:
    """The array of a linear map in the ``vec`` bases: column k is ``vec(A(e_k))``."""
    n = int(np.prod(x_shape))
    cols = []
    for k in range(n):
        e = np.zeros(n)
        e[k] = 1.0
        y = np.asarray(A(unvec(e, x_shape)), dtype=float)
        if y.shape != tuple(y_shape):
            raise ValueError(
                f"A returned shape {shape_str(y.shape)} for an input of shape {shape_str(x_shape)}; expected "
                f"{shape_str(y_shape)}"
            )
        cols.append(vec(y))
    return np.stack(cols, axis=1)


def _map_output(y, name):
    """What a linear map returned, as a float array (``TypeError`` naming the map otherwise)."""
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must return an array of floats, got {type(y).__name__}: {exc}") from None
    return y


def _as_linear_map(A, x_shape):
    if not callable(A):
        Am = as_float_array(A, "A (a callable or a 2-d array)", ndim=2)
        if len(x_shape) != 1 or Am.shape[1] != x_shape[0]:
            raise ValueError(
                f"matrix A of shape {shape_str(Am.shape)} cannot act on inputs of shape {shape_str(x_shape)}"
            )
        return lambda v: Am @ v
    return A


def adjoint(
    A, x_shape, y_shape=None, *, inner_x=None, inner_y=None, check_linear: bool = True, max_size: int = MAX_SIZE
) -> Callable:
    """The adjoint ``A*`` of a linear map ``A: X -> Y`` (8.4.2): ``<A v, w>_Y = <v, A* w>_X``.

    Parameters
    ----------
    A : callable taking an array of ``x_shape`` to an array of ``y_shape``, or a 2-d
        array (the map ``v -> A @ v``).
    x_shape, y_shape : shapes of the domain and codomain (``y_shape`` inferred if omitted).
    inner_x, inner_y : metrics (SPD arrays acting on ``vec``, or :class:`Metric`), ``None``
        for Euclidean/Frobenius.

    Returns a function ``w -> A* w``. In Euclidean coordinates ``A* = A^T``; with metrics
    ``M_x, M_y`` it is ``M_x^{-1} A^T M_y``. The map is tabulated once, column by column
    (``prod(x_shape)`` calls of ``A``), and checked to be linear. The table costs
    ``n * max(n, m)`` (``n = prod(x_shape)``, ``m = prod(y_shape)``: its entries, or the
    entries read over the ``n`` calls); above ``max_size`` (default ``10**7``) the call is
    refused up front (``ValueError``): pass a larger ``max_size`` if you mean it.
    """
    x_shape = as_shape(x_shape, "x_shape")
    check_linear = as_bool(check_linear, "check_linear")
    limit = as_limit(max_size)
    check_limit(math.prod(x_shape) ** 2, limit, name=f"x_shape={x_shape}",
                what="units of work (prod(x_shape) calls of A, each on prod(x_shape) entries)")
    A = _as_linear_map(A, x_shape)
    if y_shape is None:
        y_shape = np.shape(A(np.zeros(x_shape)))
    y_shape = as_shape(y_shape, "y_shape")
    check_limit(math.prod(x_shape) * math.prod(y_shape), limit, name=f"x_shape={x_shape} and y_shape={y_shape}",
                what="entries of the table of A (prod(y_shape) x prod(x_shape))")
    mx = as_metric(inner_x, x_shape, "inner_x", of="x_shape")
    my = as_metric(inner_y, y_shape, "inner_y", of="y_shape")
    Amat = _matrix_of(A, x_shape, y_shape)
    if check_linear:
        rng = np.random.default_rng(0)
        u = rng.standard_normal(x_shape)
        lhs = vec(np.asarray(A(u), dtype=float))
        if not np.allclose(lhs, Amat @ vec(u), rtol=1e-8, atol=1e-10 * (1 + np.abs(lhs).max())):
            raise ValueError("A is not linear: A(u) differs from the sum of A over the basis expansion of u")
    At = Amat.T
    if my is not None:
        At = At @ my.M
    if mx is not None:
        At = np.linalg.solve(mx.M, At)

    def A_adj(w):
        w = as_float_array(w, "w")
        if w.shape != y_shape:
            raise ValueError(f"adjoint: w must have shape {shape_str(y_shape)}, got {shape_str(w.shape)}")
        return unvec(At @ vec(w), x_shape)

    A_adj.matrix = At
    return A_adj


def dot_product_test(A, A_adj, x_shape, y_shape=None, *, rng=None, inner_x=None, inner_y=None) -> float:
    """Relative mismatch of ``<A v, w>_Y`` and ``<v, A* w>_X`` for random ``v, w`` (8.4.2).

    ``|<Av, w> - <v, A*w>| / max(|Av| |w|, |v| |A*w|)``: about 1e-16 when ``A_adj`` is the
    adjoint of ``A``, order 1 when it is not. The denominator is the Cauchy-Schwarz bound,
    so the measure does not blow up when the inner product happens to be small.
    """
    x_shape = as_shape(x_shape, "x_shape", limit=MAX_SIZE)
    A = _as_linear_map(A, x_shape)
    check_callable(A_adj, "A_adj")
    rng = as_rng(rng, default_seed=0)
    if y_shape is not None:
        y_shape = as_shape(y_shape, "y_shape", limit=MAX_SIZE)
    v = rng.standard_normal(x_shape)
    Av = _map_output(A(v), "A")
    if y_shape is None:
        y_shape = as_shape(Av.shape, "y_shape (the shape of A(v))", limit=MAX_SIZE)
    if Av.shape != y_shape:
        raise ValueError(f"A returned shape {shape_str(Av.shape)}, expected y_shape {shape_str(y_shape)}")
    w = rng.standard_normal(y_shape)
    Aw = _map_output(A_adj(w), "A_adj")
    if Aw.shape != x_shape:
        raise ValueError(f"A_adj returned shape {shape_str(Aw.shape)}, expected x_shape {shape_str(x_shape)}")
    mx = as_metric(inner_x, x_shape, "inner_x", of="x_shape")
    my = as_metric(inner_y, y_shape, "inner_y", of="y_shape")
    ix = (lambda a, b: float(np.vdot(a, b))) if mx is None else mx
    iy = (lambda a, b: float(np.vdot(a, b))) if my is None else my
    lhs, rhs = iy(Av, w), ix(v, Aw)
    scale = max(np.sqrt(iy(Av, Av) * iy(w, w)), np.sqrt(ix(v, v) * ix(Aw, Aw)))
    if scale == 0.0:
        return 0.0
    return abs(lhs - rhs) / scale


# ------------------------------------------------------------ coordinates and metrics (8.1, 8.2)


def change_of_basis(A, B, C=None) -> np.ndarray:
    """The array of the map ``x -> A x`` in new bases: ``C^{-1} A B`` (8.1.1).

    ``A`` is ``(m, n)``: the map in the standard bases. The columns of ``B`` ``(n, n)``
    are the new basis of the domain, those of ``C`` ``(m, m)`` the new basis of the
    codomain (``C = B`` by default, which needs ``m = n``). If ``x = B x_B`` and
    ``y = C y_B``, then ``y = A x`` exactly when ``y_B = (C^{-1} A B) x_B``: the same
    linear map, a different array.
    """
    A = as_float_array(A, "A", ndim=2)
    m, n = A.shape
    B = as_float_array(B, "B", ndim=2)
    if B.shape != (n, n):
        raise ValueError(
            f"B must be ({n}, {n}) (a basis of the domain of A {shape_str(A.shape)}), got {shape_str(B.shape)}"
        )
    if C is None:
        if m != n:
            raise ValueError(f"A has shape {shape_str(A.shape)}: a non-square map needs a codomain basis C ({m}, {m})")
        C = B
    else:
        C = as_float_array(C, "C", ndim=2)
        if C.shape != (m, m):
            raise ValueError(
                f"C must be ({m}, {m}) (a basis of the codomain of A {shape_str(A.shape)}), got {shape_str(C.shape)}"
            )
    for M, name in ((B, "B"), (C, "C")):
        if np.linalg.cond(M) > 1e12:
            raise ValueError(
                f"{name} (shape {shape_str(M.shape)}) is singular or nearly so: its columns are not a basis"
            )
    return np.linalg.solve(C, A @ B)


def rotation(theta) -> np.ndarray:
    """The rotation of the plane by ``theta`` radians, ``[[cos, -sin], [sin, cos]]`` (2, 2)."""
    theta = as_number(theta, "theta (radians)")
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


def plane_metric(kappa, theta=0.0) -> Metric:
    """The inner product ``<u, v>_M = u^T M v`` on R^2 with ``M = R(theta) diag(1, kappa) R(theta)^T``.

    ``kappa > 0`` is the anisotropy: lengths along the direction ``R(theta) e_2`` count
    ``sqrt(kappa)`` times as much as along ``R(theta) e_1`` (``kappa = 1``: Euclidean).
    The unit ball is an ellipse with semi-axes ``1`` and ``1/sqrt(kappa)``.
    """
    kappa = as_number(kappa, "kappa")
    if not kappa > 0:
        raise ValueError(f"kappa must be positive (a metric is positive definite), got {kappa!r}")
    R = rotation(as_number(theta, "theta"))
    M = R @ np.diag([1.0, float(kappa)]) @ R.T
    return Metric(0.5 * (M + M.T))


def steepest_ascent(covector, metric=None) -> np.ndarray:
    """The unit direction of fastest increase: ``argmax dℒ[V]`` over ``|V|_metric = 1`` (8.2, 8.7).

    ``covector`` holds the differential's Euclidean coefficients (``dℒ[V] = <c, V>_F``).
    By Cauchy-Schwarz in the chosen inner product the maximiser is ``G / |G|_metric`` with
    ``G = riesz(c, metric)``, and the maximal rate is ``|G|_metric``. Same shape as ``c``.
    """
    c = as_float_array(covector, "covector", allow_empty=False)
    m = as_metric(metric, c.shape, "metric", of="covector")
    G = riesz(c, m)
    norm = float(np.sqrt(np.vdot(G, G))) if m is None else m.norm(G)
    if norm == 0.0:
        raise ValueError(f"the covector (shape {shape_str(c.shape)}) is zero: no direction of ascent")
    return G / norm


def unit_circle(metric=None, n: int = 200, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """Points ``v`` of the plane with ``|v|_metric = 1``, shape ``(2, n)`` (columns).

    With ``M = L L^T`` (Cholesky) the points are ``L^{-T} u`` for ``u`` on the Euclidean
    unit circle: an ellipse for a metric, the circle for ``None``. The last point repeats
    the first, so the curve closes when drawn. ``n >= 3``; more than ``max_size`` entries
    (``2 n``) are refused (``ValueError``).
    """
    n = as_count(n, "n", min=3)
    check_limit(2 * n, as_limit(max_size), name=f"n={n}", what="entries (2 per point)")
    m = as_metric(metric, (2,), "metric")
    t = np.linspace(0.0, 2 * np.pi, int(n))
    u = np.stack([np.cos(t), np.sin(t)])
    if m is None:
        return u
    return np.linalg.solve(m.chol.T, u)


# ----------------------------------------------------------------------------- vec and Kronecker (8.2)
def _sandwich_factors(A, B):
    """``A`` (m, n) and ``B`` (p, q) as float matrices, for the map ``X -> A X B`` on (n, p)."""
    A = as_float_array(A, "A", ndim=2, allow_empty=False)
    B = as_float_array(B, "B", ndim=2, allow_empty=False)
    return A, B


def kron_matrix(A, B, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """The matrix of ``X -> A X B`` acting on ``vec``: ``B^T kron A``, shape ``(m q, n p)``.

    ``A`` is ``(m, n)``, ``B`` is ``(p, q)``, ``X`` is ``(n, p)``. Because ``vec`` stacks
    columns, ``vec(A X B) = (B^T kron A) vec(X)``; the adjoint ``Y -> A^T Y B^T`` (Frobenius
    on both sides) has the transposed matrix ``(B^T kron A)^T = B kron A^T``. The matrix has
    ``m n p q`` entries (see :func:`sandwich_cost`): it is for small examples and checks only,
    and more than ``max_size`` entries are refused (``ValueError``).
    """
    A, B = _sandwich_factors(A, B)
    (m, n), (p, q) = A.shape, B.shape
    name = f"kron_matrix of A {shape_str(A.shape)} and B {shape_str(B.shape)}"
    check_limit(m * n * p * q, as_limit(max_size), name=name, what="entries")
    return np.kron(B.T, A)


def sandwich(A, X, B) -> np.ndarray:
    """The map ``X -> A X B`` without its Kronecker matrix: ``A`` (m, n), ``X`` (n, p), ``B`` (p, q) -> (m, q).

    The cheaper order of the two products is used (``(A X) B`` or ``A (X B)``).
    """
    A, B = _sandwich_factors(A, B)
    X = as_float_array(X, "X", ndim=2)
    if X.shape != (A.shape[1], B.shape[0]):
        raise ValueError(f"X must have shape ({A.shape[1]}, {B.shape[0]}) for A {shape_str(A.shape)} and "
                         f"B {shape_str(B.shape)}, got {shape_str(X.shape)}")
    cost = sandwich_cost(A.shape, B.shape)
    return (A @ X) @ B if cost["left_first"] <= cost["right_first"] else A @ (X @ B)


def sandwich_adjoint(A, Y, B) -> np.ndarray:
    """The adjoint of ``X -> A X B`` under Frobenius, applied to ``Y`` (m, q): ``A^T Y B^T`` (n, p)."""
    A, B = _sandwich_factors(A, B)
    Y = as_float_array(Y, "Y", ndim=2)
    if Y.shape != (A.shape[0], B.shape[1]):
        raise ValueError(f"Y must have shape ({A.shape[0]}, {B.shape[1]}) for A {shape_str(A.shape)} and "
                         f"B {shape_str(B.shape)}, got {shape_str(Y.shape)}")
    return sandwich(A.T, Y, B.T)


def sandwich_cost(A_shape, B_shape) -> dict:
    """What ``X -> A X B`` costs with and without its Kronecker matrix (multiply-adds and stored numbers).

    ``A_shape = (m, n)``, ``B_shape = (p, q)``. Returns a dict: ``kron_entries = m n p q``
    (the matrix ``B^T kron A``), ``kron_matvec = m n p q`` multiply-adds for one product with
    ``vec(X)``, ``left_first = m n p + m p q`` for ``(A X) B``, ``right_first = n p q + m n q``
    for ``A (X B)``, and ``factor_entries = m n + p q`` (what the two factors store).
    """
    A_shape = as_shape(A_shape, "A_shape")
    B_shape = as_shape(B_shape, "B_shape")
    if len(A_shape) != 2 or len(B_shape) != 2:
        raise ValueError(f"A_shape and B_shape must be matrix shapes (2 numbers), got {A_shape} and {B_shape}")
    (m, n), (p, q) = A_shape, B_shape
    return {"kron_entries": m * n * p * q, "kron_matvec": m * n * p * q, "left_first": m * n * p + m * p * q,
            "right_first": n * p * q + m * n * q, "factor_entries": m * n + p * q}


__all__ += ["kron_matrix", "sandwich", "sandwich_adjoint", "sandwich_cost"]
