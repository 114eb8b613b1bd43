"""model.to_json() / models.model_from_json: architecture round trip for Sequential, functional and nested models."""
import json

import numpy as np
import pytest

from fastnn import layers, models


def _sequential():
    return models.Sequential([layers.Input((6,)), layers.Dense(4, activation="relu"), layers.Dropout(0.2),
                              layers.Dense(2, activation="softmax")])


def _functional():
    inputs = layers.Input((6,))
    hidden = layers.Dense(5, activation="tanh")(inputs)
    nested = _sequential()
    outputs = layers.Concatenate()([nested(inputs), layers.Dense(3)(hidden)])
    return models.Model(inputs, outputs)


@pytest.mark.parametrize("make", [_sequential, _functional])
def test_round_trip_keeps_architecture(make):
    model = make()
    text = model.to_json()
    assert isinstance(json.loads(text), dict)
    clone = models.model_from_json(text)
    assert type(clone) is type(model)
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]
    assert clone.to_json() == text
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 6)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=0, atol=1e-6)


def test_json_kwargs_are_passed_to_dumps():
    assert "\n" in _sequential().to_json(indent=2)


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="model_from_json"):
        models.model_from_json("not json")
    with pytest.raises(ValueError, match="class_name"):
        models.model_from_json("[1, 2]")
    with pytest.raises(ValueError, match="Unknown layer class 'NoSuchModel'"):
        models.model_from_json('{"class_name": "NoSuchModel", "config": {}}')
