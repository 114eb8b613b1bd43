"""Pooling1D: the base of MaxPooling1D and AveragePooling1D (windows along the steps)."""
from .layer import Layer
from .sequence_layers import check_data_format, check_sequences, label, one, output_length


class Pooling1D(Layer):
    """Reduces each window of pool_size steps of every channel to one value; strides default to
    pool_size. Computed by the 2-D pooling kernels over (batch, 1, steps, channels)."""

    pool = None  # ops.max_pool2d or ops.avg_pool2d

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = label(self)
        check_data_format(data_format, owner)
        self.pool_size = one(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else one(strides, "strides", owner)
        mode = padding.lower() if isinstance(padding, str) else None
        if mode not in ("valid", "same"):
            raise ValueError(f"{owner}: padding must be 'valid' or 'same'. Received: padding={padding!r}")
        self.padding = mode

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        steps = output_length(self, input_shape, self.pool_size, self.strides, self.padding)
        return (input_shape[0], steps, input_shape[2])

    def check_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        n, steps, channels = inputs.shape
        pooled = type(self).pool(inputs.reshape(n, 1, steps, channels), pool_size=(1, self.pool_size),
                                 strides=(1, self.strides), padding=self.padding)
        return pooled.reshape(n, pooled.shape[2], channels)

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=[self.pool_size], strides=[self.strides], padding=self.padding,
                      data_format="channels_last")
        return config
