# Element-wise maps (csrc/elementwise.c's fastnn_map1/fastnn_map2), dropout and normal samples
# (csrc/dropout.c).

# The map ops of csrc/fastnn.h (enum fastnn_map1 / fastnn_map2).
cdef extern from "fastnn.h":
    enum:
        FASTNN_MAP_COPY
        FASTNN_MAP_SCALE
        FASTNN_MAP_TANH
        FASTNN_MAP_SIGMOID
        FASTNN_MAP_EXP
        FASTNN_MAP_LOG
        FASTNN_MAP_SQUARE
        FASTNN_MAP_POW
        FASTNN_MAP_CLIP
        FASTNN_MAP_ELU
        FASTNN_MAP_LEAKY_RELU
        FASTNN_MAP_SOFTPLUS
        FASTNN_MAP_SOFTSIGN
        FASTNN_MAP_GELU
        FASTNN_MAP_GELU_APPROXIMATE
        FASTNN_MAP_SILU
        FASTNN_MAP_HARD_SIGMOID
        FASTNN_MAP_NOT_EQUAL
        FASTNN_MAP_FILL
        FASTNN_MAP_MUL
        FASTNN_MAP_DIV
        FASTNN_MAP_SUB
        FASTNN_MAP_TANH_GRAD
        FASTNN_MAP_SIGMOID_GRAD
        FASTNN_MAP_POW_GRAD
        FASTNN_MAP_CLIP_GRAD
        FASTNN_MAP_ELU_GRAD
        FASTNN_MAP_LEAKY_RELU_GRAD
        FASTNN_MAP_SOFTPLUS_GRAD
        FASTNN_MAP_SOFTSIGN_GRAD
        FASTNN_MAP_GELU_GRAD
        FASTNN_MAP_GELU_APPROXIMATE_GRAD
        FASTNN_MAP_SILU_GRAD
        FASTNN_MAP_HARD_SIGMOID_GRAD
        FASTNN_MAP_MAXIMUM
        FASTNN_MAP_MINIMUM
        FASTNN_MAP_GREATER_EQUAL

cdef int _map1(int op, cnp.ndarray x, cnp.ndarray out, double k0, double k1) except -1:
    cdef KernelCall c
    c.kernel = K_MAP1
    c.op = op
    c.f32 = _is_f32(out)
    c.k[0] = k0
    c.k[1] = k1
    _fill_layout(&c, out, x, None)
    c.p[0] = _data(x)
    c.p[1] = _data(out)
    return _run(&c, (x,), (out,))


cdef int _map2(int op, cnp.ndarray a, cnp.ndarray b, cnp.ndarray out, double k0, double k1) except -1:
    cdef KernelCall c
    c.kernel = K_MAP2
    c.op = op
    c.f32 = _is_f32(out)
    c.k[0] = k0
    c.k[1] = k1
    _fill_layout(&c, out, a, b)
    c.p[0] = _data(a)
    c.p[1] = _data(b)
    c.p[2] = _data(out)
    return _run(&c, (a, b), (out,))


# SELU's constants (Klambauer et al., 2017), as Keras writes them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _unary(int op, x, out, double k0=0.0, double k1=0.0):
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    if out.size:
        o = _addressable(out)
        _map1(op, _operand(x, o), o, k0, k1)
        _copy_back(o, out)
    return out


def _binary_map(int op, str name, a, b, out, double k0=0.0, double k1=0.0, bint same_shape=False):
    a, b = as_float_arrays(a=a, b=b)
    if same_shape:
        check_same_shape(name, a, b, "the saved operand")
    shape = broadcast_shape(name, a, b)
    out = check_out(out, shape, a.dtype)
    if out.size:
        o = _addressable(out)
        _map2(op, _operand(a, o), _operand(b, o), o, k0, k1)
        _copy_back(o, out)
    return out


def copy(x, out=None):
    """out = x (a copy made by a kernel, so that step plans can replay it)."""
    return _unary(FASTNN_MAP_COPY, x, out)


def not_equal(x, value, out=None):
    """out = 1 where x != value, else 0, element-wise (NaN differs from every value): a mask."""
    return _unary(FASTNN_MAP_NOT_EQUAL, x, out, float(value))


def full_like(x, value, out=None):
    """out = value everywhere, an array of x's shape and dtype (x's values are not read)."""
    x = as_float_array(x, "x")
    out = check_out(out, x.shape, x.dtype)
    return _unary(FASTNN_MAP_FILL, out, out, float(value))


def tanh(x, out=None):
    """out = tanh(x) element-wise."""
    return _unary(FASTNN_MAP_TANH, x, out)


def sigmoid(x, out=None):
    """out = 1 / (1 + exp(-x)) element-wise, never overflowing."""
    return _unary(FASTNN_MAP_SIGMOID, x, out)


def exp(x, out=None):
    """out = exp(x) element-wise."""
    return _unary(FASTNN_MAP_EXP, x, out)


def log(x, out=None):
    """out = log(x) element-wise (log(0) = -inf, log of a negative number NaN, as NumPy)."""
    return _unary(FASTNN_MAP_LOG, x, out)


def power(x, exponent, out=None):
    """out = x ** exponent element-wise, for a scalar exponent."""
    p = float(exponent)
    return _unary(FASTNN_MAP_SQUARE if p == 2.0 else FASTNN_MAP_POW, x, out, p)


def clip(x, lo, hi, out=None):
    """out = x limited to [lo, hi] element-wise (NaN stays NaN); lo <= hi."""
    lo, hi = float(lo), float(hi)
    if not lo <= hi:
        raise ValueError(f"clip: lo must not exceed hi. Received: lo={lo!r}, hi={hi!r}")
    return _unary(FASTNN_MAP_CLIP, x, out, lo, hi)


def multiply(a, b, out=None):
    """out = a * b with NumPy broadcasting."""
    return _binary_map(FASTNN_MAP_MUL, "multiply", a, b, out)


def divide(a, b, out=None):
    """out = a / b with NumPy broadcasting."""
    return _binary_map(FASTNN_MAP_DIV, "divide", a, b, out)


def subtract(a, b, out=None):
    """out = a - b with NumPy broadcasting."""
    return _binary_map(FASTNN_MAP_SUB, "subtract", a, b, out)


def maximum(a, b, out=None):
    """out = the larger of a and b with NumPy broadcasting (NaN when either is; b at a tie)."""
    return _binary_map(FASTNN_MAP_MAXIMUM, "maximum", a, b, out)


def minimum(a, b, out=None):
    """out = the smaller of a and b with NumPy broadcasting (NaN when either is; b at a tie)."""
    return _binary_map(FASTNN_MAP_MINIMUM, "minimum", a, b, out)


def greater_equal(a, b, out=None):
    """out = 1 where a >= b, else 0, with NumPy broadcasting."""
    return _binary_map(FASTNN_MAP_GREATER_EQUAL, "greater_equal", a, b, out)


def tanh_grad(dy, y, out=None):
    """out = dy * (1 - y * y): tanh's gradient given its output y."""
    return _binary_map(FASTNN_MAP_TANH_GRAD, "tanh_grad", dy, y, out, same_shape=True)


def sigmoid_grad(dy, y, out=None):
    """out = dy * (y * (1 - y)): the sigmoid's gradient given its output y."""
    return _binary_map(FASTNN_MAP_SIGMOID_GRAD, "sigmoid_grad", dy, y, out, same_shape=True)


def power_grad(dy, x, exponent, out=None):
    """out = dy * (exponent * x ** (exponent - 1)): the gradient of x ** exponent."""
    return _binary_map(FASTNN_MAP_POW_GRAD, "power_grad", dy, x, out, float(exponent), same_shape=True)


def clip_grad(dy, x, lo, hi, out=None):
    """out = dy where lo <= x <= hi, else 0: clip's gradient given its input x."""
    return _binary_map(FASTNN_MAP_CLIP_GRAD, "clip_grad", dy, x, out, float(lo), float(hi), same_shape=True)


# ---- activations: out = f(x), and out = dy * f'(x) given the input x ----

def elu(x, alpha=1.0, out=None):
    """out = x where x >= 0, else alpha * (exp(x) - 1)."""
    return _unary(FASTNN_MAP_ELU, x, out, float(alpha), 1.0)


def elu_grad(dy, x, alpha=1.0, out=None):
    """out = dy where x >= 0, else dy * alpha * exp(x): elu's gradient given its input x."""
    return _binary_map(FASTNN_MAP_ELU_GRAD, "elu_grad", dy, x, out, float(alpha), 1.0, same_shape=True)


def selu(x, out=None):
    """out = SELU_SCALE * elu(x, SELU_ALPHA)."""
    return _unary(FASTNN_MAP_ELU, x, out, SELU_ALPHA, SELU_SCALE)


def selu_grad(dy, x, out=None):
    """out = dy * SELU_SCALE * (1 where x >= 0, else SELU_ALPHA * exp(x)): selu's gradient."""
    return _binary_map(FASTNN_MAP_ELU_GRAD, "selu_grad", dy, x, out, SELU_ALPHA, SELU_SCALE, same_shape=True)


def leaky_relu(x, negative_slope=0.2, out=None):
    """out = x where x >= 0, else negative_slope * x."""
    return _unary(FASTNN_MAP_LEAKY_RELU, x, out, float(negative_slope))


def leaky_relu_grad(dy, x, negative_slope=0.2, out=None):
    """out = dy where x >= 0, else negative_slope * dy: leaky_relu's gradient given its input x."""
    return _binary_map(FASTNN_MAP_LEAKY_RELU_GRAD, "leaky_relu_grad", dy, x, out, float(negative_slope),
                       same_shape=True)


def softplus(x, out=None):
    """out = log(1 + exp(x)), never overflowing."""
    return _unary(FASTNN_MAP_SOFTPLUS, x, out)


def softplus_grad(dy, x, out=None):
    """out = dy * sigmoid(x): softplus's gradient given its input x."""
    return _binary_map(FASTNN_MAP_SOFTPLUS_GRAD, "softplus_grad", dy, x, out, same_shape=True)


def softsign(x, out=None):
    """out = x / (1 + |x|)."""
    return _unary(FASTNN_MAP_SOFTSIGN, x, out)


def softsign_grad(dy, x, out=None):
    """out = dy / (1 + |x|) ** 2: softsign's gradient given its input x."""
    return _binary_map(FASTNN_MAP_SOFTSIGN_GRAD, "softsign_grad", dy, x, out, same_shape=True)


def gelu(x, out=None):
    """out = 0.5 * x * (1 + erf(x / sqrt(2))), the exact GELU."""
    return _unary(FASTNN_MAP_GELU, x, out)


def gelu_grad(dy, x, out=None):
    """out = dy * (Phi(x) + x * phi(x)), Phi and phi the standard normal cdf and pdf: gelu's gradient."""
    return _binary_map(FASTNN_MAP_GELU_GRAD, "gelu_grad", dy, x, out, same_shape=True)


def gelu_approximate(x, out=None):
    """out = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3))), GELU's tanh form."""
    return _unary(FASTNN_MAP_GELU_APPROXIMATE, x, out)


def gelu_approximate_grad(dy, x, out=None):
    """out = dy times the derivative of gelu_approximate at its input x."""
    return _binary_map(FASTNN_MAP_GELU_APPROXIMATE_GRAD, "gelu_approximate_grad", dy, x, out, same_shape=True)


def silu(x, out=None):
    """out = x * sigmoid(x) (also called swish)."""
    return _unary(FASTNN_MAP_SILU, x, out)


def silu_grad(dy, x, out=None):
    """out = dy * s * (1 + x * (1 - s)), s = sigmoid(x): silu's gradient given its input x."""
    return _binary_map(FASTNN_MAP_SILU_GRAD, "silu_grad", dy, x, out, same_shape=True)


def hard_sigmoid(x, out=None):
    """out = min(max(x + 3, 0), 6) / 6."""
    return _unary(FASTNN_MAP_HARD_SIGMOID, x, out)


def hard_sigmoid_grad(dy, x, out=None):
    """out = dy / 6 where 0 < x + 3 < 6, else 0: hard_sigmoid's gradient given its input x."""
    return _binary_map(FASTNN_MAP_HARD_SIGMOID_GRAD, "hard_sigmoid_grad", dy, x, out, same_shape=True)


def dropout(x, rate, state, out=None, mask=None):
    """(out, mask): mask = 1 / (1 - rate) for kept elements, else 0, and out = x * mask.

    Each element is kept with probability 1 - rate by a hash of (state[0], state[1], its
    index), the same at any thread count; state (2 uint64: seed, counter) is advanced by 1.
    """
    x = as_float_array(x, "x")
    rate = dropout_rate(rate)
    check_dropout_state(state)
    out = check_out(out, x.shape, x.dtype)
    mask = check_out(mask, x.shape, x.dtype, "mask")
    for name, arr in (("out", out), ("mask", mask)):
        if not _kernel_ready(arr):
            raise ValueError(f"dropout: {name} must be an aligned C-contiguous array")
    if _overlaps_any(mask, (out, x)):
        raise ValueError("dropout: mask must not overlap x or out")
    xc = _unaliased(_c_array(x), out)
    cdef KernelCall c
    c.kernel = K_DROPOUT
    c.f32 = _is_f32(out)
    c.i[0] = out.size
    c.k[0] = rate
    c.p[0] = _data(xc)
    c.p[1] = _data(out)
    c.p[2] = _data(mask)
    c.p[3] = _data(state)
    _run(&c, (xc, state), (out, mask, state))
    return out, mask


def random_normal(out, mean, stddev, state):
    """out = mean + stddev * z, z standard normal samples (Box-Muller on a hash of (state[0],
    state[1], the element's index), the same at any thread count); state (2 uint64: seed,
    counter) is advanced by 1. Returns out."""
    if not isinstance(out, np.ndarray) or out.dtype not in FLOAT_DTYPES:
        raise TypeError(f"random_normal: out must be a float32 or float64 ndarray, got "
                        f"{type(out).__name__} {getattr(out, 'dtype', '')}")
    check_writable(out, "out")
    if not _kernel_ready(out):
        raise ValueError("random_normal: out must be an aligned C-contiguous array")
    mean, stddev = float(mean), float(stddev)
    if not (np.isfinite(mean) and np.isfinite(stddev)) or stddev < 0:
        raise ValueError(f"random_normal: mean must be finite and stddev finite and >= 0. "
                         f"Received: mean={mean!r}, stddev={stddev!r}")
    check_dropout_state(state, "random_normal")
    cdef KernelCall c
    c.kernel = K_RANDOM_NORMAL
    c.f32 = _is_f32(out)
    c.i[0] = out.size
    c.k[0] = mean
    c.k[1] = stddev
    c.p[0] = _data(out)
    c.p[1] = _data(state)
    _run(&c, (state,), (out, state))
    return out
