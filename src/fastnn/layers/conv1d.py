"""Conv1D: a 1-D convolution over sequences (batch, steps, channels), through Conv2D's kernels."""
import numpy as np

from .. import ops
from .kernel_layer import KernelLayer
from .sequence_layers import check_data_format, check_sequences, label, one, output_length
from .layer import batch_shape

PADDINGS = ("valid", "same", "causal")


class Conv1D(KernelLayer):
    """`filters` kernels of kernel_size steps slid along the steps; the kernel is (kernel_size,
    channels, filters) as in Keras. padding 'valid', 'same' or 'causal' (zeros before the first
    step, so that output t sees inputs up to t). Computed as a Conv2D over (batch, 1, steps,
    channels) images with a (1, kernel_size) kernel."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1, groups=1,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        owner = label(self)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{owner}: invalid value for argument `filters`, expected a strictly positive "
                             f"integer. Received: filters={filters!r}")
        check_data_format(data_format, owner)
        if groups != 1:
            raise ValueError(f"{owner}: fastnn computes convolutions of one group. Received: groups={groups!r}")
        self.filters = int(filters)
        self.kernel_size = one(kernel_size, "kernel_size", owner)
        self.strides = one(strides, "strides", owner)
        self.dilation_rate = one(dilation_rate, "dilation_rate", owner)
        mode = padding.lower() if isinstance(padding, str) else None
        if mode not in PADDINGS:
            raise ValueError(f"{owner}: padding must be 'valid', 'same' or 'causal'. Received: padding={padding!r}")
        self.padding = mode
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.set_kernel_options(activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer)

    def build(self, input_shape):
        check_sequences(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{label(self)} needs a known number of channels. Received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # raises when the kernel does not fit
        self.add_kernel_and_bias((self.kernel_size, input_shape[-1], self.filters))

    def _causal_pad(self):
        return self.dilation_rate * (self.kernel_size - 1) if self.padding == "causal" else 0

    def compute_output_shape(self, input_shape):
        check_sequences(self, input_shape)
        shape = tuple(input_shape)
        if self.padding == "causal" and shape[1] is not None:
            shape = (shape[0], shape[1] + self._causal_pad(), shape[2])
        padding = "same" if self.padding == "same" else "valid"
        steps = output_length(self, shape, self.kernel_size, self.strides, padding, self.dilation_rate)
        return (input_shape[0], steps, self.filters)

    def check_input_shape(self, input_shape):
        check_sequences(self, input_shape)
        channels = self.kernel.shape[1]
        if input_shape[-1] != channels:
            raise ValueError(f"Input of {label(self, 'layer')} is incompatible with the layer: expected axis -1 of "
                             f"the input to have value {channels}, received input with shape "
                             f"{batch_shape(input_shape)}")
        self.compute_output_shape(input_shape)

    def affine(self, inputs, fused_activation, weights=None):
        kernel, bias = self._kernel_and_bias(weights)
        x = inputs
        if self.padding == "causal":
            x = ops.pad(x, ((0, 0), (self._causal_pad(), 0), (0, 0)))
        n, steps, channels = x.shape
        kernel = kernel.reshape((1,) + kernel.shape)
        y = ops.conv2d(x.reshape(n, 1, steps, channels), kernel, bias, strides=(1, self.strides),
                       padding="same" if self.padding == "same" else "valid", dilation_rate=(1, self.dilation_rate),
                       activation=fused_activation)
        return y.reshape(n, y.shape[2], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=[self.kernel_size], strides=[self.strides],
                      padding=self.padding, data_format="channels_last", dilation_rate=[self.dilation_rate],
                      groups=1)
        config.update(self.kernel_options_config())
        return config
