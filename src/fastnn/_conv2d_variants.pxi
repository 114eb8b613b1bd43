# Transposed convolutions, run by the convolution kernels (csrc/conv.c) with the roles of the
# images and outputs exchanged, and depthwise convolutions (csrc/depthwise_conv.c).
# Images are (N, H, W, C); a transposed kernel is (KH, KW, filters, C), a depthwise one (KH, KW, C, M).
from fastnn._windows import (depthwise_args, depthwise_output_shape, positive_int, transpose_args,
                             transpose_output_shape)


def _transpose_geometry(owner, x_shape, kernel_shape, strides, padding, output_padding, dilation_rate):
    return transpose_args(owner, x_shape, kernel_shape, strides, padding, output_padding, dilation_rate)


def conv2d_transpose(x, kernel, *, strides=(1, 1), padding="valid", output_padding=None, dilation_rate=(1, 1),
                     out=None):
    """The transposed convolution of Keras's Conv2DTranspose (without bias): y is the input gradient
    of the convolution of y-shaped images by kernel (KH, KW, filters, C) whose outputs are x
    (N, H, W, C); y is (N, OH, OW, filters), OH = (H - 1) * sh + extent (+ output_padding) for
    'valid', H * sh for 'same' (see fastnn._windows.transpose_size)."""
    x, kernel = as_float_arrays(x=x, kernel=kernel)
    x = image(x, "x", "conv2d_transpose")
    geom = _transpose_geometry("conv2d_transpose", x.shape, kernel.shape, strides, padding, output_padding,
                               dilation_rate)
    x, kernel = _c_array(x), _c_array(kernel)
    out, y = _target(out, transpose_output_shape(geom), x.dtype, (x, kernel))
    _window_call(K_CONV2D_INPUT_GRAD, geom, x, 0, x, kernel, None, y, None, (x, kernel), (y,))
    _copy_back(y, out)
    return out


def conv2d_transpose_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", output_padding=None,
                                dilation_rate=(1, 1), out=None):
    """dx = d(sum(conv2d_transpose(x, kernel) * dy))/dx for x of input_shape (N, H, W, C): the
    convolution of dy by kernel."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = image_shape(input_shape, "input_shape", "conv2d_transpose_input_grad")
    geom = _transpose_geometry("conv2d_transpose_input_grad", input_shape, kernel.shape, strides, padding,
                               output_padding, dilation_rate)
    if dy.shape != transpose_output_shape(geom):
        raise ValueError(f"conv2d_transpose_input_grad: dy has shape {dy.shape}, expected "
                         f"{transpose_output_shape(geom)} for these inputs")
    dy, kernel = _c_array(dy), _c_array(kernel)
    out, dx = _target(out, input_shape, dy.dtype, (dy, kernel))
    _window_call(K_CONV2D, geom, dy, 0, dy, kernel, None, dx, None, (dy, kernel), (dx,))
    _copy_back(dx, out)
    return out


def conv2d_transpose_kernel_grad(x, dy, kernel_size, *, strides=(1, 1), padding="valid", output_padding=None,
                                 dilation_rate=(1, 1)):
    """dkernel (KH, KW, filters, C): the gradient of sum(conv2d_transpose(x, kernel) * dy) for a kernel
    of kernel_size (KH, KW), dy (N, OH, OW, filters); a sum over n, oh, ow."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = image(x, "x", "conv2d_transpose_kernel_grad")
    kh, kw = pair(kernel_size, "kernel_size", "conv2d_transpose_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"conv2d_transpose_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, dy.shape[3], x.shape[3])
    geom = _transpose_geometry("conv2d_transpose_kernel_grad", x.shape, kernel_shape, strides, padding,
                               output_padding, dilation_rate)
    if dy.shape != transpose_output_shape(geom):
        raise ValueError(f"conv2d_transpose_kernel_grad: dy has shape {dy.shape}, expected "
                         f"{transpose_output_shape(geom)} for these inputs")
    x, dy = _c_array(x), _c_array(dy)
    dkernel = np.empty(kernel_shape, x.dtype)
    scratch = _scratch(geom, x.dtype)
    _window_call(K_CONV2D_KERNEL_GRAD, geom, x, 0, dy, x, dkernel, None, scratch, (dy, x), (dkernel, scratch))
    return dkernel


def _depthwise_geometry(owner, x_shape, kernel_shape, strides, padding, dilation_rate):
    return depthwise_args(owner, x_shape, kernel_shape, strides, padding, dilation_rate)


def _check_depthwise_grad(owner, dy, geom):
    want = depthwise_output_shape(geom)
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
    x = image(x, "x", "depthwise_conv2d")
    geom = _depthwise_geometry("depthwise_conv2d", x.shape, kernel.shape, strides, padding, dilation_rate)
    channels = kernel.shape[2] * kernel.shape[3]
    if bias is not None and bias.shape != (channels,):
        raise ValueError(f"depthwise_conv2d: bias has shape {bias.shape}, expected ({channels},)")
    if activation not in _MATMUL_ACTIVATIONS:
        raise ValueError(f"depthwise_conv2d: unknown activation {activation!r}; known: {_MATMUL_ACTIVATIONS}")
    x, kernel = _c_array(x), _c_array(kernel)
    if bias is not None:
        bias = _c_array(bias)
    out, y = _target(out, depthwise_output_shape(geom), x.dtype, (x, kernel, bias))
    _window_call(K_DEPTHWISE_CONV2D, geom, x, 1 if activation == "relu" else 0, x, kernel, bias, y, None,
                 (x, kernel, bias), (y,))
    _copy_back(y, out)
    return out


def depthwise_conv2d_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1),
                                out=None):
    """dx = d(sum(depthwise_conv2d(x, kernel) * dy))/dx for x of input_shape (N, H, W, C)."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = image_shape(input_shape, "input_shape", "depthwise_conv2d_input_grad")
    geom = _depthwise_geometry("depthwise_conv2d_input_grad", input_shape, kernel.shape, strides, padding,
                               dilation_rate)
    _check_depthwise_grad("depthwise_conv2d_input_grad", dy, geom)
    dy, kernel = _c_array(dy), _c_array(kernel)
    out, dx = _target(out, input_shape, dy.dtype, (dy, kernel))
    _window_call(K_DEPTHWISE_CONV2D_INPUT_GRAD, geom, dy, 0, dy, kernel, None, dx, None, (dy, kernel), (dx,))
    _copy_back(dx, out)
    return out


def depthwise_conv2d_kernel_grad(x, dy, kernel_size, *, depth_multiplier=1, strides=(1, 1), padding="valid",
                                 dilation_rate=(1, 1)):
    """(dkernel, dbias): the gradients of sum(depthwise_conv2d(x, kernel, bias) * dy) for a kernel of
    kernel_size (KH, KW) and depth_multiplier M, dkernel (KH, KW, C, M), dbias (C * M,)."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = image(x, "x", "depthwise_conv2d_kernel_grad")
    kh, kw = pair(kernel_size, "kernel_size", "depthwise_conv2d_kernel_grad")
    multiplier = positive_int(depth_multiplier, "depth_multiplier", "depthwise_conv2d_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"depthwise_conv2d_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, x.shape[3], multiplier)
    geom = _depthwise_geometry("depthwise_conv2d_kernel_grad", x.shape, kernel_shape, strides, padding, dilation_rate)
    _check_depthwise_grad("depthwise_conv2d_kernel_grad", dy, geom)
    x, dy = _c_array(x), _c_array(dy)
    dkernel = np.empty(kernel_shape, x.dtype)
    dbias = np.empty(x.shape[3] * multiplier, x.dtype)
    _window_call(K_DEPTHWISE_CONV2D_KERNEL_GRAD, geom, x, 0, x, dy, dkernel, dbias, None, (x, dy), (dkernel, dbias))
    return dkernel, dbias
