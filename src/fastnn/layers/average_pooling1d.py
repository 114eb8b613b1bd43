"""AveragePooling1D: the mean of each window of steps."""
from .. import ops
from .pooling1d import Pooling1D


class AveragePooling1D(Pooling1D):
    """Keras's AveragePooling1D(pool_size, strides=None, padding='valid'); with 'same' padding a
    window averages its steps inside the sequence."""

    pool = staticmethod(ops.avg_pool2d)

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
