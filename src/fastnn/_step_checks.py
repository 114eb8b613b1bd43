"""Argument checks shared by the optimizer step kernels and their oracles: gradient clipping,
decoupled weight decay, parameter segments, and the arrays a step updates."""
import math
import numbers

import numpy as np

from ._arrays import FLOAT_DTYPES, check_writable


def _positive(owner, name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive finite number or None. Received: {name}={value!r}")
    return float(value)


def step_options(owner, size, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm, segments):
    """(clipvalue or inf, clipnorm or 0, global_clipnorm or 0, decay = lr * weight_decay, segment ends or None).

    segments: the sizes of the variables laid end to end in the parameter (they sum to its
    size); clipnorm clips each one's gradient by its own norm. None: one variable.
    """
    clipvalue = _positive(owner, "clipvalue", clipvalue)
    clipnorm = _positive(owner, "clipnorm", clipnorm)
    global_clipnorm = _positive(owner, "global_clipnorm", global_clipnorm)
    if sum(v is not None for v in (clipvalue, clipnorm, global_clipnorm)) > 1:
        raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set. Received: "
                         f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
    if isinstance(weight_decay, bool) or not isinstance(weight_decay, numbers.Real) \
            or not math.isfinite(weight_decay) or weight_decay < 0:
        raise ValueError(f"{owner}: weight_decay must be a finite number >= 0. Received: weight_decay={weight_decay!r}")
    ends = None
    if segments is not None:
        sizes = np.asarray(segments)
        if sizes.ndim != 1 or sizes.dtype.kind not in "iu" or (sizes.size and sizes.min() < 0):
            raise ValueError(f"{owner}: segments must be a 1-D sequence of non-negative integer sizes. "
                             f"Received: segments={segments!r}")
        ends = np.cumsum(sizes, dtype=np.int64)
        total = int(ends[-1]) if ends.size else 0
        if total != size:
            raise ValueError(f"{owner}: segments must add up to the parameter's {size} elements. "
                             f"Received: sizes adding up to {total}")
    return (math.inf if clipvalue is None else clipvalue, clipnorm or 0.0, global_clipnorm or 0.0,
            float(learning_rate) * float(weight_decay), ends)


def check_state(param, required=(), **arrays):
    """TypeError/ValueError unless param is a writable float ndarray and every array given (grad,
    the names in required, and the optional states that are not None) is an ndarray of its shape,
    all but grad writable."""
    for name in ("grad",) + tuple(required):
        if arrays[name] is None:
            raise TypeError(f"{name} must be a numpy.ndarray, got None")
    if not isinstance(param, np.ndarray) or param.dtype not in FLOAT_DTYPES:
        raise TypeError("param must be a float32 or float64 numpy.ndarray updated in place")
    check_writable(param, "param")
    for name, arr in arrays.items():
        if arr is None:
            continue
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray")
        if arr.shape != param.shape:
            raise ValueError(f"{name} has shape {arr.shape} but param has shape {param.shape}")
        if name != "grad":
            check_writable(arr, name)


def nadam_momentum_cache(beta_1, step):
    """u_t = beta_1 * (1 - 0.5 * 0.96 ** t), Nadam's momentum schedule (Keras's)."""
    return beta_1 * (1.0 - 0.5 * 0.96 ** step)
