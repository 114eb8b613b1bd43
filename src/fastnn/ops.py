"""The primitive operations: each a forward/backward pair, on fastnn.kernels where one exists.

Everything else (fastnn.functional) is composed from these and has no backward of its own.
A backward may return a gradient with the output's broadcast shape; the engine sums it back.
"""
import numpy as np

from . import _C, kernels
from .tensor import Function, Tensor, as_tensor


def _floats(*arrays):
    """True when every array is float32/float64 and one dtype: the kernels take them as they are."""
    return all(a.dtype.kind == "f" for a in arrays) and len({a.dtype for a in arrays}) == 1


def _outside_kernels(name):
    """Notes that an op computed in NumPy: a step recorded now cannot be replayed."""
    _C._unreplayable(f"{name} computed outside the kernels")


def _keepdims_shape(shape, axis):
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _reduced_shape(shape, axis):
    if axis is None:
        return ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes}
    return tuple(n for i, n in enumerate(shape) if i not in axes)


# -- element-wise -----------------------------------------------------------------------
class Add(Function):
    replayable = True
    reads_inputs = False

    def forward(self, x, y):
        if _floats(x, y):
            return kernels.add(x, y)
        _outside_kernels("add")
        return np.add(x, y)

    def backward(self, grad):
        return grad, grad


class Mul(Function):
    replayable = True

    def forward(self, x, y):
        self.x, self.y = x, y
        if _floats(x, y):
            return kernels.multiply(x, y)
        _outside_kernels("multiply")
        return x * y

    def backward(self, grad):
        return (_multiply(grad, self.y) if self.needs_grad[0] else None,
                _multiply(grad, self.x) if self.needs_grad[1] else None)


def _multiply(a, b):
    if _floats(a, b):
        return kernels.multiply(a, b)
    _outside_kernels("multiply")
    return a * b


class Pow(Function):
    """x ** p for a constant scalar p."""

    replayable = True

    def forward(self, x, exponent):
        self.x, self.p = x, exponent
        if _floats(x):
            return kernels.power(x, exponent)
        _outside_kernels("power")
        return x**exponent

    def backward(self, grad):
        if _floats(grad, self.x):
            return (kernels.power_grad(grad, self.x, self.p),)
        _outside_kernels("power's gradient")
        return (grad * (self.p * self.x ** (self.p - 1)),)


class Exp(Function):
    replayable = True
    reads_inputs, reads_output = False, True

    def forward(self, x):
        self.y = kernels.exp(x)
        return self.y

    def backward(self, grad):
        return (_multiply(grad, self.y),)


class Log(Function):
    replayable = True

    def forward(self, x):
        self.x = x
        return kernels.log(x)

    def backward(self, grad):
        return (kernels.divide(grad, self.x),)


class Relu(Function):
    replayable = True
    reads_inputs, reads_output = False, True

    def forward(self, x):
        if _floats(x):
            self.y = kernels.relu(x)
        else:
            _outside_kernels("relu")
            self.y = np.maximum(x, 0)
        return self.y

    def backward(self, grad):
        return (kernels.relu_grad(grad, self.y),)


class Tanh(Function):
    replayable = True
    reads_inputs, reads_output = False, True

    def forward(self, x):
        self.y = kernels.tanh(x)
        return self.y

    def backward(self, grad):
        return (kernels.tanh_grad(grad, self.y),)


class Sigmoid(Function):
    """1 / (1 + exp(-x)), computed from exp(-|x|) so that it never overflows."""

    replayable = True

    reads_inputs, reads_output = False, True

    def forward(self, x):
        self.y = kernels.sigmoid(x)
        return self.y

    def backward(self, grad):
        return (kernels.sigmoid_grad(grad, self.y),)


class Clip(Function):
    """x limited to [lo, hi] (constants); the gradient passes where lo <= x <= hi."""

    replayable = True

    def forward(self, x, lo, hi):
        self.x, self.lo, self.hi = x, lo, hi
        return kernels.clip(x, lo, hi)

    def backward(self, grad):
        return (kernels.clip_grad(grad, self.x, self.lo, self.hi),)


class _OfInput(Function):
    """f(x) by the kernel named `kernel` and its gradient by `kernel + '_grad'` from (dy, x),
    both given the op's options (an activation's parameters)."""

    replayable = True
    kernel = None

    def forward(self, x, **options):
        self.x, self.options = x, options
        return getattr(kernels, self.kernel)(x, **options)

    def backward(self, grad):
        return (getattr(kernels, self.kernel + "_grad")(grad, self.x, **self.options),)


class Elu(_OfInput):
    """x where x >= 0, else alpha * (exp(x) - 1)."""

    kernel = "elu"


class Selu(_OfInput):
    """scale * elu(x, alpha) with SELU's constants."""

    kernel = "selu"


class LeakyRelu(_OfInput):
    """x where x >= 0, else negative_slope * x."""

    kernel = "leaky_relu"


class Softplus(_OfInput):
    """log(1 + exp(x)), never overflowing."""

    kernel = "softplus"


class Softsign(_OfInput):
    """x / (1 + |x|)."""

    kernel = "softsign"


class Gelu(_OfInput):
    """0.5 * x * (1 + erf(x / sqrt(2)))."""

    kernel = "gelu"


class GeluApproximate(_OfInput):
    """0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))."""

    kernel = "gelu_approximate"


class Silu(_OfInput):
    """x * sigmoid(x)."""

    kernel = "silu"


class HardSigmoid(_OfInput):
    """relu6(x + 3) / 6."""

    kernel = "hard_sigmoid"


class Dropout(Function):
    """x * mask, mask = 1 / (1 - rate) for the kept elements and 0 for the others, drawn by
    the dropout kernel from `state` (seed, counter), which each call advances."""

    replayable = True

    def forward(self, x, rate, state):
        out, self.mask = kernels.dropout(x, rate, state)
        return out

    def backward(self, grad):
        return (kernels.multiply(grad, self.mask),)


class Where(Function):
    """cond ? x : y, cond a constant boolean array."""

    def forward(self, x, y, cond):
        self.cond = cond
        return np.where(cond, x, y)

    def backward(self, grad):
        return (np.where(self.cond, grad, 0) if self.needs_grad[0] else None,
                np.where(self.cond, 0, grad) if self.needs_grad[1] else None)


# -- reductions ---------------------------------------------------------------------------
class Sum(Function):
    replayable = True
    reads_inputs = False

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.kept = x.shape, _keepdims_shape(x.shape, axis)
        if x.dtype.kind != "f":
            _outside_kernels("sum")
            return np.sum(x, axis=axis, keepdims=keepdims)
        total = kernels.sum_to_shape(x, self.kept)
        return total if keepdims else total.reshape(_reduced_shape(x.shape, axis))

    def backward(self, grad):
        return (np.broadcast_to(grad.reshape(self.kept), self.shape),)


class Max(Function):
    """The maximum; the gradient is shared equally between tied maxima."""

    reads_output = True

    def forward(self, x, axis=None, keepdims=False):
        self.x = x
        self.y = np.max(x, axis=axis, keepdims=True)
        self.axis = axis
        return self.y if keepdims else np.max(x, axis=axis)

    def backward(self, grad):
        mask = self.x == self.y
        count = np.sum(mask, axis=self.axis, keepdims=True)
        return (mask * (grad.reshape(self.y.shape) / count),)


# -- movement ---------------------------------------------------------------------------------
def _reshaped(a, shape):
    """a.reshape(shape), noting when that had to copy (a copy is not a kernel call)."""
    out = a.reshape(shape)
    if out.size and not np.shares_memory(out, a):
        _outside_kernels("a reshape that copied")
    return out


class Reshape(Function):
    replayable = True
    reads_inputs, output_is_view = False, True

    def forward(self, x, shape):
        self.shape = x.shape
        return _reshaped(x, shape)

    def backward(self, grad):
        return (_reshaped(grad, self.shape),)


class Transpose(Function):
    replayable = True
    reads_inputs, output_is_view = False, True

    def forward(self, x, axes=None):
        self.axes = tuple(range(x.ndim))[::-1] if axes is None else axes
        return np.transpose(x, self.axes)

    def backward(self, grad):
        return (np.transpose(grad, np.argsort(self.axes)),)


def _is_basic_index(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class GetItem(Function):
    reads_inputs, output_is_view = False, True

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            full[self.index] = grad  # a basic index selects every element at most once
        else:
            np.add.at(full, self.index, grad)
        return (full,)


# -- linear algebra and fused layers ---------------------------------------------------------
class MatMul(Function):
    """np.matmul for operands of 2 or more dimensions (batch dimensions broadcast)."""

    replayable = True

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.ndim == 2 and b.ndim == 2 and _floats(a, b):
            return kernels.matmul(a, b)
        _outside_kernels("matmul of batches")
        return np.matmul(a, b)

    def backward(self, grad):
        a, b = self.a, self.b
        if a.ndim == 2 and b.ndim == 2:
            da = kernels.matmul(grad, b, trans_b=True) if self.needs_grad[0] else None
            db = kernels.matmul(a, grad, trans_a=True) if self.needs_grad[1] else None
        else:
            _outside_kernels("matmul of batches")
            da = np.matmul(grad, np.swapaxes(b, -1, -2)) if self.needs_grad[0] else None
            db = np.matmul(np.swapaxes(a, -1, -2), grad) if self.needs_grad[1] else None
        return da, db


class Dense(Function):
    """act(x @ kernel + bias), x (n, d), kernel (d, u), bias (u,) or absent; act None or 'relu'."""

    replayable = True

    reads_output = True

    def forward(self, x, kernel, *bias, activation=None):
        self.x, self.kernel, self.activation = x, kernel, activation
        self.y = kernels.matmul(x, kernel, bias=bias[0] if bias else None, activation=activation)
        return self.y

    def backward(self, grad):
        dz = kernels.relu_grad(grad, self.y) if self.activation == "relu" else grad
        dx = kernels.matmul(dz, self.kernel, trans_b=True) if self.needs_grad[0] else None
        dkernel = kernels.matmul(self.x, dz, self.grad_target(1), trans_a=True) if self.needs_grad[1] else None
        if len(self.needs_grad) == 3:
            dbias = kernels.sum_to_shape(dz, (dz.shape[1],), self.grad_target(2)) if self.needs_grad[2] else None
            return dx, dkernel, dbias
        return dx, dkernel


class Softmax(Function):
    """Softmax along the last axis."""

    replayable = True
    reads_inputs, reads_output = False, True

    def forward(self, x):
        self.y = kernels.softmax(x)
        return self.y

    def backward(self, grad):
        return (kernels.softmax_grad(grad, self.y),)


class SoftmaxCrossEntropy(Function):
    """Per-row cross-entropy between softmax(logits) and a constant target, in one kernel."""

    replayable = True

    def forward(self, logits, target):
        losses, self.probs = kernels.softmax_cross_entropy(logits, target)
        self.target = target
        return losses

    def backward(self, grad):
        rows = kernels.softmax_cross_entropy_grad(self.probs, self.target)
        return kernels.multiply(rows, grad.reshape(-1, 1)), None


def dense(x, kernel, bias=None, activation=None):
    """act(x @ kernel + bias) as one primitive: a single fused matmul forward and backward.

    x is (n, d), kernel (d, u), bias (u,) or None, activation None or 'relu'. The gradient
    for x is computed only when x requires one.
    """
    if activation not in (None, "relu"):
        raise ValueError(f"dense: activation must be None or 'relu'. Received: activation={activation!r}")
    x, kernel = as_tensor(x), as_tensor(kernel)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"dense: x must be 2-D (n, d) and kernel 2-D (d, u). Received shapes {x.shape} and {kernel.shape}")
    if x.shape[1] != kernel.shape[0]:
        raise ValueError(
            f"dense: x has {x.shape[1]} features (shape {x.shape}) but kernel expects "
            f"{kernel.shape[0]} (shape {kernel.shape})"
        )
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Dense.apply(*inputs, activation=activation)


def softmax_cross_entropy_rows(logits, target):
    """Per-row cross-entropy of softmax(logits) against target, as a Tensor of shape (n,), with
    the softmax probabilities (an ndarray) attached as `.probs`.

    logits is (n, k); target is (n, k) probabilities (e.g. one-hot) or (n,) integer classes and
    receives no gradient.
    """
    logits = as_tensor(logits)
    target = target.data if isinstance(target, Tensor) else np.asarray(target)
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (n, k). Received shape {logits.shape}")
    fn = SoftmaxCrossEntropy((logits, Tensor(target)))
    rows = fn.output(fn.forward(logits.data, target))
    rows.probs = fn.probs
    return rows


def softmax_cross_entropy_with_probs(logits, target):
    """(loss, probs): the mean softmax cross-entropy as a scalar Tensor and softmax(logits) as an ndarray."""
    logits = as_tensor(logits)
    if logits.ndim == 2 and logits.shape[0] == 0:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (n, k) with n > 0. Received shape {logits.shape}")
    rows = softmax_cross_entropy_rows(logits, target)
    return rows.mean(), rows.probs


def softmax_cross_entropy(logits, target):
    """Scalar Tensor: mean over rows of the cross-entropy of softmax(logits) against target.

    The softmax probabilities (an ndarray) are attached as `loss.probs`.
    """
    loss, probs = softmax_cross_entropy_with_probs(logits, target)
    loss.probs = probs
    return loss


# -- convolution and pooling: channels-last images (N, H, W, C) ------------------------------------
class Conv2D(Function):
    """act(conv2d(x, kernel) + bias), kernel (KH, KW, C, F), bias (F,) or absent; act None or 'relu'."""

    replayable = True
    reads_output = True

    def forward(self, x, kernel, *bias, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None):
        self.x, self.kernel, self.activation = x, kernel, activation
        self.window = {"strides": strides, "padding": padding, "dilation_rate": dilation_rate}
        self.y = kernels.conv2d(x, kernel, bias[0] if bias else None, activation=activation, **self.window)
        return self.y

    def backward(self, grad):
        dz = kernels.relu_grad(grad, self.y) if self.activation == "relu" else grad
        dx = kernels.conv2d_input_grad(dz, self.kernel, self.x.shape, **self.window) if self.needs_grad[0] else None
        dkernel = dbias = None
        if any(self.needs_grad[1:]):
            dkernel, dbias = kernels.conv2d_kernel_grad(self.x, dz, self.kernel.shape[:2], **self.window)
        return (dx, dkernel, dbias)[:len(self.parents)]


class MaxPool2D(Function):
    """The largest value of each pool window; its gradient goes to the first maximum of the window."""

    replayable = True

    def forward(self, x, pool_size=(2, 2), strides=None, padding="valid"):
        self.x, self.window = x, {"pool_size": pool_size, "strides": strides, "padding": padding}
        return kernels.max_pool2d(x, **self.window)

    def backward(self, grad):
        return (kernels.max_pool2d_grad(self.x, grad, **self.window),)


class AvgPool2D(Function):
    """The mean of each pool window over its positions inside the image."""

    replayable = True
    reads_inputs = False

    def forward(self, x, pool_size=(2, 2), strides=None, padding="valid"):
        self.shape, self.window = x.shape, {"pool_size": pool_size, "strides": strides, "padding": padding}
        return kernels.avg_pool2d(x, **self.window)

    def backward(self, grad):
        return (kernels.avg_pool2d_grad(grad, self.shape, **self.window),)


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None):
    """act(conv2d(x, kernel) + bias) as one primitive, Keras's padding; see fastnn.kernels.conv2d."""
    if activation not in (None, "relu"):
        raise ValueError(f"conv2d: activation must be None or 'relu'. Received: activation={activation!r}")
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return Conv2D.apply(*inputs, strides=strides, padding=padding, dilation_rate=dilation_rate, activation=activation)


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Max pooling of (N, H, W, C) images; strides default to pool_size."""
    return MaxPool2D.apply(x, pool_size=pool_size, strides=strides, padding=padding)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid"):
    """Average pooling of (N, H, W, C) images; strides default to pool_size."""
    return AvgPool2D.apply(x, pool_size=pool_size, strides=strides, padding=padding)


# -- sequences: rows of a table, slices, concatenation, padding, repetition ------------------------
class TakeRows(Function):
    """table[indices]: the rows of a 2-D table picked by a constant index array (an embedding);
    the table's gradient is the output gradient's rows added back at their indices."""

    replayable = True
    reads_inputs = False

    def forward(self, table, indices, owner="take_rows"):
        self.indices, self.rows, self.owner = indices, table.shape[0], owner
        return kernels.take_rows(table, indices, owner=owner)

    def backward(self, grad):
        return (kernels.scatter_add_rows(grad, self.indices, self.rows, self.grad_target(0), owner=self.owner),)


def take_rows(table, indices, owner="take_rows"):
    """The rows of table (a Tensor, rows x dim) at indices (integer-valued, any shape): a Tensor
    of shape indices.shape + (dim,). IndexError, starting with owner, for an index outside [0, rows)."""
    indices = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    return TakeRows.apply(table, indices=indices, owner=owner)


def _zeros_like(shape, dtype):
    """A new array of zeros written by a kernel (so that a replayed step writes them again)."""
    return kernels.full_like(np.empty(shape, dtype), 0.0)


class Slice(Function):
    """x[index] for a tuple of slices (one per leading axis, any step), copied by a kernel into a
    contiguous array (which every kernel reads as it is); its gradient is zero outside the slice."""

    replayable = True
    reads_inputs = False

    def forward(self, x, index):
        self.shape, self.index = x.shape, index
        return kernels.copy(x[index])

    def backward(self, grad):
        full = _zeros_like(self.shape, grad.dtype)
        kernels.copy(grad, out=full[self.index])
        return (full,)


def slice_axis(x, axis, start=None, stop=None, step=None):
    """x sliced along one axis, as x[..., start:stop:step, ...]."""
    x = as_tensor(x)
    axis = axis % x.ndim
    return Slice.apply(x, index=(slice(None),) * axis + (slice(start, stop, step),))


class Concatenate(Function):
    """The inputs joined along `axis`, each copied in by a kernel; each gradient is its part of the
    output's, copied out by a kernel."""

    replayable = True
    reads_inputs = False

    def forward(self, *xs, axis=-1):
        self.axis = axis % xs[0].ndim
        shape = list(xs[0].shape)
        shape[self.axis] = sum(x.shape[self.axis] for x in xs)
        out = np.empty(shape, np.result_type(*xs))
        self.parts, start = [], 0
        for x in xs:
            part = (slice(None),) * self.axis + (slice(start, start + x.shape[self.axis]),)
            kernels.copy(x, out=out[part])
            self.parts.append(part)
            start += x.shape[self.axis]
        return out

    def backward(self, grad):
        return tuple(kernels.copy(grad[part]) if needed else None for part, needed in zip(self.parts, self.needs_grad))


def concatenate(tensors, axis=-1):
    """Tensors of one dtype and equal shapes except along axis, joined along it."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    first = tensors[0]
    if first.ndim == 0 or not -first.ndim <= axis < first.ndim:
        raise ValueError(f"concatenate: axis {axis} is out of range for tensors of shape {first.shape}")
    a = axis % first.ndim
    for t in tensors[1:]:
        if t.ndim != first.ndim or t.shape[:a] + t.shape[a + 1:] != first.shape[:a] + first.shape[a + 1:]:
            raise ValueError(f"concatenate: shapes {first.shape} and {t.shape} differ outside axis {axis}")
        if t.dtype != first.dtype:
            raise ValueError(f"concatenate: dtypes {first.dtype} and {t.dtype} differ")
    return Concatenate.apply(*tensors, axis=a)


def stack(tensors, axis=0):
    """Tensors of one shape stacked along a new axis."""
    tensors = [as_tensor(t) for t in tensors]
    ndim = tensors[0].ndim + 1
    axis = axis % ndim
    expanded = [t.reshape(t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors]
    return concatenate(expanded, axis=axis)


class Pad(Function):
    """x with zeros added before and after each axis, pads ((before, after), ...) per axis."""

    replayable = True
    reads_inputs = False

    def forward(self, x, pads):
        shape = tuple(n + before + after for n, (before, after) in zip(x.shape, pads))
        self.inside = tuple(slice(before, before + n) for n, (before, _) in zip(x.shape, pads))
        out = _zeros_like(shape, x.dtype)
        kernels.copy(x, out=out[self.inside])
        return out

    def backward(self, grad):
        return (kernels.copy(grad[self.inside]),)


def pad(x, pads):
    """x zero-padded: pads is one (before, after) pair of non-negative ints per axis."""
    x = as_tensor(x)
    pads = tuple((int(a), int(b)) for a, b in pads)
    if len(pads) != x.ndim or any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"pad: needs one (before, after) pair of non-negative sizes per axis of shape "
                         f"{x.shape}. Received: {pads}")
    return Pad.apply(x, pads=pads)


class Repeat(Function):
    """Each element of x repeated `repeats` times along `axis` (NumPy's repeat with one count)."""

    replayable = True
    reads_inputs = False

    def forward(self, x, axis, repeats):
        self.shape, self.axis, self.repeats = x.shape, axis, repeats
        spread = x.shape[:axis + 1] + (repeats,) + x.shape[axis + 1:]
        source = np.broadcast_to(x.reshape(x.shape[:axis + 1] + (1,) + x.shape[axis + 1:]), spread)
        out = kernels.copy(source, out=np.empty(spread, x.dtype))
        return out.reshape(x.shape[:axis] + (x.shape[axis] * repeats,) + x.shape[axis + 1:])

    def backward(self, grad):
        axis = self.axis
        spread = self.shape[:axis + 1] + (self.repeats,) + self.shape[axis + 1:]
        kept = self.shape[:axis + 1] + (1,) + self.shape[axis + 1:]
        return (kernels.sum_to_shape(_reshaped(grad, spread), kept).reshape(self.shape),)


def repeat(x, repeats, axis):
    """x with each element repeated `repeats` (a positive int) times along axis."""
    x = as_tensor(x)
    return Repeat.apply(x, axis=axis % x.ndim, repeats=int(repeats))


def not_equal_mask(x, value=0.0, dtype=np.float32):
    """A constant Tensor of 1 where x != value and 0 elsewhere, computed by a kernel (a mask)."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype != dtype:
        data = data.astype(dtype)
        _outside_kernels("a mask's input was converted")
    return Tensor(kernels.not_equal(data, value))
