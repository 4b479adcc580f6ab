"""Explorers: one per section of the chapter (importing this package imports ipywidgets).

Each explorer is built by ``make_<name>_explorer(**defaults)`` and keeps three layers
apart: compute (pure functions in the package's math modules), draw (functions that
draw onto a given matplotlib ``Axes``) and wire (the factory). See :class:`companion.widgets.Explorer`
for the live and static modes they share.
"""

from ._base import Explorer
from .adjoint import make_adjoint_explorer
from .attention import make_attention_explorer
from .least_squares import make_least_squares_explorer
from .linearization import make_linearization_explorer
from .metrics import make_metric_descent_explorer
from .mlp import make_mlp_explorer
from .riesz import make_riesz_explorer
from .spectra import make_spectra_explorer

__all__ = [
    "Explorer",
    "make_linearization_explorer",
    "make_riesz_explorer",
    "make_least_squares_explorer",
    "make_adjoint_explorer",
    "make_mlp_explorer",
    "make_attention_explorer",
    "make_metric_descent_explorer",
    "make_spectra_explorer",
]
