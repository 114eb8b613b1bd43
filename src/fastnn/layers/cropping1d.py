"""Cropping1D: steps cut off the start and the end of sequences."""
from .. import ops
from .layer import Layer, batch_shape
from .sequence_layers import check_sequences, label, pair_of_sizes


class Cropping1D(Layer):
    """Removes cropping[0] steps at the start and cropping[1] at the end (an int crops both)."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = pair_of_sizes(cropping, "cropping", label(self))

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        steps = input_shape[1]
        if steps is not None:
            steps -= sum(self.cropping)
            if steps <= 0:
                raise ValueError(f"{label(self)}: `cropping` must be smaller than the input length. Received: "
                                 f"input shape {batch_shape(input_shape)}, cropping={self.cropping}")
        return (input_shape[0], steps, input_shape[2])

    def check_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        start, end = self.cropping
        return ops.slice_axis(inputs, 1, start, inputs.shape[1] - end)

    def get_config(self):
        config = super().get_config()
        config["cropping"] = list(self.cropping)
        return config
