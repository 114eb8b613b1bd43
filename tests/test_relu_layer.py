"""The ReLU layer (max_value, negative_slope, threshold): values against Keras's formula,
gradients by finite differences, training inside a model, saving, and its argument checks."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.tensor import Tensor
from fastnn.testing import gradcheck

PARAMETERS = [{}, dict(max_value=6.0), dict(negative_slope=0.1), dict(threshold=0.5),
              dict(max_value=2.0, negative_slope=0.2, threshold=0.5)]


def _keras_relu(z, max_value=None, negative_slope=0.0, threshold=0.0):
    out = np.where(z > threshold, z, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - z, 0.0)


def _inputs(seed=0, shape=(7, 13)):
    return np.random.default_rng(seed).normal(size=shape) * 4


@pytest.mark.parametrize("kwargs", PARAMETERS)
def test_values_match_keras_formula(kwargs):
    z = _inputs()
    np.testing.assert_allclose(np.asarray(layers.ReLU(**kwargs)(Tensor(z))), _keras_relu(z, **kwargs), rtol=1e-12)


@pytest.mark.parametrize("kwargs", PARAMETERS)
def test_gradients_by_finite_differences(kwargs):
    z = _inputs(1, (5, 7))
    for kink in (0.0, kwargs.get("threshold", 0.0), kwargs.get("max_value") or 0.0):
        z[np.abs(z - kink) < 1e-3] = kink + 0.25  # away from the kinks
    layer = layers.ReLU(**kwargs)
    assert gradcheck(lambda t: layer(t), z)


def test_trains_in_a_model_and_saves(tmp_path):
    fastnn.utils.set_random_seed(4)
    model = models.Sequential([layers.Input(shape=(6,)), layers.Dense(8), layers.ReLU(max_value=6.0),
                               layers.Dense(8), layers.ReLU(negative_slope=0.1, threshold=0.2), layers.Dense(3)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).normal(size=(24, 6)).astype(np.float32)
    y = np.arange(24) % 3
    history = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = tmp_path / "relu.fastnn"
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[1].max_value == 6.0 and loaded.layers[3].negative_slope == 0.1


@pytest.mark.parametrize("kwargs, message", [
    (dict(max_value=-1), r"max_value of a ReLU layer cannot be a negative value. Received: max_value=-1"),
    (dict(negative_slope=None), r"negative_slope .*cannot be None or a negative value. Received: negative_slope=None"),
    (dict(negative_slope=-0.5), r"Received: negative_slope=-0.5"),
    (dict(threshold=-1.0), r"threshold .*Received: threshold=-1.0"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ReLU(**kwargs)
