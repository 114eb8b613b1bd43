"""Shared by callbacks that save every epoch or every save_freq batches."""
import numbers

from .callback import Callback


class PeriodicSaver(Callback):
    """Validates save_freq ('epoch' or a positive integer) and, with an integer, counts the
    training batches and calls _save_mid_epoch(batch, logs) every save_freq of them; saving at
    an epoch's end is the subclass's own on_epoch_end."""

    def __init__(self, save_freq):
        super().__init__()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral)
                                     or save_freq < 1):
            raise ValueError(f"{type(self).__name__}: save_freq must be 'epoch' or a positive integer. "
                             f"Received: save_freq={save_freq!r}")
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_since_save = 0

    def _save_mid_epoch(self, batch, logs):
        raise NotImplementedError(f"{type(self).__name__} must implement _save_mid_epoch(batch, logs)")

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save_mid_epoch(batch, logs)
