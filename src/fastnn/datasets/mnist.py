"""MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grey images, labels 0-9."""
from . import idx_dataset

NAME = "mnist"
# Base URLs tried in turn; each serves the four original .gz files.
MIRRORS = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# SHA-256 of the original files (MD5s as published: f68b3c2d..., d53e105e...,
# 9fb629c4..., ec29112d...).
SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).

    ``path``, when given, is the folder holding the four IDX files (``.gz`` or
    not) and the only place looked at. Without it, ``$FASTNN_DATASETS/mnist``
    (or ``$FASTNN_DATASETS`` itself), ``~/.fastnn/datasets/mnist`` and
    ``/usr/share/datasets/mnist`` are searched, and failing those the files
    are downloaded, checksum-verified, into ``$FASTNN_DATASETS/mnist`` when the
    variable is set, else ``~/.fastnn/datasets/mnist``.
    Raises DatasetNotFoundError listing the folders searched. Labels outside
    0-9 are refused.
    """
    return idx_dataset.load_idx_dataset(NAME, path, MIRRORS, SHA256)
