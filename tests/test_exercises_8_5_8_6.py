"""Exercises of 8.5 and 8.6: the slips students make get their own message, and every new or
reworked problem's special case is checked against finite differences, the engine and the
dot-product test (the generic checks of every exercise are in test_exercises.py)."""

from __future__ import annotations

import numpy as np
import pytest

import companion
from companion import dot_product_test, jacobian, numerical_gradient
from companion.exercises import check, get
from companion.models import attention, attention_jvp, attention_vjp, softmax, softmax_vjp


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(np.asarray(b)))


def mistake_of(eid, answer):
    fb = check(eid, answer, record=False)
    assert not fb and fb.diagnosis == "known mistake", str(fb)
    return fb


# ----------------------------------------------------------------------------- 8.5
def test_8_5_1_the_tanh_derivative_in_place_of_tanh_is_named():
    d = get("8.5.1").data
    z, delta, m = d["z_prev"], d["delta_l"], d["mask"]
    for answer in (np.outer(delta, m * (1 - np.tanh(z) ** 2)), np.outer(delta, 1 - np.tanh(z) ** 2)):
        fb = mistake_of("8.5.1", answer)
        assert "(1 - tanh^2 z_{l-1})^T" in fb.mistake and "tanh'(z_{l-1})" in fb.hint
    # the page's formula without the mask is its own slip; the reference is the masked outer product
    assert "mask" in mistake_of("8.5.1", np.outer(delta, np.tanh(z))).mistake
    A = np.zeros((3, 4))
    L = lambda A: float(delta @ (A @ (m * np.tanh(z))))
    np.testing.assert_allclose(get("8.5.1").reference(), numerical_gradient(L, A), atol=1e-9)
    assert np.all(get("8.5.1").reference()[:, m == 0] == 0), "a dropped unit's column is zero"


def test_8_5_2_softplus_step_is_the_adjoint_of_the_layer():
    ex = get("8.5.2")
    d = ex.data
    A, z, delta = d["A_l"], d["z_prev"], d["delta_l"]
    sig = 1 / (1 + np.exp(-z))
    softplus = lambda v: np.logaddexp(0.0, v)
    np.testing.assert_allclose(jacobian(softplus, z), np.diag(sig), atol=1e-9)  # softplus' = sigmoid
    push = lambda v: A @ (sig * v)
    pull = lambda w: sig * (A.T @ w)
    assert dot_product_test(push, pull, (4,), (4,)) < 1e-13
    np.testing.assert_allclose(ex.reference(), pull(delta), rtol=1e-12)
    L = lambda v: float(delta @ (A @ np.logaddexp(0.0, v) + d["b_l"]))
    assert rel(ex.reference(), numerical_gradient(L, z)) < 1e-7
    assert "softplus" in mistake_of("8.5.2", (1 - np.tanh(z) ** 2) * (A.T @ delta)).mistake


def test_8_5_3_rows_are_the_columns_formula_transposed():
    ex = get("8.5.3")
    H, Delta = ex.data["H_prev"], ex.data["Delta_l"]
    gA, gb = ex.reference()
    # d<Delta, H A^T + 1 b^T>_F, by finite differences in A and in b
    L = lambda A, b: float(np.sum(Delta * (H @ A.T + b)))
    np.testing.assert_allclose(gA, numerical_gradient(lambda A: L(A, np.zeros(3)), np.zeros((3, 4))), atol=1e-9)
    np.testing.assert_allclose(gb, numerical_gradient(lambda b: L(np.zeros((3, 4)), b), np.zeros(3)), atol=1e-9)
    # the page's batch formula Delta_c H_c^T (examples as columns: Delta_c = Delta^T, H_c = H^T) gives the same
    Delta_c, H_c = Delta.T, H.T
    np.testing.assert_allclose(gA, Delta_c @ H_c.T, rtol=1e-12)
    np.testing.assert_allclose(gb, Delta_c.sum(axis=1), rtol=1e-12)
    assert "transpose" in mistake_of("8.5.3", (H.T @ Delta, gb)).mistake


def test_8_5_5_residual_pullback_against_engine_and_dot_product():
    ex = get("8.5.5")
    d = ex.data
    h, A1, b1, A2, u_bar = (d[k] for k in ("h", "A_1", "b_1", "A_2", "u_bar"))
    block = lambda v: v + A2 @ companion.tanh(A1 @ v + b1)
    _, pullback = companion.vjp(block, h)
    np.testing.assert_allclose(ex.reference(), pullback(u_bar)[0], rtol=1e-12)
    D = 1 - np.tanh(A1 @ h + b1) ** 2
    push = lambda v: v + A2 @ (D * (A1 @ v))
    pull = lambda w: w + A1.T @ (D * (A2.T @ w))
    assert dot_product_test(push, pull, (4,), (4,)) < 1e-13
    L = lambda v: float(u_bar @ (v + A2 @ np.tanh(A1 @ v + b1)))
    assert rel(ex.reference(), numerical_gradient(L, h)) < 1e-7
    assert "skip" in mistake_of("8.5.5", pull(u_bar) - u_bar).mistake
    assert "branch" in mistake_of("8.5.5", u_bar).mistake


def test_8_5_6_one_pullback_gives_one_weighted_row():
    ex = get("8.5.6")
    assert ex.correct_labels == ("a", "b") and ex.category == "concept"
    # what options (a)-(c) say, on a small tall-and-wide map with the engine
    rng = np.random.default_rng(0)
    A = rng.standard_normal((3, 7))
    f = lambda x: companion.tanh(A @ x)
    x, w = rng.standard_normal(7), rng.standard_normal(3)
    J = jacobian(lambda v: np.tanh(A @ v), x)
    _, pullback = companion.vjp(f, x)
    np.testing.assert_allclose(pullback(w)[0], w @ J, atol=1e-8)  # one pullback: w^T J, not J
    np.testing.assert_allclose(pullback(np.eye(3)[1])[0], J[1], atol=1e-8)  # e_i: one row
    _, col = companion.jvp(f, (x,), (np.eye(7)[4],))
    np.testing.assert_allclose(col, J[:, 4], atol=1e-8)  # e_j: one column
    assert not check("8.5.6", "a", record=False) and check("8.5.6", "b,a", record=False)


# ----------------------------------------------------------------------------- 8.6
def test_8_6_1_value_weights_through_V_equals_X_W_V():
    ex = get("8.6.1")
    d = ex.data
    Q, K, X, W, G_Y = (d[k] for k in ("Q", "K", "X", "W_V", "G_Y"))
    Y, cache = attention(Q, K, X @ W)
    G_V = attention_vjp(cache, G_Y)[2]
    np.testing.assert_allclose(ex.reference(), X.T @ G_V, rtol=1e-12)  # 8.6.2: grad_V = P^T G_Y, then X^T
    L = lambda Wv: float(np.sum(G_Y * attention(Q, K, X @ Wv)[0]))
    assert rel(ex.reference(), numerical_gradient(L, W)) < 1e-7
    assert "G_V" in mistake_of("8.6.1", G_V).mistake


def test_8_6_2_stacks_are_handled_head_by_head():
    ex = get("8.6.2")
    ref = ex.reference()
    rng = np.random.default_rng(5)
    P = softmax(rng.standard_normal((3, 4, 5)))
    G_P = rng.standard_normal((3, 4, 5))
    got = ref(P, G_P)
    for k in range(3):  # 8.6.3: row-wise (Diag(p) - p p^T) g, one head at a time
        np.testing.assert_allclose(got[k], softmax_vjp(P[k], G_P[k]), rtol=1e-12)
    # the axis=1 slip: right on one matrix, wrong on a stack, and named
    axis1 = lambda P, G_P: P * (G_P - np.sum(P * G_P, axis=1, keepdims=True))
    np.testing.assert_allclose(axis1(P[0], G_P[0]), got[0], rtol=1e-12)
    assert rel(axis1(P, G_P), got) > 0.1
    assert "axis=1" in mistake_of("8.6.2", axis1).mistake


def test_8_6_3_G_Q_submitted_for_G_K_gets_its_own_message():
    ex = get("8.6.3")
    d = ex.data
    Q, K, V, W_O, T = (d[k] for k in ("Q", "K", "V", "W_O", "T"))
    Y, cache = attention(Q, K, V)
    G_Y = (Y @ W_O - T) @ W_O.T
    L = lambda Y_: 0.5 * float(np.sum((Y_ @ W_O - T) ** 2))
    np.testing.assert_allclose(G_Y, numerical_gradient(L, Y), atol=1e-8)
    G_Q, G_K, _ = attention_vjp(cache, G_Y)
    np.testing.assert_allclose(ex.reference(), G_K, rtol=1e-12)
    fb = mistake_of("8.6.3", G_Q)
    assert fb.mistake.startswith("G_Q submitted") and "queries" in fb.mistake and "G_S^T Q" in fb.hint
    engine = companion.grad(lambda K_: 0.5 * ((companion.softmax(Q @ K_.T / np.sqrt(3)) @ V @ W_O - T) ** 2).sum())(K)
    np.testing.assert_allclose(ex.reference(), engine, rtol=1e-10)


def test_8_6_4_stack_pullback_is_the_adjoint_of_the_stack_pushforward():
    ex = get("8.6.4")
    fn = ex.reference()
    d = ex.data
    Q, K, V, G_Y = (d[k] for k in ("Q", "K", "V", "G_Y"))
    G = fn(Q, K, V, G_Y)
    caches = [attention(Q[k], K[k], V[k])[1] for k in range(Q.shape[0])]
    for k, cache in enumerate(caches):  # 8.6.2-8.6.4, one head at a time
        for got, want in zip(G, attention_vjp(cache, G_Y[k]), strict=True):
            np.testing.assert_allclose(got[k], want, rtol=1e-12)
    shapes = (Q.shape, K.shape, V.shape)
    sizes = np.cumsum([np.prod(s) for s in shapes])[:-1]
    unpack = lambda x: [a.reshape(s) for a, s in zip(np.split(x, sizes), shapes, strict=True)]
    push = lambda x: np.stack([attention_jvp(c, *(a[k] for a in unpack(x))) for k, c in enumerate(caches)])
    pull = lambda w: np.concatenate([g.ravel() for g in fn(Q, K, V, w)])
    n_in = sum(int(np.prod(s)) for s in shapes)
    assert dot_product_test(push, pull, (n_in,), G_Y.shape) < 1e-12


def test_8_6_5_causal_mask_pullback():
    ex = get("8.6.5")
    d = ex.data
    Q, K, V, G_Y = (d[k] for k in ("Q", "K", "V", "G_Y"))
    n, dim = Q.shape
    allowed = np.tril(np.ones((n, n), dtype=bool))

    def Y_of(Q_):
        S = np.where(allowed, Q_ @ K.T / np.sqrt(dim), -np.inf)
        E = np.exp(S - S.max(axis=1, keepdims=True))
        return (E / E.sum(axis=1, keepdims=True)) @ V

    G_Q = ex.reference()
    assert rel(G_Q, numerical_gradient(lambda Q_: float(np.sum(G_Y * Y_of(Q_))), Q)) < 1e-7
    assert np.all(G_Q[0] == 0), "token 1 sees only itself: a one-hot row has a zero softmax Jacobian"
    # the pullback in Q is the adjoint of the masked pushforward (finite differences)
    push = lambda dQ: (Y_of(Q + 1e-6 * dQ) - Y_of(Q - 1e-6 * dQ)) / 2e-6
    P = softmax(np.where(allowed, Q @ K.T / np.sqrt(dim), -1e300))
    pull = lambda W: softmax_vjp(P, W @ V.T) @ K / np.sqrt(dim)
    assert dot_product_test(push, pull, Q.shape, (n, 2)) < 1e-8
    np.testing.assert_allclose(pull(G_Y), G_Q, rtol=1e-12)
    assert np.allclose(np.triu(softmax_vjp(P, G_Y @ V.T), 1), 0), "the masked scores get no gradient"
    # the slips: no mask, a zero score for a masked entry, masking only the backward pass
    unmasked = attention_vjp(attention(Q, K, V)[1], G_Y)[0]
    assert mistake_of("8.6.5", unmasked).mistake.startswith("no mask")


def test_8_6_6_what_the_concept_question_claims():
    ex = get("8.6.6")
    assert ex.correct_labels == ("a", "e") and ex.category == "concept"
    rng = np.random.default_rng(2)
    Q, K, V, G_Y = (rng.standard_normal((5, 3)) for _ in range(4))
    Y, cache = attention(Q, K, V)
    G_Q, G_K, _ = attention_vjp(cache, G_Y)
    G_P = G_Y @ V.T
    G_S = softmax_vjp(cache.P, G_P)
    assert np.abs(G_S.sum(axis=1)).max() < 1e-14                            # (a)
    assert np.abs(G_P.sum(axis=1)).min() > 1e-3                             # (c) is false
    assert np.abs(G_K.sum(axis=0)).max() < 1e-14                            # (e)
    assert np.abs(G_Q.sum(axis=0)).max() > 1e-2                             # (f) is false
    # (b): a map whose outputs sum to one without shift invariance has no zero row sums
    s, g = rng.uniform(1, 2, 4), rng.standard_normal(4)
    J = jacobian(lambda v: v / v.sum(), s)
    np.testing.assert_allclose(J.sum(axis=0), 0, atol=1e-9)                 # 1^T J = 0: outputs sum to 1
    assert abs(np.sum(J.T @ g)) > 1e-3                                      # yet the pullback's sum is not 0
    for label in "bcdf":
        fb = check("8.6.6", label, record=False)
        assert not fb and fb.diagnosis == "wrong choice"


@pytest.mark.parametrize("eid", ["8.5.5", "8.5.6", "8.6.5", "8.6.6"])
def test_new_problems_are_transfer_or_concept(eid):
    ex = get(eid)
    assert ex.category in ("transfer", "concept") and ex.solution_text.strip() and len(ex.hints) >= 2


def test_8_5_5_the_branch_jacobian_instead_of_its_transpose_is_named():
    d = get("8.5.5").data
    h, A_1, b_1, A_2, u_bar = d["h"], d["A_1"], d["b_1"], d["A_2"], d["u_bar"]
    D = 1 - np.tanh(A_1 @ h + b_1) ** 2
    fb = mistake_of("8.5.5", u_bar + A_2 @ (D * (A_1 @ u_bar)))
    assert "not its transpose" in fb.message
    assert check("8.5.5", u_bar + A_1.T @ (D * (A_2.T @ u_bar)), record=False)


def test_8_6_5_the_keys_gradient_in_place_of_the_queries_is_named():
    d = get("8.6.5").data
    Q, K, V, G_Y = d["Q"], d["K"], d["V"], d["G_Y"]
    n = Q.shape[0]
    S = np.where(np.tril(np.ones((n, n), dtype=bool)), Q @ K.T / np.sqrt(3), -np.inf)
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    G_P = G_Y @ V.T
    G_S = P * (G_P - (P * G_P).sum(axis=1, keepdims=True))
    fb = mistake_of("8.6.5", G_S.T @ Q / np.sqrt(3))
    assert "G_K submitted" in fb.message
    assert check("8.6.5", G_S @ K / np.sqrt(3), record=False)
