"""affine_transform: the affine warp (with flips) of data augmentation over channels-last image
batches, every boundary mode and both interpolation orders."""
import numpy as np

from .fuzzing import float_dtype, maybe_out, placed, size
from .layout import LAYOUTS, SIZES, sample_label, seeded, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

MODES = ("nearest", "constant", "reflect", "wrap")
SOURCES = (np.uint8, np.float32, np.float64)


def augmentation_matrix(rng, h, w, scale=1.0):
    """A rotation, shear, zoom and shift about the image centre, as the 2x3 (row, col) matrix that
    maps output pixels to input coordinates; `scale` widens every range (coordinates far outside)."""
    theta, shear = rng.uniform(-np.pi, np.pi), rng.uniform(-0.5, 0.5) * scale
    zoom = rng.uniform(0.5, 1.6, 2) * scale
    shift = rng.uniform(-0.5, 0.5, 2) * (h, w) * scale
    rotate = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    linear = rotate @ np.array([[1.0, -np.sin(shear)], [0.0, np.cos(shear)]]) @ np.diag(zoom)
    centre = np.array([h / 2 - 0.5, w / 2 - 0.5])
    return np.hstack([linear, (centre + shift - linear @ centre)[:, None]])


def images(rng, shape, source, layout):
    values = rng.uniform(0, 255, shape) if source == np.uint8 else rng.standard_normal(shape) * 50
    return with_layout(values.astype(source), layout)


def warp_case(rng, shape, dtype, seed, scale=1.0):
    """(args, kwargs) for one batch: a source dtype, layout, mode, order and flips chosen by seed."""
    n, h, w, _ = shape
    x = images(rng, shape, SOURCES[seed % 3], LAYOUTS[seed % 4])
    matrices = np.stack([augmentation_matrix(rng, h, w, scale) for _ in range(n)]).reshape(n, 2, 3)
    flips = rng.integers(0, 2, (n, 2)).astype(bool) if seed % 3 else None
    kwargs = {"order": seed % 2, "fill_mode": MODES[(seed // 2) % 4], "cval": float(seed % 5) - 1.5, "dtype": dtype}
    return (x, matrices, flips), kwargs


def warp_samples(dtype):
    cases = ([(2, n, 5, 3) for n in SIZES] + [(1, 6, n, 2) for n in SIZES] + [(2, 4, 3, n) for n in SIZES]
             + [(3, 28, 28, 1), (2, 30, 40, 3), (1, 1, 1, 1), (4, 2, 2, 4), (1, 150, 150, 3)])
    out = []
    for seed, shape in enumerate(cases):
        out.append(Sample(sample_label("affine_transform", shape, seed), seeded(
            lambda rng, shape=shape, seed=seed: warp_case(rng, shape, dtype, seed), 40_000 + seed)))
    for seed, mode in enumerate(MODES):  # coordinates far outside the image: many folds of reflect and wrap
        out.append(Sample(sample_label("affine_transform", "far outside", mode), seeded(
            lambda rng, mode=mode, seed=seed: _with(warp_case(rng, (2, 7, 9, 2), dtype, seed, scale=40.0),
                                                    fill_mode=mode, order=seed % 2), 41_000 + seed)))
    out += [
        Sample("affine_transform[zero-size batch]", lambda: (
            (np.zeros((0, 5, 5, 3), np.uint8), np.zeros((0, 2, 3)), None), {"dtype": dtype})),
        Sample("affine_transform[zero-size image]", lambda: (
            (np.zeros((2, 0, 5, 3), np.float32), np.zeros((2, 2, 3)), None), {"dtype": dtype})),
        Sample("affine_transform[no channels]", lambda: (
            (np.zeros((2, 3, 5, 0)), np.zeros((2, 2, 3)), None), {"dtype": dtype})),
        Sample("affine_transform[identity, int16]", seeded(lambda rng: (
            (rng.integers(-300, 300, (3, 5, 7, 2)).astype(np.int16), np.tile([[1.0, 0, 0], [0, 1.0, 0]], (3, 1, 1)),
             [[True, False], [False, True], [True, True]]), {"dtype": dtype}), 42_000)),
        Sample("affine_transform[bool images, nearest]", seeded(lambda rng: (
            (rng.integers(0, 2, (2, 6, 6, 1)).astype(bool), np.stack([augmentation_matrix(rng, 6, 6)] * 2), None),
            {"order": 0, "dtype": dtype}), 42_001)),
        Sample("affine_transform[half-pixel nearest]", lambda: (
            (np.arange(2 * 5 * 6 * 1, dtype=np.float32).reshape(2, 5, 6, 1),
             np.array([[[1.0, 0, 0.5], [0, 1.0, -0.5]], [[0.5, 0, 0.25], [0, 0.5, 0.25]]]), None),
            {"order": 0, "fill_mode": "reflect", "dtype": dtype})),
        Sample("affine_transform[out]", seeded(lambda rng: _with(
            warp_case(rng, (2, 9, 8, 3), dtype, 5), out=np.empty((2, 9, 8, 6), dtype)[..., ::2]), 42_002)),
    ]
    return out


def _with(case, **changes):
    args, kwargs = case
    return args, {**kwargs, **changes}


def large_warp(dtype):
    return Sample("affine_transform[large]", seeded(lambda rng: warp_case(rng, (8, 64, 64, 3), dtype, 7), 43_000))


def warp_errors():
    x = np.zeros((2, 4, 4, 3), np.float32)
    m = np.tile([[1.0, 0, 0], [0, 1.0, 0]], (2, 1, 1))
    return [
        ErrorCase("3-D images", (x[0], m[:1]), {}, ValueError),
        ErrorCase("complex images", (x.astype(complex), m), {}, TypeError),
        ErrorCase("matrices shape", (x, m[:, :, :2]), {}, ValueError),
        ErrorCase("one matrix for two images", (x, m[:1]), {}, ValueError),
        ErrorCase("NaN matrix", (x, m * np.nan), {}, ValueError),
        ErrorCase("huge matrix", (x, m * 2.0 ** 30), {}, ValueError),
        ErrorCase("string matrices", (x, np.full((2, 2, 3), "a")), {}, TypeError),
        ErrorCase("order 3", (x, m), {"order": 3}, ValueError),
        ErrorCase("order True", (x, m), {"order": True}, ValueError),
        ErrorCase("fill_mode mirror", (x, m), {"fill_mode": "mirror"}, ValueError),
        ErrorCase("flips shape", (x, m, np.zeros((2,), bool)), {}, ValueError),
        ErrorCase("flips value 2", (x, m, np.full((2, 2), 2)), {}, ValueError),
        ErrorCase("cval string", (x, m), {"cval": "0"}, TypeError),
        ErrorCase("dtype int32", (x, m), {"dtype": np.int32}, TypeError),
        ErrorCase("out shape", (x, m), {"out": np.empty((2, 4, 4, 2), np.float32)}, ValueError),
        ErrorCase("out dtype", (x, m), {"out": np.empty((2, 4, 4, 3), np.float64)}, TypeError),
    ]


def warp_fuzz(choices):
    """A small batch of any source dtype and layout, a matrix from augmentation ranges or from a
    wide random spread, any mode, order, flips and cval, maybe out=."""
    n, h, w, c = choices.integers(0, 3), size(choices, 7), size(choices, 7), choices.integers(1, 4)
    if max(h, w) > 40:
        h, w = min(h, 40), min(w, 40)
    rng = np.random.default_rng(choices.seed())
    source = choices.choice([np.uint8, np.float32, np.float64, np.int16])
    x = placed(choices, images(rng, (n, h, w, c), source if source != np.int16 else np.float64, "C").astype(source))
    if choices.boolean():
        matrices = [augmentation_matrix(rng, max(h, 1), max(w, 1), choices.choice([1.0, 1.0, 5.0, 60.0]))
                    for _ in range(n)]
    else:
        matrices = [rng.uniform(-1, 1, (2, 3)) * choices.choice([0.5, 2.0, 30.0]) for _ in range(n)]
    matrices = np.array(matrices, np.float64).reshape(n, 2, 3)
    flips = rng.integers(0, 2, (n, 2)).astype(bool) if choices.boolean() else None
    dtype = float_dtype(choices)
    kwargs = {"order": choices.integers(0, 1), "fill_mode": choices.choice(MODES),
              "cval": choices.floats(-5, 5), "dtype": dtype, **maybe_out(choices, (n, h, w, c), dtype)}
    return FuzzCase((x, matrices, flips), kwargs, magnitude=float(np.abs(x).max()) if x.size else 1.0)


RECORDS = [KernelRecord("affine_transform", warp_samples, large_warp, warp_errors, ulps=2.0, fuzz=warp_fuzz)]
