"""Transposed convolutions (run by the convolution kernels with images and outputs exchanged) and
depthwise convolutions, over NHWC images, and their gradients."""
import numpy as np

from .conv import window_args
from .fuzzing import array, float_dtype, largest_input, maybe_out
from .layout import LAYOUTS, SIZES, layout_array, sample_label as _label, seeded
from .record import ErrorCase, FuzzCase, KernelRecord, Sample

# (x shape, window, filters, strides, padding, output_padding, dilation): every size of SIZES along
# height, width, input channels and filters; strides with and without output_padding, dilation,
# both paddings, 1x1 kernels, zero-size batches and images.
TRANSPOSE_CASES = (
    [((2, n, 3, 2), (3, 3), 3, (2, 2), "same", None, (1, 1)) for n in SIZES]
    + [((1, 3, n, 3), (2, 3), 2, (1, 2), "valid", None, (1, 1)) for n in SIZES]
    + [((2, 3, 2, n), (3, 2), 4, (2, 1), "valid", (1, 0), (1, 1)) for n in SIZES]
    + [((1, 2, 3, 3), (1, 3), n, (2, 3), "same", (1, 2), (1, 1)) for n in SIZES]
    + [((2, 7, 7, 16), (3, 3), 8, (2, 2), "same", None, (1, 1)), ((1, 5, 4, 3), (3, 3), 2, (1, 1), "same", None, (2, 2)),
       ((1, 4, 5, 2), (2, 3), 3, (1, 1), "valid", None, (2, 1)), ((2, 3, 3, 4), (1, 1), 5, (1, 1), "valid", None, (1, 1)),
       ((1, 3, 3, 2), (1, 1), 2, (3, 2), "valid", (2, 1), (1, 1)), ((1, 4, 4, 2), (4, 4), 3, (2, 2), "same", (0, 1), (1, 1)),
       ((1, 2, 2, 3), (5, 2), 2, (3, 3), "valid", None, (1, 1)), ((0, 3, 3, 2), (3, 3), 2, (2, 2), "same", None, (1, 1)),
       ((1, 0, 3, 2), (3, 3), 2, (1, 1), "valid", None, (1, 1)), ((1, 1, 1, 1), (2, 2), 1, (1, 1), "same", None, (1, 1))]
)

# (x shape, window, depth multiplier, strides, padding, dilation)
DEPTHWISE_CASES = (
    [((2, n, 5, 2), (3, 3), 1, (1, 1), "same", (1, 1)) for n in SIZES]
    + [((1, 6, n, 3), (2, 3), 2, (1, 2), "same" if n < 3 else "valid", (1, 1)) for n in SIZES]
    + [((2, 5, 4, n), (3, 2), 1 + n % 3, (1, 1), "valid", (1, 1)) for n in SIZES]
    + [((1, 4, 5, 3), (1, 3), n, (2, 1), "same", (1, 1)) for n in SIZES]
    + [((3, 28, 28, 1), (3, 3), 8, (1, 1), "valid", (1, 1)), ((2, 13, 13, 32), (3, 3), 1, (1, 1), "same", (1, 1)),
       ((1, 9, 11, 3), (3, 3), 2, (2, 3), "same", (2, 1)), ((2, 12, 10, 2), (2, 3), 3, (3, 2), "valid", (2, 3)),
       ((1, 7, 7, 5), (1, 1), 2, (1, 1), "valid", (1, 1)), ((1, 1, 1, 3), (3, 3), 2, (1, 1), "same", (1, 1)),
       ((0, 5, 5, 2), (3, 3), 3, (1, 1), "valid", (1, 1)), ((1, 5, 5, 0), (2, 2), 2, (2, 2), "same", (1, 1))]
)


def _transpose_geometry(x_shape, window, filters, strides, padding, output_padding, dilation):
    from fastnn import _windows

    kernel_shape = tuple(window) + (filters, x_shape[3])
    return _windows.transpose_args("records", x_shape, kernel_shape, strides, padding, output_padding, dilation)


def transpose_samples(name, dtype):
    out = []
    for seed, (x_shape, window, filters, strides, padding, extra, dilation) in enumerate(TRANSPOSE_CASES):
        layout = LAYOUTS[seed % 4]
        geom = _transpose_geometry(x_shape, window, filters, strides, padding, extra, dilation)
        y_shape = tuple(geom[:4])
        kernel_shape = tuple(window) + (filters, x_shape[3])
        kwargs = {"strides": strides, "padding": padding, "output_padding": extra, "dilation_rate": dilation}

        def build(rng, x_shape=x_shape, y_shape=y_shape, kernel_shape=kernel_shape, layout=layout, seed=seed,
                  kwargs=kwargs):
            kernel = layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4])
            if name == "conv2d_transpose":
                return (layout_array(rng, x_shape, dtype, layout), kernel), dict(kwargs)
            dy = layout_array(rng, y_shape, dtype, layout)
            if name == "conv2d_transpose_input_grad":
                return (dy, kernel, x_shape), dict(kwargs)
            return (layout_array(rng, x_shape, dtype, LAYOUTS[(seed + 2) % 4]), dy, kernel_shape[:2]), dict(kwargs)

        if name == "conv2d_transpose":
            reduction = window[0] * window[1] * x_shape[3]
        elif name == "conv2d_transpose_input_grad":
            reduction = window[0] * window[1] * filters
        else:
            reduction = x_shape[0] * x_shape[1] * x_shape[2]
        label = _label(name, x_shape, window, filters, strides, padding, extra, dilation, layout)
        out.append(Sample(label, seeded(build, 42_000 + seed), reduction))
    if name == "conv2d_transpose":
        out.append(Sample(_label(name, "int strides, out"), seeded(lambda rng: (
            (layout_array(rng, (2, 3, 3, 4), dtype), layout_array(rng, (3, 3, 5, 4), dtype)),
            {"strides": 2, "padding": "SAME", "out": np.empty((2, 6, 6, 10), dtype)[..., ::2]}), 43_000), 36))
    return out


def transpose_errors(name):
    x, kernel, dy = np.ones((1, 3, 3, 2)), np.ones((3, 3, 4, 2)), np.ones((1, 5, 5, 4))
    if name == "conv2d_transpose":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, kernel), kwargs, exc)
    elif name == "conv2d_transpose_input_grad":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (dy, kernel, np.shape(x)), kwargs, exc)
    else:
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, dy, np.shape(kernel)[:2]), kwargs, exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((3, 3, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero stride", ValueError, strides=(0, 1)),
        case("output_padding not below strides", ValueError, strides=2, output_padding=2),
        case("negative output_padding", ValueError, output_padding=(-1, 0)),
        case("three output_paddings", ValueError, strides=2, output_padding=(1, 1, 1)),
        case("negative dilation", ValueError, dilation_rate=-1),
    ]
    if name == "conv2d_transpose":
        cases += [
            case("channels", ValueError, x=np.ones((1, 3, 3, 3))),
            case("3-D kernel", ValueError, kernel=np.ones((3, 3, 2))),
            case("complex", TypeError, x=np.ones((1, 3, 3, 2), complex)),
            ErrorCase("out shape", (x, kernel), {"out": np.empty((1, 5, 5, 3))}, ValueError),
        ]
    elif name == "conv2d_transpose_input_grad":
        cases += [
            ErrorCase("dy shape", (np.ones((1, 4, 5, 4)), kernel, (1, 3, 3, 2)), {}, ValueError),
            ErrorCase("input_shape", (dy, kernel, (3, 3, 2)), {}, ValueError),
        ]
    else:
        cases += [
            ErrorCase("dy shape", (x, np.ones((1, 4, 5, 4)), 3), {}, ValueError),
            ErrorCase("kernel_size", (x, dy, (3, 0)), {}, ValueError),
            ErrorCase("3-D dy", (x, np.ones((5, 5, 4)), 3), {}, ValueError),
        ]
    return cases


def large_transpose(name, dtype):
    def build(rng):
        x = layout_array(rng, (16, 12, 12, 32), dtype)
        kernel = layout_array(rng, (3, 3, 16, 32), dtype)
        dy = layout_array(rng, (16, 24, 24, 16), dtype)
        kwargs = {"strides": 2, "padding": "same"}
        if name == "conv2d_transpose":
            return (x, kernel), kwargs
        if name == "conv2d_transpose_input_grad":
            return (dy, kernel, x.shape), kwargs
        return (x, dy, (3, 3)), kwargs

    reduction = {"conv2d_transpose": 288, "conv2d_transpose_input_grad": 144, "conv2d_transpose_kernel_grad": 16 * 144}[name]
    return Sample(_label(name, "large"), seeded(build, 44_000), reduction)


def transpose_case(choices, name):
    from fastnn import _windows

    x_shape, window, kwargs = window_args(choices, conv=True)
    filters, dtype = choices.integers(0, 6), float_dtype(choices)
    if max(kwargs["strides"]) > 1 and choices.boolean():
        kwargs["dilation_rate"] = (1, 1)
    kwargs["output_padding"] = None
    if choices.boolean():
        kwargs["output_padding"] = (choices.integers(0, 2), choices.integers(0, 2))
    kernel_shape = window + (filters, x_shape[3])
    try:
        geom = _windows.transpose_args("fuzz", x_shape, kernel_shape, kwargs["strides"], kwargs["padding"],
                                       kwargs["output_padding"], kwargs["dilation_rate"])
        y_shape = tuple(geom[:4])
    except ValueError:
        y_shape = x_shape[:3] + (filters,)  # the oracle raises
    kernel = array(choices, kernel_shape, dtype)
    if name == "conv2d_transpose":
        x = array(choices, x_shape, dtype)
        kwargs.update(maybe_out(choices, y_shape, dtype))
        return FuzzCase((x, kernel), kwargs, reduction=max(window[0] * window[1] * x_shape[3], 1),
                        magnitude=largest_input([x]) * largest_input([kernel]))
    dy = array(choices, y_shape, dtype)
    if name == "conv2d_transpose_input_grad":
        kwargs.update(maybe_out(choices, x_shape, dtype))
        return FuzzCase((dy, kernel, x_shape), kwargs, reduction=max(window[0] * window[1] * filters, 1),
                        magnitude=largest_input([dy]) * largest_input([kernel]))
    x = array(choices, x_shape, dtype)
    return FuzzCase((x, dy, window), kwargs, reduction=max(x_shape[0] * x_shape[1] * x_shape[2], 1),
                    magnitude=largest_input([x]) * largest_input([dy]))


def depthwise_samples(name, dtype):
    from fastnn import _windows

    out = []
    for seed, (x_shape, window, multiplier, strides, padding, dilation) in enumerate(DEPTHWISE_CASES):
        layout = LAYOUTS[seed % 4]
        kernel_shape = tuple(window) + (x_shape[3], multiplier)
        geom = _windows.depthwise_args("records", x_shape, kernel_shape, strides, padding, dilation)
        y_shape = _windows.depthwise_output_shape(geom)
        kwargs = {"strides": strides, "padding": padding, "dilation_rate": dilation}

        def build(rng, x_shape=x_shape, y_shape=y_shape, kernel_shape=kernel_shape, layout=layout, seed=seed,
                  kwargs=kwargs):
            kwargs = dict(kwargs)
            kernel = layout_array(rng, kernel_shape, dtype, LAYOUTS[(seed + 1) % 4])
            if name == "depthwise_conv2d":
                x = layout_array(rng, x_shape, dtype, layout)
                if seed % 2 == 0:
                    kwargs["activation"] = "relu"
                if seed % 4 != 3:
                    return (x, kernel, layout_array(rng, y_shape[3:], dtype)), kwargs
                return (x, kernel), kwargs
            dy = layout_array(rng, y_shape, dtype, layout)
            if name == "depthwise_conv2d_input_grad":
                return (dy, kernel, x_shape), kwargs
            kwargs["depth_multiplier"] = kernel_shape[3]
            return (layout_array(rng, x_shape, dtype, LAYOUTS[(seed + 2) % 4]), dy, kernel_shape[:2]), kwargs

        if name == "depthwise_conv2d":
            reduction = window[0] * window[1]
        elif name == "depthwise_conv2d_input_grad":
            reduction = window[0] * window[1] * multiplier
        else:
            reduction = y_shape[0] * y_shape[1] * y_shape[2]
        label = _label(name, x_shape, window, multiplier, strides, padding, dilation, layout)
        out.append(Sample(label, seeded(build, 45_000 + seed), reduction))
    if name == "depthwise_conv2d":
        out.append(Sample(_label(name, "int inputs, out"), lambda: (
            (np.arange(50).reshape(1, 5, 5, 2), np.ones((2, 2, 2, 3))),
            {"out": np.empty((1, 4, 4, 12))[..., ::2]}), 4))
    return out


def depthwise_errors(name):
    x, kernel, dy = np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 2)), np.ones((1, 3, 3, 4))
    if name == "depthwise_conv2d":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, kernel), kwargs, exc)
    elif name == "depthwise_conv2d_input_grad":
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (dy, kernel, np.shape(x)), kwargs, exc)
    else:
        def case(label, exc, x=x, kernel=kernel, **kwargs):
            return ErrorCase(label, (x, dy, np.shape(kernel)[:2]), dict(kwargs, depth_multiplier=2), exc)
    cases = [
        case("3-D images", ValueError, x=np.ones((5, 5, 2))),
        case("kernel larger than image", ValueError, x=np.ones((1, 2, 5, 2))),
        case("padding full", ValueError, padding="full"),
        case("zero stride", ValueError, strides=(0, 1)),
        case("dilated kernel larger than image", ValueError, dilation_rate=3),
    ]
    if name == "depthwise_conv2d":
        cases += [
            case("channels", ValueError, x=np.ones((1, 5, 5, 3))),
            case("3-D kernel", ValueError, kernel=np.ones((3, 3, 2))),
            case("complex", TypeError, x=np.ones((1, 5, 5, 2), complex)),
            ErrorCase("bias shape", (x, kernel, np.ones(2)), {}, ValueError),
            ErrorCase("activation", (x, kernel), {"activation": "tanh"}, ValueError),
            ErrorCase("out shape", (x, kernel), {"out": np.empty((1, 3, 3, 2))}, ValueError),
        ]
    elif name == "depthwise_conv2d_input_grad":
        cases += [
            ErrorCase("dy shape", (np.ones((1, 3, 3, 2)), kernel, (1, 5, 5, 2)), {}, ValueError),
            ErrorCase("input_shape", (dy, kernel, (5, 5, 2)), {}, ValueError),
        ]
    else:
        cases += [
            ErrorCase("dy channels", (x, dy, 3), {"depth_multiplier": 3}, ValueError),
            ErrorCase("depth_multiplier 0", (x, dy, 3), {"depth_multiplier": 0}, ValueError),
            ErrorCase("3-D dy", (x, np.ones((3, 3, 4)), 3), {}, ValueError),
        ]
    return cases


def large_depthwise(name, dtype):
    def build(rng):
        x = layout_array(rng, (16, 13, 13, 32), dtype)
        kernel = layout_array(rng, (3, 3, 32, 2), dtype)
        dy = layout_array(rng, (16, 11, 11, 64), dtype)
        if name == "depthwise_conv2d":
            return (x, kernel, layout_array(rng, (64,), dtype)), {"activation": "relu"}
        if name == "depthwise_conv2d_input_grad":
            return (dy, kernel, x.shape), {}
        return (x, dy, (3, 3)), {"depth_multiplier": 2}

    reduction = {"depthwise_conv2d": 9, "depthwise_conv2d_input_grad": 18, "depthwise_conv2d_kernel_grad": 16 * 121}
    return Sample(_label(name, "large"), seeded(build, 46_000), reduction[name])


def depthwise_case(choices, name):
    from fastnn import _windows

    x_shape, window, kwargs = window_args(choices, conv=True)
    multiplier, dtype = choices.integers(1, 3), float_dtype(choices)
    if choices.integers(0, 29) == 0:
        multiplier = 0  # refused by both
    kernel_shape = window + (x_shape[3], multiplier)
    try:
        geom = _windows.depthwise_args("fuzz", x_shape, kernel_shape, kwargs["strides"], kwargs["padding"],
                                       kwargs["dilation_rate"])
        y_shape = _windows.depthwise_output_shape(geom)
    except ValueError:
        y_shape = x_shape[:3] + (x_shape[3] * multiplier,)
    kernel = array(choices, kernel_shape, dtype)
    if name == "depthwise_conv2d":
        x = array(choices, x_shape, dtype)
        if choices.boolean():
            kwargs["activation"] = "relu"
        args = (x, kernel, array(choices, y_shape[3:], dtype)) if choices.boolean() else (x, kernel)
        kwargs.update(maybe_out(choices, y_shape, dtype))
        magnitude = largest_input([x]) * largest_input([kernel]) + largest_input(args[2:])
        return FuzzCase(args, kwargs, reduction=window[0] * window[1], magnitude=magnitude)
    dy = array(choices, y_shape, dtype)
    if name == "depthwise_conv2d_input_grad":
        kwargs.update(maybe_out(choices, x_shape, dtype))
        return FuzzCase((dy, kernel, x_shape), kwargs, reduction=max(window[0] * window[1] * multiplier, 1),
                        magnitude=largest_input([dy]) * largest_input([kernel]))
    x = array(choices, x_shape, dtype)
    kwargs["depth_multiplier"] = multiplier
    return FuzzCase((x, dy, window), kwargs, reduction=max(y_shape[0] * y_shape[1] * y_shape[2], 1),
                    magnitude=largest_input([x]) * largest_input([dy]))


TRANSPOSE_KERNELS = ("conv2d_transpose", "conv2d_transpose_input_grad", "conv2d_transpose_kernel_grad")
DEPTHWISE_KERNELS = ("depthwise_conv2d", "depthwise_conv2d_input_grad", "depthwise_conv2d_kernel_grad")

RECORDS = [
    *[KernelRecord(name, lambda d, name=name: transpose_samples(name, d), lambda d, name=name: large_transpose(name, d),
                   lambda name=name: transpose_errors(name), fuzz=lambda choices, name=name: transpose_case(choices, name))
      for name in TRANSPOSE_KERNELS],
    *[KernelRecord(name, lambda d, name=name: depthwise_samples(name, d), lambda d, name=name: large_depthwise(name, d),
                   lambda name=name: depthwise_errors(name), fuzz=lambda choices, name=name: depthwise_case(choices, name))
      for name in DEPTHWISE_KERNELS],
]
