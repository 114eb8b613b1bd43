"""Layer: the base of every layer.

A layer's __init__ validates and stores its configuration, build(input_shape) creates its
weights once the input shape is known, call(inputs, training) computes, and get_config
returns what __init__ needs to make the layer again. Shapes include the batch axis as None.
"""
import functools
import inspect
import itertools
import re
import threading
from collections import Counter
from contextlib import contextmanager

import numpy as np

from .. import _C, initializers, regularizers
from .._arrays import cast_to_fit
from ..tensor import Tensor
from . import nest, symbolic
from .weights_from_file import initializers_skipped

_name_counts = Counter()
_build_lock = threading.RLock()
_calls = threading.local()  # this thread's call context: depth, training, generation
_generations = itertools.count(1)
_trainable_clock = itertools.count(1)  # orders trainable changes and compile() calls
_structure_changes = [0]  # see structure_version()
# Attributes of a layer that decide which sublayers and weights a model holding it trains.
_STRUCTURE_ATTRIBUTES = frozenset({"_weights", "_frozen_weights", "_layers", "_graph", "_trainable",
                                   "_trainable_changed_at", "_last_compiled_at", "compiled", "_compiled_at",
                                   "_trainable_snapshot"})


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
    """Base class of layers. Subclasses override build, call, compute_output_shape, get_config.

    Calling a layer on Tensors or arrays computes; calling it on symbolic tensors (from
    fastnn.Input) records a Node and returns symbolic outputs. Layers assigned as attributes
    of a layer are its sublayers: their weights and losses are the layer's too.
    """

    def __init__(self, name=None, trainable=True, input_shape=None, dtype=None, activity_regularizer=None, **kwargs):
        if kwargs.get("batch_input_shape") is not None and input_shape is None:
            input_shape = tuple(kwargs.pop("batch_input_shape"))[1:]
        kwargs.pop("batch_input_shape", None)
        if "input_dim" in kwargs and input_shape is None:
            input_shape = (kwargs.pop("input_dim"),)
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                            f"{sorted(kwargs)[0]!r}")
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"fastnn layers compute in float32. Received: dtype={dtype!r}")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"name must be a string. Received: name={name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self._trainable_changed_at = 0
        self._last_compiled_at = 0  # the latest compile() of a model holding this layer
        self.input_shape_arg = None if input_shape is None else as_shape(input_shape, "input_shape")
        self.built = False
        self.input_shape = None
        self._weights = []
        self._weight_names = []
        self._frozen_weights = set()  # ids of weights made with trainable=False (e.g. moving statistics)
        self._weight_penalties = []  # (weight, regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._call_losses = []  # added by the last call (add_loss, the activity regularizer)
        self._loss_generation = None  # the outermost call those were added in
        self._inbound_nodes = []  # symbolic calls of this layer (Nodes)

    def __setattr__(self, name, value):
        changes_structure = name in _STRUCTURE_ATTRIBUTES
        if isinstance(value, Layer) or (isinstance(value, (list, tuple)) and value
                                        and all(isinstance(v, Layer) for v in value)):
            self.__dict__.setdefault("_sublayer_attributes", {})[name] = value
            changes_structure = True
        elif name in self.__dict__.get("_sublayer_attributes", {}):
            del self.__dict__["_sublayer_attributes"][name]
            changes_structure = True
        object.__setattr__(self, name, value)
        if changes_structure:
            structure_changed()

    def _sublayers(self):
        """The layers assigned as attributes of this one, each once, in assignment order."""
        found, seen = [], {id(self)}
        for value in self.__dict__.get("_sublayer_attributes", {}).values():
            for layer in (value if isinstance(value, (list, tuple)) else [value]):
                if id(layer) not in seen:
                    seen.add(id(layer))
                    found.append(layer)
        return found

    # trainable ----------------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self._trainable_changed_at = next(_trainable_clock)

    # Weights ---------------------------------------------------------------------------
    def add_weight(self, name=None, shape=(), initializer="zeros", regularizer=None, trainable=True, dtype=None,
                   constraint=None):
        """Creates a float32 weight tensor and returns it. A trainable weight receives gradients
        while the layer is trainable; one made with trainable=False never does (a layer updates it
        itself, as BatchNormalization does its moving statistics). A regularizer's penalty of the
        weight joins the layer's `losses`."""
        if dtype not in (None, "float32", np.float32):
            raise ValueError(f"Layer {self.name!r}: fastnn weights are float32. Received: dtype={dtype!r}")
        if constraint is not None:
            raise ValueError(f"Layer {self.name!r}: weight constraints are not supported. "
                             f"Received: constraint={constraint!r}")
        if name is None:
            name = f"variable_{len(self._weights)}" if self._weights else "variable"
        shape = as_shape(shape, "shape")
        initialize = initializers.get(initializer)
        if initializers_skipped():
            values = np.zeros(shape, dtype=np.float32)
        else:
            values = np.asarray(initialize(shape, dtype="float32"), dtype=np.float32).reshape(shape).copy(order="C")
        weight = Tensor(values, requires_grad=bool(trainable))
        self._weights.append(weight)
        self._weight_names.append(name)
        if not trainable:
            self._frozen_weights.add(id(weight))
        if regularizer is not None:
            self._weight_penalties.append((weight, regularizers.get(regularizer)))
        structure_changed()
        return weight

    def add_loss(self, loss, inputs=None):
        """Adds a scalar Tensor (computed in call) to the loss a model trains on, for this call.
        (`inputs` is accepted as Keras 2 took it, and unused.)"""
        if symbolic.is_symbolic(loss):
            raise ValueError(
                f"Layer {self.name!r}: add_loss() takes a Tensor computed in call(), not a symbolic tensor; "
                "add the loss from the call() of a custom layer (as the book's VAE does)")
        if not isinstance(loss, Tensor):
            loss = Tensor(np.asarray(loss, dtype=np.float32))
        generation = _current_generation()
        if self._loss_generation != generation:
            self._call_losses, self._loss_generation = [], generation
        self._call_losses.append(loss)

    def _weight_losses(self):
        return [regularizer(weight) for weight, regularizer in self._weight_penalties]

    @property
    def losses(self):
        """Penalties as scalar Tensors: of the weights now, and those the last call added (the
        outputs' activity penalties, add_loss), this layer's and its sublayers'."""
        found = self._weight_losses() + list(self._call_losses)
        for layer in self._sublayers():
            found.extend(layer.losses)
        return found

    def _losses_of_call(self, generation):
        """The penalties for the outermost call `generation`: the weights' now, and those added
        during that call by this layer and its sublayers (not those of older calls)."""
        found = self._weight_losses()
        if self._loss_generation == generation:
            found.extend(self._call_losses)
        for layer in self._sublayers():
            found.extend(layer._losses_of_call(generation))
        return found

    def _save_call_losses(self):
        return [(layer, layer._call_losses, layer._loss_generation) for layer in self._all_sublayers(include_self=True)]

    def _restore_call_losses(self, saved):
        for layer, losses, generation in saved:
            layer._call_losses, layer._loss_generation = losses, generation

    def _all_sublayers(self, include_self=False):
        """This layer's sublayers and theirs, each once (this layer first with include_self)."""
        found, seen = [], set()
        stack = [self] if include_self else list(reversed(self._sublayers()))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return found

    def _weight_entries(self):
        """(name, weight, trainable) of every weight: this layer's own, then its sublayers'."""
        entries = [(name, w, self.trainable and id(w) not in self._frozen_weights)
                   for name, w in zip(self._weight_names, self._weights)]
        seen = {id(w) for _, w, _ in entries}
        for layer in self._sublayers():
            trainable = {id(w) for w in layer.trainable_weights} if self.trainable else set()
            for name, w in zip(layer.weight_names, layer.weights):
                if id(w) not in seen:
                    seen.add(id(w))
                    entries.append((f"{layer.name}/{name}", w, id(w) in trainable))
        return entries

    @property
    def weights(self):
        return [w for _, w, _ in self._weight_entries()]

    @property
    def weight_names(self):
        return [name for name, _, _ in self._weight_entries()]

    @property
    def trainable_weights(self):
        return [w for _, w, trainable in self._weight_entries() if trainable]

    @property
    def non_trainable_weights(self):
        return [w for _, w, trainable in self._weight_entries() if not trainable]

    variables = property(lambda self: self.weights)
    trainable_variables = property(lambda self: self.trainable_weights)
    non_trainable_variables = property(lambda self: self.non_trainable_weights)

    def count_params(self):
        return sum(int(w.data.size) for w in self.weights)

    def get_weights(self):
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights):
        """Copies new values into the existing weight arrays (shapes must match)."""
        for weight, value in zip(self.weights, self.checked_weights(weights)):
            np.copyto(weight.data, value)

    def checked_weights(self, weights):
        """weights cast to this layer's weight dtypes, after checking that each one fits.

        Raises (changing nothing) for a wrong count or shape, for arrays that do not hold
        floating-point numbers and for finite values beyond the range of the weights' dtype.
        """
        weights = list(weights)
        entries = self._weight_entries()
        if len(weights) != len(entries):
            raise ValueError(
                f"Layer {self.name!r} ({type(self).__name__}) expects {len(entries)} weight arrays, "
                f"received {len(weights)}"
            )
        checked = []
        for (name, weight, _), value in zip(entries, weights):
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
        """Builds once for input_shape (batch axis first; a list of shapes for several inputs)
        and records it."""
        input_shape = nest.map_shapes(lambda shape: (None,) + tuple(shape)[1:], input_shape)
        if not self.built:
            with _build_lock:  # threads predicting with an unbuilt model must not each make weights
                if not self.built:
                    self.build(input_shape)
                    self.input_shape = input_shape
                    self.built = True
        return self.compute_output_shape(input_shape) if self._computes_output_shape() else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) if nest.is_shape(input_shape) else input_shape

    # Layers whose output shape is found by calling them on stand-in values (Lambda, Operation).
    _shape_from_call = False

    def _computes_output_shape(self):
        """Whether compute_output_shape gives the output shape of a symbolic call. A layer from
        outside fastnn that keeps the base's, and a layer with _shape_from_call, is instead run
        on stand-in values (symbolic.trial_output_specs); fastnn's own layers without one keep
        their input's shape."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return True
        return type(self).__module__.startswith("fastnn.") and not self._shape_from_call

    def check_input_shape(self, input_shape):
        """Raises ValueError when a built layer cannot take inputs of this shape."""

    # Symbolic calls ------------------------------------------------------------------------
    @property
    def inbound_nodes(self):
        return list(self._inbound_nodes)

    def _first_node(self, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer {self.name!r} ({type(self).__name__}) has never been called on symbolic tensors "
                f"and thus has no defined {what}. Call it on fastnn.Input(...) (or build the model holding it).")
        return self._inbound_nodes[0]

    @property
    def input(self):
        """The symbolic input(s) of this layer's first call (Keras's layer.input)."""
        return self._first_node("input").inputs

    @property
    def output(self):
        """The symbolic output(s) of this layer's first call (Keras's layer.output)."""
        return self._first_node("output").outputs

    def get_input_at(self, node_index):
        return self._node_at(node_index).inputs

    def get_output_at(self, node_index):
        return self._node_at(node_index).outputs

    def _node_at(self, node_index):
        if not 0 <= node_index < len(self._inbound_nodes):
            raise ValueError(f"Layer {self.name!r} has {len(self._inbound_nodes)} inbound nodes; "
                             f"asked for node_index={node_index}")
        return self._inbound_nodes[node_index]

    def _call_symbolically(self, inputs, args, kwargs):
        shapes = nest.map_structure(lambda t: t.shape if symbolic.is_symbolic(t) else np.shape(t), inputs)
        if not self.built:
            self.build_for(shapes)
        self.check_input_shape(shapes)
        if getattr(self, "_output_specs", None) is not None:
            specs = self._output_specs()
        elif self._computes_output_shape():
            specs = symbolic.specs_from_shapes(self.compute_output_shape(nest.map_shapes(
                lambda shape: (None,) + tuple(shape)[1:] if shape else shape, shapes)))
        else:
            specs = symbolic.trial_output_specs(self, inputs, args, kwargs)
        return symbolic.Node(self, inputs, args, kwargs, specs).outputs

    # Computing -----------------------------------------------------------------------------
    # Whether the layer passes a mask on its inputs (`inputs._keras_mask`, Keras 3's attribute)
    # on to its outputs, as compute_mask says; a layer that consumes a mask reads it in call.
    supports_masking = False

    def call(self, inputs, training=False):
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def compute_mask(self, inputs, previous_mask):
        """The mask of the outputs, given the inputs' (None: no mask); by default the same one."""
        return previous_mask

    def __call__(self, inputs, *args, **kwargs):
        if symbolic.resolving():  # a graph runs: symbolic tensors the caller captured have values
            inputs, args, kwargs = symbolic.resolve_structure([inputs, list(args), kwargs])
        if symbolic.any_symbolic(inputs, list(args), kwargs):
            return self._call_symbolically(inputs, args, kwargs)
        return self._call_eagerly(inputs, args, kwargs)

    def _input_owner(self):
        return f"Layer {self.name!r} ({type(self).__name__})"

    def _as_input_tensors(self, inputs):
        """inputs as Tensors: one, or a list/tuple/dict of them (each leaf converted)."""
        if isinstance(inputs, Tensor):
            return inputs
        if _is_tensor_structure(inputs):
            return nest.map_structure(
                lambda leaf: leaf if isinstance(leaf, Tensor) or leaf is None
                else Tensor(as_float32_inputs(leaf, self._input_owner())), inputs)
        return Tensor(as_float32_inputs(inputs, self._input_owner()))

    def _call_eagerly(self, inputs, args, kwargs):
        kwargs = dict(kwargs)
        training = kwargs.pop("training", None)
        if training is None:
            training = _context_training()
        inputs = self._as_input_tensors(inputs)
        shapes = _shapes_of(inputs)
        if not self.built:
            self.build_for(shapes)
        self.check_input_shape(shapes)
        tape = _C.recording_tape()
        clean = tape is not None and tape.problem is None
        with calling(bool(training)):
            outputs = self._invoke_call(inputs, args, kwargs, bool(training))
            if self.activity_regularizer is not None and isinstance(outputs, Tensor):
                self.add_loss(self.activity_regularizer(outputs))
        if clean and tape.problem is not None and getattr(_calls, "unreplayable_layer", None) is None:
            _calls.unreplayable_layer = self  # the innermost layer whose call the plan cannot replay
        mask = getattr(inputs, "_keras_mask", None)
        if mask is not None and self.supports_masking and isinstance(outputs, Tensor) \
                and getattr(outputs, "_keras_mask", None) is None:
            output_mask = self.compute_mask(inputs, mask)
            if output_mask is not None:
                outputs._keras_mask = output_mask
        return outputs

    def _invoke_call(self, inputs, args, kwargs, training):
        takes_training, takes_any = _call_arguments(type(self))
        if takes_training or takes_any:
            kwargs["training"] = training
        return self.call(inputs, *args, **kwargs)

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


def _is_tensor_structure(inputs):
    """True for a list/tuple/dict of inputs (Tensors, arrays), False for one array given as
    nested lists of numbers."""
    if isinstance(inputs, dict):
        return True
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return False
    return any(isinstance(leaf, (Tensor, np.ndarray)) or _is_tensor_structure(leaf) for leaf in inputs)


def _shapes_of(inputs):
    if isinstance(inputs, Tensor):
        return inputs.shape
    return nest.map_structure(lambda t: None if t is None else tuple(t.shape), inputs)


@functools.lru_cache(maxsize=None)
def _call_arguments(cls):
    """(call takes `training`, call takes **kwargs) for a layer class."""
    try:
        parameters = inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return True, False
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    return "training" in parameters, takes_any


# The call context: nested calls inherit `training`; losses are grouped by outermost call. ------
def _current_generation():
    generation = getattr(_calls, "generation", None)
    if generation is None:
        generation = _calls.generation = next(_generations)
    return generation


def _context_training():
    training = getattr(_calls, "training", None)
    if training is not None:
        return training
    from .. import learning_phase

    return learning_phase.training()


@contextmanager
def calling(training):
    """The context of a layer's (or a model step's) call: the outermost one starts a new
    generation of added losses; inner calls without `training` take this one's."""
    depth = getattr(_calls, "depth", 0)
    outer_training = getattr(_calls, "training", None)
    if depth == 0:
        _calls.generation = next(_generations)
        _calls.unreplayable_layer = None
    _calls.depth, _calls.training = depth + 1, training
    try:
        yield _calls.generation
    finally:
        _calls.depth, _calls.training = depth, outer_training


def unreplayable_layer():
    """The layer whose call made this thread's last outermost call unreplayable, or None."""
    return getattr(_calls, "unreplayable_layer", None)


def structure_version():
    """A count that moves whenever a layer's sublayers, weights or trainable flag change (through
    attribute assignment, add_weight, Sequential.add and pop) or a model is compiled: while it
    stands still, which layers a model holds and which weights it trains stay as they were,
    except for lists of layers held as attributes, which can change in place."""
    return _structure_changes[0]


def structure_changed():
    _structure_changes[0] += 1


def list_attributes(layer):
    """The lists of layers assigned as attributes of layer (their contents can change in place)."""
    return [value for value in layer.__dict__.get("_sublayer_attributes", {}).values() if isinstance(value, list)]


def trainable_tick():
    """The next point of the clock that orders trainable changes and compile() calls."""
    return next(_trainable_clock)
