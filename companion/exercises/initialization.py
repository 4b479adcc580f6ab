"""Exercises for 8.8: at initialization, products of random Jacobians decide what trains.

- 8.8.1 the mean squared singular value of the backward map ``J^T`` of ``L`` Gaussian layers: ``sigma_w^{2L}`` (number);
- 8.8.2 the critical weight scale of a leaky-ReLU network: ``sqrt(2 / (1 + alpha^2))`` (number);
- 8.8.3 the Marchenko-Pastur edges ``(1 -+ sqrt(c))^2`` (array of two numbers);
- 8.8.4 the mean squared singular value of a given tanh network's input-output Jacobian (number);
- 8.8.5 (transfer) the mean squared singular value of a residual network's Jacobian: ``(1 + sigma_w^2)^L`` (number);
- 8.8.6 (concept) what a layer norm does to the Jacobian's spectrum (choice).

Predictions typed by hand are accepted within 1% (``rtol = 1e-2``), entry by entry.
"""

from __future__ import annotations

import numpy as np

from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.8.1


def _product_ms(sigma_w, L, n, rng):
    """Mean squared singular value ``|J^T|_F^2 / n`` of the backward map of ``J = A_L ... A_1``, one draw."""
    J = np.eye(n)
    for _ in range(L):
        J = (sigma_w / np.sqrt(n)) * rng.standard_normal((n, n)) @ J
    return float(np.sum(J.T**2) / n)


def _product_evidence(data, answer):
    ms = _product_ms(data["sigma_w"], data["L"], 200, np.random.default_rng(5))
    return f"one simulated network (n = 200): the mean squared singular value of J^T is {ms:.3f}"


product_scale = Exercise(
    id="8.8.1",
    title="How a product of random layers scales",
    level="easy",
    category="drill",
    kind="number",
    rtol=1e-2,
    statement=r"""
Take $L = 6$ independent random matrices $A_1,\dots,A_L\in\mathbb{R}^{n\times n}$ with independent
$\mathcal{N}(0, \sigma_w^2/n)$ entries, $\sigma_w = 1.3$ (a deep *linear* network at initialization), and
$J = A_L\cdots A_1$. Backprop carries a covector $\bar y$ at the output to $J^\top\bar y = A_1^\top\cdots
A_L^\top\bar y$ at
the input. Predict the mean squared singular value of this backward map,
$\tfrac1n\sum_i s_i(J^\top)^2$, in expectation. (It does not depend on $n$.)
""",
    build=lambda rng: {"sigma_w": 1.3, "L": 6},
    solution=lambda sigma_w, L: sigma_w ** (2 * L),
    mistakes=(
        Mistake(
            "sigma_w^L: the square is missing",
            lambda sigma_w, L: sigma_w**L,
            "each layer multiplies the expected squared norm of a vector by sigma_w^2 (a variance), not by sigma_w",
        ),
        Mistake(
            "L sigma_w^2: the layers were added, not multiplied",
            lambda sigma_w, L: L * sigma_w**2,
            "the factors of a product multiply: each layer rescales E|J v|^2 by sigma_w^2, so L layers give "
            "(sigma_w^2)^L",
        ),
        Mistake(
            "sigma_w^(2(L-1)): one layer too few",
            lambda sigma_w, L: sigma_w ** (2 * (L - 1)),
            "count the factors: A_1 to A_L are L matrices, each contributing sigma_w^2",
        ),
        Mistake(
            "sigma_w^(-2L): the backward map taken as the inverse",
            lambda sigma_w, L: sigma_w ** (-2 * L),
            "backprop applies the adjoint J^T, not J^-1: J^T has the same singular values as J",
        ),
    ),
    hints=(
        r"How do the singular values of $J^\top$ compare with those of $J$? So which quantity of $J$ is asked for?",
        r"$\tfrac1n\sum_i s_i(J)^2 = \tfrac1n\|J\|_F^2 = \tfrac1n\sum_j \|Je_j\|^2$: the average squared length of "
        r"the image of a unit vector.",
        r"For a fixed unit vector $v$ and one Gaussian layer, $\mathbb{E}\|Av\|^2 = "
        r"\sum_{i,j}\mathbb{E}[A_{ij}^2]\,v_j^2$; then use the "
        r"independence of the layers, one layer at a time.",
    ),
    solution_text=r"""
$J^\top$ has the singular values of $J$ (transpose the SVD), so the question is about $\tfrac1n\|J\|_F^2 =
\tfrac1n\sum_j\|Je_j\|^2$.
For a fixed $v$ and one layer, $\mathbb{E}\|Av\|^2 = \sum_i\sum_j \mathbb{E}[A_{ij}^2]v_j^2 =
n\cdot\tfrac{\sigma_w^2}{n}\|v\|^2 = \sigma_w^2\|v\|^2$.
Conditioning on $A_1,\dots,A_{l-1}$, layer $l$ does the same to the vector $A_{l-1}\cdots A_1v$, so
$$
\mathbb{E}\,\tfrac1n\|J\|_F^2 = \tfrac1n\sum_j \sigma_w^{2L}\|e_j\|^2 = \sigma_w^{2L} = 1.3^{12} \approx 23.3 .
$$
""",
    solution_code="""\
solution = sigma_w ** (2 * L)   # J^T has J's singular values; each layer multiplies E|J v|^2 by sigma_w^2
""",
    evidence=_product_evidence,
)

# ----------------------------------------------------------------------------- 8.8.2


def _leaky_ms(sigma_w, alpha, L, n, rng):
    """Mean squared singular value of one leaky-ReLU network's Jacobian (width ``n``, depth ``L``), one draw."""
    h, J = rng.standard_normal(n), np.eye(n)
    for _ in range(L):
        A = sigma_w * rng.standard_normal((n, n)) / np.sqrt(n)
        z = A @ h
        d = np.where(z > 0, 1.0, alpha)
        h, J = d * z, d[:, None] * (A @ J)
    return float(np.sum(J**2) / n)


def _leaky_evidence(data, sigma_w):
    ms = _leaky_ms(float(sigma_w), data["alpha"], 20, 200, np.random.default_rng(6))
    return (
        f"one simulated leaky-ReLU network with your sigma_w = {float(sigma_w):.4g} (n = 200, 20 layers): "
        f"the mean squared singular value of its Jacobian is {ms:.3g} (stable means about 1)"
    )


relu_gain = Exercise(
    id="8.8.2",
    title="The critical weight scale for a leaky ReLU",
    level="medium",
    category="drill",
    kind="number",
    rtol=1e-2,
    statement=r"""
A deep leaky-ReLU network at initialization: $z_\ell = A_\ell h_{\ell-1}$, $h_\ell = \phi(z_\ell)$ with
$\phi(z) = z$ for $z > 0$ and $\phi(z) = \alpha z$ for $z \le 0$ (slope $\alpha = 0.3$; the plain ReLU is $\alpha = 0$),
and $A_\ell$ of independent $\mathcal{N}(0, \sigma_w^2/n)$ entries. Its input-output Jacobian is
$J = D_LA_L\cdots D_1A_1$ with $D_\ell = \mathrm{Diag}\big(\phi'(z_\ell)\big)$.

Which $\sigma_w$ keeps the mean squared singular value of $J$ at 1 at every depth, neither
exploding nor vanishing? Give the number.
""",
    build=lambda rng: {"alpha": 0.3},
    solution=lambda alpha: np.sqrt(2.0 / (1.0 + alpha**2)),
    mistakes=(
        Mistake(
            "sqrt(2): the plain ReLU's scale, the leak ignored",
            lambda alpha: np.sqrt(2.0),
            "with a leak the negative half keeps alpha^2 of its squared norm instead of nothing: "
            "E[phi'(z)^2] = (1 + alpha^2) / 2, not 1/2",
        ),
        Mistake(
            "sqrt(2 / (1 + alpha)): the slope not squared",
            lambda alpha: np.sqrt(2.0 / (1.0 + alpha)),
            "the mean square sees phi'(z)^2: the negative half contributes alpha^2, not alpha",
        ),
        Mistake(
            "2 / (1 + alpha^2): that is sigma_w^2, not sigma_w",
            lambda alpha: 2.0 / (1.0 + alpha**2),
            "the condition sigma_w^2 (1 + alpha^2) / 2 = 1 gives sigma_w^2; the question asks for sigma_w",
        ),
        Mistake(
            "1: the value for a linear network",
            lambda alpha: 1.0,
            "the leaky ReLU keeps the positive half and alpha^2 of the negative half of the squared norm: the "
            "weights must make up for what is lost",
        ),
        Mistake(
            "the factor applied the wrong way",
            lambda alpha: np.sqrt((1.0 + alpha**2) / 2.0),
            "part of the squared norm is lost at each layer, so the weights must be larger than 1 to compensate",
        ),
    ),
    hints=(
        r"By {eq}`eq-8-8-chi` each layer multiplies the mean square by $\chi = \sigma_w^2\,\mathbb{E}[\phi'(z)^2]$; "
        r"the critical gain makes $\chi = 1$.",
        r"$z_\ell$ is symmetric about 0 (flip the sign of $A_\ell$): what fraction of the units sits on each side?",
        r"$\phi'(z)^2$ is $1$ on one half and $\alpha^2$ on the other, so $\mathbb{E}[\phi'(z)^2]$ is their average; "
        r"solve $\chi = 1$ for $\sigma_w > 0$.",
    ),
    solution_text=r"""
Per layer the mean square is multiplied by $\chi = \sigma_w^2\,\mathbb{E}[\phi'(z_\ell)^2]$. Replacing $A_\ell$ by
$-A_\ell$ does not change
its law but flips the sign of $z_\ell$, so each unit is positive with probability $\tfrac12$:
$\mathbb{E}[\phi'(z)^2] = \tfrac12\cdot1 + \tfrac12\cdot\alpha^2$. Hence
$$
\chi = \sigma_w^2\,\frac{1 + \alpha^2}{2} = 1 \quad\Longleftrightarrow\quad \sigma_w = \sqrt{\frac{2}{1 + \alpha^2}}
= \sqrt{2/1.09} \approx 1.355 ,
$$
which is He's $\sqrt2$ at $\alpha = 0$ and the linear network's $1$ at $\alpha = 1$.
""",
    solution_code="""\
solution = np.sqrt(2.0 / (1.0 + alpha**2))   # sigma_w^2 (1 + alpha^2) / 2 = 1
""",
    evidence=_leaky_evidence,
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
    category="drill",
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
        Mistake(
            "1 -+ sqrt(c): the edges for the singular values, not the eigenvalues",
            lambda p, N: _mp_edges(p, N, square=False),
            "the singular values of X fill [1 - sqrt(c), 1 + sqrt(c)]; the eigenvalues of X X^T are their squares",
        ),
        Mistake(
            "1 -+ c: the square root of the ratio is missing",
            lambda p, N: np.array([1 - p / N, 1 + p / N]),
            "the edges are (1 -+ sqrt(c))^2 with c = p / N",
        ),
        Mistake(
            "used the ratio N/p instead of p/N",
            lambda p, N: _mp_edges(p, N, ratio=N / p),
            "c = p / N = 0.25 is the aspect ratio of X (rows over columns), at most 1 here",
        ),
        Mistake("the upper edge was given first", lambda p, N: _mp_edges(p, N)[::-1], "give [lower, upper]"),
    ),
    hints=(
        r"The page's law {eq}`eq-8-8-mp` is stated for $A^\top A$ with $A\in\mathbb{R}^{m\times n}$ of $\mathcal N(0, "
        r"\sigma_w^2/n)$ entries. "
        r"Which $A$ gives $XX^\top = A^\top A$?",
        r"With $A = X^\top$: read off $m$, $n$, and $\sigma_w^2$ from the variance $1/N$ of the entries.",
        r"Put them in the ratio $\lambda = n/m$ and the scale $\nu = \sigma_w^2 m/n$ of {eq}`eq-8-8-mp`, whose edges "
        r"are $\nu(1\mp\sqrt\lambda)^2$.",
    ),
    solution_text=r"""
$XX^\top = A^\top A$ for $A = X^\top\in\mathbb{R}^{N\times p}$: $m = N$, $n = p$, and the entries' variance $1/N$ is
$\sigma_w^2/n$ with
$\sigma_w^2 = p/N = c$. So the ratio is $\lambda = n/m = c$ and the scale $\nu = \sigma_w^2 m/n = c\cdot N/p = 1$,
and the eigenvalues of
$XX^\top$ fill
$$
\big[(1 - \sqrt c)^2,\ (1 + \sqrt c)^2\big] = [0.25,\ 2.25] \qquad (c = 100/400 = 0.25).
$$
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
    category="drill",
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
        Mistake(
            "the D_l are missing: the Jacobian of the linear network",
            lambda As, x: _ms(_tanh_jacobian(As, x, with_D=False)),
            "each tanh layer contributes D_l = Diag(1 - tanh(z_l)^2) after A_l; it shrinks the spectrum (tanh' <= 1)",
        ),
        Mistake(
            "the factors multiplied in the forward order",
            lambda As, x: _ms(_tanh_jacobian(As, x, forward_order=True)),
            "the chain rule composes right to left: J = D_5 A_5 ... D_1 A_1, with layer 1 acting first (rightmost)",
        ),
        Mistake(
            "mean(s)^2 instead of mean(s^2)",
            lambda As, x: _ms(_tanh_jacobian(As, x), "mean^2"),
            "square each singular value first, then average: (1/n) sum s_i^2 = |J|_F^2 / n",
        ),
        Mistake(
            "sum of s^2: not divided by n",
            lambda As, x: _ms(_tanh_jacobian(As, x), "sum"),
            "the mean over the n singular values: divide |J|_F^2 by n",
        ),
    ),
    hints=(
        r"Run the forward pass once and keep each $z_\ell$ (or $h_\ell = \tanh z_\ell$): every $D_\ell$ depends on it.",
        r"Build the product from the input side, $J_\ell = D_\ell A_\ell J_{\ell-1}$ with $J_0 = I$, so layer 1 acts "
        r"first.",
        r"No singular value decomposition is needed: $\sum_i s_i(J)^2 = \mathrm{tr}(J^\top J) = \|J\|_F^2$.",
    ),
    solution_text=r"""
By the chain rule {eq}`eq-8-8-product` the Jacobian is built layer by layer, $J_\ell = D_\ell A_\ell J_{\ell-1}$ from
$J_0 = I$, with
$D_\ell = \mathrm{Diag}(1 - h_\ell^2)$ since $\tanh' = 1 - \tanh^2$. Multiplying by a diagonal matrix on the left
scales rows, so
each step is `d[:, None] * (A @ J)`. Then
$$
\frac1n\sum_i s_i(J)^2 = \frac1n\,\mathrm{tr}(J^\top J) = \frac1n\|J\|_F^2 ,
$$
printed to full precision (the data are fixed, so the answer is a number to 6 or more digits, not an estimate).
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

# ----------------------------------------------------------------------------- 8.8.5 (transfer)


def _residual_ms(sigma_w, L, n, rng):
    """Mean squared singular value of ``J = (I + A_L) ... (I + A_1)``, one draw."""
    J = np.eye(n)
    for _ in range(L):
        J = J + (sigma_w / np.sqrt(n)) * rng.standard_normal((n, n)) @ J
    return float(np.sum(J**2) / n)


def _residual_evidence(data, answer):
    rng = np.random.default_rng(8)
    ms = [_residual_ms(data["sigma_w"], data["L"], 200, rng) for _ in range(20)]
    return f"20 simulated residual networks (n = 200): mean squared singular value {np.mean(ms):.3f} on average"


residual_spectrum = Exercise(
    id="8.8.5",
    title="The Jacobian of a residual network",
    level="medium",
    category="transfer",
    kind="number",
    rtol=1e-2,
    statement=r"""
A deep *residual* linear network adds each layer to an identity path: $h_\ell = h_{\ell-1} + A_\ell h_{\ell-1}$, with
$L = 16$ independent layers $A_\ell\in\mathbb{R}^{n\times n}$ of $\mathcal{N}(0, \sigma_w^2/n)$ entries, $\sigma_w =
0.5$.
Its input-output Jacobian is $J = (I + A_L)\cdots(I + A_1)$.

Predict the mean squared singular value $\tfrac1n\sum_i s_i(J)^2$ in expectation. (It does not depend on $n$.)
""",
    build=lambda rng: {"sigma_w": 0.5, "L": 16},
    solution=lambda sigma_w, L: (1 + sigma_w**2) ** L,
    mistakes=(
        Mistake(
            "sigma_w^(2L): the skip connections ignored",
            lambda sigma_w, L: sigma_w ** (2 * L),
            "each factor is I + A_l, not A_l: the identity path carries |v|^2 through every layer",
        ),
        Mistake(
            "(1 + sigma_w)^(2L): the cross term counted",
            lambda sigma_w, L: (1 + sigma_w) ** (2 * L),
            "|v + A v|^2 = |v|^2 + 2 v^T A v + |A v|^2, and E[v^T A v] = 0: the middle term vanishes in expectation",
        ),
        Mistake(
            "1 + L sigma_w^2: the layers' contributions added",
            lambda sigma_w, L: 1 + L * sigma_w**2,
            "the factors multiply: each layer rescales E|J v|^2 by (1 + sigma_w^2), so L layers give (1 + sigma_w^2)^L",
        ),
        Mistake(
            "2^L: the identity and the layer counted as two unit paths",
            lambda sigma_w, L: 2.0**L,
            "the layer's path contributes sigma_w^2 |v|^2, not |v|^2: E|A v|^2 = sigma_w^2 |v|^2",
        ),
    ),
    hints=(
        r"As for a plain network, follow $\mathbb{E}\|Jv\|^2$ for a fixed unit $v$, one layer at a time, conditioning "
        r"on the layers before it.",
        r"For one layer, expand $\|(I + A)v\|^2$ into three terms.",
        r"Average each term over $A$ alone, with $v$ fixed: the middle term is linear in the entries of $A$, and the "
        r"last is the one-layer computation in the proof of {prf:ref}`prop-8-8-linear`. The factor you find does not "
        r"depend on $v$, so the layers' factors multiply.",
    ),
    solution_text=r"""
For a fixed $v$ and one layer, $\mathbb{E}\|(I + A)v\|^2 = \|v\|^2 + 2\,\mathbb{E}[v^\top Av] + \mathbb{E}\|Av\|^2 =
(1 + \sigma_w^2)\|v\|^2$, since
$\mathbb{E}[A] = 0$. By independence of the layers (condition on the earlier ones) and averaging over $v = e_j$,
$$
\mathbb{E}\,\tfrac1n\|J\|_F^2 = (1 + \sigma_w^2)^L = 1.25^{16} \approx 35.5 .
$$
The residual path cannot vanish, but it grows: a residual network is critical only when its branches are
scaled down with depth ($\sigma_w^2 \propto 1/L$ gives $(1 + c/L)^L \to e^c$).
""",
    solution_code="""\
solution = (1 + sigma_w**2) ** L   # E|(I + A) v|^2 = (1 + sigma_w^2) |v|^2, layer after layer
""",
    evidence=_residual_evidence,
)

# ----------------------------------------------------------------------------- 8.8.6 (concept)

layer_norm_spectrum = Exercise(
    id="8.8.6",
    title="What a layer norm does to the spectrum",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
Put a layer norm after every weight matrix of a deep linear network with Gaussian layers:
$h_\ell = \mathrm{LN}(A_\ell h_{\ell-1})$ with $\mathrm{LN}(z) = Pz/s(z)$, $P = I - \tfrac1n\mathbf 1\mathbf 1^\top$
and $s(z) = \|Pz\|/\sqrt n$, whose
Jacobian is $J_{\mathrm{LN}}(z) = \tfrac1{s(z)}\big(P - \tfrac1n yy^\top\big)$ with $y = \mathrm{LN}(z)$. Which
statements about the singular values of the input-output Jacobian at depth $L$, and about the layer norm's own
$J_{\mathrm{LN}}$, are true? (Several may be.)
""",
    options=(
        Option(
            "a",
            r"they do not change when every $A_\ell$ is multiplied by the same gain $\sigma_w > 0$",
            True,
            r"$\mathrm{LN}(cz) = \mathrm{LN}(z)$ and $J_{\mathrm{LN}}(cz) = J_{\mathrm{LN}}(z)/c$, so "
            r"$J_{\mathrm{LN}}(cz)\,cA = J_{\mathrm{LN}}(z)A$: the gain cancels exactly",
        ),
        Option(
            "b",
            "they all equal 1: the normalization makes the network an isometry",
            False,
            r"the $1/s$ factor fixes the overall scale only; the product of Gaussian layers still spreads the "
            r"singular values over orders of magnitude",
        ),
        Option(
            "c",
            "at least two of them are exactly zero",
            True,
            r"$P - \tfrac1n yy^\top$ is the orthogonal projection onto the complement of $\mathrm{span}\{\mathbf 1, "
            r"y\}$ (rank $n-2$), and the last layer norm is applied last",
        ),
        Option(
            "d",
            r"backprop through a layer norm multiplies the covector by $s(z)$",
            False,
            r"$J_{\mathrm{LN}}$ is symmetric, so the pullback is $J_{\mathrm{LN}}^\top\bar y = J_{\mathrm{LN}}\bar "
            r"y$: it divides by $s$, and projects",
        ),
        Option(
            "e",
            "the mean squared singular value still explodes as fast as without the layer norm for a gain above 1",
            False,
            r"the $1/s(z)$ factor divides out the gain at every layer: it no longer grows like $\sigma_w^{2L}$",
        ),
        Option(
            "f",
            r"every layer norm adds two more zero singular values, so at depth $L$ at least $\min(n, 2L)$ are zero",
            False,
            r"each projection has the two-dimensional kernel $\mathrm{span}\{\mathbf 1, y_\ell\}$, but after the "
            r"first one the range passed on, of dimension $n - 2$ through the invertible Gaussian $A_\ell$, meets that "
            r"kernel only at 0 (with probability one). The rank stays $n - 2$ at every depth: exactly two zeros, "
            r"however small the spread makes the others",
        ),
        Option(
            "g",
            r"at width $n = 2$ the Jacobian is zero, whatever the weights and the input (where the layer norms are "
            r"defined)",
            True,
            r"for $n = 2$, $y\perp\mathbf 1$ and both are non-zero, so $\mathrm{span}\{\mathbf 1, y\}$ is the whole "
            r"plane and the projection onto its complement is 0: the layer norm's output is $\pm(1, -1)$, constant "
            r"near any $z$ with $z_1\neq z_2$",
        ),
        Option(
            "h",
            r"for one layer norm alone at $n = 4$ and $z = (3, -1, 3, -1)$, the singular values of "
            r"$J_{\mathrm{LN}}(z)$ are $\tfrac12, \tfrac12, 0, 0$",
            True,
            r"$Pz = (2, -2, 2, -2)$ (the mean 1 removed), so $s(z) = \|Pz\|/\sqrt4 = 2$, and $P - \tfrac1n yy^\top$ is "
            r"a projection of rank $n - 2 = 2$: singular values $1/s = \tfrac12$ twice and 0 twice. Computing $s$ "
            r"from $z$ itself, $\|z\|/2 = \sqrt5$, forgets the centring",
        ),
    ),
    hints=(
        r"What is $\mathrm{LN}(cz)$ for $c > 0$? Differentiate both sides of that identity in $z$.",
        r"Check that $\Pi = P - \tfrac1n yy^\top$ is symmetric with $\Pi^2 = \Pi$, using $P\mathbf 1 = 0$, $Py = y$ "
        r"and $y^\top y = n$: what are the singular values of one $J_{\mathrm{LN}}(z) = \Pi/s(z)$?",
        r"For the whole network, count ranks: the last factor is a projection of rank $n - 2$, so the rank is at most "
        r"$n - 2$; going through the layers, it drops at a layer norm only where the range passed on to it meets the "
        r"kernel $\mathrm{span}\{\mathbf 1, y_\ell\}$ of its projection. And a scale factor does not undo a spread.",
    ),
    solution_text=r"""
$\mathrm{LN}(cz) = \mathrm{LN}(z)$ for $c > 0$; differentiating, $c\,J_{\mathrm{LN}}(cz) = J_{\mathrm{LN}}(z)$. A
layer with gain $c$ contributes
$J_{\mathrm{LN}}(cz)\,cA = J_{\mathrm{LN}}(z)A$, and the layer's output is the same, so the whole Jacobian is the
same for every gain (a), and
nothing grows like $\sigma_w^{2L}$ any more (e is false). With $P\mathbf 1 = 0$, $Py = y$, $y^\top y = n$, the matrix
$\Pi = P - \tfrac1n yy^\top$ is symmetric and idempotent: the orthogonal projection onto the complement of
$\mathrm{span}\{\mathbf 1, y\}$, of rank $n-2$; so $J = \tfrac1{s_L}\Pi_L A_L\cdots$ has at least two zero singular
values (c). The pullback is
$J_{\mathrm{LN}}^\top = J_{\mathrm{LN}}$: divided by $s$ (d is false). The Gaussian factors $A_\ell$ are still there,
and their product spreads
the spectrum (b is false).

The zeros do not accumulate with depth (f is false): each $A_\ell$ is invertible, and the $(n-2)$-dimensional range
passed on to layer $\ell$ meets the two-dimensional kernel $\mathrm{span}\{\mathbf 1, y_\ell\}$ of its projection only
at 0, with probability one, so the rank stays $n - 2$. At $n = 2$ that rank is 0: the Jacobian vanishes, because the
output $\pm(1, -1)$ does not move (g). For a single $z = (3, -1, 3, -1)$, the centred $Pz = (2, -2, 2, -2)$ gives
$s(z) = 4/2 = 2$, and $\Pi/s$ has the singular values $\tfrac12, \tfrac12, 0, 0$ (h). The answer is (a), (c), (g), (h).
""",
)

register(product_scale, relu_gain, marchenko_pastur, tanh_jacobian, residual_spectrum, layer_norm_spectrum)
