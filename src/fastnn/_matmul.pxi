import numpy as np

_MATMUL_ACTIVATIONS = ACTIVATIONS


def matmul(a, b, out=None, *, trans_a=False, trans_b=False, bias=None, activation=None, relu_mask=None):
    """C = act(op(a) . op(b) + bias) * (relu_mask > 0), op(x) = x.T when trans_x.

    a and b are 2-D; bias has one value per output column; relu_mask has C's shape.
    """
    cdef int type_num = _native_float_type(a)
    if type_num < 0 or _native_float_type(b) != type_num:
        a, b = as_float_arrays(a=a, b=b)
        type_num = cnp.PyArray_TYPE(<cnp.ndarray> a)
    if a.ndim != 2 or b.ndim != 2 or a.shape[0 if trans_a else 1] != b.shape[1 if trans_b else 0]:
        matmul_shape(a, b, trans_a, trans_b)  # raises, saying what is wrong
    cdef Py_ssize_t m = a.shape[1] if trans_a else a.shape[0]
    cdef Py_ssize_t n = b.shape[0] if trans_b else b.shape[1]
    if activation is not None:
        check_activation("matmul", activation)
    dtype = a.dtype
    if bias is not None:
        if not (_is_plain(bias, type_num, 1) and (<cnp.ndarray> bias).shape[0] == n):
            bias = as_float_array(bias, "bias")
            check_shape("matmul", "bias", bias, (n,))
            bias = np.ascontiguousarray(bias, dtype=dtype)
    if relu_mask is not None:
        relu_mask = np.asarray(relu_mask)
        check_shape("matmul", "relu_mask", relu_mask, (m, n))
        if relu_mask.dtype != dtype or not _rows_contiguous(relu_mask):
            relu_mask = np.ascontiguousarray(relu_mask > 0, dtype=dtype)
    cdef Py_ssize_t out_shape[2]
    out_shape[0] = m
    out_shape[1] = n
    if not _passes_check_out(out, type_num, 2, out_shape):
        out = check_out(out, (m, n), dtype)
    if m == 0 or n == 0:
        return out

    a = _addressable(a)
    b = _addressable(b)
    target = out
    if not _rows_contiguous(out) or _overlaps_any(out, (a, b, bias, relu_mask)):
        target = np.empty((m, n), dtype=dtype)
        _unreplayable("matmul wrote through a temporary")
    _gemm_into(a, b, target, trans_a, trans_b, bias, activation == "relu", relu_mask)
    _copy_back(target, out)
    return out


cdef int _gemm_into(cnp.ndarray a, cnp.ndarray b, cnp.ndarray c, bint trans_a, bint trans_b,
                   object bias, bint relu, object relu_mask) except -1:
    cdef Py_ssize_t size = a.itemsize
    cdef KernelCall call
    call.kernel = K_GEMM
    call.f32 = cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32
    call.op = 1 if relu else 0
    call.i[0] = c.shape[0]
    call.i[1] = c.shape[1]
    call.i[2] = a.shape[0] if trans_a else a.shape[1]
    call.i[3] = a.strides[0] // size
    call.i[4] = a.strides[1] // size
    call.i[5] = b.strides[0] // size
    call.i[6] = b.strides[1] // size
    if trans_a:
        call.i[3], call.i[4] = call.i[4], call.i[3]
    if trans_b:
        call.i[5], call.i[6] = call.i[6], call.i[5]
    call.i[7] = c.strides[0] // size
    call.i[8] = 0
    call.p[0] = cnp.PyArray_DATA(a)
    call.p[1] = cnp.PyArray_DATA(b)
    call.p[2] = cnp.PyArray_DATA(c)
    call.p[3] = NULL
    call.p[4] = NULL
    if bias is not None:
        call.p[3] = cnp.PyArray_DATA(<cnp.ndarray> bias)
    if relu_mask is not None:
        call.p[4] = cnp.PyArray_DATA(<cnp.ndarray> relu_mask)
        call.i[8] = (<cnp.ndarray> relu_mask).strides[0] // size
    return _run(&call, (a, b, bias, relu_mask), (c,))
