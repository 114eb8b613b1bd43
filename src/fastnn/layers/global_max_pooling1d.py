"""GlobalMaxPooling1D: the largest value of each feature over the steps."""
from .. import ops
from .global_pooling1d import GlobalPooling1D


class GlobalMaxPooling1D(GlobalPooling1D):
    """The maximum over all steps (a mask is not consulted, as in Keras)."""

    def pool(self, inputs, mask):
        n, steps, features = inputs.shape
        pooled = ops.max_pool2d(inputs.reshape(n, 1, steps, features), pool_size=(1, steps))
        return pooled.reshape(n, 1, features)
