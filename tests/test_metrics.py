"""8.7: the step is the Riesz image of the differential, and only a metric that pulls back like the Hessian (Newton's,
the Fisher metric of the natural gradient) gives a coordinate-free one."""

from __future__ import annotations

import numpy as np
import pytest

from companion import jacobian, numerical_gradient, riesz
from companion.metrics import (
    ADAPTIVE,
    METRICS,
    LogisticRegression,
    Quadratic,
    adaptive_descent,
    adaptive_metric,
    contraction_factor,
    ill_conditioned_quadratic,
    make_logistic_regression,
    metric_at,
    metric_descent,
    metric_step,
    metric_unit_circle,
    reparametrize,
    rotation_matrix,
    stability_bound,
    steepest_direction,
)


def random_spd(n, rng, cond=10.0):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


@pytest.fixture
def logistic():
    return make_logistic_regression(120, rng=np.random.default_rng(3), feature_scales=(1.0, 4.0, 0.5))


# ----------------------------------------------------------------- problems: derivatives twice
def test_quadratic_differential_and_hessian_match_finite_differences():
    rng = np.random.default_rng(0)
    q = Quadratic(random_spd(4, rng), rng.standard_normal(4))
    w = rng.standard_normal(4)
    assert np.allclose(q.differential(w), numerical_gradient(q.loss, w), atol=1e-8)
    assert np.allclose(q.hessian(w), jacobian(q.differential, w), atol=1e-7)


def test_ill_conditioned_quadratic_has_requested_spectrum_and_axes():
    q = ill_conditioned_quadratic(250.0, rotation=30.0)
    lam, V = np.linalg.eigh(q.H)
    assert lam.max() / lam.min() == pytest.approx(250.0, rel=1e-10)
    # the stiff eigenvector is the first axis rotated by 30 degrees
    stiff = V[:, np.argmax(lam)]
    assert abs(stiff @ rotation_matrix(30.0)[:, 0]) == pytest.approx(1.0, abs=1e-12)


def test_logistic_derivatives_match_finite_differences(logistic):
    w = np.array([0.3, -0.2, 0.5])
    assert np.allclose(logistic.differential(w), numerical_gradient(logistic.loss, w), atol=1e-8)
    assert np.allclose(logistic.hessian(w), jacobian(logistic.differential, w), atol=1e-6)


def test_fisher_is_expected_score_outer_product_and_equals_hessian(logistic):
    w = np.array([0.3, -0.2, 0.5])
    X, p = logistic.X, logistic.probabilities(w)
    F = np.zeros((3, 3))
    for i in range(X.shape[1]):  # E over y ~ Bernoulli(p_i) of s s^T, s = (p_i - y) x_i, written out
        for y, prob in ((1.0, p[i]), (0.0, 1 - p[i])):
            s = (p[i] - y) * X[:, i]
            F += prob * np.outer(s, s)
    F /= X.shape[1]
    assert np.allclose(logistic.fisher(w), F, rtol=1e-12)
    assert np.allclose(logistic.fisher(w), logistic.hessian(w), rtol=1e-12)  # canonical link


def test_reparametrized_pulls_back_covector_and_metric(logistic):
    rng = np.random.default_rng(1)
    B = rng.standard_normal((3, 3)) + 2 * np.eye(3)
    r = reparametrize(logistic, B)
    u = rng.standard_normal(3)
    assert r.loss(u) == pytest.approx(logistic.loss(B @ u), rel=1e-14)
    assert np.allclose(r.differential(u), numerical_gradient(r.loss, u), atol=1e-8)
    assert np.allclose(r.hessian(u), jacobian(r.differential, u), atol=1e-6)
    # dot-product test for the pullback of covectors: c_u . v = c_w . (B v)
    v = rng.standard_normal(3)
    assert r.differential(u) @ v == pytest.approx(logistic.differential(B @ u) @ (B @ v), rel=1e-12)
    assert np.allclose(r.to_u(r.to_w(u)), u)


# ----------------------------------------------------------------- the step is a Riesz image
def test_same_differential_different_steps():
    q = ill_conditioned_quadratic(100.0, rotation=30.0)
    w = np.array([-2.0, 2.0])
    c = q.differential(w)
    steps = {m: metric_step(c, metric_at(q, m, w), eta=0.5) for m in METRICS}
    for m, s in steps.items():
        M = metric_at(q, m, w)
        # the defining equation of the Riesz map: <M^{-1} c, v>_M = c . v, i.e. M step = -eta c
        assert np.allclose(M @ s, -0.5 * c, atol=1e-12)
        assert np.allclose(s, -0.5 * riesz(c, M))
    pairs = [("euclidean", "jacobi"), ("euclidean", "newton"), ("jacobi", "newton")]
    for a, b in pairs:
        cosine = steps[a] @ steps[b] / np.linalg.norm(steps[a]) / np.linalg.norm(steps[b])
        assert cosine < 0.99, f"{a} and {b} steps should point in different directions"
    # but every step is a descent direction: dL[step] < 0
    assert all(c @ s < 0 for s in steps.values())


@pytest.mark.parametrize("seed", range(4))
def test_steepest_direction_minimizes_over_its_own_unit_ball(seed):
    rng = np.random.default_rng(seed)
    M = random_spd(2, rng, cond=30.0)
    c = rng.standard_normal(2)
    v = steepest_direction(c, M)
    assert v @ M @ v == pytest.approx(1.0, rel=1e-12)
    assert c @ v == pytest.approx(-np.sqrt(c @ np.linalg.solve(M, c)), rel=1e-12)
    circle = metric_unit_circle(M, num=20001)
    assert np.allclose(np.einsum("ki,ij,kj->k", circle, M, circle), 1.0)
    assert c @ v <= (circle @ c).min() + 1e-12
    assert np.linalg.norm(circle[np.argmin(circle @ c)] - v) < 1e-3
    # the Euclidean steepest direction is NOT steepest for the ball of M (unless c is an eigenvector)
    e = steepest_direction(c)
    e_M = e / np.sqrt(e @ M @ e)
    assert c @ e_M > c @ v + 1e-6


def test_steepest_direction_in_higher_dimension_beats_random_unit_vectors():
    rng = np.random.default_rng(5)
    M, c = random_spd(6, rng), rng.standard_normal(6)
    v = steepest_direction(c, M)
    U = rng.standard_normal((5000, 6))
    U /= np.sqrt(np.einsum("ki,ij,kj->k", U, M, U))[:, None]
    assert c @ v < (U @ c).min()


# ----------------------------------------------------------------- convergence on the quadratic
def test_newton_with_unit_rate_lands_on_minimum_in_one_step():
    q = ill_conditioned_quadratic(1000.0, rotation=17.0, w_star=(0.4, -0.3))
    path = metric_descent(q, [-2.0, 2.0], metric="newton", eta=1.0, steps=3)
    assert np.allclose(path.w[1], q.w_star, atol=1e-12)
    assert path.steps_to(1e-20) == 1


@pytest.mark.parametrize("cond", [1.0, 10.0, 1000.0])
def test_newton_rate_does_not_depend_on_conditioning(cond):
    q = ill_conditioned_quadratic(cond, rotation=40.0)
    path = metric_descent(q, [-2.0, 2.0], metric="newton", eta=0.5, steps=10)
    # error e_{k+1} = (1 - eta) e_k exactly, so the loss shrinks by (1 - eta)^2 per step
    assert np.allclose(path.loss[1:] / path.loss[:-1], 0.25, rtol=1e-9)


def test_euclidean_rate_and_stability_bound():
    q = ill_conditioned_quadratic(50.0, rotation=25.0)
    bound = stability_bound(q.H)
    assert bound == pytest.approx(2.0 / np.linalg.eigvalsh(q.H).max())
    good = metric_descent(q, [-2.0, 2.0], eta=0.98 * bound, steps=3000)
    bad = metric_descent(q, [-2.0, 2.0], eta=1.02 * bound, steps=3000)
    assert not good.diverged and good.loss[-1] < good.loss[0]
    assert bad.diverged and np.isnan(bad.loss[-1])
    # in the slow regime the error contracts by max |1 - eta lambda| per step
    eta = 0.5
    rho = contraction_factor(q.H, None, eta)
    assert rho == pytest.approx(1 - eta / 50.0)
    p = metric_descent(q, [-2.0, 2.0], eta=eta, steps=400)
    assert p.loss[400] / p.loss[399] == pytest.approx(rho**2, rel=1e-6)


def test_jacobi_equals_newton_on_axis_aligned_valley_but_not_on_rotated_one():
    aligned = ill_conditioned_quadratic(300.0, rotation=0.0)
    rotated = ill_conditioned_quadratic(300.0, rotation=45.0)
    w0 = [-2.0, 2.0]
    for q, same in [(aligned, True), (rotated, False)]:
        j = metric_descent(q, w0, metric="jacobi", eta=0.8, steps=20)
        n = metric_descent(q, w0, metric="newton", eta=0.8, steps=20)
        assert np.allclose(j.w, n.w, atol=1e-12) == same
    # at 45 degrees the diagonal of H is a multiple of I: Jacobi is rescaled Euclidean
    d = np.diag(rotated.H)
    assert d[0] == pytest.approx(d[1])
    j = metric_descent(rotated, w0, metric="jacobi", eta=0.4, steps=20)
    e = metric_descent(rotated, w0, metric="euclidean", eta=0.4 / d[0], steps=20)
    assert np.allclose(j.w, e.w, atol=1e-12)


def test_steps_to_and_divergence_bookkeeping():
    q = ill_conditioned_quadratic(10.0)
    p = metric_descent(q, [1.0, 1.0], metric="euclidean", eta=1.0, steps=200)
    k = p.steps_to(1e-6)
    assert k is not None and p.loss[k] <= 1e-6 < p.loss[k - 1]
    assert metric_descent(q, [1.0, 1.0], eta=1.0, steps=5).steps_to(1e-6) is None
    assert p.w.shape == (201, 2) and p.loss.shape == (201,)


# ----------------------------------------------------------------- reparametrization invariance
def _compare_paths(problem, B, metric, w0, eta, steps):
    r = reparametrize(problem, B)
    pw = metric_descent(problem, w0, metric=metric, eta=eta, steps=steps)
    pu = metric_descent(r, r.to_u(np.asarray(w0)), metric=metric, eta=eta, steps=steps)
    return np.abs(r.to_w(pu.w) - pw.w).max()


@pytest.mark.parametrize("make, metric", [("quadratic", "newton"), ("logistic", "newton"), ("logistic", "fisher")])
def test_newton_and_natural_gradient_are_invariant_under_linear_reparametrization(make, metric, logistic):
    rng = np.random.default_rng(7)
    if make == "quadratic":
        problem, w0, eta = Quadratic(random_spd(3, rng, 100.0), rng.standard_normal(3)), rng.standard_normal(3), 0.3
    else:
        problem, w0, eta = logistic, np.zeros(3), 0.5
    B = rng.standard_normal((3, 3)) + 3 * np.eye(3)
    assert _compare_paths(problem, B, metric, w0, eta, 15) < 1e-9
    # Euclidean descent, at a rate stable in both coordinate systems, takes a different path
    r = reparametrize(problem, B)
    eta_e = 0.5 * min(stability_bound(problem.hessian(w0)), stability_bound(r.hessian(r.to_u(w0))))
    assert _compare_paths(problem, B, "euclidean", w0, eta_e, 15) > 1e-2


def test_jacobi_is_invariant_under_axis_scaling_only():
    q = ill_conditioned_quadratic(100.0, rotation=30.0)
    w0 = np.array([-2.0, 2.0])
    assert _compare_paths(q, np.diag([3.0, 0.2]), "jacobi", w0, 0.5, 15) < 1e-10
    assert _compare_paths(q, rotation_matrix(40.0) @ np.diag([3.0, 0.2]), "jacobi", w0, 0.5, 15) > 1e-2
    # Euclidean descent is not even invariant under a scaling of the axes
    assert _compare_paths(q, np.diag([3.0, 0.2]), "euclidean", w0, 0.05, 15) > 1e-2


# ----------------------------------------------------------------- the metrics by name
def test_newton_is_the_hessian_and_fisher_the_models_fisher_information(logistic):
    q = ill_conditioned_quadratic(50.0, rotation=20.0)
    w = np.array([0.4, -1.0])
    assert METRICS == ("euclidean", "jacobi", "newton")
    assert np.array_equal(metric_at(q, "newton", w), q.H)
    u = np.array([0.3, -0.2, 0.5])
    assert np.array_equal(metric_at(logistic, "fisher", u), logistic.fisher(u))
    assert np.array_equal(metric_at(logistic, "newton", u), logistic.hessian(u))
    B = np.diag([2.0, 0.5, 1.0]) + 0.1
    r = reparametrize(logistic, B)
    assert np.allclose(metric_at(r, "fisher", u), B.T @ logistic.fisher(B @ u) @ B, rtol=1e-13)
    assert metric_descent(r, u, metric="fisher", eta=0.5, steps=2).metric == "fisher"


def test_the_old_name_natural_is_refused_and_says_why():
    """"natural" meant the problem's own metric (M = H for a quadratic: Newton's method; the Fisher information for
    a model); the natural gradient is the Fisher metric's. The old key is refused with a ValueError naming the
    argument and both new names with what they mean, before any work."""
    calls = []

    class Counted(Quadratic):
        def loss(self, w):
            calls.append("loss")
            return super().loss(w)

        def differential(self, w):
            calls.append("differential")
            return super().differential(w)

    q = Counted(np.diag([1.0, 0.1]), np.zeros(2))
    for call in (lambda: metric_at(q, "natural", [1.0, 1.0]),
                 lambda: metric_descent(q, [1.0, 1.0], metric="natural", eta=1.0, steps=5)):
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert msg.startswith('metric "natural" is gone')
        assert 'metric="newton" for M = H' in msg and "Newton's method" in msg
        assert 'metric="fisher" for the Fisher metric' in msg and "natural gradient" in msg
    assert calls == []
    assert not hasattr(q, "natural_metric")


def test_fisher_needs_a_probabilistic_model():
    q = ill_conditioned_quadratic(10.0)
    for problem in (q, reparametrize(q, 2 * np.eye(2))):
        with pytest.raises(ValueError, match=r'metric "fisher" needs a probabilistic model.*metric="newton"'):
            metric_at(problem, "fisher", [1.0, 1.0])
        with pytest.raises(ValueError, match='metric "fisher"'):
            metric_descent(problem, [1.0, 1.0], metric="fisher")
    with pytest.raises(TypeError, match="no Fisher information"):
        reparametrize(q, 2 * np.eye(2)).fisher([1.0, 1.0])


# ----------------------------------------------------------------- bad input
def test_bad_input_is_refused_clearly():
    q = ill_conditioned_quadratic(10.0)
    with pytest.raises(ValueError, match="cond"):
        ill_conditioned_quadratic(0.5)
    with pytest.raises(ValueError, match="w0 must have shape"):
        metric_descent(q, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="metric must be one of"):
        metric_descent(q, [1.0, 2.0], metric="sgd")
    with pytest.raises(ValueError, match="eta"):
        metric_descent(q, [1.0, 2.0], eta=-1.0)
    with pytest.raises(ValueError, match="positive definite"):
        metric_step([1.0, 2.0], np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        metric_step([1.0, 2.0], np.eye(3))
    with pytest.raises(ValueError, match="symmetric"):
        steepest_direction([1.0, 0.0], np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="integer"):
        metric_step(np.array([1, 2]))
    with pytest.raises(ValueError, match="NaN"):
        q.loss([np.nan, 0.0])
    with pytest.raises(ValueError, match="y must have one label per column"):
        LogisticRegression(np.ones((2, 5)), np.ones(4))
    with pytest.raises(ValueError, match="B must have shape"):
        reparametrize(q, np.eye(3))
    with pytest.raises(ValueError, match="steepest"):
        steepest_direction([0.0, 0.0])


# ----------------------------------------------------------------- adaptive methods: a learned diagonal metric
def reference_adaptive(differential, w0, method, eta, steps, beta1=0.9, beta2=0.999, eps=1e-8):
    """AdaGrad, RMSProp (no momentum, no centring) and Adam written as their papers write them, one coordinate-wise
    line per moment: an independent reference for ``adaptive_descent``."""
    w, m, v, out = np.array(w0, dtype=float), 0.0, 0.0, [np.array(w0, dtype=float)]
    for t in range(1, steps + 1):
        g = differential(w)
        if method == "adagrad":
            v = v + g**2
            w = w - eta * g / (np.sqrt(v) + eps)
        elif method == "rmsprop":
            v = 0.99 * v + 0.01 * g**2
            w = w - eta * g / (np.sqrt(v) + eps)
        else:
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g**2
            w = w - eta * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize("method", ADAPTIVE)
@pytest.mark.parametrize("make", ["quadratic", "logistic"])
def test_adaptive_descent_matches_a_hand_written_reference(method, make, logistic):
    problem = ill_conditioned_quadratic(50.0, 20.0) if make == "quadratic" else logistic
    w0 = np.linspace(-1.0, 1.5, problem.dim)
    path = adaptive_descent(problem, w0, method=method, eta=0.05, steps=40)
    ref = reference_adaptive(problem.differential, w0, method, 0.05, 40)
    np.testing.assert_allclose(path.w, ref, rtol=1e-12, atol=1e-14)
    assert path.metric == method and not path.diverged
    np.testing.assert_allclose(path.loss, [problem.loss(w) for w in ref], rtol=1e-12)


@pytest.mark.parametrize("method", ["adagrad", "rmsprop"])
def test_adaptive_step_is_the_riesz_image_of_the_differential_under_its_metric(method, logistic):
    """8.7, eq-8-7-step with the learned metric of eq-8-7-adaptive: each step solves M_k step = -eta c_k, i.e. <step,
    v>_{M_k} = -eta dL[v]
    for every tangent v, and equals metric_step(c_k, M_k, eta); M_k = diag(sqrt(v_k)) + eps I."""
    rng = np.random.default_rng(4)
    eta = 0.1
    path = adaptive_descent(logistic, np.zeros(3), method=method, eta=eta, steps=15)
    v_run = np.zeros(3)
    for k in range(15):
        c = logistic.differential(path.w[k])
        v_run = v_run + c**2 if method == "adagrad" else 0.99 * v_run + 0.01 * c**2
        M = adaptive_metric(v_run)
        np.testing.assert_allclose(np.diag(M), path.diagonals[k], rtol=1e-14)
        step = path.w[k + 1] - path.w[k]
        np.testing.assert_allclose(step, metric_step(c, M, eta), rtol=1e-10, atol=1e-16)
        u = rng.standard_normal(3)  # the defining equation of the M-gradient, against a numerical differential
        dL_u = numerical_gradient(logistic.loss, path.w[k]) @ u
        assert step @ M @ u == pytest.approx(-eta * dL_u, rel=1e-6, abs=1e-10)


def test_adam_step_is_the_riesz_image_of_the_averaged_covector():
    """8.7, eq-8-7-adaptive: Adam's step is the M_k-Riesz image of m_k, a running mean of covectors (a covector too);
    with beta1 = 0 it is
    the differential itself, and Adam is RMSProp with a bias-corrected v."""
    q = ill_conditioned_quadratic(30.0, 45.0)
    w0 = np.array([-2.0, 2.0])
    path = adaptive_descent(q, w0, method="adam", eta=0.05, steps=20)
    m = np.zeros(2)
    for k in range(20):
        m = 0.9 * m + 0.1 * q.differential(path.w[k])
        m_hat = m / (1 - 0.9 ** (k + 1))
        step = path.w[k + 1] - path.w[k]
        np.testing.assert_allclose(path.diagonals[k] * step, -0.05 * m_hat, rtol=1e-10, atol=1e-16)
    plain = adaptive_descent(q, w0, method="adam", eta=0.05, steps=20, beta1=0.0)
    for k in range(20):
        step = plain.w[k + 1] - plain.w[k]
        np.testing.assert_allclose(
            step, metric_step(q.differential(plain.w[k]), np.diag(plain.diagonals[k]), 0.05), rtol=1e-10
        )


@pytest.mark.parametrize("method", ADAPTIVE)
def test_diagonal_rescaling_is_absorbed_by_the_adaptive_metric_a_rotation_is_not(method):
    """L_D(w) = 1/2 |D (w - w*)|^2 is a round bowl seen through the diagonal change of coordinates D: the covector is
    D^2 e and the learned metric scales by the same D^2, so the path of the error e_k is the same for every D (up to
    eps). With a rotation in the change of coordinates the metric cannot follow, and the path depends on cond."""
    w0 = np.array([-2.0, 2.0])
    paths = {
        c: adaptive_descent(ill_conditioned_quadratic(c, 0.0), w0, method=method, eta=0.05, steps=80, eps=1e-12).w
        for c in (1.0, 10.0, 1e3)
    }
    for c in (10.0, 1e3):
        np.testing.assert_allclose(paths[c], paths[1.0], atol=1e-8)
    rotated = {
        c: adaptive_descent(ill_conditioned_quadratic(c, 30.0), w0, method=method, eta=0.05, steps=80, eps=1e-12).w
        for c in (1.0, 1e3)
    }
    assert np.abs(rotated[1e3] - rotated[1.0]).max() > 0.3
    # Euclidean descent, for contrast, does see the diagonal rescaling
    e1, e2 = (metric_descent(ill_conditioned_quadratic(c, 0.0), w0, eta=0.5, steps=80).w for c in (1.0, 1e3))
    assert np.abs(e1 - e2).max() > 0.5


def test_metric_descent_runs_an_adaptive_method_by_name():
    q = ill_conditioned_quadratic(10.0, 30.0)
    a = metric_descent(q, [1.0, 1.0], metric="rmsprop", eta=0.1, steps=10)
    b = adaptive_descent(q, [1.0, 1.0], method="rmsprop", eta=0.1, steps=10)
    np.testing.assert_array_equal(a.w, b.w)
    assert a.diagonals.shape == (10, 2)


def test_adaptive_bad_input_is_refused_clearly():
    q = ill_conditioned_quadratic(10.0)
    with pytest.raises(ValueError, match="method must be one of"):
        adaptive_descent(q, [0.0, 1.0], method="sgd")
    with pytest.raises(TypeError, match="method"):
        adaptive_descent(q, [0.0, 1.0], method=None)
    with pytest.raises(ValueError, match="beta1"):
        adaptive_descent(q, [0.0, 1.0], method="adam", beta1=1.0)
    with pytest.raises(ValueError, match="beta2"):
        adaptive_descent(q, [0.0, 1.0], method="rmsprop", beta2=1.5)
    with pytest.raises(ValueError, match="AdaGrad"):
        adaptive_descent(q, [0.0, 1.0], method="adagrad", beta2=0.9)
    with pytest.raises(ValueError, match="eps"):
        adaptive_descent(q, [0.0, 1.0], eps=0.0)
    with pytest.raises(ValueError, match=r"w0 must have shape \(2,\)"):
        adaptive_descent(q, [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="eta"):
        adaptive_descent(q, [0.0, 1.0], eta=-1.0)
    with pytest.raises(ValueError, match="max_steps"):
        adaptive_descent(q, [0.0, 1.0], steps=10**9)
    with pytest.raises(TypeError, match="problem"):
        adaptive_descent("quadratic", [0.0, 1.0])
    with pytest.raises(ValueError, match="v must hold"):
        adaptive_metric([1.0, -1.0])
    with pytest.raises(ValueError, match=r"v must be 1-d, got shape \(2, 2\)"):
        adaptive_metric(np.ones((2, 2)))
