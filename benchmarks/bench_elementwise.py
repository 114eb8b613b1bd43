"""Element-wise, softmax, optimizer and gather kernels next to their NumPy equivalents.

PYTHONPATH=src python -m pytest benchmarks/bench_elementwise.py --benchmark-only
Groups pair each kernel with NumPy on the same inputs, at 1 and 2 threads.
"""
import numpy as np
import pytest

import fastnn
from fastnn import kernels

THREADS = [1, 2]
BIG = (1024, 1024)  # >= 1M elements
rng = np.random.default_rng(0)


def data(shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def numpy_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numpy_xent(x, t):
    shifted = x - x.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p = shifted - log_z
    return -log_p[np.arange(len(t)), t], np.exp(log_p)


def numpy_rmsprop(p, g, ms, lr=0.001, rho=0.9, eps=1e-7):
    ms *= rho
    ms += (1 - rho) * g * g
    p -= lr * g / np.sqrt(ms + eps)


CASES = {
    # name: (shape label, fastnn call, numpy call) built from fresh arrays
    "relu 1024x1024": lambda: ((x := data(BIG)),) and (lambda: kernels.relu(x), lambda: np.maximum(x, 0)),
    "relu 128x512": lambda: ((x := data((128, 512))),) and (lambda: kernels.relu(x), lambda: np.maximum(x, 0)),
    "add 1024x1024 + 1024": lambda: ((x := data(BIG)), (b := data(1024))) and (
        lambda: kernels.add(x, b), lambda: x + b),
    "add 1024x1024 + 1024x1024": lambda: ((x := data(BIG)), (y := data(BIG))) and (
        lambda: kernels.add(x, y), lambda: x + y),
    "add 128x512 + 512": lambda: ((x := data((128, 512))), (b := data(512))) and (
        lambda: kernels.add(x, b), lambda: x + b),
    "softmax 1024x1024": lambda: ((x := data(BIG)),) and (lambda: kernels.softmax(x), lambda: numpy_softmax(x)),
    "softmax 128x10": lambda: ((x := data((128, 10))),) and (lambda: kernels.softmax(x), lambda: numpy_softmax(x)),
    "relu_grad 1024x1024": lambda: ((d := data(BIG)), (y := data(BIG))) and (
        lambda: kernels.relu_grad(d, y), lambda: np.where(y > 0, d, 0)),
    "sum_to_shape 1024x1024 -> 1024": lambda: ((x := data(BIG)),) and (
        lambda: kernels.sum_to_shape(x, (1024,)), lambda: x.sum(axis=0)),
    "softmax_cross_entropy 1024x1024": lambda: ((x := data(BIG)), (t := rng.integers(0, 1024, 1024))) and (
        lambda: kernels.softmax_cross_entropy(x, t), lambda: numpy_xent(x, t)),
    "rmsprop_step 407050": lambda: ((p := data(407_050)), (g := data(407_050)), (ms := np.zeros(407_050, np.float32))) and (
        lambda: kernels.rmsprop_step(p, g, ms, learning_rate=0.001, rho=0.9, epsilon=1e-7),
        lambda: numpy_rmsprop(p, g, ms)),
    "gather_rows 128 of 60000x784 uint8": lambda: (
        (x := rng.integers(0, 256, (60_000, 784)).astype(np.uint8)), (i := rng.permutation(60_000)[:128])) and (
        lambda: kernels.gather_rows(x, i), lambda: x[i].reshape(128, 784).astype(np.float32)),
}


@pytest.fixture
def threads():
    before = fastnn.get_num_threads()
    yield fastnn.set_num_threads
    fastnn.set_num_threads(before)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("impl", ["fastnn-1t", "fastnn-2t", "numpy"])
def test_kernel(benchmark, case, impl, threads):
    ours, theirs = CASES[case]()
    benchmark.group = case
    if impl == "numpy":
        threads(1)
        benchmark(theirs)
    else:
        threads(int(impl.split("-")[1][0]))
        benchmark(ours)
