"""The 1-D layers: Conv1D (valid, same, causal), Max/AveragePooling1D, GlobalMax/AveragePooling1D,
UpSampling1D, Cropping1D, ZeroPadding1D. Keras's outputs, float64 gradients, configs,
training on step plans and bad input."""
import numpy as np
import pytest

import fastnn
from fastnn import Tensor, layers, models
from fastnn.testing import layer_gradcheck
from fastnn.utils import set_random_seed

N, L, C = 2, 11, 3

KERAS_CASES = [
    ("Conv1D", [4, 3], {}), ("Conv1D", [4, 3], {"padding": "same"}), ("Conv1D", [2, 4], {"padding": "causal"}),
    ("Conv1D", [3, 3], {"strides": 2}), ("Conv1D", [3, 2], {"strides": 3, "padding": "same"}),
    ("Conv1D", [3, 3], {"dilation_rate": 2, "padding": "causal", "activation": "relu"}),
    ("Conv1D", [3, 5], {"dilation_rate": 2, "use_bias": False, "activation": "tanh"}),
    ("Conv1D", [2, 1], {}), ("Conv1D", [2, 11], {}),
    ("MaxPooling1D", [], {}), ("MaxPooling1D", [3], {"strides": 2, "padding": "same"}),
    ("AveragePooling1D", [2], {}), ("AveragePooling1D", [4], {"strides": 3, "padding": "same"}),
    ("GlobalMaxPooling1D", [], {}), ("GlobalMaxPooling1D", [], {"keepdims": True}),
    ("GlobalAveragePooling1D", [], {}), ("GlobalAveragePooling1D", [], {"keepdims": True}),
    ("UpSampling1D", [3], {}), ("Cropping1D", [(2, 3)], {}), ("Cropping1D", [], {}),
    ("ZeroPadding1D", [(1, 4)], {}), ("ZeroPadding1D", [], {}),
]


def _x(seed=0, shape=(N, L, C)):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_outputs_match_keras_for_the_same_weights(keras_results):
    x = _x()
    mask = np.ones((N, L), np.float32)
    mask[0, 3:7] = 0
    cases = [{"layer": {"class": name, "args": args, "kwargs": kwargs}, "input": "x"} for name, args, kwargs in KERAS_CASES]
    cases.append({"layer": {"class": "GlobalAveragePooling1D"}, "input": "x", "mask": "mask"})
    for case, (weights, expected) in zip(cases, keras_results(cases, {"x": x, "mask": mask})):
        spec = case["layer"]
        layer = getattr(layers, spec["class"])(*spec["args"] if "args" in spec else [], **spec.get("kwargs", {}))
        layer.build_for((None, L, C))
        assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights], case
        layer.set_weights(weights)
        inputs = Tensor(x)
        if case.get("mask"):
            inputs._keras_mask = Tensor(mask)
        out = layer(inputs)
        assert out.shape == expected[0].shape == (N,) + tuple(layer.compute_output_shape((None, L, C))[1:]), case
        np.testing.assert_allclose(out.data, expected[0], rtol=1e-5, atol=1e-5, err_msg=str(case))


def test_conv1d_kernel_layout_is_keras():
    layer = layers.Conv1D(8, 5)
    layer.build_for((None, 20, 3))
    assert layer.weight_names == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(5, 3, 8), (8,)]
    assert layer.compute_output_shape((None, 20, 3)) == (None, 16, 8)
    assert layers.Conv1D(8, 5, padding="causal").compute_output_shape((None, 20, 3)) == (None, 20, 8)
    assert layers.Conv1D(8, 5, strides=2, padding="same").compute_output_shape((None, None, 3)) == (None, None, 8)


def test_causal_outputs_see_only_the_past():
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = _x(1)
    changed = x.copy()
    changed[:, 6:] += 1.0
    a, b = layer(Tensor(x)).data, layer(Tensor(changed)).data
    np.testing.assert_array_equal(a[:, :6], b[:, :6])
    assert not np.allclose(a[:, 6:], b[:, 6:])


@pytest.mark.parametrize("name, args, kwargs", KERAS_CASES, ids=[f"{n}-{a}-{k}" for n, a, k in KERAS_CASES])
def test_gradients(name, args, kwargs):
    rng = np.random.default_rng(2)
    x = rng.permutation(N * L * C).reshape(N, L, C) / 10.0 - 3  # distinct values: a unique maximum per window
    layer = getattr(layers, name)(*args, **kwargs)
    layer.build_for((None, L, C))
    if layer.weights:
        assert layer_gradcheck(lambda t: layer(t), layer, x)
    else:
        from fastnn.testing import gradcheck
        assert gradcheck(lambda t: layer(t), x)


def test_masked_global_average_gradients():
    x = _x(3).astype(np.float64)
    mask = np.array([[1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1], [0] * 5 + [1] * 6], np.float32)
    layer = layers.GlobalAveragePooling1D()
    conv = layers.Conv1D(2, 1)
    conv.build_for((None, L, C))

    def call(t):
        h = conv(t)
        h._keras_mask = Tensor(mask)
        return layer(h)

    assert layer_gradcheck(call, conv, x)
    masked = call(Tensor(x)).data
    h = conv(Tensor(x)).data
    np.testing.assert_allclose(masked[1], h[1, 5:].mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", KERAS_CASES[::3], ids=[n for n, _, _ in KERAS_CASES[::3]])
def test_config_round_trip(name, args, kwargs):
    layer = getattr(layers, name)(*args, **kwargs)
    config = layers.serialize(layer)
    again = layers.deserialize(config)
    assert layers.serialize(again) == config
    assert again.compute_output_shape((None, L, C)) == layer.compute_output_shape((None, L, C))


def _book_convnet():
    """Listing 6.45's 1-D convnet at a small size."""
    return [layers.Embedding(50, 8, input_length=40), layers.Conv1D(6, 7, activation="relu"),
            layers.MaxPooling1D(5), layers.Conv1D(6, 3, activation="relu", padding="causal"),
            layers.GlobalMaxPooling1D(), layers.Dense(1, activation="sigmoid")]


def _reshaping():
    return [layers.ZeroPadding1D((2, 1)), layers.Conv1D(4, 3, padding="same", strides=2),
            layers.UpSampling1D(2), layers.Cropping1D((1, 2)), layers.AveragePooling1D(2, padding="same"),
            layers.Conv1D(3, 2, dilation_rate=2, activation="tanh"), layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid")]


def _task(kind):
    rng = np.random.default_rng(4)
    if kind == "tokens":
        x = rng.integers(0, 50, (120, 40))
        return x, np.isin(x, [3, 7]).sum(axis=1) > 1
    x = rng.standard_normal((120, 16, 2)).astype(np.float32)
    return x, x[:, :, 0].mean(axis=1) > 0


@pytest.mark.parametrize("make, kind", [(_book_convnet, "tokens"), (_reshaping, "series")], ids=["book", "reshaping"])
def test_training_steps_replay_and_give_the_eager_bits(make, kind):
    x, y = _task(kind)
    trained = []
    for run_eagerly in (False, True):
        set_random_seed(5)
        model = models.Sequential(make())
        model.compile("rmsprop", "binary_crossentropy", metrics=["acc"], run_eagerly=run_eagerly)
        history = model.fit(x, y.astype(np.float32), epochs=3, batch_size=32, verbose=0)
        trained.append((model, history.history))
    (planned, planned_history), (eager, eager_history) = trained
    plans = planned.train_function.plans.plans
    assert plans and all(p.state == "replay" for p in plans.values()), {k: p.reason for k, p in plans.items()}
    assert planned_history == eager_history
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


def test_the_book_convnet_learns():
    x, y = _task("tokens")
    set_random_seed(6)
    model = models.Sequential(_book_convnet())
    model.compile(fastnn.optimizers.RMSprop(0.003), "binary_crossentropy", metrics=["acc"])
    history = model.fit(x, y.astype(np.float32), epochs=25, batch_size=16, verbose=0)
    assert history.history["acc"][-1] > 0.9, history.history["acc"]


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv1D(0, 3), "filters"),
    (lambda: layers.Conv1D(2, (3, 3)), "kernel_size"),
    (lambda: layers.Conv1D(2, 3, padding="full"), "'valid', 'same' or 'causal'"),
    (lambda: layers.Conv1D(2, 3, strides=2, dilation_rate=2), "strides > 1"),
    (lambda: layers.Conv1D(2, 3, data_format="channels_first"), "channels-last"),
    (lambda: layers.Conv1D(2, 3, groups=2), "one group"),
    (lambda: layers.MaxPooling1D(0), "pool_size"),
    (lambda: layers.AveragePooling1D(2, padding="causal"), "padding"),
    (lambda: layers.UpSampling1D(0), "size"),
    (lambda: layers.Cropping1D(-1), "cropping"),
    (lambda: layers.ZeroPadding1D((1, 2, 3)), "padding"),
])
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("layer", [layers.Conv1D(2, 3), layers.MaxPooling1D(), layers.GlobalAveragePooling1D(),
                                   layers.UpSampling1D(), layers.Cropping1D(), layers.ZeroPadding1D()],
                         ids=lambda layer: type(layer).__name__)
def test_inputs_without_steps_are_refused(layer):
    with pytest.raises(ValueError, match=r"expected ndim=3 \(batch, steps, features\), found ndim=2"):
        layer(np.ones((4, 5)))


def test_shape_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"window 7 is larger than the input's steps 5.*\(None, 5, 3\)"):
        layers.Conv1D(2, 7, name="c")(np.ones((1, 5, 3)))
    conv = layers.Conv1D(2, 3)
    conv(np.ones((1, 9, 3)))
    with pytest.raises(ValueError, match=r"expected axis -1 of the input to have value 3"):
        conv(np.ones((1, 9, 4)))
    with pytest.raises(ValueError, match="smaller than the input length"):
        layers.Cropping1D((3, 3))(np.ones((1, 6, 2)))
    with pytest.raises(ValueError, match="mask has shape"):
        h = Tensor(np.ones((2, 4, 3), np.float32))
        h._keras_mask = Tensor(np.ones((2, 5), np.float32))
        layers.GlobalAveragePooling1D()(h)
