# Shared by the kernel wrappers: the checks of their arrays (the fast forms of fastnn._arrays'),
# arrays in a form the C kernels take, and the C view of their shapes and strides (in elements).
import numpy as np

from ._arrays import FLOAT_DTYPES, as_float_array, as_float_arrays, check_out, check_writable
from ._op_checks import (ACTIVATIONS, broadcast_shape, check_activation, check_dropout_state, check_same_shape,
                         check_shape, dropout_rate, gather_args, matmul_shape, summed_axes, xent_target)

cdef extern from "fastnn.h":
    ctypedef Py_ssize_t fnn_int
    enum: FASTNN_MAX_DIMS


cdef int _native_float_type(object x):
    """NPY_FLOAT32/NPY_FLOAT64 when x is exactly such an ndarray in native byte order, else -1."""
    if type(x) is not np.ndarray or not cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray> x):
        return -1
    cdef int t = cnp.PyArray_TYPE(<cnp.ndarray> x)
    return t if t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64 else -1


cdef inline bint _kernel_ready(cnp.ndarray a):
    """The kernels can take a as it is: native byte order, aligned, C-contiguous."""
    return cnp.PyArray_ISNOTSWAPPED(a) and cnp.PyArray_ISALIGNED(a) and cnp.PyArray_IS_C_CONTIGUOUS(a)


cdef bint _is_plain(object a, int type_num, int ndim):
    """a is an aligned, C-contiguous, native ndarray of this type and rank."""
    return (type(a) is np.ndarray and cnp.PyArray_TYPE(<cnp.ndarray> a) == type_num
            and cnp.PyArray_NDIM(<cnp.ndarray> a) == ndim and _kernel_ready(<cnp.ndarray> a))


cdef _require(object a, int type_num, tuple shape, str name, bint writable=False):
    """TypeError/ValueError naming the argument unless a is a plain (_is_plain) array of this
    type and shape, writable when asked."""
    if not _is_plain(a, type_num, len(shape)):
        dtype = cnp.PyArray_DescrFromType(type_num)
        raise TypeError(f"{name} must be an aligned C-contiguous {len(shape)}-D {dtype} ndarray, got "
                        f"{type(a).__name__} {getattr(a, 'dtype', '')} {getattr(a, 'shape', '')}")
    if (<object> a).shape != shape:
        raise ValueError(f"{name} has shape {(<object> a).shape}, expected {shape}")
    if writable:
        check_writable(a, name)


cdef bint _passes_check_out(object out, int type_num, int ndim, const Py_ssize_t *shape):
    """out is what check_out(out, shape, dtype of type_num) would return unchanged (a native ndarray
    of this float type and shape, writable), told without a Python call."""
    if _native_float_type(out) != type_num or cnp.PyArray_NDIM(<cnp.ndarray> out) != ndim \
            or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray> out):
        return False
    cdef int d
    for d in range(ndim):
        if cnp.PyArray_DIMS(<cnp.ndarray> out)[d] != shape[d]:
            return False
    return True


cdef bint _rows_contiguous(cnp.ndarray x):
    """Unit column stride and a row stride of whole elements (what C's output and the mask need)."""
    return x.strides[1] == x.itemsize and x.strides[0] % x.itemsize == 0


cdef void _byte_extent(cnp.ndarray x, char **lo, char **hi):
    """The bytes [lo, hi) that x's elements span (empty for a zero-size x)."""
    cdef char *start = <char *> cnp.PyArray_DATA(x)
    cdef Py_ssize_t low = 0, high = cnp.PyArray_ITEMSIZE(x), d
    cdef const cnp.npy_intp *dims = cnp.PyArray_DIMS(x)
    cdef const cnp.npy_intp *strides = cnp.PyArray_STRIDES(x)
    lo[0] = start
    hi[0] = start
    for d in range(cnp.PyArray_NDIM(x)):
        if dims[d] == 0:
            return
        if strides[d] < 0:
            low += strides[d] * (dims[d] - 1)
        else:
            high += strides[d] * (dims[d] - 1)
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


cdef bint _overlaps_any(cnp.ndarray x, tuple others):
    """Whether x may share memory with one of others (ndarrays or None)."""
    for y in others:
        if _may_overlap(x, y):
            return True
    return False


def _c_array(a):
    """a itself when the kernels can read it as it is (C-contiguous, aligned, native), else a copy."""
    if _kernel_ready(a):
        return a
    _unreplayable("an operand was copied to make it contiguous")
    return np.array(a, dtype=a.dtype.newbyteorder("="), order="C")


def _target(out, shape, dtype, inputs):
    """(out checked or allocated, the array the kernel writes: out itself or a C-contiguous temporary
    when out is not in the kernels' form or overlaps one of inputs)."""
    out = check_out(out, shape, dtype)
    if _kernel_ready(out) and not _overlaps_any(out, inputs):
        return out, out
    return out, np.empty(shape, dtype)



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
    if not _may_overlap(a, out):
        return a
    if (a.shape == out.shape and a.strides == out.strides
            and a.__array_interface__["data"][0] == out.__array_interface__["data"][0]):
        return a
    _unreplayable("an operand overlapping the output was copied")
    return a.copy()


def _operand(a, out):
    """a as a strided kernel reads it beside its output out (copied where it must be)."""
    return _unaliased(_addressable(a), out)


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
    if not _may_overlap(r, out) or not r.flags.aligned:
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

