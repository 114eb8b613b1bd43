"""Converters of the poolings over windows (1-D and 2-D) and over whole images or sequences."""
from .layout import channels_first, channels_last, window_attributes


def _sizes(layer):
    """pool_size and strides as tuples (the 1-D poolings store single ints)."""
    as_tuple = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)
    return as_tuple(layer.pool_size), as_tuple(layer.strides)


def _pool(op_type, b, layer, xs, **extra):
    x = xs[0]
    rank = len(x.shape)
    pool_size, strides = _sizes(layer)
    attributes = window_attributes(x.shape[1:-1], pool_size, strides, (1,) * len(pool_size), layer.padding)
    y = b.op(op_type, [channels_first(b, x.name, rank, layer.name)], layer.name, **attributes, **extra)
    return [channels_last(b, y, rank, layer.name)]


def max_pooling(b, layer, xs):
    return _pool("MaxPool", b, layer, xs)


def average_pooling(b, layer, xs):
    """The mean over the window's positions inside the image (count_include_pad=0), as Keras."""
    return _pool("AveragePool", b, layer, xs, count_include_pad=0)


def _global(op_type, b, layer, xs):
    x = xs[0]
    return [b.reduce(op_type, x.name, list(range(1, len(x.shape) - 1)), layer.name, keepdims=layer.keepdims)]


def global_average_pooling(b, layer, xs):
    return _global("ReduceMean", b, layer, xs)


def global_max_pooling(b, layer, xs):
    return _global("ReduceMax", b, layer, xs)
