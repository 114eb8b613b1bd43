"""Helpers around training: one-hot labels, seeding, the progress bar, drawing a model."""
from . import np_utils, random
from .categorical import to_categorical
from .model_plot import model_to_dot, plot_model
from .progbar import Progbar
from .random import set_random_seed

__all__ = ["Progbar", "model_to_dot", "np_utils", "plot_model", "random", "set_random_seed", "to_categorical"]
