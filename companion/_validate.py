"""Input checks shared by the package: fail early, name the argument, the shapes and the limits.

Every public function reads its arguments through these helpers, so a bad argument is a
``TypeError`` (the wrong kind of thing: ``None``, a string, a float where an integer is
meant, an integer array where floats are meant) or a ``ValueError`` (the right kind, a
wrong value: NaN, a negative size, an axis out of range, an unknown choice), raised
before any work, and its message starts with the argument's name.

Sizes are also checked against a limit before anything is allocated or looped over: a
function that tabulates a linear map, loops over a count, or allocates from a size
argument refuses a request above its limit (``ValueError`` naming the argument, the
size and the limit) instead of filling the memory or running for hours. The limit is a
keyword of that function (``max_size``), so a user who means it can raise it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

__all__ = [
    "MAX_SIZE", "MAX_STEPS",
    "as_float_array", "as_float_arrays", "check_callable", "check_finite", "shape_str",
    "as_int", "as_count", "as_shape", "as_axis", "as_axes", "as_rng", "as_seed", "as_choice",
    "as_condition", "as_number", "as_bool", "as_limit", "check_limit", "check_integers", "check_numbers", "describe",
]

MAX_SIZE = 10**7
"""Default limit on the entries of an array a function creates or tabulates (float64: 80 MB)."""

MAX_STEPS = 10**5
"""Default limit on the iterations of a loop whose count is an argument (steps, layers, directions)."""


def shape_str(shape) -> str:
    """A shape as numpy prints it: ``(3,)``, ``(2, 3)``, ``()``."""
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def describe(x) -> str:
    """A short description of a value for an error message: its type, and the value when it is short."""
    if x is None:
        return "None"
    if isinstance(x, (str, bytes)):
        return f"a string {x!r:.40}"
    if isinstance(x, (bool, np.bool_)):
        return f"a bool ({x})"
    if isinstance(x, np.ndarray):
        return f"an array of shape {shape_str(x.shape)} and dtype {x.dtype}"
    if isinstance(x, (numbers.Number, np.generic)):
        return f"{type(x).__name__} {x!r}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    if callable(x):
        return f"a function ({getattr(x, '__name__', type(x).__name__)})"
    return f"a {type(x).__name__}"


# ----------------------------------------------------------------------------- arrays
def as_float_array(
    x,
    name: str,
    *,
    ndim=None,
    allow_complex: bool = False,
    copy: bool = False,
    allow_empty: bool = True,
    allow_neg_inf: bool = False,
) -> np.ndarray:
    """Return ``x`` as a floating numpy array, or raise a clear error naming ``name``.

    Integer and boolean arrays are refused (``TypeError``): the derivative of a map on
    integers is not what anyone means, and silent casts hide bugs. Non-finite entries
    are refused (``ValueError``). ``ndim`` may be an int or a tuple of allowed ranks;
    ``allow_empty=False`` refuses an array with no entries (``ValueError``); ``allow_neg_inf=True``
    lets ``-inf`` through (a masked score before a softmax), never NaN or ``+inf``.
    """
    if x is None:
        raise TypeError(f"{name} must be an array of floats, got None")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of floats, got a string {x!r:.40}")
    if callable(x) and not isinstance(x, np.ndarray) and not hasattr(x, "__array__"):
        raise TypeError(f"{name} must be an array of floats, got {describe(x)}")
    try:
        arr = np.array(x, copy=True) if copy else np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of floats, got {type(x).__name__}: {exc}") from None
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        raise TypeError(f"{name} must be real, got a complex array of shape {shape_str(arr.shape)}")
    if kind not in "fc":
        if kind in "iub":
            raise TypeError(
                f"{name} has integer/boolean dtype {arr.dtype} (shape {shape_str(arr.shape)}); "
                f"pass floats, e.g. {name}.astype(float)"
            )
        raise TypeError(f"{name} must be an array of floats, got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{k}-d" for k in allowed)
            raise ValueError(f"{name} must be {want}, got shape {shape_str(arr.shape)}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must have at least one entry, got shape {shape_str(arr.shape)}")
    return check_finite(arr, name, allow_neg_inf=allow_neg_inf)


def check_rows_kept(arr: np.ndarray, axis: int, name: str) -> np.ndarray:
    """``arr`` itself unless a slice along ``axis`` is ``-inf`` throughout (a row masked entirely:
    its softmax is undefined), else ``ValueError`` naming ``name``, the shape and the first such row."""
    masked = np.isneginf(arr).all(axis=axis)
    if masked.any():
        where = tuple(int(i) for i in np.argwhere(masked)[0])
        raise ValueError(
            f"{name} (shape {shape_str(arr.shape)}) has a row masked entirely (every entry -inf along axis "
            f"{axis}, first at index {where} of the other axes): its softmax is undefined"
        )
    return arr


def check_finite(arr: np.ndarray, name: str, *, allow_neg_inf: bool = False) -> np.ndarray:
    """``arr`` itself if every entry is finite; else ``ValueError`` naming ``name``, the shape, the first bad index."""
    ok = np.isfinite(arr)
    if allow_neg_inf:
        ok |= np.isneginf(arr)
    if not ok.all():
        where = tuple(int(i) for i in np.argwhere(~ok)[0])
        what = "NaN or +inf" if allow_neg_inf else "NaN or inf"
        raise ValueError(f"{name} (shape {shape_str(arr.shape)}) contains {what} (first at index {where})")
    return arr


def as_float_arrays(xs, name: str, *, ndim=None, allow_empty: bool = True, min_length: int = 1) -> list:
    """A list or tuple of float arrays (``as_float_array`` on each, named ``name[k]``)."""
    if isinstance(xs, np.ndarray) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"{name} must be a list of arrays, got {describe(xs)}")
    if len(xs) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} array(s), got {len(xs)}")
    return [as_float_array(x, f"{name}[{k}]", ndim=ndim, allow_empty=allow_empty) for k, x in enumerate(xs)]


def check_callable(f, name: str) -> Callable:
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {describe(f)}")
    return f


# ----------------------------------------------------------------------------- numbers
def as_int(x, name: str, *, min=None, max=None) -> int:
    """``x`` as a Python int: an ``int``, a numpy integer, or a float with an integral value (``3.0``).

    ``TypeError`` for anything else (``None``, a string, a bool, an array); ``ValueError``
    for a fractional or non-finite float, or a value outside ``[min, max]``.
    """
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got {describe(x)}")
    if isinstance(x, (int, np.integer)):
        k = int(x)
    elif isinstance(x, (float, np.floating)):
        if not math.isfinite(x):
            raise ValueError(f"{name} must be a finite integer, got {x!r}")
        if x != int(x):
            raise ValueError(f"{name} must be a whole number, got {x!r}")
        k = int(x)
    else:
        raise TypeError(f"{name} must be an integer, got {describe(x)}")
    if min is not None and k < min:
        raise ValueError(f"{name} must be at least {min}, got {k}")
    if max is not None and k > max:
        raise ValueError(f"{name} must be at most {max}, got {k}")
    return k


def check_integers(**values) -> None:
    """``as_int`` on each keyword: ``check_integers(m=m, n=n)`` refuses the first that is not an integer, by name."""
    for name, v in values.items():
        as_int(v, name)


def check_numbers(**values) -> None:
    """``as_number`` on each keyword: refuses the first that is not a finite real number, by name."""
    for name, v in values.items():
        as_number(v, name)


def as_limit(limit, keyword: str = "max_size") -> int:
    """The value of a limit keyword (``max_size``): a positive integer."""
    return as_int(limit, keyword, min=1)


def check_limit(amount: int, limit: int, *, name: str, what: str, keyword: str = "max_size") -> None:
    """``ValueError`` when ``amount`` (what ``name`` asks for) is above ``limit``, saying how to raise it.

    ``what`` describes the amount, e.g. ``"entries of the Jacobian"``.
    """
    if amount > limit:
        raise ValueError(
            f"{name} is too large: it asks for {amount:,} {what}, above the limit {keyword}={limit:,}; "
            f"pass {keyword}={amount} (or more) if you mean it"
        )


def as_count(
    x, name: str, *, min: int = 1, limit: int | None = None, what: str | None = None, keyword: str = "max_size"
) -> int:
    """A count of iterations or items: an integer ``>= min``, and at most ``limit`` (``check_limit``)."""
    k = as_int(x, name, min=min)
    if limit is not None:
        check_limit(k, limit, name=f"{name}={k}", what=what or name, keyword=keyword)
    return k


def as_number(
    x, name: str, *, positive: bool = False, nonnegative: bool = False, min=None, max=None, finite: bool = True
) -> float:
    """``x`` as a float: a real number (``int``, ``float``, numpy scalar, 0-d array), not a bool.

    ``TypeError`` for other kinds; ``ValueError`` for NaN, inf (unless ``finite=False``),
    or a value outside the requested range.
    """
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iuf":
        x = x[()]
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {describe(x)}")
    v = float(x)
    if math.isnan(v) or (finite and not math.isfinite(v)):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be positive, got {x!r}")
    if nonnegative and not v >= 0:
        raise ValueError(f"{name} must be non-negative, got {x!r}")
    if min is not None and v < min:
        raise ValueError(f"{name} must be at least {min}, got {x!r}")
    if max is not None and v > max:
        raise ValueError(f"{name} must be at most {max}, got {x!r}")
    return v


def as_bool(x, name: str) -> bool:
    """``True`` or ``False`` (a Python or numpy bool); ``TypeError`` for anything else."""
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(x)}")
    return bool(x)


# ----------------------------------------------------------------------------- shapes and axes
def as_shape(
    s,
    name: str,
    *,
    limit: int | None = None,
    allow_zero: bool = False,
    allow_scalar: bool = False,
    keyword: str = "max_size",
) -> tuple:
    """A shape: an integer or a non-empty sequence of integers, each positive (or ``>= 0`` with ``allow_zero``;
    ``()``, the shape of a number, with ``allow_scalar``).

    With ``limit``, the number of entries ``prod(shape)`` must not exceed it.
    """
    if isinstance(s, (bool, np.bool_)) or s is None or isinstance(s, (str, bytes)):
        raise TypeError(f"{name} must be a shape (a tuple of integers), got {describe(s)}")
    if isinstance(s, (int, np.integer, float, np.floating)):
        items = (s,)
    elif isinstance(s, (tuple, list)) or (isinstance(s, np.ndarray) and s.ndim == 1):
        items = tuple(s)
    else:
        raise TypeError(f"{name} must be a shape (a tuple of integers), got {describe(s)}")
    if not items and not allow_scalar:
        raise ValueError(f"{name} must be a non-empty shape, got ()")
    low = 0 if allow_zero else 1
    try:
        shape = tuple(as_int(k, f"{name}[{i}]", min=low) for i, k in enumerate(items))
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"{name} must be a shape of {'non-negative' if allow_zero else 'positive'} integers, got {tuple(items)!r} "
            f"({exc})"
        ) from None
    if limit is not None:
        check_limit(math.prod(shape), limit, name=f"{name}={shape}", what="entries", keyword=keyword)
    return shape


def as_axis(axis, ndim: int, name: str = "axis", *, shape=None) -> int:
    """An axis of an array of rank ``ndim``: an integer in ``[-ndim, ndim)`` (returned as given).

    ``shape`` (optional) is named in the message when the axis is out of range.
    """
    if isinstance(axis, (float, np.floating)):
        raise TypeError(f"{name} must be an integer, got {axis!r}")
    k = as_int(axis, name)
    if not -ndim <= k < ndim:
        of = f"shape {shape_str(shape)}" if shape is not None else f"rank {ndim}"
        raise ValueError(f"{name}={k} is out of range for an array of {of} (axes -{ndim} .. {ndim - 1})")
    return k


def as_axes(axis, ndim: int, name: str = "axis", *, shape=None):
    """``None`` (every axis), an axis, or a tuple of distinct axes of an array of rank ``ndim``."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        axes = tuple(as_axis(a, ndim, name, shape=shape) for a in axis)
        if len({a % ndim for a in axes}) != len(axes):
            raise ValueError(f"{name}={tuple(axis)} repeats an axis")
        return axes
    return as_axis(axis, ndim, name, shape=shape)


# ----------------------------------------------------------------------------- randomness, choices, conditions
def as_rng(rng, name: str = "rng", *, default_seed: int | None = None) -> np.random.Generator:
    """A ``numpy.random.Generator``. ``None`` gives ``default_rng(default_seed)`` when a default
    seed is set; otherwise (and for a seed, a ``RandomState``, anything else) ``TypeError``."""
    if rng is None and default_seed is not None:
        return np.random.default_rng(default_seed)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name} must be a numpy Generator, e.g. np.random.default_rng(0), got {describe(rng)}")
    return rng


def as_seed(seed, name: str = "seed") -> int:
    """A seed for ``np.random.default_rng``: a non-negative integer."""
    return as_int(seed, name, min=0)


def as_choice(x, name: str, choices) -> str:
    """One of ``choices`` (strings); ``TypeError`` for a non-string, ``ValueError`` naming the choices otherwise."""
    choices = tuple(choices)
    if not isinstance(x, str):
        raise TypeError(f"{name} must be one of {choices}, got {describe(x)}")
    if x not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {x!r}")
    return x


def as_array_of(x, name: str, expected: str, *, copy: bool = False) -> np.ndarray:
    """``x`` as a numpy array (a copy if ``copy``), ``TypeError`` naming ``name`` and ``expected``
    (e.g. "a boolean array") for ``None``, strings and what numpy cannot read. The caller checks
    the dtype: numpy would read ``None`` or ``"abc"`` as a 0-d object or string array."""
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be {expected}, got {describe(x)}")
    try:
        return np.array(x) if copy else np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be {expected}, got {type(x).__name__}: {exc}") from None


def as_condition(cond, name: str = "cond") -> np.ndarray:
    """A fixed boolean array (a copy): ``x > 0``, a boolean mask, ``True``/``False``.

    ``TypeError`` for ``None``, strings and arrays that are not boolean (write ``x != 0``
    for a numeric mask): numpy would read them as truth values without a word.
    """
    c = as_array_of(cond, name, "a boolean array (e.g. x > 0)", copy=True)
    if c.dtype.kind != "b":
        raise TypeError(
            f"{name} must be a boolean array (e.g. x > 0), got dtype {c.dtype} (shape {shape_str(c.shape)}); "
            f"for a numeric mask m write m != 0"
        )
    return c
