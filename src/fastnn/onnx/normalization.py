"""BatchNormalization in its inference form: x * scale + shift along the layer's axis, with
scale = gamma / sqrt(moving_variance + epsilon), shift = beta - moving_mean * scale."""
import numpy as np


def _folded(layer):
    mean = np.asarray(layer.moving_mean.data, np.float64)
    variance = np.asarray(layer.moving_variance.data, np.float64)
    gamma = np.asarray(layer.gamma.data, np.float64) if layer.gamma is not None else 1.0
    beta = np.asarray(layer.beta.data, np.float64) if layer.beta is not None else 0.0
    scale = gamma / np.sqrt(variance + layer.epsilon)
    return scale, beta - mean * scale


def batch_normalization(b, layer, xs):
    x = xs[0]
    rank = len(x.shape)
    trailing = rank - 1 - layer.axis % rank  # axes after the normalized one: the parameters broadcast over them
    shape = (-1,) + (1,) * trailing
    scale = b.weight(layer, "scale", lambda: _folded(layer)[0].reshape(shape))
    shift = b.weight(layer, "shift", lambda: _folded(layer)[1].reshape(shape))
    return [b.op("Add", [b.op("Mul", [x.name, scale], layer.name), shift], layer.name)]
