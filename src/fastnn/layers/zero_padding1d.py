"""ZeroPadding1D: steps of zeros added at the start and the end of sequences."""
from .. import ops
from .layer import Layer
from .sequence_layers import check_data_format, check_sequences, label, pair_of_sizes


class ZeroPadding1D(Layer):
    """Adds padding[0] steps of zeros at the start and padding[1] at the end (an int pads both)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_data_format(data_format, label(self))
        self.padding = pair_of_sizes(padding, "padding", label(self))

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        steps = None if input_shape[1] is None else input_shape[1] + sum(self.padding)
        return (input_shape[0], steps, input_shape[2])

    def check_input_shape(self, input_shape):
        check_sequences(self, input_shape)

    def call(self, inputs, training=False):
        return ops.pad(inputs, ((0, 0), self.padding, (0, 0)))

    def get_config(self):
        config = super().get_config()
        config.update(padding=list(self.padding), data_format="channels_last")
        return config
