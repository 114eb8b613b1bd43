"""Average: the element-wise mean of a list of tensors."""
from ... import functional
from .base import Merge


class Average(Merge):
    def merge(self, tensors):
        total = tensors[0]
        for t in tensors[1:]:
            total = functional.add(total, t)
        return total if len(tensors) == 1 else functional.multiply(total, 1.0 / len(tensors))


def average(inputs, **kwargs):
    """Average()(inputs): the mean of a list of tensors."""
    return Average(**kwargs)(inputs)
