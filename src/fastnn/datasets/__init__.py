"""Datasets as NumPy arrays, loaded like ``keras.datasets``: ``mnist.load_data()``."""
from . import boston_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters
from .download import ChecksumMismatchError, DownloadError
from .idx import read_idx, write_idx
from .locations import DatasetNotFoundError
from .npz import UnsafeFileError, load_npz

__all__ = ["mnist", "fashion_mnist", "imdb", "reuters", "boston_housing", "cifar10", "cifar100",
           "read_idx", "write_idx", "load_npz", "DatasetNotFoundError", "DownloadError", "ChecksumMismatchError",
           "UnsafeFileError"]
