"""UpSampling1D: each step repeated `size` times."""
import numpy as np

from .. import ops
from .layer import Layer
from .sequence_layers import check_sequences, label


class UpSampling1D(Layer):
    """(batch, steps, features) -> (batch, steps * size, features)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size <= 0:
            raise ValueError(f"{label(self)}: argument `size` should be a positive integer. Received: size={size!r}")
        self.size = int(size)

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def check_input_shape(self, input_shape):
        check_sequences(self, input_shape)

    def call(self, inputs, training=False):
        return ops.repeat(inputs, self.size, axis=1)

    def get_config(self):
        config = super().get_config()
        config["size"] = self.size
        return config
