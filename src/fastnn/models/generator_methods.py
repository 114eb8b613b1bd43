"""fit_generator, evaluate_generator and predict_generator: the first edition's names for fit,
evaluate and predict on a generator or Sequence, with its `workers` and `max_queue_size`.

workers is the number of background threads that make batches ahead of the step (0: none, the
batches are made on the calling thread when the step asks; a plain generator is advanced by one
thread whatever the count, as it cannot be called from two at once); max_queue_size bounds how many
finished batches wait. They are passed to fit as attributes of the source, where fit reads them
for any Sequence (fastnn.utils.Sequence(workers=..., max_queue_size=...)).
"""
import numbers
import warnings

from ..utils.sequence import Sequence, is_sequence
from .batch_stream import is_batch_source


class _LoadingSequence(Sequence):
    """A Sequence read with other workers / max_queue_size than its own."""

    def __init__(self, sequence, workers, max_queue_size):
        super().__init__(workers=workers, max_queue_size=max_queue_size)
        self.sequence = sequence

    def __len__(self):
        return len(self.sequence)

    def __getitem__(self, index):
        return self.sequence[index]

    def on_epoch_begin(self):
        if hasattr(self.sequence, "on_epoch_begin"):
            self.sequence.on_epoch_begin()

    def on_epoch_end(self):
        self.sequence.on_epoch_end()


class _LoadingGenerator:
    """A generator advanced by a loading thread (workers > 0) or by the caller (workers 0)."""

    def __init__(self, generator, workers, max_queue_size):
        self.generator, self.workers, self.max_queue_size = generator, workers, max_queue_size

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.generator)


def _loading(source, workers, max_queue_size, use_multiprocessing, name="generator"):
    for arg, value, least in (("workers", workers, 0), ("max_queue_size", max_queue_size, 1)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
            raise ValueError(f"{arg} must be an integer >= {least}. Received: {arg}={value!r}")
    if use_multiprocessing:
        warnings.warn("fastnn loads batches in threads (the kernels release the GIL); use_multiprocessing=True is "
                      "ignored", stacklevel=3)
    if is_sequence(source):
        return _LoadingSequence(source, workers, max_queue_size)
    if hasattr(source, "__next__") and is_batch_source(source):
        return _LoadingGenerator(source, workers, max_queue_size)
    if hasattr(source, "__iter__") and not isinstance(source, (tuple, list, dict, str, bytes)) \
            and not hasattr(source, "shape"):
        return _LoadingGenerator(iter(source), workers, max_queue_size)
    raise ValueError(f"{name} must be a generator, an iterator or a Sequence of batches. "
                     f"Received: {type(source).__name__}")


class GeneratorMethods:
    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """fit on batches from a generator or Sequence (the first edition's name)."""
        if class_weight is not None:
            raise ValueError("fit_generator: class_weight takes arrays; give the generator (x, y, sample_weight) "
                             "batches instead")
        if validation_data is not None and is_batch_source(validation_data):
            validation_data = _loading(validation_data, workers, max_queue_size, False, "validation_data")
        return self.fit(_loading(generator, workers, max_queue_size, use_multiprocessing),
                        steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, validation_steps=validation_steps,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """evaluate on batches from a generator or Sequence (the first edition's name)."""
        return self.evaluate(_loading(generator, workers, max_queue_size, use_multiprocessing), steps=steps,
                             callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """predict on batches from a generator or Sequence (the first edition's name)."""
        return self.predict(_loading(generator, workers, max_queue_size, use_multiprocessing), steps=steps,
                            callbacks=callbacks, verbose=verbose)
