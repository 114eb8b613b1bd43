"""BackupAndRestore: resumes an interrupted fit from its last completed epoch."""
import io
import json
import os
import zipfile

import numpy as np

from .periodic_saver import PeriodicSaver

BACKUP_NAME = "backup.fastnn"
STATE_NAME = "state.json"
WEIGHTS_NAME = "model.weights.npz"
OPTIMIZER_NAME = "optimizer.npz"


class BackupAndRestore(PeriodicSaver):
    """Saves the model's weights, the optimizer's state and the epoch reached to
    backup_dir/backup.fastnn (one file, replaced atomically) at the end of every epoch, or
    every save_freq batches. When fit starts and that file exists, puts it all back and sets
    model._initial_epoch to the epoch to continue from (the trainer starts there). A fit
    that ends normally deletes the backup when delete_checkpoint is True; an interrupted one
    leaves it for the next fit with the same backup_dir.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        if not backup_dir:
            raise ValueError(f"BackupAndRestore: backup_dir must be a folder path. Received: backup_dir={backup_dir!r}")
        super().__init__(save_freq)
        self.backup_dir = os.fspath(backup_dir)
        self.delete_checkpoint = bool(delete_checkpoint)

    @property
    def backup_path(self):
        return os.path.join(self.backup_dir, BACKUP_NAME)

    # restoring ----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError("BackupAndRestore needs a built model: give the first layer an input_shape "
                             "or call model.build((None, features)) before fit()")
        self._batches_since_save = 0
        self._current_epoch = 0
        if not os.path.exists(self.backup_path):
            return
        state, weights, optimizer_state = _read_backup(self.backup_path)
        from ..models.saving import assign_weights

        assign_weights(self.model, weights, source=repr(self.backup_path))
        optimizer = self.model.optimizer
        if optimizer_state is not None and optimizer is not None:
            if not optimizer.built:
                optimizer.build([self.model.trainable_parameters().values])
            optimizer.set_variables(optimizer_state)
        self._current_epoch = int(state["epoch"])
        self.model._initial_epoch = self._current_epoch

    # saving -------------------------------------------------------------------------------
    def _save_mid_epoch(self, batch, logs):
        self._save(self._current_epoch)  # resumes at the start of this epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save(epoch + 1)

    def _save(self, next_epoch):
        from ..models.saving import atomic_write, weights_archive

        weights = _npz_bytes(weights_archive(self.model))
        optimizer = self.model.optimizer
        optimizer_state = None
        if optimizer is not None and optimizer.built:
            optimizer_state = _npz_bytes({str(i): v for i, v in enumerate(optimizer.variables())})
        state = json.dumps({"epoch": int(next_epoch)})

        def write(file):
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
                archive.writestr(STATE_NAME, state)
                archive.writestr(WEIGHTS_NAME, weights)
                if optimizer_state is not None:
                    archive.writestr(OPTIMIZER_NAME, optimizer_state)

        os.makedirs(self.backup_dir, exist_ok=True)
        atomic_write(self.backup_path, write)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_path):
            os.remove(self.backup_path)
            try:
                os.rmdir(self.backup_dir)  # only when nothing else is in it
            except OSError:
                pass


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _read_backup(path):
    """(state dict, {weight key: array}, [optimizer variables] or None) from a backup file."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            state = json.loads(archive.read(STATE_NAME).decode("utf-8"))
            with np.load(io.BytesIO(archive.read(WEIGHTS_NAME)), allow_pickle=False) as npz:
                weights = {key: npz[key] for key in npz.files}
            optimizer_state = None
            if OPTIMIZER_NAME in names:
                with np.load(io.BytesIO(archive.read(OPTIMIZER_NAME)), allow_pickle=False) as npz:
                    optimizer_state = [npz[str(i)] for i in range(len(npz.files))]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"BackupAndRestore: {path!r} is not a readable backup ({err}); "
                         "delete it to start training afresh") from None
    if not isinstance(state.get("epoch"), int) or state["epoch"] < 0:
        raise ValueError(f"BackupAndRestore: {path!r} holds no valid epoch: {state!r}")
    return state, weights, optimizer_state
