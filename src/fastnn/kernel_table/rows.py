"""take_rows and scatter_add_rows: an embedding table's lookup by an index array and its gradient."""
import numpy as np

from .fuzzing import array, float_dtype, maybe_out, placed, size
from .layout import LAYOUTS, SIZES, layout_array, sample_label, seeded, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

# the index dtypes: the kernels read float32 (the trainer's), float64, int32 and int64 as they are
INDEX_DTYPES = (np.float32, np.int64, np.float64, np.int32, np.uint8, np.int16)


def _indices(rng, shape, rows, index_dtype, layout):
    values = rng.integers(0, rows, size=shape) if rows else np.zeros(shape, np.int64)
    if np.dtype(index_dtype) == np.uint8:
        values = values % 256
    return with_layout(values.astype(index_dtype), layout)


def rows_samples(name, dtype):
    """Every size of SIZES as the table's rows, its row length and the index count; every index
    dtype and layout; repeated indices (the gradient's sums); 0-d, empty and out= cases."""
    out = []
    cases = ([(n, 5, (3, 7)) for n in SIZES] + [(13, n, (2, 5)) for n in SIZES] + [(11, 4, (n,)) for n in SIZES]
             + [(10000, 32, (4, 50)), (3, 2, (40,)), (1, 1, (9, 3))])
    for seed, (rows, dim, index_shape) in enumerate(cases):
        layout = LAYOUTS[seed % 4]
        index_dtype = INDEX_DTYPES[seed % len(INDEX_DTYPES)]

        def build(rng, rows=rows, dim=dim, index_shape=index_shape, layout=layout, index_dtype=index_dtype):
            idx = _indices(rng, index_shape, rows, index_dtype, LAYOUTS[(LAYOUTS.index(layout) + 1) % 4])
            if name == "take_rows":
                return (layout_array(rng, (rows, dim), dtype, layout), idx), {}
            return (layout_array(rng, index_shape + (dim,), dtype, layout), idx, rows), {}

        reduction = 1 if name == "take_rows" else int(np.prod(index_shape))
        label = sample_label(name, rows, dim, index_shape, np.dtype(index_dtype).name, layout)
        out.append(Sample(label, seeded(build, 40_000 + seed), reduction))
    if name == "take_rows":
        out += [
            Sample(sample_label(name, "0-d index"), seeded(lambda rng: (
                (layout_array(rng, (6, 3), dtype), np.float32(4)), {}), 41_000)),
            Sample(sample_label(name, "no indices"), lambda: ((np.ones((4, 3), dtype), np.zeros((0, 5))), {})),
            Sample(sample_label(name, "empty rows"), lambda: ((np.ones((4, 0), dtype), np.array([[1, 3]])), {})),
            Sample(sample_label(name, "out"), seeded(lambda rng: (
                (layout_array(rng, (9, 4), dtype), np.array([[8, 0], [3, 3]], np.float32)),
                {"out": np.empty((2, 2, 8), dtype)[..., ::2]}), 41_001)),
        ]
    else:
        out += [
            Sample(sample_label(name, "no indices"), lambda: ((np.ones((0, 3), dtype), np.zeros(0), 4), {})),
            Sample(sample_label(name, "no rows, no indices"), lambda: ((np.ones((0, 3), dtype), np.zeros(0), 0), {})),
            Sample(sample_label(name, "one row, every index"), seeded(lambda rng: (
                (layout_array(rng, (97, 5), dtype), np.zeros(97, np.float32), 1), {}), 41_002), 97),
            Sample(sample_label(name, "out"), seeded(lambda rng: (
                (layout_array(rng, (2, 3, 4), dtype), np.array([[0, 5, 0], [2, 2, 2]]), 6),
                {"out": np.empty((6, 8), dtype)[:, ::2]}), 41_003), 6),
        ]
    return out


def rows_errors(name):
    table, grad = np.ones((4, 3)), np.ones((2, 3))

    def case(label, exc, indices, **kwargs):
        if name == "take_rows":
            return ErrorCase(label, (table, indices), kwargs, exc)
        return ErrorCase(label, (grad[:len(indices)] if np.ndim(indices) == 1 else np.ones(np.shape(indices) + (3,)),
                                 indices, 4), kwargs, exc)

    cases = [
        case("index too large", IndexError, np.array([0, 4.0])),
        case("negative index", IndexError, np.array([-1, 0])),
        case("fraction", IndexError, np.array([1.5, 0.0], np.float32)),
        case("NaN", IndexError, np.array([0, np.nan])),
        case("infinity", IndexError, np.array([np.inf, 1])),
        case("2-D, second row", IndexError, np.array([[0, 1], [2, 9]], np.int32)),
        case("named owner", IndexError, np.array([7, 0]), owner="Layer 'embedding' (Embedding)"),
        case("complex indices", TypeError, np.array([1j, 0])),
        case("object indices", TypeError, np.array([None, 0], dtype=object)),
    ]
    if name == "take_rows":
        cases += [
            ErrorCase("1-D table", (np.ones(4), np.array([0])), {}, ValueError),
            ErrorCase("complex table", (np.ones((4, 3), complex), np.array([0])), {}, TypeError),
            ErrorCase("out shape", (table, np.array([0, 1])), {"out": np.empty((2, 4))}, ValueError),
        ]
    else:
        cases += [
            ErrorCase("grad shape", (np.ones((3, 3)), np.array([0, 1]), 4), {}, ValueError),
            ErrorCase("negative rows", (grad, np.array([0, 1]), -1), {}, ValueError),
            ErrorCase("out shape", (grad, np.array([0, 1]), 4), {"out": np.empty((3, 3))}, ValueError),
        ]
    return cases


def large_rows(name, dtype):
    def build(rng):
        idx = rng.integers(0, 10000, (128, 500)).astype(np.float32)  # the book's IMDB batch
        if name == "take_rows":
            return (layout_array(rng, (10000, 32), dtype), idx), {}
        return (layout_array(rng, (128, 500, 32), dtype), idx, 10000), {}

    return Sample(sample_label(name, "large"), seeded(build, 42_000), 1 if name == "take_rows" else 20)


def rows_case(choices, name):
    """A table of any size, indices of any shape and dtype (now and then a bad one), maybe out=."""
    rows, dim, dtype = size(choices), size(choices), float_dtype(choices)
    index_shape = tuple(size(choices) for _ in range(choices.integers(0, 2)))
    index_dtype = choices.choice([np.float32, np.float64, np.int64, np.int32, np.uint8])
    rng = np.random.default_rng(choices.seed())
    values = rng.integers(0, max(rows, 1), index_shape)
    if choices.integers(0, 9) == 0 and values.size:
        values.flat[choices.integers(0, values.size - 1)] = choices.choice([rows, -1, rows + 5])
    indices = values.astype(index_dtype) if np.dtype(index_dtype).kind == "f" or values.min(initial=0) >= 0 \
        else values.astype(np.int64)
    if np.dtype(index_dtype).kind == "f" and choices.integers(0, 9) == 0 and indices.size:
        indices.flat[0] += 0.5
    indices = placed(choices, indices)
    if name == "take_rows":
        args = (array(choices, (rows, dim), dtype), indices)
        out_shape = index_shape + (dim,)
    else:
        args = (array(choices, index_shape + (dim,), dtype), indices, rows)
        out_shape = (rows, dim)
    reduction = 1 if name == "take_rows" else max(int(np.prod(index_shape)), 1)
    return FuzzCase(args, maybe_out(choices, out_shape, dtype), reduction=reduction)


RECORDS = [KernelRecord(name, lambda d, name=name: rows_samples(name, d), lambda d, name=name: large_rows(name, d),
                        lambda name=name: rows_errors(name), ulps=1.0,
                        fuzz=lambda choices, name=name: rows_case(choices, name))
           for name in ("take_rows", "scatter_add_rows")]
