"""Fashion-MNIST: 60,000 training and 10,000 test 28x28 grey images of 10 clothing classes."""
from . import idx_dataset

NAME = "fashion-mnist"
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
# Base URLs tried in turn; each serves the four original .gz files.
MIRRORS = [
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
]
# SHA-256 of the original files (MD5s as published: 8d4fb7e6..., 25c81989...,
# bef4ecab..., bb300cfd...).
SHA256 = {
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}


def load_data(path=None):
    """Return ``(x_train, y_train), (x_test, y_test)``: uint8 arrays of shapes
    (60000, 28, 28), (60000,), (10000, 28, 28), (10000,); labels index CLASS_NAMES.

    ``path``, when given, is the folder holding the four IDX files (``.gz`` or
    not) and the only place looked at. Without it, ``$FASTNN_DATASETS/fashion-mnist``
    (or ``$FASTNN_DATASETS`` itself), ``~/.fastnn/datasets/fashion-mnist`` and
    ``/usr/share/datasets/fashion-mnist`` are searched, and failing those the files
    are downloaded, checksum-verified, into ``$FASTNN_DATASETS/fashion-mnist`` when the
    variable is set, else ``~/.fastnn/datasets/fashion-mnist``.
    Raises DatasetNotFoundError listing the folders searched. Labels outside
    0-9 are refused.
    """
    return idx_dataset.load_idx_dataset(NAME, path, MIRRORS, SHA256)
