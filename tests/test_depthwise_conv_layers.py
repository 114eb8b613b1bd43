"""DepthwiseConv2D and SeparableConv2D: Keras's values, shapes and weights, float64 gradients,
training on step plans (the book's listing 7.3 stack), saving and bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models, ops, reference
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def depthwise_by_channel(x, kernel, **window):
    """Each input channel convolved on its own (fastnn.reference.conv2d), outputs in Keras's order c * M + m."""
    parts = [reference.conv2d(x[..., c:c + 1], kernel[:, :, c:c + 1, :], **window) for c in range(x.shape[3])]
    return np.concatenate(parts, axis=-1)


WINDOWS = [{}, {"strides": 2, "padding": "same"}, {"dilation_rate": (2, 1), "padding": "same"},
           {"strides": (1, 2), "padding": "valid"}, {"strides": 2, "dilation_rate": 2, "padding": "same"}]


def _ids(options):
    return ",".join(f"{k}={v}" for k, v in options.items()) or "default"


@pytest.mark.parametrize("window", WINDOWS, ids=_ids)
@pytest.mark.parametrize("multiplier", [1, 3])
def test_depthwise_outputs_are_each_channel_convolved_on_its_own(window, multiplier):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    layer = layers.DepthwiseConv2D(3, depth_multiplier=multiplier, bias_initializer="random_normal", **window)
    y = layer(x)
    assert layer.kernel.shape == (3, 3, 3, multiplier) and layer.bias.shape == (3 * multiplier,)
    want = depthwise_by_channel(x.astype(np.float64), layer.kernel.data.astype(np.float64), **window) + layer.bias.data
    np.testing.assert_allclose(y.data, want, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None,) + want.shape[1:]


@pytest.mark.parametrize("window", WINDOWS, ids=_ids)
def test_depthwise_gradients_in_float64(window):
    rng = np.random.default_rng(1)
    x, kernel, bias = rng.standard_normal((2, 5, 4, 3)), rng.standard_normal((3, 2, 3, 2)), rng.standard_normal(6)
    assert gradcheck(lambda x, k, b: ops.depthwise_conv2d(x, k, b, **window), x, kernel, bias)
    assert gradcheck(lambda x, k: ops.depthwise_conv2d(x, k, activation="relu", **window), x, kernel)


def test_separable_is_a_depthwise_then_a_pointwise_convolution():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 8, 7, 3)).astype(np.float32)
    layer = layers.SeparableConv2D(5, 3, strides=2, padding="same", depth_multiplier=2, activation="relu",
                                   bias_initializer="random_normal")
    y = layer(x)
    assert layer.weight_names == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]
    depthwise = depthwise_by_channel(x.astype(np.float64), layer.depthwise_kernel.data.astype(np.float64),
                                     strides=2, padding="same")
    want = np.maximum(reference.conv2d(depthwise, layer.pointwise_kernel.data.astype(np.float64),
                                       layer.bias.data.astype(np.float64)), 0)
    np.testing.assert_allclose(y.data, want, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 8, 7, 3)) == (None, 4, 4, 5)


@pytest.mark.parametrize("make", [
    lambda: layers.DepthwiseConv2D((2, 3), depth_multiplier=2, activation="sigmoid"),
    lambda: layers.SeparableConv2D(4, 3, padding="same", activation="relu"),
    lambda: layers.SeparableConv2D(2, (3, 2), strides=2, depth_multiplier=3, use_bias=False),
], ids=["depthwise", "separable-relu", "separable-strided"])
def test_the_layers_in_float64(make):
    layer = make()
    layer.build_for((None, 5, 5, 2))
    names = layer.weight_names
    rng = np.random.default_rng(3)

    def f(x, *weights):
        for name, weight in zip(names, weights):
            setattr(layer, {"kernel": "kernel", "bias": "bias"}.get(name, name), weight)
        return layer(x)

    assert gradcheck(f, rng.standard_normal((2, 5, 5, 2)), *(rng.standard_normal(w.shape) for w in layer.weights))


def book_separable_convnet():
    """Listing 7.3's depthwise separable convnet, small."""
    return models.Sequential([
        layers.SeparableConv2D(8, 3, activation="relu", input_shape=(12, 12, 3)),
        layers.SeparableConv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
        layers.SeparableConv2D(16, 3, activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(16, activation="relu"),
        layers.Dense(3, activation="softmax")])


def _data(n=96, seed=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 12, 12, 3)).astype(np.float32) * 0.5
    labels = rng.integers(0, 3, n)
    for k in range(3):
        x[labels == k, 2 + 3 * k:5 + 3 * k, 3:9, k] += 2.0  # a bar in channel k
    return x, labels


def _trained(run_eagerly, threads=1, epochs=4):
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        set_random_seed(5)
        model = book_separable_convnet()
        model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=run_eagerly)
        x, y = _data()
        return model, model.fit(x, y, batch_size=32, epochs=epochs, verbose=0).history, x
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_separable_convnet_trains_on_replayed_plans_bit_for_bit_like_the_eager_steps(threads):
    planned, history, x = _trained(False, threads)
    eager, eager_history, _ = _trained(True, threads)
    plans = planned.train_function.plans.plans
    assert all(p.state == "replay" for p in plans.values()), {k: (p.state, p.reason) for k, p in plans.items()}
    kinds = set(next(iter(plans.values())).tape.kinds())
    assert {"depthwise_conv2d", "depthwise_conv2d_input_grad", "depthwise_conv2d_kernel_grad"} <= kinds
    assert history == eager_history
    assert all(np.array_equal(a, b) for a, b in zip(planned.get_weights(), eager.get_weights()))
    np.testing.assert_array_equal(planned.predict(x, verbose=0), eager.predict(x, verbose=0))


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_training_is_bitwise_identical_at_one_and_two_threads():
    one, _, _ = _trained(False, 1, epochs=2)
    two, _, _ = _trained(False, 2, epochs=2)
    assert all(np.array_equal(a, b) for a, b in zip(one.get_weights(), two.get_weights()))


def test_the_separable_convnet_learns():
    set_random_seed(6)
    model = book_separable_convnet()
    model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(240, seed=6)
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0).history
    assert history["accuracy"][-1] > 0.9, history


def test_save_load_and_config_round_trip(tmp_path):
    model, _, x = _trained(False, epochs=1)
    model.save(tmp_path / "separable.fastnn")
    loaded = models.load_model(tmp_path / "separable.fastnn")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for layer in (layers.DepthwiseConv2D((3, 2), strides=(2, 1), depth_multiplier=4, depthwise_regularizer="l1",
                                         use_bias=False, name="dw"),
                  layers.SeparableConv2D(6, 5, dilation_rate=2, depth_multiplier=2, pointwise_regularizer="l2",
                                         activation="elu", name="sep")):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
        assert layers.deserialize(layers.serialize(layer)).get_config() == config
    assert layers.DepthwiseConv2D(3, depth_multiplier=4).get_config()["depth_multiplier"] == 4


@pytest.mark.parametrize("make, match", [
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "depth_multiplier=0"),
    (lambda: layers.DepthwiseConv2D(0), "kernel_size=0"),
    (lambda: layers.DepthwiseConv2D(3, padding="causal"), "padding='causal'"),
    (lambda: layers.DepthwiseConv2D(3, data_format="channels_first"), "channels_first"),
    (lambda: layers.SeparableConv2D(0, 3), "filters=0"),
    (lambda: layers.SeparableConv2D(2, 3, depth_multiplier=1.5), "depth_multiplier=1.5"),
    (lambda: layers.SeparableConv2D(2, 3, strides=(1, 0)), r"strides=\(1, 0\)"),
])
def test_bad_arguments_name_the_layer_and_value(make, match):
    with pytest.raises(ValueError, match=match) as err:
        make()
    assert "Layer '" in str(err.value)


def test_bad_input_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"depthwise_conv2d.*ndim=4.*\(None, 8, 8\)"):
        models.Sequential([layers.DepthwiseConv2D(3, input_shape=(8, 8))])
    with pytest.raises(ValueError, match=r"window 5 is larger than the input's height 4"):
        models.Sequential([layers.SeparableConv2D(2, 5, input_shape=(4, 9, 1))])
    layer = layers.SeparableConv2D(2, 3, name="sep_shape")
    layer(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"sep_shape.*expected axis -1 .* value 3"):
        layer(np.ones((1, 5, 5, 4), np.float32))


def test_listing_7_3_runs_as_printed_with_kerass_shapes_and_parameter_counts():
    from fastnn.models import Sequential

    height, width, channels, num_classes = 64, 64, 3, 10
    model = Sequential()
    model.add(layers.SeparableConv2D(32, 3, activation='relu', input_shape=(height, width, channels,)))
    model.add(layers.SeparableConv2D(64, 3, activation='relu'))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.SeparableConv2D(64, 3, activation='relu'))
    model.add(layers.SeparableConv2D(128, 3, activation='relu'))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.SeparableConv2D(64, 3, activation='relu'))
    model.add(layers.SeparableConv2D(128, 3, activation='relu'))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Dense(32, activation='relu'))
    model.add(layers.Dense(num_classes, activation='softmax'))
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy')
    lines = []
    model.summary(line_length=100, print_fn=lines.append)
    text = "\n".join(lines)
    for shape, params in [("(None, 62, 62, 32)", "155"), ("(None, 60, 60, 64)", "2,400"), ("(None, 28, 28, 64)", "4,736"),
                          ("(None, 26, 26, 128)", "8,896"), ("(None, 11, 11, 64)", "9,408"), ("(None, 9, 9, 128)", "8,896"),
                          ("(None, 32)", "4,128"), ("(None, 10)", "330")]:
        assert any(shape in line and line.rstrip().endswith(" " + params) for line in lines), (shape, text)
    assert "Total params: 38,949" in text
    rng = np.random.default_rng(7)
    x = rng.random((4, height, width, channels)).astype(np.float32)
    y = np.eye(num_classes, dtype=np.float32)[rng.integers(0, num_classes, 4)]
    history = model.fit(x, y, epochs=2, batch_size=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
