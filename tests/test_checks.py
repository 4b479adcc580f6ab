"""check_gradient: accepts right gradients, names the usual mistakes, never raises on a bad answer."""

from __future__ import annotations

import re

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
    def f(Q_):
        return float(np.sum(C * attention(Q_, K, V)[0]))

    G_Q = attention_vjp(attention(Q, K, V)[1], C)[0]
    assert check_gradient(f, Q, G_Q)
    rep = check_gradient(f, Q, G_Q * np.sqrt(3))  # forgot to divide by sqrt(d)
    assert rep.diagnosis == "scale" and "1/sqrt(3)" in rep.message


def test_wrong_shape_names_both_shapes():
    f, W, G, _ = ls_case(2, 3, 4)
    rep = check_gradient(f, W, G.T)
    assert rep.diagnosis == "shape" and "(3, 4)" in rep.message and "(4, 3)" in rep.message
    assert "transposed" in rep.message
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
    def f(x):
        return float(np.sum(x**2))

    x = np.zeros(3)
    assert check_gradient(f, x, np.zeros(3))
    assert check_gradient(f, x, np.ones(3)).diagnosis == "mismatch"


@pytest.mark.parametrize(
    "answer, diagnosis",
    [(None, "not attempted"), ("G", "invalid"), (np.array([[np.nan] * 4] * 3), "not finite"),
     (np.array([True, False]), "invalid")],
)
def test_bad_answers_are_reports_not_exceptions(answer, diagnosis):
    f, W, _, _ = ls_case(4)
    rep = check_gradient(f, W, answer)
    assert not rep and rep.diagnosis == diagnosis and rep.message
    assert diagnosis in rep._repr_html_()


def test_integer_answer_is_accepted_when_right():
    def f(x):
        return float(np.sum(x * np.array([1.0, 2.0, 3.0])))

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
    def f(W):
        return least_squares(W, x, b)[0]

    g = least_squares(W, x, b)[1]
    assert g.dtype == np.float32
    report = check_gradient(f, W, g)
    assert report.ok and report.diagnosis == "correct", report
    assert check_gradient(f, W, 2 * g).diagnosis == "scale"
    v = rng.standard_normal(W.shape).astype(np.float32)
    exact = float(np.vdot(g.astype(float), v.astype(float)))
    assert abs(directional_derivative(f, W, v) - exact) <= 1e-5 * abs(exact)
    assert taylor_test(f, W, v, exact).order > 1.8


# ----------------------------------------------------------------------------- one ladder, one verdict type
def test_one_verdict_type_and_one_wording_for_gradients_and_exercises():
    from companion.diagnosis import Verdict
    from companion.exercises import Feedback, check, get

    f, W, G, _ = ls_case(5, 4, 4)
    ex = get("8.3.3")
    ref = ex.reference()
    cases = ((check_gradient(f, W, -G), check_gradient(f, W, 2 * G), "the gradient of f at the point"),
             (check("8.3.3", -ref, record=False), check("8.3.3", 2 * ref, record=False),
              "the answer to 8.3.3 (Least squares with a ridge penalty)"))
    for minus, plus, asked in cases:
        assert isinstance(minus, Verdict) and isinstance(plus, Verdict)
        assert minus.diagnosis == "sign" and minus.factor == -1.0
        assert minus.message == f"right size and direction, opposite sign: your answer is -1 times {asked}"
        assert asked in minus.hint and "cos" not in minus.hint and "inverse" not in minus.hint
        assert plus.diagnosis == "scale" and plus.message == f"right direction, wrong scale: {asked} is 1/2 times yours"
        assert "a 1/2 that should cancel the 2" in plus.hint
        assert str(minus).splitlines()[1] == f"    {minus.message}" and "hint: " in str(minus)
    assert isinstance(check("8.3.3", -ref, record=False), Feedback)
    assert check_gradient(f, W, G.T).message == "your answer is the transpose of the gradient of f at the point"
    assert check_gradient(f, W, -G).worst_index is None


def _significant(a, digits=4):
    return np.vectorize(lambda v: float(f"{v:.{digits}g}"))(np.asarray(a, float))


def test_a_near_miss_says_give_more_digits():
    """8.8.4 answered to 4 significant digits (relative error 4e-05): close, not a wrong method."""
    from companion.exercises import check, get

    ref = get("8.8.4").reference()
    fb = check("8.8.4", float(f"{ref:.4g}"), record=False)
    rel = abs(float(f"{ref:.4g}") - ref) / abs(ref)
    assert fb.diagnosis == "near miss" and fb.relative_error == pytest.approx(rel)
    assert fb.message.startswith(f"close: relative error {rel:.1g}; give more digits") and f"{rel:.1g}" == "4e-05"
    assert "redo the derivation" not in str(fb) and "none of the usual slips" not in str(fb)
    assert check("8.8.4", float(f"{ref:.9g}"), record=False)
    assert check("8.8.4", ref * 1.01, record=False).diagnosis == "mismatch"  # 1 %: not a near miss
    # an array rounded to 4 digits, and a gradient rounded to 4 digits in check_gradient
    G = get("8.3.1").reference()
    assert check("8.3.1", _significant(G), record=False).diagnosis == "near miss"
    f, W, G, _ = ls_case(6)
    rep = check_gradient(f, W, _significant(G))
    assert rep.diagnosis == "near miss" and "give more digits" in rep.message
    # the near miss is rtol-aware: 8.8.3 accepts 1 %, so 4 digits are simply right
    edges = get("8.8.3").reference()
    assert check("8.8.3", _significant(edges), record=False)


def test_a_column_vector_where_a_flat_vector_is_asked_is_told_exactly_what_to_change():
    """(n, 1) or (1, n) for (n,): not accepted silently (the reader's next step would broadcast to (n, n))."""
    from companion.exercises import check, get

    g = get("8.4.3").reference()
    n = g.size
    for wrong in (g[:, None], g[None, :]):
        fb = check("8.4.3", wrong, record=False)
        assert fb.diagnosis == "shape" and f"give an array of shape ({n},): e.g. answer.ravel()" in fb.message, str(fb)
        assert fb.expected_shape == (n,) and fb.got_shape == wrong.shape
    x = np.linspace(-1.0, 1.0, 5)
    rep = check_gradient(lambda x: float(np.sum(x**3)), x, (3 * x**2)[:, None])
    assert rep.diagnosis == "shape" and "give an array of shape (5,): e.g. answer.ravel()" in rep.message
    rep = check_gradient(lambda X: float(np.sum(X**3)), x[:, None], 3 * x**2)
    assert rep.diagnosis == "shape" and "e.g. answer.reshape(5, 1)" in rep.message


def test_a_tuple_part_is_named_in_the_generic_slips():
    from companion.exercises import check, get

    ref = get("8.6.4").reference()
    fb = check("8.6.4", lambda Q, K, V, G_Y: (lambda g: (g[0], -g[1], g[2]))(ref(Q, K, V, G_Y)), record=False)
    assert fb.message == ("G_K: right size and direction, opposite sign: your answer is -1 times "
                          "G_K in 8.6.4 (The whole attention pullback)")



# ----------------------------------------------------------------------------- the point is "the point"
def _reports_and_errors():
    """Every kind of report and every error about f that check_gradient gives, as text."""
    f, W, G, _ = ls_case(7, 4, 4)
    answers = (G, G.T, -G, 2 * G, G + 1e-3 * np.abs(G).max(), np.ones((4, 4)), None, "abc", np.ones(3),
               np.full((4, 4), np.nan), G[:, :1])
    texts = [str(check_gradient(f, W, g)) for g in answers]
    texts.append(str(check_gradient(lambda x: float(np.abs(x).sum()), np.zeros(3), np.ones(3))))  # a kink
    texts.append(str(check_gradient(lambda x: 0.0 * x.sum(), np.ones(3), np.ones(3))))  # flat
    bad_f = (lambda x: np.nan * x.sum(), lambda x: np.log(x[0]) + 0 * x.sum(), lambda x: float(np.sqrt(x).sum()),
             lambda x: "a string", lambda x: np.ones(2))
    for f_ in bad_f:
        with np.errstate(all="ignore"), pytest.raises((ValueError, TypeError)) as info:
            check_gradient(f_, np.zeros(3), np.ones(3))
        texts.append(str(info.value))
    with pytest.raises(ValueError) as info:
        check_gradient(np.sum, np.ones(3), np.ones(3), n_directions=10**7)
    texts.append(str(info.value))
    return texts


def test_no_message_calls_the_point_x():
    """On the pages x is the data vector: check_gradient's reports and its errors about f say "the point"
    (an error about the argument itself still names it, x, as every bad-input error names its argument)."""
    texts = _reports_and_errors()
    assert len(texts) == 19
    for text in texts:
        words = re.sub(r"^\[(x|ok|\.\.)\] ", "", text)  # the report's mark, [x] for "wrong", is no name
        assert re.search(r"\bx\b", words) is None, text
    assert any("no answer can be checked at this point" in t for t in texts)
    assert any("f returned nan at a point next to the point" in t for t in texts)
    assert any("the point has 3 entries" in t for t in texts)
    with pytest.raises(ValueError, match=r"^x "):  # the argument, by its name
        check_gradient(np.sum, np.full(3, np.nan), np.ones(3))
