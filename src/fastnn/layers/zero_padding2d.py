"""ZeroPadding2D: rows and columns of zeros around channels-last images."""
from .. import ops
from . import image_layers
from .image_margins import margins
from .layer import Layer


class ZeroPadding2D(Layer):
    """Adds padding ((top, bottom), (left, right)) zero rows and columns; an int or a pair of ints
    pads both sides alike (Keras's forms)."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        image_layers.check_data_format(data_format, image_layers.label(self))
        self.padding = margins(self, padding, "padding")

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        sizes = tuple(None if n is None else n + sum(p) for n, p in zip(input_shape[1:3], self.padding))
        return (input_shape[0],) + sizes + (input_shape[3],)

    def check_input_shape(self, input_shape):
        image_layers.check_images(self, input_shape)

    def call(self, inputs, training=False):
        (top, bottom), (left, right) = self.padding
        return ops.ZeroPad.apply(inputs, before=(0, top, left, 0), after=(0, bottom, right, 0))

    def get_config(self):
        config = super().get_config()
        config.update(padding=[list(p) for p in self.padding], data_format="channels_last")
        return config
