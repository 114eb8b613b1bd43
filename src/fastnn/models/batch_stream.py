"""BatchStream: batches drawn from a Python generator or iterator of (x, y[, sample_weight])
tuples (or of x alone, for predict), checked and copied into reused buffers so that compiled
steps read every batch of one size from the same arrays."""
import numpy as np

from .data import BatchGatherer, as_samples, check_same_length
from .epoch_iterator import _length


def is_batch_source(data):
    """True for a generator or iterator of batches (arrays and lists are data, not batches)."""
    return not isinstance(data, (np.ndarray, list, tuple, dict, str, bytes)) and hasattr(data, "__next__")


class BatchStream:
    """Yields (step, x, y, sample_weight) for up to `steps` batches of `source` (all it has when
    steps is None). `prepare(x, y, sw, where)` checks one batch and returns it as arrays."""

    def __init__(self, source, steps, prepare, buffers, with_targets=True):
        self.source = source
        self.steps = steps
        self.prepare = prepare
        self.buffers = buffers
        self.with_targets = with_targets
        self.sample_shape = None
        self._first = None
        self.exhausted = False

    def peek(self):
        """The first batch, prepared (it is still yielded by the first pass)."""
        if self._first is None:
            self._first = self._next_batch(0)
        return self._first

    def _next_batch(self, step):
        try:
            item = next(self.source)
        except StopIteration:
            self.exhausted = True
            return None
        return self._prepared(item, step)

    def _prepared(self, item, step):
        where = f"batch {step} of the generator"
        if not self.with_targets:
            x = item[0] if isinstance(item, tuple) else item
            x, y, sw = self.prepare(x, None, None, where)
        else:
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ValueError(f"{where} must be a tuple (x, y) or (x, y, sample_weight). "
                                 f"Received: {type(item).__name__}{' of length ' + str(len(item)) if isinstance(item, tuple) else ''}")
            x, y, sw = self.prepare(item[0], item[1], item[2] if len(item) == 3 else None, where)
        sample_shape = tuple(a.shape[1:] for a in x) if isinstance(x, tuple) else x.shape[1:]
        if self.sample_shape is None:
            self.sample_shape = sample_shape
        elif sample_shape != self.sample_shape:
            raise ValueError(f"{where} has samples of shape {sample_shape}, but earlier batches had samples of "
                             f"shape {self.sample_shape}: every batch of a generator must have the same sample shape")
        return x, y, sw

    def __iter__(self):
        step = 0
        while self.steps is None or step < self.steps:
            batch, self._first = (self._first, None) if self._first is not None else (self._next_batch(step), None)
            if batch is None:
                return
            x, y, sw = batch
            count = _length(x)
            gatherer = BatchGatherer(x, y, count, self.buffers, sw)
            xb, yb, swb = gatherer.batch(np.arange(count, dtype=np.intp))
            yield step, xb, yb, swb
            step += 1


def check_sample_weight(sample_weight, n, name="sample_weight"):
    """sample_weight as a float32 (n,) array (or None), refusing the wrong length and bad values."""
    if sample_weight is None:
        return None
    sw = as_samples(sample_weight, name)
    if sw.ndim == 2 and sw.shape[1] == 1:
        sw = sw.reshape(-1)
    if sw.ndim != 1:
        raise ValueError(f"{name} must hold one weight per sample, shape ({n},). Received shape {sw.shape}")
    check_same_length(np.empty(n), sw, "x", name)
    if not np.all(np.isfinite(sw)) or np.any(sw < 0):
        raise ValueError(f"{name} must hold finite, non-negative weights")
    return np.ascontiguousarray(sw, dtype=np.float32)
