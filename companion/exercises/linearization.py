"""Exercises for 8.1: a matrix is a linear map; a derivative is the linear map that best fits.

- 8.1.1 the Jacobian of a map of the plane at a point (array; drill);
- 8.1.2 the array of a linear map ``R^3 -> R^2`` in new bases of both spaces (array; drill);
- 8.1.3 the differential of ``X -> X^2``, written as a function ``dF(X, dX)`` (drill);
- 8.1.4 the differential of ``X -> X^{-1}``, as a function (drill);
- 8.1.5 the differential of the normalization ``x -> x / |x|``, as a function (transfer);
- 8.1.6 which properties of an array belong to the linear map (choice; concept).
"""

from __future__ import annotations

import numpy as np

from .evidence import differential_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.1.1


def _F_plane(x):
    """``F(x) = (x1^2 x2, cos(x1 x2))``: (2,) -> (2,)."""
    return np.array([x[0] ** 2 * x[1], np.cos(x[0] * x[1])])


def _jac_plane(x0, *, product_rule=True, cos_sign=-1.0, inner=True):
    x1, x2 = x0
    s = np.sin(x1 * x2)
    row1 = [2 * x1 * x2 if product_rule else 2 * x1, x1**2]
    row2 = [cos_sign * x2 * s, cos_sign * x1 * s] if inner else [cos_sign * s, cos_sign * s]
    return np.array([row1, row2])


def _jac_evidence(data, J):
    v = np.array([0.6, -0.8])
    return _F_plane, data["x0"], v, J @ v


jacobian_plane = Exercise(
    id="8.1.1",
    title="The Jacobian of a map of the plane",
    level="easy",
    category="drill",
    statement=r"""
The map $F:\mathbb{R}^2\to\mathbb{R}^2$, $F(x) = \big(x_1^2\,x_2,\ \cos(x_1 x_2)\big)$, is
differentiable everywhere. Its differential at $x_0$ is a linear map of the plane, and in the
standard bases that map is a $2\times 2$ matrix $J$: row $i$ holds the partial derivatives of
the output $F_i$, column $j$ those with respect to the input $x_j$, so that
$F(x_0+\delta x)\approx F(x_0) + J\,\delta x$.

Compute $J$ at the point `x0` of the data.
""",
    build=lambda rng: {"x0": np.array([0.8, -1.5])},
    solution=lambda x0: _jac_plane(x0),
    mistakes=(
        Mistake("the derivative of cos taken as +sin", lambda x0: _jac_plane(x0, cos_sign=1.0),
                "d/du cos(u) = -sin(u): the second row has the wrong sign"),
        Mistake("chain rule: the inner derivative of cos(x1 x2) is missing", lambda x0: _jac_plane(x0, inner=False),
                "cos(x1 x2) depends on x1 through u = x1 x2: multiply -sin(u) by du/dx1 = x2 (and by du/dx2 = x1)"),
        Mistake("product rule: dropped x2 in d(x1^2 x2)/dx1", lambda x0: _jac_plane(x0, product_rule=False),
                "x2 is a constant when differentiating in x1: d(x1^2 x2)/dx1 = 2 x1 x2"),
        Mistake("J^T: rows and columns swapped (inputs in the rows)", lambda x0: _jac_plane(x0).T,
                "row i of the Jacobian belongs to the output F_i and column j to the input x_j (J_ij = dF_i/dx_j), "
                "so that J dx is the change of F; your array has the inputs in its rows. Put the partial "
                "derivatives of F_1 in the first row and those of F_2 in the second"),
    ),
    hints=(
        r"Row $i$ of $J$ belongs to the output $F_i$, column $j$ to the input $x_j$: "
        r"$J_{ij} = \partial F_i/\partial x_j$.",
        r"The first output is a product: differentiate $x_1^2x_2$ in $x_1$ with $x_2$ held fixed, then in "
        r"$x_2$ with $x_1$ held fixed.",
        r"For the second output use the chain rule through $u = x_1x_2$: "
        r"$\partial \cos u/\partial x_j = -\sin u\;\partial u/\partial x_j$.",
    ),
    solution_text=r"""
Differentiate each output in each input. For $F_1 = x_1^2x_2$,
$\partial F_1/\partial x_1 = 2x_1x_2$ and $\partial F_1/\partial x_2 = x_1^2$. For $F_2 = \cos u$ with
$u = x_1x_2$, the chain rule gives $\partial F_2/\partial x_j = -\sin(u)\,\partial u/\partial x_j$, that is
$-x_2\sin(x_1x_2)$ and $-x_1\sin(x_1x_2)$. Rows are outputs, columns are inputs:

$$
J = \begin{pmatrix} 2x_1x_2 & x_1^2 \\ -x_2\sin(x_1x_2) & -x_1\sin(x_1x_2)\end{pmatrix},
$$

evaluated at $x_0$. The check is the Taylor test ({prf:ref}`prop-8-1-taylor-test`):
$\|F(x_0+\varepsilon v) - F(x_0) - \varepsilon Jv\|$
shrinks like $\varepsilon^2$. The transposed array fails it (slope 1), because $J$ is not symmetric here.
""",
    solution_code="""\
x1, x2 = x0
s = np.sin(x1 * x2)
solution = np.array([[2 * x1 * x2, x1**2],
                     [-x2 * s, -x1 * s]])
""",
    evidence=differential_evidence(_jac_evidence),
)

# ----------------------------------------------------------------------------- 8.1.2


def _basis_data(rng):
    A = np.round(rng.standard_normal((2, 3)), 2)
    B = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0], [1.0, 0.0, 1.0]]) + np.round(0.3 * rng.standard_normal((3, 3)), 2)
    C = np.array([[1.0, 1.0], [0.0, 2.0]]) + np.round(0.3 * rng.standard_normal((2, 2)), 2)
    return {"A": A, "B": B, "C": C}


def _basis_evidence(data, K):
    A, B, C = data["A"], data["B"], data["C"]
    c = np.array([0.3, -1.1, 0.7])
    image = A @ (B @ c)
    gap = np.linalg.norm(image - C @ (K @ c)) / np.linalg.norm(image)
    return (f"for the coordinates c = (0.3, -1.1, 0.7): T(B c) = A B c and C (K c) differ by {gap:.1e} "
            "(relative)")


change_of_basis = Exercise(
    id="8.1.2",
    title="The same linear map in other bases",
    level="easy",
    category="drill",
    statement=r"""
A linear map $T:\mathbb{R}^3\to\mathbb{R}^2$ has the matrix $A$ in the standard bases: $T(x) = Ax$.
Take a new basis of $\mathbb{R}^3$, the columns of the invertible $3\times 3$ matrix $B$, and a new
basis of $\mathbb{R}^2$, the columns of the invertible $2\times 2$ matrix $C$: the vector of
$\mathbb{R}^3$ with new coordinates $c$ is $Bc$, the vector of $\mathbb{R}^2$ with new coordinates $d$
is $Cd$.

Find the matrix $K$ of the same map $T$ in the new bases: the matrix that takes the new
coordinates of $x$ to the new coordinates of $T(x)$.
""",
    build=_basis_data,
    solution=lambda A, B, C: np.linalg.solve(C, A @ B),
    mistakes=(
        Mistake("C A B^-1: converted in the wrong direction", lambda A, B, C: C @ A @ np.linalg.inv(B),
                "B turns new coordinates of R^3 into standard ones, so first apply B to c, then A; "
                "then go from the standard coordinates of R^2 back to new ones with C^-1"),
        Mistake("A B: the output was not converted back", lambda A, B, C: A @ B,
                "A B c is T(x) in the standard coordinates of R^2; its new coordinates d solve C d = A B c"),
        Mistake("C^-1 A: the input was not converted", lambda A, B, C: np.linalg.solve(C, A),
                "A acts on standard coordinates, so the new coordinates c must first become the vector B c"),
    ),
    hints=(
        r"Follow one vector around: its new coordinates $c$ describe the vector $Bc$ of $\mathbb{R}^3$.",
        r"Apply the map in the coordinates it is known in: $T(Bc) = ABc$, a vector of $\mathbb{R}^2$ in "
        r"standard coordinates.",
        r"The new coordinates $d$ of a vector $y$ of $\mathbb{R}^2$ are the solution of $Cd = y$; compose the "
        r"three steps.",
    ),
    solution_text=r"""
New coordinates $c$ describe $x = Bc$; the map sends it to $Ax = ABc$ (standard coordinates of
$\mathbb{R}^2$); the new coordinates $d$ of that image solve $Cd = ABc$, so $d = C^{-1}ABc$. The
map $c\mapsto d$ is linear with the $2\times 3$ matrix

$$
K = C^{-1}AB .
$$

With one space and one basis ($C = B$, $A$ square) this is the page's $B^{-1}AB$. In code, solve
with $C$ rather than forming $C^{-1}$.
""",
    solution_code="""\
solution = np.linalg.solve(C, A @ B)   # C^-1 A B, without forming the inverse
""",
    evidence=_basis_evidence,
)

# ----------------------------------------------------------------------------- 8.1.3


def _square_trials(rng, **_):
    return [(rng.standard_normal((n, n)), rng.standard_normal((n, n))) for n in (2, 3, 4, 3)]


def _square_data(rng):
    return {"X": rng.standard_normal((3, 3)), "dX": rng.standard_normal((3, 3))}


def _square_evidence(data, dF):
    X, dX = data["X"], data["dX"]
    return (lambda Z: Z @ Z), X, dX, dF(X, dX)


differential_square = Exercise(
    id="8.1.3",
    title="The differential of the matrix square",
    level="medium",
    category="drill",
    kind="function",
    signature="dF(X, dX)",
    statement=r"""
Let $F(X) = X^2 = XX$ on square matrices. Its differential at $X$ is a linear map
$\Delta X \mapsto dF_X[\Delta X]$, the part of $F(X + \Delta X) - F(X)$ that is linear in
$\Delta X$.

Write a function `dF(X, dX)` that returns $dF_X[\Delta X]$ for square arrays `X`, `dX` of the
same size (any size). The data hold one example pair; your function is also tried on others.
""",
    build=_square_data,
    solution=lambda X, dX: (lambda X, dX: X @ dX + dX @ X),
    trials=_square_trials,
    mistakes=(
        Mistake("2 X dX: the scalar rule, but matrices do not commute", lambda X, dX: (lambda X, dX: 2 * X @ dX),
                "expand (X + dX)(X + dX) = X^2 + X dX + dX X + dX^2: the two middle terms differ when X dX != dX X"),
        Mistake("only X dX: one of the two first-order terms is missing", lambda X, dX: (lambda X, dX: X @ dX),
                "the perturbation enters through both factors of X X: keep X dX and dX X"),
        Mistake("only dX X: one of the two first-order terms is missing", lambda X, dX: (lambda X, dX: dX @ X),
                "the perturbation enters through both factors of X X: keep X dX and dX X"),
        Mistake("F(X + dX) - F(X): the whole change, with the second-order term dX dX",
                lambda X, dX: (lambda X, dX: X @ dX + dX @ X + dX @ dX),
                "the differential is the part of the change that is linear in dX: of the four products, drop dX dX, "
                "which is of degree 2"),
    ),
    hints=(
        r"Write $F(X + \Delta X) = (X + \Delta X)(X + \Delta X)$ and multiply out: four products.",
        r"Sort the products by their degree in $\Delta X$: degree 0 is $F(X)$, degree 2 is "
        r"$o(\|\Delta X\|)$ and drops out of the differential.",
        r"Keep the order of every product: $X\,\Delta X$ and $\Delta X\,X$ are different matrices, and both "
        r"are of degree 1.",
    ),
    solution_text=r"""
Multiply out:

$$
(X + \Delta X)(X + \Delta X) = X^2 + X\,\Delta X + \Delta X\,X + \Delta X^2 .
$$

The last term satisfies $\|\Delta X^2\| \le \|\Delta X\|^2 = o(\|\Delta X\|)$, so by the definition of the
differential ({prf:ref}`def-8-1-differential`)

$$
dF_X[\Delta X] = X\,\Delta X + \Delta X\,X .
$$

It equals the scalar rule's $2X\,\Delta X$ only when $X$ and $\Delta X$ commute, which is not the case
for most directions $\Delta X$.
""",
    solution_code="""\
def dF(X, dX):
    \"\"\"dF_X[dX] = X dX + dX X for F(X) = X^2; X, dX: (n, n).\"\"\"
    return X @ dX + dX @ X

solution = dF
""",
    evidence=differential_evidence(_square_evidence),
)

# ----------------------------------------------------------------------------- 8.1.4


def _well_conditioned(rng, n):
    return 2.0 * np.eye(n) + 0.4 * rng.standard_normal((n, n))


def _inverse_trials(rng, **_):
    return [(_well_conditioned(rng, n), rng.standard_normal((n, n))) for n in (2, 3, 4, 3)]


def _inverse_data(rng):
    return {"X": _well_conditioned(rng, 3), "dX": rng.standard_normal((3, 3))}


def _inverse_evidence(data, dF):
    X, dX = data["X"], data["dX"]
    return np.linalg.inv, X, dX, dF(X, dX)


def _inv_dF(X, dX):
    Xi = np.linalg.inv(X)
    return -Xi @ dX @ Xi


differential_inverse = Exercise(
    id="8.1.4",
    title="The differential of the matrix inverse",
    level="hard",
    category="drill",
    kind="function",
    signature="dF(X, dX)",
    statement=r"""
Let $F(X) = X^{-1}$ on invertible square matrices. Write a function `dF(X, dX)` returning
the differential $dF_X[\Delta X]$: the first-order change of $X^{-1}$ when $X$ moves to
$X + \Delta X$.

Check your formula yourself before submitting it: with `companion.taylor_test(np.linalg.inv, X, dX, dF(X, dX))`
the remainder should shrink like $\varepsilon^2$.
""",
    build=_inverse_data,
    solution=lambda X, dX: _inv_dF,
    trials=_inverse_trials,
    mistakes=(
        Mistake("-X^-2 dX: the scalar rule d(1/x) = -dx/x^2", lambda X, dX: (lambda X, dX: -np.linalg.inv(X @ X) @ dX),
                "matrices do not commute: dX must sit between the two inverses, -X^-1 dX X^-1"),
        Mistake("X^-1 dX X^-1: the minus sign is lost", lambda X, dX: (lambda X, dX: -_inv_dF(X, dX)),
                "differentiate X X^-1 = I: dX X^-1 + X d(X^-1) = 0, so d(X^-1) = -X^-1 dX X^-1"),
        Mistake("(X + dX)^-1 - X^-1: the whole change, not its linear part",
                lambda X, dX: (lambda X, dX: np.linalg.inv(X + dX) - np.linalg.inv(X)),
                "a difference of inverses is the change for this dX, with all its higher-order terms; the "
                "differential is the linear map dX -> d(X^-1): differentiate X X^-1 = I instead"),
    ),
    hints=(
        r"Do not expand $(X + \Delta X)^{-1}$: start from the identity that defines the inverse, "
        r"$X\,X^{-1} = I$, whose right side does not move.",
        r"Differentiate both sides with the product rule $d(XY) = dX\,Y + X\,dY$, keeping the order of the factors.",
        r"Solve the resulting linear equation for $d(X^{-1})$, multiplying by $X^{-1}$ on the side where $X$ stands.",
    ),
    solution_text=r"""
Differentiate $X\,X^{-1} = I$ along $\Delta X$ with the product rule (the right side is constant):

$$
\Delta X\,X^{-1} + X\,d(X^{-1})[\Delta X] = 0 .
$$

Multiply on the left by $X^{-1}$:

$$
d(X^{-1})[\Delta X] = -X^{-1}\,\Delta X\,X^{-1} .
$$

For $1\times 1$ matrices this is the scalar rule $-\Delta x/x^2$; for matrices $\Delta X$ must stay
between the two inverses, since the factors do not commute.
""",
    solution_code="""\
def dF(X, dX):
    \"\"\"d(X^-1)[dX] = -X^-1 dX X^-1; X invertible (n, n), dX (n, n).\"\"\"
    Xi = np.linalg.inv(X)
    return -Xi @ dX @ Xi

solution = dF
""",
    evidence=differential_evidence(_inverse_evidence),
)

# ----------------------------------------------------------------------------- 8.1.5


def _normalize_dN(x, dx):
    """``dN_x[dx] = (dx - u u^T dx) / |x|`` with ``u = x / |x|``, for ``N(x) = x / |x|``."""
    r = np.linalg.norm(x)
    u = x / r
    return (dx - u * (u @ dx)) / r


def _normalize_wrong(kind):
    def dN(x, dx):
        r = np.linalg.norm(x)
        u = x / r
        if kind == "no length change":
            return dx / r
        if kind == "sign":
            return (dx + u * (u @ dx)) / r
        return dx / r - x * (x @ dx) / r**2  # d|x| taken as x^T dx
    return dN


def _normalize_data(rng):
    return {"x": rng.standard_normal(4) + np.array([1.0, 0.0, 0.0, 0.0]), "dx": rng.standard_normal(4)}


def _normalize_trials(rng, **_):
    return [(rng.standard_normal(d) + 0.5, rng.standard_normal(d)) for d in (2, 3, 5, 8)]


def _normalize_evidence(data, dN):
    x, dx = data["x"], data["dx"]
    return (lambda z: z / np.linalg.norm(z)), x, dx, dN(x, dx)


normalization = Exercise(
    id="8.1.5",
    title="The differential of a normalization",
    level="medium",
    category="transfer",
    kind="function",
    signature="dN(x, dx)",
    statement=r"""
Normalization layers rescale a vector to a fixed length. The simplest one is
$N(x) = x/\|x\|$ on $\mathbb{R}^d$ without the origin ($\|\cdot\|$ the Euclidean norm): it maps every
nonzero vector onto the unit sphere.

Write a function `dN(x, dx)` that returns the differential $dN_x[\delta x]$ for vectors `x`
(nonzero) and `dx` of the same length $d$ (any $d$). The data hold one example pair; your function
is also tried on others.
""",
    build=_normalize_data,
    solution=lambda x, dx: _normalize_dN,
    trials=_normalize_trials,
    mistakes=(
        Mistake("dx / |x|: the change of the length was ignored", lambda x, dx: _normalize_wrong("no length change"),
                "|x| moves too when x moves: N(x) = s(x) x with s(x) = 1/|x|, so dN = ds x + s dx, and ds is not 0"),
        Mistake("(dx + u u^T dx) / |x|: the sign of d(1/|x|)", lambda x, dx: _normalize_wrong("sign"),
                "1/|x| decreases when |x| grows: d(1/|x|) = -d|x| / |x|^2, so the radial term is subtracted"),
        Mistake("d|x| taken as x^T dx: the 1/|x| of d|x| is missing", lambda x, dx: _normalize_wrong("d|x|"),
                "|x| = (x^T x)^(1/2), so d|x| = (1/2)(x^T x)^(-1/2) 2 x^T dx = x^T dx / |x|"),
    ),
    hints=(
        r"Write $N(x) = s(x)\,x$ with the number $s(x) = 1/\|x\|$ and use the product rule: "
        r"$dN = ds\;x + s\;\delta x$.",
        r"$\|x\| = (x^\top x)^{1/2}$: differentiate it by the chain rule, then $s = 1/\|x\|$ by the scalar rule.",
        r"Collect the two terms with the unit vector $u = x/\|x\|$: one of them is a multiple of $u$, "
        r"with the coefficient $u^\top\delta x$.",
    ),
    solution_text=r"""
Write $N(x) = s(x)\,x$ with $s(x) = \|x\|^{-1}$. From $\|x\|^2 = x^\top x$, $\;2\|x\|\,d\|x\| = 2x^\top\delta x$, so
$d\|x\| = x^\top\delta x/\|x\|$ and $ds = -d\|x\|/\|x\|^2 = -x^\top\delta x/\|x\|^3$. The product rule gives

$$
dN_x[\delta x] = \frac{\delta x}{\|x\|} - \frac{x\,(x^\top\delta x)}{\|x\|^3}
= \frac{1}{\|x\|}\big(I - uu^\top\big)\,\delta x, \qquad u = \frac{x}{\|x\|}.
$$

$I - uu^\top$ is the orthogonal projection onto the plane perpendicular to $u$, the tangent plane of
the sphere at $N(x)$: moving $x$ along itself does not move $N(x)$ ($dN_x[x] = 0$), and a sideways
step of length $h$ moves it by $h/\|x\|$. The Jacobian is symmetric, so for the Euclidean
inner product this map is its own adjoint.
""",
    solution_code="""\
def dN(x, dx):
    \"\"\"dN_x[dx] = (dx - u (u^T dx)) / |x| with u = x / |x|; x nonzero (d,), dx (d,).\"\"\"
    r = np.linalg.norm(x)
    u = x / r
    return (dx - u * (u @ dx)) / r

solution = dN
""",
    evidence=differential_evidence(_normalize_evidence),
)

# ----------------------------------------------------------------------------- 8.1.6

invariants = Exercise(
    id="8.1.6",
    title="What belongs to the map, and what to the array",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
A linear map $T$ of $\mathbb{R}^3$ has the array $A$ in the standard basis and the array $B^{-1}AB$
in the basis formed by the columns of an invertible $B$
({prf:ref}`prop-8-1-change-of-basis`). Which of the following are
properties of the map $T$ itself, that is, the same for the array in **every** basis?
""",
    options=(
        Option("a", r"the trace", True,
               r"right: by cyclicity, $\mathrm{tr}(B^{-1}AB) = \mathrm{tr}(ABB^{-1}) = \mathrm{tr}(A)$ for every "
               r"invertible $B$"),
        Option("b", r"the determinant", True,
               r"right: the determinant is multiplicative, "
               r"$\det(B^{-1}AB) = \det(B)^{-1}\det(A)\det(B) = \det A$"),
        Option("c", r"the eigenvalues", True,
               r"right: $B^{-1}AB - \lambda I = B^{-1}(A - \lambda I)B$, so both arrays have the same characteristic "
               r"polynomial; an eigenvector $v$ of $A$ becomes the coordinates $B^{-1}v$"),
        Option("d", r"whether the array is symmetric", False,
               r"wrong: an orthonormal basis ($B^{-1} = B^\top$) keeps a symmetric array symmetric, a general one "
               r"does not (the page shows it). Symmetry is a property of the map *and an inner product*: "
               r"self-adjointness, 8.4"),
        Option("e", r"the Frobenius norm of the array", False,
               r"wrong: it is kept by orthonormal changes of basis only; on the page a general basis takes "
               r"$\|S\|_F$ from 3.77 to 13.07. Sizes of entries need an inner product to mean anything"),
        Option("f", r"the entry in row 1, column 1", False,
               r"wrong: entries are coordinates. The $(1,1)$ entry of $B^{-1}AB$ is the first coordinate of "
               r"$T(b_1)$ in the new basis, which changes with $b_1$"),
        Option("g", r"the singular values of the array", False,
               r"wrong: they are the square roots of the eigenvalues of $A^\top A$, and the transpose is the adjoint "
               r"for the standard inner product: $(B^{-1}AB)^\top(B^{-1}AB) = B^\top A^\top(BB^\top)^{-1}AB$, similar "
               r"to $A^\top A$ when $BB^\top = I$ but not for a general $B$. Their squares sum to $\|A\|_F^2$, which "
               r"(e) shows to change; what survives of them is their product $|\det A|$ and how many are non-zero "
               r"(the rank, (i)), not their sizes"),
        Option("h", r"the trace of $A^2$", True,
               r"right: $(B^{-1}AB)^2 = B^{-1}A^2B$, so $A^2$ changes basis by the same rule and (a) applies to it; "
               r"it is $\sum_i\lambda_i^2$, a function of the eigenvalues. Compare $\mathrm{tr}(A^\top A) = "
               r"\|A\|_F^2$ in (e): the transpose, not the square, is what needs an inner product"),
        Option("i", r"the rank", True,
               r"right: multiplying by the invertible $B$ and $B^{-1}$ does not change the rank; it is the "
               r"dimension of the image of $T$, defined without coordinates"),
    ),
    hints=(
        r"Test each candidate on $B^{-1}AB$: does it give the same as for $A$, whatever the invertible $B$?",
        r"Tools that decide several at once: $\mathrm{tr}(PQ) = \mathrm{tr}(QP)$, $\det(PQ) = \det P\det Q$, "
        r"$B^{-1}AB - \lambda I = B^{-1}(A-\lambda I)B$, and $(B^{-1}AB)^k = B^{-1}A^kB$.",
        r"The transpose is the adjoint for the standard inner product, and $(B^{-1}AB)^\top = B^\top A^\top B^{-\top}$ "
        r"is not $B^{-1}A^\top B$ in general, unless $B^{-1} = B^\top$. So look for a transpose in each candidate's "
        r"definition, and test the suspects on a basis that is not orthonormal, e.g. $B = \mathrm{Diag}(1, 1, 10)$.",
    ),
    solution_text=r"""
The trace, the determinant and the eigenvalues are the same for $A$ and $B^{-1}AB$:
$\mathrm{tr}(B^{-1}AB) = \mathrm{tr}(ABB^{-1}) = \mathrm{tr}A$; $\det(B^{-1}AB) = \det A$ because the
determinant is multiplicative; and $\det(B^{-1}AB - \lambda I) = \det\big(B^{-1}(A - \lambda I)B\big)
= \det(A - \lambda I)$ gives the same characteristic polynomial. So (a), (b), (c). The same argument covers
powers: $(B^{-1}AB)^2 = B^{-1}A^2B$, so $\mathrm{tr}(A^2) = \sum_i\lambda_i^2$ is kept (h); and the rank is
kept because invertible factors do not change it (i).

Everything defined through a transpose uses the standard inner product as well as the map. Symmetry, the
Frobenius norm $\|A\|_F^2 = \mathrm{tr}(A^\top A)$ and the singular values (the square roots of the eigenvalues
of $A^\top A$) survive orthonormal changes of basis only, and single entries not even those (a rotation of
the plane moves the entries of most arrays). With $B = \mathrm{Diag}(1, 1, 10)$ the entry $(1, 3)$ of
$B^{-1}AB$ is $10A_{13}$ and the entry $(3, 1)$ is $A_{31}/10$: a symmetric $A$ with $A_{13}\neq 0$ stops being
symmetric, and the norm, the singular values and the entries change (d, e, f, g). Of the singular values only
their product, $|\det A|$, and the number of non-zero ones, the rank, stay. The answer is (a), (b), (c), (h), (i).
""",
)

register(jacobian_plane, change_of_basis, differential_square, differential_inverse, normalization, invariants)
