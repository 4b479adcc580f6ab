# ruff: noqa: E501 - the SPECS table below keeps one callable per line, so that it reads as a table
"""Bad input, everywhere: every public function refuses it with a named ``ValueError``/``TypeError``.

The sweep discovers the public functions of ``companion`` from the ``__all__`` of each of its
modules (the public methods of the public classes too; of ``companion.widgets`` only the
``make_*_explorer`` factories), so a new function is covered by itself: it must get a line
in ``SPECS`` below (valid arguments, and the kind of each argument), or the test that
checks the table fails and says so.

For every argument of every function, the sweep replaces the valid value by each bad value
of the argument's kind (``None``, strings, NaN and inf, the wrong dtype, rank or shape,
0-size arrays, negative, fractional and huge sizes, non-callables, bad rngs and axes,
unknown choices...) and asserts that the call

- raises ``ValueError`` or ``TypeError``, raised by the package's own code (not deep in
  numpy), whose message names the argument;
- does it quickly (a huge size is refused before anything is allocated or looped over);
- leaves every input as it was.

It runs in subprocesses (one per module, in parallel under pytest-xdist) whose address space
is capped (``RLIMIT_AS``): a blow-up is a failed test (``MemoryError``), never a machine out of
memory. A call that hangs is stopped by an alarm and reported.

``python tests/test_bad_input.py`` runs the whole sweep and prints its counts.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import os
import pkgutil
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = str(ROOT / "companion")
TIME_LIMIT = 5.0  # seconds for one refused call (the refusals take microseconds; the machine may be busy)
HARD_TIME_LIMIT = 60  # seconds before the alarm stops a call that hangs
MEMORY_HEADROOM = 1_500_000_000  # bytes of address space a worker may add to what it uses after its imports


# ============================================================================ discovery
def public_modules() -> list[str]:
    import companion  # imported for the registries its modules fill

    names = ["companion"]
    for m in pkgutil.walk_packages(companion.__path__, "companion."):
        if not any(part.startswith("_") for part in m.name.split(".")):
            names.append(m.name)
    return names


def _widget_module(mname: str) -> bool:
    return mname == "companion.widgets" or mname.startswith("companion.widgets.")


def public_callables() -> dict:
    """``{qualified name: callable}`` for every public function, class and public method."""
    found = {}
    for mname in public_modules():
        mod = importlib.import_module(mname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if _widget_module(mname) and not name.startswith("make_"):
                continue  # the widgets' internals are not in scope: their factories are
            if inspect.isclass(obj):
                key = f"{obj.__module__}.{obj.__qualname__}"
                found.setdefault(key, obj)
                for attr, val in vars(obj).items():
                    if (not attr.startswith("_") or attr == "__call__") and (inspect.isfunction(val) or isinstance(val, (classmethod, staticmethod))):
                        found.setdefault(f"{key}.{attr}", getattr(obj, attr))
            elif callable(obj):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    return found


# ============================================================================ bad values, by kind
def R(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _with(v, value):
    w = np.array(v, dtype=float)
    w.reshape(-1)[0] = value
    return w


def _wrong_shape(v):
    if v.ndim == 0:
        return np.ones(2)
    shape = list(v.shape)
    shape[-1] = shape[-1] + 1
    return np.ones(shape)


def _wrong_rank(v):
    return np.ones(v.shape + (2,)) if v.ndim < 2 else np.ones(v.shape[:-1])


class Kind:
    """The bad values of one kind of argument: ``bad(valid) -> [(label, value), ...]``; ``alias``: other
    names the message may use for the argument (e.g. ``primals[0]``)."""

    def __init__(self, bad, alias=()):
        self.bad, self.alias = bad, tuple(alias)

    def named(self, *alias):
        return Kind(self.bad, self.alias + alias)


COMMON = [("None", None), ("a string", "abc"), ("a dict", {"a": 1}), ("an object", object())]


def ARRAY(*, shape_free=False, rank_free=False, dims_free=False, empty_ok=False, int_ok=False, nan_ok=False, none_ok=False, extra=()):
    """A float array. ``shape_free``: any shape is fine; ``rank_free``: any rank; ``dims_free``: any
    lengths (the rank still matters); ``none_ok``: ``None`` is a valid value (a default)."""

    def bad(v):
        v = np.asarray(v, dtype=float)
        out = [] if none_ok else [("None", None)]
        out += [("a string", "abc"), ("a function", len), ("an object array", np.array([None, 1.0], dtype=object)),
               ("a ragged list", [[1.0, 2.0], [3.0]]), ("a complex array", v + 1j)]
        if v.size and not nan_ok:
            out += [("a NaN entry", _with(v, np.nan)), ("an inf entry", _with(v, np.inf))]
        if not int_ok:
            out += [("an integer array", np.ones(v.shape, dtype=int)), ("a boolean array", np.ones(v.shape, dtype=bool))]
        if not shape_free:
            if not dims_free:
                out += [("a wrong shape", _wrong_shape(v))]
            if not rank_free:
                out += [("a wrong rank", _wrong_rank(v))]
            if not empty_ok:
                out += [("a 0-size array", np.empty((0,) + v.shape[1:]))]
        return out + list(extra)

    return Kind(bad)


def SIZE(*, min=1, huge=True, none_ok=False, extra=()):
    """An integer size or count; ``huge``: a huge value must be refused by a limit."""

    def bad(v):
        out = [] if none_ok else [("None", None)]
        out += [("a string", "3"), ("a fraction", 2.5), ("NaN", float("nan")), ("inf", float("inf")),
               ("a bool", True), ("a list", [3]), ("a negative number", -1), ("an array", np.array([2, 3]))]
        if min >= 1:
            out += [("zero", 0)]
        if huge:
            out += [("a huge size", 10**12), ("a size beyond int64", 2**70)]
        return out + list(extra)

    return Kind(bad)


def CLAMPED_INT():
    """An integer a widget clamps into its range: only non-integers are refused."""
    return Kind(lambda v: [("None", None), ("a string", "3"), ("a fraction", 2.5), ("NaN", float("nan")), ("a bool", True), ("a list", [3])])


def SEED():
    return Kind(lambda v: [("None", None), ("a string", "0"), ("a fraction", 2.5), ("NaN", float("nan")), ("a negative number", -1), ("a bool", True)])


def NUMBER(*, positive=False, nonnegative=False, finite=True, none_ok=False, extra=()):
    def bad(v):
        out = [] if none_ok else [("None", None)]
        out += [("a string", "1"), ("NaN", float("nan")), ("a list", [1.0, 2.0]), ("a bool", True),
               ("a complex number", 1 + 1j), ("an array", np.array([1.0, 2.0]))]
        if finite:
            out += [("inf", float("inf")), ("-inf", float("-inf"))]
        if positive:
            out += [("zero", 0.0), ("a negative number", -1.0)]
        elif nonnegative:
            out += [("a negative number", -1.0)]
        return out + list(extra)

    return Kind(bad)


def CHOICE(extra=()):
    return Kind(lambda v: [("None", None), ("a number", 3), ("an unknown name", "no such choice"), ("an empty string", ""), ("a list", [v])] + list(extra))


CALLABLE = Kind(lambda v: [("None", None), ("a number", 3), ("a string", "f"), ("an array", np.ones(3))])
RNG = Kind(lambda v: [("an int seed", 0), ("a string", "rng"), ("a RandomState", np.random.RandomState(0)), ("a float", 1.5), ("None", None)])
RNG_OR_NONE = Kind(lambda v: [("an int seed", 0), ("a string", "rng"), ("a RandomState", np.random.RandomState(0)), ("a float", 1.5)])
BOOL = Kind(lambda v: [("None", None), ("a string", "yes"), ("an int", 2), ("a float", 1.0), ("an array", np.array([True, False]))])
LIMIT = Kind(lambda v: [("None", None), ("a string", "10"), ("a fraction", 2.5), ("zero", 0), ("a negative number", -1), ("NaN", float("nan")), ("a bool", True)])
TEXT = Kind(lambda v: [("None", None), ("a number", 3), ("a list", ["a"])])
OBJECT = Kind(lambda v: COMMON + [("a number", 3), ("an array", np.ones(3))])


def AXIS(ndim, *, none_ok=False, tuple_ok=False):
    def bad(v):
        out = [("a fraction", 1.5), ("a string", "0"), ("out of range", ndim), ("out of range (negative)", -ndim - 1), ("a bool", True)]
        if not none_ok:
            out += [("None", None)]
        if tuple_ok:
            out += [("a repeated axis", (0, 0)), ("a tuple with a fraction", (0.5,))]
        return out

    return Kind(bad)


def SHAPE(*, huge=True, none_ok=False):
    def bad(v):
        out = [] if none_ok else [("None", None)]
        out += [("a string", "abc"), ("a fraction", 2.5), ("a fractional entry", (2.5, 3)), ("a negative entry", (-1, 3)),
               ("a zero entry", (0, 3)), ("an empty shape", ()), ("a None entry", (None, 2)), ("a bool", True)]
        if huge:
            out += [("a huge shape", (10**6, 10**6)), ("a shape beyond int64", (2**40, 2**40))]
        return out

    return Kind(bad)


def ARRAYS(*, wrong=()):
    """A list of float arrays (layers)."""

    def bad(v):
        out = [("None", None), ("a string", "abc"), ("an empty list", []), ("a list holding None", [None]),
               ("a list of integer arrays", [np.ones(np.shape(a), dtype=int) for a in v]),
               ("a list with a NaN", [_with(v[0], np.nan)] + list(v[1:])), ("a 3-d array, not a list", np.ones((2, 3, 3)))]
        return out + list(wrong)

    return Kind(bad)


def COND(shape):
    return Kind(lambda v: [("None", None), ("a string", "abc"), ("a float array", np.ones(shape)), ("an integer array", np.ones(shape, dtype=int)),
                           ("a wrong shape", np.ones(tuple(s + 1 for s in shape), dtype=bool)), ("a list of strings", ["a", "b"])])


def METRIC(n=2):
    """An inner product on arrays of ``n`` entries (``None``: Euclidean): an SPD ``(n, n)`` array or a Metric."""
    return Kind(lambda v: [("a string", "abc"), ("a NaN matrix", np.full((n, n), np.nan)), ("a non-symmetric matrix", np.eye(n) + np.triu(np.ones((n, n)), 1)),
                           ("an indefinite matrix", np.diag([1.0] * (n - 1) + [-1.0])), ("a wrong shape", np.eye(n + 1)), ("an integer matrix", np.eye(n, dtype=int)),
                           ("a 1-d array", np.ones(n)), ("a number", 3.0)])


METRIC_ARG = METRIC(2)
EXERCISE_ID = Kind(lambda v: [("None", None), ("a number", 3), ("an unknown id", "8.9.9"), ("an empty string", ""), ("a list", ["8.1.1"])])
FREE = None  # any value is acceptable for this argument (the reason is given in the table)


# ============================================================================ the table
@dataclasses.dataclass
class Spec:
    """``make() -> {arg: valid value}`` (fresh values each call); ``kinds``: ``{arg: Kind or FREE}``;
    ``call(**kwargs)``: how to call (default: the function itself, by keyword); ``baseline``: call with the
    valid values first (the table's own check)."""

    make: object
    kinds: dict
    call: object = None
    baseline: bool = True


def _fixtures():
    """Valid objects the table's arguments are built from (fresh on each call)."""
    import companion as C

    As, bs = C.mlp_init([3, 4, 2], rng=np.random.default_rng(1))
    _, mlp_cache = C.mlp_forward(As, bs, R(3))
    _, att_cache = C.attention(R(3, 2), R(4, 2, seed=1), R(4, 3, seed=2))
    maps = [C.LocalMap.linear(R(3, 2)), C.LocalMap.elementwise(np.tanh, lambda z: 1 - np.tanh(z) ** 2)]
    return dict(As=As, bs=bs, mlp_cache=mlp_cache, att_cache=att_cache, maps=maps)


def _exercise_kwargs(eid="8.1.9"):
    return dict(id=eid, title="t", level="easy", statement="s", build=lambda rng: {"a": np.ones(2)}, solution=lambda a: a, kind="array",
                mistakes=(), solution_code="", signature=None, trials=None, outputs=(), evidence=None, answer_note="", rtol=1e-6, seed=0,
                category="drill", hints=("h1", "h2"), solution_text="", options=())


_COUNTER = [0]


def _fresh_id():
    _COUNTER[0] += 1
    return f"8.8.{10 + _COUNTER[0] % 89}"


def build_specs() -> dict:
    from companion import examples, exercises, metrics, models, perturb, pullbacks, reverse, spaces, spectra
    from companion.exercises import exercise, registry

    sq = lambda x: float(np.sum(np.asarray(x) ** 2))
    lin = lambda v: 2.0 * v
    S = Spec
    A = ARRAY

    def method(factory, name):
        return lambda **kw: getattr(factory(), name)(**kw)

    specs = {
        # ------------------------------------------------------------------ spaces
        "companion.spaces.vec": S(lambda: {"A": R(3, 2)}, {"A": A(shape_free=True)}),
        "companion.spaces.kron_matrix": S(lambda: {"A": R(3, 2), "B": R(2, 4, seed=1), "max_size": 1000}, {"A": A(dims_free=True), "B": A(dims_free=True), "max_size": LIMIT}),
        "companion.spaces.sandwich": S(lambda: {"A": R(3, 2), "X": R(2, 2, seed=1), "B": R(2, 4, seed=2)}, {"A": A(dims_free=True), "X": A(), "B": A(dims_free=True)}),
        "companion.spaces.sandwich_adjoint": S(lambda: {"A": R(3, 2), "Y": R(3, 4, seed=1), "B": R(2, 4, seed=2)}, {"A": A(dims_free=True), "Y": A(), "B": A(dims_free=True)}),
        "companion.spaces.sandwich_cost": S(lambda: {"A_shape": (3, 2), "B_shape": (2, 4)}, {"A_shape": SHAPE(huge=False), "B_shape": SHAPE(huge=False)}),
        "companion.spaces.unvec": S(lambda: {"v": R(6), "shape": (3, 2)}, {"v": A(), "shape": SHAPE()}),
        "companion.spaces.frobenius": S(lambda: {"A": R(3, 2), "B": R(3, 2, seed=1)}, {"A": A(rank_free=True), "B": A(rank_free=True)}),
        "companion.spaces.Metric": S(lambda: {"M": 2 * np.eye(2), "shape": (2,)}, {"M": A(), "shape": SHAPE(none_ok=True)}),
        "companion.spaces.Metric.__call__": S(lambda: {"U": R(2), "V": R(2, seed=1)}, {"U": A(), "V": A()}, call=method(lambda: spaces.Metric(2 * np.eye(2)), "__call__")),
        "companion.spaces.Metric.norm": S(lambda: {"U": R(2)}, {"U": A()}, call=method(lambda: spaces.Metric(2 * np.eye(2)), "norm")),
        "companion.spaces.Metric.flat": S(lambda: {"V": R(2)}, {"V": A()}, call=method(lambda: spaces.Metric(2 * np.eye(2)), "flat")),
        "companion.spaces.Metric.sharp": S(lambda: {"c": R(2)}, {"c": A().named("covector")}, call=method(lambda: spaces.Metric(2 * np.eye(2)), "sharp")),
        "companion.spaces.as_metric": S(lambda: {"m": 2 * np.eye(2), "shape": (2,), "name": "inner", "of": "x"},
                                         {"m": METRIC_ARG.named("inner"), "shape": SHAPE(), "name": TEXT, "of": Kind(lambda v: [("a number", 3), ("a list", ["x"])])}),
        "companion.spaces.inner": S(lambda: {"U": R(2), "V": R(2, seed=1), "metric": 2 * np.eye(2)}, {"U": A(), "V": A(), "metric": METRIC_ARG}),
        "companion.spaces.riesz": S(lambda: {"covector": R(2), "metric": 2 * np.eye(2)}, {"covector": A(), "metric": METRIC_ARG}),
        "companion.spaces.adjoint": S(lambda: {"A": lin, "x_shape": (3,), "y_shape": (3,), "inner_x": None, "inner_y": None, "check_linear": True, "max_size": 100},
                                      {"A": CALLABLE, "x_shape": SHAPE(), "y_shape": SHAPE(none_ok=True), "inner_x": METRIC(3), "inner_y": METRIC(3), "check_linear": BOOL, "max_size": LIMIT}),
        "adjoint(...) result": S(lambda: {"w": R(3)}, {"w": A()}, call=lambda **kw: spaces.adjoint(lin, (3,))(**kw)),
        "companion.spaces.dot_product_test": S(lambda: {"A": lin, "A_adj": lin, "x_shape": (3,), "y_shape": (3,), "rng": np.random.default_rng(0), "inner_x": None, "inner_y": None},
                                               {"A": CALLABLE, "A_adj": CALLABLE, "x_shape": SHAPE(), "y_shape": SHAPE(none_ok=True), "rng": RNG_OR_NONE,
                                                "inner_x": METRIC(3), "inner_y": METRIC(3)}),
        "companion.spaces.change_of_basis": S(lambda: {"A": R(2, 2), "B": np.eye(2) + 0.1, "C": np.eye(2)}, {"A": A(), "B": A(), "C": A(none_ok=True)}),
        "companion.spaces.rotation": S(lambda: {"theta": 0.3}, {"theta": NUMBER()}),
        "companion.spaces.plane_metric": S(lambda: {"kappa": 2.0, "theta": 0.3}, {"kappa": NUMBER(positive=True), "theta": NUMBER()}),
        "companion.spaces.steepest_ascent": S(lambda: {"covector": R(2), "metric": 2 * np.eye(2)}, {"covector": A(), "metric": METRIC_ARG}),
        "companion.spaces.unit_circle": S(lambda: {"metric": None, "n": 10, "max_size": 1000}, {"metric": METRIC_ARG, "n": SIZE(), "max_size": LIMIT}),
        # ------------------------------------------------------------------ differentials
        "companion.differentials.directional_derivative": S(lambda: {"f": sq, "x": R(3), "v": R(3, seed=1), "method": "central", "h": 1e-5},
                                                            {"f": CALLABLE, "x": A(rank_free=True), "v": A(rank_free=True), "method": CHOICE(), "h": NUMBER(positive=True, none_ok=True)}),
        "companion.differentials.jacobian": S(lambda: {"f": np.tanh, "x": R(3), "method": "central", "max_size": 100},
                                              {"f": CALLABLE, "x": A(shape_free=True, extra=[("a huge array", np.zeros(10**4))]), "method": CHOICE(), "max_size": LIMIT}),
        "companion.differentials.numerical_gradient": S(lambda: {"f": sq, "x": R(3), "inner": None, "method": "central", "max_size": 100},
                                                        {"f": CALLABLE, "x": A(shape_free=True, extra=[("a huge array", np.zeros(10**4))]), "inner": METRIC(3), "method": CHOICE(), "max_size": LIMIT}),
        "companion.differentials.taylor_test": S(lambda: {"f": sq, "x": R(3), "v": R(3, seed=1), "dfv": 1.0, "eps": np.logspace(-1, -4, 5), "max_size": 1000},
                                                 {"f": CALLABLE, "x": A(rank_free=True), "v": A(rank_free=True), "dfv": A(shape_free=True, none_ok=True, extra=[("a wrong size", np.ones(3))]),
                                                  "eps": A(dims_free=True, none_ok=True, extra=[("repeated steps", np.full(4, 0.1))] + [("a negative step", -np.ones(3)), ("a huge grid", np.full(10**4, 1e-3))]), "max_size": LIMIT}),
        # ------------------------------------------------------------------ examples
        "companion.examples.NonlinearMap": S(lambda: {"name": "m", "formula": "F", "_F": np.tanh, "_J": np.tanh, "_d2": np.tanh},
                                             {"name": TEXT, "formula": TEXT, "_F": CALLABLE, "_J": CALLABLE, "_d2": CALLABLE}),
        "companion.examples.NonlinearMap.F": S(lambda: {"p": R(2, 3)}, {"p": A(rank_free=True, dims_free=True)}, call=method(lambda: examples.nonlinear_map("bend"), "F")),
        "companion.examples.NonlinearMap.__call__": S(lambda: {"p": R(2)}, {"p": A(rank_free=True)}, call=method(lambda: examples.nonlinear_map("bend"), "__call__")),
        "companion.examples.NonlinearMap.J": S(lambda: {"p": R(2)}, {"p": A()}, call=method(lambda: examples.nonlinear_map("bend"), "J")),
        "companion.examples.NonlinearMap.d2": S(lambda: {"p": R(2), "v": R(2, seed=1)}, {"p": A(), "v": A()}, call=method(lambda: examples.nonlinear_map("bend"), "d2")),
        "companion.examples.nonlinear_map": S(lambda: {"name": "bend"}, {"name": CHOICE()}),
        "companion.examples.plane_loss": S(lambda: {"w": R(2)}, {"w": A(rank_free=True)}),
        "companion.examples.plane_loss_grad": S(lambda: {"w": R(2)}, {"w": A(rank_free=True)}),
        # ------------------------------------------------------------------ pullbacks
        "companion.pullbacks.plane_map": S(lambda: {"angle": 0.3, "shear": 0.5, "scale": 1.5}, {"angle": NUMBER(), "shear": NUMBER(), "scale": NUMBER()}),
        "companion.pullbacks.LocalMap": S(lambda: {"f": np.tanh, "pushforward": lambda x, dx: dx, "pullback": lambda x, y: y, "name": "F"},
                                          {"f": CALLABLE, "pushforward": CALLABLE, "pullback": CALLABLE, "name": TEXT}),
        "companion.pullbacks.LocalMap.linear": S(lambda: {"A": R(3, 2), "name": "A"}, {"A": A(dims_free=True), "name": TEXT}),
        "companion.pullbacks.LocalMap.elementwise": S(lambda: {"sigma": np.tanh, "sigma_prime": np.tanh, "name": "s"}, {"sigma": CALLABLE, "sigma_prime": CALLABLE, "name": TEXT}),
        "companion.pullbacks.chain_forward": S(lambda: {"maps": _fixtures()["maps"], "x": R(2)},
                                               {"maps": Kind(lambda v: COMMON + [("an empty list", []), ("a list of functions", [np.tanh])]), "x": A(rank_free=True)}),
        "companion.pullbacks.chain_pushforward": S(lambda: (lambda m: {"maps": m, "xs": pullbacks.chain_forward(m, R(2)), "dx": R(2, seed=1)})(_fixtures()["maps"]),
                                                   {"maps": Kind(lambda v: COMMON + [("an empty list", []), ("a list of functions", [np.tanh])]),
                                                    "xs": ARRAYS(wrong=[("too few points", [R(2)])]), "dx": A()}),
        "companion.pullbacks.chain_pullback": S(lambda: (lambda m: {"maps": m, "xs": pullbacks.chain_forward(m, R(2)), "y_bar": R(3, seed=1)})(_fixtures()["maps"]),
                                                {"maps": Kind(lambda v: COMMON + [("an empty list", []), ("a list of functions", [np.tanh])]),
                                                 "xs": ARRAYS(wrong=[("too few points", [R(2)])]), "y_bar": A()}),
        # ------------------------------------------------------------------ models
        "companion.models.least_squares": S(lambda: {"W": R(3, 4), "x": R(4, seed=1), "b": R(3, seed=2)}, {"W": A(), "x": A(), "b": A()}),
        "companion.models.activation": S(lambda: {"name": "tanh"}, {"name": CHOICE()}),
        "companion.models.mlp_init": S(lambda: {"sizes": [3, 4, 2], "rng": np.random.default_rng(0), "gain": 1.0, "bias_scale": 0.0, "max_size": 100},
                                       {"sizes": Kind(lambda v: COMMON + [("a fractional width", [3, 2.5, 2]), ("a negative width", [3, -1, 2]), ("one width", [3]),
                                                                          ("a NaN width", [3, float("nan")]), ("huge widths", [10**6, 10**6, 2]), ("a string width", [3, "4"]),
                                                                          ("a bool width", [3, True])]),
                                        "rng": RNG, "gain": NUMBER(nonnegative=True), "bias_scale": NUMBER(nonnegative=True), "max_size": LIMIT}),
        "companion.models.mlp_forward": S(lambda: (lambda f: {"As": f["As"], "bs": f["bs"], "x": R(3), "activations": "tanh"})(_fixtures()),
                                          {"As": ARRAYS(), "bs": ARRAYS(), "x": A(rank_free=True), "activations": CHOICE(extra=[("a list of the wrong length", ["tanh"])])}),
        "companion.models.mlp_backward": S(lambda: (lambda f: {"As": f["As"], "cache": f["mlp_cache"], "h_bar": R(2), "input_grad": False})(_fixtures()),
                                           {"As": ARRAYS(), "cache": OBJECT, "h_bar": A(), "input_grad": BOOL}),
        "companion.models.mlp_loss_and_grads": S(lambda: (lambda f: {"As": f["As"], "bs": f["bs"], "x": R(3), "y": R(2), "activations": "tanh"})(_fixtures()),
                                                 {"As": ARRAYS(), "bs": ARRAYS(), "x": A(), "y": A(), "activations": CHOICE()}),
        "companion.models.mlp_loss": S(lambda: (lambda f: {"As": f["As"], "bs": f["bs"], "x": R(3), "y": R(2), "activations": "tanh"})(_fixtures()),
                                       {"As": ARRAYS(), "bs": ARRAYS(), "x": A(), "y": A(), "activations": CHOICE()}),
        "companion.models.mlp_delta_norms": S(lambda: (lambda f: {"grads": models.mlp_backward(f["As"], f["mlp_cache"], R(2))})(_fixtures()), {"grads": OBJECT}),
        "companion.models.mlp_pack": S(lambda: (lambda f: {"As": f["As"], "bs": f["bs"]})(_fixtures()), {"As": ARRAYS(), "bs": ARRAYS()}),
        "companion.models.mlp_unpack": S(lambda: (lambda f: {"theta": models.mlp_pack(f["As"], f["bs"]), "sizes": [3, 4, 2]})(_fixtures()),
                                         {"theta": A(), "sizes": Kind(lambda v: COMMON + [("a fractional width", [3, 2.5, 2]), ("a negative width", [3, -1, 2]),
                                                                                          ("one width", [3]), ("huge widths", [10**9, 10**9, 2])])}),
        "companion.models.softmax": S(lambda: {"S": R(3, 4), "axis": -1}, {"S": A(shape_free=True, extra=[("a 0-d array", np.array(1.0))]), "axis": AXIS(2)}),
        "companion.models.softmax_vjp": S(lambda: {"P": models.softmax(R(3, 4)), "G_P": R(3, 4, seed=1)}, {"P": A(rank_free=True), "G_P": A(rank_free=True)}),
        "companion.models.softmax_jacobian": S(lambda: {"p": models.softmax(R(4)), "max_size": 100}, {"p": A(dims_free=True, extra=[("a huge vector", np.full(10**4, 1e-4))]), "max_size": LIMIT}),
        "companion.models.attention": S(lambda: {"Q": R(3, 2), "K": R(4, 2, seed=1), "V": R(4, 3, seed=2), "scale": 0.5, "max_size": 1000},
                                        {"Q": A(empty_ok=True), "K": A(), "V": A(dims_free=True), "scale": NUMBER(none_ok=True), "max_size": LIMIT}),
        "companion.models.attention_vjp": S(lambda: {"cache": _fixtures()["att_cache"], "G_Y": R(3, 3)}, {"cache": OBJECT, "G_Y": A()}),
        "companion.models.attention_jvp": S(lambda: {"cache": _fixtures()["att_cache"], "dQ": R(3, 2), "dK": R(4, 2), "dV": R(4, 3)},
                                            {"cache": OBJECT, "dQ": A(none_ok=True), "dK": A(none_ok=True), "dV": A(none_ok=True)}),
        "companion.models.squared_loss": S(lambda: {"Y": R(3, 2), "T": R(3, 2, seed=1)}, {"Y": A(rank_free=True), "T": A(rank_free=True)}),
        "companion.models.attention_loss_and_grads": S(lambda: {"Q": R(3, 2), "K": R(4, 2, seed=1), "V": R(4, 3, seed=2), "T": R(3, 3, seed=3), "scale": 0.5},
                                                       {"Q": A(), "K": A(), "V": A(dims_free=True), "T": A(), "scale": NUMBER(none_ok=True)}),
        # ------------------------------------------------------------------ metrics
        "companion.metrics.Quadratic": S(lambda: {"H": np.diag([2.0, 1.0]), "w_star": np.zeros(2)}, {"H": A(), "w_star": A()}),
        "companion.metrics.Quadratic.loss": S(lambda: {"w": R(2)}, {"w": A()}, call=method(lambda: metrics.ill_conditioned_quadratic(10.0), "loss")),
        "companion.metrics.Quadratic.differential": S(lambda: {"w": R(2)}, {"w": A()}, call=method(lambda: metrics.ill_conditioned_quadratic(10.0), "differential")),
        "companion.metrics.Quadratic.hessian": S(lambda: {"w": R(2)}, {"w": A(none_ok=True)}, call=method(lambda: metrics.ill_conditioned_quadratic(10.0), "hessian")),
        "companion.metrics.ill_conditioned_quadratic": S(lambda: {"cond": 10.0, "rotation": 30.0, "w_star": (0.0, 0.0), "lam_max": 1.0},
                                                         {"cond": NUMBER(positive=True, extra=[("below 1", 0.5)]), "rotation": NUMBER(), "w_star": A(), "lam_max": NUMBER(positive=True)}),
        "companion.metrics.rotation_matrix": S(lambda: {"degrees": 30.0}, {"degrees": NUMBER()}),
        "companion.metrics.LogisticRegression": S(lambda: {"X": R(2, 5), "y": np.array([0.0, 1, 1, 0, 1])}, {"X": A(), "y": A(extra=[("a label 2", np.array([0.0, 1, 2, 0, 1]))])}),
    }
    logreg = lambda: metrics.make_logistic_regression(20, rng=np.random.default_rng(3))
    for m in ("probabilities", "loss", "differential", "hessian", "fisher"):
        specs[f"companion.metrics.LogisticRegression.{m}"] = S(lambda: {"w": R(2)}, {"w": A()}, call=method(logreg, m))
    repar = lambda: metrics.reparametrize(metrics.ill_conditioned_quadratic(10.0), 2 * np.eye(2))
    for m in ("loss", "differential", "hessian"):
        specs[f"companion.metrics.Reparametrized.{m}"] = S(lambda: {"u": R(2)}, {"u": A()}, call=method(repar, m))
    repar_logreg = lambda: metrics.reparametrize(logreg(), 2 * np.eye(2))
    specs["companion.metrics.Reparametrized.fisher"] = S(lambda: {"u": R(2)}, {"u": A()}, call=method(repar_logreg, "fisher"))
    specs["companion.metrics.Reparametrized.to_w"] = S(lambda: {"u": R(2)}, {"u": A(rank_free=True)}, call=method(repar, "to_w"))
    specs["companion.metrics.Reparametrized.to_u"] = S(lambda: {"w": R(2)}, {"w": A(rank_free=True)}, call=method(repar, "to_u"))
    problems = Kind(lambda v: COMMON + [("a number", 3), ("an array", np.eye(2))])
    specs.update({
        "companion.metrics.Reparametrized": S(lambda: {"problem": metrics.ill_conditioned_quadratic(10.0), "B": 2 * np.eye(2)}, {"problem": problems, "B": A(extra=[("a singular B", np.zeros((2, 2)))])}),
        "companion.metrics.reparametrize": S(lambda: {"problem": metrics.ill_conditioned_quadratic(10.0), "B": 2 * np.eye(2)}, {"problem": problems, "B": A(extra=[("a singular B", np.zeros((2, 2)))])}),
        "companion.metrics.metric_at": S(lambda: {"problem": metrics.ill_conditioned_quadratic(10.0), "metric": "jacobi", "w": R(2)},
                                         {"problem": problems, "metric": Kind(lambda v: [("None", None), ("a number", 3), ("an unknown name", "nope"), ("the old name 'natural' (now 'newton')", "natural"), ("'fisher' for a quadratic", "fisher"), ("a NaN matrix", np.full((2, 2), np.nan)), ("a wrong shape", np.eye(3))]),
                                          "w": A()}),
        "companion.metrics.metric_step": S(lambda: {"c": R(2), "M": 2 * np.eye(2), "eta": 0.5}, {"c": A(), "M": METRIC_ARG, "eta": NUMBER(positive=True)}),
        "companion.metrics.steepest_direction": S(lambda: {"c": R(2), "M": 2 * np.eye(2)}, {"c": A(extra=[("zero", np.zeros(2))]), "M": METRIC_ARG}),
        "companion.metrics.metric_unit_circle": S(lambda: {"M": 2 * np.eye(2), "num": 10, "max_size": 1000}, {"M": METRIC_ARG, "num": SIZE(), "max_size": LIMIT}),
        "companion.metrics.DescentPath.steps_to": S(lambda: {"tol": 1e-3}, {"tol": NUMBER(finite=False)},
                                                    call=method(lambda: metrics.metric_descent(metrics.ill_conditioned_quadratic(10.0), np.ones(2), steps=5), "steps_to")),
        "companion.metrics.metric_descent": S(lambda: {"problem": metrics.ill_conditioned_quadratic(10.0), "w0": np.ones(2), "metric": "euclidean", "eta": 0.1, "steps": 5, "max_steps": 100, "max_size": 1000},
                                              {"problem": problems, "w0": A(), "metric": Kind(lambda v: [("None", None), ("a number", 3), ("an unknown name", "nope"), ("the old name 'natural' (now 'newton')", "natural"), ("'fisher' for a quadratic", "fisher"), ("a NaN matrix", np.full((2, 2), np.nan)), ("a wrong shape", np.eye(3))]),
                                               "eta": NUMBER(positive=True), "steps": SIZE(min=0), "max_steps": LIMIT, "max_size": LIMIT}),
        "companion.metrics.stability_bound": S(lambda: {"H": np.diag([2.0, 1.0]), "M": np.eye(2)}, {"H": A(), "M": METRIC_ARG}),
        "companion.metrics.contraction_factor": S(lambda: {"H": np.diag([2.0, 1.0]), "M": np.eye(2), "eta": 0.5}, {"H": A(), "M": METRIC_ARG, "eta": NUMBER()}),
        "companion.metrics.adaptive_descent": S(lambda: {"problem": metrics.ill_conditioned_quadratic(10.0), "w0": np.ones(2), "method": "adam", "eta": 0.1, "steps": 5,
                                                         "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "max_steps": 100, "max_size": 1000},
                                                {"problem": problems, "w0": A(), "method": CHOICE(), "eta": NUMBER(positive=True), "steps": SIZE(min=0),
                                                 "beta1": NUMBER(nonnegative=True, none_ok=True, extra=[("one", 1.0)]),
                                                 "beta2": NUMBER(positive=True, none_ok=True, extra=[("one", 1.0)]), "eps": NUMBER(positive=True),
                                                 "max_steps": LIMIT, "max_size": LIMIT}),
        "companion.metrics.adaptive_metric": S(lambda: {"v": np.array([1.0, 4.0]), "eps": 1e-8},
                                               {"v": A(dims_free=True, extra=[("a negative entry", np.array([1.0, -1.0]))]), "eps": NUMBER(positive=True)}),
        "companion.metrics.make_logistic_regression": S(lambda: {"N": 20, "rng": np.random.default_rng(0), "feature_scales": (1.0, 10.0), "w_true": np.array([1.0, 0.1]), "max_size": 1000},
                                                        {"N": SIZE(), "rng": RNG, "feature_scales": A(dims_free=True, extra=[("a negative scale", np.array([1.0, -1.0]))]),
                                                         "w_true": A(none_ok=True), "max_size": LIMIT}),
        # ------------------------------------------------------------------ spectra
        "companion.spectra.gaussian_weights": S(lambda: {"m": 3, "n": 2, "sigma_w": 1.0, "rng": np.random.default_rng(0), "max_size": 100},
                                                {"m": SIZE(), "n": SIZE(), "sigma_w": NUMBER(positive=True), "rng": RNG, "max_size": LIMIT}),
        "companion.spectra.orthogonal_weights": S(lambda: {"m": 3, "n": 2, "sigma_w": 1.0, "rng": np.random.default_rng(0), "max_size": 100},
                                                  {"m": SIZE(), "n": SIZE(none_ok=True), "sigma_w": NUMBER(positive=True), "rng": RNG, "max_size": LIMIT}),
        "companion.spectra.sample_weights": S(lambda: {"n": 3, "depth": 2, "init": "gaussian", "sigma_w": 1.0, "rng": np.random.default_rng(0), "max_size": 100, "max_steps": 10},
                                              {"n": SIZE(extra=[("a large width", 10**7)]), "depth": SIZE(), "init": CHOICE(), "sigma_w": NUMBER(positive=True), "rng": RNG,
                                               "max_size": LIMIT, "max_steps": LIMIT}),
        "companion.spectra.network_map": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "activation": "tanh", "norm": None}, {"As": ARRAYS(), "activation": CHOICE(), "norm": Kind(lambda v: [("a number", 3), ("an unknown name", "batch"), ("an empty string", "")])}),
        "network_map(...) result": S(lambda: {"x": R(3)}, {"x": A(rank_free=True)}, call=lambda **kw: spectra.network_map([R(3, 3), R(3, 3, seed=1)], "tanh")(**kw)),
        "companion.spectra.jacobian_products": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "x": R(3), "activation": "tanh", "norm": None}, {"As": ARRAYS(), "x": A(), "activation": CHOICE(), "norm": Kind(lambda v: [("a number", 3), ("an unknown name", "batch"), ("an empty string", "")])}),
        "companion.spectra.input_output_jacobian": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "x": R(3), "activation": "tanh", "norm": None}, {"As": ARRAYS(), "x": A(), "activation": CHOICE(), "norm": Kind(lambda v: [("a number", 3), ("an unknown name", "batch"), ("an empty string", "")])}),
        "companion.spectra.input_pullback": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "x": R(3), "g": R(3, seed=2), "activation": "tanh"},
                                              {"As": ARRAYS(), "x": A(), "g": A(), "activation": CHOICE()}),
        "companion.spectra.singular_values": S(lambda: {"J": R(3, 2)}, {"J": A(dims_free=True)}),
        "companion.spectra.mean_squared_singular_value": S(lambda: {"J": R(3, 2)}, {"J": A(dims_free=True)}),
        "companion.spectra.marchenko_pastur_support": S(lambda: {"ratio": 0.5, "variance": 1.0}, {"ratio": NUMBER(positive=True), "variance": NUMBER(positive=True)}),
        "companion.spectra.marchenko_pastur_density": S(lambda: {"x": np.linspace(0.1, 2, 5), "ratio": 0.5, "variance": 1.0},
                                                        {"x": A(shape_free=True), "ratio": NUMBER(positive=True), "variance": NUMBER(positive=True)}),
        "companion.spectra.marchenko_pastur_cdf": S(lambda: {"x": np.linspace(0.1, 2, 5), "ratio": 0.5, "variance": 1.0, "max_size": 1000},
                                                    {"x": A(shape_free=True, extra=[("a huge grid", np.zeros(10**6))]), "ratio": NUMBER(positive=True), "variance": NUMBER(positive=True), "max_size": LIMIT}),
        "companion.spectra.critical_gain": S(lambda: {"activation": "relu"}, {"activation": CHOICE()}),
        "companion.spectra.predicted_mean_squared_singular_value": S(lambda: {"sigma_w": 1.2, "depth": 5, "activation": "tanh", "q0": 1.0, "max_steps": 10},
                                                                     {"sigma_w": NUMBER(positive=True), "depth": SIZE(extra=[("a large depth", 10**7)]), "activation": CHOICE(), "q0": NUMBER(nonnegative=True),
                                                                      "max_steps": LIMIT}),
        "companion.spectra.depth_sweep": S(lambda: {"n": 3, "depth": 2, "init": "gaussian", "sigma_w": 1.0, "activation": "tanh", "rng": np.random.default_rng(0), "kept": (1, 2), "norm": None, "max_size": 100, "max_steps": 10},
                                           {"n": SIZE(extra=[("a large width", 10**7)]), "depth": SIZE(), "init": CHOICE(), "sigma_w": NUMBER(positive=True), "activation": CHOICE(), "rng": RNG,
                                            "kept": Kind(lambda v: [("a string", "1"), ("a depth out of range", (5,)), ("a fractional depth", (1.5,)), ("a number", 3)]), "norm": Kind(lambda v: [("a number", 3), ("an unknown name", "batch"), ("an empty string", "")]), "max_size": LIMIT, "max_steps": LIMIT}),
        "companion.spectra.layer_norm": S(lambda: {"z": R(4)}, {"z": A(dims_free=True, extra=[("a constant z", np.ones(4)), ("one entry", np.ones(1))])}),
        "companion.spectra.layer_norm_jacobian": S(lambda: {"z": R(4)}, {"z": A(dims_free=True, extra=[("a constant z", np.ones(4)), ("one entry", np.ones(1))])}),
        "companion.spectra.layer_norm_factor": S(lambda: {"activation": "tanh", "n": 8}, {"activation": CHOICE(), "n": SIZE(huge=False, extra=[("two", 2)])}),
        "companion.spectra.parameter_jacobian": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "X": R(2, 3), "activation": "tanh"},
                                                  {"As": ARRAYS(), "X": A(), "activation": CHOICE()}),
        "companion.spectra.gauss_newton_eigenvalues": S(lambda: {"As": [R(3, 3), R(3, 3, seed=1)], "X": R(2, 3), "activation": "tanh"},
                                                        {"As": ARRAYS(), "X": A(), "activation": CHOICE()}),
        "companion.spectra.markdown_table": S(lambda: {"header": ["a", "b"], "rows": [[1, 2.5]], "digits": 3},
                                              {"header": Kind(lambda v: [("None", None), ("a string", "ab"), ("a list of numbers", [1, 2])]),
                                                "rows": Kind(lambda v: [("None", None), ("a string", "ab"), ("a row too short", [[1]]), ("a row that is a number", [3])]),
                                                "digits": SIZE(huge=False)}),
        # ------------------------------------------------------------------ perturb, checks
        "companion.perturb.direction": S(lambda: {"kind": "entry", "shape": (2, 3), "rng": None, "grad": None, "index": (1, 2), "normalize": True, "max_size": 100},
                                         {"kind": CHOICE(), "shape": SHAPE(), "index": Kind(lambda v: [("None", None), ("a string", "01"), ("a fractional index", (0.5, 0)), ("out of range", (5, 5)), ("too short", (0,)), ("negative", (-1, 0))]),
                                          "normalize": BOOL, "max_size": LIMIT}),
        "direction('random')": S(lambda: {"shape": (2, 3), "rng": np.random.default_rng(0)}, {"shape": SHAPE(), "rng": RNG}, call=lambda **kw: perturb.direction("random", **kw)),
        "direction('gradient')": S(lambda: {"shape": (2, 3), "grad": R(2, 3)}, {"grad": A(extra=[("zero", np.zeros((2, 3)))])}, call=lambda **kw: perturb.direction("gradient", **kw)),
        "companion.perturb.first_order_study": S(lambda: {"f": sq, "x": R(3), "g": R(3, seed=1), "dx": R(3, seed=2), "eps": np.array([0.1, 0.01]), "max_size": 1000},
                                                 {"f": CALLABLE, "x": A(rank_free=True), "g": A(rank_free=True), "dx": A(rank_free=True),
                                                  "eps": A(dims_free=True, extra=[("a huge grid", np.full(10**6, 1e-3))]), "max_size": LIMIT}),
        "companion.perturb.zoom_study": S(lambda: {"f": sq, "x": R(3), "g": R(3, seed=1), "dx": R(3, seed=2), "eps": np.array([0.1, 0.01]), "s": np.linspace(-2, 2, 5),
                                                  "f0": None, "batched": False, "max_size": 1000},
                                          {"f": CALLABLE, "x": A(rank_free=True), "g": A(rank_free=True), "dx": A(rank_free=True),
                                           "eps": A(dims_free=True, extra=[("a huge grid", np.full(10**6, 1e-3))]),
                                           "s": A(dims_free=True, extra=[("a huge grid", np.linspace(-2, 2, 10**6))]),
                                           "f0": NUMBER(none_ok=True), "batched": BOOL, "max_size": LIMIT}),
        "companion.checks.check_gradient": S(lambda: {"f": sq, "x": R(3), "g": 2 * R(3), "rng": np.random.default_rng(0), "n_directions": 3, "max_size": 1000},
                                             {"f": CALLABLE, "x": A(shape_free=True), "g": FREE, "rng": RNG_OR_NONE, "n_directions": SIZE(), "max_size": LIMIT}),
        "companion.diagnosis.describe_factor": S(lambda: {"c": 2.0, "tol": 1e-6}, {"c": NUMBER(finite=False), "tol": NUMBER(positive=True)}),
        # ------------------------------------------------------------------ the engine
        "companion.reverse.Tensor": S(lambda: {"value": R(3)}, {"value": Kind(lambda v: [("None", None), ("a string", "abc"), ("an object array", np.array([None, 1.0], dtype=object)),
                                                                                          ("a ragged list", [[1.0], [2.0, 3.0]]), ("a complex array", v + 1j), ("a function", len)])}),
        "companion.reverse.Tensor.transpose": S(lambda: {"axes": (1, 0)}, {"axes": Kind(lambda v: [("a string", "ab"), ("too few axes", (0,)), ("a repeated axis", (0, 0)), ("a fractional axis", (0.5, 1)), ("out of range", (0, 5))])},
                                                call=lambda **kw: reverse.Tensor(R(2, 3)).transpose(kw["axes"])),
        "companion.reverse.Tensor.reshape": S(lambda: {"shape": (3, 2)}, {"shape": Kind(lambda v: [("None", None), ("a string", "ab"), ("a fraction", (2.5, 2)), ("the wrong size", (7,)), ("a negative entry", (-5, 2))])},
                                              call=lambda **kw: reverse.Tensor(R(2, 3)).reshape(kw["shape"])),
        "companion.reverse.Tensor.sum": S(lambda: {"axis": 0, "keepdims": False}, {"axis": AXIS(2, none_ok=True, tuple_ok=True), "keepdims": BOOL}, call=method(lambda: reverse.Tensor(R(2, 3)), "sum")),
        "companion.reverse.Tensor.mean": S(lambda: {"axis": 0, "keepdims": False}, {"axis": AXIS(2, none_ok=True, tuple_ok=True), "keepdims": BOOL}, call=method(lambda: reverse.Tensor(R(2, 3)), "mean")),
        "companion.reverse.vjp": S(lambda: {"f": reverse.tanh, "x": R(3)}, {"f": CALLABLE, "x": A(shape_free=True).named("primals[0]")}, call=lambda f, x: reverse.vjp(f, x)),
        "vjp(...) pullback": S(lambda: {"cotangent": R(3)}, {"cotangent": A()}, call=lambda **kw: reverse.vjp(lambda t: t * 2.0, R(3))[1](**kw)),
        "companion.reverse.jvp": S(lambda: {"f": reverse.tanh, "primals": (R(3),), "tangents": (R(3, seed=1),)},
                                   {"f": CALLABLE, "primals": Kind(lambda v: COMMON + [("an array, not a tuple", R(3)), ("a tuple holding None", (None,)), ("an integer array", (np.ones(3, int),)), ("a NaN", (_with(R(3), np.nan),))]),
                                    "tangents": Kind(lambda v: COMMON + [("an array, not a tuple", R(3)), ("a tuple holding None", (None,)), ("a wrong shape", (R(4),)), ("too many", (R(3), R(3)))])},
                                   ),
        "companion.reverse.grad": S(lambda: {"f": lambda t: (t * t).sum(), "argnums": 0}, {"f": CALLABLE, "argnums": Kind(lambda v: [("None", None), ("a string", "0"), ("a fraction", 1.5), ("negative", -1), ("a repeated index", (0, 0)), ("empty", ()), ("a bool", True)])}),
        "companion.reverse.value_and_grad": S(lambda: {"f": lambda t: (t * t).sum(), "argnums": 0}, {"f": CALLABLE, "argnums": Kind(lambda v: [("None", None), ("a string", "0"), ("a fraction", 1.5), ("negative", -1), ("a repeated index", (0, 0)), ("empty", ()), ("a bool", True)])}),
        "grad(f) result": S(lambda: {"x": R(3)}, {"x": A(shape_free=True)}, call=lambda x: reverse.grad(lambda x: (x * x).sum())(x)),
        "companion.reverse.call": S(lambda: {"prim": "exp", "x": R(3)}, {"prim": Kind(lambda v: [("None", None), ("a number", 3), ("an unknown name", "nope")]), "x": A(shape_free=True).named("argument 0")},
                                    call=lambda prim, x: reverse.call(prim, x)),
        "companion.reverse.exp": S(lambda: {"x": R(3)}, {"x": A(shape_free=True)}),
        "companion.reverse.log": S(lambda: {"x": np.exp(R(3))}, {"x": A(shape_free=True)}),
        "companion.reverse.tanh": S(lambda: {"x": R(3)}, {"x": A(shape_free=True)}),
        "companion.reverse.sigmoid": S(lambda: {"x": R(3)}, {"x": A(shape_free=True)}),
        "companion.reverse.relu": S(lambda: {"x": R(3)}, {"x": A(shape_free=True)}),
        "companion.reverse.softmax": S(lambda: {"x": R(2, 3), "axis": -1}, {"x": A(shape_free=True, extra=[("a 0-d array", np.array(1.0))]).named("S"), "axis": AXIS(2)}),
        "companion.reverse.trace": S(lambda: {"X": R(3, 3)}, {"X": A(rank_free=True)}),
        "companion.reverse.inv": S(lambda: {"X": np.eye(3) + 0.1 * R(3, 3)}, {"X": A(rank_free=True, extra=[("a singular matrix", np.zeros((3, 3)))])}),
        "companion.reverse.logdet": S(lambda: {"X": np.eye(3) + 0.1 * R(3, 3)}, {"X": A(rank_free=True, extra=[("a negative determinant", -np.eye(3))])}),
        "companion.reverse.maximum": S(lambda: {"x": R(3), "y": R(3, seed=1)}, {"x": A(rank_free=True), "y": A(rank_free=True)}),
        "companion.reverse.where": S(lambda: {"cond": R(3) > 0, "x": R(3, seed=1), "y": R(3, seed=2)}, {"cond": COND((3,)), "x": A(rank_free=True, int_ok=True, nan_ok=True), "y": A(rank_free=True, int_ok=True, nan_ok=True)}),
        "companion.rules.defprimitive": S(lambda: {"name": "sweep_neg", "value": np.negative, "jvp": lambda dx, z, x: -dx, "vjp": lambda z_bar, _z, _x: -z_bar, "reads": None, "sample": None, "doc": "", "replace": True},
                                          {"name": Kind(lambda v: [("None", None), ("a number", 3), ("an empty string", "")]), "value": CALLABLE,
                                           "jvp": Kind(lambda v: [("None", None), ("a number", 3), ("an empty tuple", ())]), "vjp": Kind(lambda v: [("None", None), ("a number", 3), ("an empty tuple", ())]),
                                           "reads": Kind(lambda v: [("a number", 3), ("a name the rule does not have", "w"), ("two strings for one rule", ("", ""))]),
                                           "sample": Kind(lambda v: [("a number", 3), ("a string", "s")]), "doc": TEXT, "replace": BOOL}),
        # ------------------------------------------------------------------ exercises
        "companion.exercises.grading.check": S(lambda: {"exercise": "8.3.1", "answer": None, "record": False}, {"exercise": EXERCISE_ID, "answer": FREE, "record": BOOL}),
        "companion.exercises.registry.get": S(lambda: {"exercise_id": "8.3.1"}, {"exercise_id": EXERCISE_ID}),
        "companion.exercises.registry.show": S(lambda: {"exercise_id": "8.3.1"}, {"exercise_id": EXERCISE_ID}),
        "companion.exercises.registry.by_section": S(lambda: {"section": "8.3"}, {"section": Kind(lambda v: [("None", None), ("an unknown section", "9.9"), ("a fraction", 8.35), ("a list", ["8.3"]), ("a bool", True)])}),
        "companion.exercises.registry.listing": S(lambda: {"section": "8.3", "category": "drill"}, {"section": Kind(lambda v: [("an unknown section", "9.9"), ("a list", ["8.3"]), ("a bool", True)]),
                                                                                          "category": Kind(lambda v: [("an unknown category", "exam"), ("a number", 3), ("a list", ["drill"])])}),
        "companion.exercises.registry.progress": S(lambda: {"section": "8.3"}, {"section": Kind(lambda v: [("an unknown section", "9.9"), ("a list", ["8.3"]), ("a bool", True)])}),
        "companion.exercises.registry.intro": S(lambda: {"section": "8.3"}, {"section": Kind(lambda v: [("None", None), ("an unknown section", "9.9"), ("a list", ["8.3"]), ("a bool", True)])}),
        "companion.exercises.registry.register": S(lambda: {"exercise": exercise.Exercise(**_exercise_kwargs(_fresh_id()))}, {"exercise": OBJECT},
                                                   call=lambda exercise: registry.register(exercise)),
        "companion.exercises.registry.Markdown": S(lambda: {"text": "# t"}, {"text": TEXT}),
        "companion.exercises.exercise.Exercise": S(lambda: _exercise_kwargs(),
                                                   {"id": Kind(lambda v: [("None", None), ("a number", 8.1), ("a malformed id", "8.1")]), "title": TEXT, "level": CHOICE(), "statement": TEXT,
                                                    "build": CALLABLE, "solution": CALLABLE, "kind": CHOICE(), "solution_code": TEXT, "answer_note": TEXT,
                                                    "mistakes": Kind(lambda v: [("None", None), ("a string", "abc"), ("a list of numbers", [3])]),
                                                    "signature": Kind(lambda v: [("a number", 3), ("a list", ["f(x)"])]),
                                                    "trials": Kind(lambda v: [("a number", 3), ("a string", "t")]), "evidence": Kind(lambda v: [("a number", 3), ("a string", "t")]),
                                                    "outputs": Kind(lambda v: [("None", None), ("a string", "G"), ("a list of numbers", [1, 2])]),
                                                    "rtol": NUMBER(positive=True), "seed": SEED(), "category": CHOICE(), "solution_text": TEXT,
                                                    "hints": Kind(lambda v: [("None", None), ("a string", "h"), ("a list of numbers", [3]), ("an empty hint", ("", "h")), ("one hint", ("h",)), ("four hints", ("h",) * 4)]),
                                                    "options": Kind(lambda v: [("None", None), ("a string", "abc"), ("options for an array exercise", (exercise.Option("a", "t", True, "w"),))])}),
        "companion.exercises.exercise.Exercise.memo": S(lambda: {"key": "k", "compute": lambda: 1}, {"key": TEXT, "compute": CALLABLE},
                                                        call=method(lambda: exercise.Exercise(**_exercise_kwargs()), "memo")),
        "companion.exercises.exercise.Option": S(lambda: {"label": "a", "text": "t", "correct": True, "why": "w"},
                                                 {"label": Kind(lambda v: [("None", None), ("a number", 3), ("two letters", "ab"), ("a capital", "A")]), "text": TEXT, "correct": BOOL,
                                                  "why": Kind(lambda v: [("None", None), ("a number", 3), ("an empty why", " ")])}),
        "companion.exercises.exercise.Exercise.markdown": S(lambda: {"heading_level": 3}, {"heading_level": SIZE(huge=False, extra=[("too deep", 7)])}, call=method(lambda: exercises.get("8.3.1"), "markdown")),
        "companion.exercises.exercise.Mistake": S(lambda: {"name": "m", "wrong": np.negative, "hint": "h"}, {"name": TEXT, "wrong": CALLABLE, "hint": TEXT}),
        "companion.exercises.evidence.gradient_evidence": S(lambda: {"objective": lambda **d: (np.sum, np.ones(2))}, {"objective": CALLABLE}),
        "companion.exercises.evidence.differential_evidence": S(lambda: {"objective": lambda d, a: None}, {"objective": CALLABLE}),
        "companion.exercises.evidence.adjoint_evidence": S(lambda: {"objective": lambda d, a: None}, {"objective": CALLABLE}),
    })
    # ------------------------------------------------------------------ widget factories (argument checks only)
    W = "companion.widgets."
    specs.update({
        W + "linearization.make_linearization_explorer": S(lambda: {"map": "bend", "x0": -0.5, "y0": 0.6, "angle": 60.0, "eps_index": 12},
                                                            {"map": CHOICE(), "x0": NUMBER(), "y0": NUMBER(), "angle": NUMBER(), "eps_index": CLAMPED_INT()}, baseline=False),
        W + "riesz.make_riesz_explorer": S(lambda: {"theta": 30.0, "w1": -1.1, "w2": -0.7, "kappa_index": 12},
                                           {"theta": NUMBER(), "w1": NUMBER(), "w2": NUMBER(), "kappa_index": CLAMPED_INT()}, baseline=False),
        W + "least_squares.make_least_squares_explorer": S(lambda: {"m": 3, "n": 4, "seed": 0, "kind": "random", "i": 1, "j": 1, "eps_index": 8},
                                                            {"m": CLAMPED_INT(), "n": CLAMPED_INT(), "seed": CLAMPED_INT(), "kind": CHOICE(), "i": CLAMPED_INT(), "j": CLAMPED_INT(), "eps_index": CLAMPED_INT()}, baseline=False),
        W + "adjoint.make_adjoint_explorer": S(lambda: {"shear": 0.6, "scale": 1.4, "v_deg": 20.0, "w_deg": 110.0, "inner": "Euclidean", "angle_index": 10},
                                               {"shear": NUMBER(), "scale": NUMBER(), "v_deg": NUMBER(), "w_deg": NUMBER(), "inner": CHOICE(), "angle_index": CLAMPED_INT()}, baseline=False),
        W + "mlp.make_mlp_explorer": S(lambda: {"depth": 3, "width": 8, "activation": "tanh", "seed": 0, "layer": 2, "i": 1, "j": 1, "eps_index": 8},
                                       {"depth": CLAMPED_INT(), "width": CLAMPED_INT(), "activation": CHOICE(), "seed": CLAMPED_INT(), "layer": CLAMPED_INT(), "i": CLAMPED_INT(), "j": CLAMPED_INT(), "eps_index": CLAMPED_INT()}, baseline=False),
        W + "attention.make_attention_explorer": S(lambda: {"n": 6, "d": 3, "d_v": 3, "seed": 0, "target": "Q", "kind": "entry", "i": 2, "j": 1, "row": 2, "tau": 1.0, "eps_index": 8},
                                                   {"n": CLAMPED_INT(), "d": CLAMPED_INT(), "d_v": CLAMPED_INT(), "seed": CLAMPED_INT(), "target": CHOICE(), "kind": CHOICE(), "i": CLAMPED_INT(), "j": CLAMPED_INT(),
                                                    "row": CLAMPED_INT(), "tau": NUMBER(positive=True), "eps_index": CLAMPED_INT()}, baseline=False),
        W + "metrics.make_metric_descent_explorer": S(lambda: {"cond_index": 8, "eta": 0.9, "steps": 60, "rotation": 30.0, "adaptive": "adam", "adaptive_eta": 0.1},
                                                      {"cond_index": CLAMPED_INT(), "eta": NUMBER(positive=True), "steps": CLAMPED_INT(), "rotation": NUMBER(),
                                                       "adaptive": CHOICE(), "adaptive_eta": NUMBER(positive=True)}, baseline=False),
        W + "spectra.make_spectra_explorer": S(lambda: {"depth_index": 3, "width": 64, "gain": 1.0, "activation": "tanh", "init": "gaussian", "seed": 0},
                                               {"depth_index": CLAMPED_INT(), "width": CLAMPED_INT(), "gain": NUMBER(positive=True), "activation": CHOICE(), "init": CHOICE(), "seed": SEED()}, baseline=False),
    })
    return specs


# Public callables the sweep does not call, and why.
EXEMPT = {
    "companion.models.AttentionCache": "a record filled by attention(); attention_vjp checks that it gets one",
    "companion.models.MLPCache": "a record filled by mlp_forward(); mlp_backward checks that it gets one",
    "companion.models.MLPGrads": "a record filled by mlp_backward()",
    "companion.checks.GradientReport": "a record filled by check_gradient()",
    "companion.diagnosis.Verdict": "a record filled by check_gradient() and exercises.check() (it refuses an unknown diagnosis)",
    "companion.differentials.TaylorResult": "a record filled by taylor_test()",
    "companion.exercises.feedback.Feedback": "a record filled by check() (it refuses an unknown diagnosis)",
    "companion.metrics.DescentPath": "a record filled by metric_descent()",
    "companion.spectra.DepthSweep": "a record filled by depth_sweep()",
    "companion.perturb.FirstOrderStudy": "a record filled by first_order_study()",
    "companion.perturb.FirstOrderStudy.index": "a lookup: any value that is not on the grid gives None",
    "companion.perturb.FirstOrderStudy.numbers": "a read of the record's arrays at a position (numpy's IndexError outside)",
    "companion.perturb.Zoom": "a record filled by zoom_study()",
    "companion.perturb.Zoom.curve": "a read of the record's array at a position (numpy's IndexError outside)",
    "companion.perturb.Zoom.at": "a read of the record at eps, else zoom_study() (which checks every argument)",
    "companion.rules.Primitive": "built by defprimitive(), which checks its arguments",
    "companion.rules.Aval": "a stand-in the engine builds from an array's shape and dtype",
    "companion.rules.check_reads": "called by defprimitive() on the Primitive it has just checked and built",
    "companion.rules.DomainError": "an exception class",
    "companion.exercises.exercise.Exercise.reference": "no arguments",
    "companion.exercises.exercise.Exercise.trial_inputs": "no arguments",
    "companion.exercises.exercise.Exercise.answer_text": "no arguments",
    "companion.exercises.exercise.Exercise.data_text": "no arguments",
    "companion.exercises.exercise.Exercise.load_code": "no arguments",
    "companion.exercises.exercise.Exercise.hints_markdown": "no arguments",
    "companion.exercises.exercise.Exercise.solution_markdown": "no arguments",
}
# Arguments the sweep leaves alone, and why (any value is acceptable).
FREE_REASONS = {
    ("companion.checks.check_gradient", "g"): "the answer under test: a bad g is a report, never an exception",
    ("companion.exercises.grading.check", "answer"): "the answer under test: a bad answer is a Feedback, never an exception",
    ("companion.exercises.exercise.Exercise", "_cache"): "the exercise's private cache (not an argument anyone passes)",
    ("companion.perturb.direction", "rng"): "not read by kind 'entry'; swept by the line direction('random')",
    ("companion.perturb.direction", "grad"): "not read by kind 'entry'; swept by the line direction('gradient')",
}


# ============================================================================ running one call
class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def snapshot(x, depth=0):
    """A deep copy of the arrays (and containers, and plain objects' fields) reachable from ``x``."""
    if depth > 4:
        return None
    if isinstance(x, np.ndarray):
        return ("array", np.array(x, copy=True))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [snapshot(v, depth + 1) for v in x])
    if isinstance(x, dict):
        return ("dict", {k: snapshot(v, depth + 1) for k, v in x.items()})
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return ("dataclass", {f.name: snapshot(getattr(x, f.name), depth + 1) for f in dataclasses.fields(x)})
    return ("other", None)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if a[0] != b[0]:
        return False
    if a[0] == "array":
        x, y = a[1], b[1]
        return x.shape == y.shape and x.dtype == y.dtype and bool(np.all((x == y) | ((x != x) & (y != y)))) if x.dtype.kind in "fc" else np.array_equal(x, y)
    if a[0] in ("list", "tuple"):
        return len(a[1]) == len(b[1]) and all(same(u, v) for u, v in zip(a[1], b[1], strict=False))
    if a[0] in ("dict", "dataclass"):
        return a[1].keys() == b[1].keys() and all(same(a[1][k], b[1][k]) for k in a[1])
    return True


def _raised_in_package(exc) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return last is not None and os.path.realpath(last).startswith(os.path.realpath(PACKAGE_DIR))


def run_call(fn, kwargs):
    """``(exception or None, seconds, names of mutated inputs)``."""
    before = {k: snapshot(v) for k, v in kwargs.items()}
    signal.alarm(HARD_TIME_LIMIT)
    t0 = time.perf_counter()
    exc = None
    try:
        with np.errstate(all="ignore"):
            fn(**kwargs)
    except _Timeout:
        exc = _Timeout(f"stopped after {HARD_TIME_LIMIT} s")
    except BaseException as e:  # every outcome is recorded
        if isinstance(e, KeyboardInterrupt):
            raise
        exc = e
    finally:
        signal.alarm(0)
    dt = time.perf_counter() - t0
    mutated = [k for k, v in kwargs.items() if not same(before[k], snapshot(v))]
    return exc, dt, mutated


def sweep(keys=None) -> dict:
    """Run the sweep (over ``keys``, default all); returns counts and failures."""
    import warnings

    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _on_alarm)
    found = public_callables()
    specs = build_specs()
    failures, calls, arguments, functions = [], 0, 0, 0
    for key, spec in specs.items():
        if keys is not None and key not in keys:
            continue
        fn = spec.call or found.get(key)
        if fn is None:
            failures.append({"function": key, "argument": "-", "value": "-", "problem": "in SPECS but not a public callable"})
            continue
        functions += 1
        if spec.baseline:
            exc, dt, mutated = run_call(fn, spec.make())
            calls += 1
            if exc is not None:
                failures.append({"function": key, "argument": "-", "value": "valid arguments", "problem": f"the valid call failed: {type(exc).__name__}: {exc}"})
                continue
        for arg, kind in spec.kinds.items():
            if kind is FREE:
                continue
            arguments += 1
            valid = spec.make()[arg]
            for label, bad in kind.bad(valid):
                kwargs = spec.make()
                kwargs[arg] = bad
                exc, dt, mutated = run_call(fn, kwargs)
                calls += 1
                problem = None
                if exc is None:
                    problem = "accepted (no error)"
                elif isinstance(exc, _Timeout):
                    problem = f"hangs ({exc})"
                elif not isinstance(exc, (ValueError, TypeError)):
                    problem = f"{type(exc).__name__}: {str(exc)[:200]}"
                elif not _raised_in_package(exc):
                    problem = f"{type(exc).__name__} raised outside the package: {str(exc)[:200]}"
                else:
                    names = (arg, arg.lstrip("_")) + kind.alias
                    if not any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9])", str(exc)) for n in names):
                        problem = f"the message does not name {arg!r}: {type(exc).__name__}: {str(exc)[:200]}"
                if problem is None and dt > TIME_LIMIT:
                    problem = f"took {dt:.1f} s"
                if problem is None and mutated:
                    problem = f"mutated {', '.join(mutated)}"
                if problem:
                    failures.append({"function": key, "argument": arg, "value": label, "problem": problem})
    return {"functions": functions, "arguments": arguments, "calls": calls, "failures": failures}


# ============================================================================ the worker (a capped subprocess)
def _cap_memory():
    import resource

    with open("/proc/self/statm") as fh:
        used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    cap = used + MEMORY_HEADROOM
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    return cap


def _worker(group: str, out: str):
    sys.path.insert(0, str(ROOT))
    import matplotlib

    matplotlib.use("Agg")
    import companion

    if group.startswith("companion.widgets"):
        import companion.widgets  # noqa: F401 - imported for the explorers it registers
    specs = build_specs()
    keys = [k for k in specs if group_of(k) == group]
    _ = public_callables()
    np.dot(np.ones((64, 64)), np.ones((64, 64)))  # BLAS buffers allocated before the cap
    cap = _cap_memory()
    result = sweep(keys)
    result["memory cap"] = cap
    Path(out).write_text(json.dumps(result))


def group_of(key: str) -> str:
    """The subprocess a spec runs in: its module (derived callables with the module they come from)."""
    if not key.startswith("companion."):
        return {"adjoint(...) result": "companion.spaces", "network_map(...) result": "companion.spectra",
                "direction('random')": "companion.perturb", "direction('gradient')": "companion.perturb"}.get(key, "companion.reverse")
    parts = key.split(".")
    if parts[1] in ("exercises", "widgets"):
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def run_group(group: str, tmp_path) -> dict:
    out = Path(tmp_path) / f"{group}.json"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--worker", group, str(out)], capture_output=True, text=True, timeout=1800, env=env, cwd=ROOT)
    if proc.returncode != 0 or not out.exists():
        raise AssertionError(f"the sweep worker for {group} died ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


# ============================================================================ the tests
try:
    import pytest
except ImportError:  # run as a script
    pytest = None

if pytest is not None:

    def _groups():
        return sorted({group_of(k) for k in build_specs()})

    def test_every_public_callable_is_in_the_table():
        found = public_callables()
        specs = build_specs()
        missing = sorted(k for k in found if k not in specs and k not in EXEMPT)
        assert not missing, f"public callables with no line in SPECS (valid arguments and kinds) nor in EXEMPT: {missing}"
        stale = sorted(k for k in list(specs) + list(EXEMPT) if k.startswith("companion.") and k not in found)
        assert not stale, f"SPECS/EXEMPT name callables that are no longer public: {stale}"
        for key, spec in specs.items():
            fn = spec.call or found[key]
            if spec.call is None:
                params = [p for p in inspect.signature(fn).parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name != "self"]
                untested = sorted(p.name for p in params if p.name not in spec.kinds and (key, p.name) not in FREE_REASONS)
                assert not untested, f"{key}: arguments without a kind in SPECS: {untested}"
            for arg, kind in spec.kinds.items():
                assert kind is not FREE or (key, arg) in FREE_REASONS, f"{key}: argument {arg} is FREE without a reason in FREE_REASONS"

    @pytest.mark.parametrize("group", _groups())
    def test_bad_input_is_refused_by_name(group, tmp_path):
        """Every bad value of every argument: a named ValueError/TypeError from the package, fast, inputs untouched."""
        result = run_group(group, tmp_path)
        lines = [f"{f['function']}({f['argument']}={f['value']}): {f['problem']}" for f in result["failures"]]
        assert not lines, f"{len(lines)} of {result['calls']} calls in {group} misbehaved:\n" + "\n".join(lines)

    def test_the_memory_cap_turns_a_blow_up_into_an_error(tmp_path):
        """The worker's cap is real: a 100 GB request inside it is a MemoryError, not a machine out of memory."""
        proc = subprocess.run([sys.executable, __file__, "--probe-cap"], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        assert "refused" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--probe-cap":
        _cap_memory()
        try:
            np.ones(12_500_000_000)  # 100 GB
        except MemoryError:
            print("refused")
        return
    import tempfile

    sys.path.insert(0, str(ROOT))
    groups = sorted({group_of(k) for k in build_specs()})
    if len(sys.argv) > 1:  # python tests/test_bad_input.py companion.spaces ...: those groups only
        groups = [g for g in groups if g in sys.argv[1:]]
    total = {"functions": 0, "arguments": 0, "calls": 0, "failures": []}
    with tempfile.TemporaryDirectory() as tmp:
        for g in groups:
            r = run_group(g, tmp)
            for k in ("functions", "arguments", "calls"):
                total[k] += r[k]
            total["failures"] += r["failures"]
            print(f"{g:45s} functions {r['functions']:3d}  arguments {r['arguments']:3d}  calls {r['calls']:5d}  failures {len(r['failures'])}", flush=True)
    print(f"{'total':45s} functions {total['functions']:3d}  arguments {total['arguments']:3d}  calls {total['calls']:5d}  failures {len(total['failures'])}")
    for f in total["failures"]:
        print(f"  {f['function']}({f['argument']}={f['value']}): {f['problem']}")


if __name__ == "__main__":
    main()
