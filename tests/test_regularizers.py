import numpy as np
import pytest

import fastnn
from fastnn import regularizers
from fastnn.testing import gradcheck

W = np.array([[0.5, -1.5, 2.0], [-0.25, 0.0, 3.0]])


@pytest.mark.parametrize("reg, expected", [
    (regularizers.L1(0.1), 0.1 * np.abs(W).sum()),
    (regularizers.L2(0.2), 0.2 * np.square(W).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()),
    (regularizers.l1(), 0.01 * np.abs(W).sum()),
    (regularizers.l2(), 0.01 * np.square(W).sum()),
    (regularizers.l1_l2(), 0.0),
])
def test_penalty_values(reg, expected):
    penalty = reg(fastnn.Tensor(W))
    assert isinstance(penalty, fastnn.Tensor) and penalty.shape == ()
    assert float(penalty.data) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.7), regularizers.L1L2(0.3, 0.7),
                                 regularizers.L1L2(0.0, 0.0)])
def test_penalty_gradients(reg):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 5))
    w[np.abs(w) < 0.05] = 0.3  # |x| has no derivative at 0
    assert gradcheck(reg, w)


def test_penalty_gradient_values():
    values = W + (W == 0) * 0.75  # away from the kink of |x|
    w = fastnn.Tensor(values, requires_grad=True)
    regularizers.L1L2(l1=0.1, l2=0.2)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * np.sign(values) + 0.4 * values, atol=1e-12, rtol=0)


def test_defaults_follow_keras():
    assert regularizers.L1().get_config() == {"l1": 0.01}
    assert regularizers.L2().get_config() == {"l2": 0.01}
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.25), regularizers.L1L2(0.5, 0.125)])
def test_config_round_trip(reg):
    again = type(reg).from_config(reg.get_config())
    assert again.get_config() == reg.get_config()
    assert float(again(fastnn.Tensor(W)).data) == float(reg(fastnn.Tensor(W)).data)
    assert regularizers.get(regularizers.serialize(reg)).get_config() == reg.get_config()


def test_get_by_name():
    assert isinstance(regularizers.get("l1"), regularizers.L1)
    assert isinstance(regularizers.get("L2"), regularizers.L2)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert regularizers.get(None) is None
    custom = lambda w: fastnn.sum(w)  # noqa: E731
    assert regularizers.get(custom) is custom
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'. Known regularizers: l1, l2, l1_l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Received: 3"):
        regularizers.get(3)


@pytest.mark.parametrize("make", [lambda: regularizers.L1(-0.1), lambda: regularizers.L2(l2=-1),
                                  lambda: regularizers.L1L2(l1=0.1, l2=-0.01)])
def test_negative_factor_refused(make):
    with pytest.raises(ValueError, match="must be >= 0.*Received"):
        make()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "0.1", True, None])
def test_non_number_factor_refused(value):
    with pytest.raises(ValueError, match="finite number"):
        regularizers.L2(value)


@pytest.mark.parametrize("make", [
    lambda: fastnn.layers.Dense(3, kernel_regularizer="l2", bias_regularizer=fastnn.regularizers.l1(0.1),
                                input_shape=(4,)),
    lambda: fastnn.layers.Conv2D(2, 3, kernel_regularizer=fastnn.regularizers.l1_l2(l1=0.01, l2=0.02),
                                 input_shape=(5, 5, 1)),
])
def test_layer_penalties_join_the_training_loss_and_its_plan(make):
    rng = np.random.default_rng(0)
    layer = make()
    model = fastnn.models.Sequential([layer, fastnn.layers.Flatten(), fastnn.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.standard_normal((8,) + layer.input_shape_arg).astype(np.float32)
    y = rng.standard_normal((8, 1)).astype(np.float32)
    penalty = sum(float(p.data) for p in model.losses)
    assert penalty > 0
    data_loss = model.evaluate(x, y, verbose=0) - penalty
    assert np.isclose(data_loss, float(np.mean((model.predict(x, verbose=0) - y) ** 2)), rtol=1e-5)
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert all(p.state == "replay" for p in model.train_function.plans.plans.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    config = layer.get_config()
    assert config["kernel_regularizer"]["class_name"] in ("L2", "L1L2")
