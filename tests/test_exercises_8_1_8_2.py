"""Exercises of 8.1 and 8.2: the slips they name, and the mathematics of their new problems.

The generic tests (tests/test_exercises.py) cover every exercise; here each specific slip gets
its own message, and each new reference answer is checked independently of the package's
solution (finite differences and the dot-product test for derivatives; the chapter's
identities for the rest).
"""

from __future__ import annotations

import numpy as np
import pytest

from companion import directional_derivative, dot_product_test, jacobian, numerical_gradient, taylor_test, unvec, vec
from companion.exercises import check, get


def _mistake(eid, name_start):
    ex = get(eid)
    (m,) = [m for m in ex.mistakes if m.name.startswith(name_start)]
    return ex, m


# ----------------------------------------------------------------------------- 8.1.1
def test_8_1_1_transposed_jacobian_gets_a_jacobian_hint_not_a_gradient_hint():
    ex = get("8.1.1")
    J = ex.reference()
    fb = check("8.1.1", J.T, record=False)
    assert not fb and fb.diagnosis == "known mistake" and fb.mistake.startswith("J^T"), str(fb)
    assert "J_ij = dF_i/dx_j" in str(fb) and "gradient" not in str(fb).lower()
    # the Jacobian is not symmetric at x0, so the transpose is really a different (wrong) linear map
    F = lambda x: np.array([x[0] ** 2 * x[1], np.cos(x[0] * x[1])])
    x0 = ex.data["x0"]
    np.testing.assert_allclose(jacobian(F, x0), J, atol=1e-7)
    v = np.array([0.6, -0.8])
    assert taylor_test(F, x0, v, J @ v).order > 1.8 and taylor_test(F, x0, v, J.T @ v).order < 1.2


# ----------------------------------------------------------------------------- 8.1.2
def test_8_1_2_two_bases_reduce_to_the_page_formula_with_one():
    """8.1, eq. (8.1.1): with one basis (C = B) the array in the new bases is B^-1 A B."""
    from companion.spaces import change_of_basis

    ex = get("8.1.2")
    A, B, C = ex.data["A"], ex.data["B"], ex.data["C"]
    K = ex.reference()
    np.testing.assert_allclose(K, change_of_basis(A, B, C), atol=1e-12)
    c = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(C @ (K @ c), A @ (B @ c), atol=1e-12)  # same map, read in the new coordinates
    sq = ex.solution(A=B, B=B, C=B)  # a square map with C = B
    np.testing.assert_allclose(sq, np.linalg.solve(B, B @ B), atol=1e-12)
    for start in ("C A B^-1", "A B", "C^-1 A"):
        ex_, m = _mistake("8.1.2", start)
        fb = check("8.1.2", m.wrong(**ex.data), record=False)
        assert fb.mistake == m.name, str(fb)


# ----------------------------------------------------------------------------- 8.1.5
def test_8_1_5_normalization_differential_by_finite_differences_and_dot_product():
    ex = get("8.1.5")
    dN = ex.reference()
    N = lambda x: x / np.linalg.norm(x)
    rng = np.random.default_rng(5)
    for d in (2, 4, 7):
        x = rng.standard_normal(d)
        J = np.column_stack([dN(x, e) for e in np.eye(d)])
        np.testing.assert_allclose(J, jacobian(N, x), atol=1e-7)
        v = rng.standard_normal(d)
        np.testing.assert_allclose(dN(x, v), directional_derivative(N, x, v), atol=1e-7)
        # the adjoint is the map itself: (I - u u^T)/|x| is symmetric; the dot-product test says so
        assert dot_product_test(lambda h, x=x: dN(x, h), lambda w, x=x: dN(x, w), (d,), rng=rng) < 1e-12
        # the special cases the solution states: no motion along x, a sideways step scaled by 1/|x|
        np.testing.assert_allclose(dN(x, x), 0.0, atol=1e-12)
        side = v - x * (x @ v) / (x @ x)
        np.testing.assert_allclose(np.linalg.norm(dN(x, side)), np.linalg.norm(side) / np.linalg.norm(x))


@pytest.mark.parametrize("start", ["dx / |x|", "(dx + u u^T dx)", "d|x| taken"])
def test_8_1_5_each_slip_is_named_and_wrong(start):
    ex, m = _mistake("8.1.5", start)
    wrong = m.wrong(**ex.data)
    fb = check("8.1.5", wrong, record=False)
    assert fb.mistake == m.name and m.hint in str(fb)
    x, dx = ex.data["x"], ex.data["dx"]
    assert taylor_test(lambda z: z / np.linalg.norm(z), x, dx, wrong(x, dx)).order < 1.2


# ----------------------------------------------------------------------------- 8.1.6
def test_8_1_6_the_whys_are_true():
    """Each option's claim, on a random symmetric S and a non-orthonormal basis B: trace, determinant, eigenvalues,
    the trace of the square and the rank survive; symmetry, the norm, an entry and the singular values do not."""
    ex = get("8.1.6")
    assert ex.correct_labels == ("a", "b", "c", "h", "i")
    rng = np.random.default_rng(6)
    S = rng.standard_normal((3, 3))
    S = S + S.T
    B = np.diag([1.0, 1.0, 10.0]) + 0.1 * rng.standard_normal((3, 3))
    S_B = np.linalg.solve(B, S @ B)
    assert np.trace(S_B) == pytest.approx(np.trace(S)) and np.linalg.det(S_B) == pytest.approx(np.linalg.det(S))  # a b
    np.testing.assert_allclose(np.sort(np.linalg.eigvals(S_B).real), np.sort(np.linalg.eigvalsh(S)), atol=1e-10)  # c
    assert not np.allclose(S_B, S_B.T) and abs(np.linalg.norm(S_B) - np.linalg.norm(S)) > 0.1  # d, e
    assert abs(S_B[0, 0] - S[0, 0]) > 1e-3  # f
    s, s_B = np.linalg.svd(S, compute_uv=False), np.linalg.svd(S_B, compute_uv=False)  # g: they move, not their product
    assert np.max(np.abs(s_B - s) / s) > 0.1 and np.prod(s_B) == pytest.approx(abs(np.linalg.det(S)))
    assert np.trace(S_B @ S_B) == pytest.approx(np.trace(S @ S))  # h, while tr(A^T A) moves (e)
    assert np.trace(S_B.T @ S_B) != pytest.approx(np.trace(S.T @ S), rel=1e-2)
    u, v, w, z = rng.standard_normal((4, 3))
    R = np.outer(u, v) + np.outer(w, z)  # i: a map of rank 2
    assert np.linalg.matrix_rank(R) == 2 and np.linalg.matrix_rank(np.linalg.solve(B, R @ B)) == 2
    # the hint's basis Diag(1, 1, 10): entry (1, 3) scales by 10, entry (3, 1) by 1/10
    D = np.diag([1.0, 1.0, 10.0])
    S_D = np.linalg.solve(D, S @ D)
    assert S_D[0, 2] == pytest.approx(10 * S[0, 2]) and S_D[2, 0] == pytest.approx(S[2, 0] / 10)
    # an orthonormal basis keeps the singular values: (g) is about non-orthonormal bases
    Q = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    np.testing.assert_allclose(np.linalg.svd(Q.T @ S @ Q, compute_uv=False), s, rtol=1e-12)
    # the page's numbers quoted in option (e): |S|_F 3.77 -> 13.07 in the page's general basis
    assert "3.77" in ex.options[4].why and "13.07" in ex.options[4].why
    fb = check("8.1.6", "a,b,c,d", record=False)
    assert not fb and "self-adjoint" in str(fb)
    fb = check("8.1.6", "a,b,c", record=False)
    assert not fb and fb.diagnosis == "incomplete", "the page's three are no longer the whole answer"
    fb = check("8.1.6", "a,b,c,g,h,i", record=False)
    assert not fb and fb.diagnosis == "wrong choice" and r"|\det A|" in fb.message


# ----------------------------------------------------------------------------- 8.2.1
def test_8_2_1_reversed_transposes_are_named():
    """B^T A^T = (A B)^T: the slip of rotating tr(A dX B) into tr(A B dX)."""
    ex = get("8.2.1")
    A, B = ex.data["A"], ex.data["B"]
    fb = check("8.2.1", B.T @ A.T, record=False)
    assert not fb and fb.mistake.startswith("B^T A^T"), str(fb)
    assert "tr(B A dX)" in str(fb) and "A^T B^T" in str(fb)
    # the identity the feedback states: 8.3, cyclic invariance, and <G, dX>_F = tr(A dX B)
    dX = np.random.default_rng(0).standard_normal((3, 3))
    assert np.trace(A @ dX @ B) == pytest.approx(np.trace(B @ A @ dX))
    assert np.trace(A @ dX @ B) == pytest.approx(np.sum(ex.reference() * dX))


# ----------------------------------------------------------------------------- 8.2.4
def test_8_2_4_gradient_of_log_det_gram_twice_checked():
    ex = get("8.2.4")
    X = ex.data["X"]
    G = ex.reference()
    f = lambda Z: float(np.linalg.slogdet(Z.T @ Z)[1])
    np.testing.assert_allclose(numerical_gradient(f, X), G, atol=1e-7)
    V = np.random.default_rng(4).standard_normal(X.shape)
    assert taylor_test(f, X, V, float(np.sum(G * V))).order > 1.8
    # the square case is twice the page's gradient of log|det| (8.2, eq. (8.2.4), eq-8-2-logdet): det(X^T X) = det(X)^2
    Xsq = np.eye(3) + 0.3 * np.random.default_rng(1).standard_normal((3, 3))
    np.testing.assert_allclose(ex.solution(X=Xsq), 2 * np.linalg.inv(Xsq).T, atol=1e-12)
    fb = check("8.2.4", X @ np.linalg.inv(X.T @ X), record=False)
    assert fb.mistake.startswith("X (X^T X)^-1")
    fb = check("8.2.4", 2 * np.linalg.inv(X.T @ X) @ X.T, record=False)  # the transpose: shape (2, 4)
    assert not fb and fb.diagnosis in ("shape", "known mistake") and "(4, 2)" in fb.message


# ----------------------------------------------------------------------------- 8.2.5
def test_8_2_5_metric_from_coordinates_and_the_z_gradient_slip():
    """8.2, eq. (8.2.8) (eq-8-2-metric-gradient): the gradient for <u, v>_P = u^T (P^T P) v is (P^T P)^-1 c."""
    from companion import Metric, riesz

    ex = get("8.2.5")
    H, c, w, P = ex.data["H"], ex.data["c"], ex.data["w"], ex.data["P"]
    G = ex.reference()
    f = lambda z: 0.5 * z @ H @ z + c @ z
    for u in np.random.default_rng(5).standard_normal((4, 3)):
        assert (P @ G) @ (P @ u) == pytest.approx(directional_derivative(f, w, u), rel=1e-7)
    np.testing.assert_allclose(riesz(H @ w + c, Metric(P.T @ P)), G, atol=1e-10)
    for start, words in (("P^-T", "coordinates z"), ("P^-1", "M = P^T P"), ("(P P^T)", "left factor")):
        _, m = _mistake("8.2.5", start)
        fb = check("8.2.5", m.wrong(**ex.data), record=False)
        assert fb.mistake == m.name and words in str(fb), str(fb)
    # a column vector where a vector is asked is accepted or told what to change, never a wrong verdict
    fb = check("8.2.5", G[:, None], record=False)
    assert fb or ("(3,)" in fb.message and "(3, 1)" in fb.message), str(fb)


# ----------------------------------------------------------------------------- 8.2.6
def test_8_2_6_kronecker_jacobian_of_the_square_twice_checked():
    """8.2, eq. (8.2.6) (eq-8-2-vec-kron) applied twice: vec(X dX + dX X) = (I kron X + X^T kron I) vec(dX)."""
    ex = get("8.2.6")
    X = ex.data["X"]
    K = ex.reference()
    # finite differences of vec(X^2) in vec(X): the matrix of the map, column by column
    sq = lambda v: vec(unvec(v, (3, 3)) @ unvec(v, (3, 3)))
    np.testing.assert_allclose(jacobian(sq, vec(X)), K, atol=1e-6)
    # the dot-product test: K^T is the adjoint dY -> X^T dY + dY X^T
    dF = lambda dX: X @ dX + dX @ X
    adj = lambda dY: X.T @ dY + dY @ X.T
    assert dot_product_test(dF, adj, (3, 3), (3, 3), rng=np.random.default_rng(7)) < 1e-12
    Y = np.random.default_rng(8).standard_normal((3, 3))
    np.testing.assert_allclose(K.T @ vec(Y), vec(adj(Y)), atol=1e-12)
    # the row-stacking slip is exactly the transposed matrix, and is named as a vec convention slip
    fb = check("8.2.6", K.T, record=False)
    assert fb.mistake.startswith("kron(X, I) + kron(I, X^T)") and "stacks columns" in str(fb)


# ----------------------------------------------------------------------------- 8.2.7
def _metric_problem():
    """A non-quadratic loss on 2 x 3 matrices, a point, its Frobenius gradient c and a random SPD metric M on vec."""
    rng = np.random.default_rng(9)
    x, T = rng.standard_normal(3), rng.standard_normal((2, 3))

    def loss(W):
        return float(np.sum(np.log1p((W @ x) ** 2)) + 0.5 * np.sum((W - T) ** 2) * np.sum(W**2) / 10)

    W = rng.standard_normal((2, 3))
    Q = rng.standard_normal((6, 6))
    return loss, W, numerical_gradient(loss, W), Q @ Q.T + 0.5 * np.eye(6), rng


def _unit_directions(M, rng, count=4000):
    """Random directions of unit M-length (vec form, M symmetric positive definite)."""
    V = rng.standard_normal((count, M.shape[0]))
    return V / np.sqrt(np.einsum("ki,ij,kj->k", V, M, V))[:, None]


def test_8_2_7_the_whys_are_true():
    """Each option's claim, on a non-quadratic loss, a random metric M, and M = 4I for (h), (i)."""
    ex = get("8.2.7")
    assert ex.correct_labels == ("b", "c", "e", "i")
    loss, W, c, M, rng = _metric_problem()
    cv = vec(c)
    g = np.linalg.solve(M, cv)  # vec(g_M)
    V = rng.standard_normal((2, 3))
    dL = float(directional_derivative(loss, W, V))
    assert dL == pytest.approx(float(np.sum(c * V)), rel=1e-6) and dL == pytest.approx(g @ M @ vec(V), rel=1e-6)  # a, f
    assert not np.allclose(g, cv)  # b
    U = _unit_directions(M, rng)
    rates = U @ cv
    best = g / np.sqrt(g @ M @ g)  # the steepest M-unit direction, with the rate |g_M|_M = sqrt(c^T M^-1 c)
    assert rates.max() <= best @ cv + 1e-12 and best @ cv == pytest.approx(np.sqrt(cv @ g))  # c, e
    assert abs(best @ cv / np.linalg.norm(best) / np.linalg.norm(cv)) < 0.999  # c: not along c
    assert np.sqrt(cv @ g) != pytest.approx(np.linalg.norm(cv), rel=1e-2)  # e
    assert np.allclose(np.linalg.solve(M, np.zeros(6)), 0.0)  # d: g_M = 0 iff c = 0
    for seed in range(5):  # g: against the gradient lowers the loss, for every metric
        P = np.random.default_rng(seed).standard_normal((6, 6))
        M_s = P @ P.T + 0.1 * np.eye(6)
        g_s = unvec(np.linalg.solve(M_s, cv), (2, 3))
        assert cv @ vec(g_s) > 0 and loss(W - 1e-4 * g_s) < loss(W)
    four = 4 * np.eye(6)  # h, i: M = 4I
    g4 = np.linalg.solve(four, cv)
    np.testing.assert_allclose(g4, cv / 4)
    best4 = g4 / np.sqrt(g4 @ four @ g4)
    np.testing.assert_allclose(best4 / np.linalg.norm(best4), cv / np.linalg.norm(cv), rtol=1e-12)  # h: same ray
    assert (_unit_directions(four, rng) @ cv).max() <= best4 @ cv + 1e-12
    assert best4 @ cv == pytest.approx(np.linalg.norm(cv) / 2)  # i: half the Frobenius rate, ...
    assert best4 @ cv != pytest.approx(np.linalg.norm(g4))  # ... not |g_4I|_F = |c|_F / 4
    fb = check("8.2.7", "a", record=False)
    assert not fb and "no inner product enters" in str(fb)
    fb = check("8.2.7", "b,c,e", record=False)
    assert not fb and fb.diagnosis == "incomplete"
    fb = check("8.2.7", "b,c,e,h,i", record=False)
    assert not fb and fb.diagnosis == "wrong choice" and "round ball" in fb.message


def test_8_1_3_and_8_1_4_the_whole_change_instead_of_the_differential_is_named():
    for eid, change in (("8.1.3", lambda X, dX: (X + dX) @ (X + dX) - X @ X),
                        ("8.1.4", lambda X, dX: np.linalg.inv(X + dX) - np.linalg.inv(X))):
        fb = check(eid, change, record=False)
        assert not fb and fb.diagnosis == "known mistake" and "the whole change" in fb.message, str(fb)
