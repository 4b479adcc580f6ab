"""Exercises for 8.3: read the gradient off the trace, on least squares and beyond.

- 8.3.1 ``1/2 |W x - b|^2``: ``r x^T`` (the page's example, as a first use of the checker);
- 8.3.2 a weighted batch mean, examples as columns (a 0/1 weight is a mask): ``R Diag(c) X^T / N``;
- 8.3.3 a batch with a ridge term: ``R X^T + lambda W``;
- 8.3.4 two factors ``U V x``: the gradient for ``V`` is ``U^T r x^T``;
- 8.3.5 (transfer) softmax cross-entropy against a label-smoothed target: ``(p - y) x^T``;
- 8.3.6 (concept) why the trace step is needed: the gradient represents the differential.
"""

from __future__ import annotations

import numpy as np

from .evidence import gradient_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.3.1


def _ls_data(rng):
    return {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(3)}


least_squares_gradient = Exercise(
    id="8.3.1",
    title="The least-squares gradient",
    level="easy",
    category="drill",
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
                "the 1/2 in front cancels the 2 from differentiating the square: dℒ = r^T dr"),
    ),
    hints=(
        r"Perturb $W$: the residual moves by $\delta r = (\Delta W)\,x$, exactly.",
        r"$\mathcal{L} = \tfrac12 r^\top r$, so to first order $d\mathcal{L} = r^\top\delta r$.",
        r"$r^\top(\Delta W)\,x$ is a number: write it as a trace and rotate the factors cyclically until $\Delta W$ "
        r"stands last, in the form $\mathrm{tr}(G^\top\Delta W)$.",
    ),
    solution_text=r"""
A perturbation moves the residual by $\delta r = (\Delta W)x$, and $\mathcal{L} = \tfrac12 r^\top r$ changes to first
order by $r^\top\delta r$:

$$
d\mathcal{L}_W[\Delta W] = r^\top(\Delta W)\,x = \mathrm{tr}\big(r^\top(\Delta W)\,x\big)
= \mathrm{tr}\big(x\,r^\top\Delta W\big) = \langle r\,x^\top, \Delta W\rangle_F .
$$

By uniqueness of the representer, $\nabla_W\mathcal{L} = r\,x^\top = (Wx - b)\,x^\top$, a $3\times4$ matrix like $W$.
""",
    solution_code="""\
r = W @ x - b
solution = np.outer(r, x)   # r x^T
""",
    evidence=gradient_evidence(lambda W, x, b: ((lambda Z: 0.5 * float(np.sum((Z @ x - b) ** 2))), W)),
)

# ----------------------------------------------------------------------------- 8.3.2


def _weighted_batch_data(rng):
    return {"W": rng.standard_normal((3, 4)), "X": rng.standard_normal((4, 6)), "T": rng.standard_normal((3, 6)),
            "c": np.round(rng.uniform(0.2, 2.0, 6), 2)}


def _weighted_gradient(W, X, T, c):
    return ((W @ X - T) * c) @ X.T / X.shape[1]


def _weighted_loss(W, X, T, c):
    return lambda Z: 0.5 * float(np.sum(c * np.sum((Z @ X - T) ** 2, axis=0))) / X.shape[1]


least_squares_batch = Exercise(
    id="8.3.2",
    title="A batch of examples as columns",
    level="medium",
    category="drill",
    statement=r"""
Now the data are a batch of $N = 6$ examples, stored as the **columns** of $X\in\mathbb{R}^{4\times6}$, with
their targets as the columns of $T\in\mathbb{R}^{3\times 6}$, and example $k$ carries an importance weight
$c_k > 0$ (the vector `c`). The loss is the weighted **mean**
$\mathcal{L}(W) = \frac{1}{2N}\sum_{k=1}^{N} c_k\,\|Wx_k - t_k\|^2$.
Find $\nabla_W\mathcal{L}$ in closed form (matrix products, no loop over the examples).
""",
    build=_weighted_batch_data,
    solution=_weighted_gradient,
    mistakes=(
        Mistake("R X^T / N: the weights were left out", lambda W, X, T, c: (W @ X - T) @ X.T / X.shape[1],
                "each example's outer product r_k x_k^T enters with its own weight c_k: scale the columns of R by c "
                "(R Diag(c)) before multiplying by X^T"),
        Mistake("R Diag(c) X^T: the 1/N of the mean was dropped", lambda W, X, T, c: ((W @ X - T) * c) @ X.T,
                "the loss is a mean over the N = 6 examples, and the gradient of a mean is the mean of the "
                "gradients: keep the 1/N"),
        Mistake("R Diag(c) X^T / sum(c): normalized by the total weight",
                lambda W, X, T, c: ((W @ X - T) * c) @ X.T / np.sum(c),
                "this loss divides by N, not by the sum of the weights; the constant in front of the loss is the "
                "constant in front of its gradient"),
        Mistake("X Diag(c) R^T / N: the transpose of the gradient",
                lambda W, X, T, c: X @ ((W @ X - T) * c).T / X.shape[1],
                "the gradient has the shape of W (3 x 4): <R C, dW X>_F = tr(C R^T dW X) = <R C X^T, dW>_F"),
    ),
    hints=(
        r"Collect the residuals in $R = WX - T$ and the weights in $C = \mathrm{Diag}(c)$: then "
        r"$\sum_k c_k\|r_k\|^2 = \mathrm{tr}(C R^\top R) = \langle R, RC\rangle_F$.",
        r"A perturbation $\Delta W$ moves every residual at once: $\delta R = (\Delta W)X$.",
        r"So $d\mathcal{L} = \tfrac1N\langle RC, (\Delta W)X\rangle_F$ (the weights are constants). Move $X$ across "
        r"the pairing with the cyclic rule, as for one example.",
    ),
    solution_text=r"""
With $R = WX - T$ and $C = \mathrm{Diag}(c)$, the loss is $\mathcal{L} = \frac{1}{2N}\langle R, RC\rangle_F$.
Since $C$ is symmetric, both factors contribute the same first-order term, and with $\delta R = (\Delta W)X$

$$
d\mathcal{L}_W[\Delta W] = \tfrac1N\langle RC, (\Delta W)X\rangle_F = \tfrac1N\,\mathrm{tr}\big(C R^\top(\Delta W)X\big)
= \tfrac1N\,\mathrm{tr}\big(X C R^\top\Delta W\big) = \big\langle \tfrac1N R C X^\top, \Delta W\big\rangle_F .
$$

Hence

$$
\nabla_W\mathcal{L} = \frac1N\,R\,C\,X^\top = \frac1N\sum_{k=1}^N c_k\, r_k x_k^\top ,
$$

the weighted mean of the per-example gradients $r_k x_k^\top$. In numpy, $RC$ scales the columns of $R$:
`R * c`.
""",
    solution_code="""\
R = W @ X - T
N = X.shape[1]
solution = (R * c) @ X.T / N   # R Diag(c) X^T / N
""",
    evidence=gradient_evidence(lambda W, X, T, c: (_weighted_loss(W, X, T, c), W)),
)

# ----------------------------------------------------------------------------- 8.3.3


def _ridge_data(rng):
    return {"W": rng.standard_normal((3, 4)), "X": rng.standard_normal((4, 6)), "T": rng.standard_normal((3, 6)),
            "lam": 0.3}


def _ridge_loss(W, X, T, lam):
    return lambda Z: 0.5 * float(np.sum((Z @ X - T) ** 2)) + 0.5 * lam * float(np.sum(Z**2))


ridge = Exercise(
    id="8.3.3",
    title="Least squares with a ridge penalty",
    level="medium",
    category="drill",
    statement=r"""
Add a penalty on the size of $W$ to the batch least-squares loss (the plain sum over the $N = 6$ columns,
no weights):
$\mathcal{L}(W) = \tfrac12\|WX - T\|_F^2 + \tfrac{\lambda}{2}\|W\|_F^2$ with $\lambda = $ `lam` $= 0.3$.
Find $\nabla_W\mathcal{L}$.
""",
    build=_ridge_data,
    solution=lambda W, X, T, lam: (W @ X - T) @ X.T + lam * W,
    mistakes=(
        Mistake("R X^T - lam W: the penalty with the wrong sign", lambda W, X, T, lam: (W @ X - T) @ X.T - lam * W,
                "the penalty adds lam/2 |W|_F^2 to the loss, which grows as W grows: its gradient is +lam W. "
                "A descent step W - eta (R X^T + lam W) then shrinks W, which is why the penalty is called weight "
                "decay"),
        Mistake("the ridge term is missing", lambda W, X, T, lam: (W @ X - T) @ X.T,
                "the penalty lam/2 |W|_F^2 has its own gradient; gradients of a sum add"),
        Mistake("2 lam W: the 1/2 of the penalty was not cancelled",
                lambda W, X, T, lam: (W @ X - T) @ X.T + 2 * lam * W,
                "d(1/2 |W|_F^2) = <W, dW>_F: the 1/2 cancels the 2"),
        Mistake("lam R X^T + lam W: lam multiplies only the penalty",
                lambda W, X, T, lam: lam * ((W @ X - T) @ X.T + W),
                "lam weights the penalty only; the data term keeps its coefficient 1/2"),
    ),
    hints=(
        r"The differential of a sum is the sum of the differentials. The data term is the batch loss of the page, "
        r"whose gradient you know.",
        r"For the penalty, expand $\tfrac12\|W + \Delta W\|_F^2 = \tfrac12\langle W + \Delta W, W + \Delta W\rangle_F$ "
        r"and keep the part that is linear in $\Delta W$.",
    ),
    solution_text=r"""
With $R = WX - T$, the data term has the differential
$\langle R, (\Delta W)X\rangle_F = \langle RX^\top, \Delta W\rangle_F$,
as on the page. For the penalty,

$$
\tfrac12\|W + \Delta W\|_F^2 = \tfrac12\|W\|_F^2 + \langle W, \Delta W\rangle_F + \tfrac12\|\Delta W\|_F^2 ,
$$

so its differential is $\langle W, \Delta W\rangle_F$. Adding the two (times their coefficients),

$$
d\mathcal{L}_W[\Delta W] = \langle RX^\top + \lambda W, \Delta W\rangle_F ,\qquad
\nabla_W\mathcal{L} = (WX - T)\,X^\top + \lambda W .
$$

The penalty's term has the sign of $W$: a descent step moves $W$ toward zero.
""",
    solution_code="""\
R = W @ X - T
solution = R @ X.T + lam * W
""",
    evidence=gradient_evidence(lambda W, X, T, lam: (_ridge_loss(W, X, T, lam), W)),
)

# ----------------------------------------------------------------------------- 8.3.4


def _factor_data(rng):
    return {"U": rng.standard_normal((3, 2)), "V": rng.standard_normal((2, 4)), "x": rng.standard_normal(4),
            "b": rng.standard_normal(3)}


two_factors = Exercise(
    id="8.3.4",
    title="A product of two weight matrices",
    level="hard",
    category="drill",
    statement=r"""
A linear model with a bottleneck: $\mathcal{L}(U, V) = \tfrac12\|UVx - b\|^2$ with
$U\in\mathbb{R}^{3\times2}$, $V\in\mathbb{R}^{2\times4}$, $x\in\mathbb{R}^4$, $b\in\mathbb{R}^3$, and
$r = UVx - b$. Find the gradient with respect to $V$, $\nabla_V\mathcal{L}$, with $U$ held fixed.
""",
    build=_factor_data,
    solution=lambda U, V, x, b: np.outer(U.T @ (U @ V @ x - b), x),
    mistakes=(
        Mistake("r x^T: U^T is missing (r was not pulled back through U)",
                lambda U, V, x, b: np.outer(U @ V @ x - b, x),
                "a change dV moves the residual by dr = U dV x; so r^T dr = (U^T r)^T dV x: "
                "the error reaching V is U^T r"),
        Mistake("r (V x)^T: that is the gradient for U", lambda U, V, x, b: np.outer(U @ V @ x - b, V @ x),
                "r (V x)^T answers the question for U (its input is V x); for V, perturb V and keep U fixed"),
        Mistake("(U^T r)(V x)^T: the wrong input to V", lambda U, V, x, b: np.outer(U.T @ (U @ V @ x - b), V @ x),
                "the input of V is x itself; V x is the input of U"),
    ),
    hints=(
        r"Only $V$ moves: $\delta r = U(\Delta V)x$, so $d\mathcal{L} = r^\top\delta r = r^\top U(\Delta V)\,x$.",
        r"This number is a $1\times1$ matrix, so it equals its own trace, and a trace does not change when its "
        r"factors are rotated cyclically.",
        r"Rotate until $\Delta V$ stands last, $d\mathcal{L} = \mathrm{tr}(Z\,\Delta V)$, and compare with "
        r"$\langle G, \Delta V\rangle_F = \mathrm{tr}(G^\top\Delta V)$: the gradient is $Z^\top$. Transpose a "
        r"product factor by factor, in reverse order, and check that the result is $2\times4$, like $V$.",
    ),
    solution_text=r"""
With $U$ fixed, $\delta r = U(\Delta V)x$, so

$$
d\mathcal{L} = r^\top U(\Delta V)\,x = (U^\top r)^\top(\Delta V)\,x
= \mathrm{tr}\big(x\,(U^\top r)^\top\Delta V\big) = \langle (U^\top r)\,x^\top, \Delta V\rangle_F ,
$$

and $\nabla_V\mathcal{L} = (U^\top r)\,x^\top$, a $2\times 4$ matrix like $V$. The factor $U^\top r$ is the residual
pulled back through $U$: the pattern of every hidden layer in {doc}`8.5 <8-5-backprop-mlp>`.
""",
    solution_code="""\
r = U @ V @ x - b
solution = np.outer(U.T @ r, x)   # (U^T r) x^T
""",
    evidence=gradient_evidence(lambda U, V, x, b: ((lambda Z: 0.5 * float(np.sum((U @ Z @ x - b) ** 2))), V)),
)

# ----------------------------------------------------------------------------- 8.3.5


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _cross_entropy_data(rng):
    y = np.full(3, 0.05)
    y[1] = 0.9  # the true class is the second one, its label smoothed
    return {"W": 0.5 * rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "y": y}


def _cross_entropy(W, x, y):
    return lambda Z: -float(y @ np.log(_softmax(Z @ x)))


def _one_hot(y):
    return (y == y.max()).astype(float)


cross_entropy = Exercise(
    id="8.3.5",
    title="Softmax cross-entropy: the gradient of a classifier's weights",
    level="hard",
    category="transfer",
    statement=r"""
A linear classifier with $3$ classes maps $x\in\mathbb{R}^4$ to the logits $z = Wx$ ($W\in\mathbb{R}^{3\times4}$)
and to the probabilities $p = \mathrm{softmax}(z)$, $p_i = e^{z_i}/\sum_j e^{z_j}$. Its loss against a target
distribution $y$ (entries $\ge 0$ summing to 1; here the second class with its label smoothed:
$y = (0.05, 0.9, 0.05)$) is the cross-entropy

$$
\mathcal{L}(W) = -\sum_{i=1}^{3} y_i \log p_i = -y^\top\log\mathrm{softmax}(Wx).
$$

Find $\nabla_W\mathcal{L}$. The page never differentiates a softmax: do it with differentials, then read the
gradient off with the trace.
""",
    build=_cross_entropy_data,
    solution=lambda W, x, y: np.outer(_softmax(W @ x) - y, x),
    mistakes=(
        Mistake("(y - p) x^T: the sign", lambda W, x, y: np.outer(y - _softmax(W @ x), x),
                "-log p_i falls as the logit of a likely class rises, so the loss grows along p - y, not y - p: "
                "d(-y^T log p) = (p - y)^T dz"),
        Mistake("(p - e_k) x^T: the target was taken to be one-hot",
                lambda W, x, y: np.outer(_softmax(W @ x) - _one_hot(y), x),
                "the target here is label-smoothed, y = (0.05, 0.9, 0.05); the differential gives p - y with y "
                "itself (only 1^T y = 1 is used), not the one-hot class"),
        Mistake("-(y / p) x^T: the gradient in p, not in the logits", lambda W, x, y: np.outer(-y / _softmax(W @ x), x),
                "-y / p is the gradient of the loss with respect to p; W moves the logits z, and p depends on z "
                "through the softmax: differentiate log p = z - log(sum_j exp z_j) 1 in z"),
        Mistake("p x^T: the term -y^T dz was lost", lambda W, x, y: np.outer(_softmax(W @ x), x),
                "log p_i = z_i - log(sum_j exp z_j): both parts move with z; the first gives -y^T dz, "
                "the second (1^T y) p^T dz"),
    ),
    hints=(
        r"Write $\log p = z - \mathrm{lse}(z)\,\mathbf{1}$ with $\mathrm{lse}(z) = \log\sum_j e^{z_j}$, and "
        r"differentiate $\mathrm{lse}$: $d\,\mathrm{lse} = \sum_j \frac{e^{z_j}}{\sum_l e^{z_l}}\,dz_j$.",
        r"So $d\mathcal{L} = -y^\top dz + (\mathbf{1}^\top y)\,d\,\mathrm{lse}$, and $\mathbf{1}^\top y = 1$ for a "
        r"probability vector.",
        r"The logits move by $dz = (\Delta W)\,x$. Put the coefficients of $d\mathcal{L}$ in $z$ in the place of "
        r"the residual and do the trace step of the page.",
    ),
    solution_text=r"""
With $\mathrm{lse}(z) = \log\sum_j e^{z_j}$, $\log p = z - \mathrm{lse}(z)\mathbf{1}$ and
$d\,\mathrm{lse} = \sum_j p_j\,dz_j = p^\top dz$. Hence

$$
d\mathcal{L} = -y^\top dz + (\mathbf{1}^\top y)\,p^\top dz = (p - y)^\top dz ,
$$

using $\mathbf{1}^\top y = 1$. The logits move by $dz = (\Delta W)x$, so

$$
d\mathcal{L}_W[\Delta W] = (p - y)^\top(\Delta W)\,x = \mathrm{tr}\big(x\,(p - y)^\top\Delta W\big)
= \langle (p - y)\,x^\top, \Delta W\rangle_F ,
\qquad \nabla_W\mathcal{L} = (p - y)\,x^\top .
$$

The same outer product as in least squares, with the error signal $p - y$ (predicted minus target
probabilities) in the place of the residual $r$.
""",
    solution_code="""\
z = W @ x
p = np.exp(z - z.max())
p = p / p.sum()                  # softmax(z)
solution = np.outer(p - y, x)    # (p - y) x^T
""",
    evidence=gradient_evidence(lambda W, x, y: (_cross_entropy(W, x, y), W)),
)

# ----------------------------------------------------------------------------- 8.3.6

representer = Exercise(
    id="8.3.6",
    title="Why the trace step: the differential and the gradient",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
On this page the differential of $\mathcal{L}(W) = \tfrac12\|Wx - b\|^2$ came first,
$d\mathcal{L}_W[\Delta W] = r^\top(\Delta W)\,x$, and the gradient $r\,x^\top$ only after a trace step.
Which statement says correctly why that second step is needed?
""",
    options=(
        Option("a", r"The differential is only a first-order approximation of the change of the loss; the trace step "
                    r"makes it exact.", False,
               r"Both are exact statements about the linear term. The trace step is an identity "
               r"($s = \mathrm{tr}(s)$ and cyclicity): it leaves the remainder $\tfrac12\|(\Delta W)x\|^2$ as it was "
               r"and changes only the *form* in which the linear term is written."),
        Option("b", r"$d\mathcal{L}_W$ is a linear functional: it takes a direction $\Delta W$ and returns a "
                    r"number. The gradient is the one matrix $G$ with "
                    r"$d\mathcal{L}_W[\Delta W] = \langle G, \Delta W\rangle_F$ for every $\Delta W$, and the trace "
                    r"step exhibits it.", True,
               r"Right. The differential and the gradient are different objects, a covector and a vector; the inner "
               r"product turns one into the other (Riesz). With another inner product on matrices (8.7) the same "
               r"differential has another gradient."),
        Option("c", r"$r^\top(\Delta W)\,x$ has the wrong shape, and the trace step transposes it into the shape "
                    r"of $W$.", False,
               r"$r^\top(\Delta W)\,x$ is a number for every $\Delta W$: it has no shape to fix. The gradient has the "
               r"shape of $W$ because it is the element of $\mathbb{R}^{m\times n}$ that represents the functional, "
               r"not because shapes were made to fit."),
        Option("d", r"The step is not needed: the factors around $\Delta W$, multiplied together, are the gradient: "
                    r"$r^\top x$.", False,
               r"$r^\top$ is $1\times m$ and $x$ is $n\times 1$: $r^\top x$ is not defined unless $m = n$, and then it "
               r"is a number, not a matrix. The factors must be rotated by the cyclic rule until $\Delta W$ stands "
               r"last, $\mathrm{tr}(x\,r^\top\Delta W)$, which shows $G^\top = x\,r^\top$."),
    ),
    hints=(
        r"What does $d\mathcal{L}_W$ take as its input, and what does it return?",
        r"Recall how {doc}`8.2 <8-2-frobenius-riesz>` defines the gradient: "
        r"by an equation that must hold for every direction $\Delta W$. "
        r"Which of the statements is about that equation?",
    ),
    solution_text=r"""
**(b)**. $d\mathcal{L}_W$ is a linear map from $\mathbb{R}^{m\times n}$ to $\mathbb{R}$; the gradient is defined
(in {doc}`8.2 <8-2-frobenius-riesz>`) as the unique matrix $G$
with $d\mathcal{L}_W[\Delta W] = \langle G, \Delta W\rangle_F$ for all $\Delta W$.
Knowing the functional, $\Delta W\mapsto r^\top(\Delta W)x$, does not yet give that matrix; rewriting it as
$\mathrm{tr}\big((rx^\top)^\top\Delta W\big)$ does. Nothing is approximated (a), no shape is fixed (c), and the
factors around $\Delta W$ cannot simply be multiplied (d).
""",
)

register(least_squares_gradient, least_squares_batch, ridge, two_factors, cross_entropy, representer)
