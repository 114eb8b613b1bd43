"""Cropping2D: removes rows and columns at the edges of channels-last images."""
from .. import ops
from . import image_layers
from .image_margins import margins
from .layer import Layer, batch_shape


class Cropping2D(Layer):
    """Removes cropping ((top, bottom), (left, right)) rows and columns; an int or a pair of ints
    crops both sides alike (Keras's forms). At least one row and column must remain."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        image_layers.check_data_format(data_format, image_layers.label(self))
        self.cropping = margins(self, cropping, "cropping")

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        for n, crop in zip(input_shape[1:3], self.cropping):
            if n is not None and sum(crop) >= n:
                raise ValueError(f"{image_layers.label(self)}: values in `cropping` should be smaller than the "
                                 f"corresponding spatial dimension of the input. Received: input shape "
                                 f"{batch_shape(input_shape)}, cropping={self.cropping}")
        sizes = tuple(None if n is None else n - sum(c) for n, c in zip(input_shape[1:3], self.cropping))
        return (input_shape[0],) + sizes + (input_shape[3],)

    def check_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        (top, bottom), (left, right) = self.cropping
        return ops.Crop.apply(inputs, before=(0, top, left, 0), after=(0, bottom, right, 0))

    def get_config(self):
        config = super().get_config()
        config.update(cropping=[list(c) for c in self.cropping], data_format="channels_last")
        return config
