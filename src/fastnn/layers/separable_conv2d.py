"""SeparableConv2D: a depthwise convolution followed by a 1x1 convolution mixing the channels."""
from .. import _windows, activations, initializers, ops, regularizers
from . import image_layers
from .depthwise_conv2d import positive_count
from .layer import Layer


class SeparableConv2D(Layer):
    """Each input channel convolved with its own depth_multiplier kernels (kernel_size, strides,
    padding, dilation_rate), then all of them mixed into `filters` channels by a 1x1 convolution,
    with bias and activation.

    Keras's arguments, defaults and weights: depthwise_kernel (kh, kw, in_channels,
    depth_multiplier), pointwise_kernel (1, 1, in_channels * depth_multiplier, filters), bias
    (filters,). Relu is fused into the pointwise convolution.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        owner = image_layers.label(self)
        image_layers.check_data_format(data_format, owner)
        self.filters = positive_count(self, filters, "filters")
        self.depth_multiplier = positive_count(self, depth_multiplier, "depth_multiplier")
        self.kernel_size = _windows.pair(kernel_size, "kernel_size", owner)
        self.strides = _windows.pair(strides, "strides", owner)
        self.padding = _windows.padding_mode(padding, owner)
        self.dilation_rate = _windows.pair(dilation_rate, "dilation_rate", owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_kernel = self.pointwise_kernel = self.bias = None

    def build(self, input_shape):
        image_layers.check_images(self, input_shape)
        if input_shape[-1] is None:
            raise ValueError(f"{image_layers.label(self)} needs a known number of channels. "
                             f"Received: input_shape={input_shape}")
        self.compute_output_shape(input_shape)  # raises when the kernel does not fit
        depth = input_shape[-1] * self.depth_multiplier
        self.depthwise_kernel = self.add_weight("depthwise_kernel", self.kernel_size + (input_shape[-1],
                                                self.depth_multiplier), self.depthwise_initializer,
                                                self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight("pointwise_kernel", (1, 1, depth, self.filters),
                                                self.pointwise_initializer, self.pointwise_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)

    def compute_output_shape(self, input_shape):
        image_layers.check_images(self, input_shape)
        height, width = image_layers.output_hw(self, input_shape, self.kernel_size, self.strides, self.padding,
                                               self.dilation_rate)
        return (input_shape[0], height, width, self.filters)

    def check_input_shape(self, input_shape):
        image_layers.check_channels(self, input_shape, self.depthwise_kernel.shape[2])
        self.compute_output_shape(input_shape)

    def call(self, inputs, training=False):
        fused = "relu" if self.activation is activations.relu else None
        depthwise = ops.depthwise_conv2d(inputs, self.depthwise_kernel, None, self.strides, self.padding,
                                         self.dilation_rate)
        outputs = ops.conv2d(depthwise, self.pointwise_kernel, self.bias, activation=fused)
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
            depth_multiplier=self.depth_multiplier,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            depthwise_initializer=initializers.serialize(self.depthwise_initializer),
            pointwise_initializer=initializers.serialize(self.pointwise_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
        )
        config.update(self._regularizer_config("depthwise_regularizer", "pointwise_regularizer", "bias_regularizer"))
        return config
