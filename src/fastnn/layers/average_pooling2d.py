"""AveragePooling2D: the mean of each window; with 'same' padding, over the positions inside the image."""
from .. import ops
from .pooling2d import Pooling2D


class AveragePooling2D(Pooling2D):
    def pool(self, inputs):
        return ops.avg_pool2d(inputs, self.pool_size, self.strides, self.padding)
