"""LeakyReLU: x where x >= 0, else negative_slope * x, as a layer."""
import math
import numbers

from .. import activations
from .layer import Layer


class LeakyReLU(Layer):
    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real)
                or not 0 <= negative_slope < math.inf):
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                f"Expected a float. Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = float(negative_slope)

    def call(self, inputs, training=False):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
