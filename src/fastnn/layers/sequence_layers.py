"""Shared by the layers over sequences (batch, steps, features): argument checks and lengths."""
import numpy as np

from .. import _windows
from .image_layers import check_data_format, label
from .layer import batch_shape

__all__ = ["check_data_format", "check_sequences", "label", "one", "output_length", "pair_of_sizes"]


def one(value, name, owner):
    """A positive int from an int or a tuple of one (Keras's 1-D arguments); ValueError naming it."""
    values = (value,) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (values is None or len(values) != 1
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in values)):
        raise ValueError(f"{owner}: {name} must be a positive integer or a tuple of 1 positive integer. "
                         f"Received: {name}={value!r}")
    return int(values[0])


def pair_of_sizes(value, name, owner):
    """(before, after) non-negative ints from an int (both) or a pair; ValueError naming the argument."""
    values = _windows.non_negative_pair(value)
    if values is None:
        raise ValueError(f"{owner}: {name} must be a non-negative integer or a tuple of 2 non-negative integers. "
                         f"Received: {name}={value!r}")
    return values


def check_sequences(layer, input_shape):
    """ValueError unless input_shape is (batch, steps, features)."""
    if len(input_shape) != 3:
        raise ValueError(
            f"Input of {label(layer, 'layer')} is incompatible with the layer: expected ndim=3 (batch, steps, "
            f"features), found ndim={len(input_shape)}. Full shape received: {batch_shape(input_shape)}"
        )


def output_length(layer, input_shape, window, stride, padding, dilation=1):
    """The output's steps for inputs of input_shape (None stays None); ValueError naming the layer
    when a 'valid' window does not fit."""
    steps = input_shape[1]
    if steps is None:
        return None
    try:
        return _windows.output_size(steps, window, stride, dilation, padding, label(layer), "steps")[0]
    except ValueError as err:
        raise ValueError(f"{err}: input shape {batch_shape(input_shape)}") from None
