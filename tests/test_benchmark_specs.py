"""The model table of benchmarks/compare_models.py stays valid: every configuration builds in fastnn
and trains one step, and the dense matmul floor lists the products of a training step."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from trainbench import modelspec  # noqa: E402
from trainbench.model_runners import fastnn_model  # noqa: E402


@pytest.mark.parametrize("name", sorted(modelspec.MODELS))
def test_every_configuration_trains_a_step_in_fastnn(name):
    spec = modelspec.get(name)
    rng = np.random.default_rng(3)
    rows = 2 * spec["batch_size"] + 3
    images = rng.random((rows, 784), dtype=np.float32)
    labels = rng.integers(0, 10, rows)
    weights = modelspec.initial_weights(spec, seed=5)
    model = fastnn_model.build_model(spec, weights)
    x, y = modelspec.inputs(spec, images), modelspec.targets(spec, labels)
    history = model.fit(x, y, batch_size=spec["batch_size"], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    after = model.get_weights()
    assert [w.shape for w in after] == [w.shape for w in weights]
    assert any(not np.array_equal(a, b) for a, b in zip(after, weights))
    outputs = model.predict(x[:7], verbose=0)
    assert 0.0 <= modelspec.accuracy(spec, outputs, labels[:7]) <= 1.0


def test_floor_lists_the_products_of_a_three_layer_step():
    spec = {"layers": [modelspec.dense(20, "relu"), modelspec.dropout(0.5), modelspec.dense(30, "tanh"),
                       modelspec.dense(4, "softmax")],
            "input_shape": [5, 2], "optimizer": {"name": "sgd"}, "loss": "categorical_crossentropy",
            "target": "onehot", "batch_size": 8, "metrics": []}
    modelspec.validate("three-layer", spec)
    assert modelspec.dense_shapes(spec) == [(10, 20), (20, 30), (30, 4)]
    assert modelspec.matmul_products(spec, 8) == [
        ("x@W1", (8, 10), (10, 20), None),
        ("x@W2", (8, 20), (20, 30), None),
        ("x@W3", (8, 30), (30, 4), None),
        ("x^T@dz3", (30, 8), (8, 4), "a"),
        ("dz3@W3^T", (8, 4), (4, 30), "b"),
        ("x^T@dz2", (20, 8), (8, 30), "a"),
        ("dz2@W2^T", (8, 30), (30, 20), "b"),
        ("x^T@dz1", (10, 8), (8, 20), "a"),
    ]
    assert modelspec.batch_sizes(19, 8) == [8, 8, 3]
    per_sample = 2 * (10 * 20 + 20 * 30 + 30 * 4) * 3 - 2 * 10 * 20
    assert modelspec.epoch_matmul_flops(spec, 19) == 19 * per_sample


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown model configuration"):
        modelspec.get("no_such_model")
    spec = modelspec.get("chapter2")
    spec["optimizer"] = {"name": "adam", "momentum": 0.9}
    with pytest.raises(ValueError, match="momentum"):
        modelspec.validate("chapter2", spec)
