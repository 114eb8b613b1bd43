"""Converters of the core layers: Dense, Activation, Dropout and the layers that only move values."""
import numpy as np

from . import activations
from .errors import refuse


def _array(weight):
    return np.asarray(weight.data)


def affine(b, layer, x, kernel, bias, hint):
    """x @ kernel + bias over the last axis (kernel and bias initializer names, bias may be None)."""
    y = b.op("MatMul", [x, kernel], hint)
    return y if bias is None else b.op("Add", [y, bias], hint)


def dense(b, layer, xs):
    kernel = b.weight(layer, "kernel", lambda: _array(layer.kernel))
    bias = b.weight(layer, "bias", lambda: _array(layer.bias)) if layer.bias is not None else None
    y = affine(b, layer, xs[0].name, kernel, bias, layer.name)
    return [activations.apply(b, layer.activation, y, layer.name, layer)]


def activation(b, layer, xs):
    return [activations.apply(b, layer.activation, xs[0].name, layer.name, layer)]


def leaky_relu(b, layer, xs):
    return [activations.leaky_relu(b, xs[0].name, layer.negative_slope, layer.name)]


def elu(b, layer, xs):
    return [activations.elu(b, xs[0].name, layer.alpha, layer.name)]


def identity(b, layer, xs):
    """Dropout and the noise layers: the identity at inference."""
    return [b.op("Identity", [xs[0].name], layer.name)]


def flatten(b, layer, xs):
    """(batch, ...) -> (batch, -1), in row-major order of fastnn's (channels-last) axes."""
    x = xs[0]
    if len(x.shape) == 2:
        return [b.op("Identity", [x.name], layer.name)]
    return [b.reshape(x.name, [0, -1], layer.name)]


def reshape(b, layer, xs):
    return [b.reshape(xs[0].name, [0] + list(layer.target_shape), layer.name)]


def repeat_vector(b, layer, xs):
    expanded = b.unsqueeze(xs[0].name, [1], layer.name)
    return [b.op("Tile", [expanded, b.ints([1, layer.n, 1], f"{layer.name}/repeats")], layer.name)]


def permute(b, layer, xs):
    return [b.transpose(xs[0].name, (0,) + tuple(layer.dims), layer.name)]


def masking(b, layer, xs):
    refuse(layer, "masks have no ONNX form in fastnn's exporter")
