"""Long runs do not leak: many kernel calls (including failing ones) and many epochs keep RSS flat."""
import gc
import os

import numpy as np
import pytest

import fastnn
from fastnn import kernels, layers, models

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc/self/statm")

LIMIT = 10 * 1024 * 1024


def rss_bytes():
    gc.collect()
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def kernel_calls():
    """One small call of every kernel, plus calls that raise, as a list of thunks."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((7, 5)).astype(np.float32)
    b = rng.standard_normal((5, 3)).astype(np.float32)
    bias = np.ones(3, np.float32)
    logits = rng.standard_normal((6, 4))
    classes = np.array([0, 3, 1, 2, 2, 0])
    p, g, m, v = (rng.standard_normal(33).astype(np.float32) for _ in range(4))
    v = np.abs(v)
    images = rng.integers(0, 255, (20, 12)).astype(np.uint8)
    out = np.empty((7, 5), np.float32)

    def raises(fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except (TypeError, ValueError, IndexError):
            return
        raise AssertionError("expected an error")

    return [
        lambda: kernels.matmul(a, b, bias=bias, activation="relu"),
        lambda: kernels.matmul(a.T, a, trans_a=False),
        lambda: kernels.add(a, a[0], out=out),
        lambda: kernels.sum_to_shape(a, (5,)),
        lambda: kernels.relu(a),
        lambda: kernels.relu_grad(a, a),
        lambda: kernels.softmax(logits),
        lambda: kernels.softmax_grad(logits, logits),
        lambda: kernels.softmax_cross_entropy(logits, classes),
        lambda: kernels.softmax_cross_entropy_grad(logits, classes, scale=0.5),
        lambda: kernels.sgd_step(p, g, m, learning_rate=0.01, momentum=0.9),
        lambda: kernels.rmsprop_step(p, g, v, None, learning_rate=0.01, rho=0.9, epsilon=1e-7),
        lambda: kernels.adagrad_step(p, g, v, learning_rate=0.01, epsilon=1e-7),
        lambda: kernels.adam_step(p, g, m, v, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, step=3),
        lambda: kernels.gather_rows(images, classes),
        lambda: raises(kernels.matmul, a, a),
        lambda: raises(kernels.add, a, np.ones(4)),
        lambda: raises(kernels.gather_rows, images, np.array([99])),
        lambda: raises(kernels.softmax_cross_entropy, logits, np.array([0, 9, 1, 2, 2, 0])),
        lambda: raises(kernels.relu, np.ones(3, complex)),
    ]


def test_100000_kernel_calls_keep_rss_flat():
    calls = kernel_calls()
    for _ in range(250):  # warm up allocator pools and caches
        for call in calls:
            call()
    before = rss_bytes()
    rounds = 100_000 // len(calls)
    for _ in range(rounds):
        for call in calls:
            call()
    grown = rss_bytes() - before
    assert rounds * len(calls) >= 100_000
    assert grown < LIMIT, f"RSS grew by {grown / 2**20:.1f} MiB over {rounds * len(calls)} kernel calls"


def test_20_epochs_keep_rss_flat():
    fastnn.set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((512, 64)).astype(np.float32)
    y = rng.integers(0, 10, 512)
    model = models.Sequential([layers.Dense(64, activation="relu", input_shape=(64,)),
                               layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.1, verbose=0)
    model.predict(x, verbose=0)
    before = rss_bytes()
    model.fit(x, y, epochs=20, batch_size=32, validation_split=0.1, verbose=0)
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    grown = rss_bytes() - before
    assert grown < LIMIT, f"RSS grew by {grown / 2**20:.1f} MiB over 20 epochs"
