"""Conv2D: a 2-D convolution over channels-last images, with bias and activation."""
import numpy as np

from .. import _windows, ops
from . import image_layers
from .kernel_layer import KernelLayer


class Conv2D(KernelLayer):
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
        self.set_kernel_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer)

    def build(self, input_shape):
        image_layers.check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{image_layers.label(self)} needs a known number of channels. "
                             f"Received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # raises when the kernel does not fit
        self.add_kernel_and_bias(self.kernel_size + (input_shape[-1], self.filters))

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        height, width = image_layers.output_hw(self, input_shape, self.kernel_size, self.strides, self.padding,
                                               self.dilation_rate)
        return (input_shape[0], height, width, self.filters)

    def check_input_shape(self, input_shape):
        image_layers.check_channels(self, input_shape, self.kernel.shape[2])
        self.compute_output_shape(input_shape)

    def affine(self, inputs, fused_activation, weights=None):
        kernel, bias = self._kernel_and_bias(weights)
        return ops.conv2d(inputs, kernel, bias, self.strides, self.padding, self.dilation_rate,
                          fused_activation)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding,
            data_format="channels_last",
            dilation_rate=list(self.dilation_rate),
        )
        config.update(self.kernel_options_config())
        return config
