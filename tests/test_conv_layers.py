"""Convolution and pooling: primitives (gradients in float64), layers, models, saving, bad input."""
import re

import numpy as np
import pytest

import fastnn
from fastnn import initializers, layers, models, ops
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def book_convnet():
    """The book's MNIST convnet (listing 5.1 plus the classifier of listing 5.2)."""
    return models.Sequential([
        layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (3, 3), activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


# ---- gradients of the primitives, float64 ------------------------------------------------------
CONV_OPTIONS = [
    {},
    {"strides": (2, 1), "padding": "same"},
    {"dilation_rate": (2, 1), "padding": "same", "activation": "relu"},
    {"strides": 3, "padding": "valid", "activation": "relu"},
    {"padding": "same"},
]


@pytest.mark.parametrize("options", CONV_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
def test_conv2d_gradients(options):
    rng = np.random.default_rng(1)
    x, kernel, bias = rng.standard_normal((2, 7, 5, 3)), rng.standard_normal((3, 2, 3, 4)), rng.standard_normal(4)
    assert gradcheck(lambda x, k, b: ops.conv2d(x, k, b, **options), x, kernel, bias)
    assert gradcheck(lambda x, k: ops.conv2d(x, k, **options), x, kernel)


def test_conv2d_gradient_of_a_pointwise_kernel():
    rng = np.random.default_rng(2)
    assert gradcheck(lambda x, k: ops.conv2d(x, k), rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((1, 1, 5, 3)))


@pytest.mark.parametrize("options", [{}, {"pool_size": 3, "strides": 2, "padding": "same"},
                                     {"pool_size": (2, 3), "strides": 1}])
def test_pooling_gradients(options):
    rng = np.random.default_rng(3)
    x = rng.permutation(2 * 6 * 7 * 3).reshape(2, 6, 7, 3) / 10.0  # distinct values: a unique maximum
    assert gradcheck(lambda x: ops.max_pool2d(x, **options), x)
    assert gradcheck(lambda x: ops.avg_pool2d(x, **options), rng.standard_normal((2, 6, 7, 3)))


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = np.array([[5.0, 5.0], [1.0, 5.0]]).reshape(1, 2, 2, 1)
    dx = fastnn.kernels.max_pool2d_grad(x, np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(dx.reshape(2, 2), [[1.0, 0.0], [0.0, 0.0]])


def test_average_pooling_same_padding_averages_the_valid_elements():
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)
    y = fastnn.kernels.avg_pool2d(x, 2, padding="same")
    np.testing.assert_allclose(y.reshape(2, 2), [[2.0, 3.5], [6.5, 8.0]])


# ---- thread counts ------------------------------------------------------------------------------
@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_a_training_step_is_bitwise_identical_at_1_2_and_3_threads():
    before = fastnn.get_num_threads()
    rng = np.random.default_rng(4)
    x = rng.random((32, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    results = []
    try:
        for threads in (1, 2, 3):
            fastnn.set_num_threads(threads)
            set_random_seed(0)
            model = book_convnet()
            model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
            model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False)
            results.append([w.tobytes() for w in model.get_weights()] + [model.predict(x, verbose=0).tobytes()])
    finally:
        fastnn.set_num_threads(before)
    assert results[0] == results[1] == results[2]


# ---- layers ---------------------------------------------------------------------------------------
def test_book_convnet_summary_matches_keras():
    lines = []
    book_convnet().summary(print_fn=lines.append)
    text = "\n".join(lines)
    for shape, params in [("(None, 26, 26, 32)", "320"), ("(None, 13, 13, 32)", "0"), ("(None, 11, 11, 64)", "18,496"),
                          ("(None, 5, 5, 64)", "0"), ("(None, 3, 3, 64)", "36,928"), ("(None, 576)", "0"),
                          ("(None, 64)", "36,928"), ("(None, 10)", "650")]:
        assert any(shape in line and line.rstrip().endswith(" " + params) for line in lines), (shape, text)
    assert "Total params: 93,322" in text
    assert re.search(r"^conv2d(_\d+)? \(Conv2D\)", text, re.M) and re.search(r"^max_pooling2d(_\d+)? ", text, re.M)


def test_conv2d_matches_the_oracle_and_keras_initialization():
    set_random_seed(5)
    layer = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
    x = np.random.default_rng(5).standard_normal((2, 9, 8, 3)).astype(np.float32)
    y = layer(x)
    assert y.shape == (2, 5, 4, 4)
    want = fastnn.reference.conv2d(x, layer.kernel.data, layer.bias.data, strides=2, padding="same", activation="relu")
    np.testing.assert_allclose(y.data, want, rtol=1e-5, atol=1e-6)
    fan_in, fan_out = initializers.compute_fans((3, 3, 3, 4))
    assert (fan_in, fan_out) == (27, 36)
    assert np.abs(layer.kernel.data).max() <= np.sqrt(6 / (fan_in + fan_out))


def test_integer_arguments_and_non_relu_activation():
    layer = layers.Conv2D(2, 2, activation="tanh", use_bias=False)
    y = layer(np.ones((1, 3, 3, 1), np.float32))
    assert y.shape == (1, 2, 2, 2) and len(layer.weights) == 1
    np.testing.assert_allclose(y.data, np.tanh(layer.kernel.data.sum(axis=(0, 1, 2)))[None, None, None].repeat(2, 1)
                               .repeat(2, 2), rtol=1e-6)
    assert layers.MaxPooling2D(3).strides == (3, 3)
    assert layers.AveragePooling2D(3, strides=1).strides == (1, 1)


@pytest.mark.parametrize("layer", [
    lambda: layers.Conv2D(3, 3, padding="same"), lambda: layers.Conv2D(3, 1), lambda: layers.MaxPooling2D(1),
    lambda: layers.AveragePooling2D(2, padding="same"), lambda: layers.GlobalAveragePooling2D(),
    lambda: layers.GlobalMaxPooling2D(), lambda: layers.Reshape((-1,)), lambda: layers.Flatten()])
@pytest.mark.parametrize("shape", [(0, 5, 5, 2), (3, 1, 1, 2)], ids=["zero-size batch", "1x1 images"])
def test_layers_take_zero_size_batches_and_1x1_images(layer, shape):
    x = np.ones(shape, np.float32)
    model = models.Sequential([layer(), layers.Flatten(), layers.Dense(2)])
    model.build((None,) + shape[1:])
    assert model.predict(x, verbose=0).shape == (shape[0], 2)
    model.compile(optimizer="sgd", loss="mse")
    if shape[0]:
        model.fit(x, np.zeros((shape[0], 2)), epochs=1, verbose=0)


def test_global_pooling_and_reshape():
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(x).data, x.mean(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(layers.GlobalMaxPooling2D()(x).data, x.max(axis=(1, 2)))
    assert layers.GlobalMaxPooling2D(keepdims=True)(x).shape == (2, 1, 1, 5)
    assert layers.Reshape((4, -1))(x).shape == (2, 4, 15)
    model = models.Sequential([layers.Reshape((28, 28, 1), input_shape=(784,)), layers.Conv2D(2, 3)])
    assert model.output_shape == (None, 26, 26, 2)


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv2D(0, 3), "filters=0"),
    (lambda: layers.Conv2D(-2, 3), "filters=-2"),
    (lambda: layers.Conv2D(2, 0), "kernel_size=0"),
    (lambda: layers.Conv2D(2, 3, strides=(1, 0)), r"strides=\(1, 0\)"),
    (lambda: layers.Conv2D(2, 3, padding="full"), "padding='full'"),
    (lambda: layers.Conv2D(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv2D(2, 3, data_format="channels_first"), "channels_first"),
    (lambda: layers.MaxPooling2D(0), "pool_size=0"),
    (lambda: layers.AveragePooling2D(2, strides=-1), "strides=-1"),
    (lambda: layers.MaxPooling2D(2, padding="full"), "padding='full'"),
    (lambda: layers.Reshape((0, 3)), "target_shape"),
])
def test_bad_arguments_name_the_layer_and_value(make, match):
    with pytest.raises(ValueError, match=match) as err:
        make()
    assert "Layer '" in str(err.value)


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"conv2d.*ndim=4.*\(None, 28, 28\)"):
        models.Sequential([layers.Conv2D(32, 3, input_shape=(28, 28))])
    with pytest.raises(ValueError, match=r"window 5 is larger than the input's height 4.*\(None, 4, 9, 1\)"):
        models.Sequential([layers.Conv2D(1, 5, input_shape=(4, 9, 1))])
    with pytest.raises(ValueError, match=r"max_pooling2d.*larger than the input's width 1"):
        models.Sequential([layers.MaxPooling2D(2, input_shape=(4, 1, 3))])
    model = book_convnet()
    with pytest.raises(ValueError, match=r"expected axis -1 .* value 1.*\(None, 1, 28, 28\).*channels-first"):
        model(np.zeros((2, 1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"\(None, 28, 28, 1\).*\(None, 1, 28, 28\)"):
        model.predict(np.zeros((2, 1, 28, 28), np.float32), verbose=0)
    with pytest.raises(ValueError, match="channels-first"):
        models.Sequential([layers.Conv2D(32, 3, input_shape=(1, 28, 28))])
    with pytest.raises(ValueError, match="cannot reshape"):
        models.Sequential([layers.Reshape((5, 5), input_shape=(24,))])


def test_save_and_load_round_trip(tmp_path):
    set_random_seed(7)
    model = models.Sequential([
        layers.Conv2D(4, (3, 2), strides=(2, 1), padding="same", activation="relu", input_shape=(9, 8, 2)),
        layers.AveragePooling2D(2, strides=1, padding="same"), layers.MaxPooling2D((2, 2)),
        layers.Conv2D(3, 1, dilation_rate=1, use_bias=False), layers.GlobalMaxPooling2D(keepdims=True),
        layers.Reshape((3,)), layers.Dense(2),
    ])
    model.compile(optimizer="rmsprop", loss="mse")
    x = np.random.default_rng(7).standard_normal((5, 9, 8, 2)).astype(np.float32)
    path = tmp_path / "convnet.fastnn"
    model.save(path)
    loaded = models.load_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_the_book_convnet_learns_a_small_problem():
    set_random_seed(8)
    rng = np.random.default_rng(8)
    x = rng.random((256, 28, 28, 1)).astype(np.float32) * 0.1
    labels = rng.integers(0, 2, 256)
    x[labels == 1, 5:12, 5:12, 0] += 1.0  # a bright square means class 1
    y = np.eye(10, dtype=np.float32)[labels]
    model = book_convnet()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


# ---- step plans ---------------------------------------------------------------------------------
def test_convnet_steps_replay_with_relu_gradients_folded_into_pool_and_conv_gradients():
    set_random_seed(0)
    model = models.Sequential([
        layers.Conv2D(4, 3, activation="relu", input_shape=(12, 12, 1)), layers.MaxPooling2D(2),
        layers.Conv2D(6, 3, activation="relu"), layers.Conv2D(6, 1, activation="relu"),
        layers.AveragePooling2D(2), layers.Flatten(), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 12, 12, 1)).astype(np.float32), rng.integers(0, 3, 40)
    model.fit(x, y, batch_size=20, epochs=2, verbose=0)
    plan = next(iter(model.train_function.plans.plans.values()))
    assert plan.state == "replay", plan.reason
    kinds = plan.tape.kinds()
    assert "relu_grad" not in kinds
    assert {"conv2d", "conv2d_input_grad", "conv2d_kernel_grad", "max_pool2d_grad", "avg_pool2d_grad"} <= set(kinds)
