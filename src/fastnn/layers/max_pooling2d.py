"""MaxPooling2D: the largest value of each window; ties pass the gradient to the first in row-major order."""
from .. import ops
from .pooling2d import Pooling2D


class MaxPooling2D(Pooling2D):
    def pool(self, inputs):
        return ops.max_pool2d(inputs, self.pool_size, self.strides, self.padding)
