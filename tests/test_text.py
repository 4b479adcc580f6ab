"""The book's text says what is true: each statement below is read from the page and checked.

A wording test alone would only show that a sentence changed; each test here also checks
the mathematics the sentence states, with `companion` or with the page's own code cells.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def notebook(prefix: str):
    (path,) = sorted((ROOT / "chapters").glob(prefix + "*.ipynb"))
    return nbformat.read(path, as_version=4)


def source(prefix: str, cell_id: str) -> str:
    cells = [c for c in notebook(prefix).cells if c.get("id") == cell_id]
    assert len(cells) == 1, f"{prefix}: no cell {cell_id}"
    return cells[0].source


def markdown(prefix: str) -> str:
    return "\n\n".join(c.source for c in notebook(prefix).cells if c.cell_type == "markdown")


def run_cells(prefix: str, *cell_ids: str) -> dict:
    """Execute the page's own code cells (in order) and return their namespace."""
    ns: dict = {}
    for cid in cell_ids:
        exec(compile(source(prefix, cid), f"{prefix}:{cid}", "exec"), ns)
    return ns


# ----------------------------------------------------------------------------- 8.1
def test_8_1_remainder_order_matches_the_smoothness_assumed():
    text = source("8-1", "cell-07")
    # two derivatives give o(eps^2); O(eps^3) is claimed only with three
    assert "two continuous derivatives" in text and r"o(\varepsilon^2)" in text
    two = text.index("two continuous derivatives gives")
    assert r"+ o(\varepsilon^2)" in text[two:], "the remainder formula under two derivatives is o(eps^2)"
    assert re.search(r"three continuous derivatives[^.]*O\(\\varepsilon\^3\)", text)
    assert r"+ O(\varepsilon^3)" not in text
    # the second differential is defined where it is first used, and the definition is right
    assert text.index("second differential") < text.index("(eq-8-1-remainder)")
    assert r"d^2F_x[v, v] = \frac{d^2}{dt^2}F(x + tv)" in text
    from companion.examples import nonlinear_map

    F = nonlinear_map("bend")
    x0, v, h = np.array([-0.5, 0.6]), np.array([0.6, -0.8]), 1e-4
    second_difference = (F(x0 + h * v) - 2 * F(x0) + F(x0 - h * v)) / h**2
    np.testing.assert_allclose(F.d2(x0, v), second_difference, atol=1e-6)


def test_8_1_taylor_test_proposition_wrong_candidate_is_first_order():
    """8.1, Proposition "The Taylor test": r_D(eps) = eps |(J - D) v| + O(eps^2) when D v != J v."""
    text = source("8-1", "cell-07")
    assert "{prf:proposition} The Taylor test" in text and r"\varepsilon\,\|(J - D)v\| + O(\varepsilon^2)" in text
    ns = run_cells("8-1", "cell-02", "cell-06")
    F, x0, v, J = ns["F"], ns["x0"], ns["v"], ns["J"]
    limit = np.linalg.norm((J - J.T) @ v)
    for eps in (1e-3, 1e-4):
        r = np.linalg.norm(F(x0 + eps * v) - F(x0) - eps * (J.T @ v))
        assert abs(r / eps - limit) < 5 * eps * (1 + limit)


def test_8_2_kronecker_section_claims():
    """8.2, eqs. (8.2.6)-(8.2.7) on the page's own cells, and the cost claims of the text (n^4 vs 2 n^3, 8 TB)."""
    text = source("8-2", "kron-03")
    assert "$n^4$ against $2n^3$" in text and "8 TB" in text
    ns = run_cells("8-2", "cell-02", "kron-02")
    A, B, X, K = ns["A3"], ns["B3"], ns["X3"], ns["K"]
    from companion import vec
    from companion.spaces import sandwich_cost

    np.testing.assert_allclose(K @ vec(X), vec(A @ X @ B), atol=1e-12)
    np.testing.assert_allclose(K.T, np.kron(B, A.T), atol=1e-14)
    cost = sandwich_cost((1000, 1000), (1000, 1000))
    assert cost["kron_entries"] == 1000**4 and 8 * cost["kron_entries"] == 8e12  # bytes: 8 TB
    assert cost["left_first"] == 2 * 1000**3


# ----------------------------------------------------------------------------- 8.4
def test_8_4_the_transpose_is_the_adjoint_not_a_shape_fix():
    text = source("8-4", "cell-03")
    assert "whole content" not in text
    assert "square" in text and "`J @ c` runs" in text and "wrong numbers" in text
    assert "dot-product test" in text.lower()
    # the page's cells: a square, non-symmetric J where J @ c runs, is wrong, and fails the test
    ns = run_cells("8-4", "cell-02", "cell-04")
    J, c, true = ns["J_sq"], ns["c_sq"], ns["true"]
    assert J.shape == (3, 3) and not np.allclose(J, J.T)
    assert np.linalg.norm(J.T @ c - true) < 1e-6 * np.linalg.norm(true)
    assert np.linalg.norm(J @ c - true) > 0.1 * np.linalg.norm(true)
    from companion import dot_product_test

    assert dot_product_test(J, lambda w: J.T @ w, (3,), (3,)) < 1e-12
    assert dot_product_test(J, lambda w: J @ w, (3,), (3,)) > 1e-2


def test_8_4_dual_map_and_metric_adjoint_have_distinct_symbols_related_by_riesz():
    text = source("8-4", "cell-11")
    assert r"(A^{\vee}\eta)(v) := \eta(A v)" in text, "the dual map on covectors has its own symbol"
    assert r"(A^*\eta)" not in text and r"(A^{*}\eta)" not in text
    assert r"A^{*} = \sharp_V \circ A^{\vee} \circ \flat_W" in text
    assert source("8-4", "cell-09").count("A^* = M_x^{-1} A^\\top M_y") == 1
    # the relation holds: sharp_V o A^vee o flat_W is the metric adjoint of companion.adjoint
    from companion import adjoint

    rng = np.random.default_rng(3)
    A = rng.standard_normal((2, 3))
    Gx, Gy = rng.standard_normal((3, 3)), rng.standard_normal((2, 2))
    Mx, My = Gx @ Gx.T + np.eye(3), Gy @ Gy.T + np.eye(2)
    flat_W = lambda w: My @ w
    dual = lambda coeffs: A.T @ coeffs
    sharp_V = lambda coeffs: np.linalg.solve(Mx, coeffs)
    w = rng.standard_normal(2)
    expected = adjoint(A, (3,), (2,), inner_x=Mx, inner_y=My)(w)
    np.testing.assert_allclose(sharp_V(dual(flat_W(w))), expected, atol=1e-12)


# ----------------------------------------------------------------------------- 8.6
def test_8_4_plane_pictures_sit_with_the_definitions_they_show():
    """8.4: the plane picture of the adjoint follows the definition of the adjoint (Euclidean) in the same section,
    and the metric picture follows the metric adjoint, before the dual map's section begins."""
    cells = notebook("8-4").cells
    ids = [c.get("id") for c in cells]
    at = {cid: k for k, cid in enumerate(ids)}

    def section_of(k):
        return max(j for j in range(k + 1) if cells[j].cell_type == "markdown" and cells[j].source.startswith("## "))

    definition = next(k for k, c in enumerate(cells) if ":label: def-8-4-adjoint" in c.source)
    assert at["fig-8-4-plane"] > definition and section_of(at["fig-8-4-plane"]) == section_of(definition)
    metric = next(k for k, c in enumerate(cells) if "Under a metric" in c.source and c.source.startswith("## "))
    dual = next(k for k, c in enumerate(cells) if c.source.startswith("## Pulling back a covector"))
    assert metric < at["fig-8-4-plane-metric"] < dual


def test_8_6_c_is_a_row_wise_inner_product_not_a_row_sum():
    text = source("8-6", "cell-10") + source("8-6", "cell-32")
    assert "row sums $c_i$" not in text and "the row sums come" not in text
    assert "row-wise inner products" in text
    from companion.models import attention

    rng = np.random.default_rng(0)
    n, d = 5, 4
    Q, K, V, G_Y = (rng.standard_normal((n, d)) for _ in range(4))
    Y, cache = attention(Q, K, V)
    P = cache.P
    G_P = G_Y @ V.T
    c = np.einsum("ij,ij->i", P, G_P)
    np.testing.assert_allclose(c, np.einsum("ij,ij->i", Y, G_Y), atol=1e-12)
    assert not np.allclose(c, G_P.sum(axis=1)), "c_i is not the row sum of G_P"


def test_8_6_the_page_points_at_exercise_8_6_5_without_giving_its_method():
    """8.6: the margin note after eq-8-6-softmax-vjp and the takeaway point at exercise 8.6.5 (what a causal mask
    changes) without stating its method (where the softmax is linearized, which scores receive no gradient); the
    fact the note keeps holds: `softmax` takes -inf as a masked score, of weight exactly 0, and a causal mask leaves
    token i the tokens j <= i, with the softmax of their scores."""
    page = "\n\n".join(c.source for c in notebook("8-6").cells
                        if c.cell_type == "markdown" and not c.get("id", "").startswith("ex-"))
    for giveaway in ("masked $P$", "linearized at the masked", "kills the gradient", "receive no gradient",
                     "same pullback", "masked scores receive"):
        assert giveaway not in page, giveaway
    margin, takeaway = source("8-6", "cell-10"), source("8-6", "cell-32")
    assert "Exercise 8.6.5 asks what masking changes in this pullback" in margin
    assert "Exercise 8.6.5 asks what a causal mask changes" in takeaway and "exercise 8.6.4" in takeaway
    from companion.exercises import get
    from companion.models import softmax

    assert "masked scores receive no gradient" in get("8.6.5").solution_text  # the method stays with the exercise
    rng = np.random.default_rng(5)
    n = 5
    S = rng.standard_normal((n, n))
    mask = np.where(np.triu(np.ones((n, n)), k=1) > 0, -np.inf, 0.0)
    P = softmax(S + mask)
    assert np.all(P[np.triu_indices(n, k=1)] == 0.0)
    for i in range(n):
        kept = np.exp(S[i, : i + 1] - S[i, : i + 1].max())
        np.testing.assert_allclose(P[i, : i + 1], kept / kept.sum(), rtol=1e-12)


# ----------------------------------------------------------------------------- 8.7
def test_8_7_newton_is_not_called_first_order_nor_natural():
    md = markdown("8-7")
    intro = source("8-7", "cell-00")
    assert "(preconditioning, natural gradient, Newton)" not in intro
    assert "Newton's method is not first-order" in intro
    assert "Newton / natural" not in md and r"M_{\text{natural}}" not in md
    assert "natural gradient of the quadratic" not in md
    assert "natural metric's ball" not in md and "natural-gradient path (green)" not in md
    # "natural" is said of the Fisher metric only (in the exercises too: 8.7.3 is about Fisher)
    prose = "\n\n".join(
        c.source for c in notebook("8-7").cells if c.cell_type == "markdown" and not c.id.startswith("ex-")
    )
    for m in re.finditer(r"[Nn]atural", prose):
        window = prose[max(0, m.start() - 300) : m.end() + 300]
        assert "Fisher" in window or "$F$" in window or '`"natural"`' in window, (
            f"'natural' away from Fisher: ...{window}..."
        )
    from companion.widgets.metrics import LABELS

    assert LABELS["newton"].startswith("Newton"), "the explorer's legend names M = H Newton"


def test_8_7_score_has_the_log_likelihood_sign():
    text = source("8-7", "cell-12")
    assert r"s_i = (p_i - y_i)\,x_i" not in text
    assert r"s_i = \nabla_w \log p(y_i\mid x_i, w) = (y_i - p_i)\,x_i" in text
    # check the sign: the gradient of log p(y | x, w) for logistic regression is (y - p) x
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal(3), rng.standard_normal(3)
    for y in (0, 1):

        def log_lik(w, y=y):
            p = 1 / (1 + np.exp(-w @ x))
            return y * np.log(p) + (1 - y) * np.log(1 - p)

        h = 1e-6
        num = np.array([(log_lik(w + h * e) - log_lik(w - h * e)) / (2 * h) for e in np.eye(3)])
        p = 1 / (1 + np.exp(-w @ x))
        np.testing.assert_allclose(num, (y - p) * x, atol=1e-8)


# ----------------------------------------------------------------------------- 8.8
def test_8_8_tanh_takeaway_is_qualified_and_the_recursion_is_on_the_page():
    from companion.spectra import predicted_mean_squared_singular_value

    takeaway = source("8-8", "cell-16")
    assert "1 for linear and tanh" not in takeaway
    text = source("8-8", "cell-09")
    assert r"q_{\ell+1} = \sigma_w^2\; \mathbb{E}\big[\tanh\big(\sqrt{q_{\ell}}\,\xi\big)^2\big]" in text
    # the stated factor is the one the recursion gives (and the page's table prints)
    loss = 1 / predicted_mean_squared_singular_value(1.0, 32, "tanh")[-1]
    for t in (text, takeaway):
        (factor,) = re.findall(r"factor of about (\d+)", t)
        assert abs(int(factor) - loss) < 1, (factor, loss)
    # the recursion as written on the page (q_0 = 1, sigma_w = 1), with its own 200-node quadrature
    xi, weights = np.polynomial.hermite_e.hermegauss(200)
    weights = weights / weights.sum()  # E[f(xi)], xi ~ N(0, 1)
    q, ms = 1.0, 1.0
    for _ in range(32):
        ms *= weights @ (1 - np.tanh(np.sqrt(q) * xi) ** 2) ** 2  # chi_l
        q = weights @ np.tanh(np.sqrt(q) * xi) ** 2  # q_{l+1}
    assert ms == pytest.approx(1 / loss, rel=1e-6)


def test_8_8_1_solution_uses_the_data():
    from companion.exercises import get

    ex = get("8.8.1")
    for code in (ex.solution_code, source("8-8", "ex-8-8-1-solution")):
        assert not re.search(r"^\s*sigma_w\s*,\s*L\s*=\s*[\d.]", code, re.M), "the solution overwrites its data"
    ns = {"np": np, "sigma_w": 1.7, "L": 3}
    exec(ex.solution_code, ns)
    assert ns["solution"] == pytest.approx(1.7**6)


# ----------------------------------------------------------------------------- exercises, check_gradient
@pytest.mark.parametrize("eid", ["8.2.5", "8.7.1"])
def test_exercises_say_that_H_is_symmetric(eid):
    from companion.exercises import get

    ex = get(eid)
    assert (
        "symmetric matrix of\nthe data ($H = H^\\top$)" in ex.statement
        or "$H$ the\nsymmetric matrix of the data ($H = H^\\top$)" in ex.statement
    )
    H = ex.data["H"]
    np.testing.assert_array_equal(H, H.T)
    prefix = "8-2" if eid == "8.2.5" else "8-7"
    assert source(prefix, f"ex-{eid.replace('.', '-')}-statement") == ex.markdown(), "the page shows the statement"


def test_check_gradient_names_the_point_not_a_letter_the_pages_use():
    from companion import check_gradient, least_squares

    rng = np.random.default_rng(0)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    report = check_gradient(lambda W: least_squares(W, x, b)[0], W, np.outer(x, W @ x - b))
    assert report.diagnosis == "shape"
    assert "the shape of x" not in report.message
    assert "expected shape (3, 4) (the shape of the point where f is differentiated)" in report.message
    readme = (ROOT / "README.md").read_text()
    assert report.message in readme, "the README shows the message as it is"


# ----------------------------------------------------------------------------- a connected book
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
DOC_LINK = re.compile(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`")


def _bib_keys() -> list[str]:
    return re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M)


def _cited(text: str) -> set[str]:
    """The keys cited in ``text`` by {cite} roles (any variant, several keys to a role)."""
    return {k.strip() for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text) for k in group.split(",")}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_links_to_notation_and_other_pages(path):
    md = markdown(path.stem)
    targets = {t.strip() for t in DOC_LINK.findall(md)}
    assert "../notation" in targets, f"{path.stem} does not link to the notation page"
    others = {t for t in targets if t not in ("../notation", path.stem)}
    assert len(others) >= 2, f"{path.stem} links to {others}: at least two other pages"
    for t in targets:
        assert (path.parent / t).with_suffix(".ipynb").exists() or (path.parent / t).with_suffix(".md").exists(), t


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_prerequisites_and_objectives(path):
    cells = [c for c in notebook(path.stem).cells if c.cell_type == "markdown"]
    assert cells[0].source.startswith("# 8."), "the title comes first"
    box = cells[1].source
    assert box.startswith(":::{admonition} Before you start"), (
        f"{path.stem}: the second cell states what the page assumes"
    )
    assert "**Assumes**" in box and "{doc}`" in box.split("**After")[0], "prerequisites are links"
    goals = re.findall(r"^\d\. ", box, re.M)
    assert 3 <= len(goals) <= 5, f"{path.stem}: {len(goals)} learning objectives"


def test_no_unlinked_section_references():
    """Every "section 8.x" in the prose (not in the exercises) is a link, except to the page itself."""
    for path in CHAPTERS:
        for c in notebook(path.stem).cells:
            if c.cell_type != "markdown" or c.id.startswith("ex-"):
                continue
            for line in c.source.splitlines():
                if line.startswith("#"):
                    continue
                for m in re.finditer(r"[Ss]ections? 8\.(\d)\b", line):
                    own = path.stem.startswith(f"8-{m.group(1)}-")
                    assert own, f"{path.stem}: unlinked reference {line!r}"


def test_bibliography_entries_are_all_cited_in_the_chapters():
    """Every entry is cited on a page of the book (the chapter pages, and intro.md and teaching.md,
    where the chapter this book accompanies is credited); every citation has an entry."""
    keys = _bib_keys()
    assert len(keys) >= 15 and len(set(keys)) == len(keys)
    pages = [markdown(p.stem) for p in CHAPTERS] + [(ROOT / f).read_text() for f in ("intro.md", "teaching.md")]
    chapters = "\n".join(pages)
    cited = _cited(chapters)
    assert not set(keys) - cited, f"entries never cited on a chapter page: {sorted(set(keys) - cited)}"
    assert not cited - set(keys), f"citations without an entry: {sorted(cited - set(keys))}"
    import yaml

    assert yaml.safe_load((ROOT / "_config.yml").read_text())["bibtex_bibfiles"] == ["references.bib"]
    assert "```{bibliography}" in (ROOT / "bibliography.md").read_text()


def test_credit_and_notation_pages():
    import yaml

    intro = (ROOT / "intro.md").read_text()
    assert "*Chapter 8: Matrix Calculus*" in intro and "Volume I" in intro and "Xujiang Tang" in intro
    assert "prose, the code, the figures and the\nexercises here are the companion's own" in intro
    author = yaml.safe_load((ROOT / "_config.yml").read_text())["author"]
    assert "Xujiang Tang" in author and "companion authors" not in author
    from conftest import toc_files

    assert {"notation", "bibliography"} <= set(toc_files())
    notation = (ROOT / "notation.md").read_text()
    for clash in ("$J$ is always a Jacobian", r"$\delta_\ell$", r"$\mathcal{L}$ and $L$", "count from 1"):
        assert clash in notation, clash
    for term in ("Fréchet derivative", "Hilbert space", "Riesz representation", "Cotangent space", "Fisher metric"):
        assert f"\n{term}" in notation, term


@pytest.mark.book
def test_built_pages_link_notation_and_bibliography(built_book):
    import html as html_lib

    for path in CHAPTERS:
        page = (built_book / "chapters" / path.stem).with_suffix(".html").read_text(encoding="utf-8")
        body = page.split("<main", 1)[-1]
        assert 'href="../notation.html' in body, f"{path.stem}: no link to the notation page"
        others = set(re.findall(r'href="(8-\d-[\w-]+)\.html', body)) - {path.stem}
        assert len(others) >= 2, f"{path.stem}: links to {others}"
    bib = html_lib.unescape((built_book / "bibliography.html").read_text(encoding="utf-8"))
    bib = " ".join(re.sub(r"<[^>]+>", "", bib).split()).lower()  # the style changes the titles' case
    titles = re.findall(r"^\s*title\s*=\s*\{(.+)\},$", (ROOT / "references.bib").read_text(), re.M)
    assert len(titles) == len(_bib_keys())
    for title in titles:
        words = re.sub(r"[{}]", "", title).lower()
        assert words in bib, f"the bibliography does not show {words!r}"


@pytest.mark.book
def test_built_equation_numbers_carry_their_section(built_book):
    """Every labelled equation on the page of section 8.k is numbered (8.k.1), (8.k.2), ... in
    page order; an {eq} link from another page to an equation of 8.2 shows and targets that number;
    the sphinx-proof boxes are numbered Definition 8.k.n likewise."""
    eqno = re.compile(
        r'<div class="math notranslate nohighlight" id="equation-([\w-]+)">\s*'
        r'<span class="eqno">\(([^)<]*)\)'
    )
    numbers: dict[str, str] = {}
    for path in CHAPTERS:
        page = (built_book / "chapters" / path.stem).with_suffix(".html").read_text(encoding="utf-8")
        found = eqno.findall(page)
        section = ".".join(path.stem.split("-")[:2])  # 8-2-frobenius-riesz -> 8.2
        # element ids are the labels as docutils makes ids of them (lower case)
        labels = [label.lower() for label in re.findall(r"\$\$\s*\((eq-[\w-]+)\)", markdown(path.stem[:3]))]
        assert [label for label, _ in found] == labels, f"{path.stem}: numbered equations differ from the labels"
        assert [n for _, n in found] == [f"{section}.{k}" for k in range(1, len(found) + 1)], path.stem
        numbers.update(found)
    riesz = numbers["eq-8-2-riesz"]
    assert riesz.startswith("8.2.")
    # on its own page, and from 8.1 (another page), the reference shows (8.2.n) and links to it
    own = (built_book / "chapters" / "8-2-frobenius-riesz.html").read_text(encoding="utf-8")
    assert f'href="#equation-eq-8-2-riesz">({riesz})</a>' in own
    other = (built_book / "chapters" / "8-1-linearization.html").read_text(encoding="utf-8")
    assert f'href="8-2-frobenius-riesz.html#equation-eq-8-2-riesz">({riesz})</a>' in other
    # the definition/proposition boxes carry their section too, in the box and in references to it
    assert '<span class="caption-number">Definition 8.2.1 </span>' in own
    assert 'href="8-1-linearization.html#def-8-1-differential">Definition 8.1.1' in own
    # pages outside the sections number without a section, if at all
    for page in ("intro.html", "notation.html"):
        assert not re.search(r'class="eqno">\(8\.', (built_book / page).read_text(encoding="utf-8")), page


# ----------------------------------------------------------------------------- review 14
def test_8_1_6_single_entries_do_not_survive_an_orthonormal_change_of_basis():
    """8.1, exercise 8.1.6: symmetry and the Frobenius norm survive orthonormal bases; single entries do not."""
    from companion.exercises import get

    text = get("8.1.6").solution_text
    assert "and single entries survive orthonormal" not in text and "single entries not even" in text
    A = np.arange(1.0, 10.0).reshape(3, 3)
    c, s = np.cos(0.3), np.sin(0.3)
    Q = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    A_Q = Q.T @ A @ Q  # Q^{-1} A Q for an orthonormal basis
    assert abs(A_Q[0, 0] - A[0, 0]) > 0.1
    assert np.linalg.norm(A_Q) == pytest.approx(np.linalg.norm(A))


def test_8_3_stray_factor_example_doubles_the_gradient():
    """8.3, "When the gradient is wrong": the stray-factor slip named in the text gives 2 r x^T, which check_gradient
    calls a scale error (the two slips of the old wording, u for 2u *and* no 1/2, would cancel)."""
    text = source("8-3", "cell-09")
    assert "as $u$ instead of $2u$" not in text and "doubles the answer" in text
    from companion import check_gradient, least_squares

    rng = np.random.default_rng(0)
    W, x, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(3)
    G = np.outer(W @ x - b, x)
    report = check_gradient(lambda W: least_squares(W, x, b)[0], W, 2 * G)
    assert report.diagnosis == "scale" and report.factor == pytest.approx(0.5)


def test_8_5_no_objective_called_J_and_the_batch_gradient_uses_the_page_symbols():
    """8.5 (notation: J is always a Jacobian): the loss in code is not J; the batch gradient is written with
    delta_l, h_{l-1} (not Delta_l, a perturbation symbol, nor H, the Hessian); the cost ratios claimed match m/n."""
    nb = notebook("8-5")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert not re.search(r"\bdef J\w*\(", code) and "grad_{h_2} J" not in code
    assert r"\Delta_\ell H_{\ell-1}^\top" not in source("8-5", "cell-05-params")
    text = source("8-5", "fwd-rev-explain")
    assert "a few times more than one jvp" not in text and "$m/n = 200$" in text


def test_8_6_tau_is_an_inverse_temperature():
    """8.6: tau multiplies the scores, so a growing tau is a falling temperature and a more peaked softmax."""
    text = source("8-6", "cell-22")
    assert "*inverse* temperature" in text and "$1-\\delta$" not in text
    from companion.models import softmax

    s = np.random.default_rng(0).standard_normal(6)
    peaks = [softmax(tau * s).max() for tau in (0.25, 1.0, 4.0, 64.0)]
    assert peaks == sorted(peaks) and peaks[-1] > 0.99
    assert not re.search(r"def J\w*\(", source("8-6", "cell-29"))


def test_8_8_gauss_newton_block_is_h_transpose_kron_B_for_column_vec():
    """8.8, eq-8-8-gauss-newton: with vec stacking columns, d h_L = B_l (dA_l) h_{l-1} has the block h^T kron B_l;
    the batch size is N (not B, which names the backward products)."""
    text = source("8-8", "curv-00")
    assert r"h_{\ell-1}^{(i)\top}\otimes B_{\ell}^{(i)}" in text and r"B_l^{(b)} \otimes" not in text
    assert "/B" not in text and r"Bn \times Bn" not in text and "/B" not in source("8-8", "cell-16")
    from companion import vec

    rng = np.random.default_rng(1)
    B_l, dA, h = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    np.testing.assert_allclose(np.kron(h[None, :], B_l) @ vec(dA), B_l @ dA @ h, atol=1e-12)
    assert not np.allclose(np.kron(B_l, h[None, :]) @ vec(dA), B_l @ dA @ h)


def test_8_8_tanh_above_the_gain_and_the_admonition_closes():
    """8.8: the ML-translation box is closed (no stray fence), and the tanh claim above the gain matches the
    recursion: the per-layer factor settles near 1.05 and the mean square at depth 32 is about 1.4."""
    text = source("8-8", "cell-09")
    assert "``` `companion`" not in text
    assert r"$\chi_{\ell} \approx 1.05$" in text and "only reached about 1.4" in text
    from companion.spectra import predicted_mean_squared_singular_value

    ms = predicted_mean_squared_singular_value(1.25, 400, "tanh")
    assert ms[-1] / ms[-2] == pytest.approx(1.05, abs=0.005)
    assert ms[31] == pytest.approx(1.4, abs=0.05)


def test_8_8_singular_values_printed_with_significant_digits():
    """8.8, cell-04: singular values spanning four decades are printed to 3 significant digits, not rounded to 4
    decimals (which printed 3.000e-04 for 2.7e-04)."""
    assert "np.round(s, 4)" not in source("8-8", "cell-04")


def test_check_gradient_shows_indices_from_1_and_no_contradictory_taylor_line():
    """Readers count from 1 (notation): the mismatch index is 1-based; a rejected gradient whose first Taylor
    direction happens to look second order (8.6, G_S Q for the keys) is not called right by the Taylor line."""
    from companion import check_gradient

    target = np.zeros((2, 3))
    f = lambda X: float(np.sum((X - target) ** 2))  # gradient 2 X
    X = np.ones((2, 3))
    wrong = 2 * X + np.array([[5.0, 0, 0], [0, 0, 0.5]])  # largest error at 0-based (0, 0)
    report = check_gradient(f, X, wrong)
    assert report.where == (0, 0) and "largest at index (1, 1) (counting from 1)" in str(report)
    ns = run_cells("8-6", "cell-01", "cell-05", "cell-11", "cell-15")
    bad = check_gradient(ns["loss_of_K"], ns["K"], ns["G_S"] @ ns["Q"] / np.sqrt(ns["d"]))
    assert not bad and "the linear model is right" not in str(bad)


def test_8_7_adam_metric_shrinks_seven_to_eightfold():
    """8.7, adaptive methods: the printed diag M_1 and diag M_200 of Adam shrink by 7.1 and 7.8, not 'eightfold'."""
    assert "seven- to eightfold" in source("8-7", "adaptive-02")
    from companion import ill_conditioned_quadratic
    from companion.metrics import adaptive_descent

    q = ill_conditioned_quadratic(cond=100.0, rotation=30.0)
    path = adaptive_descent(q, np.array([-2.0, 2.0]), method="adam", eta=0.1, steps=200)
    ratios = path.diagonals[0] / path.diagonals[-1]
    assert ratios.min() > 6.5 and ratios.max() < 8.5, ratios


def test_notation_lists_the_symbols_added_in_review_14():
    notation = (ROOT / "notation.md").read_text()
    assert "| $\\tau$ |" in notation and "*inverse* temperature" in notation
    assert "| $B_\\ell$, $G$ | in {doc}`8.8 <chapters/8-8-jacobian-spectra>`: the backward product" in notation


def test_8_6_6_solution_states_the_row_sum_of_G_S_correctly():
    """8.6, exercise 8.6.6: row i of G_S sums to 1^T J_p g = (J_p 1)^T g = 0 (1^T G_S would be the column sums);
    the columns of G_K sum to zero, those of G_Q need not."""
    from companion.exercises import get

    text = get("8.6.6").solution_text
    assert "$\\mathbf{1}^\\top G_S$'s rows" not in text and "the sum of row $i$ of $G_S$" in text
    ns = run_cells("8-6", "cell-01", "cell-05", "cell-11")
    G_S, Q, K = ns["G_S"], ns["Q"], ns["K"]
    d = Q.shape[1]
    np.testing.assert_allclose(G_S.sum(axis=1), 0, atol=1e-12)
    assert np.abs((G_S.T @ Q / np.sqrt(d)).sum(axis=0)).max() < 1e-12
    assert np.abs((G_S @ K / np.sqrt(d)).sum(axis=0)).max() > 1e-3


def test_ml_translations_do_not_echo_the_chapter_sentences():
    """8.3, 8.5, 8.6, 8.7: four sentences that followed the chapter's own wording closely are rewritten."""
    book = " ".join(" ".join(markdown(p.stem[:3]).split()) for p in CHAPTERS)
    for echo in ("does not choose transposes and outer products", "are not\nhabits of a tensor library",
                 "are not habits of a tensor library", "the calculus of linear maps and their adjoints",
                 "are forced by the Frobenius Riesz identity", "identify covectors with vectors differently"):
        assert echo not in book, echo


def test_intro_and_teaching_call_M_equal_H_newton():
    """intro.md and teaching.md describe the 8.7 explorer as the page does: four paths, Newton for M = H
    (the natural gradient is the Fisher metric's), not 'three metrics ... natural-gradient paths'."""
    intro = (ROOT / "intro.md").read_text()
    assert "natural-gradient paths" not in intro and "*Descent under four metrics*" in intro
    assert "descent under three metrics" not in (ROOT / "teaching.md").read_text()
    assert "## Explorer: descent under four metrics" in source("8-7", "cell-16")



# ----------------------------------------------------------------------------- issue 14, second audit
PROOF_BOX = re.compile(r"^(`{3,4})\{prf:(\w+)\}[^\n]*\n(.*?)^\1\s*$", re.M | re.S)


def prf_boxes(prefix: str) -> list[tuple[str, str, str]]:
    """The page's sphinx-proof boxes, in order: (kind, label or "", content)."""
    boxes = []
    for c in notebook(prefix).cells:
        if c.cell_type != "markdown":
            continue
        for m in PROOF_BOX.finditer(c.source):
            label = re.search(r"^:label: ([\w-]+)$", m.group(3), re.M)
            boxes.append((m.group(2), label.group(1) if label else "", m.group(3)))
    return boxes


def box(prefix: str, label: str, kind: str | None = None) -> str:
    """The content of the box ``label``; with ``kind="proof"``, of the proof box right after it."""
    boxes = prf_boxes(prefix)
    (i,) = [i for i, b in enumerate(boxes) if b[1] == label]
    if kind is None:
        return boxes[i][2]
    assert boxes[i + 1][0] == kind, f"{label}: no {kind} right after it"
    return boxes[i + 1][2]


@pytest.mark.parametrize(
    "prefix, label, kind, equations, also",
    [
        ("8-7", "prop-8-7-steepest", None, ["eq-8-7-steepest"], []),
        ("8-7", "prop-8-7-invariance", "proof", ["eq-8-7-invariance"], [r"B B^\top = I", "orthogonal"]),
        ("8-7", "def-8-7-adaptive", None, ["eq-8-7-adaptive"], [r"\varepsilon"]),
        ("8-8", "def-8-8-mean-square", None, ["eq-8-8-meansq"], []),
        ("8-8", "prop-8-8-linear", None, ["eq-8-8-linear"], []),
        ("8-8", "prop-8-8-layer-norm", None, ["eq-8-8-layer-norm"], [r"\mathrm{LN}(cz) = \mathrm{LN}", "rank $n - 2$"]),
    ],
)
def test_8_7_8_8_boxes_hold_their_statement(prefix, label, kind, equations, also):
    """The definitions, propositions and proofs of 8.7 and 8.8 hold their labelled equations (as in
    8.1-8.6), so the box is the whole statement; the labels stay, so the {eq} links keep working."""
    content = box(prefix, label, kind)
    for eq in equations:
        assert re.search(r"^\$\$ \(" + eq + r"\)$", content, re.M), f"{label}: {eq} is not in the box"
    for text in also:
        assert text in content, f"{label}: {text!r} is not in the box"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_box_stops_mid_statement(path):
    """No box ends on a colon or a comma, or points at an equation 'below' it (the statement continues
    outside the box)."""
    for kind, label, content in prf_boxes(path.stem):
        last = [line for line in content.splitlines() if line.strip()][-1].rstrip()
        assert not last.endswith((":", ",")) and not last.endswith(" is"), f"{path.stem} {label or kind}: ends {last!r}"
        assert "` below" not in content, f"{path.stem} {label or kind}: refers to an equation below the box"


CITED_WHERE_USED = [
    ("8-4", "cell-17", ["griewank2008", "baydin2018"]),  # reverse mode as pullbacks
    ("8-5", "fwd-rev-intro", ["griewank2008", "baydin2018"]),  # forward against reverse mode
    ("8-6", "cell-00", ["vaswani2017"]),  # attention, defined right below in the same cell
    ("8-7", "cell-00", ["amari1998"]),  # the natural gradient, first mention
    ("8-7", "cell-12", ["amari1998", "martens2020"]),  # the natural gradient of a model
    ("8-7", "adaptive-00", ["duchi2011", "tieleman2012", "kingma2015"]),  # AdaGrad, RMSProp, Adam
    ("8-8", "cell-05", ["marchenko1967"]),  # the Marchenko-Pastur law
    ("8-8", "cell-07", ["saxe2014", "pennington2017", "pennington2018"]),  # orthogonal layers, dynamical isometry
    ("8-8", "cell-09", ["he2015"]),  # the critical gain of ReLU
    ("8-8", "norm-00", ["ba2016"]),  # layer norm
    ("8-8", "curv-00", ["martens2020"]),  # the Gauss-Newton matrix
]


@pytest.mark.parametrize("prefix, cell_id, keys", CITED_WHERE_USED, ids=lambda v: v if isinstance(v, str) else None)
def test_sources_are_cited_where_they_are_used(prefix, cell_id, keys):
    """Each source is cited in the text where its subject comes up, not only in the page's "Read
    further" line; the keys exist in references.bib."""
    assert not set(keys) - set(_bib_keys())
    assert cell_id != "before-you-start"
    missing = set(keys) - _cited(source(prefix, cell_id))
    assert not missing, f"{prefix} {cell_id}: {sorted(missing)} not cited there"


def test_adaptive_methods_are_cited_in_their_definition():
    assert {"duchi2011", "tieleman2012", "kingma2015"} <= _cited(box("8-7", "def-8-7-adaptive"))


def test_the_chapter_is_an_entry_of_the_bibliography_and_credited_where_it_is_named():
    bib = (ROOT / "references.bib").read_text()
    entry = re.search(r"^@(\w+)\{tang_ch8,\n(.*?)^\}", bib, re.M | re.S)
    assert entry and entry.group(1) in ("incollection", "inbook")
    fields = dict(re.findall(r"^\s*(\w+)\s*=\s*\{(.*)\},?$", entry.group(2), re.M))
    assert fields["author"] == "Tang, Xujiang" and fields["chapter"] == "8"
    assert fields["title"] == "Matrix Calculus: Differentials, Adjoint Geometry, and Reverse-Mode Learning Dynamics"
    assert "Volume {I}" in fields["booktitle"]
    assert not {"url", "doi", "year"} & set(fields), "no URL, DOI or year is known: none is invented"
    intro = (ROOT / "intro.md").read_text()
    assert "by **Xujiang Tang** {cite}`tang_ch8`" in intro
    assert _cited((ROOT / "teaching.md").read_text()) >= {"tang_ch8"}
    assert "tang_ch8" in _cited((ROOT / "bibliography.md").read_text())
    # the style that lists it undated is registered by the book's extension and selected in _config.yml (the
    # book's environment: the unit tests also run where only the package's requirements are installed)
    import sys

    pytest.importorskip("docutils")
    pytest.importorskip("pybtex")
    yaml = pytest.importorskip("yaml")

    assert yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]["bibtex_default_style"] == "companion"
    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        import companion_book
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    from pybtex.database import parse_string
    from pybtex.plugin import find_plugin

    companion_book.register_bibliography_style()
    style = find_plugin("pybtex.style.formatting", "companion")()
    entries = parse_string(bib, "bibtex").entries
    text = {e.key: e.text.render_as("text") for e in style.format_entries(entries.values())}
    assert text["tang_ch8"].startswith("Xujiang Tang. Matrix calculus: differentials, adjoint geometry")
    assert "chapter 8" in text["tang_ch8"]
    assert text["magnus2019"].endswith("Wiley, third edition, 2019.")  # the other entries as alpha lists them


NOTATION_ROWS = [
    r"| $\otimes$ | the **Kronecker product**",
    r"| $\odot$ | the **entrywise** (Hadamard) product",
    r"| $\varepsilon$ | the **size of a perturbation**",
    r"| $\lambda$, $\lambda_i$ | an eigenvalue",
    r"| $w^\star$, $e_k$ |",
    r"| $s_i$ | in {doc}`8.7 <chapters/8-7-metrics>`: the **score**",
    r"| $c_k$, $m_k$, $v_k$ | adaptive methods",
    r"| $\beta_1$, $\beta_2$ |",
    r"| $s_i$, $s_1\ge\dots\ge s_n$ | in {doc}`8.8 <chapters/8-8-jacobian-spectra>`: the **singular values**",
    r"| $\lambda$, $\nu$, $\rho(t)$ | in {doc}`8.8 <chapters/8-8-jacobian-spectra>`, the Marchenko–Pastur law",
    r"| $\mathrm{LN}$, $P$, $s(z)$ |",
    r"| $J_{\mathrm{LN}}$, $\chi_{\mathrm{LN}}$ |",
]


def test_notation_has_a_row_for_every_symbol_and_resolves_the_clashes():
    notation = (ROOT / "notation.md").read_text()
    for row in NOTATION_ROWS:
        assert row in notation, row
    clashes = notation.split("## Clashes resolved", 1)[1].split("## Terminology bridge")[0]
    for letter in (r"**$\varepsilon$.**", "**$P$.**", "**$s$.**", r"**$\lambda$.**", "**$c$.**"):
        assert f"\n- {letter}" in clashes, letter
    assert r"\varepsilon_{\mathrm{mach}}" in clashes and r"\varepsilon_{\mathrm{mach}}" in source("8-8", "cell-09")
    assert "$n\\,\\varepsilon\\," not in source("8-8", "cell-09"), "machine precision is not the perturbation size"


def test_notation_and_teaching_link_every_section_they_name():
    """Every "8.x" in notation.md and teaching.md is a {doc} link (exercise ids such as 8.2.5 and
    equation numbers such as (8.4.3) are not sections)."""
    for name in ("notation.md", "teaching.md"):
        text = (ROOT / name).read_text()
        text = re.sub(r"\{doc\}`[^`]*`", "", text)
        text = re.sub(r"`[^`\n]*`", "", text)  # code: exercise ids in show("8.3.1")
        for line in text.splitlines():
            assert not re.search(r"(?<![\d.])8\.[1-8](?![.\d])", line), f"{name}: unlinked section in {line!r}"


@pytest.mark.parametrize("name", ["bibliography.md", "teaching.md", "api.md", "intro.md"])
def test_the_other_pages_link_the_notation_page(name):
    assert re.search(r"\{doc\}`(?:[^`<]*<)?notation>?`", (ROOT / name).read_text()), name


def test_8_7_adam_bias_corrections_as_the_code_computes_them():
    """def-8-7-adaptive divides the first average by 1 - beta_1^k and the second by 1 - beta_2^k, and the
    ML translation says that PyTorch's exp_avg / exp_avg_sq are the averages before that correction.
    Both are what companion.metrics.adaptive_descent computes: rebuilt here from the text's formulas."""
    definition = box("8-7", "def-8-7-adaptive")
    assert r"$1 - \beta_1^k$" in definition and r"$1 - \beta_2^k$" in definition
    assert r"1 - \beta^k" not in definition
    ml = source("8-7", "adaptive-00").split("ML translation", 1)[1]
    assert "`exp_avg_sq` is $v_k$" not in ml
    assert "*before* the\nbias correction" in ml and r"$(1 - \beta_2^k)\,v_k$" in ml
    from companion import ill_conditioned_quadratic
    from companion.metrics import adaptive_descent

    q = ill_conditioned_quadratic(cond=100.0, rotation=30.0)
    b1, b2, eps, eta = 0.9, 0.999, 1e-8, 0.1
    path = adaptive_descent(q, np.array([-2.0, 2.0]), method="adam", eta=eta, steps=6, beta1=b1, beta2=b2, eps=eps)
    avg1 = avg2 = np.zeros(2)  # exp_avg, exp_avg_sq: the uncorrected averages
    for k in range(1, 7):
        c = q.differential(path.w[k - 1])
        avg1, avg2 = b1 * avg1 + (1 - b1) * c, b2 * avg2 + (1 - b2) * c * c
        m, v = avg1 / (1 - b1**k), avg2 / (1 - b2**k)
        np.testing.assert_allclose(path.diagonals[k - 1], np.sqrt(v) + eps, rtol=1e-12)  # M_k = diag(sqrt(v_k)) + eps I
        np.testing.assert_allclose(path.w[k] - path.w[k - 1], -eta * m / (np.sqrt(v) + eps), rtol=1e-12)
    assert not np.allclose(np.sqrt(avg2) + eps, path.diagonals[-1]), "the uncorrected average is not v_k"


def test_8_6_saturation_figure_titles_in_the_books_notation():
    code = source("8-6", "cell-27")
    assert "P at tau" not in code and '"tau (inverse' not in code
    assert r'rf"$P$ at $\tau = {tau:g}$"' in code and r'r"$\tau$ (inverse temperature)"' in code



@pytest.mark.book
def test_built_8_7_8_8_boxes_show_their_equations(built_book):
    """In the built pages the numbered equations of the 8.7 and 8.8 statements are inside their boxes."""
    for page, label, equation in [
        ("8-7-metrics", "prop-8-7-steepest", "eq-8-7-steepest"),
        ("8-7-metrics", "def-8-7-adaptive", "eq-8-7-adaptive"),
        ("8-8-jacobian-spectra", "def-8-8-mean-square", "eq-8-8-meansq"),
        ("8-8-jacobian-spectra", "prop-8-8-linear", "eq-8-8-linear"),
        ("8-8-jacobian-spectra", "prop-8-8-layer-norm", "eq-8-8-layer-norm"),
        ("8-7-metrics", "proof", "eq-8-7-invariance"),
    ]:
        html = (built_book / "chapters" / f"{page}.html").read_text(encoding="utf-8")
        target = html.index(f'id="equation-{equation}"')
        opened = []  # the <div> elements open at the equation
        for m in re.finditer(r"<div\b[^>]*>|</div>", html[:target]):
            if m.group(0) == "</div>":
                opened.pop()
            else:
                opened.append(m.group(0))
        assert any(f'id="{label}"' in div and "proof" in div for div in opened), f"{page}: {equation} outside {label}"


@pytest.mark.book
def test_built_front_pages_link_notation_and_credit_the_chapter(built_book):
    for page in ("bibliography.html", "teaching.html", "api.html", "intro.html"):
        body = (built_book / page).read_text(encoding="utf-8").split("<main", 1)[-1]
        assert 'href="notation.html' in body, f"{page}: no link to the notation page"
    intro = (built_book / "intro.html").read_text(encoding="utf-8")
    cite = r'Xujiang Tang</strong> <span class="bibtex-citation"[^>]*>\[<a [^>]*href="bibliography\.html#'
    assert re.search(cite, intro), "the chapter's citation on the landing page links the bibliography"
