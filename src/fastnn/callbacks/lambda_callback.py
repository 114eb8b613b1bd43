"""LambdaCallback: a callback made of plain functions."""
from .callback import Callback

HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end", "on_train_batch_begin",
         "on_train_batch_end", "on_batch_begin", "on_batch_end", "on_test_begin", "on_test_end",
         "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
         "on_predict_batch_begin", "on_predict_batch_end")


class LambdaCallback(Callback):
    """Calls the given functions at their hooks, e.g.
    LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss'])).

    Epoch hooks take (epoch, logs), batch hooks (batch, logs), begin/end hooks (logs).
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        unknown = sorted(set(given) - set(HOOKS))
        if unknown:
            raise ValueError(f"LambdaCallback: unknown hook(s) {', '.join(unknown)}. Known hooks: {', '.join(HOOKS)}")
        for hook, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise ValueError(f"LambdaCallback: {hook} must be callable. Received: {hook}={fn!r}")
            setattr(self, hook, _hook(fn, takes_index=not hook.endswith(("train_begin", "train_end", "test_begin",
                                                                          "test_end", "predict_begin",
                                                                          "predict_end"))))


def _hook(fn, takes_index):
    if takes_index:
        return lambda index, logs=None: fn(index, logs)
    return lambda logs=None: fn(logs)
