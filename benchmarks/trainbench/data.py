"""MNIST loading shared by every framework: read the IDX files, normalise, one-hot.

Every runner gets its arrays from the same code, because where the training array lands in memory changes
some frameworks' speed noticeably.
"""
import gzip
import os
from pathlib import Path

import numpy as np

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
NUM_CLASSES = 10


def _idx_path(folder, stem):
    for name in (stem + ".gz", stem):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def has_mnist(folder):
    """True when ``folder`` holds the four MNIST IDX files (gzipped or not)."""
    return all(_idx_path(folder, stem) is not None for stem in FILES.values())


def _given(folder, option, dataset):
    """`folder` as a Path, when it holds the four IDX files; else FileNotFoundError naming the option."""
    if not has_mnist(folder):
        raise FileNotFoundError(f"{option} {folder} does not hold the four {dataset} IDX files "
                                f"({', '.join(FILES.values())}, gzipped or not)")
    return Path(folder)


def _candidates(name):
    """The folders searched for dataset `name`: ``$FASTNN_DATASETS/<name>``, then where fastnn.datasets looks."""
    candidates = []
    root = os.environ.get("FASTNN_DATASETS")
    if root:
        candidates.append(Path(root).expanduser() / name)
    try:
        from fastnn.datasets.locations import search_dirs
        candidates.extend(search_dirs(name))
    except ImportError:
        pass
    return candidates


def locate(data_dir=None):
    """The MNIST folder: ``data_dir``, else ``$FASTNN_DATASETS/mnist``, else where fastnn.datasets looks."""
    if data_dir is not None:
        return _given(data_dir, "--data-dir", "MNIST")
    candidates = _candidates("mnist")
    found = next((folder for folder in candidates if has_mnist(folder)), None)
    if found is None:
        searched = ", ".join(str(c) for c in candidates) or "nothing (fastnn.datasets not importable)"
        raise FileNotFoundError(f"MNIST IDX files not found; pass --data-dir. Searched: {searched}")
    return found


def locate_fashion(fashion_dir=None, mnist_dir=None):
    """Fashion-MNIST's folder (the same four IDX file names as MNIST's), or None when it is not found:
    ``fashion_dir`` (which must hold them), else a ``fashion-mnist`` or ``fashion_mnist`` folder beside
    ``mnist_dir``, ``$FASTNN_DATASETS/fashion-mnist``, then where fastnn.datasets looks."""
    if fashion_dir is not None:
        return _given(fashion_dir, "--fashion-dir", "Fashion-MNIST")
    beside = [] if mnist_dir is None else [Path(mnist_dir).parent / n for n in ("fashion-mnist", "fashion_mnist")]
    return next((folder for folder in beside + _candidates("fashion-mnist") if has_mnist(folder)), None)


def read_idx(path, magic):
    """The uint8 array stored in one IDX file (header: magic, then one big-endian uint32 per dimension)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    found = int.from_bytes(raw[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: expected IDX magic {magic}, found {found}")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) - offset != count:
        raise ValueError(f"{path}: header promises {count} bytes of data, file holds {len(raw) - offset}")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def one_hot(labels):
    encoded = np.zeros((len(labels), NUM_CLASSES), dtype="float32")
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def load(folder):
    """Training and test sets as chapter 2 prepares them: (n, 784) float32 in [0, 1], one-hot float32 labels.

    Returns a dict with x_train, y_train, x_test, y_test and the integer labels as labels_train and labels_test.
    """
    arrays = {}
    for key, stem in FILES.items():
        magic = IMAGE_MAGIC if key.startswith("x") else LABEL_MAGIC
        arrays[key] = read_idx(_idx_path(folder, stem), magic)
    out = {}
    for split in ("train", "test"):
        images = arrays["x_" + split]
        images = images.reshape((len(images), 28 * 28))
        out["x_" + split] = images.astype("float32") / 255
        out["y_" + split] = one_hot(arrays["y_" + split])
    out["labels_train"] = arrays["y_train"].astype(np.int64)
    out["labels_test"] = arrays["y_test"].astype(np.int64)
    return out
