"""InputLayer / Input: a model's input, as a symbolic tensor of a given sample shape.

`Input(shape)` returns the symbolic tensor that functional models start from; an InputLayer
(or that tensor) put first in models.Sequential([...]) declares the stack's input shape."""
import numpy as np

from .layer import Layer, as_shape
from .symbolic import Node, OutputSpec

_DTYPES = ("float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "uint16", "bool")


class InputLayer(Layer):
    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None, batch_shape=None,
                 sparse=None, **kwargs):
        if shape is None and input_shape is not None:
            shape = input_shape
        if shape is None and batch_shape is not None:
            batch_size, shape = tuple(batch_shape)[0], tuple(batch_shape)[1:]
        if shape is None:
            raise ValueError("InputLayer needs the shape of one sample, e.g. shape=(784,)")
        if sparse:
            raise ValueError("fastnn has no sparse tensors. Received: sparse=True")
        shape = as_shape(shape, "shape")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                                       or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer or None. Received: batch_size={batch_size!r}")
        dtype = "float32" if dtype is None else np.dtype(dtype).name
        if dtype not in _DTYPES:
            raise ValueError(f"Input dtype must be a real number type such as 'float32' or 'int32'. "
                             f"Received: dtype={dtype!r}")
        super().__init__(name=name, input_shape=shape, **kwargs)
        self.shape = shape
        self.batch_size = batch_size
        self.dtype = dtype
        self.built = True
        self.input_shape = (batch_size,) + shape
        Node(self, [], (), {}, OutputSpec(((batch_size,) + shape, dtype)))

    def call(self, inputs, training=False):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = {"name": self.name, "shape": list(self.shape), "batch_size": self.batch_size}
        if self.dtype != "float32":
            config["dtype"] = self.dtype
        return config


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, tensor=None, sparse=None):
    """A symbolic tensor for a model's input: samples of `shape` (batch axis excluded).

    Call layers on it to build a graph, then models.Model(inputs, outputs); or put it first in
    models.Sequential([...]) to declare the stack's input shape."""
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported: pass shape= and feed the values to the model")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape,
                      sparse=sparse).output


def input_layer_of(value):
    """The InputLayer that made `value` (a symbolic tensor from Input), or None."""
    node = getattr(value, "node", None)
    layer = getattr(node, "layer", None)
    return layer if isinstance(layer, InputLayer) and not node.input_tensors else None
