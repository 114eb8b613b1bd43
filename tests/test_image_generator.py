"""ImageDataGenerator, its iterators over arrays and folders, and utils.image_dataset_from_directory:
Keras's results where they are deterministic (keras.src.legacy.preprocessing.image on the jax backend),
the Sequence protocol, reproducibility, training a model from a folder, and bad input."""
import os
import threading
import warnings

import numpy as np
import pytest

import fastnn
from fastnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from fastnn.models import Sequential
from fastnn.preprocessing.image import ImageDataGenerator
from fastnn.utils import Sequence, image_dataset_from_directory

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras calls scipy.ndimage.interpolation
pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

AUGMENT = dict(rotation_range=40, width_shift_range=0.2, height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
               horizontal_flip=True, vertical_flip=True)


def keras_image():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("keras")
    from keras.src.legacy.preprocessing import image as keras_legacy_image

    return keras_legacy_image


def make_folder(root, classes=("cats", "dogs"), per_class=7, seed=0, size=None):
    """Class folders of JPEG and PNG files of assorted sizes (one in a nested folder), a grayscale PNG
    and a text file that is not listed."""
    rng = np.random.default_rng(seed)
    for cls in classes:
        os.makedirs(root / cls / "nested", exist_ok=True)
        for i in range(per_class):
            h, w = size or (int(rng.integers(20, 50)), int(rng.integers(20, 50)))
            pixels = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)
            folder = root / cls / "nested" if i == 3 else root / cls
            Image.fromarray(pixels).save(folder / f"{cls}.{i}.{'jpg' if i % 2 else 'png'}")
        (root / cls / "notes.txt").write_text("not an image")
    Image.fromarray(rng.integers(0, 256, (25, 30)).astype(np.uint8)).save(root / classes[0] / "gray.png")
    return root


# ---- single images against Keras ---------------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", ["nearest", "constant", "reflect", "wrap"])
def test_random_transform_with_a_seed_is_kerass_image(fill_mode):
    keras = keras_image()
    x = np.random.default_rng(0).uniform(0, 255, (30, 40, 3)).astype(np.float32)
    ours = ImageDataGenerator(**AUGMENT, fill_mode=fill_mode, cval=3.0)
    theirs = keras.ImageDataGenerator(**AUGMENT, fill_mode=fill_mode, cval=3.0)
    for seed in range(12):
        assert ours.get_random_transform(x.shape, seed) == theirs.get_random_transform(x.shape, seed)
        np.testing.assert_array_equal(ours.random_transform(x, seed), theirs.random_transform(x, seed))


@pytest.mark.parametrize("spec", [2, [1, 3, 5], 5.0, 0.3])
def test_shift_ranges_channel_shift_and_brightness_as_keras(spec):
    keras = keras_image()
    x = np.random.default_rng(1).uniform(0, 255, (21, 17, 3)).astype(np.float32)
    kwargs = dict(width_shift_range=spec, height_shift_range=spec, channel_shift_range=20.0,
                  brightness_range=(0.5, 1.5), fill_mode="reflect")
    ours, theirs = ImageDataGenerator(**kwargs), keras.ImageDataGenerator(**kwargs)
    for seed in range(8):
        assert ours.get_random_transform(x.shape, seed) == theirs.get_random_transform(x.shape, seed)
        np.testing.assert_allclose(ours.random_transform(x, seed), theirs.random_transform(x, seed), atol=1e-3)


def test_apply_transform_with_given_parameters():
    keras = keras_image()
    x = np.random.default_rng(2).uniform(0, 255, (16, 24, 1)).astype(np.float32)
    params = {"theta": 17.0, "tx": 3.0, "ty": -2.5, "shear": 8.0, "zx": 0.9, "zy": 1.2, "flip_horizontal": True}
    for order in (0, 1):
        ours = ImageDataGenerator(fill_mode="wrap", interpolation_order=order)
        theirs = keras.ImageDataGenerator(fill_mode="wrap", interpolation_order=order)
        np.testing.assert_array_equal(ours.apply_transform(x, params), theirs.apply_transform(x, params))
    identity = ImageDataGenerator().apply_transform(x, {})
    assert identity is x


def test_apply_affine_transform_on_any_axes():
    keras = keras_image()
    from fastnn.preprocessing.image import apply_affine_transform

    x = np.random.default_rng(3).uniform(0, 1, (3, 11, 14)).astype(np.float32)
    for axes in [dict(row_axis=1, col_axis=2, channel_axis=0), dict(row_axis=0, col_axis=1, channel_axis=2),
                 dict(row_axis=2, col_axis=1, channel_axis=0)]:
        y = x if axes["channel_axis"] == 0 else np.moveaxis(x, 0, 2)
        kwargs = dict(theta=30, tx=2, ty=1, shear=5, zx=1.1, zy=0.8, fill_mode="constant", cval=0.5, **axes)
        np.testing.assert_array_equal(apply_affine_transform(y, **kwargs),
                                      keras.apply_affine_transform(y, **kwargs))


def test_fit_and_standardize_as_keras():
    keras = keras_image()
    x = np.random.default_rng(4).uniform(0, 255, (12, 6, 5, 3)).astype(np.float32)
    kwargs = dict(featurewise_center=True, featurewise_std_normalization=True, rescale=1 / 255.0)
    ours, theirs = ImageDataGenerator(**kwargs), keras.ImageDataGenerator(**kwargs)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-6)
    np.testing.assert_allclose(ours.std, theirs.std, rtol=1e-6)
    np.testing.assert_allclose(ours.standardize(x[0].copy()), theirs.standardize(x[0].copy()), rtol=1e-5, atol=1e-6)
    zca, keras_zca = ImageDataGenerator(zca_whitening=True), keras.ImageDataGenerator(zca_whitening=True)
    small = x[:, :3, :3]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zca.fit(small)
        keras_zca.fit(small)
    np.testing.assert_allclose(zca.zca_whitening_matrix, keras_zca.zca_whitening_matrix, rtol=1e-4, atol=1e-6)


def test_standardize_without_fit_warns_once():
    gen = ImageDataGenerator(featurewise_center=True)
    x = np.ones((2, 4, 4, 3), np.float32)
    with pytest.warns(UserWarning, match="fit"):
        it = gen.flow(x, batch_size=1, shuffle=False)
        it[0]
        it[1]


# ---- flow ----------------------------------------------------------------------------------------------------
def test_flow_without_augmentation_equals_keras():
    keras = keras_image()
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, (23, 8, 9, 3)).astype(np.uint8)
    y, w = rng.integers(0, 3, 23), rng.uniform(0.5, 2, 23)
    kwargs = dict(rescale=1 / 255.0, samplewise_center=True, samplewise_std_normalization=True)
    ours = ImageDataGenerator(**kwargs).flow(x, y, batch_size=5, shuffle=False, sample_weight=w)
    theirs = keras.ImageDataGenerator(**kwargs).flow(x, y, batch_size=5, shuffle=False, sample_weight=w)
    assert len(ours) == len(theirs) == 5
    for i in range(5):
        for a, b in zip(ours[i], theirs[i]):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_flow_subsets_split_like_keras():
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 1, (20, 4, 4, 1)).astype(np.float32)
    y = np.tile([0, 1], 10)
    gen = ImageDataGenerator(validation_split=0.25)
    assert gen.flow(x, y, subset="validation").n == 5 and gen.flow(x, y, subset="training").n == 15
    with pytest.raises(ValueError, match="different classes"):
        gen.flow(x, np.repeat([0, 1], 10), subset="training")
    with pytest.raises(ValueError, match="subset"):
        gen.flow(x, y, subset="test")


def test_augmented_batches_are_reproducible_and_independent_of_call_order():
    x = np.random.default_rng(7).integers(0, 256, (40, 12, 10, 3)).astype(np.uint8)
    a = ImageDataGenerator(**AUGMENT, rescale=1 / 255.0).flow(x, batch_size=8, seed=11)
    b = ImageDataGenerator(**AUGMENT, rescale=1 / 255.0).flow(x, batch_size=8, seed=11)
    forward = [a[i] for i in range(len(a))]
    backward = [b[i] for i in reversed(range(len(b)))][::-1]
    for p, q in zip(forward, backward):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(forward[0], forward[1])
    a.on_epoch_end()
    assert not np.array_equal(a[0], forward[0])  # a new pass: a new shuffle and new transforms
    fastnn.utils.set_random_seed(3)
    c = ImageDataGenerator(**AUGMENT).flow(x, batch_size=8)
    fastnn.utils.set_random_seed(3)
    d = ImageDataGenerator(**AUGMENT).flow(x, batch_size=8)
    np.testing.assert_array_equal(c[2], d[2])


def test_next_loops_forever_over_passes():
    x = np.arange(10 * 2 * 2 * 1, dtype=np.float32).reshape(10, 2, 2, 1)
    it = ImageDataGenerator().flow(x, np.arange(10), batch_size=4, shuffle=False)
    sizes = [len(next(it)[1]) for _ in range(7)]
    assert sizes == [4, 4, 2, 4, 4, 2, 4]
    assert iter(it) is it
    first = it[0]
    np.testing.assert_array_equal(first[1], [0, 1, 2, 3])
    with pytest.raises(ValueError, match="length 3"):
        it[3]


# ---- flow_from_directory -----------------------------------------------------------------------------------
@pytest.mark.parametrize("class_mode", ["categorical", "binary", "sparse", "input", None])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale", "rgba"])
def test_flow_from_directory_equals_keras(tmp_path, class_mode, color_mode, capsys):
    keras = keras_image()
    root = make_folder(tmp_path)
    kwargs = dict(target_size=(24, 32), batch_size=5, shuffle=False, class_mode=class_mode, color_mode=color_mode)
    ours = ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(root, **kwargs)
    assert "Found 15 images belonging to 2 classes." in capsys.readouterr().out
    theirs = keras.ImageDataGenerator(rescale=1 / 255.0).flow_from_directory(root, **kwargs)
    assert ours.filenames == theirs.filenames
    assert ours.class_indices == theirs.class_indices == {"cats": 0, "dogs": 1}
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    assert (ours.samples, ours.n, ours.batch_size, len(ours)) == (theirs.samples, theirs.n, 5, len(theirs))
    assert ours.filepaths == theirs.filepaths
    for i in range(len(ours)):
        a, b = ours[i], theirs[i]
        a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
        for p, q in zip(a, b):
            assert p.dtype == q.dtype and p.shape == q.shape
            np.testing.assert_allclose(p, q, atol=1e-6)


def test_flow_from_directory_subsets_classes_and_augmentation(tmp_path):
    keras = keras_image()
    root = make_folder(tmp_path, classes=("a", "b", "c"), per_class=10)
    for subset in ("training", "validation"):
        ours = ImageDataGenerator(validation_split=0.3).flow_from_directory(root, subset=subset, target_size=(8, 8))
        theirs = keras.ImageDataGenerator(validation_split=0.3).flow_from_directory(root, subset=subset,
                                                                                    target_size=(8, 8))
        assert ours.filenames == theirs.filenames
    picked = ImageDataGenerator().flow_from_directory(root, classes=["c", "a"], target_size=(8, 8))
    assert picked.class_indices == {"c": 0, "a": 1} and picked.samples == 21
    augmented = ImageDataGenerator(**AUGMENT, rescale=1 / 255.0).flow_from_directory(
        root, target_size=(16, 16), batch_size=6, seed=2, class_mode="sparse")
    x, y = augmented[0]
    assert x.shape == (6, 16, 16, 3) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.dtype == np.float32 and set(y) <= {0.0, 1.0, 2.0}


def test_save_to_dir_writes_the_batch(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    out = tmp_path / "seen"
    out.mkdir()
    it = ImageDataGenerator(**AUGMENT).flow_from_directory(root, target_size=(10, 10), batch_size=4,
                                                           save_to_dir=str(out), save_prefix="aug")
    it[0]
    saved = sorted(os.listdir(out))
    assert len(saved) == 4 and all(name.startswith("aug_") and name.endswith(".png") for name in saved)


def test_a_model_trains_from_a_folder(tmp_path):
    """Two classes a small convnet tells apart (bright and dark images), fed by flow_from_directory with
    augmentation through fit's background loader."""
    rng = np.random.default_rng(8)
    for cls, level in (("dark", 60), ("bright", 190)):
        (tmp_path / cls).mkdir()
        for i in range(24):
            pixels = np.clip(rng.normal(level, 30, (20, 20, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / cls / f"{i}.jpg")
    fastnn.utils.set_random_seed(0)
    gen = ImageDataGenerator(rescale=1 / 255.0, rotation_range=20, horizontal_flip=True, zoom_range=0.1)
    train = gen.flow_from_directory(tmp_path, target_size=(16, 16), batch_size=8, class_mode="binary", seed=1)
    model = Sequential([Conv2D(4, (3, 3), activation="relu", input_shape=(16, 16, 3)), MaxPooling2D((2, 2)),
                        Flatten(), Dense(1, activation="sigmoid")])
    model.compile(optimizer=fastnn.optimizers.RMSprop(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] >= 0.9
    assert [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")] == []


# ---- bad input -----------------------------------------------------------------------------------------------
def test_empty_folder_and_empty_class_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="found no images in .*empty"):
        ImageDataGenerator().flow_from_directory(tmp_path / "empty")
    assert "Found 0 images belonging to 0 classes." in capsys.readouterr().out
    root = make_folder(tmp_path / "data", per_class=2)
    (root / "birds").mkdir()
    with pytest.warns(UserWarning, match="birds.*holds no image files"):
        it = ImageDataGenerator().flow_from_directory(root, target_size=(8, 8))
    assert it.class_indices == {"birds": 0, "cats": 1, "dogs": 2} and it.samples == 5


def test_truncated_and_non_image_files_raise_naming_the_file(tmp_path):
    root = make_folder(tmp_path, per_class=2)
    good = (root / "cats" / "cats.1.jpg").read_bytes()
    (root / "cats" / "broken.jpg").write_bytes(good[:200])
    (root / "dogs" / "fake.png").write_text("plain text")
    it = ImageDataGenerator().flow_from_directory(root, target_size=(8, 8), batch_size=1, shuffle=False)
    names = it.filenames
    with pytest.raises(ValueError, match="broken.jpg"):
        it[names.index(os.path.join("cats", "broken.jpg"))]
    with pytest.raises(ValueError, match="fake.png.*not an image"):
        it[names.index(os.path.join("dogs", "fake.png"))]
    model = Sequential([Flatten(input_shape=(8, 8, 3)), Dense(2, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    with pytest.raises(ValueError, match="broken.jpg") as caught:
        model.fit(it, epochs=1, verbose=0)
    assert any("load_img" in str(entry.name) or "open_image" in str(entry.name) for entry in caught.traceback)
    assert [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")] == []


@pytest.mark.parametrize("kwargs, error, match", [
    ({"class_mode": "multiclass"}, ValueError, "Invalid class_mode"),
    ({"target_size": (0, 10)}, ValueError, "target_size"),
    ({"target_size": 32}, ValueError, "target_size"),
    ({"color_mode": "cmyk"}, ValueError, "color_mode"),
    ({"interpolation": "spline"}, ValueError, "interpolation"),
    ({"classes": ["cats", "horses"]}, ValueError, "horses"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"subset": "training"}, ValueError, "validation_split"),
])
def test_bad_flow_from_directory_arguments(tmp_path, kwargs, error, match):
    root = make_folder(tmp_path, per_class=1)
    with pytest.raises(error, match=match):
        ImageDataGenerator().flow_from_directory(root, **kwargs)


def test_missing_directory():
    with pytest.raises(FileNotFoundError, match="no/such/folder"):
        ImageDataGenerator().flow_from_directory("no/such/folder")


@pytest.mark.parametrize("kwargs, match", [
    ({"zoom_range": (0.5,)}, "zoom_range"), ({"brightness_range": 0.5}, "brightness_range"),
    ({"fill_mode": "mirror"}, "fill_mode"), ({"interpolation_order": 3}, "interpolation_order"),
    ({"validation_split": 1.5}, "validation_split"), ({"data_format": "channels_first"}, "channels_last"),
    ({"dtype": "int32"}, "dtype"), ({"width_shift_range": "wide"}, "width_shift_range"),
])
def test_bad_generator_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ImageDataGenerator(**kwargs)


def test_bad_flow_arguments():
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match="rank 4"):
        gen.flow(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="same length"):
        gen.flow(np.zeros((3, 4, 4, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="no images"):
        gen.flow(np.zeros((0, 4, 4, 1)))


# ---- image_dataset_from_directory --------------------------------------------------------------------------
def test_image_dataset_lists_shuffles_and_splits_files_as_keras(tmp_path, capsys):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    pytest.importorskip("keras")
    from keras.src.utils import dataset_utils

    root = make_folder(tmp_path, classes=("x", "y", "z"), per_class=6)
    paths, labels, names = dataset_utils.index_directory(str(root), "inferred", formats=(
        ".bmp", ".gif", ".jpeg", ".jpg", ".png"), shuffle=True, seed=9)
    train = image_dataset_from_directory(str(root), validation_split=0.25, subset="training", seed=9,
                                         image_size=(12, 10), batch_size=4)
    assert "Found 19 files belonging to 3 classes." in capsys.readouterr().out
    keras_train, keras_labels = dataset_utils.get_training_or_validation_split(paths, labels, 0.25, "training")
    assert train.file_paths == keras_train and train.class_names == names == ["x", "y", "z"]
    np.testing.assert_array_equal(train.labels, keras_labels)
    x, y = train[0]
    assert x.shape == (4, 12, 10, 3) and x.dtype == np.float32 and x.max() > 1 and y.dtype == np.int32
    both = image_dataset_from_directory(str(root), validation_split=0.25, subset="both", seed=9, image_size=(8, 8))
    assert both[0].file_paths == keras_train and len(both[1].file_paths) == 4


def test_image_dataset_label_modes_and_training(tmp_path):
    root = make_folder(tmp_path, per_class=5)
    categorical = image_dataset_from_directory(root, label_mode="categorical", image_size=(8, 8), batch_size=3,
                                               shuffle=False)
    x, y = categorical[0]
    assert y.shape == (3, 2) and y.dtype == np.float32 and np.all(y.sum(axis=1) == 1)
    binary = image_dataset_from_directory(root, label_mode="binary", image_size=(8, 8), shuffle=False)
    assert binary[0][1].shape == (11, 1)
    images_only = image_dataset_from_directory(root, labels=None, image_size=(8, 8))
    assert isinstance(images_only[0], np.ndarray)
    cropped = image_dataset_from_directory(root, image_size=(6, 9), crop_to_aspect_ratio=True)
    padded = image_dataset_from_directory(root, image_size=(6, 9), pad_to_aspect_ratio=True)
    assert cropped[0][0].shape[1:] == padded[0][0].shape[1:] == (6, 9, 3)
    assert isinstance(categorical, Sequence) and len(categorical) == 4
    model = Sequential([Flatten(input_shape=(8, 8, 3)), Dense(2, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    model.fit(categorical, epochs=2, verbose=0)
    assert model.predict(categorical, verbose=0).shape == (11, 2)


@pytest.mark.parametrize("kwargs, match", [
    ({"label_mode": "sparse"}, "label_mode"), ({"validation_split": 0.2}, "subset"),
    ({"validation_split": 0.2, "subset": "training"}, "seed"), ({"image_size": (0, 3)}, "image_size"),
    ({"interpolation": "gaussian"}, "gaussian"), ({"class_names": ["cats", "cows"]}, "cows"),
    ({"label_mode": "binary", "class_names": ["cats"]}, "exactly 2"),
])
def test_image_dataset_bad_arguments(tmp_path, kwargs, match):
    root = make_folder(tmp_path, per_class=2)
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(root, **kwargs)


def test_image_dataset_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="found no image files"):
        image_dataset_from_directory(tmp_path)
