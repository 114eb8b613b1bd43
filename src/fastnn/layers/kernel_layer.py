"""KernelLayer: the base of Dense and Conv2D, activation(inputs (x) kernel + bias)."""
from .. import activations, initializers, regularizers
from .layer import Layer


class KernelLayer(Layer):
    """Holds the options Dense and Conv2D share and applies their activation.

    A subclass checks its own arguments, then calls set_kernel_options; its build calls
    add_kernel_and_bias; affine(inputs, fused_activation, weights=None) computes inputs (x)
    kernel + bias with relu fused in when fused_activation is "relu" (with `weights`, a pair
    (kernel, bias) of Tensors shaped like the layer's, in their place); its get_config ends
    with kernel_options_config().
    """

    def set_kernel_options(self, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                           bias_regularizer):
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def add_kernel_and_bias(self, kernel_shape):
        """The kernel, and with use_bias a bias as long as the kernel's last axis."""
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer, self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (kernel_shape[-1],), self.bias_initializer, self.bias_regularizer)

    def affine(self, inputs, fused_activation, weights=None):
        raise NotImplementedError

    def _kernel_and_bias(self, weights):
        return (self.kernel, self.bias) if weights is None else weights

    def call(self, inputs, training=False):
        fused = "relu" if self.activation is activations.relu else None
        outputs = self.affine(inputs, fused)
        if fused or self.activation is activations.linear:
            return outputs
        return self.activation(outputs)

    def kernel_options_config(self):
        config = {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
        config.update(self._regularizer_config("kernel_regularizer", "bias_regularizer"))
        return config
