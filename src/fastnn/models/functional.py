"""Model: a graph of layers from symbolic inputs to outputs (the functional API), or a subclass
with layers as attributes and its own `call`.

    inputs = fastnn.Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(inputs)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = models.Model(inputs, outputs)

inputs and outputs are one symbolic tensor, a list or a dict of them. A layer called several
times in the graph is one layer (one set of weights); a model is a layer too and can be called
on symbolic tensors inside another model. Training goes through the same Trainer as Sequential:
each step is the graph's forward and backward, recorded and replayed as a step plan.
"""
import numpy as np

from ..layers import Layer, nest
from ..layers.layer import as_float32_inputs, snake_case, unique_name
from ..layers.symbolic import SymbolicTensor, trial_output_specs, flatten_specs
from ..tensor import Tensor
from . import batch_norm_folding, graph, saving, structured_data, summary
from .training import Trainer


def find_layer(model, layers, name, index):
    """model.get_layer: by name, or by index into `layers`."""
    if index is not None:
        if name is not None:
            raise ValueError("get_layer() takes a name or an index, not both. "
                             f"Received: name={name!r}, index={index!r}")
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"get_layer(): index must be an integer. Received: index={index!r}")
        if not -len(layers) <= index < len(layers):
            raise ValueError(f"Was asked to retrieve layer at index {index} but model {model.name!r} only has "
                             f"{len(layers)} layers.")
        return layers[index]
    if name is None:
        raise ValueError("get_layer() needs a name or an index")
    for layer in layers:
        if layer.name == name:
            return layer
    raise ValueError(f"No such layer: {name!r} in model {model.name!r}. Existing layers are: "
                     f"{[layer.name for layer in layers]}.")


class Model(Trainer, Layer):
    """models.Model(inputs, outputs, name=None) over a graph, or a subclass defining `call`."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", kwargs.pop("input", None))
        outputs = kwargs.pop("outputs", kwargs.pop("output", None))
        if args:
            if len(args) > 2 or (len(args) >= 1 and inputs is not None) or (len(args) == 2 and outputs is not None):
                raise TypeError("Model() takes inputs and outputs, positionally or by keyword, once each")
            inputs = args[0]
            if len(args) == 2:
                outputs = args[1]
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        if kwargs:
            raise TypeError(f"Model() got an unexpected keyword argument {sorted(kwargs)[0]!r}")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string. Received: name={name!r}")
        default = "model" if type(self) is Model else snake_case(type(self).__name__)
        Layer.__init__(self, name=name or unique_name(default), trainable=trainable)
        self._init_training()
        self._graph = None
        self._folds = None  # predict's BatchNormalization folds (batch_norm_folding), found once
        self._subclass_inputs = None  # a subclassed model's input names, known once built
        self._subclass_outputs = None
        if inputs is None and outputs is None:
            if type(self).call is Model.call:
                raise ValueError("Model() needs inputs and outputs (symbolic tensors from fastnn.Input and the layers "
                                 "called on them), or subclass Model and define call()")
            return
        if inputs is None or outputs is None:
            raise ValueError(f"Model {self.name!r} needs both inputs and outputs. Received: "
                             f"inputs={inputs!r}, outputs={outputs!r}")
        self._init_graph(inputs, outputs)

    # the graph -----------------------------------------------------------------------------
    def _init_graph(self, inputs, outputs):
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        if isinstance(outputs, tuple):
            outputs = list(outputs)
        flat_inputs, flat_outputs = nest.flatten(inputs), nest.flatten(outputs)
        graph.check_inputs(flat_inputs, self.name)
        graph.check_outputs(flat_outputs, self.name)
        nodes = graph.nodes_between(flat_inputs, flat_outputs, self.name)
        self._graph = (inputs, outputs, flat_inputs, flat_outputs, nodes)
        self._layers = graph.layers_of(flat_inputs, nodes)
        graph.check_unique_names(self._layers, self.name)
        self._input_name_list = list(inputs) if isinstance(inputs, dict) else [t.name for t in flat_inputs]
        if len(set(self._input_name_list)) != len(self._input_name_list):
            raise ValueError(f"Model {self.name!r}: its inputs must have unique names. Received: "
                             f"{self._input_name_list}")
        self._output_name_list = list(outputs) if isinstance(outputs, dict) else _output_names(flat_outputs)
        shapes = [t.shape for t in flat_inputs]
        self.input_shape = shapes[0] if len(shapes) == 1 else shapes
        out_shapes = [t.shape for t in flat_outputs]
        self.output_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        self.built = True

    @property
    def _is_graph(self):
        return self._graph is not None

    @property
    def layers(self):
        if self._is_graph:
            return list(self._layers)
        return [layer for layer in Layer._sublayers(self)]

    @property
    def inputs(self):
        self._require_graph("inputs")
        return list(self._graph[2])

    @property
    def outputs(self):
        self._require_graph("outputs")
        return list(self._graph[3])

    @property
    def input(self):
        self._require_graph("input")
        inputs = self._graph[0]
        return inputs[0] if isinstance(inputs, list) and len(inputs) == 1 else inputs

    @property
    def output(self):
        self._require_graph("output")
        outputs = self._graph[1]
        return outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs

    def _require_graph(self, what):
        if not self._is_graph:
            raise AttributeError(f"Model {self.name!r} is a subclassed model: it has no symbolic {what} "
                                 "(only models made from inputs and outputs have)")

    @property
    def input_names(self):
        return list(self._input_names)

    @property
    def output_names(self):
        return list(self._output_names)

    @property
    def _input_names(self):
        if self._is_graph:
            return self._input_name_list
        return self._subclass_inputs or ["input_1"]

    @property
    def _output_names(self):
        if self._is_graph:
            return self._output_name_list
        return self._subclass_outputs or ["output_1"]

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or the one at `index` of `layers`."""
        return find_layer(self, self.layers, name, index)

    # calling -------------------------------------------------------------------------------
    def _flat_values(self, inputs):
        """The values for the model's inputs, in order, from one value, a list or a dict by name."""
        flat_inputs = self._graph[2]
        if isinstance(inputs, dict):
            names = self._input_name_list
            unknown = [key for key in inputs if key not in names]
            if unknown:
                raise ValueError(f"Model {self.name!r} received an input named {unknown[0]!r}, which is not one "
                                 f"of its inputs: {', '.join(repr(n) for n in names)}")
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"Model {self.name!r} received no value for its input {missing[0]!r}")
            return [inputs[n] for n in names]
        values = nest.flatten(inputs)
        if len(values) != len(flat_inputs):
            raise ValueError(f"Model {self.name!r} has {len(flat_inputs)} inputs "
                             f"({', '.join(repr(n) for n in self._input_name_list)}), but received {len(values)}")
        return values

    def _checked_values(self, inputs):
        values = []
        for value, tensor, name in zip(self._flat_values(inputs), self._graph[2], self._input_name_list):
            if not isinstance(value, Tensor):
                value = Tensor(as_float32_inputs(value, f"Input {name!r} of model {self.name!r}"))
            _check_shape(tuple(value.shape), tensor.shape, f"Input {name!r} of model {self.name!r}")
            values.append(value)
        return values

    def call(self, inputs, training=False):
        """The model's outputs (in the structure of its outputs) for input Tensors or arrays."""
        if not self._is_graph:
            raise NotImplementedError(f"Model {type(self).__name__} must define call() (or be made from inputs "
                                      "and outputs)")
        _, outputs, flat_inputs, flat_outputs, nodes = self._graph
        folds = None
        if batch_norm_folding.active(training):
            if self._folds is None:
                self._folds = batch_norm_folding.graph_folds(nodes, flat_outputs)
            folds = self._folds
        values = graph.run(nodes, flat_inputs, self._checked_values(inputs), flat_outputs, bool(training), folds)
        return nest.pack_as(outputs, values)

    def _pack_inputs(self, tensors):
        if not self._is_graph:
            return tensors if self._subclass_inputs is None or len(self._subclass_inputs) == 1 else list(tensors)
        flat = [tensors] if not isinstance(tensors, tuple) else list(tensors)
        inputs = self._graph[0]
        if isinstance(inputs, dict):
            return dict(zip(self._input_name_list, flat))
        return nest.pack_as(inputs, flat)

    def _flat_outputs(self, outputs):
        flat = nest.flatten(outputs)
        if self._is_graph:
            return flat
        if len(flat) != len(self._output_names):
            raise ValueError(f"Model {self.name!r} returned {len(flat)} outputs, but returned {len(self._output_names)} "
                             "when it was built")
        return flat

    def _pack_outputs(self, arrays):
        if not self._is_graph:
            return list(arrays)
        outputs = self._graph[1]
        if isinstance(outputs, dict):
            return dict(zip(self._output_name_list, arrays))
        return nest.pack_as(outputs, arrays)

    # shapes ---------------------------------------------------------------------------------
    def build(self, input_shape=None):
        """A graph model is built when made; a subclassed one by calling it once on stand-in inputs
        of input_shape (a shape, or a list of shapes for several inputs)."""
        if self._is_graph:
            return
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: build() needs the input shape, e.g. build((None, 784)), "
                             "or call fit/predict on data first")
        shapes = [tuple(input_shape)] if nest.is_shape(input_shape) else [tuple(s) for s in input_shape]
        several = not nest.is_shape(input_shape)
        self._subclass_inputs = [f"input_{i + 1}" for i in range(len(shapes))]
        self.input_shape = shapes if several else shapes[0]
        self.built = True
        stand_ins = [SymbolicTensor((None,) + s[1:], name=n) for s, n in zip(shapes, self._subclass_inputs)]
        try:
            specs = trial_output_specs(self, stand_ins if several else stand_ins[0], (), {})
        except Exception:
            self.built = False
            self._subclass_inputs = None
            raise
        flat = flatten_specs(specs)
        self._subclass_outputs = [f"output_{i + 1}" for i in range(len(flat))]
        out_shapes = [tuple(shape) for shape, _ in flat]
        self.output_shape = out_shapes[0] if len(out_shapes) == 1 else out_shapes
        self._parameters = None
        if self.compiled and self.compiled_loss is None:
            self._recompile_for_outputs()

    def _recompile_for_outputs(self):
        config = self._compile_config
        snapshot = (self._compiled_at, self._trainable_snapshot)
        self.compile(optimizer=self.optimizer, loss=config["loss"], metrics=config["metrics"],
                     loss_weights=config.get("loss_weights"), run_eagerly=self.run_eagerly)
        self._compiled_at, self._trainable_snapshot = snapshot

    def _outputs_unknown(self):
        return not self._is_graph and not self.built

    def _check_inputs(self, x, name="x"):
        if not self._is_graph and not self.built:
            several = isinstance(x, (list, tuple)) and len(x) > 1 and structured_data._is_array_list(x)
            arrays = [structured_data.as_samples(a, f"{name}[{i}]") for i, a in enumerate(x)] if several else \
                [structured_data.as_samples(structured_data.unwrap_single(x, ["input_1"], name, "input")
                                            if isinstance(x, dict) else x, name)]
            shapes = [(None,) + a.shape[1:] for a in arrays]
            self.build(shapes if several else shapes[0])
        return super()._check_inputs(x, name)

    def _check_input_array(self, x, name):
        expected = self.input_shape
        structured_data.check_sample_shape(x, expected, name, f"Input {self._input_names[0]!r} of model {self.name!r}")

    def compute_output_shape(self, input_shape):
        if not self.built:
            self.build(input_shape)
        self.check_input_shape(input_shape)
        if self._is_graph and isinstance(self._graph[1], dict):
            return dict(zip(self._output_name_list, self._flat_output_shapes()))
        if self._is_graph and isinstance(self._graph[1], list):
            return self._flat_output_shapes()
        return self.output_shape

    def check_input_shape(self, input_shape):
        if not self._is_graph:
            return
        if isinstance(input_shape, dict):
            given = self._flat_values(input_shape)
        elif nest.is_shape(input_shape):
            given = [input_shape]
        else:
            given = list(input_shape)
        if len(given) != len(self._graph[2]):
            raise ValueError(f"Model {self.name!r} has {len(self._graph[2])} inputs, but received {len(given)}")
        for shape, tensor, name in zip(given, self._graph[2], self._input_name_list):
            _check_shape(tuple(shape), tensor.shape, f"Input {name!r} of model {self.name!r}")

    # persistence -----------------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None, **kwargs):
        """Prints a table of the layers, their output shapes, parameter counts and, for a graph,
        the layers each one is connected to."""
        summary.print_summary(self, line_length=line_length, print_fn=print_fn)

    def save_weights(self, filepath):
        """Writes every weight array to filepath: Keras's HDF5 layouts for *.weights.h5 and *.h5, else .npz."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        """Reads weights written by save_weights (or Keras .weights.h5 / .h5, or a .keras model file); the architecture must match."""
        saving.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch)

    def get_config(self):
        if not self._is_graph:
            return {"name": self.name, "trainable": self.trainable}
        from .graph_config import graph_config

        return graph_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """The model graph_config's dict describes, with new layers (custom classes from custom_objects)."""
        from .graph_config import model_from_config

        if "layers" not in config:
            raise ValueError(f"{cls.__name__}.from_config needs a functional model's config (with 'layers'); a "
                             "subclassed model is made by its own class")
        return model_from_config(cls, config, custom_objects)

    def to_json(self, **kwargs):
        """The architecture (no weights) as a JSON string; models.model_from_json reads it."""
        from .model_json import model_to_json

        return model_to_json(self, **kwargs)

    def save(self, filepath):
        """Writes the architecture, compile settings, weights and optimizer state to one file:
        Keras 3's archive for *.keras, Keras's HDF5 model file for *.h5/*.hdf5, else fastnn's zip."""
        saving.save_model(self, filepath)

    def __repr__(self):
        kind = "graph" if self._is_graph else "subclassed"
        return f"<{type(self).__name__} name={self.name!r}, {kind}, layers={len(self.layers)}, built={self.built}>"


def _check_shape(given, expected, what):
    from ..layers.layer import batch_shape

    if len(given) != len(expected) or any(e is not None and g is not None and g != e
                                          for g, e in zip(given[1:], expected[1:])):
        raise ValueError(f"{what} is incompatible with the model: expected shape {batch_shape(expected)}, "
                         f"received input with shape {batch_shape(given)}")


def _output_names(tensors):
    """The outputs' names: the name of the layer making each one (with _1, _2... when a layer
    makes several of them)."""
    names = [t.node.layer.name for t in tensors]
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    result, seen = [], {}
    for name in names:
        if counts[name] == 1:
            result.append(name)
        else:
            seen[name] = seen.get(name, 0) + 1
            result.append(f"{name}_{seen[name]}")
    return result
