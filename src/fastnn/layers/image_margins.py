"""The margins ZeroPadding2D adds and Cropping2D removes around channels-last images."""
import numpy as np

from .image_layers import label


def _count(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def margins(layer, value, name):
    """((top, bottom), (left, right)) of non-negative ints from an int, a pair of ints (the same
    margin on both sides of height and of width) or a pair of pairs; ValueError naming the layer."""
    if _count(value):
        return (int(value), int(value)), (int(value), int(value))
    try:
        parts = tuple(value)
    except TypeError:
        parts = None
    if parts is not None and len(parts) == 2:
        if all(_count(p) for p in parts):
            return (int(parts[0]),) * 2, (int(parts[1]),) * 2
        pairs = []
        for p in parts:
            try:
                p = tuple(p)
            except TypeError:
                break
            if len(p) != 2 or not all(_count(v) for v in p):
                break
            pairs.append((int(p[0]), int(p[1])))
        if len(pairs) == 2:
            return tuple(pairs)
    raise ValueError(f"{label(layer)}: `{name}` should be a non-negative int, a tuple of 2 non-negative ints "
                     f"(symmetric height, symmetric width) or a tuple of 2 tuples of 2 non-negative ints "
                     f"((top, bottom), (left, right)). Received: {name}={value!r}")
