"""Loading a saved model costs about what reading its arrays costs: the layers the loaders build
skip their initializers (the file gives every weight), and a `.keras` file's weights are read in
place from the archive instead of from a copy in memory."""
import io
import zipfile

import numpy as np
import pytest

from fastnn import initializers, layers, models
from fastnn.layers.weights_from_file import initializers_skipped, weights_from_file
from fastnn.models.stored_member import StoredMember


def small_model():
    model = models.Sequential([layers.Dense(7, activation="relu", input_shape=(5,)),
                               layers.BatchNormalization(), layers.Dense(3)])
    model.compile("rmsprop", "mse")
    model.fit(np.random.default_rng(0).normal(size=(16, 5)), np.zeros((16, 3)), epochs=1, verbose=0)
    return model


def test_weights_from_file_makes_zeros_and_ends_with_its_block():
    assert not initializers_skipped()
    with weights_from_file():
        assert initializers_skipped()
        inside = layers.Dense(4, kernel_initializer="ones", bias_initializer="ones")
        inside.build((None, 3))
    assert not initializers_skipped()
    assert all(not w.data.any() for w in inside.weights)
    outside = layers.Dense(4, kernel_initializer="ones")
    outside.build((None, 3))
    assert outside.kernel.data.all()
    with pytest.raises(ValueError), weights_from_file():
        layers.Dense(4, kernel_initializer="no_such_initializer").build((None, 3))


@pytest.mark.parametrize("suffix", [".fastnn", ".keras", ".h5"])
def test_loading_runs_no_initializer_and_gives_the_saved_weights(suffix, tmp_path, monkeypatch):
    if suffix != ".fastnn":
        pytest.importorskip("h5py")
    model = small_model()
    path = str(tmp_path / f"m{suffix}")
    model.save(path)

    def refuse(self, shape, dtype=None):
        raise AssertionError("an initializer ran while loading")

    for name in ("GlorotUniform", "Zeros", "Ones"):
        monkeypatch.setattr(getattr(initializers, name), "__call__", refuse)
    loaded = models.load_model(path)
    for saved, got in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, got)
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def _archive(tmp_path, payload, compression=zipfile.ZIP_STORED):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        archive.writestr("first.txt", b"x" * 37)
        archive.writestr("member.bin", payload)
    return path


def test_a_stored_member_reads_and_seeks_like_its_bytes(tmp_path):
    payload = bytes(range(256)) * 41 + b"end"
    path = _archive(tmp_path, payload)
    with zipfile.ZipFile(path) as archive, open(path, "rb") as raw:
        member = StoredMember(raw, archive.getinfo("member.bin"), "a.zip")
        assert member.read() == payload
        assert member.seek(-3, io.SEEK_END) == len(payload) - 3 and member.read() == b"end"
        member.seek(100)
        assert member.read(5) == payload[100:105] and member.tell() == 105
        assert member.seek(10, io.SEEK_CUR) == 115 and member.read(1) == payload[115:116]
        member.seek(len(payload) + 50)
        assert member.read(4) == b""


def test_a_stored_member_refuses_a_compressed_member_and_a_truncated_archive(tmp_path):
    compressed = _archive(tmp_path, b"y" * 5000, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(compressed) as archive, open(compressed, "rb") as raw:
        with pytest.raises(ValueError, match="member.bin is compressed"):
            StoredMember(raw, archive.getinfo("member.bin"), "a.zip")
    stored = _archive(tmp_path, b"z" * 5000)
    with zipfile.ZipFile(stored) as archive:
        info = archive.getinfo("member.bin")
    cut = tmp_path / "cut.zip"
    cut.write_bytes(stored.read_bytes()[:info.header_offset + 1000])
    with open(cut, "rb") as raw, pytest.raises(ValueError, match="member.bin is truncated"):
        StoredMember(raw, info, "cut.zip")


def test_a_keras_file_with_compressed_weights_still_loads(tmp_path):
    pytest.importorskip("h5py")
    model = small_model()
    stored = tmp_path / "m.keras"
    model.save(str(stored))
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(stored) as source, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
    loaded = models.load_model(str(deflated))
    for saved, got in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, got)
