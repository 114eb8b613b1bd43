"""Helpers around training: one-hot labels, seeding, the progress bar."""
from . import np_utils, random
from .categorical import to_categorical
from .progbar import Progbar
from .random import set_random_seed

__all__ = ["Progbar", "np_utils", "random", "set_random_seed", "to_categorical"]
