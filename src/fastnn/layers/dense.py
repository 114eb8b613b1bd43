"""Dense: activation(inputs . kernel + bias), one fused GEMM on the last axis."""
import numpy as np

from .. import activations, initializers, ops, regularizers
from .layer import Layer, batch_shape


class Dense(Layer):
    """A fully connected layer with `units` outputs.

    Relu is fused into the matrix product; other activations are applied after it.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. Received: units={units!r}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer {self.name!r} (Dense) needs inputs of rank >= 2 with a known last axis. "
                f"Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                                      self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def check_input_shape(self, input_shape):
        expected = self.kernel.shape[0]
        if len(input_shape) < 2 or input_shape[-1] != expected:
            raise ValueError(
                f"Input of layer {self.name!r} (Dense) is incompatible with the layer: expected "
                f"shape (None, {expected}), received input with shape {batch_shape(input_shape)}"
            )

    def call(self, inputs, training=False):
        if self.activation is activations.relu:
            return self._affine(inputs, "relu")
        outputs = self._affine(inputs, None)
        return outputs if self.activation is activations.linear else self.activation(outputs)

    def _affine(self, inputs, fused_activation):
        if inputs.ndim == 2:
            return ops.dense(inputs, self.kernel, self.bias, fused_activation)
        flat = inputs.reshape(-1, inputs.shape[-1])
        outputs = ops.dense(flat, self.kernel, self.bias, fused_activation)
        return outputs.reshape(*inputs.shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        config.update(self._regularizer_config("kernel_regularizer", "bias_regularizer"))
        return config
