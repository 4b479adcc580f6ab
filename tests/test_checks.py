"""check_gradient: accepts right gradients, names the usual mistakes, never raises on a bad answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import attention, attention_vjp, check_gradient, least_squares
from companion.checks import describe_factor


def ls_case(seed, m=3, n=4):
    rng = np.random.default_rng(seed)
    W, x, b = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(m)
    return (lambda W_: least_squares(W_, x, b)[0]), W, least_squares(W, x, b)[1], rng


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_right_gradient_accepted_with_taylor_evidence(m, n, seed):
    f, W, G, _ = ls_case(seed, m, n)
    rep = check_gradient(f, W, G)
    assert rep and rep.diagnosis == "correct"
    assert rep.taylor is not None and rep.taylor.ok


def test_transpose_sign_scale_are_named():
    f, W, G, _ = ls_case(0, 4, 4)
    rep = check_gradient(f, W, G.T)
    assert not rep and rep.diagnosis == "transpose"
    rep = check_gradient(f, W, -G)
    assert not rep and rep.diagnosis == "sign" and rep.factor == -1.0
    rep = check_gradient(f, W, 2 * G)
    assert rep.diagnosis == "scale" and rep.factor == pytest.approx(0.5) and "1/2" in rep.message
    rep = check_gradient(f, W, G * np.sqrt(8))
    assert rep.diagnosis == "scale" and "1/sqrt(8)" in rep.message


def test_missing_one_over_sqrt_d_in_attention_is_a_scale():
    rng = np.random.default_rng(1)
    Q, K, V = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    C = rng.standard_normal((4, 2))
    f = lambda Q_: float(np.sum(C * attention(Q_, K, V)[0]))
    G_Q = attention_vjp(attention(Q, K, V)[1], C)[0]
    assert check_gradient(f, Q, G_Q)
    rep = check_gradient(f, Q, G_Q * np.sqrt(3))  # forgot to divide by sqrt(d)
    assert rep.diagnosis == "scale" and "1/sqrt(3)" in rep.message


def test_wrong_shape_names_both_shapes():
    f, W, G, _ = ls_case(2, 3, 4)
    rep = check_gradient(f, W, G.T)
    assert rep.diagnosis == "shape" and "(3, 4)" in rep.message and "(4, 3)" in rep.message and "transposed" in rep.message
    rep = check_gradient(f, W, np.ones(12))
    assert rep.diagnosis == "shape" and "(12,)" in rep.message


def test_generic_wrong_answer_reports_error_and_location():
    f, W, G, rng = ls_case(3)
    bad = G.copy()
    bad[2, 1] += 5.0
    rep = check_gradient(f, W, bad)
    assert rep.diagnosis == "mismatch" and rep.worst_index == (2, 1) and rep.relative_error > 0.1
    rep = check_gradient(f, W, rng.standard_normal(W.shape))
    assert rep.diagnosis == "mismatch" and not rep


def test_zero_gradient_point():
    f = lambda x: float(np.sum(x**2))
    x = np.zeros(3)
    assert check_gradient(f, x, np.zeros(3))
    assert check_gradient(f, x, np.ones(3)).diagnosis == "mismatch"


@pytest.mark.parametrize(
    "answer, diagnosis",
    [(None, "not attempted"), ("G", "invalid"), (np.array([[np.nan] * 4] * 3), "not finite"), (np.array([True, False]), "invalid")],
)
def test_bad_answers_are_reports_not_exceptions(answer, diagnosis):
    f, W, _, _ = ls_case(4)
    rep = check_gradient(f, W, answer)
    assert not rep and rep.diagnosis == diagnosis and rep.message
    assert diagnosis in rep._repr_html_()


def test_integer_answer_is_accepted_when_right():
    f = lambda x: float(np.sum(x * np.array([1.0, 2.0, 3.0])))
    assert check_gradient(f, np.zeros(3), np.array([1, 2, 3]))


def test_bad_problem_raises():
    with pytest.raises(TypeError, match="callable"):
        check_gradient(3, np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="scalar f"):
        check_gradient(np.sin, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="integer"):
        check_gradient(np.sum, np.arange(3), np.ones(3))


def test_describe_factor():
    assert describe_factor(2.0) == "2"
    assert describe_factor(0.5) == "1/2"
    assert describe_factor(1 / np.sqrt(8)) == "1/sqrt(8)"
    assert describe_factor(-3.0) == "-3"
    assert describe_factor(1.2345678) == "1.23457"


def test_float32_problem_right_answer_is_correct_and_differences_use_float64():
    # f(x) at a float32 x and f(x + eps v) at a float64 point used to mix precisions: the
    # Taylor remainder stalled at float32 round-off and a right answer was called
    # "scale: the gradient is 1 times your answer"
    from companion import directional_derivative, taylor_test

    rng = np.random.default_rng(3)
    W = rng.standard_normal((3, 4)).astype(np.float32)
    x = rng.standard_normal(4).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    f = lambda W: least_squares(W, x, b)[0]
    g = least_squares(W, x, b)[1]
    assert g.dtype == np.float32
    report = check_gradient(f, W, g)
    assert report.ok and report.diagnosis == "correct", report
    assert check_gradient(f, W, 2 * g).diagnosis == "scale"
    v = rng.standard_normal(W.shape).astype(np.float32)
    exact = float(np.vdot(g.astype(float), v.astype(float)))
    assert abs(directional_derivative(f, W, v) - exact) <= 1e-5 * abs(exact)
    assert taylor_test(f, W, v, exact).order > 1.8
