"""The book's backend, `from fastnn import backend as K`: thin names over fastnn's tensor
functions, for eager Tensors and for symbolic tensors alike (on symbolic tensors each call
records an operation of the graph), plus `gradients` and `function` over symbolic tensors.

    layer_output = model.get_layer("block3_conv1").output
    loss = K.mean(layer_output[:, :, :, 0])
    grads = K.gradients(loss, model.input)[0]
    grads /= K.sqrt(K.mean(K.square(grads))) + 1e-5
    iterate = K.function([model.input], [loss, grads])
    loss_value, grads_value = iterate([np.zeros((1, 150, 150, 3))])

Gradients are computed by the autodiff engine: the graph is run again eagerly with the tensor
differentiated against as a leaf (a model input or any intermediate output).
"""
import math
from contextlib import contextmanager

import numpy as np

from . import _C, functional, learning_phase as _phase, ops
from . import losses as _losses
from . import tensor as _tensor
from .layers.input_layer import InputLayer
from .layers.layer import Layer
from .layers.symbolic import SymbolicTensor, apply_op
from .tensor import Tensor, as_tensor, no_grad
from .utils import random as _random

_EPSILON = [1e-7]


def _op(name, fn):
    def wrapper(*args, **kwargs):
        return apply_op(fn, *args, name=name, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _float_pair(x, y):
    x, y = functional._operands(x, y)
    if x.dtype != y.dtype and x.dtype.kind == "f" and y.dtype.kind == "f":
        wide = np.result_type(x.dtype, y.dtype)
        x, y = Tensor(x.data.astype(wide)) if x.dtype != wide else x, Tensor(y.data.astype(wide)) if y.dtype != wide else y
    return x, y


def _maximum(x, y):
    x, y = _float_pair(x, y)
    return ops.maximum(x, y) if x.dtype.kind == "f" and x.dtype == y.dtype else functional.maximum(x, y)


def _minimum(x, y):
    x, y = _float_pair(x, y)
    return ops.minimum(x, y) if x.dtype.kind == "f" and x.dtype == y.dtype else functional.minimum(x, y)


def _concatenate(tensors, axis=-1):
    tensors = [as_tensor(t) for t in tensors]
    return ops.concatenate(tensors, axis % tensors[0].ndim)


def _var(x, axis=None, keepdims=False):
    centered = functional.subtract(x, functional.mean(x, axis=axis, keepdims=True))
    return functional.mean(functional.multiply(centered, centered), axis=axis, keepdims=keepdims)


def _expand_dims(x, axis=-1):
    x = as_tensor(x)
    axis = axis % (x.ndim + 1)
    return functional.reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def _squeeze(x, axis):
    x = as_tensor(x)
    axis = axis % x.ndim
    if x.shape[axis] != 1:
        raise ValueError(f"squeeze: axis {axis} of a tensor of shape {x.shape} has length {x.shape[axis]}, not 1")
    return functional.reshape(x, x.shape[:axis] + x.shape[axis + 1:])


def _permute_dimensions(x, pattern):
    x = as_tensor(x)
    if pattern is None or len(pattern) != x.ndim:
        raise ValueError(f"permute_dimensions: the pattern must name each of the {x.ndim} axes of a tensor of "
                         f"shape {x.shape} once. Received: pattern={pattern}")
    return functional.transpose(x, tuple(pattern))


def _cast(x, dtype):
    x = as_tensor(x)
    return x if x.dtype == np.dtype(dtype) else Tensor(x.data.astype(dtype))


def _l2_normalize(x, axis=None):
    squares = functional.sum(functional.multiply(x, x), axis=axis, keepdims=True)
    return functional.multiply(x, functional.power(_maximum(squares, 1e-12), -0.5))


def _stop_gradient(x):
    return as_tensor(x).detach()


def _binary_crossentropy(target, output, from_logits=False):
    return _losses.binary_crossentropy(as_tensor(target).data, output, from_logits=from_logits)


def _categorical_crossentropy(target, output, from_logits=False):
    return _losses.categorical_crossentropy(as_tensor(target).data, output, from_logits=from_logits)


mean = _op("mean", functional.mean)
sum = _op("sum", functional.sum)  # noqa: A001  (the backend's names)
max = _op("max", functional.max)  # noqa: A001
prod = _op("prod", functional.prod)
square = _op("square", lambda x: functional.power(x, 2))
sqrt = _op("sqrt", functional.sqrt)
exp = _op("exp", functional.exp)
log = _op("log", functional.log)
abs = _op("abs", functional.abs)  # noqa: A001
pow = _op("pow", functional.power)  # noqa: A001
maximum = _op("maximum", _maximum)
minimum = _op("minimum", _minimum)
concatenate = _op("concatenate", _concatenate)
reshape = _op("reshape", functional.reshape)
flatten = _op("flatten", lambda x: functional.reshape(x, (-1,)))
batch_flatten = _op("batch_flatten", lambda x: functional.reshape(x, (as_tensor(x).shape[0], -1)))
expand_dims = _op("expand_dims", _expand_dims)
squeeze = _op("squeeze", _squeeze)
transpose = _op("transpose", functional.transpose)
permute_dimensions = _op("permute_dimensions", _permute_dimensions)
dot = _op("dot", functional.dot)
clip = _op("clip", functional.clip)
var = _op("var", _var)
std = _op("std", lambda x, axis=None, keepdims=False: functional.sqrt(_var(x, axis, keepdims)))
cast = _op("cast", _cast)
relu = _op("relu", functional.relu)
sigmoid = _op("sigmoid", functional.sigmoid)
tanh = _op("tanh", functional.tanh)
softmax = _op("softmax", functional.softmax)
l2_normalize = _op("l2_normalize", _l2_normalize)
stop_gradient = _op("stop_gradient", _stop_gradient)
binary_crossentropy = _op("binary_crossentropy", _binary_crossentropy)
categorical_crossentropy = _op("categorical_crossentropy", _categorical_crossentropy)
ones_like = _op("ones_like", lambda x: Tensor(np.ones(as_tensor(x).shape, as_tensor(x).dtype)))
zeros_like = _op("zeros_like", lambda x: Tensor(np.zeros(as_tensor(x).shape, as_tensor(x).dtype)))


# shapes and constants -------------------------------------------------------------------------
def int_shape(x):
    """The shape as a tuple of ints (None for an unknown axis of a symbolic tensor)."""
    if isinstance(x, SymbolicTensor):
        return x.shape
    return tuple(int(d) for d in np.shape(x.data if isinstance(x, Tensor) else x))


def _shape_of(x):
    return Tensor(np.array(as_tensor(x).shape, dtype=np.int32))


def shape(x):
    """The shape of x: a tuple of ints for a Tensor; for a symbolic tensor, a symbolic 1-D int32
    tensor of the shape its value has when the graph runs (unknown axes included)."""
    if isinstance(x, SymbolicTensor):
        return apply_op(_shape_of, x, name="shape")
    return int_shape(x)


def ndim(x):
    return len(int_shape(x))


def dtype(x):
    return x.dtype if isinstance(x, SymbolicTensor) else np.dtype(as_tensor(x).dtype).name


def floatx():
    return "float32"


def epsilon():
    """The fuzz factor, 1e-7 (as Keras)."""
    return _EPSILON[0]


def set_epsilon(value):
    _EPSILON[0] = float(value)


def image_data_format():
    return "channels_last"


def _concrete_shape(shape, what):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(d is None or isinstance(d, SymbolicTensor) for d in shape):
        raise ValueError(f"{what}: the shape must be known ints. Received: shape={shape}; inside a Lambda's "
                         "function, K.shape(x) gives the batch size")
    return tuple(int(d) for d in shape)


_states = {}  # seed (None: fastnn's generator) -> (the kernel's state, the seeding it was drawn in)


def _random_state(seed):
    """The (seed, counter) state random_normal draws with: one per seed, kept from call to call
    (so a step plan's replays draw fresh samples); seeded from fastnn's generator for seed=None,
    again after each set_random_seed."""
    state, seeding = _states.get(seed, (None, None))
    if state is None or (seed is None and seeding != _random.seedings()):
        start = int(_random.generator().integers(0, 2**63)) if seed is None else int(seed) % 2**64
        if state is None:
            state = np.zeros(2, np.uint64)
        state[...] = (start, 0)
        _states[seed] = (state, _random.seedings())
    return state


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of a normal distribution as a constant Tensor, drawn by the random_normal kernel
    (each call new ones; replayed steps draw new ones too)."""
    shape = _concrete_shape(shape, "random_normal")
    out = np.zeros(shape, dtype=dtype or "float32")
    return Tensor(_C_kernels().random_normal(out, mean, stddev, _random_state(seed)))


def _C_kernels():
    from . import kernels

    return kernels


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    shape = _concrete_shape(shape, "random_uniform")
    _C._unreplayable("random_uniform draws its values in NumPy")
    rng = _random.generator() if seed is None else np.random.default_rng(seed)
    return Tensor(rng.uniform(minval, maxval, size=shape).astype(dtype or "float32"))


def variable(value, dtype=None, name=None, constraint=None):
    """A float32 Tensor that takes gradients."""
    if constraint is not None:
        raise ValueError("variable(): constraints are not supported")
    tensor = Tensor(np.array(value, dtype=dtype or "float32"), requires_grad=True)
    tensor.name = name
    return tensor


def constant(value, dtype=None, shape=None, name=None):
    array = np.asarray(value, dtype=dtype or "float32")
    if shape is not None:
        array = np.broadcast_to(array, _concrete_shape(shape, "constant")).copy()
    return Tensor(array)


def ones(shape, dtype=None, name=None):
    return Tensor(np.ones(_concrete_shape(shape, "ones"), dtype or "float32"))


def zeros(shape, dtype=None, name=None):
    return Tensor(np.zeros(_concrete_shape(shape, "zeros"), dtype or "float32"))


def placeholder(shape=None, ndim=None, dtype=None, name=None):
    """A symbolic tensor of `shape` (batch axis first; None for unknown axes), as an input to
    function() (it is an Input)."""
    if shape is None:
        if ndim is None:
            raise ValueError("placeholder() needs shape= or ndim=")
        shape = (None,) * ndim
    shape = tuple(shape)
    return InputLayer(batch_shape=shape, dtype=dtype, name=name).output


def eval(x):  # noqa: A001
    """The value of a Tensor as an array."""
    if isinstance(x, SymbolicTensor):
        x._refuse("eval()")
    return np.array(as_tensor(x).data)


def get_value(x):
    return eval(x)


def batch_get_value(tensors):
    return [get_value(t) for t in tensors]


def set_value(x, value):
    np.copyto(x.data, np.asarray(value, dtype=x.data.dtype))


def learning_phase():
    """0 (inference) or 1 (training): how layers called without `training=` behave."""
    return _phase.get()


def set_learning_phase(value):
    _phase.set(value)


def clear_session():
    """Nothing to clear: fastnn keeps no global graph (accepted for the book's listings)."""


# gradients and functions of symbolic tensors ----------------------------------------------------
def _inputs_of(tensor):
    """The symbolic tensors without a making layer (Inputs) that `tensor` depends on, in order."""
    found, seen, pending = [], set(), [tensor]
    while pending:
        t = pending.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if not t.node.input_tensors:
            found.append(t)
        pending.extend(reversed(t.node.input_tensors))
    return sorted(found, key=lambda t: t.node.creation)


@contextmanager
def _grad_enabled():
    modes = _tensor._saved_modes()
    modes.append(_tensor.is_grad_enabled())
    _tensor._state.enabled = True
    try:
        yield
    finally:
        _tensor._state.enabled = modes.pop()


class _Gradient(Layer):
    """d sum(loss) / d variable as a node of the graph: its call runs the graph from the loss's
    inputs again with `variable` as a leaf of the autodiff engine."""

    def __init__(self, loss, variable, sources):
        from .models import graph

        super().__init__(name=None)
        self.loss, self.variable, self.sources = loss, variable, sources
        self.to_variable = [] if any(variable is s for s in sources) else graph.nodes_between(sources, [variable], "K")
        self.cut = [s for s in sources if s is not variable] + [variable]
        self.to_loss = graph.nodes_between(self.cut, [loss], "K")

    def compute_output_shape(self, input_shape):
        return self.variable.shape

    def call(self, inputs, training=False):
        from .models import graph

        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        by_id = {id(s): v for s, v in zip(self.sources, values)}
        with no_grad():
            value = by_id[id(self.variable)] if not self.to_variable else \
                graph.run(self.to_variable, self.sources, values, [self.variable], training)[0]
        leaf = Tensor(np.array(value.data, dtype=value.dtype), requires_grad=True)
        weights = [w for node in self.to_loss for w in node.layer.weights]
        flags = [w.requires_grad for w in weights]
        for w in weights:
            w.requires_grad = False
        try:
            with _grad_enabled():
                cut_values = [by_id[id(s)] for s in self.cut[:-1]] + [leaf]
                out = graph.run(self.to_loss, self.cut, cut_values, [self.loss], training)[0]
                out = as_tensor(out)
                if out.requires_grad:
                    out.backward(np.ones(out.shape, out.dtype))
        finally:
            for w, flag in zip(weights, flags):
                w.requires_grad = flag
        grad = leaf.grad if leaf.grad is not None else np.zeros(leaf.shape, leaf.dtype)
        return Tensor(np.asarray(grad, dtype=np.float32))


def gradients(loss, variables):
    """[d sum(loss) / d v for v in variables] as symbolic tensors, for symbolic loss and
    variables (a model's input, a layer's output, ...); evaluate them with function()."""
    single = not isinstance(variables, (list, tuple))
    variables = [variables] if single else list(variables)
    if not isinstance(loss, SymbolicTensor) or not all(isinstance(v, SymbolicTensor) for v in variables):
        raise TypeError("K.gradients takes symbolic tensors (a loss computed from a model's tensors, and the model's "
                        "input or layer outputs); for eager Tensors use fastnn.GradientTape")
    results = []
    for v in variables:
        sources = _inputs_of(loss)
        for s in _inputs_of(v):
            if all(s is not t for t in sources):
                sources.append(s)
        results.append(_Gradient(loss, v, sources)(sources))
    return results


class Function:
    """K.function(inputs, outputs): values of symbolic outputs for values of the inputs."""

    def __init__(self, inputs, outputs, updates=None, name=None):
        from .models import graph

        if updates:
            raise ValueError("K.function(updates=...) is not supported: update weights with an optimizer")
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.single = not isinstance(outputs, (list, tuple))
        self.outputs = [outputs] if self.single else list(outputs)
        graph.check_inputs(self.inputs, name or "K.function")
        symbolic_outputs = [o for o in self.outputs if isinstance(o, SymbolicTensor)]
        self.nodes = graph.nodes_between(self.inputs, symbolic_outputs, name or "K.function")

    def __call__(self, values):
        from .models import graph

        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != len(self.inputs):
            raise ValueError(f"K.function takes {len(self.inputs)} input arrays, received {len(values)}")
        tensors = [v if isinstance(v, Tensor) else Tensor(np.asarray(v, dtype=t.dtype))
                   for v, t in zip(values, self.inputs)]
        symbolic = [o for o in self.outputs if isinstance(o, SymbolicTensor)]
        with no_grad():
            computed = iter(graph.run(self.nodes, self.inputs, tensors, symbolic, bool(learning_phase())))
        results = [np.asarray(as_tensor(next(computed)).data) if isinstance(o, SymbolicTensor)
                   else np.asarray(as_tensor(o).data) for o in self.outputs]
        return results[0] if self.single else results


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable: a list of input arrays -> the outputs' values (a list, as outputs is)."""
    return Function(inputs, outputs, updates=updates, name=name)


def count_params(x):
    return int(math.prod(int_shape(x)))
