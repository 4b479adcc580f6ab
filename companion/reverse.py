"""The reverse-mode engine: a tape of primitives, and the pullback of covectors (8.4, 8.5).

A function ``f`` written with the engine's operations is a composition of primitives,
``f = f_K o ... o f_1``. Its differential is the composition of their differentials
(the chain rule), and the adjoint of a composition is the composition of the adjoints
in reverse order:

    df = df_K ... df_1          (pushforward of a tangent: jvp, forward mode)
    df^* = df_1^* ... df_K^*    (pullback of a cotangent: vjp, reverse mode)

So backprop is nothing but pulling the covector ``y_bar`` back through the adjoints of
the local Jacobians, last primitive first. ``grad f`` is the pullback of ``1``: the Riesz
representer, under the Frobenius inner product, of the differential of a scalar ``f``.

How it runs:

- :func:`vjp` (and :func:`grad`) wraps each primal in a :class:`Tensor` and calls ``f``.
  Every primitive applied to a Tensor is recorded, as it is evaluated, on a *tape* that
  belongs to that call alone (a ``Node``): its rule, which tape entries are its
  arguments, and only the primal values its vjp rules declare they read (``reads``; the
  others are kept as an :class:`~companion.rules.Aval`, a shape and a dtype). The tape
  is in evaluation order, so walking it backwards visits every node after all of its
  consumers: a topological order, without a sort and without recursion.
- The sweep keeps one cotangent per tape entry: the first contribution is stored as it
  is (no copy), later ones (a node used twice) are added, in place when the engine owns
  the buffer (it made it, and nobody else holds it). A cotangent is dropped as soon as its
  node has pulled it back; an owned cotangent with a single reader may be overwritten by
  that reader's rule (``out=``, see :mod:`companion.rules`), so an elementwise pullback
  costs no new array. :func:`grad` also drops each tape entry once it is used, freeing
  the primals it kept; :func:`vjp` keeps the tape, so its pullback can be called again.
  Constants and data (numpy arrays, numbers, non-differentiated arguments) are never
  recorded, so no cotangent is computed for them.
- :func:`jvp` needs no tape: each Tensor carries its tangent next to its primal value,
  and each primitive pushes it forward with its jvp rule as it is evaluated.

The primitives and their rules live in :mod:`companion.rules`.
"""

from __future__ import annotations

import functools
import inspect
import operator
from typing import NamedTuple

import numpy as np

from . import rules as _rules
from ._validate import (
    as_array_of,
    as_axes,
    as_axis,
    as_bool,
    as_condition,
    as_float_array,
    as_int,
    check_callable,
    check_finite,
    check_rows_kept,
    describe,
    shape_str,
)
from .rules import Aval

__all__ = [
    "Tensor", "vjp", "jvp", "grad", "value_and_grad", "call",
    "exp", "log", "tanh", "sigmoid", "relu", "softmax", "trace", "inv", "logdet", "maximum", "where",
]

_P = _rules.PRIMITIVES


class Node(NamedTuple):
    """A tape entry: one primitive applied, with what its pullback needs.

    ``parents`` lists the traced arguments as ``(position, tape index, shape)``; ``args`` holds
    the arguments as the vjp rules get them (arrays the rules read, an :class:`Aval` in
    place of the others, static parameters); ``ans`` is the output, or its ``Aval`` when
    no rule reads it. A leaf (a primal) is ``Node(None, (), (), Aval of the primal)``.
    """

    prim: _rules.Primitive | None
    parents: list
    args: list
    ans: object


_node = tuple.__new__  # _node(Node, (...)) builds a Node without the keyword handling of Node(...): the hot path

def _new(value, tape, i, tangent):
    t = object.__new__(Tensor)
    t.value, t._tape, t._i, t._tangent = value, tape, i, tangent
    return t


def _op_error(prim, vals, exc, names=None):
    """The error of a primitive that could not be applied: names it, its operands (by name when
    the caller gave their names) and their shapes, and its parameters."""
    if isinstance(exc, _rules.DomainError):
        return exc if names is None else _rules.DomainError(f"{', '.join(names)}: {exc}")
    params = vals[prim.nin:]
    extra = f" with parameters {', '.join(map(repr, params))}" if params else ""
    if names is None:
        shapes = ", ".join(shape_str(np.shape(v)) for v in vals[: prim.nin])
        msg = f"{prim.name}: cannot apply to operands of shapes {shapes}{extra}: {exc}"
    else:
        operands = zip(names, vals[: prim.nin], strict=False)
        shapes = ", ".join(f"{n} of shape {shape_str(np.shape(v))}" for n, v in operands)
        msg = f"{prim.name}: cannot apply to {shapes}{extra}: {exc}"
    kind = TypeError if isinstance(exc, TypeError) else ValueError if isinstance(exc, ValueError) else IndexError
    return kind(msg)


def _apply(prim, args):
    """Evaluate ``prim`` on ``args`` (Tensors, arrays, numbers, then static parameters).

    Records a tape entry when an argument is traced by :func:`vjp` (:func:`_record`),
    pushes tangents forward when an argument carries one (:func:`_push`), and otherwise
    returns a constant.
    """
    vals = list(args)
    tape = tangents = None
    parents = []
    mask = 0
    for k in range(prim.nin):
        a = args[k]
        if type(a) is Tensor:
            vals[k] = a.value
            if a._tape is not None:
                if tape is None:
                    tape = a._tape
                elif a._tape is not tape:
                    raise ValueError(f"{prim.name}: its arguments come from two different calls of vjp/grad")
                parents.append((k, a._i, a.value.shape))
                mask |= 1 << k
            elif a._tangent is not None:
                if tangents is None:
                    tangents = []
                tangents.append((k, a._tangent))
        elif not isinstance(a, (np.ndarray, float, int, np.generic)):
            vals[k] = np.asarray(a)
    try:
        ans = prim.value(*vals)
    except (ValueError, TypeError, IndexError) as exc:
        raise _op_error(prim, vals, exc) from None
    if type(ans) is not np.ndarray:
        ans = np.asarray(ans)
    if tape is not None:
        if tangents is not None:
            raise ValueError(f"{prim.name}: vjp/grad and jvp cannot be nested (higher derivatives are not supported)")
        return _record(prim, args, vals, ans, tape, parents, mask)
    if tangents is not None:
        return _push(prim, vals, ans, tangents)
    return _new(ans, None, 0, None)


def _record(prim, args, vals, ans, tape, parents, mask):
    """Append the node of ``ans = prim(*vals)`` to ``tape``, keeping what its vjp rules read (see ``reads``).

    The arrays the rules of the traced arguments (``mask``) do not read are replaced by
    their :class:`Aval`. What the node keeps of the caller's arrays (constants, indices,
    masks) is a copy: the pullback must give the same answer whatever the caller does to
    them later.
    """
    keep_ans, hidden, constants = prim.keeps[mask]
    for j in hidden:
        v = vals[j]
        if mask >> j & 1:  # a traced argument: its own node may hold its Aval already
            v = tape[args[j]._i].ans
            vals[j] = v if type(v) is Aval else Aval(v.shape, v.dtype)
        elif type(v) is np.ndarray:
            vals[j] = Aval(v.shape, v.dtype)
    for j in constants:
        vals[j] = _frozen(vals[j])
    if len(vals) > prim.nin:
        for j in range(prim.nin, len(vals)):  # static parameters: an index, a mask
            v = vals[j]
            if type(v) is np.ndarray or type(v) is tuple:
                vals[j] = _frozen(v)
    out = object.__new__(Tensor)
    out.value, out._tape, out._i, out._tangent = ans, tape, len(tape), None
    tape.append(_node(Node, (prim, parents, vals, ans if keep_ans else Aval(ans.shape, ans.dtype))))
    return out


def _push(prim, vals, ans, tangents):
    """``ans`` with its tangent: the sum of the jvp rules applied to the arguments' tangents."""
    rules = prim.jvp
    t = None
    for k, dx in tangents:
        r = rules[k](dx, ans, *vals)
        t = r if t is None else t + r
    if np.shape(t) != ans.shape:
        t = np.broadcast_to(t, ans.shape)
    return _new(ans, None, 0, np.asarray(t))


def _frozen(v):
    """A private copy of an array (or of the arrays in a tuple, such as an index) kept on the tape."""
    if isinstance(v, np.ndarray):
        return np.array(v)
    if type(v) is tuple:
        for i in v:
            if isinstance(i, np.ndarray):
                return tuple(np.array(i) if isinstance(i, np.ndarray) else i for i in v)
    return v


def _call(prim, *args, names=None):
    """A primitive as a function: records it if an argument is a Tensor, else plain numpy.

    On numpy, the differentiable arguments are read as float arrays (``as_float_array``, named
    by ``names``), and a failure names the primitive, the arguments and their shapes.
    """
    for k in range(prim.nin):
        if isinstance(args[k], Tensor):
            return _apply(prim, args)
    names = names or tuple(f"{prim.name}: argument {k}" for k in range(prim.nin))
    vals = [as_float_array(a, n) for a, n in zip(args[: prim.nin], names, strict=False)] + list(args[prim.nin:])
    try:
        return prim.value(*vals)
    except (ValueError, TypeError, IndexError) as exc:
        raise _op_error(prim, vals, exc, names) from None


def call(prim, *args):
    """Apply a registered primitive (a :class:`~companion.rules.Primitive` or its name) to ``args``.

    ``call("exp", x)`` is ``exp(x)``; a primitive added with ``defprimitive`` is used this
    way. Tensors in, a Tensor out (recorded); numpy in, numpy out.
    """
    if isinstance(prim, str):
        if prim not in _P:
            raise ValueError(
                f"prim must be a registered primitive or its name, got {prim!r}; registered: {', '.join(sorted(_P))}"
            )
        prim = _P[prim]
    if not isinstance(prim, _rules.Primitive):
        raise TypeError(f"call: prim must be a Primitive or the name of one, got {describe(prim)}")
    if len(args) < prim.nin:
        raise TypeError(f"{prim.name} takes {prim.nin} differentiable argument(s), got {len(args)} argument(s)")
    return _call(prim, *args)


# ----------------------------------------------------------------------------- the Tensor
_HINT_ALL = (
    "the engine's operations: + - * / @ ** (by a number), .T, .transpose, .sum, .mean, .reshape, "
    "indexing, and companion.exp, log, tanh, sigmoid, relu, softmax, trace, inv, logdet, maximum, "
    "where; or register a new primitive with companion.rules.defprimitive"
)
_HINTS = {
    "sum": "x.sum(axis)", "mean": "x.mean(axis)", "transpose": "x.T or x.transpose(axes)",
    "reshape": "x.reshape(shape)", "ravel": "x.reshape(-1)", "matmul": "x @ y", "dot": "x @ y",
    "inner": "(x * y).sum()", "vdot": "(x * y).sum()", "outer": "x[:, None] * y[None, :]",
    "trace": "companion.trace(X)", "inv": "companion.inv(X)", "det": "companion.logdet(X)",
    "slogdet": "companion.logdet(X)", "where": "companion.where(cond, x, y)",
    "maximum": "companion.maximum(x, y)", "clip": "companion.maximum and companion.where",
    "exp": "companion.exp(x)", "log": "companion.log(x)", "tanh": "companion.tanh(x)",
    "sqrt": "x ** 0.5", "square": "x ** 2", "power": "x ** p", "negative": "-x", "positive": "x",
    "expand_dims": "x[:, None] or x.reshape(shape)", "squeeze": "x.reshape(shape)", "swapaxes": "x.transpose(axes)",
    "absolute": "where(x >= 0, x, -x)", "abs": "where(x >= 0, x, -x)",
}


def _unsupported(what, name):
    hint = _HINTS.get(name)
    use = f"use {hint}" if hint else f"write it with {_HINT_ALL}"
    return TypeError(f"{what} is not supported on a companion Tensor (it would drop the derivative); {use}")


def _constant(x, name):
    """A constant operand: an array of numbers (floats, integers, booleans); ``TypeError`` for ``None``, strings."""
    if isinstance(x, np.ndarray) and x.dtype.kind in "fiub":
        return x
    a = as_array_of(x, name, "a number or an array of numbers")
    if a.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a number or an array of numbers, got dtype {a.dtype}")
    return a


def _static(x, what):
    if isinstance(x, Tensor):
        raise TypeError(f"{what} must be a fixed number or array, not a Tensor")
    return x


class Tensor:
    """A numpy array that the engine traces: ``value`` (an ndarray) plus its place on a tape.

    Inside a function given to :func:`grad`, :func:`vjp` or :func:`jvp`, the arguments are
    Tensors, and numpy-like code on them (``+ - * / @ **``, ``.T``, ``.sum(axis)``, indexing,
    ``companion.exp`` ...) records primitives. Numpy arrays and numbers may stand on
    either side of an operator; they are constants. ``Tensor(x)`` made by hand is a
    constant too. A Tensor that carries a derivative refuses conversions that would
    silently drop it (``float(t)``, ``np.asarray(t)``, ``if t:``): use ``t.value``.
    """

    __slots__ = ("value", "_tape", "_i", "_tangent")
    __array_priority__ = 1000.0

    def __init__(self, value):
        if isinstance(value, Tensor):
            value = value.value
        self.value = _constant(value, "Tensor: value")
        self._tape, self._i, self._tangent = None, 0, None

    # ---- numpy's protocols: operators go to the Tensor; other numpy calls are refused.
    # ``ndarray + t`` makes numpy call np.add(ndarray, t), which lands here and is answered
    # by the Tensor's reflected operator: the same as ``__array_ufunc__ = None`` would do,
    # except that np.exp(t) and friends get an error naming the function and what to use.
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        op = _UFUNC_OPERATORS.get(ufunc)
        if op is not None and method == "__call__" and not kwargs and len(inputs) == 2:
            a, b = inputs
            return op(a, b) if isinstance(a, Tensor) else _REFLECTED[ufunc](b, a)
        if kwargs.get("out") is not None:
            raise TypeError(
                f"numpy.{ufunc.__name__} with out= cannot write a Tensor into a numpy array; write x = x + t instead "
                "of x += t"
            )
        raise _unsupported(f"numpy.{ufunc.__name__}", ufunc.__name__)

    def __array_function__(self, func, types, args, kwargs):
        raise _unsupported(f"numpy.{func.__name__}", func.__name__)

    def __array__(self, dtype=None, copy=None):
        if self._traced:
            raise TypeError(
                "np.asarray/np.array of a Tensor that carries a derivative (also b[...] = t, writing it into a numpy "
                "array) would drop it; use t.value for its numbers, or the engine's operations to keep differentiating"
            )
        return np.asarray(self.value, dtype=dtype)

    @property
    def _traced(self):
        return self._tape is not None or self._tangent is not None

    def _refuse(self, what):
        if self._traced:
            raise TypeError(
                f"{what} of a Tensor that carries a derivative would drop it; use t.value (or where(...) for a choice)"
            )

    def __bool__(self):
        self._refuse("bool(t) (as in `if t:`)")
        return bool(self.value)

    def __float__(self):
        # numpy calls float(t) for ``b[i] = t``; it reports "setting an array element with a
        # sequence", caused by this error (the one that says what to do)
        self._refuse("float(t) (also b[i] = t, writing t into a numpy array b)")
        return float(self.value)

    def __int__(self):
        self._refuse("int(t)")
        return int(self.value)

    def __repr__(self):
        mode = ", traced" if self._tape is not None else ", with tangent" if self._tangent is not None else ""
        return f"Tensor({np.array2string(self.value, threshold=20)}, shape={self.value.shape}{mode})"

    # ---- shape
    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    size = property(lambda self: self.value.size)
    dtype = property(lambda self: self.value.dtype)

    def __len__(self):
        if self.value.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return self.value.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ---- arithmetic (a - b is its own primitive, not a + (-b): one pass instead of two)
    def __add__(self, other):
        return _apply(_P["add"], (self, other))

    def __radd__(self, other):
        return _apply(_P["add"], (other, self))

    def __sub__(self, other):
        return _apply(_P["subtract"], (self, other))

    def __rsub__(self, other):
        return _apply(_P["subtract"], (other, self))

    def __mul__(self, other):
        return _apply(_P["multiply"], (self, other))

    def __rmul__(self, other):
        return _apply(_P["multiply"], (other, self))

    def __truediv__(self, other):
        return _apply(_P["divide"], (self, other))

    def __rtruediv__(self, other):
        return _apply(_P["divide"], (other, self))

    def __matmul__(self, other):
        return _apply(_P["matmul"], (self, other))

    def __rmatmul__(self, other):
        return _apply(_P["matmul"], (other, self))

    def __neg__(self):
        return _apply(_P["negative"], (self,))

    def __pos__(self):
        return self

    def __pow__(self, p):
        if type(p) is int or type(p) is float:
            return _apply(_P["power"], (self, p))
        if isinstance(p, Tensor) or np.ndim(p) != 0:
            raise TypeError(
                f"x ** p: the exponent must be a fixed number, got {type(p).__name__}; for a Tensor exponent write "
                "exp(p * log(x))"
            )
        return _apply(_P["power"], (self, p.item() if isinstance(p, np.generic) else p))

    def __rpow__(self, base):
        raise TypeError("a ** x with a Tensor exponent is not a primitive; write exp(x * log(a))")

    # Comparisons compare values, as numpy does, and give plain boolean arrays (not
    # differentiable: a mask is piecewise constant), for masks and where(). Defining ==
    # makes a Tensor unhashable, like an ndarray.
    def __lt__(self, other):
        return _compare(operator.lt, self, other)

    def __le__(self, other):
        return _compare(operator.le, self, other)

    def __gt__(self, other):
        return _compare(operator.gt, self, other)

    def __ge__(self, other):
        return _compare(operator.ge, self, other)

    def __eq__(self, other):
        return _compare(operator.eq, self, other)

    def __ne__(self, other):
        return _compare(operator.ne, self, other)

    __hash__ = None

    # ---- structure
    @property
    def T(self):
        """Transpose (all axes reversed); the adjoint of a transpose is the transpose back."""
        return _apply(_P["transpose"], (self, None))

    def transpose(self, *axes):
        """The axes permuted (all reversed by default); ``axes`` is a permutation of ``0 .. ndim - 1``."""
        axes = axes[0] if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))) else axes
        if not axes:
            return _apply(_P["transpose"], (self, None))
        if isinstance(axes, (str, bytes)):
            raise TypeError(f"transpose: axes must be a permutation of the axes 0 .. {self.ndim - 1}, got {axes!r}")
        axes = tuple(as_axis(a, self.ndim, "transpose: axes", shape=self.shape) for a in axes)
        if sorted(a % self.ndim for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes must be a permutation of the axes 0 .. {self.ndim - 1} of shape "
                f"{shape_str(self.shape)}, got {axes}"
            )
        return _apply(_P["transpose"], (self, axes))

    def reshape(self, *shape):
        """The same entries in a new ``shape`` (integers; one of them may be ``-1``, inferred)."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        if isinstance(shape, (str, bytes)):
            raise TypeError(f"reshape: shape must be a tuple of integers, got {shape!r}")
        shape = tuple(as_int(k, "reshape: shape", min=-1) for k in shape)
        known = int(np.prod([k for k in shape if k != -1]))
        fits = known == self.size if -1 not in shape else known != 0 and self.size % known == 0
        if shape.count(-1) > 1 or not fits:
            raise ValueError(
                f"reshape: shape {shape} does not fit the {self.size} entries of a Tensor of shape "
                f"{shape_str(self.shape)}"
            )
        return _apply(_P["reshape"], (self, shape))

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (int, tuple or None for all); the pullback broadcasts back."""
        axis = as_axes(axis, self.value.ndim, "sum: axis", shape=self.value.shape)
        return _apply(_P["sum"], (self, axis, as_bool(keepdims, "sum: keepdims")))

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis``: ``sum(axis) / count``."""
        axis = as_axes(axis, self.value.ndim, "mean: axis", shape=self.value.shape)
        shape = self.value.shape
        if axis is None:
            count = self.value.size
        else:
            count = int(np.prod([shape[a] for a in (axis if isinstance(axis, tuple) else (axis,))]))
        if count == 0:
            raise ValueError(f"mean over an empty set of entries (shape {shape_str(shape)}, axis {axis})")
        return self.sum(axis, keepdims) * (1.0 / count)

    def __getitem__(self, index):
        for i in index if type(index) is tuple else (index,):
            if type(i) is list or isinstance(i, Tensor):
                if isinstance(i, Tensor):
                    raise TypeError(
                        "an index must be fixed (ints, slices, arrays), not a Tensor; use t.value to build it"
                    )
                items = index if type(index) is tuple else (index,)
                index = tuple(np.asarray(j) if isinstance(j, list) else j for j in items)
                break
        return _apply(_P["getitem"], (self, index))


def _value(x):
    return x.value if isinstance(x, Tensor) else x


_SYMBOLS = {
    operator.lt: "<",
    operator.le: "<=",
    operator.gt: ">",
    operator.ge: ">=",
    operator.eq: "==",
    operator.ne: "!=",
}


def _compare(op, a, b):
    """``op(a, b)`` on the values, as numpy compares arrays: a boolean numpy array, not differentiable."""
    a, b = _value(a), _value(b)
    try:
        return np.asarray(op(a, b))
    except ValueError:
        raise ValueError(
            f"x {_SYMBOLS[op]} y: cannot compare operands of shapes {shape_str(np.shape(a))} and "
            f"{shape_str(np.shape(b))} (they do not broadcast)"
        ) from None


# numpy on the left of an operator (``ndarray + Tensor``) calls the ufunc, which asks the
# Tensor: the Tensor's (reflected) operator answers.
_UFUNC_OPERATORS = {
    np.add: Tensor.__add__, np.subtract: Tensor.__sub__, np.multiply: Tensor.__mul__,
    np.true_divide: Tensor.__truediv__, np.matmul: Tensor.__matmul__, np.power: Tensor.__pow__,
    np.less: Tensor.__lt__, np.less_equal: Tensor.__le__, np.greater: Tensor.__gt__, np.greater_equal: Tensor.__ge__,
    np.equal: Tensor.__eq__, np.not_equal: Tensor.__ne__,
}
_REFLECTED = {
    np.add: Tensor.__radd__, np.subtract: Tensor.__rsub__, np.multiply: Tensor.__rmul__,
    np.true_divide: Tensor.__rtruediv__, np.matmul: Tensor.__rmatmul__, np.power: Tensor.__rpow__,
    np.less: Tensor.__gt__, np.less_equal: Tensor.__ge__, np.greater: Tensor.__lt__, np.greater_equal: Tensor.__le__,
    np.equal: Tensor.__eq__, np.not_equal: Tensor.__ne__,
}


# ----------------------------------------------------------------------------- functions
def exp(x):
    """Elementwise ``e^x``. Pushforward ``dy = y dx``; pullback ``x_bar = y_bar y``. Numpy in, numpy out."""
    return _call(_P["exp"], x, names=("x",))


def log(x):
    """Elementwise natural log (``x > 0``). Pushforward ``dy = dx / x``; pullback ``x_bar = y_bar / x``."""
    return _call(_P["log"], x, names=("x",))


def tanh(x):
    """Elementwise tanh. Pushforward ``dy = (1 - y^2) dx``; pullback ``x_bar = (1 - y^2) y_bar``."""
    return _call(_P["tanh"], x, names=("x",))


def sigmoid(x):
    """Elementwise ``1 / (1 + e^{-x})``, stable on both tails; ``dy = y (1 - y) dx``."""
    return _call(_P["sigmoid"], x, names=("x",))


def relu(x):
    """Elementwise ``max(x, 0)``; ``dy = [x > 0] dx`` (the derivative at 0 taken as 0)."""
    return _call(_P["relu"], x, names=("x",))


def softmax(x, axis=-1):
    """Softmax along ``axis`` (default: rows of the last axis), stable (the maximum is subtracted).

    Pushforward ``dp = (Diag(p) - p p^T) dx`` per row; the pullback is the same symmetric
    map applied to ``p_bar``. On numpy arrays it is ``companion.models.softmax`` (same values).
    """
    _static(axis, "softmax: axis")
    if not isinstance(x, Tensor):
        x = as_float_array(x, "x", allow_neg_inf=True)  # -inf: a masked score, weight exactly 0
    if x.ndim == 0:
        raise ValueError(f"softmax: x must have at least one axis, got a 0-d {type(x).__name__}")
    axis = as_axis(axis, x.ndim, "softmax: axis", shape=x.shape)
    if x.shape[axis] == 0:
        raise ValueError(f"softmax: x has shape {shape_str(x.shape)}; a softmax along an axis of length 0 is undefined")
    if isinstance(x, np.ndarray):  # a constant: the primitive's function, masked entries allowed
        return _P["softmax"].value(check_rows_kept(x, axis, "x"), axis)
    return _call(_P["softmax"], x, axis, names=("x",))


def trace(X):
    """``tr X`` of a square matrix ``(n, n)`` or of each in a stack ``(..., n, n)``; ``X_bar = z_bar I``."""
    return _call(_P["trace"], X, names=("X",))


def inv(X):
    """``X^{-1}`` of ``(n, n)`` or ``(..., n, n)``.

    Pushforward ``dY = -Y dX Y``; pullback ``X_bar = -Y^T Y_bar Y^T``.
    """
    return _call(_P["inv"], X, names=("X",))


def logdet(X):
    """``log det X`` for ``det X > 0`` (``ValueError`` otherwise). ``dz = tr(X^{-1} dX)``, ``X_bar = z_bar X^{-T}``."""
    return _call(_P["logdet"], X, names=("X",))


def maximum(x, y):
    """Elementwise maximum (ties go to ``x``); the cotangent follows the larger argument."""
    return _call(_P["maximum"], x, y, names=("x", "y"))


def where(cond, x, y):
    """``x`` where ``cond`` else ``y``; cotangents are split by ``cond``.

    ``cond`` is a fixed boolean array, such as ``t > 0`` or ``t == 1`` (comparisons of
    Tensors give boolean arrays); ``x`` and ``y`` are Tensors, arrays or numbers, and
    ``cond``, ``x`` and ``y`` broadcast together.
    """
    cond = as_condition(cond.value if isinstance(cond, Tensor) else cond, "where: cond")
    x, y = (v if isinstance(v, Tensor) else _constant(v, f"where: {name}") for name, v in (("x", x), ("y", y)))
    try:
        np.broadcast_shapes(cond.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"where: cond {shape_str(cond.shape)}, x {shape_str(x.shape)} and y {shape_str(y.shape)} "
            f"do not broadcast together"
        ) from None
    if not (isinstance(x, Tensor) or isinstance(y, Tensor)):
        return np.where(cond, x, y)  # constants: numpy's where (NaN in the branch not taken is fine)
    return _apply(_P["where"], (x, y, cond))


# ----------------------------------------------------------------------------- the sweep
def _unbroadcast(x_bar, shape):
    """Adjoint of broadcasting ``x`` to ``x_bar.shape``: sum over the axes broadcasting added or stretched."""
    return x_bar.sum(axis=_broadcast_axes(x_bar.shape, shape), keepdims=True).reshape(shape)


@functools.lru_cache(maxsize=256)
def _broadcast_axes(big, shape):
    """The axes of ``big`` that broadcasting ``shape`` to it added (leading) or stretched (length 1)."""
    lead = len(big) - len(shape)
    return tuple(range(lead)) + tuple(lead + k for k, n in enumerate(shape) if n == 1 and big[lead + k] != 1)


def _sweep(tape, i_out, out_bar, n_leaves, free):
    """Pull ``out_bar`` back from tape entry ``i_out`` to the leaves ``0 .. n_leaves - 1``.

    Walks the tape backwards (a topological order: every node comes after its arguments).
    ``owned[j]`` says the cotangent stored for node ``j`` is a buffer the engine made and
    nobody else sees, so a second contribution may be added into it in place. With
    ``free``, each node is dropped once pulled back, releasing the primals it kept.
    """
    cots = [None] * (i_out + 1)
    owned = [False] * (i_out + 1)
    cots[i_out] = out_bar
    for i in range(i_out, n_leaves - 1, -1):
        g = cots[i]
        if g is None:
            continue
        cots[i] = None
        prim, parents, args, ans = tape[i]
        if free:
            tape[i] = None
        rules = prim.vjp
        # With one traced argument, g has no other reader: if the engine owns it, the
        # argument's rule may write into it (out=g), and g itself may be handed on.
        sole = owned[i] and len(parents) == 1
        for k, j, shape in parents:
            r = rules[k](g, ans, *args, out=g) if sole and prim.takes_out[k] else rules[k](g, ans, *args)
            if r.shape != shape:
                r = _unbroadcast(r, shape)
                fresh = True
            else:
                fresh = type(r) is np.ndarray and r.base is None and (sole or r is not g)
            prev = cots[j]
            if prev is None:
                cots[j], owned[j] = r, fresh
            elif owned[j]:
                prev += r
            elif fresh:
                r += prev
                cots[j], owned[j] = r, True
            else:
                r = prev + r
                cots[j], owned[j] = r, type(r) is np.ndarray  # 0-d sums are numpy scalars
    grads = []
    for k in range(n_leaves):
        shape, dtype = tape[k].ans.shape, tape[k].ans.dtype
        r = cots[k] if k <= i_out else None
        if r is None:
            r = np.zeros(shape, dtype=dtype)
        elif not owned[k] or type(r) is not np.ndarray or r.dtype != dtype:
            r = np.array(r, dtype=dtype)
        grads.append(r)
    return grads


# ----------------------------------------------------------------------------- transforms
def _arg_name(f, k):
    try:
        names = list(inspect.signature(f).parameters)
        return f"argument {k} ({names[k]!r}) of {getattr(f, '__name__', 'f')}"
    except (TypeError, ValueError, IndexError):
        return f"argument {k} of {getattr(f, '__name__', 'f')}"


def _primal(x, name):
    """A primal as a float array (``as_float_array``'s checks, with a fast path for float arrays)."""
    if type(x) is np.ndarray and x.dtype.kind == "f":
        return check_finite(x, name)
    if isinstance(x, Tensor):
        raise TypeError(f"{name} is a Tensor: nesting vjp/grad/jvp is not supported; pass numpy arrays")
    return as_float_array(x, name)


def _leaf(tape, x):
    t = object.__new__(Tensor)
    t.value, t._tape, t._i, t._tangent = x, tape, len(tape), None
    tape.append(_node(Node, (None, (), (), Aval(x.shape, x.dtype))))
    return t


def _output(out, tape, what):
    """``f``'s result as ``(value, tape index or None)``; a result that is not traced is a constant."""
    if isinstance(out, Tensor):
        if out._tape is tape:
            return out.value, out._i
        if out._tape is not None or out._tangent is not None:
            raise ValueError(f"{what}: f returned a Tensor from another transform")
        return out.value, None
    try:
        value = np.asarray(out)
    except (TypeError, ValueError):
        value = None
    if value is None or value.dtype.kind not in "fiub":
        raise TypeError(f"{what}: f must return an array (a Tensor), got {type(out).__name__}")
    return value, None


def vjp(f, *primals):
    """Evaluate ``f`` at the primals and return ``(out, pullback)``.

    ``y, pullback = vjp(f, x1, x2)``: ``out`` is ``f(x1, x2)`` (numpy), and
    ``pullback(y_bar)`` returns ``(x1_bar, x2_bar)``, the adjoint of the differential
    applied to the cotangent: ``<y_bar, df[dx1, dx2]> = <x1_bar, dx1> + <x2_bar, dx2>``.
    ``y_bar`` must have the shape of ``out``. The pullback may be called many times.

    The pullback keeps private copies of what it reads: the primals, and the constants
    (numpy arrays, masks, indices) that ``f`` combined them with. Editing those arrays
    after ``vjp`` returns (``c[:] = 100``) does not change what it computes: it is the
    pullback of ``f`` at the moment ``vjp`` evaluated it.
    """
    check_callable(f, "f")
    if not primals:
        raise TypeError("vjp(f, *primals) needs at least one primal")
    xs = [np.array(_primal(x, f"primals[{k}]")) for k, x in enumerate(primals)]  # private copies
    tape = []
    out, i_out = _output(f(*[_leaf(tape, x) for x in xs]), tape, "vjp")
    out = np.array(out)  # the caller's copy

    def pullback(cotangent):
        g = as_float_array(cotangent, "cotangent")
        if g.shape != out.shape:
            raise ValueError(
                f"pullback: the cotangent must have the shape of f's output {shape_str(out.shape)}, got "
                f"{shape_str(g.shape)}"
            )
        if i_out is None:
            return tuple(np.zeros_like(x) for x in xs)
        return tuple(_sweep(tape, i_out, g, len(xs), free=False))

    return out, pullback


def jvp(f, primals, tangents):
    """Push the tangents forward along ``f``: returns ``(out, tangent_out)`` = ``(f(x), df_x[dx])``.

    ``primals`` and ``tangents`` are tuples (one tangent per primal, same shapes). Forward
    mode: every primitive applies its jvp rule to the tangents as it is evaluated; no
    finite differences, no tape.
    """
    check_callable(f, "f")
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"jvp: {what} must be a tuple of arrays, e.g. (x,), got {type(seq).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primals but {len(tangents)} tangents; give one tangent per primal")
    xs = [_primal(x, f"primals[{k}]") for k, x in enumerate(primals)]
    ts = [as_float_array(t, f"tangents[{k}]") for k, t in enumerate(tangents)]
    for k, (x, t) in enumerate(zip(xs, ts, strict=False)):
        if t.shape != x.shape:
            raise ValueError(
                f"jvp: tangents[{k}] must have the shape of primals[{k}] {shape_str(x.shape)}, got {shape_str(t.shape)}"
            )
    out = f(*[_new(x, None, 0, t.astype(x.dtype, copy=False)) for x, t in zip(xs, ts, strict=False)])
    if isinstance(out, Tensor) and out._tangent is not None:
        return np.array(out.value), np.array(out._tangent)
    value, _ = _output(out, None, "jvp")  # f's output does not depend on the primals
    return np.array(value), np.zeros(value.shape, dtype=value.dtype if value.dtype.kind == "f" else float)


def _argnums(argnums):
    single = not isinstance(argnums, (tuple, list))
    items = (argnums,) if single else tuple(argnums)
    if any(isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)) for a in items):
        raise TypeError(f"argnums must be a non-negative int or a tuple of distinct ones, got {describe(argnums)}")
    nums = tuple(int(a) for a in items)
    if not nums or any(a < 0 for a in nums) or len(set(nums)) != len(nums):
        raise ValueError(f"argnums must be a non-negative int or a tuple of distinct ones, got {argnums!r}")
    return nums, single


def value_and_grad(f, argnums=0):
    """``f -> (lambda *args: (f(*args), gradient))`` for a scalar ``f``.

    The gradient is the pullback of ``1``, shaped like the argument ``argnums`` (an int),
    or a tuple of gradients (a tuple of ints). The other arguments are passed through
    untouched and get no cotangent. Float32 arguments get float32 gradients. The tape
    keeps private copies of the constants ``f`` reads, so a buffer that ``f`` edits after
    using it (``buf[:] = ...`` in a loop) does not change the gradient.
    """
    check_callable(f, "f")
    nums, single = _argnums(argnums)

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        if max(nums) >= len(args):
            raise TypeError(f"argnums={argnums!r}, but f was called with {len(args)} positional argument(s)")
        args = list(args)
        tape = []
        for k in nums:
            try:
                x = _primal(args[k], f"argument {k}")
            except (TypeError, ValueError) as exc:
                raise type(exc)(str(exc).replace(f"argument {k}", _arg_name(f, k), 1)) from None
            args[k] = _leaf(tape, x)
        value, i_out = _output(f(*args, **kwargs), tape, "grad")
        if value.size != 1:
            raise ValueError(
                f"grad needs a scalar-valued f, but f returned shape {shape_str(value.shape)}; "
                f"for a vector output use vjp(f, x) and pull back a cotangent"
            )
        if i_out is None:
            grads = [np.zeros_like(args[n].value) for n in nums]
        else:
            grads = _sweep(tape, i_out, np.ones(value.shape, dtype=value.dtype), len(nums), free=True)
        value = np.array(value.reshape(()))
        return value, (grads[0] if single else tuple(grads))

    return value_and_grad_f


def grad(f, argnums=0):
    """``f -> gradient of f``: the Frobenius gradient of a scalar ``f`` at its arguments ``argnums``."""
    vg = value_and_grad(f, argnums)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    return grad_f
