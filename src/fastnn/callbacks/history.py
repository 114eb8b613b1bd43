"""History: the logs of every epoch."""
from ..metrics import ALIASES
from .callback import Callback

_GROUP_OF = {name: group for group in ALIASES for name in group}


class MetricHistory(dict):
    """{log name: [one value per epoch]} that also answers to the older names of a metric.

    Keys and iteration show the names as logged ('accuracy', 'mae', 'val_mae', ...); looking up
    another name of the same quantity ('acc', 'mean_absolute_error', 'val_acc', ...) finds it.
    """

    def _alias_of(self, key):
        if not isinstance(key, str):
            return None
        prefix = "val_" if key.startswith("val_") else ""
        for name in _GROUP_OF.get(key[len(prefix):], ()):
            if prefix + name in self.keys():
                return prefix + name
        return None

    def __missing__(self, key):
        alias = self._alias_of(key)
        if alias is None:
            raise KeyError(f"{key!r} is not in the history. Recorded: {', '.join(self.keys()) or '(nothing)'}")
        return dict.__getitem__(self, alias)

    def __contains__(self, key):
        return dict.__contains__(self, key) or self._alias_of(key) is not None

    def get(self, key, default=None):
        return self[key] if key in self else default


class History(Callback):
    """Records every epoch's logs: history[name] is a list with one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = MetricHistory()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        if self.model is not None:
            self.model.history = self
