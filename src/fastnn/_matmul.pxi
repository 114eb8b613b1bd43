import numpy as np

from fastnn._arrays import as_float_array, as_float_arrays, check_out

cdef extern from "fastnn.h":
    int fastnn_sgemm(fnn_int m, fnn_int n, fnn_int k,
                     const float *a, fnn_int a_rs, fnn_int a_cs,
                     const float *b, fnn_int b_rs, fnn_int b_cs,
                     float *c, fnn_int c_rs,
                     const float *bias, int activation,
                     const float *mask, fnn_int mask_rs) nogil
    int fastnn_dgemm(fnn_int m, fnn_int n, fnn_int k,
                     const double *a, fnn_int a_rs, fnn_int a_cs,
                     const double *b, fnn_int b_rs, fnn_int b_cs,
                     double *c, fnn_int c_rs,
                     const double *bias, int activation,
                     const double *mask, fnn_int mask_rs) nogil

_MATMUL_ACTIVATIONS = (None, "relu")


cdef bint _rows_contiguous(cnp.ndarray x):
    """Unit column stride and a row stride of whole elements (what C's output and the mask need)."""
    return x.strides[1] == x.itemsize and x.strides[0] % x.itemsize == 0


cdef int _native_float_type(object x):
    """NPY_FLOAT32/NPY_FLOAT64 when x is exactly such an ndarray in native byte order, else -1."""
    if type(x) is not np.ndarray or not cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray> x):
        return -1
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray> x)
    return t if t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64 else -1


cdef void _byte_extent(cnp.ndarray x, char **lo, char **hi):
    """The bytes [lo, hi) that x's elements span (empty for a zero-size x)."""
    cdef char *start = <char *> cnp.PyArray_DATA(x)
    cdef Py_ssize_t low = 0, high = x.itemsize, d
    lo[0] = start
    hi[0] = start
    for d in range(x.ndim):
        if x.shape[d] == 0:
            return
        if x.strides[d] < 0:
            low += x.strides[d] * (x.shape[d] - 1)
        else:
            high += x.strides[d] * (x.shape[d] - 1)
    lo[0] = start + low
    hi[0] = start + high


cdef bint _may_overlap(cnp.ndarray x, object y):
    """Whether the byte ranges of x and y (an ndarray or None) intersect, as np.may_share_memory."""
    if y is None:
        return False
    cdef char *xlo
    cdef char *xhi
    cdef char *ylo
    cdef char *yhi
    _byte_extent(x, &xlo, &xhi)
    _byte_extent(<cnp.ndarray> y, &ylo, &yhi)
    return xlo < yhi and ylo < xhi and xlo < xhi and ylo < yhi


def matmul(a, b, out=None, *, trans_a=False, trans_b=False, bias=None, activation=None, relu_mask=None):
    """C = act(op(a) . op(b) + bias) * (relu_mask > 0), op(x) = x.T when trans_x.

    a and b are 2-D; bias has one value per output column; relu_mask has C's shape.
    """
    cdef int type_num = _native_float_type(a)
    if type_num < 0 or _native_float_type(b) != type_num:
        a, b = as_float_arrays(a=a, b=b)
        type_num = cnp.PyArray_TYPE(<cnp.ndarray> a)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"matmul takes 2-D arrays, got shapes {a.shape} and {b.shape}")
    cdef Py_ssize_t m = a.shape[1] if trans_a else a.shape[0]
    cdef Py_ssize_t k = a.shape[0] if trans_a else a.shape[1]
    cdef Py_ssize_t kb = b.shape[1] if trans_b else b.shape[0]
    cdef Py_ssize_t n = b.shape[0] if trans_b else b.shape[1]
    if k != kb:
        raise ValueError(
            f"matmul: shapes {a.shape}{' (transposed)' if trans_a else ''} and "
            f"{b.shape}{' (transposed)' if trans_b else ''} are not aligned: "
            f"{k} (dim 1 of op(a)) != {kb} (dim 0 of op(b))"
        )
    if activation is not None and activation not in _MATMUL_ACTIVATIONS:
        raise ValueError(f"matmul: unknown activation {activation!r}; known: {_MATMUL_ACTIVATIONS}")
    dtype = a.dtype
    if bias is not None:
        if not (_native_float_type(bias) == type_num and (<cnp.ndarray> bias).ndim == 1
                and (<cnp.ndarray> bias).shape[0] == n
                and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> bias)):
            bias = as_float_array(bias, "bias")
            if bias.shape != (n,):
                raise ValueError(f"matmul: bias has shape {bias.shape}, expected ({n},)")
            bias = np.ascontiguousarray(bias, dtype=dtype)
    if relu_mask is not None:
        relu_mask = np.asarray(relu_mask)
        if relu_mask.shape != (m, n):
            raise ValueError(f"matmul: relu_mask has shape {relu_mask.shape}, expected {(m, n)}")
        if relu_mask.dtype != dtype or not _rows_contiguous(relu_mask):
            relu_mask = np.ascontiguousarray(relu_mask > 0, dtype=dtype)
    if not (_native_float_type(out) == type_num and (<cnp.ndarray> out).ndim == 2
            and (<cnp.ndarray> out).shape[0] == m and (<cnp.ndarray> out).shape[1] == n
            and cnp.PyArray_ISWRITEABLE(<cnp.ndarray> out)):
        out = check_out(out, (m, n), dtype)
    if m == 0 or n == 0:
        return out

    a = _addressable(a)
    b = _addressable(b)
    target = out
    if (not _rows_contiguous(out) or _may_overlap(out, a) or _may_overlap(out, b)
            or _may_overlap(out, bias) or _may_overlap(out, relu_mask)):
        target = np.empty((m, n), dtype=dtype)
    _gemm_into(a, b, target, trans_a, trans_b, bias, activation == "relu", relu_mask)
    if target is not out:
        out[...] = target
    return out


cdef _gemm_into(cnp.ndarray a, cnp.ndarray b, cnp.ndarray c, bint trans_a, bint trans_b,
                object bias, bint relu, object relu_mask):
    cdef Py_ssize_t size = a.itemsize
    cdef Py_ssize_t a_rs = a.strides[0] // size, a_cs = a.strides[1] // size
    cdef Py_ssize_t b_rs = b.strides[0] // size, b_cs = b.strides[1] // size
    if trans_a:
        a_rs, a_cs = a_cs, a_rs
    if trans_b:
        b_rs, b_cs = b_cs, b_rs
    cdef Py_ssize_t m = c.shape[0], n = c.shape[1]
    cdef Py_ssize_t k = a.shape[0] if trans_a else a.shape[1]
    cdef Py_ssize_t c_rs = c.strides[0] // size
    cdef void *bias_ptr = NULL
    cdef void *mask_ptr = NULL
    cdef Py_ssize_t mask_rs = 0
    if bias is not None:
        bias_ptr = cnp.PyArray_DATA(<cnp.ndarray> bias)
    if relu_mask is not None:
        mask_ptr = cnp.PyArray_DATA(<cnp.ndarray> relu_mask)
        mask_rs = (<cnp.ndarray> relu_mask).strides[0] // size
    cdef void *a_ptr = cnp.PyArray_DATA(a)
    cdef void *b_ptr = cnp.PyArray_DATA(b)
    cdef void *c_ptr = cnp.PyArray_DATA(c)
    cdef int act = 1 if relu else 0
    cdef int status
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32:
        with nogil:
            status = fastnn_sgemm(m, n, k, <float *> a_ptr, a_rs, a_cs, <float *> b_ptr, b_rs, b_cs,
                                  <float *> c_ptr, c_rs, <float *> bias_ptr, act,
                                  <float *> mask_ptr, mask_rs)
    else:
        with nogil:
            status = fastnn_dgemm(m, n, k, <double *> a_ptr, a_rs, a_cs, <double *> b_ptr, b_rs, b_cs,
                                  <double *> c_ptr, c_rs, <double *> bias_ptr, act,
                                  <double *> mask_ptr, mask_rs)
    if status != 0:
        raise MemoryError(f"matmul: out of memory for packing buffers ({m}x{k} . {k}x{n})")
