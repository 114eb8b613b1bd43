"""fastnn.applications.Xception: Keras's layer names, order and parameter count, predictions equal
to Keras's after loading the weights Keras saved (at the smallest input, 71x71, with and without
the top), pooling variants, and Keras's refusals."""
import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from fastnn.applications import InceptionV3, Xception, xception



from applications_keras import keras_application  # noqa: E402
from test_applications_inception_v3 import relative_names


def _images(n, side, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, side, side, 3)).astype(np.float32)


@pytest.mark.parametrize("kwargs", [
    {"input_shape": [71, 71, 3], "classes": 5, "classifier_activation": None},
    {"input_shape": [71, 90, 3], "include_top": False, "pooling": "max"},
])
def test_predictions_match_keras_at_the_smallest_input(tmp_path, kwargs):
    x = np.random.default_rng(1).uniform(-1, 1, size=(2, *kwargs["input_shape"])).astype(np.float32)
    path, expected, info = keras_application("Xception", kwargs, x, tmp_path)
    model = Xception(weights=str(path), **dict(kwargs, input_shape=tuple(kwargs["input_shape"])))
    assert relative_names([layer.name for layer in model.layers]) == relative_names(info["layers"])
    assert model.count_params() == info["params"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_layer_names_and_variants():
    model = Xception(weights=None, include_top=False, input_shape=(71, 71, 3))
    names = [layer.name for layer in model.layers]
    assert names[1:7] == ["block1_conv1", "block1_conv1_bn", "block1_conv1_act", "block1_conv2", "block1_conv2_bn",
                          "block1_conv2_act"]
    assert "block2_sepconv1_act" not in names and "block3_sepconv1_act" in names and "block12_sepconv3_bn" in names
    assert names[-1] == "block14_sepconv2_act" and model.output.shape == (None, 3, 3, 2048)
    assert model.count_params() == 20861480 and model.name == "xception"
    assert model.get_layer("block13_pool").output.shape == (None, 3, 3, 1024)
    assert Xception(weights=None, include_top=False, pooling="avg").output.shape == (None, 2048)
    top = Xception(weights=None, classes=3)
    assert top.input.shape == (None, 299, 299, 3) and top.output.shape == (None, 3)
    assert [layer.name for layer in top.layers][-2:] == ["avg_pool", "predictions"]


def test_arguments_refused_as_keras_refuses_them():
    with pytest.raises(ValueError, match=r"Received: weights='imagenett'"):
        Xception(weights="imagenett")
    with pytest.raises(ValueError, match="at least 71x71"):
        Xception(weights=None, include_top=False, input_shape=(70, 71, 3))
    with pytest.raises(ValueError, match="should be \\(299, 299, 3\\)"):
        Xception(weights="imagenet", input_shape=(71, 71, 3))


def test_a_weights_file_of_another_architecture_is_named_in_the_error(tmp_path):
    InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3)).save_weights(tmp_path / "inception.h5")
    with pytest.raises(ValueError, match=r"inception\.h5.*holds weights for 188 layers.*model 'xception' has 80"):
        Xception(weights=str(tmp_path / "inception.h5"), include_top=False, input_shape=(75, 75, 3))
    other = Xception(weights=None, input_shape=(71, 71, 3), classes=4)
    other.save_weights(tmp_path / "four.h5")
    with pytest.raises(ValueError, match=r"four\.h5.*'predictions'.*\(2048, 6\).*\(2048, 4\)"):
        Xception(weights=str(tmp_path / "four.h5"), input_shape=(71, 71, 3), classes=6)


def test_preprocess_input_is_tf_mode_and_imagenet_files_are_keras_names():
    np.testing.assert_allclose(xception.preprocess_input(np.array([[[0.0, 127.5, 255.0]]])), [[[-1.0, 0.0, 1.0]]])
    assert [name for name, _ in xception.WEIGHT_FILES] == ["xception_weights_tf_dim_ordering_tf_kernels.h5",
                                                          "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"]
