"""Argument checks shared by the optimizer step kernels and their oracles: gradient clipping,
decoupled weight decay, parameter segments, and buffers that must not share memory."""
import math
import numbers

import numpy as np


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


def check_distinct(owner, **arrays):
    """ValueError when two of the given arrays share memory: each is read or written on its own."""
    named = [(name, a) for name, a in arrays.items() if isinstance(a, np.ndarray) and a.size]
    for i, (name_a, a) in enumerate(named):
        for name_b, b in named[i + 1:]:
            if np.may_share_memory(a, b):
                raise ValueError(f"{owner}: {name_a} and {name_b} share memory (the same array, or overlapping "
                                 f"views); every buffer of an optimizer step needs its own storage")


def nadam_momentum_cache(beta_1, step):
    """u_t = beta_1 * (1 - 0.5 * 0.96 ** t), Nadam's momentum schedule (Keras's)."""
    return beta_1 * (1.0 - 0.5 * 0.96 ** step)
