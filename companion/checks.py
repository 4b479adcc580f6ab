"""``check_gradient``: is this the gradient, and if not, which mistake is it?

A reader's gradient ``g`` of a scalar ``f`` at a point (the argument ``x``: any array, ``W`` or
``theta`` on the pages) is checked the way the book checks its own formulas: the shape first,
then the Taylor test along random directions (the remainder of ``f(x) + eps <g, v>_F`` must
shrink like ``eps**2``). When it does not, the same directional derivatives say what went wrong:
``g`` transposed, with the wrong sign, or pointing the right way at the wrong scale (with the
factor). Otherwise the report gives the relative error and, for small problems, where it is
largest. Every report and error calls ``x`` "the point".
"""

from __future__ import annotations

import numpy as np

from ._validate import MAX_SIZE, as_count, as_float_array, as_limit, as_rng, check_callable, check_limit, shape_str
from .diagnosis import (
    Verdict,
    describe_factor,
    finite_finding,
    mismatch_finding,
    reader_index,
    shape_finding,
    slip_finding,
)
from .differentials import directional_derivative, numerical_gradient, taylor_test

__all__ = ["GradientReport", "check_gradient", "describe_factor"]

_FULL_GRADIENT_MAX_SIZE = 4096
_ASKED = "the gradient of f at the point"
_AGREE = 1e-5  # directional derivatives agree to this fraction of the largest one


class GradientReport(Verdict):
    """Outcome of :func:`check_gradient`: a :class:`companion.diagnosis.Verdict` (truthy when right).

    ``diagnosis`` is one of ``"correct"``, ``"not attempted"``, ``"invalid"``, ``"shape"``,
    ``"not finite"``, ``"not differentiable"`` (``f`` has a kink at the point), ``"transpose"``,
    ``"sign"``, ``"scale"``, ``"near miss"``, ``"mismatch"`` (its message says when ``f`` is flat
    at the point). ``worst_index`` is the index where a mismatch is largest (``where``).
    """

    @property
    def worst_index(self) -> tuple | None:
        return self.where


def _pair(g, v):
    return float(np.vdot(g, v))


def check_gradient(f, x, g, *, rng=None, n_directions: int = 3, max_size: int = MAX_SIZE) -> GradientReport:
    """Check that ``g`` is the Frobenius gradient of the scalar ``f`` at the point ``x``.

    ``x`` is the point where ``f`` is differentiated, any array (the parameter: ``W``, ``theta``...; not
    the data vector that the pages call x), and ``g`` must have its shape. The reports and
    errors call it "the point".

    Never raises because of ``g`` (the answer under test): a missing, malformed,
    wrongly shaped or non-finite ``g`` is a report saying so. Raises ``TypeError`` /
    ``ValueError`` for a bad ``f``, point or option (the problem itself), including an
    ``f`` that returns NaN or inf at the point or next to it (no gradient to check).
    ``rng`` (a numpy Generator, default seed 0) draws the ``n_directions`` directions;
    ``n_directions`` times the point's size above ``max_size`` is refused up front.

    A wrong ``g`` goes down the ladder of :mod:`companion.diagnosis` (transpose, sign, scale,
    near miss, mismatch), the same as an exercise's answer. Besides, the report says when ``f``
    is flat at the point (its gradient is zero there) and when ``f`` has a kink there (its
    one-sided derivatives differ along a direction tried: no gradient exists; diagnosis
    ``"not differentiable"``).
    """
    check_callable(f, "f")
    x = as_float_array(x, "x").astype(np.float64, copy=False)  # one precision for every f(.)
    rng = as_rng(rng, default_seed=0)
    n_directions = as_count(n_directions, "n_directions")
    check_limit(n_directions * max(x.size, 1), as_limit(max_size),
                name=f"n_directions={n_directions} (the point has {x.size} entries)",
                what="entries of random directions (n_directions times the point's size)")
    fx = _value(f, x, "the point")
    if fx.size != 1:
        raise ValueError(f"check_gradient needs a scalar f, but f at the point has shape {shape_str(fx.shape)}")
    g = _read_answer(g, x)
    if isinstance(g, GradientReport):
        return g
    V = [rng.standard_normal(x.shape) for _ in range(n_directions)]
    d_true = _directional(f, x, V)
    d_g = np.array([_pair(g, v) for v in V])
    taylor = taylor_test(f, x, V[0], d_g[0])
    scale = max(np.abs(d_true).max(), 1e-300)

    def explains(candidates):
        d_c = np.array([_pair(candidates[0], v) for v in V])
        return np.abs(d_true - d_c).max() <= _AGREE * scale + 1e-12

    if taylor.ok and explains([g]):
        return GradientReport(True, "correct", "matches the differential of f in every direction tried", taylor=taylor,
                              relative_error=0.0)
    kink = _kink(f, x, V, fx)
    if kink is not None:
        return GradientReport(
            False, "not differentiable",
            f"f is not differentiable at the point: along a direction tried its one-sided derivatives differ "
            f"({kink[0]:.6g} from one side, {kink[1]:.6g} from the other), a kink like |t| or relu at 0; "
            f"no gradient exists here, so no answer can be checked at this point (try a nearby one)", taylor=taylor)
    denom = float(d_g @ d_g)
    factor = float(d_true @ d_g) / denom if denom > 0 else 0.0
    found = slip_finding([g], explains, factor=factor, asked=_ASKED)
    if found is None:
        found = _mismatch(f, x, g, d_true, d_g)
    return GradientReport(False, taylor=taylor, **found)


def _read_answer(g, x):
    """The answer as a float array of the point's shape, or the report saying why it is not one."""
    if g is None:
        return GradientReport(False, "not attempted", "no answer yet (got None)")
    try:
        g = np.asarray(g)
    except Exception as exc:  # an object numpy cannot read
        return GradientReport(False, "invalid", f"could not read the answer as an array: {exc}")
    if g.dtype.kind not in "fiu" or g.dtype == object:
        return GradientReport(False, "invalid",
                              f"the answer must be an array of numbers, got {type(g).__name__} of dtype {g.dtype}")
    found = shape_finding(x.shape, g.shape, name="answer",
                          expected_what="the shape of the point where f is differentiated")
    if found is None:
        g = g.astype(float)
        found = finite_finding(g)
    return g if found is None else GradientReport(False, **found)


def _directional(f, x, V) -> np.ndarray:
    """``f``'s derivative along each direction; ``ValueError`` when ``f`` is NaN or inf next to the point ``x``."""
    d_true = np.array([float(np.squeeze(directional_derivative(f, x, v))) for v in V])
    if not np.all(np.isfinite(d_true)):
        k = int(np.flatnonzero(~np.isfinite(d_true))[0])
        h = 1e-5 * max(1.0, float(np.abs(x).max()) if x.size else 1.0) / max(float(np.abs(V[k]).max()), 1e-300)
        step = f"h = {h:.1e} along a random direction"
        _value(f, x + h * V[k], f"a point next to the point (a step forward, {step})")
        _value(f, x - h * V[k], f"a point next to the point (a step back, {step})")
        raise ValueError(f"check_gradient: f returned NaN or inf next to the point (a step forward or back, {step}): "
                         "f has no gradient to check at the point")
    return d_true


def _mismatch(f, x, g, d_true, d_g) -> dict:
    """The last rung: a near miss, a mismatch, or (a special mismatch) a nonzero answer where f is flat."""
    rel, where, flat = _relative_error(f, x, g, d_true, d_g)
    if not flat:
        return mismatch_finding(_ASKED, rel, rtol=_AGREE, where=where)
    msg = (f"f is flat at the point: its derivative is zero in every direction tried (to round-off), so its gradient "
           f"here is zero, but your answer is not (largest entry {float(np.abs(g).max()):.3g})")
    found = mismatch_finding(_ASKED, float("inf"), rtol=_AGREE, where=where)
    at = f" at index {reader_index(found['where'])} (counting from 1)" if found["where"] is not None else ""
    return {**found, "message": msg + at}


def _value(f, x, where):
    """``f(x)`` as an array, ``ValueError`` when it is NaN or inf (there is no gradient to check)."""
    y = f(x)
    try:
        y = np.asarray(y, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"check_gradient: f must return a number, got {type(y).__name__}: {exc}") from None
    if not np.all(np.isfinite(y)):
        raise ValueError(f"check_gradient: f returned {y.reshape(-1)[0] if y.size == 1 else 'NaN or inf'} at {where} "
                         f"(shape {shape_str(x.shape)}): f has no gradient to check there")
    return y


def _kink(f, x, V, fx):
    """``(left, right)`` one-sided derivatives along the first direction where they differ (a kink), else ``None``.

    At a kink the jump between the forward and backward difference quotients does not shrink
    with the step; on a smooth ``f`` it shrinks like the step (it is ``h f''``).
    """
    f0 = float(np.squeeze(fx))
    scale = max(1.0, float(np.abs(x).max()) if x.size else 1.0)
    for v in V:
        vmax = float(np.abs(v).max()) if v.size else 0.0
        if vmax == 0:
            continue
        jumps = []
        for h in (1e-4 * scale / vmax, 1e-6 * scale / vmax):
            fp, fm = float(np.squeeze(f(x + h * v))), float(np.squeeze(f(x - h * v)))
            right, left = (fp - f0) / h, (f0 - fm) / h
            noise = 1e3 * np.finfo(float).eps * (abs(f0) + abs(fp) + abs(fm)) / h
            jumps.append((abs(right - left), left, right, noise))
        (j1, _, _, n1), (j2, left, right, n2) = jumps
        if j2 > 10 * n2 and j2 > 0.5 * j1 and j2 > 1e-6 * (abs(left) + abs(right)):
            return left, right
    return None


def _relative_error(f, x, g, d_true, d_g):
    """``(relative error, index of the largest error or None, is f flat at the point x?)``."""
    if x.size <= _FULL_GRADIENT_MAX_SIZE:
        g_num = numerical_gradient(f, x, max_size=_FULL_GRADIENT_MAX_SIZE**2)
        err = g - g_num
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(np.abs(err))), x.shape))
        ref = float(np.linalg.norm(g_num))
        flat = ref <= 1e-12 * max(float(np.linalg.norm(g)), 1e-300) or ref == 0.0
        return float(np.linalg.norm(err) / max(ref, 1e-300)), where, flat
    ref = float(np.linalg.norm(d_true))
    flat = ref <= 1e-12 * max(float(np.linalg.norm(d_g)), 1e-300) or ref == 0.0
    return float(np.linalg.norm(d_true - d_g) / max(ref, 1e-300)), None, flat
