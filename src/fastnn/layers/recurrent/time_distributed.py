"""TimeDistributed: one layer applied to every step of sequences (batch, steps, ...)."""
from ..layer import Layer, batch_shape
from .wrapper import Wrapper, deserialized, serialized


class TimeDistributed(Wrapper):
    """Keras's TimeDistributed(layer): the layer sees (batch * steps, ...) and its output is put
    back as (batch, steps, ...); one set of weights serves every step (the layer's, same names).
    A mask on the inputs passes through."""

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer!r}")
        self.layer = layer

    def _check(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"Input of layer {self.name!r} (TimeDistributed) is incompatible with the layer: "
                             f"`TimeDistributed` requires inputs of at least 3 dimensions (batch, steps, ...). "
                             f"Received: input shape {batch_shape(input_shape)}")

    def build(self, input_shape):
        self._check(input_shape)
        self.layer.build_for((None,) + tuple(input_shape[2:]))
        self.adopt_weights([self.layer], [""])

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        inner = self.layer.compute_output_shape((None,) + tuple(input_shape[2:]))
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def check_input_shape(self, input_shape):
        self._check(input_shape)
        self.layer.check_input_shape((None,) + tuple(input_shape[2:]))

    def call(self, inputs, training=False):
        n, steps = inputs.shape[:2]
        outputs = self.layer(inputs.reshape((n * steps,) + inputs.shape[2:]), training=training)
        return outputs.reshape((n, steps) + outputs.shape[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialized(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        return cls(deserialized(config.pop("layer"), custom_objects), **config)
