"""Math added for 8.1 and 8.2: change of basis, plane metrics, steepest ascent, example maps.

Every exact derivative is compared with finite differences (and, for the plane loss, the
gradient is also checked as a Riesz representer under a metric)."""

from __future__ import annotations

import numpy as np
import pytest

from companion import directional_derivative, jacobian, numerical_gradient, riesz, taylor_test
from companion.examples import NONLINEAR_MAPS, nonlinear_map, plane_loss, plane_loss_grad
from companion.spaces import Metric, change_of_basis, plane_metric, rotation, steepest_ascent, unit_circle

# ----------------------------------------------------------------- change of basis (8.1.1)


def test_change_of_basis_is_the_same_map_in_other_coordinates():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    A_B = change_of_basis(A, B)
    x = rng.standard_normal(3)
    x_B = np.linalg.solve(B, x)  # coordinates of x in the basis B
    # the same action: y = A x, and y's coordinates are A_B x_B
    np.testing.assert_allclose(B @ (A_B @ x_B), A @ x, rtol=1e-10, atol=1e-12)
    assert not np.allclose(A_B, A)  # a different array
    # invariants of the map agree
    assert np.trace(A_B) == pytest.approx(np.trace(A), rel=1e-10)
    assert np.linalg.det(A_B) == pytest.approx(np.linalg.det(A), rel=1e-10)
    np.testing.assert_allclose(
        np.sort_complex(np.linalg.eigvals(A_B)), np.sort_complex(np.linalg.eigvals(A)), rtol=1e-8, atol=1e-10
    )


def test_change_of_basis_rectangular_and_composition():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((2, 3))
    B, C = rng.standard_normal((3, 3)), rng.standard_normal((2, 2))
    A_BC = change_of_basis(A, B, C)
    np.testing.assert_allclose(C @ A_BC @ np.linalg.inv(B), A, rtol=1e-9, atol=1e-12)
    # composing maps commutes with changing bases: (A2 A1)_B = (A2)_B (A1)_B
    A1, A2, P = rng.standard_normal((3, 3)), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    np.testing.assert_allclose(
        change_of_basis(A2 @ A1, P), change_of_basis(A2, P) @ change_of_basis(A1, P), rtol=1e-9, atol=1e-11
    )


def test_orthogonal_change_keeps_symmetry_a_general_one_does_not():
    rng = np.random.default_rng(2)
    S = rng.standard_normal((3, 3))
    S = S + S.T
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    S_Q = change_of_basis(S, Q)
    np.testing.assert_allclose(S_Q, S_Q.T, atol=1e-12)
    assert np.linalg.norm(S_Q) == pytest.approx(np.linalg.norm(S), rel=1e-12)
    S_B = change_of_basis(S, rng.standard_normal((3, 3)))
    assert np.abs(S_B - S_B.T).max() > 1e-3


def test_change_of_basis_rejects_bad_input():
    with pytest.raises(ValueError, match=r"B must be \(3, 3\)"):
        change_of_basis(np.eye(3), np.eye(2))
    with pytest.raises(ValueError, match="codomain basis C"):
        change_of_basis(np.ones((2, 3)), np.eye(3))
    with pytest.raises(ValueError, match="C must be"):
        change_of_basis(np.ones((2, 3)), np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match="not a basis"):
        change_of_basis(np.eye(2), np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(TypeError, match="integer"):
        change_of_basis(np.eye(2, dtype=int), np.eye(2))


# -------------------------------------------------------------------- plane metrics (8.2)


@pytest.mark.parametrize("kappa,theta", [(1.0, 0.0), (4.0, 0.3), (0.1, 2.0), (10.0, -1.0)])
def test_plane_metric_is_the_rotated_diagonal(kappa, theta):
    m = plane_metric(kappa, theta)
    assert isinstance(m, Metric)
    c, s = np.cos(theta), np.sin(theta)
    u1, u2 = np.array([c, s]), np.array([-s, c])  # the rotated axes
    np.testing.assert_allclose(m.M, np.outer(u1, u1) + kappa * np.outer(u2, u2), rtol=1e-12, atol=1e-14)
    assert m.norm(u1) == pytest.approx(1.0)
    assert m.norm(u2) == pytest.approx(np.sqrt(kappa))
    np.testing.assert_allclose(rotation(theta) @ rotation(-theta), np.eye(2), atol=1e-15)


@pytest.mark.parametrize("kappa,theta", [(1.0, 0.0), (4.0, 0.3), (0.1, 2.0)])
def test_unit_circle_lies_on_the_unit_sphere_of_the_metric(kappa, theta):
    m = plane_metric(kappa, theta)
    pts = unit_circle(m, 101)
    assert pts.shape == (2, 101)
    norms = np.einsum("in,ij,jn->n", pts, m.M, pts)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    np.testing.assert_allclose(pts[:, 0], pts[:, -1], atol=1e-12)
    # the semi-axes of the ellipse are 1 and 1/sqrt(kappa)
    r = np.linalg.norm(unit_circle(m, 20001), axis=0)
    assert r.max() == pytest.approx(max(1, 1 / np.sqrt(kappa)), rel=1e-3)
    assert r.min() == pytest.approx(min(1, 1 / np.sqrt(kappa)), rel=1e-3)


def test_plane_metric_and_unit_circle_reject_bad_input():
    with pytest.raises(ValueError, match="kappa must be positive"):
        plane_metric(0.0)
    with pytest.raises(ValueError, match="kappa must be finite"):
        plane_metric(np.nan)
    with pytest.raises(TypeError, match="kappa must be a real number"):
        plane_metric([1.0, 2.0])
    with pytest.raises(TypeError, match="theta"):
        plane_metric(1.0, "north")
    with pytest.raises(ValueError, match="n must be"):
        unit_circle(None, 2)
    with pytest.raises(ValueError, match=r"metric acts on shape \(3,\)"):
        unit_circle(Metric(np.eye(3)))


@pytest.mark.parametrize("kappa,theta", [(1.0, 0.0), (5.0, 0.7), (0.2, 1.9)])
def test_steepest_ascent_beats_every_other_unit_direction(kappa, theta):
    m = plane_metric(kappa, theta)
    c = np.array([0.8, -0.5])
    v = steepest_ascent(c, m)
    assert m.norm(v) == pytest.approx(1.0)
    G = np.linalg.solve(m.M, c)
    rate = float(c @ v)
    assert rate == pytest.approx(np.sqrt(c @ G), rel=1e-12)  # = |G|_M = |c|_{M^-1}
    others = unit_circle(m, 2001)
    assert np.max(c @ others) <= rate + 1e-12
    assert np.max(c @ others) == pytest.approx(rate, rel=1e-5)  # attained on the ellipse


def test_steepest_ascent_euclidean_and_matrix_shapes():
    rng = np.random.default_rng(3)
    C = rng.standard_normal((2, 3))
    V = steepest_ascent(C)
    np.testing.assert_allclose(V, C / np.linalg.norm(C), rtol=1e-12)
    D = rng.uniform(0.5, 2.0, size=(2, 3))  # a diagonal (entrywise) metric on 2 x 3 matrices
    M = np.diag(D.reshape(-1, order="F"))
    VM = steepest_ascent(C, M)
    np.testing.assert_allclose(VM, (C / D) / np.sqrt(np.sum(C**2 / D)), rtol=1e-12)
    with pytest.raises(ValueError, match="zero"):
        steepest_ascent(np.zeros(2))


# ------------------------------------------------------------ example maps of the plane (8.1)


@pytest.mark.parametrize("name", list(NONLINEAR_MAPS))
def test_plane_map_jacobian_matches_finite_differences(name):
    F = nonlinear_map(name)
    rng = np.random.default_rng(4)
    for _ in range(3):
        p = rng.uniform(-1.5, 1.5, 2)
        np.testing.assert_allclose(F.J(p), jacobian(F, p), rtol=1e-7, atol=1e-9)
        v = rng.standard_normal(2)
        res = taylor_test(F, p, v, F.J(p) @ v)
        assert res.ok and res.order > 1.8


@pytest.mark.parametrize("name", list(NONLINEAR_MAPS))
def test_plane_map_second_derivative_matches_finite_differences(name):
    F = nonlinear_map(name)
    rng = np.random.default_rng(5)
    p, v = rng.uniform(-1.5, 1.5, 2), rng.standard_normal(2)
    h = 1e-4
    fd = (F(p + h * v) - 2 * F(p) + F(p - h * v)) / h**2
    np.testing.assert_allclose(F.d2(p, v), fd, rtol=1e-5, atol=1e-6)
    # and the Jacobian's own derivative along v, applied to v
    fd2 = (F.J(p + h * v) - F.J(p - h * v)) @ v / (2 * h)
    np.testing.assert_allclose(F.d2(p, v), fd2, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", list(NONLINEAR_MAPS))
def test_plane_map_accepts_columns_of_points(name):
    F = nonlinear_map(name)
    P = np.random.default_rng(6).uniform(-1, 1, (2, 5))
    out = F(P)
    assert out.shape == (2, 5)
    for k in range(5):
        np.testing.assert_allclose(out[:, k], F(P[:, k]), rtol=1e-14)


def test_plane_map_rejects_bad_input():
    with pytest.raises(ValueError, match="plane map must be one of"):
        nonlinear_map("swirl")
    F = nonlinear_map("bend")
    with pytest.raises(ValueError, match=r"shape \(2,\) or \(2, N\), got \(3,\)"):
        F(np.ones(3))
    with pytest.raises(ValueError, match=r"p must be 1-d, got shape \(2, 2\)"):
        F.J(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        F.J(np.array([np.nan, 0.0]))


def test_wrong_derivative_transposed_jacobian_is_first_order():
    F = nonlinear_map("bend")
    p, v = np.array([0.5, 0.3]), np.array([0.6, 0.8])
    J = F.J(p)
    assert np.abs(J - J.T).max() > 0.1
    assert taylor_test(F, p, v, J.T @ v).order == pytest.approx(1.0, abs=0.15)


# -------------------------------------------------------------------- the plane loss (8.2)


def test_plane_loss_gradient_matches_finite_differences_and_riesz():
    rng = np.random.default_rng(7)
    for _ in range(3):
        w = rng.uniform(-2, 2, 2)
        c = plane_loss_grad(w)
        np.testing.assert_allclose(c, numerical_gradient(plane_loss, w), rtol=1e-7, atol=1e-9)
        v = rng.standard_normal(2)
        assert directional_derivative(plane_loss, w, v) == pytest.approx(c @ v, rel=1e-7, abs=1e-9)
        # under a metric the representer changes, the differential does not
        m = plane_metric(3.0, 0.4)
        g_M = numerical_gradient(plane_loss, w, inner=m.M)
        np.testing.assert_allclose(g_M, riesz(c, m), rtol=1e-6, atol=1e-9)
        assert m(g_M, v) == pytest.approx(c @ v, rel=1e-6, abs=1e-9)


def test_plane_loss_is_log_sum_exp_and_vectorised():
    w = np.array([0.3, -0.7])
    s = np.array([0.3 - 0.35, -0.3 - 0.7 + 0.3, 0.7 - 0.2])
    assert plane_loss(w) == pytest.approx(np.log(np.exp(s).sum()), rel=1e-14)
    W = np.random.default_rng(8).uniform(-3, 3, (2, 6))
    np.testing.assert_allclose(plane_loss(W), [plane_loss(W[:, k]) for k in range(6)], rtol=1e-14)
    np.testing.assert_allclose(plane_loss_grad(W)[:, 2], plane_loss_grad(W[:, 2]), rtol=1e-14)
    with pytest.raises(ValueError, match="w must be a point"):
        plane_loss(np.ones(4))
