"""Keras 3 `.keras` model files, both ways: fastnn reads what Keras writes and Keras reads what
fastnn writes (architecture, weights, compile settings and optimizer state)."""
import importlib.util
import json
import zipfile

import numpy as np
import pytest

pytest.importorskip("h5py")
import fastnn
from fastnn import layers
from fastnn.models import keras_compile, load_model



def _sibling(name):
    """A module beside this file (the tests run with --import-mode=importlib: tests/ is not on sys.path)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(f"_{name}", Path(__file__).parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_runner = _sibling("keras_models_runner")
keras_loads, keras_saves = _runner.keras_loads, _runner.keras_saves

BOOK_MODELS = ["chapter", "convnet", "regularized", "recurrent", "two_inputs"]
needs_keras = pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras is not installed")


@pytest.fixture(scope="module")
def keras_dir(tmp_path_factory):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    folder = tmp_path_factory.mktemp("keras_files")
    keras_saves(folder, BOOK_MODELS)
    return folder


def inputs_of(data):
    xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
    return xs if len(xs) > 1 else xs[0]


@needs_keras
@pytest.mark.parametrize("name", BOOK_MODELS)
def test_fastnn_loads_what_keras_saved(keras_dir, name):
    data = np.load(keras_dir / f"{name}_data.npz")
    model = load_model(keras_dir / f"{name}.keras")
    np.testing.assert_allclose(model.predict(inputs_of(data), verbose=0), data["prediction"], atol=1e-5)
    keras_state = np.load(keras_dir / f"{name}_optimizer.npz")
    keras_state = [keras_state[f"arr_{i}"] for i in range(len(keras_state.files))]
    assert model.optimizer.iterations == 3
    ours = keras_compile.optimizer_state_to_keras(model)
    assert len(ours) == len(keras_state)
    for a, b in zip(ours, keras_state):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@needs_keras
def test_compile_settings_come_from_the_file(keras_dir):
    model = load_model(keras_dir / "recurrent.keras")
    assert type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.momentum == pytest.approx(0.9) and model.optimizer.learning_rate == pytest.approx(0.1)
    uncompiled = load_model(keras_dir / "recurrent.keras", compile=False)
    assert not uncompiled.compiled


@needs_keras
def test_fit_continues_as_it_does_in_keras(tmp_path):
    keras_saves(tmp_path, ["chapter"], train=True)
    data = np.load(tmp_path / "chapter_data.npz")
    model = load_model(tmp_path / "chapter.keras")
    x = inputs_of(data)
    model.fit(x, data["y"], epochs=1, batch_size=len(x), verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(tmp_path / "chapter_after_fit.npy"), atol=1e-5)


# fastnn -> Keras ------------------------------------------------------------------------------------------
def chapter():
    model = fastnn.Sequential([layers.Dense(32, activation="relu", input_shape=(20,)),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model, np.random.default_rng(1).random((6, 20), dtype=np.float32), np.eye(10)[np.arange(6)]


def convnet():
    model = fastnn.Sequential([layers.Conv2D(8, (3, 3), activation="relu", input_shape=(12, 12, 1)),
                               layers.MaxPooling2D((2, 2)), layers.Conv2D(8, (3, 3), activation="relu"),
                               layers.AveragePooling2D(), layers.SeparableConv2D(4, 2, padding="same"),
                               layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    return model, np.random.default_rng(2).random((4, 12, 12, 1), dtype=np.float32), np.eye(3)[[0, 1, 2, 0]]


def regularized():
    model = fastnn.Sequential([layers.Dense(8, activation="relu", input_shape=(5,), kernel_regularizer="l2"),
                               layers.BatchNormalization(), layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fastnn.optimizers.AdamW(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model, np.random.default_rng(3).normal(size=(6, 5)).astype(np.float32), np.array([[0], [1]] * 3, float)


def recurrent():
    model = fastnn.Sequential([layers.Embedding(30, 6, input_shape=(7,)), layers.LSTM(5, return_sequences=True),
                               layers.Bidirectional(layers.GRU(3, return_sequences=True)),
                               layers.SimpleRNN(4), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, np.random.default_rng(4).integers(0, 30, (5, 7)), np.array([0, 1, 1, 0, 1])


def two_inputs():
    a, b = fastnn.Input((6,), name="numbers"), fastnn.Input((5, 3), name="series")
    x = layers.Dense(4, activation="tanh")(a)
    y = layers.GlobalMaxPooling1D()(layers.Conv1D(4, 2, activation="relu")(b))
    inner = fastnn.Sequential([layers.Dense(3, input_shape=(8,)), layers.Activation("relu")])
    merged = inner(layers.Concatenate()([layers.Add()([x, y]), layers.Subtract()([x, y])]))
    model = fastnn.Model([a, b], layers.Dense(2)(merged))
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(5)
    return model, [rng.normal(size=(4, 6)).astype(np.float32), rng.normal(size=(4, 5, 3)).astype(np.float32)], \
        rng.normal(size=(4, 2))


def images():
    model = fastnn.Sequential([
        layers.ZeroPadding2D(1, input_shape=(6, 6, 2)), layers.DepthwiseConv2D(3, depth_multiplier=2),
        layers.BatchNormalization(), layers.LeakyReLU(0.2), layers.Conv2DTranspose(3, 2, strides=2),
        layers.Cropping2D(((1, 0), (0, 1))), layers.UpSampling2D(2), layers.ELU(), layers.GlobalMaxPooling2D(),
        layers.RepeatVector(4), layers.Permute((2, 1)), layers.Reshape((4, 3)),
        layers.TimeDistributed(layers.Dense(2)), layers.ReLU(max_value=1.0), layers.Flatten(),
        layers.Dense(2, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.Adagrad(0.1), loss="categorical_crossentropy", metrics=["accuracy"])
    return model, np.random.default_rng(6).normal(size=(4, 6, 6, 2)).astype(np.float32), np.eye(2)[[0, 1, 1, 0]]


def sequences():
    model = fastnn.Sequential([
        layers.Masking(0.0, input_shape=(8, 3)), layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
        layers.ZeroPadding1D(1), layers.MaxPooling1D(2), layers.UpSampling1D(2), layers.Cropping1D((1, 1)),
        layers.AveragePooling1D(2), layers.GlobalAveragePooling1D(), layers.Dense(3), layers.Activation("tanh"),
        layers.Dense(1)])
    model.compile(optimizer=fastnn.optimizers.RMSprop(0.01, momentum=0.5, centered=True), loss="mae")
    return model, np.random.default_rng(7).normal(size=(4, 8, 3)).astype(np.float32), np.ones((4, 1))


def merges():
    a, b = fastnn.Input((4,)), fastnn.Input((4,))
    shared = layers.Dense(4, activation="sigmoid")
    x, y = shared(a), shared(b)
    parts = [layers.Average()([x, y]), layers.Maximum()([x, y]), layers.Minimum()([x, y]), layers.Multiply()([x, y]),
             layers.Dot(axes=1)([x, y])]
    model = fastnn.Model([a, b], layers.Dense(1)(layers.Concatenate()(parts)))
    model.compile(optimizer="nadam", loss="mse")
    rng = np.random.default_rng(8)
    return model, [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(3, 4)).astype(np.float32)], \
        np.ones((3, 1))


@needs_keras
def test_keras_loads_what_fastnn_saved(tmp_path):
    jobs, expected = [], []
    for build in (chapter, convnet, regularized, recurrent, two_inputs, images, sequences, merges):
        model, x, y = build()
        model.fit(x, y, epochs=2, batch_size=len(y), verbose=0)
        path = tmp_path / f"{build.__name__}.keras"
        model.save(path)
        xs = x if isinstance(x, list) else [x]
        jobs.append((path, {f"x{i}": v for i, v in enumerate(xs)}))
        expected.append((build.__name__, model.predict(x, verbose=0), type(model.optimizer).__name__))
    for (name, prediction, optimizer), (got, info) in zip(expected, keras_loads(jobs, tmp_path)):
        np.testing.assert_allclose(got, prediction, atol=1e-5, err_msg=name)
        assert info["compiled"] and info["optimizer"] == optimizer and info["iterations"] == 2, (name, info)


def test_round_trip_keeps_the_training_state(tmp_path):
    model, x, y = recurrent()
    model.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    for a, b in zip(model.optimizer.variables(), again.optimizer.variables()):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
    again.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_the_archive_has_keras_members_and_config(tmp_path):
    model, _, _ = chapter()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(archive.read("config.json"))
        assert "keras_version" in json.loads(archive.read("metadata.json"))
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 20]}
    first, dense = config["config"]["layers"][:2]
    assert first["class_name"] == "InputLayer" and first["config"]["batch_shape"] == [None, 20]
    assert dense["module"] == "keras.layers" and dense["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert config["compile_config"]["optimizer"]["class_name"] == "RMSprop"
    assert config["compile_config"]["loss"] == "categorical_crossentropy"
