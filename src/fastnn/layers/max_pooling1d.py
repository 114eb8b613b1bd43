"""MaxPooling1D: the largest value of each window of steps."""
from .. import ops
from .pooling1d import Pooling1D


class MaxPooling1D(Pooling1D):
    """Keras's MaxPooling1D(pool_size=2, strides=None, padding='valid')."""

    pool = staticmethod(ops.max_pool2d)

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
