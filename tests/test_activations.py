"""Keras's activations by name: values against Keras's formulas, gradients by finite differences,
lookup and serialization, and the layers that carry a parameter (LeakyReLU, ELU)."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import activations, kernels, layers, models
from fastnn.tensor import Tensor
from fastnn.testing import gradcheck

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _hard_sigmoid(z):
    return np.clip(z / 6 + 0.5, 0, 1)


# Keras 3's definitions, written out in NumPy (float64).
KERAS_FORMULAS = {
    "elu": lambda z: np.where(z >= 0, z, np.expm1(z)),
    "selu": lambda z: SELU_SCALE * np.where(z >= 0, z, SELU_ALPHA * np.expm1(z)),
    "leaky_relu": lambda z: np.maximum(z, 0.2 * z),
    "softplus": lambda z: np.log(np.exp(z) + 1),
    "softsign": lambda z: z / (np.abs(z) + 1),
    "gelu": lambda z: 0.5 * z * (1 + _erf(z / np.sqrt(2))),
    "silu": lambda z: z / (1 + np.exp(-z)),
    "swish": lambda z: z / (1 + np.exp(-z)),
    "exponential": np.exp,
    "hard_sigmoid": _hard_sigmoid,
}


def _inputs(seed=0, shape=(7, 13)):
    return np.random.default_rng(seed).normal(size=shape) * 3


@pytest.mark.parametrize("name", sorted(KERAS_FORMULAS))
def test_values_match_keras_formulas(name):
    z = _inputs()
    got = np.asarray(activations.get(name)(Tensor(z)))
    np.testing.assert_allclose(got, KERAS_FORMULAS[name](z), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_stay_in_their_dtype(dtype):
    z = _inputs().astype(dtype)
    for name in KERAS_FORMULAS:
        got = np.asarray(activations.get(name)(Tensor(z)))
        assert got.dtype == dtype, name
        tol = 4 * np.finfo(dtype).eps
        want = KERAS_FORMULAS[name](z.astype(np.float64))
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=name)


def test_parameters_and_keras_defaults():
    z = np.array([-2.0, -0.5, 0.0, 1.5])
    np.testing.assert_allclose(np.asarray(activations.leaky_relu(Tensor(z))), [-0.4, -0.1, 0.0, 1.5])
    np.testing.assert_allclose(np.asarray(activations.leaky_relu(Tensor(z), negative_slope=0.5)), [-1, -0.25, 0, 1.5])
    np.testing.assert_allclose(np.asarray(activations.elu(Tensor(z), alpha=2.0)), np.where(z >= 0, z, 2 * np.expm1(z)))
    assert float(np.asarray(activations.selu(Tensor(np.array(-1e3))))) == pytest.approx(-SELU_SCALE * SELU_ALPHA)
    tanh_form = 0.5 * z * (1 + np.tanh(np.sqrt(2 / np.pi) * (z + 0.044715 * z**3)))
    np.testing.assert_allclose(np.asarray(activations.gelu(Tensor(z), approximate=True)), tanh_form, rtol=1e-14)
    np.testing.assert_array_equal(np.asarray(activations.hard_sigmoid(Tensor(np.array([-4.0, -3.0, 0.0, 3.0, 9.0])))),
                                  [0, 0, 0.5, 1, 1])


def test_extreme_inputs_neither_overflow_nor_lose_the_tail():
    z = np.array([-1e4, -700.0, -40.0, 40.0, 1e4])  # subnormal results are flushed to 0
    np.testing.assert_allclose(np.asarray(activations.softplus(Tensor(z))), np.logaddexp(z, 0), rtol=1e-15)
    assert float(np.asarray(activations.gelu(Tensor(np.array(-30.0))))) == pytest.approx(
        -30 * 0.5 * math.erfc(30 / math.sqrt(2)), rel=1e-12)
    assert np.isnan(np.asarray(activations.elu(Tensor(np.array([np.nan]))))).all()


def _float32_ulps(got, want):
    """|got - want| in units of the last place of want rounded to float32."""
    rounded = np.abs(want.astype(np.float32))
    return np.abs(got.astype(np.float64) - want) / (np.nextafter(rounded, np.float32(np.inf)) - rounded)


def test_float32_tanh_within_3_ulps_through_the_fused_lstm_cell_too():
    z = np.concatenate([np.linspace(-9, 9, 200001), np.linspace(0.39, 0.41, 20001), np.geomspace(1e-6, 1e-2, 5001),
                        -np.geomspace(1e-6, 1e-2, 5001)]).astype(np.float32)
    want = np.tanh(z.astype(np.float64))
    got = kernels.tanh(z)
    assert got.dtype == np.float32 and _float32_ulps(got, want).max() <= 3.0
    ends = kernels.tanh(np.array([-0.0, np.nan, np.inf, -np.inf, 1e-30, -100.0], np.float32))
    assert np.signbit(ends[0]) and ends[0] == 0 and np.isnan(ends[1])
    np.testing.assert_array_equal(ends[2:], np.array([1, -1, 1e-30, -1], np.float32))
    # the cell's g gate is tanh(xz + hz): with the input gate block at +inf (i = 1) it is recorded as is
    n, u = z.size // 64, 64
    xz = np.zeros((n, 4 * u), np.float32)
    xz[:, 2 * u:3 * u] = z[:n * u].reshape(n, u)
    record = kernels.lstm_cell(xz, np.zeros_like(xz), np.zeros((n, 6 * u), np.float32))
    np.testing.assert_array_equal(record[:, 2 * u:3 * u], got[:n * u].reshape(n, u))


@pytest.mark.parametrize("name, kwargs, shift", [
    ("elu", {}, 0.0), ("elu", {"alpha": 0.7}, 0.0), ("selu", {}, 0.0), ("leaky_relu", {}, 0.0),
    ("leaky_relu", {"negative_slope": 0.05}, 0.0), ("softplus", {}, 0.0), ("softsign", {}, 0.0),
    ("gelu", {}, 0.0), ("gelu", {"approximate": True}, 0.0), ("silu", {}, 0.0), ("exponential", {}, 0.0),
    ("hard_sigmoid", {}, 0.0),
])
def test_gradients_by_finite_differences(name, kwargs, shift):
    z = _inputs(1, (5, 7)) + shift
    z[np.abs(z) < 1e-3] = 0.5  # away from the kinks at 0 (elu, leaky_relu) ...
    z[np.abs(np.abs(z) - 3) < 1e-3] = 2.0  # ... and at +-3 (hard_sigmoid)
    fn = activations.get(name)
    assert gradcheck(lambda t: fn(t, **kwargs), z)


def test_gradients_at_the_kinks_follow_the_forward_branch():
    z = Tensor(np.array([0.0, -3.0, 3.0]), requires_grad=True)
    (activations.elu(z, alpha=0.5) * 1.0).sum().backward()
    assert z.grad[0] == 1.0
    z.grad = None
    activations.leaky_relu(z).sum().backward()
    assert z.grad[0] == 1.0
    z.grad = None
    activations.hard_sigmoid(z).sum().backward()
    np.testing.assert_array_equal(z.grad, [1 / 6, 0, 0])


def test_get_serialize_deserialize_round_trip():
    for name in activations.ALL:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn
    assert activations.get("swish") is activations.silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.get("GELU") is activations.gelu


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError) as err:
        activations.get("mish")
    message = str(err.value)
    assert message.startswith("Unknown activation: 'mish'. Known activations: ")
    for name in ("elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "selu", "silu", "softplus",
                 "softsign", "swish", "tanh"):
        assert name in message
    with pytest.raises(ValueError, match="Received: activation=3"):
        activations.deserialize(3)


@pytest.mark.parametrize("call, message", [
    (lambda: activations.elu(Tensor(np.ones(2)), alpha="big"), r"elu: alpha must be a finite real number. Received: alpha='big'"),
    (lambda: activations.leaky_relu(Tensor(np.ones(2)), negative_slope=math.nan), r"Received: negative_slope=nan"),
    (lambda: activations.gelu(Tensor(np.ones(2)), approximate="tanh"), r"Received: approximate='tanh'"),
    (lambda: layers.LeakyReLU(negative_slope=-0.1), r"cannot be None or negative.*Received: negative_slope=-0.1"),
    (lambda: layers.LeakyReLU(negative_slope=None), r"Received: negative_slope=None"),
    (lambda: layers.ELU(alpha="one"), r"Received: alpha='one'"),
])
def test_bad_parameters_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _small_model(*hidden):
    model = models.Sequential([layers.Input((6,)), *hidden, layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def test_layers_take_activations_by_name_and_save_them(tmp_path):
    fastnn.utils.set_random_seed(3)
    model = _small_model(layers.Dense(8, activation="gelu"), layers.Activation("swish"), layers.Dense(8),
                         layers.LeakyReLU(negative_slope=0.1), layers.Dense(8, activation="selu"),
                         layers.ELU(alpha=0.5), layers.Dense(8, activation="hard_sigmoid"))
    x = np.random.default_rng(0).normal(size=(20, 6)).astype(np.float32)
    y = np.arange(20) % 3
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    configs = [layer.get_config() for layer in model.layers]
    assert configs[0]["activation"] == "gelu" and configs[1]["activation"] == "silu"
    assert configs[3]["negative_slope"] == 0.1 and configs[5]["alpha"] == 0.5
    path = tmp_path / "model.fastnn"
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]


def test_parameter_layers_compute_their_activation():
    z = _inputs(2)
    np.testing.assert_allclose(np.asarray(layers.LeakyReLU()(Tensor(z))), np.where(z >= 0, z, 0.3 * z))
    np.testing.assert_allclose(np.asarray(layers.ELU(alpha=2.0)(Tensor(z))), np.where(z >= 0, z, 2 * np.expm1(z)))
    restored = layers.deserialize(layers.serialize(layers.LeakyReLU(negative_slope=0.25)))
    assert isinstance(restored, layers.LeakyReLU) and restored.negative_slope == 0.25
