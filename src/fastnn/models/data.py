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
        raise ValueError(f"{name} must be an array of equally shaped samples. Received a ragged {name}: "
                         f"{_ragged_detail(x) or err}") from None
    if arr.dtype == object and arr.ndim == 1 and _ragged_detail(arr):  # a Keras-style array of sequences
        raise ValueError(f"{name} must be an array of equally shaped samples. Received a ragged {name} "
                         f"(an object array of {len(arr)} sequences): {_ragged_detail(arr)}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers. Received: {name} with dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} needs a batch axis. Received: a scalar {name}={arr!r}")
    return np.ascontiguousarray(arr)


def _ragged_detail(samples):
    """'sample 0 has length 3 but sample 1 has length 2; ...' for a list of sequences of unequal
    lengths, else None."""
    try:
        lengths = [len(sample) for sample in samples]
    except TypeError:  # some sample is a scalar: not a list of sequences
        return None
    for i, length in enumerate(lengths[1:], start=1):
        if length != lengths[0]:
            return (f"sample 0 has length {lengths[0]} but sample {i} has length {length}; sequences of different "
                    "lengths must first be brought to one length, e.g. with "
                    "fastnn.preprocessing.sequence.pad_sequences(sequences, maxlen=...)")
    return None


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


class _Rows:
    """The rows of one array picked by an index array, copied into a buffer reused every step:
    float32 rows for inputs (uint8 and float64 converted as they are copied), and for targets
    their own dtype, float32 or int64 class labels."""

    def __init__(self, array, batch_size, buffers, role, keep_labels=False):
        self.array = array
        self.sample_shape = array.shape[1:]
        if keep_labels and array.dtype == np.int64 and array.ndim == 1:
            self.buffer = _buffer(buffers, role, (batch_size,), np.int64)
        else:
            self.buffer = _buffer(buffers, role, (batch_size, math.prod(self.sample_shape)), np.float32)
        self._compiled = _row_gather(array, self.buffer)

    def load(self, indices):
        m = len(indices)
        if self._compiled is None or self._compiled.take(indices) < 0:
            if self.buffer.ndim == 1:
                np.take(self.array, indices, out=self.buffer[:m])
            else:
                kernels.gather_rows(self.array, indices, out=self.buffer[:m])

    def rows(self, m):
        return self.buffer[:m] if self.buffer.ndim == 1 else self.buffer[:m].reshape((m,) + self.sample_shape)


def _columns(arrays, batch_size, buffers, role, keep_labels):
    """_Rows for an array, or for each array of a tuple (None stays None), with buffers by role:
    'x', 'x1', 'x2', ... for the inputs, 'y', 'y1', ... for the targets."""
    if not isinstance(arrays, tuple):
        return _Rows(arrays, batch_size, buffers, role, keep_labels)
    return tuple(None if a is None else _Rows(a, batch_size, buffers, role if i == 0 else f"{role}{i}", keep_labels)
                 for i, a in enumerate(arrays))


def _each(columns):
    return [c for c in (columns if isinstance(columns, tuple) else (columns,)) if c is not None]


def _rows_of(columns, m):
    if isinstance(columns, tuple):
        return tuple(None if c is None else c.rows(m) for c in columns)
    return columns.rows(m)


class BatchGatherer:
    """Copies the rows of x (and y) picked by an index array into buffers reused every step.

    x is an array, or a tuple of arrays for a model with several inputs; y likewise for
    several outputs (None for an output without targets). Inputs are converted to float32 row
    by row as they are copied (uint8 and float64 inputs are never converted as a whole); targets
    keep their dtype, float32 or int64 class labels. Inputs and targets have buffers of their own
    even when their shapes agree (an autoencoder's).
    """

    def __init__(self, x, y, batch_size, buffers=None, weights=None):
        """buffers: a dict in which the buffers are looked up by role, shape and dtype (and left for
        the next gatherer of the same shapes), or None for buffers of this gatherer's own.
        weights: per-sample weights (float32, (n,)) gathered with x and y, or None."""
        self.x, self.y, self.weights = x, y, weights
        buffers = {} if buffers is None else buffers
        self._x = _columns(x, batch_size, buffers, "x", keep_labels=False)
        self._y = None if y is None else _columns(y, batch_size, buffers, "y", keep_labels=True)
        self.w_buffer = None if weights is None else _buffer(buffers, "weights", (batch_size,), np.float32)
        self.sample_shape = x.shape[1:] if not isinstance(x, tuple) else None
        self._loaded = _each(self._x) + ([] if self._y is None else _each(self._y))
        self._views = (None, None)  # (m, the batch of m rows as batch() returns it): the same arrays each time

    def load(self, indices):
        """Fills the buffers' first len(indices) rows with those samples; returns the count."""
        m = len(indices)
        for column in self._loaded:
            column.load(indices)
        if self.weights is not None:
            np.take(self.weights, indices, out=self.w_buffer[:m])
        return m

    def gather(self, indices):
        """(x rows, y rows) for these indices; the arrays are views of the buffers."""
        return self.batch(indices)[:2]

    def batch(self, indices):
        """(x rows, y rows, weights) for these indices (y, weights None when absent); views of the
        buffers (tuples of them for several inputs or outputs)."""
        m = self.load(indices)
        if self._views[0] != m:
            wb = None if self.weights is None else self.w_buffer[:m]
            yb = None if self._y is None else _rows_of(self._y, m)
            self._views = (m, (_rows_of(self._x, m), yb, wb))
        return self._views[1]


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
