"""What fit, evaluate and predict iterate over: arrays (shuffled into batches by an
EpochIterator) or a generator of batches (a BatchStream), with sample and class weights."""
import numbers

import numpy as np

from .batch_stream import BatchStream, check_sample_weight, is_batch_source
from .epoch_iterator import EpochIterator


def class_sample_weights(class_weight, targets, classes):
    """Per-sample weights from {class index: weight}, as Keras derives them from the labels."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict {{class index: weight}}. Received: {class_weight!r}")
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (numbers.Integral, np.integer)) or not 0 <= key < max(classes, 2):
            raise ValueError(f"class_weight has a weight for class {key!r}, but the model's outputs have classes "
                             f"0..{max(classes, 2) - 1}")
        if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"class_weight[{key}] must be a finite non-negative number. Received: {value!r}")
    if targets.ndim == 1:
        labels = targets.astype(np.int64) if targets.dtype.kind in "iu" else np.rint(targets).astype(np.int64)
    elif targets.shape[1] == 1:
        labels = np.rint(targets[:, 0]).astype(np.int64)
    else:
        labels = targets.argmax(axis=1)
    table = np.ones(max(classes, 2), dtype=np.float32)
    for key, value in class_weight.items():
        table[int(key)] = value
    return table[np.clip(labels, 0, len(table) - 1)]


def sample_weights(sample_weight, class_weight, targets, classes):
    """The per-sample weights fit trains with (None when neither is given)."""
    weights = check_sample_weight(sample_weight, len(targets))
    if class_weight is not None:
        by_class = class_sample_weights(class_weight, targets, classes)
        weights = by_class if weights is None else weights * by_class
    return weights


def check_steps(steps, name):
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps <= 0):
        raise ValueError(f"{name} must be a positive integer or None. Received: {name}={steps!r}")
    return steps


def batches_of(model, x, y, batch_size, *, indices=None, shuffle=False, weights=None, steps=None,
               with_targets=True, prepare=None):
    """An iterable of (step, x, y, sample_weight) batches over arrays or a generator."""
    if is_batch_source(x):
        if y is not None:
            raise ValueError("y must not be given when x is a generator: the generator yields (x, y) batches")
        return BatchStream(x, steps, prepare, model._batch_buffers(), with_targets)
    return EpochIterator(x, y, batch_size, indices, shuffle, model._batch_buffers(), weights)
