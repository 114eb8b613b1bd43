"""Lambda: a function of tensors as a layer, e.g. the VAE's sampling from (z_mean, z_log_var).

The function takes the layer's input (a tensor, or the list the layer is called on) and returns
tensors, computed with fastnn's functions (fastnn.backend, fastnn.functional, Tensor arithmetic),
which step plans record. `arguments` are passed to it as keywords; `mask` and `training` when it
takes them. The output shape is `output_shape` (a sample shape, or a function of the input shape)
or else found by calling the function on stand-in values.
"""
import inspect

from . import nest
from .layer import Layer, as_shape


class Lambda(Layer):
    _shape_from_call = True

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Layer {self.name!r} (Lambda): function must be callable. Received: function={function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"Layer {self.name!r} (Lambda): arguments must be a dict of keyword arguments. "
                             f"Received: arguments={arguments!r}")
        if mask is not None:
            raise ValueError(f"Layer {self.name!r} (Lambda): mask= is not supported; set the output's _keras_mask "
                             "in the function instead")
        if output_shape is not None and not callable(output_shape):
            output_shape = as_shape(output_shape, "output_shape")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})
        try:
            parameters = inspect.signature(function).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._passes_training = "training" in parameters

    def _computes_output_shape(self):
        return self.output_shape_arg is not None

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is None:
            raise NotImplementedError(f"Layer {self.name!r} (Lambda) was given no output_shape; its output shape is "
                                      "found by calling it on symbolic tensors")
        if callable(self.output_shape_arg):
            shape = self.output_shape_arg(input_shape)
            return nest.map_shapes(lambda s: (None,) + tuple(s)[1:] if len(s) and s[0] is None else tuple(s), shape)
        first = input_shape[0] if nest.is_shape(input_shape) else nest.flatten(input_shape)[0]
        return (first[0] if isinstance(first, tuple) else None,) + tuple(self.output_shape_arg)

    def call(self, inputs, training=False):
        kwargs = dict(self.arguments)
        if self._passes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def get_config(self):
        raise ValueError(f"Layer {self.name!r} (Lambda) holds a Python function, which fastnn does not save "
                         "(a file that runs code when loaded is unsafe): rebuild the model in code and load its "
                         "weights with load_weights")
