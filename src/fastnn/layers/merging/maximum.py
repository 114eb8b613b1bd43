"""Maximum: the element-wise maximum of a list of tensors (at a tie the gradient goes to the
earlier input)."""
from ... import ops
from .base import Merge


class Maximum(Merge):
    def merge(self, tensors):
        result = tensors[0]
        for t in tensors[1:]:
            result = ops.maximum(result, t)
        return result


def maximum(inputs, **kwargs):
    """Maximum()(inputs): the element-wise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)
