"""InputLayer / Input: declares a Sequential model's input shape (batch axis excluded)."""
from .layer import Layer, as_shape


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, name=None, **kwargs):
        if shape is None:
            raise ValueError("InputLayer needs the shape of one sample, e.g. shape=(784,)")
        shape = as_shape(shape, "shape")
        super().__init__(name=name, input_shape=shape, **kwargs)
        self.shape = shape
        self.batch_size = batch_size

    def call(self, inputs, training=False):
        return inputs

    def get_config(self):
        return {"name": self.name, "shape": list(self.shape), "batch_size": self.batch_size}


def Input(shape=None, batch_size=None, name=None):
    """An InputLayer, to put first in models.Sequential([...])."""
    return InputLayer(shape=shape, batch_size=batch_size, name=name)
