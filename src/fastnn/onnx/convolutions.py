"""Converters of the convolutions: Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D.

fastnn's inputs are channels-last; each convolution is written between a transpose to
channels-first and one back (ONNX Runtime's optimizer removes the pairs that cancel)."""
import numpy as np

from .. import _windows
from . import activations
from .errors import refuse
from .layout import channels_first, channels_last, window_attributes


def _array(weight):
    return np.asarray(weight.data)


def _bias(b, layer, weight):
    return [b.weight(layer, "bias", lambda: _array(weight))] if weight is not None else []


def _conv(b, layer, x, kernel_name, bias, kernel, strides, dilations, padding, group=1):
    """An ONNX Conv of channels-last x (a Value) with the activation of the layer applied."""
    rank = len(x.shape)
    first = channels_first(b, x.name, rank, layer.name)
    attributes = window_attributes(x.shape[1:-1], kernel, strides, dilations, padding)
    y = b.op("Conv", [first, kernel_name] + bias, layer.name, group=group, **attributes)
    return channels_last(b, y, rank, layer.name)


def conv1d(b, layer, xs):
    # kernel (K, C, F) -> (F, C, K)
    kernel = b.weight(layer, "kernel", lambda: _array(layer.kernel).transpose(2, 1, 0))
    y = _conv(b, layer, xs[0], kernel, _bias(b, layer, layer.bias), [layer.kernel_size], [layer.strides],
              [layer.dilation_rate], layer.padding)
    return [activations.apply(b, layer.activation, y, layer.name, layer)]


def conv2d(b, layer, xs):
    # kernel (KH, KW, C, F) -> (F, C, KH, KW)
    kernel = b.weight(layer, "kernel", lambda: _array(layer.kernel).transpose(3, 2, 0, 1))
    y = _conv(b, layer, xs[0], kernel, _bias(b, layer, layer.bias), layer.kernel_size, layer.strides,
              layer.dilation_rate, layer.padding)
    return [activations.apply(b, layer.activation, y, layer.name, layer)]


def _depthwise_kernel(kernel):
    """(KH, KW, C, M) -> (C * M, 1, KH, KW): output channel c * M + m, as fastnn orders them."""
    kh, kw, c, m = kernel.shape
    return kernel.reshape(kh, kw, c * m).transpose(2, 0, 1)[:, None]


def depthwise_conv2d(b, layer, xs):
    kernel = b.weight(layer, "kernel", lambda: _depthwise_kernel(_array(layer.kernel)))
    y = _conv(b, layer, xs[0], kernel, _bias(b, layer, layer.bias), layer.kernel_size, layer.strides,
              layer.dilation_rate, layer.padding, group=xs[0].shape[-1])
    return [activations.apply(b, layer.activation, y, layer.name, layer)]


def separable_conv2d(b, layer, xs):
    x = xs[0]
    first = channels_first(b, x.name, 4, layer.name)
    depthwise = b.weight(layer, "depthwise_kernel", lambda: _depthwise_kernel(_array(layer.depthwise_kernel)))
    attributes = window_attributes(x.shape[1:3], layer.kernel_size, layer.strides, layer.dilation_rate,
                                   layer.padding)
    y = b.op("Conv", [first, depthwise], layer.name, group=x.shape[-1], **attributes)
    pointwise = b.weight(layer, "pointwise_kernel", lambda: _array(layer.pointwise_kernel).transpose(3, 2, 0, 1))
    y = b.op("Conv", [y, pointwise] + _bias(b, layer, layer.bias), layer.name, kernel_shape=[1, 1])
    y = channels_last(b, y, 4, layer.name)
    return [activations.apply(b, layer.activation, y, layer.name, layer)]


def conv2d_transpose(b, layer, xs):
    x = xs[0]
    if None in x.shape[1:3]:
        refuse(layer, f"its input's height and width must be known (input shape {x.shape})")
    pads_before, pads_after, extra = [], [], []
    for size, k, s, d, e in zip(x.shape[1:3], layer.kernel_size, layer.strides, layer.dilation_rate,
                                layer.output_padding or (None, None)):
        out, before = _windows.transpose_size(size, k, s, d, layer.padding, e)
        after = (size - 1) * s + (k - 1) * d + 1 - before - out  # what the full transposed output loses at the end
        pads_before.append(before)
        pads_after.append(max(after, 0))
        extra.append(max(-after, 0))
    # kernel (KH, KW, F, C) -> (C, F, KH, KW)
    kernel = b.weight(layer, "kernel", lambda: _array(layer.kernel).transpose(3, 2, 0, 1))
    attributes = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.strides),
                  "dilations": list(layer.dilation_rate), "pads": pads_before + pads_after}
    if any(extra):
        attributes["output_padding"] = extra
    first = channels_first(b, x.name, 4, layer.name)
    y = b.op("ConvTranspose", [first, kernel] + _bias(b, layer, layer.bias), layer.name, **attributes)
    y = channels_last(b, y, 4, layer.name)
    return [activations.apply(b, layer.activation, y, layer.name, layer)]
