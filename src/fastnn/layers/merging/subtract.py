"""Subtract: the first of two tensors minus the second."""
from ... import functional
from .base import Merge


class Subtract(Merge):
    exact_inputs = 2

    def merge(self, tensors):
        return functional.subtract(tensors[0], tensors[1])


def subtract(inputs, **kwargs):
    """Subtract()(inputs): inputs[0] - inputs[1]."""
    return Subtract(**kwargs)(inputs)
