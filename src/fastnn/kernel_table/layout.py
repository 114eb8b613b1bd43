"""Arrays for the samples: sizes, memory layouts and seeded values."""
import numpy as np

from .record import Sample

SIZES = list(range(1, 32)) + [97, 101]
LAYOUTS = ("C", "F", "strided", "reversed")
DTYPES = (np.float32, np.float64)


def with_layout(a, layout):
    """a's values laid out C-contiguous, Fortran, strided (every other element) or reversed."""
    if layout == "C" or a.ndim == 0:
        return a
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "strided":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    if layout == "reversed":
        flip = (slice(None, None, -1),) * a.ndim
        return np.ascontiguousarray(a[flip])[flip]
    raise ValueError(layout)


def layout_array(rng, shape, dtype, layout="C", low=None, high=None):
    """Random values (normal, or uniform in [low, high)) of shape and dtype in the given layout."""
    shape = tuple(shape)
    values = rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape)
    return with_layout(np.asarray(values).astype(dtype), layout)


def seeded(build, seed):
    """make() for a Sample: build(rng) with a fresh generator of a fixed seed."""
    return lambda: build(np.random.default_rng(seed))


def shapes_1_to_3d():
    """(shape, layout) pairs: sizes 1-31, 97, 101 in 1-D and 2-D, a few 3-D, the chapter's shapes."""
    for n in SIZES:
        yield (n,), "C"
        yield (3, n), LAYOUTS[n % 4]
        yield (n, 5), LAYOUTS[(n + 1) % 4]
    for layout in LAYOUTS:
        yield (2, 3, 7), layout
        yield (128, 784), layout
    yield (128, 512), "C"


def sample_label(name, *parts):
    return f"{name}[" + ", ".join(str(p) for p in parts) + "]"


def large_arrays(name, n_arrays, dtype, *scalars, low=None, high=None):
    """A Sample of n_arrays (384, 700) arrays, then the scalars: enough work for every thread."""
    def build(rng):
        return tuple(layout_array(rng, (384, 700), dtype, "C", low, high) for _ in range(n_arrays)) + scalars, {}

    return Sample(sample_label(name, "large"), seeded(build, 99))
