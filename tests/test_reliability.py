"""The examples of issue 11, one test each: no silent wrong result, no obscure failure, no huge request run.

The systematic checks are elsewhere: every bad argument of every public function in
``test_bad_input.py``, random programs through the engine in ``test_engine_programs.py``,
every exercise's tolerance entry by entry in ``test_exercises.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import companion
from companion import (
    Metric,
    adjoint,
    attention,
    attention_vjp,
    check_gradient,
    directional_derivative,
    grad,
    ill_conditioned_quadratic,
    jacobian,
    metric_descent,
    mlp_backward,
    mlp_forward,
    mlp_init,
    numerical_gradient,
    predicted_mean_squared_singular_value,
    sample_weights,
    softmax,
    where,
)
from companion.metrics import metric_at
from companion.models import attention_loss_and_grads
from companion.spectra import depth_sweep


# ----------------------------------------------------------------------------- attention: never a silent NaN
def _qkv(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))


@pytest.mark.parametrize("scale", [None, 1.0, -1.0])
def test_attention_with_overflowing_scores_is_the_exact_finite_answer(scale):
    Q, K, V = _qkv()
    Y, cache = attention(Q * 1e154, K * 1e154, V, scale=scale)
    S1 = Q @ K.T * (1.0 if scale is None or scale > 0 else -1.0)
    # the softmax saturates on each row's largest score
    assert np.all(np.isfinite(Y)) and np.array_equal(Y, V[S1.argmax(axis=1)])
    assert np.all(np.isfinite(cache.P)) and np.allclose(cache.P.sum(axis=1), 1.0)
    assert not np.isnan(cache.S).any()  # scores too large for float64 are +-inf, never NaN
    G_Q, G_K, G_V = attention_vjp(cache, np.ones_like(Y))
    assert all(np.all(np.isfinite(G)) for G in (G_Q, G_K, G_V))


def test_attention_that_does_not_overflow_is_unchanged():
    Q, K, V = _qkv(1)
    Y, cache = attention(Q, K, V)
    S = Q @ K.T / 2.0
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    assert np.array_equal(cache.S, S) and np.allclose(Y, P @ V, rtol=1e-14)


def test_engine_softmax_of_infinite_scores_is_its_limit():
    S = np.array([[np.inf, 1.0, np.inf], [1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf]])
    P = companion.softmax(companion.Tensor(S)).value  # the engine's primitive (a constant Tensor: not traced)
    assert np.allclose(P, [[0.5, 0, 0.5], softmax(S[1:2])[0], [1 / 3] * 3])


def test_attention_pullback_does_not_see_later_edits_of_q_k_v():
    Q, K, V = _qkv(2)
    T = np.zeros((3, 2))
    _, grads = attention_loss_and_grads(Q, K, V, T)
    Y, cache = attention(Q, K, V)
    Q[:] = 0.0
    K[:] = 5.0
    V[:] = -1.0
    assert all(np.array_equal(a, b) for a, b in zip(attention_vjp(cache, Y - T), grads, strict=False))


def test_mlp_backward_does_not_see_a_later_edit_of_x():
    As, bs = mlp_init([3, 4, 2], rng=np.random.default_rng(0))
    x = np.array([0.5, -1.0, 2.0])
    _, cache = mlp_forward(As, bs, x)
    before = mlp_backward(As, cache, np.ones(2)).A[0]
    x[:] = 100.0
    assert np.array_equal(mlp_backward(As, cache, np.ones(2)).A[0], before)


@pytest.mark.parametrize("name", ["PLANE_LOSS_A", "PLANE_LOSS_c", "_LAYER_A", "_LAYER_b"])
def test_the_shared_example_arrays_are_read_only(name):
    """A notebook that writes into an example's data gets an error, not a silently changed example."""
    from companion import examples

    a = getattr(examples, name)
    before = a.copy()
    with pytest.raises(ValueError, match="read-only"):
        a[0] = 100.0
    with pytest.raises(ValueError, match="read-only"):
        a += 1.0
    assert np.array_equal(a, before)


def test_a_metric_keeps_its_own_matrix():
    M = np.array([[2.0, 0.5], [0.5, 1.0]])
    m = Metric(M)
    M[:] = np.eye(2)
    assert np.allclose(m.flat(np.array([1.0, 0.0])), [2.0, 0.5])
    assert np.allclose(m.sharp(m.flat(np.array([0.3, -0.7]))), [0.3, -0.7])


# ----------------------------------------------------------------------------- complex step: analytic f only
X0, V0 = np.array([0.3, -0.2]), np.ones(2)


@pytest.mark.parametrize("f, what", [
    (lambda x: np.abs(x).sum(), "real output"),
    (lambda x: np.linalg.norm(x), "real output"),
    (lambda x: float(np.real(x).sum()), "real output"),
    (lambda x: np.real(x).sum(), "real output"),
    (lambda x: (x * np.conj(x)).sum(), "not analytic"),
    (lambda x: np.conj(x).sum(), "not analytic"),
])
def test_complex_step_refuses_a_function_that_is_not_analytic(f, what):
    with pytest.raises(ValueError, match=f"method='complex'.*{what}.*analytic"):
        directional_derivative(f, X0, V0, method="complex")


def test_complex_step_still_exact_on_analytic_functions():
    f = lambda x: (np.sin(x) * np.exp(x)).sum()
    exact = float(((np.cos(X0) + np.sin(X0)) * np.exp(X0)) @ V0)
    assert abs(directional_derivative(f, X0, V0, method="complex") - exact) < 1e-15


# ----------------------------------------------------------------------------- check_gradient says what happened
def test_check_gradient_on_a_flat_function():
    rep = check_gradient(lambda x: 0.0 * x.sum(), X0, np.ones(2))
    assert not rep and rep.diagnosis == "mismatch"
    assert "f is flat at the point" in rep.message and "e+300" not in rep.message
    assert check_gradient(lambda x: 0.0 * x.sum(), X0, np.zeros(2))


def test_check_gradient_on_a_kink():
    rep = check_gradient(lambda x: np.abs(x).sum(), np.zeros(2), np.ones(2))
    assert not rep and rep.diagnosis == "not differentiable" and "kink" in rep.message and "e+300" not in rep.message
    # away from the kink: fine
    assert check_gradient(lambda x: np.abs(x).sum(), np.array([0.5, -0.5]), np.array([1.0, -1.0]))


@pytest.mark.parametrize("f, where", [
    (lambda x: np.nan * x.sum(), "at the point "),
    (lambda x: np.log(x[0] - 0.3), "at the point "),  # log(0) = -inf at the point
    (lambda x: np.log(x[0] - 0.3 + 1e-9), "at a point next to the point"),  # NaN a step back from it
])
def test_check_gradient_when_f_is_nan(f, where):
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=f"f returned (nan|-inf) {where}"):
        check_gradient(f, X0, np.ones(2))


# ----------------------------------------------------------------------------- huge requests: refused up front
HUGE = [
    ("adjoint", lambda: adjoint(lambda v: 2 * v, (10**6,)), "x_shape"),
    ("jacobian", lambda: jacobian(np.tanh, np.zeros(10**5)), "x with 100000 entries"),
    ("numerical_gradient", lambda: numerical_gradient(np.sum, np.zeros(10**6)), "x with 1000000 entries"),
    ("metric_descent", lambda: metric_descent(ill_conditioned_quadratic(), np.ones(2), steps=10**7), "steps=10000000"),
    (
        "check_gradient",
        lambda: check_gradient(np.sum, np.ones(3), np.ones(3), n_directions=10**7),
        "n_directions=10000000",
    ),
    ("sample_weights", lambda: sample_weights(10**7, 2, rng=np.random.default_rng(0)), "n=10000000"),
    ("depth_sweep", lambda: depth_sweep(10**7, 2, rng=np.random.default_rng(0)), "n=10000000"),
    (
        "predicted_mean_squared_singular_value",
        lambda: predicted_mean_squared_singular_value(1.2, 10**7, "tanh"),
        "depth=10000000",
    ),
    ("mlp_init", lambda: mlp_init([10**6, 10**6, 2], rng=np.random.default_rng(0)), "sizes="),
]


@pytest.mark.parametrize("name, call, argument", HUGE, ids=[h[0] for h in HUGE])
def test_huge_requests_are_refused_with_the_size_and_the_limit(name, call, argument):
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        call()
    assert time.perf_counter() - start < 1.0
    msg = str(info.value)
    assert argument in msg and "above the limit max_" in msg and "if you mean it" in msg


def test_a_keyword_raises_the_limit():
    f = lambda x: float((x**2).sum())
    x = np.linspace(-1, 1, 4000)
    with pytest.raises(ValueError, match="max_size=10,000,000"):
        numerical_gradient(f, x)
    assert np.allclose(numerical_gradient(f, x, max_size=4000**2), 2 * x, atol=1e-6)
    path = metric_descent(ill_conditioned_quadratic(), np.ones(2), steps=10, max_steps=10)
    assert path.w.shape == (11, 2)
    with pytest.raises(ValueError, match="max_steps=5"):
        metric_descent(ill_conditioned_quadratic(), np.ones(2), steps=10, max_steps=5)


# ----------------------------------------------------------------------------- control arguments: named errors
@pytest.mark.parametrize("call, kind, name", [
    (lambda: check_gradient(np.sum, np.ones(3), np.ones(3), n_directions=0), ValueError, "n_directions"),
    (lambda: check_gradient(np.sum, np.ones(3), np.ones(3), rng=0), TypeError, "rng"),
    (lambda: where("abc", np.ones(2), np.zeros(2)), TypeError, "cond"),
    (lambda: where(None, np.ones(2), np.zeros(2)), TypeError, "cond"),
    (lambda: where(np.ones(2) > 0, None, np.zeros(2)), TypeError, "x"),
    (lambda: where(np.ones(3) > 0, np.ones(2), np.zeros(2)), ValueError, "cond"),
    (lambda: mlp_init([3, 2.5, 2], rng=np.random.default_rng(0)), ValueError, "sizes"),
    (lambda: mlp_init([3, 4, 2], rng=np.random.default_rng(0), gain=np.nan), ValueError, "gain"),
    (lambda: mlp_init([3, 4, 2], rng=np.random.default_rng(0), gain="1"), TypeError, "gain"),
    (lambda: metric_at(ill_conditioned_quadratic(), "jacobi", None), TypeError, "w"),
    (lambda: metric_at(ill_conditioned_quadratic(), "jacobi", "abc"), TypeError, "w"),
    (lambda: metric_at(ill_conditioned_quadratic(), "jacobi", np.array([np.nan, 0.0])), ValueError, "w"),
    (lambda: companion.vec(None), TypeError, "A"),
    (lambda: companion.reparametrize(None, np.eye(2)), TypeError, "problem"),
    (lambda: softmax(np.ones((2, 3)), axis=1.5), TypeError, "axis"),
    (lambda: companion.chain_forward([companion.LocalMap.linear(np.ones((3, 2)))], np.ones(4)), ValueError, "x_0"),
])
def test_control_arguments_give_named_errors(call, kind, name):
    with pytest.raises(kind, match=rf"\b{name}\b"):
        call()


def test_elementwise_functions_read_lists_alike():
    assert np.allclose(companion.sigmoid([0.5, 1.0]), 1 / (1 + np.exp(-np.array([0.5, 1.0]))))
    assert np.allclose(companion.exp([0.5, 1.0]), np.exp([0.5, 1.0]))
    assert np.allclose(companion.tanh([0.5, 1.0]), np.tanh([0.5, 1.0]))


def test_writing_a_traced_tensor_into_an_array_says_why_it_cannot():
    def f(t):
        b = np.zeros(3)
        b[0] = t[0]
        return t.sum()

    with pytest.raises(ValueError) as info:
        grad(f)(np.ones(3))
    # numpy's own message, caused by the engine's, which says what to do
    assert "drop" in str(info.value.__cause__) and "b[i] = t" in str(info.value.__cause__)

    def g(t):
        b = np.zeros(3)
        b[:] = t
        return t.sum()

    with pytest.raises(TypeError, match="would drop it"):
        grad(g)(np.ones(3))


@pytest.mark.parametrize("factory, kwargs, name", [
    ("make_least_squares_explorer", {"m": None}, "m"),
    ("make_least_squares_explorer", {"n": "3"}, "n"),
    ("make_attention_explorer", {"n": np.nan}, "n"),
    ("make_mlp_explorer", {"width": 2.5}, "width"),
    ("make_spectra_explorer", {"seed": -1}, "seed"),
    ("make_spectra_explorer", {"gain": "1"}, "gain"),
    ("make_metric_descent_explorer", {"steps": 2.5}, "steps"),
    ("make_riesz_explorer", {"kappa_index": None}, "kappa_index"),
])
def test_widget_factories_name_a_bad_argument(factory, kwargs, name):
    import companion.widgets as w

    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        getattr(w, factory)(**kwargs)
