"""fastnn.applications.MobileNet: Keras's layer names and parameter count, predictions equal to
Keras's after loading the weights Keras saved, alpha / depth_multiplier, and Keras's refusals."""
import re

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from fastnn.applications import MobileNet, mobilenet



from applications_keras import keras_application  # noqa: E402


def _fixed_names(names):
    return [re.sub(r"_\d+$", "", n) if n.startswith("global_") else n for n in names[1:]]


def _images(n=2, side=32, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, side, side, 3)).astype(np.float32)


def test_layer_names_follow_keras():
    model = MobileNet(weights=None, input_shape=(32, 32, 3), classes=7)
    names = [layer.name for layer in model.layers]
    assert names[1:4] == ["conv1", "conv1_bn", "conv1_relu"]
    assert names[4:10] == ["conv_dw_1", "conv_dw_1_bn", "conv_dw_1_relu", "conv_pw_1", "conv_pw_1_bn", "conv_pw_1_relu"]
    assert "conv_pad_2" in names and "conv_pad_3" not in names
    assert names[-4:] == ["dropout", "conv_preds", "reshape_2", "predictions"]
    assert model.name == "mobilenet_1.00_32" and model.output.shape == (None, 7)


@pytest.mark.parametrize("kwargs", [
    {"input_shape": [32, 32, 3], "classes": 5, "classifier_activation": None},
    {"input_shape": [33, 35, 3], "include_top": False, "pooling": "avg", "alpha": 0.25, "depth_multiplier": 2},
])
def test_predictions_match_keras_after_loading_its_saved_weights(tmp_path, kwargs):
    x = _images(2, 32) if kwargs["input_shape"][0] == 32 else \
        np.random.default_rng(1).uniform(-1, 1, size=(2, 33, 35, 3)).astype(np.float32)
    path, expected, info = keras_application("MobileNet", kwargs, x, tmp_path)
    model = MobileNet(weights=str(path), **dict(kwargs, input_shape=tuple(kwargs["input_shape"])))
    # the input and the pooling layers are named by per-process counters in both libraries
    assert _fixed_names([layer.name for layer in model.layers]) == _fixed_names(info["layers"])
    assert model.count_params() == info["params"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_arguments_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match=r"Received: weights='imagenett'"):
        MobileNet(weights="imagenett")
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha can be one of"):
        MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="at least 32x32"):
        MobileNet(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        MobileNet(weights="imagenet", input_shape=(32, 32, 3))


def test_preprocess_input_scales_to_minus_one_one():
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype=np.float32)
    np.testing.assert_allclose(mobilenet.preprocess_input(x), [[[[-1.0, 0.0, 1.0]]]])
