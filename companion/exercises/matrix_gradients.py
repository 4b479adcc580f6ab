"""Exercises for 8.2: the gradient is the Riesz representer of the differential.

- 8.2.1 ``tr(A X B)``; 8.2.2 ``tr(X^T A X)``; 8.2.3 ``|A X - B|_F^2``; 8.2.4 ``log det(X^T X)``
  (Frobenius gradients, arrays shaped like ``X``; drills);
- 8.2.5 the gradient of a differential under the inner product ``<u, v>_P = (P u)^T (P v)`` (drill);
- 8.2.6 the Jacobian of ``X -> X^2`` on ``vec``, in Kronecker form (transfer);
- 8.2.7 what changes with the inner product, and what does not (choice; concept).
"""

from __future__ import annotations

import numpy as np

from ..differentials import directional_derivative
from ..spaces import vec
from .evidence import gradient_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.2.1

trace_AXB = Exercise(
    id="8.2.1",
    title="The gradient of tr(A X B)",
    level="easy",
    category="drill",
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
        Mistake("B^T A^T: the transpose of A B, from an illegal rotation", lambda A, B: B.T @ A.T,
                "B^T A^T = (A B)^T comes from rewriting tr(A dX B) as tr(A B dX), but dX cannot jump over B: "
                "a cyclic rotation moves the last factor to the front, tr(A dX B) = tr(B A dX). "
                "So G^T = B A and G = (B A)^T = A^T B^T"),
    ),
    hints=(
        r"$f$ is linear in $X$, so its differential is $f$ itself: $df_X[\Delta X] = \mathrm{tr}(A\,\Delta X\,B)$.",
        r"Rotate the factors cyclically, $\mathrm{tr}(PQR) = \mathrm{tr}(RPQ)$, until $\Delta X$ stands last: "
        r"$\mathrm{tr}(M\,\Delta X)$.",
        r"Compare with the pairing $\mathrm{tr}(G^\top\Delta X)$: the matrix $M$ in front of $\Delta X$ is "
        r"$G^\top$, not $G$.",
    ),
    solution_text=r"""
Since $f$ is linear, $df_X[\Delta X] = \mathrm{tr}(A\,\Delta X\,B)$. Move $B$ to the front (a cyclic
rotation) and compare with the Frobenius pairing:

$$
\mathrm{tr}(A\,\Delta X\,B) = \mathrm{tr}(BA\,\Delta X) = \mathrm{tr}\big((A^\top B^\top)^\top\Delta X\big)
= \langle A^\top B^\top, \Delta X\rangle_F .
$$

By uniqueness of the representer ({prf:ref}`thm-8-2-riesz`), $\nabla_X f = A^\top B^\top = (BA)^\top$.
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
    category="drill",
    statement=r"""
For a fixed square $A\in\mathbb{R}^{3\times3}$, **not** symmetric, let
$f(X) = \mathrm{tr}(X^\top A X)$ on $X\in\mathbb{R}^{3\times 2}$. Find $\nabla_X f$ at the
point `X` of the data.
""",
    build=lambda rng: {"A": rng.standard_normal((3, 3)), "X": rng.standard_normal((3, 2))},
    solution=lambda A, X: (A + A.T) @ X,
    mistakes=(
        Mistake("2 A X: A was treated as symmetric", lambda A, X: 2 * A @ X,
                "the two first-order terms are tr(dX^T A X) and tr(X^T A dX); the first is the transpose of "
                "tr(X^T A^T dX), which brings in A^T"),
        Mistake("A X: only one of the two occurrences of X was perturbed", lambda A, X: A @ X,
                "X appears twice: perturb both, tr((X + dX)^T A (X + dX)), and keep both first-order terms"),
    ),
    hints=(
        r"Perturb both occurrences, $\mathrm{tr}\big((X+\Delta X)^\top A(X+\Delta X)\big)$, and keep the two terms "
        r"linear in $\Delta X$.",
        r"One of them, $\mathrm{tr}(X^\top A\,\Delta X)$, already has the form $\mathrm{tr}(M\,\Delta X)$.",
        r"The other, $\mathrm{tr}(\Delta X^\top AX)$, is the trace of a transpose: use "
        r"$\mathrm{tr}(P) = \mathrm{tr}(P^\top)$ to bring $\Delta X$ to the end without a transpose on it.",
    ),
    solution_text=r"""
The first-order terms of $\mathrm{tr}\big((X+\Delta X)^\top A(X+\Delta X)\big)$ are

$$
df_X[\Delta X] = \mathrm{tr}(\Delta X^\top AX) + \mathrm{tr}(X^\top A\,\Delta X)
= \mathrm{tr}(X^\top A^\top\Delta X) + \mathrm{tr}(X^\top A\,\Delta X)
= \big\langle (A + A^\top)X,\ \Delta X\big\rangle_F ,
$$

using $\mathrm{tr}(P) = \mathrm{tr}(P^\top)$ on the first term. So $\nabla_X f = (A + A^\top)X$, which is
$2AX$ only when $A$ is symmetric.
""",
    solution_code="""\
solution = (A + A.T) @ X
""",
    evidence=gradient_evidence(lambda A, X: ((lambda Z: np.trace(Z.T @ A @ Z)), X)),
)

# ----------------------------------------------------------------------------- 8.2.3


def _residual_data(rng):
    return {"A": rng.standard_normal((4, 3)), "B": rng.standard_normal((4, 2)), "X": rng.standard_normal((3, 2))}


residual_norm = Exercise(
    id="8.2.3",
    title="The gradient of a squared residual norm",
    level="medium",
    category="drill",
    statement=r"""
For fixed $A\in\mathbb{R}^{4\times3}$ and $B\in\mathbb{R}^{4\times2}$, let
$f(X) = \|AX - B\|_F^2$ on $X\in\mathbb{R}^{3\times2}$ (note: no factor $\tfrac12$). Find
$\nabla_X f$ at the point `X` of the data.
""",
    build=_residual_data,
    solution=lambda A, B, X: 2 * A.T @ (A @ X - B),
    mistakes=(
        Mistake("A^T (A X - B): the factor 2 is missing", lambda A, B, X: A.T @ (A @ X - B),
                "there is no 1/2 in front this time: d|R|_F^2 = 2 <R, dR>_F"),
        Mistake("2 (A X - B): not pulled back through A", lambda A, B, X: 2 * (A @ X - B),
                "that is the gradient with respect to R = A X - B; with dR = A dX, <2R, A dX>_F = <2 A^T R, dX>_F"),
        Mistake("2 (A X - B)^T A: the transpose of the gradient", lambda A, B, X: 2 * (A @ X - B).T @ A,
                "the gradient has the shape of X (3 x 2); write <2R, A dX>_F = tr(2 R^T A dX) and read off "
                "G^T = 2 R^T A"),
    ),
    hints=(
        r"Name the residual $R = AX - B$: then $f = \langle R, R\rangle_F$ and $\delta R = A\,\Delta X$.",
        r"The differential of $\langle R, R\rangle_F$ is $2\langle R, \delta R\rangle_F$ (there is no "
        r"$\tfrac12$ in front here).",
        r"Move $A$ across the pairing: write $\langle R, A\,\Delta X\rangle_F$ as a trace and rotate until "
        r"$\Delta X$ stands alone on the right.",
    ),
    solution_text=r"""
With $R = AX - B$, $\delta R = A\,\Delta X$ and

$$
df_X[\Delta X] = 2\langle R, A\,\Delta X\rangle_F = 2\,\mathrm{tr}(R^\top A\,\Delta X)
= \mathrm{tr}\big((2A^\top R)^\top\Delta X\big) = \langle 2A^\top R, \Delta X\rangle_F .
$$

So $\nabla_X f = 2A^\top(AX - B)$, a $3\times 2$ array like $X$: $A^\top$ is the adjoint that carries the
residual's gradient $2R$ back to $X$.
""",
    solution_code="""\
R = A @ X - B
solution = 2 * A.T @ R
""",
    evidence=gradient_evidence(lambda A, B, X: ((lambda Z: float(np.sum((A @ Z - B) ** 2))), X)),
)

# ----------------------------------------------------------------------------- 8.2.4


def _gram_data(rng):
    X = rng.standard_normal((4, 2)) + np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    assert np.linalg.cond(X) < 20
    return {"X": X}


def _gram_grad(X, factor=2.0):
    return factor * X @ np.linalg.inv(X.T @ X)


def _logdet_gram(X):
    return float(np.linalg.slogdet(X.T @ X)[1])


log_det = Exercise(
    id="8.2.4",
    title="The gradient of log det(X^T X)",
    level="hard",
    category="drill",
    statement=r"""
On $4\times 2$ matrices $X$ of full column rank, let $f(X) = \log\det(X^\top X)$: twice the log of the
area spanned by the two columns of $X$ (such terms appear in Gaussian log-likelihoods and in
volume-based regularizers). Find $\nabla_X f$ at the point `X` of the data.

A fact you may use (from the proof of {prf:ref}`prop-8-2-logdet`):
for an invertible $S$, $d(\log\det S)[\Delta S] = \mathrm{tr}(S^{-1}\Delta S)$.
""",
    build=_gram_data,
    solution=lambda X: _gram_grad(X),
    mistakes=(
        Mistake("X (X^T X)^-1: only one occurrence of X was perturbed", lambda X: _gram_grad(X, 1.0),
                "X appears twice in S = X^T X: dS = dX^T X + X^T dX, and the two terms contribute equally "
                "to tr(S^-1 dS) (S is symmetric)"),
        Mistake("2 det(X^T X) X (X^T X)^-1: that is the gradient of det(X^T X)",
                lambda X: np.linalg.det(X.T @ X) * _gram_grad(X),
                "the log divides by the determinant: d log det S = d(det S) / det S = tr(S^-1 dS)"),
    ),
    hints=(
        r"Compose: with $S = X^\top X$ ($2\times 2$, symmetric, invertible), $df = \mathrm{tr}(S^{-1}\,\delta S)$.",
        r"Both occurrences of $X$ move: $\delta S = \Delta X^\top X + X^\top\Delta X$.",
        r"The two resulting traces are equal: transpose one of them (with $S^{-1}$ symmetric), then rotate "
        r"until $\Delta X$ stands last.",
    ),
    solution_text=r"""
Let $S = X^\top X$, symmetric and invertible. By the chain rule and the fact above,

$$
df_X[\Delta X] = \mathrm{tr}\big(S^{-1}(\Delta X^\top X + X^\top\Delta X)\big)
= \mathrm{tr}(S^{-1}\Delta X^\top X) + \mathrm{tr}(S^{-1}X^\top\Delta X).
$$

The first trace equals its transpose, $\mathrm{tr}(X^\top\Delta X\,S^{-1}) = \mathrm{tr}(S^{-1}X^\top\Delta X)$,
so $df_X[\Delta X] = 2\,\mathrm{tr}(S^{-1}X^\top\Delta X) = \langle 2XS^{-1}, \Delta X\rangle_F$ and

$$
\nabla_X \log\det(X^\top X) = 2X(X^\top X)^{-1},
$$

a $4\times 2$ array like $X$. For a square invertible $X$ this is $2X^{-\top}$, twice the page's
$\nabla\log\lvert\det X\rvert$, as it must be since $\det(X^\top X) = (\det X)^2$.
""",
    solution_code="""\
S = X.T @ X
solution = 2 * np.linalg.solve(S, X.T).T   # 2 X S^-1 (S symmetric), without forming the inverse
""",
    evidence=gradient_evidence(lambda X: (_logdet_gram, X)),
)

# ----------------------------------------------------------------------------- 8.2.5


def _metric_data(rng):
    H = rng.standard_normal((3, 3))
    H = H @ H.T + np.eye(3)
    P = np.eye(3) + 0.4 * rng.standard_normal((3, 3))
    return {"H": H, "c": rng.standard_normal(3), "w": rng.standard_normal(3), "P": P}


def _metric_evidence(data, G):
    H, c, w, P = data["H"], data["c"], data["w"], data["P"]
    u = np.array([0.5, -1.0, 0.25])
    f = lambda z: 0.5 * z @ H @ z + c @ z  # noqa: E731 (the exercise's function, one line)
    df = directional_derivative(f, w, u)
    pair = (P @ G) @ (P @ u)
    return f"for a test direction u: <G, u>_P = {pair:.6f} and df_w[u] = {df:.6f} (they are equal for the P-gradient)"


metric_gradient = Exercise(
    id="8.2.5",
    title="The gradient under a metric",
    level="hard",
    category="drill",
    statement=r"""
Let $f(w) = \tfrac12 w^\top H w + c^\top w$ on $\mathbb{R}^3$, with $H$ the symmetric matrix of
the data ($H = H^\top$). Measure lengths in the coordinates $z = Pw$, for the invertible $P$ of the
data: the inner product is $\langle u, v\rangle_P = (Pu)^\top(Pv)$. The gradient of $f$ at $w$ *for this
inner product* is the vector $G$ with $\langle G, u\rangle_P = df_w[u]$ for every $u$.

Compute $G$ at the point `w` of the data.
""",
    build=_metric_data,
    solution=lambda H, c, w, P: np.linalg.solve(P.T @ P, H @ w + c),
    mistakes=(
        Mistake("H w + c: the Euclidean gradient, the metric was ignored", lambda H, c, w, P: H @ w + c,
                "H w + c represents df_w for the dot product u^T v; under <u, v>_P the representer G solves "
                "(P^T P) G = H w + c"),
        Mistake("P^-1 (H w + c): P is not the metric's matrix", lambda H, c, w, P: np.linalg.solve(P, H @ w + c),
                "write the inner product as u^T M v: (P u)^T (P v) = u^T P^T P v, so M = P^T P "
                "and G = M^-1 (H w + c)"),
        Mistake("(P P^T)^-1 (H w + c): the factors of the metric in the wrong order",
                lambda H, c, w, P: np.linalg.solve(P @ P.T, H @ w + c),
                "(P u)^T (P v) = u^T (P^T P) v: the transpose goes on the left factor, M = P^T P"),
        Mistake("P^T P (H w + c): multiplied by the metric instead of solving with it",
                lambda H, c, w, P: P.T @ P @ (H @ w + c),
                "<G, u>_P = G^T (P^T P) u must equal (H w + c)^T u for all u, so (P^T P) G = H w + c: solve for G"),
        Mistake("P^-T (H w + c): the gradient in the coordinates z, not a vector of w's space",
                lambda H, c, w, P: np.linalg.solve(P.T, H @ w + c),
                "P^-T (H w + c) is the Euclidean gradient of z -> f(P^-1 z), a vector in z-coordinates; the "
                "vector of w's space it stands for is P^-1 of it: G = P^-1 P^-T (H w + c) = (P^T P)^-1 (H w + c)"),
    ),
    hints=(
        r"First the covector, which needs no inner product: $df_w[u] = (Hw + c)^\top u$ ($H$ is symmetric).",
        r"Write the inner product as $u^\top M v$: which matrix $M$ is $\langle\cdot,\cdot\rangle_P$?",
        r"$\langle G, u\rangle_P = G^\top M u$ must equal $(Hw + c)^\top u$ for every $u$: that is a linear system "
        r"for $G$.",
    ),
    solution_text=r"""
The differential is $df_w[u] = (Hw + c)^\top u$ (it uses $H = H^\top$). The inner product is
$\langle u, v\rangle_P = u^\top P^\top P\,v$, the metric $M = P^\top P$ (symmetric positive definite since $P$
is invertible). The gradient solves $G^\top M u = (Hw + c)^\top u$ for all $u$, that is $MG = Hw + c$:

$$
G = (P^\top P)^{-1}(Hw + c) = P^{-1}P^{-\top}(Hw + c),
$$

the page's $g_M = M^{-1}c$ with $M = P^\top P$. Read right to left: $P^{-\top}(Hw + c)$ is the Euclidean gradient
in the coordinates $z = Pw$, and $P^{-1}$ carries that vector back to $w$'s space.
""",
    solution_code="""\
g = H @ w + c                         # the covector's coefficients (Euclidean gradient)
solution = np.linalg.solve(P.T @ P, g)   # its representer under <u, v>_P = u^T (P^T P) v
""",
    evidence=_metric_evidence,
)

# ----------------------------------------------------------------------------- 8.2.6


def _square_jacobian(X, *, rows=False, transpose=True, scalar=False, product=False):
    n = X.shape[0]
    eye = np.eye(n)
    if scalar:
        return 2 * np.kron(eye, X)
    if product:
        return np.kron(X.T, X)
    if rows:
        return np.kron(X, eye) + np.kron(eye, X.T)
    return np.kron(eye, X) + np.kron(X.T if transpose else X, eye)


def _kron_evidence(data, K):
    X = data["X"]
    dX = np.array([[0.5, -1.0, 0.2], [0.3, 0.8, -0.6], [-0.4, 0.1, 0.9]])
    true = vec(X @ dX + dX @ X)
    gap = np.linalg.norm(K @ vec(dX) - true) / np.linalg.norm(true)
    return f"for a test direction dX: |K vec(dX) - vec(X dX + dX X)| is {gap:.1e} of |vec(X dX + dX X)|"


kron_square = Exercise(
    id="8.2.6",
    title="The Jacobian of X -> X^2 in Kronecker form",
    level="medium",
    category="transfer",
    statement=r"""
The differential of $F(X) = X^2$ on $3\times 3$ matrices is $dF_X[\Delta X] = X\,\Delta X + \Delta X\,X$
({doc}`exercise 8.1.3 <8-1-linearization>`).
Seen on $\mathrm{vec}$ (columns stacked), it is a linear map of $\mathbb{R}^9$, so it has a
$9\times 9$ matrix $K$ with $\mathrm{vec}(dF_X[\Delta X]) = K\,\mathrm{vec}(\Delta X)$: the Jacobian of
$\mathrm{vec}(X^2)$ with respect to $\mathrm{vec}(X)$.

Find $K$ at the point `X` of the data, as a sum of Kronecker products (`np.kron`).
""",
    build=lambda rng: {"X": rng.standard_normal((3, 3))},
    solution=lambda X: _square_jacobian(X),
    mistakes=(
        Mistake("kron(X, I) + kron(I, X^T): the rows were stacked, not the columns",
                lambda X: _square_jacobian(X, rows=True),
                "that is the matrix for a row-stacking vec (NumPy's default reshape); the book's vec stacks columns, "
                "vec(A dX B) = (B^T kron A) vec(dX), which gives I kron X for X dX and X^T kron I for dX X"),
        Mistake("kron(I, X) + kron(X, I): the transpose of B^T kron A is missing",
                lambda X: _square_jacobian(X, transpose=False),
                "dX X = I dX X is A dX B with A = I, B = X, and its matrix is B^T kron A = X^T kron I"),
        Mistake("2 kron(I, X): the scalar rule 2 X dX", lambda X: _square_jacobian(X, scalar=True),
                "X dX and dX X are different maps (matrices do not commute): each has its own Kronecker matrix"),
        Mistake("kron(X^T, X): the matrix of dX -> X dX X", lambda X: _square_jacobian(X, product=True),
                "the differential is a sum of two maps, X dX + dX X, not the single sandwich X dX X: "
                "add the two Kronecker matrices"),
    ),
    hints=(
        r"$dF_X$ is the sum of two linear maps, $\Delta X\mapsto X\,\Delta X$ and $\Delta X\mapsto\Delta X\,X$; "
        r"the matrix of a sum is the sum of the matrices.",
        r"Write each as a sandwich $A\,\Delta X\,B$, with an identity for the missing factor.",
        r"Apply $\mathrm{vec}(A\,\Delta X\,B) = (B^\top\otimes A)\,\mathrm{vec}(\Delta X)$ to each sandwich.",
    ),
    solution_text=r"""
Write the two terms as sandwiches: $X\,\Delta X = X\,\Delta X\,I$ and $\Delta X\,X = I\,\Delta X\,X$. By
$\mathrm{vec}(A\,\Delta X\,B) = (B^\top\otimes A)\,\mathrm{vec}(\Delta X)$ ({eq}`eq-8-2-vec-kron`),

$$
\mathrm{vec}(X\,\Delta X + \Delta X\,X) = \big(I\otimes X + X^\top\otimes I\big)\,\mathrm{vec}(\Delta X),
\qquad K = I\otimes X + X^\top\otimes I .
$$

Its transpose $K^\top = I\otimes X^\top + X\otimes I$ is the matrix of the adjoint
$\Delta Y\mapsto X^\top\Delta Y + \Delta Y X^\top$. The $n^2\times n^2$ matrix is for checking: applying
$dF_X$ as two matrix products costs $O(n^3)$, the matrix-vector product with $K$ costs $O(n^4)$.
""",
    solution_code="""\
eye = np.eye(X.shape[0])
solution = np.kron(eye, X) + np.kron(X.T, eye)   # vec(X dX) = (I kron X) vec(dX); vec(dX X) = (X^T kron I) vec(dX)
""",
    evidence=_kron_evidence,
)

# ----------------------------------------------------------------------------- 8.2.7

metric_concept = Exercise(
    id="8.2.7",
    title="What the inner product changes",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
A loss $\mathcal{L}$ on $\mathbb{R}^{m\times n}$ is fixed, and so is the point $W$; $c$ is the Frobenius gradient
there. Replace the Frobenius inner product by
$\langle U, V\rangle_M = \mathrm{vec}(U)^\top M\,\mathrm{vec}(V)$ for a symmetric positive definite $M\neq I$, and
write $g_M$ for the gradient under it. Which of the following **change** (for a typical $\mathcal{L}$, $W$ and $M$,
or for the $M$ an option names)?
""",
    options=(
        Option("a", r"the number $d\mathcal{L}_W[V]$, for each fixed direction $V$", False,
               r"wrong: the differential is defined by $\mathcal{L}$ alone, as the limit of "
               r"$(\mathcal{L}(W + tV) - \mathcal{L}(W))/t$; no inner product enters it"),
        Option("b", r"the gradient", True,
               r"right: it is the representer of $d\mathcal{L}_W$ for the chosen inner product, "
               r"$\mathrm{vec}(g_M) = M^{-1}\mathrm{vec}(c)$, a different matrix from $c$ when $M\neq I$"),
        Option("c", r"the direction of steepest ascent", True,
               r"right: steepest means largest $d\mathcal{L}_W[V]$ among $V$ of unit length, and length is "
               r"measured by $\|\cdot\|_M$; the winner is $g_M/\|g_M\|_M$"),
        Option("d", r"whether $W$ is a critical point (zero gradient)", False,
               r"wrong: $g_M = 0$ exactly when $c = M\,g_M = 0$ ($M$ is invertible): the critical points are "
               r"where the differential vanishes, a property of $\mathcal{L}$"),
        Option("e", r"the largest rate of ascent per unit length, $\max_{\|V\| = 1} d\mathcal{L}_W[V]$", True,
               r"right: it equals $\|g_M\|_M = \sqrt{\mathrm{vec}(c)^\top M^{-1}\mathrm{vec}(c)}$, which depends on "
               r"$M$ (0.566 for $M$ against 0.628 for Frobenius on the page)"),
        Option("f", r"the level sets $\{V : d\mathcal{L}_W[V] = t\}$ of the differential", False,
               r"wrong: they are defined by the linear functional alone; the metric only decides which direction "
               r"counts as perpendicular to them, and so where the gradient points"),
        Option("g", r"whether a small step against the gradient, $W - t\,g_M$ with a small $t > 0$, lowers "
               r"$\mathcal{L}$ (at a $W$ that is not a critical point)", False,
               r"wrong: to first order the change is $-t\,d\mathcal{L}_W[g_M] = -t\,\mathrm{vec}(c)^\top M^{-1}"
               r"\mathrm{vec}(c)$, negative for every symmetric positive definite $M$ since $c\neq0$. The gradients "
               r"of different metrics point in different directions, but each is a direction of ascent"),
        Option("h", r"for $M = 4I$: the direction of steepest ascent", False,
               r"wrong: $g_{4I} = c/4$ points along $c$, and the unit ball of $4I$ is a round ball, only smaller "
               r"(radius $\tfrac12$): the same direction wins. A metric turns the steepest direction only when it is "
               r"not a multiple of $I$; the gradient (b) still changes here, by the factor $\tfrac14$"),
        Option("i", r"for $M = 4I$: the largest rate of ascent per unit length", True,
               r"right: a unit vector now has $\|V\|_F = \tfrac12$, so the largest rate is $\tfrac12\|c\|_F$, "
               r"half the Frobenius value. It is $\|g_{4I}\|_{4I} = 2\,\|c/4\|_F$, not the Frobenius length of the "
               r"new gradient, $\tfrac14\|c\|_F$"),
    ),
    hints=(
        r"Sort the objects: which are defined by $\mathcal{L}$ alone, and which use a length or an angle?",
        r"The differential is a limit of difference quotients; the gradient, and the length that makes a "
        r"direction a unit direction, are defined through the inner product.",
        r"Write each object with $c$ and $M$ alone, in $\mathrm{vec}$ form: the gradient "
        r"$\mathrm{vec}(g_M) = M^{-1}\mathrm{vec}(c)$, the first-order change along a direction $V$, "
        r"$\langle c, V\rangle_F$, and the unit sphere "
        r"$\mathrm{vec}(V)^\top M\,\mathrm{vec}(V) = 1$. An object changes when its expression does, for the $M$ "
        r"in question.",
    ),
    solution_text=r"""
The differential $d\mathcal{L}_W$ is a property of $\mathcal{L}$: its values (a) and its level sets (f) do
not involve an inner product. The gradient is its representer, $\mathrm{vec}(g_M) = M^{-1}\mathrm{vec}(c)$,
so it changes (b). Steepest ascent maximizes $d\mathcal{L}_W[V] = \langle g_M, V\rangle_M$ over
$\|V\|_M = 1$; by Cauchy–Schwarz the maximizer is $g_M/\|g_M\|_M$ and the maximum is $\|g_M\|_M$, and both
change with $M$ (c, e). Finally $g_M = 0 \iff c = 0$ since $M$ is invertible, so the critical points do
not change (d).

What the metric cannot change is that its gradient is an ascent direction:
$d\mathcal{L}_W[g_M] = \mathrm{vec}(c)^\top M^{-1}\mathrm{vec}(c) > 0$, so a small step against $g_M$ lowers the
loss whatever $M$ is (g). For $M = 4I$, $g_{4I} = c/4$ points along $c$ and the unit sphere is the round
sphere $\|V\|_F = \tfrac12$, so the steepest direction is the Frobenius one (h); but the largest rate per unit
length is $\|g_{4I}\|_{4I} = \sqrt{\mathrm{vec}(c)^\top\mathrm{vec}(c)/4} = \tfrac12\|c\|_F$, half the Frobenius
value (i). The answer is (b), (c), (e), (i).
""",
)

register(trace_AXB, trace_XtAX, residual_norm, log_det, metric_gradient, kron_square, metric_concept)
