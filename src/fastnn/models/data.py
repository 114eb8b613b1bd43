"""Checking fit/evaluate/predict inputs, and gathering batches into reused float32 buffers."""
import math

import numpy as np

from .. import _C, kernels, losses


def as_samples(x, name="x"):
    """x as a C-contiguous real array with a batch axis first (uint8/float64 stay as given;
    each batch is converted to float32 as it is gathered)."""
    from ..tensor import Tensor

    if x is None:
        raise ValueError(f"{name} is required. Received: {name}=None")
    try:
        arr = x.data if isinstance(x, Tensor) else np.asarray(x)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{name} must be an array of equally shaped samples. Received a ragged {name}: {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers. Received: {name} with dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} needs a batch axis. Received: a scalar {name}={arr!r}")
    return np.ascontiguousarray(arr)


def check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


def check_same_length(x, y, x_name="x", y_name="y"):
    if len(x) != len(y):
        raise ValueError(
            f"Data cardinality is ambiguous: {x_name} has {len(x)} samples but {y_name} has {len(y)}. "
            "Make sure all arrays contain the same number of samples."
        )


def prepare_targets(y, loss_fn, output_shape, name="y"):
    """y in the form the loss expects: int64 class indices for the sparse loss, float32 otherwise.

    Raises ValueError when y cannot be meant for this loss and output shape, saying the fix.
    """
    y = as_samples(y, name)
    classes = output_shape[-1]
    if loss_fn in (losses.sparse_categorical_crossentropy, losses.categorical_crossentropy) and len(output_shape) != 2:
        raise ValueError(
            f"{loss_fn.__name__} needs model outputs of shape (None, classes), but the model's output has shape "
            f"{tuple(output_shape)} (its input has {len(output_shape) - 1} axes after the batch axis). "
            "Add a Flatten layer before the Dense layers, or reshape the inputs to (samples, features)."
        )
    if loss_fn is losses.sparse_categorical_crossentropy:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1:
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer class labels of shape (n,), but {name} has "
                f"shape {y.shape}, which looks one-hot encoded. Use loss='categorical_crossentropy' "
                f"with one-hot labels, or pass {name}.argmax(axis=-1)."
            )
        if y.dtype.kind == "f" and not np.array_equal(y, np.floor(y)):
            raise ValueError(f"sparse_categorical_crossentropy expects integer class labels; {name} holds fractions")
        if y.size and (y.min() < 0 or y.max() >= classes):
            raise ValueError(
                f"{name} holds class labels in [{y.min()}, {y.max()}] but the model outputs {classes} "
                f"classes: labels must be in [0, {classes})"
            )
        return y.astype(np.int64, copy=False)
    if loss_fn is losses.categorical_crossentropy:
        if classes > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
            raise ValueError(
                f"categorical_crossentropy expects one-hot labels of shape (n, {classes}), but {name} has shape "
                f"{y.shape}, which looks like integer class labels. Use "
                f"loss='sparse_categorical_crossentropy', or convert with fastnn.utils.to_categorical({name})."
            )
    if loss_fn in losses.FUNCTIONS.values():
        if y.ndim == 1 and tuple(output_shape[1:]) == (1,):
            y = y.reshape(-1, 1)
        if tuple(y.shape[1:]) != tuple(output_shape[1:]):
            raise ValueError(
                f"{name} has shape {y.shape} but the model's output has shape {tuple(output_shape)}; "
                f"the targets must have shape (n,) + {tuple(output_shape[1:])} for {loss_fn.__name__}"
            )
    return y.astype(np.float32, copy=False) if y.dtype.kind == "f" or y.dtype.kind == "b" else y


class BatchGatherer:
    """Copies the rows of x (and y) picked by an index array into buffers reused every step.

    x is converted to float32 row by row as it is copied (uint8 and float64 inputs are never
    converted as a whole); y keeps its dtype, float32 or int64 class labels.
    """

    def __init__(self, x, y, batch_size, buffers=None, weights=None):
        """buffers: a dict in which the buffers are looked up by shape and dtype (and left for
        the next gatherer of the same shapes), or None for buffers of this gatherer's own.
        weights: per-sample weights (float32, (n,)) gathered with x and y, or None."""
        self.x, self.y, self.weights = x, y, weights
        self.sample_shape = x.shape[1:]
        buffers = {} if buffers is None else buffers
        self.x_buffer = _buffer(buffers, "x", (batch_size, math.prod(self.sample_shape)), np.float32)
        self.y_buffer = None
        if y is not None:
            if y.dtype == np.int64 and y.ndim == 1:
                self.y_buffer = _buffer(buffers, "y", (batch_size,), np.int64)
            else:
                self.y_buffer = _buffer(buffers, "y", (batch_size, math.prod(y.shape[1:])), np.float32)
        self.w_buffer = None if weights is None else _buffer(buffers, "weights", (batch_size,), np.float32)
        self._x_rows = _row_gather(x, self.x_buffer)
        self._y_rows = None if y is None else _row_gather(y, self.y_buffer)

    def load(self, indices):
        """Fills the buffers' first len(indices) rows with those samples; returns the count."""
        m = len(indices)
        if self._x_rows is None or self._x_rows.take(indices) < 0:
            kernels.gather_rows(self.x, indices, out=self.x_buffer[:m])
        if self.weights is not None:
            np.take(self.weights, indices, out=self.w_buffer[:m])
        if self.y is None:
            return m
        if self._y_rows is None or self._y_rows.take(indices) < 0:
            if self.y_buffer.ndim == 1:
                np.take(self.y, indices, out=self.y_buffer[:m])
            else:
                kernels.gather_rows(self.y, indices, out=self.y_buffer[:m])
        return m

    def gather(self, indices):
        """(x rows, y rows) for these indices; the arrays are views of the buffers."""
        return self.batch(indices)[:2]

    def batch(self, indices):
        """(x rows, y rows, weights) for these indices (y, weights None when absent); views of the buffers."""
        m = self.load(indices)
        xb = self.x_buffer[:m].reshape((m,) + self.sample_shape)
        wb = None if self.weights is None else self.w_buffer[:m]
        if self.y is None:
            return xb, None, wb
        yb = self.y_buffer[:m] if self.y_buffer.ndim == 1 else self.y_buffer[:m].reshape((m,) + self.y.shape[1:])
        return xb, yb, wb


def _buffer(buffers, role, shape, dtype):
    """The buffer for one role (x, y, weights) of this shape and dtype: inputs and targets of the
    same shape (an autoencoder's) never share one."""
    key = (role, shape, np.dtype(dtype).str)
    if key not in buffers:
        buffers[key] = np.empty(shape, dtype=dtype)
    return buffers[key]


def _row_gather(source, buffer):
    """A compiled gather from source into buffer, or None for sources it does not take."""
    try:
        return _C.RowGather(source, buffer)
    except (TypeError, ValueError):
        return None
