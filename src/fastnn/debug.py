"""debug_nans: stop at the first operation whose result is NaN or infinite.

    fastnn.debug_nans(True)          # on from here on
    with fastnn.debug_nans():        # on inside the block, restored after it
        model.fit(x, y)

When on, every primitive's output (and every gradient its backward returns) is checked,
and FloatingPointError names the op, the layer whose call ran it, and the shapes. When off
the engine pays one flag test per op.
"""
import sys

import numpy as np

enabled = False


class debug_nans:
    """Turns the non-finite checks on (or off with False); as a context manager, restores on exit."""

    def __init__(self, enabled=True):
        if not isinstance(enabled, bool):
            raise TypeError(f"debug_nans expects True or False. Received: enabled={enabled!r}")
        self._previous = is_debugging_nans()
        _set(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set(self._previous)
        return False


def is_debugging_nans():
    """True while non-finite results raise FloatingPointError."""
    return enabled


def _set(value):
    global enabled
    enabled = value


def _calling_layers():
    """The fastnn Layers whose methods are on the call stack, innermost first (a Bidirectional's
    LSTM, then the Bidirectional; a nested model's layer, then that model), without the outermost
    model when a layer of it is named; an empty tuple outside any layer."""
    from .layers.layer import Layer
    from .models.training import Trainer

    frame = sys._getframe(2)
    chain = []
    while frame is not None:
        owner = frame.f_locals.get("self")
        if isinstance(owner, Layer) and (not chain or owner is not chain[-1]):
            chain.append(owner)
        frame = frame.f_back
    if len(chain) > 1 and isinstance(chain[-1], Trainer):
        chain.pop()
    return tuple(chain)


def _bad_values(array):
    """'2 NaN, 1 inf of 12 values' for a float array with non-finite values, else None."""
    if array.dtype.kind != "f" or array.size == 0:
        return None
    finite = np.isfinite(array)
    if finite.all():
        return None
    nans = int(np.isnan(array).sum())
    infs = array.size - int(finite.sum()) - nans
    parts = [f"{nans} NaN" if nans else "", f"{infs} inf" if infs else ""]
    return ", ".join(p for p in parts if p) + f" of {array.size} values"


def _describe(array):
    return f"shape {tuple(array.shape)} {array.dtype}"


def _where(fn):
    chain = getattr(fn, "_debug_layer", ())
    if not chain:
        return ""
    return " in layer " + " of ".join(f"{layer.name!r} ({type(layer).__name__})" for layer in chain)


def check_forward(fn, data):
    """Raises FloatingPointError when the op fn produced a non-finite output `data`."""
    fn._debug_layer = _calling_layers()
    bad = _bad_values(np.asarray(data))
    if bad is None:
        return
    inputs = [p.data for p in fn.parents]
    described = ", ".join(_describe(x) for x in inputs) or "none"
    already = [i for i, x in enumerate(inputs) if _bad_values(x) is not None]
    note = (f"; input(s) {', '.join(map(str, already))} already held non-finite values"
            if already else "; all inputs were finite")
    given = [i for i in already if fn.parents[i].is_leaf and not fn.parents[i].requires_grad]
    if given:
        note += (f" (input {given[0]} was not computed by an op: the data fed in, such as a batch of x, "
                 "holds them)")
    raise FloatingPointError(
        f"debug_nans: op {type(fn).__name__}{_where(fn)} produced a non-finite output "
        f"({bad}), output {_describe(np.asarray(data))}, inputs: {described}{note}"
    )


def check_backward(fn, grads):
    """Raises FloatingPointError when fn's backward returned a non-finite gradient."""
    for index, grad in enumerate(grads):
        if grad is None:
            continue
        bad = _bad_values(np.asarray(grad))
        if bad is not None:
            raise FloatingPointError(
                f"debug_nans: the backward of op {type(fn).__name__}{_where(fn)} produced a non-finite "
                f"gradient for input {index} ({bad}), gradient {_describe(np.asarray(grad))}, "
                f"input {_describe(fn.parents[index].data)}"
            )
