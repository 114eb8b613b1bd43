"""conv2d, its gradients and the pooling kernels on the book's MNIST convnet (batch 64), next to
their NumPy oracles and PyTorch (skipped when torch is not installed).

PYTHONPATH=src python -m pytest benchmarks/bench_conv.py --benchmark-only
Groups pair each kernel with the oracle and PyTorch on the same inputs; fastnn and PyTorch run at
1 and 2 threads. Inputs are relu outputs (about half zeros), as between the network's layers.
PyTorch gets its images channels-last in memory (NHWC strides) like fastnn's.
"""
import numpy as np
import pytest

import fastnn
from fastnn import kernels, reference

try:
    import torch
except ImportError:
    torch = None

BATCH = 64
# (image height = width, input channels, filters) of the book's three 3x3 convolutions
LAYERS = {"conv1 28x28x1->32": (28, 1, 32), "conv2 13x13x32->64": (13, 32, 64), "conv3 5x5x64->64": (5, 64, 64)}
POOLS = {"pool1 26x26x32": (26, 32), "pool2 11x11x64": (11, 64)}
rng = np.random.default_rng(0)


def relu_data(shape):
    return np.maximum(rng.standard_normal(shape), 0).astype(np.float32)


def nchw(a):
    """A torch tensor of logical shape (N, C, H, W) over the NHWC array a (channels-last memory)."""
    return torch.from_numpy(a).permute(0, 3, 1, 2)


def oihw(kernel):
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def conv_case(layer, what):
    """{impl: callable} for one conv kernel on one layer."""
    size, channels, filters = LAYERS[layer]
    x = relu_data((BATCH, size, size, channels))
    kernel = (rng.standard_normal((3, 3, channels, filters)) * 0.1).astype(np.float32)
    bias = np.zeros(filters, np.float32)
    dy = rng.standard_normal((BATCH, size - 2, size - 2, filters)).astype(np.float32)
    calls = {
        "forward": (lambda: kernels.conv2d(x, kernel, bias, activation="relu"),
                    lambda: reference.conv2d(x, kernel, bias, activation="relu")),
        "input_grad": (lambda: kernels.conv2d_input_grad(dy, kernel, x.shape),
                       lambda: reference.conv2d_input_grad(dy, kernel, x.shape)),
        "kernel_grad": (lambda: kernels.conv2d_kernel_grad(x, dy, (3, 3)),
                        lambda: reference.conv2d_kernel_grad(x, dy, (3, 3))),
    }
    impls = dict(zip(("fastnn", "oracle"), calls[what]))
    if torch is not None:
        tx, tk, tb, tdy = nchw(x), oihw(kernel), torch.from_numpy(bias), nchw(dy)
        impls["torch"] = {
            "forward": lambda: torch.relu(torch.nn.functional.conv2d(tx, tk, tb)),
            "input_grad": lambda: torch.nn.grad.conv2d_input(tx.shape, tk, tdy),
            "kernel_grad": lambda: (torch.nn.grad.conv2d_weight(tx, tk.shape, tdy), tdy.sum((0, 2, 3))),
        }[what]
    return impls


def pool_case(pool, what):
    size, channels = POOLS[pool]
    x = relu_data((BATCH, size, size, channels))
    dy = rng.standard_normal((BATCH, size // 2, size // 2, channels)).astype(np.float32)
    calls = {
        "max_pool2d": (lambda: kernels.max_pool2d(x), lambda: reference.max_pool2d(x)),
        "max_pool2d_grad": (lambda: kernels.max_pool2d_grad(x, dy), lambda: reference.max_pool2d_grad(x, dy)),
        "avg_pool2d": (lambda: kernels.avg_pool2d(x), lambda: reference.avg_pool2d(x)),
        "avg_pool2d_grad": (lambda: kernels.avg_pool2d_grad(dy, x.shape), lambda: reference.avg_pool2d_grad(dy, x.shape)),
    }
    impls = dict(zip(("fastnn", "oracle"), calls[what]))
    if torch is not None:
        tx, tdy = nchw(x), nchw(dy)
        _, indices = torch.nn.functional.max_pool2d(tx, 2, return_indices=True)
        impls["torch"] = {
            "max_pool2d": lambda: torch.nn.functional.max_pool2d(tx, 2),
            "max_pool2d_grad": lambda: torch.nn.functional.max_unpool2d(tdy, indices, 2, output_size=tx.shape[2:]),
            "avg_pool2d": lambda: torch.nn.functional.avg_pool2d(tx, 2),
            "avg_pool2d_grad": lambda: torch.nn.functional.interpolate(tdy, scale_factor=2) / 4,
        }[what]
    return impls


@pytest.fixture
def set_threads():
    before = fastnn.get_num_threads()
    torch_before = torch.get_num_threads() if torch is not None else None

    def apply(n):
        fastnn.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)

    yield apply
    fastnn.set_num_threads(before)
    if torch is not None:
        torch.set_num_threads(torch_before)


IMPLS = ["fastnn-1t", "fastnn-2t", "torch-1t", "torch-2t", "oracle"]


def run(benchmark, impls, impl, set_threads):
    name, _, threads = impl.partition("-")
    if name not in impls:
        pytest.skip("torch is not installed")
    set_threads(int(threads[0]) if threads else 1)
    benchmark(impls[name])


@pytest.mark.parametrize("what", ["forward", "input_grad", "kernel_grad"])
@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("impl", IMPLS)
def test_conv2d(benchmark, layer, what, impl, set_threads):
    benchmark.group = f"conv2d {what} {layer}"
    run(benchmark, conv_case(layer, what), impl, set_threads)


@pytest.mark.parametrize("what", ["max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad"])
@pytest.mark.parametrize("pool", list(POOLS))
@pytest.mark.parametrize("impl", IMPLS)
def test_pooling(benchmark, pool, what, impl, set_threads):
    benchmark.group = f"{what} {pool}"
    run(benchmark, pool_case(pool, what), impl, set_threads)
