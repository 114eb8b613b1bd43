"""LearningRateScheduler: sets the learning rate at the start of each epoch from a function."""
import numbers

from .callback import Callback, print_line


class LearningRateScheduler(Callback):
    """Before each epoch, sets the optimizer's learning rate to schedule(epoch, lr) (epoch from 0,
    lr the current rate; a schedule(epoch) of one argument is also accepted). Adds
    'learning_rate' to each epoch's logs."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"LearningRateScheduler: schedule must be callable. Received: schedule={schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = float(optimizer.learning_rate)
        try:
            lr = self.schedule(epoch, lr)
        except TypeError as first:
            try:
                lr = self.schedule(epoch)
            except TypeError:
                raise first from None
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr!r}")
        optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print_line(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)
