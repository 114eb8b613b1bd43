"""ELU: x where x >= 0, else alpha * (exp(x) - 1), as a layer."""
import math
import numbers

from .. import activations
from .layer import Layer


class ELU(Layer):
    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha):
            raise ValueError(f"The alpha value of an ELU layer must be a finite number. Received: alpha={alpha!r}")
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config
