"""8.6 attention: the pushforward, the loss on Y, and the pullback, each checked twice.

Against finite differences (which know no formula) and by the dot-product test
``<G_Y, dY> = <G_Q, dQ> + <G_K, dK> + <G_V, dV>`` (the pullback is the adjoint of the
pushforward). Also the section's displayed identities, stage by stage.
"""

from __future__ import annotations

import numpy as np
import pytest

from companion import directional_derivative, dot_product_test, frobenius, jacobian, numerical_gradient
from companion.models import (
    attention,
    attention_jvp,
    attention_loss_and_grads,
    attention_vjp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    squared_loss,
)

SHAPES = [(4, 2, 3, 4), (6, 3, 2, 6), (5, 4, 4, 7)]  # n, d, d_v, n_k


def problem(n, d, d_v, n_k, seed=0, tau=1.0):
    rng = np.random.default_rng(seed)
    Q, K, V = rng.standard_normal((n, d)), rng.standard_normal((n_k, d)), rng.standard_normal((n_k, d_v))
    T = rng.standard_normal((n, d_v))
    return Q, K, V, T, tau / np.sqrt(d)


def plain_attention(Q, K, V, scale):
    """An independent forward pass, written directly from the definitions."""
    S = scale * Q @ K.T
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return (E / E.sum(axis=1, keepdims=True)) @ V


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("which", ["dQ", "dK", "dV"])
def test_attention_jvp_matches_finite_differences(shape, which):
    Q, K, V, _, scale = problem(*shape, seed=1)
    _, cache = attention(Q, K, V, scale=scale)
    rng = np.random.default_rng(2)
    X = {"dQ": Q, "dK": K, "dV": V}[which]
    dX = rng.standard_normal(X.shape)

    def F(Z):
        args = {"dQ": (Z, K, V), "dK": (Q, Z, V), "dV": (Q, K, Z)}[which]
        return plain_attention(*args, scale)

    dY_fd = directional_derivative(F, X, dX)
    dY = attention_jvp(cache, **{which: dX})
    assert np.allclose(dY, dY_fd, rtol=1e-7, atol=1e-9)


def test_attention_jvp_is_linear_and_sums_its_parts():
    Q, K, V, _, scale = problem(5, 3, 2, 5, seed=3)
    _, cache = attention(Q, K, V, scale=scale)
    rng = np.random.default_rng(4)
    dQ, dK, dV = rng.standard_normal(Q.shape), rng.standard_normal(K.shape), rng.standard_normal(V.shape)
    whole = attention_jvp(cache, dQ, dK, dV)
    parts = attention_jvp(cache, dQ=dQ) + attention_jvp(cache, dK=dK) + attention_jvp(cache, dV=dV)
    assert np.allclose(whole, parts, rtol=1e-13, atol=1e-14)
    assert np.allclose(
        attention_jvp(cache, 2.5 * dQ, -dK, 0.5 * dV),
        2.5 * attention_jvp(cache, dQ=dQ) - attention_jvp(cache, dK=dK) + 0.5 * attention_jvp(cache, dV=dV),
    )
    assert np.array_equal(attention_jvp(cache), np.zeros_like(cache.Y))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vjp_is_adjoint_of_jvp_dot_product_test(shape, seed):
    """<G_Y, J(dQ, dK, dV)> = <J^T G_Y, (dQ, dK, dV)> with the inputs packed in one vector."""
    Q, K, V, _, scale = problem(*shape, seed=seed)
    _, cache = attention(Q, K, V, scale=scale)
    sizes = [Q.size, K.size, V.size]
    cut = np.cumsum(sizes)[:-1]

    def unpack(x):
        a, b, c = np.split(x, cut)
        return a.reshape(Q.shape), b.reshape(K.shape), c.reshape(V.shape)

    def A(x):
        return attention_jvp(cache, *unpack(x))

    def A_adj(G_Y):
        return np.concatenate([g.ravel() for g in attention_vjp(cache, G_Y)])

    assert dot_product_test(A, A_adj, (sum(sizes),), cache.Y.shape, rng=np.random.default_rng(seed)) < 1e-13
    # and a wrong pullback (G_S Q in place of G_S^T Q, shapes permitting) fails it
    if K.shape == Q.shape:

        def wrong(G_Y):
            G_Q, G_K, G_V = attention_vjp(cache, G_Y)
            G_S = softmax_vjp(cache.P, G_Y @ V.T)
            return np.concatenate([G_Q.ravel(), (cache.scale * G_S @ Q).ravel(), G_V.ravel()])

        assert dot_product_test(A, wrong, (sum(sizes),), cache.Y.shape, rng=np.random.default_rng(seed)) > 1e-3


@pytest.mark.parametrize("which", [0, 1, 2])
def test_vjp_partials_against_numerical_jvp(which):
    """Each partial pullback G_Y -> G_X is the adjoint of dX -> dY computed by finite differences."""
    Q, K, V, _, scale = problem(6, 3, 2, 6, seed=5)
    _, cache = attention(Q, K, V, scale=scale)
    X = (Q, K, V)[which]

    def F(Z):
        args = [Q, K, V]
        args[which] = Z
        return plain_attention(*args, scale)

    def A(dX):
        return directional_derivative(F, X, dX)

    def A_adj(G_Y):
        return attention_vjp(cache, G_Y)[which]

    assert dot_product_test(A, A_adj, X.shape, cache.Y.shape, rng=np.random.default_rng(which)) < 1e-8


def test_squared_loss_gradient():
    rng = np.random.default_rng(6)
    Y, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, G_Y = squared_loss(Y, T)
    assert loss == pytest.approx(0.5 * np.sum((Y - T) ** 2), rel=1e-14)
    assert np.allclose(G_Y, numerical_gradient(lambda Z: squared_loss(Z, T)[0], Y), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("tau", [0.25, 1.0, 4.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_attention_loss_and_grads_against_finite_differences(shape, tau):
    Q, K, V, T, scale = problem(*shape, seed=7, tau=tau)
    loss, (G_Q, G_K, G_V) = attention_loss_and_grads(Q, K, V, T, scale=scale)

    def J(Q, K, V):
        return 0.5 * np.sum((plain_attention(Q, K, V, scale) - T) ** 2)

    assert loss == pytest.approx(J(Q, K, V), rel=1e-13)
    for G, num in [
        (G_Q, numerical_gradient(lambda Z: J(Z, K, V), Q)),
        (G_K, numerical_gradient(lambda Z: J(Q, Z, V), K)),
        (G_V, numerical_gradient(lambda Z: J(Q, K, Z), V)),
    ]:
        assert np.allclose(G, num, rtol=1e-6, atol=1e-8)


def test_default_scale_is_one_over_sqrt_d():
    Q, K, V, T, _ = problem(4, 4, 2, 4, seed=8)
    a = attention_loss_and_grads(Q, K, V, T)
    b = attention_loss_and_grads(Q, K, V, T, scale=0.5)
    assert a[0] == b[0] and all(np.array_equal(x, y) for x, y in zip(a[1], b[1], strict=True))


# ----------------------------------------------------------------- the section's identities
def test_stage_one_linear_map_Y_equals_PV():
    """grad_V = P^T G_Y and grad_P = G_Y V^T for J = <G_Y, P V> (P, V free)."""
    rng = np.random.default_rng(9)
    P, V, G_Y = rng.random((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3))

    def f_V(Z):
        return frobenius(G_Y, P @ Z)

    def f_P(Z):
        return frobenius(G_Y, Z @ V)

    assert np.allclose(numerical_gradient(f_V, V), P.T @ G_Y, atol=1e-9)
    assert np.allclose(numerical_gradient(f_P, P), G_Y @ V.T, atol=1e-9)


def test_softmax_jacobian_properties():
    rng = np.random.default_rng(10)
    s = 2 * rng.standard_normal(6)
    p = softmax(s)
    Jm = softmax_jacobian(p)
    assert np.allclose(Jm, jacobian(softmax, s), atol=1e-9)
    assert np.allclose(Jm, Jm.T)
    assert np.allclose(Jm.sum(axis=1), 0, atol=1e-15)
    w = np.linalg.eigvalsh(Jm)
    assert w.min() > -1e-15 and abs(w[0]) < 1e-15  # PSD with a zero eigenvalue
    assert np.allclose(Jm @ np.ones(6), 0, atol=1e-15)
    # dropping -p p^T gives something that is not the Jacobian
    assert not np.allclose(np.diag(p), jacobian(softmax, s), atol=1e-3)


def test_softmax_vjp_row_trick_and_c_identity():
    """softmax_vjp = row-wise Jacobian products; c_i = <G_P[i], P[i]> = <G_Y[i], Y[i]>."""
    Q, K, V, T, scale = problem(5, 3, 2, 6, seed=11)
    Y, cache = attention(Q, K, V, scale=scale)
    _, G_Y = squared_loss(Y, T)
    G_P = G_Y @ V.T
    G_S = softmax_vjp(cache.P, G_P)
    rows = np.stack([softmax_jacobian(cache.P[i]) @ G_P[i] for i in range(5)])
    assert np.allclose(G_S, rows, atol=1e-14)
    assert np.allclose(np.einsum("ij,ij->i", G_P, cache.P), np.einsum("ij,ij->i", G_Y, Y), atol=1e-14)

    # and it is the gradient of J as a function of S
    def J_of_S(S):
        return squared_loss(softmax(S) @ V, T)[0]

    assert np.allclose(G_S, numerical_gradient(J_of_S, cache.S), atol=1e-8)
    # stage three: G_Q = scale G_S K, G_K = scale G_S^T Q
    G_Q, G_K, _ = attention_vjp(cache, G_Y)
    assert np.allclose(G_Q, scale * G_S @ K, atol=1e-14)
    assert np.allclose(G_K, scale * G_S.T @ Q, atol=1e-14)


# ----------------------------------------------------------------------- bad input
def test_bad_input_is_named():
    Q, K, V, T, scale = problem(4, 2, 3, 4)
    _, cache = attention(Q, K, V, scale=scale)
    with pytest.raises(ValueError, match=r"dQ must have the shape of Q \(4, 2\)"):
        attention_jvp(cache, dQ=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="dV"):
        attention_jvp(cache, dV=np.zeros((4,)))
    with pytest.raises(TypeError, match="cache"):
        attention_jvp((Q, K, V), dQ=Q)
    with pytest.raises(TypeError, match="dK"):
        attention_jvp(cache, dK=np.zeros((4, 2), dtype=int))
    with pytest.raises(ValueError, match=r"Y and T .* \(4, 3\) and \(3, 4\)"):
        squared_loss(np.zeros((4, 3)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"T must have the shape of Y"):
        attention_loss_and_grads(Q, K, V, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        attention_loss_and_grads(Q, K, V, np.full((4, 3), np.nan))
