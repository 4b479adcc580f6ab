"""Exercises for 8.6: the pullback of single-head attention.

``S = Q K^T / sqrt(d)``, ``P = softmax(S)`` by rows, ``Y = P V``; ``G_Y = grad_Y ℒ``. Stacks of heads
carry the head index first, ``(h, n, d)``; the transposes are then of the last two axes.

- 8.6.1 the value weights, ``V = X W_V``: ``grad_{W_V} ℒ = X^T P^T G_Y`` (array);
- 8.6.2 ``softmax_vjp(P, G_P)`` for stacks of rows, the pullback through the row-wise softmax (function);
- 8.6.3 ``G_K = G_S^T Q / sqrt(d)`` behind an output projection, ``ℒ = 1/2 ||Y W_O - T||_F^2`` (array);
- 8.6.4 the whole pullback of a stack of heads ``attention_backward(Q, K, V, G_Y) -> (G_Q, G_K, G_V)`` (function);
- 8.6.5 (transfer) causal attention: ``G_Q`` through the masked softmax (array);
- 8.6.6 (concept) why the rows of ``G_S`` sum to zero, and what follows for ``G_Q`` and ``G_K`` (choice).
"""

from __future__ import annotations

import numpy as np

from ..differentials import taylor_test
from .evidence import gradient_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _T(A):
    """The transpose of the last two axes (a matrix, or each matrix of a stack)."""
    return np.swapaxes(A, -1, -2)


def _sm(S, axis=-1, allowed=None):
    """Stable softmax along ``axis``; entries where ``allowed`` is False get probability 0 (a mask of -inf)."""
    if allowed is not None:
        S = np.where(allowed, S, -np.inf)
    E = np.exp(S - S.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _svjp(P, G_P, *, axis=-1, weighted=True, drop_pp=False, times_p=True):
    """Row-wise softmax pullback and its typical corruptions."""
    if drop_pp:
        return P * G_P
    c = np.sum(P * G_P, axis=axis, keepdims=True) if weighted else G_P.mean(axis=axis, keepdims=True)
    return P * (G_P - c) if times_p else G_P - c


def _causal(n):
    """The causal pattern: query i may attend to keys j <= i."""
    return np.tril(np.ones((n, n), dtype=bool))


def _forward(Q, K, V, *, scale_S=True, softmax_axis=-1, allowed=None, zero_masked=False):
    """``(P, Y)`` of attention; ``allowed`` masks the scores (-inf, or 0 with ``zero_masked``)."""
    S = Q @ _T(K) * (1.0 / np.sqrt(Q.shape[-1]) if scale_S else 1.0)
    if allowed is not None and zero_masked:
        S, allowed = np.where(allowed, S, 0.0), None
    P = _sm(S, axis=softmax_axis, allowed=allowed)
    return P, P @ V


def _backward(Q, K, V, G_Y, *, scale_S=True, scale_back=True, softmax_axis=-1, drop_pp=False, skip_softmax=False,
              gk_T=True, gq_T=False, gv_T=True, c_axis=-1, allowed=None, zero_masked=False, mask_G_S=None):
    """(G_Q, G_K, G_V) of attention, with switches for the usual slips."""
    P, _ = _forward(Q, K, V, scale_S=scale_S, softmax_axis=softmax_axis, allowed=allowed, zero_masked=zero_masked)
    G_V = (_T(P) if gv_T else P) @ G_Y
    G_P = G_Y @ _T(V)
    G_S = G_P if skip_softmax else _svjp(P, G_P, drop_pp=drop_pp, axis=c_axis)
    if mask_G_S is not None:
        G_S = np.where(mask_G_S, G_S, 0.0)
    sb = 1.0 / np.sqrt(Q.shape[-1]) if scale_back else 1.0
    G_Q = sb * ((_T(G_S) if gq_T else G_S) @ K)
    G_K = sb * ((_T(G_S) if gk_T else G_S) @ Q)
    return G_Q, G_K, G_V


def _loss_of(Q, K, V, G_Y, **kw):
    """``<G_Y, Y>_F``: a loss whose gradient in Y is G_Y (for the Taylor evidence)."""
    return float(np.sum(G_Y * _forward(Q, K, V, **kw)[1]))


# ----------------------------------------------------------------------------- 8.6.1


def _value_weights_data(rng):
    return {"Q": rng.standard_normal((4, 3)), "K": rng.standard_normal((4, 3)), "X": rng.standard_normal((4, 5)),
            "W_V": rng.standard_normal((5, 2)) / 2.0, "G_Y": rng.standard_normal((4, 2))}


def _value_weights(Q, K, X, W_V, G_Y, **kw):
    return X.T @ _backward(Q, K, X @ W_V, G_Y, **kw)[2]


value_gradient = Exercise(
    id="8.6.1",
    title="The gradient for the values",
    level="easy",
    category="drill",
    statement=r"""
Single-head attention with $n = 4$ positions and $d = 3$: $S = QK^\top/\sqrt{d}$,
$P = \mathrm{softmax}(S)$ by rows, $Y = PV$. Here the values are computed from the tokens'
features $X\in\mathbb{R}^{4\times5}$ by a weight matrix, $V = XW_V$ with $W_V\in\mathbb{R}^{5\times2}$. The data hold
$Q$, $K$, $X$, $W_V$ and the gradient $G_Y = \nabla_Y\mathcal{L}$ delivered by the rest of the network.

Compute $\nabla_{W_V}\mathcal{L}$.
""",
    build=_value_weights_data,
    solution=lambda **d: _value_weights(**d),
    mistakes=(
        Mistake("X^T P G_Y: the transpose of P is missing", lambda **d: _value_weights(**d, gv_T=False),
                "<G_Y, P dV>_F = tr(G_Y^T P dV) = <P^T G_Y, dV>_F: the adjoint of dV -> P dV is P^T"),
        Mistake("P^T G_Y: that is G_V, one step short of W_V",
                lambda Q, K, X, W_V, G_Y: _backward(Q, K, X @ W_V, G_Y)[2],
                "P^T G_Y is the gradient for V (4 x 2); W_V (5 x 2) is reached through V = X W_V, whose pullback is "
                "X^T"),
        Mistake("missing 1/sqrt(d) in the scores S", lambda **d: _value_weights(**d, scale_S=False),
                "S = Q K^T / sqrt(d): without the scale the softmax is sharper and P is wrong"),
        Mistake("softmax taken over the columns instead of the rows", lambda **d: _value_weights(**d, softmax_axis=0),
                "each query's weights over the keys form a row of P: normalize along axis=1 (each row sums to 1)"),
    ),
    hints=(
        r"""Two maps lie between $W_V$ and $Y$: $W_V\mapsto V = XW_V$, then $V\mapsto Y = PV$, with $P$ fixed
(it does not depend on $W_V$).""",
        r"""Only $W_V$ moves: $dY = P\,X\,dW_V$. Pair it with $G_Y$.""",
        r"""Move $dW_V$ to the right end of the trace, $\mathrm{tr}(G_Y^\top P X\,dW_V)$, and read off the
Frobenius representer.""",
    ),
    solution_text=r"""
Only $V$ depends on $W_V$, and $P$ does not, so $dY = P\,dV = P X\,dW_V$. Then

$$
d\mathcal{L} = \langle G_Y, PX\,dW_V\rangle_F = \mathrm{tr}\big(G_Y^\top P X\,dW_V\big)
= \big\langle X^\top P^\top G_Y,\ dW_V\big\rangle_F ,
$$

so $\nabla_{W_V}\mathcal{L} = X^\top P^\top G_Y = X^\top G_V$ with $G_V = P^\top G_Y$ from the page: the pullback
through
$Y = PV$ first, then through $V = XW_V$ (whose adjoint in $W_V$ is $G\mapsto X^\top G$).
""",
    solution_code="""\
from companion.models import softmax
P = softmax(Q @ K.T / np.sqrt(Q.shape[1]))   # by rows
G_V = P.T @ G_Y                              # the pullback through Y = P V
solution = X.T @ G_V                         # then through V = X W_V
""",
    evidence=gradient_evidence(lambda Q, K, X, W_V, G_Y: ((lambda W: _loss_of(Q, K, X @ W, G_Y)), W_V)),
)

# ----------------------------------------------------------------------------- 8.6.2


def _softmax_data(rng):
    S = 1.5 * rng.standard_normal((4, 4))
    return {"P": _sm(S), "G_P": rng.standard_normal((4, 4)), "S": S}


def _softmax_trials(rng, **_):
    out = []
    for shape in ((2, 4, 4), (3, 5), (2, 3, 4), (3, 2, 6)):
        out.append((_sm(1.5 * rng.standard_normal(shape)), rng.standard_normal(shape)))
    return out


def _softmax_evidence(data, fn):
    S, G_P = data["S"], data["G_P"]
    dS = np.random.default_rng(3).standard_normal(S.shape)
    G_S = np.asarray(fn(_sm(S), G_P), dtype=float)
    return taylor_test(lambda Z: float(np.sum(G_P * _sm(Z))), S, dS, float(np.sum(G_S * dS)))


softmax_pullback = Exercise(
    id="8.6.2",
    title="The pullback through row-wise softmax",
    level="medium",
    category="drill",
    kind="function",
    signature="softmax_vjp(P, G_P)",
    statement=r"""
Attention layers run several heads at once, so their scores come as a stack: an array of shape
$(h, n, m)$, one $n\times m$ score matrix per head, and the softmax is taken along the **last**
axis (each row of each matrix). Given the probabilities $P$ and $G_P = \nabla_P\mathcal{L}$ of the same
shape, the pullback is $G_S = \nabla_S\mathcal{L}$.

Write `softmax_vjp(P, G_P)` returning $G_S$ for arrays with any number of leading axes
($(n, m)$, $(h, n, m)$, ...), without building an $m\times m$ matrix per row. The data hold the
example of one head, `P`, `G_P` (and the `S` they came from); the checker also tries stacks.
""",
    build=_softmax_data,
    solution=lambda **_: (lambda P, G_P: _svjp(P, G_P)),
    trials=_softmax_trials,
    mistakes=(
        Mistake("dropped the -p p^T term of the softmax Jacobian",
                lambda **_: (lambda P, G_P: _svjp(P, G_P, drop_pp=True)),
                "the Jacobian of one row is Diag(p) - p p^T; applied to g it gives p * g - p (p . g) = p * (g - p . "
                "g): keep the second term"),
        Mistake("axis=1: the rows of one matrix, but the columns of a stack",
                lambda **_: (lambda P, G_P: _svjp(P, G_P, axis=1)),
                "right for a 2-D array, wrong for a stack (h, n, m), where axis=1 runs down the columns: "
                "take the inner product along the last axis, axis=-1"),
        Mistake("worked on the columns (axis=-2): the softmax is by rows",
                lambda **_: (lambda P, G_P: _svjp(P, G_P, axis=-2)),
                "each row of P is the softmax of the same row of S: the inner product p . g runs along a row (the last "
                "axis)"),
        Mistake("subtracted the plain row mean of G_P instead of the P-weighted one",
                lambda **_: (lambda P, G_P: _svjp(P, G_P, weighted=False)),
                "p p^T g = p (p . g): the number subtracted from each g_j is the P-weighted sum sum_k p_k g_k, not the "
                "mean of g"),
        Mistake("G_P - (p . g): the outer factor P is missing",
                lambda **_: (lambda P, G_P: _svjp(P, G_P, times_p=False)),
                "(Diag(p) - p p^T) g = p * g - p (p . g) = p * (g - p . g): every entry is multiplied by its p_j"),
    ),
    hints=(
        r"""Treat one row first: $p = \mathrm{softmax}(s)$ has the Jacobian $J_p = \mathrm{Diag}(p) - pp^\top$, and the
pullback of $g$ is $J_p^\top g$.""",
        r"""$J_p$ is symmetric. Expand $J_p\,g$ into an entrywise product and one inner product per row,
so that no $m\times m$ matrix is formed.""",
        r"""In numpy, let every operation act along the last axis and keep that axis for broadcasting
(`axis=-1, keepdims=True`); the leading axes then come along for free.""",
    ),
    solution_text=r"""
For one row, $\nabla_s\mathcal{L} = J_p^\top g = J_p\,g$ ($J_p = \mathrm{Diag}(p) - pp^\top$ is symmetric), and

$$
(\mathrm{Diag}(p) - pp^\top)\,g = p\odot g - p\,\langle p, g\rangle = p\odot\big(g - \langle p, g\rangle\mathbf{1}\big).
$$

For all rows of all heads at once: $G_S = P\odot(G_P - c)$, where $c$ holds one number per row,
$c = \sum_j P_{\dots j}(G_P)_{\dots j}$, the sum along the last axis, kept as an axis of length 1 so that it
broadcasts along its row. The cost is $O(\text{size of } P)$; the leading axes (heads, a batch)
need no loop. Summing along `axis=1` would be right for one matrix and wrong for a stack.
""",
    solution_code="""\
def softmax_vjp(P, G_P):
    \"\"\"G_S = P * (G_P - c), c = <P, G_P> along each row (the last axis); P, G_P: (..., n, m).\"\"\"
    c = np.sum(P * G_P, axis=-1, keepdims=True)
    return P * (G_P - c)

solution = softmax_vjp
""",
    evidence=_softmax_evidence,
)

# ----------------------------------------------------------------------------- 8.6.3


def _projection_data(rng):
    return {"Q": rng.standard_normal((4, 3)), "K": rng.standard_normal((4, 3)), "V": rng.standard_normal((4, 2)),
            "W_O": rng.standard_normal((2, 3)), "T": rng.standard_normal((4, 3))}


def _projected_backward(Q, K, V, W_O, T, **kw):
    """(G_Q, G_K, G_V) for ℒ = 1/2 ||Y W_O - T||_F^2, through G_Y = (Y W_O - T) W_O^T."""
    _, Y = _forward(Q, K, V)
    return _backward(Q, K, V, (Y @ W_O - T) @ W_O.T, **kw)


def _projected_objective(Q, K, V, W_O, T):
    return (lambda Z: 0.5 * float(np.sum((_forward(Q, Z, V)[1] @ W_O - T) ** 2))), K


key_gradient = Exercise(
    id="8.6.3",
    title="The gradient for the keys",
    level="medium",
    category="drill",
    statement=r"""
Single-head attention with $n = 4$ positions, $d = 3$ and $d_v = 2$: $S = QK^\top/\sqrt{d}$,
$P = \mathrm{softmax}(S)$ by rows, $Y = PV$. An output projection $W_O\in\mathbb{R}^{2\times3}$ follows, and the loss
is $\mathcal{L} = \tfrac12\|YW_O - T\|_F^2$ for a target $T\in\mathbb{R}^{4\times3}$. The data hold $Q$, $K$, $V$,
$W_O$ and $T$.

Compute $G_K = \nabla_K\mathcal{L}$.
""",
    build=_projection_data,
    solution=lambda **d: _projected_backward(**d)[1],
    mistakes=(
        Mistake("G_Q submitted: that is the gradient for the queries, not the keys",
                lambda **d: _projected_backward(**d)[0],
                "G_S K / sqrt(d) is G_Q, the pullback to Q through dS = dQ K^T / sqrt(d); the keys enter through "
                "dS = Q dK^T / sqrt(d), and <G_S, Q dK^T>_F = <G_S^T Q, dK>_F"),
        Mistake("missing 1/sqrt(d)", lambda **d: _projected_backward(**d, scale_back=False)[1],
                "S = Q K^T / sqrt(d), so dS = Q dK^T / sqrt(d): the factor 1/sqrt(d) comes back in the pullback"),
        Mistake("G_S Q instead of G_S^T Q", lambda **d: _projected_backward(**d, gk_T=False)[1],
                "K enters S transposed: <G_S, Q dK^T>_F = tr(G_S^T Q dK^T) = <G_S^T Q, dK>_F"),
        Mistake("dropped the -p p^T term of the softmax Jacobian",
                lambda **d: _projected_backward(**d, drop_pp=True)[1],
                "G_S = P * (G_P - c) with c_i = <P[i], G_P[i]>, not P * G_P"),
        Mistake("skipped the softmax: G_P used as G_S", lambda **d: _projected_backward(**d, skip_softmax=True)[1],
                "between P and S sits the softmax: G_S is the softmax pullback of G_P = G_Y V^T"),
    ),
    hints=(
        r"""Start where the loss is: with $R = YW_O - T$, $d\mathcal{L} = \langle R, dY\,W_O\rangle_F$.
Move $W_O$ across
to find $G_Y$ (the trace rule of {doc}`8.3 <8-3-trace-principle>`).""",
        r"""Then the page's stages in reverse order: $Y = PV$ gives $G_P$, the row softmax gives $G_S$.""",
        r"""$K$ enters the scores transposed, $dS = Q\,dK^\top/\sqrt d$: rewrite $\langle G_S, Q\,dK^\top\rangle_F$ as a
pairing with $dK$ (a trace equals the trace of its transpose).""",
    ),
    solution_text=r"""
With $R = YW_O - T$,
$d\mathcal{L} = \langle R, dY\,W_O\rangle_F = \mathrm{tr}(W_O R^\top dY) = \langle RW_O^\top, dY\rangle_F$, so
$G_Y = (YW_O - T)\,W_O^\top$. Then, stage by stage,

$$
G_P = G_YV^\top, \qquad G_S = P\odot\big(G_P - c\,\mathbf{1}^\top\big),\ c_i = \langle P_{i:}, (G_P)_{i:}\rangle ,
$$

and from $dS = Q\,dK^\top/\sqrt d$:
$\langle G_S, Q\,dK^\top\rangle_F = \mathrm{tr}(G_S^\top Q\,dK^\top) = \mathrm{tr}(dK\,Q^\top G_S)
= \langle G_S^\top Q, dK\rangle_F$, hence

$$
G_K = \frac{1}{\sqrt d}\,G_S^\top Q .
$$

$G_Q = G_SK/\sqrt d$ has the same shape here, so only the derivation tells them apart.
""",
    solution_code="""\
from companion.models import softmax
d = Q.shape[1]
P = softmax(Q @ K.T / np.sqrt(d))
Y = P @ V
G_Y = (Y @ W_O - T) @ W_O.T                                # the pullback through the projection and the loss
G_P = G_Y @ V.T
G_S = P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))   # through the row softmax
solution = G_S.T @ Q / np.sqrt(d)                          # G_K
""",
    evidence=gradient_evidence(_projected_objective),
)

# ----------------------------------------------------------------------------- 8.6.4


def _heads_data(rng):
    return {"Q": rng.standard_normal((2, 4, 3)), "K": rng.standard_normal((2, 4, 3)),
            "V": rng.standard_normal((2, 4, 2)), "G_Y": rng.standard_normal((2, 4, 2))}


def _attn_trials(rng, **_):
    return [tuple(rng.standard_normal(s) for s in ((h, n, d), (h, n, d), (h, n, dv), (h, n, dv)))
            for h, n, d, dv in ((1, 3, 2, 4), (3, 5, 4, 3), (2, 2, 5, 2))]


def _attention_evidence(data, fn):
    Q, K, V, G_Y = (data[k] for k in ("Q", "K", "V", "G_Y"))
    rng = np.random.default_rng(4)
    dirs = [rng.standard_normal(a.shape) for a in (Q, K, V)]
    G = [np.asarray(g, dtype=float) for g in fn(Q, K, V, G_Y)]
    dfv = sum(float(np.sum(g * d)) for g, d in zip(G, dirs, strict=True))

    def f(t):
        return _loss_of(Q + t[0] * dirs[0], K + t[0] * dirs[1], V + t[0] * dirs[2], G_Y)

    return taylor_test(f, np.zeros(1), np.ones(1), dfv)


def _heads(**kw):
    return lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, **kw))


attention_backward = Exercise(
    id="8.6.4",
    title="The whole attention pullback",
    level="hard",
    category="drill",
    kind="function",
    signature="attention_backward(Q, K, V, G_Y)",
    outputs=("G_Q", "G_K", "G_V"),
    statement=r"""
Write `attention_backward(Q, K, V, G_Y)` returning the tuple $(G_Q, G_K, G_V)$ of gradients of
scaled dot-product attention ($S = QK^\top/\sqrt d$, $P = \mathrm{softmax}(S)$ by rows, $Y = PV$) for a
**stack of $h$ heads**, each head computed independently: $Q, K$ of shape $(h, n, d)$, $V$ and $G_Y$
of shape $(h, n, d_v)$, any sizes ($d$ is `Q.shape[-1]`; $h$ may be 1). It is tried on the
data's example and on other sizes.
""",
    build=_heads_data,
    solution=_heads(),
    trials=_attn_trials,
    mistakes=(
        Mistake("missing 1/sqrt(d)", _heads(scale_back=False),
                "S = Q K^T / sqrt(d): the scale multiplies dS, so G_Q and G_K both carry 1/sqrt(d)"),
        Mistake("G_K = G_S Q instead of G_S^T Q", _heads(gk_T=False),
                "K enters S transposed: <G_S, Q dK^T>_F = <G_S^T Q, dK>_F"),
        Mistake("G_Q = G_S^T K instead of G_S K", _heads(gq_T=True),
                "Q enters S as it is: <G_S, dQ K^T>_F = tr(G_S^T dQ K^T) = <G_S K, dQ>_F"),
        Mistake("dropped the -p p^T term of the softmax Jacobian", _heads(drop_pp=True),
                "G_S = P * (G_P - c) with c_i = <P[i], G_P[i]>, not P * G_P"),
        Mistake("G_V = P G_Y: the transpose of P is missing", _heads(gv_T=False),
                "the adjoint of dV -> P dV is G -> P^T G (for each head)"),
        Mistake("the softmax's inner products c summed along axis=1, the columns of each head",
                _heads(c_axis=1),
                "in a stack (h, n, n) the rows of each head run along the last axis: c = sum(P * G_P, axis=-1, "
                "keepdims=True)"),
    ),
    hints=(
        r"""Go through the three stages in reverse order: $Y = PV$, then the row softmax, then
$S = QK^\top/\sqrt d$. Each stage's pullback is on this page.""",
        r"""For a stack, "transpose" means swapping the last two axes only (`np.swapaxes(A, -1, -2)`,
not `A.T`), and `@` multiplies head by head.""",
        r"""Keep the forward pass's $P$: it is needed twice, for $G_V$ and for the softmax pullback, and
every row-wise sum runs along the last axis.""",
    ),
    solution_text=r"""
Per head, with $P$ from the forward pass and $^\top$ transposing each head's matrix (the last
two axes):

$$
G_V = P^\top G_Y,\quad G_P = G_YV^\top,\quad G_S = P\odot(G_P - c\,\mathbf{1}^\top),\ c_i = \langle P_{i:},
(G_P)_{i:}\rangle,\quad
G_Q = \frac{G_S K}{\sqrt d},\quad G_K = \frac{G_S^\top Q}{\sqrt d}.
$$

These are the page's three pullbacks (through $Y = PV$, the row softmax and the scores), applied
to every head at once: numpy's `@` multiplies the last two axes and broadcasts over the first,
while `.T` would reverse all three axes and mix the heads.
""",
    solution_code="""\
def attention_backward(Q, K, V, G_Y):
    \"\"\"(G_Q, G_K, G_V) for Y = softmax(Q K^T / sqrt(d)) V per head; Q, K (h, n, d), V, G_Y (h, n, d_v).\"\"\"
    tr = lambda A: np.swapaxes(A, -1, -2)              # the transpose of each head's matrix
    d = Q.shape[-1]
    S = Q @ tr(K) / np.sqrt(d)
    P = np.exp(S - S.max(axis=-1, keepdims=True))
    P /= P.sum(axis=-1, keepdims=True)
    G_V = tr(P) @ G_Y
    G_P = G_Y @ tr(V)
    G_S = P * (G_P - np.sum(P * G_P, axis=-1, keepdims=True))
    return G_S @ K / np.sqrt(d), tr(G_S) @ Q / np.sqrt(d), G_V

solution = attention_backward
""",
    evidence=_attention_evidence,
)

# ----------------------------------------------------------------------------- 8.6.5


def _causal_data(rng):
    return {"Q": rng.standard_normal((5, 3)), "K": rng.standard_normal((5, 3)), "V": rng.standard_normal((5, 2)),
            "G_Y": rng.standard_normal((5, 2))}


def _causal_G_Q(Q, K, V, G_Y, **kw):
    kw.setdefault("allowed", _causal(Q.shape[0]))
    return _backward(Q, K, V, G_Y, **kw)[0]


causal_attention = Exercise(
    id="8.6.5",
    title="Causal attention: the pullback through a masked softmax",
    level="hard",
    category="transfer",
    statement=r"""
A language model must not look ahead: token $i$ may attend only to tokens $j\le i$. **Causal**
attention adds a fixed mask to the scores before the softmax,
$P = \mathrm{softmax}(S + M)$ by rows, with $S = QK^\top/\sqrt d$, $M_{ij} = 0$ for $j\le i$ and
$M_{ij} = -\infty$ for $j > i$ (so $P_{ij} = 0$ above the diagonal), and $Y = PV$. Here $n = 5$,
$d = 3$, $d_v = 2$; the data hold $Q$, $K$, $V$ and $G_Y = \nabla_Y\mathcal{L}$.

Compute $G_Q = \nabla_Q\mathcal{L}$.
""",
    build=_causal_data,
    solution=lambda **d: _causal_G_Q(**d),
    mistakes=(
        Mistake("G_K submitted: that is the gradient for the keys, not the queries",
                lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, allowed=_causal(Q.shape[0]))[1],
                "Q enters the scores as dS = dQ K^T / sqrt(d): pair it with G_S and read off G_Q = G_S K / sqrt(d); "
                "G_S^T Q / sqrt(d) is the keys' gradient"),
        Mistake("no mask: the gradient of ordinary (bidirectional) attention",
                lambda **d: _causal_G_Q(**d, allowed=None),
                "the forward pass must use the masked P (zero above the diagonal); everything downstream is computed "
                "from it"),
        Mistake("masked scores set to 0 instead of -infinity",
                lambda Q, K, V, G_Y: _causal_G_Q(Q, K, V, G_Y, zero_masked=True),
                "a score of 0 still gets probability e^0 / sum > 0: the mask must remove those entries, "
                "so that P_ij = 0 for j > i"),
        Mistake("unmasked forward pass, with G_S zeroed above the diagonal afterwards",
                lambda Q, K, V, G_Y: _causal_G_Q(Q, K, V, G_Y, allowed=None, mask_G_S=_causal(Q.shape[0])),
                "the softmax Jacobian is taken at the P the forward pass really used, the masked one: "
                "mask in the forward pass, and the pullback zeroes the masked entries by itself"),
        Mistake("dropped the -p p^T term of the softmax Jacobian", lambda **d: _causal_G_Q(**d, drop_pp=True),
                "G_S = P * (G_P - c) with c_i = <P[i], G_P[i]>, not P * G_P"),
        Mistake("missing 1/sqrt(d)", lambda **d: _causal_G_Q(**d, scale_back=False),
                "dS = dQ K^T / sqrt(d): the factor 1/sqrt(d) comes back in G_Q = G_S K / sqrt(d)"),
    ),
    hints=(
        r"""$M$ is a constant matrix. What is the differential of $S \mapsto S + M$, and so what is its pullback?""",
        r"""Only one stage of the forward pass sees the mask. Which one, and at which point is it
linearized now?""",
        r"""Apply the page's softmax pullback at that point, and ask what it gives at an entry where
$P_{ij} = 0$. The stages before and after it are the page's own.""",
    ),
    solution_text=r"""
Write $S' = S + M$. Since $M$ is constant, $dS' = dS$ and $G_S = G_{S'}$: the mask only changes the point
$P = \mathrm{softmax}(S')$ at which the softmax is linearized. The row pullback
$G_S = P\odot(G_P - c\,\mathbf{1}^\top)$, with $G_P = G_YV^\top$ and $c_i = \sum_{j\le i} P_{ij}(G_P)_{ij}$, vanishes
wherever
$P_{ij} = 0$: the masked scores receive no gradient, and $G_S$ is lower triangular. Then, from
$dS = dQ\,K^\top/\sqrt d$,

$$
G_Q = \frac{1}{\sqrt d}\,G_S K, \qquad (G_Q)_{i:} = \frac{1}{\sqrt d}\sum_{j\le i}(G_S)_{ij}K_{j:} .
$$

Query $i$ is moved only by the keys it may see. The first row of $G_Q$ is zero: token 1 sees only
itself, its row of $P$ is $(1, 0, \dots, 0)$, and the softmax Jacobian $\mathrm{Diag}(p) - pp^\top$ of a
one-hot row is zero.
""",
    solution_code="""\
n, d = Q.shape
allowed = np.tril(np.ones((n, n), dtype=bool))        # token i sees tokens j <= i
S = np.where(allowed, Q @ K.T / np.sqrt(d), -np.inf)  # S + M
P = np.exp(S - S.max(axis=1, keepdims=True))          # exp(-inf) = 0 above the diagonal
P /= P.sum(axis=1, keepdims=True)
G_P = G_Y @ V.T
G_S = P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))
solution = G_S @ K / np.sqrt(d)                       # G_Q
""",
    evidence=gradient_evidence(lambda Q, K, V, G_Y: (
        (lambda Z: _loss_of(Z, K, V, G_Y, allowed=_causal(Q.shape[0]))), Q)),
)

# ----------------------------------------------------------------------------- 8.6.6

row_sums = Exercise(
    id="8.6.6",
    title="Why the rows of G_S sum to zero",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
On this page the rows of $G_S = \nabla_S\mathcal{L}$ summed to zero, up to round-off, for random data.
Which of the following statements are true? (More than one may be.)
""",
    options=(
        Option("a", r"Adding the same number to every score of row $i$ leaves row $i$ of $P$, and so the loss, "
                    r"unchanged; hence each row of $G_S$ is orthogonal to $\mathbf{1}$.", True,
               r"the derivative of $\mathcal{L}$ along $dS = e_i\mathbf{1}^\top$ is $\langle G_S, "
               r"e_i\mathbf{1}^\top\rangle_F$, the sum of row $i$ of $G_S$; the shift invariance $J_p\mathbf{1} = 0$ "
               r"makes it zero"),
        Option("b", r"It is because each row of $P$ sums to $1$.", False,
               r"that gives $\mathbf{1}^\top J_p = 0$ (the tangents $dp$ sum to zero), while the row sum of "
               r"$G_S$ is $\mathbf{1}^\top J_p^\top g = (J_p\mathbf{1})^\top g$, which needs the shift invariance "
               r"$J_p\mathbf{1} = 0$. The normalization $p = s/\sum_k s_k$ also sums to 1, is not shift invariant, "
               r"and its gradients do not have zero row sums"),
        Option("c", r"It is because the rows of $G_P = G_YV^\top$ already sum to zero.", False,
               r"they do not in general (compute `G_P.sum(axis=1)`); the softmax pullback "
               r"$P\odot(G_P - c\,\mathbf{1}^\top)$ produces zero row sums whatever $G_P$ is"),
        Option("d", r"It is an effect of the factor $1/\sqrt d$ in the scores.", False,
               r"that factor sits between $S$ and $(Q, K)$: it scales $G_Q$ and $G_K$, and plays no part in $G_S$"),
        Option("e", r"The columns of $G_K$ also sum to zero.", True,
               r"$\mathbf{1}^\top G_K = (G_S\mathbf{1})^\top Q/\sqrt d = 0$. Equivalently, $K\mapsto K + "
               r"\mathbf{1}c^\top$ adds $q_i^\top c/\sqrt d$ to every score of row $i$, a constant per row, so $P$ "
               r"does not move"),
        Option("f", r"The columns of $G_Q$ also sum to zero.", False,
               r"$Q\mapsto Q + \mathbf{1}c^\top$ adds $k_j^\top c/\sqrt d$ to the score $S_{ij}$, which changes with "
               r"$j$: not a constant per row, so $P$ moves; $\mathbf{1}^\top G_Q = \mathbf{1}^\top G_SK/\sqrt d$ is "
               r"not zero in general"),
    ),
    hints=(
        r"""Which perturbation $dS$ of the scores leaves every row of $P$ unchanged? What is
$d\mathcal{L}$ along it, written as $\langle G_S, dS\rangle_F$?""",
        r"""For the keys and queries, ask which change $dK$ (resp. $dQ$) produces a $dS$ of that kind:
$dS = Q\,dK^\top/\sqrt d$ and $dS = dQ\,K^\top/\sqrt d$.""",
    ),
    solution_text=r"""
Adding $t$ to every score of row $i$, $dS = t\,e_i\mathbf{1}^\top$, does not change $P$ (the softmax is
invariant under shifts: $J_p\mathbf{1} = p - p\,(p^\top\mathbf{1}) = 0$). So
$0 = d\mathcal{L} = \langle G_S, e_i\mathbf{1}^\top\rangle_F\,t$,
which is $t$ times the sum of row $i$ of $G_S$: (a). The reason is the invariance, not the
normalization (b): the sum of row $i$ of $G_S$ is $\mathbf{1}^\top J_p\,g = (J_p\mathbf{1})^\top g$ ($J_p$ symmetric),
and a normalization such as $s/\sum s$
sums to
one without being shift invariant. Neither $G_P$ (c) nor the scale (d) plays a part.

For the keys, $dK = \mathbf{1}c^\top$ gives $dS = Q\,c\,\mathbf{1}^\top/\sqrt d$: row $i$ is shifted by the constant
$q_i^\top c/\sqrt d$,
so the loss does not move and $\langle G_K, \mathbf{1}c^\top\rangle_F = c^\top G_K^\top\mathbf{1} = 0$ for every $c$:
the columns of
$G_K$ sum to zero (e). For the queries, $dQ = \mathbf{1}c^\top$ gives $dS_{ij} = c^\top k_j/\sqrt d$, which varies
along a row, so nothing forces the columns of $G_Q$ to sum to zero (f).
""",
)

register(value_gradient, softmax_pullback, key_gradient, attention_backward, causal_attention, row_sums)
