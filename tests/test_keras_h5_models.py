"""Keras's legacy HDF5 model files (model.save('m.h5')), both ways, and ModelCheckpoint('my_model.h5')."""
import builtins
import importlib.util
import json

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
from fastnn import callbacks
from fastnn.models import keras_compile, load_model


def _sibling(name):
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"_{name}", Path(__file__).parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_runner = _sibling("keras_models_runner")
_files = _sibling("test_keras_model_files")
BUILDERS = [_files.chapter, _files.convnet, _files.regularized, _files.recurrent, _files.two_inputs]
needs_keras = pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras is not installed")


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    folder = tmp_path_factory.mktemp("keras_h5_files")
    _runner.keras_saves(folder, _files.BOOK_MODELS)
    return folder


@needs_keras
@pytest.mark.parametrize("name", _files.BOOK_MODELS)
def test_fastnn_loads_the_h5_keras_saved(keras_dir, name):
    data = np.load(keras_dir / f"{name}_data.npz")
    model = load_model(keras_dir / f"{name}.h5")
    np.testing.assert_allclose(model.predict(_files.inputs_of(data), verbose=0), data["prediction"], atol=1e-5)
    saved = np.load(keras_dir / f"{name}_optimizer.npz")
    ours = keras_compile.optimizer_state_to_keras(model)
    assert model.optimizer.iterations == 3 and len(ours) == len(saved.files)
    for i, value in enumerate(ours):
        np.testing.assert_allclose(value, saved[f"arr_{i}"], rtol=1e-6)


@needs_keras
def test_keras_loads_the_h5_fastnn_saved(tmp_path):
    jobs, expected = [], []
    for build in BUILDERS:
        model, x, y = build()
        model.fit(x, y, epochs=2, batch_size=len(y), verbose=0)
        path = tmp_path / f"{build.__name__}.h5"
        model.save(path)
        xs = x if isinstance(x, list) else [x]
        jobs.append((path, {f"x{i}": v for i, v in enumerate(xs)}))
        expected.append((build.__name__, model.predict(x, verbose=0), type(model.optimizer).__name__))
    for (name, prediction, optimizer), (got, info) in zip(expected, _runner.keras_loads(jobs, tmp_path)):
        np.testing.assert_allclose(got, prediction, atol=1e-5, err_msg=name)
        assert info["compiled"] and info["optimizer"] == optimizer and info["iterations"] == 2, (name, info)


def test_the_file_has_keras_2s_layout(tmp_path):
    model, x, y = _files.chapter()
    model.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as file:
        config = json.loads(file.attrs["model_config"])
        training = json.loads(file.attrs["training_config"])
        assert config["class_name"] == "Sequential" and "keras_version" in file.attrs and "backend" in file.attrs
        assert training["optimizer_config"]["class_name"] == "RMSprop" and training["loss"] == "categorical_crossentropy"
        names = [n.decode() for n in file["model_weights"].attrs["layer_names"]]
        assert names == [layer.name for layer in model.layers]
        dense = file["model_weights"][names[0]]
        assert [dataset.decode() for dataset in dense.attrs["weight_names"]] == [f"{names[0]}/kernel:0",
                                                                                f"{names[0]}/bias:0"]
        assert len(file["optimizer_weights"].attrs["weight_names"]) == 2 + 4


def test_round_trip_in_fastnn(tmp_path):
    model, x, y = _files.two_inputs()
    model.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
    model.save(tmp_path / "m.hdf5")
    again = load_model(tmp_path / "m.hdf5")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    for a, b in zip(model.optimizer.variables(), again.optimizer.variables()):
        np.testing.assert_array_equal(a, b)


@needs_keras
def test_model_checkpoint_writes_h5_files_keras_and_fastnn_load(tmp_path):
    model, x, y = _files.regularized()
    path = tmp_path / "my_model.h5"
    model.fit(x, y, epochs=2, batch_size=3, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(path))])
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(load_model(path).predict(x, verbose=0), expected, atol=1e-6)
    [(got, info)] = _runner.keras_loads([(path, {"x0": x})], tmp_path)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert info["compiled"]


def test_a_weights_file_is_not_a_model(tmp_path):
    model, _, _ = _files.chapter()
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match=r"w\.h5.*no 'model_config'.*load_weights"):
        load_model(tmp_path / "w.h5")


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
    (tmp_path / "m.h5").write_bytes(b"\x89HDF but not really" * 10)
    with pytest.raises(ValueError, match=r"m\.h5.*not an HDF5 file"):
        load_model(tmp_path / "m.h5")


def test_missing_h5py_names_the_extra(tmp_path, monkeypatch):
    model, _, _ = _files.chapter()
    real = builtins.__import__

    def without_h5py(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_h5py)
    for action in (lambda: model.save(tmp_path / "m.h5"), lambda: model.save(tmp_path / "m.keras"),
                   lambda: load_model(tmp_path / "m.h5")):
        with pytest.raises(ImportError, match=r'pip install "fastnn\[h5\]"'):
            action()
    assert not list(tmp_path.iterdir())
