"""Sequential: a plain stack of layers, each feeding the next."""
from ..layers import InputLayer, Layer
from ..layers import deserialize as deserialize_layer
from ..layers import serialize as serialize_layer
from ..layers.input_layer import input_layer_of
from ..layers.layer import as_shape, structure_changed, unique_name
from . import saving, summary
from .training import Trainer


class Sequential(Trainer, Layer):
    """models.Sequential([layers...]) or Sequential() then add(layer).

    The input shape comes from an InputLayer (or fastnn.Input), the first layer's input_shape,
    build(), or the first data given to fit/evaluate/predict. Once built, the model has a
    symbolic `input` and `output`, and each layer its `input` and `output`, from which
    functional models can be made (e.g. one returning every layer's activations).
    """

    def __init__(self, layers=None, name=None, trainable=True):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string. Received: name={name!r}")
        Layer.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self._layers = []
        self._input_layer = None  # the InputLayer given, or made when the model is built
        self._graph_nodes = []  # the nodes this model's build recorded on its layers
        self._output_tensor = None
        self.output_shape = None
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
        input_layer = layer if isinstance(layer, InputLayer) else input_layer_of(layer)
        if input_layer is not None:
            if self._layers:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model")
            self._input_layer = input_layer
            self.input_shape = (None,) + input_layer.shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Only fastnn layers can be added to a Sequential model. Received: {layer!r}")
        if any(existing.name == layer.name for existing in self._layers):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. "
                f"Name {layer.name!r} is already the name of a layer in this model."
            )
        if not self._layers and self.input_shape is None:
            if layer.input_shape_arg is not None:
                self.input_shape = (None,) + layer.input_shape_arg
            elif isinstance(layer, Trainer) and layer.built and len(layer._input_names) == 1:
                self.input_shape = (None,) + tuple(layer.input_shape)[1:]  # a built model's input
        self._layers.append(layer)
        structure_changed()
        self.built = False
        if self.input_shape is not None:
            self.build(self.input_shape)

    def pop(self):
        """Removes and returns the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        structure_changed()
        self.built = False
        if self._layers and self.input_shape is not None:
            self.build(self.input_shape)
        return layer

    def build(self, input_shape=None):
        """Builds every layer for inputs of input_shape (batch axis first, e.g. (None, 784)), and
        the model's symbolic graph."""
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
        if self._input_layer is None or self._input_layer.shape != tuple(input_shape[1:]):
            self._input_layer = InputLayer(shape=input_shape[1:], name=f"{self.name}_input")
        self._forget_graph()
        x = self._input_layer.output
        for layer in self._layers:
            x = layer(x)
            self._graph_nodes.append(layer._inbound_nodes[-1])
        self._output_tensor = x
        self.input_shape = (None,) + input_shape[1:]
        self.output_shape = x.shape
        self.built = True
        self._parameters = None

    def _forget_graph(self):
        """Removes the nodes an earlier build recorded on the layers (their first node is then this
        build's, as `layer.output` reads it)."""
        for node in self._graph_nodes:
            if node in node.layer._inbound_nodes:
                node.layer._inbound_nodes.remove(node)
                for i, other in enumerate(node.layer._inbound_nodes):
                    other.index = i
        self._graph_nodes = []

    # the symbolic graph -------------------------------------------------------------------
    def _require_graph(self, what):
        if not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has no {what} until it is built: give it an "
                                 "input shape (layers.Input(shape=...) first, or input_shape= on the first layer), "
                                 "or call build()")

    @property
    def input(self):
        self._require_graph("input")
        return self._input_layer.output

    @property
    def output(self):
        self._require_graph("output")
        return self._output_tensor

    inputs = property(lambda self: [self.input])
    outputs = property(lambda self: [self.output])

    @property
    def _input_names(self):
        return [self._input_layer.name if self._input_layer is not None else f"{self.name}_input"]

    @property
    def _output_names(self):
        return [self._layers[-1].name if self._layers else self.name]

    def compute_output_shape(self, input_shape):
        if not self.built:
            self.build(input_shape)
        shape = tuple(input_shape)
        if shape[1:] != tuple(self.input_shape[1:]):
            self.check_input_shape(shape)
        return (None,) + tuple(self.output_shape[1:])

    def check_input_shape(self, input_shape):
        """Each built layer's own check, along the stack (so the error names the layer)."""
        if not self.built:
            return
        shape = (None,) + tuple(input_shape)[1:]
        for layer in self._layers:
            layer.check_input_shape(shape)
            shape = layer.compute_output_shape(shape)

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or the one at `index` of `layers`."""
        from .functional import find_layer

        return find_layer(self, self.layers, name, index)

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
            structure_changed()
        shape = config.get("build_input_shape")
        if shape is not None:
            model.build(tuple(shape))
        return model

    def summary(self, line_length=None, print_fn=None, **kwargs):
        """Prints a table of the layers, their output shapes and parameter counts."""
        summary.print_summary(self, line_length=line_length, print_fn=print_fn)

    def save_weights(self, filepath):
        """Writes every weight array to filepath: Keras's HDF5 layouts for *.weights.h5 and *.h5, else .npz."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Reads weights written by save_weights (or Keras .weights.h5 / .h5, or a .keras model file); the architecture must match."""
        saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The architecture (no weights) as a JSON string; models.model_from_json reads it."""
        from .model_json import model_to_json

        return model_to_json(self, **kwargs)

    def save(self, filepath):
        """Writes the architecture, compile settings, weights and optimizer state to one file:
        Keras 3's archive for *.keras, Keras's HDF5 model file for *.h5/*.hdf5, else fastnn's zip."""
        saving.save_model(self, filepath)

    def __repr__(self):
        return f"<Sequential name={self.name!r}, layers={len(self._layers)}, built={self.built}>"
