"""EarlyStopping: stops training when a monitored value stops improving."""
import math
import numbers

import numpy as np

from .callback import Callback, print_line
from .monitoring import monitor_direction, monitored_value


def _snapshot(weights):
    """Copies of the weights, so later in-place updates cannot change them."""
    return [np.array(w, copy=True) for w in weights]


class EarlyStopping(Callback):
    """Stops training when the monitored value has stopped improving for `patience` epochs.

    An improvement beats the best value so far by more than min_delta. With
    restore_best_weights, the weights of the best epoch are put back when stopping.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if not isinstance(min_delta, numbers.Real) or not math.isfinite(min_delta):
            raise ValueError(f"EarlyStopping: min_delta must be a finite number. Received: min_delta={min_delta!r}")
        for arg, value in (("patience", patience), ("start_from_epoch", start_from_epoch)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"EarlyStopping: {arg} must be a non-negative integer. Received: {arg}={value!r}")
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self._direction = monitor_direction("EarlyStopping", mode, monitor)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None

    def _improves(self, value, reference):
        if reference is None:
            return True
        return self._direction * (value - reference) > self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value("EarlyStopping", self.monitor, logs)
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model.get_weights())
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model.get_weights())
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                if self.verbose > 0:
                    print_line(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_line(f"Epoch {self.stopped_epoch + 1}: early stopping")
