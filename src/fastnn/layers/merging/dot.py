"""Dot: the dot product of two batches of samples along an axis of each (Keras's batch_dot).

For inputs of shapes (batch, n) and (batch, n) the result has shape (batch, 1); for (batch, m, k)
and (batch, k, n) with axes=(2, 1), (batch, m, n). Inputs of rank 2 and 3 are taken.
"""
import numpy as np

from ... import functional, ops
from ...tensor import Tensor
from ..layer import Layer
from .base import check_list, label, shapes_text


def _l2_normalize(x, axis):
    squares = functional.sum(functional.multiply(x, x), axis=axis, keepdims=True)
    floor = Tensor(np.asarray(1e-12, dtype=x.dtype))
    return functional.multiply(x, functional.power(ops.maximum(squares, floor), -0.5))


class Dot(Layer):
    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool) else axes
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in pair):
            raise ValueError(f"{label(self)}: axes must be an integer or a list of two integers. Received: axes={axes!r}")
        self.axes = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)

    def _axes_for(self, shapes):
        shapes = check_list(self, shapes, exactly=2)
        for shape in shapes:
            if len(shape) not in (2, 3):
                raise ValueError(f"{label(self)} takes inputs of rank 2 or 3 (batch axis included). "
                                 f"Received: input_shape={shapes_text(shapes)}")
        axes = []
        for axis, shape in zip(self.axes, shapes):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(f"{label(self)}: axes={self.axes} do not name a sample axis of inputs "
                                 f"{shapes_text(shapes)}")
            axes.append(axis % len(shape))
        a, b = shapes[0][axes[0]], shapes[1][axes[1]]
        if a is not None and b is not None and a != b:
            raise ValueError(f"{label(self)}: dimension incompatibility: {a} != {b}. Layer shapes: "
                             f"{shapes_text(shapes)}, chosen axes: {axes[0]}, {axes[1]}")
        return shapes, axes

    def build(self, input_shape):
        self._axes_for(input_shape)

    def check_input_shape(self, input_shape):
        self._axes_for(input_shape)

    def compute_output_shape(self, input_shape):
        (x, y), (ax, ay) = self._axes_for(input_shape)
        rest = [d for i, d in enumerate(x) if i not in (0, ax)] + [d for i, d in enumerate(y) if i not in (0, ay)]
        return (None,) + (tuple(rest) if rest else (1,))

    def call(self, inputs):
        x, y = inputs
        (_, _), (ax, ay) = self._axes_for([x.shape, y.shape])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        batch = x.shape[0]
        rest = [d for i, d in enumerate(x.shape) if i not in (0, ax)] + \
               [d for i, d in enumerate(y.shape) if i not in (0, ay)]
        if x.ndim == 2 and y.ndim == 2:
            return functional.sum(functional.multiply(x, y), axis=1, keepdims=True)
        if x.ndim == 2:  # (batch, k) as (batch, 1, k), contracted on its last axis
            x, ax = x.reshape(batch, 1, x.shape[1]), 2
        if y.ndim == 2:  # (batch, k) as (batch, k, 1), contracted on its middle axis
            y, ay = y.reshape(batch, y.shape[1], 1), 1
        product = ops.batch_matmul(x, y, trans_a=ax == 1, trans_b=ay == 2)
        shape = (batch,) + (tuple(rest) if rest else (1,))
        return product if product.shape == shape else product.reshape(shape)

    def get_config(self):
        config = super().get_config()
        config.update(axes=list(self.axes), normalize=self.normalize)
        return config


def dot(inputs, axes, normalize=False, **kwargs):
    """Dot(axes, normalize)(inputs): the batched dot product of two tensors."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
