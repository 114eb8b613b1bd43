"""Flatten: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""
import math

from .layer import Layer, batch_shape


class Flatten(Layer):
    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def check_input_shape(self, input_shape):
        if self.input_shape is not None and tuple(input_shape[1:]) != tuple(self.input_shape[1:]):
            raise ValueError(
                f"Input of layer {self.name!r} (Flatten) is incompatible with the layer: expected shape "
                f"{batch_shape(self.input_shape)}, received input with shape {batch_shape(input_shape)}"
            )

    def call(self, inputs, training=False):
        if inputs.ndim == 2:
            return inputs
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))  # also for a batch of 0
