"""Helpers around training: one-hot labels, seeding, the progress bar, Sequence, image datasets."""
from . import np_utils, random
from .categorical import to_categorical
from .progbar import Progbar
from .random import set_random_seed
from .sequence import Sequence
from .image_dataset import image_dataset_from_directory

__all__ = ["Progbar", "Sequence", "image_dataset_from_directory", "np_utils", "random", "set_random_seed",
           "to_categorical"]
