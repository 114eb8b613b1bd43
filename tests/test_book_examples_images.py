"""Chapters 5.2, 5.3 and 8.3 as examples/ scripts (cats vs dogs from folders of JPEGs, VGG16's
convolutional base, neural style transfer with VGG19), each run end to end on small generated
pictures, offline, with random or local weight files."""
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("PIL", reason="the scripts read JPEGs through Pillow")
from PIL import Image  # noqa: E402


def _book_examples():
    """tests/test_book_examples.py: its offline environment fixture and its way of running a script."""
    spec = importlib.util.spec_from_file_location("book_examples", Path(__file__).parent / "test_book_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _book_examples()
EXAMPLES, offline_env, run = _shared.EXAMPLES, _shared.offline_env, _shared.run

COMMON = ["--seed", "0", "--threads", "1"]
SHORT = ["--epochs", "1", "--steps-per-epoch", "1", "--validation-steps", "1"]
HAVE_H5PY = importlib.util.find_spec("h5py") is not None


def _succeeded(result):
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def _saved_model(folder, stem):
    """The Keras HDF5 model file the scripts' model.save('<stem>.h5') wrote."""
    path = folder / f"{stem}.h5"
    assert path.exists(), sorted(p.name for p in folder.iterdir())
    return path


def _load_script_module(name):
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EXAMPLES))


# chapter 5.2 -------------------------------------------------------------------------------------
def test_cats_and_dogs_script_runs_on_a_synthetic_kaggle_folder(offline_env, tmp_path):
    pytest.importorskip("h5py", reason="the book saves its models as .h5 files")
    from fastnn import layers
    from fastnn.models import load_model

    result = run("ch5_2_cats_and_dogs.py", COMMON + SHORT + ["--synthetic", "--augmented-epochs", "1",
                                                             "--save-dir", "models", "--plot", "curves.png"],
                 offline_env, tmp_path)
    out = _succeeded(result)
    for line in ("total training cat images: 12", "total validation dog images: 12", "total test cat images: 12",
                 "Found 24 images belonging to 2 classes.", "data batch shape: (20, 150, 150, 3)",
                 "labels batch shape: (20,)", "convnet: final training acc", "augmented convnet with dropout: final"):
        assert line in out, line
    plain = load_model(str(_saved_model(tmp_path / "models", "cats_and_dogs_small_1")))
    augmented = load_model(str(_saved_model(tmp_path / "models", "cats_and_dogs_small_2")))
    assert plain.input_shape == (None, 150, 150, 3) and plain.output_shape == (None, 1)
    assert not any(isinstance(layer, layers.Dropout) for layer in plain.layers)
    assert any(isinstance(layer, layers.Dropout) for layer in augmented.layers)
    for i in range(4):
        with Image.open(tmp_path / f"curves_augmented_{i}.png") as picture:
            assert picture.size == (150, 150)
    # the synthetic pictures and their copies lived in a temporary folder
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith("curves")) == ["models"]
    # chapter 5.4 starts from the model 5.2 saved: load_model('cats_and_dogs_small_2.h5')
    result = run("ch5_4_visualizing_convnets.py", COMMON + ["--synthetic", "--model", "models/cats_and_dogs_small_2.h5",
                                                            "--filters", "1", "--ascent-steps", "1",
                                                            "--output-dir", "pictures"], offline_env, tmp_path)
    out = _succeeded(result)
    assert "first layer activation: (1, 148, 148, 32)" in out and "Grad-CAM heatmap: (15, 15)" in out
    assert "Epoch" not in out  # the loaded model is not trained again


def test_cats_and_dogs_script_copies_a_kaggle_folder_as_listing_5_4_then_reuses_the_copy(offline_env, tmp_path):
    script = _load_script_module("ch5_2_cats_and_dogs")
    original = script.write_kaggle_folder(str(tmp_path), np.random.default_rng(0))
    base = tmp_path / "small"
    flags = COMMON + SHORT + ["--augmented-epochs", "1", "--data-dir", original, "--base-dir", str(base),
                              "--train-count", "4", "--validation-count", "2", "--test-count", "3"]
    out = _succeeded(run("ch5_2_cats_and_dogs.py", flags, offline_env, tmp_path))
    assert "total training cat images: 4" in out and "total test dog images: 3" in out
    assert sorted(p.name for p in (base / "train" / "cats").iterdir()) == [f"cat.{i}.jpg" for i in range(4)]
    assert sorted(p.name for p in (base / "validation" / "dogs").iterdir()) == ["dog.4.jpg", "dog.5.jpg"]
    assert sorted(p.name for p in (base / "test" / "cats").iterdir()) == ["cat.6.jpg", "cat.7.jpg", "cat.8.jpg"]
    assert "Found 8 images belonging to 2 classes." in out

    again = _succeeded(run("ch5_2_cats_and_dogs.py", flags, offline_env, tmp_path))
    assert f"{base} exists: using its train/, validation/ and test/ as they are" in again
    assert "total training cat images" not in again


def test_cats_and_dogs_script_without_pictures_says_what_to_pass(offline_env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("ch5_2_cats_and_dogs.py", ["--data-dir", str(empty), "--base-dir", str(tmp_path / "small")],
                 offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cat.0.jpg" in result.stderr and str(empty) in result.stderr and "--data-dir" in result.stderr
    assert not (tmp_path / "small").exists()

    script = _load_script_module("ch5_2_cats_and_dogs")
    original = script.write_kaggle_folder(str(tmp_path), np.random.default_rng(0))  # 36 of each kind
    result = run("ch5_2_cats_and_dogs.py", ["--data-dir", original, "--base-dir", str(tmp_path / "small"),
                                            "--train-count", "30"], offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "lacks 36 of the 108 pictures to copy (cat.36.jpg, cat.37.jpg, cat.38.jpg, ...)" in result.stderr
    assert not (tmp_path / "small").exists()


# chapter 5.3 -------------------------------------------------------------------------------------
def test_pretrained_convnet_script_runs_with_a_local_weight_file(offline_env, tmp_path):
    pytest.importorskip("h5py", reason="VGG16's weight file and the saved model are HDF5 files")
    from fastnn.applications import VGG16

    weights = str(tmp_path / "vgg16_notop.h5")
    VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).save_weights(weights)
    result = run("ch5_3_pretrained_convnet.py", COMMON + SHORT + [
        "--synthetic", "--weights", weights, "--size", "32", "--fine-tune-epochs", "1", "--test-steps", "1",
        "--save-dir", "models"], offline_env, tmp_path)
    out = _succeeded(result)
    for line in ("Found 24 images belonging to 2 classes.", "features: (24, 512) (24, 512)",
                 "densely connected classifier on the features: final",
                 "trainable weights before freezing the conv base: 30",
                 "trainable weights after freezing the conv base: 4",
                 "frozen VGG16 base with augmentation: final",
                 "trainable weights when fine-tuning from block5_conv1: 10",
                 "fine-tuned from block5_conv1: final", "smoothed validation acc", "test acc: "):
        assert line in out, line
    test_acc = float(re.search(r"test acc: ([0-9.]+)", out).group(1))
    assert 0.0 <= test_acc <= 1.0
    _saved_model(tmp_path / "models", "cats_and_dogs_small_3")


def test_pretrained_convnet_script_with_a_missing_weight_file_or_no_data_says_what_to_pass(offline_env, tmp_path):
    result = run("ch5_3_pretrained_convnet.py", ["--synthetic", "--weights", str(tmp_path / "missing.h5"),
                                                 "--size", "32"], offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing.h5" in result.stderr and "--weights none" in result.stderr

    if HAVE_H5PY:  # a weight file of another model: the file is read and refused, naming the layers
        from fastnn import layers, models

        other = tmp_path / "dense.h5"
        models.Sequential([layers.Dense(2, input_shape=(3,))]).save_weights(str(other))
        result = run("ch5_3_pretrained_convnet.py", ["--synthetic", "--weights", str(other), "--size", "32"],
                     offline_env, tmp_path)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "block5_conv3" in result.stderr and "dense" in result.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("ch5_3_pretrained_convnet.py", ["--data-dir", str(empty), "--weights", "none"],
                 offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(empty) in result.stderr and "cats_and_dogs_small" in result.stderr


# chapter 8.3 -------------------------------------------------------------------------------------
def _losses(out):
    return [float(value) for value in re.findall(r"Current loss value: ([0-9.e+-]+)", out)]


def test_style_transfer_script_runs_on_synthetic_pictures(offline_env, tmp_path):
    pytest.importorskip("scipy")
    result = run("ch8_3_style_transfer.py", COMMON + ["--synthetic", "--weights", "none", "--height", "32",
                                                      "--iterations", "2", "--maxfun", "3"], offline_env, tmp_path)
    out = _succeeded(result)
    assert "Model loaded." in out and "Start of iteration 1" in out
    losses = _losses(out)
    assert len(losses) == 2 and all(np.isfinite(losses)) and losses[1] <= losses[0]
    for i in range(2):
        with Image.open(tmp_path / f"my_result_at_iteration_{i}.png") as picture:
            assert picture.size == (32, 32) and picture.mode == "RGB"


def test_style_transfer_script_keeps_the_targets_proportions_and_reads_a_weight_file(offline_env, tmp_path):
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    target, style = tmp_path / "portrait.jpg", tmp_path / "style.png"
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(target)
    Image.fromarray(rng.integers(0, 256, (50, 50, 3), dtype=np.uint8)).save(style)
    weights = "none"
    if HAVE_H5PY:
        from fastnn.applications import VGG19

        weights = str(tmp_path / "vgg19_notop.h5")
        VGG19(weights=None, include_top=False, input_shape=(32, 32, 3)).save_weights(weights)
    result = run("ch8_3_style_transfer.py", COMMON + [
        "--target", str(target), "--style", str(style), "--weights", weights, "--height", "32",
        "--iterations", "1", "--maxfun", "2", "--result-prefix", str(tmp_path / "styled")], offline_env, tmp_path)
    _succeeded(result)
    with Image.open(tmp_path / "styled_at_iteration_0.png") as picture:
        assert picture.size == (48, 32)


def test_style_transfer_script_without_pictures_says_what_to_pass(offline_env, tmp_path):
    result = run("ch8_3_style_transfer.py", ["--target", str(tmp_path / "nothing.jpg")], offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "nothing.jpg" in result.stderr and "--synthetic" in result.stderr


def test_style_transfer_script_offline_with_imagenet_weights_names_the_file_to_put_where(offline_env, tmp_path):
    pytest.importorskip("scipy")
    result = run("ch8_3_style_transfer.py", ["--synthetic", "--height", "32", "--iterations", "1"],
                 offline_env, tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5" in result.stderr
    assert str(Path(offline_env["HOME"]) / ".fastnn" / "models") in result.stderr
    assert "--weights none" in result.stderr
