"""Shared by the layers over channels-last images (batch, height, width, channels)."""
from .. import _windows
from .layer import batch_shape


def label(layer, start="Layer"):
    return f"{start} {layer.name!r} ({type(layer).__name__})"


def check_data_format(data_format, owner):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: fastnn layers take channels-last images (batch, height, width, channels). "
                         f"Received: data_format={data_format!r}")


def _channels_hint(shape):
    """A hint when a 4-D shape looks channels-first: few channels in axis 1, many in the last axis."""
    if len(shape) == 4 and shape[1] in (1, 3, 4) and shape[3] is not None and shape[3] > 4:
        return (" The input looks channels-first; fastnn takes channels-last images "
                "(batch, height, width, channels): transpose it, e.g. x.transpose(0, 2, 3, 1).")
    return ""


def check_images(layer, input_shape):
    """ValueError unless input_shape is (batch, height, width, channels)."""
    if len(input_shape) != 4:
        raise ValueError(
            f"Input of {label(layer, 'layer')} is incompatible with the layer: expected ndim=4 (batch, height, width, "
            f"channels), found ndim={len(input_shape)}. Full shape received: {batch_shape(input_shape)}"
        )


def check_channels(layer, input_shape, channels):
    check_images(layer, input_shape)
    if input_shape[-1] != channels:
        raise ValueError(
            f"Input of {label(layer, 'layer')} is incompatible with the layer: expected axis -1 of the input to have "
            f"value {channels} (channels), received input with shape {batch_shape(input_shape)}."
            + _channels_hint(input_shape)
        )


def output_hw(layer, input_shape, window, strides, padding, dilation=(1, 1)):
    """(out height, out width) for inputs of input_shape (None stays None); ValueError naming the layer
    when a window does not fit."""
    sizes = []
    for size, k, s, d, axis in zip(input_shape[1:3], window, strides, dilation, _windows.AXES):
        if size is None:
            sizes.append(None)
            continue
        try:
            sizes.append(_windows.output_size(size, k, s, d, padding, label(layer), axis)[0])
        except ValueError as err:
            raise ValueError(f"{err}: input shape {batch_shape(input_shape)}.{_channels_hint(input_shape)}") from None
    return tuple(sizes)
