"""The full Jacobian from the engine, by columns (forward mode) and by rows (reverse mode), 8.5."""

from __future__ import annotations

import numpy as np
import pytest

import companion
from companion import dot_product_test, jacobian
from companion.pullbacks import jacobian_by_mode

RNG = np.random.default_rng(7)
A = RNG.standard_normal((5, 6))
B = RNG.standard_normal((3, 5))


def layered(X):
    """A two-layer map from (2, 3) matrices to R^3: tanh(B tanh(A vec X))."""
    return companion.tanh(B @ companion.tanh(A @ X.reshape(-1)))


def layered_numpy(X):
    return np.tanh(B @ np.tanh(A @ X.reshape(-1)))


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_each_mode_matches_finite_differences(mode):
    X = RNG.standard_normal((2, 3))
    J = jacobian_by_mode(layered, X, mode=mode)
    assert J.shape == (3, 6)
    np.testing.assert_allclose(J, jacobian(layered_numpy, X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_matrix_to_matrix_in_vec_bases(mode):
    # X -> tanh(C X) X^T, (2, 3) -> (2, 2): J vec(dX) = vec(dF[dX]) with vec stacking columns
    C = RNG.standard_normal((2, 2))
    X = RNG.standard_normal((2, 3))
    J = jacobian_by_mode(lambda Z: companion.tanh(C @ Z) @ Z.T, X, mode=mode)
    np.testing.assert_allclose(J, jacobian(lambda Z: np.tanh(C @ Z) @ Z.T, X), rtol=1e-6, atol=1e-8)


def test_the_two_modes_are_adjoint_by_the_dot_product_test():
    # columns pushed forward and rows pulled back: <w, J v> = <J^T w, v> for the two matrices
    X = RNG.standard_normal((2, 3))
    J_fwd = jacobian_by_mode(layered, X, mode="forward")
    J_rev = jacobian_by_mode(layered, X, mode="reverse")
    assert dot_product_test(lambda v: J_fwd @ v, lambda w: J_rev.T @ w, (6,), (3,)) < 1e-12
    # a pullback that is not the adjoint fails the same test
    assert dot_product_test(lambda v: J_fwd @ v, lambda w: (J_rev.T @ w)[::-1], (6,), (3,)) > 1e-3


def test_scalar_and_vector_shapes():
    c = RNG.standard_normal(5)
    wide = lambda x: companion.tanh(A @ x) @ c
    x = RNG.standard_normal(6)
    for mode in ("forward", "reverse"):
        J = jacobian_by_mode(wide, x, mode=mode)
        assert J.shape == (1, 6)
        np.testing.assert_allclose(J[0], A.T @ ((1 - np.tanh(A @ x) ** 2) * c), rtol=1e-12)
    tall = lambda t: companion.tanh(A[:, :1] @ t)
    J = jacobian_by_mode(tall, np.array([0.3]), mode="forward")
    np.testing.assert_allclose(J[:, 0], (1 - np.tanh(0.3 * A[:, 0]) ** 2) * A[:, 0], rtol=1e-12)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="mode"):
        jacobian_by_mode(layered, np.ones((2, 3)), mode="sideways")
    with pytest.raises(TypeError, match="mode"):
        jacobian_by_mode(layered, np.ones((2, 3)), mode=1)
    with pytest.raises(TypeError, match="f must be callable"):
        jacobian_by_mode(None, np.ones(2))
    with pytest.raises(TypeError, match="x"):
        jacobian_by_mode(layered, np.ones((2, 3), dtype=int))
    with pytest.raises(ValueError, match="x"):
        jacobian_by_mode(layered, np.array([]))


def test_sweep_counts_n_jvps_or_m_vjps(monkeypatch):
    """8.5, the cost of a full Jacobian: n pushforwards (one per column) or m pullbacks (one per row)."""
    from companion import reverse

    calls = {"jvp": 0, "vjp": 0, "pullback": 0}
    real_jvp, real_vjp = reverse.jvp, reverse.vjp

    def counting_jvp(*args, **kwargs):
        calls["jvp"] += 1
        return real_jvp(*args, **kwargs)

    def counting_vjp(*args, **kwargs):
        calls["vjp"] += 1
        out, pullback = real_vjp(*args, **kwargs)

        def counting_pullback(cotangent):
            calls["pullback"] += 1
            return pullback(cotangent)

        return out, counting_pullback

    monkeypatch.setattr(reverse, "jvp", counting_jvp)
    monkeypatch.setattr(reverse, "vjp", counting_vjp)
    X = RNG.standard_normal((2, 3))                      # n = 6 inputs, m = 3 outputs
    jacobian_by_mode(layered, X, mode="forward")
    assert calls == {"jvp": 6, "vjp": 0, "pullback": 0}
    jacobian_by_mode(layered, X, mode="reverse")
    assert calls == {"jvp": 6, "vjp": 1, "pullback": 3}
