"""Random inputs for the registry test, one sampler per built-in primitive (``defprimitive(sample=...)``).

Each sampler takes a ``numpy.random.Generator`` and returns a tuple of arguments: random
float64 arrays in the primitive's domain (positive for ``log``, well-conditioned for
``inv``), shapes of rank 0-3 with sizes 1-4 and pairs of shapes that broadcast, then the
primitive's static parameters. The test suite draws from them to check every rule against
finite differences and by the dot-product test; so does :func:`companion.rules.defprimitive`
once, to check what each vjp rule declares it reads.
"""

from __future__ import annotations

import numpy as np


def shape(rng, lo=0, hi=3):
    return tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(lo, hi + 1))))


def broadcast_pair(rng):
    """Two shapes that broadcast together: equal, with some axes of size 1, or fewer leading axes."""
    base = shape(rng, 0, 3)
    thin = [1 if rng.random() < 0.35 else n for n in base]
    thin = tuple(thin[int(rng.integers(0, len(thin) + 1)):])
    return (base, thin) if rng.random() < 0.5 else (thin, base)


def normal(rng, shape):
    return rng.standard_normal(shape)


def away_from_zero(rng, shape):
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def positive(rng, shape):
    return rng.uniform(0.3, 3.0, shape)


def wide(rng, shape):
    return 3 * rng.standard_normal(shape)


def unary(domain=normal, lo=0):
    return lambda rng: (domain(rng, shape(rng, lo)),)


def binary(second=normal):
    def sample(rng):
        a, b = broadcast_pair(rng)
        return normal(rng, a), second(rng, b)
    return sample


def power(rng):
    return rng.uniform(0.5, 2.0, shape(rng)), float(rng.choice([2, 3, 0.5, -1, 1.5]))


def matmul(rng):
    """Every case of numpy's matmul: matrix and vector operands, stacks, broadcast batches."""
    k, n, m = (int(s) for s in rng.integers(1, 5, size=3))
    batch = [(), (), (int(rng.integers(1, 4)),)][int(rng.integers(0, 3))]
    cases = [
        ((n, k), (k, m)), ((n, k), (k,)), ((k,), (k, m)), ((k,), (k,)),
        (batch + (n, k), batch + (k, m)), ((2,) + (n, k), (k, m)), ((n, k), (3, k, m)),
        ((k,), (2, k, m)), ((2, 1, n, k), (3, k, m)),
    ]
    a, b = cases[int(rng.integers(0, len(cases)))]
    return normal(rng, a), normal(rng, b)


def transpose(rng):
    x = normal(rng, shape(rng, 1))
    return x, (None if rng.random() < 0.4 else tuple(int(a) for a in rng.permutation(x.ndim)))


def reshape(rng):
    x = normal(rng, shape(rng, 1))
    shapes = [(-1,), (x.size, 1), x.shape[::-1], (1,) + x.shape]
    return x, shapes[int(rng.integers(0, len(shapes)))]


def sum_(rng):
    x = normal(rng, shape(rng))
    axes = [None] + list(range(-x.ndim, x.ndim)) + ([(0, x.ndim - 1)] if x.ndim >= 2 else [])
    return x, axes[int(rng.integers(0, len(axes)))], bool(rng.random() < 0.4)


def getitem(rng):
    """Basic indices (ints, slices, None, Ellipsis) and fancy ones (lists, arrays, a mask), repeats included."""
    x = normal(rng, (4, 3, 2))
    mask = rng.random((4, 3)) < 0.5
    mask[0, 0] = True
    indices = [
        (1,), (slice(1, 3),), (slice(None), 2), (Ellipsis, None, 1), (slice(None, None, -2), slice(1, None)),
        ([0, 2, 0],), (np.array([3, 3, 1]), slice(None), 0), ([0, 1], [2, 2]), (mask,), (slice(None), [1, 1, 0]),
    ]
    return x, indices[int(rng.integers(0, len(indices)))]


def where(rng):
    a, b = broadcast_pair(rng)
    return normal(rng, a), normal(rng, b), rng.random(np.broadcast_shapes(a, b)) < 0.5


def softmax(rng):
    x = wide(rng, shape(rng, 1))
    return x, int(rng.integers(-x.ndim, x.ndim))


def square_stack(rng, n=None):
    batch = () if rng.random() < 0.6 else (int(rng.integers(1, 4)),)
    n = int(rng.integers(1, 5)) if n is None else n
    return batch + (n, n)


def square(rng):
    return (normal(rng, square_stack(rng)),)


def well_conditioned(rng):
    """``I + E`` with ``|E| < 1/2``: invertible, condition number below 3, det > 0."""
    s = square_stack(rng)
    E = rng.standard_normal(s)
    E *= 0.4 / max(1.0, np.linalg.norm(E, 2, axis=(-2, -1)).max())
    return (np.eye(s[-1]) + E,)


def spd_or_well_conditioned(rng):
    """A symmetric positive definite matrix (stack) or a well-conditioned one: det > 0 either way."""
    if rng.random() >= 0.5:
        return well_conditioned(rng)
    s = square_stack(rng)
    A = rng.standard_normal(s)
    return (A @ np.swapaxes(A, -1, -2) / s[-1] + np.eye(s[-1]),)
