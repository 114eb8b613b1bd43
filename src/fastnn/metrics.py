"""Metrics: per-sample accuracy functions, name resolution, and a running mean."""
import numbers

import numpy as np


def _as_array(x, name):
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot labels), else 0.0, per sample."""
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(
            f"categorical_accuracy needs one-hot y_true shaped like y_pred; got y_true {y_true.shape}, "
            f"y_pred {y_pred.shape} (integer class labels need sparse_categorical_accuracy)"
        )
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label y_true, else 0.0, per sample.

    y_true has y_pred's shape without the class axis, or with a class axis of 1.
    """
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_pred.ndim < 1:
        raise ValueError(f"sparse_categorical_accuracy: y_pred needs a class axis, got shape {y_pred.shape}")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_accuracy: y_true of shape {y_true.shape} does not match "
            f"y_pred of shape {y_pred.shape} (expected y_true of shape {y_pred.shape[:-1]})"
        )
    return (np.argmax(y_pred, axis=-1) == y_true).astype(np.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of outputs where (y_pred > threshold) equals y_true, per sample.

    1-D inputs hold one output per sample; otherwise the last axis is averaged.
    """
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1:] == (1,):
        y_pred = y_pred[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"binary_accuracy: y_true of shape {y_true.shape} does not match y_pred of shape {y_pred.shape}")
    hits = (y_true == (y_pred > threshold)).astype(np.float32)
    return hits if hits.ndim <= 1 else hits.mean(axis=-1, dtype=np.float32)


_BY_NAME = {
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_accuracy": binary_accuracy,
}
_ACCURACY_ALIASES = ("accuracy", "acc")


def _loss_kind(loss_name):
    """'sparse', 'binary' or None from a loss name, function or object."""
    if loss_name is None:
        return None
    if not isinstance(loss_name, str):
        loss_name = getattr(loss_name, "__name__", None) or type(loss_name).__name__
    key = loss_name.lower().replace("_", "")
    if key.startswith("sparsecategorical"):
        return "sparse"
    if key.startswith("binary") or key == "bce":
        return "binary"
    return None


def resolve_accuracy(loss_name=None, y_true_shape=None, y_pred_shape=None):
    """The accuracy function that fits the loss and the shapes of labels and outputs (Keras's rules).

    Sparse cross-entropy, or labels of shape (n,)/(n, 1) against more than one output
    class -> sparse; binary cross-entropy or a single output unit -> binary; else categorical.
    """
    kind = _loss_kind(loss_name)
    if kind == "sparse":
        return sparse_categorical_accuracy
    if kind == "binary":
        return binary_accuracy
    pred_units = y_pred_shape[-1] if y_pred_shape else None
    if pred_units == 1:
        return binary_accuracy
    if y_true_shape is not None:
        true_shape = tuple(y_true_shape)
        if len(true_shape) <= 1 or true_shape[-1] == 1:
            return sparse_categorical_accuracy
        if y_pred_shape is not None and len(true_shape) < len(y_pred_shape):
            return sparse_categorical_accuracy
    return categorical_accuracy


def get(name, loss_name=None, y_true_shape=None, y_pred_shape=None):
    """(display_name, fn) for a metric name or callable.

    'accuracy' and 'acc' pick an accuracy function with resolve_accuracy and keep the
    name as typed; y_pred_shape (optional) tells single-unit binary outputs apart.
    """
    if callable(name):
        return getattr(name, "__name__", type(name).__name__), name
    if not isinstance(name, str):
        raise ValueError(f"Could not interpret metric identifier. Received: {name!r}")
    key = name.lower()
    if key in _ACCURACY_ALIASES:
        return name, resolve_accuracy(loss_name, y_true_shape, y_pred_shape)
    if key in _BY_NAME:
        return name, _BY_NAME[key]
    known = ", ".join(_ACCURACY_ALIASES + tuple(_BY_NAME))
    raise ValueError(f"Unknown metric {name!r}; known metrics: {known}")


class Mean:
    """A weighted running mean, e.g. of batch losses over an epoch."""

    def __init__(self, name="mean"):
        self.name = name
        self.reset()

    def reset(self):
        self.total = 0.0
        self.count = 0.0

    def update(self, values, weight=None):
        """Adds values (a scalar or an array of per-sample values), each weighted by weight (default 1)."""
        if type(values) is float and type(weight) is int and weight >= 0:  # fit's per-batch call
            self.total += values * weight
            self.count += weight
            return
        values = np.asarray(values, dtype=np.float64)
        if weight is None:
            weights = np.ones_like(values)
        else:
            weights = np.asarray(weight, dtype=np.float64)
            if isinstance(weight, numbers.Real) or weights.ndim == 0:
                if not weights >= 0:
                    raise ValueError(f"Mean.update: weight must be non-negative. Received: weight={weight!r}")
            elif weights.shape != values.shape:
                raise ValueError(f"Mean.update: weight has shape {weights.shape} but values have shape {values.shape}")
            elif np.any(~(weights >= 0)):
                raise ValueError("Mean.update: weights must be non-negative")
            weights = np.broadcast_to(weights, values.shape)
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))

    def result(self):
        """The mean so far (0.0 before any update)."""
        return self.total / self.count if self.count else 0.0

    update_state = update
    reset_state = reset

    def __repr__(self):
        return f"Mean(name={self.name!r}, result={self.result():.6g})"
