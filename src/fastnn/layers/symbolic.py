"""Symbolic tensors and nodes: what calling a layer on `Input(...)` records.

A SymbolicTensor stands for a tensor a model will compute: it has a shape (the batch axis
None), a dtype and a name, and knows the Node that makes it. A Node is one call of a layer:
the layer, the call's arguments (with the symbolic tensors in place of values) and the
symbolic outputs. A functional Model is the nodes between its inputs and outputs; running it
calls each node's layer on the values the earlier nodes made.

Arithmetic, slicing and the backend's functions on symbolic tensors record nodes of an
Operation (a layer without weights wrapping the function).
"""
import itertools
import threading
from contextlib import contextmanager

import numpy as np

from . import nest

_creation = itertools.count()  # nodes in the order they were made: a valid order to run them in
_lock = threading.Lock()
# While a graph runs on this thread: the values of its symbolic tensors computed so far, so that a
# layer's call may use a symbolic tensor it captured (the book's VAE layer uses z_mean so); while
# a layer runs on stand-in values (trial_output_specs): the stand-ins' size for unknown axes.
_active = threading.local()


def _next_creation():
    with _lock:
        return next(_creation)


class SymbolicTensor:
    """A placeholder for a tensor of a graph: `shape` (batch axis None), `dtype`, `name`, and
    `node` / `index`, the call that makes it and which of that call's outputs it is."""

    __array_ufunc__ = None  # `array + symbolic` defers to SymbolicTensor.__radd__

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype).name
        self.name = name
        self.node = node
        self.index = index

    ndim = property(lambda self: len(self.shape))

    @property
    def _keras_history(self):
        """(layer, node index, tensor index), as Keras names the origin of a symbolic tensor."""
        return (self.node.layer, self.node.index, self.index)

    def __repr__(self):
        return f"<SymbolicTensor shape={_shape_text(self.shape)}, dtype={self.dtype}, name={self.name}>"

    __hash__ = object.__hash__

    def _refuse(self, what):
        raise TypeError(
            f"{what} of a symbolic tensor ({self.name}, shape {_shape_text(self.shape)}): it has no values. "
            "It describes a tensor a model computes; build a models.Model from it and call predict(), "
            "or use fastnn.backend.function to evaluate it."
        )

    def __array__(self, dtype=None, copy=None):
        self._refuse("NumPy conversion")

    def __bool__(self):
        self._refuse("The truth value")

    def __float__(self):
        self._refuse("float()")

    def __len__(self):
        if not self.shape or self.shape[0] is None:
            self._refuse("len()")
        return self.shape[0]

    def __iter__(self):
        self._refuse("Iteration")

    @property
    def data(self):
        self._refuse("The values (.data)")

    def _resolved_tensor(self):
        """The Tensor standing for this symbolic tensor while a graph runs (or a layer runs on
        stand-ins); TypeError otherwise."""
        value = resolve(self)
        if value is self:
            self._refuse("Conversion to a Tensor")
        return value

    def numpy(self):
        self._refuse("numpy()")

    # operators: each records an Operation node
    def __add__(self, other):
        return apply_op(_functional("add"), self, other, name="add")

    def __radd__(self, other):
        return apply_op(_functional("add"), other, self, name="add")

    def __sub__(self, other):
        return apply_op(_functional("subtract"), self, other, name="subtract")

    def __rsub__(self, other):
        return apply_op(_functional("subtract"), other, self, name="subtract")

    def __mul__(self, other):
        return apply_op(_functional("multiply"), self, other, name="multiply")

    def __rmul__(self, other):
        return apply_op(_functional("multiply"), other, self, name="multiply")

    def __truediv__(self, other):
        return apply_op(_functional("divide"), self, other, name="divide")

    def __rtruediv__(self, other):
        return apply_op(_functional("divide"), other, self, name="divide")

    def __pow__(self, exponent):
        return apply_op(_functional("power"), self, exponent, name="power")

    def __neg__(self):
        return apply_op(_functional("negative"), self, name="negative")

    def __abs__(self):
        return apply_op(_functional("abs"), self, name="abs")

    def __matmul__(self, other):
        return apply_op(_functional("matmul"), self, other, name="matmul")

    def __rmatmul__(self, other):
        return apply_op(_functional("matmul"), other, self, name="matmul")

    def __getitem__(self, index):
        if resolving():
            return _functional("getitem")(resolve(self), index)
        from .operation import Operation

        op = Operation(_functional("getitem"), (self, index), {}, name="get_item",
                       output_specs=lambda: _indexed_spec(self, index))
        return op([self])

    def reshape(self, *shape):
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return apply_op(_functional("reshape"), self, tuple(shape), name="reshape")

    def mean(self, axis=None, keepdims=False):
        return apply_op(_functional("mean"), self, axis=axis, keepdims=keepdims, name="mean")

    def sum(self, axis=None, keepdims=False):
        return apply_op(_functional("sum"), self, axis=axis, keepdims=keepdims, name="sum")


def _indexed_spec(tensor, index):
    """The (shape, dtype) of tensor[index]: the index applied to two zero-stride stand-ins with
    long unknown axes (no memory); an axis whose length differs between them is unknown."""
    unknown = sum(d is None for d in tensor.shape)
    known = max(1, int(np.prod([d for d in tensor.shape if d is not None], dtype=np.float64)))
    longest = int(min(1000003, (2.0 ** 60 / known / np.dtype(tensor.dtype).itemsize) ** (1 / max(unknown, 1))))
    shapes = []
    for size in (longest, longest - 7):
        stand_in = np.broadcast_to(np.zeros((), dtype=tensor.dtype), tuple(size if d is None else d for d in tensor.shape))
        shapes.append(stand_in[index].shape)
    return OutputSpec((tuple(a if a == b else None for a, b in zip(*shapes)), tensor.dtype))


def _functional(name):
    from .. import functional

    return getattr(functional, name)


def _shape_text(shape):
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def is_symbolic(value):
    return isinstance(value, SymbolicTensor)


@contextmanager
def running(known):
    """Inside: symbolic tensors resolve to known[id(tensor)] (a graph's values so far)."""
    saved = getattr(_active, "known", None), getattr(_active, "stand_in", None)
    _active.known, _active.stand_in = known, None
    try:
        yield
    finally:
        _active.known, _active.stand_in = saved


@contextmanager
def standing_in(size):
    """Inside: symbolic tensors resolve to ones of their shape, unknown axes `size` long."""
    saved = getattr(_active, "known", None), getattr(_active, "stand_in", None)
    _active.known, _active.stand_in = None, size
    try:
        yield
    finally:
        _active.known, _active.stand_in = saved


def resolve(value):
    """value, or for a symbolic tensor its value in the graph running on this thread (or a
    stand-in); an unknown symbolic tensor stays symbolic outside a run and is an error inside."""
    if not isinstance(value, SymbolicTensor):
        return value
    known = getattr(_active, "known", None)
    if known is not None:
        found = known.get(id(value))
        if found is None:
            raise ValueError(
                f"A layer's call uses the symbolic tensor {value.name!r} (shape {_shape_text(value.shape)}), which "
                "the running model has not computed before that layer: give it to the layer as one of its inputs")
        return found
    size = getattr(_active, "stand_in", None)
    if size is not None:
        from ..tensor import Tensor

        return Tensor(np.ones(tuple(size if d is None else d for d in value.shape), dtype=value.dtype))
    return value


def resolving():
    """True while symbolic tensors resolve to values (a graph runs, or a trial on stand-ins)."""
    return getattr(_active, "known", None) is not None or getattr(_active, "stand_in", None) is not None


def resolve_structure(structure):
    return nest.map_structure(resolve, structure)


def symbolic_leaves(*structures):
    """Every SymbolicTensor among the leaves of the structures, in order."""
    return [leaf for s in structures for leaf in nest.flatten(s) if isinstance(leaf, SymbolicTensor)]


def any_symbolic(*structures):
    return any(isinstance(leaf, SymbolicTensor) for s in structures for leaf in nest.flatten(s))


class Node:
    """One call of a layer on symbolic tensors.

    `arguments` is (inputs, args, kwargs) as the layer was called, with the symbolic tensors in
    place; `input_tensors` are those tensors in order, `inputs` the first argument's structure,
    `outputs` the symbolic results (one tensor or a structure) and `output_tensors` them flat.
    """

    def __init__(self, layer, inputs, args, kwargs, output_specs):
        self.layer = layer
        self.arguments = (inputs, tuple(args), dict(kwargs))
        self.inputs = inputs
        self.input_tensors = symbolic_leaves(inputs, list(args), kwargs)
        self.creation = _next_creation()
        with _lock:
            self.index = len(layer._inbound_nodes)
            layer._inbound_nodes.append(self)
        flat_specs = flatten_specs(output_specs)
        names = [layer.name] if len(flat_specs) == 1 else [f"{layer.name}_{i}" for i in range(len(flat_specs))]
        tensors = [SymbolicTensor(shape, dtype, name, self, i) for i, ((shape, dtype), name) in
                   enumerate(zip(flat_specs, names))]
        self.outputs = tensors[0] if _is_spec(output_specs) else nest.pack_as(_spec_structure(output_specs), tensors)
        self.output_tensors = tensors

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors]

    def values(self, known):
        """(inputs, args, kwargs) with each symbolic tensor replaced by known[id(tensor)]."""
        inputs, args, kwargs = self.arguments
        leaves = nest.flatten([inputs, list(args), kwargs])
        replaced = [known[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf for leaf in leaves]
        inputs, args, kwargs = nest.pack_as([inputs, list(args), kwargs], replaced)
        return inputs, tuple(args), kwargs

    def __repr__(self):
        return f"<Node {self.layer.name!r} #{self.index}>"


class OutputSpec(tuple):
    """(shape, dtype) of one output: a tuple subclass so that structures of them stay apart
    from the structures of shapes."""


def _is_spec(value):
    return isinstance(value, OutputSpec)


def _spec_structure(specs):
    """The structure of specs with every OutputSpec as one leaf."""
    if _is_spec(specs):
        return None
    if isinstance(specs, dict):
        return {key: _spec_structure(value) for key, value in specs.items()}
    return [_spec_structure(value) for value in specs] if isinstance(specs, list) else \
        tuple(_spec_structure(value) for value in specs)


def flatten_specs(specs):
    if _is_spec(specs):
        return [specs]
    if isinstance(specs, dict):
        return [s for value in specs.values() for s in flatten_specs(value)]
    return [s for value in specs for s in flatten_specs(value)]


def specs_from_shapes(shapes, dtype="float32"):
    """OutputSpecs for what compute_output_shape returns: one shape or a structure of shapes."""
    if nest.is_shape(shapes):
        return OutputSpec((tuple(shapes), dtype))
    if isinstance(shapes, dict):
        return {key: specs_from_shapes(value, dtype) for key, value in shapes.items()}
    return [specs_from_shapes(value, dtype) for value in shapes]


def apply_op(fn, *args, name="op", **kwargs):
    """fn(*args, **kwargs) as a node of the graph when an argument is symbolic, else called now.

    fn takes and returns Tensors (fastnn.functional's functions, the backend's, a Lambda's)."""
    if resolving():
        args, kwargs = resolve_structure(list(args)), resolve_structure(kwargs)
    if not any_symbolic(list(args), kwargs):
        return fn(*args, **kwargs)
    from .operation import Operation

    op = Operation(fn, args, kwargs, name=name)
    return op(symbolic_leaves(list(args), kwargs))


# The shape of a layer's outputs without compute_output_shape: run it on stand-in values. --------
def trial_output_specs(layer, inputs, args, kwargs):
    """The (shape, dtype) of each output of layer called on symbolic inputs, found by calling it
    on arrays of ones twice, with every unknown axis 2 and then 3: an axis whose length differs
    between the runs is unknown (None) in the output. The losses the calls add are dropped; a
    layer building sublayers in its call builds them then (drawing their initial weights)."""
    from ..tensor import Tensor, no_grad

    runs = []
    for size in (2, 3):
        def stand_in(leaf):
            if not isinstance(leaf, SymbolicTensor):
                return leaf
            shape = tuple(size if d is None else d for d in leaf.shape)
            return Tensor(np.ones(shape, dtype=leaf.dtype))

        concrete = nest.pack_as([inputs, list(args), kwargs],
                                [stand_in(leaf) for leaf in nest.flatten([inputs, list(args), kwargs])])
        saved_losses = layer._save_call_losses()
        try:
            with no_grad(), np.errstate(all="ignore"), standing_in(size):
                outputs = layer._call_eagerly(concrete[0], tuple(concrete[1]), concrete[2])
        except (TypeError, ValueError) as err:
            raise (TypeError if isinstance(err, TypeError) else ValueError)(f"Layer {layer.name!r} ({type(layer).__name__}) failed when called on inputs of shape "
                            f"{_shapes_text(inputs)} (stand-in values, to find its output shape): {err}") from err
        finally:
            layer._restore_call_losses(saved_losses)
        runs.append(outputs)
    first, second = runs
    flat_first, flat_second = nest.flatten(first), nest.flatten(second)
    specs = []
    for a, b in zip(flat_first, flat_second):
        a_shape, b_shape = np.shape(a), np.shape(b)
        if len(a_shape) != len(b_shape):
            raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) gives outputs of different ranks for "
                             f"different batch sizes; give it compute_output_shape (or a Lambda output_shape)")
        shape = tuple(x if x == y else None for x, y in zip(a_shape, b_shape))
        dtype = a.dtype if hasattr(a, "dtype") else np.asarray(a).dtype
        specs.append(OutputSpec((shape, np.dtype(dtype).name)))
    if isinstance(first, (list, tuple, dict)):
        return nest.pack_as(_structure_of(first), specs)
    return specs[0]


def _shapes_text(inputs):
    shapes = [_shape_text(t.shape) for t in nest.flatten(inputs) if isinstance(t, SymbolicTensor)]
    return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"


def _structure_of(value):
    if isinstance(value, dict):
        return {key: _structure_of(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        parts = [_structure_of(v) for v in value]
        return parts if isinstance(value, list) else tuple(parts)
    return None
