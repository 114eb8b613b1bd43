"""Add: the element-wise sum of a list of tensors."""
from ... import functional
from .base import Merge


class Add(Merge):
    def merge(self, tensors):
        total = tensors[0]
        for t in tensors[1:]:
            total = functional.add(total, t)
        return total


def add(inputs, **kwargs):
    """Add()(inputs): the sum of a list of tensors."""
    return Add(**kwargs)(inputs)
