"""BatchStream: batches drawn from a Python generator or iterator of (x, y[, sample_weight])
tuples (or of x alone, for predict), or from a Sequence (batch i by index), checked and copied
into reused buffers so that compiled steps read every batch of one size from the same arrays.

The raw batches are made ahead of the step by background threads (fastnn.models.prefetch): one
thread advancing a generator (never further than the epoch's steps, so no batch is lost between
epochs), or the Sequence's `workers` threads (default 1) calling __getitem__, at most its
`max_queue_size` batches ahead. Checking and copying into the step's buffers stay on the calling
thread.
"""
import numpy as np

from ..utils.sequence import is_sequence
from .data import BatchGatherer, as_samples, check_same_length
from .epoch_iterator import _length
from .prefetch import prefetched

# How far a generator's loading thread may run ahead of the step.
GENERATOR_QUEUE = 10

_NO_MORE = object()


def is_batch_source(data):
    """True for a generator or iterator of batches, or a Sequence of them (arrays, lists and
    tensors are data, not batches)."""
    if isinstance(data, (np.ndarray, list, tuple, dict, str, bytes)):
        return False
    return hasattr(data, "__next__") or is_sequence(data)


class SequenceWalk:
    """A Sequence walked pass after pass: each pass is batches 0 .. len - 1, on_epoch_begin before it
    and on_epoch_end after it; an epoch of `steps` batches continues where the last one stopped."""

    def __init__(self, sequence):
        self.sequence = sequence
        self.length = len(sequence)
        if self.length <= 0:
            raise ValueError(f"the Sequence {type(sequence).__name__} has no batches (len() is {self.length})")
        self.position = 0
        self.workers = getattr(sequence, "workers", 1)
        self.ahead = getattr(sequence, "max_queue_size", 10)

    def batches(self, steps):
        """The next `steps` raw batches."""
        remaining = steps
        while remaining > 0:
            if self.position == 0 and hasattr(self.sequence, "on_epoch_begin"):
                self.sequence.on_epoch_begin()
            start, run = self.position, min(remaining, self.length - self.position)
            stream = prefetched(lambda i, start=start: self.sequence[start + i], run, self.workers, self.ahead)
            try:
                for batch in stream:
                    self.position += 1
                    yield batch
            finally:
                stream.close()
            remaining -= run
            if self.position == self.length:
                self.position = 0
                self.sequence.on_epoch_end()


class BatchStream:
    """Yields (step, x, y, sample_weight) for up to `steps` batches of `source` (all it has when
    steps is None). `prepare(x, y, sw, where)` checks one batch and returns it as arrays."""

    def __init__(self, source, steps, prepare, buffers, with_targets=True):
        self.source = source
        self.walk = SequenceWalk(source) if is_sequence(source) else None
        self.steps = self.walk.length if steps is None and self.walk is not None else steps
        self.prepare = prepare
        self.buffers = buffers
        self.with_targets = with_targets
        self.sample_shape = None
        self._first = None
        self._epoch = None  # the raw batches of the epoch under way (started by peek)
        self.exhausted = False

    def _raw_batches(self):
        """One epoch's raw batches, made ahead by the loading threads."""
        if self.walk is not None:
            yield from self.walk.batches(self.steps)
            return
        count = 0
        threads = 1 if getattr(self.source, "workers", 1) > 0 else 0  # one thread: a generator runs in order
        ahead = getattr(self.source, "max_queue_size", GENERATOR_QUEUE)
        for item in prefetched(lambda i: next(self.source), self.steps, threads, ahead):
            count += 1
            yield item
        if self.steps is None or count < self.steps:
            self.exhausted = True

    def peek(self):
        """The first batch, prepared (it is still yielded by the first pass)."""
        if self._first is None:
            self._epoch = self._raw_batches()
            self._first = self._next_batch(0)
        return self._first

    def _next_batch(self, step):
        item = next(self._epoch, _NO_MORE)
        try:
            if item is _NO_MORE:
                return None
            return self._prepared(item, step)
        except BaseException:
            self._epoch.close()
            raise
        finally:
            if item is _NO_MORE:
                self._epoch.close()

    def _prepared(self, item, step):
        where = (f"batch {step} of the generator" if self.walk is None else
                 f"batch {step} of the {type(self.source).__name__} (a Sequence)")
        if item is None:
            raise ValueError(f"{where} is None; a generator must yield (x, y) or (x, y, sample_weight) tuples "
                             "(or x alone, for predict) and stop by returning, not by yielding None")
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
        if self._first is None:
            self._epoch = self._raw_batches()
        try:
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
            for _ in self._epoch:  # nothing is left: this runs the end of the pass (on_epoch_end)
                pass
        finally:
            self._epoch.close()


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
