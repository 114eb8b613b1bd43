"""Class indices to one-hot rows."""
import numbers

import numpy as np


def _as_labels(y):
    """y as an integer array, refusing values that are not whole numbers."""
    try:
        arr = np.asarray(y)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"to_categorical: y must be array-like of integer labels ({err})") from None
    kind = arr.dtype.kind
    if kind in "biu":
        return arr.astype(np.int64, copy=False)
    if kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))]
            raise ValueError(
                f"to_categorical: labels must be integers, got non-integer values {_some(bad)}"
            )
        return arr.astype(np.int64)
    if kind in "USO" and any(isinstance(v, (str, bytes)) for v in arr.reshape(-1).tolist()):
        raise ValueError(
            f"to_categorical: labels must be integer class indices, got strings (dtype {arr.dtype}) "
            f"such as {_some_strings(arr)}; map each class name to an index "
            "first, e.g. np.unique(y, return_inverse=True)[1]")
    raise ValueError(f"to_categorical: labels must be integers, got an array of dtype {arr.dtype}")


def _some(values, limit=5):
    """A short, sorted listing of distinct values for error messages."""
    unique = np.unique(values)
    shown = ", ".join(str(v) for v in unique[:limit].tolist())
    return f"[{shown}{', ...' if unique.size > limit else ''}]"


def _some_strings(arr, limit=3):
    values = np.unique(arr.reshape(-1)[:1000].astype(str))[:limit]
    return ", ".join(repr(v) for v in values.tolist())


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels: shape (..., 1) or (...) -> (..., num_classes).

    num_classes defaults to max(y) + 1. Labels must be integers in [0, num_classes).
    """
    labels = _as_labels(y)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ValueError(f"to_categorical: num_classes must be a positive integer. Received: num_classes={num_classes!r}")
        num_classes = int(num_classes)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, got {_some(flat[flat < 0])}")
    if num_classes is None:
        if flat.size == 0:
            raise ValueError("to_categorical: cannot infer num_classes from an empty y; pass num_classes")
        num_classes = int(flat.max()) + 1
    elif flat.size and flat.max() >= num_classes:
        raise ValueError(
            f"to_categorical: labels must be below num_classes={num_classes}, "
            f"got {_some(flat[flat >= num_classes])}"
        )
    onehot = np.zeros((flat.size, num_classes), dtype=dtype)
    onehot[np.arange(flat.size), flat] = 1
    return onehot.reshape(shape + (num_classes,))
