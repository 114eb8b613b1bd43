"""One module per framework for compare_models.py, each building the model from a configuration
(trainbench.modelspec) the way that framework's users write it. Every module offers:

- ``version()``: the framework's version string;
- ``unsupported(name, spec)``: None, or why this runner does not train that configuration;
- ``Trainer(spec, weights, seed, threads)``: the model with the given [kernel, bias, ...] weights (Keras
  layout), running on `threads` threads,
  with ``train_epoch(x, y, epoch)`` (one shuffled pass), ``predict(x, batch_size)`` (outputs as a NumPy
  array; None as the attribute when the runner does not predict), ``get_weights()`` and ``notes()`` (a dict
  of facts worth reporting, possibly empty).

Importing a module imports its framework, so an ImportError means the framework is not installed.
"""
import importlib

MODULES = {
    "fastnn": "fastnn_model",
    "fastnn-loop": "fastnn_loop",
    "fastnn-loop-grads": "fastnn_loop_grads",
    "torch": "torch_model",
    "keras-jax": "keras_model",
    "matmul-floor": "matmul_floor",
}


def load(framework):
    return importlib.import_module(f"{__name__}.{MODULES[framework]}")
