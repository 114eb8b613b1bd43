"""ReduceLROnPlateau, CSVLogger, LearningRateScheduler, LambdaCallback and BackupAndRestore,
driven by fit where it can drive them."""
import csv
import os

import numpy as np
import pytest

import fastnn
from fastnn.callbacks import (BackupAndRestore, Callback, CSVLogger, LambdaCallback, LearningRateScheduler,
                              ReduceLROnPlateau)


def classifier(seed=0, optimizer="rmsprop"):
    fastnn.set_seed(seed)
    model = fastnn.models.Sequential([fastnn.layers.Dense(8, activation="relu", input_shape=(4,)),
                                      fastnn.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(n=60):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)


class FakeModel:
    def __init__(self, lr=0.1):
        self.optimizer = fastnn.optimizers.SGD(learning_rate=lr)
        self.stop_training = False


# ReduceLROnPlateau --------------------------------------------------------------------------------
def drive(callback, values, monitor="val_loss"):
    callback.set_model(FakeModel())
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {monitor: value}
        callback.on_epoch_end(epoch, logs)
        rates.append(logs["learning_rate"])
    return rates, callback.model.optimizer.learning_rate


def test_reduce_lr_on_plateau_patience_and_min_lr():
    rates, final = drive(ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.03), [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9])
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.03])
    assert final == pytest.approx(0.03)


def test_reduce_lr_on_plateau_min_delta_cooldown_and_mode():
    rates, final = drive(ReduceLROnPlateau(factor=0.1, patience=1, min_delta=0.05, cooldown=2),
                         [1.0, 0.97, 0.96, 0.95, 0.94, 0.93])
    # 0.97 is not better by more than 0.05: reduce at epoch 1, then two epochs of cooldown
    assert rates == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.01, 0.001])
    rates, _ = drive(ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1), [0.5, 0.6, 0.6],
                     monitor="val_accuracy")
    assert rates == pytest.approx([0.1, 0.1, 0.1]) and _ == pytest.approx(0.05)


def test_reduce_lr_on_plateau_bad_arguments():
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\). Received: factor=1.0"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="patience must be a non-negative integer"):
        ReduceLROnPlateau(patience=-1)
    with pytest.raises(ValueError, match="monitors 'val_loss', which is not in the logs"):
        drive(ReduceLROnPlateau(), [1.0], monitor="loss")


def test_reduce_lr_on_plateau_in_fit():
    model = classifier()
    x, y = data()
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=10.0, verbose=1)
    h = model.fit(x, y, epochs=3, batch_size=20, verbose=0, callbacks=[cb]).history
    # the first epoch sets the best value; each later one misses it by less than min_delta
    assert h["learning_rate"] == pytest.approx([0.001, 0.001, 0.0005])
    assert h["lr"] is h["learning_rate"]
    assert model.optimizer.learning_rate == pytest.approx(0.00025)


# LearningRateScheduler ----------------------------------------------------------------------------
def test_learning_rate_scheduler_in_fit(capsys):
    model = classifier(optimizer=fastnn.optimizers.SGD(learning_rate=0.1))
    x, y = data()
    seen = []
    cb = LearningRateScheduler(lambda epoch, lr: seen.append((epoch, lr)) or lr * 0.5, verbose=1)
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[cb]).history
    assert seen == [(0, 0.1), (1, 0.05), (2, 0.025)]
    assert h["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.025." in capsys.readouterr().out


def test_learning_rate_scheduler_one_argument_and_bad_output():
    cb = LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    cb.set_model(FakeModel())
    cb.on_epoch_begin(4)
    assert cb.model.optimizer.learning_rate == pytest.approx(0.05)
    cb = LearningRateScheduler(lambda epoch, lr: "fast")
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be a float. Got: 'fast'"):
        cb.on_epoch_begin(0)


# CSVLogger ----------------------------------------------------------------------------------------
def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "logs" / "training.csv"
    model = classifier()
    x, y = data()
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    h = model.history.history
    assert float(rows[2][2]) == pytest.approx(h["loss"][1])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 4 and rows[0][0] == "epoch" and rows[3][0] == "0"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["epoch", "accuracy", "loss"] and len(rows) == 2


def test_csv_logger_bad_separator(tmp_path):
    with pytest.raises(ValueError, match="separator must be a single character"):
        CSVLogger(tmp_path / "x.csv", separator=";;")


# LambdaCallback -----------------------------------------------------------------------------------
def test_lambda_callback_in_fit():
    events = []
    cb = LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                        on_epoch_end=lambda epoch, logs: events.append(("epoch", epoch, "loss" in logs)),
                        on_batch_end=lambda batch, logs: events.append(("batch", batch)),
                        on_train_end=lambda logs: events.append("end"))
    model = classifier()
    x, y = data()
    model.fit(x, y, epochs=2, batch_size=30, verbose=0, callbacks=[cb])
    assert events == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0, True), ("batch", 0), ("batch", 1),
                      ("epoch", 1, True), "end"]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="unknown hook.*on_epoch_finish"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(ValueError, match="on_epoch_end must be callable"):
        LambdaCallback(on_epoch_end=3)


# BackupAndRestore ---------------------------------------------------------------------------------
class Interrupt(Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt


def test_backup_is_written_atomically_and_restores_weights_and_optimizer(tmp_path):
    x, y = data()
    model = classifier(optimizer="adam")
    backup = BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=5, batch_size=20, verbose=0, callbacks=[backup, Interrupt(1)])
    assert os.listdir(tmp_path / "backup") == ["backup.fastnn"]
    saved_weights, saved_state = model.get_weights(), model.optimizer.variables()

    fresh = classifier(seed=7, optimizer="adam")
    restorer = BackupAndRestore(tmp_path / "backup")
    restorer.set_model(fresh)
    restorer.on_train_begin()
    assert fresh._initial_epoch == 2
    for a, b in zip(fresh.get_weights(), saved_weights):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(fresh.optimizer.variables(), saved_state):
        np.testing.assert_array_equal(a, b)
    assert fresh.optimizer.iterations == 6


def test_backup_deleted_after_a_complete_fit(tmp_path):
    x, y = data()
    classifier().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b")])
    assert not os.path.exists(tmp_path / "b")
    classifier().fit(x, y, epochs=2, verbose=0, callbacks=[BackupAndRestore(tmp_path / "k", delete_checkpoint=False)])
    assert os.listdir(tmp_path / "k") == ["backup.fastnn"]


def test_backup_every_n_batches_resumes_at_the_epoch_in_progress(tmp_path):
    x, y = data()

    class StopMidEpoch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == 5:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        classifier().fit(x, y, epochs=3, batch_size=20, verbose=0,
                         callbacks=[BackupAndRestore(tmp_path / "b", save_freq=2), StopMidEpoch()])
    fresh = classifier(seed=3)
    restorer = BackupAndRestore(tmp_path / "b")
    restorer.set_model(fresh)
    restorer.on_train_begin()
    assert fresh._initial_epoch == 1 and fresh.optimizer.iterations == 4


def test_backup_bad_arguments_and_files(tmp_path):
    with pytest.raises(ValueError, match="backup_dir must be a folder path"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a positive integer"):
        BackupAndRestore(tmp_path, save_freq=0)
    (tmp_path / "backup.fastnn").write_bytes(b"not a zip")
    cb = BackupAndRestore(tmp_path)
    cb.set_model(classifier())
    with pytest.raises(ValueError, match="is not a readable backup"):
        cb.on_train_begin()


def resumable_epochs(model, epochs, callbacks, initial_epoch=0):
    """The epochs a fit honouring BackupAndRestore runs: after on_train_begin it starts at
    model._initial_epoch when a callback set it (the batches are left out here)."""
    model._initial_epoch = None
    cbs = fastnn.callbacks.CallbackList(callbacks, model=model)
    cbs.on_train_begin()
    start = model._initial_epoch or initial_epoch
    for epoch in range(start, epochs):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 0.0})
    cbs.on_train_end()
    return list(range(start, epochs))


def test_resume_contract_with_a_minimal_loop(tmp_path):
    x, y = data()
    model = classifier()
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[BackupAndRestore(tmp_path / "b"), Interrupt(2)])
    fresh = classifier(seed=5)
    fresh.build((None, 4))
    assert resumable_epochs(fresh, 4, [BackupAndRestore(tmp_path / "b")]) == [3]
    assert not os.path.exists(tmp_path / "b")


def test_interrupted_and_resumed_fit_equals_an_uninterrupted_one(tmp_path):
    x, y = data()
    whole = classifier(optimizer="adam")
    whole.fit(x, y, epochs=4, batch_size=20, shuffle=False, verbose=0)
    model = classifier(optimizer="adam")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, batch_size=20, shuffle=False, verbose=0,
                  callbacks=[BackupAndRestore(tmp_path / "b"), Interrupt(1)])
    resumed = classifier(seed=9, optimizer="adam")
    seen = []
    resumed.fit(x, y, epochs=4, batch_size=20, shuffle=False, verbose=0,
                callbacks=[BackupAndRestore(tmp_path / "b"), LambdaCallback(on_epoch_begin=lambda e, l: seen.append(e))])
    assert seen == [2, 3]
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)
