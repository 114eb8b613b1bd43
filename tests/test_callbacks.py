import math
import re

import numpy as np
import pytest

from fastnn.callbacks import (Callback, CallbackList, EarlyStopping, History, ModelCheckpoint, ProgbarLogger,
                              TerminateOnNaN)


class FakeModel:
    """Just enough of a model for callbacks: weights, saving, stop_training."""

    def __init__(self):
        self.weights = [np.zeros(3), np.zeros(1)]
        self.stop_training = False
        self.saved = []

    def get_weights(self):
        return self.weights  # the live arrays, as a model holding one flat buffer might return views

    def set_weights(self, weights):
        for w, v in zip(self.weights, weights):
            w[...] = v

    def train_epoch(self, epoch):
        for w in self.weights:
            w[...] = epoch  # in place, so uncopied snapshots would change too

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def fit(model, callbacks, epoch_logs, steps=2, batch_logs=None, verbose=0):
    """The fit loop's callback protocol; epoch_logs[i] are the logs of epoch i. Returns epochs run."""
    cbs = CallbackList(callbacks, model=model, add_history=True, verbose=verbose, epochs=len(epoch_logs),
                       steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    ran = 0
    for epoch, logs in enumerate(epoch_logs):
        cbs.on_epoch_begin(epoch)
        for batch in range(steps):
            cbs.on_train_batch_begin(batch)
            cbs.on_train_batch_end(batch, (batch_logs or {}).get((epoch, batch), {"loss": logs.get("loss", 0.0)}))
            if model.stop_training:
                break
        model.train_epoch(epoch)
        cbs.on_epoch_end(epoch, dict(logs))
        ran += 1
        if model.stop_training:
            break
    cbs.on_train_end()
    return ran, cbs


def losses(*values):
    return [{"loss": v, "val_loss": v, "val_accuracy": 1 - v} for v in values]


def test_history_records_every_epoch():
    model = FakeModel()
    _, cbs = fit(model, [], losses(0.5, 0.4, 0.3))
    hist = cbs.history
    assert hist.epoch == [0, 1, 2]
    assert hist.history["val_loss"] == [0.5, 0.4, 0.3]
    assert set(hist.history) == {"loss", "val_loss", "val_accuracy"}
    assert hist.params["epochs"] == 3 and hist.params["steps"] == 2
    assert hist.model is model and model.history is hist


def test_callback_list_dispatch_order():
    calls = []

    class Recorder(Callback):
        def __init__(self, tag):
            super().__init__()
            self.tag = tag

        def on_epoch_begin(self, epoch, logs=None):
            calls.append((self.tag, "epoch_begin", epoch))

        def on_batch_end(self, batch, logs=None):  # legacy alias of on_train_batch_end
            calls.append((self.tag, "batch_end", batch))

        def on_epoch_end(self, epoch, logs=None):
            calls.append((self.tag, "epoch_end", epoch))

        def on_train_end(self, logs=None):
            calls.append((self.tag, "train_end"))

    a, b = Recorder("a"), Recorder("b")
    _, cbs = fit(FakeModel(), [a, b], losses(1.0), steps=2)
    assert calls == [
        ("a", "epoch_begin", 0), ("b", "epoch_begin", 0),
        ("a", "batch_end", 0), ("b", "batch_end", 0),
        ("a", "batch_end", 1), ("b", "batch_end", 1),
        ("a", "epoch_end", 0), ("b", "epoch_end", 0),
        ("a", "train_end"), ("b", "train_end"),
    ]
    assert cbs.callbacks[:2] == [a, b] and isinstance(cbs.callbacks[-1], History)
    assert a.params is b.params and a.model is cbs.model


def test_callback_list_default_callbacks_not_duplicated():
    history, progbar = History(), ProgbarLogger()
    cbs = CallbackList([history, progbar], add_history=True, add_progbar=True)
    assert cbs.callbacks == [history, progbar]
    cbs = CallbackList(None, add_history=True, add_progbar=True, verbose=2, epochs=4, steps=10, batch_size=32)
    assert isinstance(cbs.callbacks[0], ProgbarLogger) and isinstance(cbs.callbacks[-1], History)
    assert cbs.params == {"verbose": 2, "epochs": 4, "steps": 10, "batch_size": 32}
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([print])


def test_callback_list_dispatches_test_and_predict_hooks():
    seen = []

    class Recorder(Callback):
        def __getattribute__(self, name):
            if name.startswith("on_test") or name.startswith("on_predict"):
                return lambda *args, **kw: seen.append(name)
            return super().__getattribute__(name)

    cbs = CallbackList([Recorder()])
    for hook in ("on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end", "on_predict_begin",
                 "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"):
        args = (0,) if "batch" in hook else ()
        getattr(cbs, hook)(*args)
        assert seen[-1] == hook


def test_early_stopping_patience():
    model = FakeModel()
    stopper = EarlyStopping(patience=2)
    ran, _ = fit(model, [stopper], losses(1.0, 0.8, 0.9, 0.85, 0.7, 0.6))
    assert ran == 4 and stopper.stopped_epoch == 3
    assert stopper.best == 0.8 and stopper.best_epoch == 1


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    ran, _ = fit(FakeModel(), [EarlyStopping(patience=0)], losses(1.0, 0.9, 0.95, 0.5))
    assert ran == 3


def test_early_stopping_min_delta():
    # 0.98 and 0.97 improve on 1.0 by less than min_delta, so they do not count.
    stopper = EarlyStopping(min_delta=0.05, patience=2)
    ran, _ = fit(FakeModel(), [stopper], losses(1.0, 0.98, 0.97, 0.5))
    assert ran == 3 and stopper.best == 1.0
    ran, _ = fit(FakeModel(), [EarlyStopping(min_delta=0.01, patience=2)], losses(1.0, 0.98, 0.97, 0.5))
    assert ran == 4
    ran, _ = fit(FakeModel(), [EarlyStopping(min_delta=-0.05, patience=1)], losses(1.0, 0.9, 0.8, 0.7))
    assert ran == 4  # min_delta's sign is ignored, as in Keras


def test_early_stopping_mode():
    logs = [{"val_accuracy": a} for a in (0.5, 0.6, 0.55, 0.58, 0.9)]
    ran, _ = fit(FakeModel(), [EarlyStopping(monitor="val_accuracy", patience=1)], logs)
    assert ran == 3  # auto: accuracy is maximised, 0.6 improves and 0.55 does not
    ran, _ = fit(FakeModel(), [EarlyStopping(monitor="val_accuracy", patience=1, mode="min")], logs)
    assert ran == 2
    ran, _ = fit(FakeModel(), [EarlyStopping(monitor="val_loss", patience=0, mode="max")], losses(1.0, 2.0, 1.5))
    assert ran == 3
    ran, _ = fit(FakeModel(), [EarlyStopping(monitor="val_loss", patience=0)], losses(1.0, 2.0, 1.5))
    assert ran == 2
    with pytest.raises(ValueError, match="Received: mode='biggest'"):
        EarlyStopping(mode="biggest")


def test_early_stopping_restore_best_weights(capsys):
    model = FakeModel()
    stopper = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    ran, _ = fit(model, [stopper], losses(1.0, 0.5, 0.7, 0.8, 0.1))
    assert ran == 4
    np.testing.assert_array_equal(model.weights[0], [1, 1, 1])  # the weights after epoch index 1
    out = capsys.readouterr().out
    assert "Restoring model weights from the end of the best epoch: 2." in out
    assert "Epoch 4: early stopping" in out


def test_early_stopping_without_restore_keeps_last_weights():
    model = FakeModel()
    ran, _ = fit(model, [EarlyStopping(patience=1)], losses(1.0, 0.5, 0.7, 0.8))
    assert ran == 3
    np.testing.assert_array_equal(model.weights[0], [2, 2, 2])


def test_early_stopping_baseline_and_start_from_epoch():
    # The first epoch does not beat the baseline, so its wait is not reset.
    values = losses(0.9, 0.95, 0.92, 0.99, 0.98)
    ran, _ = fit(FakeModel(), [EarlyStopping(patience=2, baseline=0.1)], values)
    assert ran == 2
    ran, _ = fit(FakeModel(), [EarlyStopping(patience=2)], values)
    assert ran == 3
    ran, _ = fit(FakeModel(), [EarlyStopping(patience=2, baseline=0.91)], values)
    assert ran == 3
    ran, _ = fit(FakeModel(), [EarlyStopping(patience=0, start_from_epoch=3)], losses(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    assert ran == 5


def test_early_stopping_unknown_monitor_lists_keys():
    with pytest.raises(ValueError, match="'val_acc'.*Available keys: loss, val_accuracy, val_loss"):
        fit(FakeModel(), [EarlyStopping(monitor="val_acc")], losses(1.0, 0.5))


@pytest.mark.parametrize("kwargs, received", [({"patience": -1}, "patience=-1"), ({"patience": 1.5}, "patience=1.5"),
                                              ({"min_delta": "x"}, "min_delta='x'")])
def test_early_stopping_bad_arguments(kwargs, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        EarlyStopping(**kwargs)


def test_model_checkpoint_formats_filepath(tmp_path):
    model = FakeModel()
    pattern = str(tmp_path / "ckpt" / "model-{epoch:02d}-{val_loss:.2f}.npz")
    fit(model, [ModelCheckpoint(pattern)], losses(0.5, 0.25))
    assert model.saved == [("model", str(tmp_path / "ckpt" / "model-01-0.50.npz")),
                           ("model", str(tmp_path / "ckpt" / "model-02-0.25.npz"))]
    assert (tmp_path / "ckpt").is_dir()


def test_model_checkpoint_save_best_only_and_weights(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "best-{epoch}.weights")
    ckpt = ModelCheckpoint(path, save_best_only=True, save_weights_only=True, verbose=1)
    fit(model, [ckpt], losses(0.5, 0.6, 0.4, 0.4))
    assert model.saved == [("weights", path.format(epoch=1)), ("weights", path.format(epoch=3))]
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 0.50000, saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out


def test_model_checkpoint_max_mode_and_batch_frequency(tmp_path):
    model = FakeModel()
    ckpt = ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}"), monitor="val_accuracy", save_best_only=False,
                           save_freq=3)
    fit(model, [ckpt], losses(0.5, 0.4), steps=4)
    assert [p for _, p in model.saved] == [str(tmp_path / "m-1-3"), str(tmp_path / "m-2-2")]
    model = FakeModel()
    fit(model, [ModelCheckpoint(str(tmp_path / "a"), monitor="val_accuracy", save_best_only=True)],
        losses(0.5, 0.6, 0.3))
    assert len(model.saved) == 2  # accuracies 0.5, 0.4 (no), 0.7


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="'val_auc'.*Available keys: epoch, loss"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "{val_auc}"))], losses(0.5))
    with pytest.raises(ValueError, match="'val_mae'.*Available keys: loss, val_accuracy, val_loss"):
        fit(FakeModel(), [ModelCheckpoint(str(tmp_path / "x"), monitor="val_mae", save_best_only=True)], losses(0.5))
    with pytest.raises(ValueError, match="Received: save_freq=0"):
        ModelCheckpoint("x", save_freq=0)


@pytest.mark.parametrize("pattern, problem", [
    ("{epoch.npz", "expected '}' before end of string"),
    ("{epoch:02q}.npz", "Unknown format code 'q' for object of type 'int'"),
    ("model-}.npz", "Single '}' encountered"),
    ("{val_loss:03d}.npz", "Unknown format code 'd' for object of type 'float'"),
    ("{}.npz", "positional fields"),
    ("{0}-{epoch}.npz", "positional fields"),
    ("{epoch!q}.npz", "Unknown conversion specifier q"),
    ("{loss[0]}.npz", "'float' object is not subscriptable"),
])
def test_model_checkpoint_refuses_a_bad_pattern_when_made(tmp_path, pattern, problem):
    path = str(tmp_path / pattern)
    with pytest.raises(ValueError, match=re.escape(f"ModelCheckpoint: filepath {path!r} is not a valid format "
                                                   f"pattern ({problem}")):
        ModelCheckpoint(path, save_freq=3)


@pytest.mark.parametrize("pattern", ["{epoch:02d}-{val_loss:.2f}.npz", "{batch:04d}_{accuracy:.3%}", "{{literal}}"])
def test_model_checkpoint_takes_a_good_pattern(pattern):
    assert ModelCheckpoint(pattern).filepath == pattern


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_terminate_on_nan(bad, capsys):
    model = FakeModel()
    batch_logs = {(1, 1): {"loss": bad}}
    ran, _ = fit(model, [TerminateOnNaN()], losses(0.5, 0.4, 0.3), steps=3, batch_logs=batch_logs)
    assert ran == 2 and model.stop_training
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_ignores_finite_losses():
    model = FakeModel()
    ran, _ = fit(model, [TerminateOnNaN()], losses(0.5, 0.4, 0.3))
    assert ran == 3 and not model.stop_training
