"""``check(exercise_id, answer) -> Feedback``: is the answer right, and if not, what went wrong?

The order of the questions asked of an answer:

1. is there an answer at all (``None`` or ``...``: "not attempted"), and can it be read as
   numbers (a string, a ragged list, a function where an array is expected, a function
   that raises: "invalid", with the reason)?
2. is it the reference answer, within the exercise's relative tolerance, entry by entry? ("correct",
   with the evidence: a Taylor test for a derivative, a dot-product test for an adjoint)
3. is it one of the exercise's known mistakes? (by name, with the targeted hint; this
   is asked before the shape, because some slips produce an array of the wrong shape)
4. the wrong shape (expected vs got), NaN or inf;
5. the generic slips: the transpose, the sign, a constant factor (named by
   :func:`companion.checks.describe_factor`);
6. otherwise "mismatch", with the relative error and where it is largest.

A tuple answer (``(G_Q, G_K, G_V)``) is checked part by part: the first wrong part is
diagnosed. A function answer is run on several inputs and must be right on all of them.
The reader's answer never raises out of :func:`companion.exercises.check`.
"""

from __future__ import annotations

import numpy as np

from ..checks import describe_factor
from .._validate import as_bool
from .exercise import Exercise
from .feedback import Feedback

__all__ = ["check"]


class _Reject(Exception):
    """Carries the feedback for an answer that cannot be compared (invalid, not attempted)."""

    def __init__(self, feedback: Feedback):
        super().__init__(feedback.message)
        self.feedback = feedback


def _shape(s) -> str:
    s = tuple(s)
    if s == ():
        return "a single number"
    return "(" + ", ".join(str(k) for k in s) + ("," if len(s) == 1 else "") + ")"


def _shape_phrase(s) -> str:
    return "a single number" if tuple(s) == () else f"shape {_shape(s)}"


def _describe(x) -> str:
    if isinstance(x, (str, bytes)):
        return f"a string ({x!r:.40})"
    if isinstance(x, np.ndarray):
        return f"an array of shape {_shape(x.shape)}"
    if callable(x):
        return f"a function ({getattr(x, '__name__', type(x).__name__)})"
    if isinstance(x, (tuple, list)):
        return f"a {type(x).__name__} of length {len(x)}"
    return f"a {type(x).__name__}"


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
        bad("is complex; the answer is real")
    if kind not in "fiu":
        bad(f"is not an array of numbers (it reads as dtype {a.dtype}: a list of the wrong kind, e.g. strings or arrays of different shapes)")
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
                                   f"{where}expected a tuple ({', '.join(names)}), got {_describe(out)}"))
        if len(out) != len(names):
            raise _Reject(Feedback(ex.id, False, "invalid",
                                   f"{where}expected {len(names)} arrays ({', '.join(names)}), got {len(out)}"))
        items = list(out)
    else:
        items = [out]
    label = lambda n: f"{where}{n + ' ' if n else 'the answer '}"  # noqa: E731
    return tuple(_as_numbers(ex, x, label(n)) for x, n in zip(items, names))


def _copy_args(args):
    return tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in args)


def _arg_shapes(ex, args) -> str:
    return ", ".join(f"{n} {_shape(np.shape(a))}" for n, a in zip(ex.arg_names, args) if isinstance(a, np.ndarray))


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
                raise _Reject(Feedback(ex.id, False, "not attempted",
                                       f"{label} returns {'None' if out is None else '...'}: write its body, then check again"))
            raise _Reject(Feedback(ex.id, False, "invalid", f"{label} returned None on test input {k} ({_arg_shapes(ex, args)})"))
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
    atol = 1e-12 * (1.0 + (float(np.max(np.abs(b))) if b.size else 0.0))
    return bool(np.all(np.abs(a - b) <= rtol * np.abs(b) + atol))


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
                               f"not {_describe(answer)}"))
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
                    f"also true: read the others again", chosen=tuple(sorted(chosen)))


def _grade(ex: Exercise, answer) -> Feedback:
    fid = ex.id
    if answer is None or answer is Ellipsis:
        return Feedback(fid, False, "not attempted", f"no answer yet: replace None with {ex.answer_text()}")
    if ex.kind == "function":
        if not callable(answer):
            return Feedback(fid, False, "invalid",
                            f"expected a function {ex.signature}, got {_describe(answer)}; "
                            f"define it with def and pass the function itself, e.g. check(\"{fid}\", {ex.function_name})")
        got = _run(ex, answer)
    else:
        if callable(answer) and not isinstance(answer, np.ndarray):
            return Feedback(fid, False, "invalid", f"expected {ex.answer_text()}, got {_describe(answer)}")
        got = [_parts(ex, answer)]
    want = _expected(ex)
    names = ex.outputs or ("",)
    n_trials, n_parts = len(want), len(names)
    is_fn = ex.kind == "function"

    def prefix(p):
        return f"{names[p]}: " if n_parts > 1 else ""

    def on_trial(t):
        return f" on test input {t}" if is_fn and n_trials > 1 else ""

    well_formed = all(g[p].shape == w[p].shape and np.all(np.isfinite(g[p])) for g, w in zip(got, want) for p in range(n_parts))
    taylor, note = _evidence(ex, answer, got) if well_formed else (None, None)

    def fb(ok, diagnosis, message, **kw):
        return Feedback(fid, ok, diagnosis, message, taylor=taylor, evidence=note, **kw)

    wrong_parts = [p for p in range(n_parts) if not all(_close(g[p], w[p], ex.rtol) for g, w in zip(got, want))]
    if not wrong_parts:
        where = f" on all {n_trials} test inputs" if is_fn else ""
        rel = max(float(np.linalg.norm(g[p] - w[p]) / max(np.linalg.norm(w[p]), 1e-300)) for g, w in zip(got, want) for p in range(n_parts))
        return fb(True, "correct", f"matches the reference answer{where} (relative difference {rel:.1e})", relative_error=rel)

    # known mistakes, part by part (before the shape: some slips change the shape)
    for p in wrong_parts:
        for m, outs in _mistake_outputs(ex):
            if outs is None:
                continue
            if all(_close(o[p], w[p], ex.rtol) for o, w in zip(outs, want)):
                continue  # this mistake leaves part p right
            if all(_close(g[p], o[p], ex.rtol) for g, o in zip(got, outs)):
                return fb(False, "known mistake", f"{prefix(p)}{m.name}", hint=m.hint, mistake=m.name)

    # shapes, then finiteness
    for p in wrong_parts:
        for t, (g, w) in enumerate(zip(got, want)):
            if g[p].shape != w[p].shape:
                looks = " (it looks transposed)" if g[p].ndim == 2 and g[p].shape[::-1] == w[p].shape else ""
                return fb(False, "shape", f"{prefix(p)}expected {_shape_phrase(w[p].shape)}, got {_shape_phrase(g[p].shape)}{on_trial(t)}{looks}",
                          hint="the answer has the shape of the variable it is the gradient/cotangent of; check which dimensions your products contract",
                          expected_shape=tuple(w[p].shape), got_shape=tuple(g[p].shape))
    for p in wrong_parts:
        for t, g in enumerate(got):
            if not np.all(np.isfinite(g[p])):
                bad = np.argwhere(~np.isfinite(g[p]))
                idx = tuple(int(i) for i in bad[0]) if bad.size else ()
                return fb(False, "not finite", f"{prefix(p)}the answer contains NaN or inf{on_trial(t)}" + (f" (first at index {idx})" if idx else ""),
                          hint="look for a division by zero, a log of a non-positive number, or an overflowing exp", where=str(idx))

    # the generic slips, on the first wrong part
    p = wrong_parts[0]
    G = [g[p] for g in got]
    W = [w[p] for w in want]
    if all(g.ndim == 2 and g.shape[0] == g.shape[1] for g in G) and all(_close(g.T, w, ex.rtol) for g, w in zip(G, W)) \
            and not all(_close(w.T, w, ex.rtol) for w in W):
        return fb(False, "transpose", f"{prefix(p)}your answer is the transpose of the right one",
                  hint="entry (i, j) of a gradient is the derivative with respect to entry (i, j) of the variable: "
                       "read it off from dL = <G, dX>_F = tr(G^T dX), and check the order of the outer product")
    if all(_close(-g, w, ex.rtol) for g, w in zip(G, W)):
        return fb(False, "sign", f"{prefix(p)}right size and direction, opposite sign: the right answer is -1 times yours",
                  hint="follow the minus signs through: a residual is prediction minus target, a descent step is -eta g, "
                       "and the derivatives of cos and of an inverse carry a minus",
                  factor=-1.0)
    gg = sum(float(np.vdot(g, g)) for g in G)
    if all(w.size > 1 for w in W) and gg > 0:
        c = sum(float(np.vdot(g, w)) for g, w in zip(G, W)) / gg
        if np.isfinite(c) and c != 0 and all(_close(c * g, w, ex.rtol) for g, w in zip(G, W)):
            return fb(False, "scale", f"{prefix(p)}right direction, wrong scale: the right answer is {describe_factor(c)} times yours",
                      hint="look for a lost or extra constant: a 1/2 that cancels a 2, a batch size, a learning rate, a 1/sqrt(d)",
                      factor=c)
    # mismatch: the worst trial, and where in it
    rels = [float(np.linalg.norm(g - w) / max(np.linalg.norm(w), 1e-300)) for g, w in zip(G, W)]
    excess = [_excess(g, w, ex.rtol) for g, w in zip(G, W)]  # each entry's error over its tolerance
    t = int(np.argmax([float(e.max()) if e.size else 0.0 for e in excess]))
    g, w = G[t], W[t]
    if w.ndim == 0:
        where = None
        msg = f"{prefix(p)}does not match{on_trial(t)}: you gave {float(g):.6g}, which is off by a relative error of {rels[t]:.3g}"
    else:
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(excess[t])), w.shape))
        where = str(idx)
        msg = f"{prefix(p)}does not match{on_trial(t)}: relative error {rels[t]:.3g}, largest at index {idx}"
        if w[idx] != 0:
            msg += f" (that entry is {abs(g[idx] - w[idx]) / abs(w[idx]):.2%} off; the tolerance is {ex.rtol:g} of each entry's own size)"
    return fb(False, "mismatch", msg, hint="none of the usual slips explains it; redo the derivation step by step (see the exercise's hint)",
              relative_error=rels[t], where=where)
