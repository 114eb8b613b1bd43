"""Losses: pure functions of (y_true, y_pred) giving one value per sample, thin classes
that average them, and get() to look them up by name.

y_pred is a Tensor (gradients flow through it) or an array; y_true is an array. As in
Keras, probabilities are clipped to [EPSILON, 1 - EPSILON] before the log.
"""
import numpy as np

import fastnn

from . import _registry, ops

EPSILON = 1e-7


def _as_tensor(y):
    from .tensor import Tensor

    return y if isinstance(y, Tensor) else Tensor(np.asarray(y))


def _match_rank(y_true, y_pred, loss):
    """y_true as an array of y_pred's dtype and shape (a missing trailing axis of 1 is added).

    Any other difference is an error: broadcasting y_true against y_pred would average a
    different quantity without saying so.
    """
    given = np.asarray(y_true)
    y_true = given.astype(y_pred.dtype, copy=False)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss} needs y_true and y_pred of the same shape. Received: "
            f"y_true.shape={given.shape}, y_pred.shape={y_pred.shape}"
        )
    return y_true


def _log_probabilities(y_pred, from_logits):
    if from_logits:
        return fastnn.log_softmax(y_pred, axis=-1)
    probs = y_pred / y_pred.sum(axis=-1, keepdims=True)
    return fastnn.log(fastnn.clip(probs, EPSILON, 1.0 - EPSILON))


def _logits(y_pred, from_logits):
    """The logits of 2-D class scores: y_pred itself with from_logits, or the input of the
    softmax that made y_pred; None otherwise. From logits, the loss is one fused kernel."""
    if y_pred.ndim != 2:
        return None
    return y_pred if from_logits else getattr(y_pred, "softmax_input", None)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-sum(y_true * log(y_pred)) over the last axis; y_true one-hot or probabilities."""
    y_pred = _as_tensor(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"categorical_crossentropy needs y_true and y_pred of the same shape. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}"
        )
    logits = _logits(y_pred, from_logits)
    if logits is not None:
        return ops.softmax_cross_entropy_rows(logits, y_true)
    return -(_log_probabilities(y_pred, from_logits) * y_true).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """-log(y_pred[i, y_true[i]]); y_true holds integer class indices, one per row."""
    y_pred = _as_tensor(y_pred)
    labels = np.asarray(y_true)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if y_pred.ndim != 2 or labels.shape != y_pred.shape[:1]:
        raise ValueError(
            "sparse_categorical_crossentropy needs y_pred of shape (n, classes) and integer labels of "
            f"shape (n,). Received: y_true.shape={np.shape(y_true)}, y_pred.shape={y_pred.shape}"
        )
    if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
        raise ValueError("sparse_categorical_crossentropy needs integer class labels, received fractional values")
    labels = labels.astype(np.int64, copy=False)
    classes = y_pred.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must be in [0, {classes}), "
            f"received values in [{labels.min()}, {labels.max()}]"
        )
    logits = _logits(y_pred, from_logits)
    if logits is not None:
        return ops.softmax_cross_entropy_rows(logits, labels)
    return -_log_probabilities(y_pred, from_logits)[np.arange(labels.size), labels]


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """-(y log p + (1 - y) log(1 - p)), averaged over the last axis."""
    y_pred = _as_tensor(y_pred)
    y_true = _match_rank(y_true, y_pred, "binary_crossentropy")
    if from_logits:
        # max(x, 0) - x y + log(1 + exp(-|x|)): never exponentiates a large positive number.
        per_value = fastnn.maximum(y_pred, 0.0) - y_pred * y_true + fastnn.log(1.0 + fastnn.exp(-fastnn.abs(y_pred)))
    else:
        p = fastnn.clip(y_pred, EPSILON, 1.0 - EPSILON)
        y = _as_tensor(y_true)  # arithmetic on the targets goes through ops, so that plans replay it
        per_value = -(fastnn.log(p) * y + fastnn.log(1.0 - p) * (1.0 - y))
    return per_value.mean(axis=-1)


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true) ** 2) over the last axis."""
    y_pred = _as_tensor(y_pred)
    diff = y_pred - _match_rank(y_true, y_pred, "mean_squared_error")
    return (diff * diff).mean(axis=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis."""
    y_pred = _as_tensor(y_pred)
    return fastnn.abs(y_pred - _match_rank(y_true, y_pred, "mean_absolute_error")).mean(axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


class Loss:
    """A loss function with its options; calling it returns the mean over samples."""

    fn = None

    def __init__(self, **options):
        self.options = options

    def __call__(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.options).mean()

    def get_config(self):
        return dict(self.options)

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _Crossentropy(Loss):
    """A cross-entropy: from_logits says whether y_pred holds logits or probabilities."""

    def __init__(self, from_logits=False):
        super().__init__(from_logits=bool(from_logits))


class CategoricalCrossentropy(_Crossentropy):
    fn = staticmethod(categorical_crossentropy)


class SparseCategoricalCrossentropy(_Crossentropy):
    fn = staticmethod(sparse_categorical_crossentropy)


class BinaryCrossentropy(_Crossentropy):
    fn = staticmethod(binary_crossentropy)


class MeanSquaredError(Loss):
    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(Loss):
    fn = staticmethod(mean_absolute_error)


FUNCTIONS = {
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
}
CLASSES = {
    cls.__name__: cls
    for cls in (CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy,
                MeanSquaredError, MeanAbsoluteError)
}


def get(identifier):
    """The per-sample loss function for a name, a Loss instance or a callable."""
    if isinstance(identifier, str):
        found = _registry.lookup("loss", identifier, FUNCTIONS, exact=CLASSES)
        return found() if isinstance(found, type) else found
    if isinstance(identifier, dict):
        return _registry.from_class_config("loss", identifier, CLASSES)
    if callable(identifier):
        return identifier
    raise _registry.not_understood("loss", identifier, argument="loss")


def resolve(identifier):
    """(per-sample function, its keyword options) for any identifier get() accepts."""
    loss = get(identifier)
    if isinstance(loss, Loss):
        return loss.fn, dict(loss.options)
    return loss, {}


def serialize(identifier):
    """A JSON-able form of a built-in loss, or None for a custom one."""
    if isinstance(identifier, str) and identifier.lower() in FUNCTIONS:
        return identifier
    if isinstance(identifier, Loss) and type(identifier).__name__ in CLASSES:
        return {"class_name": type(identifier).__name__, "config": identifier.get_config()}
    for name, fn in FUNCTIONS.items():
        if identifier is fn:
            return name
    return None
