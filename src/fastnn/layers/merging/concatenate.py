"""Concatenate: a list of tensors joined along one axis (their other axes equal)."""
import numpy as np

from ... import ops
from ..layer import Layer
from .base import check_list, label, shapes_text


class Concatenate(Layer):
    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"{label(self)}: axis must be an integer. Received: axis={axis!r}")
        self.axis = int(axis)

    def _merged_shape(self, input_shape):
        shapes = check_list(self, input_shape)
        rank = len(shapes[0])
        if any(len(s) != rank for s in shapes):
            raise ValueError(f"{label(self)} requires inputs of one rank. Received: input_shape={shapes_text(shapes)}")
        if not -rank <= self.axis < rank:
            raise ValueError(f"{label(self)}: axis {self.axis} is out of range for inputs of rank {rank}. "
                             f"Received: input_shape={shapes_text(shapes)}")
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(f"{label(self)} cannot concatenate along the batch axis (axis={self.axis}); "
                             f"inputs {shapes_text(shapes)}")
        result = list(shapes[0])
        for shape in shapes[1:]:
            for i, (a, b) in enumerate(zip(result, shape)):
                if i == axis or i == 0:
                    continue
                if a is not None and b is not None and a != b:
                    raise ValueError(
                        f"{label(self)} requires inputs with matching shapes except for the concatenation axis "
                        f"{self.axis}. Received: input_shape={shapes_text(shapes)}")
                if a is None:
                    result[i] = b
        lengths = [s[axis] for s in shapes]
        result[axis] = None if None in lengths else sum(lengths)
        return axis, (None,) + tuple(result[1:])

    def build(self, input_shape):
        self._merged_shape(input_shape)

    def compute_output_shape(self, input_shape):
        return self._merged_shape(input_shape)[1]

    def check_input_shape(self, input_shape):
        self._merged_shape(input_shape)

    def call(self, inputs):
        tensors = list(inputs)
        axis = self.axis % tensors[0].ndim
        if len(tensors) == 1:
            return tensors[0]
        return ops.concatenate(tensors, axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def concatenate(inputs, axis=-1, **kwargs):
    """Concatenate(axis)(inputs): a list of tensors joined along axis."""
    return Concatenate(axis=axis, **kwargs)(inputs)
