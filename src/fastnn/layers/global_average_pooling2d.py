"""GlobalAveragePooling2D: the mean of each channel over the whole image."""
from .. import ops
from .global_pooling2d import GlobalPooling2D


class GlobalAveragePooling2D(GlobalPooling2D):
    def pool(self, inputs, window):
        return ops.avg_pool2d(inputs, window)
