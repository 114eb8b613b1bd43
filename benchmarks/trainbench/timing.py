"""Wall-clock helpers shared by the side-by-side benchmarks."""
import statistics
import time

import numpy as np


def timed(fn):
    """Seconds one call of `fn()` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def epoch_time(result):
    """A run's s/epoch: the median of its epochs after the first (the first includes warm-up and
    compilation), the first alone when there is only one."""
    times = result["epoch_seconds"]
    return statistics.median(times[1:] if len(times) > 1 else times)


def timed_predicts(trainer, x, batch_size, repeats):
    """(seconds of `repeats` calls of trainer.predict after one that warms up and is not counted, the
    last call's outputs)."""
    seconds, outputs = [], None
    for _ in range(repeats + 1):
        start = time.perf_counter()
        outputs = trainer.predict(x, batch_size)
        seconds.append(time.perf_counter() - start)
    return seconds[1:], outputs


def gemm_gflops(size=1024, repeats=7):
    """NumPy's float32 matrix product rate (best of `repeats`) in this process, GFLOP/s."""
    rng = np.random.default_rng(0)
    a, b = rng.random((size, size), dtype=np.float32), rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    return 2 * size ** 3 / min(timed(lambda: np.matmul(a, b, out=out)) for _ in range(repeats)) / 1e9
