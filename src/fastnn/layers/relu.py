"""ReLU with Keras's three parameters, as a layer:
max_value where x >= max_value, x where threshold < x < max_value, else negative_slope * (x - threshold)."""
import math
import numbers

from .. import functional
from .layer import Layer


def _non_negative(value, what, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        none = "" if allow_none else "None or "
        raise ValueError(f"{what} of a ReLU layer cannot be {none}a negative value. Received: {what}={value!r}")
    return float(value)


class ReLU(Layer):
    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, "max_value", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope")
        self.threshold = _non_negative(threshold, "threshold")

    def call(self, inputs, training=False):
        x = inputs
        if self.threshold:
            out = functional.where(x.data > self.threshold, x, x * 0.0)
        else:
            out = functional.relu(x)
        if self.max_value is not None:
            out = functional.clip(out, 0.0, self.max_value)
        if self.negative_slope:
            out = out - self.negative_slope * functional.relu(self.threshold - x)
        return out

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope, threshold=self.threshold)
        return config
