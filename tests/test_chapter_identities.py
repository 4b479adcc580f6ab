"""The chapter's ledger: one test per displayed identity, each citing its section.

Every derivative is checked twice: against finite differences (which know nothing of the
formula) and, for every pullback, by the dot-product test <w, J v> = <J^T w, v> with
J v computed by central differences of the forward map and J^T w by the formula under
test (relative mismatch <= 1e-10 where both sides are exact, looser where one side is a
finite difference).
"""

from __future__ import annotations

import numpy as np
import pytest

from companion import (
    adjoint,
    attention,
    attention_vjp,
    directional_derivative,
    dot_product_test,
    frobenius,
    least_squares,
    mlp_backward,
    mlp_forward,
    mlp_init,
    numerical_gradient,
    riesz,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    taylor_test,
)
from companion.models import ACTIVATIONS

SEEDS = [0, 1, 2]


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def pullback_matches_pushforward(forward, pullback, x, y_shape, rng, tol=1e-7):
    """<w, dF_x[v]> (central differences) against <pullback(w), v> (the formula)."""
    v, w = rng.standard_normal(x.shape), rng.standard_normal(y_shape)
    lhs = frobenius(w, directional_derivative(forward, x, v))
    rhs = frobenius(pullback(w), v)
    assert abs(lhs - rhs) <= tol * (abs(lhs) + abs(rhs) + 1e-12)


# ------------------------------------------------------------------ 8.1
@pytest.mark.parametrize("seed", SEEDS)
def test_8_1_2_differential_is_first_order_exact(seed):
    """8.1.2: F(x + dx) = F(x) + dF_x[dx] + o(|dx|); the remainder is O(|dx|^2) for smooth F."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3, 3))
    def F(x):
        return np.tanh(A @ x)
    def dF(x, v):
        return (1 - np.tanh(A @ x) ** 2) * (A @ v)
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    assert taylor_test(F, x, v, dF(x, v)).order == pytest.approx(2.0, abs=0.15)


# ------------------------------------------------------------------ 8.2
@pytest.mark.parametrize("seed", SEEDS)
def test_8_2_1_frobenius_inner_product_and_norm(seed):
    """8.2.1: <A, B>_F = tr(A^T B) and |A|_F^2 = tr(A^T A)."""
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    assert frobenius(A, B) == pytest.approx(np.trace(A.T @ B), rel=1e-12)
    assert frobenius(A, A) == pytest.approx(np.trace(A.T @ A), rel=1e-12)
    assert np.linalg.norm(A, "fro") ** 2 == pytest.approx(np.trace(A.T @ A), rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_8_2_2_gradient_is_riesz_representer(seed):
    """8.2.2: dL_W[dW] = <grad L, dW>_F = tr(grad^T dW) for all dW (here L = log det W W^T + sum sin W)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((3, 4))
    def L(W):
        return np.linalg.slogdet(W @ W.T)[1] + np.sum(np.sin(W))
    G = 2 * np.linalg.solve(W @ W.T, W) + np.cos(W)
    assert rel(numerical_gradient(L, W), G) < 1e-7
    for _ in range(3):
        dW = rng.standard_normal(W.shape)
        assert directional_derivative(L, W, dW) == pytest.approx(np.trace(G.T @ dW), rel=1e-7)
    # and it is the Riesz map of the differential's coordinates under Frobenius
    assert np.allclose(riesz(G), G)


# ------------------------------------------------------------------ 8.3
@pytest.mark.parametrize("seed", SEEDS)
def test_8_3_1_trace_cyclic_invariance(seed):
    """8.3.1 (1): tr(ABC) = tr(BCA) = tr(CAB), with rectangular factors."""
    rng = np.random.default_rng(seed)
    A, B, C = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    t = np.trace(A @ B @ C)
    assert np.trace(B @ C @ A) == pytest.approx(t, rel=1e-12)
    assert np.trace(C @ A @ B) == pytest.approx(t, rel=1e-12)


def test_8_3_1_scalar_is_its_trace():
    """8.3.1 (2): s = tr(s) for s in R (a 1x1 matrix)."""
    s = np.array([[np.pi]])
    assert np.trace(s) == s[0, 0]


@pytest.mark.parametrize("seed", SEEDS)
def test_8_3_2_residual_perturbation_and_expansion(seed):
    """8.3.2 steps 1-2: r(W + dW) = r + dW x and L(W + dW) = 1/2 (r^T r + 2 r^T dr + dr^T dr), exactly."""
    rng = np.random.default_rng(seed)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    dW = rng.standard_normal((3, 4))
    r = W @ x - b
    dr = dW @ x
    assert np.allclose((W + dW) @ x - b, r + dr)
    assert least_squares(W + dW, x, b)[0] == pytest.approx(0.5 * (r @ r + 2 * r @ dr + dr @ dr), rel=1e-12)
    # step 3: the first-order term written as a trace
    first = r @ dW @ x
    assert np.trace(np.outer(x, r) @ dW) == pytest.approx(first, rel=1e-10, abs=1e-12)
    assert np.trace(np.outer(r, x).T @ dW) == pytest.approx(first, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_8_3_2_least_squares_gradient(seed):
    """8.3.2: grad_W 1/2 |Wx - b|^2 = (Wx - b) x^T; also batched, R X^T."""
    rng = np.random.default_rng(seed)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    _, G = least_squares(W, x, b)
    assert np.allclose(G, np.outer(W @ x - b, x))
    assert rel(G, numerical_gradient(lambda W: least_squares(W, x, b)[0], W)) < 1e-8
    X, B = rng.standard_normal((4, 6)), rng.standard_normal((3, 6))
    _, GB = least_squares(W, X, B)
    assert rel(GB, numerical_gradient(lambda W: least_squares(W, X, B)[0], W)) < 1e-8
    # its pullback: the map W -> r = Wx - b has differential dW -> dW x with adjoint w -> w x^T
    pullback_matches_pushforward(lambda W: W @ x - b, lambda w: np.outer(w, x), W, (3,), rng)
    assert dot_product_test(lambda dW: dW @ x, lambda w: np.outer(w, x), (3, 4), rng=rng) <= 1e-10


# ------------------------------------------------------------------ 8.4
@pytest.mark.parametrize("seed", SEEDS)
def test_8_4_1_chain_rule_composes_differentials(seed):
    """8.4.1: dPhi_x = dL_{F(x)} o dF_x for Phi = L o F."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 3))
    def F(x):
        return np.tanh(A @ x)
    def L(y):
        return 0.5 * float(y @ y) + float(np.sum(np.sin(y)))
    x, v = rng.standard_normal(3), rng.standard_normal(3)
    dF_v = directional_derivative(F, x, v)
    chained = directional_derivative(L, F(x), dF_v)
    assert directional_derivative(lambda x: L(F(x)), x, v) == pytest.approx(chained, rel=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_8_4_2_adjoint_definition_and_transpose(seed):
    """8.4.2: <A v, w> = <v, A* w>; A* = A^T in Euclidean coordinates."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 3))
    A_adj = adjoint(lambda v: A @ v, (3,))
    assert np.allclose(A_adj.matrix, A.T)
    assert dot_product_test(A, A_adj, (3,), rng=rng) <= 1e-10
    v, w = rng.standard_normal(3), rng.standard_normal(4)
    assert (A @ v) @ w == pytest.approx(v @ A_adj(w), rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_8_4_2_pullback_of_a_covector(seed):
    """8.4.2: (A* eta)(v) = eta(A v): the pullback of a covector, represented by A^T eta."""
    rng = np.random.default_rng(seed)
    A, eta = rng.standard_normal((4, 3)), rng.standard_normal(4)
    pulled = adjoint(A, (3,))(eta)
    for _ in range(3):
        v = rng.standard_normal(3)
        assert pulled @ v == pytest.approx(eta @ (A @ v), rel=1e-12, abs=1e-12)


# ------------------------------------------------------------------ 8.5
def mlp_case(seed, act, batch=None):
    rng = np.random.default_rng(seed)
    As, bs = mlp_init([3, 5, 4, 2], rng=rng, gain=1.3, bias_scale=0.3)
    x = rng.standard_normal(3 if batch is None else (3, batch))
    y = rng.standard_normal(2 if batch is None else (2, batch))
    return rng, As, bs, x, y


ACTS = sorted(ACTIVATIONS)


@pytest.mark.parametrize("act", ACTS)
def test_8_5_2_and_8_5_3_layer_differentials(act):
    """8.5.2: dz = dA h + A dh + db; 8.5.3: dh = D dz with D = Diag(sigma'(z))."""
    rng, As, bs, x, y = mlp_case(0, act)
    A, b, h = As[0], bs[0], x
    sigma, dsigma = ACTIVATIONS[act]
    dA, db, dh = rng.standard_normal(A.shape), rng.standard_normal(b.shape), rng.standard_normal(h.shape)
    def z_of(p):
        return (A + p[0] * dA) @ (h + p[0] * dh) + b + p[0] * db
    dz = directional_derivative(lambda t: z_of(t), np.zeros(1), np.ones(1))
    assert np.allclose(dz, dA @ h + A @ dh + db, atol=1e-8)
    z = A @ h + b
    dzv = rng.standard_normal(z.shape)
    if act == "relu":
        z = z + np.sign(z) * 0.5  # keep away from the kink
    D = dsigma(z, sigma(z))
    assert np.allclose(directional_derivative(sigma, z, dzv), D * dzv, atol=1e-7)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("batch", [None, 5])
def test_8_5_4_delta_recursion(act, batch):
    """8.5.4: delta_L = D_L grad_{h_L} L, delta_{l-1} = D_{l-1} A_l^T delta_l (delta_l = grad_{z_l} J)."""
    _, As, bs, x, y = mlp_case(1, act, batch)
    hL, cache = mlp_forward(As, bs, x, act)
    g = mlp_backward(As, cache, hL - y)
    L = len(As)
    D = [ACTIVATIONS[act][1](cache.z[i], cache.h[i + 1]) for i in range(L)]
    assert np.allclose(g.deltas[-1], D[-1] * (hL - y))
    for i in range(L - 1, 0, -1):
        assert np.allclose(g.deltas[i - 1], D[i - 1] * (As[i].T @ g.deltas[i]))
    # delta_l is the gradient of J with respect to z_l: perturb z_l and run the rest of the net
    for i in range(L):
        def J_of_z(z, i=i):
            h = ACTIVATIONS[act][0](z)
            for A, b in zip(As[i + 1:], bs[i + 1:], strict=False):
                h = ACTIVATIONS[act][0](A @ h + (b if h.ndim == 1 else b[:, None]))
            return 0.5 * float(np.sum((h - y) ** 2))
        if act != "relu":
            assert rel(g.deltas[i], numerical_gradient(J_of_z, cache.z[i])) < 1e-6


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("batch", [None, 4])
def test_8_5_5_parameter_gradients(act, batch):
    """8.5.5: grad A_l = delta_l h_{l-1}^T, grad b_l = delta_l (summed over a batch), vs finite differences."""
    _, As, bs, x, y = mlp_case(2, act, batch)
    hL, cache = mlp_forward(As, bs, x, act)
    g = mlp_backward(As, cache, hL - y, input_grad=True)
    def J(As_, bs_):
        return 0.5 * float(np.sum((mlp_forward(As_, bs_, x, act)[0] - y) ** 2))
    tol = 1e-5 if act == "relu" else 1e-7
    for i in range(len(As)):
        hp = cache.h[i]
        assert np.allclose(g.A[i], g.deltas[i] @ hp.T if batch else np.outer(g.deltas[i], hp))
        assert np.allclose(g.b[i], g.deltas[i].sum(axis=1) if batch else g.deltas[i])
        def fA(A, i=i):
            return J([A if k == i else As[k] for k in range(len(As))], bs)
        def fb(b, i=i):
            return J(As, [b if k == i else bs[k] for k in range(len(bs))])
        assert rel(g.A[i], numerical_gradient(fA, As[i])) < tol
        assert rel(g.b[i], numerical_gradient(fb, bs[i])) < tol
    def J_x(x_):
        return 0.5 * float(np.sum((mlp_forward(As, bs, x_, act)[0] - y) ** 2))
    assert rel(g.x, numerical_gradient(J_x, x)) < tol


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "identity"])
def test_8_5_backward_is_the_adjoint_of_the_network_differential(act):
    """8.4-8.5: mlp_backward pulls a cotangent back by the adjoint of d(h_L)/dx: dot-product test."""
    rng, As, bs, x, _ = mlp_case(3, act, 3)
    hL, cache = mlp_forward(As, bs, x, act)
    def forward(x_):
        return mlp_forward(As, bs, x_, act)[0]
    def pullback(w):
        return mlp_backward(As, cache, w, input_grad=True).x
    pullback_matches_pushforward(forward, pullback, x, hL.shape, rng)
    # with an exact pushforward (linearization by hand) the match is to round-off
    D = [ACTIVATIONS[act][1](cache.z[i], cache.h[i + 1]) for i in range(len(As))]

    def push(v):
        for A, Dl in zip(As, D, strict=False):
            v = Dl * (A @ v)
        return v

    assert dot_product_test(push, pullback, x.shape, rng=rng) <= 1e-10


# ------------------------------------------------------------------ 8.6
def attn_case(seed, n=5, m=6, d=3, dv=2):
    rng = np.random.default_rng(seed)
    return rng, rng.standard_normal((n, d)), rng.standard_normal((m, d)), rng.standard_normal((m, dv))


@pytest.mark.parametrize("seed", SEEDS)
def test_8_6_1_definitions(seed):
    """8.6.1: S = Q K^T / sqrt(d), P = softmax(S) by rows, Y = P V."""
    _, Q, K, V = attn_case(seed)
    Y, c = attention(Q, K, V)
    S = Q @ K.T / np.sqrt(3)
    P = np.exp(S) / np.exp(S).sum(axis=1, keepdims=True)
    assert np.allclose(c.S, S) and np.allclose(c.P, P) and np.allclose(Y, P @ V)
    assert np.allclose(c.P.sum(axis=1), 1.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_8_6_2_grad_V_and_grad_P(seed):
    """8.6.2: dY = dP V + P dV, grad V = P^T G_Y, grad P = G_Y V^T."""
    rng, Q, K, V = attn_case(seed)
    Y, c = attention(Q, K, V)
    G_Y = rng.standard_normal(Y.shape)
    dP, dV = rng.standard_normal(c.P.shape), rng.standard_normal(V.shape)
    t = directional_derivative(lambda s: (c.P + s[0] * dP) @ (V + s[0] * dV), np.zeros(1), np.ones(1))
    assert np.allclose(t, dP @ V + c.P @ dV, atol=1e-8)
    _, _, G_V = attention_vjp(c, G_Y)
    assert np.allclose(G_V, c.P.T @ G_Y)
    assert rel(G_V, numerical_gradient(lambda V_: frobenius(G_Y, attention(Q, K, V_)[0]), V)) < 1e-8
    G_P = G_Y @ V.T
    assert rel(G_P, numerical_gradient(lambda P_: frobenius(G_Y, P_ @ V), c.P)) < 1e-8
    assert dot_product_test(lambda dV: c.P @ dV, lambda w: c.P.T @ w, V.shape, rng=rng) <= 1e-10
    assert dot_product_test(lambda dP: dP @ V, lambda w: w @ V.T, c.P.shape, rng=rng) <= 1e-10


@pytest.mark.parametrize("seed", SEEDS)
def test_8_6_3_softmax_jacobian_and_pullback(seed):
    """8.6.3: J_softmax(s) = Diag(p) - p p^T; dp = J ds; row-wise pullback G_S[i] = J_i G_P[i]."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal(6)
    p = softmax(s)
    Jm = softmax_jacobian(p)
    assert np.allclose(Jm, np.diag(p) - np.outer(p, p))
    ds = rng.standard_normal(6)
    assert np.allclose(directional_derivative(softmax, s, ds), Jm @ ds, atol=1e-9)
    S, G_P = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    P = softmax(S)
    G_S = softmax_vjp(P, G_P)
    for i in range(4):
        assert np.allclose(G_S[i], softmax_jacobian(P[i]) @ G_P[i])
    assert rel(G_S, numerical_gradient(lambda S_: frobenius(G_P, softmax(S_)), S)) < 1e-8
    # the pullback is the adjoint of the exact pushforward dS -> (Diag(P_i) - P_i^T P_i) dS_i, row by row
    def push(dS):
        return np.stack([softmax_jacobian(P[i]) @ dS[i] for i in range(4)])
    assert dot_product_test(push, lambda w: softmax_vjp(P, w), S.shape, rng=rng) <= 1e-10


@pytest.mark.parametrize("seed", SEEDS)
def test_8_6_4_grad_Q_and_grad_K(seed):
    """8.6.4: dS = (dQ K^T + Q dK^T)/sqrt(d); grad Q = G_S K / sqrt(d); grad K = G_S^T Q / sqrt(d)."""
    rng, Q, K, V = attn_case(seed)
    Y, c = attention(Q, K, V)
    G_Y = rng.standard_normal(Y.shape)
    G_Q, G_K, _ = attention_vjp(c, G_Y)
    G_S = softmax_vjp(c.P, G_Y @ V.T)
    d = Q.shape[1]
    assert np.allclose(G_Q, G_S @ K / np.sqrt(d)) and np.allclose(G_K, G_S.T @ Q / np.sqrt(d))
    def J(Q_, K_):
        return frobenius(G_Y, attention(Q_, K_, V)[0])
    assert rel(G_Q, numerical_gradient(lambda Q_: J(Q_, K), Q)) < 1e-7
    assert rel(G_K, numerical_gradient(lambda K_: J(Q, K_), K)) < 1e-7
    dQ, dK = rng.standard_normal(Q.shape), rng.standard_normal(K.shape)
    dS = directional_derivative(lambda s: (Q + s[0] * dQ) @ (K + s[0] * dK).T / np.sqrt(d), np.zeros(1), np.ones(1))
    assert np.allclose(dS, (dQ @ K.T + Q @ dK.T) / np.sqrt(d), atol=1e-8)
    # the pullbacks of the bilinear map are adjoints of its partial differentials
    assert dot_product_test(lambda dQ: dQ @ K.T / np.sqrt(d), lambda w: w @ K / np.sqrt(d), Q.shape, rng=rng) <= 1e-10
    assert dot_product_test(lambda dK: Q @ dK.T / np.sqrt(d), lambda w: w.T @ Q / np.sqrt(d), K.shape, rng=rng) <= 1e-10


@pytest.mark.parametrize("seed", SEEDS)
def test_8_6_attention_vjp_is_adjoint_of_attention_differential(seed):
    """8.6: (G_Q, G_K, G_V) = pullback of G_Y: <G_Y, dY> = <G_Q, dQ> + <G_K, dK> + <G_V, dV>."""
    rng, Q, K, V = attn_case(seed)
    Y, c = attention(Q, K, V)
    G_Y = rng.standard_normal(Y.shape)
    G_Q, G_K, G_V = attention_vjp(c, G_Y)
    dQ, dK, dV = (rng.standard_normal(a.shape) for a in (Q, K, V))
    def Y_along(s):
        return attention(Q + s[0] * dQ, K + s[0] * dK, V + s[0] * dV)[0]

    dY = directional_derivative(Y_along, np.zeros(1), np.ones(1))
    lhs = frobenius(G_Y, dY)
    rhs = frobenius(G_Q, dQ) + frobenius(G_K, dK) + frobenius(G_V, dV)
    assert lhs == pytest.approx(rhs, rel=1e-7)


# ------------------------------------------------------------------ 8.7
def test_8_7_metric_turns_the_differential_into_different_vectors():
    """8.7: the differential is a covector; each metric M gives its own gradient M^{-1} c, all representing it."""
    rng = np.random.default_rng(0)
    c = rng.standard_normal(3)
    M = np.diag([1.0, 10.0, 100.0])
    g_M = riesz(c, M)
    assert not np.allclose(g_M, c)
    for _ in range(3):
        v = rng.standard_normal(3)
        assert g_M @ M @ v == pytest.approx(c @ v, rel=1e-12)
