"""Argument checks and output sizes shared by the convolution and pooling kernels and their oracles.

Sizes follow Keras: 'valid' keeps the windows inside the image, out = (in - extent) // s + 1
with extent = (k - 1) * d + 1; 'same' gives out = ceil(in / s) and pads
max((out - 1) * s + extent - in, 0) in total, the smaller half before (top, left).
"""
import numpy as np

from ._arrays import as_float_array

PADDINGS = ("valid", "same")
AXES = ("height", "width")


def pair(value, name, owner):
    """(a, b) of positive ints from an int or a sequence of two; ValueError naming the argument."""
    values = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (values is None or len(values) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in values)):
        raise ValueError(f"{owner}: {name} must be a positive integer or a tuple of 2 positive integers. "
                         f"Received: {name}={value!r}")
    return int(values[0]), int(values[1])


def padding_mode(padding, owner):
    """'valid' or 'same' (any case); ValueError otherwise."""
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in PADDINGS:
        raise ValueError(f"{owner}: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    return mode


def output_size(size, window, stride, dilation, padding, owner, axis):
    """(output size, padding before) along one axis; ValueError when 'valid' leaves no window."""
    extent = (window - 1) * dilation + 1
    if padding == "same":
        out = -(-size // stride)
        return out, max((out - 1) * stride + extent - size, 0) // 2
    if size < extent:
        what = f"window {window}" if dilation == 1 else f"window {window} with dilation {dilation} (extent {extent})"
        raise ValueError(f"{owner}: the {what} is larger than the input's {axis} {size} with padding='valid'")
    return (size - extent) // stride + 1, 0


def geometry(owner, image_shape, window, strides, padding, dilation=(1, 1), filters=None):
    """The geometry array the C kernels take (fastnn.h's FASTNN_CONV_* layout) as a tuple of ints,
    for NHWC images of image_shape."""
    n, h, w, c = image_shape
    (oh, pt), (ow, pl) = (output_size(size, k, s, d, padding, owner, axis)
                          for size, k, s, d, axis in zip((h, w), window, strides, dilation, AXES))
    f = c if filters is None else filters
    return (n, h, w, c, window[0], window[1], f, oh, ow, strides[0], strides[1],
            dilation[0], dilation[1], pt, pl)


def output_shape(geom):
    """(N, OH, OW, F) of a geometry tuple."""
    return (geom[0], geom[7], geom[8], geom[6])


def image(x, name, owner):
    """x as a float array of 4 axes (N, H, W, C)."""
    x = as_float_array(x, name)
    if x.ndim != 4:
        raise ValueError(f"{owner}: {name} must be 4-D (batch, height, width, channels). "
                         f"Received: {name} with shape {x.shape}")
    return x


def image_shape(shape, name, owner):
    """shape as a tuple of 4 non-negative ints."""
    try:
        shape = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        shape = None
    if shape is None or len(shape) != 4 or min(shape) < 0:
        raise ValueError(f"{owner}: {name} must be 4 non-negative sizes (batch, height, width, channels). "
                         f"Received: {name}={shape!r}")
    return shape


def check_grad(dy, geom, owner):
    """ValueError unless dy has the output shape of geom."""
    want = output_shape(geom)
    if dy.shape != want:
        raise ValueError(f"{owner}: dy has shape {dy.shape}, expected {want} for these inputs")


def conv_args(owner, x_shape, kernel_shape, strides, padding, dilation_rate):
    """The geometry of a convolution of images of x_shape by a kernel of kernel_shape (KH, KW, C, F)."""
    if len(kernel_shape) != 4:
        raise ValueError(f"{owner}: kernel must be 4-D (height, width, in_channels, filters). "
                         f"Received: kernel with shape {tuple(kernel_shape)}")
    if kernel_shape[2] != x_shape[3]:
        raise ValueError(f"{owner}: the kernel expects {kernel_shape[2]} input channels (shape "
                         f"{tuple(kernel_shape)}), the images have {x_shape[3]} (shape {tuple(x_shape)})")
    if kernel_shape[0] == 0 or kernel_shape[1] == 0:
        raise ValueError(f"{owner}: kernel height and width must be positive. Received: kernel with shape "
                         f"{tuple(kernel_shape)}")
    return geometry(owner, x_shape, kernel_shape[:2], pair(strides, "strides", owner), padding_mode(padding, owner),
                    pair(dilation_rate, "dilation_rate", owner), filters=kernel_shape[3])


def pool_args(owner, x_shape, pool_size, strides, padding):
    """The geometry of a pooling of images of x_shape; strides default to pool_size."""
    pool_size = pair(pool_size, "pool_size", owner)
    strides = pool_size if strides is None else pair(strides, "strides", owner)
    return geometry(owner, x_shape, pool_size, strides, padding_mode(padding, owner))


def non_negative_pair(value):
    """(a, b) of non-negative ints from an int (both) or a pair, or None when value is neither."""
    values = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        return None
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0
                                   for v in values):
        return None
    return int(values[0]), int(values[1])


def output_padding_pair(value, strides, owner):
    """None, or (a, b) of non-negative ints each smaller than its stride (Keras's rule)."""
    if value is None:
        return None
    values = non_negative_pair(value)
    if values is None:
        raise ValueError(f"{owner}: output_padding must be None, a non-negative integer or a tuple of 2 non-negative "
                         f"integers. Received: output_padding={value!r}")
    for axis, v, s in zip(AXES, values, strides):
        if v >= s:
            raise ValueError(f"{owner}: output_padding must be smaller than strides along each axis; along the "
                             f"{axis} it is {v} with strides {s}. Received: output_padding={value!r}, "
                             f"strides={tuple(strides)}")
    return values


def transpose_size(size, window, stride, dilation, padding, output_padding):
    """(output size, padding before) along one axis of a transposed convolution, as Keras sizes it:
    'valid' gives (size - 1) * s + extent + output_padding (output_padding None: max(s - extent, 0)),
    'same' gives size * s (output_padding None) or (size - 1) * s + extent % 2 + output_padding.
    The padding before is that of the convolution this one transposes: extent - 1 minus the rows
    Keras (as jax.lax.conv_transpose) pads the stretched input with before it."""
    extent = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(stride - extent, 0) if output_padding is None else output_padding
        return max((size - 1) * stride + extent + extra, 0), 0
    if output_padding is None:
        total = stride + extent - 2
        out = size * stride
    else:
        total = extent + extent % 2 - 2 + output_padding
        out = max((size - 1) * stride + extent % 2 + output_padding, 0)
    before = min(total // 2 + total % 2, extent - 1)
    return out, extent - 1 - before


def transpose_args(owner, x_shape, kernel_shape, strides, padding, output_padding, dilation_rate):
    """The geometry of the convolution whose input gradient is the transposed convolution of images
    of x_shape (N, H, W, Cin) by a kernel of kernel_shape (KH, KW, filters, Cin): its images are the
    transposed convolution's outputs (N, OH, OW, filters) and its outputs the inputs."""
    if len(kernel_shape) != 4:
        raise ValueError(f"{owner}: kernel must be 4-D (height, width, filters, in_channels). "
                         f"Received: kernel with shape {tuple(kernel_shape)}")
    if kernel_shape[3] != x_shape[3]:
        raise ValueError(f"{owner}: the kernel expects {kernel_shape[3]} input channels (shape "
                         f"{tuple(kernel_shape)}), the images have {x_shape[3]} (shape {tuple(x_shape)})")
    if kernel_shape[0] == 0 or kernel_shape[1] == 0:
        raise ValueError(f"{owner}: kernel height and width must be positive. Received: kernel with shape "
                         f"{tuple(kernel_shape)}")
    strides = pair(strides, "strides", owner)
    dilation = pair(dilation_rate, "dilation_rate", owner)
    padding = padding_mode(padding, owner)
    extra = output_padding_pair(output_padding, strides, owner)
    n, h, w, cin = x_shape
    (oh, pt), (ow, pl) = (transpose_size(size, k, s, d, padding, None if extra is None else e)
                          for size, k, s, d, e in zip((h, w), kernel_shape[:2], strides, dilation, extra or (0, 0)))
    filters = kernel_shape[2]
    return (n, oh, ow, filters, kernel_shape[0], kernel_shape[1], cin, h, w, strides[0], strides[1],
            dilation[0], dilation[1], pt, pl)


def transpose_output_shape(geom):
    """(N, OH, OW, filters) of a transposed convolution's geometry (the images of the convolution it transposes)."""
    return tuple(geom[:4])


def depthwise_args(owner, x_shape, kernel_shape, strides, padding, dilation_rate):
    """The geometry of a depthwise convolution of images of x_shape by a kernel of kernel_shape
    (KH, KW, C, M): a convolution's, with F holding the depth multiplier M."""
    if len(kernel_shape) != 4:
        raise ValueError(f"{owner}: kernel must be 4-D (height, width, channels, depth_multiplier). "
                         f"Received: kernel with shape {tuple(kernel_shape)}")
    return conv_args(owner, x_shape, kernel_shape, strides, padding, dilation_rate)


def depthwise_output_shape(geom):
    """(N, OH, OW, C * M) of a depthwise convolution's geometry."""
    return (geom[0], geom[7], geom[8], geom[3] * geom[6])


def positive_int(value, name, owner):
    """value as a positive int; ValueError naming the argument otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive integer. Received: {name}={value!r}")
    return int(value)
