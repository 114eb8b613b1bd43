"""The arrays of a model with several inputs or outputs: given as a list in the model's order or
a dict by input/output name, held as a tuple in the model's order."""
import numpy as np

from ..layers.layer import batch_shape
from ..tensor import Tensor
from .data import as_samples


def _listing(names):
    return ", ".join(repr(n) for n in names)


def _is_array_list(value):
    """A list/tuple of arrays (several inputs), not one array written as nested lists of numbers."""
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, (np.ndarray, Tensor)) or v is None or _is_array_list(v) for v in value)


def unwrap_single(value, names, name, what):
    """A single input's (or output's) data given alone, as [array] or as {name: array}."""
    if isinstance(value, dict):
        keys = list(value)
        if keys != list(names):
            raise ValueError(
                f"{name} has key{'s' if len(keys) > 1 else ''} {_listing(keys)}, but the model's {what} "
                f"{'is' if len(names) == 1 else 'are'} {_listing(names)}")
        return value[names[0]]
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], (np.ndarray, Tensor)):
        return value[0]
    return value


def arrays_by_name(value, names, name, what, allow_missing=False):
    """One array (or None) per name, in order, from a list or a dict."""
    if isinstance(value, dict):
        unknown = [key for key in value if key not in names]
        if unknown:
            raise ValueError(
                f"{name} has key {unknown[0]!r}, which is not the name of one of the model's {what}. "
                f"They are: {_listing(names)}")
        missing = [n for n in names if n not in value]
        if missing and not allow_missing:
            raise ValueError(f"{name} lacks the data for {what[:-1]} {missing[0]!r}; the model's {what} are "
                             f"{_listing(names)}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and (_is_array_list(value) or len(value) == len(names)):
        if len(value) != len(names):
            raise ValueError(
                f"The model has {len(names)} {what} ({_listing(names)}), but {name} is a list of {len(value)} "
                f"arrays; give one per {what[:-1]}, in order, or a dict by name")
        return list(value)
    raise ValueError(
        f"The model has {len(names)} {what} ({_listing(names)}): {name} must be a list of {len(names)} arrays "
        f"or a dict by name. Received: {type(value).__name__}")


def check_sample_shape(array, expected, label, what):
    """ValueError unless array's samples have the shape `expected` (None matches any length)."""
    sample, wanted = tuple(array.shape[1:]), tuple(expected[1:])
    if len(sample) != len(wanted) or any(w is not None and s != w for s, w in zip(sample, wanted)):
        raise ValueError(
            f"{what} is incompatible with the model: expected shape {batch_shape(expected)}, "
            f"but {label} has shape {batch_shape(array.shape)}")


def checked_inputs(x, names, shapes, name, model_name):
    """x as a tuple of sample arrays, one per input, each checked against its input's shape."""
    arrays = arrays_by_name(x, names, name, "inputs")
    checked = []
    for i, (array, input_name, shape) in enumerate(zip(arrays, names, shapes)):
        label = f"{name}[{input_name!r}]" if isinstance(x, dict) else f"{name}[{i}]"
        if array is None:
            raise ValueError(f"{label} is None: model {model_name!r} needs data for input {input_name!r}")
        array = as_samples(array, label)
        check_sample_shape(array, shape, label, f"Input {input_name!r} of model {model_name!r}")
        checked.append(array)
    counts = {len(a) for a in checked}
    if len(counts) > 1:
        sizes = ", ".join(f"{n!r}: {len(a)}" for n, a in zip(names, checked))
        raise ValueError(f"Data cardinality is ambiguous: the inputs have different numbers of samples ({sizes}). "
                         "Make sure all arrays contain the same number of samples.")
    return tuple(checked)


def first(arrays):
    """The first array of a tuple of arrays (or the array itself)."""
    if isinstance(arrays, tuple):
        return next(a for a in arrays if a is not None)
    return arrays


def length(arrays):
    return len(first(arrays))
