"""EpochIterator: the batches of one pass over the data, shuffled or in order, gathered into
buffers reused from step to step (so a step plan reads each batch from the same arrays)."""
import math

import numpy as np

from .. import distribution
from ..utils.random import generator
from .data import BatchGatherer


def check_shuffle(shuffle):
    """shuffle as fit takes it: True, False or 'batch' (shuffle the order of whole batches)."""
    if shuffle is True or shuffle is False or shuffle == "batch":
        return shuffle
    if isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    raise ValueError(f"shuffle must be True, False or 'batch'. Received: shuffle={shuffle!r}")


def _length(x):
    """The number of samples of an array, or of a tuple of them (a model's several inputs)."""
    return len(next(a for a in x if a is not None)) if isinstance(x, tuple) else len(x)


class EpochIterator:
    """Yields (step, x batch, y batch, weights batch) for the samples at `indices` of (x, y) and
    their sample weights (None without), batch by batch."""

    def __init__(self, x, y, batch_size, indices=None, shuffle=False, buffers=None, weights=None):
        self.indices = np.arange(_length(x), dtype=np.int64) if indices is None else indices
        self.batch_size = batch_size
        self.shuffle = check_shuffle(shuffle)
        self.steps = math.ceil(len(self.indices) / batch_size)
        self.gatherer = BatchGatherer(x, y, max(1, min(batch_size, len(self.indices))), buffers, weights)

    def _order(self):
        if self.shuffle is True:
            return self.indices[generator().permutation(len(self.indices))]
        if self.shuffle == "batch":
            starts = generator().permutation(self.steps) * self.batch_size
            return np.concatenate([self.indices[s:s + self.batch_size] for s in starts]) if self.steps else self.indices
        return self.indices

    def __iter__(self):
        order, size = distribution.shared_order(self._order(), self.shuffle), self.batch_size
        for step in range(self.steps):
            yield (step,) + self.gatherer.batch(distribution.local_rows(order[step * size:(step + 1) * size]))
