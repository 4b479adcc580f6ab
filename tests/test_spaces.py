"""Inner products, metrics, the Riesz map and adjoints (companion.spaces; chapter 8.2, 8.4, 8.7)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import Metric, adjoint, dot_product_test, frobenius, inner, numerical_gradient, riesz, unvec, vec

shapes = st.tuples(st.integers(1, 5), st.integers(1, 5))


def spd(n, rng, cond=10.0):
    Qm, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Qm @ np.diag(np.geomspace(1, cond, n)) @ Qm.T


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1))
def test_frobenius_is_trace_and_vec_dot(shape, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal(shape), rng.standard_normal(shape)
    assert frobenius(A, B) == pytest.approx(np.trace(A.T @ B), rel=1e-12, abs=1e-12)
    assert frobenius(A, B) == pytest.approx(vec(A) @ vec(B), rel=1e-12, abs=1e-12)
    assert frobenius(A, A) == pytest.approx(np.linalg.norm(A, "fro") ** 2)


def test_vec_stacks_columns_and_kronecker_identity():
    rng = np.random.default_rng(0)
    A, X, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    assert np.array_equal(vec(np.array([[1.0, 2.0], [3.0, 4.0]])), [1.0, 3.0, 2.0, 4.0])
    # vec(A X B) = (B^T kron A) vec(X) holds for the column-stacking vec only
    assert np.allclose(vec(A @ X @ B), np.kron(B.T, A) @ vec(X))
    assert np.array_equal(unvec(vec(X), X.shape), X)


@settings(max_examples=25, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1))
def test_riesz_under_metric_represents_the_differential(shape, seed):
    """<riesz(c, M), U>_M = <c, U>_F for every U: the gradient under M is M^{-1} c (8.2.2, 8.7)."""
    rng = np.random.default_rng(seed)
    n = shape[0] * shape[1]
    M = spd(n, rng)
    c = rng.standard_normal(shape)
    G = riesz(c, M)
    for _ in range(3):
        U = rng.standard_normal(shape)
        assert inner(G, U, M) == pytest.approx(frobenius(c, U), rel=1e-9, abs=1e-12)
    assert np.allclose(riesz(c), c)
    m = Metric(M, shape)
    assert np.allclose(m.flat(m.sharp(c)), c)


def test_numerical_gradient_under_metric():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 3))

    def f(X):
        return float(np.sum(np.sin(X) * A))

    X = rng.standard_normal((3, 3))
    M = spd(9, rng)
    c = np.cos(X) * A
    assert np.allclose(numerical_gradient(f, X), c, atol=1e-8)
    assert np.allclose(
        numerical_gradient(f, X, inner=M), np.linalg.solve(M, vec(c)).reshape(3, 3, order="F"), atol=1e-7
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_adjoint_euclidean_is_transpose(m, n, seed):
    """A* = A^T in Euclidean coordinates (8.4.2)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    A_adj = adjoint(lambda v: A @ v, (n,))
    w = rng.standard_normal(m)
    assert np.allclose(A_adj(w), A.T @ w)
    assert dot_product_test(A, A_adj, (n,), rng=rng) < 1e-12


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_adjoint_under_metrics(m, n, seed):
    """A* = M_x^{-1} A^T M_y, and then the plain transpose fails the dot-product test."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n))
    Mx, My = spd(n, rng, 50.0), spd(m, rng, 50.0)
    A_adj = adjoint(A, (n,), inner_x=Mx, inner_y=My)
    w = rng.standard_normal(m)
    assert np.allclose(A_adj(w), np.linalg.solve(Mx, A.T @ My @ w))
    assert dot_product_test(A, A_adj, (n,), inner_x=Mx, inner_y=My, rng=rng) < 1e-10
    if np.abs(A).max() > 1e-3 and (n > 1 or m > 1):
        assert dot_product_test(A, lambda w: A.T @ w, (n,), inner_x=Mx, inner_y=My, rng=rng) > 1e-6


def test_adjoint_of_matrix_map_sandwich():
    """The adjoint of X -> A X B under Frobenius is Y -> A^T Y B^T."""
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((4, 5))
    A_adj = adjoint(lambda X: A @ X @ B, (3, 4))
    Y = rng.standard_normal((2, 5))
    assert np.allclose(A_adj(Y), A.T @ Y @ B.T)
    assert dot_product_test(lambda X: A @ X @ B, A_adj, (3, 4)) < 1e-12
    assert (
        dot_product_test(lambda X: A @ X @ B, lambda Y: A.T @ Y @ B, (3, 4)) > 1e-3
        if B.shape[0] == B.shape[1]
        else True
    )


def test_dot_product_test_detects_wrong_adjoint():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((4, 4))
    assert dot_product_test(A, lambda w: A @ w, (4,), rng=rng) > 1e-3
    assert dot_product_test(A, lambda w: -A.T @ w, (4,), rng=rng) > 0.1


# ----------------------------------------------------------------- bad input
def test_bad_inputs():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        frobenius(np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(TypeError, match="integer"):
        frobenius(np.ones((2, 2), dtype=int), np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        frobenius(np.array([1.0, np.nan]), np.ones(2))
    with pytest.raises(ValueError, match="positive definite"):
        Metric(-np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        Metric(np.array([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="cannot act"):
        Metric(np.eye(4), (3,))
    with pytest.raises(ValueError, match="shape"):
        riesz(np.ones(3), np.eye(4))
    with pytest.raises(TypeError, match="callable or a 2-d array"):
        adjoint("not a map", (3,))
    with pytest.raises(ValueError, match="not linear"):
        adjoint(lambda v: v + 1.0, (3,))
    with pytest.raises(ValueError, match=r"w must have shape \(2,\)"):
        adjoint(np.ones((2, 3)), (3,))(np.ones(3))
    with pytest.raises(ValueError, match="x_shape"):
        adjoint(np.ones((2, 3)), (0,))
    with pytest.raises(ValueError, match="A_adj returned shape"):
        dot_product_test(np.ones((2, 3)), lambda w: w, (3,), rng=rng)


def test_inputs_not_mutated():
    rng = np.random.default_rng(0)
    c = rng.standard_normal((2, 2))
    c0 = c.copy()
    riesz(c, np.eye(4) * 2)
    riesz(c)
    assert np.array_equal(c, c0)


# ----------------------------------------------------------------- vec and Kronecker (8.2)
def test_kron_matrix_is_the_matrix_of_the_sandwich_on_vec():
    """8.2, eq. (8.2.6) (eq-8-2-vec-kron): vec(A X B) = (B^T kron A) vec X, for rectangular factors."""
    from companion import directional_derivative
    from companion.spaces import kron_matrix, sandwich

    rng = np.random.default_rng(11)
    A, X, B = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    K = kron_matrix(A, B)
    assert K.shape == (2 * 5, 3 * 4)
    np.testing.assert_allclose(K @ vec(X), vec(A @ X @ B), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(unvec(K @ vec(X), (2, 5)), sandwich(A, X, B), rtol=1e-12, atol=1e-12)
    # column k of K is vec of the image of the k-th basis matrix: K is the map's array, not a coincidence
    for k in range(12):
        E = unvec(np.eye(12)[k], (3, 4))
        np.testing.assert_allclose(K[:, k], vec(A @ E @ B), atol=1e-14)
    # the map is linear, so its differential is itself: checked against finite differences
    V = rng.standard_normal((3, 4))
    np.testing.assert_allclose(
        directional_derivative(lambda Z: sandwich(A, Z, B), X, V), sandwich(A, V, B), rtol=1e-7, atol=1e-9
    )


def test_sandwich_adjoint_has_the_transposed_kronecker_matrix():
    """8.2, eq. (8.2.7) (eq-8-2-kron-adjoint): the adjoint Y -> A^T Y B^T has matrix (B^T kron A)^T = B kron A^T."""
    from companion.spaces import kron_matrix, sandwich, sandwich_adjoint

    rng = np.random.default_rng(12)
    A, B = rng.standard_normal((3, 2)), rng.standard_normal((4, 4))
    K = kron_matrix(A, B)
    np.testing.assert_allclose(K.T, np.kron(B, A.T), atol=1e-14)
    Y = rng.standard_normal((3, 4))
    np.testing.assert_allclose(vec(sandwich_adjoint(A, Y, B)), K.T @ vec(Y), rtol=1e-12, atol=1e-12)
    fwd = lambda X: sandwich(A, X, B)
    assert dot_product_test(fwd, lambda Y: sandwich_adjoint(A, Y, B), (2, 4), (3, 4), rng=rng) < 1e-12
    # the slips: forgetting to transpose B (it is square here, so the shapes fit) fails the test
    assert dot_product_test(fwd, lambda Y: A.T @ Y @ B, (2, 4), (3, 4), rng=rng) > 1e-3
    # and the engine-free generic adjoint (built column by column) is the same map
    np.testing.assert_allclose(adjoint(fwd, (2, 4))(Y), sandwich_adjoint(A, Y, B), atol=1e-12)


@pytest.mark.parametrize(("a", "b"), [((2, 3), (4, 5)), ((50, 2), (2, 50)), ((2, 50), (50, 2))])
def test_sandwich_uses_the_cheaper_order_and_counts_it(a, b):
    from companion.spaces import sandwich, sandwich_cost

    rng = np.random.default_rng(13)
    A, B = rng.standard_normal(a), rng.standard_normal(b)
    X = rng.standard_normal((a[1], b[0]))
    np.testing.assert_allclose(sandwich(A, X, B), A @ X @ B, rtol=1e-12, atol=1e-12)
    (m, n), (p, q) = a, b
    cost = sandwich_cost(a, b)
    assert cost == {
        "kron_entries": m * n * p * q,
        "kron_matvec": m * n * p * q,
        "left_first": m * n * p + m * p * q,
        "right_first": n * p * q + m * n * q,
        "factor_entries": m * n + p * q,
    }
    assert min(cost["left_first"], cost["right_first"]) < cost["kron_matvec"]


def test_kronecker_bad_input():
    from companion.spaces import kron_matrix, sandwich, sandwich_adjoint, sandwich_cost

    A, B = np.ones((2, 3)), np.ones((4, 5))
    with pytest.raises(ValueError, match=r"X must have shape \(3, 4\).*\(2, 3\).*\(4, 5\).*got \(4, 3\)"):
        sandwich(A, np.ones((4, 3)), B)
    with pytest.raises(ValueError, match=r"Y must have shape \(2, 5\).*got \(5, 2\)"):
        sandwich_adjoint(A, np.ones((5, 2)), B)
    with pytest.raises(ValueError, match="A"):
        kron_matrix(np.ones(3), B)
    with pytest.raises(TypeError, match="integer"):
        kron_matrix(np.ones((2, 2), dtype=int), B)
    with pytest.raises(ValueError, match=r"kron_matrix of A \(100, 100\) and B \(100, 100\).*100,000,000 entries"):
        kron_matrix(np.ones((100, 100)), np.ones((100, 100)))
    with pytest.raises(ValueError, match="A_shape and B_shape must be matrix shapes"):
        sandwich_cost((2, 3, 4), (4, 5))
