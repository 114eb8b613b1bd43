"""Element-wise maps of the fastnn_map1/fastnn_map2 families (the math functions, the
activations and their gradients, multiply, subtract, divide, maximum, minimum, greater_equal),
dropout and random_normal."""
import numpy as np

from .elementwise import add_samples
from .fuzzing import array, broadcast_partner, broadcast_shape, float_dtype, maybe_out, placed, shape as fuzz_shape
from .layout import LAYOUTS, large_arrays, layout_array, sample_label, seeded, shapes_1_to_3d, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

# (n_arrays, scalars, low, high) of each map's samples, and its tolerance in ulps
MAPS = [
    ("copy", (1, ()), 1.0),
    ("tanh", (1, ()), 8.0),
    ("sigmoid", (1, ()), 8.0),
    ("exp", (1, ()), 8.0),
    ("log", (1, (), 0.05, 4.0), 8.0),
    ("power", (1, (2.0,)), 8.0),
    ("clip", (1, (-0.5, 0.75)), 1.0),
    ("divide", (2, (), 0.5, 2.0), 8.0),
    ("tanh_grad", (2, ()), 8.0),
    ("sigmoid_grad", (2, ()), 8.0),
    ("power_grad", (2, (2.5,), 0.05, 4.0), 8.0),
    ("clip_grad", (2, (-0.5, 0.75)), 1.0),
    ("elu", (1, (1.3,)), 4.0),
    ("elu_grad", (2, (1.3,)), 4.0),
    ("selu", (1, ()), 4.0),
    ("selu_grad", (2, ()), 4.0),
    ("leaky_relu", (1, (0.3,)), 1.0),
    ("leaky_relu_grad", (2, (0.3,)), 1.0),
    ("softplus", (1, (), -20.0, 20.0), 4.0),
    ("softplus_grad", (2, (), -20.0, 20.0), 4.0),
    ("softsign", (1, ()), 4.0),
    ("softsign_grad", (2, ()), 4.0),
    ("gelu", (1, (), -8.0, 8.0), 4.0),
    ("gelu_grad", (2, (), -8.0, 8.0), 4.0),
    ("gelu_approximate", (1, (), -8.0, 8.0), 4.0),
    ("gelu_approximate_grad", (2, (), -8.0, 8.0), 4.0),
    ("silu", (1, (), -20.0, 20.0), 4.0),
    ("silu_grad", (2, (), -20.0, 20.0), 4.0),
    ("hard_sigmoid", (1, (), -4.0, 4.0), 1.0),
    ("hard_sigmoid_grad", (2, (), -4.0, 4.0), 1.0),
    ("full_like", (1, (2.5,)), 1.0),
]


def map_samples(name, dtype, n_arrays=1, scalars=(), low=None, high=None):
    """Samples for element-wise maps: n_arrays same-shape arrays (values in [low, high) when
    given), then the scalar arguments; plus zero-size, 0-d, out= and broadcast cases."""
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout):
            arrays = [layout_array(rng, shape, dtype, LAYOUTS[(LAYOUTS.index(layout) + i) % 4], low, high)
                      for i in range(n_arrays)]
            return tuple(arrays) + tuple(scalars), {}

        out.append(Sample(sample_label(name, shape, layout), seeded(build, seed)))
    base = 0.5 if low is None else (low + high) / 2
    out += [
        Sample(sample_label(name, "zero-size"), lambda: (tuple(np.zeros((0, 3), dtype) for _ in range(n_arrays))
                                                   + tuple(scalars), {})),
        Sample(sample_label(name, "0-d"), lambda: (tuple(np.array(base, dtype) for _ in range(n_arrays))
                                             + tuple(scalars), {})),
        Sample(sample_label(name, "out"), seeded(lambda rng: (
            tuple(layout_array(rng, (5, 9), dtype, "C", low, high) for _ in range(n_arrays)) + tuple(scalars),
            {"out": np.empty((5, 18), dtype)[:, ::2]}), 7)),
    ]
    return out



def large_map(name, dtype, n_arrays, scalars=(), low=None, high=None):
    return large_arrays(name, n_arrays, dtype, *scalars, low=low, high=high)


def map_errors(n_arrays, scalars=()):
    cases = [
        ErrorCase("complex", (np.ones(3, complex),) + tuple(np.ones(3) for _ in range(n_arrays - 1)) + scalars,
                  {}, TypeError),
        ErrorCase("out shape", tuple(np.ones(3) for _ in range(n_arrays)) + scalars, {"out": np.empty(4)}, ValueError),
    ]
    if n_arrays == 2:
        cases.append(ErrorCase("shapes", (np.ones((2, 3)), np.ones((3, 2))) + scalars, {}, ValueError))
    return cases



def broadcast_map_samples(name, dtype):
    """add's samples (every broadcast pattern) for another two-operand map."""
    return [Sample(s.label.replace("add[", f"{name}[", 1), s.make) for s in add_samples(dtype)]


def dropout_samples(dtype):
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout, seed=seed):
            return (layout_array(rng, shape, dtype, layout), [0.0, 0.2, 0.5, 0.9][seed % 4],
                    np.array([seed * 7919, seed], np.uint64)), {}

        out.append(Sample(sample_label("dropout", shape, layout), seeded(build, seed)))
    out += [
        Sample("dropout[zero-size]", lambda: ((np.zeros((0, 3), dtype), 0.5, np.array([1, 0], np.uint64)), {})),
        Sample("dropout[0-d]", lambda: ((np.array(2.0, dtype), 0.5, np.array([3, 4], np.uint64)), {})),
        Sample("dropout[rate 0]", seeded(lambda rng: ((layout_array(rng, (5, 9), dtype), 0.0,
                                                       np.array([5, 6], np.uint64)), {}), 8)),
    ]
    return out



def dropout_errors():
    state = np.zeros(2, np.uint64)
    return [
        ErrorCase("rate 1", (np.ones(3), 1.0, state), {}, ValueError),
        ErrorCase("negative rate", (np.ones(3), -0.1, state), {}, ValueError),
        ErrorCase("state dtype", (np.ones(3), 0.5, np.zeros(2, np.int64)), {}, TypeError),
        ErrorCase("state shape", (np.ones(3), 0.5, np.zeros(3, np.uint64)), {}, TypeError),
        ErrorCase("complex", (np.ones(3, complex), 0.5, state), {}, TypeError),
    ]


# The fuzzed values' range (default [-3, 3)) and scalar arguments, where they differ per map.
FUZZ_RANGES = {"log": (0.0, 4.0), "power_grad": (0.0, 4.0), "divide": (0.25, 4.0)}
FUZZ_SCALARS = {
    "power": lambda choices: (choices.choice([2.0, 3.0, -1.0]),),
    "power_grad": lambda choices: (choices.choice([2.0, 2.5, 0.5]),),
    "clip": lambda choices: (choices.floats(-2, 0), choices.floats(0, 2)),
    "clip_grad": lambda choices: (choices.floats(-2, 0), choices.floats(0, 2)),
    "elu": lambda choices: (choices.floats(0, 3),),
    "elu_grad": lambda choices: (choices.floats(0, 3),),
    "leaky_relu": lambda choices: (choices.floats(0, 1),),
    "leaky_relu_grad": lambda choices: (choices.floats(0, 1),),
    "full_like": lambda choices: (choices.choice([0.0, -1.5, np.inf]),),
}
BROADCASTING = ("multiply", "subtract", "divide", "maximum", "minimum", "greater_equal")


def map_case(choices, name, n_arrays):
    """n_arrays arrays (the second broadcasting for multiply, subtract and divide, else of the
    first's shape but now and then not), the map's scalars and maybe out=."""
    x_shape, dtype = fuzz_shape(choices), float_dtype(choices)
    low, high = FUZZ_RANGES.get(name, (-3.0, 3.0))
    args = (array(choices, x_shape, dtype, low, high),)
    out_shape = x_shape
    if n_arrays == 2:
        if name in BROADCASTING:
            other = broadcast_partner(choices, x_shape)
        else:
            other = x_shape if choices.integers(0, 19) else x_shape + (2,)
        args += (array(choices, other, dtype, low, high),)
        out_shape = broadcast_shape(x_shape, other)
    if name in FUZZ_SCALARS:
        args += FUZZ_SCALARS[name](choices)
    return FuzzCase(args, maybe_out(choices, out_shape, dtype))


def dropout_case(choices):
    x_shape, dtype = fuzz_shape(choices), float_dtype(choices)
    state = np.array([choices.integers(0, 2**64 - 1), choices.integers(0, 2**40)], np.uint64)
    rate = choices.choice([0.0, 0.1, 0.5, 0.99, 1.0])
    return FuzzCase((array(choices, x_shape, dtype), rate, state), {})


def random_normal_samples(dtype):
    """Every shape of the table, C-contiguous (the kernel's only layout), with varied states."""
    out = []
    for seed, (shape, _) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, seed=seed):
            return (np.zeros(shape, dtype), [0.0, -1.5, 3.0][seed % 3], [1.0, 0.5, 2.0][seed % 3],
                    np.array([seed * 104729 + 1, seed], np.uint64)), {}

        out.append(Sample(sample_label("random_normal", shape), seeded(build, seed)))
    out += [
        Sample("random_normal[zero-size]", lambda: ((np.empty((0, 3), dtype), 0.0, 1.0, np.array([1, 0], np.uint64)), {})),
        Sample("random_normal[0-d]", lambda: ((np.empty((), dtype), 0.0, 1.0, np.array([3, 4], np.uint64)), {})),
        Sample("random_normal[stddev 0]", lambda: ((np.empty((4, 5), dtype), 2.0, 0.0, np.array([5, 6], np.uint64)), {})),
    ]
    return out


def random_normal_errors():
    state = np.zeros(2, np.uint64)
    return [
        ErrorCase("strided out", (np.empty((4, 6))[:, ::2], 0.0, 1.0, state), {}, ValueError),
        ErrorCase("integer out", (np.empty(3, np.int64), 0.0, 1.0, state), {}, TypeError),
        ErrorCase("negative stddev", (np.empty(3), 0.0, -1.0, state), {}, ValueError),
        ErrorCase("state dtype", (np.empty(3), 0.0, 1.0, np.zeros(2, np.int64)), {}, TypeError),
    ]


def random_normal_case(choices):
    dtype = float_dtype(choices)
    state = np.array([choices.integers(0, 2**64 - 1), choices.integers(0, 2**40)], np.uint64)
    return FuzzCase((np.zeros(fuzz_shape(choices), dtype), choices.floats(-3, 3), choices.floats(0, 3), state), {},
                    magnitude=10.0)


def not_equal_samples(dtype):
    """Small integers (so that many elements equal the value), NaN and infinities, every layout."""
    out = []
    for seed, (shape, layout) in enumerate(shapes_1_to_3d()):
        def build(rng, shape=shape, layout=layout, seed=seed):
            x = rng.integers(-2, 3, shape).astype(dtype)
            return (with_layout(x, layout), float(seed % 3 - 1)), {}

        out.append(Sample(sample_label("not_equal", shape, layout), seeded(build, seed)))
    out += [
        Sample("not_equal[NaN, infinities]", lambda: ((np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], dtype), 0.0), {})),
        Sample("not_equal[NaN value]", lambda: ((np.array([np.nan, 1.0], dtype), np.nan), {})),
        Sample("not_equal[zero-size]", lambda: ((np.zeros((0, 3), dtype), 0.0), {})),
        Sample("not_equal[out]", seeded(lambda rng: ((rng.integers(0, 2, (5, 9)).astype(dtype), 1.0),
                                                       {"out": np.empty((5, 18), dtype)[:, ::2]}), 7)),
    ]
    return out


def not_equal_case(choices):
    x_shape, dtype = fuzz_shape(choices), float_dtype(choices)
    x = np.random.default_rng(choices.seed()).integers(-2, 3, x_shape).astype(dtype)
    return FuzzCase((placed(choices, x), float(choices.integers(-2, 2))), maybe_out(choices, x_shape, dtype))


RECORDS = [
    KernelRecord("not_equal", not_equal_samples, lambda d: large_arrays("not_equal", 1, d, 0.0),
                 lambda: map_errors(1, (0.0,)), ulps=0.0, fuzz=not_equal_case),
    *[KernelRecord(name, lambda d, name=name, a=args: map_samples(name, d, *a),
                   lambda d, name=name, a=args: large_map(name, d, *a),
                   lambda a=args: map_errors(a[0], tuple(a[1])), ulps=ulps,
                   fuzz=lambda choices, name=name, a=args: map_case(choices, name, a[0]))
      for name, args, ulps in MAPS],
    *[KernelRecord(name, lambda d, name=name: broadcast_map_samples(name, d),
                   lambda d, name=name: large_arrays(name, 2, d), lambda: map_errors(2),
                   fuzz=lambda choices, name=name: map_case(choices, name, 2))
      for name in ("multiply", "subtract", "maximum", "minimum", "greater_equal")],
    KernelRecord("dropout", dropout_samples, lambda d: Sample("dropout[large]", seeded(lambda rng: (
        (layout_array(rng, (384, 700), d), 0.4, np.array([12345, 67], np.uint64)), {}), 99)), dropout_errors,
                 mutates=(2,), fuzz=dropout_case),
    KernelRecord("random_normal", random_normal_samples, lambda d: Sample("random_normal[large]", lambda: (
        (np.zeros((384, 700), d), 0.5, 2.0, np.array([12345, 67], np.uint64)), {})), random_normal_errors,
                 mutates=(0, 3), ulps=16.0, fuzz=random_normal_case),
]
