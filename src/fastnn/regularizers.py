"""Weight regularizers: penalties added to the loss, composed from fastnn's differentiable ops.

A regularizer maps a weight Tensor to a scalar Tensor; its gradient reaches the weight
through autodiff like any other part of the loss.
"""
import math
import numbers

from . import _registry
from . import functional as F


def _factor(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number. Received: {name}={value!r}")
    if value < 0:
        raise ValueError(f"{owner}: {name} must be >= 0 (a negative penalty rewards large weights). "
                         f"Received: {name}={value!r}")
    return float(value)


class Regularizer(_registry.Configurable):
    """Base class: __call__(weight) -> scalar Tensor penalty."""

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__")


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x ** 2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(type(self).__name__, "l1", l1)
        self.l2 = _factor(type(self).__name__, "l2", l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = F.multiply(F.sum(F.abs(x)), self.l1)
        if self.l2:
            squares = F.multiply(F.sum(F.multiply(x, x)), self.l2)
            penalty = squares if penalty is None else F.add(penalty, squares)
        if penalty is None:  # both factors 0: a zero that still depends on x
            penalty = F.multiply(F.sum(x), 0.0)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x ** 2)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


# Lowercase names, as Keras exports them: l1(0.01), l2(0.01), l1_l2(l1=0.0, l2=0.0).
l1, l2, l1_l2 = L1, L2, L1L2

CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}


def serialize(regularizer):
    """{'class_name': ..., 'config': ...}, the form get() accepts."""
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def get(identifier):
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2'), a config dict or a callable."""
    if identifier is None:
        return None
    return _registry.get_instance("regularizer", identifier, _BY_NAME, CLASSES,
                                  known=["l1", "l2", "l1_l2", "L1", "L2", "L1L2"])


def deserialize(config):
    return _registry.from_class_config("regularizer", config, CLASSES)
