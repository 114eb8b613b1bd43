"""Minimum: the element-wise minimum of a list of tensors (at a tie the gradient goes to the
earlier input)."""
from ... import ops
from .base import Merge


class Minimum(Merge):
    def merge(self, tensors):
        result = tensors[0]
        for t in tensors[1:]:
            result = ops.minimum(result, t)
        return result


def minimum(inputs, **kwargs):
    """Minimum()(inputs): the element-wise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)
