"""Helpers around training: one-hot labels, seeding, the progress bar, files, Sequence, image and
series datasets, drawing a model."""
from . import np_utils, random
from ..preprocessing.sequence import pad_sequences
from .categorical import to_categorical
from .file_utils import get_file
from .model_plot import model_to_dot, plot_model
from .progbar import Progbar
from .random import set_random_seed
from .sequence import Sequence
from .image_dataset import image_dataset_from_directory
from .timeseries_dataset import timeseries_dataset_from_array

__all__ = ["Progbar", "Sequence", "get_file", "image_dataset_from_directory", "model_to_dot", "np_utils",
           "pad_sequences", "plot_model", "random", "set_random_seed", "timeseries_dataset_from_array",
           "to_categorical"]
