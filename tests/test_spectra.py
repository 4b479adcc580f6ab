"""8.8: the input-output Jacobian at initialization, its singular values and their reference laws."""

from __future__ import annotations

import numpy as np
import pytest

from companion import dot_product_test, jacobian
from companion.spectra import (
    critical_gain,
    depth_sweep,
    gaussian_weights,
    input_output_jacobian,
    input_pullback,
    jacobian_products,
    marchenko_pastur_cdf,
    marchenko_pastur_density,
    marchenko_pastur_support,
    mean_squared_singular_value,
    network_map,
    orthogonal_weights,
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
    As = [gaussian_weights(5, 4, sigma_w=1.2, rng=rng), gaussian_weights(6, 5, rng=rng), gaussian_weights(3, 6, rng=rng)]
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
    for l in range(1, 5):
        assert np.allclose(Js[l - 1], jacobian(network_map(As[:l], activation), x), atol=1e-8)


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
    ev = np.sort(np.concatenate([singular_values(gaussian_weights(m, n, sigma_w=sigma_w, rng=rng)) ** 2 for _ in range(4)]))
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
    vals = np.array([depth_sweep(n, depth, sigma_w=sigma_w, activation=activation, rng=rng, kept=()).mean_sq for _ in range(trials)])
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
    vals = np.array([depth_sweep(200, 6, sigma_w=1.5, activation="tanh", rng=rng, kept=()).mean_sq for _ in range(trials)])
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
    sweep = depth_sweep(12, 6, init="orthogonal", sigma_w=1.1, activation="tanh", rng=np.random.default_rng(10), kept=(1, 3, 6))
    rng = np.random.default_rng(10)  # the same draws, in the same order
    As = sample_weights(12, 6, init="orthogonal", sigma_w=1.1, rng=rng)
    x = rng.standard_normal(12)
    for l in (1, 3, 6):
        J = input_output_jacobian(As[:l], x, "tanh")
        assert np.allclose(sweep.singular_values[l], singular_values(J))
        assert sweep.mean_sq[l - 1] == pytest.approx(mean_squared_singular_value(J))
        assert sweep.mean_sq[l - 1] == pytest.approx(np.mean(singular_values(J) ** 2))


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
