"""CallbackList: calls a hook on every callback in order."""
from .callback import Callback
from .history import History
from .progbar_logger import ProgbarLogger

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

    def acting_on(self, hook, alias=None):
        """The callbacks whose `hook` does something: those that replace Callback's no-op
        (for a batch hook: the hook itself or its alias, e.g. on_batch_end)."""
        return [cb for cb in self.callbacks if _overrides(cb, hook) or (alias and _overrides(cb, alias))]

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


def _overrides(callback, hook):
    method = getattr(callback, hook)
    return getattr(method, "__func__", None) is not getattr(Callback, hook)


def _dispatcher(hook):
    def dispatch(self, *args, **kwargs):
        for cb in self.callbacks:
            getattr(cb, hook)(*args, **kwargs)

    dispatch.__name__ = hook
    dispatch.__doc__ = f"Calls {hook} on every callback."
    return dispatch


for _hook in _HOOKS:
    setattr(CallbackList, _hook, _dispatcher(_hook))
