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


class Prod(Function):
    """The product; each input's gradient is the product of the others (exact when some are 0)."""

    def forward(self, x, axis=None, keepdims=False):
        _outside_kernels("prod")
        self.x, self.axis = x, axis
        return np.prod(x, axis=axis, keepdims=keepdims)

    def backward(self, grad):
        x = self.x
        reduced = list(range(x.ndim)) if self.axis is None else sorted(a % x.ndim for a in self.axis)
        kept = [a for a in range(x.ndim) if a not in reduced]
        moved = np.transpose(x, kept + reduced)
        rows = moved.reshape(moved.shape[:len(kept)] + (-1,))
        if rows.shape[-1] == 0:
            return (np.zeros(x.shape, x.dtype),)
        ones = np.ones(rows.shape[:-1] + (1,), x.dtype)
        before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = np.transpose((before * after).reshape(moved.shape), np.argsort(kept + reduced))
        return (others * grad.reshape(_keepdims_shape(x.shape, self.axis)),)


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


def _view_index(index):
    """A basic index that gives a view even when it selects one element (a 0-d array)."""
    parts = index if isinstance(index, tuple) else (index,)
    return parts if any(p is Ellipsis for p in parts) else parts + (Ellipsis,)


class GetItem(Function):
    """x[index]: a view for a basic index (ints, slices), whose gradient is copied by a kernel
    into its place in zeros (replayable); a copy for other indices (NumPy, not replayable)."""

    replayable = True
    reads_inputs, output_is_view = False, True

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        if not _is_basic_index(index):
            _outside_kernels("indexing by arrays")
            return x[index]
        return x[_view_index(index)]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index) and _floats(grad):
            # a basic index selects every element at most once
            kernels.copy(grad, out=full[_view_index(self.index)])
        elif _is_basic_index(self.index):
            _outside_kernels("indexing's gradient")
            full[self.index] = grad
        else:
            _outside_kernels("indexing's gradient")
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


# -- merging: the functional API's merge layers (Maximum, Minimum, Concatenate, Dot) ----------------
def _require_floats(name, *arrays):
    if not _floats(*arrays):
        raise TypeError(f"{name} takes float32 or float64 tensors of one dtype. "
                        f"Received dtypes {', '.join(str(a.dtype) for a in arrays)}")


class Maximum(Function):
    """The element-wise maximum of two tensors (broadcast); at a tie the gradient goes to the first."""

    replayable = True
    reads_inputs = False

    def forward(self, a, b):
        _require_floats("maximum", a, b)
        self.first = kernels.greater_equal(a, b)
        return kernels.maximum(a, b)

    def backward(self, grad):
        to_first = kernels.multiply(grad, self.first)
        return to_first, (kernels.subtract(grad, to_first) if self.needs_grad[1] else None)


class Minimum(Function):
    """The element-wise minimum of two tensors (broadcast); at a tie the gradient goes to the first."""

    replayable = True
    reads_inputs = False

    def forward(self, a, b):
        _require_floats("minimum", a, b)
        self.first = kernels.greater_equal(b, a)
        return kernels.minimum(a, b)

    def backward(self, grad):
        to_first = kernels.multiply(grad, self.first)
        return to_first, (kernels.subtract(grad, to_first) if self.needs_grad[1] else None)


class Concatenate(Function):
    """Tensors joined along `axis` (their other axes equal), each copied into its part of the
    output by the copy kernel; each one's gradient is a copy of its part of the output's."""

    replayable = True
    reads_inputs = False

    def forward(self, *arrays, axis):
        _require_floats("concatenate", *arrays)
        self.axis = axis
        self.bounds = []
        start = 0
        for a in arrays:
            self.bounds.append((start, start + a.shape[axis]))
            start += a.shape[axis]
        shape = list(arrays[0].shape)
        shape[axis] = start
        out = np.empty(shape, dtype=arrays[0].dtype)
        for a, part in zip(arrays, self._parts()):
            kernels.copy(a, out=out[part])
        return out

    def _parts(self):
        lead = (slice(None),) * self.axis
        return [lead + (slice(lo, hi),) for lo, hi in self.bounds]

    def backward(self, grad):
        return tuple(kernels.copy(grad[part]) if needed else None
                     for part, needed in zip(self._parts(), self.needs_grad))


class BatchMatMul(Function):
    """out[i] = op(a[i]) . op(b[i]) for each i of the first axis (op transposes with trans_a /
    trans_b), one GEMM per sample: Dot's product of two batches of matrices."""

    replayable = True

    def forward(self, a, b, trans_a=False, trans_b=False):
        _require_floats("batch_matmul", a, b)
        self.a, self.b, self.trans_a, self.trans_b = a, b, trans_a, trans_b
        m = a.shape[2] if trans_a else a.shape[1]
        n = b.shape[1] if trans_b else b.shape[2]
        out = np.empty((a.shape[0], m, n), dtype=a.dtype)
        for i in range(a.shape[0]):
            kernels.matmul(a[i], b[i], out=out[i], trans_a=trans_a, trans_b=trans_b)
        return out

    def backward(self, grad):
        a, b, ta, tb = self.a, self.b, self.trans_a, self.trans_b
        da = np.empty(a.shape, a.dtype) if self.needs_grad[0] else None
        db = np.empty(b.shape, b.dtype) if self.needs_grad[1] else None
        for i in range(a.shape[0]):
            g = grad[i]
            if da is not None:  # d op(a) = g . op(b)^T
                if ta:
                    kernels.matmul(b[i], g, out=da[i], trans_a=tb, trans_b=True)
                else:
                    kernels.matmul(g, b[i], out=da[i], trans_b=not tb)
            if db is not None:  # d op(b) = op(a)^T . g
                if tb:
                    kernels.matmul(g, a[i], out=db[i], trans_a=True, trans_b=ta)
                else:
                    kernels.matmul(a[i], g, out=db[i], trans_a=not ta)
        return da, db


def maximum(a, b):
    """The element-wise maximum, broadcast (kernels; replayable)."""
    return Maximum.apply(a, b)


def minimum(a, b):
    """The element-wise minimum, broadcast (kernels; replayable)."""
    return Minimum.apply(a, b)


def batch_matmul(a, b, trans_a=False, trans_b=False):
    """(B, m, k) x (B, k, n) -> (B, m, n), each operand transposed per sample when asked."""
    return BatchMatMul.apply(a, b, trans_a=trans_a, trans_b=trans_b)
# -- normalization, transposed and depthwise convolutions, reshaping images -----------------------
class BatchNorm(Function):
    """(x - mean) / sqrt(variance + epsilon) * gamma + beta per channel along `axis`. Training
    (`moving` given, the moving mean and variance arrays): mean and variance are x's own, and the
    moving arrays are updated in place by the statistics kernel. Inference: `statistics` (mean,
    variance) are constants. Parents: x, then gamma (with scale) and beta (with center)."""

    replayable = True

    def forward(self, x, *params, axis=-1, epsilon=1e-3, scale=True, center=True, moving=None, momentum=0.99,
                statistics=None):
        gamma = params[0] if scale else None
        beta = params[-1] if center else None
        self.training = moving is not None
        if self.training:
            mean, variance = kernels.batch_norm_statistics(x, *moving, axis=axis, momentum=momentum)
        else:
            mean, variance = statistics
        self.x, self.gamma, self.mean, self.variance = x, gamma, mean, variance
        self.axis, self.epsilon, self.scale, self.center = axis, epsilon, scale, center
        return kernels.batch_norm(x, mean, variance, gamma, beta, axis=axis, epsilon=epsilon)

    def backward(self, grad):
        dx, dgamma, dbeta = kernels.batch_norm_grad(grad, self.x, self.mean, self.variance, self.gamma,
                                                    axis=self.axis, epsilon=self.epsilon, training=self.training)
        return (dx,) + ((dgamma,) if self.scale else ()) + ((dbeta,) if self.center else ())


def batch_normalization(x, gamma, beta, mean, variance, *, training, axis=-1, momentum=0.99, epsilon=1e-3):
    """Batch normalization as one primitive. training=True: normalized by x's own statistics, and
    `mean` and `variance` (float arrays of x's dtype, the moving statistics) are updated in place,
    moving = moving * momentum + batch * (1 - momentum); training=False: normalized by `mean` and
    `variance`. gamma and beta may be None (scale by 1, shift by 0)."""
    params = tuple(p for p in (gamma, beta) if p is not None)
    mean = mean.data if isinstance(mean, Tensor) else mean
    variance = variance.data if isinstance(variance, Tensor) else variance
    options = {"moving": (mean, variance), "momentum": momentum} if training else {"statistics": (mean, variance)}
    return BatchNorm.apply(x, *params, axis=axis, epsilon=epsilon, scale=gamma is not None, center=beta is not None,
                           **options)


class Conv2DTranspose(Function):
    """The transposed convolution of x (N, H, W, C) by kernel (KH, KW, filters, C), Keras's sizes."""

    replayable = True

    def forward(self, x, kernel, strides=(1, 1), padding="valid", output_padding=None, dilation_rate=(1, 1)):
        self.x, self.kernel = x, kernel
        self.window = {"strides": strides, "padding": padding, "output_padding": output_padding,
                       "dilation_rate": dilation_rate}
        return kernels.conv2d_transpose(x, kernel, **self.window)

    def backward(self, grad):
        dx = kernels.conv2d_transpose_input_grad(grad, self.kernel, self.x.shape, **self.window) \
            if self.needs_grad[0] else None
        dkernel = kernels.conv2d_transpose_kernel_grad(self.x, grad, self.kernel.shape[:2], **self.window) \
            if self.needs_grad[1] else None
        return dx, dkernel


def conv2d_transpose(x, kernel, strides=(1, 1), padding="valid", output_padding=None, dilation_rate=(1, 1)):
    """The transposed convolution of Keras's Conv2DTranspose (no bias); see fastnn.kernels.conv2d_transpose."""
    return Conv2DTranspose.apply(x, kernel, strides=strides, padding=padding, output_padding=output_padding,
                                 dilation_rate=dilation_rate)


class DepthwiseConv2D(Function):
    """act(depthwise_conv2d(x, kernel) + bias), kernel (KH, KW, C, M), bias (C*M,) or absent; act None or 'relu'."""

    replayable = True
    reads_output = True

    def forward(self, x, kernel, *bias, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None):
        self.x, self.kernel, self.activation = x, kernel, activation
        self.window = {"strides": strides, "padding": padding, "dilation_rate": dilation_rate}
        self.y = kernels.depthwise_conv2d(x, kernel, bias[0] if bias else None, activation=activation, **self.window)
        return self.y

    def backward(self, grad):
        dz = kernels.relu_grad(grad, self.y) if self.activation == "relu" else grad
        dx = kernels.depthwise_conv2d_input_grad(dz, self.kernel, self.x.shape, **self.window) \
            if self.needs_grad[0] else None
        dkernel = dbias = None
        if any(self.needs_grad[1:]):
            dkernel, dbias = kernels.depthwise_conv2d_kernel_grad(self.x, dz, self.kernel.shape[:2],
                                                                  depth_multiplier=self.kernel.shape[3], **self.window)
        return (dx, dkernel, dbias)[:len(self.parents)]


def depthwise_conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None):
    """act(depthwise_conv2d(x, kernel) + bias) as one primitive; see fastnn.kernels.depthwise_conv2d."""
    if activation not in (None, "relu"):
        raise ValueError(f"depthwise_conv2d: activation must be None or 'relu'. Received: activation={activation!r}")
    inputs = (x, kernel) if bias is None else (x, kernel, bias)
    return DepthwiseConv2D.apply(*inputs, strides=strides, padding=padding, dilation_rate=dilation_rate,
                                 activation=activation)


def _filled_zeros(shape, dtype):
    """A new array of zeros written by a kernel (so that a step plan's replay writes them again)."""
    out = np.empty(shape, dtype)
    if out.size:
        kernels.copy(np.broadcast_to(np.zeros((), dtype), shape), out=out)
    return out


def _block(shape, before, after):
    """The index of the block of an array of `shape` that leaves before[i] and after[i] elements
    outside it along axis i."""
    return tuple(slice(b, n - a) for n, b, a in zip(shape, before, after))


class ZeroPad(Function):
    """x inside a block of zeros: before[i] zeros ahead of axis i's values and after[i] behind."""

    replayable = True
    reads_inputs = False

    def forward(self, x, before, after):
        self.shape = x.shape
        self.inside = _block(tuple(n + b + a for n, b, a in zip(x.shape, before, after)), before, after)
        y = _filled_zeros(tuple(n + b + a for n, b, a in zip(x.shape, before, after)), x.dtype)
        if x.size:
            kernels.copy(x, out=y[self.inside])
        return y

    def backward(self, grad):
        return (kernels.copy(grad[self.inside]),)


class Crop(Function):
    """The block of x that leaves before[i] and after[i] elements out along axis i."""

    replayable = True
    reads_inputs = False

    def forward(self, x, before, after):
        self.shape, self.dtype = x.shape, x.dtype
        self.inside = _block(x.shape, before, after)
        return kernels.copy(x[self.inside])

    def backward(self, grad):
        dx = _filled_zeros(self.shape, grad.dtype)
        if grad.size:
            kernels.copy(grad, out=dx[self.inside])
        return (dx,)


class Repeat(Function):
    """Each element of x repeated `repeats[i]` times along axis i, as np.repeat does axis by axis."""

    replayable = True
    reads_inputs = False

    def forward(self, x, repeats):
        self.shape = x.shape
        # axis i becomes (x.shape[i], repeats[i]); x is read with stride 0 along the repeats
        self.spread = tuple(d for n, r in zip(x.shape, repeats) for d in (n, r))
        kept = tuple(d for n in x.shape for d in (n, 1))
        y = np.empty(tuple(n * r for n, r in zip(x.shape, repeats)), x.dtype)
        if y.size:
            kernels.copy(np.broadcast_to(x.reshape(kept), self.spread), out=y.reshape(self.spread))
        return y

    def backward(self, grad):
        kept = tuple(d for n in self.shape for d in (n, 1))
        summed = kernels.sum_to_shape(_reshaped(grad, self.spread), kept)
        return (_reshaped(summed, self.shape),)


class PermuteAxes(Function):
    """x with its axes permuted (np.transpose), written to a new C-contiguous array by a kernel."""

    replayable = True
    reads_inputs = False

    def forward(self, x, axes):
        self.axes = tuple(axes)
        return kernels.copy(np.transpose(x, self.axes))

    def backward(self, grad):
        return (kernels.copy(np.transpose(grad, np.argsort(self.axes))),)


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


def repeat(x, repeats, axis):
    """x with each element repeated `repeats` (a positive int) times along axis."""
    x = as_tensor(x)
    counts = [1] * x.ndim
    counts[axis % x.ndim] = int(repeats)
    return Repeat.apply(x, repeats=tuple(counts))


def not_equal_mask(x, value=0.0, dtype=np.float32):
    """A constant Tensor of 1 where x != value and 0 elsewhere, computed by a kernel (a mask)."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    if data.dtype != dtype:
        data = data.astype(dtype)
        _outside_kernels("a mask's input was converted")
    return Tensor(kernels.not_equal(data, value))
