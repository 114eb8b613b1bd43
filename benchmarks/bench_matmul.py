"""fastnn matmul next to numpy.matmul, float32, on the shapes of the chapter's Dense layers.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_matmul.py --benchmark-only
Each case reports GFLOP/s in extra_info; compare fastnn and numpy rows of the same id.
"""
import numpy as np
import pytest

from fastnn import kernels

# name: (shape of a, shape of b, keyword arguments)
CASES = {
    "dense_forward_128x784x512": ((128, 784), (784, 512), {}),
    "dense_forward_128x512x10": ((128, 512), (512, 10), {}),
    "backward_xT_dz_784x512x128": ((128, 784), (128, 512), {"trans_a": True}),
    "backward_dz_WT_128x784x512": ((128, 512), (784, 512), {"trans_b": True}),
    "square_1024": ((1024, 1024), (1024, 1024), {}),
}


def flops(shape_a, shape_b, kw):
    m, k = shape_a[::-1] if kw.get("trans_a") else shape_a
    n = shape_b[0] if kw.get("trans_b") else shape_b[1]
    return 2.0 * m * n * k


def numpy_matmul(a, b, out, trans_a=False, trans_b=False):
    return np.matmul(a.T if trans_a else a, b.T if trans_b else b, out=out)


@pytest.mark.parametrize("library", ["fastnn", "numpy"])
@pytest.mark.parametrize("case", list(CASES))
def test_matmul_float32(benchmark, num_threads, case, library):
    shape_a, shape_b, kw = CASES[case]
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = rng.standard_normal(shape_b).astype(np.float32)
    out = kernels.matmul(a, b, **kw)
    fn = kernels.matmul if library == "fastnn" else numpy_matmul
    benchmark.group = f"{case} {num_threads} thread(s)"
    benchmark(fn, a, b, out=out, **kw)
    benchmark.extra_info["gflops"] = flops(shape_a, shape_b, kw) / benchmark.stats.stats.median / 1e9


def mnist_training_images():
    """The MNIST training images as float32 in [0, 1], shape (60000, 784), from the folders
    fastnn.datasets.mnist searches (never downloaded here); None when they are not there."""
    from fastnn.datasets import idx, idx_dataset, locations
    for folder in locations.search_dirs("mnist"):
        found, _ = idx_dataset.locate_files(folder)
        if "train-images-idx3-ubyte" in found:
            images = idx.read_idx(found["train-images-idx3-ubyte"], ndim=3)
            return images.reshape(len(images), -1).astype(np.float32) / 255
    return None


_MNIST = mnist_training_images()

# Chapter 2's two big products on real batches: 128 images picked at random, as fit does.
# About 81% of MNIST's pixels are zero; fastnn skips k steps where a block of rows of the
# left operand is all zero ("fastnn"), or multiplies every step ("fastnn-dense").
MNIST_CASES = {
    "mnist_forward_x.W1": ((784, 512), {}),
    "mnist_backward_xT.dz": ((128, 512), {"trans_a": True}),
}


@pytest.mark.skipif(_MNIST is None, reason="MNIST not found (set FASTNN_DATASETS)")
@pytest.mark.parametrize("library", ["fastnn", "fastnn-dense", "numpy"])
@pytest.mark.parametrize("case", list(MNIST_CASES))
def test_matmul_mnist_batches(benchmark, num_threads, case, library):
    shape_b, kw = MNIST_CASES[case]
    rng = np.random.default_rng(0)
    batches = [np.ascontiguousarray(_MNIST[rng.choice(len(_MNIST), 128, replace=False)]) for _ in range(64)]
    b = (rng.standard_normal(shape_b) * 0.05).astype(np.float32)
    out = kernels.matmul(batches[0], b, **kw)
    turn = iter(range(10**9))

    def step():
        a = batches[next(turn) % len(batches)]
        if library == "numpy":
            return numpy_matmul(a, b, out=out, **kw)
        return kernels.matmul(a, b, out=out, **kw)

    kernels._skip_zeros_gemm(library != "fastnn-dense")
    try:
        benchmark.group = f"{case} {num_threads} thread(s)"
        benchmark(step)
    finally:
        kernels._skip_zeros_gemm(True)
    benchmark.extra_info["dense_gflops"] = flops((128, 784), shape_b, kw) / benchmark.stats.stats.median / 1e9
