"""UpSampling2D: repeats the rows and columns of channels-last images."""
from .. import _windows, ops
from . import image_layers
from .layer import Layer


class UpSampling2D(Layer):
    """Each pixel becomes a size[0] x size[1] block of copies of it (Keras's 'nearest'
    interpolation, the only one fastnn has)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = image_layers.label(self)
        image_layers.check_data_format(data_format, owner)
        self.size = _windows.pair(size, "size", owner)
        mode = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if mode != "nearest":
            raise ValueError(f"{owner}: fastnn upsamples with interpolation='nearest' only. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = mode

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        sizes = tuple(None if n is None else n * s for n, s in zip(input_shape[1:3], self.size))
        return (input_shape[0],) + sizes + (input_shape[3],)

    def check_input_shape(self, input_shape):
        image_layers.check_images(self, input_shape)

    def call(self, inputs, training=False):
        return ops.Repeat.apply(inputs, repeats=(1,) + self.size + (1,))

    def get_config(self):
        config = super().get_config()
        config.update(size=list(self.size), data_format="channels_last", interpolation=self.interpolation)
        return config
