"""Batch normalization: the per-channel statistics (with the moving averages they update), the
normalization and its gradient, for x of any rank normalized along one axis."""
import math

import numpy as np

from .fuzzing import array, float_dtype, largest_input, placed, size
from .layout import LAYOUTS, SIZES, layout_array, sample_label as _label, seeded
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

# (x shape, axis): every size of SIZES as the batch, as the channels of NHWC images and as the
# inner axis of channels-first data; a vector, zero-size data and no channels.
CASES = (
    [((n, 3), -1) for n in SIZES]
    + [((4, n), 1) for n in SIZES]
    + [((2, 3, 2, n), -1) for n in SIZES]
    + [((2, 3, n), 1) for n in SIZES]
    + [((7,), 0), ((1, 5), -1), ((5, 3, 2), 0), ((3, 4, 5, 6), 2), ((0, 4), -1), ((2, 0, 3), 1), ((3, 0), -1),
       ((0, 2, 2, 3), 3), ((16, 28, 28, 8), -1)]
)


def _count(shape, axis):
    return math.prod(shape) // max(shape[axis], 1)


def _vectors(rng, channels, dtype, seed):
    mean = layout_array(rng, (channels,), dtype)
    variance = layout_array(rng, (channels,), dtype, low=0.01, high=3.0)
    gamma = layout_array(rng, (channels,), dtype) if seed % 3 else None
    beta = layout_array(rng, (channels,), dtype) if seed % 4 else None
    return mean, variance, gamma, beta


def samples(name, dtype):
    out = []
    for seed, (shape, axis) in enumerate(CASES):
        layout = LAYOUTS[seed % 4]
        channels = shape[axis]

        def build(rng, shape=shape, axis=axis, layout=layout, seed=seed, channels=channels):
            x = layout_array(rng, shape, dtype, layout)
            if name == "batch_norm_statistics":
                if seed % 2:
                    moving = (layout_array(rng, (channels,), dtype), layout_array(rng, (channels,), dtype, low=0.5,
                                                                                  high=2.0))
                    return (x,) + moving, {"axis": axis, "momentum": (0.99, 0.9, 0.0, 1.0)[seed % 4]}
                return (x,), {"axis": axis}
            mean, variance, gamma, beta = _vectors(rng, channels, dtype, seed)
            epsilon = (1e-3, 1e-5, 0.1)[seed % 3]
            if name == "batch_norm":
                return (x, mean, variance, gamma, beta), {"axis": axis, "epsilon": epsilon}
            dy = layout_array(rng, shape, dtype, LAYOUTS[(seed + 1) % 4])
            if seed % 2:  # x's own statistics, as in training
                mean, variance = (np.asarray(v, dtype) for v in _statistics(x, axis))
            return (dy, x, mean, variance, gamma), {"axis": axis, "epsilon": epsilon, "training": seed % 2 == 1}

        reduction = _count(shape, axis) if name != "batch_norm" else 4
        out.append(Sample(_label(name, shape, f"axis={axis}", layout), seeded(build, 40_000 + seed), reduction))
    if name == "batch_norm":
        out.append(Sample(_label(name, "out, int inputs"), lambda: (
            (np.arange(12).reshape(3, 4), np.ones(4), np.full(4, 2.0)),
            {"out": np.empty((3, 8))[:, ::2], "epsilon": 0.0}), 4))
    if name == "batch_norm_statistics":
        out.append(Sample(_label(name, "constant channels"), lambda: ((np.full((9, 3), 2.5, dtype),), {}), 9))
    return out


def _statistics(x, axis):
    v = np.moveaxis(np.asarray(x, np.float64), axis, -1).reshape(_count(x.shape, axis), x.shape[axis])
    if not v.shape[0]:
        return np.zeros(v.shape[1]), np.zeros(v.shape[1])
    return v.mean(axis=0), v.var(axis=0)


def large(name, dtype):
    def build(rng):
        x = layout_array(rng, (64, 16, 16, 8), dtype)
        if name == "batch_norm_statistics":
            return (x, layout_array(rng, (8,), dtype), np.ones(8, dtype)), {"momentum": 0.9}
        mean, variance = (np.asarray(v, dtype) for v in _statistics(x, -1))
        gamma, beta = layout_array(rng, (8,), dtype), layout_array(rng, (8,), dtype)
        if name == "batch_norm":
            return (x, mean, variance, gamma, beta), {}
        return (layout_array(rng, x.shape, dtype), x, mean, variance, gamma), {}

    return Sample(_label(name, "large"), seeded(build, 41_000), 64 * 16 * 16 if name != "batch_norm" else 4)


def errors(name):
    x, v = np.ones((4, 3)), np.ones(3)
    if name == "batch_norm_statistics":
        def case(label, exc, *args, **kwargs):
            return ErrorCase(label, args or (x,), kwargs, exc)
        return [
            case("0-d x", ValueError, np.float64(1.0)),
            case("axis out of range", ValueError, axis=2),
            case("float axis", ValueError, axis=1.0),
            case("complex", TypeError, np.ones((2, 3), complex)),
            case("only moving_mean", ValueError, x, np.zeros(3)),
            case("moving list", TypeError, x, [0.0] * 3, [1.0] * 3),
            case("moving dtype", TypeError, x, np.zeros(3, np.float32), np.ones(3, np.float32)),
            case("moving shape", ValueError, x, np.zeros(4), np.ones(4)),
            case("moving strided", ValueError, x, np.zeros(6)[::2], np.ones(3)),
            case("moving shared", ValueError, x, v, v),
            case("momentum nan", ValueError, momentum=float("nan")),
            case("momentum string", ValueError, momentum="0.9"),
        ]
    if name == "batch_norm":
        def case(label, exc, *args, **kwargs):
            return ErrorCase(label, args or (x, v, v), kwargs, exc)
        return [
            case("mean shape", ValueError, x, np.ones(4), v),
            case("gamma shape", ValueError, x, v, v, np.ones((1, 3))),
            case("axis", ValueError, x, np.ones(4), np.ones(4), axis=-3),
            case("negative epsilon", ValueError, epsilon=-1e-3),
            case("epsilon inf", ValueError, epsilon=float("inf")),
            case("complex", TypeError, x, v.astype(complex), v),
            case("out shape", ValueError, out=np.empty((3, 4))),
            case("0-d", ValueError, np.float64(1.0), v[:1], v[:1]),
        ]

    def case(label, exc, *args, **kwargs):
        return ErrorCase(label, args or (x, x, v, v), kwargs, exc)
    return [
        case("dy shape", ValueError, np.ones((4, 2)), x, v, v),
        case("variance shape", ValueError, x, x, v, np.ones(2)),
        case("axis", ValueError, axis=-3),
        case("epsilon", ValueError, epsilon=None),
        case("complex dy", TypeError, x.astype(complex), x, v, v),
    ]


def fuzz_case(choices, name):
    rank = choices.integers(1, 4)
    shape = tuple(size(choices, small=6) for _ in range(rank))
    if math.prod(shape) > 20_000:
        shape = tuple(min(d, 3) for d in shape)
    axis = choices.integers(-rank, rank - 1)
    if choices.integers(0, 29) == 0:
        axis = rank  # out of range: both raise
    dtype = float_dtype(choices)
    x = array(choices, shape, dtype)
    channels = shape[axis] if -rank <= axis < rank else 1
    count = math.prod(shape) // max(channels, 1)
    if name == "batch_norm_statistics":
        kwargs = {"axis": axis, "momentum": choices.choice([0.99, 0.9, 0.5, 0.0])}
        if choices.boolean():
            moving = (np.asarray(np.random.default_rng(choices.seed()).uniform(-2, 2, channels), dtype),
                      np.asarray(np.random.default_rng(choices.seed()).uniform(0.1, 2, channels), dtype))
            return FuzzCase((x,) + moving, kwargs, reduction=max(count, 1), magnitude=largest_input([x]) ** 2)
        return FuzzCase((x,), kwargs, reduction=max(count, 1), magnitude=largest_input([x]) ** 2)
    epsilon = choices.choice([1e-3, 1e-5, 0.5])
    mean = array(choices, (channels,), dtype)
    variance = placed(choices, np.asarray(np.random.default_rng(choices.seed()).uniform(0.05, 4, channels), dtype))
    gamma = array(choices, (channels,), dtype) if choices.boolean() else None
    inv = 1 / np.sqrt(float(np.min(variance, initial=4.0)) + epsilon)
    g = largest_input([gamma]) if gamma is not None else 1.0
    if name == "batch_norm":
        beta = array(choices, (channels,), dtype) if choices.boolean() else None
        kwargs = {"axis": axis, "epsilon": epsilon}
        magnitude = (largest_input([x]) + largest_input([mean])) * inv * g + largest_input([beta] if beta is not None
                                                                                            else [])
        return FuzzCase((x, mean, variance, gamma, beta), kwargs, reduction=4, magnitude=magnitude)
    dy = array(choices, shape, dtype)
    training = choices.boolean()
    kwargs = {"axis": axis, "epsilon": epsilon, "training": training}
    spread = (largest_input([x]) + largest_input([mean])) * inv
    magnitude = largest_input([dy]) * g * inv * (1 + spread * spread) * (1 + spread)
    return FuzzCase((dy, x, mean, variance, gamma), kwargs, reduction=max(count, 1), magnitude=magnitude)


NAMES = ("batch_norm_statistics", "batch_norm", "batch_norm_grad")

RECORDS = [
    KernelRecord(name, lambda d, name=name: samples(name, d), lambda d, name=name: large(name, d),
                 lambda name=name: errors(name), mutates=(1, 2) if name == "batch_norm_statistics" else (),
                 fuzz=lambda choices, name=name: fuzz_case(choices, name))
    for name in NAMES
]
