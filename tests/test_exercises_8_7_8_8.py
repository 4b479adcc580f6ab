"""Exercises of 8.7 and 8.8: the slips students make get their own message, and the new problems' special cases.

The generic tests of tests/test_exercises.py cover every exercise (reference accepted, each mistake named, random
answers rejected, shapes named, every option of a concept question); here: the specific slips the sections are
known for, the mathematics behind the new transfer problems (checked independently of the exercise code), and
the near misses.
"""

from __future__ import annotations

import numpy as np
import pytest

from companion import jacobian, numerical_gradient
from companion.exercises import by_section, check, get
from companion.metrics import adaptive_descent, ill_conditioned_quadratic, metric_step
from companion.spectra import input_output_jacobian, layer_norm_jacobian, mean_squared_singular_value, sample_weights


def diagnosis(eid, answer):
    fb = check(eid, answer, record=False)
    return fb.ok, str(fb)  # the whole feedback: the slip named, its hint, the evidence


# ----------------------------------------------------------------------------- 8.7
def test_8_7_1_returning_the_new_theta_is_named():
    ex = get("8.7.1")
    d = ex.data
    ok, msg = diagnosis("8.7.1", d["theta"] + ex.reference())
    assert not ok and "returned the new theta" in msg and "subtract theta" in msg


def test_8_7_1_reference_is_the_riesz_image_under_r_transpose_r():
    """8.7, eq-8-7-step: M step = -eta c with M = R^T R; checked with companion.metrics.metric_step."""
    d = get("8.7.1").data
    c = d["H"] @ d["theta"] - d["c"]
    np.testing.assert_allclose(get("8.7.1").reference(), metric_step(c, d["R"].T @ d["R"], d["eta"]), rtol=1e-12)
    ok, msg = diagnosis("8.7.1", metric_step(c, d["R"] @ d["R"].T, d["eta"]))
    assert not ok and "M = R^T R, not R R^T" in msg


def test_8_7_2_the_covector_is_pulled_back_through_a():
    d = get("8.7.2").data
    A, r, M = d["A"], d["r"], d["M"]
    u = get("8.7.2").reference()
    assert u @ M @ u == pytest.approx(1.0)
    # steepest: no point of the unit M-sphere does better (8.7, eq-8-7-steepest), sampled
    rng = np.random.default_rng(0)
    V = rng.standard_normal((20000, 3))
    V /= np.sqrt(np.einsum("ki,ij,kj->k", V, M, V))[:, None]
    assert (A.T @ r) @ u <= (V @ (A.T @ r)).min() + 1e-12
    ok, msg = diagnosis("8.7.2", -r[:3] / np.sqrt(r[:3] @ M @ r[:3]))
    assert not ok


def test_8_7_3_the_empirical_fisher_is_named():
    ex = get("8.7.3")
    X, y, theta = (ex.data[k] for k in ("X", "y", "theta"))
    p = 1 / (1 + np.exp(-(X.T @ theta)))
    F_emp = (X * (y - p) ** 2) @ X.T
    ok, msg = diagnosis("8.7.3", np.linalg.solve(F_emp, X @ (p - y)))
    assert not ok and "empirical Fisher" in msg and "model's labels" in msg


def test_8_7_4_is_a_metric_step_in_theta():
    """The reference is -eta M^-1 g with M = C^-T N C^-1, the metric N carried to theta."""
    d = get("8.7.4").data
    C, N, g, eta = d["C"], d["N"], d["g"], d["eta"]
    Ci = np.linalg.inv(C)
    np.testing.assert_allclose(get("8.7.4").reference(), metric_step(g, Ci.T @ N @ Ci, eta), rtol=1e-10)
    ok, msg = diagnosis("8.7.4", -eta * np.linalg.solve(N, C.T @ g))
    assert not ok and "not mapped back" in msg


def test_8_7_5_metric_gradient_satisfies_the_riesz_equation_by_finite_differences():
    """<G, V>_W = df_W[V] for random tangents V, df by central differences of f itself (independent of the exercise)."""
    d = get("8.7.5").data
    W, S = d["W"], d["S"]
    G = get("8.7.5").reference()
    Wi = np.linalg.inv(W)

    def f(Y):
        return np.linalg.slogdet(Y)[1] - 0.5 * np.trace(Y @ S @ Y.T)

    rng = np.random.default_rng(1)
    for _ in range(5):
        V = rng.standard_normal((3, 3))
        df = (f(W + 1e-6 * V) - f(W - 1e-6 * V)) / 2e-6
        assert np.trace((G @ Wi).T @ (V @ Wi)) == pytest.approx(df, rel=1e-6)
    # the metric is right-invariant: <U P, V P>_{W P} = <U, V>_W
    P = np.eye(3) + 0.3 * rng.standard_normal((3, 3))
    U, V = rng.standard_normal((2, 3, 3))
    WPi = np.linalg.inv(W @ P)
    assert np.trace((U @ P @ WPi).T @ (V @ P @ WPi)) == pytest.approx(np.trace((U @ Wi).T @ (V @ Wi)))
    # the gradient vanishes where the outputs are white: W S W^T = I
    Ws = np.linalg.cholesky(np.linalg.inv(S)).T
    np.testing.assert_allclose(Ws @ S @ Ws.T, np.eye(3), atol=1e-10)
    np.testing.assert_allclose((np.eye(3) - Ws @ S @ Ws.T) @ Ws, 0.0, atol=1e-10)


def test_8_7_5_hints_give_the_method_not_the_answer():
    """No hint writes G_F, the metric's factor (W^T W)^-1 or the equation G (W^T W)^-1 = G_F; the facts the hints do
    state hold (d log det W[V] = tr(W^-1 V), by central differences), and so does the step they leave to the reader:
    the factor next to G is undone on its own side, not on the other."""
    ex = get("8.7.5")
    for h in ex.hints:
        assert "W^{-\\top} - WS" not in h and "(W^\\top W)^{-1}" not in h and "must be $G_F$" not in h, h
    assert "same side" in ex.hints[-1]
    d = ex.data
    W, S = d["W"], d["S"]
    rng = np.random.default_rng(3)
    V = rng.standard_normal((3, 3))
    logdet = lambda Y: np.linalg.slogdet(Y)[1]
    assert (logdet(W + 1e-6 * V) - logdet(W - 1e-6 * V)) / 2e-6 == pytest.approx(np.trace(np.linalg.solve(W, V)))
    G, G_F = ex.reference(), np.linalg.inv(W).T - W @ S
    R = np.linalg.inv(W.T @ W)  # <G, V>_W = tr((G R)^T V): X = G R
    np.testing.assert_allclose(G @ R, G_F, atol=1e-12)
    assert not np.allclose(R @ G, G_F, atol=1e-3)


def test_8_7_5_the_frobenius_gradient_and_the_transpose_slip_are_named():
    d = get("8.7.5").data
    W, S = d["W"], d["S"]
    ok, msg = diagnosis("8.7.5", np.linalg.inv(W).T - W @ S)
    assert not ok and "Frobenius" in msg
    ok, msg = diagnosis("8.7.5", (np.linalg.inv(W) - W @ S) @ W.T @ W)
    assert not ok and "W^-T" in msg


@pytest.mark.parametrize(
    "answer, right",
    [("a,c,e,h", True), ({"a", "c", "e", "h"}, True), ("heca", True), ("a,c,e", False), ("b", False),
     ("a,c,d,e,h", False), ("a,c,e,g,h", False)],
)
def test_8_7_6_change_of_coordinates(answer, right):
    ok, msg = diagnosis("8.7.6", answer)
    assert ok is right, msg
    if "d" in answer or "g" in answer:
        assert "orthogonal" in msg


def test_8_7_6_options_are_true_and_false_numerically():
    """Each option's claim, checked on a random quadratic and a random non-orthogonal B."""
    rng = np.random.default_rng(2)
    Q = rng.standard_normal((3, 3))
    H, c, B, v = (
        Q @ Q.T + np.eye(3),
        rng.standard_normal(3),
        rng.standard_normal((3, 3)) + 2 * np.eye(3),
        rng.standard_normal(3),
    )
    ct, Ht = B.T @ c, B.T @ H @ B
    assert ct @ np.linalg.solve(B, v) == pytest.approx(c @ v)  # a: the value of the covector
    assert not np.allclose(ct, c)  # b: the coefficients change
    np.testing.assert_allclose(B @ np.linalg.solve(Ht, ct), np.linalg.solve(H, c), rtol=1e-10)  # c: Newton
    assert not np.allclose(B @ ct, c)  # d: the plain step changes
    for v in rng.standard_normal((20, 3)):  # e: the same tangents are descent directions in both systems
        assert np.sign(ct @ np.linalg.solve(B, v)) == np.sign(c @ v)
    e_u, e_w = B @ (-ct / np.linalg.norm(ct)), -c / np.linalg.norm(c)  # f: Euclidean unit balls differ
    assert abs(e_u @ e_w) / np.linalg.norm(e_u) < 0.999
    lam = 0.5  # g: damping lambda I in each system is not a pullback
    damped_u = B @ np.linalg.solve(Ht + lam * np.eye(3), ct)
    assert not np.allclose(damped_u, np.linalg.solve(H + lam * np.eye(3), c), rtol=1e-3)
    np.testing.assert_allclose(damped_u, np.linalg.solve(H + lam * np.linalg.inv(B @ B.T), c), rtol=1e-10)
    Qo = np.linalg.qr(rng.standard_normal((3, 3)))[0]  # ... except for an orthogonal B
    np.testing.assert_allclose(Qo @ np.linalg.solve(Qo.T @ H @ Qo + lam * np.eye(3), Qo.T @ c),
                               np.linalg.solve(H + lam * np.eye(3), c), rtol=1e-10)


def test_8_7_6_the_gauss_newton_step_is_the_same_in_both_coordinate_systems():
    """Option (h), on a nonlinear residual r(w) = tanh(A w) - y: every derivative is computed numerically in each
    system from its own loss (no pullback formula used), and B maps the u-step onto the w-step; option (g)'s damped
    step, computed the same way, does not map."""
    rng = np.random.default_rng(8)
    A, y = rng.standard_normal((5, 3)), rng.standard_normal(5)
    B = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    r = lambda w: np.tanh(A @ w) - y
    r_u = lambda u: r(B @ u)
    w = rng.standard_normal(3)
    u = np.linalg.solve(B, w)
    steps = {}
    for name, res, point in (("w", r, w), ("u", r_u, u)):
        J = jacobian(res, point)
        c = numerical_gradient(lambda p, res=res: 0.5 * np.sum(res(p) ** 2), point)
        np.testing.assert_allclose(c, J.T @ res(point), rtol=1e-6)
        steps[name] = (np.linalg.solve(J.T @ J, c), np.linalg.solve(J.T @ J + 0.5 * np.eye(3), c))
    np.testing.assert_allclose(B @ steps["u"][0], steps["w"][0], rtol=1e-5)  # h: the same step (numerical Jacobians)
    assert not np.allclose(B @ steps["u"][1], steps["w"][1], rtol=1e-2)  # g: Levenberg damping, another step


# ----------------------------------------------------------------------------- 8.8
def test_8_8_1_backward_map_has_the_forward_singular_values():
    rng = np.random.default_rng(3)
    J = np.linalg.multi_dot(sample_weights(50, 6, sigma_w=1.3, rng=rng))
    assert mean_squared_singular_value(J.T) == pytest.approx(mean_squared_singular_value(J))
    ok, msg = diagnosis("8.8.1", 1.3**-12)
    assert not ok and "adjoint" in msg


def test_8_8_2_leaky_gain_is_critical_in_simulation():
    """At sigma_w = sqrt(2 / (1 + alpha^2)) the mean square of the Jacobian stays at 1 on average (8.8, eq-8-8-chi)."""
    alpha = get("8.8.2").data["alpha"]
    g = get("8.8.2").reference()
    rng = np.random.default_rng(4)
    ms = []
    for _ in range(300):
        h, J = rng.standard_normal(16), np.eye(16)
        for A in sample_weights(16, 8, sigma_w=g, rng=rng):
            z = A @ h
            d = np.where(z > 0, 1.0, alpha)
            h, J = d * z, d[:, None] * (A @ J)
        ms.append(np.sum(J**2) / 16)
    assert np.mean(ms) == pytest.approx(1.0, abs=4 * np.std(ms) / np.sqrt(300))
    ok, msg = diagnosis("8.8.2", np.sqrt(2.0))
    assert not ok and "leak" in msg


def test_8_8_3_hints_no_longer_give_the_edges():
    ex = get("8.8.3")
    assert not any("(1\\pm\\sqrt{c})^2" in h for h in ex.hints)
    assert "(1 - \\sqrt c)^2" in ex.solution_text


def test_8_8_4_hints_no_longer_give_the_code():
    ex = get("8.8.4")
    assert not any("np." in h or "J = " in h for h in ex.hints)
    ok, msg = diagnosis("8.8.4", ex.reference())
    assert ok


def test_8_8_4_near_miss_is_not_accepted():
    """Four significant digits (relative error ~4e-5) is not the answer the exercise asks for ("to full precision"):
    it is named a near miss, with the relative error and the request for more digits, not a wrong method."""
    ref = get("8.8.4").reference()
    rounded = float(f"{ref:.4g}")
    assert rounded != ref and abs(rounded - ref) / abs(ref) > get("8.8.4").rtol
    fb = check("8.8.4", rounded, record=False)
    assert not fb and fb.diagnosis == "near miss", str(fb)
    error = abs(rounded - ref) / abs(ref)
    assert fb.message.startswith(f"close: relative error {error:.0e}") and "give more digits" in fb.message, fb.message
    assert "the method is right" in fb.hint and "mistake" not in fb.message


def test_8_8_5_residual_law_in_simulation():
    """E (1/n)|J|_F^2 = (1 + sigma_w^2)^L for J = (I + A_L) ... (I + A_1), checked by simulation (small L)."""
    rng = np.random.default_rng(5)
    sw, L, n = 0.5, 4, 20
    ms = []
    for _ in range(2000):
        J = np.eye(n)
        for A in sample_weights(n, L, sigma_w=sw, rng=rng):
            J = J + A @ J
        ms.append(np.sum(J**2) / n)
    assert np.mean(ms) == pytest.approx((1 + sw**2) ** L, abs=4 * np.std(ms) / np.sqrt(2000))
    ok, msg = diagnosis("8.8.5", 0.5**32)
    assert not ok and "skip" in msg


def test_8_8_5_hints_give_the_method_not_the_factor():
    """No hint states the per-layer factor 1 + sigma_w^2 or the two expectations that give it; the last hint points
    at the page's one-layer computation, whose two facts it leaves to the reader hold (by simulation)."""
    ex = get("8.8.5")
    for h in ex.hints:
        assert "1 + \\sigma_w^2" not in h and "\\sigma_w^2\\|v\\|^2" not in h and "= 0" not in h, h
    assert "prop-8-8-linear" in ex.hints[-1]
    rng = np.random.default_rng(7)
    n, sw = 30, 0.5
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    As = sw / np.sqrt(n) * rng.standard_normal((4000, n, n))
    Av = As @ v
    cross, square = Av @ v, np.sum(Av**2, axis=1)
    assert np.mean(cross) == pytest.approx(0.0, abs=4 * np.std(cross) / np.sqrt(4000))  # E[v^T A v] = 0
    assert np.mean(square) == pytest.approx(sw**2, abs=4 * np.std(square) / np.sqrt(4000))  # E|Av|^2 = sw^2


@pytest.mark.parametrize(
    "answer, right",
    [("a,c,g,h", True), ("h,g,c,a", True), ("a,c", False), ("a,b,c,g,h", False), ("d", False), ("e", False),
     ("a,c,f,g,h", False)],
)
def test_8_8_6_layer_norm_choices(answer, right):
    ok, msg = diagnosis("8.8.6", answer)
    assert ok is right, msg


def test_8_8_6_claims_hold_numerically():
    """(a) the gain cancels, (c) two zero singular values, (d) the pullback divides by s, (b) the spectrum still
    spreads, (e) a gain above 1 no longer grows the mean square: checked on a sampled network."""
    rng = np.random.default_rng(6)
    As, x = sample_weights(10, 4, rng=rng), rng.standard_normal(10)
    J = input_output_jacobian(As, x, norm="layer")
    np.testing.assert_allclose(input_output_jacobian([3.0 * A for A in As], x, norm="layer"), J, rtol=1e-9, atol=1e-13)
    s = np.linalg.svd(J, compute_uv=False)
    assert s[-2] < 1e-12 * s[0]
    z = rng.standard_normal(10) * 5
    JL = layer_norm_jacobian(z)
    np.testing.assert_allclose(JL, JL.T, atol=1e-15)
    np.testing.assert_allclose(JL, jacobian(lambda u: (u - u.mean()) / u.std(), z), atol=1e-7)
    assert s[0] / s[-3] > 10  # b: not an isometry; the Gaussian product still spreads the spectrum
    ms = mean_squared_singular_value(J)  # e: a gain of 3 leaves the mean square where it was
    assert mean_squared_singular_value(input_output_jacobian([3.0 * A for A in As], x, norm="layer")) == (
        pytest.approx(ms, rel=1e-9))


@pytest.mark.parametrize("n, depth", [(10, 4), (8, 6), (6, 5)])
def test_8_8_6_two_zero_singular_values_at_every_depth(n, depth):
    """Option (f) is false: the rank stays n - 2 (a clear gap after the second smallest singular value), not
    n - min(n, 2L)."""
    rng = np.random.default_rng(n + depth)
    s = np.linalg.svd(input_output_jacobian(sample_weights(n, depth, rng=rng), rng.standard_normal(n), norm="layer"),
                      compute_uv=False)
    assert s[-2] < 1e-12 * s[0] and s[-3] > 1e-8 * s[0], s / s[0]
    # (the widths and depths above keep n > 2: the two zeros are not the whole spectrum)


def test_8_8_6_width_two_and_the_single_layer_norm():
    """Option (g): at n = 2 the Jacobian vanishes for any weights and input; option (h): J_LN at z = (3, -1, 3, -1)
    has the singular values 1/2, 1/2, 0, 0 (s(z) = |Pz| / 2 = 2, not |z| / 2 = sqrt 5)."""
    rng = np.random.default_rng(12)
    for depth in (1, 3):
        for _ in range(5):
            J = input_output_jacobian(sample_weights(2, depth, rng=rng), rng.standard_normal(2), norm="layer")
            np.testing.assert_allclose(J, 0.0, atol=1e-12)
    z = np.array([3.0, -1.0, 3.0, -1.0])
    np.testing.assert_allclose(np.linalg.svd(layer_norm_jacobian(z), compute_uv=False), [0.5, 0.5, 0, 0], atol=1e-12)
    np.testing.assert_allclose(layer_norm_jacobian(z), jacobian(lambda u: (u - u.mean()) / u.std(), z), atol=1e-7)
    assert np.linalg.norm(z) / 2 == pytest.approx(np.sqrt(5))


# ----------------------------------------------------------------------------- both sections
@pytest.mark.parametrize("section", ["8.7", "8.8"])
def test_sections_have_six_exercises_with_a_transfer_and_a_concept(section):
    exs = by_section(section)
    assert len(exs) >= 6
    cats = [e.category for e in exs]
    assert "transfer" in cats and "concept" in cats
    assert all(2 <= len(e.hints) <= 3 and e.solution_text.strip() for e in exs)


def test_adaptive_method_is_on_the_page_and_in_a_transfer():
    """The page's adaptive methods reproduce Adam's step: a check of the 8.7 content the exercises build on."""
    q = ill_conditioned_quadratic(10.0, 0.0)
    path = adaptive_descent(q, [1.0, 1.0], method="adam", eta=0.1, steps=1)
    # first Adam step: m_hat = c, v_hat = c^2, so the step is -eta sign(c) (up to eps)
    np.testing.assert_allclose(path.w[1] - path.w[0], -0.1 * np.sign(q.differential([1.0, 1.0])), rtol=1e-6)


def test_8_7_5_the_metric_factor_on_the_wrong_side_or_in_the_wrong_order_is_named():
    d = get("8.7.5").data
    W, S = d["W"], d["S"]
    G_F = np.linalg.inv(W).T - W @ S
    for answer, name in ((W.T @ W @ G_F, "on the wrong side"), (G_F @ W @ W.T, "W W^T: the factors")):
        fb = check("8.7.5", answer, record=False)
        assert not fb and fb.diagnosis == "known mistake" and name in fb.message, str(fb)
    assert check("8.7.5", G_F @ W.T @ W, record=False)


def test_8_7_1_r_as_the_metric_and_8_7_4_the_metric_carried_the_wrong_way_are_named():
    d = get("8.7.1").data
    fb = check("8.7.1", -d["eta"] * np.linalg.solve(d["R"], d["H"] @ d["theta"] - d["c"]), record=False)
    assert not fb and fb.diagnosis == "known mistake" and "R taken as the metric" in fb.message, str(fb)
    d = get("8.7.4").data
    fb = check("8.7.4", -d["eta"] * np.linalg.solve(d["C"].T @ d["N"] @ d["C"], d["g"]), record=False)
    assert not fb and fb.diagnosis == "known mistake" and "the wrong way" in fb.message, str(fb)


def test_8_7_1_the_statement_says_which_way_the_step_goes():
    statement = get("8.7.1").statement
    assert "against the gradient" in statement and "along the gradient" not in statement
