"""GlobalMaxPooling2D: the largest value of each channel over the whole image."""
from .. import ops
from .global_pooling2d import GlobalPooling2D


class GlobalMaxPooling2D(GlobalPooling2D):
    def pool(self, inputs, window):
        return ops.max_pool2d(inputs, window)
