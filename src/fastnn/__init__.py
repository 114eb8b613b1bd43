"""fastnn: a deep-learning library for CPUs, on compiled OpenMP kernels."""
from . import kernels, reference
from . import callbacks, metrics, optimizers, utils
from .threads import get_num_threads, openmp_enabled, set_num_threads
from .utils import set_random_seed as set_seed

__version__ = "0.1.0"
