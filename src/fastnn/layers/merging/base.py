"""Merge: the base of the layers that combine a list of tensors element-wise (Add, Subtract,
Multiply, Average, Maximum, Minimum).

Inputs of lower rank get unit axes after the batch axis until the ranks agree, then the
sample shapes broadcast as NumPy's do (an axis of 1 stretches, other lengths must be equal).
"""
from .. import nest
from ..layer import Layer


def label(layer):
    return f"Layer {layer.name!r} ({type(layer).__name__})"


def shapes_text(shapes):
    return "[" + ", ".join(_shape(s) for s in shapes) + "]"


def _shape(shape):
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def check_list(layer, input_shape, exactly=None):
    """ValueError unless input_shape is a list of shapes (of `exactly` inputs when given)."""
    if nest.is_shape(input_shape) or not isinstance(input_shape, (list, tuple)) or not input_shape:
        raise ValueError(f"{label(layer)} should be called on a list of inputs. Received: input_shape={input_shape}")
    shapes = [tuple(s) for s in input_shape]
    if exactly is not None and len(shapes) != exactly:
        raise ValueError(f"{label(layer)} should be called on exactly {exactly} inputs. "
                         f"Received: {len(shapes)} inputs, shapes {shapes_text(shapes)}")
    if any(len(s) < 1 for s in shapes):
        raise ValueError(f"{label(layer)} takes inputs with a batch axis. Received shapes {shapes_text(shapes)}")
    return shapes


def broadcast_shapes(layer, shapes):
    """The merged shape, batch axis first: ranks equalized with unit axes after the batch axis,
    then each axis broadcast (None stays None); ValueError naming the shapes otherwise."""
    rank = max(len(s) for s in shapes)
    result = list(shapes[0][:1]) + [1] * (rank - 1)
    for shape in shapes:
        padded = (shape[0],) + (1,) * (rank - len(shape)) + tuple(shape[1:])
        if result[0] is not None and padded[0] is not None and result[0] != padded[0]:
            raise ValueError(f"{label(layer)}: the inputs' batch sizes differ. Received shapes {shapes_text(shapes)}")
        if result[0] is None:
            result[0] = padded[0]
        for axis in range(1, rank):
            a, b = result[axis], padded[axis]
            if a is None or b is None:
                result[axis] = None if a != 1 and b != 1 else (a if b == 1 else b)
            elif a == 1:
                result[axis] = b
            elif b != 1 and a != b:
                raise ValueError(f"{label(layer)}: inputs with incompatible shapes. Received shapes "
                                 f"{shapes_text(shapes)} (axis {axis}: {a} and {b} cannot be broadcast)")
    return (None,) + tuple(result[1:])


class Merge(Layer):
    """Combines a list of tensors of broadcastable shapes with `merge(tensors)`."""

    exact_inputs = None  # Subtract takes exactly two

    def build(self, input_shape):
        broadcast_shapes(self, check_list(self, input_shape, self.exact_inputs))

    def compute_output_shape(self, input_shape):
        return broadcast_shapes(self, check_list(self, input_shape, self.exact_inputs))

    def check_input_shape(self, input_shape):
        broadcast_shapes(self, check_list(self, input_shape, self.exact_inputs))

    def call(self, inputs):
        tensors = list(inputs)
        rank = max(t.ndim for t in tensors)
        tensors = [t if t.ndim == rank else t.reshape((t.shape[0],) + (1,) * (rank - t.ndim) + tuple(t.shape[1:]))
                   for t in tensors]
        return self.merge(tensors)

    def merge(self, tensors):
        raise NotImplementedError
