"""Plain NumPy versions of every compiled kernel: the oracles fastnn.kernels is tested against.

Each function has the same name, signature and result as its twin in fastnn.kernels,
written for clarity rather than speed.
"""
import math

import numpy as np

from . import _norm_checks, _windows
from ._arrays import FLOAT_DTYPES, as_float_array, as_float_arrays, check_distinct, check_out, check_writable
from ._image_checks import FILL_MODES, affine_transform_args
from ._op_checks import (CELL_LAYOUTS, bad_index_error, broadcast_shape, cell_activation, cell_grad_sizes,
                         cell_step_sizes, check_activation, check_dropout_state, check_same_shape, check_shape,
                         dropout_rate, first_bad_index, gather_args, index_array, matmul_shape, scatter_rows_shape,
                         summed_axes, take_rows_shape, xent_target)
from ._step_checks import check_state, nadam_momentum_cache, step_options


def _finish(result, out):
    if out is None:
        return result
    out[...] = result
    return out


def matmul(a, b, out=None, *, trans_a=False, trans_b=False, bias=None, activation=None, relu_mask=None):
    """C = act(op(a) . op(b) + bias) * (relu_mask > 0), op(x) = x.T when trans_x.

    a and b are 2-D; bias has one value per output column; relu_mask has C's shape.
    """
    a, b = as_float_arrays(a=a, b=b)
    shape = matmul_shape(a, b, trans_a, trans_b)
    check_activation("matmul", activation)
    op_a = a.T if trans_a else a
    op_b = b.T if trans_b else b
    c = np.matmul(op_a, op_b)
    if bias is not None:
        bias = as_float_array(bias, "bias")
        check_shape("matmul", "bias", bias, (shape[1],))
        c = c + bias.astype(c.dtype)
    if activation == "relu":
        c = np.maximum(c, 0)
    if relu_mask is not None:
        relu_mask = np.asarray(relu_mask)
        check_shape("matmul", "relu_mask", relu_mask, shape)
        c = np.where(relu_mask > 0, c, 0)
    out = check_out(out, shape, c.dtype)
    return _finish(c.astype(out.dtype, copy=False), out)


def add(a, b, out=None):
    """a + b with NumPy broadcasting."""
    a, b = as_float_arrays(a=a, b=b)
    shape = broadcast_shape("add", a, b)
    out = check_out(out, shape, a.dtype)
    return _finish(a + b, out)


def sum_to_shape(x, shape, out=None):
    """Sums x over the axes that broadcasting added or stretched, giving an array of `shape`.

    The inverse of broadcasting `shape` to x.shape: the gradient of a broadcast input.
    """
    x = as_float_array(x, "x")
    shape, axes = summed_axes(x, shape)
    total = x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.copy()
    return _finish(total, None if out is None else check_out(out, shape, x.dtype))


def relu(x, out=None):
    """max(x, 0) element-wise."""
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    return _finish(np.maximum(x, 0), out)


def relu_grad(dy, y, out=None):
    """dy where y > 0, else 0: the gradient of relu given its output y (0 at y == 0)."""
    dy, y = as_float_arrays(dy=dy, y=y)
    check_same_shape("relu_grad", dy, y, "y")
    out = check_out(out, dy.shape, dy.dtype)
    return _finish(np.where(y > 0, dy, 0), out)


def softmax(x, out=None):
    """exp(x - max) / sum(exp(x - max)) along the last axis."""
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("softmax needs at least 1 dimension, got a 0-d array")
    out = check_out(out, x.shape, x.dtype)
    if x.size == 0:
        return out
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return _finish(e / e.sum(axis=-1, keepdims=True), out)


def softmax_grad(dy, y, out=None):
    """y * (dy - sum(dy * y, last axis)): the gradient of softmax given its output y."""
    dy, y = as_float_arrays(dy=dy, y=y)
    check_same_shape("softmax_grad", dy, y, "y")
    out = check_out(out, dy.shape, dy.dtype)
    return _finish(y * (dy - (dy * y).sum(axis=-1, keepdims=True)), out)


def _target_rows(owner, logits, target):
    """target as rows of class probabilities: class indices become one-hot rows."""
    target, classes = xent_target(owner, logits, target)
    if classes is None:
        return target
    n, k = logits.shape
    onehot = np.zeros((n, k), dtype=logits.dtype)
    onehot[np.arange(n), classes] = 1
    return onehot


def softmax_cross_entropy(logits, target):
    """(loss, probs): per-row cross-entropy of softmax(logits) against target, and the softmax.

    logits is (n, k); target is (n, k) probabilities (e.g. one-hot) or (n,) integer classes.
    loss[i] = -sum_j target[i, j] * log_softmax(logits)[i, j], computed without log(0).
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (n, k), got shape {logits.shape}")
    target = _target_rows("softmax_cross_entropy", logits, target)
    shifted = logits - logits.max(axis=1, keepdims=True) if logits.size else logits
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    loss = -(target * log_p).sum(axis=1)
    return loss, np.exp(log_p)


def softmax_cross_entropy_grad(probs, target, scale=1.0):
    """scale * (probs * sum(target, row) - target): d(sum of losses)/d(logits), times scale."""
    probs = as_float_array(probs, "probs")
    if probs.ndim != 2:
        raise ValueError(f"softmax_cross_entropy_grad: probs must be 2-D (n, k), got shape {probs.shape}")
    target = _target_rows("softmax_cross_entropy_grad", probs, target)
    return (scale * (probs * target.sum(axis=1, keepdims=True) - target)).astype(probs.dtype)


def _prepared_grad(owner, param, grad, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm,
                   segments, **states):
    """The gradient after clipping, as param's dtype; param decayed in place (param -= param * lr * wd).

    clipvalue limits each element to [-clipvalue, clipvalue]; clipnorm scales each segment's
    gradient to an L2 norm of at most clipnorm (a NaN norm gives NaN); global_clipnorm scales
    the whole gradient so (a non-finite norm gives NaN). Norms are summed in float64.
    """
    clip, per_segment, whole, decay, ends = step_options(
        owner, param.size, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm, segments)
    check_distinct(owner, param=param, grad=grad, **states)
    g = np.array(grad, dtype=param.dtype, order="C")
    if clip != np.inf:
        g = np.clip(g, -clip, clip)
    if per_segment or whole:
        flat = g.reshape(-1)
        bounds = [0] + ([] if ends is None else [int(e) for e in ends[:-1]]) + [flat.size]
        norms = [math.sqrt(float(np.sum(np.square(flat[lo:hi].astype(np.float64)))))
                 for lo, hi in zip(bounds[:-1], bounds[1:])]
        if whole:
            norm = math.sqrt(sum(n * n for n in norms))
            scales = [whole / max(norm, whole) if math.isfinite(norm) else math.nan] * len(norms)
        else:
            scales = [math.nan if math.isnan(n) else per_segment / max(n, per_segment) for n in norms]
        for (lo, hi), scale in zip(zip(bounds[:-1], bounds[1:]), scales):
            flat[lo:hi] *= param.dtype.type(scale)
    if decay:
        param -= param * param.dtype.type(decay)
    return g


def sgd_step(param, grad, velocity=None, *, learning_rate, momentum=0.0, nesterov=False, weight_decay=0.0,
             clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: SGD with optional (Nesterov) momentum, as Keras 3 defines it.

    velocity = momentum * velocity - lr * grad
    param += momentum * velocity - lr * grad  (nesterov)  |  param += velocity
    Without momentum (velocity None or momentum 0): param -= lr * grad.
    Every step first clips the gradient and decays param as _prepared_grad says.
    """
    check_state(param, grad=grad, velocity=velocity)
    g = _prepared_grad("sgd_step", param, grad, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm,
                       segments, velocity=velocity)
    if momentum and velocity is not None:
        velocity[...] = momentum * velocity - learning_rate * g
        if nesterov:
            param += momentum * velocity - learning_rate * g
        else:
            param += velocity
    else:
        param -= learning_rate * g


def rmsprop_step(param, grad, mean_square, momentum_buffer=None, average_grad=None, *, learning_rate, rho,
                 momentum=0.0, epsilon, centered=False, weight_decay=0.0, clipvalue=None, clipnorm=None,
                 global_clipnorm=None, segments=None):
    """In place: RMSprop as Keras 3 defines it.

    mean_square = rho * mean_square + (1 - rho) * grad**2
    centered: average_grad = rho * average_grad + (1 - rho) * grad; denominator = mean_square - average_grad**2 + epsilon
    else: denominator = mean_square + epsilon
    increment = lr * grad / sqrt(denominator)
    with momentum: momentum_buffer = momentum * momentum_buffer + increment; param -= momentum_buffer
    else: param -= increment
    """
    check_state(param, ("mean_square",), grad=grad, mean_square=mean_square, momentum_buffer=momentum_buffer,
                 average_grad=average_grad)
    if centered and average_grad is None:
        raise TypeError("rmsprop_step: centered=True needs average_grad, a numpy.ndarray")
    g = _prepared_grad("rmsprop_step", param, grad, learning_rate, weight_decay, clipvalue, clipnorm,
                       global_clipnorm, segments, mean_square=mean_square, momentum_buffer=momentum_buffer,
                       average_grad=average_grad)
    mean_square[...] = rho * mean_square + (1 - rho) * g * g
    if centered:
        average_grad[...] = rho * average_grad + (1 - rho) * g
        increment = learning_rate * g / np.sqrt(mean_square - average_grad * average_grad + epsilon)
    else:
        increment = learning_rate * g / np.sqrt(mean_square + epsilon)
    if momentum and momentum_buffer is not None:
        momentum_buffer[...] = momentum * momentum_buffer + increment
        param -= momentum_buffer
    else:
        param -= increment


def adagrad_step(param, grad, accumulator, *, learning_rate, epsilon, weight_decay=0.0, clipvalue=None,
                 clipnorm=None, global_clipnorm=None, segments=None):
    """In place: accumulator += grad**2; param -= lr * grad / sqrt(accumulator + epsilon)."""
    check_state(param, ("accumulator",), grad=grad, accumulator=accumulator)
    g = _prepared_grad("adagrad_step", param, grad, learning_rate, weight_decay, clipvalue, clipnorm,
                       global_clipnorm, segments, accumulator=accumulator)
    accumulator += g * g
    param -= learning_rate * g / np.sqrt(accumulator + epsilon)


def adam_step(param, grad, m, v, v_max=None, *, learning_rate, beta_1, beta_2, epsilon, step, amsgrad=False,
              weight_decay=0.0, clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: Adam as Keras 3 defines it; step counts from 1.

    m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    amsgrad: v_max = maximum(v_max, v), used in place of v below
    param -= lr * sqrt(1 - beta_2**step) / (1 - beta_1**step) * m / (sqrt(v) + epsilon)
    """
    check_state(param, ("m", "v"), grad=grad, m=m, v=v, v_max=v_max)
    if step < 1:
        raise ValueError(f"adam_step: step counts from 1, got step={step}")
    if amsgrad and v_max is None:
        raise TypeError("adam_step: amsgrad=True needs v_max, a numpy.ndarray")
    g = _prepared_grad("adam_step", param, grad, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm,
                       segments, m=m, v=v, v_max=v_max)
    alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    if amsgrad:
        np.maximum(v_max, v, out=v_max)
        param -= alpha * m / (np.sqrt(v_max) + epsilon)
    else:
        param -= alpha * m / (np.sqrt(v) + epsilon)


def nadam_step(param, grad, m, v, *, learning_rate, beta_1, beta_2, epsilon, step, u_product, weight_decay=0.0,
               clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: Nadam as Keras 3 defines it; step counts from 1, u_product is the product of
    u_1 ... u_(step-1) (1.0 at the first step), u_t = beta_1 * (1 - 0.5 * 0.96**t).

    m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    m_hat = u_(t+1) * m / (1 - u_product * u_t * u_(t+1)) + (1 - u_t) * grad / (1 - u_product * u_t)
    param -= m_hat * lr / (sqrt(v / (1 - beta_2**t)) + epsilon)
    """
    check_state(param, ("m", "v"), grad=grad, m=m, v=v)
    if step < 1:
        raise ValueError(f"nadam_step: step counts from 1, got step={step}")
    g = _prepared_grad("nadam_step", param, grad, learning_rate, weight_decay, clipvalue, clipnorm,
                       global_clipnorm, segments, m=m, v=v)
    real = param.dtype.type
    u_t, u_next = nadam_momentum_cache(beta_1, step), nadam_momentum_cache(beta_1, step + 1)
    u_product_t = u_product * u_t
    m += (g - m) * real(1 - beta_1)
    v += (g * g - v) * real(1 - beta_2)
    m_hat = real(u_next) * m / real(1 - u_product_t * u_next) + real(1 - u_t) * g / real(1 - u_product_t)
    v_hat = v / real(1 - beta_2**step)
    param -= m_hat * real(learning_rate) / (np.sqrt(v_hat) + real(epsilon))


def gather_rows(x, indices, out=None, dtype=np.float32):
    """out[i] = x[indices[i]] flattened to one row each, converted to dtype (default float32).

    x is any real array of shape (n, ...); out is (len(indices), prod(...)).
    """
    x, indices, _, _ = gather_args(x, indices)
    row = int(np.prod(x.shape[1:], dtype=np.int64))
    out = check_out(out, (indices.size, row), np.dtype(dtype))
    return _finish(x[indices].reshape(indices.size, row), out)


# ---- element-wise maps ----------------------------------------------------------

def _map1(fn, x, out):
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    with np.errstate(all="ignore"):
        return _finish(np.asarray(fn(x), dtype=x.dtype), out)


def _map2(fn, name, a, b, out, same_shape=False):
    a, b = as_float_arrays(a=a, b=b)
    if same_shape:
        check_same_shape(name, a, b, "the saved operand")
    shape = broadcast_shape(name, a, b)
    out = check_out(out, shape, a.dtype)
    with np.errstate(all="ignore"):
        return _finish(np.asarray(fn(a, b), dtype=a.dtype), out)


def copy(x, out=None):
    """x copied."""
    return _map1(lambda v: v.copy(), x, out)


def not_equal(x, value, out=None):
    """1 where x != value, else 0."""
    return _map1(lambda v: (v != v.dtype.type(value)).astype(v.dtype), x, out)


def full_like(x, value, out=None):
    """value everywhere, in an array of x's shape and dtype."""
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    return _finish(np.full(x.shape, value, x.dtype), out)


def tanh(x, out=None):
    """tanh(x) element-wise."""
    return _map1(np.tanh, x, out)


def sigmoid(x, out=None):
    """1 / (1 + exp(-x)) element-wise."""
    return _map1(lambda v: 1 / (1 + np.exp(-v)), x, out)


def exp(x, out=None):
    """exp(x) element-wise."""
    return _map1(np.exp, x, out)


def log(x, out=None):
    """log(x) element-wise."""
    return _map1(np.log, x, out)


def power(x, exponent, out=None):
    """x ** exponent element-wise, for a scalar exponent."""
    p = float(exponent)
    return _map1(lambda v: v ** v.dtype.type(p), x, out)


def clip(x, lo, hi, out=None):
    """x limited to [lo, hi] element-wise; lo <= hi."""
    lo, hi = float(lo), float(hi)
    if not lo <= hi:
        raise ValueError(f"clip: lo must not exceed hi. Received: lo={lo!r}, hi={hi!r}")
    return _map1(lambda v: np.where(v < lo, lo, np.where(v > hi, hi, v)), x, out)


def multiply(a, b, out=None):
    """a * b with NumPy broadcasting."""
    return _map2(np.multiply, "multiply", a, b, out)


def divide(a, b, out=None):
    """a / b with NumPy broadcasting."""
    return _map2(np.divide, "divide", a, b, out)


def subtract(a, b, out=None):
    """a - b with NumPy broadcasting."""
    return _map2(np.subtract, "subtract", a, b, out)


def maximum(a, b, out=None):
    """The larger of a and b with NumPy broadcasting (NaN when either is; b at a tie)."""
    return _map2(np.maximum, "maximum", a, b, out)


def minimum(a, b, out=None):
    """The smaller of a and b with NumPy broadcasting (NaN when either is; b at a tie)."""
    return _map2(np.minimum, "minimum", a, b, out)


def greater_equal(a, b, out=None):
    """1 where a >= b, else 0, with NumPy broadcasting."""
    return _map2(np.greater_equal, "greater_equal", a, b, out)


def tanh_grad(dy, y, out=None):
    """dy * (1 - y * y): tanh's gradient given its output y."""
    return _map2(lambda d, v: d * (1 - v * v), "tanh_grad", dy, y, out, same_shape=True)


def sigmoid_grad(dy, y, out=None):
    """dy * y * (1 - y): the sigmoid's gradient given its output y."""
    return _map2(lambda d, v: d * (v * (1 - v)), "sigmoid_grad", dy, y, out, same_shape=True)


def power_grad(dy, x, exponent, out=None):
    """dy * exponent * x ** (exponent - 1): the gradient of x ** exponent."""
    p = float(exponent)
    return _map2(lambda d, v: d * (p * v ** v.dtype.type(p - 1)), "power_grad", dy, x, out, same_shape=True)


def clip_grad(dy, x, lo, hi, out=None):
    """dy where lo <= x <= hi, else 0: clip's gradient given its input x."""
    lo, hi = float(lo), float(hi)
    return _map2(lambda d, v: np.where((v >= lo) & (v <= hi), d, 0), "clip_grad", dy, x, out, same_shape=True)


# ---- activations: f(x), and dy * f'(x) given the input x -----------------------
# Computed in float64 and rounded to the input's dtype once; scalars rounded to the dtype first,
# as Keras casts them.

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _wide(fn, *scalars):
    """fn on float64 copies of the arrays, with scalars rounded to the arrays' dtype first."""
    def run(*arrays):
        rounded = [float(arrays[0].dtype.type(k)) for k in scalars]
        return fn(*(a.astype(np.float64) for a in arrays), *rounded)
    return run


def _normal_cdf(v):
    return 0.5 * np.asarray(_erfc(-v / math.sqrt(2)), dtype=np.float64)


def elu(x, alpha=1.0, out=None):
    """x where x >= 0, else alpha * (exp(x) - 1)."""
    return _map1(_wide(lambda v, a: np.where(v >= 0, v, a * np.expm1(v)), float(alpha)), x, out)


def elu_grad(dy, x, alpha=1.0, out=None):
    """dy where x >= 0, else dy * alpha * exp(x)."""
    return _map2(_wide(lambda d, v, a: d * np.where(v >= 0, 1.0, a * np.exp(v)), float(alpha)),
                 "elu_grad", dy, x, out, same_shape=True)


def selu(x, out=None):
    """SELU_SCALE * elu(x, SELU_ALPHA)."""
    return _map1(_wide(lambda v, a, s: s * np.where(v >= 0, v, a * np.expm1(v)), SELU_ALPHA, SELU_SCALE), x, out)


def selu_grad(dy, x, out=None):
    """dy * SELU_SCALE * (1 where x >= 0, else SELU_ALPHA * exp(x))."""
    return _map2(_wide(lambda d, v, a, s: d * s * np.where(v >= 0, 1.0, a * np.exp(v)), SELU_ALPHA, SELU_SCALE),
                 "selu_grad", dy, x, out, same_shape=True)


def leaky_relu(x, negative_slope=0.2, out=None):
    """x where x >= 0, else negative_slope * x."""
    return _map1(_wide(lambda v, k: np.where(v >= 0, v, k * v), float(negative_slope)), x, out)


def leaky_relu_grad(dy, x, negative_slope=0.2, out=None):
    """dy where x >= 0, else negative_slope * dy."""
    return _map2(_wide(lambda d, v, k: np.where(v >= 0, d, k * d), float(negative_slope)),
                 "leaky_relu_grad", dy, x, out, same_shape=True)


def softplus(x, out=None):
    """log(exp(x) + 1)."""
    return _map1(_wide(lambda v: np.logaddexp(v, 0.0)), x, out)


def softplus_grad(dy, x, out=None):
    """dy * sigmoid(x)."""
    return _map2(_wide(lambda d, v: d / (1 + np.exp(-v))), "softplus_grad", dy, x, out, same_shape=True)


def softsign(x, out=None):
    """x / (abs(x) + 1)."""
    return _map1(_wide(lambda v: v / (np.abs(v) + 1)), x, out)


def softsign_grad(dy, x, out=None):
    """dy / (abs(x) + 1) ** 2."""
    return _map2(_wide(lambda d, v: d / (np.abs(v) + 1) ** 2), "softsign_grad", dy, x, out, same_shape=True)


def gelu(x, out=None):
    """0.5 * x * (1 + erf(x / sqrt(2))), i.e. x * Phi(x), Phi the standard normal cdf."""
    return _map1(_wide(lambda v: v * _normal_cdf(v)), x, out)


def gelu_grad(dy, x, out=None):
    """dy * (Phi(x) + x * phi(x)), phi the standard normal density."""
    return _map2(_wide(lambda d, v: d * (_normal_cdf(v) + v * np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi))),
                 "gelu_grad", dy, x, out, same_shape=True)


_GELU_C = math.sqrt(2 / math.pi)


def _gelu_tanh_argument(v):
    return _GELU_C * (v + 0.044715 * v**3)


def gelu_approximate(x, out=None):
    """0.5 * x * (1 + tanh(u)), u = sqrt(2 / pi) * (x + 0.044715 * x ** 3), as x / (1 + exp(-2 u))."""
    return _map1(_wide(lambda v: v / (1 + np.exp(-2 * _gelu_tanh_argument(v)))), x, out)


def _gelu_approximate_slope(v):
    """0.5 * (1 + tanh(u)) + 0.5 * x * (1 - tanh(u) ** 2) * du/dx, with 1 - tanh(u) ** 2 = cosh(u) ** -2."""
    u = _gelu_tanh_argument(v)
    return 1 / (1 + np.exp(-2 * u)) + 0.5 * v * _GELU_C * (1 + 3 * 0.044715 * v * v) / np.cosh(u) ** 2


def gelu_approximate_grad(dy, x, out=None):
    """dy times the derivative of gelu_approximate at x."""
    return _map2(_wide(lambda d, v: d * _gelu_approximate_slope(v)), "gelu_approximate_grad", dy, x, out,
                 same_shape=True)


def silu(x, out=None):
    """x * sigmoid(x)."""
    return _map1(_wide(lambda v: v / (1 + np.exp(-v))), x, out)


def silu_grad(dy, x, out=None):
    """dy * s * (1 + x * (1 - s)), s = sigmoid(x)."""
    return _map2(_wide(lambda d, v: d * (1 + v / (1 + np.exp(v))) / (1 + np.exp(-v))),
                 "silu_grad", dy, x, out, same_shape=True)


def hard_sigmoid(x, out=None):
    """relu6(x + 3) / 6 = min(max(x + 3, 0), 6) / 6."""
    return _map1(lambda v: np.clip(v + v.dtype.type(3), 0, 6) / v.dtype.type(6), x, out)


def hard_sigmoid_grad(dy, x, out=None):
    """dy / 6 where 0 < x + 3 < 6 (x + 3 rounded to x's dtype), else 0."""
    def grad(d, v):
        t = v + v.dtype.type(3)
        return np.where((t > 0) & (t < 6), d / d.dtype.type(6), 0)
    return _map2(grad, "hard_sigmoid_grad", dy, x, out, same_shape=True)


# ---- dropout -------------------------------------------------------------------

_M64 = (1 << 64) - 1


def _mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


def _mix32(h):
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def dropout(x, rate, state, out=None, mask=None):
    """(out, mask): element i is kept when a 32-bit hash of (state[0], state[1], i) is at least
    rate * 2**32; mask = 1 / (1 - rate) there, else 0; out = x * mask; state[1] += 1."""
    x = as_float_array(x, "x")
    rate = dropout_rate(rate)
    check_dropout_state(state)
    out = check_out(out, x.shape, x.dtype)
    mask = check_out(mask, x.shape, x.dtype, "mask")
    key = _mix64(_mix64(int(state[0])) ^ ((int(state[1]) * 0x9E3779B97F4A7C15) & _M64))
    i = np.arange(x.size, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = _mix32(i.astype(np.uint32) + np.uint32(key & 0xFFFFFFFF))
        h = _mix32(h ^ np.uint32(key >> 32) ^ (i >> np.uint64(32)).astype(np.uint32))
    keep = h.astype(np.uint64) >= np.uint64(int(rate * 4294967296.0))
    scale = x.dtype.type(1.0 / (1.0 - rate))
    mask[...] = np.where(keep, scale, x.dtype.type(0)).reshape(x.shape)
    out[...] = x * mask
    state[1] += np.uint64(1)
    return out, mask

def _draws(key, i):
    """dropout.c's draw(key, i): a 32-bit hash of the key and each index of i (uint64)."""
    with np.errstate(over="ignore"):
        h = _mix32(i.astype(np.uint32) + np.uint32(key & 0xFFFFFFFF))
        return _mix32(h ^ np.uint32(key >> 32) ^ (i >> np.uint64(32)).astype(np.uint32))


def random_normal(out, mean, stddev, state):
    """out = mean + stddev * sqrt(-2 log u1) cos(2 pi u2), in float64, u1 = (draw(2i) + 0.5) / 2**32
    and u2 = draw(2i + 1) / 2**32 of dropout's hash for element i; state[1] += 1."""
    if not isinstance(out, np.ndarray) or out.dtype not in FLOAT_DTYPES:
        raise TypeError(f"random_normal: out must be a float32 or float64 ndarray, got "
                        f"{type(out).__name__} {getattr(out, 'dtype', '')}")
    check_writable(out, "out")
    if not (out.flags.c_contiguous and out.flags.aligned):
        raise ValueError("random_normal: out must be an aligned C-contiguous array")
    mean, stddev = float(mean), float(stddev)
    if not (np.isfinite(mean) and np.isfinite(stddev)) or stddev < 0:
        raise ValueError(f"random_normal: mean must be finite and stddev finite and >= 0. "
                         f"Received: mean={mean!r}, stddev={stddev!r}")
    check_dropout_state(state, "random_normal")
    key = _mix64(_mix64(int(state[0])) ^ ((int(state[1]) * 0x9E3779B97F4A7C15) & _M64))
    i = np.arange(out.size, dtype=np.uint64)
    u1 = (_draws(key, 2 * i).astype(np.float64) + 0.5) / 4294967296.0
    u2 = _draws(key, 2 * i + np.uint64(1)).astype(np.float64) / 4294967296.0
    z = np.sqrt(-2.0 * np.log(u1)) * np.cos(6.283185307179586 * u2)
    out[...] = (mean + stddev * z).reshape(out.shape)
    state[1] += np.uint64(1)
    return out


# ---- convolution and pooling: NHWC images, (KH, KW, C, F) kernels ------------------------------
def _padded(x, geom, fill):
    """x with geom's padding added around height and width (fill value), enough for every window."""
    n, h, w, c, kh, kw, f, oh, ow, sh, sw, dh, dw, pt, pl = geom
    bottom = max((oh - 1) * sh + (kh - 1) * dh + 1 - h - pt, 0)
    right = max((ow - 1) * sw + (kw - 1) * dw + 1 - w - pl, 0)
    return np.pad(x, ((0, 0), (pt, bottom), (pl, right), (0, 0)), constant_values=fill)


def _window_slices(geom):
    """For each window position (a, b) in row-major order: the slice of the padded image it reads."""
    n, h, w, c, kh, kw, f, oh, ow, sh, sw, dh, dw, pt, pl = geom
    for a in range(kh):
        for b in range(kw):
            yield a, b, (slice(None), slice(a * dh, a * dh + max((oh - 1) * sh + 1, 0), sh),
                         slice(b * dw, b * dw + max((ow - 1) * sw + 1, 0), sw))


def conv2d(x, kernel, bias=None, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None,
           out=None):
    """y[n, i, j, f] = act(sum_{a,b,c} x[n, i*sh + a*dh - pad_top, j*sw + b*dw - pad_left, c]
    * kernel[a, b, c, f] + bias[f]), zero outside the image; x (N, H, W, C), kernel (KH, KW, C, F)."""
    if bias is None:
        x, kernel = as_float_arrays(x=x, kernel=kernel)
    else:
        x, kernel, bias = as_float_arrays(x=x, kernel=kernel, bias=bias)
    x = _windows.image(x, "x", "conv2d")
    geom = _windows.conv_args("conv2d", x.shape, kernel.shape, strides, padding, dilation_rate)
    if bias is not None:
        check_shape("conv2d", "bias", bias, (kernel.shape[3],))
    check_activation("conv2d", activation)
    xp = _padded(x.astype(np.float64), geom, 0)
    y = np.zeros(_windows.output_shape(geom))
    for a, b, window in _window_slices(geom):
        y += xp[window] @ kernel[a, b].astype(np.float64)
    if bias is not None:
        y += bias
    if activation == "relu":
        y = np.maximum(y, 0)
    out = check_out(out, y.shape, x.dtype)
    return _finish(y.astype(x.dtype), out)


def conv2d_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1), out=None):
    """dx = d(sum(conv2d(x, kernel) * dy))/dx for x of input_shape (N, H, W, C)."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = _windows.image_shape(input_shape, "input_shape", "conv2d_input_grad")
    geom = _windows.conv_args("conv2d_input_grad", input_shape, kernel.shape, strides, padding, dilation_rate)
    _windows.check_grad(dy, geom, "conv2d_input_grad")
    dxp = _padded(np.zeros(input_shape), geom, 0)
    for a, b, window in _window_slices(geom):
        dxp[window] += dy.astype(np.float64) @ kernel[a, b].astype(np.float64).T
    n, h, w, c, *_, pt, pl = geom
    out = check_out(out, input_shape, dy.dtype)
    return _finish(dxp[:, pt:pt + h, pl:pl + w].astype(dy.dtype), out)


def conv2d_kernel_grad(x, dy, kernel_size, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1)):
    """(dkernel, dbias): the gradients of sum(conv2d(x, kernel, bias) * dy) for a kernel of
    kernel_size (KH, KW); both are sums over n, i, j."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = _windows.image(x, "x", "conv2d_kernel_grad")
    kh, kw = _windows.pair(kernel_size, "kernel_size", "conv2d_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"conv2d_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, x.shape[3], dy.shape[3])
    geom = _windows.conv_args("conv2d_kernel_grad", x.shape, kernel_shape, strides, padding, dilation_rate)
    _windows.check_grad(dy, geom, "conv2d_kernel_grad")
    xp = _padded(x.astype(np.float64), geom, 0)
    dkernel = np.zeros(kernel_shape)
    for a, b, window in _window_slices(geom):
        dkernel[a, b] = np.einsum("nijc,nijf->cf", xp[window], dy.astype(np.float64))
    dbias = dy.astype(np.float64).sum(axis=(0, 1, 2))
    return dkernel.astype(x.dtype), dbias.astype(x.dtype)


def _takes(value, best):
    """Where value replaces the running maximum: larger, or a NaN where best is a number."""
    return (value > best) | (np.isnan(value) & ~np.isnan(best))


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """y[n, i, j, c] = max of x[n, i*sh - pad_top + a, j*sw - pad_left + b, c] over the pool's positions
    inside the image (a NaN wins); strides default to pool_size."""
    x = _windows.image(x, "x", "max_pool2d")
    geom = _windows.pool_args("max_pool2d", x.shape, pool_size, strides, padding)
    xp = _padded(x, geom, np.nan)
    inside = _padded(np.ones(x.shape, bool), geom, False)
    y = np.zeros(_windows.output_shape(geom), x.dtype)
    seen = np.zeros(y.shape, bool)
    for _, _, window in _window_slices(geom):
        v, ok = xp[window], inside[window]
        take = ok & (~seen | _takes(v, y))
        y = np.where(take, v, y)
        seen |= ok
    out = check_out(out, y.shape, x.dtype)
    return _finish(y, out)


def max_pool2d_grad(x, dy, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """dx: each dy[n, i, j, c] added at the position of its window's maximum in x, the first in
    row-major window order when several are equal."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = _windows.image(x, "x", "max_pool2d_grad")
    geom = _windows.pool_args("max_pool2d_grad", x.shape, pool_size, strides, padding)
    _windows.check_grad(dy, geom, "max_pool2d_grad")
    xp = _padded(x, geom, np.nan)
    inside = _padded(np.ones(x.shape, bool), geom, False)
    best = np.zeros(dy.shape, x.dtype)
    where = np.zeros(dy.shape + (2,), np.intp)  # (row, column) in the padded image
    seen = np.zeros(dy.shape, bool)
    n, h, w, c, *_, sh, sw, dh, dw, pt, pl = geom
    rows = np.arange(dy.shape[1])[None, :, None, None] * sh
    cols = np.arange(dy.shape[2])[None, None, :, None] * sw
    for a, b, window in _window_slices(geom):
        v, ok = xp[window], inside[window]
        take = ok & (~seen | _takes(v, best))
        best = np.where(take, v, best)
        where[..., 0] = np.where(take, rows + a, where[..., 0])
        where[..., 1] = np.where(take, cols + b, where[..., 1])
        seen |= ok
    dxp = np.zeros(xp.shape, x.dtype)
    nn, _, _, cc = np.indices(dy.shape)
    np.add.at(dxp, (nn, where[..., 0], where[..., 1], cc), dy)
    out = check_out(out, x.shape, x.dtype)
    return _finish(dxp[:, pt:pt + h, pl:pl + w], out)


def _window_counts(geom):
    """(N=1, OH, OW, 1) array: how many of each window's positions lie inside the image."""
    inside = _padded(np.ones((1,) + tuple(geom[1:3]) + (1,)), geom, 0)
    return sum(inside[window] for _, _, window in _window_slices(geom))


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """y[n, i, j, c] = mean of x over the pool's positions inside the image (padding is not counted)."""
    x = _windows.image(x, "x", "avg_pool2d")
    geom = _windows.pool_args("avg_pool2d", x.shape, pool_size, strides, padding)
    xp = _padded(x, geom, 0)
    total = np.zeros(_windows.output_shape(geom), x.dtype)
    for _, _, window in _window_slices(geom):
        total = total + xp[window]
    out = check_out(out, total.shape, x.dtype)
    return _finish((total / _window_counts(geom).astype(x.dtype)).astype(x.dtype), out)


def avg_pool2d_grad(dy, input_shape, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """dx for images of input_shape: each dy[n, i, j, c] / count added at its window's positions
    inside the image."""
    dy = as_float_array(dy, "dy")
    input_shape = _windows.image_shape(input_shape, "input_shape", "avg_pool2d_grad")
    geom = _windows.pool_args("avg_pool2d_grad", input_shape, pool_size, strides, padding)
    _windows.check_grad(dy, geom, "avg_pool2d_grad")
    share = (dy / _window_counts(geom).astype(dy.dtype)).astype(dy.dtype)
    dxp = _padded(np.zeros(input_shape, dy.dtype), geom, 0)
    for _, _, window in _window_slices(geom):
        dxp[window] += share
    n, h, w, c, *_, pt, pl = geom
    out = check_out(out, input_shape, dy.dtype)
    return _finish(dxp[:, pt:pt + h, pl:pl + w], out)


# ---- image warps (csrc/image.c) --------------------------------------------------

def _map_coordinate(cc, length, mode):
    """Coordinates (or integer tap positions) of one axis brought into the image as scipy.ndimage
    maps them: folded for 'reflect' (period 2 * length) and 'wrap' (period length - 1), clamped for
    'nearest', -1 ("outside") for 'constant', whole-sample mirrored for 'mirror' (the taps of
    'constant' and 'wrap')."""
    cc = np.asarray(cc, dtype=np.float64)
    low, high = cc < 0, cc > length - 1
    if mode == "nearest":
        return np.where(low, 0.0, np.where(high, float(length - 1), cc))
    if mode == "constant":
        return np.where(low | high, -1.0, cc)
    if length <= 1:
        return np.where(low | high, 0.0, cc)
    with np.errstate(invalid="ignore"):
        if mode == "reflect":
            period = 2 * length
            folded = np.where(cc < -period, period * np.trunc(-cc / period) + cc, cc)
            below = np.where(folded < -length, folded + period, -folded - 1)
            above = cc - period * np.trunc(cc / period)
            above = np.where(above >= length, (period - above) - 1, above)
        elif mode == "mirror":
            period = 2 * length - 2
            below = period * np.trunc(-cc / period) + cc
            below = np.where(below <= 1 - length, below + period, -below)
            above = cc - period * np.trunc(cc / period)
            above = np.where(above >= length, period - above, above)
        else:  # wrap: period length - 1, the first and last samples coincide
            period = length - 1
            below = cc + period * (np.trunc(-cc / period) + 1)
            above = cc - period * np.trunc(cc / period)
    return np.where(low, below, np.where(high, above, cc))


# How the taps beyond an edge are read, per mode (scipy's spline boundary modes).
_TAP_MODES = {"nearest": "nearest", "constant": "mirror", "reflect": "reflect", "wrap": "mirror"}


def _taps(start, length, mode):
    """Integer tap positions read inside the image."""
    return _map_coordinate(start, length, _TAP_MODES[mode]).astype(np.int64)


def _warp_one(x, matrix, code, order, mode, cval):
    """One (h, w, c) float64 image warped by a 2x3 matrix and flipped (code bit 1: columns, 2: rows)."""
    h, w, _ = x.shape
    rows = np.arange(h, dtype=np.float64)[:, None]
    cols = np.arange(w, dtype=np.float64)[None, :]
    if code & 2:
        rows = (h - 1) - rows
    if code & 1:
        cols = (w - 1) - cols
    r = (matrix[0, 2] + rows * matrix[0, 0]) + cols * matrix[0, 1]
    q = (matrix[1, 2] + rows * matrix[1, 0]) + cols * matrix[1, 1]
    if mode == "nearest":  # no folding: the taps are clamped
        inside = np.ones(r.shape, bool)
    else:
        r, q = _map_coordinate(r, h, mode), _map_coordinate(q, w, mode)
        inside = (r > -1.0) & (q > -1.0)
    r, q = np.where(inside, r, 0.0), np.where(inside, q, 0.0)
    if order == 0:
        value = 0.0 + x[_taps(np.floor(r + 0.5), h, mode), _taps(np.floor(q + 0.5), w, mode)]
    else:
        r_start, q_start = np.floor(r), np.floor(q)
        wr0 = 1.0 - (r - r_start)
        wq0 = 1.0 - (q - q_start)
        wr1, wq1 = 1.0 - wr0, 1.0 - wq0
        r0, r1 = _taps(r_start, h, mode), _taps(r_start + 1, h, mode)
        q0, q1 = _taps(q_start, w, mode), _taps(q_start + 1, w, mode)
        wr0, wr1, wq0, wq1 = (a[..., None] for a in (wr0, wr1, wq0, wq1))
        value = 0.0 + x[r0, q0] * wr0 * wq0
        value = value + x[r0, q1] * wr0 * wq1
        value = value + x[r1, q0] * wr1 * wq0
        value = value + x[r1, q1] * wr1 * wq1
    return np.where(inside[..., None], value, cval)


def affine_transform(images, matrices, flips=None, order=1, fill_mode="nearest", cval=0.0, out=None,
                     dtype=np.float32):
    """out[b, i, j, ch] = images[b, :, :, ch] interpolated at (row, col) = matrices[b] @ (i', j', 1),
    as scipy.ndimage.affine_transform per image and channel, then flipped by flips[b] = (horizontal,
    vertical)."""
    images, matrices, codes, mode, cval, dtype = affine_transform_args(images, matrices, flips, order, fill_mode,
                                                                       cval, dtype)
    out = check_out(out, images.shape, dtype)
    result = np.empty(images.shape, np.float64)
    for b in range(images.shape[0] if out.size else 0):
        result[b] = _warp_one(images[b].astype(np.float64), matrices[b], 0 if codes is None else int(codes[b]),
                              order, FILL_MODES[mode], cval)
    return _finish(result.astype(dtype), out)


# ---- transposed and depthwise convolutions: NHWC images --------------------------------------------
def _scatter_windows(values, kernel, geom):
    """The images of geom (zero-padded, then cropped) with each values[n, i, j] @ kernel[a, b].T added
    at the position window (a, b) of output (i, j) reads: a convolution's input gradient."""
    n, h, w, c, *_, pt, pl = geom
    padded = _padded(np.zeros((n, h, w, c)), geom, 0)
    for a, b, window in _window_slices(geom):
        padded[window] += values.astype(np.float64) @ kernel[a, b].astype(np.float64).T
    return padded[:, pt:pt + h, pl:pl + w]


def conv2d_transpose(x, kernel, *, strides=(1, 1), padding="valid", output_padding=None, dilation_rate=(1, 1),
                     out=None):
    """y[n, i*sh + a*dh - pad_top, j*sw + b*dw - pad_left, f] += sum_c x[n, i, j, c] * kernel[a, b, f, c],
    the pads those of the convolution this one transposes; kernel (KH, KW, filters, C)."""
    x, kernel = as_float_arrays(x=x, kernel=kernel)
    x = _windows.image(x, "x", "conv2d_transpose")
    geom = _windows.transpose_args("conv2d_transpose", x.shape, kernel.shape, strides, padding, output_padding,
                                   dilation_rate)
    y = _scatter_windows(x, kernel, geom)
    out = check_out(out, y.shape, x.dtype)
    return _finish(y.astype(x.dtype), out)


def conv2d_transpose_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", output_padding=None,
                                dilation_rate=(1, 1), out=None):
    """dx = d(sum(conv2d_transpose(x, kernel) * dy))/dx for x of input_shape (N, H, W, C)."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = _windows.image_shape(input_shape, "input_shape", "conv2d_transpose_input_grad")
    geom = _windows.transpose_args("conv2d_transpose_input_grad", input_shape, kernel.shape, strides, padding,
                                   output_padding, dilation_rate)
    if dy.shape != _windows.transpose_output_shape(geom):
        raise ValueError(f"conv2d_transpose_input_grad: dy has shape {dy.shape}, expected "
                         f"{_windows.transpose_output_shape(geom)} for these inputs")
    dyp = _padded(dy.astype(np.float64), geom, 0)
    dx = np.zeros(input_shape)
    for a, b, window in _window_slices(geom):
        dx += dyp[window] @ kernel[a, b].astype(np.float64)
    out = check_out(out, input_shape, dy.dtype)
    return _finish(dx.astype(dy.dtype), out)


def conv2d_transpose_kernel_grad(x, dy, kernel_size, *, strides=(1, 1), padding="valid", output_padding=None,
                                 dilation_rate=(1, 1)):
    """dkernel (KH, KW, filters, C) of sum(conv2d_transpose(x, kernel) * dy), a sum over n, oh, ow."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = _windows.image(x, "x", "conv2d_transpose_kernel_grad")
    kh, kw = _windows.pair(kernel_size, "kernel_size", "conv2d_transpose_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"conv2d_transpose_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, dy.shape[3], x.shape[3])
    geom = _windows.transpose_args("conv2d_transpose_kernel_grad", x.shape, kernel_shape, strides, padding,
                                   output_padding, dilation_rate)
    if dy.shape != _windows.transpose_output_shape(geom):
        raise ValueError(f"conv2d_transpose_kernel_grad: dy has shape {dy.shape}, expected "
                         f"{_windows.transpose_output_shape(geom)} for these inputs")
    dyp = _padded(dy.astype(np.float64), geom, 0)
    dkernel = np.zeros(kernel_shape)
    for a, b, window in _window_slices(geom):
        dkernel[a, b] = np.einsum("nijf,nijc->fc", dyp[window], x.astype(np.float64))
    return dkernel.astype(x.dtype)


def _depthwise_check_grad(owner, dy, geom):
    want = _windows.depthwise_output_shape(geom)
    if dy.shape != want:
        raise ValueError(f"{owner}: dy has shape {dy.shape}, expected {want} for these inputs")


def depthwise_conv2d(x, kernel, bias=None, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                     activation=None, out=None):
    """y[n, i, j, c*M + m] = act(sum_{a,b} x[n, i*sh + a*dh - pad_top, j*sw + b*dw - pad_left, c]
    * kernel[a, b, c, m] + bias[c*M + m]), zero outside the image; kernel (KH, KW, C, M)."""
    if bias is None:
        x, kernel = as_float_arrays(x=x, kernel=kernel)
    else:
        x, kernel, bias = as_float_arrays(x=x, kernel=kernel, bias=bias)
    x = _windows.image(x, "x", "depthwise_conv2d")
    geom = _windows.depthwise_args("depthwise_conv2d", x.shape, kernel.shape, strides, padding, dilation_rate)
    channels = kernel.shape[2] * kernel.shape[3]
    if bias is not None and bias.shape != (channels,):
        raise ValueError(f"depthwise_conv2d: bias has shape {bias.shape}, expected ({channels},)")
    check_activation("depthwise_conv2d", activation)
    n, oh, ow = geom[0], geom[7], geom[8]
    xp = _padded(x.astype(np.float64), geom, 0)
    y = np.zeros((n, oh, ow) + kernel.shape[2:])
    for a, b, window in _window_slices(geom):
        y += xp[window][..., None] * kernel[a, b].astype(np.float64)
    y = y.reshape(n, oh, ow, channels)
    if bias is not None:
        y += bias
    if activation == "relu":
        y = np.maximum(y, 0)
    out = check_out(out, y.shape, x.dtype)
    return _finish(y.astype(x.dtype), out)


def depthwise_conv2d_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                                out=None):
    """dx = d(sum(depthwise_conv2d(x, kernel) * dy))/dx for x of input_shape (N, H, W, C)."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = _windows.image_shape(input_shape, "input_shape", "depthwise_conv2d_input_grad")
    geom = _windows.depthwise_args("depthwise_conv2d_input_grad", input_shape, kernel.shape, strides, padding,
                                   dilation_rate)
    _depthwise_check_grad("depthwise_conv2d_input_grad", dy, geom)
    n, h, w, c, *_, pt, pl = geom
    per_channel = dy.astype(np.float64).reshape(dy.shape[:3] + kernel.shape[2:])
    dxp = _padded(np.zeros(input_shape), geom, 0)
    for a, b, window in _window_slices(geom):
        dxp[window] += (per_channel * kernel[a, b].astype(np.float64)).sum(axis=-1)
    out = check_out(out, input_shape, dy.dtype)
    return _finish(dxp[:, pt:pt + h, pl:pl + w].astype(dy.dtype), out)


def depthwise_conv2d_kernel_grad(x, dy, kernel_size, *, depth_multiplier=1, strides=(1, 1), padding="valid",
                                 dilation_rate=(1, 1)):
    """(dkernel, dbias): the gradients of sum(depthwise_conv2d(x, kernel, bias) * dy) for a kernel of
    kernel_size (KH, KW) and depth_multiplier M, dkernel (KH, KW, C, M), dbias (C * M,)."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = _windows.image(x, "x", "depthwise_conv2d_kernel_grad")
    kh, kw = _windows.pair(kernel_size, "kernel_size", "depthwise_conv2d_kernel_grad")
    multiplier = _windows.positive_int(depth_multiplier, "depth_multiplier", "depthwise_conv2d_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"depthwise_conv2d_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, x.shape[3], multiplier)
    geom = _windows.depthwise_args("depthwise_conv2d_kernel_grad", x.shape, kernel_shape, strides, padding,
                                   dilation_rate)
    _depthwise_check_grad("depthwise_conv2d_kernel_grad", dy, geom)
    xp = _padded(x.astype(np.float64), geom, 0)
    per_channel = dy.astype(np.float64).reshape(dy.shape[:3] + kernel_shape[2:])
    dkernel = np.zeros(kernel_shape)
    for a, b, window in _window_slices(geom):
        dkernel[a, b] = np.einsum("nijc,nijcm->cm", xp[window], per_channel)
    dbias = dy.astype(np.float64).sum(axis=(0, 1, 2))
    return dkernel.astype(x.dtype), dbias.astype(x.dtype)


# ---- batch normalization ---------------------------------------------------------------------------
def _channels_view(x, sizes):
    """x in float64 as (outer, channels, inner)."""
    return x.astype(np.float64).reshape(sizes)


def batch_norm_statistics(x, moving_mean=None, moving_variance=None, *, axis=-1, momentum=0.99):
    """(mean, variance) of each channel of x (along `axis`) over all the other axes, the variance
    biased (divided by the count); both zero for no elements. Given moving_mean and
    moving_variance (arrays of x's dtype), each is updated in place when x has elements:
    moving = moving * momentum + statistic * (1 - momentum)."""
    (x,), sizes = _norm_checks.operands("batch_norm_statistics", axis, x=x)
    momentum = _norm_checks.number("batch_norm_statistics", "momentum", momentum)
    _norm_checks.moving_statistics("batch_norm_statistics", x, moving_mean, moving_variance, sizes[1])
    if sizes[0] * sizes[2] == 0:
        return np.zeros(sizes[1], x.dtype), np.zeros(sizes[1], x.dtype)
    v = _channels_view(x, sizes)
    mean = v.mean(axis=(0, 2))
    variance = ((v - mean[:, None]) ** 2).mean(axis=(0, 2))
    mean, variance = mean.astype(x.dtype), variance.astype(x.dtype)
    if moving_mean is not None:
        for moving, statistic in ((moving_mean, mean), (moving_variance, variance)):
            moving[...] = moving.astype(np.float64) * momentum + statistic.astype(np.float64) * (1.0 - momentum)
    return mean, variance


def batch_norm(x, mean, variance, gamma=None, beta=None, *, axis=-1, epsilon=1e-3, out=None):
    """y = (x - mean) * gamma / sqrt(variance + epsilon) + beta, channel by channel along `axis`;
    gamma None: 1, beta None: 0."""
    (x, mean, variance, gamma, beta), sizes = _norm_checks.operands(
        "batch_norm", axis, x=x, mean=mean, variance=variance, gamma=gamma, beta=beta)
    epsilon = _norm_checks.number("batch_norm", "epsilon", epsilon, 0)
    scale = (1.0 if gamma is None else gamma.astype(np.float64)) / np.sqrt(variance.astype(np.float64) + epsilon)
    shift = 0.0 if beta is None else beta.astype(np.float64)
    column = (slice(None), None)
    y = (_channels_view(x, sizes) - mean.astype(np.float64)[column]) * (scale * np.ones(sizes[1]))[column] \
        + (shift * np.ones(sizes[1]))[column]
    out = check_out(out, x.shape, x.dtype)
    return _finish(y.reshape(x.shape).astype(x.dtype), out)


def batch_norm_grad(dy, x, mean, variance, gamma=None, *, axis=-1, epsilon=1e-3, training=True):
    """(dx, dgamma, dbeta): the gradients of sum(dy * batch_norm(x, mean, variance, gamma, beta)).
    With training, mean and variance are x's own statistics (batch_norm_statistics) and dx
    follows them; without, they are constants."""
    (dy, x, mean, variance, gamma), sizes = _norm_checks.operands(
        "batch_norm_grad", axis, dy=dy, x=x, mean=mean, variance=variance, gamma=gamma)
    epsilon = _norm_checks.number("batch_norm_grad", "epsilon", epsilon, 0)
    column = (slice(None), None)
    count = sizes[0] * sizes[2]
    inv = 1.0 / np.sqrt(variance.astype(np.float64) + epsilon)
    g = np.ones(sizes[1]) if gamma is None else gamma.astype(np.float64)
    d = _channels_view(dy, sizes)
    xhat = (_channels_view(x, sizes) - mean.astype(np.float64)[column]) * inv[column]
    dbeta = d.sum(axis=(0, 2))
    dgamma = (d * xhat).sum(axis=(0, 2))
    if training and count:
        dx = (g * inv)[column] * (d - dbeta[column] / count - xhat * dgamma[column] / count)
    else:
        dx = (g * inv)[column] * d
    return dx.reshape(x.shape).astype(x.dtype), dgamma.astype(x.dtype), dbeta.astype(x.dtype)


# ---- rows of a table picked by index -------------------------------------------

def _checked_indices(owner, indices, rows):
    bad = first_bad_index(indices, rows)
    if bad is not None:
        raise bad_index_error(owner, indices.shape, bad[0], bad[1], rows)
    return indices.astype(np.int64)


def take_rows(table, indices, out=None, *, owner="take_rows"):
    """table[indices]: the rows of a 2-D table picked by integer-valued indices in [0, rows)."""
    table = as_float_array(table, "table")
    indices = index_array(owner, indices)
    shape = take_rows_shape(owner, table, indices)
    out = check_out(out, shape, table.dtype)
    idx = _checked_indices(owner, indices, table.shape[0])
    return _finish(table[idx], out)


def scatter_add_rows(grad, indices, rows, out=None, *, owner="scatter_add_rows"):
    """zeros (rows, dim), then grad's rows added at their indices in row-major order."""
    grad = as_float_array(grad, "grad")
    indices = index_array(owner, indices)
    rows, dim = scatter_rows_shape(owner, grad, indices, rows)
    out = check_out(out, (rows, dim), grad.dtype)
    idx = _checked_indices(owner, indices, rows)
    total = np.zeros((rows, dim), grad.dtype)
    np.add.at(total, idx.reshape(-1), grad.reshape(idx.size, dim))
    return _finish(total, out)


# ---- recurrent cells: one time step and its backward ------------------------------

def _cell_act(name, x):
    if name == "tanh":
        return np.tanh(x)
    if name == "sigmoid":
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
    if name == "relu":
        return np.where(x < 0, 0.0, x)
    if name == "hard_sigmoid":
        return np.clip(x + 3, 0, 6) / 6
    return x


def _cell_slope(name, y):
    """The activation's derivative given its output y."""
    if name == "tanh":
        return 1 - y * y
    if name == "sigmoid":
        return y * (1 - y)
    if name == "relu":
        return (y > 0).astype(y.dtype)
    if name == "hard_sigmoid":
        return np.where((y > 0) & (y < 1), 1 / 6, 0.0)
    return np.ones_like(y)


def _kept_rows(mask, n):
    return np.ones(n, bool) if mask is None else np.asarray(mask) != 0


def _cell_step(cell, owner, xz, hz, previous, mask, activation, recurrent_activation, out):
    xz, hz, previous = as_float_arrays(xz=xz, hz=hz, previous=previous)
    if mask is not None:
        mask = np.asarray(mask)
    n, u = cell_step_sizes(owner, cell, xz, hz, previous, mask)
    cell_activation(owner, "activation", activation)
    cell_activation(owner, "recurrent_activation", recurrent_activation)
    blocks = CELL_LAYOUTS[cell][1]
    out = check_out(out, (n, blocks * u), xz.dtype)
    x, h, p = (a.astype(np.float64) for a in (xz, hz, previous))
    act = lambda v: _cell_act(activation, v)
    ract = lambda v: _cell_act(recurrent_activation, v)
    block = lambda a, j: a[:, j * u:(j + 1) * u]
    if cell == "simple":
        new = act(x + h)
    elif cell == "lstm":
        i, f, g, o = ract(block(x, 0) + block(h, 0)), ract(block(x, 1) + block(h, 1)), \
            act(block(x, 2) + block(h, 2)), ract(block(x, 3) + block(h, 3))
        c = f * block(p, 4) + i * g
        new = np.concatenate([i, f, g, o, c, o * act(c)], axis=1)
    else:
        z, r, hn = ract(block(x, 0) + block(h, 0)), ract(block(x, 1) + block(h, 1)), block(h, 2)
        hh = act(block(x, 2) + r * hn)
        new = np.concatenate([z, r, hh, hn, z * block(p, 4) + (1 - z) * hh], axis=1)
    state_from = {"simple": 0, "lstm": 4, "gru": 4}[cell] * u
    skipped = np.zeros_like(p)
    skipped[:, state_from:] = p[:, state_from:]
    keep = _kept_rows(mask, n)[:, None]
    return _finish(np.where(keep, new, skipped).astype(xz.dtype), out)


def _cell_grad(cell, owner, record, previous, carry, dh_recurrent, dy, mask, activation, recurrent_activation, out,
               recurrent_out=None):
    named = {"record": record, "carry": carry}
    if previous is not None:
        named["previous"] = previous
    for name, value in (("dh_recurrent", dh_recurrent), ("dy", dy)):
        if value is not None:
            named[name] = value
    arrays = dict(zip(named, as_float_arrays(**named)))
    record = arrays["record"]
    previous, dh_recurrent, dy = arrays.get("previous"), arrays.get("dh_recurrent"), arrays.get("dy")
    if not isinstance(carry, np.ndarray) or arrays["carry"] is not carry:
        raise TypeError(f"{owner}: carry must be a float ndarray of the record's dtype (it is updated in place)")
    check_writable(carry, "carry")
    if mask is not None:
        mask = np.asarray(mask)
    n, u = cell_grad_sizes(owner, cell, record, previous, carry, dh_recurrent, dy, mask)
    cell_activation(owner, "activation", activation)
    cell_activation(owner, "recurrent_activation", recurrent_activation)
    gates = CELL_LAYOUTS[cell][0]
    out = check_out(out, (n, gates * u), record.dtype)
    if cell == "gru":
        recurrent_out = check_out(recurrent_out, (n, gates * u), record.dtype, "recurrent_out")
    dtype = record.dtype
    rec = record.astype(np.float64)
    block = lambda a, j: a[:, j * u:(j + 1) * u]
    slope = lambda y: _cell_slope(activation, y)
    rslope = lambda y: _cell_slope(recurrent_activation, y)
    dh = carry[:, :u].astype(dtype)
    if dh_recurrent is not None:
        dh = dh + dh_recurrent
    if dy is not None:
        dh = dh + dy
    keep = _kept_rows(mask, n)[:, None]
    d = dh.astype(np.float64)
    new_carry = carry.astype(np.float64)
    if cell == "simple":
        dz = d * slope(rec)
        new_carry[:] = np.where(keep, 0.0, d)
        dzs = [dz]
    elif cell == "lstm":
        i, f, g, o, c = (block(rec, j) for j in range(5))
        cp = block(previous.astype(np.float64), 4)
        tc = _cell_act(activation, c)
        dc = carry[:, u:].astype(np.float64) + d * o * slope(tc)
        dz = np.concatenate([dc * g * rslope(i), dc * cp * rslope(f), dc * i * slope(g), d * tc * rslope(o)], axis=1)
        new_carry[:, :u] = np.where(keep, 0.0, d)
        new_carry[:, u:] = np.where(keep, dc * f, carry[:, u:])
        dzs = [dz]
    else:
        z, r, hh, hn = (block(rec, j) for j in range(4))
        hp = block(previous.astype(np.float64), 4)
        dhp = d * (1 - z) * slope(hh)
        dzp = d * (hp - hh) * rslope(z)
        drp = dhp * hn * rslope(r)
        dzs = [np.concatenate([dzp, drp, dhp], axis=1), np.concatenate([dzp, drp, dhp * r], axis=1)]
        new_carry[:] = np.where(keep, d * z, d)
    carry[...] = new_carry.astype(dtype)
    results = [_finish(np.where(keep, g_, 0.0).astype(dtype), o_) for g_, o_ in zip(dzs, (out, recurrent_out))]
    return results[0] if cell != "gru" else tuple(results)


def simple_rnn_cell(xz, hz, previous, mask=None, *, activation="tanh", out=None):
    """h = act(xz + hz), or previous where mask is 0."""
    return _cell_step("simple", "simple_rnn_cell", xz, hz, previous, mask, activation, "sigmoid", out)


def simple_rnn_cell_grad(record, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh", out=None):
    """dz = (carry + dh_recurrent + dy) * act'(h); carry := 0 (kept where mask is 0)."""
    return _cell_grad("simple", "simple_rnn_cell_grad", record, None, carry, dh_recurrent, dy, mask, activation,
                      "sigmoid", out)


def lstm_cell(xz, hz, previous, mask=None, *, activation="tanh", recurrent_activation="sigmoid", out=None):
    """The record [i f g o c h] of one LSTM step."""
    return _cell_step("lstm", "lstm_cell", xz, hz, previous, mask, activation, recurrent_activation, out)


def lstm_cell_grad(record, previous, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh",
                   recurrent_activation="sigmoid", out=None):
    """dz of an LSTM step; carry [dh | dc] := [0 | dc_prev] (unchanged but for dh where mask is 0)."""
    return _cell_grad("lstm", "lstm_cell_grad", record, previous, carry, dh_recurrent, dy, mask, activation,
                      recurrent_activation, out)


def gru_cell(xz, hz, previous, mask=None, *, activation="tanh", recurrent_activation="sigmoid", out=None):
    """The record [z r hh hn h] of one GRU step (reset after the recurrent product)."""
    return _cell_step("gru", "gru_cell", xz, hz, previous, mask, activation, recurrent_activation, out)


def gru_cell_grad(record, previous, carry, dh_recurrent=None, dy=None, mask=None, *, activation="tanh",
                  recurrent_activation="sigmoid", out=None, recurrent_out=None):
    """(dxz, dhz) of a GRU step; carry := Dh z (Dh where mask is 0)."""
    return _cell_grad("gru", "gru_cell_grad", record, previous, carry, dh_recurrent, dy, mask, activation,
                      recurrent_activation, out, recurrent_out)
