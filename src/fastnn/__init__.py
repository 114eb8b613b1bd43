"""fastnn: a deep-learning library for CPUs, on compiled multi-threaded kernels."""
from .threads import get_num_threads, openmp_enabled, set_num_threads  # first: it loads the kernels
from . import kernels, reference
from . import functional, ops, testing
from .autodiff import gradient
from .debug import debug_nans, is_debugging_nans
from .engine import function
from .functional import *  # noqa: F401,F403  (add, multiply, dot, relu, softmax, ...)
from .tensor import Tensor, no_grad, zero_grad
from . import callbacks, datasets, metrics, optimizers, utils
from .utils import set_random_seed as set_seed
from . import activations, initializers, layers, losses, models, regularizers
from .layers import Input
from .models import Model, Sequential
from .gradient_tape import GradientTape
from . import backend
from . import onnx  # export only; the onnx package itself is imported when a model is exported
from . import applications

__version__ = "0.1.0"
