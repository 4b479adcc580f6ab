"""The chapter's worked models with hand-written pullbacks (sections 8.3, 8.5, 8.6).

Each model has a forward pass that keeps what its backward pass needs, and a backward
pass written from the chapter's derivation, as a careful numpy programmer would: no
Jacobian is ever formed, and nothing is computed that the gradient does not need. These
are the yardstick the reverse-mode engine is measured against.

Shapes follow the math: vectors are columns, so a batch of inputs is a matrix whose
*columns* are the examples (``x`` of shape ``(n, batch)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _numerics
from ._validate import (
    MAX_SIZE,
    as_axis,
    as_bool,
    as_float_array,
    as_float_arrays,
    as_int,
    as_limit,
    as_number,
    as_rng,
    check_limit,
    check_rows_kept,
    describe,
    shape_str,
)

__all__ = [
    "least_squares",
    "ACTIVATIONS",
    "activation",
    "MLPCache",
    "MLPGrads",
    "mlp_init",
    "mlp_forward",
    "mlp_backward",
    "mlp_loss_and_grads",
    "mlp_loss",
    "mlp_delta_norms",
    "mlp_pack",
    "mlp_unpack",
    "softmax",
    "softmax_vjp",
    "softmax_jacobian",
    "AttentionCache",
    "attention",
    "attention_vjp",
    "attention_jvp",
    "squared_loss",
    "attention_loss_and_grads",
]


# --------------------------------------------------------------------------- 8.3
def _least_squares_inputs(W, x, b):
    W = as_float_array(W, "W", ndim=2)
    x = as_float_array(x, "x", ndim=(1, 2))
    b = as_float_array(b, "b", ndim=(1, 2))
    m, n = W.shape
    if x.shape[0] != n:
        raise ValueError(
            f"W @ x: W has shape {shape_str(W.shape)} but x has shape {shape_str(x.shape)} (needs {n} rows)"
        )
    want_b = (m,) if x.ndim == 1 else (m, x.shape[1])
    if b.shape != want_b:
        raise ValueError(
            f"b must have shape {shape_str(want_b)} to match W @ x (W {shape_str(W.shape)}, x {shape_str(x.shape)}), "
            f"got {shape_str(b.shape)}"
        )
    return W, x, b


def least_squares(W, x, b):
    """Loss ``ℒ(W) = 1/2 |W x - b|^2`` and its Frobenius gradient ``(W x - b) x^T`` (8.3.2).

    Parameters
    ----------
    W : (m, n); x : (n,) or (n, batch); b : (m,) or (m, batch).
        A batch holds one example per *column*; the loss is then the sum
        ``1/2 |W X - B|_F^2`` and the gradient ``R X^T`` with ``R = W X - B``.

    Returns ``(loss, grad_W)``, ``grad_W`` of shape ``(m, n)``.
    """
    W, x, b = _least_squares_inputs(W, x, b)
    r = W @ x - b
    loss = 0.5 * float(np.vdot(r, r))
    grad_W = np.outer(r, x) if x.ndim == 1 else r @ x.T
    return loss, grad_W


# --------------------------------------------------------------------------- 8.5
def _tanh_prime(z, h):
    return 1.0 - h * h




ACTIVATIONS = {
    # name: (sigma(z), sigma'(z) expressed through z and h = sigma(z))
    "tanh": (np.tanh, _tanh_prime),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, h: (z > 0).astype(z.dtype)),
    "sigmoid": (_numerics.sigmoid, lambda z, h: h * (1.0 - h)),
    "identity": (lambda z: z.copy(), lambda z, h: np.ones_like(z)),
}


def activation(name: str):
    """``(sigma, sigma_prime)`` for an activation name; ``sigma_prime(z, h)`` may use ``h = sigma(z)``."""
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise (ValueError if isinstance(name, str) else TypeError)(
            f"activation name: unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


def _activation_list(activations, L):
    if isinstance(activations, str):
        names = [activations] * L
    elif isinstance(activations, (list, tuple)):
        names = list(activations)
        if len(names) != L:
            raise ValueError(f"activations: need one per layer ({L}), got {len(names)}")
    else:
        raise TypeError(f"activations must be an activation name or a list of {L} of them, got {describe(activations)}")
    for k, a in enumerate(names):
        if not isinstance(a, str) or a not in ACTIVATIONS:
            where = "activations" if isinstance(activations, str) else f"activations[{k}]"
            raise (ValueError if isinstance(a, str) else TypeError)(
                f"{where}: unknown activation {a!r}; choose one of {sorted(ACTIVATIONS)}"
            )
    return names


@dataclass
class MLPCache:
    """What the backward pass needs: ``h[0..L]`` (``h[0] = x``), ``z[1..L]`` as ``z[0..L-1]``, activations."""

    h: list
    z: list
    activations: list


@dataclass
class MLPGrads:
    """Gradients of an MLP loss: ``deltas[l-1] = delta_l = grad_{z_l} ℒ``, ``A[l-1] = delta_l h_{l-1}^T``,
    ``b[l-1] = delta_l`` (summed over the batch), and ``x`` the gradient with respect to the input."""

    deltas: list
    A: list
    b: list
    x: np.ndarray | None


def _check_params(As, bs):
    if not isinstance(As, (list, tuple)) or not isinstance(bs, (list, tuple)):
        raise TypeError(
            f"As and bs must be lists of arrays (one weight matrix and one bias per layer), got {describe(As)} and "
            f"{describe(bs)}"
        )
    As = as_float_arrays(As, "As", ndim=2, allow_empty=False)
    bs = as_float_arrays(bs, "bs", ndim=1, allow_empty=False)
    if len(As) != len(bs):
        raise ValueError(f"As and bs must have one entry per layer, got {len(As)} and {len(bs)}")
    for k, (A, b) in enumerate(zip(As, bs, strict=False)):
        if b.shape[0] != A.shape[0]:
            raise ValueError(f"bs[{k}] has shape {shape_str(b.shape)} but As[{k}] has shape {shape_str(A.shape)}")
        if k and A.shape[1] != As[k - 1].shape[0]:
            raise ValueError(
                f"As[{k}] has shape {shape_str(A.shape)} but layer {k} outputs {As[k - 1].shape[0]} features"
            )
    return As, bs


def _sizes(sizes, max_size, limit=True):
    """Layer widths ``[d_0, ..., d_L]``: at least two positive integers, ``sum d_l (d_{l-1} + 1) <= max_size``."""
    if isinstance(sizes, (str, bytes, np.ndarray)) or not isinstance(sizes, (list, tuple)):
        raise TypeError(f"sizes must be a list of layer widths [d_0, ..., d_L], got {describe(sizes)}")
    sizes = [as_int(s, f"sizes[{k}]", min=1) for k, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths (input and output), got {sizes}")
    if limit:
        n_params = sum(d_out * (d_in + 1) for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=False))
        check_limit(n_params, as_limit(max_size), name=f"sizes={sizes}", what="parameters")
    return sizes


def mlp_init(
    sizes: Sequence[int],
    *,
    rng: np.random.Generator,
    gain: float = 1.0,
    bias_scale: float = 0.0,
    max_size: int = MAX_SIZE,
):
    """Gaussian initialization ``A_l ~ N(0, gain^2 / d_{l-1})``, ``b_l = bias_scale * N(0, 1)``.

    ``sizes = [d_0, d_1, ..., d_L]`` (positive integers); ``gain`` and ``bias_scale`` are
    non-negative numbers. Returns ``(As, bs)``. More than ``max_size`` parameters in all is
    refused up front (``ValueError``).
    """
    rng = as_rng(rng)
    sizes = _sizes(sizes, max_size)
    gain = as_number(gain, "gain", nonnegative=True)
    bias_scale = as_number(bias_scale, "bias_scale", nonnegative=True)
    As = [gain * rng.standard_normal((sizes[k + 1], sizes[k])) / np.sqrt(sizes[k]) for k in range(len(sizes) - 1)]
    bs = [bias_scale * rng.standard_normal(sizes[k + 1]) for k in range(len(sizes) - 1)]
    return As, bs


def mlp_forward(As, bs, x, activations="tanh"):
    """Forward recursion (8.5.1): ``h_0 = x``, ``z_l = A_l h_{l-1} + b_l``, ``h_l = sigma_l(z_l)``.

    ``x`` is ``(d_0,)`` or ``(d_0, batch)`` (examples as columns). ``activations`` is one
    name for every layer (the output layer included, as in the chapter) or a list of
    ``L`` names among ``tanh, relu, sigmoid, identity``. Returns ``(h_L, cache)``; the
    cache keeps its own copy of ``x``, so :func:`mlp_backward` gives the same answer
    whatever the caller does to ``x`` afterwards.
    """
    As, bs = _check_params(As, bs)
    x = as_float_array(x, "x", ndim=(1, 2), allow_empty=False)
    if x.shape[0] != As[0].shape[1]:
        raise ValueError(
            f"x has shape {shape_str(x.shape)} but As[0] has shape {shape_str(As[0].shape)} (needs {As[0].shape[1]} "
            "rows)"
        )
    names = _activation_list(activations, len(As))
    h, z = [x], []
    for A, b, name in zip(As, bs, names, strict=False):
        zl = A @ h[-1]
        zl += b if x.ndim == 1 else b[:, None]
        z.append(zl)
        h.append(ACTIVATIONS[name][0](zl))
    h[0] = np.array(x)  # the cache's own copy: mlp_backward does not see later edits of the caller's x
    return h[-1], MLPCache(h=h, z=z, activations=names)


def mlp_backward(As, cache: MLPCache, h_bar, *, input_grad: bool = False) -> MLPGrads:
    """Backward recursion by adjoints (8.5.4, 8.5.5), from ``h_bar = grad_{h_L} ℒ``.

    ``delta_L = D_L h_bar``; ``delta_{l-1} = D_{l-1} (A_l^T delta_l)``;
    ``grad A_l = delta_l h_{l-1}^T``; ``grad b_l = delta_l`` (summed over batch columns).
    The input's gradient ``A_1^T delta_1`` is computed only if ``input_grad``.
    """
    if not isinstance(cache, MLPCache):
        raise TypeError(f"cache must be the MLPCache returned by mlp_forward(), got {describe(cache)}")
    h_bar = as_float_array(h_bar, "h_bar")
    if h_bar.shape != cache.h[-1].shape:
        raise ValueError(
            f"h_bar must have the shape of h_L {shape_str(cache.h[-1].shape)}, got {shape_str(h_bar.shape)}"
        )
    input_grad = as_bool(input_grad, "input_grad")
    L = len(cache.z)
    As = as_float_arrays(As, "As", ndim=2)
    if len(As) != L:
        raise ValueError(f"As must list the {L} weight matrices of the forward pass, got {len(As)}")
    for k, A in enumerate(As):
        want = (cache.z[k].shape[0], cache.h[k].shape[0])
        if np.shape(A) != want:
            raise ValueError(f"As[{k}] has shape {shape_str(np.shape(A))} but the forward pass used {shape_str(want)}")
    deltas, gA, gb = [None] * L, [None] * L, [None] * L
    batched = h_bar.ndim == 2
    g = h_bar  # gradient with respect to h_l
    x_bar = None
    for k in range(L - 1, -1, -1):
        delta = ACTIVATIONS[cache.activations[k]][1](cache.z[k], cache.h[k + 1])  # diagonal of D_l
        delta *= g  # delta_l = D_l (A_{l+1}^T delta_{l+1}), or D_L h_bar at the top
        deltas[k] = delta
        hp = cache.h[k]
        gA[k] = delta @ hp.T if batched else np.outer(delta, hp)
        gb[k] = delta.sum(axis=1) if batched else delta.copy()
        if k > 0 or input_grad:
            g = As[k].T @ delta
        if k == 0 and input_grad:
            x_bar = g
    return MLPGrads(deltas=deltas, A=gA, b=gb, x=x_bar)


def mlp_loss_and_grads(As, bs, x, y, activations="tanh"):
    """Squared loss ``ℒ = 1/2 |h_L - y|^2`` (summed over the batch) and its gradients.

    Returns ``(loss, grads)`` with ``grads`` an :class:`MLPGrads`; ``grad_{h_L} ℒ = h_L - y``.
    """
    hL, cache = mlp_forward(As, bs, x, activations)
    r = hL - _target(y, hL, x)
    return 0.5 * float(np.vdot(r, r)), mlp_backward(As, cache, r)


def _target(y, hL, x):
    y = as_float_array(y, "y")
    if y.shape != hL.shape:
        raise ValueError(
            f"y must have the shape of the output h_L {shape_str(hL.shape)}, got {shape_str(y.shape)} (x has shape "
            f"{shape_str(np.shape(x))})"
        )
    return y


def mlp_loss(As, bs, x, y, activations="tanh") -> float:
    """The squared loss alone, ``ℒ = 1/2 |h_L - y|^2`` (summed over the batch): one forward pass."""
    hL, _ = mlp_forward(As, bs, x, activations)
    r = hL - _target(y, hL, x)
    return 0.5 * float(np.vdot(r, r))


def mlp_delta_norms(grads: MLPGrads) -> np.ndarray:
    """``|delta_l|_F`` for ``l = 1..L``, shape ``(L,)``: the size of the error signal reaching each layer.

    For a batch (``delta_l`` of shape ``(d_l, batch)``) this is the Frobenius norm over
    units and examples.
    """
    if not isinstance(grads, MLPGrads):
        raise TypeError(f"grads must be the MLPGrads returned by mlp_backward, got {describe(grads)}")
    return np.array([float(np.linalg.norm(d)) for d in grads.deltas])


def mlp_pack(As, bs) -> np.ndarray:
    """All parameters as one vector ``theta = [vec(A_1); b_1; ...; vec(A_L); b_L]`` (``vec`` column-major)."""
    As, bs = _check_params(As, bs)
    return np.concatenate([p.reshape(-1, order="F") for A, b in zip(As, bs, strict=False) for p in (A, b)])


def mlp_unpack(theta, sizes: Sequence[int]):
    """Inverse of :func:`mlp_pack` for layer widths ``sizes = [d_0, ..., d_L]``: returns ``(As, bs)``."""
    theta = as_float_array(theta, "theta", ndim=1)
    sizes = _sizes(sizes, None, limit=False)  # no limit: the count is compared with theta's, which exists
    need = sum(sizes[k + 1] * (sizes[k] + 1) for k in range(len(sizes) - 1))
    if theta.size != need:
        raise ValueError(f"theta has shape {shape_str(theta.shape)}, but sizes {sizes} need {need} parameters")
    As, bs, k = [], [], 0
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=False):
        As.append(theta[k:k + d_out * d_in].reshape((d_out, d_in), order="F").copy())  # not a view of theta
        k += d_out * d_in
        bs.append(theta[k:k + d_out].copy())
        k += d_out
    return As, bs


# --------------------------------------------------------------------------- 8.6
def softmax(S, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis`` (an integer), stable: the row maximum is subtracted before ``exp``.

    An entry ``-inf`` is a masked score (a causal mask, padding): its weight is exactly 0 and
    the rest of its row is the softmax of the entries left. A row masked entirely has no
    softmax (``ValueError``); NaN and ``+inf`` are refused.
    """
    S = as_float_array(S, "S", allow_neg_inf=True)
    if S.ndim == 0:
        raise ValueError("S must have at least one axis to take a softmax along, got a 0-d array")
    axis = as_axis(axis, S.ndim, "axis", shape=S.shape)
    if S.shape[axis] == 0:
        raise ValueError(f"S has shape {shape_str(S.shape)}: a softmax along an axis of length 0 is undefined")
    return _numerics.softmax(check_rows_kept(S, axis, "S"), axis)


def softmax_jacobian(p, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """Jacobian of softmax for one row, from its output ``p``: ``Diag(p) - p p^T`` (8.6.3).

    ``(n, n)`` for ``p`` of shape ``(n,)``; more than ``max_size`` entries are refused (``ValueError``).
    """
    p = as_float_array(p, "p", ndim=1, allow_empty=False)
    check_limit(p.size**2, as_limit(max_size), name=f"p of shape {shape_str(p.shape)}", what="entries of the Jacobian")
    return np.diag(p) - np.outer(p, p)


def softmax_vjp(P, G_P) -> np.ndarray:
    """Pullback through row-wise softmax (8.6.3): ``G_S[i] = (Diag(P[i]) - P[i]^T P[i]) G_P[i]``.

    Computed as ``P * (G_P - sum(P * G_P, axis=-1))`` in ``O(n^2)``, never forming the
    ``n x n`` Jacobian of a row. ``P``, ``G_P``: same shape, rows along the last axis.
    """
    P = as_float_array(P, "P")
    G_P = as_float_array(G_P, "G_P")
    if P.shape != G_P.shape:
        raise ValueError(
            f"softmax_vjp: P and G_P must have the same shape, got {shape_str(P.shape)} and {shape_str(G_P.shape)}"
        )
    c = np.einsum("...j,...j->...", P, G_P)[..., None]
    return P * (G_P - c)


class AttentionCache(NamedTuple):
    """Saved by :func:`attention` for :func:`attention_vjp`."""

    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    S: np.ndarray
    P: np.ndarray
    Y: np.ndarray
    scale: float


def attention(Q, K, V, *, scale=None, max_size: int = MAX_SIZE):
    """Single-head attention (8.6.1): ``S = Q K^T / sqrt(d)``, ``P = softmax(S)`` by rows, ``Y = P V``.

    ``Q``: (n, d), ``K``: (n_k, d), ``V``: (n_k, d_v). ``scale`` defaults to
    ``1/sqrt(d)``. Returns ``(Y, cache)``, ``Y`` of shape ``(n, d_v)``.

    The cache holds private copies of ``Q``, ``K``, ``V``: :func:`attention_vjp` gives the
    same answer whatever the caller does to those arrays afterwards. Scores too large for
    float64 (``|S_ij| > 1.8e308``) are ``+-inf`` in ``cache.S``, but ``P`` and ``Y`` are still
    the exact, finite answer: the softmax is then taken of the rescaled scores. The ``n x
    n_k`` scores are refused above ``max_size`` entries (``ValueError``).
    """
    Q = as_float_array(Q, "Q", ndim=2, copy=True)
    K = as_float_array(K, "K", ndim=2, copy=True)
    V = as_float_array(V, "V", ndim=2, copy=True)
    if Q.shape[1] != K.shape[1]:
        raise ValueError(
            f"Q K^T: Q has shape {shape_str(Q.shape)} and K has shape {shape_str(K.shape)}; they need the same number "
            "of columns d"
        )
    if V.shape[0] != K.shape[0]:
        raise ValueError(
            f"P V: K has shape {shape_str(K.shape)} and V has shape {shape_str(V.shape)}; they need the same number of "
            "rows"
        )
    if K.shape[0] == 0:
        raise ValueError(
            f"K has shape {shape_str(K.shape)}: attention needs at least one key (a softmax over no scores is "
            "undefined)"
        )
    check_limit(Q.shape[0] * K.shape[0], as_limit(max_size), name=f"Q {shape_str(Q.shape)} and K {shape_str(K.shape)}",
                what="entries of the scores S = Q K^T")
    scale = 1.0 / np.sqrt(Q.shape[1]) if scale is None else as_number(scale, "scale")
    with np.errstate(over="ignore", invalid="ignore"):  # overflowing scores are handled below
        S = Q @ K.T
        S *= scale
    if np.isfinite(S).all():
        P = _numerics.softmax(S, axis=1)
    else:  # the softmax of the shifted scores, computed without forming them
        S, D = _overflowing_scores(Q, K, scale)
        P = _numerics.normalized_exp(D, axis=1)
    Y = P @ V
    return Y, AttentionCache(Q, K, V, S, P, Y, float(scale))


def _overflowing_scores(Q, K, scale):
    """Scores ``S = scale Q K^T`` that overflow float64, and ``S - rowmax(S)`` computed without overflow.

    With ``a = max|Q|``, ``b = max|K|``: ``S = (a b scale) S1``, ``S1 = (Q/a)(K/b)^T`` of moderate size,
    so ``S - rowmax S = (a b |scale|) (T - rowmax T)`` with ``T = sign(scale) S1``: a product of a
    non-positive finite number by positive ones, which may be ``-inf`` (``exp`` gives the exact 0)
    but never NaN. Returns ``(S with +-inf where it overflows, S - rowmax S)``.
    """
    a, b, k = float(np.abs(Q).max()), float(np.abs(K).max()), abs(scale)
    S1 = (Q / a) @ (K / b).T
    T = S1 if scale >= 0 else -S1
    D = T - T.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        D *= a
        D *= b
        D *= k
        S = np.where(S1 == 0, 0.0, S1 * a * b * scale)
    return S, D


def attention_vjp(cache: AttentionCache, G_Y):
    """Pullback of attention (8.6.2-8.6.4): ``G_Y -> (G_Q, G_K, G_V)``.

    ``G_V = P^T G_Y``; ``G_P = G_Y V^T``; ``G_S = P * (G_P - c)`` with
    ``c_i = <G_P[i], P[i]> = <G_Y[i], Y[i]>`` (so these row-wise inner products cost ``O(n d_v)``);
    ``G_Q = G_S K / sqrt(d)``; ``G_K = G_S^T Q / sqrt(d)``.
    """
    if not isinstance(cache, AttentionCache):
        raise TypeError(f"cache must be the AttentionCache returned by attention(), got {describe(cache)}")
    G_Y = as_float_array(G_Y, "G_Y", ndim=2)
    if G_Y.shape != cache.Y.shape:
        raise ValueError(f"G_Y must have the shape of Y {shape_str(cache.Y.shape)}, got {shape_str(G_Y.shape)}")
    Q, K, V, _, P, Y, scale = cache
    G_V = P.T @ G_Y
    c = np.einsum("ij,ij->i", G_Y, Y)
    G_S = G_Y @ V.T  # G_P, turned into G_S * scale in place
    G_S -= c[:, None]
    G_S *= P
    G_S *= scale
    G_Q = G_S @ K
    G_K = G_S.T @ Q
    return G_Q, G_K, G_V


def attention_jvp(cache: AttentionCache, dQ=None, dK=None, dV=None) -> np.ndarray:
    """Pushforward of attention (8.6.2-8.6.4): ``(dQ, dK, dV) -> dY``, stage by stage.

    ``dS = scale (dQ K^T + Q dK^T)``; ``dP[i] = (Diag(P[i]) - P[i]^T P[i]) dS[i]``, computed
    as ``P * (dS - sum(P * dS, axis=1))``; ``dY = dP V + P dV``. A missing tangent is zero.
    Shapes: ``dQ`` like ``Q`` (n, d), ``dK`` like ``K`` (n_k, d), ``dV`` like ``V`` (n_k, d_v);
    returns ``dY`` of shape (n, d_v). It is the adjoint of :func:`attention_vjp`.
    """
    if not isinstance(cache, AttentionCache):
        raise TypeError(f"cache must be the AttentionCache returned by attention(), got {describe(cache)}")
    Q, K, V, _, P, Y, scale = cache
    tangents = {}
    for name, t, like in (("dQ", dQ, Q), ("dK", dK, K), ("dV", dV, V)):
        if t is not None:
            t = as_float_array(t, name, ndim=2)
            if t.shape != like.shape:
                raise ValueError(
                    f"{name} must have the shape of {name[1:]} {shape_str(like.shape)}, got {shape_str(t.shape)}"
                )
        tangents[name] = t
    dQ, dK, dV = tangents["dQ"], tangents["dK"], tangents["dV"]
    dY = np.zeros_like(Y)
    if dQ is not None or dK is not None:
        dS = np.zeros_like(P)
        if dQ is not None:
            dS += dQ @ K.T
        if dK is not None:
            dS += Q @ dK.T
        dS *= scale
        dS -= np.einsum("ij,ij->i", P, dS)[:, None]
        dS *= P  # now dP
        dY += dS @ V
    if dV is not None:
        dY += P @ dV
    return dY


def squared_loss(Y, T):
    """Loss ``ℒ(Y) = 1/2 |Y - T|_F^2`` and its Frobenius gradient ``G_Y = Y - T``.

    ``Y``, ``T``: arrays of the same shape. Returns ``(loss, G_Y)``.
    """
    Y = as_float_array(Y, "Y")
    T = as_float_array(T, "T")
    if Y.shape != T.shape:
        raise ValueError(
            f"squared_loss: Y and T must have the same shape, got {shape_str(Y.shape)} and {shape_str(T.shape)}"
        )
    G_Y = Y - T
    return 0.5 * float(np.vdot(G_Y, G_Y)), G_Y


def attention_loss_and_grads(Q, K, V, T, *, scale=None):
    """The loss ``ℒ = 1/2 |Y - T|_F^2`` with ``Y = softmax(scale Q K^T) V``, and ``(G_Q, G_K, G_V)``.

    The forward pass (:func:`attention`), the loss's ``G_Y = Y - T``, then the pullback
    (:func:`attention_vjp`). ``T``: (n, d_v), like ``Y``. Returns ``(loss, (G_Q, G_K, G_V))``.
    """
    Y, cache = attention(Q, K, V, scale=scale)
    T = as_float_array(T, "T", ndim=2)
    if T.shape != Y.shape:
        raise ValueError(
            f"T must have the shape of Y = softmax(Q K^T) V {shape_str(Y.shape)}, got {shape_str(T.shape)}"
        )
    loss, G_Y = squared_loss(Y, T)
    return loss, attention_vjp(cache, G_Y)
