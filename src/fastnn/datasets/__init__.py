"""Datasets as NumPy arrays, loaded like ``keras.datasets``: ``mnist.load_data()``."""
from . import fashion_mnist, mnist
from .download import ChecksumMismatchError, DownloadError
from .idx import read_idx, write_idx
from .idx_dataset import DatasetNotFoundError

__all__ = ["mnist", "fashion_mnist", "read_idx", "write_idx",
           "DatasetNotFoundError", "DownloadError", "ChecksumMismatchError"]
