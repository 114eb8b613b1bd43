"""Activation functions by name, as Keras spells them: Tensor in, Tensor out."""
import fastnn

from . import _registry


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


ALL = {fn.__name__: fn for fn in (linear, relu, sigmoid, tanh, softmax)}


def get(identifier):
    """The activation function for a name, None ('linear') or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _registry.lookup("activation", identifier, ALL, known=sorted(ALL))
    if callable(identifier):
        return identifier
    raise _registry.not_understood("activation", identifier, argument="activation")


def serialize(fn):
    """The name a built-in activation is saved under."""
    for name, known in ALL.items():
        if fn is known:
            return name
    raise ValueError(
        f"Cannot serialize the custom activation {fn!r}; only built-in activations "
        f"({', '.join(sorted(ALL))}) can be saved by name"
    )
