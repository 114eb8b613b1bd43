"""CIFAR-100: 50,000 training and 10,000 test 32x32 colour images in 100 classes, grouped into 20
superclasses."""
from . import cifar

NAME = "cifar100"
FILENAME = "cifar-100-python.tar.gz"
# The SHA-256 Keras publishes for the archive.
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
LAYOUT = cifar.Layout(NAME, FILENAME, FILE_HASH, "cifar-100-python", ["train"], ["test"])
LABEL_MODES = {"fine": 100, "coarse": 20}


def load_data(label_mode="fine", path=None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as ``keras.datasets.cifar100.load_data`` does:
    uint8 images of shape (50000, 32, 32, 3) and (10000, 32, 32, 3), channels last, and int64
    labels of shape (50000, 1) and (10000, 1): 0-99 for ``label_mode="fine"``, the 20
    superclasses 0-19 for ``"coarse"``.

    Read from Keras's archive ``cifar-100-python.tar.gz``; ``path`` works as in
    ``cifar10.load_data`` (the unpacked folder is ``cifar-100-python``).
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(f'cifar100.load_data: `label_mode` must be one of "fine", "coarse". '
                         f"Received: label_mode={label_mode!r}")
    (x_train, y_train), (x_test, y_test) = cifar.load_batches(
        LAYOUT, path, "cifar100.load_data", f"{label_mode}_labels", LABEL_MODES[label_mode])
    return (x_train, y_train.reshape(-1, 1)), (x_test, y_test.reshape(-1, 1))
