"""Convolution and pooling over NHWC images: conv2d and its two gradients, max and average
pooling and their gradients."""
import numpy as np

from .fuzzing import array, float_dtype, largest_input, maybe_out, placed
from .layout import LAYOUTS, SIZES, layout_array, sample_label as _label, seeded, with_layout
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

# (x shape, window (KH, KW), filters, strides, padding, dilation_rate): every size of SIZES along
# height, width, channels and filters, the book's three layers, strides, dilation, both paddings.
WINDOW_CASES = (
    [((2, n, 5, 2), (3, 3), 3, (1, 1), "same", (1, 1)) for n in SIZES]
    + [((1, 6, n, 3), (2, 3), 2, (1, 2), "same" if n < 3 else "valid", (1, 1)) for n in SIZES]
    + [((2, 5, 4, n), (3, 2), 4, (1, 1), "valid", (1, 1)) for n in SIZES]
    + [((1, 4, 5, 3), (1, 3), n, (2, 1), "same", (1, 1)) for n in SIZES]
    + [((3, 28, 28, 1), (3, 3), 32, (1, 1), "valid", (1, 1)), ((2, 13, 13, 32), (3, 3), 64, (1, 1), "valid", (1, 1)),
       ((2, 5, 5, 64), (3, 3), 64, (1, 1), "valid", (1, 1)), ((1, 9, 11, 3), (3, 3), 5, (2, 3), "same", (2, 1)),
       ((2, 12, 10, 2), (2, 3), 3, (3, 2), "valid", (2, 3)), ((1, 7, 7, 5), (1, 1), 6, (1, 1), "valid", (1, 1)),
       ((2, 6, 6, 4), (1, 1), 3, (2, 2), "same", (1, 1)), ((1, 1, 1, 3), (1, 1), 2, (1, 1), "valid", (1, 1)),
       ((1, 1, 1, 3), (3, 3), 2, (1, 1), "same", (1, 1)), ((1, 4, 4, 2), (4, 4), 3, (1, 1), "valid", (1, 1)),
       ((0, 5, 5, 2), (3, 3), 3, (1, 1), "valid", (1, 1)), ((0, 5, 5, 2), (2, 2), 3, (2, 2), "same", (1, 1))]
)


def _window_geometry(x_shape, window, filters, strides, padding, dilation):
    from fastnn import _windows

    kernel_shape = tuple(window) + (x_shape[3], filters)
    return _windows.conv_args("records", x_shape, kernel_shape, strides, padding, dilation)


def _conv_kwargs(strides, padding, dilation):
    return {"strides": strides, "padding": padding, "dilation_rate": dilation}


def conv_samples(name, dtype):
    """Samples for conv2d, conv2d_input_grad and conv2d_kernel_grad over WINDOW_CASES."""
    out = []
    for seed, (x_shape, window, filters, strides, padding, dilation) in enumerate(WINDOW_CASES):
        layout = LAYOUTS[seed % 4]
        geom = _window_geometry(x_shape, window, filters, strides, padding, dilation)
        y_shape = (geom[0], geom[7], geom[8], filters)
        kernel_shape = tuple(window) + (x_shape[3], filters)

        def build(rng, x_shape=x_shape, kernel_shape=kernel_shape, y_shape=y_shape, layout=layout, seed=seed,
                  kwargs=_conv_kwargs(strides, padding, dilation)):
            kwargs = dict(kwargs)
            if name == "conv2d":
                x = layout_array(rng, x_shape, dtype, layout)
                kernel = layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4])
                if seed % 3 == 0:
                    x = np.maximum(x, 0)  # zeros, as after a relu
                if seed % 2 == 0:
                    kwargs["activation"] = "relu"
                if seed % 4 != 3:
                    return (x, kernel, layout_array(rng, kernel_shape[3:], dtype)), kwargs
                return (x, kernel), kwargs
            dy = layout_array(rng, y_shape, dtype, layout)
            if name == "conv2d_input_grad":
                return (dy, layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4]), x_shape), kwargs
            return (layout_array(rng, x_shape, dtype, LAYOUTS[(seed + 1) % 4]), dy, kernel_shape[:2]), kwargs

        if name == "conv2d":
            reduction = window[0] * window[1] * x_shape[3]
        elif name == "conv2d_input_grad":
            reduction = window[0] * window[1] * filters
        else:
            reduction = y_shape[0] * y_shape[1] * y_shape[2]
        label = _label(name, x_shape, window, filters, strides, padding, dilation, layout)
        out.append(Sample(label, seeded(build, 30_000 + seed), reduction))
    if name == "conv2d":
        out += [
            Sample(_label(name, "int inputs"), lambda: ((np.arange(50).reshape(1, 5, 5, 2), np.ones((2, 2, 2, 1))), {}), 8),
            Sample(_label(name, "int strides, out"), seeded(lambda rng: (
                (layout_array(rng, (2, 7, 7, 3), dtype), layout_array(rng, (3, 3, 3, 4), dtype)),
                {"strides": 2, "padding": "SAME", "out": np.empty((2, 4, 4, 8), dtype)[..., ::2]}), 31_000), 27),
        ]
    return out


def conv_errors(name):
    x, kernel, dy = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 4)), np.ones((1, 3, 3, 4))
    if name == "conv2d":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, kernel), kwargs, exc)
    elif name == "conv2d_input_grad":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (dy, kernel, np.shape(x)), kwargs, exc)
    else:
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, dy, np.shape(kernel)[:2]), kwargs, exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((5, 5, 2))),
        case("kernel larger than image", ValueError, x=np.ones((1, 2, 5, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero stride", ValueError, strides=(0, 1)),
        case("three strides", ValueError, strides=(1, 1, 1)),
        case("negative dilation", ValueError, dilation_rate=-1),
        case("dilated kernel larger than image", ValueError, dilation_rate=3),
    ]
    if name == "conv2d":
        cases += [
            case("channels", ValueError, x=np.ones((1, 5, 5, 3))),
            case("channels first", ValueError, x=np.ones((1, 2, 5, 5))),
            case("3-D kernel", ValueError, kernel=np.ones((3, 3, 2))),
            case("complex", TypeError, x=np.ones((1, 5, 5, 2), complex)),
            ErrorCase("bias shape", (x, kernel, np.ones(3)), {}, ValueError),
            ErrorCase("activation", (x, kernel), {"activation": "tanh"}, ValueError),
            ErrorCase("out shape", (x, kernel), {"out": np.empty((1, 3, 3, 5))}, ValueError),
        ]
    elif name == "conv2d_input_grad":
        cases += [
            ErrorCase("dy shape", (np.ones((1, 4, 3, 4)), kernel, (1, 5, 5, 2)), {}, ValueError),
            ErrorCase("input_shape", (dy, kernel, (5, 5, 2)), {}, ValueError),
            ErrorCase("negative input_shape", (dy, kernel, (1, -5, 5, 2)), {}, ValueError),
        ]
    else:
        cases += [
            ErrorCase("dy shape", (x, np.ones((1, 3, 2, 4))), {"kernel_size": 3}, ValueError),
            ErrorCase("kernel_size", (x, dy, (3, 0)), {}, ValueError),
            ErrorCase("3-D dy", (x, np.ones((3, 3, 4)), 3), {}, ValueError),
        ]
    return cases


def large_conv(name, dtype):
    def build(rng):
        x = np.maximum(layout_array(rng, (16, 13, 13, 32), dtype), 0)
        kernel = layout_array(rng, (3, 3, 32, 64), dtype)
        dy = layout_array(rng, (16, 11, 11, 64), dtype)
        if name == "conv2d":
            return (x, kernel, layout_array(rng, (64,), dtype)), {"activation": "relu"}
        if name == "conv2d_input_grad":
            return (dy, kernel, x.shape), {}
        return (x, dy, (3, 3)), {}

    reduction = {"conv2d": 288, "conv2d_input_grad": 576, "conv2d_kernel_grad": 16 * 121}[name]
    return Sample(_label(name, "large"), seeded(build, 32_000), reduction)


def pool_samples(name, dtype):
    """Samples for the pooling kernels and their gradients over WINDOW_CASES' image shapes."""
    out = []
    for seed, (x_shape, window, _, strides, padding, _) in enumerate(WINDOW_CASES):
        layout = LAYOUTS[seed % 4]
        if seed % 5 == 4:
            strides = None  # Keras's default: the pool size
        geom = _window_geometry(x_shape, window, x_shape[3], strides or window, padding, (1, 1))
        y_shape = (geom[0], geom[7], geom[8], x_shape[3])

        def build(rng, x_shape=x_shape, y_shape=y_shape, layout=layout, seed=seed,
                  kwargs={"pool_size": window, "strides": strides, "padding": padding}):
            if seed % 3 == 0:  # small integers: ties in most windows
                x = with_layout(rng.integers(-2, 3, x_shape).astype(dtype), layout)
            else:
                x = layout_array(rng, x_shape, dtype, layout)
            dy = layout_array(rng, y_shape, dtype, LAYOUTS[(seed + 1) % 4])
            if name in ("max_pool2d", "avg_pool2d"):
                return (x,), dict(kwargs)
            if name == "max_pool2d_grad":
                return (x, dy), dict(kwargs)
            return (dy, x_shape), dict(kwargs)

        label = _label(name, x_shape, window, strides, padding, layout)
        out.append(Sample(label, seeded(build, 33_000 + seed), window[0] * window[1]))
    if name == "max_pool2d":
        out += [
            Sample(_label(name, "NaN"), lambda: ((np.array([1, np.nan, 3, 2, np.nan, np.nan, 0, -1], dtype)
                                                  .reshape(1, 2, 4, 1),), {}), 4),
            Sample(_label(name, "infinities"), lambda: ((np.array([-np.inf, -np.inf, 3, np.inf], dtype)
                                                         .reshape(1, 2, 2, 1),), {"pool_size": 2}), 4),
        ]
    if name == "max_pool2d_grad":
        out.append(Sample(_label(name, "all tied, overlapping"), lambda: (
            (np.zeros((2, 5, 5, 3), dtype), np.ones((2, 4, 4, 3), dtype)), {"pool_size": 2, "strides": 1}), 4))
    if name in ("max_pool2d", "avg_pool2d"):
        out.append(Sample(_label(name, "out"), seeded(lambda rng: (
            (layout_array(rng, (2, 6, 6, 3), dtype),), {"out": np.empty((2, 3, 3, 6), dtype)[..., ::2]}), 34_000), 4))
    return out


def pool_errors(name):
    x, dy = np.ones((1, 4, 4, 2)), np.ones((1, 2, 2, 2))
    if name in ("max_pool2d", "avg_pool2d"):
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (x,), kwargs, exc)
    elif name == "max_pool2d_grad":
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (x, dy), kwargs, exc)
    else:
        def case(label, exc, x=x, **kwargs):
            return ErrorCase(label, (dy, np.shape(x)), kwargs, exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((4, 4, 2))),
        case("pool larger than image", ValueError, x=np.ones((1, 1, 4, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero pool size", ValueError, pool_size=(0, 2)),
        case("negative stride", ValueError, strides=-2),
        case("float pool size", ValueError, pool_size=2.0),
    ]
    if name != "avg_pool2d_grad":
        cases.append(case("complex", TypeError, x=np.ones((1, 4, 4, 2), complex)))
    if name.endswith("grad"):
        cases.append(case("dy for other strides", ValueError, strides=1))
    return cases


def large_pool(name, dtype):
    def build(rng):
        x = layout_array(rng, (32, 26, 26, 32), dtype)
        dy = layout_array(rng, (32, 13, 13, 32), dtype)
        if name in ("max_pool2d", "avg_pool2d"):
            return (x,), {}
        if name == "max_pool2d_grad":
            return (x, dy), {}
        return (dy, x.shape), {}

    return Sample(_label(name, "large"), seeded(build, 35_000), 4)


CONV_KERNELS = ("conv2d", "conv2d_input_grad", "conv2d_kernel_grad")
POOL_KERNELS = ("max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad")


def window_args(choices, conv):
    """(x shape, window, keyword arguments): small images, windows up to 4, now and then a bad value."""
    x_shape = (choices.integers(0, 3), choices.integers(1, 9), choices.integers(1, 9), choices.integers(0, 5))
    window = (choices.integers(1, 4), choices.integers(1, 4))
    paddings = ["valid", "same", "valid", "same", "full"] if choices.integers(0, 19) == 0 else ["valid", "same"]
    kwargs = {"padding": choices.choice(paddings)}
    strides = (choices.integers(1, 3), choices.integers(1, 3))
    if choices.integers(0, 29) == 0:
        strides = (0, 1)
    if conv:
        kwargs["strides"] = strides
        kwargs["dilation_rate"] = (choices.integers(1, 3), choices.integers(1, 3))
    else:
        kwargs["pool_size"] = window
        kwargs["strides"] = choices.choice([None, strides])
    return x_shape, window, kwargs


def window_output_shape(x_shape, window, kwargs, filters):
    """The kernel's output shape, or x_shape when the arguments are bad (the oracle then raises)."""
    from fastnn import _windows

    try:
        if "pool_size" in kwargs:
            geom = _windows.pool_args("fuzz", x_shape, kwargs["pool_size"], kwargs["strides"], kwargs["padding"])
        else:
            geom = _windows.conv_args("fuzz", x_shape, window + (x_shape[3], filters), kwargs["strides"],
                                      kwargs["padding"], kwargs["dilation_rate"])
    except ValueError:
        return x_shape[:3] + (filters,)
    return _windows.output_shape(geom)


def conv_case(choices, name):
    x_shape, window, kwargs = window_args(choices, conv=True)
    filters, dtype = choices.integers(0, 6), float_dtype(choices)
    kernel_shape = window + (x_shape[3], filters)
    y_shape = window_output_shape(x_shape, window, kwargs, filters)
    terms = {"conv2d": window[0] * window[1] * x_shape[3], "conv2d_input_grad": window[0] * window[1] * filters,
             "conv2d_kernel_grad": y_shape[0] * y_shape[1] * y_shape[2]}[name]
    if name == "conv2d":
        x, kernel = array(choices, x_shape, dtype), array(choices, kernel_shape, dtype)
        if choices.boolean():
            kwargs["activation"] = "relu"
        args = (x, kernel, array(choices, (filters,), dtype)) if choices.boolean() else (x, kernel)
        kwargs.update(maybe_out(choices, y_shape, dtype))
        magnitude = largest_input([x]) * largest_input([kernel]) + largest_input(args[2:])
    elif name == "conv2d_input_grad":
        dy, kernel = array(choices, y_shape, dtype), array(choices, kernel_shape, dtype)
        args = (dy, kernel, x_shape)
        kwargs.update(maybe_out(choices, x_shape, dtype))
        magnitude = largest_input([dy]) * largest_input([kernel])
    else:
        x, dy = array(choices, x_shape, dtype), array(choices, y_shape, dtype)
        args = (x, dy, window)
        magnitude = largest_input([x]) * largest_input([dy])
    return FuzzCase(args, kwargs, reduction=max(terms, 1), magnitude=magnitude)


def pool_case(choices, name):
    x_shape, window, kwargs = window_args(choices, conv=False)
    dtype, ties = float_dtype(choices), choices.boolean()
    y_shape = window_output_shape(x_shape, window, kwargs, x_shape[3])
    if ties:  # small integers: equal values in most windows
        x = placed(choices, np.random.default_rng(choices.seed()).integers(-2, 3, x_shape).astype(dtype))
    else:
        x = array(choices, x_shape, dtype)
    dy = array(choices, y_shape, dtype)
    args = {"max_pool2d": (x,), "avg_pool2d": (x,), "max_pool2d_grad": (x, dy), "avg_pool2d_grad": (dy, x_shape)}[name]
    out_shape = x_shape if name.endswith("grad") else y_shape
    kwargs.update(maybe_out(choices, out_shape, dtype))
    return FuzzCase(args, kwargs, reduction=window[0] * window[1])


RECORDS = [
    *[KernelRecord(name, lambda d, name=name: conv_samples(name, d), lambda d, name=name: large_conv(name, d),
                   lambda name=name: conv_errors(name), fuzz=lambda choices, name=name: conv_case(choices, name))
      for name in CONV_KERNELS],
    *[KernelRecord(name, lambda d, name=name: pool_samples(name, d), lambda d, name=name: large_pool(name, d),
                   lambda name=name: pool_errors(name), fuzz=lambda choices, name=name: pool_case(choices, name))
      for name in POOL_KERNELS],
]
