"""Pooling2D: the base of MaxPooling2D and AveragePooling2D (windows over channels-last images)."""
from .. import _windows
from . import image_layers
from .layer import Layer


class Pooling2D(Layer):
    """Reduces each pool_size window of every channel to one value; strides default to pool_size."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = image_layers.label(self)
        image_layers.check_data_format(data_format, owner)
        self.pool_size = _windows.pair(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else _windows.pair(strides, "strides", owner)
        self.padding = _windows.padding_mode(padding, owner)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        height, width = image_layers.output_hw(self, input_shape, self.pool_size, self.strides, self.padding)
        return (input_shape[0], height, width, input_shape[3])

    def check_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)

    def pool(self, inputs):
        raise NotImplementedError

    def call(self, inputs, training=False):
        return self.pool(inputs)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding,
                      data_format="channels_last")
        return config
