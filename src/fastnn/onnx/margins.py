"""Converters of the layers that pad, crop or repeat the steps or pixels of channels-last inputs."""
INT64_MAX = 2**63 - 1


def _pad(b, layer, x, before, after):
    """Zeros: before[i] / after[i] along axis i + 1 (the batch and channel axes untouched)."""
    pads = [0] + list(before) + [0] + [0] + list(after) + [0]
    return [b.op("Pad", [x.name, b.ints(pads, f"{layer.name}/pads")], layer.name)]


def zero_padding1d(b, layer, xs):
    return _pad(b, layer, xs[0], layer.padding[:1], layer.padding[1:])


def zero_padding2d(b, layer, xs):
    (top, bottom), (left, right) = layer.padding
    return _pad(b, layer, xs[0], (top, left), (bottom, right))


def _crop(b, layer, x, before, after):
    axes = list(range(1, len(before) + 1))
    ends = [-a if a else INT64_MAX for a in after]
    inputs = [x.name, b.ints(before, f"{layer.name}/starts"), b.ints(ends, f"{layer.name}/ends"),
              b.ints(axes, f"{layer.name}/axes")]
    return [b.op("Slice", inputs, layer.name)]


def cropping1d(b, layer, xs):
    return _crop(b, layer, xs[0], layer.cropping[:1], layer.cropping[1:])


def cropping2d(b, layer, xs):
    (top, bottom), (left, right) = layer.cropping
    return _crop(b, layer, xs[0], (top, left), (bottom, right))


def _repeat(b, layer, x, sizes):
    """Each step or pixel repeated sizes[i] times along axis i + 1 (nearest-neighbour upsampling):
    (N, d1, ..., C) -> (N, d1, 1, d2, 1, ..., C), tiled, then merged back."""
    spread = b.unsqueeze(x.name, [2 + 2 * i for i in range(len(sizes))], layer.name)
    repeats = [1]
    for size in sizes:
        repeats += [1, size]
    tiled = b.op("Tile", [spread, b.ints(repeats + [1], f"{layer.name}/repeats")], layer.name)
    factors = b.ints([1] + list(sizes) + [1], f"{layer.name}/factors")
    shape = b.op("Mul", [b.op("Shape", [x.name], layer.name), factors], layer.name)
    return [b.op("Reshape", [tiled, shape], layer.name)]


def up_sampling1d(b, layer, xs):
    return _repeat(b, layer, xs[0], [layer.size])


def up_sampling2d(b, layer, xs):
    return _repeat(b, layer, xs[0], list(layer.size))
