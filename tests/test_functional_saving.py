"""Saving functional models: the graph's configuration (Keras 3's layout), weights and compile
settings round-trip through model.save / load_model, nested models included."""
import json
import zipfile

import numpy as np
import pytest

import fastnn
from fastnn import Input, callbacks, layers, models
from fastnn.utils import set_random_seed


def _graph():
    set_random_seed(0)
    a, b = Input(shape=(6,), name="left"), Input(shape=(6,), name="right")
    shared = layers.Dense(4, activation="relu", name="shared")
    stack = models.Sequential([layers.Dense(3, activation="tanh", input_shape=(8,)), layers.Dense(2)], name="stack")
    joined = layers.concatenate([shared(a), shared(b)])
    model = models.Model([a, b], {"out": stack(joined), "aux": layers.Dense(1, name="aux_head")(shared(b))})
    model.compile("adam", {"out": "mse", "aux": "mse"}, metrics={"out": ["mae"]}, loss_weights={"out": 2.0})
    return model


def _data():
    rng = np.random.default_rng(1)
    x = [rng.random((12, 6)).astype(np.float32), rng.random((12, 6)).astype(np.float32)]
    return x, {"out": x[0][:, :2], "aux": x[1][:, :1]}


def test_a_functional_model_round_trips_through_save_and_load(tmp_path):
    model = _graph()
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "graph.fastnn"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("config.json"))
    assert document["class_name"] == "Model"
    shared = next(entry for entry in document["config"]["layers"] if entry["name"] == "shared")
    assert [node["args"][0]["config"]["keras_history"] for node in shared["inbound_nodes"]] == \
        [["left", 0, 0], ["right", 0, 0], ["right", 0, 0]]  # aux reads shared(b) again
    restored = models.load_model(path)
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]
    want, got = model.predict(x, verbose=0), restored.predict(x, verbose=0)
    assert set(got) == {"out", "aux"} and all(np.array_equal(want[k], got[k]) for k in want)
    assert restored.metrics_names == ["loss", "out_loss", "aux_loss", "out_mae"]
    model.fit(x, y, epochs=1, verbose=0)
    restored.fit(x, y, epochs=1, verbose=0)  # the optimizer's state was restored too
    assert all(np.array_equal(u, v) for u, v in zip(model.get_weights(), restored.get_weights()))


def test_a_sequential_holding_a_functional_model_round_trips(tmp_path):
    inputs = Input(shape=(5,))
    inner = models.Model(inputs, layers.Dense(3, activation="relu")(inputs), name="inner")
    model = models.Sequential([inner, layers.Dense(1)])
    model.compile("sgd", "mse")
    path = tmp_path / "stack.fastnn"
    model.save(path)
    restored = models.load_model(path)
    assert isinstance(restored.layers[0], models.Model)
    x = np.random.default_rng(2).random((4, 5)).astype(np.float32)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_model_checkpoint_saves_a_functional_model(tmp_path):
    model = _graph()
    x, y = _data()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "best.fastnn"))])
    assert isinstance(models.load_model(tmp_path / "best.fastnn"), models.Model)


def test_operations_and_lambdas_are_not_saved_but_weights_are(tmp_path):
    inputs = Input(shape=(3,))
    x = layers.Dense(2)(inputs)
    model = models.Model(inputs, x * 2.0)
    with pytest.raises(ValueError, match="operations on symbolic tensors.*multiply"):
        model.save(tmp_path / "op.fastnn")
    lam = models.Model(inputs, layers.Lambda(lambda t: t * 2.0)(x))
    with pytest.raises(ValueError, match="Lambda.*does not save"):
        lam.save(tmp_path / "lambda.fastnn")
    lam.save_weights(tmp_path / "lambda.npz")
    other = models.Model(inputs, layers.Lambda(lambda t: t * 2.0)(layers.Dense(2)(inputs)))
    other.load_weights(tmp_path / "lambda.npz")
    probe = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(other.predict(probe, verbose=0), lam.predict(probe, verbose=0))
