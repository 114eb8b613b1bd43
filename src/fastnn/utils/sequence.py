"""Sequence: a dataset of batches by index, Keras's PyDataset (keras.utils.Sequence) for fastnn.

fit, evaluate and predict take any Sequence (or any object with __len__, __getitem__ and
on_epoch_end, such as a Keras PyDataset): an epoch is batches 0 .. len - 1 (steps_per_epoch
defaults to len), and on_epoch_end runs after each full pass. `workers` threads prepare batches
ahead of the training step, at most `max_queue_size` ahead (see fastnn.models.prefetch).
"""
import numbers
import warnings


class Sequence:
    """Subclasses define __len__ (the number of batches) and __getitem__(index) (batch `index`: x,
    (x, y) or (x, y, sample_weight)), and may define on_epoch_begin / on_epoch_end.

    workers: threads that call __getitem__ ahead of the training step (0: none, batches are made
    when the step asks for them); __getitem__ must then be safe to call from several threads at once.
    max_queue_size: how many prepared batches may wait for the step.
    use_multiprocessing: accepted for Keras's signature; fastnn's workers are threads (its kernels
    release the GIL), so True only warns.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    @property
    def workers(self):
        return self.__dict__.get("_workers", 1)

    @workers.setter
    def workers(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"workers must be a non-negative integer. Received: workers={value!r}")
        self._workers = int(value)

    @property
    def max_queue_size(self):
        return self.__dict__.get("_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"max_queue_size must be a positive integer. Received: max_queue_size={value!r}")
        self._max_queue_size = int(value)

    @property
    def use_multiprocessing(self):
        return self.__dict__.get("_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        if value:
            warnings.warn("fastnn's Sequence workers are threads (the kernels release the GIL); "
                          "use_multiprocessing=True is ignored", stacklevel=3)
        self._use_multiprocessing = bool(value)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), returning batch `index`")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(), the number of batches")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch."""

    def on_epoch_end(self):
        """Called after each epoch (each full pass over the batches)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


def is_sequence(data):
    """True for a Sequence, or any object offering __len__, __getitem__ and on_epoch_end (a Keras
    PyDataset); arrays, lists and tensors are data, not sequences of batches."""
    if isinstance(data, Sequence):
        return True
    return all(hasattr(data, name) for name in ("__len__", "__getitem__", "on_epoch_end")) \
        and not hasattr(data, "shape")
