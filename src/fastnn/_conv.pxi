# conv2d and its gradients (csrc/conv.c); max and average pooling and their gradients (csrc/pool.c).
# Images are (N, H, W, C), kernels (KH, KW, C, F); Keras's 'valid'/'same' padding (fastnn._windows).
import threading

from fastnn._windows import check_grad, conv_args, image, image_shape, output_shape, pair, pool_args

cdef extern from "fastnn.h" nogil:
    enum: FASTNN_CONV_GEOMETRY
    fnn_int fastnn_conv2d_scratch_size(const fnn_int *geometry)
    int fastnn_conv2d_f32(const fnn_int *geometry, const float *x, const float *kernel, const float *bias, int activation, float *y, float *scratch)
    int fastnn_conv2d_f64(const fnn_int *geometry, const double *x, const double *kernel, const double *bias, int activation, double *y, double *scratch)
    int fastnn_conv2d_input_grad_f32(const fnn_int *geometry, const float *dy, const float *kernel, float *dx, float *scratch)
    int fastnn_conv2d_input_grad_f64(const fnn_int *geometry, const double *dy, const double *kernel, double *dx, double *scratch)
    int fastnn_conv2d_kernel_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dkernel, float *dbias, float *scratch)
    int fastnn_conv2d_kernel_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dkernel, double *dbias, double *scratch)
    void fastnn_max_pool2d_f32(const fnn_int *geometry, const float *x, float *y)
    void fastnn_max_pool2d_f64(const fnn_int *geometry, const double *x, double *y)
    void fastnn_max_pool2d_grad_f32(const fnn_int *geometry, const float *x, const float *dy, float *dx)
    void fastnn_max_pool2d_grad_f64(const fnn_int *geometry, const double *x, const double *dy, double *dx)
    void fastnn_avg_pool2d_f32(const fnn_int *geometry, const float *x, float *y)
    void fastnn_avg_pool2d_f64(const fnn_int *geometry, const double *x, double *y)
    void fastnn_avg_pool2d_grad_f32(const fnn_int *geometry, const float *dy, float *dx)
    void fastnn_avg_pool2d_grad_f64(const fnn_int *geometry, const double *dy, double *dx)

# The im2col matrix is rebuilt on every call: each thread keeps one buffer and reuses it, so
# a training step does not fault in fresh pages for it. Larger buffers are not kept.
_SCRATCH_KEEP_BYTES = 64 << 20
_scratch_local = threading.local()


def _scratch(cnp.ndarray geom, dtype):
    """A buffer of the elements conv2d's kernels need for geom (None when they need none)."""
    cdef fnn_int n = fastnn_conv2d_scratch_size(<fnn_int *> cnp.PyArray_DATA(geom))
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


def _geometry_array(geom):
    return np.array(geom, dtype=np.intp)


def _c_array(a):
    """a itself when the kernels can read it as it is (C-contiguous, aligned, native), else a copy."""
    if a.flags.c_contiguous and a.flags.aligned and a.dtype.isnative:
        return a
    return np.array(a, dtype=a.dtype.newbyteorder("="), order="C")


def _target(out, shape, dtype, inputs):
    """(out checked or allocated, the array the kernel writes: out itself or a C-contiguous temporary)."""
    out = check_out(out, shape, dtype)
    if (out.flags.c_contiguous and out.flags.aligned and out.dtype.isnative
            and not any(_may_overlap(out, a) for a in inputs)):
        return out, out
    return out, np.empty(shape, dtype)


cdef inline fnn_int *_geom_ptr(cnp.ndarray geom):
    return <fnn_int *> cnp.PyArray_DATA(geom)


cdef inline void *_ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray> a)


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
    cdef cnp.ndarray g = _geometry_array(geom)
    scratch = _scratch(g, x.dtype)
    cdef fnn_int *gp = _geom_ptr(g)
    cdef void *px = _ptr(x)
    cdef void *pk = _ptr(kernel)
    cdef void *pb = _ptr(bias)
    cdef void *py = _ptr(y)
    cdef void *ps = _ptr(scratch)
    cdef int act = 1 if activation == "relu" else 0
    cdef int status
    if _is_f32(x):
        with nogil:
            status = fastnn_conv2d_f32(gp, <float *> px, <float *> pk, <float *> pb, act, <float *> py, <float *> ps)
    else:
        with nogil:
            status = fastnn_conv2d_f64(gp, <double *> px, <double *> pk, <double *> pb, act, <double *> py, <double *> ps)
    if status != 0:
        raise MemoryError(f"conv2d: out of memory for the GEMM's packing buffers (geometry {geom})")
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
    cdef cnp.ndarray g = _geometry_array(geom)
    scratch = _scratch(g, dy.dtype)
    cdef fnn_int *gp = _geom_ptr(g)
    cdef void *pdy = _ptr(dy)
    cdef void *pk = _ptr(kernel)
    cdef void *pdx = _ptr(dx)
    cdef void *ps = _ptr(scratch)
    cdef int status
    if _is_f32(dy):
        with nogil:
            status = fastnn_conv2d_input_grad_f32(gp, <float *> pdy, <float *> pk, <float *> pdx, <float *> ps)
    else:
        with nogil:
            status = fastnn_conv2d_input_grad_f64(gp, <double *> pdy, <double *> pk, <double *> pdx, <double *> ps)
    if status != 0:
        raise MemoryError(f"conv2d_input_grad: out of memory for the GEMM's packing buffers (geometry {geom})")
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
    cdef cnp.ndarray g = _geometry_array(geom)
    scratch = _scratch(g, x.dtype)
    cdef fnn_int *gp = _geom_ptr(g)
    cdef void *px = _ptr(x)
    cdef void *pdy = _ptr(dy)
    cdef void *pdk = _ptr(dkernel)
    cdef void *pdb = _ptr(dbias)
    cdef void *ps = _ptr(scratch)
    cdef int status
    if _is_f32(x):
        with nogil:
            status = fastnn_conv2d_kernel_grad_f32(gp, <float *> px, <float *> pdy, <float *> pdk, <float *> pdb, <float *> ps)
    else:
        with nogil:
            status = fastnn_conv2d_kernel_grad_f64(gp, <double *> px, <double *> pdy, <double *> pdk, <double *> pdb, <double *> ps)
    if status != 0:
        raise MemoryError(f"conv2d_kernel_grad: out of memory for the GEMM's packing buffers (geometry {geom})")
    return dkernel, dbias


cdef _pool(int op, tuple geom, object x, object dy, object target):
    """op 0 max_pool2d, 1 avg_pool2d, 2 max_pool2d_grad, 3 avg_pool2d_grad."""
    cdef cnp.ndarray g = _geometry_array(geom)
    cdef fnn_int *gp = _geom_ptr(g)
    cdef void *px = _ptr(x)
    cdef void *pdy = _ptr(dy)
    cdef void *pt = _ptr(target)
    cdef bint f32 = _is_f32(<cnp.ndarray> target)
    with nogil:
        if op == 0 and f32:
            fastnn_max_pool2d_f32(gp, <float *> px, <float *> pt)
        elif op == 0:
            fastnn_max_pool2d_f64(gp, <double *> px, <double *> pt)
        elif op == 1 and f32:
            fastnn_avg_pool2d_f32(gp, <float *> px, <float *> pt)
        elif op == 1:
            fastnn_avg_pool2d_f64(gp, <double *> px, <double *> pt)
        elif op == 2 and f32:
            fastnn_max_pool2d_grad_f32(gp, <float *> px, <float *> pdy, <float *> pt)
        elif op == 2:
            fastnn_max_pool2d_grad_f64(gp, <double *> px, <double *> pdy, <double *> pt)
        elif f32:
            fastnn_avg_pool2d_grad_f32(gp, <float *> pdy, <float *> pt)
        else:
            fastnn_avg_pool2d_grad_f64(gp, <double *> pdy, <double *> pt)


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
