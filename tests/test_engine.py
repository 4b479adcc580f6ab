"""The reverse-mode engine: every primitive's rules, the worked models, classic identities.

Every registered primitive is tested twice, automatically, on the random inputs its
``sample`` draws (broadcast shapes included): its jvp rule against central differences,
and its vjp rule against its jvp rule by the dot-product test ``<w, J v> = <J^T w, v>``.
Then the engine's gradients are compared with the hand-written pullbacks of
``companion.models`` and with finite differences, and with identities from the chapter
and the Matrix Cookbook (Petersen & Pedersen, version of November 15, 2012).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import companion
from companion import (
    Tensor,
    directional_derivative,
    dot_product_test,
    exp,
    grad,
    inv,
    jvp,
    log,
    logdet,
    maximum,
    models,
    numerical_gradient,
    relu,
    sigmoid,
    softmax,
    tanh,
    trace,
    value_and_grad,
    vjp,
    where,
)
from companion.reverse import Node, call
from companion.rules import PRIMITIVES, Aval, check_reads, defprimitive

RTOL = 1e-10  # engine vs hand-written, float64
FD_RTOL = 1e-6  # anything vs central differences

REQUIRED = {
    "add", "subtract", "multiply", "divide", "negative", "power", "matmul", "transpose", "sum",
    "reshape", "getitem", "exp", "log", "tanh", "sigmoid", "relu", "softmax", "trace", "inv", "logdet",
}


def rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def unflat(v, like):
    sizes = np.cumsum([x.size for x in like])[:-1]
    return [p.reshape(x.shape) for p, x in zip(np.split(v, sizes), like, strict=False)]


# ----------------------------------------------------------------------------- the registry
def test_registry_has_every_primitive_the_api_promises():
    assert set(PRIMITIVES) >= REQUIRED
    for name, prim in PRIMITIVES.items():
        assert prim.sample is not None, f"{name} has no sample(rng): the registry test cannot draw its inputs"
        assert prim.doc, f"{name} has no doc stating its math"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_primitive_jvp_against_differences_and_vjp_against_jvp(name, seed):
    """jvp rule vs central differences; vjp rule vs jvp rule (dot-product test, 8.4.2)."""
    prim = PRIMITIVES[name]
    check_reads(prim, np.random.default_rng(100 + seed))  # each vjp rule reads no more than its reads declare
    rng = np.random.default_rng(seed)
    args = prim.sample(rng)
    xs, params = list(args[: prim.nin]), tuple(args[prim.nin:])
    F = lambda *xs: call(prim, *xs, *params)

    # pushforward of a random tangent, against (F(x + h v) - F(x - h v)) / 2h
    vs = [rng.standard_normal(x.shape) for x in xs]
    out, t_out = jvp(F, xs, vs)
    assert np.shape(out) == np.shape(prim.value(*xs, *params))
    assert np.shape(t_out) == np.shape(out)
    fd = directional_derivative(lambda v: prim.value(*unflat(v, xs), *params), flat(xs), flat(vs))
    gap = np.linalg.norm(fd - t_out)
    assert gap <= FD_RTOL * (1 + np.linalg.norm(t_out)), f"{name}: jvp disagrees with differences"

    # pullback against pushforward: <w, J v> = <J^T w, v> for random v, w
    y, pullback = vjp(F, *xs)
    assert np.allclose(y, out, rtol=1e-14, atol=0)
    cots = pullback(np.ones(y.shape))
    assert [c.shape for c in cots] == [x.shape for x in xs] and all(c.dtype == np.float64 for c in cots)
    J = lambda v: np.atleast_1d(jvp(F, xs, unflat(v, xs))[1])
    J_adj = lambda w: flat(pullback(w.reshape(y.shape)))
    assert dot_product_test(J, J_adj, (sum(x.size for x in xs),), rng=rng) <= 1e-10


def test_defprimitive_refuses_a_primitive_without_both_rules():
    cube = lambda x: x ** 3
    with pytest.raises(TypeError, match="missing vjp"):
        defprimitive("cube_test", cube, jvp=lambda dx, y, x: 3 * x ** 2 * dx)
    with pytest.raises(TypeError, match="missing jvp"):
        defprimitive("cube_test", cube, vjp=lambda y_bar, y, x: 3 * x ** 2 * y_bar)
    with pytest.raises(ValueError, match="1 jvp rule"):
        defprimitive("cube_test", np.multiply, jvp=lambda dx, z, x, y: dx * y,
                     vjp=(lambda g, z, x, y: g * y, lambda g, z, x, y: g * x))
    with pytest.raises(TypeError, match="not a callable"):
        defprimitive("cube_test", cube, jvp=lambda dx, y, x: dx, vjp=(None,))
    with pytest.raises(ValueError, match="already registered"):
        defprimitive("exp", np.exp, jvp=lambda dx, y, x: dx * y, vjp=lambda g, y, x: g * y)
    assert "cube_test" not in PRIMITIVES


def test_a_registered_primitive_is_differentiable_at_once():
    prim = defprimitive(
        "cube_test", lambda x: x ** 3,
        jvp=lambda dx, y, x: 3 * x ** 2 * dx, vjp=lambda y_bar, _y, x: 3 * x ** 2 * y_bar,
        sample=lambda rng: (rng.standard_normal(3),), doc="y = x^3: dy = 3 x^2 dx.",
    )
    try:
        x = np.array([1.0, -2.0, 0.5])
        assert np.allclose(grad(lambda x: call(prim, x).sum())(x), 3 * x ** 2, rtol=1e-15)
        assert np.allclose(jvp(lambda x: call(prim, x), (x,), (np.ones(3),))[1], 3 * x ** 2)
    finally:
        del PRIMITIVES["cube_test"]


def test_a_rule_that_uses_a_value_it_does_not_declare_is_refused_when_registered():
    """x_bar = 3 x^2 y_bar needs x; reads="y" (x kept as its shape only) is caught by defprimitive, by name."""
    sample = lambda rng: (rng.standard_normal(3),)
    with pytest.raises(TypeError, match=r"'cube_test'.*vjp rule 0 uses the value of 'x'.*add 'x' to reads"):
        defprimitive("cube_test", lambda x: x ** 3, jvp=lambda dx, y, x: 3 * x ** 2 * dx,
                     vjp=lambda y_bar, y, x: 3 * x ** 2 * y_bar, reads="y", sample=sample)
    with pytest.raises(TypeError, match=r"'mul_test'.*vjp rule 1 uses the value of 'x'"):
        defprimitive("mul_test", np.multiply, jvp=(lambda dx, z, x, y: dx * y, lambda dy, z, x, y: x * dy),
                     vjp=(lambda g, z, x, y: g * y, lambda g, z, x, y: x * g), reads=("y", ""),
                     sample=lambda rng: (rng.standard_normal(3), rng.standard_normal(3)))
    with pytest.raises(ValueError, match=r"declares it reads 'w'.*\(y, x\)"):
        defprimitive("cube_test", lambda x: x ** 3, jvp=lambda dx, y, x: dx, vjp=lambda y_bar, y, x: y_bar, reads="w")
    with pytest.raises(TypeError, match="reads is checked on the rules' sample inputs"):
        defprimitive("cube_test", lambda x: x ** 3, jvp=lambda dx, y, x: dx, vjp=lambda y_bar, y, x: y_bar, reads="")
    with pytest.raises(ValueError, match="one string per vjp rule"):
        defprimitive("mul_test", np.multiply, jvp=(lambda dx, z, x, y: dx, lambda dy, z, x, y: dy),
                     vjp=(lambda g, z, x, y: g, lambda g, z, x, y: g), reads="y")
    assert "cube_test" not in PRIMITIVES and "mul_test" not in PRIMITIVES


def test_an_aval_has_a_shape_and_a_dtype_and_no_value():
    a = Aval((2, 3), np.dtype(float))
    assert a.shape == (2, 3) and a.ndim == 2 and a.dtype == np.float64
    for use in (lambda: np.ones((2, 3)) * a, lambda: a + 1, lambda: np.asarray(a), lambda: np.exp(a), lambda: a @ a):
        with pytest.raises(TypeError):
            use()


def test_a_node_keeps_only_what_its_rules_read():
    """In (u * 2) with u = x + 1, no rule reads u's value: the tape keeps its shape, and the array is freed."""
    import gc
    import weakref

    refs = {}

    def f(x, keep):
        u = x + 1.0
        refs["u"] = weakref.ref(u.value)
        return ((u * u) if keep else (u * 2.0)).sum()

    x = np.arange(3.0)
    for keep in (False, True):
        y, pullback = vjp(lambda x: f(x, keep), x)  # noqa: B023 - called here, in the loop
        gc.collect()
        assert (refs["u"]() is not None) == keep
        assert np.allclose(pullback(np.ones(()))[0], 2 * (x + 1) if keep else 2 * np.ones(3))


def test_the_tape_is_a_list_of_nodes():
    tape = []
    from companion.reverse import _leaf

    x = _leaf(tape, np.ones((2, 3)))
    exp(x * 2.0).sum()
    assert all(isinstance(n, Node) for n in tape)
    assert [n.prim and n.prim.name for n in tape] == [None, "multiply", "exp", "sum"]
    leaf, mul, e, total = tape
    assert isinstance(leaf.ans, Aval) and leaf.ans.shape == (2, 3)
    # x_bar = z_bar * 2 reads 2 only
    assert isinstance(mul.ans, Aval) and isinstance(mul.args[0], Aval) and mul.args[1] == 2.0
    assert isinstance(e.ans, np.ndarray) and isinstance(e.args[0], Aval)  # x_bar = y_bar * y reads y = exp(x)
    assert isinstance(total.args[0], Aval) and total.args[1:] == [None, False]


def test_operators_look_their_primitive_up_when_called():
    """defprimitive(..., replace=True) changes a + a as it changes call("add", ...)."""
    old = PRIMITIVES["add"]
    x = np.array([1.0, 2.0])
    try:
        tripled = (lambda g, z, x, y: 3 * g, lambda g, z, x, y: 3 * g)
        defprimitive("add", np.add, jvp=old.jvp, vjp=tripled, reads=("", ""), sample=old.sample, doc=old.doc,
                     replace=True)
        assert np.allclose(grad(lambda a: (a + a).sum())(x), 6.0)
        assert np.allclose(grad(lambda a: call("add", a, a).sum())(x), 6.0)
    finally:
        PRIMITIVES["add"] = old
    assert np.allclose(grad(lambda a: (a + a).sum())(x), 2.0)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    a=st.lists(st.integers(1, 3), min_size=0, max_size=3),
    ones=st.lists(st.booleans(), min_size=3, max_size=3),
    drop=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_is_undone_in_the_pullback(a, ones, drop, seed):
    """For z = x * y + x with broadcast shapes, x_bar and y_bar are sums over the broadcast axes."""
    sx = tuple(a)
    sy = tuple(1 if o else n for n, o in zip(sx, ones, strict=False))[min(drop, len(sx)):]
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(sx), rng.standard_normal(sy)
    W = rng.standard_normal(np.broadcast_shapes(sx, sy))
    f = lambda x, y: ((x * y + x) * W).sum()
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    assert gx.shape == sx and gy.shape == sy
    assert rel(gx, numerical_gradient(lambda x: f(x, y), x)) < FD_RTOL
    assert rel(gy, numerical_gradient(lambda y: f(x, y), y)) < FD_RTOL


# ----------------------------------------------------------------------------- the worked models
@pytest.mark.parametrize("batch", [None, 5])
def test_least_squares_gradient_equals_the_hand_written_pullback(batch):
    """8.3.2: grad of 1/2 |W x - b|^2 is (W x - b) x^T; batched: R X^T."""
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 4))
    x = rng.standard_normal(4 if batch is None else (4, batch))
    b = rng.standard_normal(3 if batch is None else (3, batch))
    loss = lambda W: 0.5 * ((W @ x - b) ** 2).sum()
    value, g = value_and_grad(loss)(W)
    l0, g0 = models.least_squares(W, x, b)
    assert abs(float(value) - l0) <= RTOL * l0 and rel(g, g0) <= RTOL
    assert rel(g, numerical_gradient(loss, W)) < FD_RTOL


ACT = {"tanh": tanh, "relu": relu, "sigmoid": sigmoid, "identity": lambda z: z}


def engine_mlp_loss(L, activations, batched):
    def loss(*args):
        As, bs, x, y = args[:L], args[L: 2 * L], args[2 * L], args[2 * L + 1]
        h = x
        for A, b, a in zip(As, bs, activations, strict=False):
            h = ACT[a](A @ h + (b[:, None] if batched else b))
        return 0.5 * ((h - y) ** 2).sum()
    return loss


@pytest.mark.parametrize("batch", [None, 6])
@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "identity", "mixed"])
def test_mlp_gradients_equal_the_hand_written_backward(act, batch):
    """8.5.4-8.5.5: dA_l = delta_l h_{l-1}^T, db_l = delta_l, by the engine and by hand."""
    rng = np.random.default_rng(2)
    sizes = [4, 5, 3, 2]
    L = len(sizes) - 1
    acts = ["tanh", "relu", "sigmoid"] if act == "mixed" else [act] * L
    As, bs = models.mlp_init(sizes, rng=rng, bias_scale=0.3)
    x = rng.standard_normal(4 if batch is None else (4, batch))
    y = rng.standard_normal(2 if batch is None else (2, batch))
    loss = engine_mlp_loss(L, acts, batch is not None)
    value, g = value_and_grad(loss, argnums=tuple(range(2 * L)))(*As, *bs, x, y)
    l0, g0 = models.mlp_loss_and_grads(As, bs, x, y, acts)
    assert abs(float(value) - l0) <= RTOL * l0
    for mine, theirs in zip(g, g0.A + g0.b, strict=False):
        assert rel(mine, theirs) <= RTOL
    # and against finite differences, for the first and the last weight matrix
    for i in (0, L - 1):
        def f(A, i=i):
            As2 = list(As)
            As2[i] = A
            return models.mlp_loss_and_grads(As2, bs, x, y, acts)[0]
        assert rel(g[i], numerical_gradient(f, As[i])) < FD_RTOL


@pytest.mark.parametrize("shape", [(5, 3, 3, 4), (4, 2, 6, 2)])
def test_attention_gradients_equal_the_hand_written_pullback(shape):
    """8.6.2-8.6.4: G_V = P^T G_Y, G_S = P * (G_P - c), G_Q = G_S K / sqrt(d), G_K = G_S^T Q / sqrt(d)."""
    n, n_k, d, d_v = shape
    rng = np.random.default_rng(3)
    Q, K, V = rng.standard_normal((n, d)), rng.standard_normal((n_k, d)), rng.standard_normal((n_k, d_v))
    G = rng.standard_normal((n, d_v))
    f = lambda Q, K, V: (softmax(Q @ K.T / np.sqrt(d)) @ V * G).sum()  # <Y, G>: so G_Y = G
    gQ, gK, gV = grad(f, argnums=(0, 1, 2))(Q, K, V)
    Y, cache = models.attention(Q, K, V)
    hQ, hK, hV = models.attention_vjp(cache, G)
    assert rel(gQ, hQ) <= RTOL and rel(gK, hK) <= RTOL and rel(gV, hV) <= RTOL
    assert rel(gQ, numerical_gradient(lambda Q: f(Q, K, V), Q)) < FD_RTOL
    assert rel(gK, numerical_gradient(lambda K: f(Q, K, V), K)) < FD_RTOL
    # the pullback of Y itself, with G as cotangent, is the same thing
    Y2, pullback = vjp(lambda Q, K, V: softmax(Q @ K.T / np.sqrt(d)) @ V, Q, K, V)
    assert rel(Y2, Y) <= 1e-14
    for mine, theirs in zip(pullback(G), (hQ, hK, hV), strict=False):
        assert rel(mine, theirs) <= RTOL


# ----------------------------------------------------------------------------- classic identities
@pytest.fixture
def mats():
    rng = np.random.default_rng(4)
    n = 4
    return dict(
        A=rng.standard_normal((n, n)), X=rng.standard_normal((n, n)) + n * np.eye(n),
        a=rng.standard_normal(n), b=rng.standard_normal(n), B=rng.standard_normal((n, 3)), rng=rng,
    )


def test_trace_principle_linear(mats):
    """d tr(A X)/dX = A^T. Trace principle, chapter 8.3.1; Matrix Cookbook eq. (100)."""
    A, X = mats["A"], mats["X"]
    assert rel(grad(lambda X: trace(A @ X))(X), A.T) <= 1e-15


def test_trace_of_a_quadratic_form(mats):
    """d tr(X^T A X)/dX = (A + A^T) X. Trace principle, 8.3.1; Matrix Cookbook eq. (108)."""
    A, X = mats["A"], mats["B"]  # X may be rectangular
    assert rel(grad(lambda X: trace(X.T @ A @ X))(X), (A + A.T) @ X) <= 1e-14


def test_log_det(mats):
    """d log det X/dX = X^{-T}. Matrix Cookbook eq. (57)."""
    X = mats["X"]
    assert rel(grad(logdet)(X), np.linalg.inv(X).T) <= 1e-13


def test_squared_frobenius_norm(mats):
    """d |X|_F^2/dX = 2X, |X|_F^2 = <X, X>_F = tr(X^T X). Chapter 8.2.1; Matrix Cookbook eq. (132)."""
    X = mats["B"]
    assert rel(grad(lambda X: (X * X).sum())(X), 2 * X) <= 1e-15
    assert rel(grad(lambda X: trace(X.T @ X))(X), 2 * X) <= 1e-15


def test_bilinear_form(mats):
    """d a^T X b/dX = a b^T. Trace principle (a^T X b = tr(b a^T X)), 8.3.1; Matrix Cookbook eq. (70)."""
    a, b, X = mats["a"], mats["b"], mats["X"]
    assert rel(grad(lambda X: a @ X @ b)(X), np.outer(a, b)) <= 1e-15


def test_trace_of_an_inverse(mats):
    """d tr(X^{-1} A)/dX = -(X^{-1} A X^{-1})^T. Matrix Cookbook eq. (63) (with the A there = I)."""
    A, X = mats["A"], mats["X"]
    Xi = np.linalg.inv(X)
    assert rel(grad(lambda X: trace(inv(X) @ A))(X), -(Xi @ A @ Xi).T) <= 1e-13


def test_softmax_cross_entropy_gradient_is_p_minus_y():
    """d/dS of -sum Y * log softmax(S) = P - Y for one-hot rows Y (8.6.3)."""
    rng = np.random.default_rng(5)
    S = rng.standard_normal((4, 6))
    Y = np.eye(6)[rng.integers(0, 6, size=4)]
    g = grad(lambda S: -(Y * log(softmax(S))).sum())(S)
    assert rel(g, models.softmax(S) - Y) <= 1e-14


# ----------------------------------------------------------------------------- the sweep
def test_a_depth_10000_chain():
    """The backward sweep is iterative: no recursion limit. d/dx of (x c + s) iterated = c^N."""
    N, c = 10_000, 1.0001
    def f(x):
        for _ in range(N):
            x = x * c + 0.001
        return x.sum()
    g = grad(f)(np.ones(3))
    assert rel(g, np.full(3, c ** N)) <= 1e-11


def test_reused_nodes_accumulate_cotangents():
    """f(x) = x*x + x: the node x is read three times; f'(x) = 2x + 1."""
    x = np.array([0.5, -1.0, 2.0])
    assert np.allclose(grad(lambda x: (x * x + x).sum())(x), 2 * x + 1, rtol=1e-15)
    # on a 0-d primal (numpy computes 0-d results as scalars): four contributions add up
    assert float(grad(lambda s: s * s + s + s)(3.0)) == 8.0
    # a node used by two branches that meet again: y = tanh(x); f = sum(y * y + 3 y)
    y = np.tanh(x)
    g = grad(lambda x: (lambda y: (y * y + 3 * y).sum())(tanh(x)))(x)
    assert rel(g, (2 * y + 3) * (1 - y ** 2)) <= 1e-15


def test_differentiating_twice_gives_the_same_result():
    rng = np.random.default_rng(6)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    g = grad(lambda W: tanh(W @ x).sum())
    first = g(W)
    second = g(W)
    assert first is not second and np.array_equal(first, second)
    y, pullback = vjp(lambda W: tanh(W @ x), W)
    w = rng.standard_normal(y.shape)
    assert np.array_equal(pullback(w)[0], pullback(w)[0])


def test_float32_is_preserved():
    rng = np.random.default_rng(7)
    W = rng.standard_normal((3, 4)).astype(np.float32)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    value, g = value_and_grad(lambda W: 0.5 * (tanh(W @ x) ** 2).mean())(W)
    assert g.dtype == np.float32 and value.dtype == np.float32
    g64 = grad(lambda W: 0.5 * (tanh(W @ x.astype(float)) ** 2).mean())(W.astype(float))
    assert rel(g, g64) < 1e-5
    out, t = jvp(lambda W: softmax(W @ x), (W,), (np.ones_like(W),))
    assert out.dtype == np.float32 and t.dtype == np.float32
    # a float64 constant may upcast inside f; the gradient still comes back as float32
    assert grad(lambda W: (W * np.ones((3, 4))).sum())(W).dtype == np.float32


def test_argnums_tuple_and_python_floats():
    f = lambda a, X, b: a * (X ** 2).sum() + b
    X = np.arange(6.0).reshape(2, 3)
    ga, gX, gb = grad(f, argnums=(0, 1, 2))(2.0, X, 1.5)
    assert float(ga) == (X ** 2).sum() and np.allclose(gX, 4 * X) and float(gb) == 1.0
    assert np.allclose(grad(f, argnums=1)(2.0, X, 1.5), 4 * X)
    v, (gX2,) = value_and_grad(f, argnums=(1,))(2.0, X, 1.5)
    assert float(v) == 2 * (X ** 2).sum() + 1.5 and np.allclose(gX2, 4 * X)


def test_jvp_equals_the_jacobian_times_the_tangent():
    rng = np.random.default_rng(8)
    A = rng.standard_normal((3, 4))
    F = lambda x: tanh(A @ x) * x[:3]
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    out, t = jvp(F, (x,), (v,))
    J = companion.jacobian(lambda x: np.tanh(A @ x) * x[:3], x)
    assert rel(out, np.tanh(A @ x) * x[:3]) <= 1e-15 and rel(t, J @ v) < FD_RTOL
    # and the pullback of each basis covector gives the rows of the same Jacobian
    _, pullback = vjp(F, x)
    rows = np.array([pullback(e)[0] for e in np.eye(3)])
    assert rel(rows, J) < FD_RTOL


def test_constants_get_no_cotangent_and_unused_arguments_get_zeros():
    rng = np.random.default_rng(9)
    W, x = rng.standard_normal((2, 3)), rng.standard_normal(3)
    gW, gx = grad(lambda W, x: (W @ x).sum() * 0 + W.sum(), argnums=(0, 1))(W, x)
    assert np.allclose(gW, 1) and np.allclose(gx, W.sum(axis=0) * 0)
    assert np.array_equal(grad(lambda W, x: (W * 2.0).sum(), argnums=1)(W, x), np.zeros(3))


def test_numpy_on_the_left_and_numpy_functions_as_plain_numpy():
    rng = np.random.default_rng(10)
    A, X, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    g = grad(lambda X: (A @ X + b - np.ones((3, 2)) * X / np.full((3, 2), 2.0)).sum())(X)
    assert rel(g, A.T @ np.ones((3, 2)) - 0.5) <= 1e-15
    g2 = grad(lambda X: (2.0 - X * 3 + 1 / (X * X + 1)).sum())(X)
    assert rel(g2, -3 - 2 * X / (X * X + 1) ** 2) <= 1e-14
    # the exported functions work on plain arrays, with numpy results
    S = rng.standard_normal((4, 5))
    assert type(softmax(S)) is np.ndarray and np.array_equal(softmax(S), models.softmax(S))
    assert np.array_equal(exp(S), np.exp(S)) and np.array_equal(tanh(S), np.tanh(S))
    assert np.allclose(sigmoid(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    assert companion.softmax is softmax and companion.models.softmax is models.softmax


def test_indexing_scatters_back_with_repeats():
    x = np.arange(5.0)
    g = grad(lambda x: (x[[0, 0, 3]] * np.array([1.0, 2.0, 3.0])).sum() + x[1:3].sum() + x[-1])(x)
    assert np.array_equal(g, [3.0, 1.0, 1.0, 3.0, 1.0])


def test_matmul_shapes_like_numpy():
    rng = np.random.default_rng(11)
    cases = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
             ((5, 2, 3), (5, 3, 4))]
    for sa, sb in cases:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        ga, gb = grad(lambda a, b: (a @ b).sum(), argnums=(0, 1))(a, b)
        assert ga.shape == sa and gb.shape == sb
        assert rel(ga, numerical_gradient(lambda a, b=b: (a @ b).sum(), a)) < FD_RTOL
        assert rel(gb, numerical_gradient(lambda b, a=a: (a @ b).sum(), b)) < FD_RTOL


def test_where_maximum_mean_reshape_transpose():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 4))
    def f(x):
        round_trip = x.reshape(4, 3).T.transpose(1, 0).reshape(3, 4)
        return (where(x > 0, x, 0.1 * x) + maximum(x, 0.2) + x.mean(axis=0) + round_trip).sum()

    def fn(x):
        return (np.where(x > 0, x, 0.1 * x) + np.maximum(x, 0.2) + x.mean(axis=0) + x).sum()

    assert rel(grad(f)(x), numerical_gradient(fn, x)) < FD_RTOL


# ----------------------------------------------------------------------------- bad input
def test_grad_of_a_non_scalar_output_is_refused():
    with pytest.raises(ValueError, match=r"scalar.*\(3,\)"):
        grad(lambda x: x * 2)(np.ones(3))


def test_a_cotangent_of_the_wrong_shape_is_refused():
    _, pullback = vjp(lambda x: x * 2, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        pullback(np.ones((3, 2)))


def test_tangents_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match=r"tangents\[0\].*\(3,\).*\(2,\)"):
        jvp(lambda x: x * 2, (np.ones(3),), (np.ones(2),))
    with pytest.raises(ValueError, match="one tangent per primal"):
        jvp(lambda x: x * 2, (np.ones(3),), ())


def test_integer_arguments_are_refused_by_name():
    def loss(W, x):
        return (W @ x).sum()
    with pytest.raises(TypeError, match=r"argument 0 \('W'\).*int"):
        grad(loss)(np.ones((2, 2), dtype=int), np.ones(2))
    with pytest.raises(TypeError, match=r"primals\[0\]"):
        vjp(lambda x: x, np.arange(3))


@pytest.mark.parametrize("bad, op", [
    (lambda x: x @ np.ones((4, 2)), r"matmul.*\(2, 3\), \(4, 2\)"),
    (lambda x: x + np.ones(4), r"add.*\(2, 3\), \(4,\)"),
    (lambda x: x.sum(axis=5), r"sum.*\(2, 3\)"),
    (lambda x: x.reshape(4, 2), r"reshape.*\(2, 3\)"),
    (lambda x: trace(x), r"trace.*square"),
])
def test_incompatible_shapes_name_the_operation_and_the_shapes(bad, op):
    with pytest.raises(ValueError, match=op):
        grad(lambda x: bad(x).sum())(np.ones((2, 3)))


def test_unsupported_numpy_calls_on_a_tensor_say_what_to_use():
    x = np.ones(3)
    with pytest.raises(TypeError, match=r"numpy.sort.*not supported.*defprimitive"):
        grad(lambda x: np.sort(x).sum())(x)
    with pytest.raises(TypeError, match=r"numpy.exp.*companion.exp"):
        grad(lambda x: np.exp(x).sum())(x)
    with pytest.raises(TypeError, match=r"numpy.sum.*x.sum"):
        grad(lambda x: np.sum(x))(x)
    with pytest.raises(TypeError, match="drop"):
        grad(lambda x: np.asarray(x).sum())(x)
    with pytest.raises(TypeError, match="t.value"):
        grad(lambda x: x.sum() if x else x.sum())(x)
    with pytest.raises(TypeError, match="float"):
        grad(lambda x: float(x.sum()))(x)
    with pytest.raises(TypeError, match="exponent"):
        grad(lambda x: (2.0 ** x).sum())(x)


def test_logdet_refuses_a_non_positive_determinant():
    with pytest.raises(ValueError, match="positive determinant"):
        grad(logdet)(-np.eye(3))
    with pytest.raises(ValueError, match="positive determinant"):
        logdet(np.diag([1.0, -1.0]))


def test_a_constant_tensor_and_its_repr():
    c = Tensor(np.ones(2))
    assert float((c * 2).sum()) == 4.0 and "Tensor" in repr(c)
    assert np.array_equal(np.asarray(c + 1), [2.0, 2.0])


def test_the_benchmark_problems_agree_with_the_hand_written_models():
    """benchmarks/engine.py times the engine against companion.models: at toy sizes, same numbers."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "engine.py"
    spec = importlib.util.spec_from_file_location("engine_benchmark", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = np.random.default_rng(13)
    for problem in (bench.mlp_problem(3, 5, 3, rng, peers=False), bench.attention_problem(6, 4, rng, peers=False)):
        dv, dg = problem["check"]()
        assert dv <= RTOL and dg <= RTOL
