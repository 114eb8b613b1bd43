"""Callbacks: hooks that fit, evaluate and predict call at each stage of their loops."""
import math
import numbers
import os
import sys

import numpy as np

from .utils.progbar import Progbar


def _print(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


class Callback:
    """Base class: every hook does nothing. fit/evaluate/predict call them through a CallbackList."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Alias hook for on_train_batch_begin."""

    def on_batch_end(self, batch, logs=None):
        """Alias hook for on_train_batch_end."""

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


_HOOKS = [name for name in vars(Callback) if name.startswith("on_") and name not in ("on_batch_begin", "on_batch_end")]


class CallbackList:
    """Calls each hook on every callback, in order.

    add_progbar puts a ProgbarLogger first (so other callbacks' messages follow the
    epoch's line) and add_history appends a History, unless the list already has one.
    params (verbose, epochs, steps, ...) are passed to every callback with set_params.
    """

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False, verbose=1, epochs=1,
                 steps=None, **params):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be fastnn.callbacks.Callback instances. Received: {cb!r}")
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self.progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if add_progbar and self.progbar is None:
            self.progbar = ProgbarLogger()
            self.callbacks.insert(0, self.progbar)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        self.params = {"verbose": verbose, "epochs": epochs, "steps": steps, **params}
        self.set_params(self.params)
        self.model = None
        if model is not None:
            self.set_model(model)

    def append(self, callback):
        self.callbacks.append(callback)

    def set_model(self, model):
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


def _dispatcher(hook):
    def dispatch(self, *args, **kwargs):
        for cb in self.callbacks:
            getattr(cb, hook)(*args, **kwargs)

    dispatch.__name__ = hook
    dispatch.__doc__ = f"Calls {hook} on every callback."
    return dispatch


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _dispatcher(_hook))


class History(Callback):
    """Records every epoch's logs: history[name] is a list with one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and drives a Progbar from the logs of each batch and epoch.

    Batch logs are taken as running values and shown as given, unless named in
    averaged_metrics, which the bar averages itself.
    """

    def __init__(self, averaged_metrics=None):
        super().__init__()
        self.averaged_metrics = set(averaged_metrics or ())
        self.progbar = None
        self.seen = 0
        self.verbose, self.epochs, self.target = 1, 1, None
        self._names = set()
        self._training = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else min(int(verbose), 2)
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self):
        self.seen = 0
        self._names = set()
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step")

    def _update(self, current, logs, finalize=False):
        logs = dict(logs or {})
        new = set(logs) - self._names - self.averaged_metrics
        self.progbar.stateful_metrics |= new
        self._names |= set(logs)
        self.progbar.update(current, list(logs.items()), finalize=finalize)

    def on_train_begin(self, logs=None):
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self._update(self.seen, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._update(self.target if self.target is not None else self.seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if not self._training:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._training:
            self.seen = batch + 1
            self._update(self.seen, logs)

    def on_test_end(self, logs=None):
        if not self._training:
            self._update(self.target if self.target is not None else self.seen, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self._update(self.seen, None)

    def on_predict_end(self, logs=None):
        self._update(self.target if self.target is not None else self.seen, None, finalize=True)


def _monitor_direction(owner, mode, monitor):
    """-1 when smaller monitored values are better, +1 when larger are."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode == "min":
        return -1
    if mode == "max":
        return 1
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return 1 if ("acc" in name or name.startswith("auc") or name.startswith("fmeasure")) else -1


def _monitored_value(owner, monitor, logs):
    logs = logs or {}
    if monitor not in logs:
        available = ", ".join(sorted(logs)) or "(none)"
        raise ValueError(f"{owner} monitors {monitor!r}, which is not in the logs. Available keys: {available}")
    return float(logs[monitor])


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
        self._direction = _monitor_direction("EarlyStopping", mode, monitor)
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
        current = _monitored_value("EarlyStopping", self.monitor, logs)
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
                    _print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) every epoch or every save_freq batches.

    filepath may contain format fields: {epoch} (from 1), {batch} (from 1, with an
    integer save_freq) and any key of the logs, e.g. 'model-{epoch:02d}-{val_loss:.2f}.npz'.
    With save_best_only, saves only when the monitored value improves.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch"):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, numbers.Integral)
                                     or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer. "
                             f"Received: save_freq={save_freq!r}")
        self.save_freq = save_freq
        self._direction = _monitor_direction("ModelCheckpoint", mode, monitor)
        self.best = math.inf if self._direction < 0 else -math.inf
        self._current_epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
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
            current = _monitored_value("ModelCheckpoint", self.monitor, logs)
            if not self._direction * (current - self.best) > 0:
                if self.verbose > 0:
                    _print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                _print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                       f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            _print(f"Epoch {epoch + 1}: saving model to {path}")
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
