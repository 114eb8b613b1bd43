"""fastnn matmul next to numpy.matmul, float32, on the shapes of the chapter's Dense layers.

Run: PYTHONPATH=src python -m pytest benchmarks/bench_matmul.py --benchmark-only
Each case reports GFLOP/s and the GEMM kernel in extra_info; compare fastnn and numpy rows of
the same id. For a side-by-side table in alternating rounds, run this file as a script (below).
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
    benchmark.extra_info["kernel"] = kernels.isa_name()


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


# ---- side by side, outside pytest -----------------------------------------------------------
# python benchmarks/bench_matmul.py --threads 1 --rounds 15
# Every round times each contender once on each case, in turn (fastnn with each GEMM kernel
# this CPU can run, then numpy), so a change of machine speed hits them all alike; the table
# gives the median and best GFLOP/s over the rounds and the ratio of medians to numpy.

def _time_per_call(fn, budget=0.05):
    """Seconds per call of fn, over as many calls as fill about `budget` seconds."""
    import time
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= budget:
            return elapsed / calls


def _contender_call(who, a, b, kw):
    """() -> one product of a and b by `who` ("numpy" or "fastnn[<instruction set>]", which this
    limits the kernels to) into an output array of its own."""
    out = np.empty((a.shape[1] if kw.get("trans_a") else a.shape[0],
                    b.shape[0] if kw.get("trans_b") else b.shape[1]), np.float32)
    if who == "numpy":
        return lambda: numpy_matmul(a, b, out=out, **kw)
    kernels._limit_isa(who[len("fastnn["):-1])
    return lambda: kernels.matmul(a, b, out=out, **kw)


def side_by_side(threads, rounds, kernel_names, zero_skipping=False):
    import fastnn
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        threadpool_info = threadpool_limits = None
    fastnn.set_num_threads(threads)
    kernels._skip_zeros_gemm(zero_skipping)
    blas = "numpy's BLAS (threadpoolctl not installed: thread count not set)"
    limits = None
    if threadpool_limits is not None:
        limits = threadpool_limits(limits=threads, user_api="blas")
        info = [i for i in threadpool_info() if i["user_api"] == "blas"]
        blas = ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}"
                         for i in info)
    rng = np.random.default_rng(0)
    data = {case: (rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32), kw)
            for case, (sa, sb, kw) in CASES.items()}
    contenders = [f"fastnn[{name}]" for name in kernel_names] + ["numpy"]
    times = {(case, who): [] for case in CASES for who in contenders}
    for r in range(rounds):
        for case, (a, b, kw) in data.items():
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for who in order:
                times[case, who].append(_time_per_call(_contender_call(who, a, b, kw)))
    kernels._limit_isa(None)
    kernels._skip_zeros_gemm(True)
    if limits is not None:
        limits.restore_original_limits()
    print(f"float32 matmul, {threads} thread(s), {rounds} alternating rounds, zero skipping "
          f"{'on' if zero_skipping else 'off'}; numpy: {blas}")
    print(f"{'case':30s} {'contender':18s} {'median GFLOP/s':>14s} {'best':>8s} {'spread':>7s} {'vs numpy':>9s}")
    for case, (shape_a, shape_b, kw) in CASES.items():
        work = flops(shape_a, shape_b, kw)
        base = float(np.median(times[case, "numpy"]))
        for who in contenders:
            t = np.array(times[case, who])
            med = float(np.median(t))
            print(f"{case:30s} {who:18s} {work / med / 1e9:14.1f} {work / t.min() / 1e9:8.1f} "
                  f"{t.max() / t.min():6.2f}x {base / med:8.2f}x")


def _worker(contender, threads, zero_skipping):
    """Times every case for one contender in this process and prints {case: seconds per call}."""
    import json

    import fastnn
    fastnn.set_num_threads(threads)
    kernels._skip_zeros_gemm(zero_skipping)
    rng = np.random.default_rng(0)
    result = {}
    for case, (sa, sb, kw) in CASES.items():
        a, b = rng.standard_normal(sa).astype(np.float32), rng.standard_normal(sb).astype(np.float32)
        fn = _contender_call(contender, a, b, kw)
        _time_per_call(fn, budget=0.2)  # warm-up
        result[case] = min(_time_per_call(fn) for _ in range(5))
    print(json.dumps(result))


def in_processes(threads, rounds, kernel_names, zero_skipping=False, numpy_coretype=None):
    """Each contender in its own process per round (alternating order), so that no two thread
    pools share the cores; prints the median over rounds of each process's best time.
    numpy_coretype sets OPENBLAS_CORETYPE for NumPy's process (e.g. Haswell: its AVX2 kernels)."""
    import json
    import os
    import subprocess
    import sys

    contenders = [f"fastnn[{name}]" for name in kernel_names] + ["numpy"]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), FASTNN_NUM_THREADS=str(threads))
    times = {(case, who): [] for case in CASES for who in contenders}
    for r in range(rounds):
        for who in contenders[r % len(contenders):] + contenders[:r % len(contenders)]:
            cmd = [sys.executable, os.path.abspath(__file__), "--worker", who, "--threads", str(threads)]
            if zero_skipping:
                cmd.append("--zero-skipping")
            worker_env = dict(env, OPENBLAS_CORETYPE=numpy_coretype) if who == "numpy" and numpy_coretype else env
            proc = subprocess.run(cmd, env=worker_env, capture_output=True, text=True, check=True)
            for case, seconds in json.loads(proc.stdout.strip().splitlines()[-1]).items():
                times[case, who].append(seconds)
    coretype = f"OPENBLAS_CORETYPE={numpy_coretype}" if numpy_coretype else "OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset"
    print(f"float32 matmul, {threads} thread(s), {rounds} rounds of one process per contender "
          f"({coretype}), zero skipping {'on' if zero_skipping else 'off'}")
    print(f"{'case':30s} {'contender':18s} {'GFLOP/s':>8s} {'vs numpy':>9s}")
    for case, (shape_a, shape_b, kw) in CASES.items():
        work = flops(shape_a, shape_b, kw)
        base = float(np.median(times[case, "numpy"]))
        for who in contenders:
            med = float(np.median(times[case, who]))
            print(f"{case:30s} {who:18s} {work / med / 1e9:8.1f} {base / med:8.2f}x")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="fastnn matmul next to numpy, side by side")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--kernels", default=None,
                        help="comma-separated GEMM kernels (default: every one this CPU can run but portable)")
    parser.add_argument("--zero-skipping", action="store_true")
    parser.add_argument("--processes", action="store_true",
                        help="each contender in its own process per round (thread pools never share the cores)")
    parser.add_argument("--numpy-coretype", default=None,
                        help="with --processes: OPENBLAS_CORETYPE for NumPy (e.g. Haswell, to compare AVX2 kernels)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = (args.kernels.split(",") if args.kernels
             else [k for k in kernels.isas_available() if k != "portable"])
    if args.worker:
        _worker(args.worker, args.threads, args.zero_skipping)
    elif args.processes:
        in_processes(args.threads, args.rounds, names, args.zero_skipping, args.numpy_coretype)
    else:
        side_by_side(args.threads, args.rounds, names, args.zero_skipping)
