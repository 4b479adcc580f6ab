"""Exercises for 8.4: the adjoint, defined by <A v, w> = <v, A* w>, and the pullback.

- 8.4.1 the adjoint of ``X -> A X B`` (a function ``adjoint(Y)``);
- 8.4.2 the adjoint of a matrix under two metrics: ``M_x^{-1} A^T M_y`` (array);
- 8.4.3 pulling a covector back through ``x -> A tanh(B x)`` (array);
- 8.4.4 the adjoint of ``X -> A X + X^T B`` (a function).
"""

from __future__ import annotations

import numpy as np

from .evidence import adjoint_evidence, gradient_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.4.1


def _axb_data(rng):
    return {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((4, 4)), "Y": rng.standard_normal((3, 4))}


def _axb_trials(rng, A, B, Y):
    return [(rng.standard_normal(Y.shape),) for _ in range(3)]


adjoint_AXB = Exercise(
    id="8.4.1",
    title="The adjoint of X -> A X B",
    level="easy",
    kind="function",
    signature="adjoint(Y)",
    statement=r"""
Fix $A\in\mathbb{R}^{3\times3}$ and $B\in\mathbb{R}^{4\times4}$ (in the data) and let
$\mathcal{A}(X) = AXB$, a linear map from $\mathbb{R}^{3\times4}$ to itself, both sides with the
Frobenius inner product. Write a function `adjoint(Y)` returning $\mathcal{A}^*(Y)$, the
map with $\langle \mathcal{A}(X), Y\rangle_F = \langle X, \mathcal{A}^*(Y)\rangle_F$ for all $X, Y$.
Your function may use the data's `A` and `B` as fixed matrices.
""",
    build=_axb_data,
    solution=lambda A, B, Y: (lambda Y: A.T @ Y @ B.T),
    trials=_axb_trials,
    mistakes=(
        Mistake("A Y B: the map itself, it is not self-adjoint", lambda A, B, Y: (lambda Y: A @ Y @ B),
                "tr((A X B)^T Y) = tr(X^T A^T Y B^T) after cycling B^T to the end: the adjoint is Y -> A^T Y B^T"),
        Mistake("A^T Y B: B was not transposed", lambda A, B, Y: (lambda Y: A.T @ Y @ B),
                "B multiplies X on the right; moving it across the pairing transposes it as well: Y B^T"),
        Mistake("A Y B^T: A was not transposed", lambda A, B, Y: (lambda Y: A @ Y @ B.T),
                "A multiplies X on the left; moving it across the pairing transposes it: A^T Y"),
    ),
    hint=r"""
Write $\langle AXB, Y\rangle_F = \mathrm{tr}(B^\top X^\top A^\top Y)$ and cycle the trace until it reads
$\mathrm{tr}(X^\top\,\cdot\,)$.
""",
    solution_code="""\
def adjoint(Y):
    \"\"\"A*(Y) = A^T Y B^T for A(X) = A X B; Y (3, 4) -> (3, 4).\"\"\"
    return A.T @ Y @ B.T

solution = adjoint
""",
    evidence=adjoint_evidence(lambda data, adj: ((lambda X: data["A"] @ X @ data["B"]), adj, (3, 4), None, None)),
)

# ----------------------------------------------------------------------------- 8.4.2


def _spd(rng, n, shift):
    C = rng.standard_normal((n, n))
    return C @ C.T + shift * np.eye(n)


def _metric_adjoint_data(rng):
    return {"A": rng.standard_normal((3, 2)), "M_x": _spd(rng, 2, 0.5), "M_y": _spd(rng, 3, 0.5)}


metric_adjoint = Exercise(
    id="8.4.2",
    title="The adjoint under two metrics",
    level="medium",
    statement=r"""
The matrix $A\in\mathbb{R}^{3\times2}$ maps $V = \mathbb{R}^2$ to $W = \mathbb{R}^3$. Give $V$ the
inner product $\langle v, v'\rangle_V = v^\top M_x v'$ and $W$ the inner product
$\langle w, w'\rangle_W = w^\top M_y w'$ (both SPD, in the data as `M_x`, `M_y`).

Find the $2\times 3$ matrix of the adjoint $A^*$, defined by
$\langle Av, w\rangle_W = \langle v, A^*w\rangle_V$ for all $v, w$. (With the plain dot products it
would be $A^\top$.)
""",
    build=_metric_adjoint_data,
    solution=lambda A, M_x, M_y: np.linalg.solve(M_x, A.T @ M_y),
    mistakes=(
        Mistake("A^T: the Euclidean adjoint, the metrics were ignored", lambda A, M_x, M_y: A.T,
                "A^T is the adjoint for the dot products only; write (A v)^T M_y w = v^T M_x (A* w) for all v, w"),
        Mistake("M_x A^T M_y^-1: the metrics inverted the wrong way", lambda A, M_x, M_y: M_x @ A.T @ np.linalg.inv(M_y),
                "from v^T A^T M_y w = v^T M_x A* w for all v: M_x A* = A^T M_y, so A* = M_x^-1 A^T M_y"),
        Mistake("A^T M_y: M_x^-1 is missing", lambda A, M_x, M_y: A.T @ M_y,
                "A^T M_y w is the covector v -> <A v, w>_W; turning it into a vector of V needs the Riesz map M_x^-1"),
        Mistake("M_x^-1 A^T: M_y is missing", lambda A, M_x, M_y: np.linalg.solve(M_x, A.T),
                "the pairing in W is w^T M_y w': the metric of W enters as M_y on the right"),
    ),
    hint=r"""
Expand both sides: $(Av)^\top M_y w = v^\top M_x (A^*w)$ must hold for every $v$, so
$M_x A^* = A^\top M_y$.
""",
    solution_code="""\
solution = np.linalg.solve(M_x, A.T @ M_y)   # M_x^-1 A^T M_y
""",
    evidence=adjoint_evidence(lambda data, As: ((lambda v: data["A"] @ v), (lambda w: As @ w), (2,), data["M_x"], data["M_y"])),
)

# ----------------------------------------------------------------------------- 8.4.3


def _pullback_data(rng):
    return {"A": rng.standard_normal((2, 4)), "B": rng.standard_normal((4, 3)) / np.sqrt(3),
            "x": rng.standard_normal(3), "eta": rng.standard_normal(2)}


def _pullback(A, B, x, eta, *, deriv=lambda z: 1.0 - np.tanh(z) ** 2):
    return B.T @ (deriv(B @ x) * (A.T @ eta))


pullback_composition = Exercise(
    id="8.4.3",
    title="Pulling a covector back through a composition",
    level="medium",
    statement=r"""
Let $F(x) = A\tanh(Bx)$ with $B\in\mathbb{R}^{4\times3}$, $A\in\mathbb{R}^{2\times4}$ ($\tanh$
entrywise): three maps in a row, $x\mapsto Bx\mapsto\tanh(Bx)\mapsto A\tanh(Bx)$. A covector
on the output is given by the vector $\eta$ = `eta`, acting as $u\mapsto\eta^\top u$.

Compute its pullback to the input, $(dF_x)^*\eta\in\mathbb{R}^3$: the vector $g$ with
$g^\top v = \eta^\top dF_x[v]$ for all $v$. (It is also the gradient of $x\mapsto\eta^\top F(x)$.)
""",
    build=_pullback_data,
    solution=lambda A, B, x, eta: _pullback(A, B, x, eta),
    mistakes=(
        Mistake("B^T A^T eta: the tanh layer was skipped", lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=lambda z: np.ones_like(z)),
                "the pullback goes through every map in reverse order, the tanh included: multiply by tanh'(B x) = 1 - tanh(B x)^2 in between"),
        Mistake("tanh(Bx) used in place of its derivative", lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=np.tanh),
                "the local Jacobian of tanh is Diag(tanh'(z)) = Diag(1 - tanh(z)^2), not Diag(tanh(z))"),
        Mistake("1 - tanh(Bx): the square in tanh' is missing", lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=lambda z: 1.0 - np.tanh(z)),
                "tanh'(z) = 1 - tanh(z)^2"),
    ),
    hint=r"""
$dF_x = A\,D\,B$ with $D = \mathrm{Diag}(1-\tanh^2(Bx))$. Its adjoint reverses the order and
transposes each factor: $B^\top D A^\top$.
""",
    solution_code="""\
z = B @ x
d = 1.0 - np.tanh(z) ** 2              # the diagonal of D
solution = B.T @ (d * (A.T @ eta))     # B^T D A^T eta
""",
    evidence=gradient_evidence(lambda A, B, x, eta: ((lambda z: float(eta @ (A @ np.tanh(B @ z)))), x)),
)

# ----------------------------------------------------------------------------- 8.4.4


def _sylv_data(rng):
    return {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3)), "Y": rng.standard_normal((3, 3))}


def _sylv_trials(rng, A, B, Y):
    return [(rng.standard_normal((3, 3)),) for _ in range(3)]


adjoint_with_transpose = Exercise(
    id="8.4.4",
    title="The adjoint of X -> A X + X^T B",
    level="hard",
    kind="function",
    signature="adjoint(Y)",
    statement=r"""
Fix $A, B\in\mathbb{R}^{3\times3}$ (in the data) and let $\mathcal{T}(X) = AX + X^\top B$, a
linear map of $\mathbb{R}^{3\times3}$ with the Frobenius inner product. Write `adjoint(Y)`
returning $\mathcal{T}^*(Y)$. Test it yourself with
`companion.dot_product_test(T, adjoint, (3, 3))`, where `T` is a function computing $\mathcal{T}$.
""",
    build=_sylv_data,
    solution=lambda A, B, Y: (lambda Y: A.T @ Y + B @ Y.T),
    trials=_sylv_trials,
    mistakes=(
        Mistake("A^T Y + Y B^T: the transpose X^T was treated like X", lambda A, B, Y: (lambda Y: A.T @ Y + Y @ B.T),
                "the transpose on X moves onto Y: <X^T B, Y>_F = tr(B^T X Y) = tr(X^T B Y^T), so X -> X^T B has the adjoint Y -> B Y^T"),
        Mistake("A^T Y + Y^T B: the factors of the second term in the wrong order", lambda A, B, Y: (lambda Y: A.T @ Y + Y.T @ B),
                "<X^T B, Y>_F = tr(B^T X Y) = tr(X^T B Y^T) = <X, B Y^T>_F: B ends up on the left of Y^T"),
        Mistake("A Y + Y^T B: the map itself, it is not self-adjoint", lambda A, B, Y: (lambda Y: A @ Y + Y.T @ B),
                "take the adjoint term by term: X -> A X has adjoint Y -> A^T Y; X -> X^T B has adjoint Y -> B Y^T"),
    ),
    hint=r"""
The adjoint of a sum is the sum of the adjoints. For the second term write
$\langle X^\top B, Y\rangle_F = \mathrm{tr}(B^\top X\, Y)$ and cycle it into the form
$\mathrm{tr}(X^\top\,\cdot\,)$ (a trace equals the trace of the transpose).
""",
    solution_code="""\
def adjoint(Y):
    \"\"\"T*(Y) = A^T Y + B Y^T for T(X) = A X + X^T B; Y (3, 3) -> (3, 3).\"\"\"
    return A.T @ Y + B @ Y.T

solution = adjoint
""",
    evidence=adjoint_evidence(lambda data, adj: ((lambda X: data["A"] @ X + X.T @ data["B"]), adj, (3, 3), None, None)),
)

register(adjoint_AXB, metric_adjoint, pullback_composition, adjoint_with_transpose)
