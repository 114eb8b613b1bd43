"""Sequential: a plain stack of layers, each feeding the next."""
import numpy as np

from ..layers import InputLayer, Layer
from ..layers import deserialize as deserialize_layer
from ..layers import serialize as serialize_layer
from ..layers.layer import as_shape, unique_name
from . import saving, summary
from .parameters import FlatParameters
from .training import Trainer


class Sequential(Trainer):
    """models.Sequential([layers...]) or Sequential() then add(layer).

    The input shape comes from an InputLayer, the first layer's input_shape, build(), or
    the first data given to fit/evaluate/predict.
    """

    def __init__(self, layers=None, name=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string. Received: name={name!r}")
        self.name = name or unique_name("sequential")
        self._layers = []
        self.input_shape = None
        self.output_shape = None
        self.built = False
        self._parameters = None
        self._init_training()
        if layers is not None:
            if isinstance(layers, Layer):
                layers = [layers]
            for layer in layers:
                self.add(layer)

    @property
    def layers(self):
        return list(self._layers)

    def add(self, layer):
        """Appends a layer; builds the model when its input shape is known."""
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model")
            self.input_shape = (None,) + layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Only fastnn layers can be added to a Sequential model. Received: {layer!r}")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. "
                f"Name {layer.name!r} is already the name of a layer in this model."
            )
        if not self._layers and self.input_shape is None and layer.input_shape_arg is not None:
            self.input_shape = (None,) + layer.input_shape_arg
        self._layers.append(layer)
        self.built = False
        if self.input_shape is not None:
            self.build(self.input_shape)

    def pop(self):
        """Removes and returns the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        self.built = False
        if self._layers and self.input_shape is not None:
            self.build(self.input_shape)
        return layer

    def build(self, input_shape=None):
        """Builds every layer for inputs of input_shape (batch axis first, e.g. (None, 784))."""
        if input_shape is None:
            input_shape = self.input_shape
        if input_shape is None:
            raise ValueError(
                "The model's input shape is unknown: pass input_shape to the first layer, start with "
                "layers.Input(shape=...), call build((None, features)), or call fit/predict first."
            )
        input_shape = as_shape(input_shape, "input_shape")
        if len(input_shape) < 2:
            raise ValueError(f"input_shape needs a batch axis and a sample shape. Received: input_shape={input_shape}")
        if not self._layers:
            raise ValueError("A Sequential model needs at least one layer before it can be built")
        shape = (None,) + input_shape[1:]
        for layer in self._layers:
            if layer.built:
                layer.check_input_shape(shape)
            shape = layer.build_for(shape)
        self.input_shape = (None,) + input_shape[1:]
        self.output_shape = shape
        self.built = True
        self._parameters = None

    # weights -----------------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def trainable_parameters(self):
        """The trainable weights gathered in one FlatParameters buffer (made again when they change)."""
        trainable = self.trainable_weights
        for weight in self.non_trainable_weights:
            weight.requires_grad = False
            weight.grad = None
        for weight in trainable:
            weight.requires_grad = True
        if self._parameters is None or not self._parameters.holds(trainable):
            self._parameters = FlatParameters(trainable)
        return self._parameters

    def count_params(self):
        return sum(layer.count_params() for layer in self._layers)

    def get_weights(self):
        """Copies of every weight array, layer by layer."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Copies arrays (in get_weights order) into the model's weights."""
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(
                f"Model {self.name!r} has {expected} weight arrays, received a list of {len(weights)}"
            )
        checked, start = [], 0
        for layer in self._layers:  # every layer's arrays are checked before any is written
            count = len(layer.weights)
            checked.extend(layer.checked_weights(weights[start:start + count]))
            start += count
        for weight, value in zip(self.weights, checked):
            np.copyto(weight.data, value)

    # configuration and persistence -----------------------------------------------------
    def get_config(self):
        return {
            "name": self.name,
            "layers": [serialize_layer(layer) for layer in self._layers],
            "build_input_shape": None if self.input_shape is None else list(self.input_shape),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"))
        for layer_config in config.get("layers", []):
            layer = deserialize_layer(layer_config, custom_objects)
            model._layers.append(layer)
        shape = config.get("build_input_shape")
        if shape is not None:
            model.build(tuple(shape))
        return model

    def summary(self, line_length=None, print_fn=None):
        """Prints a table of the layers, their output shapes and parameter counts."""
        summary.print_summary(self, line_length=line_length, print_fn=print_fn)

    def save_weights(self, filepath):
        """Writes every weight array to filepath (.npz), replacing the file atomically."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Reads weights written by save_weights; the architecture must match."""
        saving.load_weights(self, filepath)

    def save(self, filepath):
        """Writes the architecture, compile settings and weights to one zip file."""
        saving.save_model(self, filepath)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"
