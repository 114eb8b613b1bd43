import numpy as np
import pytest

import fastnn
from fastnn import activations, initializers, layers
from fastnn.tensor import Tensor
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


NUMPY_ACTIVATIONS = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": _softmax,
}


# activations ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NUMPY_ACTIVATIONS))
def test_activation_values_match_numpy(name):
    z = np.random.default_rng(0).normal(size=(7, 13)) * 3
    got = np.asarray(activations.get(name)(Tensor(z)))
    np.testing.assert_allclose(got, NUMPY_ACTIVATIONS[name](z), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax"])
def test_activation_gradients_by_finite_differences(name):
    z = np.random.default_rng(1).normal(size=(5, 7))
    assert gradcheck(activations.get(name), z)


def test_activation_get_accepts_none_and_callables_and_rejects_unknown_names():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    fn = lambda x: x  # noqa: E731
    assert activations.get(fn) is fn
    with pytest.raises(ValueError, match="Unknown activation: 'swishy'.*relu.*softmax"):
        activations.get("swishy")
    with pytest.raises(ValueError, match="Received: activation=3"):
        activations.get(3)


def test_activation_serialize_names_built_ins_only():
    assert activations.serialize(activations.tanh) == "tanh"
    with pytest.raises(ValueError, match="custom activation"):
        activations.serialize(lambda x: x)


# initializers --------------------------------------------------------------------------------
def test_compute_fans():
    assert initializers.compute_fans((784, 512)) == (784, 512)
    assert initializers.compute_fans((10,)) == (10, 10)
    assert initializers.compute_fans((3, 3, 8, 16)) == (72, 144)


def test_glorot_uniform_bounds_and_variance():
    w = initializers.get("glorot_uniform")((400, 600))
    limit = np.sqrt(6 / 1000)
    assert w.dtype == np.float32 and w.shape == (400, 600)
    assert np.abs(w).max() <= limit
    np.testing.assert_allclose(w.var(), 2 / 1000, rtol=0.02)


@pytest.mark.parametrize("name,variance", [("glorot_normal", 2 / 1000), ("he_normal", 2 / 400),
                                           ("lecun_normal", 1 / 400), ("he_uniform", 2 / 400)])
def test_variance_scaling_presets_have_keras_variance(name, variance):
    w = initializers.get(name)((400, 600))
    np.testing.assert_allclose(w.var(), variance, rtol=0.03)
    if name.endswith("normal"):  # truncated at two (pre-scaling) standard deviations
        assert np.abs(w).max() <= 2 * np.sqrt(variance) / initializers.TRUNCATED_NORMAL_STDDEV


def test_constant_initializers():
    assert np.array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3), np.float32))
    assert np.array_equal(initializers.get("ones")((4,)), np.ones(4, np.float32))
    assert np.array_equal(initializers.Constant(2.5)((2,)), [2.5, 2.5])


def test_initializers_follow_the_global_seed_and_their_own_seed():
    set_random_seed(7)
    a = initializers.get("glorot_uniform")((5, 4))
    set_random_seed(7)
    b = initializers.get("glorot_uniform")((5, 4))
    assert np.array_equal(a, b)
    seeded = initializers.HeNormal(seed=3)
    assert np.array_equal(seeded((6, 6)), seeded((6, 6)))


def test_initializer_get_errors_and_round_trip():
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'.*glorot_uniform"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="Received: scale=-1"):
        initializers.VarianceScaling(scale=-1)
    init = initializers.RandomNormal(mean=1.0, stddev=0.5, seed=2)
    again = initializers.get(initializers.serialize(init))
    assert type(again) is initializers.RandomNormal and again.get_config() == init.get_config()


# Dense ---------------------------------------------------------------------------------------
def test_dense_builds_lazily_and_computes_the_formula():
    layer = layers.Dense(5, activation="relu")
    assert not layer.built and layer.weights == []
    x = np.random.default_rng(0).normal(size=(9, 3)).astype(np.float32)
    y = layer(x)
    assert layer.built and layer.kernel.shape == (3, 5) and layer.bias.shape == (5,)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y.data, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("name", sorted(NUMPY_ACTIVATIONS))
def test_dense_applies_each_activation(name):
    layer = layers.Dense(4, activation=name, bias_initializer="ones")
    x = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    y = layer(x)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(y.data, NUMPY_ACTIVATIONS[name](x @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_dense_without_bias_and_on_rank_3_inputs():
    layer = layers.Dense(2, use_bias=False)
    x = np.random.default_rng(2).normal(size=(4, 3, 5)).astype(np.float32)
    y = layer(x)
    assert len(layer.weights) == 1 and y.shape == (4, 3, 2)
    np.testing.assert_allclose(y.data, x @ layer.get_weights()[0], rtol=1e-5, atol=1e-6)


def test_dense_gradients_match_numpy_and_the_input_gets_none():
    layer = layers.Dense(4, activation="relu")
    x = Tensor(np.random.default_rng(3).normal(size=(8, 3)).astype(np.float32))
    y = layer(x)
    upstream = np.random.default_rng(4).normal(size=y.shape).astype(np.float32)
    y.backward(upstream)
    kernel, _ = layer.get_weights()
    dz = upstream * (y.data > 0)
    np.testing.assert_allclose(layer.kernel.grad, x.data.T @ dz, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, dz.sum(axis=0), rtol=1e-5, atol=1e-5)
    assert x.grad is None


@pytest.mark.parametrize("units", [-3, 0, 2.5, "8", True])
def test_dense_rejects_bad_units(units):
    with pytest.raises(ValueError, match=f"Received: units={units!r}"):
        layers.Dense(units)


def test_dense_rejects_inputs_of_another_width():
    layer = layers.Dense(3, name="hidden")
    layer(np.zeros((2, 20), np.float32))
    with pytest.raises(ValueError, match=r"'hidden'.*\(None, 20\).*\(None, 21\)"):
        layer(np.zeros((2, 21), np.float32))


def test_dense_rejects_unknown_keyword_arguments():
    with pytest.raises(TypeError):
        layers.Dense(3, activaton="relu")


def test_dense_config_round_trip():
    layer = layers.Dense(7, activation="tanh", use_bias=False, kernel_initializer="he_normal", input_shape=(3,))
    config = layer.get_config()
    again = layers.Dense.from_config(config)
    assert again.get_config() == config
    assert again.units == 7 and again.activation is activations.tanh and again.input_shape_arg == (3,)


def test_layer_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match="expects 2 weight arrays, received 1"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"'kernel' has shape \(3, 2\), received an array of shape \(2, 3\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    layer.set_weights([np.ones((3, 2)), np.full(2, 0.5)])
    assert np.array_equal(layer.get_weights()[1], [0.5, 0.5])


def test_layer_names_are_unique_per_kind():
    a, b = layers.Flatten(), layers.Flatten()
    assert a.name != b.name and a.name.startswith("flatten") and b.name.startswith("flatten")


# other layers --------------------------------------------------------------------------------
def test_activation_layer():
    x = np.random.default_rng(5).normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(layers.Activation("softmax")(x).data, _softmax(x), rtol=1e-6)
    assert layers.Activation("relu").get_config()["activation"] == "relu"


def test_flatten():
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    layer = layers.Flatten()
    y = layer(x)
    assert np.array_equal(y.data, x.reshape(2, 12))
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)


def test_flatten_gradient_by_finite_differences():
    assert gradcheck(lambda t: layers.Flatten()(t), np.random.default_rng(0).normal(size=(2, 3, 4)))


def test_dropout_is_identity_at_inference_and_scales_kept_units_in_training():
    x = np.ones((200, 100), np.float32)
    layer = layers.Dropout(0.25, seed=1)
    assert np.array_equal(layer(x).data, x)
    y = layer(x, training=True).data
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.01


def test_dropout_gradient_is_the_mask():
    layer = layers.Dropout(0.5, seed=2)
    x = Tensor(np.random.default_rng(0).normal(size=(6, 5)), requires_grad=True)
    y = layer(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, (y.data != 0) * 2.0)


def test_dropout_seeds():
    a = layers.Dropout(0.5, seed=4)(np.ones((5, 5), np.float32), training=True).data
    b = layers.Dropout(0.5, seed=4)(np.ones((5, 5), np.float32), training=True).data
    assert np.array_equal(a, b)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 2, "0.5", None])
def test_dropout_rejects_bad_rates(rate):
    with pytest.raises(ValueError, match="Received: rate="):
        layers.Dropout(rate)


def test_input_layer_sets_the_model_input_shape():
    model = fastnn.models.Sequential([layers.Input(shape=(6,)), layers.Dense(3)])
    assert model.built and model.input_shape == (None, 6) and model.layers[0].kernel.shape == (6, 3)
    with pytest.raises(ValueError, match="shape"):
        layers.InputLayer()


def test_deserialize_rejects_unknown_classes():
    with pytest.raises(ValueError, match="Unknown layer class 'ConvLSTM2D'"):
        layers.deserialize({"class_name": "ConvLSTM2D", "config": {}})
    layer = layers.deserialize(layers.serialize(layers.Dense(3, activation="relu")))
    assert isinstance(layer, layers.Dense) and layer.units == 3
