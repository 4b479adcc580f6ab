"""Exercises for 8.5: backprop, one layer at a time, in the chapter's notation.

``h_0 = x``, ``z_l = A_l h_{l-1} + b_l``, ``h_l = sigma(z_l)``, ``D_l = Diag(sigma'(z_l))``,
``delta_l = grad_{z_l} ℒ``; a batch is stored as columns unless the statement says otherwise.

- 8.5.1 ``grad A_l = delta_l (m * h_{l-1})^T`` behind a dropout mask ``m`` (array);
- 8.5.2 ``delta_{l-1} = D_{l-1} A_l^T delta_l`` for a softplus layer, ``D_{l-1} = Diag(sigmoid(z_{l-1}))`` (array);
- 8.5.3 a batch stored as rows: ``(grad A_l, grad b_l) = (Delta_l^T H_{l-1}, Delta_l^T 1)`` (tuple);
- 8.5.4 a two-layer network end to end: ``grad A_1`` (array);
- 8.5.5 (transfer) the pullback through a residual block ``u = h + A_2 tanh(A_1 h + b_1)`` (array);
- 8.5.6 (concept) how many jvps or vjps a whole Jacobian takes (choice).
"""

from __future__ import annotations

import numpy as np

from .._numerics import sigmoid
from .evidence import gradient_evidence
from .exercise import Exercise, Mistake, Option
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _dtanh(z):
    return 1.0 - np.tanh(z) ** 2


def _softplus(z):
    return np.logaddexp(0.0, z)




# ----------------------------------------------------------------------------- 8.5.1


def _layer_grad_data(rng):
    return {"z_prev": rng.standard_normal(4), "delta_l": rng.standard_normal(3), "mask": np.array([1.0, 0.0, 1.0, 1.0])}


def _masked_input(z_prev, mask, *, act=np.tanh):
    return mask * act(z_prev)


weight_gradient = Exercise(
    id="8.5.1",
    title="One layer's weight gradient",
    level="easy",
    statement=r"""
In a tanh network trained with dropout, layer $\ell$ receives its input through a fixed mask
$m\in\{0, 1\}^4$ (`mask`): $z_\ell = A_\ell\,(m\odot h_{\ell-1}) + b_\ell$ with $A_\ell\in\mathbb{R}^{3\times4}$
and $h_{\ell-1} = \tanh(z_{\ell-1})$. The backward pass has already delivered the error signal
$\delta_\ell = \nabla_{z_\ell}\mathcal{L}\in\mathbb{R}^3$ (`delta_l`); the data give $z_{\ell-1}$ as `z_prev`.

Compute $\nabla_{A_\ell}\mathcal{L}$.
""",
    build=_layer_grad_data,
    solution=lambda z_prev, delta_l, mask: np.outer(delta_l, _masked_input(z_prev, mask)),
    mistakes=(
        Mistake("(m * h_{l-1}) delta_l^T: the outer product the wrong way round",
                lambda z_prev, delta_l, mask: np.outer(_masked_input(z_prev, mask), delta_l),
                "the gradient has the shape of A_l (3 x 4): delta_l^T dA_l u = <delta_l u^T, dA_l>_F with u the "
                "layer's input"),
        Mistake("delta_l h_{l-1}^T: the mask was left out",
                lambda z_prev, delta_l, mask: np.outer(delta_l, np.tanh(z_prev)),
                "A_l multiplies the masked input m * h_{l-1}; a dropped unit feeds nothing to A_l, so its column of "
                "the gradient is zero"),
        Mistake("delta_l (1 - tanh^2 z_{l-1})^T: the derivative of tanh in place of tanh",
                lambda z_prev, delta_l, mask: np.outer(delta_l, mask * _dtanh(z_prev)),
                "the weights multiply the layer's input, the value h_{l-1} = tanh(z_{l-1}); "
                "tanh'(z_{l-1}) = D_{l-1} belongs to the error going further down, delta_{l-1}, not to grad A_l"),
        Mistake("delta_l (1 - tanh^2 z_{l-1})^T, and without the mask",
                lambda z_prev, delta_l, mask: np.outer(delta_l, _dtanh(z_prev)),
                "two slips: the input of A_l is the value m * tanh(z_{l-1}), neither tanh'(z_{l-1}) nor unmasked"),
        Mistake("delta_l (m * z_{l-1})^T: the pre-activation instead of the activation",
                lambda z_prev, delta_l, mask: np.outer(delta_l, mask * z_prev),
                "A_l multiplies m * h_{l-1} with h_{l-1} = tanh(z_{l-1}), not z_{l-1}"),
    ),
    category="drill",
    hints=(
        r"""What does $A_\ell$ multiply? Call it $u$. With only the weights perturbed,
$\delta z_\ell = (\Delta A_\ell)\,u$.""",
        r"""By the definition of the error signal, $d\mathcal{L} = \delta_\ell^\top\,\delta z_\ell$.""",
        r"""A number is its own trace:
$\delta_\ell^\top(\Delta A_\ell)\,u = \mathrm{tr}(u\,\delta_\ell^\top\,\Delta A_\ell)$.
Compare with $\langle G, \Delta A_\ell\rangle_F = \mathrm{tr}(G^\top \Delta A_\ell)$.""",
    ),
    solution_text=r"""
Write $u = m\odot h_{\ell-1} = m\odot\tanh(z_{\ell-1})$ for what $A_\ell$ multiplies. With only $A_\ell$
perturbed, $\delta z_\ell = (\Delta A_\ell)\,u$, so

$$
d\mathcal{L} = \delta_\ell^\top(\Delta A_\ell)\,u = \mathrm{tr}\big(u\,\delta_\ell^\top\,\Delta A_\ell\big)
= \big\langle \delta_\ell\, u^\top, \Delta A_\ell\big\rangle_F ,
$$

hence $\nabla_{A_\ell}\mathcal{L} = \delta_\ell\,(m\odot h_{\ell-1})^\top$: the page's $\delta_\ell h_{\ell-1}^\top$
with the
layer's actual input. The columns of the dropped units are zero, since a unit that feeds nothing
into $A_\ell$ cannot change the loss through it. The factor $\tanh'(z_{\ell-1})$ does not appear: it
belongs to $\delta_{\ell-1}$, the error sent further down.
""",
    solution_code="""\
u = mask * np.tanh(z_prev)          # what A_l multiplies: the masked input m * h_{l-1}
solution = np.outer(delta_l, u)     # delta_l u^T
""",
    evidence=gradient_evidence(lambda z_prev, delta_l, mask: (
        (lambda A: float(delta_l @ (A @ _masked_input(z_prev, mask)))), np.zeros((3, 4)))),
)

# ----------------------------------------------------------------------------- 8.5.2


def _backward_step_data(rng):
    A_l = rng.standard_normal((4, 4)) / 2.0
    b_l = rng.standard_normal(4) / 2.0
    z_prev = rng.standard_normal(4)
    z_l = A_l @ _softplus(z_prev) + b_l
    return {"A_l": A_l, "b_l": b_l, "z_prev": z_prev, "z_l": z_l, "delta_l": rng.standard_normal(4)}


def _delta_prev(A_l, z_prev, delta_l, *, D=sigmoid, transpose=True, D_first=False):
    d = D(z_prev)
    At = A_l.T if transpose else A_l
    return At @ (d * delta_l) if D_first else d * (At @ delta_l)


def _delta_evidence(A_l, b_l, z_prev, z_l, delta_l):
    # L(z_{l-1}) := <delta_l, A_l softplus(z_{l-1}) + b_l> has gradient delta_{l-1} in z_{l-1}
    return (lambda z: float(delta_l @ (A_l @ _softplus(z) + b_l))), z_prev


backward_step = Exercise(
    id="8.5.2",
    title="One step of the backward recursion",
    level="medium",
    statement=r"""
This network uses the **softplus** activation, $\sigma(z) = \log(1 + e^{z})$ entry by entry, in
place of tanh. Layer $\ell$ computes $z_\ell = A_\ell\,\sigma(z_{\ell-1}) + b_\ell$ with
$A_\ell\in\mathbb{R}^{4\times4}$. The data hold $A_\ell$, $b_\ell$, $z_{\ell-1}$ (`z_prev`), $z_\ell$ (`z_l`) and
$\delta_\ell = \nabla_{z_\ell}\mathcal{L}$ (`delta_l`).

Pull the error back one layer: compute $\delta_{\ell-1} = \nabla_{z_{\ell-1}}\mathcal{L}$.
(Not everything in the data is needed.)
""",
    build=_backward_step_data,
    solution=lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l),
    mistakes=(
        Mistake("D_{l-1} is missing: that is the gradient for h_{l-1}, not z_{l-1}",
                lambda A_l, b_l, z_prev, z_l, delta_l: A_l.T @ delta_l,
                "A_l^T delta_l is grad_{h_{l-1}} ℒ; going on to z_{l-1} crosses the activation: multiply by D_{l-1}"),
        Mistake("used D_l instead of D_{l-1}",
                lambda A_l, b_l, z_prev, z_l, delta_l: sigmoid(z_l) * (A_l.T @ delta_l),
                "delta_l already contains D_l; the activation crossed on the way down is that of layer l-1, evaluated "
                "at z_{l-1}"),
        Mistake("applied D_{l-1} before A_l^T instead of after",
                lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, D_first=True),
                "reverse the forward order: forward is z_{l-1} -> (D) -> h_{l-1} -> (A_l) -> z_l, so backward is A_l^T "
                "first, then D_{l-1}"),
        Mistake("A_l delta_l: the transpose is missing",
                lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, transpose=False),
                "the adjoint of h -> A_l h is A_l^T: delta_l^T A_l dh = (A_l^T delta_l)^T dh"),
        Mistake("1 - tanh^2: the derivative of the page's activation, not of softplus",
                lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, D=_dtanh),
                "D_{l-1} = Diag(sigma'(z_{l-1})) for this network's sigma: differentiate log(1 + e^z)"),
        Mistake("multiplied by softplus(z_{l-1}) itself, not by its derivative",
                lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, D=_softplus),
                "the diagonal factor is the derivative sigma'(z_{l-1}) (the local Jacobian of the activation), not the "
                "activation's value"),
    ),
    category="drill",
    hints=(
        r"""Forward, two local maps: $z_{\ell-1}\mapsto h_{\ell-1} = \sigma(z_{\ell-1})$, then
$h_{\ell-1}\mapsto z_\ell = A_\ell h_{\ell-1} + b_\ell$. Write the differential of each.""",
        r"""The activation's differential is the diagonal $D_{\ell-1} = \mathrm{Diag}(\sigma'(z_{\ell-1}))$:
differentiate $\log(1 + e^{z})$ once.""",
        r"""Pull $\delta_\ell$ back through the two maps in the reverse order of the forward pass,
each by its adjoint.""",
    ),
    solution_text=r"""
The local differentials are $\delta h_{\ell-1} = D_{\ell-1}\,\delta z_{\ell-1}$ and
$\delta z_\ell = A_\ell\,\delta h_{\ell-1}$,
with $D_{\ell-1} = \mathrm{Diag}(\sigma'(z_{\ell-1}))$ and, for softplus,
$\sigma'(z) = \dfrac{e^{z}}{1 + e^{z}} = \dfrac{1}{1 + e^{-z}}$, the logistic sigmoid. Then

$$
d\mathcal{L} = \delta_\ell^\top A_\ell D_{\ell-1}\,\delta z_{\ell-1} =
\big(D_{\ell-1}A_\ell^\top\delta_\ell\big)^\top\delta z_{\ell-1},
$$

so $\delta_{\ell-1} = D_{\ell-1}A_\ell^\top\delta_\ell = \mathrm{sigmoid}(z_{\ell-1})\odot(A_\ell^\top\delta_\ell)$.
Neither $b_\ell$ nor $z_\ell$
is needed: the step uses only the point $z_{\ell-1}$ where the activation is linearized.
""",
    solution_code="""\
D_prev = 1.0 / (1.0 + np.exp(-z_prev))   # softplus'(z) = sigmoid(z): the diagonal of D_{l-1}
solution = D_prev * (A_l.T @ delta_l)    # D_{l-1} (A_l^T delta_l)
""",
    evidence=gradient_evidence(_delta_evidence),
)

# ----------------------------------------------------------------------------- 8.5.3


def _batch_layer_data(rng):
    return {"H_prev": np.tanh(rng.standard_normal((5, 4))), "Delta_l": rng.standard_normal((5, 3))}


def _batch_layer(H_prev, Delta_l, *, gA=None, gb=None):
    A = Delta_l.T @ H_prev if gA is None else gA
    b = Delta_l.sum(axis=0) if gb is None else gb
    return A, b


batch_layer = Exercise(
    id="8.5.3",
    title="Weight and bias gradients over a batch",
    level="medium",
    outputs=("grad_A", "grad_b"),
    statement=r"""
Deep-learning libraries usually store a batch as **rows**. A batch of $N = 5$ examples goes
through layer $\ell$ as $Z_\ell = H_{\ell-1}A_\ell^\top + \mathbf{1}\,b_\ell^\top$: row $k$ of
$H_{\ell-1}\in\mathbb{R}^{5\times4}$ (`H_prev`) is example $k$'s input, and the same bias
$b_\ell\in\mathbb{R}^3$ is added to every row. The loss is a **sum** over the examples, and the data give
$\Delta_\ell = \nabla_{Z_\ell}\mathcal{L}\in\mathbb{R}^{5\times3}$ (`Delta_l`), one row per example.

Answer with the pair `(grad_A, grad_b)` $= (\nabla_{A_\ell}\mathcal{L}, \nabla_{b_\ell}\mathcal{L})$, with
$A_\ell\in\mathbb{R}^{3\times4}$.
""",
    build=_batch_layer_data,
    solution=lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l),
    mistakes=(
        Mistake("H_{l-1}^T Delta_l: the transpose of grad_A",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gA=H_prev.T @ Delta_l),
                "the gradient has the shape of A_l (3 x 4); H^T Delta is its transpose, the gradient for A_l^T"),
        Mistake("grad_b = Delta_l: the bias gradient was not summed over the batch",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l),
                "one bias serves every row: its gradient collects the errors of all examples, Delta_l^T 1 (a sum over "
                "rows)"),
        Mistake("grad_b averaged over the batch, but the loss is a sum",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l.mean(axis=0)),
                "the loss adds the examples' losses, so the bias gradient adds their errors: no 1/N"),
        Mistake("grad_b summed over the wrong axis (over the units, not the examples)",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l.sum(axis=1)),
                "examples are rows here: sum along axis=0, leaving one number per unit (shape (3,))"),
        Mistake("grad_A averaged over the batch, but the loss is a sum",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gA=Delta_l.T @ H_prev / H_prev.shape[0]),
                "Delta_l^T H_{l-1} already sums the examples' outer products; the loss is a sum, so no 1/N"),
    ),
    category="drill",
    hints=(
        r"""Perturb only $A_\ell$ and $b_\ell$:
$\delta Z_\ell = H_{\ell-1}(\Delta A_\ell)^\top + \mathbf{1}(\Delta b_\ell)^\top$,
and $d\mathcal{L} = \langle \Delta_\ell, \delta Z_\ell\rangle_F$.""",
        r"""The weight term is $\mathrm{tr}\big(\Delta_\ell^\top H_{\ell-1}(\Delta A_\ell)^\top\big)$; a trace equals
the trace
of its transpose.""",
        r"""Move $\Delta A_\ell$, resp. $\Delta b_\ell$, to the right end of each term, alone, and read off what it
is paired with. The vector $\mathbf{1}$ has one entry per example.""",
    ),
    solution_text=r"""
$$
d\mathcal{L} = \big\langle\Delta_\ell, H_{\ell-1}(\Delta A_\ell)^\top\big\rangle_F + \big\langle\Delta_\ell,
\mathbf{1}(\Delta b_\ell)^\top\big\rangle_F .
$$

Move each perturbation to the right end of its trace (the trace of a transpose, then a cyclic shift):

$$
\mathrm{tr}\big(\Delta_\ell^\top H_{\ell-1}(\Delta A_\ell)^\top\big)
= \mathrm{tr}\big(\Delta A_\ell\, H_{\ell-1}^\top\Delta_\ell\big)
= \mathrm{tr}\big((\Delta_\ell^\top H_{\ell-1})^\top\Delta A_\ell\big), \qquad
\mathrm{tr}\big(\Delta_\ell^\top\mathbf{1}(\Delta b_\ell)^\top\big)
= \langle\Delta_\ell^\top\mathbf{1}, \Delta b_\ell\rangle .
$$

Hence

$$
\nabla_{A_\ell}\mathcal{L} = \Delta_\ell^\top H_{\ell-1} = \sum_k \delta_k h_k^\top, \qquad
\nabla_{b_\ell}\mathcal{L} = \Delta_\ell^\top\mathbf{1},
$$

with $\delta_k$, $h_k$ the rows of $\Delta_\ell$, $H_{\ell-1}$ read as columns. This is the page's column formula
with every matrix transposed: the storage changed, the gradient did not.
""",
    solution_code="""\
grad_A = Delta_l.T @ H_prev        # sum over examples (rows) of delta_k h_k^T
grad_b = Delta_l.sum(axis=0)       # Delta_l^T 1: one bias for every row
solution = (grad_A, grad_b)
""",
)

# ----------------------------------------------------------------------------- 8.5.4


def _two_layer_data(rng):
    return {
        "x": rng.standard_normal((3, 5)), "y": rng.standard_normal((2, 5)),
        "A_1": rng.standard_normal((4, 3)) / np.sqrt(3), "b_1": rng.standard_normal(4),
        "A_2": rng.standard_normal((2, 4)) / 2.0, "b_2": rng.standard_normal(2),
    }


def _two_layer_grad(x, y, A_1, b_1, A_2, b_2, *, bias=True, D1=True, D2=True, scale=1.0):
    c1, c2 = (b_1[:, None], b_2[:, None]) if bias else (0.0, 0.0)
    z1 = A_1 @ x + c1
    h1 = np.tanh(z1)
    z2 = A_2 @ h1 + c2
    h2 = np.tanh(z2)
    delta2 = (h2 - y) * (_dtanh(z2) if D2 else 1.0)
    delta1 = (A_2.T @ delta2) * (_dtanh(z1) if D1 else 1.0)
    return scale * delta1 @ x.T


def _two_layer_loss(x, y, A_1, b_1, A_2, b_2):
    def loss(A):
        h2 = np.tanh(A_2 @ np.tanh(A @ x + b_1[:, None]) + b_2[:, None])
        return 0.5 * float(np.sum((h2 - y) ** 2))

    return loss, A_1


two_layer = Exercise(
    id="8.5.4",
    title="A two-layer network, end to end",
    level="hard",
    statement=r"""
A two-layer tanh network on a batch of $N=5$ columns:
$h_0 = x\in\mathbb{R}^{3\times5}$, $z_1 = A_1h_0 + b_1$, $h_1 = \tanh(z_1)$, $z_2 = A_2h_1 + b_2$,
$h_2 = \tanh(z_2)$ (biases added to every column), with the loss
$\mathcal{L} = \tfrac12\|h_2 - y\|_F^2$ summed over the batch. Shapes: $A_1$ is $4\times3$,
$A_2$ is $2\times4$.

Run the forward pass, then the backward recursion, and give $\nabla_{A_1}\mathcal{L}$.
""",
    build=_two_layer_data,
    solution=lambda **d: _two_layer_grad(**d),
    mistakes=(
        Mistake("forgot the bias in the forward pass", lambda **d: _two_layer_grad(**d, bias=False),
                "z_l = A_l h_{l-1} + b_l: the biases change z_l, hence D_l and the residual; add b_l[:, None] to every "
                "column"),
        Mistake("D_1 is missing in delta_1", lambda **d: _two_layer_grad(**d, D1=False),
                "delta_1 = D_1 (A_2^T delta_2): the error crosses the first tanh on its way down"),
        Mistake("D_2 is missing: the output layer was treated as linear", lambda **d: _two_layer_grad(**d, D2=False),
                "the output is h_2 = tanh(z_2), so delta_2 = D_2 (h_2 - y), not h_2 - y"),
        Mistake("averaged over the batch, but the loss is a sum",
                lambda **d: _two_layer_grad(**d, scale=1 / d["x"].shape[1]),
                "ℒ adds the examples' losses; its gradient adds their gradients: no 1/N"),
    ),
    category="drill",
    hints=(
        r"""Run the forward pass and keep $z_1, h_1, z_2, h_2$: the backward pass needs them.""",
        r"""Start at the output, where $\nabla_{h_2}\mathcal{L} = h_2 - y$, and cross the output tanh to reach
$\delta_2$.""",
        r"""Going down one layer crosses two maps, the affine map and the activation below it: pull
back through each by its adjoint, in the reverse order. Then read the weight gradient off with
the trace rule, as in 8.5.1, remembering that the batch loss is a sum over the columns.""",
    ),
    solution_text=r"""
Forward: $z_1 = A_1x + b_1\mathbf{1}^\top$, $h_1 = \tanh z_1$, $z_2 = A_2h_1 + b_2\mathbf{1}^\top$, $h_2 = \tanh z_2$.
Backward, every column an example (the batch loss is a sum, so nothing is divided by $N$):

$$
\delta_2 = D_2(h_2 - y) = (\mathbf{1} - h_2\odot h_2)\odot(h_2 - y), \qquad
\delta_1 = D_1A_2^\top\delta_2 = (\mathbf{1} - h_1\odot h_1)\odot(A_2^\top\delta_2),
$$

using $\tanh' = 1 - \tanh^2$. By the trace rule, $\nabla_{A_1}\mathcal{L} = \delta_1h_0^\top = \delta_1x^\top$, which
for a
batch adds up the examples' outer products.
""",
    solution_code="""\
z_1 = A_1 @ x + b_1[:, None]; h_1 = np.tanh(z_1)
z_2 = A_2 @ h_1 + b_2[:, None]; h_2 = np.tanh(z_2)
delta_2 = (1 - h_2**2) * (h_2 - y)          # D_2 grad_{h_2} ℒ
delta_1 = (1 - h_1**2) * (A_2.T @ delta_2)  # D_1 A_2^T delta_2
solution = delta_1 @ x.T                    # delta_1 h_0^T, summed over the batch
""",
    evidence=gradient_evidence(_two_layer_loss),
)

# ----------------------------------------------------------------------------- 8.5.5


def _residual_data(rng):
    return {"h": rng.standard_normal(4), "A_1": rng.standard_normal((5, 4)) / 2.0, "b_1": rng.standard_normal(5),
            "A_2": rng.standard_normal((4, 5)) / 2.0, "u_bar": rng.standard_normal(4)}


def _residual_pullback(h, A_1, b_1, A_2, u_bar, *, skip=True, branch=True, D=True, bias=True):
    z = A_1 @ h + (b_1 if bias else 0.0)
    through_branch = A_1.T @ ((_dtanh(z) if D else 1.0) * (A_2.T @ u_bar))
    return (u_bar if skip else 0.0) + (through_branch if branch else 0.0)


def _residual_objective(h, A_1, b_1, A_2, u_bar):
    return (lambda v: float(u_bar @ (v + A_2 @ np.tanh(A_1 @ v + b_1)))), h


residual_block = Exercise(
    id="8.5.5",
    title="The pullback through a residual block",
    level="hard",
    statement=r"""
A residual block adds a small network to the identity:
$u = h + A_2\tanh(A_1 h + b_1)$, with $h, u\in\mathbb{R}^4$, $A_1\in\mathbb{R}^{5\times4}$, $b_1\in\mathbb{R}^5$,
$A_2\in\mathbb{R}^{4\times5}$. The rest of the network has delivered $\bar u = \nabla_u\mathcal{L}$ (`u_bar`).

Compute $\nabla_h\mathcal{L}$, the cotangent the block passes to the layer below it.
""",
    build=_residual_data,
    solution=lambda **d: _residual_pullback(**d),
    mistakes=(
        Mistake("the skip connection's own term u_bar is missing",
                lambda **d: _residual_pullback(**d, skip=False),
                "u = h + branch(h): the differential is du = dh + d(branch), so the pullback is u_bar + (pullback of "
                "the branch)"),
        Mistake("only the skip connection: the branch was not pulled back",
                lambda **d: _residual_pullback(**d, branch=False),
                "the branch A_2 tanh(A_1 h + b_1) depends on h too: pull u_bar back through A_2, the tanh and A_1 and "
                "add it"),
        Mistake("the tanh factor D = Diag(1 - tanh^2 z) is missing in the branch",
                lambda **d: _residual_pullback(**d, D=False),
                "between A_2^T and A_1^T the cotangent crosses the tanh: multiply entrywise by 1 - tanh^2(A_1 h + "
                "b_1)"),
        Mistake("the tanh factor evaluated without the bias b_1",
                lambda **d: _residual_pullback(**d, bias=False),
                "D is evaluated at the pre-activation the forward pass used, z = A_1 h + b_1"),
        Mistake("u_bar + A_2 D A_1 u_bar: the branch's Jacobian applied, not its transpose",
                lambda h, A_1, b_1, A_2, u_bar: u_bar + A_2 @ ((1 - np.tanh(A_1 @ h + b_1) ** 2) * (A_1 @ u_bar)),
                "that pushes u_bar forward through the branch; a cotangent is pulled back by the adjoint, "
                "(A_2 D A_1)^T = A_1^T D A_2^T: the last map first"),
    ),
    category="transfer",
    hints=(
        r"""Split the block into its two paths, $u = h + g(h)$ with $g(h) = A_2\tanh(A_1h + b_1)$, so that
$du = dh + dg_h[dh]$.""",
        r"""The branch is a composition of three local maps; its differential is $A_2\,D\,A_1$ with
$D = \mathrm{Diag}(\tanh'(z))$ at $z = A_1h + b_1$.""",
        r"""The pullback of a sum of linear maps is the sum of their pullbacks, and a composition is
pulled back in reverse order.""",
    ),
    solution_text=r"""
With $z = A_1h + b_1$ and $D = \mathrm{Diag}(1 - \tanh^2 z)$, the differential of the block is
$du = dh + A_2DA_1\,dh$. Pair it with $\bar u$:

$$
d\mathcal{L} = \langle\bar u, dh\rangle + \langle\bar u, A_2DA_1\,dh\rangle
= \big\langle \bar u + A_1^\top D A_2^\top\bar u,\ dh\big\rangle ,
$$

so $\nabla_h\mathcal{L} = \bar u + A_1^\top D\,A_2^\top\bar u$. The skip connection hands $\bar u$ down unchanged,
whatever the branch does; this is why the lower layers of a deep residual network still
receive a gradient when the branches' Jacobians $A_2DA_1$ are small.
""",
    solution_code="""\
z = A_1 @ h + b_1
D = 1.0 - np.tanh(z) ** 2                          # the diagonal of Diag(tanh'(z))
solution = u_bar + A_1.T @ (D * (A_2.T @ u_bar))   # skip path + branch pulled back in reverse order
""",
    evidence=gradient_evidence(_residual_objective),
)

# ----------------------------------------------------------------------------- 8.5.6

jacobian_cost = Exercise(
    id="8.5.6",
    title="How many sweeps for a whole Jacobian?",
    level="medium",
    category="concept",
    kind="choice",
    statement=r"""
A classifier maps an image $x\in\mathbb{R}^{784}$ to $10$ logits, $f:\mathbb{R}^{784}\to\mathbb{R}^{10}$. You want its
whole Jacobian $J = J_f(x)$ at one image, from the book's engine: one `jvp` pushes one
tangent forward, one call of the pullback returned by `vjp` pulls one cotangent back.
Before computing anything, which statements are true?
""",
    options=(
        Option("a", r"Reverse mode needs $10$ pullbacks: each one returns a whole row of $J$.", True,
               r"the pullback of the basis cotangent $e_i$ is $J^\top e_i$, the derivatives of output $i$ with respect "
               r"to all 784 inputs: one row; $J$ has $m = 10$ rows"),
        Option("b", r"Forward mode needs $784$ pushforwards: each one returns a whole column of $J$.", True,
               r"the pushforward of the basis tangent $e_j$ is $Je_j$, how all 10 outputs move with input $j$: one "
               r"column; $J$ has $n = 784$ columns"),
        Option("c", r"One backward pass gives the whole Jacobian, as it gives every weight gradient of a loss at once.",
               False,
               r"one backward pass pulls back one covector. For a scalar loss ($m = 1$) that single pullback is the "
               r"whole gradient; with 10 outputs it gives one row, or one weighted sum $w^\top J$ of the rows"),
        Option("d", r"Reverse mode needs $784$ pullbacks, one per input pixel.", False,
               r"this swaps rows and columns: a pullback returns the derivatives with respect to all inputs at once "
               r"(a row), so the count is the number of outputs, not of inputs"),
        Option("e", r"Either mode needs $7840$ sweeps, one per entry of $J$.", False,
               r"no sweep delivers a single entry: a jvp fills a whole column and a vjp a whole row"),
    ),
    hints=(
        r"""What does one pushforward $v\mapsto Jv$ return when $v = e_j$? What does one pullback
$w\mapsto J^\top w$ return when $w = e_i$?""",
        r"""$J$ has one row per output and one column per input. Count them here.""",
    ),
    solution_text=r"""
The pushforward of $e_j$ is $Je_j$, column $j$ of $J$; the pullback of $e_i$ is $J^\top e_i$, row $i$ of $J$
(as a vector). Here $J\in\mathbb{R}^{10\times784}$, so reverse mode needs $m = 10$ vjps and forward mode
$n = 784$ jvps: (a) and (b). Reverse mode is the cheaper one, by a factor of about $784/10$ if one
sweep of either kind costs about the same (the timing on this page measures it). A single
backward pass is the whole gradient only when the output is a number ($m = 1$), which is the
case of a loss, and the reason training runs in reverse mode.
""",
)

register(weight_gradient, backward_step, batch_layer, two_layer, residual_block, jacobian_cost)
