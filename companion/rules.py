"""The engine's primitives: each one's value, differential and adjoint, side by side (8.4, 8.5).

A primitive ``z = f(x, y, ...)`` is declared once, with three things:

- ``value(x, y, ..., *params)``: the primal map, on numpy arrays;
- ``jvp``: one rule per differentiable argument, ``(dx, z, x, y, ..., *params) -> dz``,
  the differential ``df[dx]`` that pushes a tangent forward (used by :func:`companion.jvp`);
- ``vjp``: one rule per differentiable argument, ``(z_bar, z, x, y, ..., *params) -> x_bar``,
  the adjoint ``df^*[z_bar]`` that pulls a cotangent back (used by :func:`companion.vjp`
  and :func:`companion.grad`), with ``reads``: which of ``z, x, y, ...`` that rule needs
  the values of.

The differentiable arguments come first, then static parameters (an axis, a shape, an
index, an exponent), which are passed to the rules unchanged. The two rules of one
argument are a linear map and its adjoint, ``<z_bar, df[dx]> = <df^*[z_bar], dx>``: the
test suite checks this (the dot-product test) and checks ``jvp`` against finite
differences, for every primitive registered here, on the random inputs its ``sample``
draws (the samplers of the built-in primitives are in ``companion/_samples.py``). A
primitive is added, and tested, by one :func:`defprimitive` call. A linear primitive
(``-x``, a transpose, a sum, an index, the trace) is its own differential, and a bilinear
one (``x * y``, ``A @ B``) has ``dz = f(dx, y) + f(x, dy)``: those derive their jvp rules
(``_deflinear``, ``_defbilinear``, as JAX's ``deflinear``/``defbilinear``).

What a node keeps for its pullback is declared, as JAX's transpose rules see an abstract
value in place of an array they must not read: a vjp rule names in ``reads`` the arrays
whose values it uses (``reads="y"`` for ``x_bar = z_bar * y``). The engine keeps those; in
place of the others the rule gets an :class:`Aval`, their shape and dtype only, and the
array itself can be freed (the pullback of ``x * 2.0`` does not keep ``x``). A rule that
uses the value of an array it did not name is refused by :func:`defprimitive`, which runs
each rule once on its ``sample`` with stand-ins, naming the rule and the argument.

Conventions the engine relies on:

- a vjp rule may return a cotangent with the *broadcast* shape of its argument (``z_bar``
  for ``x + y`` with ``x`` of shape ``(3,)`` and ``y`` of shape ``(2, 3)``); the engine sums
  it over the broadcast axes. Likewise a jvp rule's tangent is broadcast to ``z``'s shape.
- a rule returns ``z_bar`` itself, a view of it, or a new array; it never writes into
  ``z_bar`` or into the primals.
- a vjp rule of an elementwise primitive (its result has the shape of ``z``) may take a
  keyword ``out``: when the engine owns the buffer of ``z_bar`` and nothing else will read
  it, it passes ``out=z_bar`` and the rule may write its result there (``np.multiply(z_bar,
  y, out=out)``), saving an allocation and a pass; otherwise ``out`` is ``None``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from . import _numerics
from . import _samples as samples

__all__ = ["Aval", "Primitive", "PRIMITIVES", "defprimitive", "check_reads", "DomainError"]


class DomainError(ValueError):
    """An input outside a primitive's domain (``logdet`` of det <= 0, ``trace`` of a non-square)."""


class Aval:
    """The shape and dtype of an array, standing in for it where a vjp rule did not declare it reads it.

    It has ``shape``, ``dtype`` and ``ndim``, and nothing else: arithmetic on it, or numpy
    reading it as an array, is a ``TypeError``.
    """

    __slots__ = ("shape", "dtype")
    __array_ufunc__ = None  # numpy's operators and ufuncs refuse it (TypeError)

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype

    @property
    def ndim(self):
        return len(self.shape)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"an Aval (shape {self.shape}, dtype {self.dtype}) stands for an array that was not kept")

    def __repr__(self):
        return f"Aval(shape={self.shape}, dtype={self.dtype})"


class Primitive:
    """A registered primitive: ``value``, ``jvp`` rules, ``vjp`` rules with what they ``reads``, ``sample``.

    ``nin`` is the number of differentiable (leading) arguments, one jvp and one vjp rule
    each. ``reads[k]`` is ``(reads z?, (reads argument j?, ...))`` for vjp rule ``k``;
    ``takes_out[k]`` says rule ``k`` accepts ``out=``. ``sample(rng)`` returns a tuple of
    arguments for the tests: random float64 arrays in the primitive's domain (broadcast
    shapes included), then static parameters.
    """

    __slots__ = ("name", "value", "jvp", "vjp", "reads", "takes_out", "sample", "doc", "nin", "keeps")

    def __init__(self, name, value, jvp, vjp, reads, takes_out, sample, doc):
        self.name, self.value, self.jvp, self.vjp = name, value, jvp, vjp
        self.reads, self.takes_out = reads, takes_out
        self.sample, self.doc, self.nin = sample, doc, len(vjp)
        self.keeps = tuple(self._keeps(mask) for mask in range(1 << self.nin))

    def _keeps(self, mask: int):
        """What a node keeps when the arguments in ``mask`` (bit k: argument k) need cotangents.

        Returns ``(keep z?, arguments kept as an Aval only, constants kept)``: the union of
        what the vjp rules of those arguments read, and the arguments outside ``mask`` among it.
        ``keeps[mask]`` holds it for every mask.
        """
        used = [self.reads[p] for p in range(self.nin) if mask >> p & 1]
        read = [any(args[j] for _, args in used) for j in range(self.nin)]
        return (
            any(z for z, _ in used),
            tuple(j for j in range(self.nin) if not read[j]),
            tuple(j for j in range(self.nin) if read[j] and not mask >> j & 1),
        )

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


def _rule_reads(rule, declared, nin, name, k):
    """``((reads z?, (reads argument j?, ...)), takes out=?)`` of vjp rule ``k`` from its ``reads`` string.

    The names are the rule's own parameter names for ``z`` and the arguments; ``None``
    declares that the rule reads everything.
    """
    params = list(inspect.signature(rule).parameters.values())
    takes_out = any(p.name == "out" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
    params = [p for p in params if p.name != "out"]
    if declared is None:
        return (True, (True,) * nin), takes_out
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(params) < 2 + nin:
        raise TypeError(
            f"defprimitive({name!r}): vjp rule {k} must take (z_bar, z, <{nin} argument(s)>, *params) by name "
            f"to declare reads, got parameters ({', '.join(p.name for p in params)})"
        )
    if not isinstance(declared, str):
        raise TypeError(f"defprimitive({name!r}): reads of vjp rule {k} must be a string of names, got {declared!r}")
    slots = [p.name for p in params[1:2 + nin]]
    names = declared.replace(",", " ").split()
    for n in names:
        if n not in slots:
            raise ValueError(
                f"defprimitive({name!r}): vjp rule {k} declares it reads {n!r}, which is not one of its "
                f"output and argument parameters ({', '.join(slots)})"
            )
    return (slots[0] in names, tuple(s in names for s in slots[1:])), takes_out


def _as_reads(reads, vjp, name):
    if reads is None or isinstance(reads, str):
        reads = (reads,) * len(vjp) if reads is None or len(vjp) == 1 else reads
    elif not isinstance(reads, (tuple, list)):
        raise TypeError(f"defprimitive({name!r}): reads must be a string or a tuple of strings, got {reads!r}")
    if isinstance(reads, str) or len(reads) != len(vjp):
        raise ValueError(
            f"defprimitive({name!r}): reads must give one string per vjp rule ({len(vjp)}), "
            f"e.g. reads=('y', 'x') for z = x * y; got {reads!r}"
        )
    per_rule = [_rule_reads(r, d, len(vjp), name, k) for k, (r, d) in enumerate(zip(vjp, reads, strict=True))]
    return tuple(r for r, _ in per_rule), tuple(t for _, t in per_rule)


def defprimitive(name: str, value: Callable, *, jvp=None, vjp=None, reads=None, sample=None, doc: str = "",
                 replace: bool = False) -> Primitive:
    """Register a primitive with its value, its jvp rule(s) and its vjp rule(s).

    ``jvp`` and ``vjp`` are each a callable (one differentiable argument) or a tuple with
    one rule per differentiable argument. ``reads`` says which arrays each vjp rule uses
    the values of, by the rule's parameter names: a string for one rule (``"y"``, ``"z x"``,
    ``""`` for none), a tuple of strings for several; ``None`` (the default) keeps them all.
    A primitive missing either rule is refused (``TypeError``), as is one whose rule counts
    disagree (``ValueError``). ``sample(rng)`` describes random test inputs (required with
    ``reads``): each vjp rule is run once on them with stand-ins (:class:`Aval`) for what it
    does not read, and a rule that needs more than it declares is refused (``TypeError``,
    see :func:`check_reads`). Returns the :class:`Primitive`, also stored in ``PRIMITIVES[name]``.
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
    prim = Primitive(name, value, jvp, vjp, *_as_reads(reads, vjp, name), sample, doc)
    if sample is not None:
        check_reads(prim, np.random.default_rng(0))
    elif reads is not None:
        raise TypeError(f"defprimitive({name!r}): reads is checked on the rules' sample inputs; give sample=")
    PRIMITIVES[name] = prim
    return prim


def _stand_in(a):
    return Aval(a.shape, a.dtype) if isinstance(a, np.ndarray) else a


def check_reads(prim: Primitive, rng: np.random.Generator) -> None:
    """Run each vjp rule of ``prim`` on ``prim.sample(rng)`` twice: with every array, and with an
    :class:`Aval` in place of each array the rule does not declare in ``reads``.

    ``TypeError`` naming the primitive, the rule and the argument when the two runs differ
    or the second fails: the rule uses a value the engine would not have kept.
    """
    args = prim.sample(rng)
    z = np.asarray(prim.value(*args))
    z_bar = rng.standard_normal(z.shape).astype(z.dtype, copy=False)
    slots = [z, *args[: prim.nin]]
    for k, rule in enumerate(prim.vjp):
        reads_z, reads_args = prim.reads[k]
        hidden = [s for s, read in enumerate((reads_z, *reads_args)) if not read]
        if not hidden:
            continue
        want = np.asarray(rule(z_bar, *slots, *args[prim.nin:]))
        names = list(inspect.signature(rule).parameters)[1:2 + prim.nin]
        for s in hidden:
            trial = [_stand_in(a) if t == s else a for t, a in enumerate(slots)]
            try:
                got = np.asarray(rule(z_bar, *trial, *args[prim.nin:]))
                ok = got.shape == want.shape and np.array_equal(got, want)
            except Exception:  # any failure on a stand-in means the rule used the value
                ok = False
            if not ok:
                raise TypeError(
                    f"defprimitive({prim.name!r}): vjp rule {k} uses the value of {names[s]!r}, which its reads "
                    f"do not name, so the engine would keep only its shape and dtype; add {names[s]!r} to reads"
                )


# ----------------------------------------------------------------------------- helpers
# Each helper is the adjoint (or a piece of one) of a linear map, named for the map.

def _mT(A):
    """The transpose of the last two axes (of each matrix in a stack)."""
    return A.T if A.ndim == 2 else A.swapaxes(-1, -2)


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
    return all(type(i) in _BASIC for i in index)


def _adds_axes_only(index):
    """Whether ``x[index]`` only inserts axes of length 1 (``x[:, None]``): then it is a reshape."""
    return all(i is None or i is Ellipsis or type(i) is slice and i == _ALL for i in index)


_ALL = slice(None)


def getitem_adjoint(z_bar, shape, index):
    """Pullback of z = x[index]: x_bar = zeros with z_bar scattered (added) back into x[index].

    A basic index (ints, slices, None, ...) selects each entry at most once, so plain
    assignment does; a fancy index may select an entry twice, so ``np.add.at`` adds. An
    index that only inserts axes (``x[:, None]``) is a reshape, and so is its adjoint.
    """
    items = index if type(index) is tuple else (index,)
    if _is_basic(items):
        if _adds_axes_only(items):
            return z_bar.reshape(shape)
        x_bar = np.zeros(shape, dtype=z_bar.dtype)
        x_bar[index] = z_bar
    else:
        x_bar = np.zeros(shape, dtype=z_bar.dtype)
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
    t = y * y
    np.subtract(1, t, out=t)
    t *= v
    return t


def sigmoid_diag(v, y):
    """Pullback and pushforward of y = sigmoid(x): v -> y (1 - y) * v, a diagonal map (its own adjoint)."""
    t = 1 - y
    t *= y
    t *= v
    return t


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


def _deflinear(name, value, **kw):
    """A primitive linear in its one differentiable argument: its differential is itself, dz = f(dx, *params)."""
    return defprimitive(name, value, jvp=lambda dx, z, x, *params: value(dx, *params), **kw)


def _defbilinear(name, value, **kw):
    """A primitive linear in each of its two arguments: dz = f(dx, y) + f(x, dy)."""
    return defprimitive(name, value, jvp=(lambda dx, z, x, y: value(dx, y), lambda dy, z, x, y: value(x, dy)), **kw)


# ----------------------------------------------------------------------------- arithmetic
defprimitive(
    "add", np.add,
    jvp=(lambda dx, z, x, y: dx, lambda dy, z, x, y: dy),
    vjp=(lambda z_bar, z, x, y: z_bar, lambda z_bar, z, x, y: z_bar), reads=("", ""),
    sample=samples.binary(),
    doc="z = x + y: dz = dx + dy; x_bar = z_bar, y_bar = z_bar (summed over broadcast axes).",
)

defprimitive(
    "subtract", np.subtract,
    jvp=(lambda dx, z, x, y: dx, lambda dy, z, x, y: -dy),
    vjp=(lambda z_bar, z, x, y: z_bar, lambda z_bar, z, x, y: -z_bar), reads=("", ""),
    sample=samples.binary(),
    doc="z = x - y: dz = dx - dy; x_bar = z_bar, y_bar = -z_bar.",
)

_defbilinear(
    "multiply", np.multiply,
    vjp=(lambda z_bar, z, x, y, out=None: np.multiply(z_bar, y, out=out),
         lambda z_bar, z, x, y, out=None: np.multiply(x, z_bar, out=out)), reads=("y", "x"),
    sample=samples.binary(),
    doc="z = x * y (elementwise): dz = dx y + x dy; x_bar = z_bar * y, y_bar = x * z_bar.",
)

defprimitive(
    "divide", np.true_divide,
    jvp=(lambda dx, z, x, y: dx / y, lambda dy, z, x, y: -(dy * z) / y),
    vjp=(lambda z_bar, z, x, y, out=None: np.divide(z_bar, y, out=out),
         lambda z_bar, z, x, y: -(z_bar * z) / y), reads=("y", "z y"),
    sample=samples.binary(samples.away_from_zero),
    doc="z = x / y: dz = dx / y - z dy / y; x_bar = z_bar / y, y_bar = -z_bar z / y.",
)

_deflinear(
    "negative", np.negative,
    vjp=lambda z_bar, z, x, out=None: np.negative(z_bar, out=out), reads="",
    sample=samples.unary(),
    doc="z = -x: dz = -dx; x_bar = -z_bar.",
)

defprimitive(
    "power", lambda x, p: x ** p,
    jvp=lambda dx, z, x, p: dx * _power_derivative(x, p),
    vjp=lambda z_bar, z, x, p: power_adjoint(z_bar, x, p), reads="x",
    sample=samples.power,
    doc="z = x ** p (p a fixed number): dz = p x^(p-1) dx; x_bar = p x^(p-1) z_bar.",
)

_defbilinear(
    "matmul", np.matmul,
    vjp=(lambda C_bar, C, A, B: matmul_adjoint_a(C_bar, A, B),
         lambda C_bar, C, A, B: matmul_adjoint_b(C_bar, A, B)), reads=("B", "A"),
    sample=samples.matmul,
    doc="C = A @ B: dC = dA B + A dB; A_bar = C_bar B^T, B_bar = A^T C_bar (as numpy's matmul: vectors, stacks).",
)


# ----------------------------------------------------------------------------- structure
_deflinear(
    "transpose", lambda x, axes: x.transpose(axes),
    vjp=lambda z_bar, z, x, axes: z_bar.transpose(_inverse_axes(axes)), reads="",
    sample=samples.transpose,
    doc="z = transpose(x, axes): a permutation of axes; its adjoint is the inverse permutation.",
)

_deflinear(
    "reshape", lambda x, shape: x.reshape(shape),
    vjp=lambda z_bar, z, x, shape: z_bar.reshape(x.shape), reads="",
    sample=samples.reshape,
    doc="z = reshape(x, shape): same entries, new shape; x_bar = reshape(z_bar, x.shape).",
)

_deflinear(
    "sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims),
    vjp=lambda z_bar, z, x, axis, keepdims: sum_adjoint(z_bar, x.shape, axis, keepdims), reads="",
    sample=samples.sum_,
    doc="z = sum(x, axis): dz = sum(dx, axis); x_bar = z_bar broadcast along the summed axes.",
)

_deflinear(
    "getitem", lambda x, index: x[index],
    vjp=lambda z_bar, z, x, index: getitem_adjoint(z_bar, x.shape, index), reads="",
    sample=samples.getitem,
    doc="z = x[index]: dz = dx[index]; x_bar = z_bar scattered back into zeros (added where an index repeats).",
)


# ----------------------------------------------------------------------------- elementwise
defprimitive(
    "exp", np.exp,
    jvp=lambda dx, y, x: dx * y,
    vjp=lambda y_bar, y, x, out=None: np.multiply(y_bar, y, out=out), reads="y",
    sample=samples.unary(),
    doc="y = exp(x): dy = y dx; x_bar = y_bar * y.",
)

defprimitive(
    "log", np.log,
    jvp=lambda dx, y, x: dx / x,
    vjp=lambda y_bar, y, x, out=None: np.divide(y_bar, x, out=out), reads="x",
    sample=samples.unary(samples.positive),
    doc="y = log(x) (x > 0): dy = dx / x; x_bar = y_bar / x.",
)

defprimitive(
    "tanh", np.tanh,
    jvp=lambda dx, y, x: tanh_diag(dx, y),
    vjp=lambda y_bar, y, x: tanh_diag(y_bar, y), reads="y",
    sample=samples.unary(),
    doc="y = tanh(x): dy = (1 - y^2) dx; x_bar = y_bar * (1 - y^2).",
)

defprimitive(
    "sigmoid", _numerics.sigmoid,
    jvp=lambda dx, y, x: sigmoid_diag(dx, y),
    vjp=lambda y_bar, y, x: sigmoid_diag(y_bar, y), reads="y",
    sample=samples.unary(samples.wide),
    doc="y = 1 / (1 + exp(-x)): dy = y (1 - y) dx; x_bar = y_bar * y (1 - y).",
)

defprimitive(
    "relu", lambda x: np.maximum(x, 0),
    jvp=lambda dx, y, x: dx * (y > 0),
    vjp=lambda y_bar, y, x, out=None: np.multiply(y_bar, y > 0, out=out), reads="y",
    sample=samples.unary(samples.away_from_zero),
    doc="y = max(x, 0): dy = [x > 0] dx; x_bar = [x > 0] y_bar.",
)

defprimitive(
    "maximum", np.maximum,
    jvp=(lambda dx, z, x, y: np.where(x >= y, dx, 0), lambda dy, z, x, y: np.where(x >= y, 0, dy)),
    vjp=(lambda z_bar, z, x, y: np.where(x >= y, z_bar, 0), lambda z_bar, z, x, y: np.where(x >= y, 0, z_bar)),
    reads=("x y", "x y"),
    sample=samples.binary(),
    doc="z = max(x, y) elementwise (ties go to x): dz = [x >= y] dx + [x < y] dy; the same masks pull back.",
)

defprimitive(
    "where", lambda x, y, cond: np.where(cond, x, y),
    jvp=(lambda dx, z, x, y, cond: np.where(cond, dx, 0), lambda dy, z, x, y, cond: np.where(cond, 0, dy)),
    vjp=(lambda z_bar, z, x, y, cond: np.where(cond, z_bar, 0), lambda z_bar, z, x, y, cond: np.where(cond, 0, z_bar)),
    reads=("", ""),
    sample=samples.where,
    doc="z = where(cond, x, y) (cond fixed): dz = where(cond, dx, dy); "
        "x_bar = where(cond, z_bar, 0), y_bar = where(cond, 0, z_bar).",
)

defprimitive(
    "softmax", _numerics.softmax,
    jvp=lambda dx, p, x, axis: softmax_pushforward(dx, p, axis),
    vjp=lambda p_bar, p, x, axis, out=None: softmax_adjoint(p_bar, p, axis, out), reads="p",
    sample=samples.softmax,
    doc="p = softmax(x) along axis: dp = (Diag(p) - p p^T) dx; x_bar = (Diag(p) - p p^T) p_bar (symmetric).",
)


# ----------------------------------------------------------------------------- matrix functions
_deflinear(
    "trace", square_trace,
    vjp=lambda z_bar, z, X: trace_adjoint(z_bar, X.shape, X.dtype), reads="",
    sample=samples.square,
    doc="z = tr(X): dz = tr(dX) = <I, dX>; X_bar = z_bar I.",
)

defprimitive(
    "inv", np.linalg.inv,
    jvp=lambda dX, Y, X: -(Y @ dX @ Y),
    vjp=lambda Y_bar, Y, X: -(_mT(Y) @ Y_bar @ _mT(Y)), reads="Y",
    sample=samples.well_conditioned,
    doc="Y = X^{-1}: dY = -Y dX Y; X_bar = -Y^T Y_bar Y^T.",
)

defprimitive(
    "logdet", logdet_value,
    jvp=lambda dX, z, X: np.trace(np.linalg.solve(X, dX), axis1=-2, axis2=-1),
    vjp=lambda z_bar, z, X: np.asarray(z_bar)[..., None, None] * _mT(np.linalg.inv(X)), reads="X",
    sample=samples.spd_or_well_conditioned,
    doc="z = log det X (det X > 0): dz = tr(X^{-1} dX); X_bar = z_bar X^{-T}.",
)
