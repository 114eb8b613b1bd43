"""The benchmarked network and training settings, identical for every framework."""
from dataclasses import asdict, dataclass

import numpy as np

INPUTS, HIDDEN, CLASSES = 28 * 28, 512, 10


@dataclass
class Spec:
    """Everything a runner needs to know; passed to the worker subprocess as JSON."""
    epochs: int = 3
    threads: int = 2
    batch_size: int = 128
    predict_batch_size: int = 128
    predict_repeats: int = 5
    learning_rate: float = 0.001
    rho: float = 0.9
    epsilon: float = 1e-7
    seed: int = 1234
    data_dir: str = ""
    weights_file: str = ""
    save_weights_file: str = ""

    def to_dict(self):
        return asdict(self)


def glorot_uniform_weights(seed):
    """[W1, b1, W2, b2] as Keras's default initialisers would draw them: glorot-uniform kernels, zero biases.

    Kernels are (fan_in, fan_out), Keras's layout.
    """
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in ((INPUTS, HIDDEN), (HIDDEN, CLASSES)):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype("float32"))
        weights.append(np.zeros(fan_out, dtype="float32"))
    return weights


def epoch_permutation(seed, epoch, n):
    """The sample order of one epoch for the hand-written loops (NumPy and PyTorch share it)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def batch_slices(n, batch_size):
    """Consecutive batches over n samples; the last one holds the remainder, as Keras's fit does."""
    return [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]


def training_flops(n):
    """Matrix-multiply flops of one pass over n samples (one multiply-add = 2 flops).

    Forward: x@W1 and h@W2, 2*n*(784*512 + 512*10). Backward: both weight gradients (same count as forward)
    plus the hidden layer's input gradient dlogits@W2.T (2*n*512*10); the input image needs no gradient.
    Element-wise work (bias, relu, softmax, loss, optimizer) is not counted.
    """
    forward = 2 * n * (INPUTS * HIDDEN + HIDDEN * CLASSES)
    backward = 2 * forward - 2 * n * INPUTS * HIDDEN
    return forward + backward


def predict_flops(n):
    return 2 * n * (INPUTS * HIDDEN + HIDDEN * CLASSES)
