"""get_config/from_config round trip of every built-in layer (fastnn.layers.BUILT_IN)."""
import inspect
import json

import numpy as np
import pytest

from fastnn import layers

# constructor arguments (other than the defaults) and the input shape (without batch) to call with
CASES = {
    "Activation": (dict(activation="relu"), (5,)), "AveragePooling2D": (dict(pool_size=3, strides=1, padding="same"), (5, 5, 2)),
    "Conv2D": (dict(filters=3, kernel_size=(2, 3), strides=2, padding="same", activation="relu"), (6, 7, 2)),
    "Dense": (dict(units=4, activation="tanh", kernel_initializer="he_normal", use_bias=False), (5,)),
    "Dropout": (dict(rate=0.3, seed=3), (5,)), "ELU": (dict(alpha=0.5), (5,)), "Flatten": ({}, (2, 3)),
    "GlobalAveragePooling2D": ({}, (3, 3, 2)), "GlobalMaxPooling2D": ({}, (3, 3, 2)),
    "InputLayer": (dict(shape=(3, 4)), None), "LeakyReLU": (dict(negative_slope=0.2), (5,)),
    "ReLU": (dict(max_value=6.0, negative_slope=0.1, threshold=0.5), (5,)),
    "MaxPooling2D": (dict(pool_size=(2, 2)), (4, 4, 1)), "Reshape": (dict(target_shape=(2, -1)), (6,)),
    "BatchNormalization": (dict(momentum=0.9, epsilon=1e-2, center=False), (5,)),
    "Conv2DTranspose": (dict(filters=2, kernel_size=3, strides=2), (3, 3, 2)),
    "Cropping2D": (dict(cropping=((1, 0), (0, 1))), (4, 4, 1)), "DepthwiseConv2D": (dict(kernel_size=3, depth_multiplier=2), (5, 5, 2)),
    "Permute": (dict(dims=(2, 1)), (2, 3)), "RepeatVector": (dict(n=3), (4,)),
    "SeparableConv2D": (dict(filters=3, kernel_size=3), (5, 5, 2)), "UpSampling2D": (dict(size=(2, 3)), (2, 2, 1)),
    "ZeroPadding2D": (dict(padding=(1, 2)), (2, 2, 1)),
    "Add": ({}, [(3,), (3,)]), "Average": ({}, [(3,), (3,)]), "Concatenate": (dict(axis=-1), [(3,), (2,)]),
    "Dot": (dict(axes=1, normalize=True), [(3,), (3,)]), "Maximum": ({}, [(3,), (3,)]), "Minimum": ({}, [(3,), (3,)]),
    "Multiply": ({}, [(3,), (3,)]), "Subtract": ({}, [(3,), (3,)]),
    "AveragePooling1D": (dict(pool_size=2), (6, 2)), "Conv1D": (dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal"), (7, 2)),
    "Cropping1D": (dict(cropping=(1, 2)), (6, 2)), "Embedding": (dict(input_dim=10, output_dim=3), "tokens"),
    "GlobalAveragePooling1D": ({}, (4, 2)), "GlobalMaxPooling1D": ({}, (4, 2)), "Masking": (dict(mask_value=0.5), (4, 2)),
    "MaxPooling1D": (dict(pool_size=2), (6, 2)), "UpSampling1D": (dict(size=3), (3, 2)), "ZeroPadding1D": (dict(padding=2), (3, 2)),
    "GRU": (dict(units=3, return_sequences=True, reset_after=False), (4, 2)), "GRUCell": (dict(units=3), None),
    "LSTM": (dict(units=3, go_backwards=True), (4, 2)), "LSTMCell": (dict(units=3, unit_forget_bias=False), None),
    "RNN": (dict(cell=lambda: layers.LSTMCell(2)), (4, 2)), "SimpleRNN": (dict(units=3, activation="relu"), (4, 2)),
    "SimpleRNNCell": (dict(units=3), None),
    "Bidirectional": (dict(layer=lambda: layers.LSTM(2, return_sequences=True), merge_mode="sum"), (4, 2)),
    "TimeDistributed": (dict(layer=lambda: layers.Dense(2)), (4, 3)),
}


def make(name):
    if name not in CASES:
        pytest.fail(f"layers.BUILT_IN has {name}, which this test has no constructor arguments for: add it to CASES")
    kwargs, _ = CASES[name]
    return layers.BUILT_IN[name](**{k: v() if callable(v) else v for k, v in kwargs.items()})


def as_json(config):
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("name", sorted(layers.BUILT_IN))
def test_config_round_trip(name):
    layer = make(name)
    config = layer.get_config()
    again = type(layer).from_config(as_json(config))
    assert type(again) is type(layer) and again.name == layer.name
    assert as_json(again.get_config()) == as_json(config)
    for key in CASES[name][0]:
        assert key in config, f"{name}.get_config() leaves out {key}"


@pytest.mark.parametrize("name", sorted(layers.BUILT_IN))
def test_regularizers_and_input_shape_survive(name):
    cls = layers.BUILT_IN[name]
    kwargs = {k: v() if callable(v) else v for k, v in CASES.get(name, ({}, None))[0].items()}
    options = [p for p in inspect.signature(cls.__init__).parameters if p.endswith("_regularizer")]
    kwargs.update({p: "l2" for p in options})
    if name != "InputLayer":
        kwargs["input_shape"] = (4, 6)
    config = cls(**kwargs).get_config()
    for key in [p for p in options] + (["input_shape"] if name != "InputLayer" else []):
        assert key in config, f"{name}.get_config() leaves out {key}"
    assert as_json(cls.from_config(as_json(config)).get_config()) == as_json(config)


@pytest.mark.parametrize("name", sorted(n for n, (_, shape) in CASES.items() if shape is not None))
def test_the_layer_from_config_computes_the_same(name):
    if name not in layers.BUILT_IN:
        pytest.skip(f"{name} is not built in here")
    _, shape = CASES[name]
    rng = np.random.default_rng(0)
    if shape == "tokens":
        inputs = rng.integers(0, 10, (3, 5))
    elif isinstance(shape, list):
        inputs = [rng.normal(size=(3,) + s).astype(np.float32) for s in shape]
    else:
        inputs = rng.normal(size=(3,) + shape).astype(np.float32)
    layer = make(name)
    expected = layer(inputs)
    again = type(layer).from_config(as_json(layer.get_config()))
    again(inputs)
    again.set_weights(layer.get_weights())
    got = again(inputs)
    flat = lambda v: [np.asarray(t.data if hasattr(t, "data") else t) for t in (v if isinstance(v, (list, tuple)) else [v])]
    for a, b in zip(flat(expected), flat(got)):
        np.testing.assert_array_equal(a, b)
