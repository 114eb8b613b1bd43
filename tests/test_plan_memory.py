"""A step plan's intermediate arrays share slabs: for residual and branching networks the slabs
hold no more than 1.25x the most bytes of those arrays alive at one call of the step (the least
any sharing can use), for training and for predict."""
import numpy as np
import pytest

from fastnn import Input, layers, models
from fastnn.utils import set_random_seed


def _residual():
    inputs = Input(shape=(12, 12, 1))
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, padding="same")(inputs)))
    for _ in range(2):
        y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, padding="same")(x)))
        y = layers.BatchNormalization()(layers.Conv2D(8, 3, padding="same")(y))
        x = layers.Activation("relu")(layers.add([x, y]))
        x = layers.MaxPooling2D(2)(x)
    return models.Model(inputs, layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x)))


def _branches():
    inputs = Input(shape=(12, 12, 1))
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    a = layers.Conv2D(4, 1, activation="relu")(x)
    b = layers.Conv2D(4, 3, padding="same", activation="relu")(layers.Conv2D(4, 1, activation="relu")(x))
    c = layers.Conv2D(4, 1, activation="relu")(layers.MaxPooling2D(3, strides=1, padding="same")(x))
    x = layers.MaxPooling2D(2)(layers.concatenate([a, b, c]))
    return models.Model(inputs, layers.Dense(5, activation="softmax")(layers.GlobalAveragePooling2D()(x)))


@pytest.mark.parametrize("make", [_residual, _branches], ids=["residual", "branches"])
def test_plan_slabs_stay_within_a_quarter_of_the_live_peak(make):
    set_random_seed(2)
    model = make()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 12, 12, 1)).astype(np.float32)
    y = rng.integers(0, 5, 64)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    for _ in range(2):
        model.predict(x, batch_size=16, verbose=0)
    for function in (model.train_function, model.predict_function):
        (plan,) = function.plans.plans.values()
        assert plan.state == "replay"
        memory = plan.memory
        assert memory["shared_arrays"] >= 5 and memory["peak_live_bytes"] > 0
        assert memory["peak_live_bytes"] <= memory["slab_bytes"] <= 1.25 * memory["peak_live_bytes"], memory
