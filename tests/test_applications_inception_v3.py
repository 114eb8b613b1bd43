"""fastnn.applications.InceptionV3: Keras's layer names, order and parameter count, predictions
equal to Keras's after loading the weights Keras saved (at the smallest input, 75x75), the mixed
blocks by name, pooling and include_top variants, and Keras's refusals."""
import re

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from fastnn import Input, layers
from fastnn.applications import InceptionV3, Xception, imagenet_utils, inception_v3
from fastnn.datasets import DownloadError



from applications_keras import keras_application  # noqa: E402
import test_get_file as _served  # noqa: E402
env, refused_url = _served.env, _served.refused_url

NUMBERED = re.compile(r"^([a-z_0-9]+?[a-z])(?:_(\d+))?$")


def relative_names(names):
    """Layer names with each unnamed kind's per-process counter made relative to its first layer
    in the model ('conv2d_94', 'conv2d_95' -> 'conv2d#0', 'conv2d#1'), the input left out."""
    kinds = ("conv2d", "batch_normalization", "activation", "max_pooling2d", "average_pooling2d", "concatenate",
             "add", "global_average_pooling2d", "global_max_pooling2d")
    first, out = {}, []
    for name in names[1:]:
        match = NUMBERED.match(name)
        if match and match.group(1) in kinds:
            kind, number = match.group(1), int(match.group(2) or 0)
            out.append(f"{kind}#{number - first.setdefault(kind, number)}")
        else:
            out.append(name)
    return out


def test_relative_names_keep_the_numbering_pattern():
    assert relative_names(["input", "conv2d_94", "mixed0", "conv2d_96", "activation"]) == [
        "conv2d#0", "mixed0", "conv2d#2", "activation#0"]


def test_predictions_match_keras_at_the_smallest_input(tmp_path):
    kwargs = {"input_shape": [75, 75, 3], "classes": 5, "classifier_activation": None}
    x = np.random.default_rng(0).uniform(-1, 1, size=(2, 75, 75, 3)).astype(np.float32)
    path, expected, info = keras_application("InceptionV3", kwargs, x, tmp_path)
    model = InceptionV3(weights=str(path), input_shape=(75, 75, 3), classes=5, classifier_activation=None)
    assert relative_names([layer.name for layer in model.layers]) == relative_names(info["layers"])
    assert model.count_params() == info["params"] == 21813029
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_mixed_blocks_by_name_and_pooling_variants():
    model = InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3))
    shapes = {name: model.get_layer(name).output.shape for name in ("mixed2", "mixed3", "mixed4", "mixed5")}
    assert shapes == {"mixed2": (None, 7, 7, 288), "mixed3": (None, 3, 3, 768), "mixed4": (None, 3, 3, 768),
                      "mixed5": (None, 3, 3, 768)}
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.startswith("mixed")] == [f"mixed{i}" for i in range(9)] + [
        "mixed9_0", "mixed9", "mixed9_1", "mixed10"]
    assert names[-1] == "mixed10" and model.output.shape == (None, 1, 1, 2048) and model.name == "inception_v3"
    assert model.count_params() == 21802784 and len(model.layers) == 311
    assert InceptionV3(weights=None, include_top=False, pooling="avg").output.shape == (None, 2048)
    assert InceptionV3(weights=None, include_top=False, pooling="max").input.shape == (None, None, None, 3)
    top = InceptionV3(weights=None, classes=7, name="small")
    assert top.input.shape == (None, 299, 299, 3) and top.output.shape == (None, 7) and top.name == "small"
    assert [layer.name for layer in top.layers][-3:] == ["mixed10", "avg_pool", "predictions"]


def test_input_tensor_starts_the_graph_from_an_existing_tensor():
    inputs = Input((80, 80, 1))
    adapted = layers.Conv2D(3, 1, name="to_rgb")(inputs)
    model = InceptionV3(weights=None, include_top=False, input_tensor=adapted, pooling="avg")
    assert model.input is inputs and model.layers[1].name == "to_rgb" and model.output.shape == (None, 2048)


def test_arguments_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match=r"Received: weights='imagenett'"):
        InceptionV3(weights="imagenett")
    with pytest.raises(ValueError, match="at least 75x75"):
        InceptionV3(weights=None, include_top=False, input_shape=(74, 100, 3))
    with pytest.raises(ValueError, match="should be \\(299, 299, 3\\)"):
        InceptionV3(weights="imagenet", input_shape=(75, 75, 3))
    with pytest.raises(ValueError, match="classes` should be 1000"):
        InceptionV3(weights="imagenet", classes=10)


def test_a_weights_file_of_another_architecture_is_named_in_the_error(tmp_path):
    Xception(weights=None, include_top=False, input_shape=(75, 75, 3)).save_weights(tmp_path / "xception.h5")
    with pytest.raises(ValueError, match=r"xception\.h5.*holds weights for 80 layers.*model 'inception_v3' has 188"):
        InceptionV3(weights=str(tmp_path / "xception.h5"), include_top=False, input_shape=(75, 75, 3))
    (tmp_path / "junk.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(ValueError, match="junk.h5.*not an HDF5 file"):
        InceptionV3(weights=str(tmp_path / "junk.h5"), include_top=False)


def test_imagenet_weights_offline_say_which_file_to_put_where(env, monkeypatch):
    monkeypatch.setattr(imagenet_utils, "WEIGHTS_BASE_URL", refused_url("/apps/"))
    with pytest.raises(DownloadError) as caught:
        InceptionV3(include_top=False)
    message = str(caught.value)
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in message
    assert str(env / "home" / ".fastnn" / "models") in message and "bcbd6486424b2319ff4ef7d526e38f63" in message


def test_preprocess_input_is_tf_mode():
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype=np.float32)
    np.testing.assert_allclose(inception_v3.preprocess_input(x), [[[[-1.0, 0.0, 1.0]]]])
    np.testing.assert_allclose(inception_v3.preprocess_input(np.full((2, 2, 3), 51, np.uint8)), np.full((2, 2, 3), -0.6),
                               rtol=1e-6)
