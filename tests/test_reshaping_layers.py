"""UpSampling2D, ZeroPadding2D, Cropping2D, RepeatVector and Permute: NumPy's values, Keras's
argument forms and shapes, float64 gradients, replayed steps, saving and bad input."""
import numpy as np
import pytest

from fastnn import layers, models
from fastnn.testing import gradcheck
from fastnn.utils import set_random_seed

X = np.random.default_rng(0).standard_normal((2, 5, 6, 3)).astype(np.float32)

# (layer factory, NumPy equivalent on (N, H, W, C) images)
CASES = {
    "zero_padding_int": (lambda: layers.ZeroPadding2D(2),
                         lambda x: np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0)))),
    "zero_padding_pair": (lambda: layers.ZeroPadding2D((1, 3)),
                          lambda x: np.pad(x, ((0, 0), (1, 1), (3, 3), (0, 0)))),
    "zero_padding_pairs": (lambda: layers.ZeroPadding2D(((0, 2), (3, 1))),
                           lambda x: np.pad(x, ((0, 0), (0, 2), (3, 1), (0, 0)))),
    "cropping_int": (lambda: layers.Cropping2D(1), lambda x: x[:, 1:-1, 1:-1]),
    "cropping_pair": (lambda: layers.Cropping2D((2, 0)), lambda x: x[:, 2:-2, :]),
    "cropping_pairs": (lambda: layers.Cropping2D(((1, 2), (0, 4))), lambda x: x[:, 1:-2, 0:-4]),
    "cropping_default": (lambda: layers.Cropping2D(), lambda x: x),
    "up_sampling": (lambda: layers.UpSampling2D(), lambda x: x.repeat(2, axis=1).repeat(2, axis=2)),
    "up_sampling_2_3": (lambda: layers.UpSampling2D((2, 3)), lambda x: x.repeat(2, axis=1).repeat(3, axis=2)),
    "up_sampling_1": (lambda: layers.UpSampling2D(1), lambda x: x),
    "permute": (lambda: layers.Permute((3, 1, 2)), lambda x: x.transpose(0, 3, 1, 2)),
    "permute_hw": (lambda: layers.Permute((2, 1, 3)), lambda x: x.transpose(0, 2, 1, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_shapes(name):
    make, numpy_fn = CASES[name]
    layer = make()
    y = layer(X)
    want = numpy_fn(X)
    np.testing.assert_array_equal(y.data, want)
    assert y.data.flags.c_contiguous
    assert layer.compute_output_shape((None,) + X.shape[1:]) == (None,) + want.shape[1:]


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_in_float64(name):
    layer = CASES[name][0]()
    x = np.random.default_rng(1).standard_normal((2, 5, 6, 3))
    assert gradcheck(lambda x: layer(x), x)


def test_repeat_vector():
    x = np.random.default_rng(2).standard_normal((4, 3))
    layer = layers.RepeatVector(5)
    y = layer(x.astype(np.float32))
    np.testing.assert_array_equal(y.data, np.repeat(x.astype(np.float32)[:, None, :], 5, axis=1))
    assert layer.compute_output_shape((None, 3)) == (None, 5, 3)
    assert gradcheck(lambda x: layer(x), x)


def test_unknown_sizes_stay_unknown():
    assert layers.ZeroPadding2D(1).compute_output_shape((None, None, 4, 2)) == (None, None, 6, 2)
    assert layers.UpSampling2D(3).compute_output_shape((None, 2, None, 2)) == (None, 6, None, 2)
    assert layers.Cropping2D(1).compute_output_shape((None, None, 4, 2)) == (None, None, 2, 2)
    assert layers.Permute((2, 1)).compute_output_shape((None, None, 7)) == (None, 7, None)


def reshaping_model():
    return models.Sequential([
        layers.ZeroPadding2D(((1, 0), (0, 1)), input_shape=(6, 5, 2)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.UpSampling2D((2, 1)),
        layers.Cropping2D(((1, 1), (0, 1))),
        layers.Permute((2, 1, 3)),
        layers.Conv2D(3, 2, activation="relu"),
        layers.GlobalMaxPooling2D(),
        layers.RepeatVector(4),
        layers.Permute((2, 1)),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])


def _trained(run_eagerly, epochs=4):
    set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((80, 6, 5, 2)).astype(np.float32)
    y = (x[:, :3, :, 0].mean(axis=(1, 2)) > 0).astype(np.int64)
    model = reshaping_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=run_eagerly)
    return model, model.fit(x, y, batch_size=32, epochs=epochs, verbose=0).history, x


def test_a_model_of_them_trains_on_replayed_plans_bit_for_bit_like_the_eager_steps():
    planned, history, x = _trained(False)
    eager, eager_history, _ = _trained(True)
    plans = planned.train_function.plans.plans
    assert all(p.state == "replay" for p in plans.values()), {k: (p.state, p.reason) for k, p in plans.items()}
    assert history == eager_history
    assert history["loss"][-1] < history["loss"][0]
    assert all(np.array_equal(a, b) for a, b in zip(planned.get_weights(), eager.get_weights()))
    for _ in range(2):
        planned.predict(x, verbose=0)
    np.testing.assert_array_equal(planned.predict(x, verbose=0), eager.predict(x, verbose=0))
    assert all(p.state == "replay" for p in planned.predict_function.plans.plans.values())


def test_save_load_and_config_round_trip(tmp_path):
    model, _, x = _trained(False, epochs=1)
    model.save(tmp_path / "reshaping.fastnn")
    loaded = models.load_model(tmp_path / "reshaping.fastnn")
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for layer in (layers.ZeroPadding2D((1, 2)), layers.Cropping2D(((0, 1), (2, 3))), layers.UpSampling2D((3, 2)),
                  layers.RepeatVector(7), layers.Permute((2, 3, 1))):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
        assert layers.deserialize(layers.serialize(layer)).get_config() == config
    assert layers.ZeroPadding2D((1, 2)).get_config()["padding"] == [[1, 1], [2, 2]]


@pytest.mark.parametrize("make, exception, match", [
    (lambda: layers.ZeroPadding2D(-1), ValueError, "padding=-1"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), ValueError, r"padding=\(1, 2, 3\)"),
    (lambda: layers.ZeroPadding2D(((1, 2), (3,))), ValueError, "padding="),
    (lambda: layers.ZeroPadding2D(1.5), ValueError, "padding=1.5"),
    (lambda: layers.Cropping2D(((0, 1), (-1, 0))), ValueError, "cropping="),
    (lambda: layers.Cropping2D(data_format="channels_first"), ValueError, "channels_first"),
    (lambda: layers.UpSampling2D(0), ValueError, "size=0"),
    (lambda: layers.UpSampling2D(interpolation="bilinear"), ValueError, "interpolation='bilinear'"),
    (lambda: layers.RepeatVector(0), ValueError, "n=0"),
    (lambda: layers.RepeatVector(2.0), TypeError, "n=2.0"),
    (lambda: layers.Permute((1, 3)), ValueError, r"dims=\(1, 3\)"),
    (lambda: layers.Permute((0, 1)), ValueError, r"dims=\(0, 1\)"),
    (lambda: layers.Permute(3), ValueError, "dims=3"),
])
def test_bad_arguments_name_the_layer_and_value(make, exception, match):
    with pytest.raises(exception, match=match) as err:
        make()
    assert "Layer '" in str(err.value)


def test_bad_input_shapes_name_the_layer():
    with pytest.raises(ValueError, match=r"cropping2d.*smaller than.*\(None, 4, 9, 1\)"):
        models.Sequential([layers.Cropping2D(((2, 2), (0, 0)), input_shape=(4, 9, 1))])
    with pytest.raises(ValueError, match=r"zero_padding2d.*ndim=4.*\(None, 8\)"):
        models.Sequential([layers.ZeroPadding2D(1, input_shape=(8,))])
    with pytest.raises(ValueError, match=r"up_sampling2d.*ndim=4"):
        layers.UpSampling2D()(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"'rv'.*ndim=2.*\(None, 3, 4\)"):
        layers.RepeatVector(2, name="rv")(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"'perm'.*ndim=3 for dims=\(2, 1\).*\(None, 3, 4, 5\)"):
        layers.Permute((2, 1), name="perm")(np.ones((2, 3, 4, 5), np.float32))
    crop = layers.Cropping2D(2, name="crop")
    crop(np.ones((1, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"'crop'.*smaller than"):
        crop(np.ones((1, 4, 8, 1), np.float32))


def test_zero_size_batches():
    for make in (lambda: layers.ZeroPadding2D(1), lambda: layers.Cropping2D(1), lambda: layers.UpSampling2D(),
                 lambda: layers.Permute((3, 2, 1))):
        layer = make()
        x = np.ones((0, 4, 4, 2), np.float32)
        assert layer(x).shape == (0,) + layer.compute_output_shape((None, 4, 4, 2))[1:]
    assert layers.RepeatVector(3)(np.ones((0, 2), np.float32)).shape == (0, 3, 2)
