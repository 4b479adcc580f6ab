"""Spectra of the input-output Jacobian of a deep network at initialization (8.8).

Backprop applies adjoint Jacobians over and over (8.4, 8.5); for the map from the input
``x = h_0`` to the output ``h_L`` of ``h_l = sigma(A_l h_{l-1})`` the Jacobian is the product

    J = D_L A_L ... D_2 A_2 D_1 A_1,    D_l = Diag(sigma'(z_l)),  z_l = A_l h_{l-1},

of random matrices and random diagonals when the weights are drawn at random. Its
singular values say how the network stretches a small change of its input (forward)
and, since the pullback is ``J^T``, how much a covector at the output grows or shrinks on
its way back (backward): if they drift away from 1 as the depth grows, signals and
gradients explode or vanish. This module samples such networks (Gaussian or orthogonal
layers, biases zero), builds the products for every depth in one pass, and provides the
reference laws: the Marchenko-Pastur law of one Gaussian layer, and the mean squared
singular value ``(1/n) tr(J^T J)`` (exact for linear and ReLU networks, a large-width
mean-field recursion for tanh), whose per-layer factor is 1 at the *critical* gain.

Two things Chapter 9 returns to are here too: a normalization layer (layer norm, whose
Jacobian is a projection divided by the standard deviation of its input: ``norm="layer"``
in :func:`network_map`, :func:`jacobian_products` and :func:`depth_sweep`), and the
curvature at initialization: the spectrum of the Gauss-Newton matrix ``G = J_theta^T J_theta / B``
of the squared loss, ``J_theta`` the Jacobian of the outputs with respect to the weights
(:func:`parameter_jacobian`, :func:`gauss_newton_eigenvalues`).

Layers are square ``(n, n)`` unless said otherwise; vectors are 1-d arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validate import (
    MAX_SIZE,
    MAX_STEPS,
    as_choice,
    as_count,
    as_float_array,
    as_float_arrays,
    as_int,
    as_limit,
    as_number,
    as_rng,
    check_limit,
    describe,
    shape_str,
)
from .models import ACTIVATIONS, mlp_backward, mlp_forward

__all__ = [
    "SPECTRA_ACTIVATIONS",
    "INITS",
    "gaussian_weights",
    "orthogonal_weights",
    "sample_weights",
    "network_map",
    "jacobian_products",
    "input_output_jacobian",
    "input_pullback",
    "singular_values",
    "mean_squared_singular_value",
    "marchenko_pastur_support",
    "marchenko_pastur_density",
    "marchenko_pastur_cdf",
    "critical_gain",
    "predicted_mean_squared_singular_value",
    "DepthSweep",
    "depth_sweep",
    "NORMS",
    "layer_norm",
    "layer_norm_jacobian",
    "layer_norm_factor",
    "parameter_jacobian",
    "gauss_newton_eigenvalues",
    "markdown_table",
]

SPECTRA_ACTIVATIONS = ("linear", "tanh", "relu")
INITS = ("gaussian", "orthogonal")
NORMS = (None, "layer")
"""Normalizations between the weights and the activation: none, or layer norm ``h_l = sigma(LN(A_l h_{l-1}))``."""
_MODEL_NAME = {"linear": "identity", "identity": "identity", "tanh": "tanh", "relu": "relu"}


def _gain(sigma_w):
    return as_number(sigma_w, "sigma_w", positive=True)


def _activation(name):
    as_choice(name, "activation", tuple(_MODEL_NAME))
    return _MODEL_NAME[name]


def _layers_limit(n, depth, max_size, max_steps):
    """``depth <= max_steps`` layers of ``n x n`` weights, ``n * n * depth <= max_size`` entries."""
    n = as_count(n, "n")
    depth = as_count(depth, "depth", limit=as_limit(max_steps, "max_steps"), what="layers", keyword="max_steps")
    check_limit(n * n * depth, as_limit(max_size), name=f"n={n} and depth={depth}", what="weights (n x n per layer)")
    return n, depth


# --------------------------------------------------------------------------- sampling
def gaussian_weights(
    m: int, n: int, *, sigma_w: float = 1.0, rng: np.random.Generator, max_size: int = MAX_SIZE
) -> np.ndarray:
    """``A`` ``(m, n)`` with i.i.d. entries ``N(0, sigma_w^2 / n)`` (variance over the fan-in ``n``).

    More than ``max_size`` entries are refused up front (``ValueError``).
    """
    m, n = as_count(m, "m"), as_count(n, "n")
    check_limit(m * n, as_limit(max_size), name=f"m={m} and n={n}", what="entries")
    return _gain(sigma_w) * as_rng(rng).standard_normal((m, n)) / np.sqrt(n)


def orthogonal_weights(
    m: int, n: int | None = None, *, sigma_w: float = 1.0, rng: np.random.Generator, max_size: int = MAX_SIZE
) -> np.ndarray:
    """``sigma_w Q`` with ``Q`` ``(m, n)`` Haar-distributed with orthonormal columns (``m >= n``) or rows (``m < n``).

    ``Q`` comes from the QR factorization ``G = Q R`` of a Gaussian ``G``, with the signs
    fixed (``Q <- Q Diag(sign(diag R))``) so that its law is uniform (Haar), not biased by
    the QR routine's sign convention. Every singular value of ``Q`` is 1. More than
    ``max_size`` entries are refused up front (``ValueError``).
    """
    m = as_count(m, "m")
    n = m if n is None else as_count(n, "n")
    check_limit(m * n, as_limit(max_size), name=f"m={m} and n={n}", what="entries")
    g, rng = _gain(sigma_w), as_rng(rng)
    tall = m >= n
    G = rng.standard_normal((m, n) if tall else (n, m))
    Q, R = np.linalg.qr(G)
    Q = Q * np.where(np.diag(R) < 0, -1.0, 1.0)
    return g * (Q if tall else Q.T)


def sample_weights(
    n: int,
    depth: int,
    *,
    init: str = "gaussian",
    sigma_w: float = 1.0,
    rng: np.random.Generator,
    max_size: int = MAX_SIZE,
    max_steps: int = MAX_STEPS,
) -> list:
    """``depth`` independent ``(n, n)`` layers ``[A_1, ..., A_L]``: Gaussian ``N(0, sigma_w^2/n)`` or ``sigma_w``
    times Haar-orthogonal.

    More than ``max_steps`` layers, or ``n * n * depth`` above ``max_size`` weights, are refused
    up front (``ValueError``).
    """
    n, depth = _layers_limit(n, depth, max_size, max_steps)
    as_choice(init, "init", INITS)
    _gain(sigma_w)
    rng = as_rng(rng)
    make = gaussian_weights if init == "gaussian" else orthogonal_weights
    return [make(n, n, sigma_w=sigma_w, rng=rng, max_size=max_size) for _ in range(depth)]


def _norm(norm):
    if norm is not None:
        as_choice(norm, "norm", ("layer",))
    return norm


def _check_layers(As):
    As = as_float_arrays(As, "As", ndim=2, allow_empty=False)
    for ell in range(1, len(As)):
        if As[ell].shape[1] != As[ell - 1].shape[0]:
            raise ValueError(
                f"As[{ell}] has shape {shape_str(As[ell].shape)} "
                f"but As[{ell - 1}] outputs {As[ell - 1].shape[0]} features"
            )
    return As


def _check_x(As, x):
    x = as_float_array(x, "x", ndim=1)
    if x.shape != (As[0].shape[1],):
        raise ValueError(
            f"x must have shape ({As[0].shape[1]},) to enter As[0] of shape {shape_str(As[0].shape)}, got "
            f"{shape_str(x.shape)}"
        )
    return x


# --------------------------------------------------------------------------- the Jacobian
def network_map(As, activation: str = "linear", *, norm: str | None = None):
    """The map ``x -> h_L`` of ``h_l = sigma(A_l h_{l-1})`` (no biases), as a function of ``x`` ``(n_0,)``;
    with ``norm="layer"``, ``h_l = sigma(LN(A_l h_{l-1}))``."""
    As = _check_layers(As)
    name = _activation(activation)
    if _norm(norm) == "layer":
        sigma = ACTIVATIONS[name][0]

        def f(x):
            h = x
            for A in As:
                h = sigma(layer_norm(A @ h))
            return h

        return f
    zeros = [np.zeros(A.shape[0]) for A in As]
    return lambda x: mlp_forward(As, zeros, x, name)[0]


def jacobian_products(As, x, activation: str = "linear", *, norm: str | None = None) -> list:
    """``[J_1, ..., J_L]`` with ``J_l = D_l A_l J_{l-1}`` (``J_0 = I``), ``D_l = Diag(sigma'(z_l))``, at the input
    ``x``.

    ``J_l`` ``(n_l, n_0)`` is the Jacobian of ``x -> h_l``; each product extends the one
    before it, so every depth costs one matrix product. With ``norm="layer"`` each layer is
    ``h_l = sigma(LN(z_l))`` and ``J_l = D_l J_LN(z_l) A_l J_{l-1}`` (``companion.spectra.layer_norm_jacobian``).
    """
    As = _check_layers(As)
    x = _check_x(As, x)
    name = _activation(activation)
    if _norm(norm) == "layer":
        return _normalized_products(As, x, name)
    _, cache = mlp_forward(As, [np.zeros(A.shape[0]) for A in As], x, name)
    dsigma = ACTIVATIONS[name][1]
    Js, J = [], None
    for ell, A in enumerate(As):
        d = dsigma(cache.z[ell], cache.h[ell + 1])  # the diagonal of D_l
        AJ = A if J is None else A @ J
        J = d[:, None] * AJ
        Js.append(J)
    return Js


def input_output_jacobian(As, x, activation: str = "linear", *, norm: str | None = None) -> np.ndarray:
    """``J = D_L A_L ... D_1 A_1`` ``(n_L, n_0)``: the differential of ``x -> h_L`` at ``x`` (``norm``: as in
    :func:`jacobian_products`)."""
    return jacobian_products(As, x, activation, norm=norm)[-1]


def input_pullback(As, x, g, activation: str = "linear") -> np.ndarray:
    """``J^T g`` by backprop (8.5.4): the covector ``g`` ``(n_L,)`` at the output pulled back to the input.

    Runs the backward recursion ``delta_l = D_l A_{l+1}^T delta_{l+1}`` of
    ``companion.models.mlp_backward``; no Jacobian is formed.
    """
    As = _check_layers(As)
    x = _check_x(As, x)
    name = _activation(activation)
    _, cache = mlp_forward(As, [np.zeros(A.shape[0]) for A in As], x, name)
    g = as_float_array(g, "g", ndim=1)
    if g.shape != (As[-1].shape[0],):
        raise ValueError(f"g must have the output's shape ({As[-1].shape[0]},), got {shape_str(g.shape)}")
    return mlp_backward(As, cache, g, input_grad=True).x


def singular_values(J) -> np.ndarray:
    """Singular values of ``J`` ``(m, n)``, in decreasing order (``min(m, n)`` of them)."""
    J = as_float_array(J, "J", ndim=2, allow_empty=False)
    return np.linalg.svd(J, compute_uv=False)


def mean_squared_singular_value(J) -> float:
    """``(1/n) tr(J^T J) = |J|_F^2 / n`` for ``J`` ``(m, n)``: the mean of ``|J v|^2`` over unit ``v`` (uniform on
    the sphere).

    For a square ``J`` it is the mean of the squared singular values.
    """
    J = as_float_array(J, "J", ndim=2, allow_empty=False)
    return float(np.vdot(J, J)) / J.shape[1]


# --------------------------------------------------------------------------- reference laws
def _mp_params(ratio, variance):
    return as_number(ratio, "ratio", positive=True), as_number(variance, "variance", positive=True)


def marchenko_pastur_support(ratio: float, variance: float = 1.0) -> tuple[float, float]:
    """Edges ``(a, b) = variance (1 -+ sqrt(ratio))^2`` of the Marchenko-Pastur law."""
    lam, s2 = _mp_params(ratio, variance)
    return s2 * (1 - np.sqrt(lam)) ** 2, s2 * (1 + np.sqrt(lam)) ** 2


def marchenko_pastur_density(x, ratio: float, variance: float = 1.0) -> np.ndarray:
    """Marchenko-Pastur density ``sqrt((b - x)(x - a)) / (2 pi variance ratio x)`` on ``[a, b]``, zero outside.

    The law of the eigenvalues of ``(1/N) X X^T`` for ``X`` ``(p, N)`` with i.i.d. entries of
    mean 0 and variance ``variance``, as ``p, N -> inf`` with ``p / N -> ratio``. For
    ``ratio > 1`` a mass ``1 - 1/ratio`` sits at 0 (not included: this continuous part
    then integrates to ``1/ratio``).

    One Gaussian layer ``A`` ``(m, n)`` with entries ``N(0, sigma_w^2 / n)``: the squared
    singular values of ``A`` (eigenvalues of ``A^T A``, ``n`` of them) follow this law with
    ``ratio = n / m`` and ``variance = sigma_w^2 m / n`` (square layer: ``1`` and ``sigma_w^2``).
    """
    lam, s2 = _mp_params(ratio, variance)
    x = as_float_array(x, "x")
    a, b = marchenko_pastur_support(lam, s2)
    inside = (x > a) & (x < b) & (x > 0)
    out = np.zeros_like(x, dtype=float)
    xi = x[inside]
    out[inside] = np.sqrt((b - xi) * (xi - a)) / (2 * np.pi * s2 * lam * xi)
    return out


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(80)


def marchenko_pastur_cdf(x, ratio: float, variance: float = 1.0, *, max_size: int = MAX_SIZE) -> np.ndarray:
    """``P(eigenvalue <= x)`` for the Marchenko-Pastur law, including the mass ``max(0, 1 - 1/ratio)`` at 0.

    Integrates the density after the substitution ``x = a + (b - a) sin^2(theta)``, which
    removes the square-root edges (and the ``1/x`` pole at ``a = 0`` when ``ratio = 1``):
    the integrand is then smooth and Gauss-Legendre quadrature is accurate to round-off.
    It works on ``80 x.size`` quadrature nodes at once: above ``max_size`` that is refused (``ValueError``).
    """
    lam, s2 = _mp_params(ratio, variance)
    x = as_float_array(x, "x")
    check_limit(
        x.size * _GL_NODES.size,
        as_limit(max_size),
        name=f"x of shape {shape_str(x.shape)}",
        what=f"quadrature nodes ({_GL_NODES.size} per entry of x)",
    )
    a, b = marchenko_pastur_support(lam, s2)
    atom = max(0.0, 1.0 - 1.0 / lam)
    theta_max = np.arcsin(np.sqrt(np.clip((x - a) / (b - a), 0.0, 1.0)))
    # for each x: integrate g(theta) over [0, theta_max], nodes mapped from [-1, 1]
    th = 0.5 * theta_max[..., None] * (_GL_NODES + 1)
    sin2, cos2 = np.sin(th) ** 2, np.cos(th) ** 2
    xs = a + (b - a) * sin2
    # f(x) dx = sqrt((b-x)(x-a)) / (2 pi s2 lam x) * 2 (b-a) sin cos dtheta, sqrt(...) = (b-a) sin cos
    with np.errstate(invalid="ignore", divide="ignore"):  # xs = 0 only where sin2 = 0 (a = 0): g = 0 there
        g = np.where(xs > 0, (b - a) ** 2 * sin2 * cos2 / (np.pi * s2 * lam * xs), 0.0)
    cont = 0.5 * theta_max * np.sum(_GL_WEIGHTS * g, axis=-1)
    return np.where(x < 0, 0.0, atom + cont)


def critical_gain(activation: str) -> float:
    """The gain ``sigma_w`` at which the mean squared singular value stays of order 1 with depth.

    ``1`` for linear and tanh (``tanh'(0) = 1``), ``sqrt(2)`` for ReLU (it zeroes half the
    coordinates, halving ``E |J v|^2`` per layer).
    """
    _activation(activation)
    return float(np.sqrt(2.0)) if activation == "relu" else 1.0


_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(81)
_GH_W = _GH_W / _GH_W.sum()  # expectation over xi ~ N(0, 1)


def predicted_mean_squared_singular_value(
    sigma_w: float, depth: int, activation: str = "linear", *, q0: float = 1.0, max_steps: int = MAX_STEPS
) -> np.ndarray:
    """``E[(1/n) tr(J_l^T J_l)]`` for ``l = 1..depth`` (an array of length ``depth``).

    The per-layer factor is ``chi_l = sigma_w^2 E[sigma'(z_l)^2]``:

    - linear: ``sigma_w^{2l}``, exact at every width (Gaussian: in expectation;
      orthogonal: deterministically);
    - ReLU: ``(sigma_w^2 / 2)^l``, exact in expectation (the sign flip ``A -> -A`` shows that
      ``sigma'(z) = 1`` on half of the mass of ``(A v)_i^2``);
    - tanh: the large-width (mean-field) prediction, with the pre-activation variance
      ``q_1 = sigma_w^2 q0``, ``q_{l+1} = sigma_w^2 E[tanh(sqrt(q_l) xi)^2]`` (``xi ~ N(0, 1)``,
      ``q0 = |x|^2 / n``); the expectations by Gauss-Hermite quadrature.

    More than ``max_steps`` layers are refused up front (``ValueError``).
    """
    g2 = _gain(sigma_w) ** 2
    depth = as_count(depth, "depth", limit=as_limit(max_steps, "max_steps"), what="layers", keyword="max_steps")
    _activation(activation)
    q0 = as_number(q0, "q0", nonnegative=True)
    ls = np.arange(1, depth + 1)
    if activation in ("linear", "identity"):
        return g2**ls
    if activation == "relu":
        return (g2 / 2) ** ls
    chi = np.empty(depth)
    q = g2 * float(q0)
    for ell in range(depth):
        z = np.sqrt(q) * _GH_X
        chi[ell] = g2 * float(_GH_W @ (1 - np.tanh(z) ** 2) ** 2)
        q = g2 * float(_GH_W @ np.tanh(z) ** 2)
    return np.cumprod(chi)


@dataclass
class DepthSweep:
    """One sampled network, seen at every depth: ``mean_sq[l-1] = (1/n) tr(J_l^T J_l)`` for ``l = 1..L``,
    and the singular values of ``J_l`` for ``l`` in ``kept`` (``{l: (n,) array}``, decreasing)."""

    n: int
    init: str
    sigma_w: float
    activation: str
    mean_sq: np.ndarray
    singular_values: dict


def depth_sweep(
    n: int,
    depth: int,
    *,
    init: str = "gaussian",
    sigma_w: float = 1.0,
    activation: str = "linear",
    rng: np.random.Generator,
    kept=None,
    norm: str | None = None,
    max_size: int = MAX_SIZE,
    max_steps: int = MAX_STEPS,
) -> DepthSweep:
    """Sample ``depth`` layers and a Gaussian input ``x ~ N(0, I_n)``; return ``DepthSweep``.

    One forward pass builds ``J_1, ..., J_L`` (each product extends the previous one);
    singular values are computed only at the depths in ``kept`` (default: all). More than
    ``max_steps`` layers, or ``n * n * depth`` above ``max_size``, are refused up front. ``norm="layer"``
    puts a layer norm after each weight matrix (:func:`jacobian_products`).
    """
    rng = as_rng(rng)
    n, depth = _layers_limit(n, depth, max_size, max_steps)
    _activation(activation)
    _norm(norm)
    if kept is None:
        kept = tuple(range(1, depth + 1))
    elif isinstance(kept, (str, bytes)) or not isinstance(kept, (list, tuple, range, np.ndarray)):
        raise TypeError(f"kept must be a list of depths in 1..{depth}, got {describe(kept)}")
    else:
        kept = tuple(as_int(k, "kept", min=1, max=depth) for k in kept)
    As = sample_weights(n, depth, init=init, sigma_w=sigma_w, rng=rng, max_size=max_size, max_steps=max_steps)
    x = rng.standard_normal(n)
    Js = jacobian_products(As, x, activation, norm=norm)
    mean_sq = np.array([mean_squared_singular_value(J) for J in Js])
    svs = {k: singular_values(Js[k - 1]) for k in kept}
    return DepthSweep(
        n=n, init=init, sigma_w=float(sigma_w), activation=activation, mean_sq=mean_sq, singular_values=svs
    )


# --------------------------------------------------------------------------- normalization
def _centred(z, name="z"):
    z = as_float_array(z, name, ndim=1)
    if z.size < 2:
        raise ValueError(f"{name} must have at least 2 entries to be normalized, got shape {shape_str(z.shape)}")
    c = z - z.mean()
    s = float(np.sqrt(np.mean(c * c)))
    if not s > 1e-300:
        raise ValueError(f"{name} is constant: its standard deviation is 0 and layer norm is not defined there")
    return c, s


def layer_norm(z) -> np.ndarray:
    """``LN(z) = P z / s(z)`` for ``z`` ``(n,)``: centred by ``P = I - 1 1^T / n``, divided by ``s(z) = |P z| /
    sqrt(n)``
    (no gain, no bias, no ``eps``: the map itself). ``LN(z)`` has mean 0 and ``|LN(z)|^2 = n``."""
    c, s = _centred(z)
    return c / s


def layer_norm_jacobian(z) -> np.ndarray:
    """``J_LN(z) = (P - y y^T / n) / s(z)`` ``(n, n)``, ``y = LN(z)``: ``1 / s`` times the orthogonal projection onto
    the complement of ``span{1, y}`` (symmetric, so it is its own adjoint; rank ``n - 2``).

    From ``dLN = (P dz) / s - (P z) ds / s^2`` and ``ds = y^T dz / n``: a shift of ``z`` along ``1`` or a rescaling
    along ``z`` itself does not change ``LN(z)``, and every other direction is divided by ``s``.
    """
    c, s = _centred(z)
    n = c.size
    y = c / s
    return (np.eye(n) - 1.0 / n - np.outer(y, y) / n) / s


def layer_norm_factor(activation: str, n: int) -> float:
    """The large-width per-layer factor of the mean squared singular value in ``h_l = sigma(LN(A_l h_{l-1}))``:
    ``chi_LN = (1 - 2/n) E[sigma'(xi)^2] / E[sigma(xi)^2]``, ``xi ~ N(0, 1)``, for every layer after the first.

    ``LN(z_l)`` has unit mean square, so the pre-activations are ``N(0, 1)`` whatever the gain; ``J_LN`` divides
    by ``s(z_l) ~ sigma_w |h_{l-1}| / sqrt(n)``, which cancels the gain and leaves ``1 / E[sigma(xi)^2]``; its
    projection keeps ``n - 2`` of ``n`` dimensions. Linear and ReLU: ``1 - 2/n``; tanh: about ``1.18 (1 - 2/n)``.
    """
    name = _activation(activation)
    n = as_count(n, "n", min=3)
    if name != "tanh":  # exact: E[1] / E[xi^2] = 1, and for ReLU E[1{xi > 0}] / E[max(xi, 0)^2] = (1/2) / (1/2)
        return 1 - 2 / n
    h = np.tanh(_GH_X)  # smooth: Gauss-Hermite quadrature is accurate (ReLU's kink is not, hence the closed form)
    return float((1 - 2 / n) * (_GH_W @ (1 - h**2) ** 2) / (_GH_W @ h**2))


def _normalized_products(As, x, name):
    """``[J_1, ..., J_L]`` for ``h_l = sigma(LN(A_l h_{l-1}))``: ``J_l = D_l J_LN(z_l) A_l J_{l-1}``."""
    sigma, dsigma = ACTIVATIONS[name]
    h, J, Js = x, None, []
    for ell, A in enumerate(As):
        z = A @ h
        if z.size < 2 or np.ptp(z) == 0:
            raise ValueError(
                f"layer {ell + 1}: its pre-activation z has {'one entry' if z.size < 2 else 'equal entries'}: layer "
                f"norm is not defined"
            )
        u = layer_norm(z)
        h = sigma(u)
        AJ = A if J is None else A @ J
        J = dsigma(u, h)[:, None] * (layer_norm_jacobian(z) @ AJ)
        Js.append(J)
    return Js


# --------------------------------------------------------------------------- curvature at initialization
def _forward_backward(As, x, name):
    """``(hs, Bs)`` for one input: ``hs[l] = h_l`` (``h_0 = x``) and ``Bs[l-1] = dh_L / dz_l = J_{L<-l} D_l`` ``(n_L, "
    "n_l)``."""
    sigma, dsigma = ACTIVATIONS[name]
    hs, ds = [x], []
    for A in As:
        z = A @ hs[-1]
        hs.append(sigma(z))
        ds.append(dsigma(z, hs[-1]))
    Bs = [np.diag(ds[-1])]
    for ell in range(len(As) - 1, 0, -1):  # B_l = B_{l+1} A_{l+1} D_l
        Bs.append((Bs[-1] @ As[ell]) * ds[ell - 1])
    return hs, Bs[::-1]


def _batch(As, X):
    X = as_float_array(X, "X", ndim=2, allow_empty=False)
    if X.shape[1] != As[0].shape[1]:
        raise ValueError(
            f"X must hold one input per row, each of length {As[0].shape[1]} (As[0] is {shape_str(As[0].shape)}), "
            f"got {shape_str(X.shape)}"
        )
    return X


def parameter_jacobian(As, X, activation: str = "linear") -> np.ndarray:
    """``J_theta`` ``(N n_L, sum_l n_l n_{l-1})``: the Jacobian of the outputs ``h_L(x_i)`` (the rows ``x_i`` of ``X``
    ``(N, n_0)``, a batch of ``N`` inputs, stacked) with respect to the weights ``A_1, ..., A_L`` (each flattened
    row by row, concatenated).

    The block of ``A_l`` for the input ``x_i`` is ``dh_L / dz_l`` times ``dz_l = dA_l h_{l-1}``, i.e. the Kronecker
    product ``(J_{L<-l} D_l) kron h_{l-1}^T``. Formed explicitly: meant for small networks (tests, pictures).
    """
    As = _check_layers(As)
    X = _batch(As, X)
    name = _activation(activation)
    rows = []
    for x in X:
        hs, Bs = _forward_backward(As, x, name)
        rows.append(np.hstack([np.kron(Bl, hs[ell][None, :]) for ell, Bl in enumerate(Bs)]))
    return np.vstack(rows)


def gauss_newton_eigenvalues(As, X, activation: str = "linear") -> np.ndarray:
    """The nonzero spectrum (decreasing, ``N n_L`` values) of the Gauss-Newton matrix ``G = J_theta^T J_theta / N``
    of the squared loss ``(1 / 2N) sum_i |h_L(x_i) - y_i|^2`` at the weights ``As`` (``X`` ``(N, n_0)``).

    ``G`` is as large as the number of weights, but its nonzero eigenvalues are those of the ``(N n_L, N n_L)`` matrix
    ``K = J_theta J_theta^T / N``, which is formed without ``J_theta``: block ``(a, b)`` is
    ``sum_l <h_{l-1}^a, h_{l-1}^b> B_l^a (B_l^b)^T / N`` with ``B_l = J_{L<-l} D_l``. Where the residuals vanish (the
    targets are the network's own outputs), ``G`` is the Hessian of the loss.
    """
    As = _check_layers(As)
    X = _batch(As, X)
    name = _activation(activation)
    per_input = [_forward_backward(As, x, name) for x in X]
    K = 0.0
    for ell in range(len(As)):
        H = np.stack([hs[ell] for hs, _ in per_input])  # (N, n_{l-1}): the inputs of layer l
        Bst = np.vstack([Bs[ell] for _, Bs in per_input])  # (N n_L, n_l)
        n_out = As[-1].shape[0]
        K = K + np.kron(H @ H.T, np.ones((n_out, n_out))) * (Bst @ Bst.T)
    K = K / X.shape[0]
    return np.sort(np.linalg.eigvalsh(0.5 * (K + K.T)))[::-1]


# --------------------------------------------------------------------------- printing
def markdown_table(header, rows, *, digits: int = 3) -> str:
    """A Markdown table: ``header`` (strings) and ``rows`` (sequences of the same length); numbers are printed with
    ``digits`` significant digits, everything else with ``str``. Display it with ``IPython.display.Markdown``."""
    if (
        isinstance(header, (str, bytes))
        or not isinstance(header, (list, tuple))
        or not all(isinstance(h, str) for h in header)
    ):
        raise TypeError(f"header must be a list of column names (strings), got {describe(header)}")
    if isinstance(rows, (str, bytes)) or not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of rows, got {describe(rows)}")
    digits = as_int(digits, "digits", min=1)

    def cell(v):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            return str(v)
        return f"{v:.{digits}g}" if isinstance(v, (float, np.floating)) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple, np.ndarray)):
            raise TypeError(f"rows[{i}] must be a list of entries, got {describe(row)}")
        row = list(row)
        if len(row) != len(header):
            raise ValueError(f"rows[{i}] has {len(row)} entries for {len(header)} columns")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)
