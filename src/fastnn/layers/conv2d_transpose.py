"""Conv2DTranspose: the transposed 2-D convolution over channels-last images (a "deconvolution")."""
import numpy as np

from .. import _windows, activations, functional, initializers, ops, regularizers
from . import image_layers
from .layer import Layer


class Conv2DTranspose(Layer):
    """The transpose of a Conv2D with the same kernel_size, strides, padding and dilation_rate: it
    maps that convolution's output shape back to its input shape (e.g. strides 2 doubles height and
    width with padding='same').

    Keras's arguments, defaults, output sizes and weights: kernel (kh, kw, filters, in_channels),
    bias (filters,). output_padding (below strides) adds rows and columns at the bottom and right.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
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
        self.output_padding = _windows.output_padding_pair(output_padding, self.strides, owner)
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
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, input_shape[-1]),
                                      self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        extra = self.output_padding or (None, None)
        sizes = tuple(None if size is None else _windows.transpose_size(size, k, s, d, self.padding, e)[0]
                      for size, k, s, d, e in zip(input_shape[1:3], self.kernel_size, self.strides, self.dilation_rate,
                                                  extra))
        return (input_shape[0],) + sizes + (self.filters,)

    def check_input_shape(self, input_shape):
        image_layers.check_channels(self, input_shape, self.kernel.shape[3])

    def call(self, inputs, training=False):
        outputs = ops.conv2d_transpose(inputs, self.kernel, self.strides, self.padding, self.output_padding,
                                       self.dilation_rate)
        if self.use_bias:
            outputs = functional.add(outputs, self.bias)
        if self.activation is activations.linear:
            return outputs
        return self.activation(outputs)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding,
            output_padding=None if self.output_padding is None else list(self.output_padding),
            data_format="channels_last",
            dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        config.update(self._regularizer_config("kernel_regularizer", "bias_regularizer"))
        return config
