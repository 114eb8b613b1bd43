"""One module per framework for the graph-network benchmarks (compare_residual.py, compare_convnet.py),
each building a network of trainbench.graphnets nodes the way that framework's users write it. Every
module offers:

- ``version()``: the framework's version string;
- ``Trainer(job, nodes, weights)``: the network with the given weights ({node/i: array}, Keras layouts),
  on job["threads"] threads, seeded with job["seed"], trained with job["optimizer"] ({"name": "adam" |
  "rmsprop", ...}, Keras's defaults for what is left out; Adam when absent) in batches of
  job["batch_size"]; with ``train_epoch(x, y)`` (one shuffled pass; returns its mean training loss),
  ``predict(x, batch_size)`` (the outputs as a NumPy array) and ``extra()`` (facts worth reporting).

Importing a module imports its framework, so an ImportError means the framework is not installed.
"""
import importlib

from .. import modelspec

MODULES = {"fastnn": "fastnn_graph", "torch": "torch_graph", "keras-jax": "keras_graph"}
OPTIMIZERS = ("adam", "rmsprop")


def load(framework):
    return importlib.import_module(f"{__name__}.{MODULES[framework]}")


def optimizer(job):
    """(name, every hyper-parameter with Keras's defaults filled in) of the job's optimizer."""
    chosen = job.get("optimizer") or {"name": "adam"}
    if chosen.get("name") not in OPTIMIZERS:
        raise ValueError(f"optimizer {chosen.get('name')!r} is not one the graph benchmarks build; "
                         f"choose from {OPTIMIZERS}")
    return modelspec.optimizer_config({"optimizer": chosen})
