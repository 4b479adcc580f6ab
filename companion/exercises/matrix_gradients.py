"""Exercises for 8.2: the gradient is the Riesz representer of the differential.

- 8.2.1 ``tr(A X B)``; 8.2.2 ``tr(X^T A X)``; 8.2.3 ``|A X - B|_F^2``; 8.2.4 ``log det X``
  (Frobenius gradients, arrays shaped like ``X``);
- 8.2.5 the gradient of the same differential under a metric ``M``: ``M^{-1} c``.
"""

from __future__ import annotations

import numpy as np

from ..differentials import directional_derivative
from .evidence import gradient_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.2.1

trace_AXB = Exercise(
    id="8.2.1",
    title="The gradient of tr(A X B)",
    level="easy",
    statement=r"""
For fixed $A, B\in\mathbb{R}^{3\times 3}$, let $f(X) = \mathrm{tr}(AXB)$ on
$X\in\mathbb{R}^{3\times3}$. Find the matrix $G = \nabla_X f$, the one with
$df_X[\Delta X] = \langle G, \Delta X\rangle_F = \mathrm{tr}(G^\top \Delta X)$ for every
$\Delta X$ (here $f$ is linear, so $G$ does not depend on $X$).
""",
    build=lambda rng: {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3))},
    solution=lambda A, B: A.T @ B.T,
    mistakes=(
        Mistake("A B: the transposes are missing", lambda A, B: A @ B,
                "tr(A dX B) = tr(B A dX) by cyclicity; match it with tr(G^T dX): G^T = B A, so G = A^T B^T"),
        Mistake("B A: this is G^T, the transpose of the gradient", lambda A, B: B @ A,
                "cyclicity gives tr((B A) dX), and the Frobenius pairing is tr(G^T dX): B A is G^T, not G"),
    ),
    hint=r"""
Since $f$ is linear, $df_X[\Delta X] = \mathrm{tr}(A\,\Delta X\,B)$. Rotate the factors until
$\Delta X$ stands last, then read off $G^\top$.
""",
    solution_code="""\
solution = A.T @ B.T   # tr(A dX B) = tr(B A dX) = tr((A^T B^T)^T dX)
""",
    evidence=gradient_evidence(lambda A, B: ((lambda X: np.trace(A @ X @ B)), np.eye(3))),
)

# ----------------------------------------------------------------------------- 8.2.2

trace_XtAX = Exercise(
    id="8.2.2",
    title="The gradient of tr(X^T A X)",
    level="medium",
    statement=r"""
For a fixed square $A\in\mathbb{R}^{3\times3}$, **not** symmetric, let
$f(X) = \mathrm{tr}(X^\top A X)$ on $X\in\mathbb{R}^{3\times 2}$. Find $\nabla_X f$ at the
point `X` of the data.
""",
    build=lambda rng: {"A": rng.standard_normal((3, 3)), "X": rng.standard_normal((3, 2))},
    solution=lambda A, X: (A + A.T) @ X,
    mistakes=(
        Mistake("2 A X: A was treated as symmetric", lambda A, X: 2 * A @ X,
                "the two first-order terms are tr(dX^T A X) and tr(X^T A dX); the first is the transpose of tr(X^T A^T dX), which brings in A^T"),
        Mistake("A X: only one of the two occurrences of X was perturbed", lambda A, X: A @ X,
                "X appears twice: perturb both, tr((X + dX)^T A (X + dX)), and keep both first-order terms"),
    ),
    hint=r"""
Perturb both copies of $X$. One first-order term is $\mathrm{tr}(X^\top A\,\Delta X)$; turn the
other into the same form using $\mathrm{tr}(M) = \mathrm{tr}(M^\top)$.
""",
    solution_code="""\
solution = (A + A.T) @ X
""",
    evidence=gradient_evidence(lambda A, X: ((lambda Z: np.trace(Z.T @ A @ Z)), X)),
)

# ----------------------------------------------------------------------------- 8.2.3

residual_norm = Exercise(
    id="8.2.3",
    title="The gradient of a squared residual norm",
    level="medium",
    statement=r"""
For fixed $A\in\mathbb{R}^{4\times3}$ and $B\in\mathbb{R}^{4\times2}$, let
$f(X) = \|AX - B\|_F^2$ on $X\in\mathbb{R}^{3\times2}$ (note: no factor $\tfrac12$). Find
$\nabla_X f$ at the point `X` of the data.
""",
    build=lambda rng: {"A": rng.standard_normal((4, 3)), "B": rng.standard_normal((4, 2)), "X": rng.standard_normal((3, 2))},
    solution=lambda A, B, X: 2 * A.T @ (A @ X - B),
    mistakes=(
        Mistake("A^T (A X - B): the factor 2 is missing", lambda A, B, X: A.T @ (A @ X - B),
                "there is no 1/2 in front this time: d|R|_F^2 = 2 <R, dR>_F"),
        Mistake("2 (A X - B): not pulled back through A", lambda A, B, X: 2 * (A @ X - B),
                "that is the gradient with respect to R = A X - B; with dR = A dX, <2R, A dX>_F = <2 A^T R, dX>_F"),
        Mistake("2 (A X - B)^T A: the transpose of the gradient", lambda A, B, X: 2 * (A @ X - B).T @ A,
                "the gradient has the shape of X (3 x 2); write <2R, A dX>_F = tr(2 R^T A dX) and read off G^T = 2 R^T A"),
    ),
    hint=r"""
Write $R = AX - B$; then $\delta R = A\,\Delta X$ and $df = 2\langle R, \delta R\rangle_F$. Move
$A$ to the other side of the pairing with its adjoint.
""",
    solution_code="""\
R = A @ X - B
solution = 2 * A.T @ R
""",
    evidence=gradient_evidence(lambda A, B, X: ((lambda Z: float(np.sum((A @ Z - B) ** 2))), X)),
)

# ----------------------------------------------------------------------------- 8.2.4


def _logdet_data(rng):
    X = 1.5 * np.eye(3) + 0.5 * rng.standard_normal((3, 3))
    assert np.linalg.det(X) > 0
    return {"X": X}


log_det = Exercise(
    id="8.2.4",
    title="The gradient of log det X",
    level="hard",
    statement=r"""
On square matrices with positive determinant, let $f(X) = \log\det X$. Find $\nabla_X f$ at
the point `X` of the data ($X$ is not symmetric).

A fact you may use: $\det(I + E) = 1 + \mathrm{tr}(E) + O(\|E\|^2)$.
""",
    build=_logdet_data,
    solution=lambda X: np.linalg.inv(X).T,
    mistakes=(
        Mistake("X^-1: the transpose is missing", lambda X: np.linalg.inv(X),
                "df = tr(X^-1 dX) = <X^-T, dX>_F: the Riesz representer is (X^-1)^T, which differs from X^-1 unless X is symmetric"),
        Mistake("det(X) X^-T: that is the gradient of det X", lambda X: np.linalg.det(X) * np.linalg.inv(X).T,
                "the log divides by det X: d log det X = d(det X) / det X"),
    ),
    hint=r"""
Factor $X + \Delta X = X(I + X^{-1}\Delta X)$, take determinants and logarithms, and use the
fact above: $df_X[\Delta X] = \mathrm{tr}(X^{-1}\Delta X)$. Now read off the gradient.
""",
    solution_code="""\
solution = np.linalg.inv(X).T
""",
    evidence=gradient_evidence(lambda X: ((lambda Z: float(np.linalg.slogdet(Z)[1])), X)),
)

# ----------------------------------------------------------------------------- 8.2.5


def _metric_data(rng):
    H = rng.standard_normal((3, 3))
    H = H @ H.T + np.eye(3)
    C = rng.standard_normal((3, 3))
    M = C @ C.T + 0.5 * np.eye(3)
    return {"H": H, "c": rng.standard_normal(3), "w": rng.standard_normal(3), "M": M}


def _metric_evidence(data, G):
    H, c, w, M = data["H"], data["c"], data["w"], data["M"]
    u = np.array([0.5, -1.0, 0.25])
    f = lambda z: 0.5 * z @ H @ z + c @ z  # noqa: E731
    df = directional_derivative(f, w, u)
    pair = G @ M @ u
    return f"for a test direction u: <G, u>_M = {pair:.6f} and df_w[u] = {df:.6f} (they are equal for the M-gradient)"


metric_gradient = Exercise(
    id="8.2.5",
    title="The gradient under a metric",
    level="hard",
    statement=r"""
Let $f(w) = \tfrac12 w^\top H w + c^\top w$ on $\mathbb{R}^3$, with $H$ the symmetric matrix of
the data ($H = H^\top$). Equip $\mathbb{R}^3$ with the inner
product $\langle u, v\rangle_M = u^\top M v$ for the symmetric positive definite $M$ of the
data. The gradient of $f$ at $w$ *for this inner product* is the vector $G$ with
$\langle G, u\rangle_M = df_w[u]$ for every $u$.

Compute $G$ at the point `w` of the data.
""",
    build=_metric_data,
    solution=lambda H, c, w, M: np.linalg.solve(M, H @ w + c),
    mistakes=(
        Mistake("H w + c: the Euclidean gradient, the metric was ignored", lambda H, c, w, M: H @ w + c,
                "H w + c represents df_w for the dot product u^T v; under <u, v>_M the representer solves M G = H w + c"),
        Mistake("M (H w + c): multiplied by M instead of solving with it", lambda H, c, w, M: M @ (H @ w + c),
                "<G, u>_M = G^T M u must equal (H w + c)^T u for all u, so M G = H w + c: G = M^-1 (H w + c)"),
    ),
    hint=r"""
First find the covector: $df_w[u] = (Hw + c)^\top u$ ($H$ is symmetric here). Then solve
$G^\top M u = (Hw+c)^\top u$ for all $u$.
""",
    solution_code="""\
g = H @ w + c                  # the Euclidean gradient: the covector's coefficients
solution = np.linalg.solve(M, g)   # its Riesz representer under <u, v>_M = u^T M v
""",
    evidence=_metric_evidence,
)

register(trace_AXB, trace_XtAX, residual_norm, log_det, metric_gradient)
