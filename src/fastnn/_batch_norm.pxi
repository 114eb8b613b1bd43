# Batch normalization (csrc/batch_norm.c): per-channel statistics, the normalization and its
# gradient, for x of any rank normalized along one axis (its channels).
from fastnn import _norm_checks


cdef int _bn_call(int kernel, tuple sizes, object dtype_source, int op, double k, tuple p, tuple reads,
                  tuple writes) except -1:
    """Runs (and records) one batch-norm call: (outer, channels, inner) in i, operands in p."""
    cdef KernelCall call
    cdef int j
    call.kernel = kernel
    call.f32 = _is_f32(<cnp.ndarray> dtype_source)
    call.op = op
    call.nd = 0
    call.k[0] = k
    for j in range(3):
        call.i[j] = sizes[j]
    for j in range(8):
        call.p[j] = _ptr(p[j]) if j < len(p) else NULL
    return _run(&call, reads, writes)


def batch_norm_statistics(x, moving_mean=None, moving_variance=None, *, axis=-1, momentum=0.99):
    """(mean, variance) of each channel of x (along `axis`) over all the other axes, the variance
    biased (divided by the count); both zero for no elements. Given moving_mean and
    moving_variance (arrays of x's dtype), each is updated in place when x has elements:
    moving = moving * momentum + statistic * (1 - momentum)."""
    (x,), sizes = _norm_checks.operands("batch_norm_statistics", axis, x=x)
    momentum = _norm_checks.number("batch_norm_statistics", "momentum", momentum)
    _norm_checks.moving_statistics("batch_norm_statistics", x, moving_mean, moving_variance, sizes[1])
    x = _c_array(x)
    mean, variance = np.empty(sizes[1], x.dtype), np.empty(sizes[1], x.dtype)
    if moving_mean is None:
        _bn_call(K_BATCH_NORM_STATISTICS, sizes, x, 0, momentum, (x, mean, variance, None, None), (x,),
                 (mean, variance))
    else:
        _bn_call(K_BATCH_NORM_STATISTICS, sizes, x, 0, momentum, (x, mean, variance, moving_mean, moving_variance),
                 (x, moving_mean, moving_variance), (mean, variance, moving_mean, moving_variance))
    return mean, variance


def batch_norm(x, mean, variance, gamma=None, beta=None, *, axis=-1, epsilon=1e-3, out=None):
    """y = (x - mean) * gamma / sqrt(variance + epsilon) + beta, channel by channel along `axis`;
    gamma None: 1, beta None: 0."""
    (x, mean, variance, gamma, beta), sizes = _norm_checks.operands(
        "batch_norm", axis, x=x, mean=mean, variance=variance, gamma=gamma, beta=beta)
    epsilon = _norm_checks.number("batch_norm", "epsilon", epsilon, 0)
    x, mean, variance = _c_array(x), _c_array(mean), _c_array(variance)
    gamma = None if gamma is None else _c_array(gamma)
    beta = None if beta is None else _c_array(beta)
    out, y = _target(out, x.shape, x.dtype, (x, mean, variance, gamma, beta))
    _bn_call(K_BATCH_NORM, sizes, x, 0, epsilon, (x, mean, variance, gamma, beta, y), (x, mean, variance, gamma, beta),
             (y,))
    _copy_back(y, out)
    return out


def batch_norm_grad(dy, x, mean, variance, gamma=None, *, axis=-1, epsilon=1e-3, training=True):
    """(dx, dgamma, dbeta): the gradients of sum(dy * batch_norm(x, mean, variance, gamma, beta)).
    With training, mean and variance are x's own statistics (batch_norm_statistics) and dx
    follows them; without, they are constants."""
    (dy, x, mean, variance, gamma), sizes = _norm_checks.operands(
        "batch_norm_grad", axis, dy=dy, x=x, mean=mean, variance=variance, gamma=gamma)
    epsilon = _norm_checks.number("batch_norm_grad", "epsilon", epsilon, 0)
    dy, x, mean, variance = _c_array(dy), _c_array(x), _c_array(mean), _c_array(variance)
    gamma = None if gamma is None else _c_array(gamma)
    dx = np.empty(x.shape, x.dtype)
    dgamma, dbeta = np.empty(sizes[1], x.dtype), np.empty(sizes[1], x.dtype)
    _bn_call(K_BATCH_NORM_GRAD, sizes, x, 1 if training else 0, epsilon, (dy, x, mean, variance, gamma, dx, dgamma,
             dbeta), (dy, x, mean, variance, gamma), (dx, dgamma, dbeta))
    return dx, dgamma, dbeta
