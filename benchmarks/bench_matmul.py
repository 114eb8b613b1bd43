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
