"""Numerical differentials and the Taylor test (companion.differentials; chapter 8.1, 8.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import directional_derivative, jacobian, numerical_gradient, taylor_test, vec


def F(x):
    """A smooth map R^{2x2} -> R^3 with a known differential."""
    return np.array([np.sin(x[0, 0]) * x[1, 1], np.exp(x[0, 1]) + x[1, 0] ** 2, x[0, 0] * x[0, 1] * x[1, 0]])


def dF(x, v):
    return np.array([
        np.cos(x[0, 0]) * v[0, 0] * x[1, 1] + np.sin(x[0, 0]) * v[1, 1],
        np.exp(x[0, 1]) * v[0, 1] + 2 * x[1, 0] * v[1, 0],
        v[0, 0] * x[0, 1] * x[1, 0] + x[0, 0] * v[0, 1] * x[1, 0] + x[0, 0] * x[0, 1] * v[1, 0],
    ])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_directional_derivative_methods(seed):
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    exact = dF(x, v)
    scale = np.abs(exact).max() + 1
    assert np.allclose(directional_derivative(F, x, v), exact, atol=1e-7 * scale)
    assert np.allclose(directional_derivative(F, x, v, method="complex"), exact, atol=1e-13 * scale)
    assert np.allclose(directional_derivative(F, x, v, method="forward"), exact, atol=1e-5 * scale)


def test_directional_derivative_scalar_returns_float_and_zero_direction():
    def f(x):
        return float(np.sum(x**3))
    x = np.array([1.0, 2.0])
    d = directional_derivative(f, x, np.array([1.0, 0.0]))
    assert isinstance(d, float) and d == pytest.approx(3.0, rel=1e-8)
    assert directional_derivative(f, x, np.zeros(2)) == 0.0


def test_jacobian_columns_follow_vec():
    """J @ vec(v) = vec(dF_x[v]) (8.1.2: the Jacobian is the array of the differential)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2))
    J = jacobian(F, x)
    assert J.shape == (3, 4)
    for _ in range(3):
        v = rng.standard_normal((2, 2))
        assert np.allclose(J @ vec(v), dF(x, v), atol=1e-7)
    A = rng.standard_normal((3, 5))
    assert np.allclose(jacobian(lambda u: A @ u, rng.standard_normal(5)), A, atol=1e-8)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_numerical_gradient_of_quadratic_form(m, n, seed):
    """d/dX tr(X^T A X) = (A + A^T) X."""
    rng = np.random.default_rng(seed)
    A, X = rng.standard_normal((m, m)), rng.standard_normal((m, n))
    g = numerical_gradient(lambda X: np.trace(X.T @ A @ X), X)
    assert np.allclose(g, (A + A.T) @ X, atol=1e-7 * (1 + np.abs(A).max() * np.abs(X).max()))


def test_taylor_test_orders():
    rng = np.random.default_rng(4)
    x, v = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    right = taylor_test(F, x, v, dF(x, v))
    wrong = taylor_test(F, x, v, dF(x, v) + 1e-2 * rng.standard_normal(3))
    none = taylor_test(F, x, v)
    assert 1.8 < right.order < 2.3 and right.ok and right.status == "second order"
    assert 0.8 < wrong.order < 1.2 and not wrong.ok and wrong.status == "first order"
    assert 0.8 < none.order < 1.2 and none.ok
    assert len(right.eps) == len(right.remainders) == 13
    assert np.all(np.diff(right.eps) < 0)


def test_taylor_test_roundoff_is_reported():
    """For a linear map with its exact differential every remainder is round-off."""
    A = np.random.default_rng(5).standard_normal((3, 4))
    x, v = np.ones(4), np.arange(4.0)
    r = taylor_test(lambda u: A @ u, x, v, A @ v)
    assert r.status == "round-off" and np.isnan(r.order) and r.ok
    assert "round-off" in str(r)


def test_taylor_test_custom_eps():
    r = taylor_test(np.exp, np.array([0.3]), np.array([1.0]), np.exp([0.3]), eps=np.geomspace(1e-1, 1e-4, 7))
    assert len(r.eps) == 7 and r.order == pytest.approx(2.0, abs=0.1)


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: directional_derivative(np.sin, np.ones(3), np.ones(2)), ValueError, r"\(3,\).*\(2,\)"),
        (lambda: directional_derivative("sin", np.ones(3), np.ones(3)), TypeError, "f must be callable"),
        (lambda: directional_derivative(np.sin, np.ones(3), np.ones(3), method="spline"), ValueError, "method"),
        (lambda: directional_derivative(np.sin, np.ones(3), np.ones(3), h=-1.0), ValueError, "h must be"),
        (lambda: directional_derivative(np.sin, np.arange(3), np.ones(3)), TypeError, "x has integer"),
        (lambda: numerical_gradient(np.sin, np.ones(3)), ValueError, "scalar f"),
        (lambda: numerical_gradient(np.sum, np.array([1.0, np.inf])), ValueError, "NaN or inf"),
        (lambda: taylor_test(np.sum, np.ones(2), np.zeros(2)), ValueError, "nonzero"),
        (lambda: taylor_test(np.sin, np.ones(2), np.ones(2), np.ones(3)), ValueError, "dfv has shape"),
        (lambda: taylor_test(np.sum, np.ones(2), np.ones(2), eps=[-1.0, 1.0]), ValueError, "positive"),
        (lambda: jacobian(None, np.ones(2)), TypeError, "callable"),
    ],
)
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_inputs_not_mutated():
    x, v = np.ones((2, 2)), np.ones((2, 2))
    taylor_test(F, x, v, dF(x, v))
    numerical_gradient(lambda X: float(np.sum(X**2)), x)
    assert np.array_equal(x, np.ones((2, 2))) and np.array_equal(v, np.ones((2, 2)))
