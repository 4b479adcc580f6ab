"""Exercises for 8.7: an optimizer is a choice of metric (a Riesz map from covectors to steps).

- 8.7.1 the preconditioned step ``-eta M^{-1} g`` on a quadratic (array);
- 8.7.2 the steepest-descent direction of unit ``M``-norm (array);
- 8.7.3 the natural gradient of logistic regression, ``F^{-1} g`` (array);
- 8.7.4 plain gradient descent in other coordinates is a metric step: ``-eta C C^T g`` (array).
"""

from __future__ import annotations

import numpy as np

from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _spd(rng, n, shift=0.5):
    C = rng.standard_normal((n, n))
    return C @ C.T + shift * np.eye(n)


# ----------------------------------------------------------------------------- 8.7.1


def _quadratic_data(rng):
    return {"H": _spd(rng, 3, 1.0), "c": rng.standard_normal(3), "theta": rng.standard_normal(3),
            "M": _spd(rng, 3, 1.0), "eta": 0.1}


def _quadratic_evidence(data, step):
    H, c, theta = data["H"], data["c"], data["theta"]
    L = lambda t: 0.5 * t @ H @ t - c @ t  # noqa: E731
    return f"the loss goes from L(theta) = {L(theta):.6f} to L(theta + step) = {L(theta + step):.6f}"


preconditioned_step = Exercise(
    id="8.7.1",
    title="A preconditioned gradient step",
    level="easy",
    statement=r"""
Let $\mathcal{L}(\theta) = \tfrac12\theta^\top H\theta - c^\top\theta$ on $\mathbb{R}^3$, with $H$ the
symmetric matrix of the data ($H = H^\top$). Gradient descent
under the metric $\langle u, v\rangle_M = u^\top M v$ takes the step along the $M$-gradient,
with learning rate $\eta$ (`eta` $= 0.1$).

Compute the step $\Delta\theta$ (the change of $\theta$, not the new $\theta$) from the point
`theta` of the data.
""",
    build=_quadratic_data,
    solution=lambda H, c, theta, M, eta: -eta * np.linalg.solve(M, H @ theta - c),
    mistakes=(
        Mistake("used M instead of M^-1", lambda H, c, theta, M, eta: -eta * M @ (H @ theta - c),
                "the M-gradient G solves M G = g (Riesz: <G, u>_M = dL[u]); the step is -eta M^-1 g, a solve, not a product"),
        Mistake("forgot the learning rate", lambda H, c, theta, M, eta: -np.linalg.solve(M, H @ theta - c),
                "the step is scaled by eta"),
        Mistake("ignored the metric: a plain gradient step", lambda H, c, theta, M, eta: -eta * (H @ theta - c),
                "-eta g is the step for the Euclidean metric; under <u, v>_M the gradient is M^-1 g"),
    ),
    hint=r"""
The Euclidean gradient is $g = H\theta - c$. Its Riesz representer under $M$ solves $MG = g$;
the step goes against it, scaled by $\eta$.
""",
    solution_code="""\
g = H @ theta - c
solution = -eta * np.linalg.solve(M, g)
""",
    evidence=_quadratic_evidence,
)

# ----------------------------------------------------------------------------- 8.7.2


def _direction_data(rng):
    return {"g": rng.standard_normal(3), "M": _spd(rng, 3, 0.3)}


def _unit(u, M):
    return u / np.sqrt(u @ M @ u)


def _direction_evidence(data, u):
    g, M = data["g"], data["M"]
    best = -np.sqrt(g @ np.linalg.solve(M, g))
    return f"|u|_M = {np.sqrt(u @ M @ u):.6f} (should be 1); <g, u> = {g @ u:.6f}, the smallest possible on the unit M-sphere is {best:.6f}"


steepest_direction = Exercise(
    id="8.7.2",
    title="Steepest descent on the unit sphere of a metric",
    level="medium",
    statement=r"""
At some point the differential of a loss is the covector $u\mapsto g^\top u$ (`g` in the data).
Among all directions $u$ of unit length **for the metric** $M$, that is $u^\top M u = 1$,
find the one along which the loss decreases fastest: the $u$ minimizing $g^\top u$.
""",
    build=_direction_data,
    solution=lambda g, M: _unit(-np.linalg.solve(M, g), M),
    mistakes=(
        Mistake("normalized in the Euclidean norm instead of the M-norm", lambda g, M: -np.linalg.solve(M, g) / np.linalg.norm(np.linalg.solve(M, g)),
                "the constraint is u^T M u = 1: divide M^-1 g by its M-norm sqrt(g^T M^-1 g)"),
        Mistake("not normalized: -M^-1 g", lambda g, M: -np.linalg.solve(M, g),
                "-M^-1 g points the right way; rescale it to unit M-norm"),
        Mistake("the Euclidean direction -g, rescaled to unit M-norm", lambda g, M: _unit(-g, M),
                "minimize g^T u subject to u^T M u = 1 (a Lagrange multiplier): g = -2 mu M u, so u is proportional to -M^-1 g"),
    ),
    hint=r"""
Minimize $g^\top u$ subject to $u^\top Mu = 1$ with a Lagrange multiplier, or substitute
$u = M^{-1/2}w$ and solve the Euclidean problem for $w$.
""",
    solution_code="""\
v = -np.linalg.solve(M, g)        # the direction: minus the M-gradient
solution = v / np.sqrt(v @ M @ v)  # scaled to unit M-norm
""",
    evidence=_direction_evidence,
)

# ----------------------------------------------------------------------------- 8.7.3


def _logistic_data(rng):
    X = rng.standard_normal((3, 8))
    theta = 0.5 * rng.standard_normal(3)
    y = (rng.random(8) < 0.5).astype(float)
    return {"X": X, "y": y, "theta": theta}


def _fisher_parts(X, y, theta):
    p = 1.0 / (1.0 + np.exp(-(X.T @ theta)))
    g = X @ (p - y)
    F = (X * (p * (1 - p))) @ X.T
    return g, F


def _solve_fisher(X, y, theta, *, multiply=False):
    g, F = _fisher_parts(X, y, theta)
    return F @ g if multiply else np.linalg.solve(F, g)


def _natural_evidence(data, n):
    g, F = _fisher_parts(data["X"], data["y"], data["theta"])
    rel = np.linalg.norm(F @ n - g) / np.linalg.norm(g)
    return f"F times your answer reproduces the Euclidean gradient g up to a relative error of {rel:.1e}"


natural_gradient = Exercise(
    id="8.7.3",
    title="The natural gradient of logistic regression",
    level="medium",
    statement=r"""
Logistic regression with the examples as the **columns** of $X\in\mathbb{R}^{3\times8}$ and labels
$y\in\{0,1\}^8$: $p = \sigma(X^\top\theta)$ entrywise, and the loss is the summed negative
log-likelihood $\mathcal{L}(\theta) = \sum_k \big[\log(1 + e^{x_k^\top\theta}) - y_k x_k^\top\theta\big]$.
Its Fisher information is $F = \sum_k p_k(1-p_k)\,x_kx_k^\top$, the metric of natural gradient descent.

Compute the natural gradient $F^{-1}\nabla_\theta\mathcal{L}$ at the data's `theta`.
""",
    build=_logistic_data,
    solution=lambda X, y, theta: _solve_fisher(X, y, theta),
    mistakes=(
        Mistake("F g: multiplied by the Fisher matrix instead of solving with it", lambda X, y, theta: _solve_fisher(X, y, theta, multiply=True),
                "the natural gradient is the Riesz representer under <u, v>_F = u^T F v: it solves F n = g"),
        Mistake("(X X^T)^-1 g: the weights p(1-p) are missing from F", lambda X, y, theta: np.linalg.solve(X @ X.T, _fisher_parts(X, y, theta)[0]),
                "each example enters F with the weight p_k (1 - p_k), the variance of its label under the model"),
        Mistake("g: the Euclidean gradient", lambda X, y, theta: _fisher_parts(X, y, theta)[0],
                "that is the gradient for the plain dot product; the natural gradient applies F^-1 to it"),
    ),
    hint=r"""
$\nabla_\theta\mathcal{L} = X(p - y)$ and $F = X\,\mathrm{Diag}(p\odot(1-p))\,X^\top$; then solve a
$3\times3$ linear system.
""",
    solution_code="""\
p = 1 / (1 + np.exp(-(X.T @ theta)))
g = X @ (p - y)                          # Euclidean gradient
F = (X * (p * (1 - p))) @ X.T            # Fisher information
solution = np.linalg.solve(F, g)         # natural gradient F^-1 g
""",
    evidence=_natural_evidence,
)

# ----------------------------------------------------------------------------- 8.7.4


def _reparam_data(rng):
    C = np.eye(3) + 0.6 * rng.standard_normal((3, 3))
    return {"C": C, "g": rng.standard_normal(3), "eta": 0.1}


reparametrized_descent = Exercise(
    id="8.7.4",
    title="Plain gradient descent in other coordinates",
    level="hard",
    statement=r"""
Parametrize $\theta = C\varphi$ with the invertible $C$ of the data, and run **plain** gradient
descent on $\varphi$ (learning rate $\eta = 0.1$) for the same loss $\mathcal{L}$. At a point where
$\nabla_\theta\mathcal{L} = g$ (in the data), one step changes $\varphi$ by $\Delta\varphi$, hence
$\theta$ by $\Delta\theta = C\Delta\varphi$.

Compute $\Delta\theta$. (It is a metric gradient step in $\theta$: which metric?)
""",
    build=_reparam_data,
    solution=lambda C, g, eta: -eta * C @ (C.T @ g),
    mistakes=(
        Mistake("-eta g: assumed the step does not depend on the coordinates", lambda C, g, eta: -eta * g,
                "the gradient in phi is the pullback C^T g, and the step must be mapped back by C: coordinates change the step"),
        Mistake("-eta C^T g: that is the step in phi, not mapped back to theta", lambda C, g, eta: -eta * C.T @ g,
                "Delta phi = -eta C^T g lives in phi-coordinates; the question asks for Delta theta = C Delta phi"),
        Mistake("-eta C^-1 C^-T g: the metric inverted", lambda C, g, eta: -eta * np.linalg.solve(C, np.linalg.solve(C.T, g)),
                "by the chain rule grad_phi = C^T g (a pullback by the adjoint), not C^-1 g; then Delta theta = C Delta phi"),
    ),
    hint=r"""
$\mathcal{L}(C\varphi)$ has the $\varphi$-gradient $C^\top g$ (the adjoint pulls the covector back).
Take the step in $\varphi$ and push it forward with $C$. The result is $-\eta M^{-1}g$ with
$M = (CC^\top)^{-1}$.
""",
    solution_code="""\
dphi = -eta * C.T @ g     # plain gradient step in phi: grad_phi = C^T g
solution = C @ dphi       # the same step seen in theta: -eta C C^T g
""",
)

register(preconditioned_step, steepest_direction, natural_gradient, reparametrized_descent)
