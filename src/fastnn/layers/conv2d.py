"""Conv2D: a 2-D convolution over channels-last images, with bias and activation."""
import numpy as np

from .. import _windows, activations, initializers, ops, regularizers
from . import image_layers
from .layer import Layer


class Conv2D(Layer):
    """`filters` kernels of kernel_size slid over (batch, height, width, channels) images.

    Keras's arguments and defaults; padding 'valid' or 'same' as Keras computes it. Relu is fused
    into the convolution; other activations are applied after it.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        owner = image_layers.label(self)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{owner}: invalid value for argument `filters`, expected a strictly positive "
                             f"integer. Received: filters={filters!r}")
        image_layers.check_data_format(data_format, owner)
        self.filters = int(filters)
        self.kernel_size = _windows.pair(kernel_size, "kernel_size", owner)
        self.strides = _windows.pair(strides, "strides", owner)
        self.padding = _windows.padding_mode(padding, owner)
        self.dilation_rate = _windows.pair(dilation_rate, "dilation_rate", owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        image_layers.check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{image_layers.label(self)} needs a known number of channels. "
                             f"Received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # raises when the kernel does not fit
        shape = self.kernel_size + (input_shape[-1], self.filters)
        self.kernel = self.add_weight("kernel", shape, self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        height, width = image_layers.output_hw(self, input_shape, self.kernel_size, self.strides, self.padding,
                                               self.dilation_rate)
        return (input_shape[0], height, width, self.filters)

    def check_input_shape(self, input_shape):
        image_layers.check_channels(self, input_shape, self.kernel.shape[2])
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        fused = "relu" if self.activation is activations.relu else None
        outputs = ops.conv2d(inputs, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate, fused)
        if fused or self.activation is activations.linear:
            return outputs
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding,
            data_format="channels_last",
            dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        config.update(self._regularizer_config("kernel_regularizer", "bias_regularizer"))
        return config
