"""GlobalPooling2D: the base of the global poolings, one window covering each whole image."""
from . import image_layers
from .layer import Layer


class GlobalPooling2D(Layer):
    """(batch, height, width, channels) -> (batch, channels), or (batch, 1, 1, channels) with keepdims."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        image_layers.check_data_format(data_format, image_layers.label(self))
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        if self.keepdims:
            return (input_shape[0], 1, 1, input_shape[3])
        return (input_shape[0], input_shape[3])

    def check_input_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        if 0 in input_shape[1:3]:
            raise ValueError(f"{image_layers.label(self)} cannot pool images of no pixels. "
                             f"Received: input shape {tuple(input_shape)}")

    def pool(self, inputs, window):
        raise NotImplementedError

    def call(self, inputs, training=False):
        n, height, width, channels = inputs.shape
        pooled = self.pool(inputs, (height, width))
        return pooled if self.keepdims else pooled.reshape(n, channels)

    def get_config(self):
        config = super().get_config()
        config.update(data_format="channels_last", keepdims=self.keepdims)
        return config
