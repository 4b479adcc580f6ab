"""Exercises for 8.7: an optimizer is a choice of metric (a Riesz map from covectors to steps).

- 8.7.1 the preconditioned step ``-eta M^{-1} g`` on a quadratic, the metric given by a map ``R`` (array);
- 8.7.2 the steepest-descent direction of unit ``M``-norm for a loss seen through a linear map (array);
- 8.7.3 the natural gradient of logistic regression, the Fisher metric built from the scores (array);
- 8.7.4 gradient descent under a metric in other coordinates is a metric step in the old ones (array);
- 8.7.5 (transfer) the natural gradient of ``log det W - tr(W S W^T) / 2`` under ``tr((U W^-1)^T (V W^-1))`` (array);
- 8.7.6 (concept) which objects survive a change of coordinates (choice).
"""

from __future__ import annotations

import numpy as np

from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _spd(rng, n, shift=0.5):
    C = rng.standard_normal((n, n))
    return C @ C.T + shift * np.eye(n)


# ----------------------------------------------------------------------------- 8.7.1


def _quadratic_data(rng):
    H = _spd(rng, 3, 1.0)
    c, theta = rng.standard_normal(3), rng.standard_normal(3)
    R = np.triu(rng.standard_normal((3, 3))) + 2.0 * np.eye(3)  # invertible, not symmetric
    return {"H": H, "c": c, "theta": theta, "R": R, "eta": 0.1}


def _metric_step(H, c, theta, R, eta, M=None):
    M = R.T @ R if M is None else M
    return -eta * np.linalg.solve(M, H @ theta - c)


def _quadratic_evidence(data, step):
    H, c, theta, R = data["H"], data["c"], data["theta"], data["R"]
    def loss(t):  # the loss of the statement
        return 0.5 * t @ H @ t - c @ t

    step = np.asarray(step, dtype=float)
    u = np.random.default_rng(1).standard_normal(3)
    lhs, rhs = (R @ step) @ (R @ u), -data["eta"] * (H @ theta - c) @ u
    return (
        f"<step, u>_M = {lhs:.6f} and -eta dℒ[u] = {rhs:.6f} for a random tangent u; "
        f"the loss goes from {loss(theta):.6f} to {loss(theta + step):.6f}"
    )


preconditioned_step = Exercise(
    id="8.7.1",
    title="A preconditioned gradient step",
    level="easy",
    category="drill",
    statement=r"""
Let $\mathcal{L}(\theta) = \tfrac12\theta^\top H\theta - c^\top\theta$ on $\mathbb{R}^3$, with $H$ the
symmetric matrix of the data ($H = H^\top$). Lengths are measured after a fixed linear map $R$
(a whitening, say): the inner product is $\langle u, v\rangle = (Ru)^\top(Rv)$. Gradient descent
under this inner product takes the step against the gradient it defines, scaled by the learning rate
$\eta$ (`eta` $= 0.1$).

Compute the step $\Delta\theta$ (the change of $\theta$, not the new $\theta$) from the point
`theta` of the data.
""",
    build=_quadratic_data,
    solution=lambda H, c, theta, R, eta: _metric_step(H, c, theta, R, eta),
    mistakes=(
        Mistake(
            "returned the new theta, not the step",
            lambda H, c, theta, R, eta: theta + _metric_step(H, c, theta, R, eta),
            "your answer is theta + Delta theta: the question asks for the change Delta theta alone; subtract theta",
        ),
        Mistake(
            "M = R R^T: the factors in the wrong order",
            lambda H, c, theta, R, eta: _metric_step(H, c, theta, R, eta, M=R @ R.T),
            "(Ru)^T (Rv) = u^T (R^T R) v: the metric is M = R^T R, not R R^T (R is not symmetric)",
        ),
        Mistake(
            "multiplied by M instead of solving with it",
            lambda H, c, theta, R, eta: -eta * (R.T @ R) @ (H @ theta - c),
            "the gradient G under <u, v>_M solves M G = H theta - c (Riesz: <G, v>_M = dℒ[v] for every v): a solve, "
            "not a product",
        ),
        Mistake(
            "ignored the metric: a plain gradient step",
            lambda H, c, theta, R, eta: -eta * (H @ theta - c),
            "-eta (H theta - c) is the step for the Euclidean inner product; here lengths are measured after R",
        ),
        Mistake(
            "R taken as the metric: -eta R^-1 (H theta - c)",
            lambda H, c, theta, R, eta: -eta * np.linalg.solve(R, H @ theta - c),
            "R is the map applied before measuring, not the metric's matrix: (R u)^T (R v) = u^T (R^T R) v, so "
            "M = R^T R",
        ),
        Mistake(
            "forgot the learning rate",
            lambda H, c, theta, R, eta: _metric_step(H, c, theta, R, 1.0),
            "the step is scaled by eta = 0.1",
        ),
    ),
    hints=(
        r"Write the inner product as $\langle u, v\rangle_M = u^\top M v$: which symmetric $M$ is it?",
        r"Compute the differential first: $d\mathcal{L}_\theta[v] = (H\theta - c)^\top v$ (this uses $H = H^\top$).",
        r"The gradient under $M$ is the vector $G$ with $\langle G, v\rangle_M = d\mathcal{L}_\theta[v]$ for every "
        r"$v$: "
        r"a linear system for $G$. The step goes against $G$, scaled by $\eta$.",
    ),
    solution_text=r"""
The inner product is $(Ru)^\top(Rv) = u^\top R^\top R\,v$, so $M = R^\top R$ (symmetric positive definite,
since $R$ is invertible). The differential of $\mathcal{L}$ is
$d\mathcal{L}_\theta[v] = \tfrac12(v^\top H\theta + \theta^\top Hv) - c^\top v = (H\theta - c)^\top v$, using $H =
H^\top$.
The $M$-gradient $G$ is defined by $G^\top M v = (H\theta - c)^\top v$ for all $v$, that is
$$
M G = H\theta - c, \qquad G = (R^\top R)^{-1}(H\theta - c),
$$
and the step is $\Delta\theta = -\eta\, G$: a linear solve, never an inverse formed explicitly.
""",
    solution_code="""\
M = R.T @ R                                  # <u, v> = (R u)^T (R v) = u^T M v
solution = -eta * np.linalg.solve(M, H @ theta - c)
""",
    evidence=_quadratic_evidence,
)

# ----------------------------------------------------------------------------- 8.7.2


def _direction_data(rng):
    return {"A": rng.standard_normal((4, 3)), "r": rng.standard_normal(4), "M": _spd(rng, 3, 0.3)}


def _unit(u, M):
    return u / np.sqrt(u @ M @ u)


def _direction_evidence(data, u):
    g, M = data["A"].T @ data["r"], data["M"]
    u = np.asarray(u, dtype=float)
    best = -np.sqrt(g @ np.linalg.solve(M, g))
    return (
        f"|u|_M = {np.sqrt(u @ M @ u):.6f} (should be 1); dℒ[u] = {g @ u:.6f}, "
        f"the smallest possible on the unit M-sphere is {best:.6f}"
    )


steepest_direction = Exercise(
    id="8.7.2",
    title="Steepest descent on the unit sphere of a metric",
    level="medium",
    category="drill",
    statement=r"""
A loss depends on $\theta\in\mathbb{R}^3$ only through $y = A\theta$: $\mathcal{L}(\theta) = \ell(A\theta)$ with
$A\in\mathbb{R}^{4\times3}$ in the data. At the current point the gradient of $\ell$ at $y$ is $r$ (`r`
in the data). Among all directions $u$ of unit length **for the metric** $M$, that is
$u^\top M u = 1$, find the one along which $\mathcal{L}$ decreases fastest to first order: the $u$
minimizing $d\mathcal{L}_\theta[u]$.
""",
    build=_direction_data,
    solution=lambda A, r, M: _unit(-np.linalg.solve(M, A.T @ r), M),
    mistakes=(
        Mistake(
            "normalized in the Euclidean norm instead of the M-norm",
            lambda A, r, M: -np.linalg.solve(M, A.T @ r) / np.linalg.norm(np.linalg.solve(M, A.T @ r)),
            "the constraint is u^T M u = 1: divide M^-1 A^T r by its M-norm sqrt(r^T A M^-1 A^T r)",
        ),
        Mistake(
            "not normalized: -M^-1 A^T r",
            lambda A, r, M: -np.linalg.solve(M, A.T @ r),
            "-M^-1 A^T r points the right way; rescale it to unit M-norm",
        ),
        Mistake(
            "the Euclidean direction -A^T r, rescaled to unit M-norm",
            lambda A, r, M: _unit(-A.T @ r, M),
            "steepest for the unit ball of M is not steepest for the round ball: by Cauchy-Schwarz in <., .>_M, "
            "u must be a negative multiple of M^-1 A^T r",
        ),
        Mistake(
            "multiplied by M instead of solving with it",
            lambda A, r, M: _unit(-M @ (A.T @ r), M),
            "the covector g = A^T r becomes a vector through M^-1 (the Riesz map of M), not through M",
        ),
    ),
    hints=(
        r"By the chain rule $d\mathcal{L}_\theta[u] = r^\top A u$: which array $g$ gives $d\mathcal{L}_\theta[u] = "
        r"g^\top u$?",
        r"Write $g^\top u$ as an $M$-inner product, $g^\top u = \langle M^{-1}g, u\rangle_M$.",
        r"Cauchy–Schwarz in $\langle\cdot,\cdot\rangle_M$: $\langle M^{-1}g, u\rangle_M \ge -\|M^{-1}g\|_M\,\|u\|_M$, "
        r"with equality exactly when $u$ is a negative multiple of $M^{-1}g$.",
    ),
    solution_text=r"""
The differential pulls back through $A$: $d\mathcal{L}_\theta[u] = d\ell_y[Au] = r^\top Au = (A^\top r)^\top u$, so its
coefficients are $g = A^\top r$. With the $M$-gradient $g_M = M^{-1}g$,
$$
d\mathcal{L}_\theta[u] = \langle g_M, u\rangle_M \;\ge\; -\|g_M\|_M\,\|u\|_M = -\sqrt{g^\top M^{-1}g}
\quad\text{on } u^\top Mu = 1,
$$
with equality for $u^\star = -\,g_M/\|g_M\|_M = -M^{-1}A^\top r\,\big/\sqrt{r^\top AM^{-1}A^\top r}$.
""",
    solution_code="""\
g = A.T @ r                        # coefficients of dℒ: the pullback of r through A
v = -np.linalg.solve(M, g)         # minus the M-gradient
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


def _fisher_parts(X, y, theta, *, empirical=False):
    p = 1.0 / (1.0 + np.exp(-(X.T @ theta)))
    g = X @ (p - y)
    weight = (y - p) ** 2 if empirical else p * (1 - p)
    F = (X * weight) @ X.T
    return g, F


def _solve_fisher(X, y, theta, *, multiply=False, empirical=False):
    g, F = _fisher_parts(X, y, theta, empirical=empirical)
    return F @ g if multiply else np.linalg.solve(F, g)


def _natural_evidence(data, n):
    g, F = _fisher_parts(data["X"], data["y"], data["theta"])
    rel = np.linalg.norm(F @ np.asarray(n, dtype=float) - g) / np.linalg.norm(g)
    return f"F times your answer reproduces the Euclidean gradient g up to a relative error of {rel:.1e}"


natural_gradient = Exercise(
    id="8.7.3",
    title="The natural gradient of logistic regression",
    level="medium",
    category="drill",
    statement=r"""
Logistic regression with the examples as the **columns** of $X\in\mathbb{R}^{3\times8}$ and labels
$y\in\{0,1\}^8$: $p_k = \sigma(x_k^\top\theta)$ is the model's probability of $y_k = 1$, and the loss is the
summed negative log-likelihood $\mathcal{L}(\theta) = \sum_k \big[\log(1 + e^{x_k^\top\theta}) - y_k
x_k^\top\theta\big]$.
Natural gradient descent measures steps with the Fisher information
$F = \sum_k \mathbb{E}_{y\sim\mathrm{Bernoulli}(p_k)}\big[s_k s_k^\top\big]$, where
$s_k = \nabla_\theta \log p(y\mid x_k, \theta)$ is the score of example $k$ (the expectation is over the
model's own labels, not the data's).

Compute the natural gradient $F^{-1}\nabla_\theta\mathcal{L}$ at the data's `theta`.
""",
    build=_logistic_data,
    solution=lambda X, y, theta: _solve_fisher(X, y, theta),
    mistakes=(
        Mistake(
            "F g: multiplied by the Fisher matrix instead of solving with it",
            lambda X, y, theta: _solve_fisher(X, y, theta, multiply=True),
            "the natural gradient is the Riesz representer under the Fisher metric, <u, v> = u^T F v: it solves "
            "F n = grad ℒ",
        ),
        Mistake(
            "the empirical Fisher: the data's labels in place of the expectation",
            lambda X, y, theta: _solve_fisher(X, y, theta, empirical=True),
            "F averages s s^T over y ~ Bernoulli(p_k), the model's labels: E[(y - p_k)^2] = p_k (1 - p_k), "
            "not the observed (y_k - p_k)^2",
        ),
        Mistake(
            "(X X^T)^-1 grad ℒ: the weights p(1-p) are missing from F",
            lambda X, y, theta: np.linalg.solve(X @ X.T, _fisher_parts(X, y, theta)[0]),
            "each example enters F with the weight p_k (1 - p_k), the variance of its label under the model",
        ),
        Mistake(
            "grad ℒ: the Euclidean gradient",
            lambda X, y, theta: _fisher_parts(X, y, theta)[0],
            "that is the gradient for the plain dot product; the natural gradient applies F^-1 to it",
        ),
    ),
    hints=(
        r"Differentiate $\log p(y\mid x_k,\theta) = y\,x_k^\top\theta - \log(1 + e^{x_k^\top\theta})$: $s_k = (y - "
        r"p_k)\,x_k$, "
        r"and $\nabla_\theta\mathcal{L} = -\sum_k s_k$ evaluated at the data's labels.",
        r"In $F$ the label $y$ is random, $y\sim\mathrm{Bernoulli}(p_k)$: what is $\mathbb{E}[(y - p_k)^2]$?",
        r"$\mathbb{E}[(y - p_k)^2]$ is the variance of a Bernoulli variable, which makes $F$ a weighted sum of "
        r"$x_kx_k^\top$; then solve a $3\times3$ system $Fn = \nabla_\theta\mathcal{L}$.",
    ),
    solution_text=r"""
The score of example $k$ is $s_k = \nabla_\theta\big[y\,x_k^\top\theta - \log(1 + e^{x_k^\top\theta})\big] = (y -
p_k)\,x_k$, and
the loss gradient at the data is $\nabla_\theta\mathcal{L} = \sum_k (p_k - y_k)\,x_k = X(p - y)$. Under the model,
$y\sim\mathrm{Bernoulli}(p_k)$ has $\mathbb{E}[(y - p_k)^2] = p_k(1 - p_k)$, so
$$
F = \sum_k p_k(1 - p_k)\,x_kx_k^\top = X\,\mathrm{Diag}\big(p\odot(1 - p)\big)\,X^\top ,
$$
and the natural gradient $n$ solves $Fn = X(p - y)$.
""",
    solution_code="""\
p = 1 / (1 + np.exp(-(X.T @ theta)))
g = X @ (p - y)                          # Euclidean gradient of the loss
F = (X * (p * (1 - p))) @ X.T            # Fisher information: E[(y - p)^2] = p (1 - p)
solution = np.linalg.solve(F, g)         # natural gradient F^-1 g
""",
    evidence=_natural_evidence,
)

# ----------------------------------------------------------------------------- 8.7.4


def _reparam_data(rng):
    C = np.eye(3) + 0.6 * rng.standard_normal((3, 3))
    return {"C": C, "N": _spd(rng, 3, 1.0), "g": rng.standard_normal(3), "eta": 0.1}


def _reparam_step(C, N, g, eta):
    return -eta * C @ np.linalg.solve(N, C.T @ g)


reparametrized_descent = Exercise(
    id="8.7.4",
    title="Descent under a metric in other coordinates",
    level="hard",
    category="drill",
    statement=r"""
Parametrize $\theta = C\varphi$ with the invertible $C$ of the data, and run gradient descent on
$\varphi$ under the metric $\langle a, b\rangle_N = a^\top N b$ ($N$ symmetric positive definite, in the data),
learning rate $\eta = 0.1$, for the same loss $\mathcal{L}$. At a point where $\nabla_\theta\mathcal{L} = g$ (in the
data), one step changes $\varphi$ by $\Delta\varphi$, hence $\theta$ by $\Delta\theta = C\Delta\varphi$.

Compute $\Delta\theta$. (It is a metric gradient step in $\theta$: under which metric?)
""",
    build=_reparam_data,
    solution=_reparam_step,
    mistakes=(
        Mistake(
            "-eta g: assumed the step does not depend on the coordinates",
            lambda C, N, g, eta: -eta * g,
            "the gradient in phi is the pullback C^T g, and the step must be mapped back by C: coordinates change the "
            "step",
        ),
        Mistake(
            "the step in phi, not mapped back to theta",
            lambda C, N, g, eta: -eta * np.linalg.solve(N, C.T @ g),
            "Delta phi = -eta N^-1 C^T g lives in phi-coordinates; the question asks for Delta theta = C Delta phi",
        ),
        Mistake(
            "ignored the metric N: plain descent in phi",
            lambda C, N, g, eta: -eta * C @ (C.T @ g),
            "in phi the step is the N-gradient N^-1 C^T g, not C^T g",
        ),
        Mistake(
            "pulled the covector back with C^-1 instead of C^T",
            lambda C, N, g, eta: -eta * C @ np.linalg.solve(N, np.linalg.solve(C, g)),
            "by the chain rule grad_phi ℒ(C phi) = C^T g (a pullback by the adjoint), not C^-1 g",
        ),
        Mistake(
            "-eta (C^T N C)^-1 g: the metric N carried to theta the wrong way",
            lambda C, N, g, eta: -eta * np.linalg.solve(C.T @ N @ C, g),
            "N measures phi = C^-1 theta, so in theta the metric is C^-T N C^-1 (not C^T N C), and its inverse is "
            "C N^-1 C^T",
        ),
    ),
    hints=(
        r"By the chain rule, what is $\nabla_\varphi\,\mathcal{L}(C\varphi)$ in terms of $g$?",
        r"The step in $\varphi$ is minus $\eta$ times the $N$-gradient: the Riesz image of the $\varphi$-covector "
        r"under $N$.",
        r"Push the step forward with $C$, and read off the metric $M$ for which the result is $-\eta M^{-1}g$.",
    ),
    solution_text=r"""
A tangent $\Delta\varphi$ moves $\theta$ by $C\Delta\varphi$, so $d\mathcal{L}[C\Delta\varphi] = g^\top
C\Delta\varphi = (C^\top g)^\top\Delta\varphi$: the
covector pulls back to $C^\top g$. Its $N$-gradient is $N^{-1}C^\top g$, the step is
$\Delta\varphi = -\eta\,N^{-1}C^\top g$, and pushed forward
$$
\Delta\theta = C\Delta\varphi = -\eta\; C N^{-1} C^\top g = -\eta\, M^{-1} g, \qquad M = C^{-\top} N\, C^{-1}.
$$
$M$ is the metric $N$ carried over to $\theta$ ($\langle a, b\rangle_M = \langle C^{-1}a, C^{-1}b\rangle_N$); with $N
= I$ it is
$(CC^\top)^{-1}$, which is not $I$ unless $C$ is orthogonal.
""",
    solution_code="""\
dphi = -eta * np.linalg.solve(N, C.T @ g)   # the N-gradient step in phi: grad_phi = C^T g
solution = C @ dphi                         # the same step seen in theta: -eta C N^-1 C^T g
""",
)

# ----------------------------------------------------------------------------- 8.7.5 (transfer)


def _unmixing_data(rng):
    W = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    if np.linalg.det(W) < 0:
        W[0] = -W[0]
    B = rng.standard_normal((3, 20))
    return {"W": W, "S": B @ B.T / 20}


def _frobenius_unmixing(W, S, *, inverse_not_transposed=False):
    Wi = np.linalg.inv(W)
    return (Wi if inverse_not_transposed else Wi.T) - W @ S


def _unmixing_evidence(data, G):
    W, S = data["W"], data["S"]
    G = np.asarray(G, dtype=float)
    V = np.random.default_rng(2).standard_normal((3, 3))
    Wi = np.linalg.inv(W)
    lhs = np.trace((G @ Wi).T @ (V @ Wi))
    h = 1e-6
    f = lambda Y: np.linalg.slogdet(Y)[1] - 0.5 * np.trace(Y @ S @ Y.T)  # noqa: E731 (the function of the statement)
    rhs = (f(W + h * V) - f(W - h * V)) / (2 * h)
    return f"for a random tangent V: <G, V>_W = {lhs:.6f}, df_W[V] by central differences = {rhs:.6f}"


unmixing_natural_gradient = Exercise(
    id="8.7.5",
    title="A natural gradient on invertible matrices",
    level="medium",
    category="transfer",
    statement=r"""
An unmixing matrix $W\in\mathbb{R}^{3\times3}$ ($\det W > 0$) turns data with covariance $S$ into $y = Wx$; up to
constants, the log-likelihood of Gaussian sources is
$$
f(W) = \log\det W - \tfrac12\,\mathrm{tr}\big(WSW^\top\big).
$$
Tangents at $W$ are all $3\times3$ matrices $V$. Measure them relative to $W$,
$$
\langle U, V\rangle_W = \mathrm{tr}\big((UW^{-1})^\top(VW^{-1})\big),
$$
a metric that does not change when $U$, $V$ and $W$ are all multiplied on the right by the same
invertible matrix (the one used in independent component analysis).

Compute the gradient of $f$ for this metric at the data's $W$: the matrix $G$ with
$\langle G, V\rangle_W = df_W[V]$ for every $V$.
""",
    build=_unmixing_data,
    solution=lambda W, S: _frobenius_unmixing(W, S) @ W.T @ W,
    mistakes=(
        Mistake(
            "W^-T - W S: the Frobenius (Euclidean) gradient",
            lambda W, S: _frobenius_unmixing(W, S),
            "W^-T - W S represents df_W under <U, V> = tr(U^T V); this metric measures U W^-1, not U",
        ),
        Mistake(
            "the metric applied instead of inverted",
            lambda W, S: _frobenius_unmixing(W, S) @ np.linalg.inv(W.T @ W),
            "<G, V>_W = tr(G^T V (W^T W)^-1): for this to equal tr(G_F^T V) for every V, G must undo the factor "
            "(W^T W)^-1, not apply it",
        ),
        Mistake(
            "W W^T on the left: the metric of V -> W^-1 V",
            lambda W, S: W @ W.T @ _frobenius_unmixing(W, S),
            "the metric measures V W^-1 (W on the right): it pairs tr(U^T V (W^T W)^-1), and the factor goes on the "
            "right",
        ),
        Mistake(
            "W^T W G_F: the right factor, on the wrong side",
            lambda W, S: W.T @ W @ _frobenius_unmixing(W, S),
            "the metric measures V W^-1 (W on the right): it pairs tr(U^T V (W^T W)^-1), so the Riesz map acts on G_F "
            "from the right; matrices do not commute",
        ),
        Mistake(
            "G_F W W^T: the factors of W^T W in the wrong order",
            lambda W, S: _frobenius_unmixing(W, S) @ W @ W.T,
            "tr((U W^-1)^T (V W^-1)) = tr(U^T V W^-1 W^-T), and W^-1 W^-T = (W^T W)^-1: its inverse is W^T W, "
            "not W W^T",
        ),
        Mistake(
            "d log det W[V] = tr(W^-1 V) read as the gradient W^-1",
            lambda W, S: _frobenius_unmixing(W, S, inverse_not_transposed=True) @ W.T @ W,
            "tr(W^-1 V) = <W^-T, V>_F: the Frobenius gradient of log det W is W^-T; it equals W^-1 only for symmetric "
            "W",
        ),
    ),
    hints=(
        r"The differential first: $d(\log\det W)[V] = \mathrm{tr}(W^{-1}V)$, and the product rule for "
        r"$\tfrac12\mathrm{tr}(WSW^\top)$ ($S$ is symmetric). Collect the result as "
        r"$df_W[V] = \mathrm{tr}(G_F^\top V)$: $G_F$ is the Frobenius gradient, not yet the answer.",
        r"Now the metric: with the cyclic property, bring $\langle G, V\rangle_W$ to the form $\mathrm{tr}(X^\top V)$, "
        r"where $X$ is built from $G$ and $W$ (gather both factors $W^{-1}$ on the same side of $V$).",
        r"The Riesz condition asks $\mathrm{tr}(X^\top V) = \mathrm{tr}(G_F^\top V)$ for every $V$, which forces "
        r"$X = G_F$ (try $V = E_{ij}$). Solve that matrix equation for $G$: the factor next to $G$ is invertible, "
        r"and its inverse must multiply on the same side, since matrices do not commute.",
    ),
    solution_text=r"""
The differential is $df_W[V] = \mathrm{tr}(W^{-1}V) - \mathrm{tr}(SW^\top V) = \mathrm{tr}(G_F^\top V)$ with the
Frobenius gradient
$G_F = W^{-\top} - WS$ ($S$ is symmetric). By the cyclic property the metric is
$\langle U, V\rangle_W = \mathrm{tr}\big(W^{-\top}U^\top VW^{-1}\big) = \mathrm{tr}\big((U(W^\top W)^{-1})^\top
V\big)$, so the Riesz condition
for every $V$ reads $G(W^\top W)^{-1} = G_F$:
$$
G = G_F\,W^\top W = \big(W^{-\top} - WS\big)W^\top W = \big(I - WSW^\top\big)W .
$$
No matrix inverse is left: the step $W \leftarrow W + \eta(I - \mathbb{E}[yy^\top])W$ (with $S$ the covariance of
$x$) is
the natural-gradient update of independent component analysis. It vanishes when the outputs $y = Wx$ are white.
""",
    solution_code="""\
G_F = np.linalg.inv(W).T - W @ S    # Frobenius gradient: df_W[V] = tr(G_F^T V)
solution = G_F @ W.T @ W            # Riesz map of tr((U W^-1)^T (V W^-1)): (I - W S W^T) W
""",
    evidence=_unmixing_evidence,
)

# ----------------------------------------------------------------------------- 8.7.6 (concept)

survives_reparametrization = Exercise(
    id="8.7.6",
    title="What survives a change of coordinates",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
The parameters are rewritten as $w = Bu$ with an invertible, non-orthogonal $B$, and everything is
recomputed in the coordinates $u$ for the loss $\tilde{\mathcal{L}}(u) = \mathcal{L}(Bu)$; vectors found in $u$ are
mapped back
by $B$ before comparing. Which of these are the **same** before and after? (Several may be.)
""",
    options=(
        Option(
            "a",
            r"the number $d\mathcal{L}_w[v]$ for a tangent $v$ (given in $u$ as $B^{-1}v$)",
            True,
            r"the covector is a linear map of tangents, not an array: $\tilde c^\top B^{-1}v = c^\top BB^{-1}v = "
            r"c^\top v$",
        ),
        Option(
            "b",
            r'the array $c$ printed as "the gradient"',
            False,
            r"it becomes $\tilde c = B^\top c$, a different array: coefficients of a covector change by the adjoint",
        ),
        Option(
            "c",
            r"the Newton step $-\eta H^{-1}c$, mapped back by $B$",
            True,
            r"$\tilde H = B^\top HB$ and $\tilde c = B^\top c$ give $B\tilde H^{-1}\tilde c = H^{-1}c$: the Hessian "
            r"pulls back like a metric",
        ),
        Option(
            "d",
            r"the plain gradient step $-\eta c$, mapped back by $B$",
            False,
            r"it becomes $-\eta BB^\top c$, which is $-\eta c$ only for orthogonal $B$: the array $c$ is used as a "
            r"vector",
        ),
        Option(
            "e",
            r"the set of descent directions $\{v : d\mathcal{L}_w[v] < 0\}$",
            True,
            r"it is defined by the covector alone, whose values do not depend on coordinates (option a)",
        ),
        Option(
            "f",
            r"the steepest unit-length direction, length measured by $v^\top v$ in each system",
            False,
            r'"unit length" in $u$ is $u^\top u = 1$, i.e. $w^\top B^{-\top}B^{-1}w = 1$ in $w$: a different unit '
            r"ball, so a different steepest direction",
        ),
        Option(
            "g",
            r"the damped Newton step $-\eta(H + \mu I)^{-1}c$, with the same $\mu > 0$ in both systems, mapped "
            r"back by $B$",
            False,
            r"in $u$ it is $-\eta(B^\top HB + \mu I)^{-1}B^\top c$, which $B$ maps back to "
            r"$-\eta(H + \mu B^{-\top}B^{-1})^{-1}c$: the Hessian part pulls back like a metric, the damping "
            r"$\mu I$ does not ($B^\top(\mu I)B\neq\mu I$). The step is the same only for an orthogonal "
            r"$B$",
        ),
        Option(
            "h",
            r"for a least-squares loss $\mathcal{L}(w) = \tfrac12\|r(w)\|^2$, the Gauss–Newton step "
            r"$-\eta(J_r^\top J_r)^{-1}c$ ($J_r$ the Jacobian of the residual $r$), mapped back by $B$",
            True,
            r"the residual in $u$ is $r(Bu)$, whose Jacobian is $J_rB$, so the Gauss–Newton matrix becomes "
            r"$B^\top J_r^\top J_rB$: it pulls back like a metric, and the step is the same, as for Newton (c)",
        ),
    ),
    hints=(
        "Sort the objects into covectors (they eat tangents), vectors (they are tangents) and choices of a metric.",
        r"Under $w = Bu$, tangents transform by $B^{-1}$, covector coefficients by $B^\top$, metrics by "
        r"$B^\top(\cdot)B$.",
        r"An object is the same after the change when it is built only from the covector, or from the covector "
        r"and a metric that pulls back by $B^\top(\cdot)B$ as well. For each step, compute the matrix it uses in "
        r"$u$ from its definition there, and compare it with $B^\top(\cdot)B$ of the matrix used in $w$.",
    ),
    solution_text=r"""
The differential is a covector: its *values* $d\mathcal{L}_w[v]$ are coordinate-free (a), and so is anything defined
from them alone (e). Its *coefficients* are not: $\tilde c = B^\top c$ (b). Turning $c$ into a step needs a metric; the
step is coordinate-free exactly when the metric pulls back like $\tilde M = B^\top MB$, since then
$B\tilde M^{-1}\tilde c = BB^{-1}M^{-1}B^{-\top}B^\top c = M^{-1}c$. The Hessian does (c); the identity of each
coordinate system does not, which gives $-\eta BB^\top c$ (d) and a different unit ball (f).

The Gauss–Newton and the damped steps are settled the same way. For a least-squares loss the residual in $u$ is
$r(Bu)$, with Jacobian $J_rB$, so the Gauss–Newton matrix becomes $B^\top J_r^\top J_rB$, a pullback like the
Hessian's: the step is the same (h). Damping adds $\mu I$ in each system, and $\mu I$ is not
$B^\top(\mu I)B$: mapped back, the damped step in $u$ is $-\eta(H + \mu B^{-\top}B^{-1})^{-1}c$, damped by
another matrix (g). The answer is (a), (c), (e), (h).
""",
)

register(
    preconditioned_step,
    steepest_direction,
    natural_gradient,
    reparametrized_descent,
    unmixing_natural_gradient,
    survives_reparametrization,
)
