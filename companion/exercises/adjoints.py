"""Exercises for 8.4: the adjoint, defined by <A v, w> = <v, A* w>, and the pullback.

- 8.4.1 the adjoint of ``X -> M * (A X B)`` (a product, then a mask): ``Y -> A^T (M * Y) B^T`` (a function);
- 8.4.2 the adjoint of a composition ``B A`` under three metrics: ``M_x^{-1} A^T B^T M_z`` (array);
- 8.4.3 pulling a covector back through ``x -> A tanh(B x)`` (array);
- 8.4.4 the adjoint of ``X -> A X + X^T B`` (a function);
- 8.4.5 (transfer) the pullback through two residual blocks ``x -> x + A tanh(B x)`` (array);
- 8.4.6 (concept) why pullbacks are taken in reverse order;
- 8.4.7 (concept) which statements survive a change of basis (the dual map's transpose does, the adjoint's does not).
"""

from __future__ import annotations

import numpy as np

from .evidence import adjoint_evidence, gradient_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES

# ----------------------------------------------------------------------------- 8.4.1


def _masked_axb_data(rng):
    return {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((4, 4)), "Y": rng.standard_normal((3, 4)),
            "M": np.array([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])}


def _axb_trials(rng, A, B, Y, M):
    return [(rng.standard_normal(Y.shape),) for _ in range(3)]


adjoint_AXB = Exercise(
    id="8.4.1",
    title="The adjoint of X -> A X B, then a mask",
    level="easy",
    category="drill",
    kind="function",
    signature="adjoint(Y)",
    statement=r"""
Fix $A\in\mathbb{R}^{3\times3}$, $B\in\mathbb{R}^{4\times4}$ and a 0/1 mask $M\in\mathbb{R}^{3\times4}$ (in the data)
and let $\mathcal{A}(X) = M\odot(AXB)$: the product $AXB$, then the entries where $M$ is $0$ set to $0$ ($\odot$ is
the entrywise product, as in a masked loss). $\mathcal{A}$ is a linear map from $\mathbb{R}^{3\times4}$ to itself;
give both sides the Frobenius inner product. Write a function `adjoint(Y)` returning $\mathcal{A}^*(Y)$, the map
with $\langle \mathcal{A}(X), Y\rangle_F = \langle X, \mathcal{A}^*(Y)\rangle_F$ for all $X, Y$. Your function may
use the data's `A`, `B` and `M` as fixed matrices.
""",
    build=_masked_axb_data,
    solution=lambda A, B, Y, M: (lambda Y: A.T @ (M * Y) @ B.T),
    trials=_axb_trials,
    mistakes=(
        Mistake("A^T Y B^T: the mask was left out", lambda A, B, Y, M: (lambda Y: A.T @ Y @ B.T),
                "the map masks its output, so entries of Y where M is 0 pair with nothing: "
                "<M * Z, Y>_F = <Z, M * Y>_F. The mask acts on Y before A^T and B^T do"),
        Mistake("M * (A^T Y B^T): the mask applied last", lambda A, B, Y, M: (lambda Y: M * (A.T @ Y @ B.T)),
                "the mask was the last step of the map, so its adjoint is the first step of the adjoint: "
                "(P o Q)* = Q* o P*. Mask Y, then apply Y -> A^T Y B^T"),
        Mistake("A (M * Y) B: the map's own factors, not transposed", lambda A, B, Y, M: (lambda Y: A @ (M * Y) @ B),
                "tr((A Z B)^T Y) = tr(Z^T A^T Y B^T) after cycling B^T to the end: A and B cross the pairing "
                "as A^T and B^T"),
        Mistake("A^T (M * Y) B: B was not transposed", lambda A, B, Y, M: (lambda Y: A.T @ (M * Y) @ B),
                "B multiplies X on the right; moving it across the pairing transposes it as well: ... B^T"),
        Mistake("M * (A Y B): the map itself, it is not self-adjoint", lambda A, B, Y, M: (lambda Y: M * (A @ Y @ B)),
                "the adjoint is the map with <A(X), Y>_F = <X, A*(Y)>_F: move each step of the map across the pairing "
                "(the mask stays a mask, A and B become A^T and B^T), and reverse their order"),
    ),
    hints=(
        r"$\mathcal{A}$ is a composition of two linear maps: $X\mapsto AXB$, then $Z\mapsto M\odot Z$. Find the "
        r"adjoint of each.",
        r"The mask is its own adjoint: $\langle M\odot Z, Y\rangle_F = \sum_{ij} M_{ij}Z_{ij}Y_{ij} "
        r"= \langle Z, M\odot Y\rangle_F$.",
        r"The adjoint of a composition applies the adjoints in the reverse order, last step first "
        r"(the proposition on pullbacks in reverse order).",
    ),
    solution_text=r"""
Write $\mathcal{A} = \mathcal{M}\circ\mathcal{P}$ with $\mathcal{P}(X) = AXB$ and $\mathcal{M}(Z) = M\odot Z$.
The mask is self-adjoint, $\langle M\odot Z, Y\rangle_F = \sum_{ij}M_{ij}Z_{ij}Y_{ij} = \langle Z, M\odot Y\rangle_F$,
and by the cyclic rule

$$
\langle AXB, Y\rangle_F = \mathrm{tr}(B^\top X^\top A^\top Y) = \mathrm{tr}\big(X^\top A^\top Y B^\top\big)
= \langle X, A^\top Y B^\top\rangle_F ,
$$

so $\mathcal{P}^*(Y) = A^\top Y B^\top$. The adjoint of the composition reverses the order:

$$
\mathcal{A}^*(Y) = \mathcal{P}^*\big(\mathcal{M}^*(Y)\big) = A^\top\,(M\odot Y)\,B^\top .
$$
""",
    solution_code="""\
def adjoint(Y):
    \"\"\"A*(Y) = A^T (M * Y) B^T for A(X) = M * (A X B); Y (3, 4) -> (3, 4).\"\"\"
    return A.T @ (M * Y) @ B.T

solution = adjoint
""",
    evidence=adjoint_evidence(lambda data, adj: ((lambda X: data["M"] * (data["A"] @ X @ data["B"])), adj, (3, 4),
                                                 None, None)),
)

# ----------------------------------------------------------------------------- 8.4.2


def _spd(rng, n, shift):
    C = rng.standard_normal((n, n))
    return C @ C.T + shift * np.eye(n)


def _composition_data(rng):
    return {"A": rng.standard_normal((3, 2)), "B": rng.standard_normal((4, 3)), "M_x": _spd(rng, 2, 0.5),
            "M_y": _spd(rng, 3, 0.5), "M_z": _spd(rng, 4, 0.5)}


metric_adjoint = Exercise(
    id="8.4.2",
    title="The adjoint of a composition under metrics",
    level="medium",
    category="drill",
    statement=r"""
The matrices $A\in\mathbb{R}^{3\times2}$ and $B\in\mathbb{R}^{4\times3}$ map $V = \mathbb{R}^2$ to
$W = \mathbb{R}^3$ and $W$ to $U = \mathbb{R}^4$. Each space carries its own inner product:
$\langle v, v'\rangle_V = v^\top M_x v'$, $\langle w, w'\rangle_W = w^\top M_y w'$ and
$\langle u, u'\rangle_U = u^\top M_z u'$ (all SPD, in the data as `M_x`, `M_y`, `M_z`).

Find the $2\times 4$ matrix of the adjoint $C^*$ of the composition $C = BA: V\to U$, defined by
$\langle Cv, u\rangle_U = \langle v, C^*u\rangle_V$ for all $v, u$.
""",
    build=_composition_data,
    solution=lambda A, B, M_x, M_y, M_z: np.linalg.solve(M_x, A.T @ B.T @ M_z),
    mistakes=(
        Mistake("M_x^-1 A^T M_y B^T M_z: the middle metric kept",
                lambda A, B, M_x, M_y, M_z: np.linalg.solve(M_x, A.T @ M_y @ B.T @ M_z),
                "B* = M_y^-1 B^T M_z: the adjoint of B ends in the Riesz map of W, M_y^-1, which cancels the M_y of "
                "A* = M_x^-1 A^T M_y. The metric of the middle space drops out of (B A)* = A* B*"),
        Mistake("(B A)^T: the Euclidean adjoint, the metrics were ignored", lambda A, B, M_x, M_y, M_z: A.T @ B.T,
                "A^T B^T is the adjoint for the dot products only; write (C v)^T M_z u = v^T M_x (C* u) for all v, u"),
        Mistake("M_x A^T B^T M_z^-1: the metrics inverted the wrong way",
                lambda A, B, M_x, M_y, M_z: M_x @ A.T @ B.T @ np.linalg.inv(M_z),
                "from v^T C^T M_z u = v^T M_x C* u for all v: M_x C* = C^T M_z, so C* = M_x^-1 C^T M_z"),
        Mistake("A^T B^T M_z: M_x^-1 is missing", lambda A, B, M_x, M_y, M_z: A.T @ B.T @ M_z,
                "C^T M_z u is the covector v -> <C v, u>_U; turning it into a vector of V needs the Riesz map M_x^-1"),
    ),
    hints=(
        r"Find the adjoint of one factor first: for $A:V\to W$, expand "
        r"$\langle Av, w\rangle_W = \langle v, A^*w\rangle_V$ in coordinates; $B^*$ follows the same way.",
        r"The adjoint of a composition is the composition of the adjoints in reverse order: $(BA)^* = A^*B^*$.",
        r"Multiply $A^*B^*$ out and look at what meets in the middle.",
    ),
    solution_text=r"""
For one factor, $\langle Av, w\rangle_W = v^\top A^\top M_y w$ must equal $v^\top M_x (A^*w)$ for all $v$, so
$A^* = M_x^{-1}A^\top M_y$; likewise $B^* = M_y^{-1}B^\top M_z$. Then

$$
C^* = (BA)^* = A^*B^* = M_x^{-1}A^\top M_y\,M_y^{-1}B^\top M_z = M_x^{-1}A^\top B^\top M_z .
$$

The metric $M_y$ of the middle space cancels: the adjoint of the whole depends only on the inner products
of its input and output. (The same follows at once from $C^* = M_x^{-1}C^\top M_z$ with $C = BA$.)
""",
    solution_code="""\
solution = np.linalg.solve(M_x, A.T @ B.T @ M_z)   # M_x^-1 A^T B^T M_z
""",
    evidence=adjoint_evidence(lambda data, Cs: ((lambda v: data["B"] @ (data["A"] @ v)), (lambda u: Cs @ u), (2,),
                                                data["M_x"], data["M_z"])),
)

# ----------------------------------------------------------------------------- 8.4.3


def _pullback_data(rng):
    return {"A": rng.standard_normal((2, 4)), "B": rng.standard_normal((4, 3)) / np.sqrt(3),
            "x": rng.standard_normal(3), "eta": rng.standard_normal(2)}


def _pullback(A, B, x, eta, *, deriv=lambda z: 1.0 - np.tanh(z) ** 2):
    return B.T @ (deriv(B @ x) * (A.T @ eta))


pullback_composition = Exercise(
    id="8.4.3",
    title="Pulling a covector back through a composition",
    level="medium",
    category="drill",
    statement=r"""
Let $F(x) = A\tanh(Bx)$ with $B\in\mathbb{R}^{4\times3}$, $A\in\mathbb{R}^{2\times4}$ ($\tanh$ entrywise). A
covector on the output is given by the vector $\eta$ = `eta`, acting as $u\mapsto\eta^\top u$.

Compute its pullback to the input, the vector $g\in\mathbb{R}^3$ with $g^\top v = \eta^\top dF_x[v]$ for all $v$
(it is also the gradient of $x\mapsto\eta^\top F(x)$).
""",
    build=_pullback_data,
    solution=lambda A, B, x, eta: _pullback(A, B, x, eta),
    mistakes=(
        Mistake("B^T A^T eta: the tanh layer was skipped",
                lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=lambda z: np.ones_like(z)),
                "the pullback goes through every map in reverse order, the tanh included: multiply by "
                "tanh'(B x) = 1 - tanh(B x)^2 in between"),
        Mistake("tanh(Bx) used in place of its derivative", lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=np.tanh),
                "the local Jacobian of tanh is Diag(tanh'(z)) = Diag(1 - tanh(z)^2), not Diag(tanh(z))"),
        Mistake("1 - tanh(Bx): the square in tanh' is missing",
                lambda A, B, x, eta: _pullback(A, B, x, eta, deriv=lambda z: 1.0 - np.tanh(z)),
                "tanh'(z) = 1 - tanh(z)^2"),
    ),
    hints=(
        r"Write $F$ as a chain of maps, one per operation, and the differential of each at the point it receives.",
        r"The differential of the entrywise $\tanh$ at $z = Bx$ is $\delta z\mapsto\tanh'(z)\odot\delta z$, with "
        r"$\tanh' = 1 - \tanh^2$: a diagonal map, its own adjoint.",
        r"Pull $\eta$ back through the chain last map first, applying each local adjoint in turn.",
    ),
    solution_text=r"""
$F$ is the chain $x\mapsto z = Bx\mapsto h = \tanh(z)\mapsto Ah$, so $dF_x = A\,D\,B$ with
$D = \mathrm{Diag}(1 - \tanh^2(Bx))$. Its adjoint reverses the order and takes the adjoint of each factor
($D$ is symmetric):

$$
g = (dF_x)^*\eta = B^\top D\,A^\top\eta = B^\top\big((1 - \tanh^2(Bx))\odot A^\top\eta\big).
$$

In code: first $A^\top\eta$ (through the last map), then the entrywise factor, then $B^\top$.
""",
    solution_code="""\
z = B @ x
d = 1.0 - np.tanh(z) ** 2              # the diagonal of D
solution = B.T @ (d * (A.T @ eta))     # B^T D A^T eta
""",
    evidence=gradient_evidence(lambda A, B, x, eta: ((lambda z: float(eta @ (A @ np.tanh(B @ z)))), x)),
)

# ----------------------------------------------------------------------------- 8.4.4


def _sylv_data(rng):
    return {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3)), "Y": rng.standard_normal((3, 3))}


def _sylv_trials(rng, A, B, Y):
    return [(rng.standard_normal((3, 3)),) for _ in range(3)]


adjoint_with_transpose = Exercise(
    id="8.4.4",
    title="The adjoint of X -> A X + X^T B",
    level="hard",
    category="drill",
    kind="function",
    signature="adjoint(Y)",
    statement=r"""
Fix $A, B\in\mathbb{R}^{3\times3}$ (in the data) and let $\mathcal{T}(X) = AX + X^\top B$, a
linear map of $\mathbb{R}^{3\times3}$ with the Frobenius inner product. Write `adjoint(Y)`
returning $\mathcal{T}^*(Y)$. Test it yourself with
`companion.dot_product_test(T, adjoint, (3, 3))`, where `T` is a function computing $\mathcal{T}$.
""",
    build=_sylv_data,
    solution=lambda A, B, Y: (lambda Y: A.T @ Y + B @ Y.T),
    trials=_sylv_trials,
    mistakes=(
        Mistake("A^T Y + B^T Y^T: B was transposed as well", lambda A, B, Y: (lambda Y: A.T @ Y + B.T @ Y.T),
                "in X -> X^T B the transpose sits on X, and it moves onto Y; B is not transposed: "
                "<X^T B, Y>_F = tr(B^T X Y) = tr(X Y B^T) = <X, (Y B^T)^T>_F = <X, B Y^T>_F"),
        Mistake("A^T Y + Y B^T: the transpose X^T was treated like X", lambda A, B, Y: (lambda Y: A.T @ Y + Y @ B.T),
                "the transpose on X moves onto Y: <X^T B, Y>_F = tr(B^T X Y) = tr(X^T B Y^T), so X -> X^T B has "
                "the adjoint Y -> B Y^T"),
        Mistake("A^T Y + Y^T B: the factors of the second term in the wrong order",
                lambda A, B, Y: (lambda Y: A.T @ Y + Y.T @ B),
                "<X^T B, Y>_F = tr(B^T X Y) = tr(X^T B Y^T) = <X, B Y^T>_F: B ends up on the left of Y^T"),
        Mistake("A Y + Y^T B: the map itself, it is not self-adjoint", lambda A, B, Y: (lambda Y: A @ Y + Y.T @ B),
                "take the adjoint term by term: X -> A X has adjoint Y -> A^T Y; X -> X^T B has adjoint Y -> B Y^T"),
        Mistake("A^T Y: the adjoint of the term X^T B is missing", lambda A, B, Y: (lambda Y: A.T @ Y),
                "the adjoint of a sum is the sum of the adjoints: X -> X^T B contributes its own term, found by "
                "writing <X^T B, Y>_F as a pairing with X"),
    ),
    hints=(
        r"The adjoint of a sum is the sum of the adjoints: treat $X\mapsto AX$ and $X\mapsto X^\top B$ apart.",
        r"For the second term, write $\langle X^\top B, Y\rangle_F = \mathrm{tr}\big((X^\top B)^\top Y\big) "
        r"= \mathrm{tr}(B^\top X\,Y)$.",
        r"Cycle until $X$ stands first, $\mathrm{tr}(X\,Q)$, then use $\mathrm{tr}(P) = \mathrm{tr}(P^\top)$: "
        r"$\mathrm{tr}(X\,Q) = \langle X, Q^\top\rangle_F$.",
    ),
    solution_text=r"""
Term by term. For $X\mapsto AX$: $\langle AX, Y\rangle_F = \mathrm{tr}(X^\top A^\top Y) = \langle X, A^\top Y\rangle_F$.
For $X\mapsto X^\top B$:

$$
\langle X^\top B, Y\rangle_F = \mathrm{tr}(B^\top X\,Y) = \mathrm{tr}(X\,Y B^\top)
= \mathrm{tr}\big((X\,YB^\top)^\top\big) = \mathrm{tr}(X^\top B\,Y^\top) = \langle X, B\,Y^\top\rangle_F .
$$

Adding the two, $\mathcal{T}^*(Y) = A^\top Y + B\,Y^\top$. The transpose on $X$ reappears on $Y$, and $B$ keeps its
orientation.
""",
    solution_code="""\
def adjoint(Y):
    \"\"\"T*(Y) = A^T Y + B Y^T for T(X) = A X + X^T B; Y (3, 3) -> (3, 3).\"\"\"
    return A.T @ Y + B @ Y.T

solution = adjoint
""",
    evidence=adjoint_evidence(lambda data, adj: ((lambda X: data["A"] @ X + X.T @ data["B"]), adj, (3, 3),
                                                 None, None)),
)

# ----------------------------------------------------------------------------- 8.4.5


def _residual_data(rng):
    return {"A1": rng.standard_normal((3, 4)) / 2, "B1": rng.standard_normal((4, 3)) / np.sqrt(3),
            "A2": rng.standard_normal((3, 4)) / 2, "B2": rng.standard_normal((4, 3)) / np.sqrt(3),
            "x0": rng.standard_normal(3), "y_bar": rng.standard_normal(3)}


def _block(A, B, x):
    """One residual block ``x + A tanh(B x)``."""
    return x + A @ np.tanh(B @ x)


def _block_pullback(A, B, x, u_bar, *, skip=True):
    """``(I + A D B)^T u_bar`` at ``x`` (``D = Diag(tanh'(B x))``); without the identity if not ``skip``."""
    branch = B.T @ ((1.0 - np.tanh(B @ x) ** 2) * (A.T @ u_bar))
    return u_bar + branch if skip else branch


def _residual_pullback(A1, B1, A2, B2, x0, y_bar, *, skip=True, order="reverse", x_for_2=None):
    x1 = _block(A1, B1, x0)
    at2 = x1 if x_for_2 is None else x_for_2
    if order == "reverse":
        return _block_pullback(A1, B1, x0, _block_pullback(A2, B2, at2, y_bar, skip=skip), skip=skip)
    return _block_pullback(A2, B2, at2, _block_pullback(A1, B1, x0, y_bar, skip=skip), skip=skip)


residual_blocks = Exercise(
    id="8.4.5",
    title="The pullback through two residual blocks",
    level="hard",
    category="transfer",
    statement=r"""
A residual network adds to its input a small correction: the block $x\mapsto x + A\tanh(Bx)$ ($A$ is $3\times4$,
$B$ is $4\times3$). Two such blocks in a row map $x_0$ to

$$
x_1 = x_0 + A_1\tanh(B_1x_0),\qquad x_2 = x_1 + A_2\tanh(B_2x_1).
$$

Given the cotangent $\bar y$ = `y_bar` at the output $x_2$ (the coefficients of a covector
$u\mapsto\bar y^\top u$), compute its pullback to the input, $\bar x_0 = (d\Phi_{x_0})^*\bar y$ for
$\Phi: x_0\mapsto x_2$: the gradient of $x_0\mapsto\bar y^\top x_2$.
""",
    build=_residual_data,
    solution=lambda A1, B1, A2, B2, x0, y_bar: _residual_pullback(A1, B1, A2, B2, x0, y_bar),
    mistakes=(
        Mistake("the skip connections were dropped",
                lambda A1, B1, A2, B2, x0, y_bar: _residual_pullback(A1, B1, A2, B2, x0, y_bar, skip=False),
                "the differential of x -> x + f(x) is I + df_x: the cotangent passes each block twice, unchanged "
                "through the skip and through the branch, and the two are added"),
        Mistake("pulled back in forward order (block 1 first)",
                lambda A1, B1, A2, B2, x0, y_bar: _residual_pullback(A1, B1, A2, B2, x0, y_bar, order="forward"),
                "the cotangent sits at the output x_2, which block 2 produced: its pullback must act first, then "
                "block 1's: (d Phi)* = (I + dF_1)* (I + dF_2)*"),
        Mistake("block 2 linearized at x_0 instead of x_1",
                lambda A1, B1, A2, B2, x0, y_bar: _residual_pullback(A1, B1, A2, B2, x0, y_bar, x_for_2=x0),
                "each local adjoint is taken at the point its block received: block 2 receives x_1 = x_0 + "
                "A_1 tanh(B_1 x_0), which the forward pass must store"),
    ),
    hints=(
        r"The differential of a residual block $x\mapsto x + f(x)$ is $I + df_x$, so its pullback is "
        r"$\bar u\mapsto\bar u + (df_x)^*\bar u$: through the skip unchanged, *plus* through the branch.",
        r"For $f(x) = A\tanh(Bx)$, $(df_x)^*\bar u = B^\top\big(\tanh'(Bx)\odot A^\top\bar u\big)$.",
        r"Pull back through block 2 first, linearized at $x_1$ (the point it received), then through block 1 at "
        r"$x_0$.",
    ),
    solution_text=r"""
With $f_k(x) = A_k\tanh(B_kx)$ and $D_k(x) = \mathrm{Diag}\big(1 - \tanh^2(B_kx)\big)$, block $k$ has the differential
$I + A_kD_kB_k$ and the adjoint $I + B_k^\top D_kA_k^\top$. Reverse mode applies them last block first, each at the
point its block received:

$$
\bar x_1 = \bar y + B_2^\top D_2(x_1)\,A_2^\top\bar y,\qquad
\bar x_0 = \bar x_1 + B_1^\top D_1(x_0)\,A_1^\top\bar x_1 .
$$

The identity term carries $\bar y$ to the input untouched: that is why gradients reach the first layers of a deep
residual network even when the branches' Jacobians are small.
""",
    solution_code="""\
x1 = x0 + A1 @ np.tanh(B1 @ x0)                                       # the forward pass, stored
x1_bar = y_bar + B2.T @ ((1 - np.tanh(B2 @ x1) ** 2) * (A2.T @ y_bar))   # block 2, at x1
solution = x1_bar + B1.T @ ((1 - np.tanh(B1 @ x0) ** 2) * (A1.T @ x1_bar))  # block 1, at x0
""",
    evidence=gradient_evidence(lambda A1, B1, A2, B2, x0, y_bar: (
        (lambda z: float(y_bar @ _block(A2, B2, _block(A1, B1, z)))), x0)),
)

# ----------------------------------------------------------------------------- 8.4.6

reverse_order = Exercise(
    id="8.4.6",
    title="Why pullbacks go in reverse order",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
For $\Phi = F_3\circ F_2\circ F_1$ the page pushed tangents forward with $dF_3\,dF_2\,dF_1$ and pulled cotangents
back with $dF_1^*\,dF_2^*\,dF_3^*$; the same three local pullbacks applied in the forward order failed the
dot-product test. Which statement explains why the order must be reversed?
""",
    options=(
        Option("a", r"Matrix products do not commute, and the reverse order is the convention that makes the shapes "
                    r"fit.", False,
               r"On the page all three maps were $3\to3$: the forward order ran without any shape error and was still "
                    r"wrong (dot-product test $0.5$). The order is forced by what each map acts on, not by shapes."),
        Option("b", r"The cotangent at the end lives on the output of $F_3$, so only $dF_3^*$ can act on it first; and "
                    r"$\langle BCu, w\rangle = \langle Cu, B^*w\rangle = \langle u, C^*B^*w\rangle$ gives "
                    r"$(BC)^* = C^*B^*$.", True,
               r"Right. Each local adjoint maps covectors at the output of its map to covectors at its input, so the "
                    r"pullbacks chain from the last map to the first; the identity $(BC)^* = C^*B^*$ is the same fact "
                    r"in formulas."),
        Option("c", r"Both orders give the gradient; the reverse order is used because it is cheaper.", False,
               r"The forward order gives a different vector, not the gradient: it failed the dot-product test. Cost "
                    r"is a separate question (one reverse sweep gives the whole gradient of a scalar loss)."),
        Option("d", r"The order matters only for the transpose: under other inner products the adjoints could be "
                    r"applied in any order.", False,
               r"$(BC)^* = C^*B^*$ follows from the definition of the adjoint alone, for any inner products; under "
                    r"metrics each factor becomes $M^{-1}(\cdot)^\top M$, and the order still reverses."),
    ),
    hints=(
        r"Take a cotangent at the output of $\Phi$. Which of $dF_1^*$, $dF_2^*$, $dF_3^*$ can act on it at all, "
        r"that is, whose output space is the space it lives on?",
        r"Use the definition of the adjoint twice on $\langle BCu, w\rangle$, once for $B$ and once for $C$.",
    ),
    solution_text=r"""
**(b)**. A cotangent at the output of $\Phi$ is a covector on the output space of $F_3$; $dF_3^*$ carries it to the
output space of $F_2$, where $dF_2^*$ can act, and so on: the types allow no other order. In formulas, for linear
$B$, $C$ and all $u$, $w$,
$\langle BCu, w\rangle = \langle Cu, B^*w\rangle = \langle u, C^*B^*w\rangle$, so $(BC)^* = C^*B^*$, whatever the
inner products (d). Square maps fit in either order (a), and the forward order gives a wrong vector, not the same one
more slowly (c).
""",
)

# ----------------------------------------------------------------------------- 8.4.7

change_of_basis = Exercise(
    id="8.4.7",
    title="What survives a change of basis",
    level="hard",
    category="concept",
    kind="choice",
    statement=r"""
A linear map $A:\mathbb{R}^n\to\mathbb{R}^m$, a vector $v$, a covector $\eta$ on $\mathbb{R}^n$ with coefficients $c$
($\eta(v) = c^\top v$), a covector $\zeta$ on $\mathbb{R}^m$ with coefficients $d$, and the plain dot products on both
sides. Now change coordinates by invertible matrices that are **not** orthogonal: $v = Pv'$ on the input side,
$w = Qw'$ on the output side. In the new coordinates $A$ has the array $A' = Q^{-1}AP$, $v$ the coordinates
$v' = P^{-1}v$, the covectors the coefficients $c' = P^\top c$ and $d' = Q^\top d$, and the inner products (the same
ones as before) have the Gram matrices $P^\top P$ and $Q^\top Q$. Which statements remain true in the new
coordinates? (Several are.)
""",
    options=(
        Option("a", r"$\langle Av, w\rangle = \langle v, A^*w\rangle$ for all $v, w$, with $A^*$ the same map as "
                    r"before, now written in the new coordinates.", True,
               r"True. The adjoint is defined by the pairings, and the pairings do not depend on coordinates: a new "
               r"basis changes the array of $A^*$, not the map."),
        Option("b", r"The array of $A^*$ in the new coordinates is ${A'}^\top$, the transpose of the new array of $A$.",
               False,
               r"False. In the new coordinates the inner products have Gram matrices $P^\top P$ and $Q^\top Q$, so the "
               r"array of $A^*$ is $(P^\top P)^{-1}{A'}^\top(Q^\top Q)$, the metric adjoint of this page. The "
               r"transpose is the adjoint's array only in orthonormal coordinates."),
        Option("c", r"A covector applied to a vector keeps its value: ${c'}^\top v' = c^\top v$.", True,
               r"True. $\eta(v)$ is a number defined without coordinates; and indeed "
               r"${c'}^\top v' = c^\top P P^{-1} v = c^\top v$."),
        Option("d", r"The gradient's coordinates equal the covector's coefficients: $g' = c'$.", False,
               r"False. The gradient is the Riesz representer of $\eta$: $g' = (P^\top P)^{-1}c'$. It equals $c'$ only "
               r"when $P^\top P = I$; that coincidence is what makes gradients look like covectors in orthonormal "
               r"coordinates."),
        Option("e", r"The pulled-back covector $A^{\vee}\zeta$ has the coefficients ${A'}^\top d'$: the transpose "
                    r"of the new array applied to the new coefficients.", True,
               r"True. The dual map needs no inner product, so its coordinate form is the transpose in every basis: "
               r"${A'}^\top d' = P^\top A^\top Q^{-\top}Q^\top d = P^\top(A^\top d)$, the new coefficients of "
               r"$A^{\vee}\zeta$."),
    ),
    hints=(
        r"For each statement, ask whether it uses an inner product. The Gram matrices $P^\top P$, $Q^\top Q$ enter "
        r"only through statements that do.",
        r"Check the coordinate formulas: substitute $A' = Q^{-1}AP$, $v' = P^{-1}v$, $c' = P^\top c$, $d' = Q^\top d$ "
        r"and see which identities reduce to the old ones.",
    ),
    solution_text=r"""
**(a), (c) and (e)**. What is defined without coordinates survives: the adjoint as a map (a), the value of a
covector on a vector (c), and the dual map, whose coordinate form is the transpose in *every* basis because it uses
no inner product (e): ${A'}^\top d' = P^\top A^\top Q^{-\top}Q^\top d = P^\top(A^\top d)$. What uses the inner product
changes its formula: the adjoint's array becomes $(P^\top P)^{-1}{A'}^\top(Q^\top Q)$, not ${A'}^\top$ (b), and the
gradient becomes $g' = (P^\top P)^{-1}c'$, not $c'$ (d). The dual map and the adjoint share the array $A^\top$ only in
orthonormal coordinates.
""",
)

register(adjoint_AXB, metric_adjoint, pullback_composition, adjoint_with_transpose, residual_blocks, reverse_order,
         change_of_basis)
