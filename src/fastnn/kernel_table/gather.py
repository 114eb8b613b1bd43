"""gather_rows: rows picked by index from a source of any numeric dtype, converted to float."""
import numpy as np

from .fuzzing import array, float_dtype, placed, shape as fuzz_shape, size
from .layout import sample_label, seeded, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample


def gather_samples(dtype):
    out = []
    seed = 0
    sources = [np.uint8, np.float32, np.float64, np.int16, bool]
    for src in sources:
        for n_rows, inner, layout in [(5, (3,), "C"), (60, (28, 28), "C"), (60, (28, 28), "reversed"),
                                      (31, (7, 2), "strided"), (97, (), "C"), (200, (784,), "F")]:
            seed += 1

            def build(rng, src=src, n_rows=n_rows, inner=inner, layout=layout):
                x = with_layout(rng.uniform(0, 255, (n_rows,) + inner).astype(src), layout)
                idx = rng.integers(-n_rows, n_rows, size=min(n_rows, 128))
                return (x, idx), {"dtype": dtype}

            out.append(Sample(sample_label("gather_rows", np.dtype(src).name, n_rows, inner, layout), seeded(build, seed)))
    out += [
        Sample("gather_rows[no indices]", lambda: ((np.zeros((4, 3), np.uint8), np.zeros(0, np.int64)), {"dtype": dtype})),
        Sample("gather_rows[no rows, no indices]",
               lambda: ((np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)), {"dtype": dtype})),
        Sample("gather_rows[empty rows]", lambda: ((np.zeros((4, 0), np.uint8), np.array([1, 2])), {"dtype": dtype})),
        Sample("gather_rows[uint32 indices, out]", seeded(lambda rng: (
            (rng.integers(0, 255, (9, 4, 4)).astype(np.uint8), np.array([8, 0, 3], np.uint32)),
            {"dtype": dtype, "out": np.empty((3, 32), dtype)[:, ::2]}), 9)),
        Sample("gather_rows[strided indices]", seeded(lambda rng: (
            (rng.standard_normal((20, 3)), (np.arange(40) % 20)[::-3]), {"dtype": dtype}), 10)),
        Sample("gather_rows[1-D x]", lambda: ((np.arange(6, dtype=np.float32), np.array([5, -1, 0])), {"dtype": dtype})),
    ]
    return out


def gather_errors():
    x = np.zeros((4, 3), np.uint8)
    return [
        ErrorCase("object x", (np.array([[None]], dtype=object), np.array([0])), {}, TypeError),
        ErrorCase("0-d x", (np.array(1.0), np.array([0])), {}, ValueError),
        ErrorCase("float indices", (x, np.array([0.0])), {}, TypeError),
        ErrorCase("2-D indices", (x, np.zeros((1, 1), np.int64)), {}, TypeError),
        ErrorCase("index too large", (x, np.array([0, 4])), {}, IndexError),
        ErrorCase("index too small", (x, np.array([-5])), {}, IndexError),
        ErrorCase("out shape", (x, np.array([0])), {"out": np.empty((2, 3), np.float32)}, ValueError),
        ErrorCase("out dtype", (x, np.array([0])), {"out": np.empty((1, 3), np.float64)}, TypeError),
    ]


def large_gather(dtype):
    def build(rng):
        x = rng.integers(0, 255, (6000, 784)).astype(np.uint8)
        return (x, rng.permutation(6000)[:512]), {"dtype": dtype}

    return Sample("gather_rows[large]", seeded(build, 13))



def gather_case(choices):
    """A source of any dtype and layout, indices of any integer dtype (now and then one out of
    range), maybe out=."""
    n, inner = size(choices), fuzz_shape(choices, max_rank=2)
    source = choices.choice([np.uint8, np.int16, np.float32, np.float64, bool])
    dtype = float_dtype(choices)
    index_dtype = choices.choice([np.int64, np.int32, np.uint32, np.intp])
    rng = np.random.default_rng(choices.seed())
    x = placed(choices, rng.uniform(0, 200, (n,) + inner).astype(source))
    count = choices.integers(0, 40)
    low = 0 if np.dtype(index_dtype).kind == "u" else -n
    high = n + (choices.integers(0, 9) == 0)
    indices = placed(choices, rng.integers(low, high, count).astype(index_dtype)) if high > low \
        else np.zeros(count, index_dtype)
    kwargs = {"dtype": dtype}
    if choices.boolean():
        kwargs["out"] = array(choices, (count, int(np.prod(inner))), dtype)
    return FuzzCase((x, indices), kwargs)


RECORDS = [KernelRecord("gather_rows", gather_samples, large_gather, gather_errors, fuzz=gather_case)]
