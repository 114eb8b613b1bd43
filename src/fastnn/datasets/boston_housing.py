"""Boston housing prices: 506 suburbs of the 1970s, 13 features each, and the median home value in k$.

The data carries a feature ("B") built on an assumption about race; use it to
study regression mechanics or the ethics of data, not to model house prices.
"""
import numpy as np

from . import sequences
from .keras_files import dataset_file
from .npz import load_npz

NAME = "boston_housing"
FILENAME = "boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path=FILENAME, test_split=0.2, seed=113):
    """Return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.boston_housing.load_data`` does.

    x arrays have shape (samples, 13), y arrays (samples,) with prices in k$.
    The rows are shuffled with ``np.random.RandomState(seed)`` and the last
    ``test_split`` of them is the test set (102 of 506 by default).

    ``path`` left at ``"boston_housing.npz"`` is looked for in
    ``$FASTNN_DATASETS/boston_housing`` (or ``$FASTNN_DATASETS``),
    ``~/.fastnn/datasets/boston_housing`` and ``/usr/share/datasets/boston_housing``,
    then downloaded from Keras's storage into the cache with its SHA-256
    checked; any other ``path`` (the file, or a folder holding
    ``boston_housing.npz``) is used alone.
    """
    caller = "boston_housing.load_data"
    test_split = sequences.check_test_split(caller, test_split, allow_one=False)
    sequences.check_seed(caller, seed)
    file = dataset_file(NAME, FILENAME, path, FILE_HASH, caller=caller)
    x, y = _read(file)

    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])


def _read(file):
    arrays = load_npz(file)
    missing = [name for name in ("x", "y") if name not in arrays]
    if missing:
        raise ValueError(f"{file}: missing array(s) {', '.join(missing)}; a Boston housing file holds x and y")
    x, y = arrays["x"], arrays["y"]
    if x.dtype.kind not in "biuf" or y.dtype.kind not in "biuf":
        raise ValueError(f"{file}: x and y must be numeric, found {x.dtype} and {y.dtype}")
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{file}: expected x of shape (samples, features) and y of shape "
                         f"(samples,), found {x.shape} and {y.shape}")
    return x, y
