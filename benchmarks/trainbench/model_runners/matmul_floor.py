"""The dense matmul floor: NumPy's BLAS doing only the matrix products of one epoch's training steps.

Each "epoch" multiplies, for every batch of the epoch, the products trainbench.modelspec.matmul_products
lists (x@W per dense layer, x^T@dz per dense layer, dz@W^T for every layer but the first), into
preallocated outputs, transposed operands passed as views as a step passes them. The first layer's x is
a slice of an array the size of the training set, so its rows stream from memory as a step's batch does;
the other operands are per-batch-size buffers. Nothing else of a step (bias, activations, loss, update,
batch gathering) is counted.

The parent runs this worker with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment,
so that OpenBLAS picks its kernel for the CPU it finds; notes() reports the kernel that ran.
"""
import os
import numpy as np

from .. import modelspec
from ..workload import batch_slices


def version():
    return f"numpy {np.__version__}"


def unsupported(name, spec):
    return None


def blas_info():
    """What threadpoolctl says about NumPy's BLAS (kernel architecture, threads), or why it cannot."""
    try:
        import threadpoolctl
    except ImportError:
        return {"threadpoolctl": "not installed (pip install threadpoolctl)"}
    infos = [{k: i.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "filepath")}
             for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return {"blas": infos}


def _operand(shape, transposed, rng):
    """A float32 operand of `shape`, as the transposed view of a row-major array when `transposed`."""
    if transposed:
        return rng.random(shape[::-1], dtype=np.float32).T
    return rng.random(shape, dtype=np.float32)


class Trainer:
    def __init__(self, spec, weights, seed, threads):
        self.spec = spec
        self.threads = threads
        self.rng = np.random.default_rng(seed)
        self.calls = None
        self.samples = 0

    def _prepare(self, samples):
        """Every (a, b, out) of one epoch, in order; operands shared between batches of one size."""
        images = self.rng.random((samples, modelspec.input_size(self.spec)), dtype=np.float32)
        per_size, calls = {}, []
        for batch in batch_slices(samples, self.spec["batch_size"]):
            rows = batch.stop - batch.start
            if rows not in per_size:
                per_size[rows] = [(_operand(a, t == "a", self.rng), _operand(b, t == "b", self.rng),
                                   np.empty((a[0], b[1]), dtype=np.float32))
                                  for _, a, b, t in modelspec.matmul_products(self.spec, rows)]
            for (what, _, _, _), (a, b, out) in zip(modelspec.matmul_products(self.spec, rows), per_size[rows]):
                if what == "x@W1":
                    a = images[batch]
                elif what == "x^T@dz1":
                    a = images[batch].T
                calls.append((a, b, out))
        return calls

    def train_epoch(self, x, y, epoch):
        if self.calls is None:
            self.samples = len(x)
            self.calls = self._prepare(self.samples)
        matmul = np.matmul
        for a, b, out in self.calls:
            matmul(a, b, out=out)

    predict = None

    def get_weights(self):
        return []

    def notes(self):
        return {**blas_info(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
                "epoch_gflop": modelspec.epoch_matmul_flops(self.spec, self.samples) / 1e9}
