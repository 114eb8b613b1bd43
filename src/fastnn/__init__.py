"""fastnn: a deep-learning library for CPUs, on compiled OpenMP kernels."""
from . import kernels, reference
from . import datasets
from .threads import get_num_threads, openmp_enabled, set_num_threads

__version__ = "0.1.0"
