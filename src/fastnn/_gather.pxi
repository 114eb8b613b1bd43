# gather_rows (csrc/gather.c): the shuffled training batch, converted to float.
cdef extern from "fastnn.h" nogil:
    void fastnn_gather_rows_u8_f32(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_u8_f64(fnn_int count, fnn_int row, const unsigned char *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)
    void fastnn_gather_rows_f32_f32(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_f32_f64(fnn_int count, fnn_int row, const float *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)
    void fastnn_gather_rows_f64_f32(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, float *out, fnn_int out_rs)
    void fastnn_gather_rows_f64_f64(fnn_int count, fnn_int row, const double *x, fnn_int x_rs, const fnn_int *idx, double *out, fnn_int out_rs)

import math

_GATHER_SOURCES = (np.dtype(np.uint8), np.dtype(np.float32), np.dtype(np.float64))


cdef void _gather(cnp.ndarray x, cnp.ndarray idx, cnp.ndarray out):
    cdef fnn_int count = cnp.PyArray_DIMS(out)[0], row = cnp.PyArray_DIMS(out)[1]
    cdef fnn_int x_rs = _row_stride(x), out_rs = _row_stride(out)
    cdef int src = cnp.PyArray_TYPE(x)
    cdef bint f32 = _is_f32(out)
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef const fnn_int *pi = <const fnn_int*>_data(idx)
    with nogil:
        if src == cnp.NPY_UINT8 and f32:
            fastnn_gather_rows_u8_f32(count, row, <unsigned char*>px, x_rs, pi, <float*>po, out_rs)
        elif src == cnp.NPY_UINT8:
            fastnn_gather_rows_u8_f64(count, row, <unsigned char*>px, x_rs, pi, <double*>po, out_rs)
        elif src == cnp.NPY_FLOAT32 and f32:
            fastnn_gather_rows_f32_f32(count, row, <float*>px, x_rs, pi, <float*>po, out_rs)
        elif src == cnp.NPY_FLOAT32:
            fastnn_gather_rows_f32_f64(count, row, <float*>px, x_rs, pi, <double*>po, out_rs)
        elif f32:
            fastnn_gather_rows_f64_f32(count, row, <double*>px, x_rs, pi, <float*>po, out_rs)
        else:
            fastnn_gather_rows_f64_f64(count, row, <double*>px, x_rs, pi, <double*>po, out_rs)


def gather_rows(x, indices, out=None, dtype=np.float32):
    """out[i] = x[indices[i]] flattened to one row each, converted to dtype (default float32).

    x is any real array of shape (n, ...); out is (len(indices), prod(...)). Rows of
    uint8, float32 or float64 into float32 or float64 are copied in parallel; other
    combinations go through NumPy.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"gather_rows: x has unsupported dtype {x.dtype}")
    if x.ndim == 0:
        raise ValueError("gather_rows: x must have at least 1 dimension, got a 0-d array")
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.dtype.kind not in "iu":
        raise TypeError(f"gather_rows: indices must be a 1-D integer array, got {indices.dtype} of shape {indices.shape}")
    n = x.shape[0]
    lowest, highest = (int(indices.min()), int(indices.max())) if indices.size else (0, 0)
    if indices.size and (lowest < -n or highest >= n):
        raise IndexError(f"gather_rows: indices must be in [-{n}, {n}), got values in [{lowest}, {highest}]")
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
