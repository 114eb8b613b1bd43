"""ProgbarLogger: prints fit/evaluate/predict progress."""
from .. import distribution
from ..utils.progbar import Progbar
from .callback import Callback, print_line


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
        self.verbose = (1 if verbose == "auto" else min(int(verbose), 2)) if distribution.is_chief() else 0
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def _start(self):
        self.seen = 0
        self._names = set()
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step")

    def _update(self, current, logs, finalize=False):
        if self.progbar is None:
            self._start()
        logs = logs or {}
        if not self._names.issuperset(logs):
            self.progbar.stateful_metrics |= set(logs) - self._names - self.averaged_metrics
            self._names |= set(logs)
        self.progbar.update(current, list(logs.items()), finalize=finalize)

    def on_train_begin(self, logs=None):
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print_line(f"Epoch {epoch + 1}/{self.epochs}")
        self._start()

    def on_train_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self._update(self.seen, logs)

    def _done(self):
        """Units to show on the final line: those seen (fewer than steps if training stopped early)."""
        return self.seen or self.target or 0

    def on_epoch_end(self, epoch, logs=None):
        self._update(self._done(), logs, finalize=True)
        self.progbar = None

    def on_test_begin(self, logs=None):
        if not self._training:
            self._start()

    def on_test_batch_end(self, batch, logs=None):
        if not self._training:
            self.seen = batch + 1
            self._update(self.seen, logs)

    def on_test_end(self, logs=None):
        if not self._training:
            self._update(self._done(), logs, finalize=True)
            self.progbar = None

    def on_predict_begin(self, logs=None):
        self._start()

    def on_predict_batch_end(self, batch, logs=None):
        self.seen = batch + 1
        self._update(self.seen, None)

    def on_predict_end(self, logs=None):
        self._update(self._done(), None, finalize=True)
        self.progbar = None
