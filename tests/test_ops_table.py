"""One record per differentiable op; generic tests check every record against NumPy,
finite differences (float64) and the analytic gradient."""
import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pytest

import fastnn as fn
from fastnn.testing import gradcheck


@dataclass
class Op:
    name: str
    fastnn_fn: Callable
    numpy_fn: Callable
    shapes: list  # input shapes of one sample
    low: float = -2.0  # inputs are drawn from [low, high], away from kinks and poles
    high: float = 2.0
    analytic: Optional[Callable] = None  # (g, *inputs) -> gradient of sum(g * out) per input


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


_erf = np.vectorize(math.erf)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu_tanh(x):
    return np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))


# (name, activation, keyword arguments, value, derivative, low, high) of Keras's activations
_ACTIVATIONS = [
    ("elu", fn.activations.elu, {"alpha": 0.8}, lambda x: np.where(x >= 0, x, 0.8 * np.expm1(x)),
     lambda x: np.where(x >= 0, 1, 0.8 * np.exp(x)), -3.0, 2.0),
    ("selu", fn.activations.selu, {}, lambda x: _SELU_SCALE * np.where(x >= 0, x, _SELU_ALPHA * np.expm1(x)),
     lambda x: _SELU_SCALE * np.where(x >= 0, 1, _SELU_ALPHA * np.exp(x)), -3.0, 2.0),
    ("leaky_relu", fn.activations.leaky_relu, {}, lambda x: np.maximum(x, 0.2 * x),
     lambda x: np.where(x >= 0, 1, 0.2), -2.0, 2.0),
    ("softplus", fn.activations.softplus, {}, lambda x: np.log1p(np.exp(x)), _sigmoid, -4.0, 4.0),
    ("softsign", fn.activations.softsign, {}, lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2,
     -3.0, 3.0),
    ("gelu", fn.activations.gelu, {}, lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
     lambda x: 0.5 * (1 + _erf(x / np.sqrt(2))) + x * np.exp(-x * x / 2) / np.sqrt(2 * np.pi), -4.0, 4.0),
    ("gelu-tanh", fn.activations.gelu, {"approximate": True}, lambda x: 0.5 * x * (1 + _gelu_tanh(x)),
     lambda x: 0.5 * (1 + _gelu_tanh(x)) + 0.5 * x * (1 - _gelu_tanh(x) ** 2) * np.sqrt(2 / np.pi)
     * (1 + 3 * 0.044715 * x * x), -4.0, 4.0),
    ("silu", fn.activations.silu, {}, lambda x: x * _sigmoid(x),
     lambda x: _sigmoid(x) * (1 + x * (1 - _sigmoid(x))), -5.0, 5.0),
    ("hard_sigmoid", fn.activations.hard_sigmoid, {}, lambda x: np.clip(x / 6 + 0.5, 0, 1),
     lambda x: np.where(np.abs(x) < 3, 1 / 6, 0), -2.9, 2.9),
]


def _sum_grad(axis, keepdims):
    def grad(g, x):
        if not keepdims and axis is not None:
            g = np.expand_dims(g, axis)
        return (np.broadcast_to(g, x.shape),)
    return grad


def _mean_grad(axis, keepdims):
    def grad(g, x):
        (full,) = _sum_grad(axis, keepdims)(g, x)
        count = x.size if axis is None else np.prod([x.shape[a] for a in np.atleast_1d(axis)])
        return (full / count,)
    return grad


BROADCAST_PAIRS = [[(3, 4), (3, 4)], [(3, 4), (4,)], [(2, 1, 4), (3, 1)], [(), (3,)]]

RECORDS = [
    *[Op("add", fn.add, np.add, s, analytic=lambda g, x, y: (g, g)) for s in BROADCAST_PAIRS],
    *[Op("subtract", fn.subtract, np.subtract, s, analytic=lambda g, x, y: (g, -g)) for s in BROADCAST_PAIRS],
    *[Op("multiply", fn.multiply, np.multiply, s, analytic=lambda g, x, y: (g * y, g * x)) for s in BROADCAST_PAIRS],
    *[Op("divide", fn.divide, np.divide, s, 0.5, 2.0, analytic=lambda g, x, y: (g / y, -g * x / y**2))
      for s in BROADCAST_PAIRS],
    Op("maximum", fn.maximum, np.maximum, [(3, 4), (4,)], analytic=lambda g, x, y: (g * (x >= y), g * (x < y))),
    Op("minimum", fn.minimum, np.minimum, [(3, 4), (3, 1)], analytic=lambda g, x, y: (g * (x <= y), g * (x > y))),
    Op("where", lambda x, y: fn.where(x.data > 0 if isinstance(x, fn.Tensor) else x > 0, x, y),
       lambda x, y: np.where(x > 0, x, y), [(3, 4), (4,)],
       analytic=lambda g, x, y: (g * (x > 0), g * (x <= 0))),
    Op("negative", fn.negative, np.negative, [(3, 4)], analytic=lambda g, x: (-g,)),
    Op("operator-neg", lambda x: -x, np.negative, [(5,)], analytic=lambda g, x: (-g,)),
    Op("exp", fn.exp, np.exp, [(3, 4)], analytic=lambda g, x: (g * np.exp(x),)),
    Op("log", fn.log, np.log, [(3, 4)], 0.2, 3.0, analytic=lambda g, x: (g / x,)),
    Op("sqrt", fn.sqrt, np.sqrt, [(3, 4)], 0.2, 3.0, analytic=lambda g, x: (g / (2 * np.sqrt(x)),)),
    Op("power3", lambda x: fn.power(x, 3), lambda x: x**3, [(3, 4)], analytic=lambda g, x: (3 * g * x**2,)),
    Op("power-1.5", lambda x: x ** -1.5, lambda x: x ** -1.5, [(7,)], 0.3, 2.0,
       analytic=lambda g, x: (-1.5 * g * x ** -2.5,)),
    Op("abs", fn.abs, np.abs, [(3, 4)], analytic=lambda g, x: (g * np.sign(x),)),
    Op("relu", fn.relu, lambda x: np.maximum(x, 0), [(3, 4)], analytic=lambda g, x: (g * (x > 0),)),
    Op("sigmoid", fn.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [(3, 4)],
       analytic=lambda g, x: (g * np.exp(-x) / (1 + np.exp(-x)) ** 2,)),
    Op("tanh", fn.tanh, np.tanh, [(3, 4)], analytic=lambda g, x: (g / np.cosh(x) ** 2,)),
    *[Op(name, lambda x, f=f, k=k: f(x, **k), value, [(3, 5)], low, high, analytic=lambda g, x, d=slope: (g * d(x),))
      for name, f, k, value, slope, low, high in _ACTIVATIONS],
    Op("clip", lambda x: fn.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), [(4, 5)],
       analytic=lambda g, x: (g * ((x >= -0.5) & (x <= 0.7)),)),
    *[Op(f"sum-axis{a}-keep{k}", lambda x, a=a, k=k: fn.sum(x, axis=a, keepdims=k),
         lambda x, a=a, k=k: np.sum(x, axis=a, keepdims=k), [(2, 3, 4)], analytic=_sum_grad(a, k))
      for a in (None, 0, 1, -1, (0, 2)) for k in (False, True)],
    *[Op(f"mean-axis{a}-keep{k}", lambda x, a=a, k=k: fn.mean(x, axis=a, keepdims=k),
         lambda x, a=a, k=k: np.mean(x, axis=a, keepdims=k), [(2, 3, 4)], analytic=_mean_grad(a, k))
      for a in (None, 1, (0, 2)) for k in (False, True)],
    *[Op(f"max-axis{a}-keep{k}", lambda x, a=a, k=k: fn.max(x, axis=a, keepdims=k),
         lambda x, a=a, k=k: np.max(x, axis=a, keepdims=k), [(3, 5)])
      for a in (None, 0, 1) for k in (False, True)],
    *[Op(f"prod-axis{a}-keep{k}", lambda x, a=a, k=k: fn.prod(x, axis=a, keepdims=k),
         lambda x, a=a, k=k: np.prod(x, axis=a, keepdims=k), [(2, 3, 4)], 0.5, 1.5)
      for a in (None, 1, -1, (0, 2)) for k in (False, True)],
    Op("method-sum", lambda x: x.sum(axis=0), lambda x: x.sum(axis=0), [(3, 4)]),
    Op("method-mean", lambda x: x.mean(1, keepdims=True), lambda x: x.mean(1, keepdims=True), [(3, 4)]),
    Op("softmax-last", fn.softmax, lambda x: _softmax(x, -1), [(3, 5)]),
    Op("softmax-axis0", lambda x: fn.softmax(x, axis=0), lambda x: _softmax(x, 0), [(4, 3, 2)]),
    Op("softmax-1d", fn.softmax, lambda x: _softmax(x, -1), [(6,)]),
    Op("log_softmax-last", fn.log_softmax, lambda x: _log_softmax(x, -1), [(3, 5)]),
    Op("log_softmax-axis1", lambda x: fn.log_softmax(x, axis=1), lambda x: _log_softmax(x, 1), [(2, 4, 3)]),
    Op("reshape", lambda x: fn.reshape(x, (6, 4)), lambda x: x.reshape(6, 4), [(2, 3, 4)]),
    Op("reshape-method", lambda x: x.reshape(-1), lambda x: x.reshape(-1), [(2, 3, 4)]),
    Op("reshape-method-args", lambda x: x.reshape(4, 1, 6), lambda x: x.reshape(4, 1, 6), [(2, 3, 4)]),
    Op("transpose", fn.transpose, np.transpose, [(2, 3, 4)]),
    Op("transpose-axes", lambda x: fn.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0)), [(2, 3, 4)]),
    Op("transpose-method", lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1), [(2, 3, 4)]),
    Op(".T", lambda x: x.T, lambda x: x.T, [(3, 5)]),
    # the chapter's slices, scaled down from (samples, 28, 28) to (12, 8, 8)
    *[Op(f"slice {name}", take, take, [(12, 8, 8)]) for name, take in [
        ("t[4]", lambda t: t[4]), ("t[2:9]", lambda t: t[2:9]), ("t[2:9, :, :]", lambda t: t[2:9, :, :]),
        ("t[:, 4:, 4:]", lambda t: t[:, 4:, 4:]), ("t[:, 2:-2, 2:-2]", lambda t: t[:, 2:-2, 2:-2]),
        ("t[4 * 2:4 * 3]", lambda t: t[4 * 2:4 * 3])]],
    # zero-size inputs
    Op("add-empty", fn.add, np.add, [(0, 3), (3,)], analytic=lambda g, x, y: (g, g)),
    Op("relu-empty", fn.relu, lambda x: np.maximum(x, 0), [(0, 4)]),
    Op("sum-empty-axis0", lambda x: fn.sum(x, axis=0), lambda x: np.sum(x, axis=0), [(0, 3)],
       analytic=_sum_grad(0, False)),
    Op("mean-empty-rows", lambda x: fn.mean(x, axis=1), lambda x: np.mean(x, axis=1), [(0, 3)]),
    Op("softmax-empty", fn.softmax, lambda x: np.zeros(x.shape, x.dtype), [(0, 5)]),
    Op("reshape-empty", lambda x: x.reshape(3, 0), lambda x: x.reshape(3, 0), [(0, 3)]),
    Op("index-int", lambda x: x[1], lambda x: x[1], [(3, 4)]),
    Op("index-negative-step", lambda x: x[::-2, 1:], lambda x: x[::-2, 1:], [(5, 4)]),
    Op("index-ellipsis-none", lambda x: x[..., None, 1], lambda x: x[..., None, 1], [(3, 4)]),
    Op("index-fancy-repeats", lambda x: x[np.array([0, 2, 0, 0])], lambda x: x[np.array([0, 2, 0, 0])], [(3, 4)]),
    Op("index-list", lambda x: x[[1, 1, 2]], lambda x: x[[1, 1, 2]], [(3, 2)]),
    Op("index-mixed", lambda x: x[:, [3, 0, 3]], lambda x: x[:, [3, 0, 3]], [(2, 4)]),
    Op("index-bool", lambda x: x[np.array([True, False, True])], lambda x: x[np.array([True, False, True])], [(3, 2)]),
]

IDS = [f"{r.name}-{'x'.join(map(str, r.shapes))}" for r in RECORDS]


def _inputs(record, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in record.shapes:
        x = rng.uniform(record.low, record.high, size=shape)
        if record.low < 0:  # keep away from the kinks of abs, relu, maximum at 0
            x = np.where(np.abs(x) < 0.05, 0.3, x)
        arrays.append(np.asarray(x, dtype=dtype))
    return arrays


def _strided(a):
    """The same values as a, as a view with negative strides on its last axis."""
    if a.ndim == 0:
        return a
    view = np.repeat(a[..., ::-1], 2, axis=-1)[..., ::-2]
    assert not view.flags.c_contiguous or a.size <= 1 or a.shape[-1] <= 1
    return view


LAYOUTS = {"contiguous": lambda a: a, "strided": _strided}


def _unbroadcast(grad, shape):
    grad = np.asarray(grad, dtype=np.float64)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return np.broadcast_to(grad, shape)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_forward_matches_numpy_and_keeps_dtype(record, dtype, layout):
    arrays = [LAYOUTS[layout](a) for a in _inputs(record, dtype)]
    out = record.fastnn_fn(*[fn.Tensor(a) for a in arrays])
    expected = record.numpy_fn(*arrays)
    assert isinstance(out, fn.Tensor)
    assert out.shape == np.shape(expected)
    assert out.dtype == dtype
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(out.data, expected, rtol=64 * eps, atol=64 * eps)


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_gradient_matches_finite_differences(record):
    assert gradcheck(record.fastnn_fn, *_inputs(record, np.float64))


@pytest.mark.parametrize("record", [r for r in RECORDS if r.analytic], ids=[i for r, i in zip(RECORDS, IDS) if r.analytic])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gradient_matches_analytic_formula(record, layout):
    arrays = [LAYOUTS[layout](a) for a in _inputs(record, np.float64)]
    tensors = [fn.Tensor(a, requires_grad=True) for a in arrays]
    out = record.fastnn_fn(*tensors)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    for t, expected in zip(tensors, record.analytic(g, *arrays)):
        assert t.grad.shape == t.shape
        np.testing.assert_allclose(t.grad, _unbroadcast(expected, t.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("record", RECORDS, ids=IDS)
def test_float32_gradients_stay_float32(record):
    tensors = [fn.Tensor(a, requires_grad=True) for a in _inputs(record, np.float32)]
    out = record.fastnn_fn(*tensors)
    out.backward(np.ones(out.shape, dtype=np.float32))
    for t in tensors:
        assert t.grad is not None and t.grad.dtype == np.float32 and t.grad.shape == t.shape
