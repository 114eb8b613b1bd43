"""The softmax family: softmax, its gradient, and cross-entropy on softmax and its gradient."""
import numpy as np

from .. import reference
from .elementwise import shape_mismatch_errors
from .fuzzing import array, float_dtype, maybe_out, placed, shape as fuzz_shape, size
from .layout import LAYOUTS, SIZES, large_arrays, layout_array, sample_label, seeded
from .record import ErrorCase, FuzzCase, KernelRecord, Sample


def row_shapes():
    for n in SIZES:
        yield (3, n), LAYOUTS[n % 4]
        yield (n,), "C"
    for layout in LAYOUTS:
        yield (2, 3, 11), layout
        yield (128, 784), layout
    yield (128, 10), "C"
    yield (128, 512), "C"


def softmax_samples(dtype, grad=False):
    name = "softmax_grad" if grad else "softmax"
    out = []
    for seed, (shape, layout) in enumerate(row_shapes()):
        def build(rng, shape=shape, layout=layout):
            x = layout_array(rng, shape, dtype, layout) * 3
            if not grad:
                return (x,), {}
            y = reference.softmax(layout_array(rng, shape, dtype, "C"))
            return (x, y), {}

        out.append(Sample(sample_label(name, shape, layout), seeded(build, seed), shape[-1]))
    n = 2 if grad else 1
    if grad:
        out.append(Sample(sample_label(name, "0-d"), lambda: ((np.array(0.7, dtype), np.array(0.4, dtype)), {})))
    out += [
        Sample(sample_label(name, "zero rows"), lambda: (tuple(np.zeros((0, 4), dtype) for _ in range(n)), {})),
        Sample(sample_label(name, "zero columns"), lambda: (tuple(np.zeros((4, 0), dtype) for _ in range(n)), {})),
        Sample(sample_label(name, "out"), seeded(lambda rng: (tuple(layout_array(rng, (6, 9), dtype) for _ in range(n)),
                                                        {"out": np.empty((6, 9), dtype)}), 5), 9),
        Sample(sample_label(name, "strided out"), seeded(lambda rng: (
            tuple(layout_array(rng, (6, 9), dtype) for _ in range(n)), {"out": np.empty((9, 6), dtype).T}), 6), 9),
        Sample(sample_label(name, "large values"), seeded(lambda rng: (
            tuple(layout_array(rng, (4, 33), dtype, low=-1e4, high=1e4) for _ in range(n)), {}), 8), 33),
    ]
    return out


def softmax_errors():
    return [
        ErrorCase("0-d", (np.array(1.0),), {}, ValueError),
        ErrorCase("object", (np.array([1, None], dtype=object),), {}, TypeError),
        ErrorCase("out shape", (np.ones((2, 3)),), {"out": np.empty((2, 4))}, ValueError),
    ]


def xent_samples(dtype, grad=False):
    name = "softmax_cross_entropy_grad" if grad else "softmax_cross_entropy"
    out = []
    shapes = [((n, 10), LAYOUTS[n % 4]) for n in SIZES] + [((3, n), LAYOUTS[n % 4]) for n in SIZES]
    shapes += [((128, 10), "C"), ((128, 784), "reversed"), ((128, 512), "strided")]
    seed = 0
    for (n, k), layout in shapes:
        for target_kind in ("classes", "onehot", "probabilities"):
            seed += 1

            def build(rng, n=n, k=k, layout=layout, target_kind=target_kind):
                x = layout_array(rng, (n, k), dtype, layout) * 4
                if grad:
                    x = np.abs(x) / np.abs(x).sum(axis=1, keepdims=True)
                classes = rng.integers(0, k, n)
                if target_kind == "classes":
                    target = classes
                elif target_kind == "onehot":
                    target = np.eye(k, dtype=dtype)[classes]
                else:
                    target = reference.softmax(layout_array(rng, (n, k), dtype, "F"))
                kwargs = {"scale": 1.0 / n} if grad else {}
                return (x, target), kwargs

            out.append(Sample(sample_label(name, (n, k), layout, target_kind), seeded(build, seed), k))
    out += [
        Sample(sample_label(name, "zero rows"), lambda: ((np.zeros((0, 5), dtype), np.zeros(0, np.int64)), {})),
        Sample(sample_label(name, "zero classes"), lambda: ((np.zeros((3, 0), dtype), np.zeros((3, 0), dtype)), {})),
        Sample(sample_label(name, "int32 classes"), seeded(lambda rng: (
            (layout_array(rng, (7, 4), dtype), np.array([0, 1, 2, 3, 3, 2, 1], np.int32)), {}), 3), 4),
        Sample(sample_label(name, "large logits"), seeded(lambda rng: (
            (layout_array(rng, (5, 40), dtype, low=-1e4, high=1e4), np.arange(5) * 7), {}), 4), 40),
    ]
    return out


def xent_errors():
    logits = np.zeros((4, 3))
    return [
        ErrorCase("1-D logits", (np.zeros(3), np.zeros(3, np.int64)), {}, ValueError),
        ErrorCase("float classes", (logits, np.zeros(4)), {}, TypeError),
        ErrorCase("class too large", (logits, np.array([0, 1, 3, 2])), {}, ValueError),
        ErrorCase("negative class", (logits, np.array([0, -1, 2, 2])), {}, ValueError),
        ErrorCase("classes length", (logits, np.array([0, 1, 2])), {}, ValueError),
        ErrorCase("target shape", (logits, np.zeros((4, 2))), {}, ValueError),
        ErrorCase("complex logits", (np.zeros((4, 3), complex), np.zeros(4, np.int64)), {}, TypeError),
    ]


def large_xent(dtype, grad=False):
    def build(rng):
        x = layout_array(rng, (512, 300), dtype)
        if grad:
            x = np.abs(x)
        kwargs = {"scale": 0.5} if grad else {}
        return (x, rng.integers(0, 300, 512)), kwargs

    return Sample("xent[large]", seeded(build, 11), 300)



def softmax_case(choices, grad=False):
    x_shape, dtype = fuzz_shape(choices, min_rank=1), float_dtype(choices)
    args = (array(choices, x_shape, dtype, -30.0, 30.0),)
    if grad:
        y = reference.softmax(array(choices, x_shape, dtype))
        args += (placed(choices, y),)
    return FuzzCase(args, maybe_out(choices, x_shape, dtype), reduction=max(1, x_shape[-1]))


def xent_target(choices, n, k, dtype):
    """Class indices, one-hot rows or probabilities, or now and then a bad target."""
    kind = choices.choice(["classes", "onehot", "probabilities", "bad classes", "bad shape"])
    rng = np.random.default_rng(choices.seed())
    if kind == "classes":
        return placed(choices, rng.integers(0, max(k, 1), n).astype(choices.choice([np.int64, np.int32])))
    if kind == "bad classes":
        return rng.integers(-2, k + 2, n)
    if kind == "bad shape":
        return np.zeros((n, k + 1), dtype)
    classes = rng.integers(0, max(k, 1), n)
    if kind == "onehot":
        return placed(choices, np.eye(max(k, 1), dtype=dtype)[classes][:, :k])
    p = rng.uniform(0, 1, (n, k)).astype(dtype)
    return placed(choices, p / np.maximum(p.sum(axis=1, keepdims=True), 1e-3))


def xent_case(choices, grad=False):
    n, k, dtype = size(choices), size(choices), float_dtype(choices)
    logits = array(choices, (n, k), dtype, -20.0, 20.0)
    kwargs = {}
    if grad:
        logits = np.abs(logits)
        kwargs["scale"] = choices.choice([1.0, 0.5, 1.0 / max(n, 1)])
    return FuzzCase((logits, xent_target(choices, n, k, dtype)), kwargs, reduction=max(k, 1))


RECORDS = [
    KernelRecord("softmax", softmax_samples, lambda d: large_arrays("softmax", 1, d), softmax_errors,
                 fuzz=softmax_case),
    KernelRecord("softmax_grad", lambda d: softmax_samples(d, grad=True),
                 lambda d: large_arrays("softmax_grad", 2, d), shape_mismatch_errors,
                 fuzz=lambda choices: softmax_case(choices, grad=True)),
    KernelRecord("softmax_cross_entropy", xent_samples, large_xent, xent_errors, fuzz=xent_case),
    KernelRecord("softmax_cross_entropy_grad", lambda d: xent_samples(d, grad=True),
                 lambda d: large_xent(d, grad=True), xent_errors, fuzz=lambda choices: xent_case(choices, grad=True)),
]
