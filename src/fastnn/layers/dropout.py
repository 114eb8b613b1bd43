"""Dropout: while training, zeroes a fraction `rate` of the inputs and scales the rest up."""
import numpy as np

from .. import ops
from .layer import Layer


class Dropout(Layer):
    """Keeps each input with probability 1 - rate, scaled by 1 / (1 - rate); identity at inference."""

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
            raise ValueError(f"Invalid value received for argument `rate`, expected a float in [0, 1). Received: rate={rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"seed must be None or an integer. Received: seed={seed!r}")
        self.rate = float(rate)
        self.seed = seed
        self._state = None  # (seed, counter) of the dropout kernel's generator
        self._seeding = None  # utils.random.seedings() when _state was drawn

    def _generator_state(self):
        """The kernel's (seed, counter), seeded from `seed` or else from fastnn's global generator
        (fastnn.utils.set_random_seed) on the first training call."""
        from ..utils import random

        if self._state is None or (self.seed is None and self._seeding != random.seedings()):
            seed = self.seed if self.seed is not None else int(random.generator().integers(0, 2**63))
            self._state = np.array([seed % 2**64, 0], dtype=np.uint64)
            self._seeding = random.seedings()
        return self._state

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return ops.Dropout.apply(inputs, rate=self.rate, state=self._generator_state())

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed)
        return config
