"""Multiply: the element-wise product of a list of tensors."""
from ... import functional
from .base import Merge


class Multiply(Merge):
    def merge(self, tensors):
        product = tensors[0]
        for t in tensors[1:]:
            product = functional.multiply(product, t)
        return product


def multiply(inputs, **kwargs):
    """Multiply()(inputs): the product of a list of tensors."""
    return Multiply(**kwargs)(inputs)
