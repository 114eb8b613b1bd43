"""Argument checks of the batch-normalization kernels, shared by the compiled wrappers and their
oracles, so that both refuse the same input with the same message."""
import math
import numbers

import numpy as np

from ._arrays import as_float_arrays


def layout(owner, x, axis):
    """(outer, channels, inner): x seen as (prod of the axes before `axis`, x.shape[axis], prod of
    the axes after it), whose channel c is normalized over the outer and inner axes."""
    if x.ndim == 0:
        raise ValueError(f"{owner}: x must have at least 1 dimension (the channels), got a 0-d array")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral) or not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{owner}: axis must be an integer in [-{x.ndim}, {x.ndim}) for x of shape {x.shape}. "
                         f"Received: axis={axis!r}")
    axis = int(axis) % x.ndim
    return math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1:])


def number(owner, name, value, lowest=None):
    """value as a finite float (>= lowest when given); ValueError naming the argument otherwise."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or (lowest is not None and value < lowest):
        bound = "" if lowest is None else f" >= {lowest}"
        raise ValueError(f"{owner}: {name} must be a finite number{bound}. Received: {name}={value!r}")
    return float(value)


def operands(owner, axis, **named):
    """The named arrays (None skipped) promoted to one float dtype, x among them, and x's layout:
    ([arrays in order, None kept], (outer, channels, inner)). Every array but x and dy must hold
    one value per channel."""
    given = {name: a for name, a in named.items() if a is not None}
    promoted = dict(zip(given, as_float_arrays(**given)))
    sizes = layout(owner, promoted["x"], axis)
    for name, a in promoted.items():
        if name in ("x", "dy"):
            continue
        if a.shape != (sizes[1],):
            raise ValueError(f"{owner}: {name} has shape {a.shape}, expected ({sizes[1]},): one value per channel "
                             f"of x (shape {promoted['x'].shape}, axis {axis})")
    if "dy" in promoted and promoted["dy"].shape != promoted["x"].shape:
        raise ValueError(f"{owner}: dy has shape {promoted['dy'].shape} but x has shape {promoted['x'].shape}")
    return [promoted.get(name) for name in named], sizes


def moving_statistics(owner, x, moving_mean, moving_variance, channels):
    """Checks the arrays a statistics call updates in place: both or neither, each a writable
    C-contiguous ndarray of x's dtype with one value per channel, neither sharing memory with x
    or the other."""
    if (moving_mean is None) != (moving_variance is None):
        raise ValueError(f"{owner}: pass both moving_mean and moving_variance, or neither")
    if moving_mean is None:
        return
    for name, a in (("moving_mean", moving_mean), ("moving_variance", moving_variance)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{owner}: {name} is updated in place and must be a numpy.ndarray, got {type(a).__name__}")
        if a.dtype != x.dtype:
            raise TypeError(f"{owner}: {name} has dtype {a.dtype}, expected {x.dtype} (the dtype of x)")
        if a.shape != (channels,):
            raise ValueError(f"{owner}: {name} has shape {a.shape}, expected ({channels},): one value per channel")
        if not a.flags.writeable:
            raise ValueError(f"{owner}: {name} is read-only")
        if not (a.flags.c_contiguous and a.flags.aligned and a.dtype.isnative):
            raise ValueError(f"{owner}: {name} is updated in place and must be an aligned C-contiguous array")
    if channels and (np.may_share_memory(moving_mean, moving_variance) or np.may_share_memory(moving_mean, x)
                     or np.may_share_memory(moving_variance, x)):
        raise ValueError(f"{owner}: moving_mean, moving_variance and x must not share memory")
