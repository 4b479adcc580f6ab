"""Gradient descent under a metric: the step is the Riesz image of the differential (8.7).

The differential ``dℒ_w`` of the loss ``ℒ`` is a covector: it eats a tangent ``v`` and returns a number,
``dℒ_w[v] = <c, v>`` where ``c`` holds its coefficients (the array that Euclidean
calculus calls "the gradient"). To move the parameters one needs a *vector*, and the
only way from covectors to vectors is an inner product ``<u, v>_M = u^T M v``: its Riesz
map sends ``c`` to ``M^{-1} c``. A descent step is therefore

    step = -eta M^{-1} c,

and each choice of ``M`` is a different optimizer: ``M = I`` (Euclidean gradient
descent, ``"euclidean"``), ``M = diag(H)`` (a diagonal, Jacobi preconditioner, ``"jacobi"``),
``M = H`` (Newton's method, which is not first-order: it uses the Hessian; ``"newton"``) or
``M = F`` (the Fisher information: the natural gradient of a probabilistic model, here
logistic regression; ``"fisher"``).
The adaptive methods (AdaGrad, RMSProp, Adam) take a diagonal metric built from the
past differentials, ``M_k = diag(sqrt(v_k)) + eps I`` with ``v_k`` a running mean (or
sum) of the squared coefficients ``c_k * c_k``: the metric is learned along the path.

The module holds the problems (an ill-conditioned quadratic, logistic regression, and
the same problem in new coordinates ``w = B u``), the metrics, one descent loop that
returns the whole path, and the facts 8.7 rests on: each step is the steepest descent
direction for its own metric's unit ball, and only a step whose metric transforms like
the Hessian (``M_u = B^T M_w B``) is the same step in every coordinate system.

Vectors (parameters, tangents) and covectors (differentials) are 1-d arrays of
length ``n``; metrics are ``(n, n)`` symmetric positive definite arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._numerics import sigmoid
from ._validate import (
    MAX_SIZE,
    MAX_STEPS,
    as_choice,
    as_count,
    as_float_array,
    as_limit,
    as_number,
    as_rng,
    check_limit,
    describe,
    shape_str,
)
from .spaces import Metric, as_metric, rotation, steepest_ascent, unit_circle

__all__ = [
    "METRICS",
    "Quadratic",
    "ill_conditioned_quadratic",
    "rotation_matrix",
    "LogisticRegression",
    "make_logistic_regression",
    "Reparametrized",
    "reparametrize",
    "metric_at",
    "metric_step",
    "steepest_direction",
    "metric_unit_circle",
    "DescentPath",
    "metric_descent",
    "stability_bound",
    "contraction_factor",
    "ADAPTIVE",
    "adaptive_metric",
    "adaptive_descent",
]

METRICS = ("euclidean", "jacobi", "newton")
"""The named metrics of every problem: ``I``, ``diag(H)`` and the Hessian ``H`` itself (Newton's method). A
probabilistic model (``LogisticRegression``, or one reparametrized) has one more, ``"fisher"``: its Fisher
information, the metric of the natural gradient."""

_NAMED = (*METRICS, "fisher")
_RENAMED = {
    "natural": (
        'metric "natural" is gone: it meant the problem\'s own metric, the Hessian of a quadratic (Newton\'s '
        'method, not a natural gradient) or the Fisher information of a model. Use metric="newton" for M = H (any '
        'problem), or metric="fisher" for the Fisher metric of a probabilistic model (the natural gradient, '
        "LogisticRegression.fisher)"
    ),
}

ADAPTIVE = ("adagrad", "rmsprop", "adam")
"""The adaptive methods: descent under a diagonal metric ``diag(sqrt(v_k)) + eps I`` built from past differentials."""

_ADAPTIVE_BETAS = {"adagrad": (0.0, None), "rmsprop": (0.0, 0.99), "adam": (0.9, 0.999)}  # (beta1, beta2) defaults


def _vector(w, name: str, n: int | None = None) -> np.ndarray:
    w = as_float_array(w, name, ndim=1, allow_empty=False)
    if n is not None and w.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {shape_str(w.shape)}")
    return w


def _spd(M, name: str, n: int, on: str | None = None) -> Metric:
    """``M`` as a :class:`~companion.spaces.Metric` on vectors of length ``n``, or a clear error naming ``name``
    (and ``on``, the argument whose length ``n`` is, when there is one)."""
    M = as_float_array(M, name, ndim=2)
    if M.shape != (n, n):
        what = f"{on} of shape ({n},)" if on else f"vectors of length {n}"
        raise ValueError(f"{name} must have shape ({n}, {n}) to act on {what}, got {shape_str(M.shape)}")
    return as_metric(M, (n,), name)


_PROBLEM_METHODS = ("dim", "loss", "differential", "hessian")


def _problem(problem, name: str = "problem"):
    """A problem of this module (``Quadratic``, ``LogisticRegression``, ``Reparametrized``, or anything with
    ``dim``, ``loss``, ``differential`` and ``hessian``; ``fisher`` too for the metric ``"fisher"``)."""
    missing = [m for m in _PROBLEM_METHODS if not hasattr(problem, m)]
    if missing:
        raise TypeError(
            f"{name} must be a problem such as Quadratic or LogisticRegression (with {', '.join(_PROBLEM_METHODS)}), "
            f"got {describe(problem)}"
        )
    return problem


# --------------------------------------------------------------------------- problems
@dataclass
class Quadratic:
    """``ℒ(w) = 1/2 (w - w*)^T H (w - w*)`` with ``H`` ``(n, n)`` SPD and ``w*`` ``(n,)``.

    Its differential at ``w`` has coefficients ``c = H (w - w*)``; its Hessian is ``H``
    everywhere, so Newton's metric (``"newton"``) is ``H`` itself, and under it the step with
    ``eta = 1`` lands on ``w*``. It is not a probabilistic model: it has no Fisher information.
    """

    H: np.ndarray
    w_star: np.ndarray
    hessian_is_constant: bool = field(default=True, init=False)

    def __post_init__(self):
        self.w_star = np.array(_vector(self.w_star, "w_star"))  # private copies: the problem does not change
        n = self.w_star.size
        self.H = np.array(_spd(self.H, "H", n, on="w_star").M)

    @property
    def dim(self) -> int:
        return self.w_star.size

    def loss(self, w) -> float:
        """``1/2 (w - w*)^T H (w - w*)``."""
        e = _vector(w, "w", self.dim) - self.w_star
        return 0.5 * float(e @ self.H @ e)

    def differential(self, w) -> np.ndarray:
        """Coefficients of the covector ``dℒ_w``: ``c = H (w - w*)``, so ``dℒ_w[v] = c . v``."""
        return self.H @ (_vector(w, "w", self.dim) - self.w_star)

    def hessian(self, w=None) -> np.ndarray:
        """``H`` (the same at every ``w``; ``w``, if given, is checked like any point)."""
        if w is not None:
            _vector(w, "w", self.dim)
        return self.H


def rotation_matrix(degrees: float) -> np.ndarray:
    """The ``(2, 2)`` rotation by ``degrees`` (counter-clockwise): :func:`companion.spaces.rotation` in degrees."""
    return rotation(np.deg2rad(as_number(degrees, "degrees")))


def ill_conditioned_quadratic(
    cond: float = 100.0, rotation: float = 0.0, *, w_star=(0.0, 0.0), lam_max: float = 1.0
) -> Quadratic:
    """A 2-d ``Quadratic`` with ``H = R diag(lam_max, lam_max / cond) R^T``, ``R`` the rotation by ``rotation`` degrees.

    ``cond = lam_max / lam_min >= 1`` is the condition number of ``H``. With
    ``rotation = 0`` the stiff axis is the first coordinate; rotating the valley makes
    ``H`` non-diagonal, which is what a diagonal preconditioner cannot see.
    """
    cond = as_number(cond, "cond", min=1)
    lam_max = as_number(lam_max, "lam_max", positive=True)
    rotation = as_number(rotation, "rotation")
    w_star = _vector(w_star, "w_star", 2)
    R = rotation_matrix(rotation)
    H = R @ np.diag([lam_max, lam_max / cond]) @ R.T
    return Quadratic(0.5 * (H + H.T), w_star)


@dataclass
class LogisticRegression:
    """``ℒ(w) = (1/N) sum_i [log(1 + exp(w . x_i)) - y_i w . x_i]``, examples ``x_i`` the columns of ``X`` ``(n, N)``.

    ``y`` ``(N,)`` holds labels in ``{0, 1}``; ``p_i = sigmoid(w . x_i)``. The differential
    has coefficients ``X (p - y) / N``; the Hessian ``X Diag(p (1 - p)) X^T / N`` equals the
    Fisher information ``E_{y ~ p}[s s^T]`` of the scores ``s_i = (p_i - y_i) x_i``
    (averaged over examples): the canonical link makes natural gradient and Newton agree.
    """

    X: np.ndarray
    y: np.ndarray
    hessian_is_constant: bool = field(default=False, init=False)

    def __post_init__(self):
        self.X = as_float_array(self.X, "X", ndim=2, allow_empty=False, copy=True)  # private copies
        self.y = as_float_array(self.y, "y", ndim=1, copy=True)
        if self.y.shape != (self.X.shape[1],):
            raise ValueError(
                f"y must have one label per column of X {shape_str(self.X.shape)}: shape ({self.X.shape[1]},), got "
                f"{shape_str(self.y.shape)}"
            )
        if not np.all((self.y == 0) | (self.y == 1)):
            raise ValueError("y must hold labels 0.0 or 1.0")

    @property
    def dim(self) -> int:
        return self.X.shape[0]

    def probabilities(self, w) -> np.ndarray:
        """``p_i = sigmoid(w . x_i)``, shape ``(N,)``."""
        return sigmoid(_vector(w, "w", self.dim) @ self.X)

    def loss(self, w) -> float:
        s = _vector(w, "w", self.dim) @ self.X
        # log(1 + e^s) computed stably
        return float(np.mean(np.logaddexp(0.0, s) - self.y * s))

    def differential(self, w) -> np.ndarray:
        """Coefficients ``X (p - y) / N`` of the covector ``dℒ_w``."""
        return self.X @ (self.probabilities(w) - self.y) / self.X.shape[1]

    def hessian(self, w) -> np.ndarray:
        """``X Diag(p (1 - p)) X^T / N``."""
        p = self.probabilities(w)
        return (self.X * (p * (1 - p))) @ self.X.T / self.X.shape[1]

    def fisher(self, w) -> np.ndarray:
        """Fisher information ``(1/N) sum_i E_{y_i ~ Bernoulli(p_i)} [s_i s_i^T]``, ``s_i = (p_i - y_i) x_i``.

        Written as the expectation it is: the two outcomes ``y = 1`` (probability ``p``)
        and ``y = 0`` (probability ``1 - p``) weighted by their probabilities.
        """
        p = self.probabilities(w)
        weight = p * (p - 1) ** 2 + (1 - p) * p**2  # E[(p - y)^2]
        return (self.X * weight) @ self.X.T / self.X.shape[1]


def make_logistic_regression(
    N: int = 200, *, rng: np.random.Generator, feature_scales=(1.0, 10.0), w_true=None, max_size: int = MAX_SIZE
) -> LogisticRegression:
    """Logistic regression data: ``x_i ~ N(0, Diag(feature_scales^2))`` as columns, ``y_i ~ Bernoulli(sigmoid(w_true
    . x_i))``.

    Unequal ``feature_scales`` make the loss ill-conditioned; the default ``w_true`` is
    ``(1, ..., 1) / feature_scales`` (every feature equally informative). ``X`` has
    ``len(feature_scales) * N`` entries: more than ``max_size`` is refused (``ValueError``).
    """
    rng = as_rng(rng)
    scales = _vector(feature_scales, "feature_scales")
    if np.any(scales <= 0):
        raise ValueError("feature_scales must be positive")
    N = as_count(N, "N")
    check_limit(
        scales.size * N, as_limit(max_size), name=f"N={N}", what=f"entries of X ({scales.size} features x N examples)"
    )
    w_true = 1.0 / scales if w_true is None else _vector(w_true, "w_true", scales.size)
    X = scales[:, None] * rng.standard_normal((scales.size, N))
    y = (rng.random(N) < sigmoid(w_true @ X)).astype(float)
    return LogisticRegression(X, y)


@dataclass
class Reparametrized:
    """The problem ``ℒ~(u) = ℒ(B u)`` in new coordinates ``w = B u`` (``B`` ``(n, n)`` invertible).

    Covectors pull back by the adjoint, ``c_u = B^T c_w``; a metric pulls back twice,
    ``M_u = B^T M_w B``: the Hessian and the Fisher information do that on their own,
    which is why neither Newton's step nor the natural gradient's depends on the coordinates.
    """

    problem: object
    B: np.ndarray

    def __post_init__(self):
        n = _problem(self.problem).dim
        self.B = as_float_array(self.B, "B", ndim=2, copy=True)
        if self.B.shape != (n, n):
            raise ValueError(
                f"B must have shape ({n}, {n}) for a problem in dimension {n}, got {shape_str(self.B.shape)}"
            )
        if np.linalg.cond(self.B) > 1e12:
            raise ValueError("B must be invertible (its condition number exceeds 1e12)")
        self.hessian_is_constant = getattr(self.problem, "hessian_is_constant", False)

    @property
    def dim(self) -> int:
        return self.problem.dim

    def _points(self, p, name):
        p = as_float_array(p, name, ndim=(1, 2), allow_empty=False)
        if p.shape[-1] != self.dim:
            raise ValueError(
                f"{name} must have shape ({self.dim},) or (k, {self.dim}) (a path), got {shape_str(p.shape)}"
            )
        return p

    def to_w(self, u) -> np.ndarray:
        """``w = B u`` (works on a path ``(k, n)`` too)."""
        return self._points(u, "u") @ self.B.T

    def to_u(self, w) -> np.ndarray:
        """``u = B^{-1} w`` (works on a path ``(k, n)`` too)."""
        return np.linalg.solve(self.B, self._points(w, "w").T).T

    def loss(self, u) -> float:
        return self.problem.loss(self.B @ _vector(u, "u", self.dim))

    def differential(self, u) -> np.ndarray:
        """Pullback of the covector: ``c_u = B^T c_w(B u)``."""
        return self.B.T @ self.problem.differential(self.B @ _vector(u, "u", self.dim))

    def hessian(self, u) -> np.ndarray:
        return self.B.T @ self.problem.hessian(self.B @ _vector(u, "u", self.dim)) @ self.B

    def fisher(self, u) -> np.ndarray:
        """The Fisher information in the coordinates ``u``: ``B^T F(B u) B``, for a problem that has one
        (``LogisticRegression``); ``TypeError`` for one that has none (a ``Quadratic``)."""
        u = _vector(u, "u", self.dim)
        if not _has_fisher(self.problem):
            raise TypeError(f"this problem has no Fisher information: it reparametrizes {describe(self.problem)}")
        return self.B.T @ self.problem.fisher(self.B @ u) @ self.B


def reparametrize(problem, B) -> Reparametrized:
    """``ℒ~(u) = ℒ(B u)``: the same loss seen in the coordinates ``u = B^{-1} w``."""
    return Reparametrized(problem, B)


# --------------------------------------------------------------------------- metrics
def _has_fisher(problem) -> bool:
    """Whether ``problem`` (or the problem it reparametrizes) has a Fisher information."""
    while isinstance(problem, Reparametrized):
        problem = problem.problem
    return hasattr(problem, "fisher")


def _metric_name(metric: str, problem) -> str:
    """``metric``, a name of ``METRICS`` or ``"fisher"`` that ``problem`` has, or a ``ValueError`` saying why not."""
    if metric in _RENAMED:
        raise ValueError(_RENAMED[metric])
    if metric not in _NAMED:
        raise ValueError(f"metric must be one of {_NAMED}, an (n, n) array or a callable, got {metric!r}")
    if metric == "fisher" and not _has_fisher(problem):
        raise ValueError(
            'metric "fisher" needs a probabilistic model with a Fisher information (LogisticRegression, or one '
            f'reparametrized), got {describe(problem)}; for M = H, Newton\'s metric, use metric="newton"'
        )
    return metric


def metric_at(problem, metric, w) -> np.ndarray:
    """The metric ``M`` ``(n, n)`` at ``w``: ``"euclidean"`` (``I``), ``"jacobi"`` (``diag`` of the
    Hessian), ``"newton"`` (the Hessian ``H``: Newton's method), ``"fisher"`` (``problem.fisher(w)``, the
    Fisher information of a probabilistic model: the natural gradient), an array, or a callable ``w -> M``.

    The name ``"natural"`` (which meant the problem's own metric: ``H`` for a quadratic, ``F`` for a model) is
    refused with a ``ValueError`` that says which of ``"newton"`` and ``"fisher"`` to use."""
    n = _problem(problem).dim
    w = _vector(w, "w", n)
    if isinstance(metric, str):
        metric = _metric_name(metric, problem)
        if metric == "euclidean":
            return np.eye(n)
        if metric == "fisher":
            return np.asarray(problem.fisher(w), dtype=float)
        if metric == "newton":
            return np.asarray(problem.hessian(w), dtype=float)
        d = np.diag(problem.hessian(w)).copy()
        if np.any(d <= 0):
            raise ValueError(f"the Jacobi metric needs a positive Hessian diagonal, got {d}")
        return np.diag(d)
    if callable(metric):
        return np.asarray(metric(w), dtype=float)
    if metric is None or isinstance(metric, (bool, int, float, np.number)):
        raise TypeError(f"metric must be one of {_NAMED}, an ({n}, {n}) array or a callable, got {describe(metric)}")
    M = as_float_array(metric, "metric", ndim=2)
    if M.shape != (n, n):
        raise ValueError(f"metric must have shape ({n}, {n}) for a problem in dimension {n}, got {shape_str(M.shape)}")
    return M


def metric_step(c, M=None, eta: float = 1.0) -> np.ndarray:
    """The descent step ``-eta M^{-1} c`` for the covector ``c`` ``(n,)`` under the metric ``M`` ``(n, n)``
    (``None``: ``I``).

    ``M^{-1} c`` is the Riesz representer: the vector ``g`` with ``<g, v>_M = c . v`` for all ``v``.
    """
    c = _vector(c, "c")
    eta = as_number(eta, "eta", positive=True)
    if M is None:
        return -eta * c
    return -eta * _spd(M, "M", c.size, on="c").sharp(c)


def steepest_direction(c, M=None) -> np.ndarray:
    """``argmin_{|v|_M = 1} c . v = -M^{-1} c / |M^{-1} c|_M``: steepest descent for the unit ball of ``M``.

    The minimum value is ``-|c|_{M^{-1}} = -sqrt(c^T M^{-1} c)`` (Cauchy-Schwarz in ``<., .>_M``).
    """
    c = _vector(c, "c")
    if not np.any(c):
        raise ValueError("c is zero: every direction is flat, there is no steepest one")
    return -steepest_ascent(c, None if M is None else _spd(M, "M", c.size, on="c"))


def metric_unit_circle(M=None, num: int = 361, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """Points ``v`` ``(num, 2)`` on the unit circle of a 2-d metric: ``v^T M v = 1`` (an ellipse).

    ``num >= 3`` points; more than ``max_size`` entries (``2 num``) are refused (``ValueError``).
    """
    if M is not None:
        _spd(M, "M", 2)  # this module's error messages
    num = as_count(num, "num", min=3)
    check_limit(2 * num, as_limit(max_size), name=f"num={num}", what="entries (2 per point)")
    return unit_circle(M, num, max_size=max_size).T  # v = L^{-T} u with M = L L^T, so v^T M v = |u|^2 = 1


def stability_bound(H, M=None) -> float:
    """Largest stable learning rate on a quadratic with Hessian ``H``: ``2 / lambda_max(M^{-1} H)``.

    ``M = None`` (Euclidean) gives ``2 / lambda_max(H)``.
    """
    H = as_float_array(H, "H", ndim=2, allow_empty=False)
    n = H.shape[0]
    _spd(H, "H", n)
    if M is None:
        lam = np.linalg.eigvalsh(H)
    else:
        L = _spd(M, "M", n, on="H's vectors").chol
        S = np.linalg.solve(L, np.linalg.solve(L, H).T)  # L^{-1} H L^{-T}, similar to M^{-1} H
        lam = np.linalg.eigvalsh(0.5 * (S + S.T))
    return 2.0 / float(lam.max())


def contraction_factor(H, M=None, eta: float = 1.0) -> float:
    """Per-step error contraction of ``w <- w - eta M^{-1} H (w - w*)``: ``max_i |1 - eta lambda_i(M^{-1} H)|``.

    Below 1 the iteration converges (the error shrinks at least by this factor per step in
    the ``M``-norm); above 1 it diverges.
    """
    H = as_float_array(H, "H", ndim=2, allow_empty=False)
    n = H.shape[0]
    _spd(H, "H", n)
    eta = as_number(eta, "eta", positive=True)
    L = np.eye(n) if M is None else _spd(M, "M", n, on="H's vectors").chol
    S = np.linalg.solve(L, np.linalg.solve(L, H).T)
    lam = np.linalg.eigvalsh(0.5 * (S + S.T))
    return float(np.max(np.abs(1.0 - float(eta) * lam)))


# --------------------------------------------------------------------------- descent
@dataclass
class DescentPath:
    """Iterates ``w`` ``(steps + 1, n)`` (``w[0] = w0``) and losses ``(steps + 1,)`` of ``metric_descent``
    (or ``adaptive_descent``).

    After a divergence (loss above ``1e12`` times the initial one, or not finite) the
    remaining rows are ``nan`` and ``diverged`` is true.
    """

    w: np.ndarray
    loss: np.ndarray
    metric: str
    eta: float
    diverged: bool
    diagonals: np.ndarray | None = None
    """Adaptive methods only: the diagonal of the metric ``M_k`` used at each step, ``(steps, n)`` (``nan`` after a "
    "divergence)."""

    def steps_to(self, tol: float) -> int | None:
        """First step ``k`` with ``loss[k] <= tol``, or ``None`` if never reached on the path."""
        hit = np.flatnonzero(self.loss <= as_number(tol, "tol", finite=False))
        return int(hit[0]) if hit.size else None


def metric_descent(
    problem,
    w0,
    *,
    metric="euclidean",
    eta: float = 0.1,
    steps: int = 100,
    max_steps: int = MAX_STEPS,
    max_size: int = MAX_SIZE,
) -> DescentPath:
    """Gradient descent under a metric: ``w_{k+1} = w_k - eta M(w_k)^{-1} c(w_k)``, ``c`` the differential's
    coefficients.

    ``problem`` has ``dim``, ``loss(w)``, ``differential(w)`` and ``hessian(w)``, and ``fisher(w)`` for the metric
    ``"fisher"`` (``Quadratic``, ``LogisticRegression``, ``Reparametrized``). ``metric``: a name in ``METRICS``
    (``"euclidean"``, ``"jacobi"``, ``"newton"``) or ``"fisher"`` (see ``metric_at``), an ``(n, n)`` SPD
    array (constant metric), or a callable ``w -> M``; a name in ``ADAPTIVE`` runs
    ``companion.metrics.adaptive_descent`` with its default betas. ``w0`` is ``(n,)``.

    A metric that does not depend on ``w`` (an array, ``"euclidean"``, or ``"jacobi"`` and ``"newton"`` on a
    problem whose Hessian is constant) is factored once. More than ``max_steps``
    steps, or a path of more than ``max_size`` entries (``(steps + 1) * n``), are refused
    up front (``ValueError``): raise the limits if you mean it.
    """
    if isinstance(metric, str) and metric in ADAPTIVE:
        return adaptive_descent(
            problem, w0, method=metric, eta=eta, steps=steps, max_steps=max_steps, max_size=max_size
        )
    n, w, eta, steps = _descent_args(problem, w0, eta, steps, max_steps, max_size)
    name = metric if isinstance(metric, str) else ("callable" if callable(metric) else "array")
    if not callable(metric):
        metric_at(problem, metric, w)  # checks a name or an array now, not at the first step
    if isinstance(metric, str):
        hessian_metric = metric in ("jacobi", "newton") and getattr(problem, "hessian_is_constant", False)
        constant = metric == "euclidean" or hessian_metric
    else:
        constant = not callable(metric)
    if constant:  # factor once: P = M^{-1}
        metric_w = _spd(metric_at(problem, metric, w), "metric", n)
        P = np.linalg.solve(metric_w.chol.T, np.linalg.solve(metric_w.chol, np.eye(n)))

    W = np.full((steps + 1, n), np.nan)
    losses = np.full(steps + 1, np.nan)
    loss, differential = _loss_and_differential(problem)
    W[0], losses[0] = w, loss(w)
    limit = 1e12 * max(1.0, abs(losses[0]))
    diverged = False
    for k in range(steps):
        c = differential(w)  # the covector dℒ_w
        g = P @ c if constant else _spd(metric_at(problem, metric, w), "metric", n).sharp(c)  # Riesz image M^{-1} c
        w = w - eta * g
        lk = loss(w) if np.all(np.isfinite(w)) else np.inf
        if not np.isfinite(lk) or lk > limit:
            diverged = True
            break
        W[k + 1], losses[k + 1] = w, lk
    return DescentPath(w=W, loss=losses, metric=name, eta=eta, diverged=diverged)


def _loss_and_differential(problem):
    """``(loss, differential)`` of ``problem`` for a descent loop whose iterates are checked already: a
    ``Quadratic``'s own formulas without the per-call check of ``w`` (the same arithmetic, so the same numbers)."""
    if type(problem) is Quadratic:
        H, w_star = problem.H, problem.w_star

        def loss(w):
            e = w - w_star
            return 0.5 * float(e @ H @ e)

        return loss, lambda w: H @ (w - w_star)
    return problem.loss, problem.differential


def _descent_args(problem, w0, eta, steps, max_steps, max_size):
    """The checked ``(n, w0 copy, eta, steps)`` of a descent, with the size limits applied up front."""
    n = _problem(problem).dim
    w = _vector(w0, "w0", n).copy()
    eta = as_number(eta, "eta", positive=True)
    steps = as_count(steps, "steps", min=0, limit=as_limit(max_steps, "max_steps"), what="steps", keyword="max_steps")
    check_limit(
        (steps + 1) * n, as_limit(max_size), name=f"steps={steps}", what=f"entries of the path ((steps + 1) x {n})"
    )
    return n, w, eta, steps


# --------------------------------------------------------------------------- adaptive methods
def adaptive_metric(v, eps: float = 1e-8) -> np.ndarray:
    """The diagonal metric ``M = diag(sqrt(v)) + eps I`` ``(n, n)`` of an adaptive method, ``v`` ``(n,)`` its second
    moments.

    Its Riesz map divides coordinate by coordinate: ``M^{-1} c = c / (sqrt(v) + eps)``.
    """
    v = _vector(v, "v")
    if np.any(v < 0):
        raise ValueError("v must hold second moments (mean squares), all >= 0")
    return np.diag(np.sqrt(v) + as_number(eps, "eps", positive=True))


def _betas(method, beta1, beta2):
    method = as_choice(method, "method", ADAPTIVE)
    d1, d2 = _ADAPTIVE_BETAS[method]
    beta1 = d1 if beta1 is None else as_number(beta1, "beta1", min=0)
    if not beta1 < 1:
        raise ValueError(f"beta1 must be in [0, 1), got {beta1}")
    if method == "adagrad":
        if beta2 is not None:
            raise ValueError("AdaGrad sums the squared coefficients: it takes no beta2")
        return method, beta1, None
    beta2 = d2 if beta2 is None else as_number(beta2, "beta2", positive=True)
    if not beta2 < 1:
        raise ValueError(f"beta2 must be in (0, 1), got {beta2}")
    return method, beta1, beta2


def adaptive_descent(
    problem,
    w0,
    *,
    method: str = "adam",
    eta: float = 0.1,
    steps: int = 100,
    beta1: float | None = None,
    beta2: float | None = None,
    eps: float = 1e-8,
    max_steps: int = MAX_STEPS,
    max_size: int = MAX_SIZE,
) -> DescentPath:
    """AdaGrad, RMSProp or Adam as descent under a learned diagonal metric: ``w_{k+1} = w_k - eta M_k^{-1} m_k``.

    With ``c_k`` the differential's coefficients at ``w_k`` (``k = 1, 2, ...``, counted as the methods' papers do):

    - ``"adagrad"``: ``v_k = v_{k-1} + c_k^2``, ``m_k = c_k``;
    - ``"rmsprop"``: ``v_k = beta2 v_{k-1} + (1 - beta2) c_k^2`` (``beta2 = 0.99``), ``m_k = c_k``;
    - ``"adam"``: ``m_k``, ``v_k`` running means of ``c_k`` and ``c_k^2`` (``beta1 = 0.9``, ``beta2 = 0.999``), each
      divided by ``1 - beta^k`` (the bias correction);

    and ``M_k = diag(sqrt(v_k)) + eps I`` (:func:`adaptive_metric`), ``v_0 = m_0 = 0``. The step is the Riesz image
    under ``M_k`` of the covector ``m_k`` (``c_k`` itself unless ``beta1 > 0``): ``metric_step(m_k, M_k, eta)``.
    ``path.diagonals[k - 1]`` is the diagonal of ``M_k``. Limits and divergence as in :func:`metric_descent`.
    """
    method, beta1, beta2 = _betas(method, beta1, beta2)
    eps = as_number(eps, "eps", positive=True)
    n, w, eta, steps = _descent_args(problem, w0, eta, steps, max_steps, max_size)
    W, losses, diagonals = np.full((steps + 1, n), np.nan), np.full(steps + 1, np.nan), np.full((steps, n), np.nan)
    loss, differential = _loss_and_differential(problem)
    W[0], losses[0] = w, loss(w)
    limit = 1e12 * max(1.0, abs(losses[0]))
    m, v, diverged = np.zeros(n), np.zeros(n), False
    for k in range(1, steps + 1):
        c = differential(w)  # the covector dℒ_w
        m = beta1 * m + (1 - beta1) * c
        v = v + c * c if beta2 is None else beta2 * v + (1 - beta2) * c * c
        m_hat = m / (1 - beta1**k) if method == "adam" else m
        v_hat = v / (1 - beta2**k) if method == "adam" else v
        diagonals[k - 1] = np.sqrt(v_hat) + eps  # M_k = diag(sqrt(v_k)) + eps I
        w = w - eta * m_hat / diagonals[k - 1]  # the Riesz image M_k^{-1} m_k, coordinate by coordinate
        lk = loss(w) if np.all(np.isfinite(w)) else np.inf
        if not np.isfinite(lk) or lk > limit:
            diverged = True
            diagonals[k - 1] = np.nan
            break
        W[k], losses[k] = w, lk
    return DescentPath(w=W, loss=losses, metric=method, eta=eta, diverged=diverged, diagonals=diagonals)
