"""A process killed (SIGKILL) while saving leaves the previous file, complete and loadable."""
import os
import signal
import time

import numpy as np
import pytest

import fastnn
from fastnn import layers, models

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def model():
    fastnn.set_seed(0)
    return models.Sequential([layers.Dense(256, activation="relu", input_shape=(784,)), layers.Dense(10)])


def save_forever(net, save, path):
    """In a forked child: writes version 1, 2, 3, ... (every weight filled with the version)."""
    try:
        version = 1
        while True:
            net.set_weights([np.full(w.shape, version, np.float32) for w in net.get_weights()])
            save(net, path)
            version += 1
    finally:
        os._exit(0)


def load_weights_into_a_new_model(path):
    net = model()
    net.load_weights(path)
    return net


KINDS = {
    "save_weights": (lambda net, path: net.save_weights(path), load_weights_into_a_new_model),
    "save": (lambda net, path: net.save(path), lambda path: models.load_model(path)),
}


@pytest.mark.parametrize("kind, suffix", [("save_weights", ".bin"), ("save", ".bin"), ("save_weights", ".weights.h5"),
                                          ("save_weights", ".h5"), ("save", ".keras"), ("save", ".h5")])
def test_killed_while_saving_leaves_a_complete_file(tmp_path, kind, suffix):
    if suffix.endswith((".h5", ".keras")):
        pytest.importorskip("h5py")
    save, load = KINDS[kind]
    path = tmp_path / f"model{suffix}"
    net = model()
    net.set_weights([np.zeros(w.shape, np.float32) for w in net.get_weights()])
    save(net, path)
    rng = np.random.default_rng(0)
    versions = set()
    for attempt in range(40):  # six kills at least, more on a machine too busy to finish a save in time
        if attempt >= 6 and len(versions) > 1:
            break
        pid = os.fork()
        if pid == 0:
            save_forever(net, save, path)
        time.sleep(rng.uniform(0.02, 0.15) * (1 + attempt // 6))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        values = np.concatenate([w.ravel() for w in load(path).get_weights()])
        assert np.all(values == values[0]), "the file mixes two versions of the weights"
        versions.add(float(values[0]))
    assert len(versions) > 1, "the child never finished a save before it was killed"
