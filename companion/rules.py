"""The engine's primitives: each one's value, differential and adjoint, side by side (8.4, 8.5).

A primitive ``z = f(x, y, ...)`` is declared once, with three things:

- ``value(x, y, ..., *params)``: the primal map, on numpy arrays;
- ``jvp``: one rule per differentiable argument, ``(dx, z, x, y, ..., *params) -> dz``,
  the differential ``df[dx]`` that pushes a tangent forward (used by :func:`companion.jvp`);
- ``vjp``: one rule per differentiable argument, ``(z_bar, z, x, y, ..., *params) -> x_bar``,
  the adjoint ``df^*[z_bar]`` that pulls a cotangent back (used by :func:`companion.vjp`
  and :func:`companion.grad`).

The differentiable arguments come first, then static parameters (an axis, a shape, an
index, an exponent), which are passed to the rules unchanged. The two rules of one
argument are a linear map and its adjoint, ``<z_bar, df[dx]> = <df^*[z_bar], dx>``: the
test suite checks this (the dot-product test) and checks ``jvp`` against finite
differences, for every primitive registered here, on the random inputs its ``sample``
draws. A primitive is added, and tested, by one :func:`defprimitive` call.

Conventions the engine relies on:

- a vjp rule may return a cotangent with the *broadcast* shape of its argument (``z_bar``
  for ``x + y`` with ``x`` of shape ``(3,)`` and ``y`` of shape ``(2, 3)``); the engine sums
  it over the broadcast axes. Likewise a jvp rule's tangent is broadcast to ``z``'s shape.
- a rule returns ``z_bar`` itself, a view of it, or a new array; it never writes into
  ``z_bar`` or into the primals.
- in a vjp rule, a parameter whose name starts with ``_`` (``_z``, ``_x``) is read only for
  its ``.shape``/``.ndim``/``.dtype``: the engine then keeps only those after the forward
  pass, and a parameter the rule does not read at all is not kept, so the primal array
  can be freed (the pullback of ``x * 2.0`` does not need ``x``).
- a vjp rule of an elementwise primitive (its result has the shape of ``z``) may take a
  keyword ``out``: when the engine owns the buffer of ``z_bar`` and nothing else will read
  it, it passes ``out=z_bar`` and the rule may write its result there (``np.multiply(z_bar,
  y, out=out)``), saving an allocation and a pass; otherwise ``out`` is ``None``.
"""

from __future__ import annotations

import dis
import inspect
from typing import Callable

import numpy as np

__all__ = ["Primitive", "PRIMITIVES", "defprimitive", "DomainError"]


class DomainError(ValueError):
    """An input outside a primitive's domain (``logdet`` of det <= 0, ``trace`` of a non-square)."""


class Primitive:
    """A registered primitive: ``value``, ``jvp`` rules, ``vjp`` rules, ``sample``.

    ``nin`` is the number of differentiable (leading) arguments, one jvp and one vjp rule
    each. ``sample(rng)`` returns a tuple of arguments for the tests: random float64
    arrays in the primitive's domain (broadcast shapes included), then static parameters.
    """

    __slots__ = ("name", "value", "jvp", "vjp", "sample", "doc", "nin", "takes_out", "_reads", "_keep")

    def __init__(self, name, value, jvp, vjp, sample, doc, reads):
        self.name, self.value, self.jvp, self.vjp = name, value, jvp, vjp
        self.sample, self.doc, self.nin = sample, doc, len(vjp)
        self._reads = tuple(r[:2] for r in reads)  # per vjp rule: (what of z, (what of argument j, ...))
        self.takes_out = tuple(r[2] for r in reads)  # per vjp rule: may write into z_bar (out=)?
        self._keep = {}

    def keep(self, mask: int):
        """What a node must save when the arguments in ``mask`` (bit k: argument k) need cotangents.

        Returns ``(keep z?, arguments kept only as shape/dtype, arguments not kept at all)``,
        from what the vjp rules of those arguments read (see ``_reads``).
        """
        k = self._keep.get(mask)
        if k is None:
            used = [p for p in range(self.nin) if mask >> p & 1]
            ans = any(self._reads[p][0] for p in used)
            level = [max(self._reads[p][1][j] for p in used) for j in range(self.nin)]
            k = self._keep[mask] = (
                ans,
                tuple(j for j in range(self.nin) if level[j] == _SHAPE_ONLY),
                tuple(j for j in range(self.nin) if level[j] == _UNREAD),
            )
        return k

    def __repr__(self):
        return f"<primitive {self.name}: {self.doc.splitlines()[0] if self.doc else ''}>"


PRIMITIVES: dict[str, Primitive] = {}


def _as_rules(rules, what, name):
    if rules is None:
        raise TypeError(
            f"defprimitive({name!r}): missing {what} rule; a primitive declares both its differential "
            f"(jvp: pushes a tangent forward) and its adjoint (vjp: pulls a cotangent back)"
        )
    rules = tuple(rules) if isinstance(rules, (tuple, list)) else (rules,)
    if not rules:
        raise TypeError(f"defprimitive({name!r}): {what} must give one rule per differentiable argument, got none")
    for k, r in enumerate(rules):
        if not callable(r):
            raise TypeError(f"defprimitive({name!r}): {what} rule {k} is {type(r).__name__}, not a callable")
    return rules


_UNREAD, _SHAPE_ONLY, _VALUE = 0, 1, 2


def _referenced_names(fn):
    """The local names a Python function reads (None if it is not a Python function)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    names = set(code.co_cellvars)
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("LOAD_FAST") or ins.opname in ("LOAD_CLOSURE", "LOAD_DEREF"):
            names.update(ins.argval if isinstance(ins.argval, tuple) else (ins.argval,))
    return names


def _reads(rule, nin, name, k):
    """What a vjp rule needs of ``z`` and of each differentiable argument, and whether it takes ``out``.

    A parameter the rule never reads: nothing (``_UNREAD``); one whose name starts with
    ``_``: its shape and dtype (``_SHAPE_ONLY``); any other: the array (``_VALUE``).
    """
    params = list(inspect.signature(rule).parameters.values())
    takes_out = any(p.name == "out" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    params = [p for p in params if p.name != "out"]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True, (_VALUE,) * nin, takes_out
    if len(params) < 2 + nin:
        raise TypeError(
            f"defprimitive({name!r}): vjp rule {k} must take (z_bar, z, <{nin} argument(s)>, *params), "
            f"got parameters ({', '.join(p.name for p in params)})"
        )
    read = _referenced_names(rule)
    level = [
        _UNREAD if read is not None and p.name not in read else _SHAPE_ONLY if p.name.startswith("_") else _VALUE
        for p in params
    ]
    return level[1] != _UNREAD, tuple(level[2:2 + nin]), takes_out


def defprimitive(name: str, value: Callable, *, jvp=None, vjp=None, sample=None, doc: str = "", replace: bool = False) -> Primitive:
    """Register a primitive with its value, its jvp rule(s) and its vjp rule(s).

    ``jvp`` and ``vjp`` are each a callable (one differentiable argument) or a tuple with
    one rule per differentiable argument. A primitive missing either rule is refused
    (``TypeError``), as is one whose rule counts disagree (``ValueError``). ``sample(rng)``
    describes random test inputs. Returns the :class:`Primitive`, also stored in
    ``PRIMITIVES[name]``.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"defprimitive: name must be a non-empty string, got {name!r}")
    if not isinstance(replace, (bool, np.bool_)):
        raise TypeError(f"defprimitive({name!r}): replace must be True or False, got {type(replace).__name__}")
    if name in PRIMITIVES and not replace:
        raise ValueError(f"defprimitive: a primitive named {name!r} is already registered (pass replace=True)")
    if not callable(value):
        raise TypeError(f"defprimitive({name!r}): value must be callable, got {type(value).__name__}")
    jvp = _as_rules(jvp, "jvp", name)
    vjp = _as_rules(vjp, "vjp", name)
    if len(jvp) != len(vjp):
        raise ValueError(
            f"defprimitive({name!r}): {len(jvp)} jvp rule(s) but {len(vjp)} vjp rule(s); "
            f"give one of each per differentiable argument"
        )
    if sample is not None and not callable(sample):
        raise TypeError(f"defprimitive({name!r}): sample must be callable (rng -> arguments)")
    if not isinstance(doc, str):
        raise TypeError(f"defprimitive({name!r}): doc must be a string, got {type(doc).__name__}")

    reads = tuple(_reads(r, len(vjp), name, k) for k, r in enumerate(vjp))
    prim = Primitive(name, value, jvp, vjp, sample, doc, reads)
    PRIMITIVES[name] = prim
    return prim


# ----------------------------------------------------------------------------- sampling
# Random inputs for the registry test: shapes of rank 0-3 with sizes 1-4, pairs of shapes
# that broadcast, and each primitive's domain (positive for log, well-conditioned for inv).

def _shape(rng, lo=0, hi=3):
    return tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(lo, hi + 1))))


def _broadcast_pair(rng):
    """Two shapes that broadcast together: equal, with some axes of size 1, or fewer leading axes."""
    base = _shape(rng, 0, 3)
    thin = [1 if rng.random() < 0.35 else n for n in base]
    thin = tuple(thin[int(rng.integers(0, len(thin) + 1)):])
    return (base, thin) if rng.random() < 0.5 else (thin, base)


def _normal(rng, shape):
    return rng.standard_normal(shape)


def _away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _unary(domain=_normal, lo=0):
    return lambda rng: (domain(rng, _shape(rng, lo)),)


def _binary(second=_normal):
    def sample(rng):
        a, b = _broadcast_pair(rng)
        return _normal(rng, a), second(rng, b)
    return sample


def _square_stack(rng, n=None):
    batch = () if rng.random() < 0.6 else (int(rng.integers(1, 4)),)
    n = int(rng.integers(1, 5)) if n is None else n
    return batch + (n, n)


def _well_conditioned(rng):
    """``I + E`` with ``|E| < 1/2``: invertible, condition number below 3, det > 0."""
    shape = _square_stack(rng)
    n = shape[-1]
    E = rng.standard_normal(shape)
    E *= 0.4 / max(1.0, np.linalg.norm(E, 2, axis=(-2, -1)).max())
    return np.eye(n) + E


def _spd(rng):
    shape = _square_stack(rng)
    A = rng.standard_normal(shape)
    return A @ np.swapaxes(A, -1, -2) / shape[-1] + np.eye(shape[-1])


# ----------------------------------------------------------------------------- helpers
# Each helper is the adjoint (or a piece of one) of a linear map, named for the map.

def _mT(A):
    return A.swapaxes(-1, -2)  # transpose of the last two axes (of each matrix in a stack)


def matmul_adjoint_a(C_bar, A, B):
    """Pullback of C = A @ B to A: A_bar = C_bar B^T (outer product if B is a vector).

    Shapes as numpy's matmul: ``A`` (k,) or (..., n, k), ``B`` (k,) or (..., k, m). The
    result has the broadcast batch shape; the engine sums it down to ``A``'s shape.
    """
    if B.ndim == 1:
        if A.ndim == 1:
            return C_bar * B  # C = <a, b> is a number
        return C_bar[..., :, None] * B  # (..., n) x (k,) -> (..., n, k)
    if A.ndim == 1:
        return (B @ C_bar[..., :, None])[..., 0]  # (..., k, m) @ (..., m) -> (..., k)
    return C_bar @ _mT(B)


def matmul_adjoint_b(C_bar, A, B):
    """Pullback of C = A @ B to B: B_bar = A^T C_bar (outer product if A is a vector)."""
    if A.ndim == 1:
        if B.ndim == 1:
            return C_bar * A
        return A[:, None] * C_bar[..., None, :]  # (k,) x (..., m) -> (..., k, m)
    if B.ndim == 1:
        return (_mT(A) @ C_bar[..., :, None])[..., 0]  # (..., k, n) @ (..., n) -> (..., k)
    return _mT(A) @ C_bar


def sum_adjoint(z_bar, shape, axis, keepdims):
    """Pullback of z = sum(x, axis): x_bar = z_bar copied along the summed axes (a broadcast)."""
    if axis is not None and not keepdims:
        z_bar = np.expand_dims(z_bar, axis)
    return np.broadcast_to(z_bar, shape)


_BASIC = (int, slice, type(None), type(Ellipsis), np.intp, np.int64, np.int32)


def _is_basic(index):
    for i in index if type(index) is tuple else (index,):
        if type(i) not in _BASIC:
            return False
    return True


def getitem_adjoint(z_bar, shape, index):
    """Pullback of z = x[index]: x_bar = zeros with z_bar scattered (added) back into x[index].

    A basic index (ints, slices, None, ...) selects each entry at most once, so plain
    assignment does; a fancy index may select an entry twice, so ``np.add.at`` adds.
    """
    x_bar = np.zeros(shape, dtype=z_bar.dtype)
    if _is_basic(index):
        x_bar[index] = z_bar
    else:
        np.add.at(x_bar, index, z_bar)
    return x_bar


def _inverse_axes(axes):
    return None if axes is None else tuple(np.argsort(axes))


def _power_derivative(x, p):
    """d(x^p)/dx = p x^(p-1), in one pass for the common p = 2; zero for p = 0 (x^0 = 1 is constant,
    also at x = 0, where p x^(p-1) would read 0 * inf = nan)."""
    if p == 0:
        return np.zeros(np.shape(x), dtype=np.result_type(x, float))
    return p * x if p == 2 else p * x ** (p - 1)


def power_adjoint(z_bar, x, p):
    """Pullback of z = x^p: x_bar = p x^(p-1) z_bar, multiplied into the new array p x^(p-1)."""
    t = _power_derivative(x, p)
    t *= z_bar
    return t


def tanh_diag(v, y):
    """Pullback and pushforward of y = tanh(x): v -> (1 - y^2) * v, a diagonal map (its own adjoint).

    Three passes over one new array: y^2, 1 - y^2, times v.
    """
    t = np.multiply(y, y, out=np.empty_like(y))
    np.subtract(1, t, out=t)
    t *= v
    return t


def stable_sigmoid(x):
    """1 / (1 + e^{-x}) without overflow: only exp of non-positive numbers is taken."""
    e = np.exp(-np.abs(x))
    s = 1 / (1 + e)
    return np.where(x >= 0, s, e * s)


def sigmoid_diag(v, y):
    """Pullback and pushforward of y = sigmoid(x): v -> y (1 - y) * v, a diagonal map (its own adjoint)."""
    t = 1 - y
    t *= y
    t *= v
    return t


def stable_softmax(x, axis=-1):
    """exp(x - max x) / sum exp(x - max x) along ``axis`` (the shift changes nothing but overflow).

    A row whose maximum is infinite gets its limit, never NaN: the weight is shared by the
    entries equal to ``+inf`` (or, in a row of ``-inf`` only, by all entries).
    """
    m = x.max(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore"):
        p = x - m
    if np.isinf(m).any():
        np.copyto(p, 0.0, where=(x == m) & np.isinf(m))
    np.exp(p, out=p)
    p /= p.sum(axis=axis, keepdims=True)
    return p


def _row_dot(p, g, axis):
    """<p, g> along ``axis`` (one pass, no temporary of p's size), kept as an axis of length 1."""
    if axis == -1 or axis == p.ndim - 1:
        return np.einsum("...j,...j->...", p, g)[..., None]
    return np.expand_dims(np.einsum("...j,...j->...", np.moveaxis(p, axis, -1), np.moveaxis(g, axis, -1)), axis)


def softmax_pushforward(dx, p, axis):
    """Differential of p = softmax(x): dp = p * (dx - <p, dx>) = (Diag(p) - p p^T) dx per row."""
    t = dx - _row_dot(p, dx, axis)
    t *= p
    return t


def softmax_adjoint(p_bar, p, axis, out=None):
    """Pullback of p = softmax(x): x_bar = p * (p_bar - <p, p_bar>); Diag(p) - p p^T is symmetric."""
    t = np.subtract(p_bar, _row_dot(p, p_bar, axis), out=out)
    t *= p
    return t


def square_trace(X):
    """tr X for a square X (n, n), or for each matrix of a stack (..., n, n)."""
    X = np.asarray(X)
    if X.ndim < 2 or X.shape[-1] != X.shape[-2]:
        raise DomainError(f"trace needs a square matrix (or a stack of them), got shape {X.shape}")
    return np.trace(X, axis1=-2, axis2=-1)


def trace_adjoint(z_bar, shape, dtype):
    """Pullback of z = tr(X): X_bar = z_bar I (the trace principle: d tr(X) = <I, dX>)."""
    return np.asarray(z_bar)[..., None, None] * np.eye(shape[-1], dtype=dtype)


def logdet_value(X):
    """log det X through slogdet (no overflow of det itself); refuses det X <= 0."""
    sign, ld = np.linalg.slogdet(X)
    if np.any(sign <= 0):
        raise DomainError(
            f"logdet needs a positive determinant (e.g. an SPD matrix); the matrix of shape {X.shape} "
            f"has det {'0' if np.all(sign == 0) else '<= 0'}"
        )
    return ld


# ----------------------------------------------------------------------------- arithmetic
defprimitive(
    "add", np.add,
    jvp=(lambda dx, z, x, y: dx, lambda dy, z, x, y: dy),
    vjp=(lambda z_bar, _z, _x, _y: z_bar, lambda z_bar, _z, _x, _y: z_bar),
    sample=_binary(),
    doc="z = x + y: dz = dx + dy; x_bar = z_bar, y_bar = z_bar (summed over broadcast axes).",
)

defprimitive(
    "subtract", np.subtract,
    jvp=(lambda dx, z, x, y: dx, lambda dy, z, x, y: -dy),
    vjp=(lambda z_bar, _z, _x, _y: z_bar, lambda z_bar, _z, _x, _y: -z_bar),
    sample=_binary(),
    doc="z = x - y: dz = dx - dy; x_bar = z_bar, y_bar = -z_bar.",
)

defprimitive(
    "multiply", np.multiply,
    jvp=(lambda dx, z, x, y: dx * y, lambda dy, z, x, y: x * dy),
    vjp=(lambda z_bar, _z, _x, y, out=None: np.multiply(z_bar, y, out=out),
         lambda z_bar, _z, x, _y, out=None: np.multiply(x, z_bar, out=out)),
    sample=_binary(),
    doc="z = x * y (elementwise): dz = dx y + x dy; x_bar = z_bar * y, y_bar = x * z_bar.",
)

defprimitive(
    "divide", np.true_divide,
    jvp=(lambda dx, z, x, y: dx / y, lambda dy, z, x, y: -(dy * z) / y),
    vjp=(lambda z_bar, _z, _x, y, out=None: np.divide(z_bar, y, out=out), lambda z_bar, z, _x, y: -(z_bar * z) / y),
    sample=_binary(_away_from_zero),
    doc="z = x / y: dz = dx / y - z dy / y; x_bar = z_bar / y, y_bar = -z_bar z / y.",
)

defprimitive(
    "negative", np.negative,
    jvp=lambda dx, z, x: -dx,
    vjp=lambda z_bar, _z, _x, out=None: np.negative(z_bar, out=out),
    sample=_unary(),
    doc="z = -x: dz = -dx; x_bar = -z_bar.",
)

defprimitive(
    "power", lambda x, p: x ** p,
    jvp=lambda dx, z, x, p: dx * _power_derivative(x, p),
    vjp=lambda z_bar, _z, x, p: power_adjoint(z_bar, x, p),
    sample=lambda rng: (rng.uniform(0.5, 2.0, _shape(rng)), float(rng.choice([2, 3, 0.5, -1, 1.5]))),
    doc="z = x ** p (p a fixed number): dz = p x^(p-1) dx; x_bar = p x^(p-1) z_bar.",
)


def _matmul_sample(rng):
    k, n, m = (int(s) for s in rng.integers(1, 5, size=3))
    batch = [(), (), (int(rng.integers(1, 4)),)][int(rng.integers(0, 3))]
    cases = [
        ((n, k), (k, m)), ((n, k), (k,)), ((k,), (k, m)), ((k,), (k,)),
        (batch + (n, k), batch + (k, m)), ((2,) + (n, k), (k, m)), ((n, k), (3, k, m)),
        ((k,), (2, k, m)), ((2, 1, n, k), (3, k, m)),
    ]
    a, b = cases[int(rng.integers(0, len(cases)))]
    return _normal(rng, a), _normal(rng, b)


defprimitive(
    "matmul", np.matmul,
    jvp=(lambda dA, C, A, B: dA @ B, lambda dB, C, A, B: A @ dB),
    vjp=(lambda C_bar, _C, _A, B: matmul_adjoint_a(C_bar, _A, B),
         lambda C_bar, _C, A, _B: matmul_adjoint_b(C_bar, A, _B)),
    sample=_matmul_sample,
    doc="C = A @ B: dC = dA B + A dB; A_bar = C_bar B^T, B_bar = A^T C_bar (as numpy's matmul: vectors, stacks).",
)


# ----------------------------------------------------------------------------- structure
def _transpose_sample(rng):
    x = _normal(rng, _shape(rng, 1))
    return x, (None if rng.random() < 0.4 else tuple(int(a) for a in rng.permutation(x.ndim)))


defprimitive(
    "transpose", lambda x, axes: x.transpose(axes),
    jvp=lambda dx, z, x, axes: dx.transpose(axes),
    vjp=lambda z_bar, _z, _x, axes: z_bar.transpose(_inverse_axes(axes)),
    sample=_transpose_sample,
    doc="z = transpose(x, axes): a permutation of axes; its adjoint is the inverse permutation.",
)


def _reshape_sample(rng):
    x = _normal(rng, _shape(rng, 1))
    shapes = [(-1,), (x.size, 1), x.shape[::-1], (1,) + x.shape]
    return x, shapes[int(rng.integers(0, len(shapes)))]


defprimitive(
    "reshape", lambda x, shape: x.reshape(shape),
    jvp=lambda dx, z, x, shape: dx.reshape(shape),
    vjp=lambda z_bar, _z, _x, shape: z_bar.reshape(_x.shape),
    sample=_reshape_sample,
    doc="z = reshape(x, shape): same entries, new shape; x_bar = reshape(z_bar, x.shape).",
)


def _sum_sample(rng):
    x = _normal(rng, _shape(rng))
    axes = [None] + list(range(-x.ndim, x.ndim)) + ([(0, x.ndim - 1)] if x.ndim >= 2 else [])
    return x, axes[int(rng.integers(0, len(axes)))], bool(rng.random() < 0.4)


defprimitive(
    "sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
    jvp=lambda dx, z, x, axis, keepdims: dx.sum(axis=axis, keepdims=keepdims),
    vjp=lambda z_bar, _z, _x, axis, keepdims: sum_adjoint(z_bar, _x.shape, axis, keepdims),
    sample=_sum_sample,
    doc="z = sum(x, axis): dz = sum(dx, axis); x_bar = z_bar broadcast along the summed axes.",
)


def _getitem_sample(rng):
    x = _normal(rng, (4, 3, 2))
    mask = rng.random((4, 3)) < 0.5
    mask[0, 0] = True
    indices = [
        (1,), (slice(1, 3),), (slice(None), 2), (Ellipsis, None, 1), (slice(None, None, -2), slice(1, None)),
        ([0, 2, 0],), (np.array([3, 3, 1]), slice(None), 0), ([0, 1], [2, 2]), (mask,), (slice(None), [1, 1, 0]),
    ]
    return x, indices[int(rng.integers(0, len(indices)))]


defprimitive(
    "getitem", lambda x, index: x[index],
    jvp=lambda dx, z, x, index: dx[index],
    vjp=lambda z_bar, _z, _x, index: getitem_adjoint(z_bar, _x.shape, index),
    sample=_getitem_sample,
    doc="z = x[index]: dz = dx[index]; x_bar = z_bar scattered back into zeros (added where an index repeats).",
)


# ----------------------------------------------------------------------------- elementwise
defprimitive(
    "exp", np.exp,
    jvp=lambda dx, y, x: dx * y,
    vjp=lambda y_bar, y, _x, out=None: np.multiply(y_bar, y, out=out),
    sample=_unary(),
    doc="y = exp(x): dy = y dx; x_bar = y_bar * y.",
)

defprimitive(
    "log", np.log,
    jvp=lambda dx, y, x: dx / x,
    vjp=lambda y_bar, _y, x, out=None: np.divide(y_bar, x, out=out),
    sample=_unary(lambda rng, shape: rng.uniform(0.3, 3.0, shape)),
    doc="y = log(x) (x > 0): dy = dx / x; x_bar = y_bar / x.",
)

defprimitive(
    "tanh", np.tanh,
    jvp=lambda dx, y, x: tanh_diag(dx, y),
    vjp=lambda y_bar, y, _x: tanh_diag(y_bar, y),
    sample=_unary(),
    doc="y = tanh(x): dy = (1 - y^2) dx; x_bar = y_bar * (1 - y^2).",
)

defprimitive(
    "sigmoid", stable_sigmoid,
    jvp=lambda dx, y, x: sigmoid_diag(dx, y),
    vjp=lambda y_bar, y, _x: sigmoid_diag(y_bar, y),
    sample=_unary(lambda rng, shape: 3 * rng.standard_normal(shape)),
    doc="y = 1 / (1 + exp(-x)): dy = y (1 - y) dx; x_bar = y_bar * y (1 - y).",
)

defprimitive(
    "relu", lambda x: np.maximum(x, 0),
    jvp=lambda dx, y, x: dx * (y > 0),
    vjp=lambda y_bar, y, _x, out=None: np.multiply(y_bar, y > 0, out=out),
    sample=_unary(_away_from_zero),
    doc="y = max(x, 0): dy = [x > 0] dx; x_bar = [x > 0] y_bar.",
)

defprimitive(
    "maximum", np.maximum,
    jvp=(lambda dx, z, x, y: np.where(x >= y, dx, 0), lambda dy, z, x, y: np.where(x >= y, 0, dy)),
    vjp=(lambda z_bar, _z, x, y: np.where(x >= y, z_bar, 0), lambda z_bar, _z, x, y: np.where(x >= y, 0, z_bar)),
    sample=_binary(),
    doc="z = max(x, y) elementwise (ties go to x): dz = [x >= y] dx + [x < y] dy; the same masks pull back.",
)


def _where_sample(rng):
    a, b = _broadcast_pair(rng)
    return _normal(rng, a), _normal(rng, b), rng.random(np.broadcast_shapes(a, b)) < 0.5


defprimitive(
    "where", lambda x, y, cond: np.where(cond, x, y),
    jvp=(lambda dx, z, x, y, cond: np.where(cond, dx, 0), lambda dy, z, x, y, cond: np.where(cond, 0, dy)),
    vjp=(lambda z_bar, _z, _x, _y, cond: np.where(cond, z_bar, 0), lambda z_bar, _z, _x, _y, cond: np.where(cond, 0, z_bar)),
    sample=_where_sample,
    doc="z = where(cond, x, y) (cond fixed): dz = where(cond, dx, dy); x_bar = where(cond, z_bar, 0), y_bar = where(cond, 0, z_bar).",
)


def _softmax_sample(rng):
    x = 3 * _normal(rng, _shape(rng, 1))
    return x, int(rng.integers(-x.ndim, x.ndim))


defprimitive(
    "softmax", stable_softmax,
    jvp=lambda dx, p, x, axis: softmax_pushforward(dx, p, axis),
    vjp=lambda p_bar, p, _x, axis, out=None: softmax_adjoint(p_bar, p, axis, out),
    sample=_softmax_sample,
    doc="p = softmax(x) along axis: dp = (Diag(p) - p p^T) dx; x_bar = (Diag(p) - p p^T) p_bar (symmetric).",
)


# ----------------------------------------------------------------------------- matrix functions
defprimitive(
    "trace", square_trace,
    jvp=lambda dX, z, X: np.trace(dX, axis1=-2, axis2=-1),
    vjp=lambda z_bar, _z, _X: trace_adjoint(z_bar, _X.shape, _X.dtype),
    sample=lambda rng: (_normal(rng, _square_stack(rng)),),
    doc="z = tr(X): dz = tr(dX) = <I, dX>; X_bar = z_bar I.",
)

defprimitive(
    "inv", np.linalg.inv,
    jvp=lambda dX, Y, X: -(Y @ dX @ Y),
    vjp=lambda Y_bar, Y, _X: -(_mT(Y) @ Y_bar @ _mT(Y)),
    sample=lambda rng: (_well_conditioned(rng),),
    doc="Y = X^{-1}: dY = -Y dX Y; X_bar = -Y^T Y_bar Y^T.",
)

defprimitive(
    "logdet", logdet_value,
    jvp=lambda dX, z, X: np.trace(np.linalg.solve(X, dX), axis1=-2, axis2=-1),
    vjp=lambda z_bar, _z, X: np.asarray(z_bar)[..., None, None] * _mT(np.linalg.inv(X)),
    sample=lambda rng: ((_spd if rng.random() < 0.5 else _well_conditioned)(rng),),
    doc="z = log det X (det X > 0): dz = tr(X^{-1} dX); X_bar = z_bar X^{-T}.",
)
