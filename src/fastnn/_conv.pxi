# conv2d and its gradients (csrc/conv.c); max and average pooling and their gradients (csrc/pool.c).
# Images are (N, H, W, C), kernels (KH, KW, C, F); Keras's 'valid'/'same' padding (fastnn._windows).
import threading

from fastnn._windows import check_grad, conv_args, image, image_shape, output_shape, pair, pool_args

cdef extern from "fastnn.h" nogil:
    enum: FASTNN_CONV_GEOMETRY
    fnn_int fastnn_conv2d_scratch_size(const fnn_int *geometry)

# The kernel gradient's partial sums: each thread keeps one buffer and reuses it, so a training
# step does not fault in fresh pages for it. Larger buffers are not kept. A recorded call holds
# the buffer it used, so its pointer stays valid when the thread's buffer is replaced.
_SCRATCH_KEEP_BYTES = 64 << 20
_scratch_local = threading.local()


def _scratch(tuple geom, dtype):
    """A buffer of the elements conv2d's kernels need for geom (None when they need none)."""
    cdef fnn_int g[FASTNN_CONV_GEOMETRY]
    cdef int j
    for j in range(FASTNN_CONV_GEOMETRY):
        g[j] = geom[j]
    cdef fnn_int n = fastnn_conv2d_scratch_size(g)
    if n == 0:
        return None
    nbytes = n * dtype.itemsize
    if nbytes > _SCRATCH_KEEP_BYTES:
        return np.empty(n, dtype)
    buffer = getattr(_scratch_local, "buffer", None)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = np.empty(nbytes, np.uint8)
        _scratch_local.buffer = buffer
    return buffer[:nbytes].view(dtype)


cdef inline void *_ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray> a)


cdef int _window_call(int kernel, tuple geom, object dtype_source, int op, object p0, object p1, object p2,
                      object p3, object p4, tuple reads, tuple writes) except -1:
    """Runs (and records) one convolution or pooling call: geometry in shape, operands in p."""
    cdef KernelCall call
    cdef int j
    call.kernel = kernel
    call.f32 = _is_f32(<cnp.ndarray> dtype_source)
    call.op = op
    call.nd = 0
    for j in range(FASTNN_CONV_GEOMETRY):
        call.shape[j] = geom[j]
    call.p[0] = _ptr(p0)
    call.p[1] = _ptr(p1)
    call.p[2] = _ptr(p2)
    call.p[3] = _ptr(p3)
    call.p[4] = _ptr(p4)
    call.p[5] = NULL
    return _run(&call, reads, writes)


def conv2d(x, kernel, bias=None, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1), activation=None,
           out=None):
    """y[n, i, j, f] = act(sum_{a,b,c} x[n, i*sh + a*dh - pad_top, j*sw + b*dw - pad_left, c]
    * kernel[a, b, c, f] + bias[f]), zero outside the image; x (N, H, W, C), kernel (KH, KW, C, F)."""
    if bias is None:
        x, kernel = as_float_arrays(x=x, kernel=kernel)
    else:
        x, kernel, bias = as_float_arrays(x=x, kernel=kernel, bias=bias)
    x = image(x, "x", "conv2d")
    geom = conv_args("conv2d", x.shape, kernel.shape, strides, padding, dilation_rate)
    if bias is not None and bias.shape != (kernel.shape[3],):
        raise ValueError(f"conv2d: bias has shape {bias.shape}, expected ({kernel.shape[3]},)")
    if activation not in _MATMUL_ACTIVATIONS:
        raise ValueError(f"conv2d: unknown activation {activation!r}; known: {_MATMUL_ACTIVATIONS}")
    x, kernel = _c_array(x), _c_array(kernel)
    if bias is not None:
        bias = _c_array(bias)
    out, y = _target(out, output_shape(geom), x.dtype, (x, kernel, bias))
    scratch = _scratch(geom, x.dtype)
    _window_call(K_CONV2D, geom, x, 1 if activation == "relu" else 0, x, kernel, bias, y, scratch,
                 (x, kernel, bias), (y, scratch))
    _copy_back(y, out)
    return out


def conv2d_input_grad(dy, kernel, input_shape, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1), out=None):
    """dx = d(sum(conv2d(x, kernel) * dy))/dx for x of input_shape (N, H, W, C)."""
    dy, kernel = as_float_arrays(dy=dy, kernel=kernel)
    input_shape = image_shape(input_shape, "input_shape", "conv2d_input_grad")
    geom = conv_args("conv2d_input_grad", input_shape, kernel.shape, strides, padding, dilation_rate)
    check_grad(dy, geom, "conv2d_input_grad")
    dy, kernel = _c_array(dy), _c_array(kernel)
    out, dx = _target(out, input_shape, dy.dtype, (dy, kernel))
    scratch = _scratch(geom, dy.dtype)
    _window_call(K_CONV2D_INPUT_GRAD, geom, dy, 0, dy, kernel, None, dx, scratch, (dy, kernel), (dx, scratch))
    _copy_back(dx, out)
    return out


def conv2d_kernel_grad(x, dy, kernel_size, *, strides=(1, 1), padding="valid", dilation_rate=(1, 1)):
    """(dkernel, dbias): the gradients of sum(conv2d(x, kernel, bias) * dy) for a kernel of
    kernel_size (KH, KW); both are sums over n, i, j."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = image(x, "x", "conv2d_kernel_grad")
    kh, kw = pair(kernel_size, "kernel_size", "conv2d_kernel_grad")
    if dy.ndim != 4:
        raise ValueError(f"conv2d_kernel_grad: dy must be 4-D. Received: dy with shape {dy.shape}")
    kernel_shape = (kh, kw, x.shape[3], dy.shape[3])
    geom = conv_args("conv2d_kernel_grad", x.shape, kernel_shape, strides, padding, dilation_rate)
    check_grad(dy, geom, "conv2d_kernel_grad")
    x, dy = _c_array(x), _c_array(dy)
    dkernel = np.empty(kernel_shape, x.dtype)
    dbias = np.empty(kernel_shape[3], x.dtype)
    scratch = _scratch(geom, x.dtype)
    _window_call(K_CONV2D_KERNEL_GRAD, geom, x, 0, x, dy, dkernel, dbias, scratch, (x, dy),
                 (dkernel, dbias, scratch))
    return dkernel, dbias


_POOL_KERNELS = (K_MAX_POOL2D, K_AVG_POOL2D, K_MAX_POOL2D_GRAD, K_AVG_POOL2D_GRAD)


cdef _pool(int op, tuple geom, object x, object dy, object target):
    """op 0 max_pool2d, 1 avg_pool2d, 2 max_pool2d_grad, 3 avg_pool2d_grad."""
    reads = (x,) if op < 2 else ((x, dy) if op == 2 else (dy,))
    _window_call(_POOL_KERNELS[op], geom, target, 0, x, dy, None, target, None, reads, (target,))


def _pool_forward(op, name, x, pool_size, strides, padding, out):
    x = image(x, "x", name)
    geom = pool_args(name, x.shape, pool_size, strides, padding)
    x = _c_array(x)
    out, y = _target(out, output_shape(geom), x.dtype, (x,))
    _pool(op, geom, x, None, y)
    _copy_back(y, out)
    return out


def max_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """y[n, i, j, c] = max of x[n, i*sh - pad_top + a, j*sw - pad_left + b, c] over the pool's positions
    inside the image (a NaN wins); strides default to pool_size."""
    return _pool_forward(0, "max_pool2d", x, pool_size, strides, padding, out)


def avg_pool2d(x, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """y[n, i, j, c] = mean of x over the pool's positions inside the image (padding is not counted)."""
    return _pool_forward(1, "avg_pool2d", x, pool_size, strides, padding, out)


def max_pool2d_grad(x, dy, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """dx: each dy[n, i, j, c] added at the position of its window's maximum in x, the first in
    row-major window order when several are equal."""
    x, dy = as_float_arrays(x=x, dy=dy)
    x = image(x, "x", "max_pool2d_grad")
    geom = pool_args("max_pool2d_grad", x.shape, pool_size, strides, padding)
    check_grad(dy, geom, "max_pool2d_grad")
    x, dy = _c_array(x), _c_array(dy)
    out, dx = _target(out, x.shape, x.dtype, (x, dy))
    _pool(2, geom, x, dy, dx)
    _copy_back(dx, out)
    return out


def avg_pool2d_grad(dy, input_shape, pool_size=(2, 2), strides=None, padding="valid", out=None):
    """dx for images of input_shape: each dy[n, i, j, c] / count added at its window's positions
    inside the image."""
    dy = as_float_array(dy, "dy")
    input_shape = image_shape(input_shape, "input_shape", "avg_pool2d_grad")
    geom = pool_args("avg_pool2d_grad", input_shape, pool_size, strides, padding)
    check_grad(dy, geom, "avg_pool2d_grad")
    dy = _c_array(dy)
    out, dx = _target(out, input_shape, dy.dtype, (dy,))
    _pool(3, geom, None, dy, dx)
    _copy_back(dx, out)
    return out
