"""Element-wise kernels with broadcasting and out=: add, sum_to_shape, relu, relu_grad."""
import numpy as np

from .fuzzing import array, broadcast_partner, broadcast_shape, float_dtype, maybe_out, shape as fuzz_shape
from .layout import LAYOUTS, large_arrays, layout_array, sample_label, seeded, shapes_1_to_3d
from .record import ErrorCase, FuzzCase, KernelRecord, Sample


def add_samples(dtype):
    out = []
    seed = 0
    for shape, layout in shapes_1_to_3d():
        others = [(shape, layout), (shape[-1:], "C"), ((), "C")]
        if len(shape) >= 2:
            others += [(shape[:-1] + (1,), "C"), ((1,) + shape[1:], "strided")]
        for b_shape, b_layout in others:
            seed += 1

            def build(rng, shape=shape, layout=layout, b_shape=b_shape, b_layout=b_layout):
                return (layout_array(rng, shape, dtype, layout), layout_array(rng, b_shape, dtype, b_layout)), {}

            out.append(Sample(sample_label("add", shape, layout, b_shape, b_layout), seeded(build, seed)))
    extra = {
        "zero-size": lambda rng: ((np.zeros((0, 3), dtype), np.ones(3, dtype)), {}),
        "zero-size broadcast": lambda rng: ((np.zeros((4, 0), dtype), np.ones((1, 1), dtype)), {}),
        "0-d": lambda rng: ((np.array(1.5, dtype), np.array(-2.0, dtype)), {}),
        "scalar first": lambda rng: ((np.array(3.0, dtype), layout_array(rng, (4, 5), dtype, "F")), {}),
        "4-D": lambda rng: ((layout_array(rng, (2, 1, 3, 5), dtype, "reversed"),
                             layout_array(rng, (4, 1, 5), dtype, "strided")), {}),
        "python floats": lambda rng: (([1.0, 2.0], 0.5), {}),
        "int + float32": lambda rng: ((np.arange(6).reshape(2, 3), np.ones(3, np.float32)), {}),
        "float32 + float64": lambda rng: ((np.ones((2, 3), np.float32), np.full(3, 0.1)), {}),
        "out": lambda rng: ((layout_array(rng, (6, 7), dtype), layout_array(rng, (7,), dtype)),
                            {"out": np.empty((6, 7), dtype)}),
        "strided out": lambda rng: ((layout_array(rng, (6, 7), dtype), layout_array(rng, (7,), dtype)),
                                    {"out": np.empty((6, 14), dtype)[:, ::2]}),
    }
    for i, (label, build) in enumerate(extra.items()):
        out.append(Sample(sample_label("add", label), seeded(build, 10_000 + i)))
    return out



def add_errors():
    a = np.ones((2, 3))
    ro = np.ones((2, 3))
    ro.flags.writeable = False
    return [
        ErrorCase("object", (np.array([1, None], dtype=object), a), {}, TypeError),
        ErrorCase("complex", (a, np.ones(3, complex)), {}, TypeError),
        ErrorCase("string", (np.array(["a", "b", "c"]), a), {}, TypeError),
        ErrorCase("shapes", (a, np.ones(4)), {}, ValueError),
        ErrorCase("out shape", (a, a), {"out": np.empty((3, 2))}, ValueError),
        ErrorCase("out dtype", (a, a), {"out": np.empty((2, 3), np.float32)}, TypeError),
        ErrorCase("out not array", (a, a), {"out": [[0.0] * 3] * 2}, TypeError),
        ErrorCase("out read-only", (a, a), {"out": ro}, ValueError),
    ]


def sum_to_shape_samples(dtype):
    out = []
    seed = 0
    for shape, layout in shapes_1_to_3d():
        targets = [shape[-1:], (), shape, (1,) * len(shape)]
        if len(shape) >= 2:
            targets += [(1,) + shape[1:], shape[:-1] + (1,)]
        if len(shape) == 3:
            targets += [(shape[0], 1, shape[2]), (shape[1], 1)]
        for target in targets:
            seed += 1
            reduction = int(np.prod(shape)) // max(1, int(np.prod(target)))

            def build(rng, shape=shape, layout=layout, target=target):
                return (layout_array(rng, shape, dtype, layout), target), {}

            out.append(Sample(sample_label("sum_to_shape", shape, layout, target), seeded(build, seed), reduction))
    out += [
        Sample("sum_to_shape[zero-size kept]", lambda: ((np.zeros((0, 4), dtype), (4,)), {})),
        Sample("sum_to_shape[zero-size reduced]", lambda: ((np.zeros((3, 0), dtype), (3, 1)), {})),
        Sample("sum_to_shape[0-d]", lambda: ((np.array(2.5, dtype), ()), {})),
        Sample("sum_to_shape[list shape]", lambda: ((np.ones((4, 3), dtype), [1, 3]), {}), 4),
        Sample("sum_to_shape[out]", seeded(lambda rng: ((layout_array(rng, (9, 5), dtype), (5,)),
                                                        {"out": np.empty(5, dtype)}), 5), 9),
        Sample("sum_to_shape[strided out]", seeded(lambda rng: ((layout_array(rng, (9, 5), dtype), (5,)),
                                                                {"out": np.empty(10, dtype)[::2]}), 6), 9),
    ]
    return out


def sum_to_shape_errors():
    return [
        ErrorCase("not broadcastable", (np.ones((2, 3)), (2,)), {}, ValueError),
        ErrorCase("more axes", (np.ones(3), (2, 3)), {}, ValueError),
        ErrorCase("complex", (np.ones(3, complex), (3,)), {}, TypeError),
    ]



def unary_samples(name, dtype, extra_args=0):
    """Samples for kernels taking extra_args + 1 same-shape arrays and out=."""
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout):
            arrays = [layout_array(rng, shape, dtype, layout)]
            arrays += [layout_array(rng, shape, dtype, LAYOUTS[(i + 1) % 4]) for i in range(extra_args)]
            return tuple(arrays), {}

        out.append(Sample(sample_label(name, shape, layout), seeded(build, seed)))
    n = extra_args + 1
    out += [
        Sample(sample_label(name, "zero-size"), lambda: (tuple(np.zeros((0, 3), dtype) for _ in range(n)), {})),
        Sample(sample_label(name, "0-d"), lambda: (tuple(np.array(-0.5 + i, dtype) for i in range(n)), {})),
        Sample(sample_label(name, "zeros"), lambda: (tuple(np.zeros(17, dtype) for _ in range(n)), {})),
        Sample(sample_label(name, "out"), seeded(lambda rng: (tuple(layout_array(rng, (5, 9), dtype) for _ in range(n)),
                                                        {"out": np.empty((5, 18), dtype)[:, ::2]}), 7)),
        Sample(sample_label(name, "ints"), lambda: (tuple(np.arange(-3, 3) for _ in range(n)), {})),
    ]
    return out



def shape_mismatch_errors():
    return [
        ErrorCase("shapes", (np.ones((2, 3)), np.ones((3, 2))), {}, ValueError),
        ErrorCase("complex", (np.ones(3, complex), np.ones(3)), {}, TypeError),
        ErrorCase("object", (np.array([1, None], dtype=object), np.ones(2)), {}, TypeError),
        ErrorCase("out shape", (np.ones(3), np.ones(3)), {"out": np.empty(4)}, ValueError),
    ]


def relu_errors():
    return [
        ErrorCase("complex", (np.ones(3, complex),), {}, TypeError),
        ErrorCase("string", (np.array(["x"]),), {}, TypeError),
        ErrorCase("out shape", (np.ones((2, 3)),), {"out": np.empty((3, 2))}, ValueError),
        ErrorCase("out dtype", (np.ones(3),), {"out": np.empty(3, np.float32)}, TypeError),
    ]



def add_case(choices):
    a_shape, dtype_a, dtype_b = fuzz_shape(choices), float_dtype(choices), float_dtype(choices)
    b_shape = broadcast_partner(choices, a_shape)
    if choices.boolean():
        a_shape, b_shape = b_shape, a_shape
    a, b = array(choices, a_shape, dtype_a), array(choices, b_shape, dtype_b)
    out_shape = broadcast_shape(a_shape, b_shape)
    return FuzzCase((a, b), maybe_out(choices, out_shape, np.result_type(a, b)))


def sum_to_shape_case(choices):
    x_shape, dtype = fuzz_shape(choices), float_dtype(choices)
    x = array(choices, x_shape, dtype)
    target = broadcast_partner(choices, x_shape)
    return FuzzCase((x, target), {}, max(1, x.size // max(1, int(np.prod(target)))))


def relu_case(choices, grad=False):
    x_shape, dtype = fuzz_shape(choices), float_dtype(choices)
    args = (array(choices, x_shape, dtype),)
    if grad:
        other = x_shape if choices.integers(0, 9) else broadcast_partner(choices, x_shape) + (2,)
        args += (array(choices, other, dtype),)
    return FuzzCase(args, maybe_out(choices, x_shape, dtype))


RECORDS = [
    KernelRecord("add", add_samples, lambda d: large_arrays("add", 2, d), add_errors, fuzz=add_case),
    KernelRecord("sum_to_shape", sum_to_shape_samples,
                 lambda d: Sample("sum_to_shape[large]", seeded(lambda rng: (
                     (layout_array(rng, (300, 1000), d), (1000,)), {}), 14), 300),
                 sum_to_shape_errors, fuzz=sum_to_shape_case),
    KernelRecord("relu", lambda d: unary_samples("relu", d), lambda d: large_arrays("relu", 1, d), relu_errors,
                 fuzz=relu_case),
    KernelRecord("relu_grad", lambda d: unary_samples("relu_grad", d, extra_args=1),
                 lambda d: large_arrays("relu_grad", 2, d), shape_mismatch_errors,
                 fuzz=lambda choices: relu_case(choices, grad=True)),
]
