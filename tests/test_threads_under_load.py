"""The worker threads beside other work: a busy neighbour process, two Python threads calling kernels
at once, and a process that ends while its workers are idle."""
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastnn
from fastnn import layers, models

BUSY_LOOP = "while True: pass"


@pytest.fixture
def restore_threads():
    before = fastnn.threads._setting()
    yield
    fastnn.threads._restore(before)


@pytest.fixture
def busy_neighbour():
    neighbour = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        yield neighbour
    finally:
        neighbour.kill()
        neighbour.wait(timeout=10)


def train_weights(threads):
    if threads == "auto":
        fastnn.threads.use_available_cpus()
    else:
        fastnn.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 16, 16, 8)).astype(np.float32)
    y = rng.integers(0, 4, 128)
    fastnn.utils.set_random_seed(7)
    model = models.Sequential([
        layers.Input((16, 16, 8)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(64, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=2, shuffle=False, verbose=0)
    return [w.view(np.uint8).copy() for w in model.get_weights()]


def test_training_is_bitwise_identical_at_any_count_beside_a_busy_process(busy_neighbour, restore_threads):
    one = train_weights(1)
    for threads in (2, 3, "auto"):
        other = train_weights(threads)
        assert busy_neighbour.poll() is None, "the neighbour stopped before the comparison ended"
        assert all(np.array_equal(a, b) for a, b in zip(one, other)), threads


def test_large_kernels_are_bitwise_identical_beside_a_busy_process(busy_neighbour, restore_threads):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((301, 517)).astype(np.float32)
    b = rng.standard_normal((517, 263)).astype(np.float32)
    fastnn.set_num_threads(1)
    want_matmul, want_softmax = fastnn.kernels.matmul(a, b), fastnn.kernels.softmax(a)
    fastnn.set_num_threads(2)
    for _ in range(20):
        assert np.array_equal(fastnn.kernels.matmul(a, b), want_matmul)
        assert np.array_equal(fastnn.kernels.softmax(a), want_softmax)


def test_two_python_threads_calling_kernels_at_once(restore_threads):
    fastnn.set_num_threads(2)
    rng = np.random.default_rng(2)
    inputs = [(rng.standard_normal((257, 301)).astype(np.float32),
               rng.standard_normal((301, 129)).astype(np.float32)) for _ in range(2)]
    fastnn.set_num_threads(1)
    wanted = [fastnn.kernels.matmul(a, b) for a, b in inputs]
    fastnn.set_num_threads(2)
    failures = []

    def work(index):
        a, b = inputs[index]
        for _ in range(40):
            if not np.array_equal(fastnn.kernels.matmul(a, b), wanted[index]):
                failures.append(index)
                return

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a kernel call did not return"
    assert failures == []


def test_a_process_with_idle_workers_exits_promptly():
    code = ("import numpy as np, fastnn\n"
            "fastnn.set_num_threads(2)\n"
            "a = np.ones((512, 512), np.float32)\n"
            "fastnn.kernels.matmul(a, a)\n"
            "print('done')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
