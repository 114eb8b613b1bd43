"""Activation functions by name, as Keras spells them: Tensor in, Tensor out."""
import math

import fastnn

from . import _registry, ops


def linear(x):
    """The identity."""
    return x


def relu(x):
    """max(x, 0)."""
    return fastnn.relu(x)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return fastnn.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return fastnn.tanh(x)


def softmax(x):
    """exp(x) / sum(exp(x)) along the last axis."""
    return fastnn.softmax(x, axis=-1)


def _real(activation, name, value):
    """value as a finite float, or ValueError naming the activation and the argument."""
    if not isinstance(value, bool):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number):
            return number
    raise ValueError(f"{activation}: {name} must be a finite real number. Received: {name}={value!r}")


def elu(x, alpha=1.0):
    """x where x >= 0, else alpha * (exp(x) - 1)."""
    return ops.Elu.apply(x, alpha=_real("elu", "alpha", alpha))


def selu(x):
    """scale * elu(x, alpha), alpha = 1.67326324..., scale = 1.05070098... (Klambauer et al., 2017)."""
    return ops.Selu.apply(x)


def leaky_relu(x, negative_slope=0.2):
    """x where x >= 0, else negative_slope * x."""
    return ops.LeakyRelu.apply(x, negative_slope=_real("leaky_relu", "negative_slope", negative_slope))


def softplus(x):
    """log(exp(x) + 1)."""
    return ops.Softplus.apply(x)


def softsign(x):
    """x / (abs(x) + 1)."""
    return ops.Softsign.apply(x)


def gelu(x, approximate=False):
    """0.5 * x * (1 + erf(x / sqrt(2))); with approximate=True,
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))."""
    if not isinstance(approximate, bool):
        raise ValueError(f"gelu: approximate must be True or False. Received: approximate={approximate!r}")
    return (ops.GeluApproximate if approximate else ops.Gelu).apply(x)


def silu(x):
    """x * sigmoid(x), also called swish."""
    return ops.Silu.apply(x)


swish = silu


def exponential(x):
    """exp(x)."""
    return fastnn.exp(x)


def hard_sigmoid(x):
    """relu6(x + 3) / 6: 0 for x <= -3, 1 for x >= 3, x / 6 + 0.5 between."""
    return ops.HardSigmoid.apply(x)


_CANONICAL = (linear, relu, sigmoid, tanh, softmax, elu, selu, leaky_relu, softplus, softsign, gelu, silu,
              exponential, hard_sigmoid)
ALL = dict({fn.__name__: fn for fn in _CANONICAL}, swish=silu)


def get(identifier):
    """The activation function for a name, None ('linear') or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _registry.lookup("activation", identifier, ALL, known=sorted(ALL))
    if callable(identifier):
        return identifier
    raise _registry.not_understood("activation", identifier, argument="activation")


def deserialize(name):
    """The built-in activation saved under `name` (serialize's inverse)."""
    if not isinstance(name, str):
        raise _registry.not_understood("activation", name, argument="activation")
    return get(name)


def serialize(fn):
    """The name a built-in activation is saved under (silu for swish, as Keras)."""
    for known in _CANONICAL:
        if fn is known:
            return known.__name__
    raise ValueError(
        f"Cannot serialize the custom activation {fn!r}; only built-in activations "
        f"({', '.join(sorted(ALL))}) can be saved by name"
    )
