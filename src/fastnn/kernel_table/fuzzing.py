"""Building blocks of the fuzz strategies, written against the source of choices (choices.py)."""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def float_dtype(choices):
    return choices.choice(FLOAT_DTYPES)


def size(choices, small=9):
    """Mostly small sizes with zero, the odd 31-101 and one larger size."""
    if not choices.boolean():
        return choices.integers(0, small)
    return choices.choice([1, 2, 3, 17, 31, 97, 101, 160])


def shape(choices, min_rank=0, max_rank=3):
    return tuple(size(choices) for _ in range(choices.integers(min_rank, max_rank)))


def placed(choices, values):
    """values copied into a view with random axis order and random (possibly negative) steps."""
    if values.ndim == 0:
        return values.copy()
    order = choices.permutation(values.ndim)
    steps = [choices.choice([1, 1, 1, 2, -1, -2, 3]) for _ in range(values.ndim)]
    base = np.zeros([values.shape[axis] * abs(steps[axis]) for axis in order], values.dtype)
    view = base[tuple(slice(None, None, steps[axis]) for axis in order)]
    view = view.transpose(np.argsort(order))
    view[...] = values
    assert view.shape == values.shape
    return view


def array(choices, shape, dtype, low=-3.0, high=3.0):
    """Uniform values in [low, high), now and then scaled by 1e-3 or 1e3, in a random layout."""
    rng = np.random.default_rng(choices.seed())
    scale = choices.choice([1.0, 1.0, 1e-3, 1e3])
    values = np.asarray(rng.uniform(low, high, shape) * scale, dtype=dtype)
    return placed(choices, values)


def broadcast_partner(choices, shape):
    """A shape that broadcasts with `shape`, or now and then one that does not."""
    partner = [choices.choice([d, d, 1]) for d in shape[len(shape) - choices.integers(0, len(shape)):]]
    if partner and choices.integers(0, 9) == 0:
        partner[-1] = size(choices) + 2
    return tuple(partner)


def broadcast_shape(shape, other):
    """The shapes' broadcast, or `shape` when they do not broadcast (the oracle then raises)."""
    try:
        return np.broadcast_shapes(shape, other)
    except ValueError:
        return shape


def maybe_out(choices, shape, dtype):
    """{} or {"out": array}, the array now and then of a wrong shape."""
    if choices.boolean():
        return {}
    if choices.integers(0, 19) == 0:
        shape = tuple(shape) + (1,)
    return {"out": array(choices, shape, dtype)}


def finite_max(x):
    """The largest finite magnitude in x (0 when there is none)."""
    x = np.abs(np.asarray(x, dtype=np.float64))
    x = x[np.isfinite(x)]
    return float(x.max()) if x.size else 0.0


def largest_input(args):
    """The largest magnitude among the float inputs: rounding errors scale with it, not with the
    result, when terms cancel (softmax_grad's dy - sum(dy * y), a matmul's dot products)."""
    values = [finite_max(a) for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return max(values, default=1.0)
