# softmax, softmax_grad, softmax_cross_entropy and its gradient (csrc/softmax.c).
cdef extern from "fastnn.h" nogil:
    void fastnn_softmax_f32(fnn_int rows, fnn_int k, const float *x, fnn_int x_rs, float *out, fnn_int out_rs)
    void fastnn_softmax_f64(fnn_int rows, fnn_int k, const double *x, fnn_int x_rs, double *out, fnn_int out_rs)
    void fastnn_softmax_grad_f32(fnn_int rows, fnn_int k, const float *dy, fnn_int dy_rs, const float *y, fnn_int y_rs, float *out, fnn_int out_rs)
    void fastnn_softmax_grad_f64(fnn_int rows, fnn_int k, const double *dy, fnn_int dy_rs, const double *y, fnn_int y_rs, double *out, fnn_int out_rs)
    void fastnn_softmax_xent_f32(fnn_int rows, fnn_int k, const float *logits, fnn_int logits_rs, const float *target, fnn_int target_rs, const fnn_int *classes, float *loss, float *probs)
    void fastnn_softmax_xent_f64(fnn_int rows, fnn_int k, const double *logits, fnn_int logits_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double *loss, double *probs)
    void fastnn_softmax_xent_grad_f32(fnn_int rows, fnn_int k, const float *probs, fnn_int probs_rs, const float *target, fnn_int target_rs, const fnn_int *classes, double scale, float *out)
    void fastnn_softmax_xent_grad_f64(fnn_int rows, fnn_int k, const double *probs, fnn_int probs_rs, const double *target, fnn_int target_rs, const fnn_int *classes, double scale, double *out)


cdef void _softmax_rows(cnp.ndarray x, cnp.ndarray y, cnp.ndarray out):
    """out := softmax(x) rows when y is None, else softmax_grad(dy=x, y) rows."""
    cdef fnn_int rows = cnp.PyArray_DIMS(out)[0], k = cnp.PyArray_DIMS(out)[1]
    cdef fnn_int x_rs = _row_stride(x), out_rs = _row_stride(out), y_rs = 0
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef void *py = NULL
    cdef bint f32 = _is_f32(out)
    if y is not None:
        py = _data(y)
        y_rs = _row_stride(y)
    with nogil:
        if py == NULL and f32:
            fastnn_softmax_f32(rows, k, <float*>px, x_rs, <float*>po, out_rs)
        elif py == NULL:
            fastnn_softmax_f64(rows, k, <double*>px, x_rs, <double*>po, out_rs)
        elif f32:
            fastnn_softmax_grad_f32(rows, k, <float*>px, x_rs, <float*>py, y_rs, <float*>po, out_rs)
        else:
            fastnn_softmax_grad_f64(rows, k, <double*>px, x_rs, <double*>py, y_rs, <double*>po, out_rs)


def _row_kernel(x, y, out):
    """Runs _softmax_rows over the last axis of arrays of any rank >= 1."""
    o = _output_rows(out)
    work = o if o is not None else np.empty((out.size // out.shape[out.ndim - 1], out.shape[out.ndim - 1]), dtype=out.dtype)
    x = _input_rows(_unaliased(x, out))
    y = None if y is None else _input_rows(_unaliased(y, out))
    _softmax_rows(x, y, work)
    if o is None:
        out[...] = work.reshape(out.shape)
    return out


def softmax(x, out=None):
    """out = exp(x - max) / sum(exp(x - max)) along the last axis.

    Finite for any finite input: the row maximum is subtracted first.
    """
    x = as_float_array(x, "x")
    if x.ndim == 0:
        raise ValueError("softmax needs at least 1 dimension, got a 0-d array")
    out = check_out(out, x.shape, x.dtype)
    if x.size == 0:
        return out
    return _row_kernel(x, None, out)


def softmax_grad(dy, y, out=None):
    """out = y * (dy - sum(dy * y, last axis)): softmax's gradient given its output y."""
    dy, y = as_float_arrays(dy=dy, y=y)
    if dy.shape != y.shape:
        raise ValueError(f"softmax_grad: dy has shape {dy.shape} but y has shape {y.shape}")
    out = check_out(out, dy.shape, dy.dtype)
    if out.size == 0:
        return out
    if dy.ndim == 0:
        out[...] = _row_kernel(dy.reshape(1), y.reshape(1), np.empty(1, dtype=out.dtype))[0]
        return out
    return _row_kernel(dy, y, out)


def _xent_target(logits, target, name):
    """(float target rows, None) or (None, class indices as intp), checked as the oracle does."""
    n, k = logits.shape
    if target.ndim == 1:
        if target.dtype.kind not in "iu":
            raise TypeError(f"{name}: 1-D target holds class indices and must be integer, got {target.dtype}")
        if target.shape != (n,):
            raise ValueError(f"{name}: target has shape {target.shape}, expected ({n},) for logits of shape {logits.shape}")
        if n and (target.min() < 0 or target.max() >= k):
            raise ValueError(f"{name}: class indices must be in [0, {k}), got values in [{target.min()}, {target.max()}]")
        return None, np.ascontiguousarray(target, dtype=np.intp)
    target = as_float_array(target, "target").astype(logits.dtype, copy=False)
    if target.shape != logits.shape:
        raise ValueError(f"{name}: target has shape {target.shape} but logits have shape {logits.shape}")
    return target, None


cdef void _xent(int grad, cnp.ndarray x, cnp.ndarray target, cnp.ndarray classes, double scale,
                cnp.ndarray out, cnp.ndarray loss):
    """grad 0: loss, out := cross-entropy, softmax of logits x; grad 1: out := its gradient, x = probs."""
    cdef fnn_int rows = cnp.PyArray_DIMS(out)[0], k = cnp.PyArray_DIMS(out)[1]
    cdef fnn_int x_rs = _row_stride(x), t_rs = 0
    cdef void *px = _data(x)
    cdef void *po = _data(out)
    cdef void *pt = NULL
    cdef void *pl = NULL
    cdef const fnn_int *pc = NULL
    cdef bint f32 = _is_f32(out)
    if target is not None:
        pt = _data(target)
        t_rs = _row_stride(target)
    else:
        pc = <const fnn_int*>_data(classes)
    if loss is not None:
        pl = _data(loss)
    with nogil:
        if grad == 0 and f32:
            fastnn_softmax_xent_f32(rows, k, <float*>px, x_rs, <float*>pt, t_rs, pc, <float*>pl, <float*>po)
        elif grad == 0:
            fastnn_softmax_xent_f64(rows, k, <double*>px, x_rs, <double*>pt, t_rs, pc, <double*>pl, <double*>po)
        elif f32:
            fastnn_softmax_xent_grad_f32(rows, k, <float*>px, x_rs, <float*>pt, t_rs, pc, scale, <float*>po)
        else:
            fastnn_softmax_xent_grad_f64(rows, k, <double*>px, x_rs, <double*>pt, t_rs, pc, scale, <double*>po)


def softmax_cross_entropy(logits, target):
    """(loss, probs): per-row cross-entropy of softmax(logits) against target, and the softmax.

    logits is (n, k); target is (n, k) probabilities (e.g. one-hot) or (n,) integer classes.
    loss[i] = -sum_j target[i, j] * log_softmax(logits)[i, j], in one pass, without log(0).
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (n, k), got shape {logits.shape}")
    target, classes = _xent_target(logits, np.asarray(target), "softmax_cross_entropy")
    n, k = logits.shape
    loss = np.empty(n, dtype=logits.dtype)
    probs = np.empty((n, k), dtype=logits.dtype)
    if logits.size:
        _xent(0, _input_rows(logits), None if target is None else _input_rows(target), classes, 1.0, probs, loss)
    else:
        loss[...] = 0
    return loss, probs


def softmax_cross_entropy_grad(probs, target, scale=1.0):
    """scale * (probs * sum(target, row) - target): d(sum of losses)/d(logits), times scale."""
    probs = as_float_array(probs, "probs")
    if probs.ndim != 2:
        raise ValueError(f"softmax_cross_entropy_grad: probs must be 2-D (n, k), got shape {probs.shape}")
    target, classes = _xent_target(probs, np.asarray(target), "softmax_cross_entropy_grad")
    out = np.empty(probs.shape, dtype=probs.dtype)
    if out.size:
        _xent(1, _input_rows(probs), None if target is None else _input_rows(target), classes, float(scale), out, None)
    return out
