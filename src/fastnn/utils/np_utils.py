"""The first edition's spelling: ``from keras.utils.np_utils import to_categorical``."""
from .categorical import to_categorical

__all__ = ["to_categorical"]
