"""fastnn.preprocessing.image's file functions (load_img, img_to_array, array_to_img, save_img): Keras's
arguments and results on small files made with Pillow, and clear errors for bad files and arguments."""
import io
import os
import pathlib
import sys

import numpy as np
import pytest

from fastnn.preprocessing import image

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (30, 45, 3)).astype(np.uint8)
    gray = rng.integers(0, 256, (20, 16)).astype(np.uint8)
    paths = {"rgb.png": tmp_path / "rgb.png", "rgb.jpg": tmp_path / "rgb.jpg", "gray.png": tmp_path / "gray.png",
             "rgba.png": tmp_path / "rgba.png"}
    Image.fromarray(rgb).save(paths["rgb.png"])
    Image.fromarray(rgb).save(paths["rgb.jpg"], quality=90)
    Image.fromarray(gray).save(paths["gray.png"])
    Image.fromarray(np.dstack([rgb, np.full((30, 45), 200, np.uint8)])).save(paths["rgba.png"])
    return paths, rgb, gray


def keras_image_utils():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("keras")
    from keras.src.utils import image_utils

    return image_utils


def test_load_img_as_array_keeps_the_pixels(files):
    paths, rgb, gray = files
    np.testing.assert_array_equal(image.img_to_array(image.load_img(paths["rgb.png"])), rgb.astype(np.float32))
    x = image.img_to_array(image.load_img(str(paths["gray.png"]), color_mode="grayscale"))
    assert x.shape == (20, 16, 1) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, :, 0], gray)
    rgba = image.img_to_array(image.load_img(paths["rgba.png"], color_mode="rgba"))
    assert rgba.shape == (30, 45, 4) and np.all(rgba[:, :, 3] == 200)


def test_grayscale_file_asked_as_rgb_gives_three_equal_channels(files):
    paths, _, gray = files
    x = image.img_to_array(image.load_img(paths["gray.png"], color_mode="rgb"))
    assert x.shape == (20, 16, 3)
    for c in range(3):
        np.testing.assert_array_equal(x[:, :, c], gray)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"])
@pytest.mark.parametrize("keep_aspect_ratio", [False, True])
def test_load_img_resizes_like_keras(files, interpolation, keep_aspect_ratio):
    image_utils = keras_image_utils()
    paths, _, _ = files
    for name, mode in (("rgb.jpg", "rgb"), ("gray.png", "grayscale"), ("rgba.png", "rgba")):
        kwargs = dict(color_mode=mode, target_size=(17, 23), interpolation=interpolation,
                      keep_aspect_ratio=keep_aspect_ratio)
        ours = image.img_to_array(image.load_img(paths[name], **kwargs))
        theirs = image_utils.img_to_array(image_utils.load_img(paths[name], **kwargs))
        assert ours.shape == theirs.shape == (17, 23, {"rgb": 3, "grayscale": 1, "rgba": 4}[mode])
        np.testing.assert_array_equal(ours, theirs)


def test_paths_bytes_and_file_objects(files):
    paths, rgb, _ = files
    data = paths["rgb.png"].read_bytes()
    for source in (str(paths["rgb.png"]), pathlib.Path(paths["rgb.png"]), os.fsencode(paths["rgb.png"]),
                   io.BytesIO(data)):
        np.testing.assert_array_equal(np.asarray(image.load_img(source)), rgb)
    with pytest.raises(TypeError, match="file path"):
        image.load_img(12)


def test_array_to_img_and_save_img_round_trip_like_keras(files, tmp_path):
    image_utils = keras_image_utils()
    rng = np.random.default_rng(1)
    for shape in [(8, 9, 3), (8, 9, 1), (8, 9, 4)]:
        for scale, x in ((True, rng.uniform(-3, 5, shape)), (False, rng.uniform(0, 255, shape))):
            ours = np.asarray(image.array_to_img(x.astype(np.float32), scale=scale))
            theirs = np.asarray(image_utils.array_to_img(x.astype(np.float32), scale=scale))
            np.testing.assert_array_equal(ours, theirs)
    # Without scaling, values outside [0, 255] are clipped (NumPy's cast would wrap them around).
    np.testing.assert_array_equal(np.asarray(image.array_to_img(np.array([[[-20.0, 0, 300.0]]]), scale=False)),
                                  [[[0, 0, 255]]])
    x = rng.uniform(0, 255, (10, 12, 3))
    image.save_img(tmp_path / "out.png", x, scale=False)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out.png")), x.astype(np.uint8))
    with pytest.warns(UserWarning, match="alpha"):
        image.save_img(tmp_path / "out.jpg", rng.uniform(0, 255, (10, 12, 4)))
    assert Image.open(tmp_path / "out.jpg").mode == "RGB"
    wide = np.arange(12, dtype=np.float32).reshape(3, 4, 1) * 1000
    assert image.array_to_img(wide, scale=False).mode == "I"


def test_channels_first(files):
    paths, rgb, _ = files
    x = image.img_to_array(image.load_img(paths["rgb.png"]), data_format="channels_first")
    assert x.shape == (3, 30, 45)
    np.testing.assert_array_equal(np.asarray(image.array_to_img(x, data_format="channels_first", scale=False)), rgb)


def test_truncated_and_non_image_files_raise_naming_the_file(tmp_path, files):
    paths, _, _ = files
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(paths["rgb.jpg"].read_bytes()[:300])
    with pytest.raises(ValueError, match="truncated.jpg.*truncated or corrupt"):
        image.load_img(truncated)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match="notes.png.*not an image"):
        image.load_img(text)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.jpg"):
        image.load_img(empty)
    with pytest.raises(FileNotFoundError):
        image.load_img(tmp_path / "missing.png")


@pytest.mark.parametrize("kwargs, match", [
    ({"color_mode": "hsv"}, "color_mode"),
    ({"target_size": (0, 10)}, "target_size must be two positive integers"),
    ({"target_size": (10,)}, "target_size"),
    ({"target_size": (10, 2.5)}, "target_size"),
    ({"interpolation": "cubic"}, "interpolation must be one of"),
])
def test_bad_arguments(files, kwargs, match):
    paths, _, _ = files
    with pytest.raises(ValueError, match=match):
        image.load_img(paths["rgb.png"], **kwargs)


def test_array_to_img_refuses_bad_shapes():
    with pytest.raises(ValueError, match="rank 3"):
        image.array_to_img(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        image.array_to_img(np.zeros((4, 4, 2)))


def test_without_pillow_the_error_names_the_extra(monkeypatch, files):
    paths, _, _ = files
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "fastnn\[image\]"'):
        image.load_img(paths["rgb.png"])
    with pytest.raises(ImportError, match="fastnn.image"):
        image.array_to_img(np.zeros((2, 2, 3)))


def test_importing_fastnn_does_not_import_pillow():
    import subprocess

    code = "import sys, fastnn, fastnn.preprocessing.image, fastnn.utils; print('PIL' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert result.stdout.strip() == "False"
