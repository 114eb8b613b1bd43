"""Dense: activation(inputs . kernel + bias), one fused GEMM on the last axis."""
import numpy as np

from .. import ops
from .kernel_layer import KernelLayer
from .layer import batch_shape


class Dense(KernelLayer):
    """A fully connected layer with `units` outputs.

    Relu is fused into the matrix product; other activations are applied after it.
    """

    supports_masking = True

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
        self.set_kernel_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer {self.name!r} (Dense) needs inputs of rank >= 2 with a known last axis. "
                f"Received: input_shape={input_shape}"
            )
        self.add_kernel_and_bias((input_shape[-1], self.units))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def check_input_shape(self, input_shape):
        expected = self.kernel.shape[0]
        if len(input_shape) < 2 or input_shape[-1] != expected:
            raise ValueError(
                f"Input of layer {self.name!r} (Dense) is incompatible with the layer: expected "
                f"shape (None, {expected}), received input with shape {batch_shape(input_shape)}"
            )

    def affine(self, inputs, fused_activation, weights=None):
        kernel, bias = self._kernel_and_bias(weights)
        if inputs.ndim == 2:
            return ops.dense(inputs, kernel, bias, fused_activation)
        flat = inputs.reshape(-1, inputs.shape[-1])
        outputs = ops.dense(flat, kernel, bias, fused_activation)
        return outputs.reshape(*inputs.shape[:-1], self.units)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        config.update(self.kernel_options_config())
        return config
