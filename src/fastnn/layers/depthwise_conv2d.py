"""DepthwiseConv2D: each channel of channels-last images convolved with its own depth_multiplier kernels."""
import numpy as np

from .. import _windows, activations, initializers, ops, regularizers
from . import image_layers
from .layer import Layer


def positive_count(layer, value, name):
    """value as a positive int; ValueError naming the layer and argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{image_layers.label(layer)}: invalid value for argument `{name}`, expected a strictly "
                         f"positive integer. Received: {name}={value!r}")
    return int(value)


class DepthwiseConv2D(Layer):
    """Output channel c * depth_multiplier + m is input channel c convolved with kernel[:, :, c, m].

    Keras's arguments, defaults and weights: kernel (kh, kw, in_channels, depth_multiplier), bias
    (in_channels * depth_multiplier,). Relu is fused into the convolution; other activations are
    applied after it.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        owner = image_layers.label(self)
        image_layers.check_data_format(data_format, owner)
        self.depth_multiplier = positive_count(self, depth_multiplier, "depth_multiplier")
        self.kernel_size = _windows.pair(kernel_size, "kernel_size", owner)
        self.strides = _windows.pair(strides, "strides", owner)
        self.padding = _windows.padding_mode(padding, owner)
        self.dilation_rate = _windows.pair(dilation_rate, "dilation_rate", owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        image_layers.check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{image_layers.label(self)} needs a known number of channels. "
                             f"Received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # raises when the kernel does not fit
        channels = input_shape[-1]
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.depth_multiplier),
                                      self.depthwise_initializer, self.depthwise_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (channels * self.depth_multiplier,), self.bias_initializer,
                                        self.bias_regularizer)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        height, width = image_layers.output_hw(self, input_shape, self.kernel_size, self.strides, self.padding,
                                               self.dilation_rate)
        channels = None if input_shape[3] is None else input_shape[3] * self.depth_multiplier
        return (input_shape[0], height, width, channels)

    def check_input_shape(self, input_shape):
        image_layers.check_channels(self, input_shape, self.kernel.shape[2])
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        fused = "relu" if self.activation is activations.relu else None
        outputs = ops.depthwise_conv2d(inputs, self.kernel, self.bias, self.strides, self.padding,
                                       self.dilation_rate, fused)
        if fused or self.activation is activations.linear:
            return outputs
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        config.update(
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding,
            depth_multiplier=self.depth_multiplier,
            data_format="channels_last",
            dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        config.update(self._regularizer_config("depthwise_regularizer", "bias_regularizer"))
        return config
