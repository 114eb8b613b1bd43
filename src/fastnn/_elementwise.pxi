# add, sum_to_shape, relu, relu_grad (csrc/elementwise.c).
cdef extern from "fastnn.h" nogil:
    void fastnn_add_f32(int ndim, const fnn_int *shape, const float *a, const fnn_int *a_strides, const float *b, const fnn_int *b_strides, float *out, const fnn_int *out_strides)
    void fastnn_add_f64(int ndim, const fnn_int *shape, const double *a, const fnn_int *a_strides, const double *b, const fnn_int *b_strides, double *out, const fnn_int *out_strides)
    void fastnn_sum_to_shape_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, const unsigned char *reduce, float *out)
    void fastnn_sum_to_shape_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, const unsigned char *reduce, double *out)
    void fastnn_relu_f32(int ndim, const fnn_int *shape, const float *x, const fnn_int *x_strides, float *out, const fnn_int *out_strides)
    void fastnn_relu_f64(int ndim, const fnn_int *shape, const double *x, const fnn_int *x_strides, double *out, const fnn_int *out_strides)
    void fastnn_relu_grad_f32(int ndim, const fnn_int *shape, const float *dy, const fnn_int *dy_strides, const float *y, const fnn_int *y_strides, float *out, const fnn_int *out_strides)
    void fastnn_relu_grad_f64(int ndim, const fnn_int *shape, const double *dy, const fnn_int *dy_strides, const double *y, const fnn_int *y_strides, double *out, const fnn_int *out_strides)


cdef void _binary(int op, cnp.ndarray a, cnp.ndarray b, cnp.ndarray out):
    """out := a + b (op 0) or relu_grad(dy=a, y=b) (op 1), a and b broadcast to out."""
    cdef int nd = cnp.PyArray_NDIM(out)
    cdef fnn_int shape[FASTNN_MAX_DIMS]
    cdef fnn_int sa[FASTNN_MAX_DIMS]
    cdef fnn_int sb[FASTNN_MAX_DIMS]
    cdef fnn_int so[FASTNN_MAX_DIMS]
    _fill_shape(out, shape)
    _fill_strides(a, nd, sa)
    _fill_strides(b, nd, sb)
    _fill_strides(out, nd, so)
    cdef void *pa = _data(a)
    cdef void *pb = _data(b)
    cdef void *po = _data(out)
    cdef bint f32 = _is_f32(out)
    with nogil:
        if op == 0 and f32:
            fastnn_add_f32(nd, shape, <float*>pa, sa, <float*>pb, sb, <float*>po, so)
        elif op == 0:
            fastnn_add_f64(nd, shape, <double*>pa, sa, <double*>pb, sb, <double*>po, so)
        elif f32:
            fastnn_relu_grad_f32(nd, shape, <float*>pa, sa, <float*>pb, sb, <float*>po, so)
        else:
            fastnn_relu_grad_f64(nd, shape, <double*>pa, sa, <double*>pb, sb, <double*>po, so)


def add(a, b, out=None):
    """out = a + b with NumPy broadcasting (any ndim, strides and broadcast axes)."""
    a, b = as_float_arrays(a=a, b=b)
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"add: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    out = check_out(out, shape, a.dtype)
    if out.size:
        o = _addressable(out)
        _binary(0, _unaliased(_addressable(a), o), _unaliased(_addressable(b), o), o)
        _copy_back(o, out)
    return out


def sum_to_shape(x, shape):
    """Sums x over the axes broadcasting added or stretched, giving an array of `shape`.

    The reverse of broadcasting `shape` to x.shape (the gradient of a broadcast input);
    each output is summed in row-major order in double, whatever the thread count.
    """
    x = as_float_array(x, "x")
    shape = tuple(shape)
    try:
        if np.broadcast_shapes(shape, x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"sum_to_shape: shape {shape} does not broadcast to {x.shape}") from None
    lead = x.ndim - len(shape)
    reduce = [d < lead or (shape[d - lead] == 1 and x.shape[d] != 1) for d in range(x.ndim)]
    if not any(reduce):
        return x.copy()
    out = np.empty(shape, dtype=x.dtype)
    if out.size:
        _sum_to_shape(_addressable(x), bytes(reduce), out)
    return out


cdef void _sum_to_shape(cnp.ndarray x, bytes reduce, cnp.ndarray out):
    cdef int nd = cnp.PyArray_NDIM(x)
    cdef fnn_int shape[FASTNN_MAX_DIMS]
    cdef fnn_int sx[FASTNN_MAX_DIMS]
    cdef const unsigned char *mask = reduce
    _fill_shape(x, shape)
    _fill_strides(x, nd, sx)
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef bint f32 = _is_f32(x)
    with nogil:
        if f32:
            fastnn_sum_to_shape_f32(nd, shape, <float*>px, sx, mask, <float*>po)
        else:
            fastnn_sum_to_shape_f64(nd, shape, <double*>px, sx, mask, <double*>po)


cdef void _relu(cnp.ndarray x, cnp.ndarray out):
    cdef int nd = cnp.PyArray_NDIM(out)
    cdef fnn_int shape[FASTNN_MAX_DIMS]
    cdef fnn_int sx[FASTNN_MAX_DIMS]
    cdef fnn_int so[FASTNN_MAX_DIMS]
    _fill_shape(out, shape)
    _fill_strides(x, nd, sx)
    _fill_strides(out, nd, so)
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef bint f32 = _is_f32(out)
    with nogil:
        if f32:
            fastnn_relu_f32(nd, shape, <float*>px, sx, <float*>po, so)
        else:
            fastnn_relu_f64(nd, shape, <double*>px, sx, <double*>po, so)


def relu(x, out=None):
    """out = max(x, 0) element-wise (NaN stays NaN)."""
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    if out.size:
        o = _addressable(out)
        _relu(_unaliased(_addressable(x), o), o)
        _copy_back(o, out)
    return out


def relu_grad(dy, y, out=None):
    """out = dy where y > 0, else 0: relu's gradient given its output y.

    The gradient at 0 is taken as 0 (y == 0 passes no gradient), as in Keras and PyTorch.
    """
    dy, y = as_float_arrays(dy=dy, y=y)
    if dy.shape != y.shape:
        raise ValueError(f"relu_grad: dy has shape {dy.shape} but y has shape {y.shape}")
    out = check_out(out, dy.shape, dy.dtype)
    if out.size:
        o = _addressable(out)
        _binary(1, _unaliased(_addressable(dy), o), _unaliased(_addressable(y), o), o)
        _copy_back(o, out)
    return out
