"""Reshape: gives each sample target_shape (one axis may be -1, inferred)."""
import math

import numpy as np

from .layer import Layer, batch_shape


class Reshape(Layer):
    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        if isinstance(target_shape, (int, np.integer)):
            target_shape = (target_shape,)
        try:
            shape = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            shape = None
        if shape is None or any(d == 0 or d < -1 for d in shape) or shape.count(-1) > 1:
            raise ValueError(f"Layer {self.name!r} (Reshape): target_shape must be a tuple of positive integers, "
                             f"with at most one -1. Received: target_shape={target_shape!r}")
        self.target_shape = shape

    def _sample_shape(self, input_shape):
        """target_shape with its -1 resolved for inputs of input_shape (None when not known)."""
        size = None if None in input_shape[1:] else math.prod(input_shape[1:])
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size is None:
                return tuple(None if d == -1 else d for d in self.target_shape)
            if size % known == 0:
                return tuple(size // known if d == -1 else d for d in self.target_shape)
        elif size is None or size == known:
            return self.target_shape
        raise ValueError(
            f"Layer {self.name!r} (Reshape): cannot reshape samples of shape {batch_shape(input_shape)} "
            f"({size} values) to target_shape {self.target_shape}"
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._sample_shape(input_shape)

    def check_input_shape(self, input_shape):
        self._sample_shape(input_shape)

    def call(self, inputs, training=False):
        return inputs.reshape((inputs.shape[0],) + self._sample_shape(inputs.shape))

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
