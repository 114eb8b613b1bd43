# In-place optimizer steps (csrc/optim.c). Each runs as one fused pass over the
# elements; arrays the kernel cannot update in place (non-contiguous, or a state
# of another dtype) are worked on as contiguous copies and written back.
from libc.math cimport INFINITY
from fastnn._arrays import check_distinct
from fastnn._step_checks import check_state, nadam_momentum_cache, step_options


cdef class _StepOptions:
    """Clipping, decay and segments of one step, checked, in the form the C steps take."""
    cdef fnn_step_options c
    cdef object ends  # keeps segment_ends alive

    def __init__(self, owner, param, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm, segments):
        if clipvalue is None and clipnorm is None and global_clipnorm is None and segments is None \
                and (weight_decay == 0.0 and type(weight_decay) in (float, int)):
            self.c.clipvalue = INFINITY
            self.c.clipnorm = 0
            self.c.global_clipnorm = 0
            self.c.decay = 0
            self.c.n_segments = 0
            self.c.segment_ends = NULL
            return
        clip, per_segment, whole, decay, ends = step_options(
            owner, param.size, learning_rate, weight_decay, clipvalue, clipnorm, global_clipnorm, segments)
        self.c.clipvalue = clip
        self.c.clipnorm = per_segment
        self.c.global_clipnorm = whole
        self.c.decay = decay
        self.c.n_segments = 0
        self.c.segment_ends = NULL
        if ends is not None and ends.size:
            self.ends = np.ascontiguousarray(ends, dtype=np.intp)
            self.c.n_segments = ends.size
            self.c.segment_ends = <const fnn_int *> _data(self.ends)


cdef _require_distinct(str owner, tuple names, tuple arrays, bint direct):
    """ValueError (check_distinct's) when two of the arrays share memory. On the direct path
    every array is C-contiguous, so comparing byte spans is exact and costs a few comparisons."""
    cdef Py_ssize_t i, j, count = len(arrays)
    if direct:
        for i in range(count - 1):
            if arrays[i] is not None:
                for j in range(i + 1, count):
                    if _may_overlap(arrays[i], arrays[j]):
                        check_distinct(owner, **{n: a for n, a in zip(names, arrays)})
        return
    check_distinct(owner, **{n: a for n, a in zip(names, arrays)})


cdef _raise_if_failed(int status, str owner):
    if status != 0:
        raise MemoryError(f"{owner}: could not allocate the work plan for gradient clipping")


cdef bint _direct(object param, object grad, tuple states):
    """True when param, grad and the states that are not None are aligned, C-contiguous, native
    ndarrays of one float dtype and one shape, all but grad writable: the kernel takes them as
    they are, with nothing to check, copy or write back."""
    cdef int type_num = _native_float_type(param)
    if type_num < 0 or not _is_plain(param, type_num, cnp.PyArray_NDIM(<cnp.ndarray> param)) \
            or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray> param):
        return False
    for i, a in enumerate((grad,) + states):
        if a is None and i > 0:
            continue
        if not (_is_plain(a, type_num, cnp.PyArray_NDIM(<cnp.ndarray> param))
                and cnp.PyArray_SAMESHAPE(<cnp.ndarray> a, <cnp.ndarray> param)
                and (i == 0 or cnp.PyArray_ISWRITEABLE(<cnp.ndarray> a))):
            return False
    return True


cdef class _StepArrays:
    """param, grad and up to three states as contiguous arrays of param's dtype. f (float32) and d
    (float64) hold their data in the order of the C steps' arguments: param, grad, the states
    (NULL for a missing one)."""
    cdef list originals, work
    cdef cnp.ndarray grad
    cdef readonly bint f32
    cdef readonly fnn_int n
    cdef float *f[5]
    cdef double *d[5]

    def __init__(self, param, grad, *states, bint direct=False):
        self.originals = [param, *states]
        self.f32 = param.dtype == np.float32
        self.n = param.size
        if direct:  # _direct accepted them: the kernel works on the arrays themselves
            self.work = self.originals
            self.grad = grad
        else:
            self.work = [None if a is None else
                         (a if _kernel_ready(a) and a.dtype == param.dtype
                          else np.ascontiguousarray(a, dtype=param.dtype))
                         for a in self.originals]
            self.grad = np.ascontiguousarray(grad, dtype=param.dtype)
        self._point(0, self.work[0])
        self._point(1, self.grad)
        cdef Py_ssize_t i
        for i in range(1, len(self.work)):
            self._point(i + 1, self.work[i])

    cdef void _point(self, int i, object a):
        cdef void *data = NULL if a is None else _data(a)
        self.f[i] = <float*>data
        self.d[i] = <double*>data

    def write_back(self):
        if self.work is self.originals:
            return
        for orig, work in zip(self.originals, self.work):
            if work is not None and work is not orig:
                orig[...] = work


def sgd_step(param, grad, velocity=None, *, learning_rate, momentum=0.0, nesterov=False, weight_decay=0.0,
             clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: SGD with optional (Nesterov) momentum, as Keras 3 defines it.

    velocity = momentum * velocity - lr * grad
    param += momentum * velocity - lr * grad  (nesterov)  |  param += velocity
    Without momentum (velocity None or momentum 0): param -= lr * grad.
    Every step first clips the gradient and decays param (fastnn.reference._prepared_grad).
    """
    direct = _direct(param, grad, (velocity,))
    if not direct:
        check_state(param, grad=grad, velocity=velocity)
    cdef _StepOptions opt = _StepOptions("sgd_step", param, learning_rate, weight_decay, clipvalue, clipnorm,
                                         global_clipnorm, segments)
    _require_distinct("sgd_step", ("param", "grad", "velocity"), (param, grad, velocity), direct)
    use_velocity = bool(momentum) and velocity is not None
    cdef _StepArrays s = _StepArrays(param, grad, velocity if use_velocity else None, direct=direct)
    cdef double lr = learning_rate, mu = momentum
    cdef int nest = bool(nesterov), status
    with nogil:
        if s.f32:
            status = fastnn_sgd_step(s.n, s.f[0], s.f[1], s.f[2], lr, mu, nest, &opt.c)
        else:
            status = fastnn_sgd_step(s.n, s.d[0], s.d[1], s.d[2], lr, mu, nest, &opt.c)
    _raise_if_failed(status, "sgd_step")
    s.write_back()


def rmsprop_step(param, grad, mean_square, momentum_buffer=None, average_grad=None, *, learning_rate, rho,
                 momentum=0.0, epsilon, centered=False, weight_decay=0.0, clipvalue=None, clipnorm=None,
                 global_clipnorm=None, segments=None):
    """In place: RMSprop as Keras 3 defines it.

    mean_square = rho * mean_square + (1 - rho) * grad**2
    centered: average_grad = rho * average_grad + (1 - rho) * grad; denominator = mean_square - average_grad**2 + epsilon
    else: denominator = mean_square + epsilon
    increment = lr * grad / sqrt(denominator)
    with momentum: momentum_buffer = momentum * momentum_buffer + increment; param -= momentum_buffer
    else: param -= increment
    """
    use_momentum = bool(momentum) and momentum_buffer is not None
    direct = mean_square is not None and _direct(param, grad, (mean_square, momentum_buffer, average_grad))
    if not direct:
        check_state(param, ("mean_square",), grad=grad, mean_square=mean_square, momentum_buffer=momentum_buffer,
                     average_grad=average_grad)
    if centered and average_grad is None:
        raise TypeError("rmsprop_step: centered=True needs average_grad, a numpy.ndarray")
    cdef _StepOptions opt = _StepOptions("rmsprop_step", param, learning_rate, weight_decay, clipvalue, clipnorm,
                                         global_clipnorm, segments)
    _require_distinct("rmsprop_step", ("param", "grad", "mean_square", "momentum_buffer", "average_grad"),
                      (param, grad, mean_square, momentum_buffer, average_grad), direct)
    cdef _StepArrays s = _StepArrays(param, grad, mean_square, momentum_buffer if use_momentum else None,
                                     average_grad if centered else None, direct=direct)
    cdef double lr = learning_rate, r = rho, mu = momentum, eps = epsilon
    cdef int status
    with nogil:
        if s.f32:
            status = fastnn_rmsprop_step(s.n, s.f[0], s.f[1], s.f[2], s.f[3], s.f[4], lr, r, mu, eps, &opt.c)
        else:
            status = fastnn_rmsprop_step(s.n, s.d[0], s.d[1], s.d[2], s.d[3], s.d[4], lr, r, mu, eps, &opt.c)
    _raise_if_failed(status, "rmsprop_step")
    s.write_back()


def adagrad_step(param, grad, accumulator, *, learning_rate, epsilon, weight_decay=0.0, clipvalue=None,
                 clipnorm=None, global_clipnorm=None, segments=None):
    """In place: accumulator += grad**2; param -= lr * grad / sqrt(accumulator + epsilon)."""
    direct = accumulator is not None and _direct(param, grad, (accumulator,))
    if not direct:
        check_state(param, ("accumulator",), grad=grad, accumulator=accumulator)
    cdef _StepOptions opt = _StepOptions("adagrad_step", param, learning_rate, weight_decay, clipvalue, clipnorm,
                                         global_clipnorm, segments)
    _require_distinct("adagrad_step", ("param", "grad", "accumulator"), (param, grad, accumulator), direct)
    cdef _StepArrays s = _StepArrays(param, grad, accumulator, direct=direct)
    cdef double lr = learning_rate, eps = epsilon
    cdef int status
    with nogil:
        if s.f32:
            status = fastnn_adagrad_step(s.n, s.f[0], s.f[1], s.f[2], lr, eps, &opt.c)
        else:
            status = fastnn_adagrad_step(s.n, s.d[0], s.d[1], s.d[2], lr, eps, &opt.c)
    _raise_if_failed(status, "adagrad_step")
    s.write_back()


def adam_step(param, grad, m, v, v_max=None, *, learning_rate, beta_1, beta_2, epsilon, step, amsgrad=False,
              weight_decay=0.0, clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: Adam as Keras 3 defines it; step counts from 1.

    m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    amsgrad: v_max = maximum(v_max, v), used in place of v below
    param -= lr * sqrt(1 - beta_2**step) / (1 - beta_1**step) * m / (sqrt(v) + epsilon)
    """
    direct = m is not None and v is not None and _direct(param, grad, (m, v, v_max))
    if not direct:
        check_state(param, ("m", "v"), grad=grad, m=m, v=v, v_max=v_max)
    if step < 1:
        raise ValueError(f"adam_step: step counts from 1, got step={step}")
    if amsgrad and v_max is None:
        raise TypeError("adam_step: amsgrad=True needs v_max, a numpy.ndarray")
    cdef _StepOptions opt = _StepOptions("adam_step", param, learning_rate, weight_decay, clipvalue, clipnorm,
                                         global_clipnorm, segments)
    _require_distinct("adam_step", ("param", "grad", "m", "v", "v_max"), (param, grad, m, v, v_max), direct)
    cdef double alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    cdef double b1 = beta_1, b2 = beta_2, eps = epsilon
    cdef int status
    cdef _StepArrays s = _StepArrays(param, grad, m, v, v_max if amsgrad else None, direct=direct)
    with nogil:
        if s.f32:
            status = fastnn_adam_step(s.n, s.f[0], s.f[1], s.f[2], s.f[3], s.f[4], alpha, b1, b2, eps, &opt.c)
        else:
            status = fastnn_adam_step(s.n, s.d[0], s.d[1], s.d[2], s.d[3], s.d[4], alpha, b1, b2, eps, &opt.c)
    _raise_if_failed(status, "adam_step")
    s.write_back()


def nadam_step(param, grad, m, v, *, learning_rate, beta_1, beta_2, epsilon, step, u_product, weight_decay=0.0,
               clipvalue=None, clipnorm=None, global_clipnorm=None, segments=None):
    """In place: Nadam as Keras 3 defines it; step counts from 1, u_product is the product of
    u_1 ... u_(step-1) (1.0 at the first step), u_t = beta_1 * (1 - 0.5 * 0.96**t).

    m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    m_hat = u_(t+1) * m / (1 - u_product * u_t * u_(t+1)) + (1 - u_t) * grad / (1 - u_product * u_t)
    param -= m_hat * lr / (sqrt(v / (1 - beta_2**t)) + epsilon)
    """
    direct = m is not None and v is not None and _direct(param, grad, (m, v))
    if not direct:
        check_state(param, ("m", "v"), grad=grad, m=m, v=v)
    if step < 1:
        raise ValueError(f"nadam_step: step counts from 1, got step={step}")
    cdef _StepOptions opt = _StepOptions("nadam_step", param, learning_rate, weight_decay, clipvalue, clipnorm,
                                         global_clipnorm, segments)
    _require_distinct("nadam_step", ("param", "grad", "m", "v"), (param, grad, m, v), direct)
    u_t, u_next = nadam_momentum_cache(beta_1, step), nadam_momentum_cache(beta_1, step + 1)
    u_product_t = u_product * u_t
    cdef double[7] c
    c[0] = beta_1
    c[1] = beta_2
    c[2] = u_next
    c[3] = 1 - u_product_t * u_next
    c[4] = 1 - u_t
    c[5] = 1 - u_product_t
    c[6] = 1 - beta_2**step
    cdef double lr = learning_rate, eps = epsilon
    cdef int status
    cdef _StepArrays s = _StepArrays(param, grad, m, v, direct=direct)
    with nogil:
        if s.f32:
            status = fastnn_nadam_step(s.n, s.f[0], s.f[1], s.f[2], s.f[3], lr, c, eps, &opt.c)
        else:
            status = fastnn_nadam_step(s.n, s.d[0], s.d[1], s.d[2], s.d[3], lr, c, eps, &opt.c)
    _raise_if_failed(status, "nadam_step")
    s.write_back()
