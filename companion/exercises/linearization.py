"""Exercises for 8.1: a matrix is a linear map; a derivative is the linear map that best fits.

- 8.1.1 the Jacobian of a map of the plane at a point (array);
- 8.1.2 the matrix of a linear map in another basis (array);
- 8.1.3 the differential of ``X -> X^2``, written as a function ``dF(X, dX)``;
- 8.1.4 the differential of ``X -> X^{-1}``, as a function.
"""

from __future__ import annotations

import numpy as np

from .evidence import differential_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.1.1


def _F_plane(x):
    """``F(x) = (x1^2 x2, cos(x1 x2))``: (2,) -> (2,)."""
    return np.array([x[0] ** 2 * x[1], np.cos(x[0] * x[1])])


def _jac_plane(x0, *, product_rule=True, cos_sign=-1.0, inner=True):
    x1, x2 = x0
    s = np.sin(x1 * x2)
    row1 = [2 * x1 * x2 if product_rule else 2 * x1, x1**2]
    row2 = [cos_sign * x2 * s, cos_sign * x1 * s] if inner else [cos_sign * s, cos_sign * s]
    return np.array([row1, row2])


def _jac_evidence(data, J):
    v = np.array([0.6, -0.8])
    return _F_plane, data["x0"], v, J @ v


jacobian_plane = Exercise(
    id="8.1.1",
    title="The Jacobian of a map of the plane",
    level="easy",
    statement=r"""
The map $F:\mathbb{R}^2\to\mathbb{R}^2$, $F(x) = \big(x_1^2\,x_2,\ \cos(x_1 x_2)\big)$, is
differentiable everywhere. Its differential at $x_0$ is a linear map of the plane, and in the
standard bases that map is a $2\times 2$ matrix $J$: row $i$ holds the partial derivatives of
the output $F_i$, column $j$ those with respect to the input $x_j$, so that
$F(x_0+\delta x)\approx F(x_0) + J\,\delta x$.

Compute $J$ at the point `x0` of the data.
""",
    build=lambda rng: {"x0": np.array([0.8, -1.5])},
    solution=lambda x0: _jac_plane(x0),
    mistakes=(
        Mistake("the derivative of cos taken as +sin", lambda x0: _jac_plane(x0, cos_sign=1.0),
                "d/du cos(u) = -sin(u): the second row has the wrong sign"),
        Mistake("chain rule: the inner derivative of cos(x1 x2) is missing", lambda x0: _jac_plane(x0, inner=False),
                "cos(x1 x2) depends on x1 through u = x1 x2: multiply -sin(u) by du/dx1 = x2 (and by du/dx2 = x1)"),
        Mistake("product rule: dropped x2 in d(x1^2 x2)/dx1", lambda x0: _jac_plane(x0, product_rule=False),
                "x2 is a constant when differentiating in x1: d(x1^2 x2)/dx1 = 2 x1 x2"),
    ),
    hint=r"""
Differentiate each output in each input: $\partial(x_1^2x_2)/\partial x_1 = 2x_1x_2$, and for
the cosine use the chain rule through $u = x_1x_2$. Rows are outputs, columns are inputs.
""",
    solution_code="""\
x1, x2 = x0
s = np.sin(x1 * x2)
solution = np.array([[2 * x1 * x2, x1**2],
                     [-x2 * s, -x1 * s]])
""",
    evidence=differential_evidence(_jac_evidence),
)

# ----------------------------------------------------------------------------- 8.1.2


def _basis_data(rng):
    A = np.round(rng.standard_normal((2, 2)), 2)
    B = np.array([[1.0, 1.0], [0.0, 2.0]]) + np.round(0.3 * rng.standard_normal((2, 2)), 2)
    return {"A": A, "B": B}


def _basis_evidence(data, C):
    A, B = data["A"], data["B"]
    c = np.array([0.3, -1.1])
    gap = np.linalg.norm(A @ (B @ c) - B @ (C @ c)) / np.linalg.norm(A @ (B @ c))
    return f"for the coordinates c = (0.3, -1.1): T(B c) = A B c and B (C c) differ by {gap:.1e} (relative)"


change_of_basis = Exercise(
    id="8.1.2",
    title="The same linear map in another basis",
    level="easy",
    statement=r"""
A linear map $T$ of the plane has the matrix $A$ in the standard basis: $T(x) = Ax$. Take a
new basis whose vectors are the columns of the invertible matrix $B$, so that the vector
with new coordinates $c$ is $Bc$.

Find the matrix $C$ of the same map $T$ in the new basis: the matrix that takes the new
coordinates of $x$ to the new coordinates of $T(x)$.
""",
    build=_basis_data,
    solution=lambda A, B: np.linalg.solve(B, A @ B),
    mistakes=(
        Mistake("B A B^-1: converted in the wrong direction", lambda A, B: B @ A @ np.linalg.inv(B),
                "B turns new coordinates into standard ones; so first apply B to c, then A, then go back with B^-1"),
        Mistake("A B: the output was not converted back", lambda A, B: A @ B,
                "A B c is T(x) in standard coordinates; its new coordinates are B^-1 (A B c)"),
        Mistake("B^-1 A: the input was not converted", lambda A, B: np.linalg.solve(B, A),
                "A acts on standard coordinates, so the new coordinates c must first become B c"),
    ),
    hint=r"""
Follow a vector around: new coordinates $c$ $\to$ the vector $Bc$ $\to$ its image $ABc$
$\to$ the new coordinates of the image. The matrix is the product of the three steps.
""",
    solution_code="""\
solution = np.linalg.solve(B, A @ B)   # B^-1 A B, without forming the inverse
""",
    evidence=_basis_evidence,
)

# ----------------------------------------------------------------------------- 8.1.3


def _square_trials(rng, **_):
    return [(rng.standard_normal((n, n)), rng.standard_normal((n, n))) for n in (2, 3, 4, 3)]


def _square_data(rng):
    return {"X": rng.standard_normal((3, 3)), "dX": rng.standard_normal((3, 3))}


def _square_evidence(data, dF):
    X, dX = data["X"], data["dX"]
    return (lambda Z: Z @ Z), X, dX, dF(X, dX)


differential_square = Exercise(
    id="8.1.3",
    title="The differential of the matrix square",
    level="medium",
    kind="function",
    signature="dF(X, dX)",
    statement=r"""
Let $F(X) = X^2 = XX$ on square matrices. Its differential at $X$ is a linear map
$\Delta X \mapsto dF_X[\Delta X]$, the part of $F(X + \Delta X) - F(X)$ that is linear in
$\Delta X$.

Write a function `dF(X, dX)` that returns $dF_X[\Delta X]$ for square arrays `X`, `dX` of the
same size (any size). The data hold one example pair; your function is also tried on others.
""",
    build=_square_data,
    solution=lambda X, dX: (lambda X, dX: X @ dX + dX @ X),
    trials=_square_trials,
    mistakes=(
        Mistake("2 X dX: the scalar rule, but matrices do not commute", lambda X, dX: (lambda X, dX: 2 * X @ dX),
                "expand (X + dX)(X + dX) = X^2 + X dX + dX X + dX^2: the two middle terms differ when X dX != dX X"),
        Mistake("only X dX: one of the two first-order terms is missing", lambda X, dX: (lambda X, dX: X @ dX),
                "the perturbation enters through both factors of X X: keep X dX and dX X"),
        Mistake("only dX X: one of the two first-order terms is missing", lambda X, dX: (lambda X, dX: dX @ X),
                "the perturbation enters through both factors of X X: keep X dX and dX X"),
    ),
    hint=r"""
Expand $(X+\Delta X)(X+\Delta X)$ and keep the terms of first order in $\Delta X$, minding the
order of the factors.
""",
    solution_code="""\
def dF(X, dX):
    \"\"\"dF_X[dX] = X dX + dX X for F(X) = X^2; X, dX: (n, n).\"\"\"
    return X @ dX + dX @ X

solution = dF
""",
    evidence=differential_evidence(_square_evidence),
)

# ----------------------------------------------------------------------------- 8.1.4


def _well_conditioned(rng, n):
    return 2.0 * np.eye(n) + 0.4 * rng.standard_normal((n, n))


def _inverse_trials(rng, **_):
    return [(_well_conditioned(rng, n), rng.standard_normal((n, n))) for n in (2, 3, 4, 3)]


def _inverse_data(rng):
    return {"X": _well_conditioned(rng, 3), "dX": rng.standard_normal((3, 3))}


def _inverse_evidence(data, dF):
    X, dX = data["X"], data["dX"]
    return np.linalg.inv, X, dX, dF(X, dX)


def _inv_dF(X, dX):
    Xi = np.linalg.inv(X)
    return -Xi @ dX @ Xi


differential_inverse = Exercise(
    id="8.1.4",
    title="The differential of the matrix inverse",
    level="hard",
    kind="function",
    signature="dF(X, dX)",
    statement=r"""
Let $F(X) = X^{-1}$ on invertible square matrices. Write a function `dF(X, dX)` returning
the differential $dF_X[\Delta X]$: the first-order change of $X^{-1}$ when $X$ moves to
$X + \Delta X$.

Check your formula yourself before submitting it: with `companion.taylor_test(np.linalg.inv, X, dX, dF(X, dX))`
the remainder should shrink like $\varepsilon^2$.
""",
    build=_inverse_data,
    solution=lambda X, dX: _inv_dF,
    trials=_inverse_trials,
    mistakes=(
        Mistake("-X^-2 dX: the scalar rule d(1/x) = -dx/x^2", lambda X, dX: (lambda X, dX: -np.linalg.inv(X @ X) @ dX),
                "matrices do not commute: dX must sit between the two inverses, -X^-1 dX X^-1"),
        Mistake("X^-1 dX X^-1: the minus sign is lost", lambda X, dX: (lambda X, dX: -_inv_dF(X, dX)),
                "differentiate X X^-1 = I: dX X^-1 + X d(X^-1) = 0, so d(X^-1) = -X^-1 dX X^-1"),
    ),
    hint=r"""
Differentiate the identity $X X^{-1} = I$ with the product rule and solve for
$d(X^{-1})$. Keep the factors in order.
""",
    solution_code="""\
def dF(X, dX):
    \"\"\"d(X^-1)[dX] = -X^-1 dX X^-1; X invertible (n, n), dX (n, n).\"\"\"
    Xi = np.linalg.inv(X)
    return -Xi @ dX @ Xi

solution = dF
""",
    evidence=differential_evidence(_inverse_evidence),
)

register(jacobian_plane, change_of_basis, differential_square, differential_inverse)
