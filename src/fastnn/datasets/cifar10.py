"""CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes."""
import numpy as np

from . import cifar

NAME = "cifar10"
FILENAME = "cifar-10-python.tar.gz"
# The SHA-256 Keras publishes for the archive.
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
LAYOUT = cifar.Layout(NAME, FILENAME, FILE_HASH, "cifar-10-batches-py",
                      [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"])
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.cifar10.load_data`` does:
    uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3), channels last, and uint8
    labels 0-9 (see CLASS_NAMES) of shape (50000, 1) and (10000, 1).

    The batches are read from Keras's archive ``cifar-10-python.tar.gz`` (the
    authors' python version) without unpacking it and without unpickling
    anything but builtins and NumPy arrays. ``path`` left at None is looked for
    in ``$FASTNN_DATASETS/cifar10`` (or ``$FASTNN_DATASETS``),
    ``~/.fastnn/datasets/cifar10`` and ``/usr/share/datasets/cifar10``, then
    downloaded from the authors' site into the cache with its SHA-256 checked.
    A given ``path`` is the archive, a folder holding it, or the folder
    ``cifar-10-batches-py`` unpacked from it (or that folder's parent), and
    nothing else is tried. Batches may hold any number of images.
    """
    (x_train, y_train), (x_test, y_test) = cifar.load_batches(LAYOUT, path, "cifar10.load_data", "labels", 10)
    return (x_train, y_train.astype(np.uint8).reshape(-1, 1)), (x_test, y_test.astype(np.uint8).reshape(-1, 1))


def get_label_names():
    """The class names, in label order."""
    return CLASS_NAMES
