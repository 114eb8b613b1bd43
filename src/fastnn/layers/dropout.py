"""Dropout: while training, zeroes a fraction `rate` of the inputs and scales the rest up."""
import numpy as np

from .layer import Layer


class Dropout(Layer):
    """Keeps each input with probability 1 - rate, scaled by 1 / (1 - rate); identity at inference."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
            raise ValueError(f"Invalid value received for argument `rate`, expected a float in [0, 1). Received: rate={rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be None or an integer. Received: seed={seed!r}")
        self.rate = float(rate)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _generator(self):
        if self._rng is not None:
            return self._rng
        from ..utils.random import generator

        return generator()

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        keep = 1.0 - self.rate
        mask = self._generator().random(inputs.shape, dtype=np.float32) < keep
        scale = mask.astype(inputs.dtype) * np.asarray(1.0 / keep, dtype=inputs.dtype)
        return inputs * scale

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config
