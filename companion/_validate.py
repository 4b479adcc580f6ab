"""Input checks shared by the package: fail early, name the argument and the shapes."""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["as_float_array", "check_callable", "check_same_shape", "shape_str"]


def shape_str(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_float_array(x, name: str, *, ndim=None, allow_complex: bool = False, copy: bool = False) -> np.ndarray:
    """Return ``x`` as a floating numpy array, or raise a clear error naming ``name``.

    Integer and boolean arrays are refused (``TypeError``): the derivative of a map on
    integers is not what anyone means, and silent casts hide bugs. Non-finite entries
    are refused (``ValueError``). ``ndim`` may be an int or a tuple of allowed ranks.
    """
    if x is None:
        raise TypeError(f"{name} must be an array of floats, got None")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of floats, got a string {x!r}")
    try:
        arr = np.array(x, copy=copy) if copy else np.asarray(x)
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
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        where = tuple(int(i) for i in bad[0]) if bad.size else ()
        raise ValueError(
            f"{name} (shape {shape_str(arr.shape)}) contains NaN or inf (first at index {where})"
        )
    return arr


def check_callable(f, name: str) -> Callable:
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {type(f).__name__}")
    return f


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {shape_str(a.shape)} and {shape_str(b.shape)}"
        )
