# Shared by the kernel wrappers: arrays in a form the C kernels take, and the
# C view of their shapes and strides (in elements).
import numpy as np

from ._arrays import FLOAT_DTYPES, as_float_array, as_float_arrays, check_out

cdef extern from "fastnn.h":
    ctypedef Py_ssize_t fnn_int
    enum: FASTNN_MAX_DIMS


cdef cnp.ndarray _addressable(cnp.ndarray a):
    """a, or an aligned C-contiguous copy when it is misaligned or a stride is not whole elements."""
    cdef Py_ssize_t item = cnp.PyArray_ITEMSIZE(a)
    cdef int d
    if cnp.PyArray_ISALIGNED(a):
        for d in range(cnp.PyArray_NDIM(a)):
            if cnp.PyArray_STRIDES(a)[d] % item:
                break
        else:
            return a
    _unreplayable("an operand was copied to align it")
    return np.array(a, order="C")


def _copy_back(work, out):
    """Copies a kernel's temporary output into the caller's out (no-op when they are one)."""
    if work is not out:
        _unreplayable("an output was written through a temporary")
        out[...] = work


def _unaliased(a, out):
    """a, or a copy of it when it overlaps out other than as the very same view."""
    if not np.may_share_memory(a, out):
        return a
    if (a.shape == out.shape and a.strides == out.strides
            and a.__array_interface__["data"][0] == out.__array_interface__["data"][0]):
        return a
    _unreplayable("an operand overlapping the output was copied")
    return a.copy()


def _input_rows(a):
    """a as a 2-D (rows, last axis) array with unit stride along the rows."""
    k = a.shape[a.ndim - 1]
    r = _addressable(a).reshape(-1, k)
    if k > 1 and r.strides[1] != r.itemsize:
        r = np.ascontiguousarray(r)
    return r


def _output_rows(out):
    """A writable 2-D (rows, last axis) view of out with unit stride along the rows, or None."""
    k = out.shape[out.ndim - 1]
    r = out.reshape(-1, k)
    if not np.may_share_memory(r, out) or not r.flags.aligned:
        return None
    if (k > 1 and r.strides[1] != r.itemsize) or r.strides[0] % r.itemsize:
        return None
    return r


cdef inline bint _is_f32(cnp.ndarray a):
    return cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT32


cdef inline void* _data(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef inline fnn_int _row_stride(cnp.ndarray rows):
    return cnp.PyArray_STRIDES(rows)[0] // cnp.PyArray_ITEMSIZE(rows)


cdef void _fill_shape(cnp.ndarray a, fnn_int *shape):
    cdef int d
    for d in range(cnp.PyArray_NDIM(a)):
        shape[d] = cnp.PyArray_DIMS(a)[d]


cdef void _fill_strides(cnp.ndarray a, int ndim, fnn_int *strides):
    """Element strides of a broadcast to ndim axes: 0 on added and length-1 axes."""
    cdef int lead = ndim - cnp.PyArray_NDIM(a), d
    cdef fnn_int item = cnp.PyArray_ITEMSIZE(a)
    for d in range(ndim):
        if d < lead or cnp.PyArray_DIMS(a)[d - lead] == 1:
            strides[d] = 0
        else:
            strides[d] = cnp.PyArray_STRIDES(a)[d - lead] // item


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
