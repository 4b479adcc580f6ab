"""8.8: the input-output Jacobian at initialization, its singular values and their reference laws."""

from __future__ import annotations

import numpy as np
import pytest

import companion
from companion import dot_product_test, jacobian, vjp
from companion.spectra import (
    critical_gain,
    depth_sweep,
    gauss_newton_eigenvalues,
    gaussian_weights,
    input_output_jacobian,
    input_pullback,
    jacobian_products,
    layer_norm,
    layer_norm_factor,
    layer_norm_jacobian,
    marchenko_pastur_cdf,
    marchenko_pastur_density,
    marchenko_pastur_support,
    markdown_table,
    mean_squared_singular_value,
    network_map,
    orthogonal_weights,
    parameter_jacobian,
    predicted_mean_squared_singular_value,
    sample_weights,
    singular_values,
)

ACTS = ["linear", "tanh", "relu"]


# ----------------------------------------------------------------- sampling
def test_gaussian_weights_have_variance_over_fan_in():
    A = gaussian_weights(400, 250, sigma_w=1.7, rng=np.random.default_rng(0))
    assert A.shape == (400, 250)
    # 1e5 entries: the sample variance is within a few percent of sigma_w^2 / n
    assert A.var() * 250 == pytest.approx(1.7**2, rel=0.03)


@pytest.mark.parametrize("shape", [(6, 6), (9, 4), (4, 9)])
def test_orthogonal_weights_are_scaled_isometries(shape):
    A = orthogonal_weights(*shape, sigma_w=1.3, rng=np.random.default_rng(1))
    assert A.shape == shape
    assert np.allclose(singular_values(A), 1.3, rtol=1e-12)


def test_orthogonal_weights_are_haar_not_sign_biased():
    """Without the sign fix, QR returns Q with a biased diagonal (LAPACK makes diag(R) >= 0 or <= 0)."""
    rng = np.random.default_rng(2)
    diag = np.array([np.diag(orthogonal_weights(3, rng=rng)) for _ in range(4000)])
    # under Haar, each diagonal entry of Q is symmetric about 0: mean 0, sd 1/sqrt(3)/sqrt(4000) ~ 0.009
    assert np.all(np.abs(diag.mean(axis=0)) < 0.04)
    # the entries are uniform on the sphere: E[Q_11^2] = 1/3
    assert np.mean(diag[:, 0] ** 2) == pytest.approx(1 / 3, abs=0.02)


# ----------------------------------------------------------------- the Jacobian product
@pytest.mark.parametrize("activation", ACTS)
def test_jacobian_product_equals_finite_differences(activation):
    rng = np.random.default_rng(3)
    As = [
        gaussian_weights(5, 4, sigma_w=1.2, rng=rng),
        gaussian_weights(6, 5, rng=rng),
        gaussian_weights(3, 6, rng=rng),
    ]
    x = rng.standard_normal(4)
    J = input_output_jacobian(As, x, activation)
    assert J.shape == (3, 4)
    assert np.allclose(J, jacobian(network_map(As, activation), x), atol=1e-8)


@pytest.mark.parametrize("activation", ACTS)
def test_products_extend_each_other_and_match_the_prefix_networks(activation):
    rng = np.random.default_rng(4)
    As = sample_weights(5, 4, rng=rng)
    x = rng.standard_normal(5)
    Js = jacobian_products(As, x, activation)
    for ell in range(1, 5):
        assert np.allclose(Js[ell - 1], jacobian(network_map(As[:ell], activation), x), atol=1e-8)


@pytest.mark.parametrize("activation", ACTS)
def test_backprop_pullback_is_the_adjoint_of_the_jacobian(activation):
    rng = np.random.default_rng(5)
    As = sample_weights(7, 3, init="orthogonal", sigma_w=1.1, rng=rng)
    x, g = rng.standard_normal(7), rng.standard_normal(7)
    J = input_output_jacobian(As, x, activation)
    assert np.allclose(input_pullback(As, x, g, activation), J.T @ g, atol=1e-13)
    mismatch = dot_product_test(J, lambda w: input_pullback(As, x, w, activation), (7,), (7,), rng=rng)
    assert mismatch < 1e-13
    wrong = dot_product_test(J, lambda w: J @ w, (7,), (7,), rng=rng)  # J in place of J^T
    assert wrong > 1e-3


# ----------------------------------------------------------------- Marchenko-Pastur
@pytest.mark.parametrize("ratio", [0.1, 0.5, 1.0])
@pytest.mark.parametrize("variance", [1.0, 2.5])
def test_mp_density_integrates_to_one(ratio, variance):
    a, b = marchenko_pastur_support(ratio, variance)
    assert marchenko_pastur_cdf(np.array(b), ratio, variance) == pytest.approx(1.0, abs=1e-12)
    # an independent check, away from the 1/sqrt edge: midpoint rule on a fine grid
    x = np.linspace(a, b, 400_001)
    mid = 0.5 * (x[1:] + x[:-1])
    total = np.sum(marchenko_pastur_density(mid, ratio, variance)) * (x[1] - x[0])
    assert total == pytest.approx(1.0, abs=5e-3 if ratio == 1.0 else 1e-5)


def test_mp_with_ratio_above_one_has_an_atom_at_zero():
    a, b = marchenko_pastur_support(2.0)
    x = np.linspace(a, b, 200_001)
    mid = 0.5 * (x[1:] + x[:-1])
    assert np.sum(marchenko_pastur_density(mid, 2.0)) * (x[1] - x[0]) == pytest.approx(0.5, abs=1e-5)
    assert marchenko_pastur_cdf(np.array(0.0), 2.0) == pytest.approx(0.5)
    assert marchenko_pastur_cdf(np.array(b), 2.0) == pytest.approx(1.0, abs=1e-12)


def test_mp_cdf_is_the_integral_of_the_density():
    x0 = np.array([0.3, 1.1, 2.0])
    h = 1e-5
    slope = (marchenko_pastur_cdf(x0 + h, 0.4, 1.3) - marchenko_pastur_cdf(x0 - h, 0.4, 1.3)) / (2 * h)
    assert np.allclose(slope, marchenko_pastur_density(x0, 0.4, 1.3), rtol=1e-6)


@pytest.mark.parametrize("m, n, sigma_w", [(600, 300, 1.3), (400, 400, 0.8)])
def test_mp_matches_the_squared_singular_values_of_a_gaussian_layer(m, n, sigma_w):
    """Kolmogorov distance between the sample and the law: small for the right parameters,
    large for the usual slips (variance sigma_w^2 instead of sigma_w^2 m / n, ratio inverted)."""
    rng = np.random.default_rng(6)
    ev = np.sort(
        np.concatenate([singular_values(gaussian_weights(m, n, sigma_w=sigma_w, rng=rng)) ** 2 for _ in range(4)])
    )
    emp = np.arange(1, ev.size + 1) / ev.size

    def ks(ratio, variance):
        return np.abs(marchenko_pastur_cdf(ev, ratio, variance) - emp).max()

    right = ks(n / m, sigma_w**2 * m / n)
    assert right < 0.02
    assert ks(n / m, 1.15 * sigma_w**2 * m / n) > 0.03  # 15% off in the variance is seen
    if m != n:
        assert ks(n / m, sigma_w**2) > 0.1
        assert ks(m / n, sigma_w**2 * m / n) > 0.1
    # and the histogram: the fraction in each of 20 bins against the law's mass in the bin
    edges = np.linspace(0, ev.max() * 1.01, 21)
    frac = np.histogram(ev, edges)[0] / ev.size
    mass = np.diff(marchenko_pastur_cdf(edges, n / m, sigma_w**2 * m / n))
    assert np.abs(frac - mass).max() < 0.02


# ----------------------------------------------------------------- depth laws
@pytest.mark.parametrize("sigma_w", [0.7, 1.0, 1.6])
def test_orthogonal_linear_network_has_all_singular_values_gain_to_the_depth(sigma_w):
    rng = np.random.default_rng(7)
    As = sample_weights(32, 12, init="orthogonal", sigma_w=sigma_w, rng=rng)
    s = singular_values(input_output_jacobian(As, rng.standard_normal(32), "linear"))
    assert np.allclose(s, sigma_w**12, rtol=1e-10)


@pytest.mark.parametrize("activation, sigma_w", [("linear", 0.9), ("linear", 1.2), ("relu", 1.5), ("relu", 1.2)])
def test_mean_squared_singular_value_matches_expectation_within_sampling_error(activation, sigma_w):
    depth, n, trials = 5, 16, 300
    rng = np.random.default_rng(8)
    vals = np.array(
        [depth_sweep(n, depth, sigma_w=sigma_w, activation=activation, rng=rng, kept=()).mean_sq for _ in range(trials)]
    )
    expected = predicted_mean_squared_singular_value(sigma_w, depth, activation)
    assert np.allclose(expected, (sigma_w**2 / (2 if activation == "relu" else 1)) ** np.arange(1, depth + 1))
    mean, se = vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(trials)
    assert np.all(np.abs(mean - expected) < 4 * se), (mean, expected, se)
    # the wrong law (forgetting the relu halving, or sigma_w^L instead of sigma_w^{2L}) is rejected
    wrong = sigma_w ** (2 * np.arange(1, depth + 1)) if activation == "relu" else sigma_w ** np.arange(1, depth + 1)
    assert np.any(np.abs(mean - wrong) > 4 * se)


def test_tanh_mean_field_prediction_is_close_at_large_width():
    trials = 30
    rng = np.random.default_rng(9)
    vals = np.array(
        [depth_sweep(200, 6, sigma_w=1.5, activation="tanh", rng=rng, kept=()).mean_sq for _ in range(trials)]
    )
    pred = predicted_mean_squared_singular_value(1.5, 6, "tanh")
    mean, se = vals.mean(axis=0), vals.std(axis=0, ddof=1) / np.sqrt(trials)
    assert np.all(np.abs(mean - pred) < 4 * se + 0.02 * pred)  # sampling error + an O(1/n) width correction
    assert np.all(np.abs(mean - 1.5 ** (2 * np.arange(1, 7))) > 10 * se)  # tanh is not linear


def test_critical_gains():
    assert critical_gain("linear") == 1.0 and critical_gain("tanh") == 1.0
    assert critical_gain("relu") == pytest.approx(np.sqrt(2))
    for act in ["linear", "relu"]:  # per-layer factor exactly 1 at the critical gain
        assert np.allclose(predicted_mean_squared_singular_value(critical_gain(act), 10, act), 1.0)
    # tanh at gain 1: no exponential growth or decay; the decay is slow (about 1/l)
    tanh = predicted_mean_squared_singular_value(1.0, 64, "tanh")
    assert np.all(np.diff(tanh) < 0) and tanh[-1] > 0.01
    # above the critical gain: exponential growth once the pre-activations settle (chaotic phase)
    chaotic = predicted_mean_squared_singular_value(1.3, 64, "tanh")
    assert chaotic[-1] > 10 and chaotic[-1] / chaotic[-33] > 2.0
    assert predicted_mean_squared_singular_value(0.8, 64, "tanh")[-1] < 1e-6


def test_depth_sweep_is_consistent_with_direct_products():
    sweep = depth_sweep(
        12, 6, init="orthogonal", sigma_w=1.1, activation="tanh", rng=np.random.default_rng(10), kept=(1, 3, 6)
    )
    rng = np.random.default_rng(10)  # the same draws, in the same order
    As = sample_weights(12, 6, init="orthogonal", sigma_w=1.1, rng=rng)
    x = rng.standard_normal(12)
    for ell in (1, 3, 6):
        J = input_output_jacobian(As[:ell], x, "tanh")
        assert np.allclose(sweep.singular_values[ell], singular_values(J))
        assert sweep.mean_sq[ell - 1] == pytest.approx(mean_squared_singular_value(J))
        assert sweep.mean_sq[ell - 1] == pytest.approx(np.mean(singular_values(J) ** 2))


# ----------------------------------------------------------------- bad input
def test_bad_input_is_refused_clearly():
    rng = np.random.default_rng(0)
    As = sample_weights(4, 2, rng=rng)
    with pytest.raises(ValueError, match=r"x must have shape \(4,\)"):
        input_output_jacobian(As, np.ones(3))
    with pytest.raises(ValueError, match=r"As\[1\] has shape"):
        input_output_jacobian([np.ones((3, 4)), np.ones((2, 4))], np.ones(4))
    with pytest.raises(ValueError, match="activation"):
        input_output_jacobian(As, np.ones(4), "gelu")
    with pytest.raises(ValueError, match="init"):
        sample_weights(4, 2, init="uniform", rng=rng)
    with pytest.raises(TypeError, match="rng"):
        gaussian_weights(3, 3, rng=0)
    with pytest.raises(ValueError, match="sigma_w"):
        gaussian_weights(3, 3, sigma_w=-1.0, rng=rng)
    with pytest.raises(ValueError, match="depth"):
        sample_weights(4, 0, rng=rng)
    with pytest.raises(ValueError, match="ratio"):
        marchenko_pastur_density(np.ones(3), 0.0)
    with pytest.raises(ValueError, match=r"g must have the output's shape \(4,\)"):
        input_pullback(As, np.ones(4), np.ones(5))
    with pytest.raises(TypeError, match="integer"):
        singular_values(np.eye(3, dtype=int))
    with pytest.raises(ValueError, match="NaN"):
        input_output_jacobian(As, np.array([np.nan, 0, 0, 0]))
    with pytest.raises(ValueError, match="kept"):
        depth_sweep(4, 3, rng=rng, kept=(4,))


# ----------------------------------------------------------------- normalization: layer norm's Jacobian
def engine_layer_norm(z):
    """LN(z) = (z - mean z) / sqrt(mean (z - mean z)^2), written with the engine's operations (its own pullback)."""
    c = z - z.mean()
    return c / (c * c).mean() ** 0.5


def test_layer_norm_is_centred_and_scaled():
    z = np.random.default_rng(0).standard_normal(7) * 3 + 2
    y = layer_norm(z)
    assert y.mean() == pytest.approx(0.0, abs=1e-14) and y @ y == pytest.approx(7.0)
    np.testing.assert_allclose(layer_norm(5 * z - 4), y, atol=1e-13)  # blind to a shift and a positive scale


@pytest.mark.parametrize("seed", range(3))
def test_layer_norm_jacobian_matches_finite_differences_and_the_engine_pullback(seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(6) * 2
    J = layer_norm_jacobian(z)
    np.testing.assert_allclose(J, jacobian(layer_norm, z), atol=1e-8)
    _, pullback = vjp(engine_layer_norm, z)
    assert dot_product_test(J, lambda w: pullback(w)[0], (6,), rng=rng) < 1e-12


def test_layer_norm_jacobian_is_a_projection_divided_by_the_standard_deviation():
    """8.8, eq-8-8-layer-norm: J_LN = (1/s) Pi, Pi the orthogonal projection onto the complement of span{1, LN(z)}:
    rank n - 2."""
    z = np.random.default_rng(3).standard_normal(8) * 4
    s = np.std(z)
    Pi = s * layer_norm_jacobian(z)
    np.testing.assert_allclose(Pi, Pi.T, atol=1e-14)
    np.testing.assert_allclose(Pi @ Pi, Pi, atol=1e-13)
    np.testing.assert_allclose(Pi @ np.ones(8), 0.0, atol=1e-13)
    np.testing.assert_allclose(Pi @ z, 0.0, atol=1e-12)  # z = mean 1 + s y: both directions are killed
    assert np.linalg.matrix_rank(Pi) == 6
    np.testing.assert_allclose(np.sort(singular_values(layer_norm_jacobian(z)))[2:], 1 / s, rtol=1e-12)


@pytest.mark.parametrize("act", ACTS)
def test_normalized_network_jacobian_matches_finite_differences_and_the_engine(act):
    rng = np.random.default_rng(4)
    As = sample_weights(6, 3, sigma_w=1.3, rng=rng)
    x = rng.standard_normal(6)
    J = input_output_jacobian(As, x, act, norm="layer")
    np.testing.assert_allclose(J, jacobian(network_map(As, act, norm="layer"), x), atol=1e-7)
    sigma = {"linear": lambda u: u, "tanh": companion.tanh, "relu": companion.relu}[act]

    def f(x):
        h = x
        for A in As:
            h = sigma(engine_layer_norm(A @ h))
        return h

    _, pullback = vjp(f, x)
    assert dot_product_test(J, lambda w: pullback(w)[0], (6,), rng=rng) < 1e-10


@pytest.mark.parametrize("act", ACTS)
def test_layer_norm_takes_the_gain_out_of_the_jacobian(act):
    """8.8, prop-8-8-layer-norm: LN(c z) = LN(z) and J_LN(c z) = J_LN(z) / c: scaling every layer by a gain changes
    nothing after a layer norm,
    while without it a linear network's Jacobian scales by gain^L."""
    rng = np.random.default_rng(5)
    As = sample_weights(8, 5, sigma_w=1.0, rng=rng)
    x = rng.standard_normal(8)
    J1 = input_output_jacobian(As, x, act, norm="layer")
    for g in (0.3, 2.5):
        np.testing.assert_allclose(
            input_output_jacobian([g * A for A in As], x, act, norm="layer"), J1, rtol=1e-9, atol=1e-12
        )
    if act == "linear":
        np.testing.assert_allclose(
            input_output_jacobian([2.5 * A for A in As], x), 2.5**5 * input_output_jacobian(As, x), rtol=1e-12
        )


def test_layer_norm_network_has_exactly_two_zero_singular_values():
    """The last layer norm kills span{1, y}: a linear network with layer norm has rank n - 2, no less."""
    rng = np.random.default_rng(6)
    As = sample_weights(10, 4, rng=rng)
    s = singular_values(input_output_jacobian(As, rng.standard_normal(10), norm="layer"))
    assert s[-1] < 1e-12 * s[0] and s[-2] < 1e-12 * s[0] and s[-3] > 1e-6 * s[0]


def test_depth_sweep_with_layer_norm_does_not_depend_on_the_gain():
    a = depth_sweep(32, 8, sigma_w=0.5, activation="tanh", rng=np.random.default_rng(7), kept=(8,), norm="layer")
    b = depth_sweep(32, 8, sigma_w=2.0, activation="tanh", rng=np.random.default_rng(7), kept=(8,), norm="layer")
    np.testing.assert_allclose(a.mean_sq, b.mean_sq, rtol=1e-9)
    np.testing.assert_allclose(a.singular_values[8], b.singular_values[8], rtol=1e-7, atol=1e-12)


def test_layer_norm_factor_exact_cases_and_simulation():
    """8.8, eq-8-8-chi-ln: chi_LN = (1 - 2/n) E[sigma'^2] / E[sigma^2]: 1 - 2/n for linear and ReLU; for tanh checked
    against the
    per-layer growth of sampled networks (geometric mean over depths 8 to 24, 12 networks of width 128)."""
    assert layer_norm_factor("linear", 10) == pytest.approx(0.8)
    assert layer_norm_factor("relu", 10) == pytest.approx(0.8)
    chi = layer_norm_factor("tanh", 128)
    assert 1.15 < chi < 1.17
    rng = np.random.default_rng(12)
    ms = np.array([depth_sweep(128, 24, activation="tanh", rng=rng, kept=(), norm="layer").mean_sq for _ in range(12)])
    growth = np.exp(np.mean(np.log(ms[:, -1] / ms[:, 7])) / 16)
    assert growth == pytest.approx(chi, rel=0.02)
    with pytest.raises(ValueError, match="n must be"):
        layer_norm_factor("tanh", 2)


# ----------------------------------------------------------------- curvature at initialization
def _flat(As):
    return np.concatenate([A.ravel() for A in As])


def _unflat(theta, As):
    out, i = [], 0
    for A in As:
        out.append(theta[i : i + A.size].reshape(A.shape))
        i += A.size
    return out


@pytest.mark.parametrize("act", ACTS)
def test_parameter_jacobian_matches_finite_differences_and_the_engine_pullback(act):
    rng = np.random.default_rng(8)
    As, X = sample_weights(4, 3, sigma_w=1.2, rng=rng), rng.standard_normal((3, 4))
    Jt = parameter_jacobian(As, X, act)
    assert Jt.shape == (3 * 4, 3 * 16)

    def outputs(theta):
        return np.concatenate([network_map(_unflat(theta, As), act)(x) for x in X])

    np.testing.assert_allclose(Jt, jacobian(outputs, _flat(As)), atol=1e-7)
    sigma = {"linear": lambda u: u, "tanh": companion.tanh, "relu": companion.relu}[act]

    def f(*Ws):  # the outputs for the batch, (B, n), as a function of the weights
        H = X.T
        for W in Ws:
            H = sigma(W @ H)
        return H.T

    _, pullback = vjp(f, *As)
    pull = lambda w: _flat(pullback(w.reshape(3, 4)))
    assert dot_product_test(Jt, pull, (Jt.shape[1],), (Jt.shape[0],), rng=rng) < 1e-10


@pytest.mark.parametrize("act", ACTS)
def test_gauss_newton_spectrum_is_that_of_j_theta_and_the_hessian_at_zero_residual(act):
    """8.8, eq-8-8-gauss-newton: G = J_theta^T J_theta / B: its nonzero eigenvalues are those of J_theta J_theta^T /
    B, and where the targets are
    the network's own outputs (zero residual) it is the Hessian of (1/2B) sum_b |h_L(x_b) - y_b|^2."""
    rng = np.random.default_rng(9)
    As, X = sample_weights(3, 2, sigma_w=1.1, rng=rng), rng.standard_normal((2, 3))
    ev = gauss_newton_eigenvalues(As, X, act)
    Jt = parameter_jacobian(As, X, act)
    np.testing.assert_allclose(ev, np.sort(np.linalg.eigvalsh(Jt @ Jt.T / 2))[::-1], rtol=1e-10, atol=1e-13)
    theta0 = _flat(As)
    Y = np.concatenate([network_map(As, act)(x) for x in X])

    def loss(theta):
        out = np.concatenate([network_map(_unflat(theta, As), act)(x) for x in X])
        return 0.5 * np.sum((out - Y) ** 2) / 2

    h, n = 1e-4, theta0.size
    E = np.eye(n) * h
    Hess = np.array(
        [
            [
                (
                    loss(theta0 + E[i] + E[j])
                    - loss(theta0 + E[i] - E[j])
                    - loss(theta0 - E[i] + E[j])
                    + loss(theta0 - E[i] - E[j])
                )
                / (4 * h * h)
                for j in range(n)
            ]
            for i in range(n)
        ]
    )
    hess_ev = np.sort(np.linalg.eigvalsh(0.5 * (Hess + Hess.T)))[::-1][: ev.size]
    np.testing.assert_allclose(hess_ev, ev, rtol=1e-4, atol=1e-6)


def test_gauss_newton_condition_of_a_linear_network_ignores_the_gain_but_not_the_spread():
    """8.8, remark rem-8-8-gain-curvature. Linear layers: a gain g multiplies G by g^(2(L-1)) (each weight's term has
    L - 1 other factors), so the
    condition number is the same for every gain; it grows with depth for Gaussian layers (their spread) and not
    for orthogonal ones."""
    rng = np.random.default_rng(10)
    As, X = sample_weights(16, 6, rng=rng), rng.standard_normal((4, 16))
    ev = gauss_newton_eigenvalues(As, X)
    np.testing.assert_allclose(gauss_newton_eigenvalues([1.7 * A for A in As], X), 1.7**10 * ev, rtol=1e-9)

    def median_condition(init, L):
        cs = []
        for _ in range(5):
            e = gauss_newton_eigenvalues(sample_weights(16, L, init=init, rng=rng), rng.standard_normal((4, 16)))
            cs.append(e[0] / e[-1])
        return np.median(cs)

    gauss = [median_condition("gaussian", L) for L in (1, 8)]
    orth = [median_condition("orthogonal", L) for L in (1, 8)]
    assert gauss[1] > 30 * gauss[0]
    assert orth[1] < 3 * orth[0]


def test_saturated_tanh_outputs_condition_the_gauss_newton_matrix_at_depth_one():
    """8.8, "The onset of pathological curvature": with tanh units the last layer's derivatives D_L enter every
    block of J_theta; inputs that saturate some units make G ill-conditioned at depth 1, inputs small enough that
    none saturates do not (then D_L is close to the identity, as for a linear layer)."""
    rng = np.random.default_rng(11)

    def median_condition(scale):
        cs = []
        for _ in range(5):
            As, X = sample_weights(32, 1, rng=rng), scale * rng.standard_normal((4, 32))
            e = gauss_newton_eigenvalues(As, X, activation="tanh")
            cs.append(e[0] / e[-1])
        return np.median(cs)

    assert median_condition(1.0) > 100
    assert median_condition(0.05) < 10


def test_markdown_table():
    text = markdown_table(["L", "value"], [[1, 2.34567], ["x", np.float64(1.5e-5)]])
    assert text.splitlines() == ["| L | value |", "|---|---|", "| 1 | 2.35 |", "| x | 1.5e-05 |"]
    with pytest.raises(ValueError, match=r"rows\[0\] has 1 entries for 2 columns"):
        markdown_table(["a", "b"], [[1]])


def test_normalization_and_curvature_bad_input():
    rng = np.random.default_rng(11)
    As = sample_weights(4, 2, rng=rng)
    with pytest.raises(ValueError, match="norm must be one of"):
        input_output_jacobian(As, np.ones(4), norm="batch")
    with pytest.raises(ValueError, match="norm"):
        depth_sweep(4, 2, rng=rng, norm="batch")
    with pytest.raises(ValueError, match="constant"):
        layer_norm(np.ones(5))
    with pytest.raises(ValueError, match="at least 2 entries"):
        layer_norm_jacobian(np.ones(1))
    with pytest.raises(ValueError, match=r"X must hold one input per row, each of length 4 .* got \(3, 5\)"):
        gauss_newton_eigenvalues(As, np.ones((3, 5)))
    with pytest.raises(ValueError, match="X must be 2-d"):
        parameter_jacobian(As, np.ones(4))
