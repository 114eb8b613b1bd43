"""Operation: a function of tensors recorded as a node of a graph, for arithmetic, slicing and
the backend's functions on symbolic tensors. It has no weights and is not one of a model's
`layers` (as in Keras, where such nodes are operations, not layers)."""
from collections import Counter

from . import nest
from .layer import Layer
from .symbolic import SymbolicTensor


_counts = Counter()


def operation_name(base):
    """'add', 'add_1', ...: operations are named apart from layers (they are not among a model's layers)."""
    count = _counts[base]
    _counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


class Operation(Layer):
    """fn(*args, **kwargs) with the symbolic tensors among args and kwargs as its inputs."""

    _shape_from_call = True

    def __init__(self, fn, args, kwargs, name="op", output_specs=None):
        """output_specs: a function giving the output's OutputSpec without calling fn (for
        slicing), or None to call fn on stand-in values."""
        super().__init__(name=operation_name(name))
        self.fn = fn
        self._template = (list(args), dict(kwargs))
        self._output_specs = output_specs

    def call(self, inputs):
        values = iter(inputs)
        leaves = [next(values) if isinstance(leaf, SymbolicTensor) else leaf for leaf in nest.flatten(self._template)]
        args, kwargs = nest.pack_as(self._template, leaves)
        return self.fn(*args, **kwargs)

    def get_config(self):
        raise NotImplementedError(f"Operation {self.name!r} (a function of symbolic tensors) cannot be serialized")
