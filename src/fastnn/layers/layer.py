"""Layer: the base of every layer.

A layer's __init__ validates and stores its configuration, build(input_shape) creates its
weights once the input shape is known, call(inputs, training) computes, and get_config
returns what __init__ needs to make the layer again. Shapes include the batch axis as None.
"""
import re
import threading
from collections import Counter

import numpy as np

from .. import initializers, regularizers
from .._arrays import cast_to_fit
from ..tensor import Tensor

_name_counts = Counter()
_build_lock = threading.RLock()


def unique_name(base):
    """'dense', then 'dense_1', 'dense_2', ... for each new layer of the same kind."""
    with _build_lock:
        count = _name_counts[base]
        _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def snake_case(name):
    """Keras's layer names: 'InputLayer' -> 'input_layer', 'MaxPooling2D' -> 'max_pooling2d'."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def as_shape(shape, name):
    """A tuple of positive ints (None allowed) from an int or a sequence."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a tuple of positive integers. Received: {name}={shape!r}") from None
    if any(d is not None and d <= 0 for d in shape):
        raise ValueError(f"{name} must contain positive integers. Received: {name}={shape!r}")
    return shape


def as_float32_inputs(inputs, owner):
    """inputs as a float32 array; TypeError naming owner for non-real data (complex, strings, objects)."""
    array = np.asarray(inputs)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{owner} takes real numbers. Received: inputs with dtype {array.dtype}")
    return array if array.dtype == np.float32 else array.astype(np.float32)


def batch_shape(shape):
    """'(None, 20)' for a shape whose first axis is the batch."""
    dims = ["None"] + [str(d) for d in tuple(shape)[1:]]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


class Layer:
    """Base class of layers. Subclasses override build, call, compute_output_shape, get_config."""

    def __init__(self, name=None, trainable=True, input_shape=None, dtype=None, activity_regularizer=None):
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"fastnn layers compute in float32. Received: dtype={dtype!r}")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string. Received: name={name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.trainable = bool(trainable)
        self.input_shape_arg = None if input_shape is None else as_shape(input_shape, "input_shape")
        self.built = False
        self.input_shape = None
        self._weights = []
        self._weight_names = []
        self._frozen_weights = set()  # ids of weights made with trainable=False (e.g. moving statistics)
        self._weight_penalties = []  # (weight, regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._activity_penalties = []  # from the last call

    # Weights ---------------------------------------------------------------------------
    def add_weight(self, name=None, shape=(), initializer="zeros", regularizer=None, trainable=True):
        """Creates a float32 weight tensor and returns it. A trainable weight receives gradients
        while the layer is trainable; one made with trainable=False never does (a layer updates it
        itself, as BatchNormalization does its moving statistics). A regularizer's penalty of the
        weight joins the layer's `losses`."""
        if name is None:
            name = f"variable_{len(self._weights)}" if self._weights else "variable"
        shape = as_shape(shape, "shape")
        values = np.asarray(initializers.get(initializer)(shape, dtype="float32"), dtype=np.float32).reshape(shape)
        weight = Tensor(values.copy(order="C"), requires_grad=bool(trainable))
        self._weights.append(weight)
        self._weight_names.append(name)
        if not trainable:
            self._frozen_weights.add(id(weight))
        if regularizer is not None:
            self._weight_penalties.append((weight, regularizer))
        return weight

    @property
    def losses(self):
        """Regularization penalties as scalar Tensors: of the weights now, of the outputs of the last call."""
        return [regularizer(weight) for weight, regularizer in self._weight_penalties] + self._activity_penalties

    @property
    def weights(self):
        return list(self._weights)

    @property
    def weight_names(self):
        return list(self._weight_names)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self._weights if id(w) not in self._frozen_weights]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return list(self._weights)
        return [w for w in self._weights if id(w) in self._frozen_weights]

    def count_params(self):
        return sum(int(w.data.size) for w in self._weights)

    def get_weights(self):
        return [w.data.copy() for w in self._weights]

    def set_weights(self, weights):
        """Copies new values into the existing weight arrays (shapes must match)."""
        for weight, value in zip(self._weights, self.checked_weights(weights)):
            np.copyto(weight.data, value)

    def checked_weights(self, weights):
        """weights cast to this layer's weight dtypes, after checking that each one fits.

        Raises (changing nothing) for a wrong count or shape, for arrays that do not hold
        floating-point numbers and for finite values beyond the range of the weights' dtype.
        """
        weights = list(weights)
        if len(weights) != len(self._weights):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects {len(self._weights)} weight arrays, "
                f"received {len(weights)}"
            )
        checked = []
        for name, weight, value in zip(self._weight_names, self._weights, weights):
            label = f"Layer {self.name!r} ({type(self).__name__}) weight {name!r}"
            value = np.asarray(value)
            if value.shape != weight.data.shape:
                raise ValueError(
                    f"{label} has shape {weight.data.shape}, received an array of shape {value.shape}"
                )
            checked.append(cast_to_fit(value, weight.data.dtype, label))
        return checked

    # Shapes and building ------------------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights for inputs of input_shape; the base has none."""

    def build_for(self, input_shape):
        """Builds once for input_shape (batch axis first) and records it."""
        input_shape = (None,) + tuple(input_shape)[1:]
        if not self.built:
            with _build_lock:  # threads predicting with an unbuilt model must not each make weights
                if not self.built:
                    self.build(input_shape)
                    self.input_shape = input_shape
                    self.built = True
        return self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def check_input_shape(self, input_shape):
        """Raises ValueError when a built layer cannot take inputs of this shape."""

    # Computing -----------------------------------------------------------------------------
    # Whether the layer passes a mask on its inputs (`inputs._keras_mask`, Keras 3's attribute)
    # on to its outputs, as compute_mask says; a layer that consumes a mask reads it in call.
    supports_masking = False

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs, given the inputs' (None: no mask); by default the same one."""
        return previous_mask

    def __call__(self, inputs, training=False, **kwargs):
        if not isinstance(inputs, Tensor):
            inputs = Tensor(as_float32_inputs(inputs, f"Layer {self.name!r} ({type(self).__name__})"))
        if not self.built:
            self.build_for(inputs.shape)
        self.check_input_shape(inputs.shape)
        outputs = self.call(inputs, training=training, **kwargs)
        if self.activity_regularizer is not None:
            self._activity_penalties = [self.activity_regularizer(outputs)]
        mask = getattr(inputs, "_keras_mask", None)
        if mask is not None and self.supports_masking and isinstance(outputs, Tensor) \
                and getattr(outputs, "_keras_mask", None) is None:
            output_mask = self.compute_mask(inputs, mask)
            if output_mask is not None:
                outputs._keras_mask = output_mask
        return outputs

    # Configuration -------------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self.input_shape_arg is not None:
            config["input_shape"] = list(self.input_shape_arg)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _regularizer_config(self, *names):
        """{name: serialized regularizer} for the named regularizer attributes that are set."""
        return {name: regularizers.serialize(getattr(self, name)) for name in names
                if getattr(self, name) is not None}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"
