"""Exercises for 8.3: read the gradient off the trace, the least-squares family.

- 8.3.1 ``1/2 |W x - b|^2``: ``r x^T``;
- 8.3.2 a batch as columns: ``R X^T`` (summed, not averaged);
- 8.3.3 with a ridge term: ``R X^T + lambda W``;
- 8.3.4 two factors ``U V x``: the gradient for ``V`` is ``U^T r x^T``.
"""

from __future__ import annotations

import numpy as np

from .evidence import gradient_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.3.1


def _ls_data(rng):
    return {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(3)}


least_squares_gradient = Exercise(
    id="8.3.1",
    title="The least-squares gradient",
    level="easy",
    statement=r"""
For $W\in\mathbb{R}^{3\times4}$, $x\in\mathbb{R}^4$, $b\in\mathbb{R}^3$, let
$\mathcal{L}(W) = \tfrac12\|Wx - b\|^2$. With the residual $r = Wx - b$, find
$\nabla_W\mathcal{L}$ at the data's `W`, `x`, `b`.
""",
    build=_ls_data,
    solution=lambda W, x, b: np.outer(W @ x - b, x),
    mistakes=(
        Mistake("x r^T: the outer product the wrong way round", lambda W, x, b: np.outer(x, W @ x - b),
                "the gradient has the shape of W (3 x 4): r^T dW x = tr(x r^T dW) = <r x^T, dW>_F, so it is r x^T"),
        Mistake("(W x) x^T: the target b was dropped", lambda W, x, b: np.outer(W @ x, x),
                "the residual is r = W x - b; the target b stays in it"),
        Mistake("2 r x^T: the 1/2 was not cancelled", lambda W, x, b: 2 * np.outer(W @ x - b, x),
                "the 1/2 in front cancels the 2 from differentiating the square: dL = r^T dr"),
    ),
    hint=r"""
$\delta r = (\Delta W)x$, so $d\mathcal{L} = r^\top(\Delta W)x$. Write this scalar as a trace and
rotate until $\Delta W$ stands last.
""",
    solution_code="""\
r = W @ x - b
solution = np.outer(r, x)   # r x^T
""",
    evidence=gradient_evidence(lambda W, x, b: ((lambda Z: 0.5 * float(np.sum((Z @ x - b) ** 2))), W)),
)

# ----------------------------------------------------------------------------- 8.3.2


def _batch_data(rng):
    return {"W": rng.standard_normal((3, 4)), "X": rng.standard_normal((4, 6)), "T": rng.standard_normal((3, 6))}


least_squares_batch = Exercise(
    id="8.3.2",
    title="A batch of examples as columns",
    level="medium",
    statement=r"""
Now the data are a batch of $N = 6$ examples, stored as the **columns** of
$X\in\mathbb{R}^{4\times6}$, with their targets as the columns of $T\in\mathbb{R}^{3\times 6}$.
The loss is the **sum** over the batch,
$\mathcal{L}(W) = \tfrac12\sum_k\|Wx_k - t_k\|^2 = \tfrac12\|WX - T\|_F^2$.
Find $\nabla_W\mathcal{L}$ in closed form (one matrix product, no loop).
""",
    build=_batch_data,
    solution=lambda W, X, T: (W @ X - T) @ X.T,
    mistakes=(
        Mistake("R X^T / N: averaged over the batch, but the loss is a sum", lambda W, X, T: (W @ X - T) @ X.T / X.shape[1],
                "this loss adds the examples' losses; its gradient adds their gradients r_k x_k^T, with no 1/N"),
        Mistake("r_1 x_1^T: only the first example", lambda W, X, T: np.outer(W @ X[:, 0] - T[:, 0], X[:, 0]),
                "every column contributes r_k x_k^T; the sum of these outer products is R X^T"),
        Mistake("X R^T: the transpose of the gradient", lambda W, X, T: X @ (W @ X - T).T,
                "the gradient has the shape of W (3 x 4): <R, dW X>_F = tr(R^T dW X) = <R X^T, dW>_F"),
    ),
    hint=r"""
With $R = WX - T$ (one residual per column), $d\mathcal{L} = \langle R, (\Delta W)X\rangle_F$. The
sum over examples of $r_kx_k^\top$ is a single matrix product.
""",
    solution_code="""\
R = W @ X - T
solution = R @ X.T   # = sum over columns k of r_k x_k^T
""",
    evidence=gradient_evidence(lambda W, X, T: ((lambda Z: 0.5 * float(np.sum((Z @ X - T) ** 2))), W)),
)

# ----------------------------------------------------------------------------- 8.3.3


def _ridge_data(rng):
    d = _batch_data(rng)
    d["lam"] = 0.3
    return d


ridge = Exercise(
    id="8.3.3",
    title="Least squares with a ridge penalty",
    level="medium",
    statement=r"""
Add a penalty on the size of $W$ to the batch loss of 8.3.2:
$\mathcal{L}(W) = \tfrac12\|WX - T\|_F^2 + \tfrac{\lambda}{2}\|W\|_F^2$ with $\lambda = $ `lam`
$= 0.3$. Find $\nabla_W\mathcal{L}$.
""",
    build=_ridge_data,
    solution=lambda W, X, T, lam: (W @ X - T) @ X.T + lam * W,
    mistakes=(
        Mistake("the ridge term is missing", lambda W, X, T, lam: (W @ X - T) @ X.T,
                "the penalty lam/2 |W|_F^2 has its own gradient, lam W; gradients of a sum add"),
        Mistake("2 lam W: the 1/2 of the penalty was not cancelled", lambda W, X, T, lam: (W @ X - T) @ X.T + 2 * lam * W,
                "d(1/2 |W|_F^2) = <W, dW>_F: the 1/2 cancels the 2"),
        Mistake("lam R X^T + lam W: lam multiplies only the penalty", lambda W, X, T, lam: lam * ((W @ X - T) @ X.T + W),
                "lam weights the penalty only; the data term keeps its coefficient 1/2"),
    ),
    hint=r"""
The gradient of a sum is the sum of the gradients. $\tfrac12\|W\|_F^2 = \tfrac12\langle W, W\rangle_F$
changes by $\langle W, \Delta W\rangle_F$ to first order.
""",
    solution_code="""\
R = W @ X - T
solution = R @ X.T + lam * W
""",
    evidence=gradient_evidence(lambda W, X, T, lam: ((lambda Z: 0.5 * float(np.sum((Z @ X - T) ** 2)) + 0.5 * lam * float(np.sum(Z**2))), W)),
)

# ----------------------------------------------------------------------------- 8.3.4


def _factor_data(rng):
    return {"U": rng.standard_normal((3, 2)), "V": rng.standard_normal((2, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(3)}


two_factors = Exercise(
    id="8.3.4",
    title="A product of two weight matrices",
    level="hard",
    statement=r"""
A linear model with a bottleneck: $\mathcal{L}(U, V) = \tfrac12\|UVx - b\|^2$ with
$U\in\mathbb{R}^{3\times2}$, $V\in\mathbb{R}^{2\times4}$, $x\in\mathbb{R}^4$, $b\in\mathbb{R}^3$, and
$r = UVx - b$. Find the gradient with respect to $V$, $\nabla_V\mathcal{L}$, with $U$ held fixed.
""",
    build=_factor_data,
    solution=lambda U, V, x, b: np.outer(U.T @ (U @ V @ x - b), x),
    mistakes=(
        Mistake("r x^T: U^T is missing (r was not pulled back through U)", lambda U, V, x, b: np.outer(U @ V @ x - b, x),
                "a change dV moves the residual by dr = U dV x; so r^T dr = (U^T r)^T dV x: the error reaching V is U^T r"),
        Mistake("r (V x)^T: that is the gradient for U", lambda U, V, x, b: np.outer(U @ V @ x - b, V @ x),
                "r (V x)^T answers the question for U (its input is V x); for V, perturb V and keep U fixed"),
        Mistake("(U^T r)(V x)^T: the wrong input to V", lambda U, V, x, b: np.outer(U.T @ (U @ V @ x - b), V @ x),
                "the input of V is x itself; V x is the input of U"),
    ),
    hint=r"""
Only $V$ moves: $\delta r = U(\Delta V)x$. Then $r^\top U(\Delta V)x = (U^\top r)^\top(\Delta V)x$: the
same pattern as 8.3.1 with $U^\top r$ in the role of the residual.
""",
    solution_code="""\
r = U @ V @ x - b
solution = np.outer(U.T @ r, x)   # (U^T r) x^T
""",
    evidence=gradient_evidence(lambda U, V, x, b: ((lambda Z: 0.5 * float(np.sum((U @ Z @ x - b) ** 2))), V)),
)

register(least_squares_gradient, least_squares_batch, ridge, two_factors)
