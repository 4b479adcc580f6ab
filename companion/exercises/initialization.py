"""Exercises for 8.8: at initialization, products of random Jacobians decide what trains.

- 8.8.1 the mean squared singular value of a product of ``L`` Gaussian layers: ``sigma_w^{2L}`` (number);
- 8.8.2 the critical weight scale of a ReLU network: ``sqrt(2)`` (number);
- 8.8.3 the Marchenko-Pastur edges ``(1 -+ sqrt(c))^2`` (array of two numbers);
- 8.8.4 the mean squared singular value of a given tanh network's input-output Jacobian (number).

Predictions typed by hand are accepted within 1% (``rtol = 1e-2``), entry by entry.
"""

from __future__ import annotations

import numpy as np

from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.8.1


def _product_ms(sigma_w, L, n, rng, relu=False):
    """Mean squared singular value ``|J|_F^2 / n`` of ``J = D_L A_L ... D_1 A_1`` at a random input, one draw."""
    h = rng.standard_normal(n)
    J = np.eye(n)
    for _ in range(L):
        A = sigma_w * rng.standard_normal((n, n)) / np.sqrt(n)
        z = A @ h
        d = (z > 0).astype(float) if relu else np.ones(n)
        h = np.maximum(z, 0.0) if relu else z
        J = d[:, None] * (A @ J)
    return float(np.sum(J**2) / n)


def _product_evidence(data, answer):
    ms = _product_ms(data["sigma_w"], data["L"], 200, np.random.default_rng(5))
    return f"one simulated network (n = 200): the mean squared singular value of the product is {ms:.3f}"


product_scale = Exercise(
    id="8.8.1",
    title="How a product of random layers scales",
    level="easy",
    kind="number",
    rtol=1e-2,
    statement=r"""
Take $L = 6$ independent random matrices $A_1,\dots,A_L\in\mathbb{R}^{n\times n}$ with independent
$\mathcal{N}(0, \sigma_w^2/n)$ entries, $\sigma_w = 1.3$ (a deep *linear* network at initialization),
and let $J = A_L\cdots A_1$. Predict the mean squared singular value of $J$,
$\tfrac1n\sum_i s_i(J)^2 = \tfrac1n\|J\|_F^2$, in expectation. (It does not depend on $n$.)
""",
    build=lambda rng: {"sigma_w": 1.3, "L": 6},
    solution=lambda sigma_w, L: sigma_w ** (2 * L),
    mistakes=(
        Mistake("sigma_w^L: the square is missing", lambda sigma_w, L: sigma_w**L,
                "each layer multiplies the expected squared norm of a vector by sigma_w^2 (a variance), not by sigma_w"),
        Mistake("L sigma_w^2: the layers were added, not multiplied", lambda sigma_w, L: L * sigma_w**2,
                "the factors of a product multiply: each layer rescales E|J v|^2 by sigma_w^2, so L layers give (sigma_w^2)^L"),
        Mistake("sigma_w^(2(L-1)): one layer too few", lambda sigma_w, L: sigma_w ** (2 * (L - 1)),
                "count the factors: A_1 to A_L are L matrices, each contributing sigma_w^2"),
    ),
    hint=r"""
For a fixed unit vector $v$, $\mathbb{E}\|A v\|^2 = \sigma_w^2\|v\|^2$. Apply this layer after layer
(the layers are independent), and note $\tfrac1n\|J\|_F^2 = \tfrac1n\sum_j\|Je_j\|^2$.
""",
    solution_code="""\
solution = sigma_w ** (2 * L)   # L layers, each multiplying the mean square by sigma_w^2
""",
    evidence=_product_evidence,
)

# ----------------------------------------------------------------------------- 8.8.2


def _relu_evidence(data, sigma_w):
    ms = _product_ms(float(sigma_w), 20, 200, np.random.default_rng(6), relu=True)
    return (f"one simulated ReLU network with your sigma_w = {float(sigma_w):.4g} (n = 200, 20 layers): "
            f"the mean squared singular value of its Jacobian is {ms:.3g} (stable means about 1)")


relu_gain = Exercise(
    id="8.8.2",
    title="The critical weight scale for ReLU",
    level="medium",
    kind="number",
    rtol=1e-2,
    statement=r"""
A deep ReLU network at initialization: $z_\ell = A_\ell h_{\ell-1}$, $h_\ell = \max(z_\ell, 0)$, with
$A_\ell$ of independent $\mathcal{N}(0, \sigma_w^2/n)$ entries. Its input-output Jacobian is
$J = D_LA_L\cdots D_1A_1$, where $D_\ell$ has ones where $z_\ell > 0$ and zeros elsewhere (about half
of the units, by symmetry).

Which $\sigma_w$ keeps the mean squared singular value of $J$ at 1 at every depth, neither
exploding nor vanishing? Give the number.
""",
    build=lambda rng: {},
    solution=lambda: np.sqrt(2.0),
    mistakes=(
        Mistake("1: the value for a linear or tanh network", lambda: 1.0,
                "ReLU zeroes about half the units, so D_l keeps half of the squared norm: sigma_w^2 / 2 per layer must be 1"),
        Mistake("2: that is sigma_w^2, not sigma_w", lambda: 2.0,
                "the condition sigma_w^2 / 2 = 1 gives sigma_w^2 = 2; the question asks for sigma_w, the standard deviation scale"),
        Mistake("1/sqrt(2): the factor 1/2 applied the wrong way", lambda: 1 / np.sqrt(2.0),
                "half of the squared norm is lost at each layer, so the weights must be larger to compensate, not smaller"),
    ),
    hint=r"""
Per layer, $\mathbb{E}\|D_\ell A_\ell v\|^2 \approx \tfrac12\,\sigma_w^2\|v\|^2$: the weights multiply the
squared norm by $\sigma_w^2$, and $D_\ell$ keeps about half of the coordinates.
""",
    solution_code="""\
solution = np.sqrt(2.0)   # sigma_w^2 / 2 = 1: He initialization
""",
    evidence=_relu_evidence,
)

# ----------------------------------------------------------------------------- 8.8.3


def _mp_edges(p, N, *, square=True, ratio=None):
    c = p / N if ratio is None else ratio
    lo, hi = 1 - np.sqrt(c), 1 + np.sqrt(c)
    return np.array([lo**2, hi**2]) if square else np.array([lo, hi])


def _mp_evidence(data, answer):
    p, N = data["p"], data["N"]
    X = np.random.default_rng(7).standard_normal((p, N)) / np.sqrt(N)
    ev = np.linalg.eigvalsh(X @ X.T)
    return f"one simulated X (p = {p}, N = {N}): the eigenvalues of X X^T range from {ev[0]:.3f} to {ev[-1]:.3f}"


marchenko_pastur = Exercise(
    id="8.8.3",
    title="The edges of the Marchenko-Pastur law",
    level="medium",
    kind="array",
    rtol=1e-2,
    answer_note="an array `[lower, upper]` of two numbers",
    statement=r"""
Let $X\in\mathbb{R}^{p\times N}$ have independent $\mathcal{N}(0, 1/N)$ entries, with $p = 100$ and
$N = 400$. For large $p, N$ at a fixed ratio $c = p/N \le 1$, the eigenvalues of $XX^\top$ fill an
interval given by the Marchenko-Pastur law.

Give its edges as `[lower, upper]`. (The singular values of $X$ are the square roots of
these eigenvalues.)
""",
    build=lambda rng: {"p": 100, "N": 400},
    solution=lambda p, N: _mp_edges(p, N),
    mistakes=(
        Mistake("1 -+ sqrt(c): the edges for the singular values, not the eigenvalues", lambda p, N: _mp_edges(p, N, square=False),
                "the singular values of X fill [1 - sqrt(c), 1 + sqrt(c)]; the eigenvalues of X X^T are their squares"),
        Mistake("1 -+ c: the square root of the ratio is missing", lambda p, N: np.array([1 - p / N, 1 + p / N]),
                "the edges are (1 -+ sqrt(c))^2 with c = p / N"),
        Mistake("used the ratio N/p instead of p/N", lambda p, N: _mp_edges(p, N, ratio=N / p),
                "c = p / N = 0.25 is the aspect ratio of X (rows over columns), at most 1 here"),
        Mistake("the upper edge was given first", lambda p, N: _mp_edges(p, N)[::-1],
                "give [lower, upper]"),
    ),
    hint=r"""
The Marchenko-Pastur edges for $XX^\top$ are $(1\pm\sqrt{c})^2$ with $c = p/N$.
""",
    solution_code="""\
c = p / N
solution = np.array([(1 - np.sqrt(c)) ** 2, (1 + np.sqrt(c)) ** 2])
""",
    evidence=_mp_evidence,
)

# ----------------------------------------------------------------------------- 8.8.4


def _tanh_net_data(rng):
    L, n = 5, 6
    return {"As": 1.2 * rng.standard_normal((L, n, n)) / np.sqrt(n), "x": rng.standard_normal(n)}


def _tanh_jacobian(As, x, *, with_D=True, forward_order=False):
    n = x.size
    h = x
    factors = []
    for A in As:
        z = A @ h
        h = np.tanh(z)
        factors.append(((1 - h**2) if with_D else np.ones(n))[:, None] * A)  # D_l A_l
    J = np.eye(n)
    for F in factors:
        J = J @ F if forward_order else F @ J
    return J


def _ms(J, how="mean"):
    s = np.linalg.svd(J, compute_uv=False)
    return {"mean": np.mean(s**2), "sum": np.sum(s**2), "mean^2": np.mean(s) ** 2}[how]


tanh_jacobian = Exercise(
    id="8.8.4",
    title="The Jacobian spectrum of a given tanh network",
    level="hard",
    kind="number",
    statement=r"""
The data hold the weights of a 5-layer tanh network of width $n = 6$ (`As[l-1]` is $A_\ell$,
drawn with $\sigma_w = 1.2$; the biases are zero) and an input $x$. With
$h_0 = x$, $z_\ell = A_\ell h_{\ell-1}$, $h_\ell = \tanh(z_\ell)$, the input-output Jacobian at $x$ is
$J = D_5A_5\,D_4A_4\cdots D_1A_1$ with $D_\ell = \mathrm{Diag}(1 - \tanh^2(z_\ell))$.

Compute its mean squared singular value $\tfrac1n\sum_i s_i(J)^2$, to full precision.
""",
    build=_tanh_net_data,
    solution=lambda As, x: _ms(_tanh_jacobian(As, x)),
    mistakes=(
        Mistake("the D_l are missing: the Jacobian of the linear network", lambda As, x: _ms(_tanh_jacobian(As, x, with_D=False)),
                "each tanh layer contributes D_l = Diag(1 - tanh(z_l)^2) after A_l; it shrinks the spectrum (tanh' <= 1)"),
        Mistake("the factors multiplied in the forward order", lambda As, x: _ms(_tanh_jacobian(As, x, forward_order=True)),
                "the chain rule composes right to left: J = D_5 A_5 ... D_1 A_1, with layer 1 acting first (rightmost)"),
        Mistake("mean(s)^2 instead of mean(s^2)", lambda As, x: _ms(_tanh_jacobian(As, x), "mean^2"),
                "square each singular value first, then average: (1/n) sum s_i^2 = |J|_F^2 / n"),
        Mistake("sum of s^2: not divided by n", lambda As, x: _ms(_tanh_jacobian(As, x), "sum"),
                "the mean over the n singular values: divide |J|_F^2 by n"),
    ),
    hint=r"""
Run the forward pass and keep each $z_\ell$; build $J$ by `J = (1 - np.tanh(z)**2)[:, None] * A @ J`,
layer after layer, starting from the identity; then `np.sum(J**2) / n`.
""",
    solution_code="""\
n = x.size
h, J = x, np.eye(n)
for A in As:                          # A_1, ..., A_5
    z = A @ h
    h = np.tanh(z)
    J = (1 - h**2)[:, None] * (A @ J)  # J <- D_l A_l J
solution = np.sum(J**2) / n            # (1/n) sum_i s_i(J)^2
""",
)

register(product_scale, relu_gain, marchenko_pastur, tanh_jacobian)
