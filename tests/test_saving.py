import json
import os
import zipfile

import numpy as np
import pytest

from fastnn import layers, losses, models, optimizers
from fastnn.models import saving
from fastnn.utils import set_random_seed, to_categorical


def _data(n=64, features=12, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype(np.float32), rng.integers(0, classes, size=n)


def _model(hidden=8, features=12, classes=4, seed=0, compile=True):
    set_random_seed(seed)
    model = models.Sequential([layers.Dense(hidden, activation="relu", input_shape=(features,)),
                               layers.Dropout(0.1),
                               layers.Dense(classes, activation="softmax")])
    if compile:
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                      metrics=["acc"])
    return model


def _leftovers(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_save_and_load_weights_round_trip(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    other = _model(seed=1)
    assert not np.array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["0/bias", "0/kernel", "2/bias", "2/kernel", "__layers__"]
    assert _leftovers(tmp_path) == []


def test_save_weights_writes_exactly_the_given_path(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "ckpt")
    assert os.listdir(tmp_path) == ["ckpt"]
    model.load_weights(tmp_path / "ckpt")


@pytest.mark.parametrize("other_kwargs,match", [
    ({"hidden": 9}, r"Layer 0 .*\(Dense\).*kernel: \(12, 9\).*kernel: \(12, 8\)"),
    ({"classes": 5}, r"Layer 2 .*bias: \(5,\).*bias: \(4,\)"),
    ({"features": 13}, r"kernel: \(13, 8\).*kernel: \(12, 8\)"),
])
def test_loading_weights_into_another_architecture_names_the_mismatch(tmp_path, other_kwargs, match):
    path = tmp_path / "w.npz"
    _model().save_weights(path)
    other = _model(**other_kwargs)
    before = other.get_weights()
    with pytest.raises(ValueError, match=match):
        other.load_weights(path)
    for a, b in zip(before, other.get_weights()):
        assert np.array_equal(a, b)  # nothing was half-loaded


def test_loading_weights_into_a_model_with_other_layers(tmp_path):
    path = tmp_path / "w.npz"
    _model().save_weights(path)
    shallow = models.Sequential([layers.Dense(4, activation="softmax", input_shape=(12,))])
    with pytest.raises(ValueError, match="model of 3 layers .* has 1 layers"):
        shallow.load_weights(path)


def test_weights_file_errors(tmp_path):
    model = _model()
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not an archive")
    with pytest.raises(ValueError, match="not a fastnn weights file: save_weights writes a zip archive"):
        model.load_weights(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="unbuilt model"):
        models.Sequential([layers.Dense(3)]).save_weights(tmp_path / "x.npz")


def test_interrupted_weight_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    model = _model()
    model.save_weights(path)
    previous = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"PK partial archive")
        raise OSError("disk full")

    monkeypatch.setattr(saving.np, "savez", failing_savez)
    model.set_weights([w + 1 for w in model.get_weights()])
    with pytest.raises(OSError, match="disk full"):
        model.save_weights(path)
    assert path.read_bytes() == previous and _leftovers(tmp_path) == []


def test_interrupted_model_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.fastnn"
    model = _model()
    model.save(path)
    previous = path.read_bytes()
    original = zipfile.ZipFile.writestr

    def failing_writestr(self, name, data, *args, **kwargs):
        if name == saving.WEIGHTS_NAME:
            raise KeyboardInterrupt
        return original(self, name, data, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", failing_writestr)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == previous and _leftovers(tmp_path) == []


def test_save_and_load_model_round_trip(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "model.fastnn"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted([saving.CONFIG_NAME, saving.WEIGHTS_NAME, saving.OPTIMIZER_NAME])
        document = json.loads(archive.read(saving.CONFIG_NAME))
    assert document["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in document["config"]["layers"]] == ["Dense", "Dropout", "Dense"]

    restored = models.load_model(path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.get_config() == model.get_config()
    assert isinstance(restored.optimizer, optimizers.Adam) and restored.optimizer.learning_rate == 0.01
    assert restored.optimizer.iterations == model.optimizer.iterations
    assert restored.metrics_names == ["loss", "acc"]
    assert restored.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)

    # The optimizer state came along: training both further gives the same weights.
    for m in (model, restored):
        set_random_seed(5)
        m.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_model_without_compiling(tmp_path):
    path = tmp_path / "m.fastnn"
    _model().save(path)
    restored = models.load_model(path, compile=False)
    assert not restored.compiled and restored.predict(np.zeros((1, 12)), verbose=0).shape == (1, 4)


def test_a_model_with_a_custom_loss_saves_without_compile_settings(tmp_path):
    model = _model(compile=False)
    model.compile(loss=lambda t, p: losses.mean_squared_error(t, p))
    path = tmp_path / "m.fastnn"
    model.save(path)
    assert not models.load_model(path).compiled


def test_loss_objects_survive_saving(tmp_path):
    model = _model(compile=False)
    model.compile(loss=losses.SparseCategoricalCrossentropy(from_logits=False), metrics=["accuracy"])
    path = tmp_path / "m.fastnn"
    model.save(path)
    restored = models.load_model(path)
    assert restored.objective.fn is losses.sparse_categorical_crossentropy


def test_load_weights_from_a_full_model_file(tmp_path):
    model = _model()
    path = tmp_path / "m.fastnn"
    model.save(path)
    other = _model(seed=3)
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_only_known_classes_are_reconstructed(tmp_path):
    class Scale(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * 2.0

    model = models.Sequential([layers.Dense(3, input_shape=(2,)), Scale(name="scale")])
    path = tmp_path / "m.fastnn"
    model.save(path)
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'"):
        models.load_model(path)
    restored = models.load_model(path, custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(restored.predict(np.ones((2, 2)), verbose=0), model.predict(np.ones((2, 2)), verbose=0))


def test_load_model_rejects_other_files(tmp_path):
    (tmp_path / "a.zip").write_bytes(b"plain text")
    with pytest.raises(ValueError, match="not a fastnn model file"):
        models.load_model(tmp_path / "a.zip")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="lacks config.json"):
        models.load_model(tmp_path / "b.zip")
    with pytest.raises(FileNotFoundError):
        models.load_model(tmp_path / "missing.fastnn")


def test_model_file_holds_no_pickles(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, to_categorical(y, 4).argmax(axis=1), epochs=1, verbose=0)
    path = tmp_path / "m.fastnn"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".npz"):
                with archive.open(name) as member, np.load(member, allow_pickle=False) as npz:
                    for key in npz.files:
                        assert npz[key].dtype != object


def test_saving_weights_under_a_keras_archive_name_is_refused(tmp_path):
    # model.save writes Keras's .keras and .h5 model files (tests/test_keras_model_files.py,
    # tests/test_keras_h5_models.py), save_weights Keras's HDF5 layouts for .h5 names
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"does not write the .*\.fastnn.*\.npz"):
        model.save_weights(tmp_path / "model.keras")
    assert not list(tmp_path.iterdir())
