"""ModelCheckpoint: saves the model or its weights during training."""
import math
import os
import re
import string

from .callback import print_line
from .monitoring import monitor_direction, monitored_value
from .periodic_saver import PeriodicSaver


class ModelCheckpoint(PeriodicSaver):
    """Saves the model (or its weights) every epoch or every save_freq batches.

    filepath may contain format fields: {epoch} (from 1), {batch} (from 1, with an
    integer save_freq) and any key of the logs, e.g. 'model-{epoch:02d}-{val_loss:.2f}.npz'.
    With save_best_only, saves only when the monitored value improves.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch"):
        self.filepath = check_pattern(os.fspath(filepath))
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        super().__init__(save_freq)
        self._direction = monitor_direction("ModelCheckpoint", mode, monitor)
        self.best = math.inf if self._direction < 0 else -math.inf

    def _save_mid_epoch(self, batch, logs):
        self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def file_path(self, epoch, batch=None, logs=None):
        """filepath with its fields filled in."""
        fields = dict(logs or {})
        fields["epoch"] = epoch + 1
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as err:
            raise ValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} refers to {err.args[0]!r}, "
                f"which is not available. Available keys: {', '.join(sorted(fields))}"
            ) from None

    def _save(self, epoch, batch, logs):
        path = self.file_path(epoch, batch, logs)
        if self.save_best_only:
            current = monitored_value("ModelCheckpoint", self.monitor, logs)
            if not self._direction * (current - self.best) > 0:
                if self.verbose > 0:
                    print_line(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print_line(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                       f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print_line(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


def _field_names(pattern):
    """The names of every replacement field in a format pattern, nested ones included."""
    for _, field, spec, _ in string.Formatter().parse(pattern):
        if field is not None:
            yield re.match(r"[^.\[]*", field).group()
            if spec:
                yield from _field_names(spec)


def check_pattern(pattern):
    """pattern, after formatting it once with sample values for its fields: ValueError when it fails.

    {epoch} and {batch} get an integer, any other field a float (as every value in the logs).
    """
    try:
        names = set(_field_names(pattern))
        if any(name == "" or name.isdigit() for name in names):
            raise ValueError("positional fields such as {} or {0} have no value; name the field, e.g. {epoch}")
        pattern.format(**{name: 1 if name in ("epoch", "batch") else 0.5 for name in names})
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as err:
        raise ValueError(
            f"ModelCheckpoint: filepath {pattern!r} is not a valid format pattern ({err}). Its fields are "
            "{epoch} and {batch} (integers from 1) and the keys of the logs (floats), "
            "e.g. 'model-{epoch:02d}-{val_loss:.2f}.npz'"
        ) from None
    return pattern

