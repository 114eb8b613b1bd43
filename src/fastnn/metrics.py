"""Metrics: per-sample functions of (y_true, y_pred) arrays, their class forms, name
resolution, and a running mean.

get(identifier, ...) returns (name, fn) with fn(y_true, y_pred) -> one value per sample,
as NumPy arrays; fit and evaluate average those values over batches.
"""
import numbers

import numpy as np

from ._registry import Configurable

EPSILON = 1e-7


def _as_array(x, name):
    if type(x) is np.ndarray and x.dtype.kind in "biuf":  # what fit passes, checked at no cost
        return x
    arr = np.asarray(getattr(x, "data", x) if _is_tensor(x) else x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _is_tensor(x):
    from .tensor import Tensor

    return isinstance(x, Tensor)


# accuracies ----------------------------------------------------------------------------------
def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot labels), else 0.0, per sample."""
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(
            f"categorical_accuracy needs one-hot y_true shaped like y_pred; got y_true {y_true.shape}, "
            f"y_pred {y_pred.shape} (integer class labels need sparse_categorical_accuracy)"
        )
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float32)


def _sparse_labels(y_true, y_pred, metric):
    """y_true as one label per row of y_pred (a trailing axis of 1 is dropped), or ValueError."""
    if y_pred.ndim < 1:
        raise ValueError(f"{metric}: y_pred needs a class axis, got shape {y_pred.shape}")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"{metric}: y_true of shape {y_true.shape} does not match "
            f"y_pred of shape {y_pred.shape} (expected y_true of shape {y_pred.shape[:-1]})"
        )
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label y_true, else 0.0, per sample.

    y_true has y_pred's shape without the class axis, or with a class axis of 1.
    """
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    y_true = _sparse_labels(y_true, y_pred, "sparse_categorical_accuracy")
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


def _check_k(k, metric):
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"{metric}: k must be a positive integer. Received: k={k!r}")
    return int(k)


def _in_top_k(labels, y_pred, k):
    """1.0 where fewer than k classes score strictly higher than the label's class (ties count as in),
    0.0 otherwise or where the label's score is not finite."""
    classes = y_pred.shape[-1]
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
        raise ValueError("sparse_top_k_categorical_accuracy needs integer class labels, received fractional values")
    labels = labels.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"top-k accuracy: labels must be in [0, {classes}), "
                         f"received values in [{labels.min()}, {labels.max()}]")
    target = np.take_along_axis(y_pred, labels[..., None], axis=-1)
    higher = np.sum(y_pred > target, axis=-1)
    return ((higher < k) & np.isfinite(target[..., 0])).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot label's class is among the k highest scores of y_pred, per sample."""
    k = _check_k(k, "top_k_categorical_accuracy")
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape or y_pred.ndim < 1:
        raise ValueError(
            f"top_k_categorical_accuracy needs one-hot y_true shaped like y_pred; got y_true {y_true.shape}, "
            f"y_pred {y_pred.shape} (integer class labels need sparse_top_k_categorical_accuracy)"
        )
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label y_true is among the k highest scores of y_pred, per sample."""
    k = _check_k(k, "sparse_top_k_categorical_accuracy")
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    return _in_top_k(_sparse_labels(y_true, y_pred, "sparse_top_k_categorical_accuracy"), y_pred, k)


# regression metrics --------------------------------------------------------------------------
def _pair(y_true, y_pred, metric):
    """(y_true, y_pred) as float arrays of one shape (a missing trailing axis of 1 is added)."""
    y_true, y_pred = _as_array(y_true, "y_true"), _as_array(y_pred, "y_pred")
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(np.float32)
    given = y_true.shape
    if y_true.dtype != y_pred.dtype:
        y_true = y_true.astype(y_pred.dtype)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1:] == (1,):
        y_true = y_true[..., None]
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{metric} needs y_true and y_pred of the same shape. Received: "
                         f"y_true.shape={given}, y_pred.shape={y_pred.shape}")
    return y_true, y_pred


def _per_sample(values):
    """The mean over the last axis; 0-d and 1-D values are one value per sample already."""
    if values.ndim <= 1:
        return values
    return values[..., 0] if values.shape[-1] == 1 else values.mean(axis=-1, dtype=values.dtype)


def mean_absolute_error(y_true, y_pred):
    """mean(|y_pred - y_true|) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error")
    return _per_sample(np.abs(y_pred - y_true))


def mean_squared_error(y_true, y_pred):
    """mean((y_pred - y_true) ** 2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error")
    return _per_sample(np.square(y_pred - y_true))


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7)) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error")
    ratio = np.abs((y_true - y_pred) / np.maximum(np.abs(y_true), y_pred.dtype.type(EPSILON)))
    return y_pred.dtype.type(100) * _per_sample(ratio)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean((log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)) ** 2) over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error")
    eps = y_pred.dtype.type(EPSILON)
    diff = np.log1p(np.maximum(y_pred, eps)) - np.log1p(np.maximum(y_true, eps))
    return _per_sample(np.square(diff))


mae = MAE = mean_absolute_error
mse = MSE = mean_squared_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


# losses as metrics ---------------------------------------------------------------------------
def as_metric_function(fn, name=None, options=None):
    """fn (a loss function or any callable that may return a Tensor) as a per-sample metric:
    called without recording a graph, its result returned as an array."""
    options = dict(options or {})

    def metric(y_true, y_pred):
        from .tensor import no_grad

        with no_grad():
            values = fn(y_true, y_pred, **options)
        return np.asarray(values.data if _is_tensor(values) else values)

    metric.__name__ = name or getattr(fn, "__name__", type(fn).__name__)
    metric.__doc__ = getattr(fn, "__doc__", None)
    metric.wrapped = fn
    return metric


def _loss_metric(loss_name):
    from . import losses

    return as_metric_function(losses.FUNCTIONS[loss_name], loss_name)


# class forms ---------------------------------------------------------------------------------
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


class MeanMetricWrapper(Configurable, Mean):  # Configurable's repr (the config), not Mean's
    """A metric object: the running mean of fn(y_true, y_pred) over every sample seen.

    update_state(y_true, y_pred, sample_weight=None) adds a batch; calling the object adds
    a batch and returns result(); per_sample(y_true, y_pred) is the function fit averages.
    """

    def __init__(self, fn, name, **options):
        self.fn = fn
        self.options = options
        super().__init__(name=name)

    def per_sample(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.options)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = np.asarray(self.per_sample(y_true, y_pred), dtype=np.float64)
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.ndim == values.ndim + 1 and weights.shape[-1:] == (1,):
                weights = weights[..., 0]
            if weights.ndim and weights.shape != values.shape:
                raise ValueError(f"{self.name}: sample_weight has shape {weights.shape} but there are "
                                 f"{values.shape} values")
            sample_weight = weights
        self.update(values, sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, **self.options}


def _metric_class(class_name, fn, doc):
    """A MeanMetricWrapper subclass over fn, named after fn by default."""
    def __init__(self, name=fn.__name__):
        MeanMetricWrapper.__init__(self, fn, name)

    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc})


MeanAbsoluteError = _metric_class("MeanAbsoluteError", mean_absolute_error, "The running mean absolute error.")
MeanSquaredError = _metric_class("MeanSquaredError", mean_squared_error, "The running mean squared error.")
MeanAbsolutePercentageError = _metric_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                            "The running mean absolute percentage error.")
MeanSquaredLogarithmicError = _metric_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                            "The running mean squared logarithmic error.")
CategoricalAccuracy = _metric_class("CategoricalAccuracy", categorical_accuracy,
                                    "How often argmax(y_pred) matches the one-hot label.")
SparseCategoricalAccuracy = _metric_class("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                          "How often argmax(y_pred) matches the integer label.")


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) matches the binary label."""

    def __init__(self, name="binary_accuracy", threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not np.isfinite(threshold):
            raise ValueError(f"BinaryAccuracy: threshold must be a finite number. Received: threshold={threshold!r}")
        super().__init__(binary_accuracy, name, threshold=float(threshold))


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the k highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy"):
        super().__init__(top_k_categorical_accuracy, name, k=_check_k(k, "TopKCategoricalAccuracy"))


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy"):
        super().__init__(sparse_top_k_categorical_accuracy, name, k=_check_k(k, "SparseTopKCategoricalAccuracy"))


# names ---------------------------------------------------------------------------------------
_BY_NAME = {
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "binary_accuracy": binary_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
    "mean_absolute_error": mean_absolute_error,
    "mae": mean_absolute_error,
    "mean_squared_error": mean_squared_error,
    "mse": mean_squared_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "mape": mean_absolute_percentage_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "msle": mean_squared_logarithmic_error,
}
_LOSS_NAMES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
_ACCURACY_ALIASES = ("accuracy", "acc")
CLASSES = {cls.__name__: cls for cls in (
    MeanAbsoluteError, MeanSquaredError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
    BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy)}

# Names of one quantity in the logs: the first of each group is what this fastnn (like Keras 3)
# writes for metrics=[that name]; the others are what earlier Keras versions wrote for it.
ALIASES = (
    ("accuracy", "acc"),
    ("mae", "mean_absolute_error"),
    ("mse", "mean_squared_error"),
    ("mape", "mean_absolute_percentage_error"),
    ("msle", "mean_squared_logarithmic_error"),
    ("learning_rate", "lr"),
)


def known_names():
    """Every metric name get() accepts, in the order its errors list them."""
    return _ACCURACY_ALIASES + tuple(_BY_NAME) + _LOSS_NAMES


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


def _from_object(identifier):
    """(name, fn) for a metric object, a loss object or a callable."""
    from . import losses

    if isinstance(identifier, MeanMetricWrapper):
        return identifier.name, identifier.per_sample
    if isinstance(identifier, losses.Loss):
        fn, options = losses.resolve(identifier)
        name = getattr(identifier, "name", None) or fn.__name__
        return name, as_metric_function(fn, name, options)
    if isinstance(identifier, type) and issubclass(identifier, MeanMetricWrapper):
        return _from_object(identifier())
    if identifier in _BY_NAME.values():
        return identifier.__name__, identifier
    fn = as_metric_function(identifier)
    return fn.__name__, fn


def get(name, loss_name=None, y_true_shape=None, y_pred_shape=None):
    """(display_name, fn) for a metric name, metric object, loss or callable.

    'accuracy' and 'acc' pick an accuracy function with resolve_accuracy and keep the
    name as typed; y_pred_shape (optional) tells single-unit binary outputs apart. A name
    is shown as typed; an object by its name, a function by its __name__.
    """
    if callable(name):
        return _from_object(name)
    if isinstance(name, dict):
        cls = CLASSES.get(name.get("class_name"))
        if cls is None:
            raise ValueError(f"Unknown metric class in config: {name!r}. Known classes: {', '.join(CLASSES)}")
        return _from_object(cls.from_config(dict(name.get("config") or {})))
    if not isinstance(name, str):
        raise ValueError(f"Could not interpret metric identifier. Received: {name!r}")
    key = name.lower()
    if key in _ACCURACY_ALIASES:
        return name, resolve_accuracy(loss_name, y_true_shape, y_pred_shape)
    if key in _BY_NAME:
        return name, _BY_NAME[key]
    if key in _LOSS_NAMES:
        return name, _loss_metric(key)
    if name in CLASSES:
        return _from_object(CLASSES[name]())
    raise ValueError(f"Unknown metric {name!r}; known metrics: {', '.join(known_names())}")


# The losses by their metric names, as keras.metrics has them (the book's VAE layer calls
# keras.metrics.binary_crossentropy on tensors): per-sample values, gradients flowing.
def binary_crossentropy(y_true, y_pred, from_logits=False):
    from . import losses

    return losses.binary_crossentropy(y_true, y_pred, from_logits=from_logits)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    from . import losses

    return losses.categorical_crossentropy(y_true, y_pred, from_logits=from_logits)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    from . import losses

    return losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits)
