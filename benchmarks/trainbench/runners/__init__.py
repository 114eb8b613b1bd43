"""One module per framework, each exposing the same interface:

- ``version()``: the framework's version string;
- ``Trainer(spec, weights)``: builds the network with the given [W1, b1, W2, b2] (Keras layout) and the
  spec's optimizer settings and thread count, and offers
  ``train_epoch(x, y, epoch)`` (one pass over the data, shuffled per epoch),
  ``predict(x, batch_size)`` (class probabilities as a NumPy array) and
  ``get_weights()`` ([W1, b1, W2, b2] as NumPy arrays, Keras layout).

Importing a module imports its framework, so an ImportError means the framework is not installed.
"""
import importlib

MODULES = {
    "fastnn": "fastnn_runner",
    "fastnn-dense": "fastnn_dense_runner",
    "numpy": "numpy_runner",
    "torch": "torch_runner",
    "keras-jax": "keras_jax_runner",
}


def load(framework):
    return importlib.import_module(f"{__name__}.{MODULES[framework]}")
