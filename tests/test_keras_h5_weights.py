import builtins
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("h5py")
import fastnn
from fastnn import layers

NAMES = ["w.weights.h5", "w.h5"]


def dense_net():
    model = fastnn.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                               layers.BatchNormalization(), layers.Dense(3)])
    return model


def conv_net():
    return fastnn.Sequential([layers.Conv2D(3, 3, input_shape=(6, 6, 2)), layers.BatchNormalization(),
                              layers.Flatten(), layers.Dense(2)])


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.data[...] = rng.uniform(0.5, 1.5, w.data.shape)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("build", [dense_net, conv_net])
def test_round_trip(tmp_path, name, build):
    a, b = build(), build()
    randomize(a, 1)
    randomize(b, 2)
    a.save_weights(tmp_path / name)
    b.load_weights(tmp_path / name)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa.data, wb.data)


@pytest.mark.parametrize("name", NAMES)
def test_shape_mismatch_leaves_weights(tmp_path, name):
    dense_net().save_weights(tmp_path / name)
    other = fastnn.Sequential([layers.Dense(5, activation="relu", input_shape=(4,)),
                               layers.BatchNormalization(), layers.Dense(7)])
    before = [w.data.copy() for w in other.weights]
    with pytest.raises(ValueError, match=r"w\..*\(5, 7\).*\(5, 3\)"):
        other.load_weights(tmp_path / name)
    for old, w in zip(before, other.weights):
        np.testing.assert_array_equal(old, w.data)


def test_layer_count_mismatch(tmp_path):
    dense_net().save_weights(tmp_path / "w.h5")
    small = fastnn.Sequential([layers.Dense(5, input_shape=(4,))])
    with pytest.raises(ValueError, match="w.h5"):
        small.load_weights(tmp_path / "w.h5")


@pytest.mark.parametrize("name", NAMES)
def test_not_hdf5(tmp_path, name):
    (tmp_path / name).write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        dense_net().load_weights(tmp_path / name)


def test_missing_h5py(tmp_path, monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("no h5py")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(ImportError, match=r'fastnn\[h5\]'):
        dense_net().save_weights(tmp_path / "w.weights.h5")


KERAS_CHILD = textwrap.dedent('''
    import sys, numpy as np, keras
    from keras.src.legacy.saving import legacy_h5_format
    mode, path, x_path, out_path = sys.argv[1:]
    if mode.startswith("functional"):
        inp = keras.Input((4,))
        model = keras.Model(inp, keras.layers.Dense(3)(keras.layers.Dense(5, activation="relu")(inp)))
        mode = mode.split("-")[1]
    else:
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                                  keras.layers.BatchNormalization(), keras.layers.Dense(3)])
    x = np.load(x_path)
    if mode == "load":
        model.load_weights(path)
    else:
        rng = np.random.default_rng(3)
        model.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in model.get_weights()])
        if path.endswith(".weights.h5"):
            model.save_weights(path)
        else:
            import h5py
            with h5py.File(path, "w") as f:
                legacy_h5_format.save_weights_to_hdf5_group(f, model)
    np.save(out_path, np.asarray(model.predict(x, verbose=0)))
''')


def run_keras(mode, path, x, tmp_path):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    np.save(tmp_path / "x.npy", x)
    env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", KERAS_CHILD, mode, str(path), str(tmp_path / "x.npy"),
                    str(tmp_path / "out.npy")], check=True, env=env, capture_output=True, timeout=600)
    return np.load(tmp_path / "out.npy")


@pytest.mark.parametrize("name", NAMES)
def test_fastnn_to_keras(tmp_path, name):
    model = dense_net()
    randomize(model, 4)
    model.save_weights(tmp_path / name)
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_allclose(run_keras("load", tmp_path / name, x, tmp_path), model.predict(x), atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_keras_to_fastnn(tmp_path, name):
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    expected = run_keras("save", tmp_path / name, x, tmp_path)
    model = dense_net()
    model.load_weights(tmp_path / name)
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5)


def functional_net():
    inputs = fastnn.Input((4,))
    return fastnn.Model(inputs, layers.Dense(3)(layers.Dense(5, activation="relu")(inputs)))


@pytest.mark.parametrize("name", NAMES)
def test_functional_model_with_keras(tmp_path, name):
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    model = functional_net()
    randomize(model, 5)
    model.save_weights(tmp_path / name)
    np.testing.assert_allclose(run_keras("functional-load", tmp_path / name, x, tmp_path), model.predict(x), atol=1e-5)
    expected = run_keras("functional-save", tmp_path / name, x, tmp_path)
    model.load_weights(tmp_path / name)
    np.testing.assert_allclose(model.predict(x), expected, atol=1e-5)
