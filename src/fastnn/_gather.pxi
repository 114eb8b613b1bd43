# gather_rows (csrc/gather.c): the shuffled training batch, converted to float.
import math

_GATHER_SOURCES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


cdef void _gather_into(int src_type, fnn_int count, fnn_int row, const void *x, fnn_int x_rs, const fnn_int *idx,
                       floating *out, fnn_int out_rs) noexcept nogil:
    """out's rows = x's rows idx, x of NumPy type src_type: uint8, float32 or float64."""
    if src_type == cnp.NPY_UINT8:
        fastnn_gather_rows(count, row, <const unsigned char*>x, x_rs, idx, out, out_rs)
    elif src_type == cnp.NPY_FLOAT32:
        fastnn_gather_rows(count, row, <const float*>x, x_rs, idx, out, out_rs)
    else:
        fastnn_gather_rows(count, row, <const double*>x, x_rs, idx, out, out_rs)


cdef void _gather(cnp.ndarray x, cnp.ndarray idx, cnp.ndarray out):
    cdef fnn_int count = cnp.PyArray_DIMS(out)[0], row = cnp.PyArray_DIMS(out)[1]
    cdef fnn_int x_rs = _row_stride(x), out_rs = _row_stride(out)
    cdef int src = cnp.PyArray_TYPE(x)
    cdef bint f32 = _is_f32(out)
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef const fnn_int *pi = <const fnn_int*>_data(idx)
    with nogil:
        if f32:
            _gather_into(src, count, row, px, x_rs, pi, <float*>po, out_rs)
        else:
            _gather_into(src, count, row, px, x_rs, pi, <double*>po, out_rs)


def gather_rows(x, indices, out=None, dtype=np.float32):
    """out[i] = x[indices[i]] flattened to one row each, converted to dtype (default float32).

    x is any real array of shape (n, ...); out is (len(indices), prod(...)). Rows of
    uint8, float32 or float64 into float32 or float64 are copied in parallel; other
    combinations go through NumPy.
    """
    x, indices, lowest, highest = gather_args(x, indices)
    n = x.shape[0]
    row = math.prod(x.shape[1:])
    dtype = np.dtype(dtype)
    out = check_out(out, (indices.size, row), dtype)
    if out.size == 0:
        return out
    if x.dtype not in _GATHER_SOURCES or dtype not in FLOAT_DTYPES:
        out[...] = x[indices].reshape(indices.size, row)
        return out
    idx = np.ascontiguousarray(indices, dtype=np.intp)
    if lowest < 0:
        idx = np.where(idx < 0, idx + n, idx)
    rows = _input_rows(x.reshape(n, row))
    o = _output_rows(out)
    work = o if o is not None else np.empty(out.shape, dtype=dtype)
    _gather(rows, idx, work)
    _copy_back(work, out)
    return out


cdef class RowGather:
    """Copies the rows of `source` picked by an index array into the first rows of `buffer`.

    source: (n, ...) uint8, float32 or float64 into a float32 buffer (n_max, row), or
    (n,) int64 class labels into an int64 buffer (n_max,); both checked once, here.
    """
    cdef readonly cnp.ndarray source, buffer
    cdef char *src
    cdef char *dst
    cdef fnn_int rows, row, capacity
    cdef int src_type

    def __init__(self, source, buffer):
        if type(source) is not np.ndarray or not _is_plain(source, cnp.PyArray_TYPE(<cnp.ndarray> source),
                                                            (<cnp.ndarray> source).ndim):
            raise TypeError("RowGather: source must be an aligned C-contiguous ndarray")
        self.src_type = cnp.PyArray_TYPE(<cnp.ndarray> source)
        if (<cnp.ndarray> source).ndim == 0:
            raise ValueError("RowGather: source needs a row axis")
        self.rows = (<cnp.ndarray> source).shape[0]
        if self.src_type == cnp.NPY_INT64 and (<cnp.ndarray> source).ndim == 1:
            self.row = 1
            if type(buffer) is not np.ndarray or buffer.ndim != 1:
                raise TypeError("RowGather: int64 labels gather into a 1-D int64 buffer")
            _require(buffer, cnp.NPY_INT64, (buffer.shape[0],), "buffer", True)
        elif self.src_type in (cnp.NPY_UINT8, cnp.NPY_FLOAT32, cnp.NPY_FLOAT64):
            self.row = math.prod((<object> source).shape[1:])
            if type(buffer) is not np.ndarray or buffer.ndim != 2:
                raise TypeError("RowGather: rows gather into a 2-D float32 buffer")
            _require(buffer, cnp.NPY_FLOAT32, (buffer.shape[0], self.row), "buffer", True)
        else:
            raise TypeError(f"RowGather: unsupported source dtype {source.dtype}")
        if _may_overlap(buffer, source):
            raise ValueError("RowGather: buffer overlaps source")
        self.source, self.buffer = source, buffer
        self.capacity = buffer.shape[0]
        self.src = <char *> cnp.PyArray_DATA(source)
        self.dst = <char *> cnp.PyArray_DATA(buffer)

    def take(self, indices):
        """Fills the buffer's first len(indices) rows and returns that count; or returns -1, copying
        nothing, unless indices is a C-contiguous 1-D intp array of at most capacity values in [0, n)."""
        if not _is_plain(indices, cnp.NPY_INTP, 1):
            return -1
        cdef fnn_int count = (<cnp.ndarray> indices).shape[0], i
        cdef const fnn_int *idx = <const fnn_int *> cnp.PyArray_DATA(<cnp.ndarray> indices)
        if count > self.capacity:
            return -1
        for i in range(count):
            if idx[i] < 0 or idx[i] >= self.rows:
                return -1
        if count == 0 or self.row == 0:
            return count
        with nogil:
            if self.src_type == cnp.NPY_INT64:
                for i in range(count):
                    (<long long *> self.dst)[i] = (<const long long *> self.src)[idx[i]]
            else:
                _gather_into(self.src_type, count, self.row, self.src, self.row, idx, <float *> self.dst, self.row)
        return count
