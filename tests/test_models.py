"""Worked models: shapes, properties on random sizes, numerical stability, bad input (companion.models)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import (
    attention,
    attention_vjp,
    least_squares,
    mlp_backward,
    mlp_forward,
    mlp_init,
    mlp_loss_and_grads,
    numerical_gradient,
    softmax,
    softmax_vjp,
)

dims = st.integers(1, 6)


@settings(max_examples=25, deadline=None)
@given(dims, dims, st.one_of(st.none(), dims), st.integers(0, 2**32 - 1))
def test_least_squares_shapes_and_gradient(m, n, batch, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, n))
    x = rng.standard_normal(n if batch is None else (n, batch))
    b = rng.standard_normal(m if batch is None else (m, batch))
    loss, G = least_squares(W, x, b)
    assert G.shape == W.shape and loss >= 0
    g_num = numerical_gradient(lambda W_: least_squares(W_, x, b)[0], W)
    assert np.allclose(G, g_num, atol=1e-6 * (1 + np.abs(G).max()))


@settings(max_examples=20, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=2, max_size=5),
    st.sampled_from(["tanh", "sigmoid", "identity", "relu"]),
    st.integers(0, 2**32 - 1),
)
def test_mlp_random_architectures(sizes, act, seed):
    rng = np.random.default_rng(seed)
    As, bs = mlp_init(sizes, rng=rng, bias_scale=0.1)
    x, y = rng.standard_normal((sizes[0], 3)), rng.standard_normal((sizes[-1], 3))
    loss, g = mlp_loss_and_grads(As, bs, x, y, act)
    assert [a.shape for a in g.A] == [a.shape for a in As]
    assert [b.shape for b in g.b] == [b.shape for b in bs]
    assert [d.shape for d in g.deltas] == [(s, 3) for s in sizes[1:]]
    if act != "relu":
        def f(A0):
            return mlp_loss_and_grads([A0] + As[1:], bs, x, y, act)[0]
        assert np.allclose(g.A[0], numerical_gradient(f, As[0]), atol=1e-6 * (1 + np.abs(g.A[0]).max()))


def test_mlp_per_layer_activations_and_single_example():
    rng = np.random.default_rng(0)
    As, bs = mlp_init([4, 3, 2], rng=rng)
    h, cache = mlp_forward(As, bs, rng.standard_normal(4), ["relu", "identity"])
    assert h.shape == (2,) and cache.activations == ["relu", "identity"]
    g = mlp_backward(As, cache, np.ones(2))
    assert g.x is None and g.A[0].shape == (3, 4)


def test_mlp_backward_does_not_mutate():
    rng = np.random.default_rng(1)
    As, bs = mlp_init([3, 4, 2], rng=rng)
    x = rng.standard_normal((3, 2))
    h, cache = mlp_forward(As, bs, x, "tanh")
    hbar = rng.standard_normal(h.shape)
    copies = [hbar.copy(), [A.copy() for A in As], [z.copy() for z in cache.z], [hh.copy() for hh in cache.h]]
    mlp_backward(As, cache, hbar, input_grad=True)
    assert np.array_equal(hbar, copies[0])
    assert all(np.array_equal(a, b) for a, b in zip(As, copies[1], strict=False))
    assert all(np.array_equal(a, b) for a, b in zip(cache.z, copies[2], strict=False))
    assert all(np.array_equal(a, b) for a, b in zip(cache.h, copies[3], strict=False))


def test_softmax_is_stable_and_sums_to_one():
    S = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    P = softmax(S)
    assert np.all(np.isfinite(P)) and np.allclose(P.sum(axis=1), 1.0)
    assert np.allclose(P[1], 1 / 3)
    G = softmax_vjp(P, np.ones_like(P))
    assert np.allclose(G, 0.0)  # softmax is invariant to adding a constant: J^T 1 = 0


def test_masked_softmax_is_the_softmax_of_the_entries_kept_and_its_pullback_passes_both_tests():
    """8.6.3 with a causal mask (-inf above the diagonal): the weights of masked entries are exactly 0,
    the others are the softmax of what is left, and the pullback at P is checked against finite
    differences in the unmasked scores and by the dot-product test of the symmetric Jacobian."""
    rng = np.random.default_rng(5)
    n = 5
    mask = np.triu(np.ones((n, n), bool), k=1)
    S0 = rng.standard_normal((n, n))
    S = np.where(mask, -np.inf, S0)
    P = softmax(S)
    assert np.all(P[mask] == 0.0) and np.allclose(P.sum(axis=1), 1.0)
    for i in range(n):
        kept = S0[i, : i + 1]
        assert np.allclose(P[i, : i + 1], np.exp(kept - kept.max()) / np.exp(kept - kept.max()).sum())
    G_P = rng.standard_normal((n, n))
    G_S = softmax_vjp(P, G_P)
    assert np.all(G_S[mask] == 0.0)

    def loss(free):
        return float(np.sum(G_P * softmax(np.where(mask, -np.inf, free))))

    fd = numerical_gradient(loss, S0)
    assert np.allclose(G_S[~mask], fd[~mask], atol=1e-7)
    U, V = rng.standard_normal((2, n, n))
    JU = np.einsum("ij,ij->i", P, U)[:, None]  # J U = P * (U - <P, U>) row-wise
    assert np.isclose(np.sum(softmax_vjp(P, V) * U), np.sum(V * (P * (U - JU))), rtol=1e-12)


@pytest.mark.parametrize(
    "S, says",
    [
        (np.array([[0.0, np.inf]]), "NaN or +inf"),
        (np.array([[np.nan, 0.0]]), "NaN or +inf"),
        (np.array([[-np.inf, -np.inf], [0.0, 1.0]]), "masked entirely"),
    ],
)
def test_softmax_refuses_nan_plus_inf_and_a_row_masked_entirely(S, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        softmax(S)


def test_attention_saturated_scores_are_finite():
    rng = np.random.default_rng(2)
    Q, K, V = 100 * rng.standard_normal((4, 3)), 100 * rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    Y, c = attention(Q, K, V)
    G = attention_vjp(c, np.ones_like(Y))
    assert all(np.all(np.isfinite(g)) for g in G)


def test_attention_custom_scale_and_rectangular():
    rng = np.random.default_rng(3)
    Q, K, V = rng.standard_normal((2, 4)), rng.standard_normal((7, 4)), rng.standard_normal((7, 3))
    Y, c = attention(Q, K, V, scale=0.1)
    assert Y.shape == (2, 3) and c.scale == 0.1
    G_Y = rng.standard_normal(Y.shape)
    G_Q, G_K, G_V = attention_vjp(c, G_Y)
    def f(Q_):
        return float(np.sum(G_Y * attention(Q_, K, V, scale=0.1)[0]))
    assert np.allclose(G_Q, numerical_gradient(f, Q), atol=1e-8)
    assert G_K.shape == K.shape and G_V.shape == V.shape


def test_attention_vjp_does_not_mutate():
    rng = np.random.default_rng(4)
    Q, K, V = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    Y, c = attention(Q, K, V)
    saved = [a.copy() for a in c[:6]]
    G_Y = rng.standard_normal(Y.shape)
    G0 = G_Y.copy()
    attention_vjp(c, G_Y)
    attention_vjp(c, G_Y)
    assert np.array_equal(G_Y, G0)
    assert all(np.array_equal(a, b) for a, b in zip(c[:6], saved, strict=False))


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (
            lambda: least_squares(np.ones((2, 3)), np.ones(4), np.ones(2)),
            ValueError,
            r"W has shape \(2, 3\).*x has shape \(4,\)",
        ),
        (lambda: least_squares(np.ones((2, 3)), np.ones(3), np.ones(3)), ValueError, r"b must have shape \(2,\)"),
        (lambda: least_squares(np.ones((2, 3)), np.ones((3, 4)), np.ones(2)), ValueError, r"\(2, 4\)"),
        (lambda: least_squares(np.ones((2, 3), dtype=int), np.ones(3), np.ones(2)), TypeError, "W has integer"),
        (lambda: least_squares(np.ones(3), np.ones(3), np.ones(1)), ValueError, "W must be 2-d"),
        (lambda: least_squares(np.ones((2, 3)), np.array([1.0, np.nan, 0.0]), np.ones(2)), ValueError, "x .* NaN"),
        (
            lambda: mlp_forward([np.ones((2, 3))], [np.ones(2)], np.ones(3), "swish"),
            ValueError,
            "unknown activation 'swish'",
        ),
        (lambda: mlp_forward([np.ones((2, 3))], [np.ones(2)], np.ones(4), "tanh"), ValueError, r"x has shape \(4,\)"),
        (
            lambda: mlp_forward([np.ones((2, 3)), np.ones((2, 3))], [np.ones(2), np.ones(2)], np.ones(3)),
            ValueError,
            r"As\[1\]",
        ),
        (lambda: mlp_forward([np.ones((2, 3))], [np.ones(3)], np.ones(3)), ValueError, r"bs\[0\]"),
        (lambda: mlp_forward(np.ones((2, 3)), [np.ones(2)], np.ones(3)), TypeError, "lists"),
        (lambda: mlp_init([3, 2], rng=0), TypeError, "Generator"),
        (lambda: mlp_init([3], rng=np.random.default_rng()), ValueError, "sizes"),
        (
            lambda: mlp_loss_and_grads([np.ones((2, 3))], [np.ones(2)], np.ones(3), np.ones(3)),
            ValueError,
            r"y must have the shape",
        ),
        (
            lambda: attention(np.ones((3, 2)), np.ones((3, 4)), np.ones((3, 2))),
            ValueError,
            r"Q has shape \(3, 2\).*K has shape \(3, 4\)",
        ),
        (lambda: attention(np.ones((3, 2)), np.ones((3, 2)), np.ones((4, 2))), ValueError, r"V has shape \(4, 2\)"),
        (lambda: attention_vjp((1, 2), np.ones((3, 2))), TypeError, "AttentionCache"),
        (lambda: softmax_vjp(np.ones((2, 3)), np.ones((3, 2))), ValueError, r"\(2, 3\) and \(3, 2\)"),
        (lambda: softmax("abc"), TypeError, "string"),
    ],
)
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_mlp_backward_checks_weights_against_the_forward_pass():
    rng = np.random.default_rng(5)
    As, bs = mlp_init([3, 4, 2], rng=rng)
    h, cache = mlp_forward(As, bs, rng.standard_normal(3))
    with pytest.raises(ValueError, match=r"As\[1\] has shape \(4, 2\) but the forward pass used \(2, 4\)"):
        mlp_backward([As[0], As[1].T], cache, np.ones(2))
    with pytest.raises(ValueError, match="2 weight matrices"):
        mlp_backward(As[:1], cache, np.ones(2))
    with pytest.raises(TypeError, match="MLPCache"):
        mlp_backward(As, {"h": []}, np.ones(2))


def test_attention_vjp_wrong_cotangent_shape():
    Y, c = attention(np.ones((3, 2)), np.ones((3, 2)), np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"G_Y must have the shape of Y \(3, 4\), got \(4, 3\)"):
        attention_vjp(c, np.ones((4, 3)))


def test_the_engine_and_the_models_share_one_softmax_and_one_sigmoid():
    """8.6.1 (softmax by rows) and the logistic sigmoid: the same numbers from the engine and the models,
    including scores far out on both tails, where a naive exp overflows."""
    from companion import sigmoid as engine_sigmoid
    from companion import softmax as engine_softmax
    from companion.models import ACTIVATIONS, softmax

    rng = np.random.default_rng(7)
    S = rng.standard_normal((4, 5)) * np.array([[1.0], [30.0], [800.0], [-800.0]])
    for axis in (0, 1, -1):
        assert np.array_equal(softmax(S, axis), engine_softmax(S, axis))
        assert np.allclose(softmax(S, axis).sum(axis=axis), 1.0)
    z = np.array([-800.0, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0])
    s = ACTIVATIONS["sigmoid"][0](z)
    assert np.array_equal(s, engine_sigmoid(z)) and np.all(np.isfinite(s))
    assert np.allclose(s[2:5], 1 / (1 + np.exp(-z[2:5])), rtol=1e-15)
