"""Bad image input ends in a clear exception (or, where Keras goes on, a warning) naming the file,
folder, argument or layer: image folders, load_img, ImageDataGenerator's ranges, application
weight files, and a loader failing inside fit, which leaves no thread behind.

What a folder tree may hold, as Keras treats it: files whose extension is not an image format are
left out of the listing; a class folder without images is a class with no samples (a warning
names it); a tree without any image is an error; a listed file that Pillow cannot decode (not an
image, or truncated) is an error naming the file when its batch is loaded.
"""
import threading
import time
import warnings

import numpy as np
import pytest

from fastnn import layers, models
from fastnn.applications import VGG16, MobileNet

PIL = pytest.importorskip("PIL.Image")
h5py = pytest.importorskip("h5py")
from fastnn.preprocessing.image import ImageDataGenerator, load_img  # noqa: E402
from fastnn.utils import image_dataset_from_directory  # noqa: E402

SIZE = 8


def write_image(path, mode="RGB", size=12, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    PIL.fromarray(pixels if mode == "RGB" else pixels[:, :, 0], mode).save(path)


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("trees")
    (root / "empty").mkdir()
    (root / "only_text" / "cats").mkdir(parents=True)
    (root / "only_text" / "cats" / "notes.txt").write_text("no image here")
    write_image(root / "flat" / "a.jpg")
    write_image(root / "flat" / "b.jpg")
    for i in range(3):
        write_image(root / "empty_class" / "cats" / f"{i}.jpg", seed=i)
    (root / "empty_class" / "dogs").mkdir()
    for name in ("cats", "dogs"):
        for i in range(3):
            write_image(root / "mixed" / name / f"{i}.png", seed=i)
    (root / "mixed" / "dogs" / "readme.txt").write_text("left out: not an image extension")
    (root / "mixed" / "dogs" / "labels.csv").write_text("a,b")
    for name in ("cats", "dogs"):
        for i in range(3):
            write_image(root / "fake" / name / f"{i}.jpg", seed=i)
    (root / "fake" / "dogs" / "9.jpg").write_text("this is text, not a JPEG")
    for name in ("cats", "dogs"):
        for i in range(3):
            write_image(root / "truncated" / name / f"{i}.jpg", size=64, seed=i)
    whole = (root / "truncated" / "dogs" / "1.jpg").read_bytes()
    (root / "truncated" / "dogs" / "1.jpg").write_bytes(whole[:len(whole) // 2])
    write_image(root / "gray" / "cats" / "g.png", mode="L")
    write_image(root / "gray" / "dogs" / "g.jpg", mode="L", seed=1)
    return root


def flow(folder, **kwargs):
    kwargs.setdefault("target_size", (SIZE, SIZE))
    kwargs.setdefault("shuffle", False)
    return ImageDataGenerator(rescale=1 / 255).flow_from_directory(folder, batch_size=2, **kwargs)


def dataset(folder, **kwargs):
    kwargs.setdefault("image_size", (SIZE, SIZE))
    return image_dataset_from_directory(folder, batch_size=2, shuffle=False, **kwargs)


LOADERS = {"flow_from_directory": flow, "image_dataset_from_directory": dataset}


def every_batch(loader):
    return [loader[i] for i in range(len(loader))]


def loader_threads():
    time.sleep(0.02)  # a joined thread may still be listed for an instant on some platforms
    return [t.name for t in threading.enumerate() if t.name.startswith("fastnn-batches")]


# ---------------------------------------------------------------------------------- folder trees
@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("tree, match", [
    ("empty", r"found no (images|image files) in '.*empty': it needs one subfolder per class holding image files"),
    ("only_text", r"found no .* in '.*only_text'.*; it holds 1 other file, left out: 'cats/notes.txt'"),
    ("flat", r"found no .* in '.*flat'.*; the 2 image files directly in it \('a.jpg', ...\) belong in class "
             r"subfolders"),
])
def test_a_tree_without_images_is_an_error_naming_the_folder(trees, loader, tree, match, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=match):
            LOADERS[loader](trees / tree)
    assert "Found 0 " in capsys.readouterr().out


def test_an_unlabelled_tree_without_images_is_an_error_naming_the_folder(trees, capsys):
    with pytest.raises(ValueError, match=r"found no image files \(.bmp, .*\) in '.*only_text' or below it; it holds "
                                         r"1 other file, left out: 'cats/notes.txt'"):
        dataset(trees / "only_text", labels=None)
    assert "Found 0 files." in capsys.readouterr().out
    assert len(dataset(trees / "flat", labels=None).file_paths) == 2  # unlabelled: images anywhere count


@pytest.mark.parametrize("loader", LOADERS)
def test_a_missing_folder_is_named(trees, loader):
    with pytest.raises(FileNotFoundError, match=r"No such directory: '.*no_such_folder'"):
        LOADERS[loader](trees / "no_such_folder")


@pytest.mark.parametrize("loader", LOADERS)
def test_an_empty_class_folder_is_a_class_without_samples_and_a_warning_naming_it(trees, loader):
    with pytest.warns(UserWarning, match=r"class folder '.*empty_class/dogs' holds no image files"):
        data = LOADERS[loader](trees / "empty_class")
    names = data.class_indices if loader == "flow_from_directory" else data.class_names
    assert list(names) == ["cats", "dogs"]
    images = np.concatenate([batch[0] for batch in every_batch(data)])
    assert images.shape == (3, SIZE, SIZE, 3)


@pytest.mark.parametrize("loader", LOADERS)
def test_files_of_other_extensions_are_left_out_silently(trees, loader):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = LOADERS[loader](trees / "mixed")
    paths = data.filepaths if loader == "flow_from_directory" else data.file_paths
    assert len(paths) == 6 and not any(p.endswith((".txt", ".csv")) for p in paths)
    assert sum(len(batch[0]) for batch in every_batch(data)) == 6


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("tree, match", [
    ("fake", r"'.*fake/dogs/9.jpg' is not an image file Pillow can read"),
    ("truncated", r"'.*truncated/dogs/1.jpg' could not be decoded \(.*\); the file is truncated or corrupt"),
])
def test_an_unreadable_listed_file_is_an_error_naming_it_when_loaded(trees, loader, tree, match):
    data = LOADERS[loader](trees / tree)  # listing succeeds: the file has an image extension
    with pytest.raises(ValueError, match=match):
        every_batch(data)
    if loader == "flow_from_directory":
        with pytest.raises(ValueError, match=match):
            for _ in range(len(data)):
                next(data)


@pytest.mark.parametrize("loader", LOADERS)
def test_grayscale_files_asked_as_rgb_are_converted(trees, loader):
    data = LOADERS[loader](trees / "gray", color_mode="rgb")
    images = np.concatenate([batch[0] for batch in every_batch(data)])
    assert images.shape == (2, SIZE, SIZE, 3)
    np.testing.assert_array_equal(images[..., 0], images[..., 1])
    np.testing.assert_array_equal(images[..., 0], images[..., 2])
    gray = LOADERS[loader](trees / "gray", color_mode="grayscale")
    gray_images = np.concatenate([batch[0] for batch in every_batch(gray)])
    assert gray_images.shape == (2, SIZE, SIZE, 1)
    np.testing.assert_allclose(gray_images[..., 0], images[..., 0], atol=1e-6)


def test_load_img_converts_grayscale_to_rgb_and_back(trees):
    rgb = np.asarray(load_img(trees / "gray" / "cats" / "g.png"))
    gray = np.asarray(load_img(trees / "gray" / "cats" / "g.png", color_mode="grayscale"))
    assert rgb.shape == (12, 12, 3) and gray.shape == (12, 12)
    for channel in range(3):
        np.testing.assert_array_equal(rgb[..., channel], gray)
    assert np.asarray(load_img(trees / "mixed" / "cats" / "0.png", color_mode="rgba")).shape == (12, 12, 4)


# ---------------------------------------------------------------------------------- arguments
BAD_SIZES = [(0, SIZE), (SIZE, 0), (-1, SIZE), (SIZE,), (SIZE, SIZE, 3), (8.0, SIZE), "8x8"]


@pytest.mark.parametrize("size", BAD_SIZES, ids=map(repr, BAD_SIZES))
def test_bad_target_sizes_are_refused(trees, size):
    fragment = r"must be two positive integers \(height, width\). Received: %s="
    with pytest.raises(ValueError, match=fragment % "target_size"):
        flow(trees / "mixed", target_size=size)
    with pytest.raises(ValueError, match=fragment % "image_size"):
        dataset(trees / "mixed", image_size=size)
    with pytest.raises(ValueError, match=fragment % "target_size"):
        load_img(trees / "mixed" / "cats" / "0.png", target_size=size)


@pytest.mark.parametrize("call, match", [
    (lambda t: flow(t, class_mode="onehot"), r"Invalid class_mode: 'onehot'; expected one of: 'categorical', "
                                             r"'binary', 'sparse', 'input', None"),
    (lambda t: flow(t, color_mode="RGB"), r'color_mode must be "grayscale", "rgb" or "rgba". Received: '
                                          r"color_mode='RGB'"),
    (lambda t: flow(t, interpolation="cubic"), r"interpolation must be one of nearest, bilinear, .* Received: "
                                               r"interpolation='cubic'"),
    (lambda t: flow(t, subset="testing"), r"Invalid subset name: 'testing'"),
    (lambda t: dataset(t, label_mode="onehot"), r'label_mode must be "int", "categorical", "binary" or None. '
                                                r"Received: label_mode='onehot'"),
    (lambda t: dataset(t, color_mode="bgr"), r"color_mode must be .* Received: color_mode='bgr'"),
    (lambda t: dataset(t, interpolation="cubic"), r"interpolation must be one of bilinear, .* Received: 'cubic'"),
    (lambda t: load_img(t / "cats" / "0.png", color_mode="cmyk"), r"Received: color_mode='cmyk'"),
    (lambda t: load_img(t / "cats" / "0.png", interpolation="area"), r"Received: interpolation='area'"),
], ids=["class_mode", "color_mode", "interpolation", "subset", "label_mode", "dataset color_mode",
        "dataset interpolation", "load_img color_mode", "load_img interpolation"])
def test_unknown_modes_are_refused_with_the_known_ones(trees, call, match):
    with pytest.raises(ValueError, match=match):
        call(trees / "mixed")


def test_load_img_names_a_missing_path_or_a_folder(trees):
    with pytest.raises(FileNotFoundError, match=r"No such file or directory: '.*missing.jpg'"):
        load_img(trees / "missing.jpg")
    with pytest.raises(FileNotFoundError, match=r"'.*missing.jpg'"):
        load_img(str(trees / "missing.jpg"))
    with pytest.raises(IsADirectoryError, match=r"'.*mixed'"):
        load_img(trees / "mixed")
    with pytest.raises(TypeError, match=r"path must be a file path or a binary file object. Received: int"):
        load_img(3)


BAD_GENERATORS = [
    (dict(rotation_range=-10), r"rotation_range must be a finite number >= 0 \(the angles \(degrees\) are drawn "
                               r"from \[-rotation_range, rotation_range\]\). Received: rotation_range=-10"),
    (dict(rotation_range=float("nan")), r"rotation_range must be a finite number >= 0"),
    (dict(rotation_range="10"), r"rotation_range must be a number. Received: rotation_range='10'"),
    (dict(shear_range=-5), r"shear_range must be a finite number >= 0"),
    (dict(channel_shift_range=-1.0), r"channel_shift_range must be a finite number >= 0"),
    (dict(width_shift_range=-0.2), r"width_shift_range must be a finite number >= 0"),
    (dict(height_shift_range=-3), r"height_shift_range must be a finite number >= 0"),
    (dict(height_shift_range=[]), r"height_shift_range must be a float, an int or a list of numbers"),
    (dict(width_shift_range=[1, float("inf")]), r"width_shift_range must hold finite numbers"),
    (dict(zoom_range=[0.5]), r"zoom_range must be a tuple or list of two floats. Received: zoom_range=\[0.5\]"),
    (dict(zoom_range=[0.5, 1.0, 1.5]), r"zoom_range must be a tuple or list of two floats"),
    (dict(zoom_range="0.2"), r"zoom_range must be a tuple or list of two floats"),
    (dict(zoom_range=-0.2), r"zoom_range as a float must be in \[0, 1\).*Received: zoom_range=-0.2"),
    (dict(zoom_range=1.5), r"zoom_range as a float must be in \[0, 1\)"),
    (dict(zoom_range=[0.0, 1.2]), r"zoom_range must be two finite factors > 0 \[lower, upper\]"),
    (dict(brightness_range=0.5), r"brightness_range must be a tuple or list of two floats. Received: "
                                 r"brightness_range=0.5"),
    (dict(brightness_range=[0.8]), r"brightness_range must be a tuple or list of two floats"),
    (dict(brightness_range=[-0.5, 1.0]), r"brightness_range must be two finite factors >= 0"),
    (dict(brightness_range=(0.5, float("nan"))), r"brightness_range must be two finite factors >= 0"),
    (dict(rescale="1/255"), r"rescale must be a finite number or None. Received: rescale='1/255'"),
    (dict(fill_mode="mirror"), r'fill_mode must be "nearest", "constant", "reflect" or "wrap"'),
    (dict(validation_split=1.5), r"validation_split must be strictly between 0 and 1"),
]


@pytest.mark.parametrize("kwargs, match", BAD_GENERATORS, ids=[repr(k) for k, _ in BAD_GENERATORS])
def test_image_data_generator_refuses_invalid_ranges(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ImageDataGenerator(**kwargs)


def test_valid_ranges_keep_working():
    x = np.random.default_rng(0).uniform(0, 255, (4, SIZE, SIZE, 3)).astype(np.float32)
    for kwargs in (dict(rotation_range=0), dict(zoom_range=0.0), dict(zoom_range=[1.2, 0.8]),
                   dict(brightness_range=[0.0, 1.5]), dict(width_shift_range=[-2, 2]), dict(rescale=np.float32(0.5))):
        batch = ImageDataGenerator(**kwargs).flow(x, batch_size=4, shuffle=False, seed=1)[0]
        assert batch.shape == x.shape and np.isfinite(batch).all(), kwargs


# ---------------------------------------------------------------------------------- application weights
@pytest.fixture(scope="module")
def vgg_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "vgg16_notop.h5"
    VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).save_weights(path)
    return path


def published_layout(path, model, layer_name, index, shape_of):
    """Keras's published weight-file layout, one weight of one layer written with another shape (the
    values are the datasets' fill value, zeros: nothing but the shapes matters here)."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([layer.name.encode() for layer in model.layers])
        f.attrs["backend"], f.attrs["keras_version"] = b"tensorflow", b"2.2.4"
        for layer in model.layers:
            names = [f"{layer.name}_{'W' if i == 0 else 'b'}_1:0" for i in range(len(layer.weights))]
            group = f.create_group(layer.name)
            width = max(map(len, names), default=1)
            group.attrs["weight_names"] = np.array([n.encode() for n in names], dtype=f"S{width}")
            for i, (name, weight) in enumerate(zip(names, layer.weights)):
                shape = shape_of(weight.data.shape) if (layer.name, i) == (layer_name, index) else weight.data.shape
                group.create_dataset(name, shape=shape, dtype=np.float32)
    return path


def notop(path):
    return VGG16(weights=str(path), include_top=False, input_shape=(32, 32, 3))


def test_corrupt_weight_files_are_named(vgg_file, tmp_path):
    whole = vgg_file.read_bytes()
    (tmp_path / "cut.h5").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ValueError, match=r"'.*cut.h5' is not an HDF5 file: .*truncated file"):
        notop(tmp_path / "cut.h5")
    (tmp_path / "empty.h5").write_bytes(b"")
    with pytest.raises(ValueError, match=r"'.*empty.h5' is not an HDF5 file"):
        notop(tmp_path / "empty.h5")
    with h5py.File(tmp_path / "bare.h5", "w") as f:
        f.create_dataset("x", data=np.ones(3))
    with pytest.raises(ValueError, match=r"'.*bare.h5' is not a Keras weights file: it has no 'layer_names'"):
        notop(tmp_path / "bare.h5")
    with pytest.raises(ValueError, match=r"path to the weights file to be loaded; there is no file at '.*absent.h5'"):
        notop(tmp_path / "absent.h5")


@pytest.mark.parametrize("layer_name, index, shape_of, match", [
    ("block3_conv2", 0, lambda s: s[:3] + (s[3] // 2,),
     r"weight 'kernel' of layer 'block3_conv2' has shape \(3, 3, 256, 256\) in the model but \(3, 3, 256, 128\)"),
    ("block1_conv1", 1, lambda s: (s[0] + 1,),
     r"weight 'bias' of layer 'block1_conv1' has shape \(64,\) in the model but \(65,\) in the file"),
    ("block2_conv1", 0, lambda s: (s[3], s[2], s[0], s[1]),
     r"weight 'kernel' of layer 'block2_conv1' has shape \(3, 3, 64, 128\) in the model but \(128, 64, 3, 3\)"),
], ids=["kernel", "bias", "channels-first kernel"])
def test_a_mismatched_weight_names_the_file_the_layer_and_both_shapes(tmp_path, layer_name, index, shape_of, match):
    model = VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    before = [w.copy() for w in model.get_weights()]
    path = published_layout(tmp_path / "published.h5", model, layer_name, index, shape_of)
    with pytest.raises(ValueError, match=r"'.*published.h5': " + match):
        notop(path)
    with pytest.raises(ValueError, match=match):
        model.load_weights(str(path))
    for a, b in zip(before, model.get_weights()):  # nothing was assigned
        np.testing.assert_array_equal(a, b)


def test_weights_of_another_architecture_or_width_are_refused(vgg_file, tmp_path):
    with pytest.raises(ValueError, match=r"holds weights for 13 layers \(block1_conv1, .*\) but model "
                                         r"'mobilenet_1.00_32' has 54 layers with weights"):
        MobileNet(weights=str(vgg_file), include_top=False, input_shape=(32, 32, 3))
    MobileNet(weights=None, include_top=False, input_shape=(32, 32, 3), alpha=0.5).save_weights(tmp_path / "half.h5")
    with pytest.raises(ValueError, match=r"weight 'kernel' of layer 'conv1' has shape \(3, 3, 3, 32\) in the model "
                                         r"but \(3, 3, 3, 16\) in the file"):
        MobileNet(weights=str(tmp_path / "half.h5"), include_top=False, input_shape=(32, 32, 3), alpha=1.0)


def _replace_dataset(source, target, make):
    import shutil

    shutil.copy(source, target)
    with h5py.File(target, "a") as f:
        name = "block1_conv1/block1_conv1/kernel:0"
        shape = f[name].shape
        del f[name]
        make(f, name, shape)
    return target


@pytest.mark.parametrize("dtype", ["S1", "complex64"])
def test_a_weight_of_the_wrong_dtype_names_the_layer(vgg_file, tmp_path, dtype):
    path = _replace_dataset(vgg_file, tmp_path / "dtype.h5",
                            lambda f, name, shape: f.create_dataset(name, data=np.ones(shape).astype(dtype)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises((ValueError, TypeError), match=r"weight .kernel. of layer .block1_conv1. holds values of dtype"):
            notop(path)


def test_a_listed_weight_without_its_dataset_names_the_layer(vgg_file, tmp_path):
    path = _replace_dataset(vgg_file, tmp_path / "missing.h5", lambda f, name, shape: None)
    with pytest.raises(ValueError, match=r"block1_conv1.*kernel"):
        notop(path)


# ---------------------------------------------------------------------------------- a loader failing in fit
def small_model():
    model = models.Sequential([layers.Input(shape=(SIZE, SIZE, 3)), layers.Flatten(),
                               layers.Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy")
    return model


@pytest.mark.parametrize("workers", [1, 2, 3])
@pytest.mark.parametrize("call", ["fit", "fit_generator", "evaluate", "predict", "validation", "dataset"])
def test_a_worker_exception_reaches_the_caller_and_no_thread_is_left(trees, call, workers):
    augmenting = ImageDataGenerator(rescale=1 / 255, rotation_range=10, horizontal_flip=True)
    it = augmenting.flow_from_directory(trees / "truncated", target_size=(SIZE, SIZE), batch_size=2,
                                        class_mode="binary", shuffle=False)
    model = small_model()
    runs = {
        "fit": lambda: model.fit(it, epochs=2, workers=workers, verbose=0),
        "fit_generator": lambda: model.fit_generator(it, steps_per_epoch=len(it), epochs=2, workers=workers,
                                                     verbose=0),
        "evaluate": lambda: model.evaluate(it, workers=workers, verbose=0),
        "predict": lambda: model.predict(it, workers=workers, verbose=0),
        "validation": lambda: model.fit(np.zeros((4, SIZE, SIZE, 3)), np.zeros(4), validation_data=it,
                                        workers=workers, verbose=0),
    }
    if call == "dataset":
        data = dataset(trees / "truncated", label_mode="binary")
        data.workers = workers
        runs["dataset"] = lambda: model.fit(data, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"'.*truncated/dogs/1.jpg' could not be decoded") as caught:
        runs[call]()
    assert any("background loading thread" in note for note in getattr(caught.value, "__notes__", []))
    assert loader_threads() == []
    # the iterator still serves its good batches afterwards
    assert it[0][0].shape == (2, SIZE, SIZE, 3)
