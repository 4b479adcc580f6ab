"""``check(exercise_id, answer) -> Feedback``: is the answer right, and if not, what went wrong?

The order of the questions asked of an answer:

1. is there an answer at all (``None`` or ``...``: "not attempted"), and can it be read as
   numbers (a string, a ragged list, a function where an array is expected, a function
   that raises: "invalid", with the reason)?
2. is it the reference answer, within the exercise's relative tolerance, entry by entry? ("correct",
   with the evidence: a Taylor test for a derivative, a dot-product test for an adjoint)
3. is it one of the exercise's known mistakes? (by name, with the targeted hint; this
   is asked before the shape, because some slips produce an array of the wrong shape); for a
   tuple, are its parts right but in another order ("order", naming the order to give)?
4. then the one ladder of :mod:`companion.diagnosis`, shared with ``check_gradient``: the shape
   (a column where a flat vector is asked is told exactly what to change), NaN or inf, the
   transpose, the sign, a constant factor, a near miss (right to about four digits: "give more
   digits"), and otherwise "mismatch", with the relative error and where it is largest. Its
   messages name the exercise at hand ("-1 times the answer to 8.3.3 (...)").

A tuple answer (``(G_Q, G_K, G_V)``) is checked part by part: the first wrong part is
diagnosed. A function answer is run on several inputs and must be right on all of them.
A choice answer (a concept question) is read as labels and each wrong choice is named with
why it is wrong. The reader's answer never raises out of :func:`companion.exercises.check`;
each checked answer is noted for :func:`companion.exercises.progress`.
"""

from __future__ import annotations

import itertools

import numpy as np

from .._validate import as_bool, describe, shape_str
from ..diagnosis import SHAPE_HINT, describe_factor, finite_finding, mismatch_finding, shape_finding, slip_finding
from .exercise import Exercise
from .feedback import Feedback

__all__ = ["check"]


class _Reject(Exception):
    """Carries the feedback for an answer that cannot be compared (invalid, not attempted)."""

    def __init__(self, feedback: Feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


def _as_numbers(ex: Exercise, x, label: str) -> np.ndarray:
    """Read one part of an answer as a float array, or reject it with a clear reason."""

    def bad(msg):
        raise _Reject(Feedback(ex.id, False, "invalid", f"{label}{msg}"))

    if x is None or x is Ellipsis:
        bad("is missing (got None)" if x is None else "is missing (got ...)")
    if isinstance(x, (str, bytes)):
        bad(f"is a string ({x!r:.40}); give the numbers themselves, not text")
    if callable(x) and not isinstance(x, np.ndarray):
        bad("is a function; this exercise asks for the numbers (call your function and pass its result)")
    if isinstance(x, (dict, set)):
        bad(f"is a {type(x).__name__}; give an array of numbers")
    try:
        a = np.asarray(x)
    except Exception as exc:  # ragged lists, objects numpy cannot read
        bad(f"could not be read as an array of numbers ({type(exc).__name__}: {exc})")
    kind = a.dtype.kind
    if kind == "b":
        bad("holds booleans (True/False); give numbers")
    if kind == "c":
        imag = float(np.max(np.abs(a.imag))) if a.size else 0.0
        if imag <= 1e-12 * (1.0 + (float(np.max(np.abs(a.real))) if a.size else 0.0)):
            bad("is complex with zero imaginary parts (as np.linalg.eigvals or np.fft return); "
                "the answer is real: pass its real part, e.g. answer.real")
        bad(f"is complex, with imaginary parts up to {imag:.3g}; the answer is real")
    if kind not in "fiu":
        bad(f"is not an array of numbers (it reads as dtype {a.dtype}: a list of the wrong kind, "
            f"e.g. strings or arrays of different shapes)")
    a = a.astype(float)
    if ex.kind == "number" and a.size == 1:
        a = a.reshape(())
    return a


def _parts(ex: Exercise, out, where: str = "") -> tuple:
    """An answer as a tuple of float arrays, one per named output."""
    names = ex.outputs or ("",)
    if len(names) > 1:
        if isinstance(out, np.ndarray) or not isinstance(out, (tuple, list)):
            raise _Reject(Feedback(ex.id, False, "invalid",
                                   f"{where}expected a tuple ({', '.join(names)}), got {describe(out)}"))
        if len(out) != len(names):
            raise _Reject(Feedback(ex.id, False, "invalid",
                                   f"{where}expected {len(names)} arrays ({', '.join(names)}), got {len(out)}"))
        items = list(out)
    else:
        items = [out]
    labels = [f"{where}{n} " if n else f"{where}the answer " for n in names]
    return tuple(_as_numbers(ex, x, label) for x, label in zip(items, labels, strict=True))


def _copy_args(args):
    return tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in args)


def _arg_shapes(ex, args) -> str:
    pairs = zip(ex.arg_names, args, strict=False)  # the trials may pass fewer arrays than the signature names
    return ", ".join(f"{n} {shape_str(np.shape(a))}" for n, a in pairs if isinstance(a, np.ndarray))


def _run(ex: Exercise, fn, label: str = "your function"):
    """Run a function answer on every trial input: a list (per trial) of tuples of arrays."""
    outs = []
    trials = ex.trial_inputs()
    for k, args in enumerate(trials):
        try:
            with np.errstate(all="ignore"):
                out = fn(*_copy_args(args))
        except Exception as exc:
            raise _Reject(Feedback(
                ex.id, False, "invalid",
                f"{label} raised {type(exc).__name__}: {exc} -- on test input {k} ({_arg_shapes(ex, args)}); "
                f"it is called as {ex.signature}",
            )) from None
        if out is None or out is Ellipsis:
            if k == 0:
                what = "None" if out is None else "..."
                raise _Reject(Feedback(ex.id, False, "not attempted",
                                       f"{label} returns {what}: write its body, then check again"))
            raise _Reject(Feedback(ex.id, False, "invalid",
                                   f"{label} returned None on test input {k} ({_arg_shapes(ex, args)})"))
        outs.append(_parts(ex, out, where=f"on test input {k}, " if len(trials) > 1 else ""))
    return outs


def _expected(ex: Exercise):
    """The reference outputs, per trial (computed once per exercise)."""

    def compute():
        ref = ex.solution(**ex.data)
        return _run(ex, ref, "the reference") if ex.kind == "function" else [_parts(ex, ref)]

    return ex.memo("expected", compute)


def _mistake_outputs(ex: Exercise):
    """Each known mistake's outputs, per trial (computed once); ``None`` where a mistake cannot run."""

    def compute():
        table = []
        for m in ex.mistakes:
            try:
                wrong = m.wrong(**ex.data)
                outs = _run(ex, wrong, m.name) if ex.kind == "function" else [_parts(ex, wrong)]
            except _Reject:
                outs = None
            table.append((m, outs))
        return table

    return ex.memo("mistakes", compute)


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    """``a`` equals the reference ``b`` to ``rtol``, entry by entry: ``|a_i - b_i| <= rtol |b_i| + atol``.

    Each entry is held to its own scale (a tolerance on the norm of the whole array would let
    a small entry be off by many percent). ``atol = 1e-12 (1 + max |b|)`` only absorbs
    round-off, for entries that are zero (or cancel to round-off) in the reference.
    """
    if a.shape != b.shape or not bool(np.all(np.isfinite(a))):
        return False
    return bool(np.all(_excess(a, b, rtol) <= 1.0))


def _excess(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    """``|a - b|`` entry by entry, in units of each entry's tolerance (above 1: outside it; see ``_close``)."""
    atol = 1e-12 * (1.0 + (float(np.max(np.abs(b))) if b.size else 0.0))
    return np.abs(a - b) / (rtol * np.abs(b) + atol)


def _evidence(ex: Exercise, answer, parts):
    """The supporting measurement: (TaylorResult or None, text or None); never raises."""
    if ex.evidence is None:
        return None, None
    arg = answer if ex.kind == "function" else (parts[0][0] if len(parts[0]) == 1 else parts[0])
    try:
        with np.errstate(all="ignore"):
            ev = ex.evidence(ex.data, arg)
    except Exception:
        return None, None
    if ev is None or isinstance(ev, str):
        return None, ev
    return ev, None


def check(exercise, answer, *, record: bool = True) -> Feedback:
    """Check an answer to an exercise: ``check("8.3.1", G) -> Feedback`` (truthy when right).

    ``exercise`` is an id (``"8.3.1"``) or an :class:`companion.exercises.Exercise`. ``answer`` is what the
    exercise asks for: an array, a number, a tuple of arrays, a function, or (for a choice
    question) a label such as ``"b"``. ``None`` or ``...`` means "not attempted yet". Whatever the
    answer is, the result is a :class:`companion.exercises.Feedback`, never an exception; an unknown
    exercise id is a ``ValueError``. The outcome is noted for :func:`companion.exercises.progress`
    (in this kernel only) unless ``record=False`` (the book's own check of its shipped solutions).
    """
    from .registry import get, note_attempt

    ex = exercise if isinstance(exercise, Exercise) else get(exercise)
    record = as_bool(record, "record")
    try:
        fb = _grade_choice(ex, answer) if ex.kind == "choice" else _grade(ex, answer)
    except _Reject as r:
        fb = r.feedback
    except Exception as exc:  # a last resort: the reader's answer must never raise out of check
        fb = Feedback(ex.id, False, "invalid", f"the answer could not be checked ({type(exc).__name__}: {exc})")
    if record:
        note_attempt(ex.id, fb)
    return fb


# ----------------------------------------------------------------------------- choice questions
def _read_labels(ex: Exercise, answer) -> set:
    """The labels an answer chooses ("b", "a,c", "ac", {"a", "c"}), or reject it with the reason."""
    labels = [o.label for o in ex.options]
    allowed = ", ".join(f'"{k}"' for k in labels)
    if isinstance(answer, str):
        items = [c for c in answer.lower() if c not in " ,;\t\n"]
    elif isinstance(answer, (set, frozenset, list, tuple)) and all(isinstance(a, str) for a in answer):
        items = [c for a in answer for c in a.lower() if c not in " ,;\t\n"]
    else:
        raise _Reject(Feedback(ex.id, False, "invalid",
                               f"give the label of your choice as a string, e.g. \"b\" (one of {allowed}), "
                               f"not {describe(answer)}"))
    unknown = sorted({c for c in items if c not in labels})
    if unknown or not items:
        what = f"unknown label(s) {', '.join(repr(c) for c in unknown)}" if unknown else "no label"
        raise _Reject(Feedback(ex.id, False, "invalid", f"{what}: the options are labelled {allowed}"))
    return set(items)


def _grade_choice(ex: Exercise, answer) -> Feedback:
    """A concept question: correct, or every wrongly chosen option named with why it is wrong."""
    if answer is None or answer is Ellipsis:
        return Feedback(ex.id, False, "not attempted", f"no answer yet: replace None with {ex.answer_text()}")
    chosen = _read_labels(ex, answer)
    right = set(ex.correct_labels)
    why = {o.label: f"({o.label}) {o.why.strip()}" for o in ex.options}
    if chosen == right:
        return Feedback(ex.id, True, "correct", "right: " + " ".join(why[k] for k in sorted(why)),
                        chosen=tuple(sorted(chosen)))
    wrong = sorted(chosen - right)
    if wrong:
        names = ", ".join(f"({k})" for k in wrong)
        return Feedback(ex.id, False, "wrong choice", f"{names} {'is' if len(wrong) == 1 else 'are'} not right: "
                        + " ".join(why[k] for k in wrong), chosen=tuple(sorted(chosen)))
    missing = len(right - chosen)
    return Feedback(ex.id, False, "incomplete",
                    f"what you chose is right, but {missing} more statement{'s are' if missing > 1 else ' is'} "
                    f"also true: read the others again. Why yours {'are' if len(chosen) > 1 else 'is'} right: "
                    + " ".join(why[k] for k in sorted(chosen)), chosen=tuple(sorted(chosen)))


def _read(ex: Exercise, answer) -> list:
    """The answer as a list (per trial input) of tuples (per part) of float arrays, or a rejection."""
    if answer is None or answer is Ellipsis:
        raise _Reject(Feedback(ex.id, False, "not attempted", f"no answer yet: replace None with {ex.answer_text()}"))
    if ex.kind == "function":
        if not callable(answer):
            raise _Reject(Feedback(ex.id, False, "invalid",
                                   f"expected a function {ex.signature}, got {describe(answer)}; define it with def "
                                   f"and pass the function itself, e.g. check(\"{ex.id}\", {ex.function_name})"))
        return _run(ex, answer)
    if callable(answer) and not isinstance(answer, np.ndarray):
        raise _Reject(Feedback(ex.id, False, "invalid", f"expected {ex.answer_text()}, got {describe(answer)}"))
    return [_parts(ex, answer)]


def _grade(ex: Exercise, answer) -> Feedback:
    """Right, a known mistake, or the first rung of the ladder that explains the first wrong part."""
    got, want = _read(ex, answer), _expected(ex)
    n_parts = len(want[0])
    well_formed = all(g[p].shape == w[p].shape and np.all(np.isfinite(g[p]))
                      for g, w in zip(got, want, strict=True) for p in range(n_parts))
    taylor, note = _evidence(ex, answer, got) if well_formed else (None, None)
    wrong = [p for p in range(n_parts) if not all(_close(g[p], w[p], ex.rtol) for g, w in zip(got, want, strict=True))]
    if not wrong:
        rel = max(_relative(g[p], w[p]) for g, w in zip(got, want, strict=True) for p in range(n_parts))
        where = f" on all {len(want)} test inputs" if ex.kind == "function" else ""
        return Feedback(ex.id, True, "correct", f"matches the reference answer{where} (relative difference {rel:.1e})",
                        relative_error=rel, taylor=taylor, evidence=note)
    found = (_known_mistake(ex, got, want, wrong) or _misordered(ex, got, want) or _malformed(ex, got, want, wrong)
             or _slip(ex, got, want, wrong[0]))
    return Feedback(ex.id, False, taylor=taylor, evidence=note, **found)


def _relative(g: np.ndarray, w: np.ndarray) -> float:
    return float(np.linalg.norm(g - w) / max(float(np.linalg.norm(w)), 1e-300))


def _label(ex: Exercise, p: int) -> str:
    """``"G_K: "`` for a part of a tuple answer, else ``""``."""
    return f"{ex.outputs[p]}: " if len(ex.outputs) > 1 else ""


def _on_trial(ex: Exercise, t: int) -> str:
    return f" on test input {t}" if ex.kind == "function" and len(ex.trial_inputs()) > 1 else ""


def _known_mistake(ex: Exercise, got, want, wrong) -> dict | None:
    """The first known mistake that reproduces a wrong part (and leaves that part wrong)."""
    for p in wrong:
        for m, outs in _mistake_outputs(ex):
            if outs is None or all(_close(o[p], w[p], ex.rtol) for o, w in zip(outs, want, strict=True)):
                continue  # this mistake cannot run, or leaves part p right
            if all(_close(g[p], o[p], ex.rtol) for g, o in zip(got, outs, strict=True)):
                return {"diagnosis": "known mistake", "message": f"{_label(ex, p)}{m.name}", "hint": m.hint,
                        "mistake": m.name}
    return None


def _misordered(ex: Exercise, got, want) -> dict | None:
    """A tuple answer whose parts are all right but in another order, e.g. ``(grad_b, grad_A)``."""
    n = len(want[0])
    if n < 2:
        return None
    for perm in itertools.permutations(range(n)):
        if perm == tuple(range(n)):
            continue
        if all(_close(g[perm[p]], w[p], ex.rtol) for g, w in zip(got, want, strict=True) for p in range(n)):
            given = ", ".join(ex.outputs[perm.index(p)] for p in range(n))
            return {"diagnosis": "order",
                    "message": f"each part is right, but they are in the wrong order: you gave ({given}); "
                               f"give ({', '.join(ex.outputs)})",
                    "hint": f"return the tuple in the order the exercise names it: ({', '.join(ex.outputs)})"}
    return None


def _shape_hint(ex: Exercise, expected: tuple, p: int) -> str:
    """The shape step's hint, in the words of this exercise (not every answer is a gradient)."""
    what = f"{ex.outputs[p]} in {ex.id}" if len(ex.outputs) > 1 else f"the answer to {ex.id} ({ex.title})"
    shape = "a single number" if expected == () else f"shape {shape_str(expected)}"
    return (f"{what} has {shape}: write down the shape of each factor of your formula and check which "
            f"dimensions your products contract")


def _malformed(ex: Exercise, got, want, wrong) -> dict | None:
    """The ladder's first rungs, on every wrong part and trial: the shape, then NaN or inf."""
    for step in ("shape", "finite"):
        for p in wrong:
            for t, (g, w) in enumerate(zip(got, want, strict=True)):
                name = ex.outputs[p] if len(ex.outputs) > 1 else "answer"
                found = shape_finding(w[p].shape, g[p].shape, name=name) if step == "shape" else finite_finding(g[p])
                if found is not None:
                    if found["hint"] == SHAPE_HINT:
                        found["hint"] = _shape_hint(ex, w[p].shape, p)
                    return {**found, "message": f"{_label(ex, p)}{found['message']}{_on_trial(ex, t)}"}
    return None


def _slip(ex: Exercise, got, want, p: int) -> dict:
    """The ladder's generic rungs on part ``p``: transpose, sign, scale, near miss, mismatch."""
    G, W = [g[p] for g in got], [w[p] for w in want]
    asked = f"{ex.outputs[p] + ' in ' if len(ex.outputs) > 1 else 'the answer to '}{ex.id} ({ex.title})"
    gg = sum(float(np.vdot(g, g)) for g in G)
    factor = sum(float(np.vdot(g, w)) for g, w in zip(G, W, strict=True)) / gg if gg > 0 else 0.0

    def explains(candidates):
        return all(_close(c, w, ex.rtol) for c, w in zip(candidates, W, strict=True))

    found = slip_finding(G, explains, factor=factor, asked=asked)
    if found is not None and found["diagnosis"] == "scale":
        found = _name_constant(ex, found)
    if found is None:
        excess = [_excess(g, w, ex.rtol) for g, w in zip(G, W, strict=True)]  # each entry's error over its tolerance
        t = int(np.argmax([float(e.max()) if e.size else 0.0 for e in excess]))
        g, w = G[t], W[t]
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess[t])), w.shape)) if w.ndim else None
        detail = _detail(g, w, where, ex.rtol)
        found = mismatch_finding(asked, _relative(g, w), rtol=ex.rtol, where=where, detail=detail + _on_trial(ex, t))
        # digits typed from a print: every entry is the answer rounded (and the whole within 5 %): a near miss
        rounded = (_rounded(g, w) if found["diagnosis"] == "mismatch" and ex.kind != "function"
                   and _relative(g, w) < 0.05 else None)
        if rounded:
            found = {**found, "diagnosis": "near miss",
                     "message": f"close: your numbers are the answer rounded to {rounded}; give more digits "
                                f"(the tolerance is {ex.rtol:g} of each entry's own size)",
                     "hint": "the method is right; pass the computed array or number itself, not digits copied "
                             "from a print"}
    return {**found, "message": _label(ex, p) + found["message"]}


def _rounded(g: np.ndarray, w: np.ndarray) -> str | None:
    """``"2 significant digits"`` (or ``"3 decimals"``) when every entry of ``g`` is ``w`` rounded so; else None."""
    if g.shape != w.shape or not np.all(np.isfinite(w)):
        return None
    for k in range(1, 7):
        if np.array_equal(g, np.round(w, k)):
            return f"{k} decimal{'s' if k > 1 else ''}"
        with np.errstate(all="ignore"):
            e = np.floor(np.log10(np.abs(np.where(w == 0, 1.0, w))))
            sig = np.round(w / 10.0**e, k - 1) * 10.0**e
        if k > 1 and np.allclose(g, sig, rtol=1e-12, atol=0.0):
            return f"{k} significant digit{'s' if k > 1 else ''}"
    return None


def _name_constant(ex: Exercise, found: dict) -> dict:
    """A scale factor that is a constant of the exercise's data (``eta``, ``lam``, ...) is named as such."""
    c = found["factor"]
    for k, v in ex._data().items():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            continue
        v = float(v)
        if not np.isfinite(v) or v <= 0 or abs(v - 1) < 1e-9:
            continue
        for value, missing in ((v, True), (1 / v, False)):
            if abs(abs(c) - value) <= 1e-6 * value:
                sign = "-" if c < 0 else ""
                what = (f"a factor {sign}{k} is missing from yours" if missing
                        else f"yours has a factor {k} too many" + (" and the opposite sign" if c < 0 else ""))
                return {**found,
                        "message": f"{found['message']}: {describe_factor(c)} = {sign}{k if missing else '1/' + k} "
                                   f"with {k} = {v:g} of the data",
                        "hint": f"{what}: check where {k} enters the derivation of the answer to {ex.id}, "
                                f"and that it enters once"}
    return found


def _detail(g: np.ndarray, w: np.ndarray, where, rtol: float) -> str:
    """What a mismatch adds: the number given, or how far the worst entry is off."""
    if where is None:
        return f" (you gave {float(g):.6g})"
    if w[where] == 0:
        return ""
    off = abs(g[where] - w[where]) / abs(w[where])
    return f" (that entry is {off:.2%} off; the tolerance is {rtol:g} of each entry's own size)"
