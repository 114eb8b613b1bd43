"""fastnn.applications VGG16 / VGG19: Keras's layer names, arguments and checks, weight files in
Keras's layouts (published Keras 2 style, and saved by Keras itself), weights='imagenet' through
the cache from 127.0.0.1, preprocess_input and decode_predictions."""
import hashlib
import json

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from fastnn import applications, models
from fastnn.applications import VGG16, VGG19, imagenet_utils, vgg16, vgg19
from fastnn.datasets import DownloadError
from fastnn.utils import set_random_seed



from applications_keras import keras_application  # noqa: E402
import test_get_file as _served  # noqa: E402
env, origin, refused_url = _served.env, _served.origin, _served.refused_url  # fixtures and a helper

VGG16_CONVS = ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1", "block3_conv2",
               "block3_conv3", "block4_conv1", "block4_conv2", "block4_conv3", "block5_conv1", "block5_conv2",
               "block5_conv3"]


def images(n=2, size=32, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, size, size, 3)).astype(np.float32)


def write_published_layout(path, model, seed=0):
    """A weight file laid out as Keras's published vgg16_weights_tf_dim_ordering_tf_kernels*.h5:
    root attr layer_names (the input and pooling layers listed without weights), per layer group
    attr weight_names with the old '<layer>_W_1:0' names; returns {layer: [arrays]}."""
    rng = np.random.default_rng(seed)
    written = {}
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"input_1"] + [layer.name.encode() for layer in model.layers[1:]])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        f.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
        for layer in model.layers[1:]:
            group = f.create_group(layer.name)
            names = [f"{layer.name}_{'W' if i == 0 else 'b'}_1:0" for i in range(len(layer.weights))]
            group.attrs["weight_names"] = np.array([n.encode() for n in names], dtype=f"S{max(map(len, names), default=1)}")
            arrays = [rng.normal(0, 0.05, w.data.shape).astype(np.float32) for w in layer.weights]
            for name, array in zip(names, arrays):
                group.create_dataset(name, data=array)
            written[layer.name] = arrays
    return written


def test_vgg16_and_vgg19_layers_are_named_as_keras_names_them():
    base = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = [layer.name for layer in base.layers]
    assert [n for n in names if "conv" in n] == VGG16_CONVS
    assert names[-1] == "block5_pool" and base.output.shape == (None, 1, 1, 512)
    assert base.count_params() == 14714688 and base.name == "vgg16"
    top = VGG16(weights=None, input_shape=(32, 32, 3), classes=7)
    assert [layer.name for layer in top.layers][-4:] == ["flatten", "fc1", "fc2", "predictions"]
    assert top.output.shape == (None, 7)
    base19 = VGG19(weights=None, include_top=False, pooling="max")
    assert base19.count_params() == 20024384 and base19.output.shape == (None, 512)
    assert [layer.name for layer in base19.layers if "block5" in layer.name] == [
        "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4", "block5_pool"]
    assert VGG16(weights=None, include_top=False, pooling="avg").input.shape == (None, None, None, 3)


def test_input_tensor_starts_the_model_from_the_given_tensor():
    from fastnn import Input, layers

    inputs = Input((40, 40, 3))
    x = layers.Conv2D(3, 1, name="adapter")(inputs)
    model = VGG16(weights=None, include_top=False, input_tensor=x)
    assert model.input is inputs and model.get_layer("adapter") is not None
    assert model.predict(images(1, 40), verbose=0).shape == (1, 1, 1, 512)


def test_published_keras2_layout_loads_with_kernels_as_height_width_in_out(tmp_path):
    model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    written = write_published_layout(tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", model)
    loaded = VGG16(weights=str(tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"), include_top=False,
                   input_shape=(32, 32, 3))
    for name, arrays in written.items():
        for weight, array in zip(loaded.get_layer(name).weights, arrays):
            np.testing.assert_array_equal(weight.data, array)
    # block1_conv1 computed by hand: kernel[dy, dx, in, out], "same" padding, ReLU
    x = images(1)
    first = models.Model(loaded.input, loaded.get_layer("block1_conv1").output).predict(x, verbose=0)
    kernel, bias = written["block1_conv1"]
    padded = np.pad(x[0].astype(np.float64), ((1, 1), (1, 1), (0, 0)))
    want = np.zeros((32, 32, 64))
    for dy in range(3):
        for dx in range(3):
            want += padded[dy:dy + 32, dx:dx + 32] @ kernel[dy, dx]
    np.testing.assert_allclose(first[0], np.maximum(want + bias, 0), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("name", ["VGG16", "VGG19"])
def test_predictions_match_keras_after_loading_its_saved_weights(tmp_path, name):
    kwargs = {"input_shape": [32, 32, 3], "classes": 10, "classifier_activation": None}
    x = images()
    path, expected, info = keras_application(name, kwargs, x, tmp_path)
    model = getattr(applications, name)(weights=str(path), input_shape=(32, 32, 3), classes=10,
                                        classifier_activation=None)
    # the input layer is named by a per-process counter in both libraries
    assert [layer.name for layer in model.layers][1:] == info["layers"][1:]
    assert model.count_params() == info["params"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_vgg16_notop_matches_keras_after_loading_its_saved_weights(tmp_path):
    x = images(1, 48)
    path, expected, _ = keras_application("VGG16", {"include_top": False, "pooling": "avg"}, x, tmp_path)
    model = VGG16(weights=str(path), include_top=False, pooling="avg")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


# ---------------------------------------------------------------- arguments refused as Keras refuses them

def test_arguments_refused_as_keras_refuses_them(tmp_path):
    with pytest.raises(ValueError, match=r"weights.*Received: weights='imagenett'"):
        VGG16(weights="imagenett")
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        VGG16(weights="imagenet", input_shape=(32, 32, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        VGG16(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        VGG16(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="static `input_shape`"):
        VGG16(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="three integers"):
        VGG19(weights=None, input_shape=(32, 32))
    with pytest.raises(ValueError, match="3 channels"):
        VGG16(weights="imagenet", include_top=False, input_shape=(32, 32, 1))
    with pytest.raises(ValueError, match="classifier_activation"):
        VGG16(weights=str(tmp_path), input_shape=(32, 32, 3), classifier_activation="relu")


def test_corrupt_or_mismatched_weight_files_name_the_layer_and_shapes(tmp_path):
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(ValueError, match="junk.h5.*not an HDF5 file"):
        VGG16(weights=str(tmp_path / "junk.h5"), include_top=False)
    small = VGG16(weights=None, input_shape=(32, 32, 3), classes=10)
    small.save_weights(tmp_path / "ten.h5")
    with pytest.raises(ValueError, match=r"'predictions'.*\(4096, 5\).*\(4096, 10\)"):
        VGG16(weights=str(tmp_path / "ten.h5"), input_shape=(32, 32, 3), classes=5)
    with pytest.raises(ValueError, match=r"fc1.*\(1024, 4096\).*\(512, 4096\)"):
        VGG16(weights=str(tmp_path / "ten.h5"), input_shape=(64, 32, 3), classes=10)
    with pytest.raises(ValueError, match="16 layers.*block5_conv4"):
        VGG19(weights=str(tmp_path / "ten.h5"), input_shape=(32, 32, 3), classes=10)


# ---------------------------------------------------------------- weights="imagenet": the cache and downloads

def test_imagenet_weights_download_once_into_the_models_cache(origin, env, monkeypatch):
    set_random_seed(1)
    source = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    source.save_weights(env / "notop.h5")
    body = (env / "notop.h5").read_bytes()
    name = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
    server = origin({f"/apps/vgg16/{name}": body})
    monkeypatch.setattr(imagenet_utils, "WEIGHTS_BASE_URL", server.url + "/apps/")
    monkeypatch.setattr(vgg16, "WEIGHT_FILES", (vgg16.WEIGHT_FILES[0], (name, hashlib.md5(body).hexdigest())))
    first = VGG16(include_top=False)
    again = VGG16(include_top=False, input_shape=(32, 32, 3))
    assert server.requests == [f"/apps/vgg16/{name}"]
    assert (env / "home" / ".fastnn" / "models" / name).read_bytes() == body
    x = images(1)
    np.testing.assert_array_equal(first.predict(x, verbose=0), source.predict(x, verbose=0))
    np.testing.assert_array_equal(again.predict(x, verbose=0), source.predict(x, verbose=0))


def test_imagenet_weights_offline_say_which_file_to_put_where(env, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "WEIGHTS_BASE_URL", refused_url("/apps/"))
    with pytest.raises(DownloadError) as caught:
        VGG19(include_top=False)
    message = str(caught.value)
    assert "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(env / "home" / ".fastnn" / "models") in message and "253f8cb515780f3b799900260a226db6" in message


# ---------------------------------------------------------------- preprocess_input and decode_predictions

def test_preprocess_input_caffe_mode_flips_to_bgr_and_subtracts_the_means():
    x = images(2, 5)
    want = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)
    np.testing.assert_allclose(vgg16.preprocess_input(x.copy()), want, rtol=1e-6)
    np.testing.assert_allclose(vgg19.preprocess_input(x[0].copy()), want[0], rtol=1e-6)
    first = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(vgg16.preprocess_input(first.copy(), data_format="channels_first"),
                               want.transpose(0, 3, 1, 2), rtol=1e-6)
    np.testing.assert_allclose(vgg16.preprocess_input(first[0].copy(), data_format="channels_first"),
                               want[0].transpose(2, 0, 1), rtol=1e-6)
    as_int = vgg16.preprocess_input(x.astype(np.uint8))
    assert as_int.dtype == np.float32
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="tf"), x / 127.5 - 1, rtol=1e-6)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="torch"),
                               (x / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="data_format"):
        vgg16.preprocess_input(x, data_format="channels_middle")
    with pytest.raises(ValueError, match="3 color channels"):
        vgg16.preprocess_input(np.zeros((2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(x, mode="keras")


@pytest.fixture
def class_index_server(origin, monkeypatch):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    body = json.dumps(index).encode()
    server = origin({"/data/imagenet_class_index.json": body})
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_URL", server.url + "/data/imagenet_class_index.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(body).hexdigest())
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    return server


def test_decode_predictions_reads_the_class_index_through_get_file(class_index_server, env):
    preds = np.random.default_rng(0).random((2, 1000)).astype(np.float32)
    preds[0, 7], preds[1, 999] = 5.0, 4.0
    decoded = vgg16.decode_predictions(preds, top=3)
    assert len(decoded) == 2 and [len(row) for row in decoded] == [3, 3]
    assert decoded[0][0] == ("n00000007", "class_7", np.float32(5.0))
    assert decoded[1][0][:2] == ("n00000999", "class_999")
    for row, pred in zip(decoded, preds):
        assert [score for _, _, score in row] == sorted(pred)[::-1][:3]
    assert vgg19.decode_predictions(preds)[0][0][1] == "class_7"
    assert class_index_server.requests == ["/data/imagenet_class_index.json"]
    assert (env / "home" / ".fastnn" / "models" / "imagenet_class_index.json").is_file()
    with pytest.raises(ValueError, match=r"\(samples, 1000\).*\(2, 10\)"):
        vgg16.decode_predictions(np.zeros((2, 10)))


def test_decode_predictions_refuses_a_file_that_is_not_the_class_index(origin, env, monkeypatch):
    body = b'{"0": ["n0", "zero"]}'
    server = origin({"/idx.json": body})
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_URL", server.url + "/idx.json")
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH", hashlib.md5(body).hexdigest())
    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    with pytest.raises(ValueError, match="lacks the classes 1, 2"):
        vgg16.decode_predictions(np.zeros((1, 1000)))
