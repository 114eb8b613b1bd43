"""BatchNormalization: gradients in float64, Keras's training and inference semantics, moving
statistics, frozen layers, step plans, saving and bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models, ops
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def numpy_batch_norm(x, gamma, beta, mean, variance, axis, epsilon):
    shape = [1] * x.ndim
    shape[axis] = -1
    return (x - mean.reshape(shape)) / np.sqrt(variance.reshape(shape) + epsilon) * gamma.reshape(shape) \
        + beta.reshape(shape)


def batch_moments(x, axis):
    axes = tuple(a for a in range(x.ndim) if a != axis % x.ndim)
    return x.astype(np.float64).mean(axis=axes), x.astype(np.float64).var(axis=axes)


# ---- gradients of the primitive, float64 ----------------------------------------------------------
@pytest.mark.parametrize("axis, shape", [(-1, (4, 5, 6, 3)), (1, (3, 4, 5)), (-1, (7, 2)), (2, (2, 3, 4, 2))])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_batch_norm_gradients(axis, shape, training):
    rng = np.random.default_rng(1)
    channels = shape[axis]
    x = rng.standard_normal(shape) * 2 + 0.5
    gamma, beta = rng.standard_normal(channels), rng.standard_normal(channels)
    moving_mean, moving_variance = rng.standard_normal(channels), rng.uniform(0.5, 2, channels)

    def f(x, gamma, beta):
        return ops.batch_normalization(x, gamma, beta, moving_mean.copy(), moving_variance.copy(), training=training,
                                       axis=axis, epsilon=1e-3)

    assert gradcheck(f, x, gamma, beta)
    assert gradcheck(lambda x: ops.batch_normalization(x, None, None, moving_mean.copy(), moving_variance.copy(),
                                                       training=training, axis=axis), x)


def test_layer_gradients_in_float64_through_the_layer_call():
    """The layer's own call, with its weights replaced by float64 tensors, in both modes."""
    rng = np.random.default_rng(2)
    layer = layers.BatchNormalization(momentum=0.9, epsilon=0.01)
    layer.build_for((None, 3, 4, 5))
    x = rng.standard_normal((3, 3, 4, 5))

    moving_mean, moving_variance = rng.standard_normal(5), rng.uniform(0.5, 2, 5)
    for training in (True, False):
        def f(x, gamma, beta):
            layer.gamma, layer.beta = gamma, beta
            layer.moving_mean, layer.moving_variance = fastnn.Tensor(moving_mean.copy()), fastnn.Tensor(
                moving_variance.copy())
            return layer(x, training=training)

        assert gradcheck(f, x, rng.standard_normal(5), rng.standard_normal(5))


# ---- Keras's semantics ---------------------------------------------------------------------------
def test_training_uses_batch_statistics_and_updates_the_moving_ones_as_keras_does():
    rng = np.random.default_rng(3)
    layer = layers.BatchNormalization(momentum=0.8, epsilon=1e-3, gamma_initializer="random_normal",
                                      beta_initializer="random_normal")
    x = (rng.standard_normal((6, 4, 5, 3)) * 3 + 2).astype(np.float32)
    layer.build_for(x.shape)
    gamma, beta = layer.gamma.data.astype(np.float64), layer.beta.data.astype(np.float64)
    y = layer(x, training=True)
    mean, variance = batch_moments(x, -1)
    np.testing.assert_allclose(y.data, numpy_batch_norm(x, gamma, beta, mean, variance, -1, 1e-3), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.data, 0.2 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.data, 0.8 + 0.2 * variance, rtol=1e-5)
    # inference: the moving statistics, and nothing changes
    before = [w.copy() for w in layer.get_weights()]
    y = layer(x, training=False)
    want = numpy_batch_norm(x, gamma, beta, before[2].astype(np.float64), before[3].astype(np.float64), -1, 1e-3)
    np.testing.assert_allclose(y.data, want, rtol=1e-5, atol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))


def test_weights_are_kerass_in_kerass_order_and_only_gamma_and_beta_train():
    layer = layers.BatchNormalization()
    layer.build_for((None, 10, 4))
    assert layer.weight_names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.weights] == [(4,)] * 4
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]
    np.testing.assert_array_equal(layer.get_weights()[0], np.ones(4))
    np.testing.assert_array_equal(layer.get_weights()[3], np.ones(4))
    bare = layers.BatchNormalization(axis=1, center=False, scale=False)
    bare.build_for((None, 6, 4))
    assert bare.weight_names == ["moving_mean", "moving_variance"] and bare.weights[0].shape == (6,)
    assert bare(np.ones((2, 6, 4), np.float32), training=True).shape == (2, 6, 4)


def test_summary_counts_the_moving_statistics_as_non_trainable():
    model = models.Sequential([layers.Dense(8, input_shape=(3,)), layers.BatchNormalization()])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 64" in text and "Trainable params: 48" in text and "Non-trainable params: 16" in text


def test_a_zero_size_batch_leaves_the_moving_statistics_alone():
    layer = layers.BatchNormalization()
    y = layer(np.zeros((0, 4), np.float32), training=True)
    assert y.shape == (0, 4)
    np.testing.assert_array_equal(layer.moving_mean.data, np.zeros(4))
    np.testing.assert_array_equal(layer.moving_variance.data, np.ones(4))


def test_the_mask_travels_through_and_masked_batch_statistics_are_refused():
    layer = layers.BatchNormalization()
    x = fastnn.Tensor(np.ones((2, 3, 4), np.float32))
    x._keras_mask = np.array([[True, True, False], [True, False, False]])
    assert layer(x)._keras_mask is x._keras_mask
    with pytest.raises(NotImplementedError, match="batch_normalization.*masked"):
        layer(x, training=True)


# ---- models ------------------------------------------------------------------------------------------
def conv_bn_relu(**bn_options):
    return models.Sequential([
        layers.Conv2D(6, 3, padding="same", use_bias=False, input_shape=(8, 8, 2)),
        layers.BatchNormalization(**bn_options), layers.Activation("relu"), layers.MaxPooling2D(2),
        layers.Conv2D(8, 3), layers.BatchNormalization(axis=-1), layers.Activation("relu"),
        layers.Flatten(), layers.Dense(3), layers.BatchNormalization(), layers.Activation("softmax")])


def image_data(n=90, seed=4):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8, 8, 2)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    x[labels == 1, 1:4, 1:4, 0] += 1.5  # a bright square at the top left, or in channel 1 at the bottom right
    x[labels == 2, 4:7, 4:7, 1] += 1.5
    return x, labels


def _trained(run_eagerly, threads=1, epochs=3):
    before = fastnn.get_num_threads()
    fastnn.set_num_threads(threads)
    try:
        set_random_seed(5)
        model = conv_bn_relu(momentum=0.9)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      run_eagerly=run_eagerly)
        x, y = image_data()
        history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0)
        return model, history.history, (x, y)
    finally:
        fastnn.set_num_threads(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_conv_bn_relu_trains_on_replayed_plans_bit_for_bit_like_the_eager_steps(threads):
    planned, planned_history, (x, y) = _trained(False, threads)
    eager, eager_history, _ = _trained(True, threads)
    plans = planned.train_function.plans.plans
    assert plans and all(p.state == "replay" for p in plans.values()), {k: (p.state, p.reason) for k, p in plans.items()}
    kinds = set(next(iter(plans.values())).tape.kinds())
    assert {"batch_norm_statistics", "batch_norm", "batch_norm_grad"} <= kinds
    assert planned_history == eager_history
    for a, b in zip(planned.get_weights(), eager.get_weights()):  # moving statistics included
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    for _ in range(2):
        planned.predict(x, batch_size=32, verbose=0)
    np.testing.assert_array_equal(planned.predict(x, batch_size=32, verbose=0), eager.predict(x, batch_size=32,
                                                                                                verbose=0))
    assert all(p.state == "replay" for p in planned.predict_function.plans.plans.values())


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_training_with_batch_norm_is_bitwise_identical_at_one_and_two_threads():
    one, _, (x, _) = _trained(False, 1, epochs=2)
    two, _, _ = _trained(False, 2, epochs=2)
    assert all(np.array_equal(a, b) for a, b in zip(one.get_weights(), two.get_weights()))


def test_moving_statistics_after_fit_equal_numpys_running_average():
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((100, 5)) * [1, 2, 3, 4, 5] + [5, 4, 3, 2, 1]).astype(np.float32)
    y = rng.standard_normal((100, 1)).astype(np.float32)
    model = models.Sequential([layers.BatchNormalization(momentum=0.7, input_shape=(5,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert all(p.state == "replay" for p in model.train_function.plans.plans.values())
    mean, variance = np.zeros(5), np.ones(5)
    for _ in range(3):
        for start in range(0, 100, 16):
            batch_mean, batch_variance = batch_moments(x[start:start + 16], -1)
            mean = mean * 0.7 + batch_mean * 0.3
            variance = variance * 0.7 + batch_variance * 0.3
    bn = model.layers[0]
    np.testing.assert_allclose(bn.moving_mean.data, mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.data, variance, rtol=1e-5)
    # predict normalizes by them
    want = numpy_batch_norm(x.astype(np.float64), bn.gamma.data, bn.beta.data, bn.moving_mean.data,
                            bn.moving_variance.data, -1, 1e-3) @ model.layers[1].kernel.data + model.layers[1].bias.data
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-4, atol=1e-4)


def test_a_frozen_layer_runs_in_inference_mode_and_keeps_its_state():
    set_random_seed(7)
    model = conv_bn_relu()
    frozen = model.layers[1]
    frozen.trainable = False
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in frozen.get_weights()]
    conv_before = model.layers[0].get_weights()[0].copy()
    x, y = image_data()
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, frozen.get_weights()))  # gamma, beta and moving stats
    assert not np.array_equal(conv_before, model.layers[0].get_weights()[0])  # gradients still flow through it
    assert all(p.state == "replay" for p in model.train_function.plans.plans.values())
    features = np.random.default_rng(8).standard_normal((4, 8, 8, 6)).astype(np.float32)
    np.testing.assert_array_equal(frozen(features, training=True).data, frozen(features, training=False).data)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 4
    # unfreezing makes a new plan that trains it again
    frozen.trainable = True
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert not np.array_equal(before[2], frozen.get_weights()[2])


def test_a_model_with_batch_norm_learns():
    set_random_seed(9)
    x, y = image_data(300, seed=9)
    model = conv_bn_relu(momentum=0.9)  # the moving statistics settle within the few steps of the test
    model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.4 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert model.evaluate(x, y, verbose=0)[1] > 0.75  # at inference, by the moving statistics


# ---- saving and configuration -----------------------------------------------------------------
def test_save_load_model_and_weights_keep_the_moving_statistics(tmp_path):
    set_random_seed(10)
    model = conv_bn_relu(momentum=0.5, epsilon=0.01, center=False)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = image_data()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert not np.array_equal(model.layers[1].moving_mean.data, 0)
    model.save(tmp_path / "bn.fastnn")
    loaded = models.load_model(tmp_path / "bn.fastnn")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    assert all(np.array_equal(a, b) for a, b in zip(loaded.get_weights(), model.get_weights()))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.save_weights(tmp_path / "bn.weights.npz")
    fresh = conv_bn_relu(momentum=0.5, epsilon=0.01, center=False)
    fresh.load_weights(tmp_path / "bn.weights.npz")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, batch_size=32, epochs=1, verbose=0)  # the loaded model trains on


def test_config_round_trip():
    layer = layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2",
                                      moving_variance_initializer="zeros", name="bn_config")
    config = layer.get_config()
    assert config["axis"] == 1 and config["momentum"] == 0.9 and config["epsilon"] == 1e-5
    assert config["center"] is False and config["scale"] is True and config["renorm"] is False
    clone = layers.BatchNormalization.from_config(config)
    assert clone.get_config() == config
    restored = layers.deserialize(layers.serialize(layer))
    assert isinstance(restored, layers.BatchNormalization) and restored.get_config() == config


# ---- bad input -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"axis": 1.0}, "axis=1.0"), ({"axis": True}, "axis=True"), ({"momentum": float("nan")}, "momentum=nan"),
    ({"epsilon": -1.0}, "epsilon=-1.0"), ({"epsilon": "small"}, "epsilon='small'"),
    ({"gamma_constraint": "non_neg"}, "gamma_constraint"), ({"renorm": True}, "renorm"),
    ({"synchronized": True}, "synchronized"), ({"beta_initializer": "no_such"}, "no_such"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.BatchNormalization(**kwargs)


def test_bad_input_shapes_name_the_layer_and_shape():
    with pytest.raises(ValueError, match=r"'bn_axis'.*axis 3 is out of bounds.*\(None, 4, 5\)"):
        models.Sequential([layers.BatchNormalization(axis=3, name="bn_axis", input_shape=(4, 5))])
    with pytest.raises(ValueError, match="batch axis"):
        models.Sequential([layers.BatchNormalization(axis=0, input_shape=(4,))])
    layer = layers.BatchNormalization(name="bn_shape")
    layer(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"bn_shape.*expected axis -1 of the input to have value 4.*\(None, 3, 5\)"):
        layer(np.ones((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"bn_shape.*expected ndim=3, found ndim=2"):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(TypeError, match="bn_shape"):
        layer(np.array([["a"] * 4] * 2))


def test_the_books_batch_normalization_listing_builds_kerass_model():
    """Section 7.3.1: BatchNormalization after a convolution and after a dense layer."""
    model = models.Sequential()
    model.add(layers.Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1)))
    model.add(layers.BatchNormalization())
    model.add(layers.Flatten())
    model.add(layers.Dense(32, activation='relu'))
    model.add(layers.BatchNormalization())
    model.add(layers.Dense(10))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 693,162" in text and "Non-trainable params: 128" in text
    assert sum(line.rstrip().endswith(" 128") and "(None, " in line for line in lines) == 2
    model.compile(optimizer="rmsprop", loss="mse")
    rng = np.random.default_rng(11)
    model.fit(rng.random((8, 28, 28, 1)).astype(np.float32), rng.random((8, 10)).astype(np.float32), epochs=1,
              batch_size=4, verbose=0)
