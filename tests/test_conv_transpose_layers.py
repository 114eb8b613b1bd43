"""Conv2DTranspose: Keras's sizes and values (against a NumPy transcription of the lhs-dilated
convolution Keras's JAX backend runs), float64 gradients, training on step plans, saving, bad input."""
import numpy as np
import pytest

from fastnn import initializers, layers, models, ops, optimizers
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed


def _keras_pads(window, stride, dilation, padding, output_padding):
    """(before, after) zeros around the stride-dilated input, as Keras converts its padding for
    jax.lax.conv_transpose."""
    extent = (window - 1) * dilation + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return extent - 1, extent - 1 + extra
    total = stride + extent - 2 if output_padding is None else extent + extent % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, extent - 1)
    return before, total - before


def keras_conv_transpose(x, kernel, strides=(1, 1), padding="valid", output_padding=None, dilation_rate=(1, 1)):
    """x (N, H, W, C), kernel (KH, KW, F, C): the input spread out by the strides, padded, and
    correlated with the spatially flipped, dilated kernel."""
    n, h, w, c = x.shape
    kh, kw, f, _ = kernel.shape
    extra = (None, None) if output_padding is None else output_padding
    (t, b), (l, r) = (_keras_pads(k, s, d, padding, e)
                      for k, s, d, e in zip((kh, kw), strides, dilation_rate, extra))
    spread = np.zeros((n, (h - 1) * strides[0] + 1, (w - 1) * strides[1] + 1, c))
    spread[:, ::strides[0], ::strides[1]] = x
    padded = np.pad(spread, ((0, 0), (t, b), (l, r), (0, 0)))
    dh, dw = dilation_rate
    oh = padded.shape[1] - (kh - 1) * dh
    ow = padded.shape[2] - (kw - 1) * dw
    y = np.zeros((n, oh, ow, f))
    for a in range(kh):
        for bb in range(kw):
            window = padded[:, a * dh:a * dh + oh, bb * dw:bb * dw + ow]
            y += window @ kernel[kh - 1 - a, kw - 1 - bb].T
    return y


CONFIGS = [
    {},
    {"strides": 2, "padding": "same"},
    {"strides": (2, 3), "padding": "valid"},
    {"strides": (3, 2), "padding": "same", "output_padding": (1, 1)},
    {"strides": 2, "padding": "same", "output_padding": (0, 1), "kernel_size": 4},
    {"strides": (3, 3), "padding": "valid", "output_padding": (2, 1), "kernel_size": (1, 2)},
    {"dilation_rate": 2, "padding": "same"},
    {"dilation_rate": (2, 3), "padding": "valid", "kernel_size": (2, 3)},
    {"padding": "same", "output_padding": 0, "kernel_size": 5},
    {"padding": "same", "kernel_size": 2},
]


def _ids(config):
    return ",".join(f"{k}={v}" for k, v in config.items()) or "default"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
def test_outputs_and_shapes_are_kerass(config):
    config = dict(config)
    kernel_size = config.pop("kernel_size", 3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 7, 3)).astype(np.float32)
    layer = layers.Conv2DTranspose(4, kernel_size, bias_initializer="random_normal", **config)
    y = layer(x)
    assert layer.kernel.shape == layer.kernel_size + (4, 3) and layer.bias.shape == (4,)
    want = keras_conv_transpose(x.astype(np.float64), layer.kernel.data.astype(np.float64),
                                strides=layer.strides, padding=layer.padding, output_padding=layer.output_padding,
                                dilation_rate=layer.dilation_rate) + layer.bias.data
    assert y.shape == want.shape
    np.testing.assert_allclose(y.data, want, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape((None, 5, 7, 3)) == (None,) + want.shape[1:]
    assert layer.compute_output_shape((None, None, 7, 3)) == (None, None, want.shape[2], 4)


@pytest.mark.parametrize("config", CONFIGS[:8], ids=_ids)
def test_gradients_in_float64(config):
    config = dict(config)
    kernel_size = config.pop("kernel_size", 3)
    kernel_size = (kernel_size,) * 2 if isinstance(kernel_size, int) else kernel_size
    rng = np.random.default_rng(1)
    x, kernel = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal(kernel_size + (3, 2))
    assert gradcheck(lambda x, k: ops.conv2d_transpose(x, k, **config), x, kernel)


def test_the_layer_with_bias_and_activation_in_float64():
    layer = layers.Conv2DTranspose(3, (2, 3), strides=2, padding="same", activation="tanh")
    layer.build_for((None, 3, 3, 2))
    rng = np.random.default_rng(2)

    def f(x, kernel, bias):
        layer.kernel, layer.bias = kernel, bias
        return layer(x)

    assert gradcheck(f, rng.standard_normal((2, 3, 3, 2)), rng.standard_normal((2, 3, 3, 2)), rng.standard_normal(3))


def test_it_maps_a_strided_convolutions_output_shape_back_and_is_its_transpose():
    rng = np.random.default_rng(3)
    conv = layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False)
    x = rng.standard_normal((2, 8, 6, 3)).astype(np.float32)
    z = conv(x)
    back = layers.Conv2DTranspose(3, 3, strides=2, padding="same", use_bias=False)
    back.build_for(z.shape)
    back.set_weights(conv.get_weights())  # the same (kh, kw, 3, 4) kernel
    y = back(z)
    assert y.shape == x.shape
    # <conv(x), z> == <x, conv_transpose(z)>: one is the other's adjoint
    np.testing.assert_allclose(float(np.sum(z.data.astype(np.float64) ** 2)),
                               float(np.sum(x.astype(np.float64) * y.data)), rtol=1e-5)


def test_glorot_initialization_uses_kerass_fans():
    set_random_seed(4)
    layer = layers.Conv2DTranspose(8, 3)
    layer.build_for((None, 4, 4, 2))
    fan_in, fan_out = initializers.compute_fans((3, 3, 8, 2))
    assert (fan_in, fan_out) == (72, 18)
    assert np.abs(layer.kernel.data).max() <= np.sqrt(6 / (fan_in + fan_out))


def autoencoder():
    return models.Sequential([
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", input_shape=(8, 8, 1)),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(4, (3, 1), padding="same", output_padding=0, activation="tanh"),
        layers.Conv2D(1, 1)])


def _images(n=64, seed=5):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 8, 8, 1), np.float32)
    for i, (r, c) in enumerate(rng.integers(0, 5, (n, 2))):
        x[i, r:r + 3, c:c + 3, 0] = 1.0
    return x


def _fit_autoencoder(run_eagerly, epochs=5):
    set_random_seed(6)
    model = autoencoder()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse", run_eagerly=run_eagerly)
    x = _images()
    return model, model.fit(x, x, batch_size=16, epochs=epochs, verbose=0).history, x


def test_an_autoencoder_learns_on_replayed_plans_bit_for_bit_like_the_eager_steps():
    planned, history, x = _fit_autoencoder(False)
    eager, eager_history, _ = _fit_autoencoder(True)
    plans = planned.train_function.plans.plans
    assert all(p.state == "replay" for p in plans.values()), {k: (p.state, p.reason) for k, p in plans.items()}
    assert history == eager_history
    assert all(np.array_equal(a, b) for a, b in zip(planned.get_weights(), eager.get_weights()))
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    np.testing.assert_array_equal(planned.predict(x, verbose=0), eager.predict(x, verbose=0))


def test_save_load_and_config_round_trip(tmp_path):
    model, _, x = _fit_autoencoder(False, epochs=1)
    model.save(tmp_path / "autoencoder.fastnn")
    loaded = models.load_model(tmp_path / "autoencoder.fastnn")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    layer = layers.Conv2DTranspose(3, (2, 4), strides=(2, 3), padding="same", output_padding=(1, 2),
                                   activation="relu", use_bias=False, kernel_regularizer="l2", name="up")
    config = layer.get_config()
    assert config["output_padding"] == [1, 2] and config["kernel_size"] == [2, 4] and config["strides"] == [2, 3]
    assert layers.Conv2DTranspose.from_config(config).get_config() == config
    assert layers.deserialize(layers.serialize(layer)).get_config() == config


@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv2DTranspose(0, 3), "filters=0"),
    (lambda: layers.Conv2DTranspose(2, (3, 0)), "kernel_size"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=2), "output_padding.*strides"),
    (lambda: layers.Conv2DTranspose(2, 3, output_padding=(0, 1)), "output_padding"),
    (lambda: layers.Conv2DTranspose(2, 3, output_padding=-1), "output_padding=-1"),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, dilation_rate=2), "dilation_rate"),
    (lambda: layers.Conv2DTranspose(2, 3, padding="full"), "padding='full'"),
    (lambda: layers.Conv2DTranspose(2, 3, data_format="channels_first"), "channels_first"),
])
def test_bad_arguments_name_the_layer_and_value(make, match):
    with pytest.raises(ValueError, match=match) as err:
        make()
    assert "Layer '" in str(err.value)


def test_bad_input_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"conv2d_transpose.*ndim=4.*\(None, 8, 8\)"):
        models.Sequential([layers.Conv2DTranspose(2, 3, input_shape=(8, 8))])
    layer = layers.Conv2DTranspose(2, 3, name="deconv")
    layer(np.ones((1, 4, 4, 3), np.float32))
    with pytest.raises(ValueError, match=r"deconv.*expected axis -1 .* value 3.*\(None, 4, 4, 5\)"):
        layer(np.ones((1, 4, 4, 5), np.float32))
