"""Random programs through the engine: the sweep's bookkeeping (reused nodes, broadcasting,
buffers written in place) must never change an answer.

Each program is a random sequence of primitives over three inputs of broadcastable
shapes (some entries exactly zero), with values reused at random; among the steps are
comparisons of Tensors with Tensors, numbers and arrays on either side (``== != < <= > >=``)
feeding ``where``, integer and zero powers, and products with constant arrays. Its value is
compared with the same program run on numpy arrays (so a comparison must compare values),
its gradient with central differences of the program with its masks frozen at the point
(a mask is piecewise constant: its derivative is zero, and the engine differentiates the
branch each entry takes), then computed again (same result), then by ``vjp`` twice, also
after every constant, weight and input array has been overwritten (the pullback keeps its
own copies), and the inputs must come out untouched.

A chain of 3 x 10^5 primitives checks that the sweep has no depth limit and stays exact.
"""

from __future__ import annotations

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from companion import Tensor, grad, jvp, numerical_gradient, sigmoid, softmax, tanh, value_and_grad, vjp, where

SHAPES = [(3, 4), (4,), (3, 1)]


def _value(a):
    return a.value if isinstance(a, Tensor) else np.asarray(a)


class Masks:
    """The masks of a program's comparisons: computed live (and recorded) on the first run, reused (frozen) on
    the others."""

    def __init__(self):
        self.saved, self.frozen = {}, False

    def __call__(self, key, live):
        if self.frozen:
            return self.saved[key]
        m = live()
        got = f"{type(m).__name__} {getattr(m, 'dtype', '')}"
        assert type(m) is np.ndarray and m.dtype == bool, f"a comparison gave {got}, not a boolean array"
        self.saved[key] = m
        return m


def _shifted(a):
    """The values of ``a`` with every other entry moved: ``a == c`` holds at half of the entries."""
    c = np.array(_value(a), dtype=float)
    c.reshape(-1)[::2] += 1.0
    return c


UNARY = {
    "tanh": lambda a, m, k, C: tanh(a),
    "sigmoid": lambda a, m, k, C: sigmoid(a),
    "neg": lambda a, m, k, C: -a,
    "square": lambda a, m, k, C: 0.5 * a ** 2,
    "softmax": lambda a, m, k, C: softmax(a, axis=-1),
    "sum0": lambda a, m, k, C: a.sum(axis=0, keepdims=True) * 0.5 if a.ndim == 2 else a,
    "T2": lambda a, m, k, C: a.T.T,
    "slice": lambda a, m, k, C: a[..., ::-1] * 1.0,
    # integer and zero powers (of a bounded base, exactly 0 where the input is)
    "pow0": lambda a, m, k, C: tanh(a) ** 0,
    "pow0.0": lambda a, m, k, C: tanh(a) ** 0.0 + a,
    "pow1": lambda a, m, k, C: tanh(a) ** 1,
    "pow2": lambda a, m, k, C: tanh(a) ** np.int64(2),
    "pow3": lambda a, m, k, C: tanh(a) ** 3,
    # comparisons feeding where: Tensor vs number, vs an array on either side, == and !=
    "ge0": lambda a, m, k, C: where(m(k, lambda: a >= 0), a, 0.1 * a),
    "le_number_left": lambda a, m, k, C: where(m(k, lambda: a >= 0.3), a * a, -a),
    "lt_array_left": lambda a, m, k, C: where(m(k, lambda: np.full(np.shape(_value(a)), 0.1) < a), a, 0.5 * a),
    "eq": lambda a, m, k, C: where(m(k, lambda: a == _shifted(a)), 2.0 * a, -a),
    "ne": lambda a, m, k, C: where(m(k, lambda: a != _shifted(a)), a * a, 3.0 * a),
    "gt_constant": lambda a, m, k, C: where(m(k, lambda: a > C[k % len(C)]), a, C[k % len(C)]),
    "mul_constant": lambda a, m, k, C: a * C[k % len(C)],
}
BINARY = {
    "add": lambda a, b, m, k, C: a + b,
    "sub": lambda a, b, m, k, C: a - b,
    "mul": lambda a, b, m, k, C: a * b,
    "div": lambda a, b, m, k, C: a / (2.0 + tanh(b)),
    "max_by_gt": lambda a, b, m, k, C: where(m(k, lambda: a > b), a, b),
    "min_by_le": lambda a, b, m, k, C: where(m(k, lambda: a <= b), a, b),
    "eq_pair": lambda a, b, m, k, C: where(m(k, lambda: a == a), a * b, b),
}

step = st.one_of(
    st.tuples(st.just("u"), st.sampled_from(sorted(UNARY)), st.integers(0, 50), st.integers(0, 0)),
    st.tuples(st.just("b"), st.sampled_from(sorted(BINARY)), st.integers(0, 50), st.integers(0, 50)),
)


def run(program, xs, weights, constants, masks):
    vals = list(xs)
    for k, (kind, op, i, j) in enumerate(program):
        a = vals[i % len(vals)]
        if kind == "u":
            vals.append(UNARY[op](a, masks, k, constants))
        else:
            vals.append(BINARY[op](a, vals[j % len(vals)], masks, k, constants))
    # a scalar that reads every value (so every node is reused at least by the loss)
    total = 0.0
    for k, v in enumerate(vals):
        total = total + (v * weights[k % len(weights)]).sum()
    return total


@settings(max_examples=80, deadline=None, derandomize=True)
@given(program=st.lists(step, min_size=1, max_size=10), seed=st.integers(0, 2**16), zeros=st.booleans())
def test_random_programs(program, seed, zeros):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(s) for s in SHAPES]
    if zeros:  # exact zeros: t ** 0 must still have the derivative 0 there
        for x in xs:
            x.reshape(-1)[:: 3] = 0.0
    weights = [rng.standard_normal((3, 4)) for _ in range(3)]
    constants = [rng.standard_normal((3, 4)), rng.standard_normal(4)]
    before = [x.copy() for x in xs]
    masks = Masks()
    f = lambda *xs: run(program, xs, weights, constants, masks)

    value, g = value_and_grad(f, argnums=(0, 1, 2))(*xs)
    masks.frozen = True  # the same program on numpy arrays, with the masks the engine's comparisons gave
    assert np.isclose(float(value), float(f(*[x.copy() for x in xs])), rtol=1e-12, atol=1e-12)
    masks.frozen = False
    expected = float(run(program, [x.copy() for x in xs], weights, constants, Masks()))  # numpy's own comparisons
    assert np.isclose(float(value), expected, rtol=1e-12, atol=1e-12), "the engine's comparisons disagree with numpy's"

    masks.frozen = True
    for k in range(3):
        others = list(xs)

        def fk(x, k=k, others=others):
            others[k] = x
            return float(f(*others))

        fd = numerical_gradient(fk, xs[k])
        others = list(xs)
        assert np.all(np.isfinite(g[k])), f"non-finite gradient for input {k}: {g[k]}"
        assert np.linalg.norm(g[k] - fd) <= 1e-6 * (1 + np.linalg.norm(fd))
    masks.frozen = False

    again = grad(f, argnums=(0, 1, 2))(*xs)
    assert all(np.array_equal(a, b) for a, b in zip(g, again, strict=False))
    _, pullback = vjp(f, *xs)
    first, second = pullback(np.float64(1.0)), pullback(np.float64(1.0))
    assert all(np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(first, second, g, strict=False))
    assert all(np.array_equal(x, b) for x, b in zip(xs, before, strict=False))

    # every array the program read, overwritten after vjp: the pullback kept its own copies
    for arr in [*xs, *weights, *constants]:
        arr[...] = 100.0
    third = pullback(np.float64(1.0))
    same = all(np.array_equal(a, c) for a, c in zip(third, g, strict=True))
    assert same, "the pullback read an array edited after vjp"


# ----------------------------------------------------------------------------- the examples of issue 11
def test_comparisons_compare_values_in_where():
    value, g = value_and_grad(lambda t: where(t == 1, 0 * t, 2 * t).sum())(np.array([0.0, 1.0, 2.0]))
    assert float(value) == 4.0 and np.array_equal(g, [2.0, 0.0, 2.0])
    value, g = value_and_grad(lambda t: where(t != 1, 2 * t, 0 * t).sum())(np.array([0.0, 1.0, 2.0]))
    assert float(value) == 4.0 and np.array_equal(g, [2.0, 0.0, 2.0])


def test_comparisons_give_boolean_arrays_on_either_side():
    seen = []

    def f(t):
        u = t * 1.0
        one = np.ones(3)
        seen.extend((t == u, t != u, t < 1, t <= 1, t > 1, t >= 1, t > 1, one == t, one >= t, t == one))
        return t.sum()

    grad(f)(np.array([0.0, 1.0, 2.0]))
    assert all(type(m) is np.ndarray and m.dtype == bool for m in seen)
    want = [[1, 1, 1], [0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1],
            [0, 1, 1], [0, 0, 1], [0, 1, 0], [1, 1, 0], [0, 1, 0]]
    assert [m.astype(int).tolist() for m in seen] == want


def test_zero_power_has_zero_derivative_at_zero():
    for p in (0, 0.0, np.int64(0)):
        assert np.array_equal(grad(lambda t, p=p: (t ** p).sum())(np.array([0.0, 2.0])), [0.0, 0.0])
        _, dy = jvp(lambda t, p=p: t ** p, (np.array([0.0, 2.0]),), (np.ones(2),))
        assert np.array_equal(dy, [0.0, 0.0])


def test_pullback_ignores_later_edits_of_the_callers_arrays():
    c = np.array([1.0, 2.0, 3.0])
    x = np.ones(3)
    index = np.array([0, 2])
    out, pullback = vjp(lambda t: (t * c)[index] * t[index], x)
    c[:] = 100.0
    x[:] = -7.0
    index[:] = 1
    (x_bar,) = pullback(np.ones(2))
    assert np.array_equal(x_bar, [2.0, 0.0, 6.0])


def test_gradient_ignores_a_buffer_edited_after_use():
    buf = np.empty(3)

    def f(t):
        h = t
        for k in (1.0, 2.0, 3.0):
            buf[:] = k  # a preallocated buffer reused at each layer
            h = h * buf
        return h.sum()

    assert np.array_equal(grad(f)(np.ones(3)), [6.0, 6.0, 6.0])


# ----------------------------------------------------------------------------- very deep chains
def test_a_chain_of_300000_primitives():
    """10^5 steps of ``t <- t + 1e-5 tanh(t)`` (3 primitives each): no recursion limit, exact pullback."""
    n = 10**5
    x = np.array([-1.0, 0.0, 0.5])

    def f(t):
        for _ in range(n):
            t = t + 1e-5 * tanh(t)
        return t

    start = time.perf_counter()
    y, pullback = vjp(f, x)
    (x_bar,) = pullback(np.ones(3))
    (again,) = pullback(np.ones(3))
    elapsed = time.perf_counter() - start
    # the same derivative pushed forward (jvp rules, no tape) and, entry by entry, by hand
    _, dy = jvp(f, (x,), (np.ones(3),))
    t, d = x.copy(), np.ones(3)
    for _ in range(n):
        d = d * (1 + 1e-5 * (1 - np.tanh(t) ** 2))
        t = t + 1e-5 * np.tanh(t)
    assert np.allclose(y, t, rtol=1e-13, atol=0)
    assert np.allclose(x_bar, d, rtol=1e-10, atol=0) and np.allclose(dy, d, rtol=1e-10, atol=0)  # 10^5 roundings
    assert np.array_equal(x_bar, again)
    assert elapsed < 120, f"the deep chain took {elapsed:.0f} s"


def test_a_deep_chain_through_grad_with_reuse():
    """grad frees the tape as it goes; a value reused at every step accumulates 10^5 cotangents."""
    n = 10**5

    def f(t):
        s = t * 0.0
        u = t
        for _ in range(n):
            u = u * 0.99999
            s = s + u
        return s.sum()

    g = grad(f)(np.array([1.0, 2.0]))
    want = sum(0.99999 ** k for k in range(1, n + 1))
    assert np.allclose(g, [want, want], rtol=1e-10)
