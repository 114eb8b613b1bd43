"""Channels-last (fastnn's images and sequences) to channels-first (ONNX's Conv and pools) and back,
and the padding attributes of a window op."""


def channels_first(b, x, rank, hint):
    """(N, ..., C) -> (N, C, ...)."""
    return b.transpose(x, [0, rank - 1] + list(range(1, rank - 1)), hint)


def channels_last(b, x, rank, hint):
    """(N, C, ...) -> (N, ..., C)."""
    return b.transpose(x, [0] + list(range(2, rank)) + [1], hint)


def window_attributes(sizes, kernel, strides, dilations, padding):
    """kernel_shape, strides, dilations and pads of an ONNX window op, Keras's padding: 'valid'
    none, 'same' the smaller half before (explicit pads when the sizes are known, else
    SAME_UPPER, which splits the same way), 'causal' everything before."""
    attributes = {"kernel_shape": list(kernel), "strides": list(strides)}
    if any(d != 1 for d in dilations):
        attributes["dilations"] = list(dilations)
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    if padding == "causal":
        attributes["pads"] = [e - 1 for e in extents] + [0] * len(kernel)
    elif padding == "same":
        if any(size is None for size in sizes):
            attributes["auto_pad"] = "SAME_UPPER"
        else:
            totals = [max((-(-size // s) - 1) * s + e - size, 0) for size, s, e in zip(sizes, strides, extents)]
            attributes["pads"] = [t // 2 for t in totals] + [t - t // 2 for t in totals]
    return attributes
