"""RepeatVector: (batch, features) -> (batch, n, features), the vector repeated n times."""
import numpy as np

from .. import ops
from .layer import Layer, batch_shape


class RepeatVector(Layer):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"Layer {self.name!r} (RepeatVector): expected an integer value for `n`. "
                            f"Received: n={n!r}")
        if n <= 0:
            raise ValueError(f"Layer {self.name!r} (RepeatVector): argument `n` should be a positive integer. "
                             f"Received: n={n}")
        self.n = int(n)

    def compute_output_shape(self, input_shape):
        self.check_input_shape(input_shape)
        return (input_shape[0], self.n, input_shape[1])

    def check_input_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Input of layer {self.name!r} (RepeatVector) is incompatible with the layer: expected "
                             f"ndim=2 (batch, features), found ndim={len(input_shape)}. Full shape received: "
                             f"{batch_shape(input_shape)}")

    def call(self, inputs, training=False):
        return ops.Repeat.apply(inputs.reshape(inputs.shape[0], 1, inputs.shape[1]), repeats=(1, self.n, 1))

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config
