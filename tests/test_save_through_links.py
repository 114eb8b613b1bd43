"""Saving writes through symbolic links, removes what killed saves left, and names the user's path."""
import os
import select
import signal
import time

import numpy as np
import pytest

from fastnn import callbacks, layers, models
from fastnn.models import saving

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
DEADLINE = 30.0


def _model():
    model = models.Sequential([layers.Dense(3, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _filled(value):
    model = _model()
    model.set_weights([np.full(w.shape, value, np.float32) for w in model.get_weights()])
    return model


def _leftovers(*folders):
    return sorted(name for folder in folders for name in os.listdir(folder) if name.endswith(".tmp"))


SAVES = {"save_weights": lambda model, path: model.save_weights(path), "save": lambda model, path: model.save(path)}


def _value(path, kind):
    """The first weight of the model saved at path."""
    if kind == "save_weights":
        model = _model()
        model.load_weights(path)
    else:
        model = models.load_model(path)
    return float(model.get_weights()[0].ravel()[0])


@pytest.mark.parametrize("kind", sorted(SAVES))
@pytest.mark.parametrize("link_kind", ["absolute", "relative", "chain", "dangling"])
def test_saving_to_a_link_replaces_its_target(tmp_path, kind, link_kind):
    save = SAVES[kind]
    store, work = tmp_path / "store", tmp_path / "work"
    store.mkdir()
    work.mkdir()
    target, link = store / "model.bin", work / "model.bin"
    if link_kind != "dangling":
        save(_filled(1.0), target)
    if link_kind == "relative":
        os.symlink(os.path.join("..", "store", "model.bin"), link)
    elif link_kind == "chain":
        os.symlink(target, work / "middle")
        os.symlink(work / "middle", link)
    else:
        os.symlink(target, link)
    save(_filled(2.0), link)
    assert os.path.islink(link) and os.path.realpath(link) == os.path.realpath(target)
    assert _value(target, kind) == 2.0 and _value(link, kind) == 2.0
    assert _leftovers(store, work) == []


def test_a_checkpoint_through_a_link_replaces_its_target(tmp_path):
    target, link = tmp_path / "best.npz", tmp_path / "latest.npz"
    _filled(1.0).save_weights(target)
    os.symlink(target.name, link)
    model = _filled(0.0)
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 3), np.float32), epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(str(link), save_weights_only=True)])
    assert os.path.islink(link)
    restored = _model()
    restored.load_weights(target)
    for saved, current in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(saved, current)


def test_a_saving_error_names_the_users_path(tmp_path):
    path = tmp_path / "missing" / "w.npz"
    with pytest.raises(FileNotFoundError) as info:
        _model().save_weights(path)
    assert info.value.filename == str(path) and ".tmp" not in str(info.value)
    link = tmp_path / "link.npz"
    os.symlink(tmp_path / "gone" / "w.npz", link)
    with pytest.raises(FileNotFoundError) as info:
        _model().save(link)
    assert info.value.filename == str(link) and info.value.filename2 == str(tmp_path / "gone" / "w.npz")
    assert ".tmp" not in str(info.value)


# ---- temporary files of saves killed part way ---------------------------------------------------
def _start_blocked_save(path):
    """A forked child that starts saving weights to path and stops half way; returns its pid."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)

            def stuck_savez(file, **arrays):
                file.write(b"PK half an archive")
                file.flush()
                os.write(ready_w, b"1")
                time.sleep(DEADLINE * 2)

            saving.np.savez = stuck_savez  # in the child only
            _model().save_weights(path)
        finally:
            os._exit(0)
    os.close(ready_w)
    try:
        readable, _, _ = select.select([ready_r], [], [], DEADLINE)
        if not readable:
            _kill(pid)
            pytest.fail(f"the child did not start saving within {DEADLINE:.0f} s")
        os.read(ready_r, 1)
    finally:
        os.close(ready_r)
    return pid


def _kill(pid):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_next_save_removes_what_a_killed_save_left(tmp_path):
    path = tmp_path / "w.npz"
    _filled(1.0).save_weights(path)
    _kill(_start_blocked_save(path))
    left = _leftovers(tmp_path)
    assert len(left) == 1
    running = _start_blocked_save(path)  # its save removes the leftover before making its own file
    try:
        in_progress = _leftovers(tmp_path)
        assert len(in_progress) == 1 and in_progress != left
        _filled(2.0).save_weights(path)
        assert _leftovers(tmp_path) == in_progress, "a save still running lost its temporary file"
        assert _value(path, "save_weights") == 2.0
    finally:
        _kill(running)
    _filled(3.0).save_weights(path)
    assert _leftovers(tmp_path) == [] and _value(path, "save_weights") == 3.0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_leftovers_are_removed_next_to_a_links_target(tmp_path):
    (tmp_path / "store").mkdir()
    target, link = tmp_path / "store" / "w.npz", tmp_path / "w.npz"
    os.symlink(target, link)
    _kill(_start_blocked_save(link))
    assert len(_leftovers(tmp_path / "store")) == 1 and _leftovers(tmp_path) == []
    _filled(2.0).save_weights(link)
    assert _leftovers(tmp_path / "store") == [] and os.path.islink(link)


def test_other_files_next_to_the_target_are_kept(tmp_path):
    keep = [".w.npz.backup.tmp", ".w.npz.fastnn-.tmp", ".other.npz.fastnn-abc123.tmp", "w.npz.tmp"]
    for name in keep:
        (tmp_path / name).write_bytes(b"user data")
    _filled(1.0).save_weights(tmp_path / "w.npz")
    assert _leftovers(tmp_path) == sorted(keep)
