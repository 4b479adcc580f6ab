"""Sections 8.4 and 8.5: plane maps, chains of local maps (pushforward in order, pullback in
reverse), adjoints under metrics, and the MLP helpers (loss, delta norms, parameter packing).

Every derivative is checked twice: against finite differences and by the dot-product test.
"""

from __future__ import annotations

import numpy as np
import pytest

from companion.differentials import jacobian, numerical_gradient
from companion.models import (
    MLPGrads,
    mlp_backward,
    mlp_delta_norms,
    mlp_forward,
    mlp_init,
    mlp_loss,
    mlp_loss_and_grads,
    mlp_pack,
    mlp_unpack,
    softmax,
    softmax_vjp,
)
from companion.pullbacks import LocalMap, chain_forward, chain_pullback, chain_pushforward, plane_map
from companion.spaces import adjoint, dot_product_test, plane_metric, rotation


# ------------------------------------------------------------------------------ plane maps
@pytest.mark.parametrize("angle, shear, scale", [(0.3, 0.0, 1.0), (-1.2, 0.7, 2.5), (2.0, -1.3, 0.4)])
def test_plane_map_is_rotation_shear_stretch(angle, shear, scale):
    A = plane_map(angle, shear, scale)
    assert np.linalg.det(A) == pytest.approx(scale)
    # undo the rotation: an upper-triangular factor [[scale, shear], [0, 1]]
    np.testing.assert_allclose(rotation(angle).T @ A, [[scale, shear], [0.0, 1.0]], atol=1e-14)
    assert np.allclose(plane_map(angle), rotation(angle))


def test_every_positive_determinant_matrix_is_a_multiple_of_a_plane_map():
    rng = np.random.default_rng(0)
    for _ in range(20):
        B = rng.standard_normal((2, 2))
        if np.linalg.det(B) < 0:
            B = B[:, ::-1].copy()
        Q, R = np.linalg.qr(B)
        D = np.diag(np.sign(np.diag(R)))
        Q, R = Q @ D, D @ R  # positive diagonal; det Q = +1 since det B > 0
        c = R[1, 1]
        A = plane_map(np.arctan2(Q[1, 0], Q[0, 0]), R[0, 1] / c, R[0, 0] / c)
        np.testing.assert_allclose(c * A, B, atol=1e-12)


def test_plane_map_bad_input():
    with pytest.raises(ValueError, match="shear"):
        plane_map(0.0, np.inf)
    with pytest.raises(TypeError, match="scale"):
        plane_map(0.0, 0.0, "2")
    with pytest.raises(TypeError, match="angle"):
        plane_map(None)


# ------------------------------------------------------------------------------ adjoints (8.4.2)
def test_adjoint_under_metrics_and_the_transpose_failing():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((3, 2))
    Mx = plane_metric(4.0, 0.5).M
    G = rng.standard_normal((3, 3))
    My = G @ G.T + 3 * np.eye(3)
    A_adj = adjoint(A, (2,), (3,), inner_x=Mx, inner_y=My)
    np.testing.assert_allclose(A_adj.matrix, np.linalg.solve(Mx, A.T @ My), rtol=1e-12)
    assert dot_product_test(A, A_adj, (2,), (3,), inner_x=Mx, inner_y=My, rng=rng) < 1e-13
    assert dot_product_test(A, lambda w: A.T @ w, (2,), (3,), inner_x=Mx, inner_y=My, rng=rng) > 1e-2
    assert dot_product_test(A, lambda w: A.T @ w, (2,), (3,), rng=rng) < 1e-14


def test_covector_pullback_is_metric_free_its_representer_is_not():
    """(A* eta)(v) = eta(A v): the coefficients are A^T c whatever the metric; the gradient under
    M_x is M_x^{-1} A^T c, which is also A* applied to eta's representer M_y^{-1} c."""
    rng = np.random.default_rng(2)
    A, c, x0 = rng.standard_normal((3, 2)), rng.standard_normal(3), rng.standard_normal(2)
    Mx = plane_metric(3.0, -0.4).M
    My = np.diag([1.0, 2.0, 5.0])

    def pulled(v):
        return c @ (A @ v)

    np.testing.assert_allclose(numerical_gradient(pulled, x0), A.T @ c, rtol=1e-7)
    g_M = numerical_gradient(pulled, x0, inner=Mx)
    np.testing.assert_allclose(g_M, np.linalg.solve(Mx, A.T @ c), rtol=1e-7)
    A_star = adjoint(A, (2,), (3,), inner_x=Mx, inner_y=My)
    np.testing.assert_allclose(A_star(np.linalg.solve(My, c)), g_M, rtol=1e-7)


# ------------------------------------------------------------------------------ chains (8.4.1)
def three_map_chain(rng):
    A = rng.standard_normal((3, 3))
    tanh = LocalMap.elementwise(np.tanh, lambda x: 1 - np.tanh(x) ** 2, "tanh")
    smax = LocalMap(
        softmax,
        lambda x, dx: softmax(x) * (dx - softmax(x) @ dx),
        lambda x, y_bar: softmax_vjp(softmax(x), y_bar),
        "softmax",
    )
    return [LocalMap.linear(A), tanh, smax], A


def test_chain_pushforward_matches_finite_differences():
    rng = np.random.default_rng(3)
    maps, _ = three_map_chain(rng)
    x = rng.standard_normal(3)
    xs = chain_forward(maps, x)

    def phi(u):
        return chain_forward(maps, u)[-1]

    J = jacobian(phi, x)
    for _ in range(3):
        dx = rng.standard_normal(3)
        np.testing.assert_allclose(chain_pushforward(maps, xs, dx), J @ dx, rtol=1e-6, atol=1e-9)


def test_chain_pullback_is_reverse_order_and_the_adjoint_of_the_pushforward():
    rng = np.random.default_rng(4)
    maps, _ = three_map_chain(rng)
    x = rng.standard_normal(3)
    xs = chain_forward(maps, x)
    J = jacobian(lambda u: chain_forward(maps, u)[-1], x)
    y_bar = rng.standard_normal(3)
    x_bar = chain_pullback(maps, xs, y_bar)
    np.testing.assert_allclose(x_bar, J.T @ y_bar, rtol=1e-6, atol=1e-9)  # finite differences
    assert (
        dot_product_test(
            lambda v: chain_pushforward(maps, xs, v), lambda w: chain_pullback(maps, xs, w), (3,), (3,), rng=rng
        )
        < 1e-13
    )
    # the pullbacks applied in the forward order (first map first) are not the adjoint
    wrong = y_bar
    for F, xk in zip(maps, xs[:-1], strict=True):
        wrong = F.pullback(xk, wrong)
    assert np.linalg.norm(wrong - x_bar) > 1e-3 * np.linalg.norm(x_bar)


def test_gradient_of_a_scalar_chain_is_the_pullback_of_one():
    rng = np.random.default_rng(5)
    A, t = rng.standard_normal((4, 3)), rng.standard_normal(4)
    loss = LocalMap(
        lambda y: np.array([0.5 * np.sum((y - t) ** 2)]),
        lambda y, dy: np.array([(y - t) @ dy]),
        lambda y, s: s[0] * (y - t),
        "L",
    )
    maps = [LocalMap.linear(A), LocalMap.elementwise(np.tanh, lambda z: 1 - np.tanh(z) ** 2), loss]
    x = rng.standard_normal(3)
    xs = chain_forward(maps, x)
    g = chain_pullback(maps, xs, np.ones(1))
    np.testing.assert_allclose(g, numerical_gradient(lambda u: chain_forward(maps, u)[-1][0], x), rtol=1e-6)


def test_chain_bad_input():
    maps = [LocalMap.linear(np.eye(2))]
    xs = chain_forward(maps, np.ones(2))
    with pytest.raises(TypeError, match="LocalMap"):
        chain_forward([np.eye(2)], np.ones(2))
    with pytest.raises(TypeError, match="maps"):
        chain_forward(maps[0], np.ones(2))
    with pytest.raises(ValueError, match="xs"):
        chain_pullback(maps, xs[:1], np.ones(2))
    with pytest.raises(ValueError, match=r"dx must have the shape of x_0 \(2,\)"):
        chain_pushforward(maps, xs, np.ones(3))
    with pytest.raises(ValueError, match=r"y_bar .* \(2,\), got \(3,\)"):
        chain_pullback(maps, xs, np.ones(3))
    with pytest.raises(TypeError, match="pullback"):
        LocalMap(np.sin, lambda x, dx: dx, None)


# ------------------------------------------------------------------------------ MLP helpers (8.5)
@pytest.fixture
def net():
    rng = np.random.default_rng(6)
    sizes = [3, 5, 4, 2]
    As, bs = mlp_init(sizes, rng=rng, bias_scale=0.2)
    return sizes, As, bs, rng.standard_normal((3, 4)), rng.standard_normal((2, 4))


def test_pack_unpack_roundtrip(net):
    sizes, As, bs, _, _ = net
    theta = mlp_pack(As, bs)
    assert theta.shape == (sum(sizes[k + 1] * (sizes[k] + 1) for k in range(3)),)
    As2, bs2 = mlp_unpack(theta, sizes)
    for a, b in zip(As + bs, As2 + bs2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert theta[0] == As[0][0, 0] and theta[1] == As[0][1, 0]  # vec: columns first
    before = theta.copy()
    for p in As2 + bs2:  # the unpacked arrays are the caller's own, not views of theta
        p += 1.0
    np.testing.assert_array_equal(theta, before)
    with pytest.raises(ValueError, match=r"theta has shape \(7,\), but sizes"):
        mlp_unpack(np.zeros(7), sizes)
    with pytest.raises(ValueError, match="sizes"):
        mlp_unpack(theta, [3])


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "identity"])
def test_backprop_gradients_match_finite_differences_over_all_parameters(net, activation):
    sizes, As, bs, X, Y = net
    loss, grads = mlp_loss_and_grads(As, bs, X, Y, activation)
    assert mlp_loss(As, bs, X, Y, activation) == loss

    def J(th):
        return mlp_loss(*mlp_unpack(th, sizes), X, Y, activation)

    g_fd = numerical_gradient(J, mlp_pack(As, bs))
    np.testing.assert_allclose(mlp_pack(grads.A, grads.b), g_fd, rtol=1e-5, atol=1e-7)


def test_backward_is_the_adjoint_of_the_forward_differential(net):
    """Dot-product test of theta -> h_L linearized: <h_bar, dh_L[dtheta]> = <grad(h_bar), dtheta>."""
    sizes, As, bs, X, _ = net
    theta0 = mlp_pack(As, bs)
    hL, cache = mlp_forward(As, bs, X, "tanh")

    def out(th):
        return mlp_forward(*mlp_unpack(th, sizes), X, "tanh")[0]

    Jac = jacobian(out, theta0)  # (hL.size, #params), vec order
    rng = np.random.default_rng(7)
    h_bar = rng.standard_normal(hL.shape)
    g = mlp_backward(As, cache, h_bar)
    np.testing.assert_allclose(mlp_pack(g.A, g.b), Jac.T @ h_bar.reshape(-1, order="F"), rtol=1e-5, atol=1e-8)
    # the exact version: pushforward by the chain rule itself, then the pairing
    dtheta = rng.standard_normal(theta0.shape)
    dAs, dbs = mlp_unpack(dtheta, sizes)
    dh = np.zeros_like(X)
    for A, dA, db, hp, h in zip(As, dAs, dbs, cache.h[:-1], cache.h[1:], strict=True):
        dh = (1 - h**2) * (dA @ hp + A @ dh + db[:, None])
    lhs = float(np.vdot(h_bar, dh))
    rhs = float(mlp_pack(g.A, g.b) @ dtheta)
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_delta_norms(net):
    _, As, bs, X, Y = net
    _, grads = mlp_loss_and_grads(As, bs, X, Y)
    norms = mlp_delta_norms(grads)
    assert norms.shape == (3,)
    np.testing.assert_allclose(norms, [np.sqrt(np.sum(d**2)) for d in grads.deltas])
    # b_l enters z_l directly, so grad b_l is delta_l summed over the batch
    for d, gb in zip(grads.deltas, grads.b, strict=True):
        np.testing.assert_allclose(d.sum(axis=1), gb)
    with pytest.raises(TypeError, match="MLPGrads"):
        mlp_delta_norms(grads.deltas)
    assert isinstance(grads, MLPGrads)


def test_mlp_loss_bad_target(net):
    _, As, bs, X, Y = net
    with pytest.raises(ValueError, match=r"y must have the shape of the output h_L \(2, 4\), got \(2, 3\)"):
        mlp_loss(As, bs, X, Y[:, :3])
