"""Exercises for 8.6: the pullback of single-head attention.

``S = Q K^T / sqrt(d)``, ``P = softmax(S)`` by rows, ``Y = P V``; ``G_Y = grad_Y J``.

- 8.6.1 ``G_V = P^T G_Y`` (array);
- 8.6.2 ``softmax_vjp(P, G_P)``, the pullback through row-wise softmax (function);
- 8.6.3 ``G_K = G_S^T Q / sqrt(d)`` (array);
- 8.6.4 the whole pullback ``attention_backward(Q, K, V, G_Y) -> (G_Q, G_K, G_V)`` (function).
"""

from __future__ import annotations

import numpy as np

from ..differentials import taylor_test
from ..models import attention as _attention
from ..models import attention_vjp as _attention_vjp
from ..models import softmax as _softmax
from .evidence import gradient_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _sm(S, axis=-1):
    return _softmax(S, axis=axis)  # axis=0 for the "softmax over the columns" mistake


def _svjp(P, G_P, *, axis=-1, weighted=True, drop_pp=False, times_p=True):
    """Row-wise softmax pullback and its typical corruptions."""
    if drop_pp:
        return P * G_P
    c = np.sum(P * G_P, axis=axis, keepdims=True) if weighted else G_P.mean(axis=axis, keepdims=True)
    return P * (G_P - c) if times_p else G_P - c


def _backward(Q, K, V, G_Y, *, scale_S=True, scale_back=True, softmax_axis=-1, drop_pp=False, skip_softmax=False,
              gk_T=True, gq_T=False, gv_T=True):
    """(G_Q, G_K, G_V) of attention, with switches for the usual slips."""
    s = 1.0 / np.sqrt(Q.shape[1])
    S = Q @ K.T * (s if scale_S else 1.0)
    P = _sm(S, axis=softmax_axis)
    G_V = (P.T if gv_T else P) @ G_Y
    G_P = G_Y @ V.T
    G_S = G_P if skip_softmax else _svjp(P, G_P, drop_pp=drop_pp)
    sb = s if scale_back else 1.0
    G_Q = sb * ((G_S.T if gq_T else G_S) @ K)
    G_K = sb * ((G_S.T if gk_T else G_S) @ Q)
    return G_Q, G_K, G_V


def _attn_data(rng):
    return {"Q": rng.standard_normal((4, 3)), "K": rng.standard_normal((4, 3)),
            "V": rng.standard_normal((4, 2)), "G_Y": rng.standard_normal((4, 2))}


_NOTATION = r"""
Single-head attention with $n = 4$ positions, $d = 3$ and $d_v = 2$:
$S = QK^\top/\sqrt{d}$, $P = \mathrm{softmax}(S)$ by rows, $Y = PV$. The data hold $Q$, $K$,
$V$ and the gradient $G_Y = \nabla_Y\mathcal{J}$ delivered by the rest of the network.
"""

# ----------------------------------------------------------------------------- 8.6.1

value_gradient = Exercise(
    id="8.6.1",
    title="The gradient for the values",
    level="easy",
    statement=_NOTATION + r"""
Compute $G_V = \nabla_V\mathcal{J}$ (you need $P$ first: `companion.models.softmax(S)` works by rows).
""",
    build=_attn_data,
    solution=lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y)[2],
    mistakes=(
        Mistake("P G_Y: the transpose of P is missing", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, gv_T=False)[2],
                "<G_Y, P dV>_F = tr(G_Y^T P dV) = <P^T G_Y, dV>_F: the adjoint of dV -> P dV is P^T"),
        Mistake("missing 1/sqrt(d) in the scores S", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, scale_S=False)[2],
                "S = Q K^T / sqrt(d): without the scale the softmax is sharper and P is wrong"),
        Mistake("softmax taken over the columns instead of the rows", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, softmax_axis=0)[2],
                "each query's weights over the keys form a row of P: normalize along axis=1 (each row sums to 1)"),
    ),
    hint=r"""
Only $V$ moves: $\delta Y = P\,\delta V$, and
$\langle G_Y, P\,\delta V\rangle_F = \mathrm{tr}(G_Y^\top P\,\delta V)$.
""",
    solution_code="""\
from companion.models import softmax
S = Q @ K.T / np.sqrt(Q.shape[1])
P = softmax(S)            # by rows
solution = P.T @ G_Y      # G_V
""",
    evidence=gradient_evidence(lambda Q, K, V, G_Y: ((lambda Z: float(np.sum(G_Y * _attention(Q, K, Z)[0]))), V)),
)

# ----------------------------------------------------------------------------- 8.6.2


def _softmax_data(rng):
    S = 1.5 * rng.standard_normal((4, 4))
    return {"P": _softmax(S), "G_P": rng.standard_normal((4, 4)), "S": S}


def _softmax_trials(rng, **_):
    out = []
    for shape in ((3, 5), (5, 3), (2, 6), (4, 4)):
        out.append((_sm(1.5 * rng.standard_normal(shape)), rng.standard_normal(shape)))
    return out


def _softmax_evidence(data, fn):
    S, G_P = data["S"], data["G_P"]
    dS = np.random.default_rng(3).standard_normal(S.shape)
    G_S = np.asarray(fn(_softmax(S), G_P), dtype=float)
    return taylor_test(lambda Z: float(np.sum(G_P * _sm(Z))), S, dS, float(np.sum(G_S * dS)))


softmax_pullback = Exercise(
    id="8.6.2",
    title="The pullback through row-wise softmax",
    level="medium",
    kind="function",
    signature="softmax_vjp(P, G_P)",
    statement=r"""
For one row, $p = \mathrm{softmax}(s)$ has the Jacobian $\mathrm{Diag}(p) - pp^\top$. Applied to
every row of $S$, softmax gives $P$; given $G_P = \nabla_P\mathcal{J}$, the pullback is
$G_S = \nabla_S\mathcal{J}$.

Write `softmax_vjp(P, G_P)` returning $G_S$, for arrays of any shape $(n, m)$ (rows along the
last axis), without building an $m\times m$ matrix per row. The data hold an example `P`,
`G_P` (and the `S` they came from).
""",
    build=_softmax_data,
    solution=lambda **_: (lambda P, G_P: P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))),
    trials=_softmax_trials,
    mistakes=(
        Mistake("dropped the -p p^T term of the softmax Jacobian", lambda **_: (lambda P, G_P: _svjp(P, G_P, drop_pp=True)),
                "the Jacobian of one row is Diag(p) - p p^T; applied to g it gives p * g - p (p . g) = p * (g - p . g): keep the second term"),
        Mistake("worked on the columns (as if on P^T): the softmax is by rows", lambda **_: (lambda P, G_P: _svjp(P, G_P, axis=0)),
                "each row of P is the softmax of the same row of S: the inner product p . g runs along a row (axis=1)"),
        Mistake("subtracted the plain row mean of G_P instead of the P-weighted one", lambda **_: (lambda P, G_P: _svjp(P, G_P, weighted=False)),
                "p p^T g = p (p . g): the number subtracted from each g_j is the P-weighted sum sum_k p_k g_k, not the mean of g"),
        Mistake("G_P - (p . g): the outer factor P is missing", lambda **_: (lambda P, G_P: _svjp(P, G_P, times_p=False)),
                "(Diag(p) - p p^T) g = p * g - p (p . g) = p * (g - p . g): every entry is multiplied by its p_j"),
    ),
    hint=r"""
Per row, $(\mathrm{Diag}(p) - pp^\top)g = p\odot g - p\,(p^\top g) = p\odot(g - p^\top g)$, and the
Jacobian is symmetric, so this is also its adjoint. With numpy: `np.sum(P * G_P, axis=1, keepdims=True)`.
""",
    solution_code="""\
def softmax_vjp(P, G_P):
    \"\"\"G_S = P * (G_P - c), c_i = <P[i], G_P[i]>: row-wise (Diag(p) - p p^T) g. P, G_P: (n, m).\"\"\"
    c = np.sum(P * G_P, axis=1, keepdims=True)
    return P * (G_P - c)

solution = softmax_vjp
""",
    evidence=_softmax_evidence,
)

# ----------------------------------------------------------------------------- 8.6.3

key_gradient = Exercise(
    id="8.6.3",
    title="The gradient for the keys",
    level="medium",
    statement=_NOTATION + r"""
Compute $G_K = \nabla_K\mathcal{J}$, going back through $Y = PV$, the row-wise softmax, and
$S = QK^\top/\sqrt d$.
""",
    build=_attn_data,
    solution=lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y)[1],
    mistakes=(
        Mistake("missing 1/sqrt(d)", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, scale_back=False)[1],
                "S = Q K^T / sqrt(d), so dS = Q dK^T / sqrt(d): the factor 1/sqrt(d) comes back in the pullback"),
        Mistake("G_S Q instead of G_S^T Q", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, gk_T=False)[1],
                "K enters S transposed: <G_S, Q dK^T>_F = tr(G_S^T Q dK^T) = <G_S^T Q, dK>_F"),
        Mistake("dropped the -p p^T term of the softmax Jacobian", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, drop_pp=True)[1],
                "G_S = P * (G_P - c) with c_i = <P[i], G_P[i]>, not P * G_P"),
        Mistake("skipped the softmax: G_P used as G_S", lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, skip_softmax=True)[1],
                "between P and S sits the softmax: G_S is the softmax pullback of G_P = G_Y V^T"),
    ),
    hint=r"""
$G_P = G_YV^\top$; $G_S$ row by row through the softmax (8.6.2); then, from
$\delta S = Q\,\delta K^\top/\sqrt d$, read off $G_K$.
""",
    solution_code="""\
from companion.models import softmax
d = Q.shape[1]
P = softmax(Q @ K.T / np.sqrt(d))
G_P = G_Y @ V.T
G_S = P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))
solution = G_S.T @ Q / np.sqrt(d)   # G_K
""",
    evidence=gradient_evidence(lambda Q, K, V, G_Y: ((lambda Z: float(np.sum(G_Y * _attention(Q, Z, V)[0]))), K)),
)

# ----------------------------------------------------------------------------- 8.6.4


def _attn_trials(rng, **_):
    return [tuple(rng.standard_normal(s) for s in ((n, d), (n, d), (n, dv), (n, dv))) for n, d, dv in ((3, 2, 4), (5, 4, 3), (2, 5, 2))]


def _attention_evidence(data, fn):
    Q, K, V, G_Y = (data[k] for k in ("Q", "K", "V", "G_Y"))
    rng = np.random.default_rng(4)
    dirs = [rng.standard_normal(a.shape) for a in (Q, K, V)]
    G = [np.asarray(g, dtype=float) for g in fn(Q, K, V, G_Y)]
    dfv = sum(float(np.sum(g * d)) for g, d in zip(G, dirs))
    f = lambda t: float(np.sum(G_Y * _attention(Q + t[0] * dirs[0], K + t[0] * dirs[1], V + t[0] * dirs[2])[0]))  # noqa: E731
    return taylor_test(f, np.zeros(1), np.ones(1), dfv)


attention_backward = Exercise(
    id="8.6.4",
    title="The whole attention pullback",
    level="hard",
    kind="function",
    signature="attention_backward(Q, K, V, G_Y)",
    outputs=("G_Q", "G_K", "G_V"),
    statement=r"""
Write `attention_backward(Q, K, V, G_Y)` returning the tuple $(G_Q, G_K, G_V)$ of gradients
of single-head attention ($S = QK^\top/\sqrt d$, $P = \mathrm{softmax}(S)$ by rows, $Y = PV$),
for $Q, K\in\mathbb{R}^{n\times d}$, $V\in\mathbb{R}^{n\times d_v}$ and $G_Y\in\mathbb{R}^{n\times d_v}$ of
any sizes ($d$ is `Q.shape[1]`). It is tried on the data's example and on other sizes.
""",
    build=_attn_data,
    solution=lambda **_: (lambda Q, K, V, G_Y: _attention_vjp(_attention(Q, K, V)[1], G_Y)),
    trials=_attn_trials,
    mistakes=(
        Mistake("missing 1/sqrt(d)", lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, scale_back=False)),
                "S = Q K^T / sqrt(d): the scale multiplies dS, so G_Q and G_K both carry 1/sqrt(d)"),
        Mistake("G_K = G_S Q instead of G_S^T Q", lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, gk_T=False)),
                "K enters S transposed: <G_S, Q dK^T>_F = <G_S^T Q, dK>_F"),
        Mistake("G_Q = G_S^T K instead of G_S K", lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, gq_T=True)),
                "Q enters S as it is: <G_S, dQ K^T>_F = tr(G_S^T dQ K^T) = <G_S K, dQ>_F"),
        Mistake("dropped the -p p^T term of the softmax Jacobian", lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, drop_pp=True)),
                "G_S = P * (G_P - c) with c_i = <P[i], G_P[i]>, not P * G_P"),
        Mistake("G_V = P G_Y: the transpose of P is missing", lambda **_: (lambda Q, K, V, G_Y: _backward(Q, K, V, G_Y, gv_T=False)),
                "the adjoint of dV -> P dV is G -> P^T G"),
    ),
    hint=r"""
In reverse order: $G_V = P^\top G_Y$ and $G_P = G_YV^\top$; $G_S = P\odot(G_P - c)$ with
$c_i = \langle P_{i:}, (G_P)_{i:}\rangle$; $G_Q = G_SK/\sqrt d$ and $G_K = G_S^\top Q/\sqrt d$.
""",
    solution_code="""\
def attention_backward(Q, K, V, G_Y):
    \"\"\"(G_Q, G_K, G_V) for Y = softmax(Q K^T / sqrt(d)) V; Q, K (n, d), V, G_Y (n, d_v).\"\"\"
    d = Q.shape[1]
    S = Q @ K.T / np.sqrt(d)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G_V = P.T @ G_Y
    G_P = G_Y @ V.T
    G_S = P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))
    return G_S @ K / np.sqrt(d), G_S.T @ Q / np.sqrt(d), G_V

solution = attention_backward
""",
    evidence=_attention_evidence,
)

register(value_gradient, softmax_pullback, key_gradient, attention_backward)
