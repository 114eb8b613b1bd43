"""TensorBoard's messages, encoded: Event, Summary (scalars, histograms, images, tensors) and
HistogramProto with TensorFlow's default bucket layout.

Field numbers follow tensorflow/core/util/event.proto and framework/summary.proto."""
import sys

import numpy as np

from . import protobuf as pb

DT_STRING = 7


def event(wall_time, step=0, file_version=None, summary=None, graph_def=None):
    """An encoded Event: a summary (encoded Summary bytes), a graph or the file's version line."""
    fields = pb.double_field(1, wall_time) + pb.int_field(2, step)
    if file_version is not None:
        fields += pb.bytes_field(3, file_version)
    if graph_def is not None:
        fields += pb.bytes_field(4, graph_def)
    if summary is not None:
        fields += pb.bytes_field(5, summary)
    return fields


def summary(*values):
    """A Summary holding the encoded values (from scalar_value, histogram_value, ...)."""
    return b"".join(pb.bytes_field(1, value) for value in values)


def _metadata(plugin_name, content=b""):
    plugin_data = pb.bytes_field(1, plugin_name) + pb.optional_bytes_field(2, content)
    return pb.bytes_field(9, pb.bytes_field(1, plugin_data))


def scalar_value(tag, value):
    """A Summary.Value holding simple_value, which TensorBoard's scalars dashboard reads."""
    # simple_value is part of a oneof, so it is written even when it is 0.
    return pb.bytes_field(1, tag) + pb.key(2, pb.FIXED32) + np.float32(value).tobytes()


def text_tensor_value(tag, text, plugin_name, content=b""):
    """A Summary.Value holding a scalar string tensor for a plugin (as Keras's model summary)."""
    tensor = pb.int_field(1, DT_STRING) + pb.bytes_field(2, b"") + pb.bytes_field(8, text)
    return pb.bytes_field(1, tag) + _metadata(plugin_name, content) + pb.bytes_field(8, tensor)


def image_value(tag, height, width, channels, png_bytes):
    image = pb.int_field(1, height) + pb.int_field(2, width) + pb.int_field(3, channels) + \
        pb.bytes_field(4, png_bytes)
    return pb.bytes_field(1, tag) + pb.bytes_field(4, image)


def histogram_value(tag, values):
    return pb.bytes_field(1, tag) + pb.bytes_field(5, histogram_proto(values))


def default_bucket_limits():
    """TensorFlow's default histogram buckets: limits growing by 10% from 1e-12 to 1e20, mirrored
    for negative values around 0, with -DBL_MAX and DBL_MAX at the ends."""
    positive, value = [], 1.0e-12
    while value < 1.0e20:
        positive.append(value)
        value *= 1.1
    positive.append(sys.float_info.max)
    negative = [-v for v in reversed(positive)]
    return np.array(negative + [0.0] + positive, dtype=np.float64)


_LIMITS = default_bucket_limits()


def histogram_counts(values):
    """(min, max, num, sum, sum_squares, bucket_limit, bucket) of values as TensorFlow's Histogram
    encodes them: bucket i counts values in [limit[i-1], limit[i]); runs of empty buckets are
    merged into one entry ending at the run's last limit."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size:
        index = np.minimum(np.searchsorted(_LIMITS, values, side="right"), _LIMITS.size - 1)
        counts = np.bincount(index, minlength=_LIMITS.size).astype(np.float64)
        low, high = float(values.min()), float(values.max())
    else:
        counts = np.zeros(_LIMITS.size)
        low, high = sys.float_info.max, -sys.float_info.max
    limits, buckets = [], []
    i = 0
    while i < counts.size:
        end, count = _LIMITS[i], counts[i]
        i += 1
        if count <= 0:
            while i < counts.size and counts[i] <= 0:
                end, count = _LIMITS[i], counts[i]
                i += 1
        limits.append(float(end))
        buckets.append(float(count))
    return low, high, float(values.size), float(values.sum()), float(np.dot(values, values)), limits, buckets


def histogram_proto(values):
    low, high, num, total, squares, limits, buckets = histogram_counts(values)
    return (pb.double_field(1, low) + pb.double_field(2, high) + pb.double_field(3, num) + pb.double_field(4, total)
            + pb.double_field(5, squares) + pb.packed_doubles(6, limits) + pb.packed_doubles(7, buckets))


def graph_def(nodes):
    """An encoded GraphDef of (name, op, [input names]) nodes, with the producer version set."""
    encoded = b"".join(pb.bytes_field(1, pb.bytes_field(1, name) + pb.bytes_field(2, op)
                                      + b"".join(pb.bytes_field(3, source) for source in inputs))
                       for name, op, inputs in nodes)
    return encoded + pb.bytes_field(4, pb.int_field(1, 1))
