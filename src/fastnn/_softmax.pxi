# softmax, softmax_grad, softmax_cross_entropy and its gradient (csrc/softmax.c).

cdef int _softmax_rows(cnp.ndarray x, cnp.ndarray y, cnp.ndarray out) except -1:
    """out := softmax(x) rows when y is None, else softmax_grad(dy=x, y) rows."""
    cdef KernelCall c
    c.f32 = _is_f32(out)
    c.i[0] = cnp.PyArray_DIMS(out)[0]
    c.i[1] = cnp.PyArray_DIMS(out)[1]
    c.i[2] = _row_stride(x)
    c.p[0] = _data(x)
    if y is None:
        c.kernel = K_SOFTMAX
        c.i[3] = _row_stride(out)
        c.p[1] = _data(out)
        return _run(&c, (x,), (out,))
    c.kernel = K_SOFTMAX_GRAD
    c.i[3] = _row_stride(y)
    c.i[4] = _row_stride(out)
    c.p[1] = _data(y)
    c.p[2] = _data(out)
    return _run(&c, (x, y), (out,))


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
    check_same_shape("softmax_grad", dy, y, "y")
    out = check_out(out, dy.shape, dy.dtype)
    if out.size == 0:
        return out
    if dy.ndim == 0:
        out[...] = _row_kernel(dy.reshape(1), y.reshape(1), np.empty(1, dtype=out.dtype))[0]
        return out
    return _row_kernel(dy, y, out)


def _xent_operands(owner, logits, target):
    """(float target rows, None) or (None, class indices as intp), checked as the oracle does."""
    target, classes = xent_target(owner, logits, target)
    return target, None if classes is None else np.ascontiguousarray(classes, dtype=np.intp)


cdef int _xent(int grad, cnp.ndarray x, cnp.ndarray target, cnp.ndarray classes, double scale,
               cnp.ndarray out, cnp.ndarray loss) except -1:
    """grad 0: loss, out := cross-entropy, softmax of logits x; grad 1: out := its gradient, x = probs."""
    cdef KernelCall c
    c.kernel = K_XENT_GRAD if grad else K_XENT
    c.f32 = _is_f32(out)
    c.i[0] = cnp.PyArray_DIMS(out)[0]
    c.i[1] = cnp.PyArray_DIMS(out)[1]
    c.i[2] = _row_stride(x)
    c.i[3] = 0
    c.k[0] = scale
    c.p[0] = _data(x)
    c.p[1] = NULL
    c.p[2] = NULL
    if target is not None:
        c.p[1] = _data(target)
        c.i[3] = _row_stride(target)
    else:
        c.p[2] = _data(classes)
    labels = target if target is not None else classes
    if grad:
        c.p[3] = _data(out)
        return _run(&c, (x, labels), (out,))
    c.p[3] = _data(loss)
    c.p[4] = _data(out)
    return _run(&c, (x, labels), (loss, out))


def softmax_cross_entropy(logits, target):
    """(loss, probs): per-row cross-entropy of softmax(logits) against target, and the softmax.

    logits is (n, k); target is (n, k) probabilities (e.g. one-hot) or (n,) integer classes.
    loss[i] = -sum_j target[i, j] * log_softmax(logits)[i, j], in one pass, without log(0).
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: logits must be 2-D (n, k), got shape {logits.shape}")
    target, classes = _xent_operands("softmax_cross_entropy", logits, target)
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
    target, classes = _xent_operands("softmax_cross_entropy_grad", probs, target)
    out = np.empty(probs.shape, dtype=probs.dtype)
    if out.size:
        _xent(1, _input_rows(probs), None if target is None else _input_rows(target), classes, float(scale), out, None)
    return out
