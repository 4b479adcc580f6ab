"""companion: the code behind the Chapter 8 (Matrix Calculus) companion book.

A derivative is a linear map (the differential), a gradient is its Riesz representer
under a chosen inner product, and backprop is the pullback of covectors by adjoints.
The modules hold one idea each:

- :mod:`companion.spaces`        inner products, metrics, Riesz map, adjoints (8.2, 8.4, 8.7)
- :mod:`companion.differentials` directional derivatives, Jacobians, Taylor test (8.1, 8.2)
- :mod:`companion.pullbacks`     chains of local maps: pushforward in order, pullback in reverse (8.4)
- :mod:`companion.models`        least squares, MLP, attention with hand-written pullbacks (8.3, 8.5, 8.6)
- :mod:`companion.checks`        ``check_gradient``: which common mistake a wrong gradient makes
- :mod:`companion.metrics`       gradient descent under a metric, natural gradient (8.7)
- :mod:`companion.spectra`       Jacobian products at initialization, singular values, reference laws (8.8)

Widgets live in :mod:`companion.widgets` and are not imported here.
"""

from ._version import __version__ as __version__  # re-exported; from pyproject.toml, the one place it is written
from .checks import GradientReport, check_gradient
from .differentials import TaylorResult, directional_derivative, jacobian, numerical_gradient, taylor_test
from .exercises import check  # exercises with feedback that names the mistake (companion.exercises)
from .metrics import (
    LogisticRegression,
    Quadratic,
    ill_conditioned_quadratic,
    make_logistic_regression,
    metric_descent,
    metric_step,
    reparametrize,
    stability_bound,
    steepest_direction,
)
from .models import (
    AttentionCache,
    MLPCache,
    MLPGrads,
    attention,
    attention_vjp,
    least_squares,
    mlp_backward,
    mlp_forward,
    mlp_init,
    mlp_loss_and_grads,
    softmax_jacobian,
    softmax_vjp,
)
from .pullbacks import LocalMap, chain_forward, chain_pullback, chain_pushforward, plane_map

# The reverse-mode engine (8.4, 8.5). Its functions take Tensors or numpy arrays (numpy in,
# numpy out): on arrays ``companion.softmax`` is ``companion.models.softmax``.
from .reverse import (
    Tensor,
    exp,
    grad,
    inv,
    jvp,
    log,
    logdet,
    maximum,
    relu,
    sigmoid,
    softmax,
    tanh,
    trace,
    value_and_grad,
    vjp,
    where,
)
from .spaces import Metric, adjoint, dot_product_test, frobenius, inner, riesz, unvec, vec
from .spectra import (
    critical_gain,
    gaussian_weights,
    input_output_jacobian,
    input_pullback,
    jacobian_products,
    marchenko_pastur_density,
    mean_squared_singular_value,
    orthogonal_weights,
    predicted_mean_squared_singular_value,
    sample_weights,
    singular_values,
)

__all__ = [
    "AttentionCache", "GradientReport", "MLPCache", "MLPGrads", "Metric", "TaylorResult",
    "adjoint", "attention", "attention_vjp", "check_gradient", "directional_derivative",
    "check",
    "LocalMap", "chain_forward", "chain_pullback", "chain_pushforward", "plane_map",
    "dot_product_test", "frobenius", "inner", "jacobian", "least_squares", "mlp_backward",
    "mlp_forward", "mlp_init", "mlp_loss_and_grads", "numerical_gradient", "riesz",
    "softmax", "softmax_jacobian", "softmax_vjp", "taylor_test", "unvec", "vec",
    # 8.7 metrics and 8.8 spectra
    "LogisticRegression", "Quadratic", "ill_conditioned_quadratic", "make_logistic_regression", "metric_descent",
    "metric_step", "reparametrize", "stability_bound", "steepest_direction",
    "critical_gain", "gaussian_weights", "input_output_jacobian", "input_pullback", "jacobian_products",
    "marchenko_pastur_density", "mean_squared_singular_value", "orthogonal_weights",
    "predicted_mean_squared_singular_value", "sample_weights", "singular_values",
    # the engine
    "Tensor", "exp", "grad", "inv", "jvp", "log", "logdet", "maximum", "relu", "sigmoid",
    "tanh", "trace", "value_and_grad", "vjp", "where",
]
