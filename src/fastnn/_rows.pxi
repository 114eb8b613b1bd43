# take_rows and scatter_add_rows (csrc/rows.c): an embedding's lookup and its gradient.
from fastnn._op_checks import bad_index_error, index_array, scatter_rows_shape, take_rows_shape

cdef extern from "fastnn.h":
    enum:
        FASTNN_INDEX_F32
        FASTNN_INDEX_F64
        FASTNN_INDEX_I32
        FASTNN_INDEX_I64

_INDEX_TYPES = {np.dtype(np.float32): FASTNN_INDEX_F32, np.dtype(np.float64): FASTNN_INDEX_F64,
                np.dtype(np.int32): FASTNN_INDEX_I32, np.dtype(np.int64): FASTNN_INDEX_I64}


def _flat_indices(indices):
    """(indices as one contiguous row of a type the kernels read, its index type code)."""
    code = _INDEX_TYPES.get(indices.dtype.newbyteorder("="))
    if code is None:
        _unreplayable("indices were converted to int64")
        return np.ascontiguousarray(indices, dtype=np.int64).reshape(-1), FASTNN_INDEX_I64
    return _c_array(indices).reshape(-1), code


cdef int _rows_call(int kernel, cnp.ndarray flat, int code, fnn_int rows, cnp.ndarray src, cnp.ndarray dst,
                    tuple shape, str owner) except -1:
    """Runs take_rows (kernel K_TAKE_ROWS: src the table) or scatter_add_rows (src the gradient);
    a bad index raises IndexError naming its position in an index array of `shape`."""
    cdef KernelCall c
    bad = np.zeros(2, np.float64)
    c.kernel = kernel
    c.f32 = _is_f32(dst)
    c.op = code
    c.i[0] = flat.shape[0]
    c.i[1] = dst.shape[1]
    c.i[2] = rows
    c.i[3] = _row_stride(src)
    c.i[4] = _row_stride(dst)
    c.p[0] = _data(flat)
    c.p[1] = _data(src)
    c.p[2] = _data(dst)
    c.p[3] = _data(bad)
    failure = lambda status: bad_index_error(owner, shape, bad[0], bad[1], rows)
    # the report is listed as read too, so that no rewrite moves it away from `failure`
    return _run(&c, (flat, src, bad), (dst, bad), failure)


def take_rows(table, indices, out=None, *, owner="take_rows"):
    """out[..., :] = table[indices[...], :]: the rows of a 2-D table picked by an index array of any
    shape, whose values (integers or integer-valued floats) must lie in [0, rows); otherwise
    IndexError, starting with `owner`, names the first bad one and out is left as it was."""
    table = as_float_array(table, "table")
    indices = index_array(owner, indices)
    shape = take_rows_shape(owner, table, indices)
    flat, code = _flat_indices(indices)
    table = _c_array(table)
    out, work = _target(out, shape, table.dtype, (table, indices))
    rows = work.reshape(flat.shape[0], table.shape[1])
    _rows_call(K_TAKE_ROWS, flat, code, table.shape[0], table, rows, indices.shape, owner)
    _copy_back(work, out)
    return out


def scatter_add_rows(grad, indices, rows, out=None, *, owner="scatter_add_rows"):
    """out (rows, dim) = 0, then out[indices[p], :] += grad[p, :] for every position p of the index
    array in row-major order: take_rows' gradient for its table. grad is indices.shape + (dim,);
    bad indices raise IndexError as in take_rows."""
    grad = as_float_array(grad, "grad")
    indices = index_array(owner, indices)
    rows, dim = scatter_rows_shape(owner, grad, indices, rows)
    flat, code = _flat_indices(indices)
    grad = _c_array(grad).reshape(flat.shape[0], dim)
    out, work = _target(out, (rows, dim), grad.dtype, (grad, indices))
    _rows_call(K_SCATTER_ADD_ROWS, flat, code, rows, grad, work, indices.shape, owner)
    _copy_back(work, out)
    return out
