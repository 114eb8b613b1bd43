# In-place optimizer steps (csrc/optim.c). Each runs as one fused pass over the
# elements; arrays the kernel cannot update in place (non-contiguous, or a state
# of another dtype) are worked on as contiguous copies and written back.
cdef extern from "fastnn.h" nogil:
    void fastnn_sgd_step_f32(fnn_int n, float *param, const float *grad, float *velocity, double lr, double momentum, int nesterov)
    void fastnn_sgd_step_f64(fnn_int n, double *param, const double *grad, double *velocity, double lr, double momentum, int nesterov)
    void fastnn_rmsprop_step_f32(fnn_int n, float *param, const float *grad, float *mean_square, float *momentum_buffer, double lr, double rho, double momentum, double epsilon)
    void fastnn_rmsprop_step_f64(fnn_int n, double *param, const double *grad, double *mean_square, double *momentum_buffer, double lr, double rho, double momentum, double epsilon)
    void fastnn_adagrad_step_f32(fnn_int n, float *param, const float *grad, float *accumulator, double lr, double epsilon)
    void fastnn_adagrad_step_f64(fnn_int n, double *param, const double *grad, double *accumulator, double lr, double epsilon)
    void fastnn_adam_step_f32(fnn_int n, float *param, const float *grad, float *m, float *v, double alpha, double beta_1, double beta_2, double epsilon)
    void fastnn_adam_step_f64(fnn_int n, double *param, const double *grad, double *m, double *v, double alpha, double beta_1, double beta_2, double epsilon)


def _check_state(param, required=(), **arrays):
    for name in ("grad",) + required:
        if arrays[name] is None:
            raise TypeError(f"{name} must be a numpy.ndarray, got None")
    if not isinstance(param, np.ndarray) or param.dtype not in (np.float32, np.float64):
        raise TypeError("param must be a float32 or float64 numpy.ndarray updated in place")
    if not param.flags.writeable:
        raise ValueError("param is read-only")
    for name, arr in arrays.items():
        if arr is None:
            continue
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray")
        if arr.shape != param.shape:
            raise ValueError(f"{name} has shape {arr.shape} but param has shape {param.shape}")
        if name != "grad" and not arr.flags.writeable:
            raise ValueError(f"{name} is read-only")


cdef bint _direct(object param, object grad, tuple states):
    """True when param, grad and the states that are not None are aligned, C-contiguous, native
    ndarrays of one float dtype and one shape, all but grad writable: the kernel takes them as
    they are, with nothing to check, copy or write back."""
    if not (type(param) is np.ndarray and _native_float_type(param) >= 0 and
            cnp.PyArray_ISALIGNED(<cnp.ndarray> param) and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> param)
            and cnp.PyArray_ISWRITEABLE(<cnp.ndarray> param)):
        return False
    for i, a in enumerate((grad,) + states):
        if a is None and i > 0:
            continue
        if not (type(a) is np.ndarray and cnp.PyArray_TYPE(<cnp.ndarray> a) == cnp.PyArray_TYPE(<cnp.ndarray> param)
                and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray> a) and cnp.PyArray_ISALIGNED(<cnp.ndarray> a)
                and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray> a)
                and cnp.PyArray_SAMESHAPE(<cnp.ndarray> a, <cnp.ndarray> param)
                and (i == 0 or cnp.PyArray_ISWRITEABLE(<cnp.ndarray> a))):
            return False
    return True


cdef class _StepArrays:
    """param, grad and up to two states as contiguous arrays of param's dtype."""
    cdef list originals, work
    cdef cnp.ndarray grad
    cdef readonly bint f32
    cdef readonly fnn_int n

    def __init__(self, param, grad, *states, bint direct=False):
        self.originals = [param, *states]
        self.f32 = param.dtype == np.float32
        self.n = param.size
        if direct:  # _direct accepted them: the kernel works on the arrays themselves
            self.work = self.originals
            self.grad = grad
            return
        self.work = [None if a is None else
                     (a if a.flags.c_contiguous and a.flags.aligned and a.dtype == param.dtype
                      else np.ascontiguousarray(a, dtype=param.dtype))
                     for a in self.originals]
        self.grad = np.ascontiguousarray(grad, dtype=param.dtype)

    cdef void *ptr(self, int i):
        """Data of param (0) or a state (1, 2); NULL for a missing state."""
        a = self.work[i]
        return NULL if a is None else _data(a)

    cdef void *grad_ptr(self):
        return _data(self.grad)

    def write_back(self):
        if self.work is self.originals:
            return
        for orig, work in zip(self.originals, self.work):
            if work is not None and work is not orig:
                orig[...] = work


def sgd_step(param, grad, velocity=None, *, learning_rate, momentum=0.0, nesterov=False):
    """In place: SGD with optional (Nesterov) momentum, as Keras 3 defines it.

    velocity = momentum * velocity - lr * grad
    param += momentum * velocity - lr * grad  (nesterov)  |  param += velocity
    Without momentum (velocity None or momentum 0): param -= lr * grad.
    """
    direct = _direct(param, grad, (velocity,))
    if not direct:
        _check_state(param, grad=grad, velocity=velocity)
    use_velocity = bool(momentum) and velocity is not None
    cdef _StepArrays s = _StepArrays(param, grad, velocity if use_velocity else None, direct=direct)
    cdef double lr = learning_rate, mu = momentum
    cdef int nest = bool(nesterov)
    cdef void *p = s.ptr(0)
    cdef void *v = s.ptr(1)
    cdef void *g = s.grad_ptr()
    with nogil:
        if s.f32:
            fastnn_sgd_step_f32(s.n, <float*>p, <float*>g, <float*>v, lr, mu, nest)
        else:
            fastnn_sgd_step_f64(s.n, <double*>p, <double*>g, <double*>v, lr, mu, nest)
    s.write_back()


def rmsprop_step(param, grad, mean_square, momentum_buffer=None, *, learning_rate, rho, momentum=0.0, epsilon):
    """In place: RMSprop as Keras 3 defines it.

    mean_square = rho * mean_square + (1 - rho) * grad**2
    increment = lr * grad / sqrt(mean_square + epsilon)
    with momentum: momentum_buffer = momentum * momentum_buffer + increment; param -= momentum_buffer
    else: param -= increment
    """
    use_momentum = bool(momentum) and momentum_buffer is not None
    direct = mean_square is not None and _direct(param, grad, (mean_square, momentum_buffer))
    if not direct:
        _check_state(param, ("mean_square",), grad=grad, mean_square=mean_square, momentum_buffer=momentum_buffer)
    cdef _StepArrays s = _StepArrays(param, grad, mean_square, momentum_buffer if use_momentum else None,
                                     direct=direct)
    cdef double lr = learning_rate, r = rho, mu = momentum, eps = epsilon
    cdef void *p = s.ptr(0)
    cdef void *ms = s.ptr(1)
    cdef void *mb = s.ptr(2)
    cdef void *g = s.grad_ptr()
    with nogil:
        if s.f32:
            fastnn_rmsprop_step_f32(s.n, <float*>p, <float*>g, <float*>ms, <float*>mb, lr, r, mu, eps)
        else:
            fastnn_rmsprop_step_f64(s.n, <double*>p, <double*>g, <double*>ms, <double*>mb, lr, r, mu, eps)
    s.write_back()


def adagrad_step(param, grad, accumulator, *, learning_rate, epsilon):
    """In place: accumulator += grad**2; param -= lr * grad / sqrt(accumulator + epsilon)."""
    direct = accumulator is not None and _direct(param, grad, (accumulator,))
    if not direct:
        _check_state(param, ("accumulator",), grad=grad, accumulator=accumulator)
    cdef _StepArrays s = _StepArrays(param, grad, accumulator, direct=direct)
    cdef double lr = learning_rate, eps = epsilon
    cdef void *p = s.ptr(0)
    cdef void *acc = s.ptr(1)
    cdef void *g = s.grad_ptr()
    with nogil:
        if s.f32:
            fastnn_adagrad_step_f32(s.n, <float*>p, <float*>g, <float*>acc, lr, eps)
        else:
            fastnn_adagrad_step_f64(s.n, <double*>p, <double*>g, <double*>acc, lr, eps)
    s.write_back()


def adam_step(param, grad, m, v, *, learning_rate, beta_1, beta_2, epsilon, step):
    """In place: Adam as Keras 3 defines it; step counts from 1.

    m += (grad - m) * (1 - beta_1); v += (grad**2 - v) * (1 - beta_2)
    param -= lr * sqrt(1 - beta_2**step) / (1 - beta_1**step) * m / (sqrt(v) + epsilon)
    """
    direct = m is not None and v is not None and _direct(param, grad, (m, v))
    if not direct:
        _check_state(param, ("m", "v"), grad=grad, m=m, v=v)
    if step < 1:
        raise ValueError(f"adam_step: step counts from 1, got step={step}")
    cdef double alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    cdef double b1 = beta_1, b2 = beta_2, eps = epsilon
    cdef _StepArrays s = _StepArrays(param, grad, m, v, direct=direct)
    cdef void *p = s.ptr(0)
    cdef void *pm = s.ptr(1)
    cdef void *pv = s.ptr(2)
    cdef void *g = s.grad_ptr()
    with nogil:
        if s.f32:
            fastnn_adam_step_f32(s.n, <float*>p, <float*>g, <float*>pm, <float*>pv, alpha, b1, b2, eps)
        else:
            fastnn_adam_step_f64(s.n, <double*>p, <double*>g, <double*>pm, <double*>pv, alpha, b1, b2, eps)
    s.write_back()
