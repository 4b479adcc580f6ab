"""Exercises of 8.3 and 8.4: the slips these sections' readers make get their own message, the
reference answers are checked against measurements that know nothing of their formulas (finite
differences, the dot-product test, the engine), and the new problems' special cases hold.

The generic tests of every exercise (reference accepted, each mistake named, random answers
rejected, wrong shapes named, every option of a concept question) are in tests/test_exercises.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import companion
from companion import adjoint, directional_derivative, dot_product_test, jacobian, numerical_gradient
from companion.exercises import by_section, check, get
from companion.pullbacks import LocalMap, chain_forward, chain_pushforward


def data(eid):
    return get(eid).data


def mistake(eid, name_start):
    ex = get(eid)
    (m,) = [m for m in ex.mistakes if m.name.startswith(name_start)]
    return m.wrong(**ex.data)


def pairing_mismatch(f, x, G, rng):
    """max over random V of |<G, V>_F - df_x[V]| / |df_x[V]|: the pairing that defines the gradient (8.2;
    8.3, eq. (8.3.1) `eq-8-3-riesz`)."""
    worst = 0.0
    for _ in range(3):
        V = rng.standard_normal(np.shape(x))
        dfv = float(directional_derivative(f, x, V))
        worst = max(worst, abs(float(np.sum(G * V)) - dfv) / max(abs(dfv), 1e-12))
    return worst


# ----------------------------------------------------------------------------- the sections' catalogue
@pytest.mark.parametrize("section", ["8.3", "8.4"])
def test_six_exercises_with_a_transfer_and_a_concept(section):
    exs = by_section(section)
    extra = {"8.3": [], "8.4": ["concept"]}[section]
    assert [e.id for e in exs] == [f"{section}.{k}" for k in range(1, 7 + len(extra))]
    assert [e.category for e in exs] == ["drill"] * 4 + ["transfer", "concept"] + extra
    for ex in exs:
        assert 2 <= len(ex.hints) <= 3 and ex.solution_text.strip()


# ----------------------------------------------------------------------------- 8.3: gradients, measured twice
def _loss(eid):
    """The exercise's loss as a function of the matrix whose gradient is asked, and that matrix."""
    d = data(eid)
    softmax = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    losses = {
        "8.3.1": (lambda Z: 0.5 * np.sum((Z @ d["x"] - d["b"]) ** 2), "W"),
        "8.3.2": (lambda Z: 0.5 * np.sum(d["c"] * np.sum((Z @ d["X"] - d["T"]) ** 2, axis=0)) / 6, "W"),
        "8.3.3": (lambda Z: 0.5 * np.sum((Z @ d["X"] - d["T"]) ** 2) + 0.5 * d["lam"] * np.sum(Z**2), "W"),
        "8.3.4": (lambda Z: 0.5 * np.sum((d["U"] @ Z @ d["x"] - d["b"]) ** 2), "V"),
        "8.3.5": (lambda Z: -float(d["y"] @ np.log(softmax(Z @ d["x"]))), "W"),
    }
    f, name = losses[eid]
    return f, d[name]


@pytest.mark.parametrize("eid", ["8.3.1", "8.3.2", "8.3.3", "8.3.4", "8.3.5"])
def test_8_3_references_are_gradients(eid):
    """Each reference is the gradient: finite differences, and the Riesz pairing <G, V>_F = dL[V] (8.2)."""
    f, point = _loss(eid)
    G = get(eid).reference()
    np.testing.assert_allclose(G, numerical_gradient(f, point), rtol=1e-6, atol=1e-8)
    assert pairing_mismatch(f, point, G, np.random.default_rng(0)) < 1e-6


def test_8_3_2_is_the_weighted_mean_of_the_per_example_outer_products():
    """8.3, eq. (8.3.6) `eq-8-3-batch` (R X^T), weighted: (1/N) R Diag(c) X^T = (1/N) sum_k c_k r_k x_k^T."""
    d = data("8.3.2")
    W, X, T, c = d["W"], d["X"], d["T"], d["c"]
    per_example = sum(c[k] * np.outer(W @ X[:, k] - T[:, k], X[:, k]) for k in range(6)) / 6
    np.testing.assert_allclose(get("8.3.2").reference(), per_example, atol=1e-12)
    # equal weights give back the page's R X^T / N; a 0/1 weight is a mask that drops an example
    ex = get("8.3.2")
    ones = ex.solution(W=W, X=X, T=T, c=np.ones(6))
    np.testing.assert_allclose(ones, (W @ X - T) @ X.T / 6, atol=1e-12)
    mask = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(ex.solution(W=W, X=X, T=T, c=mask),
                               ex.solution(W=W, X=np.delete(X, 2, 1), T=np.delete(T, 2, 1), c=np.ones(5)) * 5 / 6)


def test_8_3_3_penalty_with_the_wrong_sign_is_named():
    d = data("8.3.3")
    wrong = (d["W"] @ d["X"] - d["T"]) @ d["X"].T - d["lam"] * d["W"]
    fb = check("8.3.3", wrong, record=False)
    assert not fb and fb.diagnosis == "known mistake"
    assert fb.mistake == "R X^T - lam W: the penalty with the wrong sign"
    assert "+lam W" in fb.hint and "weight decay" in fb.hint


def test_8_3_5_cross_entropy_against_the_engine():
    """The reference (p - y) x^T equals the reverse-mode engine's gradient of -y^T log softmax(W x)."""
    d = data("8.3.5")
    x, y = d["x"], d["y"]
    g = companion.grad(lambda W: -(companion.log(companion.softmax(W @ x)) * y).sum())(d["W"])
    np.testing.assert_allclose(get("8.3.5").reference(), g, atol=1e-12)


def test_8_3_5_slips_are_named():
    """The label-smoothed target is the point: a one-hot p - e_k is a named slip, and so is the gradient in p."""
    d = data("8.3.5")
    assert np.isclose(d["y"].sum(), 1.0) and (d["y"] > 0).all() and d["y"].max() == 0.9
    z = d["W"] @ d["x"]
    p = np.exp(z) / np.exp(z).sum()
    one_hot = np.eye(3)[int(np.argmax(d["y"]))]
    slips = [(np.outer(p - one_hot, d["x"]), "(p - e_k) x^T"), (np.outer(-d["y"] / p, d["x"]), "-(y / p)"),
             (np.outer(d["y"] - p, d["x"]), "(y - p) x^T"), (np.outer(p, d["x"]), "p x^T")]
    for answer, name in slips:
        fb = check("8.3.5", answer, record=False)
        assert not fb and fb.diagnosis == "known mistake" and fb.mistake.startswith(name), str(fb)
    # for a one-hot target the slip would be the answer: the exercise's data must keep them apart
    assert np.abs(np.outer(p - one_hot, d["x"]) - get("8.3.5").reference()).max() > 1e-2


def test_8_3_5_one_hot_target_gives_p_minus_e_k():
    """With a one-hot y the same derivation gives the familiar (p - e_k) x^T (every y with 1^T y = 1 works)."""
    ex = get("8.3.5")
    d = data("8.3.5")
    y = np.array([0.0, 1.0, 0.0])
    f = lambda W: -float(np.log(np.exp(W @ d["x"]) / np.exp(W @ d["x"]).sum()) @ y)
    np.testing.assert_allclose(ex.solution(W=d["W"], x=d["x"], y=y), numerical_gradient(f, d["W"]), atol=1e-8)


def test_8_3_6_concept_each_option_explained():
    ex = get("8.3.6")
    assert ex.correct_labels == ("b",)
    for o in ex.options:
        fb = check("8.3.6", o.label, record=False)
        assert bool(fb) == o.correct and o.why in str(fb), str(fb)
    # option (d)'s claim: r^T x is not even defined for the page's m = 3, n = 4
    d = data("8.3.1")
    with pytest.raises(ValueError):
        (d["W"] @ d["x"] - d["b"]) @ d["x"]


def test_8_3_4_hints_give_the_method_not_the_answer():
    """The key step says how to read the gradient off (rotate the trace, transpose Z); no hint writes U^T r, the
    factor of the answer, and the method the hints state gives the reference when carried out."""
    ex = get("8.3.4")
    assert not any("U^\\top r" in h or "x^\\top" in h for h in ex.hints), ex.hints
    assert "tr}(Z\\,\\Delta V)" in ex.hints[-1] and "Z^\\top" in ex.hints[-1]
    d = data("8.3.4")
    U, V, x, b = d["U"], d["V"], d["x"], d["b"]
    r = U @ V @ x - b
    Z = np.outer(x, r) @ U  # d L = r^T U dV x = tr(x r^T U dV): the factor in front of dV, 4 x 2
    np.testing.assert_allclose(Z.T, ex.reference(), rtol=1e-12)
    np.testing.assert_allclose(Z.T, numerical_gradient(lambda V_: 0.5 * np.sum((U @ V_ @ x - b) ** 2), V), atol=1e-8)


def test_8_3_1_transposed_answer_is_told_it_looks_transposed():
    d = data("8.3.1")
    fb = check("8.3.1", np.outer(d["x"], d["W"] @ d["x"] - d["b"]), record=False)
    assert not fb and fb.mistake.startswith("x r^T")


# ----------------------------------------------------------------------------- 8.4: adjoints, measured twice
def _adjoint_problem(eid):
    """(map, reference adjoint as a function, x shape, inner_x, inner_y) of the adjoint exercises."""
    d, ref = data(eid), get(eid).reference()
    if eid == "8.4.1":
        return (lambda X: d["M"] * (d["A"] @ X @ d["B"])), ref, (3, 4), None, None
    if eid == "8.4.2":
        return (lambda v: d["B"] @ d["A"] @ v), (lambda u: ref @ u), (2,), d["M_x"], d["M_z"]
    return (lambda X: d["A"] @ X + X.T @ d["B"]), ref, (3, 3), None, None


@pytest.mark.parametrize("eid", ["8.4.1", "8.4.2", "8.4.4"])
def test_8_4_references_are_adjoints(eid):
    """8.4, eq. (8.4.2) `eq-8-4-adjoint` <A v, w> = <v, A* w>: by the dot-product test, and against the
    adjoint built from the definition by companion.adjoint (which tabulates the map and solves the identity)."""
    A, ref, x_shape, inner_x, inner_y = _adjoint_problem(eid)
    assert dot_product_test(A, ref, x_shape, rng=np.random.default_rng(0), inner_x=inner_x, inner_y=inner_y) < 1e-12
    built = adjoint(A, x_shape, inner_x=inner_x, inner_y=inner_y)
    w = np.random.default_rng(1).standard_normal(np.shape(A(np.zeros(x_shape))))
    np.testing.assert_allclose(ref(w), built(w), atol=1e-10)


def test_8_4_1_mask_applied_last_is_named():
    """The mask must act on Y first (reverse order); applied last it fails the dot-product test and is named."""
    A, _, x_shape, _, _ = _adjoint_problem("8.4.1")
    last = mistake("8.4.1", "M * (A^T Y B^T)")
    assert dot_product_test(A, last, x_shape, rng=np.random.default_rng(0)) > 1e-2
    fb = check("8.4.1", last, record=False)
    assert not fb and fb.mistake.startswith("M * (A^T Y B^T)") and "(P o Q)* = Q* o P*" in fb.hint
    assert (data("8.4.1")["M"] == 0).any() and (data("8.4.1")["M"] == 1).any()


def test_8_4_2_the_middle_metric_drops_out():
    """(B A)* = A* B* = M_x^-1 A^T M_y M_y^-1 B^T M_z: the reference does not depend on M_y."""
    ex, d = get("8.4.2"), data("8.4.2")
    other = dict(d, M_y=np.diag([1.0, 5.0, 0.2]))
    np.testing.assert_allclose(ex.solution(**other), ex.reference(), atol=1e-12)
    A_star = np.linalg.solve(d["M_x"], d["A"].T @ d["M_y"])  # 8.4, eq. (8.4.3) `eq-8-4-metric-adjoint`, per factor
    B_star = np.linalg.solve(d["M_y"], d["B"].T @ d["M_z"])
    np.testing.assert_allclose(A_star @ B_star, ex.reference(), atol=1e-12)
    fb = check("8.4.2", mistake("8.4.2", "M_x^-1 A^T M_y B^T M_z"), record=False)
    assert not fb and "middle metric" in fb.mistake


def test_8_4_4_transposed_B_is_named():
    d = data("8.4.4")
    fb = check("8.4.4", lambda Y: d["A"].T @ Y + d["B"].T @ Y.T, record=False)
    assert not fb and fb.diagnosis == "known mistake"
    assert fb.mistake == "A^T Y + B^T Y^T: B was transposed as well"
    assert "B Y^T" in fb.hint


def _residual(d):
    block = lambda A, B, x: x + A @ np.tanh(B @ x)
    return lambda x: block(d["A2"], d["B2"], block(d["A1"], d["B1"], x))


@pytest.mark.parametrize("eid", ["8.4.3", "8.4.5"])
def test_8_4_pullbacks_against_finite_differences_and_the_dot_product_test(eid):
    """A pullback is the adjoint of the pushforward: the reference (as a function of the cotangent, with
    the exercise's own formula) against the finite-difference Jacobian, and by the dot-product test."""
    ex, d = get(eid), data(eid)
    if eid == "8.4.3":
        F, x, cot = (lambda u: d["A"] @ np.tanh(d["B"] @ u)), d["x"], "eta"
    else:
        F, x, cot = _residual(d), d["x0"], "y_bar"
    J = jacobian(F, x)
    np.testing.assert_allclose(ex.reference(), J.T @ d[cot], atol=1e-7)
    pull = lambda w: ex.solution(**dict(d, **{cot: w}))
    assert dot_product_test(lambda v: J @ v, pull, x.shape, (J.shape[0],), rng=np.random.default_rng(0)) < 1e-7


def test_8_4_5_residual_slips_and_the_skip_path():
    ex, d = get("8.4.5"), data("8.4.5")
    for name in ("the skip connections", "pulled back in forward order", "block 2 linearized at x_0"):
        fb = check("8.4.5", mistake("8.4.5", name), record=False)
        assert not fb and fb.mistake.startswith(name), str(fb)
    # with zero branches the blocks are identities and the cotangent passes unchanged (the skip path)
    zero = dict(d, A1=np.zeros((3, 4)), A2=np.zeros((3, 4)))
    np.testing.assert_allclose(ex.solution(**zero), d["y_bar"], atol=0)
    # the engine's vjp of the same program agrees
    def program(x):
        x1 = x + d["A1"] @ companion.tanh(d["B1"] @ x)
        return x1 + d["A2"] @ companion.tanh(d["B2"] @ x1)

    _, pullback = companion.vjp(program, d["x0"])
    np.testing.assert_allclose(pullback(d["y_bar"])[0], ex.reference(), atol=1e-12)


def test_8_4_6_forward_order_fails_on_a_square_chain():
    """Option (a)'s why: with square maps the forward order runs, and it fails the dot-product test."""
    rng = np.random.default_rng(0)
    maps = [LocalMap.linear(rng.standard_normal((3, 3)), "A"),
            LocalMap.elementwise(np.tanh, lambda x: 1 - np.tanh(x) ** 2, "tanh"),
            LocalMap.linear(rng.standard_normal((3, 3)), "C")]
    xs = chain_forward(maps, rng.standard_normal(3))

    def forward_order(w):
        for F_k, x_k in zip(maps, xs[:-1], strict=True):
            w = F_k.pullback(x_k, w)
        return w

    assert dot_product_test(lambda v: chain_pushforward(maps, xs, v), forward_order, (3,), (3,), rng=rng) > 1e-2
    ex = get("8.4.6")
    assert ex.correct_labels == ("b",)
    for o in ex.options:
        fb = check("8.4.6", o.label, record=False)
        assert bool(fb) == o.correct and o.why in str(fb), str(fb)


def test_8_4_3_column_vector_answer_is_accepted_or_told_what_to_change():
    ref = get("8.4.3").reference()
    fb = check("8.4.3", ref.reshape(-1, 1), record=False)
    assert fb or ("expected shape (3,)" in fb.message and "answer.ravel()" in fb.message), str(fb)


# ----------------------------------------------------------------------------- identities the pages state
def test_8_4_vec_form_of_X_to_AXB_and_its_adjoint():
    """8.4 (margin note by eq-8-4-adjoint's example): vec(AXB) = (B^T kron A) vec X with vec stacking columns,
    and the transposed array B kron A^T is the array of the adjoint Y -> A^T Y B^T."""
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((4, 4))
    X, Y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    vec = lambda Z: Z.reshape(-1, order="F")
    np.testing.assert_allclose(np.kron(B.T, A) @ vec(X), vec(A @ X @ B), atol=1e-12)
    np.testing.assert_allclose(np.kron(B.T, A).T, np.kron(B, A.T), atol=0)
    np.testing.assert_allclose(np.kron(B, A.T) @ vec(Y), vec(A.T @ Y @ B.T), atol=1e-12)


def test_8_4_adjoint_of_a_product_reverses_the_order_under_any_metrics():
    """8.4, eq. (8.4.6) `eq-8-4-reverse` and its proof: (BC)* = C* B* for any inner products (here three
    different metrics), checked against the adjoint built from the definition and by the dot-product test."""
    rng = np.random.default_rng(1)
    C, B = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    Ms = []
    for n in (2, 3, 4):
        G = rng.standard_normal((n, n))
        Ms.append(G @ G.T + 0.5 * np.eye(n))
    M_u, M_v, M_w = Ms
    C_star = adjoint(C, (2,), (3,), inner_x=M_u, inner_y=M_v).matrix
    B_star = adjoint(B, (3,), (4,), inner_x=M_v, inner_y=M_w).matrix
    BC_star = adjoint(B @ C, (2,), (4,), inner_x=M_u, inner_y=M_w).matrix
    np.testing.assert_allclose(C_star @ B_star, BC_star, atol=1e-10)
    assert dot_product_test(B @ C, lambda w: C_star @ (B_star @ w), (2,), (4,), inner_x=M_u, inner_y=M_w,
                            rng=rng) < 1e-12


def test_8_3_batch_gradient_with_examples_as_rows():
    """8.3, eq. (8.3.6) `eq-8-3-batch` and its margin note: with the examples as rows (X_rows = X^T, outputs
    X_rows W^T, R_rows = R^T) the same gradient reads R_rows^T X_rows."""
    rng = np.random.default_rng(2)
    W, X, T = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    X_rows, T_rows = X.T, T.T
    R_rows = X_rows @ W.T - T_rows
    np.testing.assert_allclose(R_rows, (W @ X - T).T, atol=1e-12)
    grad = companion.least_squares(W, X, T)[1]
    np.testing.assert_allclose(R_rows.T @ X_rows, grad, atol=1e-12)
    f = lambda Z: 0.5 * float(np.sum((X_rows @ Z.T - T_rows) ** 2))
    np.testing.assert_allclose(numerical_gradient(f, W), grad, rtol=1e-6, atol=1e-8)


def test_8_4_7_each_option_of_the_change_of_basis_question_is_what_it_says():
    """8.4.7: with non-orthogonal P, Q the claims of (a), (c), (e) hold and those of (b), (d) fail, numerically."""
    rng = np.random.default_rng(3)
    n, m = 3, 2
    A, v, w = rng.standard_normal((m, n)), rng.standard_normal(n), rng.standard_normal(m)
    P = rng.standard_normal((n, n)) + 2 * np.eye(n)
    Q = rng.standard_normal((m, m)) + 2 * np.eye(m)
    assert not np.allclose(P.T @ P, np.eye(n))
    A_new, v_new, w_new = np.linalg.solve(Q, A @ P), np.linalg.solve(P, v), np.linalg.solve(Q, w)
    G_in, G_out = P.T @ P, Q.T @ Q  # the dot products' Gram matrices in the new coordinates
    adj_new = np.linalg.solve(G_in, A_new.T @ G_out)  # 8.4, eq. (8.4.3) `eq-8-4-metric-adjoint`
    # (a) the adjoint identity, and adj_new is the old A^T = A* written in the new coordinates
    assert np.isclose((A_new @ v_new) @ G_out @ w_new, v_new @ G_in @ (adj_new @ w_new))
    np.testing.assert_allclose(P @ (adj_new @ w_new), A.T @ w, atol=1e-12)
    # (b) the transpose of the new array is not the adjoint's array
    assert np.abs(A_new.T - adj_new).max() > 1e-2
    # (c) a covector on a vector keeps its value
    c = rng.standard_normal(n)
    assert np.isclose((P.T @ c) @ v_new, c @ v)
    # (d) the gradient's coordinates are G^-1 c', not c'
    g_new = np.linalg.solve(G_in, P.T @ c)
    np.testing.assert_allclose(P @ g_new, c, atol=1e-12)  # the same vector as the old gradient c
    assert np.abs(g_new - P.T @ c).max() > 1e-2
    # (e) the dual map is the transpose in every basis
    c_out = rng.standard_normal(m)
    np.testing.assert_allclose(A_new.T @ (Q.T @ c_out), P.T @ (A.T @ c_out), atol=1e-12)
    ex = get("8.4.7")
    assert ex.correct_labels == ("a", "c", "e")
    assert check("8.4.7", "a,c,e", record=False) and not check("8.4.7", "a,b,c,e", record=False)
    assert not check("8.4.7", "a,c", record=False)


def test_8_4_1_the_map_itself_and_8_4_4_a_dropped_term_are_named():
    d = get("8.4.1").data
    A, B, M = d["A"], d["B"], d["M"]
    fb = check("8.4.1", lambda Y: M * (A @ Y @ B), record=False)
    assert not fb and fb.diagnosis == "known mistake" and "the map itself" in fb.message, str(fb)
    A, B = get("8.4.4").data["A"], get("8.4.4").data["B"]
    fb = check("8.4.4", lambda Y: A.T @ Y, record=False)
    assert not fb and fb.diagnosis == "known mistake" and "X^T B is missing" in fb.message, str(fb)
