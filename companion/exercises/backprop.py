"""Exercises for 8.5: backprop, one layer at a time, in the chapter's notation.

``h_0 = x``, ``z_l = A_l h_{l-1} + b_l``, ``h_l = tanh(z_l)``, ``D_l = Diag(tanh'(z_l))``,
``delta_l = grad_{z_l} J``; a batch is stored as columns.

- 8.5.1 ``grad A_l = delta_l h_{l-1}^T`` (array);
- 8.5.2 ``delta_{l-1} = D_{l-1} A_l^T delta_l`` (array);
- 8.5.3 a batch: ``(grad A_l, grad b_l) = (Delta_l H_{l-1}^T, Delta_l 1)`` (tuple);
- 8.5.4 a two-layer network end to end: ``grad A_1`` (array).
"""

from __future__ import annotations

import numpy as np

from .evidence import gradient_evidence
from .exercise import Exercise, Mistake
from .registry import register

__all__: list = []  # the exercises are reached through companion.exercises.get / EXERCISES


def _dtanh(z):
    return 1.0 - np.tanh(z) ** 2


# ----------------------------------------------------------------------------- 8.5.1


def _layer_grad_data(rng):
    return {"z_prev": rng.standard_normal(4), "delta_l": rng.standard_normal(3)}


weight_gradient = Exercise(
    id="8.5.1",
    title="One layer's weight gradient",
    level="easy",
    statement=r"""
In a tanh network, layer $\ell$ computes $z_\ell = A_\ell h_{\ell-1} + b_\ell$ with
$A_\ell\in\mathbb{R}^{3\times4}$, where $h_{\ell-1} = \tanh(z_{\ell-1})$. The backward pass has
already delivered $\delta_\ell = \nabla_{z_\ell}\mathcal{J}\in\mathbb{R}^3$ (`delta_l`). The data
give $z_{\ell-1}$ as `z_prev`.

Compute $\nabla_{A_\ell}\mathcal{J}$.
""",
    build=_layer_grad_data,
    solution=lambda z_prev, delta_l: np.outer(delta_l, np.tanh(z_prev)),
    mistakes=(
        Mistake("h_{l-1} delta_l^T: the outer product the wrong way round", lambda z_prev, delta_l: np.outer(np.tanh(z_prev), delta_l),
                "the gradient has the shape of A_l (3 x 4): delta_l^T dA_l h_{l-1} = <delta_l h_{l-1}^T, dA_l>_F"),
        Mistake("delta_l z_{l-1}^T: the pre-activation instead of the activation", lambda z_prev, delta_l: np.outer(delta_l, z_prev),
                "A_l multiplies the layer's input h_{l-1} = tanh(z_{l-1}), not z_{l-1}"),
        Mistake("delta_l (D_{l-1} h_{l-1})^T: an extra D_{l-1}", lambda z_prev, delta_l: np.outer(delta_l, _dtanh(z_prev) * np.tanh(z_prev)),
                "D_{l-1} belongs to the error going further down (delta_{l-1}), not to this layer's weight gradient"),
    ),
    hint=r"""
Only the weights move: $\delta z_\ell = (\Delta A_\ell)h_{\ell-1}$, so
$d\mathcal{J} = \delta_\ell^\top(\Delta A_\ell)h_{\ell-1}$: the same form as least squares in 8.3.
""",
    solution_code="""\
h_prev = np.tanh(z_prev)
solution = np.outer(delta_l, h_prev)   # delta_l h_{l-1}^T
""",
    evidence=gradient_evidence(lambda z_prev, delta_l: ((lambda A: float(delta_l @ (A @ np.tanh(z_prev)))), np.zeros((3, 4)))),
)

# ----------------------------------------------------------------------------- 8.5.2


def _backward_step_data(rng):
    A_l = rng.standard_normal((4, 4)) / 2.0
    b_l = rng.standard_normal(4) / 2.0
    z_prev = rng.standard_normal(4)
    z_l = A_l @ np.tanh(z_prev) + b_l
    return {"A_l": A_l, "b_l": b_l, "z_prev": z_prev, "z_l": z_l, "delta_l": rng.standard_normal(4)}


def _delta_prev(A_l, z_prev, delta_l, *, D=_dtanh, transpose=True, D_first=False):
    d = D(z_prev)
    At = A_l.T if transpose else A_l
    return At @ (d * delta_l) if D_first else d * (At @ delta_l)


def _delta_evidence(A_l, b_l, z_prev, z_l, delta_l):
    # J(z_{l-1}) := <delta_l, A_l tanh(z_{l-1}) + b_l> has gradient delta_{l-1} in z_{l-1}
    return (lambda z: float(delta_l @ (A_l @ np.tanh(z) + b_l))), z_prev


backward_step = Exercise(
    id="8.5.2",
    title="One step of the backward recursion",
    level="medium",
    statement=r"""
Same network, now with $A_\ell\in\mathbb{R}^{4\times4}$. The data hold $A_\ell$, $b_\ell$,
$z_{\ell-1}$ (`z_prev`), $z_\ell = A_\ell\tanh(z_{\ell-1}) + b_\ell$ (`z_l`) and
$\delta_\ell = \nabla_{z_\ell}\mathcal{J}$ (`delta_l`).

Pull the error back one layer: compute $\delta_{\ell-1} = \nabla_{z_{\ell-1}}\mathcal{J}$.
(Not everything in the data is needed.)
""",
    build=_backward_step_data,
    solution=lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l),
    mistakes=(
        Mistake("D_{l-1} is missing: that is the gradient for h_{l-1}, not z_{l-1}", lambda A_l, b_l, z_prev, z_l, delta_l: A_l.T @ delta_l,
                "A_l^T delta_l is grad_{h_{l-1}} J; going on to z_{l-1} crosses the tanh: multiply by D_{l-1}"),
        Mistake("used D_l instead of D_{l-1}", lambda A_l, b_l, z_prev, z_l, delta_l: _dtanh(z_l) * (A_l.T @ delta_l),
                "delta_l already contains D_l; the activation crossed on the way down is that of layer l-1, so D_{l-1} = Diag(tanh'(z_{l-1}))"),
        Mistake("applied D_{l-1} before A_l^T instead of after", lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, D_first=True),
                "reverse the forward order: forward is z_{l-1} -> (D) -> h_{l-1} -> (A_l) -> z_l, so backward is A_l^T first, then D_{l-1}"),
        Mistake("A_l delta_l: the transpose is missing", lambda A_l, b_l, z_prev, z_l, delta_l: _delta_prev(A_l, z_prev, delta_l, transpose=False),
                "the adjoint of h -> A_l h is A_l^T: delta_l^T A_l dh = (A_l^T delta_l)^T dh"),
    ),
    hint=r"""
Forward, $z_{\ell-1}\to h_{\ell-1}=\tanh(z_{\ell-1})\to z_\ell = A_\ell h_{\ell-1}+b_\ell$. Backward,
the adjoints in the reverse order: first $A_\ell^\top$, then $D_{\ell-1}$.
""",
    solution_code="""\
D_prev = 1.0 - np.tanh(z_prev) ** 2      # the diagonal of D_{l-1}
solution = D_prev * (A_l.T @ delta_l)    # D_{l-1} (A_l^T delta_l)
""",
    evidence=gradient_evidence(_delta_evidence),
)

# ----------------------------------------------------------------------------- 8.5.3


def _batch_layer_data(rng):
    return {"H_prev": np.tanh(rng.standard_normal((4, 5))), "Delta_l": rng.standard_normal((3, 5))}


def _batch_layer(H_prev, Delta_l, *, gA=None, gb=None):
    A = Delta_l @ H_prev.T if gA is None else gA
    b = Delta_l.sum(axis=1) if gb is None else gb
    return A, b


batch_layer = Exercise(
    id="8.5.3",
    title="Weight and bias gradients over a batch",
    level="medium",
    outputs=("grad_A", "grad_b"),
    statement=r"""
A batch of $N = 5$ examples goes through layer $\ell$ as columns:
$Z_\ell = A_\ell H_{\ell-1} + b_\ell\mathbf{1}^\top$, where the same bias $b_\ell\in\mathbb{R}^3$ is
added to every column. The loss is a **sum** over the examples. The data give the inputs
$H_{\ell-1}\in\mathbb{R}^{4\times5}$ (`H_prev`) and the errors
$\Delta_\ell = \nabla_{Z_\ell}\mathcal{J}\in\mathbb{R}^{3\times5}$ (`Delta_l`), one column per example.

Answer with the pair `(grad_A, grad_b)` $= (\nabla_{A_\ell}\mathcal{J}, \nabla_{b_\ell}\mathcal{J})$.
""",
    build=_batch_layer_data,
    solution=lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l),
    mistakes=(
        Mistake("grad_b = Delta_l: the bias gradient was not summed over the batch",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l),
                "one bias serves every column: its gradient collects the errors of all examples, Delta_l 1 (a sum over columns)"),
        Mistake("grad_b averaged over the batch, but the loss is a sum",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l.mean(axis=1)),
                "the loss adds the examples' losses, so the bias gradient adds their errors: no 1/N"),
        Mistake("grad_b summed over the wrong axis (over the units, not the examples)",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gb=Delta_l.sum(axis=0)),
                "examples are columns: sum along axis=1, leaving one number per unit (shape (3,))"),
        Mistake("grad_A averaged over the batch, but the loss is a sum",
                lambda H_prev, Delta_l: _batch_layer(H_prev, Delta_l, gA=Delta_l @ H_prev.T / H_prev.shape[1]),
                "Delta_l H_{l-1}^T already sums the examples' outer products delta_k h_k^T; the loss is a sum, so no 1/N"),
    ),
    hint=r"""
For one example $\nabla_{A_\ell} = \delta_\ell h_{\ell-1}^\top$ and $\nabla_{b_\ell} = \delta_\ell$; the batch
loss adds them over the columns. With $\mathbf{1}$ the vector of ones, the bias term of
$d\mathcal{J}$ is $\langle\Delta_\ell, (\Delta b)\mathbf{1}^\top\rangle_F = \langle \Delta_\ell\mathbf{1}, \Delta b\rangle$.
""",
    solution_code="""\
grad_A = Delta_l @ H_prev.T        # sum over examples of delta_k h_k^T
grad_b = Delta_l.sum(axis=1)       # Delta_l 1: one bias for every column
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
    def J(A):
        h2 = np.tanh(A_2 @ np.tanh(A @ x + b_1[:, None]) + b_2[:, None])
        return 0.5 * float(np.sum((h2 - y) ** 2))

    return J, A_1


two_layer = Exercise(
    id="8.5.4",
    title="A two-layer network, end to end",
    level="hard",
    statement=r"""
A two-layer tanh network on a batch of $N=5$ columns:
$h_0 = x\in\mathbb{R}^{3\times5}$, $z_1 = A_1h_0 + b_1$, $h_1 = \tanh(z_1)$, $z_2 = A_2h_1 + b_2$,
$h_2 = \tanh(z_2)$ (biases added to every column), with the loss
$\mathcal{J} = \tfrac12\|h_2 - y\|_F^2$ summed over the batch. Shapes: $A_1$ is $4\times3$,
$A_2$ is $2\times4$.

Run the forward pass, then the backward recursion, and give $\nabla_{A_1}\mathcal{J}$.
""",
    build=_two_layer_data,
    solution=lambda **d: _two_layer_grad(**d),
    mistakes=(
        Mistake("forgot the bias in the forward pass", lambda **d: _two_layer_grad(**d, bias=False),
                "z_l = A_l h_{l-1} + b_l: the biases change z_l, hence D_l and the residual; add b_l[:, None] to every column"),
        Mistake("D_1 is missing in delta_1", lambda **d: _two_layer_grad(**d, D1=False),
                "delta_1 = D_1 (A_2^T delta_2): the error crosses the first tanh on its way down"),
        Mistake("D_2 is missing: the output layer was treated as linear", lambda **d: _two_layer_grad(**d, D2=False),
                "the output is h_2 = tanh(z_2), so delta_2 = D_2 (h_2 - y), not h_2 - y"),
        Mistake("averaged over the batch, but the loss is a sum", lambda **d: _two_layer_grad(**d, scale=1 / d["x"].shape[1]),
                "J adds the examples' losses; its gradient adds their gradients: no 1/N"),
    ),
    hint=r"""
$\delta_2 = D_2(h_2 - y)$, $\delta_1 = D_1(A_2^\top\delta_2)$, $\nabla_{A_1}\mathcal{J} = \delta_1h_0^\top$,
with $D_\ell$ acting column by column as the entrywise factor $1-\tanh^2(z_\ell)$.
""",
    solution_code="""\
z_1 = A_1 @ x + b_1[:, None]; h_1 = np.tanh(z_1)
z_2 = A_2 @ h_1 + b_2[:, None]; h_2 = np.tanh(z_2)
delta_2 = (1 - h_2**2) * (h_2 - y)          # D_2 grad_{h_2} J
delta_1 = (1 - h_1**2) * (A_2.T @ delta_2)  # D_1 A_2^T delta_2
solution = delta_1 @ x.T                    # delta_1 h_0^T, summed over the batch
""",
    evidence=gradient_evidence(_two_layer_loss),
)

register(weight_gradient, backward_step, batch_layer, two_layer)
