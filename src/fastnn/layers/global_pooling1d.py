"""GlobalPooling1D: the base of the global poolings over the steps of sequences."""
from .layer import Layer
from .sequence_layers import check_data_format, check_sequences, label


class GlobalPooling1D(Layer):
    """(batch, steps, features) -> (batch, features), or (batch, 1, features) with keepdims."""

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_data_format(data_format, label(self))
        self.keepdims = bool(keepdims)

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        return (input_shape[0], 1, input_shape[2]) if self.keepdims else (input_shape[0], input_shape[2])

    def check_input_shape(self, input_shape):
        check_sequences(self, input_shape)
        if input_shape[1] == 0:
            raise ValueError(f"{label(self)} cannot pool sequences of no steps. Received: input shape "
                             f"{tuple(input_shape)}")

    def pool(self, inputs, mask):
        """(batch, 1, features)."""
        raise NotImplementedError

    def call(self, inputs, training=False):
        pooled = self.pool(inputs, getattr(inputs, "_keras_mask", None))
        return pooled if self.keepdims else pooled.reshape(inputs.shape[0], inputs.shape[2])

    def get_config(self):
        config = super().get_config()
        config.update(data_format="channels_last", keepdims=self.keepdims)
        return config
