# add, sum_to_shape, relu, relu_grad (csrc/elementwise.c).

cdef int _binary(int op, cnp.ndarray a, cnp.ndarray b, cnp.ndarray out) except -1:
    """out := a + b (op 0) or relu_grad(dy=a, y=b) (op 1), a and b broadcast to out."""
    cdef KernelCall c
    c.kernel = K_ADD if op == 0 else K_RELU_GRAD
    c.f32 = _is_f32(out)
    _fill_layout(&c, out, a, b)
    c.p[0] = _data(a)
    c.p[1] = _data(b)
    c.p[2] = _data(out)
    return _run(&c, (a, b), (out,))


def add(a, b, out=None):
    """out = a + b with NumPy broadcasting (any ndim, strides and broadcast axes)."""
    a, b = as_float_arrays(a=a, b=b)
    shape = broadcast_shape("add", a, b)
    out = check_out(out, shape, a.dtype)
    if out.size:
        o = _addressable(out)
        _binary(0, _operand(a, o), _operand(b, o), o)
        _copy_back(o, out)
    return out


def sum_to_shape(x, shape, out=None):
    """Sums x over the axes broadcasting added or stretched, giving an array of `shape`.

    The reverse of broadcasting `shape` to x.shape (the gradient of a broadcast input);
    each output is summed in row-major order in double, whatever the thread count.
    """
    x = as_float_array(x, "x")
    shape, axes = summed_axes(x, shape)
    reduce = [d in axes for d in range(x.ndim)]
    if not any(reduce):
        return copy(x, out)
    out, work = _target(out, shape, x.dtype, (x,))
    if out.size:
        _sum_to_shape(_addressable(x), bytes(reduce), work)
        _copy_back(work, out)
    return out


cdef int _sum_to_shape(cnp.ndarray x, bytes reduce, cnp.ndarray out) except -1:
    cdef KernelCall c
    cdef int d
    c.kernel = K_SUM_TO_SHAPE
    c.f32 = _is_f32(x)
    c.nd = cnp.PyArray_NDIM(x)
    _fill_shape(x, c.shape)
    _fill_strides(x, c.nd, c.st[0])
    for d in range(c.nd):
        c.reduce[d] = reduce[d]
    c.p[0] = _data(x)
    c.p[1] = _data(out)
    return _run(&c, (x,), (out,))


cdef int _relu(cnp.ndarray x, cnp.ndarray out) except -1:
    cdef KernelCall c
    c.kernel = K_RELU
    c.f32 = _is_f32(out)
    _fill_layout(&c, out, x, None)
    c.p[0] = _data(x)
    c.p[1] = _data(out)
    return _run(&c, (x,), (out,))


def relu(x, out=None):
    """out = max(x, 0) element-wise (NaN stays NaN)."""
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    if out.size:
        o = _addressable(out)
        _relu(_operand(x, o), o)
        _copy_back(o, out)
    return out


def relu_grad(dy, y, out=None):
    """out = dy where y > 0, else 0: relu's gradient given its output y.

    The gradient at 0 is taken as 0 (y == 0 passes no gradient), as in Keras and PyTorch.
    """
    dy, y = as_float_arrays(dy=dy, y=y)
    check_same_shape("relu_grad", dy, y, "y")
    out = check_out(out, dy.shape, dy.dtype)
    if out.size:
        o = _addressable(out)
        _binary(1, _operand(dy, o), _operand(y, o), o)
        _copy_back(o, out)
    return out
