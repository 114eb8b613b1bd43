"""fastnn.debug_nans: FloatingPointError at the first op with a non-finite result."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import Tensor, layers, models
from fastnn.utils import to_categorical

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True)
def checks_off_afterwards():
    yield
    fastnn.debug_nans(False)


def model():
    fastnn.set_seed(0)
    net = models.Sequential([
        layers.Dense(8, activation="relu", input_shape=(6,), name="hidden"),
        layers.Dense(3, activation="softmax", name="probabilities"),
    ])
    net.compile(optimizer="sgd", loss="categorical_crossentropy")
    return net


def data(n=16):
    return np.random.default_rng(0).standard_normal((n, 6)).astype(np.float32), to_categorical(np.arange(n) % 3, 3)


def test_off_by_default_and_non_finite_results_flow_through():
    assert not fastnn.is_debugging_nans()
    out = fastnn.log(Tensor(np.array([0.0, 1.0])))
    assert out.data[0] == -math.inf


def test_switching_on_and_off():
    fastnn.debug_nans(True)
    assert fastnn.is_debugging_nans()
    with pytest.raises(FloatingPointError):
        fastnn.log(Tensor(np.zeros(2)))
    fastnn.debug_nans(False)
    assert not fastnn.is_debugging_nans()
    fastnn.log(Tensor(np.zeros(2)))


def test_context_manager_restores_the_previous_state():
    with fastnn.debug_nans():
        assert fastnn.is_debugging_nans()
        with fastnn.debug_nans(False):
            fastnn.log(Tensor(np.zeros(2)))
        assert fastnn.is_debugging_nans()
    assert not fastnn.is_debugging_nans()
    with pytest.raises(FloatingPointError):
        with fastnn.debug_nans():
            fastnn.sqrt(Tensor(np.array([-1.0])))
    assert not fastnn.is_debugging_nans()


def test_names_the_op_and_the_shapes_outside_layers():
    with fastnn.debug_nans(), pytest.raises(FloatingPointError) as info:
        a = Tensor(np.ones((2, 3)))
        b = a * 2.0  # finite
        fastnn.log(b - 2.0)  # log(0) = -inf
    message = str(info.value)
    assert "op Log produced a non-finite output (6 inf of 6 values)" in message
    assert "output shape (2, 3) float64" in message and "all inputs were finite" in message
    assert "layer" not in message


def test_names_the_layer_whose_call_ran_the_op():
    net = model()
    x, y = data()
    net.layers[1].kernel.data[0, 0] = np.inf
    with fastnn.debug_nans(), pytest.raises(FloatingPointError) as info:
        net.predict(x, verbose=0)
    message = str(info.value)
    assert "op Dense in layer 'probabilities' (Dense)" in message
    assert "inputs: shape (16, 8) float32, shape (8, 3) float32, shape (3,) float32" in message
    assert "input(s) 1 already held non-finite values" in message


def test_fit_on_nan_data_stops_at_the_first_layer():
    net = model()
    x, y = data()
    x[4, 2] = np.nan
    with fastnn.debug_nans(), pytest.raises(FloatingPointError, match=r"op Dense in layer 'hidden' \(Dense\)"):
        net.fit(x, y, verbose=0)


def test_non_finite_gradient_names_the_backward():
    with fastnn.debug_nans(), pytest.raises(FloatingPointError) as info:
        w = Tensor(np.array([0.0, 4.0]), requires_grad=True)
        fastnn.sqrt(w).sum().backward()  # d sqrt(w)/dw = inf at 0
    assert "the backward of op Pow produced a non-finite gradient for input 0 (1 inf of 2 values)" in str(info.value)


def test_finite_training_is_unchanged_by_the_checks():
    x, y = data(64)
    plain = model()
    plain.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    checked = model()
    with fastnn.debug_nans():
        checked.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(plain.get_weights(), checked.get_weights()):
        np.testing.assert_array_equal(a, b)
