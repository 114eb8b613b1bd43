"""fastnn.applications.ResNet50: Keras's layer names and parameter count, predictions equal to
Keras's after loading the weights Keras saved, and Keras's refusals."""
import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from fastnn.applications import ResNet50, resnet50



from applications_keras import keras_application  # noqa: E402


def test_layer_names_follow_keras():
    model = ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max")
    names = [layer.name for layer in model.layers]
    assert names[1:7] == ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad", "pool1_pool"]
    assert "conv2_block1_0_conv" in names and "conv2_block2_0_conv" not in names
    assert names[-2:] == ["conv5_block3_out", "max_pool"] and model.output.shape == (None, 2048)


def test_predictions_match_keras_after_loading_its_saved_weights(tmp_path):
    kwargs = {"input_shape": [32, 32, 3], "classes": 5, "classifier_activation": None}
    x = np.random.default_rng(0).uniform(-100, 100, size=(2, 32, 32, 3)).astype(np.float32)
    path, expected, info = keras_application("ResNet50", kwargs, x, tmp_path)
    model = ResNet50(weights=str(path), input_shape=(32, 32, 3), classes=5, classifier_activation=None)
    assert [layer.name for layer in model.layers][1:] == info["layers"][1:]
    assert model.count_params() == info["params"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_arguments_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match=r"Received: weights='imagenett'"):
        ResNet50(weights="imagenett")
    with pytest.raises(ValueError, match="at least 32x32"):
        ResNet50(weights=None, include_top=False, input_shape=(31, 40, 3))
    with pytest.raises(ValueError, match="should be \\(224, 224, 3\\)"):
        ResNet50(weights="imagenet", input_shape=(64, 64, 3))


def test_preprocess_input_is_caffe_mode():
    x = np.array([[[[10.0, 20.0, 30.0]]]], dtype=np.float32)
    np.testing.assert_allclose(resnet50.preprocess_input(x), [[[[30 - 103.939, 20 - 116.779, 10 - 123.68]]]], rtol=1e-6)
