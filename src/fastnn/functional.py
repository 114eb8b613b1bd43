"""Tensor functions composed from the primitives in fastnn.ops; none has a backward of its own.

Every function accepts Tensors, ndarrays and Python numbers. A Python number takes the dtype of
the array it meets (NumPy's rule), so `t * 2.0` stays float32 when t is float32.
"""
import math

import numpy as np

from . import ops
from .tensor import Tensor, as_tensor

__all__ = [
    "add", "subtract", "multiply", "divide", "power", "negative", "maximum", "minimum",
    "matmul", "dot", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "exp", "log",
    "sqrt", "abs", "clip", "sum", "mean", "max", "prod", "reshape", "transpose", "where",
]

_PY_NUMBERS = (bool, int, float)


def _as_array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _operands(x, y):
    """x, y as Tensors; a Python number adopts the dtype NumPy would give it next to the other."""
    if isinstance(x, _PY_NUMBERS) and not isinstance(y, _PY_NUMBERS):
        x = np.asarray(x, dtype=np.result_type(_as_array(y).dtype, x))
    elif isinstance(y, _PY_NUMBERS) and not isinstance(x, _PY_NUMBERS):
        y = np.asarray(y, dtype=np.result_type(_as_array(x).dtype, y))
    x, y = as_tensor(x), as_tensor(y)
    if x.shape != y.shape:
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ValueError(f"shapes {x.shape} and {y.shape} cannot be broadcast together") from None
    return x, y


def _axis(axis, ndim, name):
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(f"{name}: axis {axis} is out of bounds for a tensor of {ndim} dimensions")
    return axis % ndim


# -- arithmetic ------------------------------------------------------------------------------
def add(x, y):
    return ops.Add.apply(*_operands(x, y))


def multiply(x, y):
    return ops.Mul.apply(*_operands(x, y))


def negative(x):
    return multiply(x, -1)


def subtract(x, y):
    x, y = _operands(x, y)
    return add(x, negative(y))


def power(x, exponent):
    """x ** exponent for a scalar exponent."""
    if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
        raise TypeError(f"power: the exponent must be a scalar number. Received: exponent={exponent!r}")
    x = as_tensor(x)
    if x.dtype.kind in "iub" and float(exponent) < 0:
        x = Tensor(x.data.astype(np.float64))
    return ops.Pow.apply(x, exponent=exponent.item() if isinstance(exponent, np.generic) else exponent)


def divide(x, y):
    x, y = _operands(x, y)
    if y.dtype.kind in "iub":
        y = Tensor(y.data.astype(np.result_type(x.dtype, np.float64) if x.dtype.kind != "f" else x.dtype))
    return multiply(x, power(y, -1))


def exp(x):
    return ops.Exp.apply(x)


def log(x):
    return ops.Log.apply(x)


def sqrt(x):
    return power(x, 0.5)


def where(cond, x, y):
    """x where cond is true, else y (cond is a boolean array and receives no gradient)."""
    x, y = _operands(x, y)
    return ops.Where.apply(x, y, cond=np.asarray(_as_array(cond), dtype=bool))


def maximum(x, y):
    """Element-wise maximum; at ties the gradient goes to x."""
    x, y = _operands(x, y)
    return where(x.data >= y.data, x, y)


def minimum(x, y):
    """Element-wise minimum; at ties the gradient goes to x."""
    x, y = _operands(x, y)
    return where(x.data <= y.data, x, y)


def abs(x):
    """|x|; the gradient is sign(x) (0 at 0, as in Keras and PyTorch).

    For floats it is relu(x) + relu(-x): exact, and made of kernel calls that step plans record.
    """
    x = as_tensor(x)
    if x.dtype.kind != "f":
        return where(x.data >= 0, x, negative(x))
    return add(relu(x), relu(negative(x)))


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi] (either bound may be None)."""
    if lo is not None and hi is not None and np.any(np.asarray(_as_array(lo)) > np.asarray(_as_array(hi))):
        raise ValueError(f"clip: lo must not exceed hi. Received: lo={lo!r}, hi={hi!r}")
    x = as_tensor(x)
    if isinstance(lo, _PY_NUMBERS) and isinstance(hi, _PY_NUMBERS) and x.dtype.kind == "f":
        return ops.Clip.apply(x, lo=float(lo), hi=float(hi))
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


# -- activations -------------------------------------------------------------------------------
def relu(x):
    return ops.Relu.apply(x)


def sigmoid(x):
    return ops.Sigmoid.apply(x)


def tanh(x):
    return ops.Tanh.apply(x)


def _to_last(x, axis, fn, name):
    """Applies fn (which works along the last axis) along `axis`."""
    axis = _axis(axis, x.ndim, name) if x.ndim else axis
    if x.ndim == 0 or axis == x.ndim - 1:
        return fn(x)
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    return transpose(fn(transpose(x, order)), tuple(np.argsort(order)))


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along axis.

    Along the last axis the result keeps its input as `softmax_input`, so that a cross-entropy
    of it is computed from the logits by one fused kernel (no log of a rounded 0).
    """
    x = as_tensor(x)
    y = _to_last(x, axis, ops.Softmax.apply, "softmax")
    if x.ndim and _axis(axis, x.ndim, "softmax") == x.ndim - 1:
        y.softmax_input = x
    return y


def log_softmax(x, axis=-1):
    """x - log(sum(exp(x))) along axis, shifted by the maximum so that exp never overflows."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("log_softmax needs at least 1 dimension, got a 0-d tensor")
    axis = _axis(axis, x.ndim, "log_softmax")
    shifted = subtract(x, np.max(x.data, axis=axis, keepdims=True))  # the shift is a constant
    return subtract(shifted, log(sum(exp(shifted), axis=axis, keepdims=True)))


# -- reductions ------------------------------------------------------------------------------------
def _normalize_axes(axis, ndim, name):
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(_axis(int(a), ndim, name) for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return axes


def sum(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return ops.Sum.apply(x, axis=_normalize_axes(axis, x.ndim, "sum"), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    x = as_tensor(x)
    axes = _normalize_axes(axis, x.ndim, "mean")
    count = math.prod(x.shape[a] for a in (range(x.ndim) if axes is None else axes))
    total = sum(x, axis=axes, keepdims=keepdims)
    if total.dtype.kind != "f":
        total = Tensor(total.data.astype(np.float64))
    return multiply(total, 1 / count if count else math.nan)


def max(x, axis=None, keepdims=False):
    x = as_tensor(x)
    axes = _normalize_axes(axis, x.ndim, "max")
    if x.size == 0:
        raise ValueError(f"max of an empty tensor (shape {x.shape}) is undefined")
    return ops.Max.apply(x, axis=axes, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    x = as_tensor(x)
    return ops.Prod.apply(x, axis=_normalize_axes(axis, x.ndim, "prod"), keepdims=keepdims)


# -- shape ---------------------------------------------------------------------------------------
def reshape(x, shape):
    x = as_tensor(x)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return ops.Reshape.apply(x, shape=shape)


def transpose(x, axes=None):
    """Permutes the axes (reverses them when axes is None)."""
    x = as_tensor(x)
    if axes is not None:
        axes = tuple(int(a) % x.ndim if x.ndim else int(a) for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    return ops.Transpose.apply(x, axes=axes)


def getitem(x, index):
    """x[index] for ints, slices, Ellipsis, None and integer or boolean arrays."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        index = np.asarray(index)
    return ops.GetItem.apply(x, index=index)


# -- products ----------------------------------------------------------------------------------
def matmul(x, y):
    """Matrix product like np.matmul: 1-D operands are promoted, batch dimensions broadcast."""
    x, y = as_tensor(x), as_tensor(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension. Received shapes {x.shape} and {y.shape}")
    x2 = reshape(x, (1,) + x.shape) if x.ndim == 1 else x
    y2 = reshape(y, y.shape + (1,)) if y.ndim == 1 else y
    if x2.shape[-1] != y2.shape[-2]:
        raise ValueError(
            f"matmul: shapes {x.shape} and {y.shape} are not aligned: axis -1 of x "
            f"({x.shape[-1]}) must equal axis {-2 if y.ndim > 1 else 0} of y ({y2.shape[-2]})"
        )
    try:
        batch = np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of shapes {x.shape} and {y.shape} cannot be broadcast together") from None
    out = ops.MatMul.apply(x2, y2)
    shape = batch + (x.shape[-2:-1] if x.ndim > 1 else ()) + (y.shape[-1:] if y.ndim > 1 else ())
    return out if out.shape == shape else reshape(out, shape)


def dot(x, y):
    """Tensor product contracting the last axis of x with the first axis of y.

    vector . vector -> scalar; (a, b) . (b,) -> (a,); (a, b) . (b, c) -> (a, c);
    (a, b, c, d) . (d,) -> (a, b, c); (a, b, c, d) . (d, e) -> (a, b, c, e).
    """
    x, y = as_tensor(x), as_tensor(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"dot: operands must have at least 1 dimension. Received shapes {x.shape} and {y.shape}")
    if x.shape[-1] != y.shape[0]:
        raise ValueError(
            f"dot: shapes {x.shape} and {y.shape} are not aligned: the last axis of x "
            f"({x.shape[-1]}) must equal the first axis of y ({y.shape[0]})"
        )
    d = y.shape[0]
    out_shape = x.shape[:-1] + y.shape[1:]
    x2 = x if x.ndim == 2 else reshape(x, (math.prod(x.shape[:-1]), d))
    y2 = y if y.ndim == 2 else reshape(y, (d, math.prod(y.shape[1:])))
    product = matmul(x2, y2)
    return product if product.shape == out_shape else reshape(product, out_shape)
