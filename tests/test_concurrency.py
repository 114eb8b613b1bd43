"""Python threads and the kernels: the GIL is released, shared models predict correctly,
and the thread count can change while other threads compute."""
import sys
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import kernels, layers, models

THREADS = 8


@pytest.fixture
def restore_threads():
    before = fastnn.get_num_threads()
    yield
    fastnn.set_num_threads(before)


@pytest.fixture
def fast_switching():
    """Python threads switch every microsecond, so races show up within a few calls."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def run_together(target, count=THREADS):
    """Runs target(i) in count threads released at once; re-raises the first error."""
    barrier = threading.Barrier(count)
    errors = []

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as err:  # noqa: BLE001  (reported below)
            errors.append(err)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread is still running after 120 s"
    if errors:
        raise errors[0]


def longest_pause_of_a_python_loop_while(call):
    """Runs call() in a thread; returns (its duration, the longest gap between iterations of a
    Python loop that ran meanwhile in this thread)."""
    done = threading.Event()
    span = []

    def worker():
        start = time.perf_counter()
        call()
        span.append(time.perf_counter() - start)
        done.set()

    ticks = []
    thread = threading.Thread(target=worker)
    thread.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    thread.join()
    return span[0], float(np.max(np.diff(ticks))) if len(ticks) > 1 else span[0]


LONG_CALLS = {
    "matmul": lambda rng: (kernels.matmul, (rng.standard_normal((1024, 1024)), rng.standard_normal((1024, 1024)))),
    "softmax": lambda rng: (kernels.softmax, (rng.standard_normal((2048, 2048)),)),
    "adam_step": lambda rng: (lambda *a: kernels.adam_step(*a, learning_rate=1e-3, beta_1=0.9, beta_2=0.999,
                                                           epsilon=1e-7, step=1),
                              tuple(rng.standard_normal(8_000_000) for _ in range(4))),
}


@pytest.mark.parametrize("name", sorted(LONG_CALLS))
def test_kernels_release_the_gil(name, restore_threads):
    fastnn.set_num_threads(1)
    fn, args = LONG_CALLS[name](np.random.default_rng(0))
    fn(*args)  # warm up
    attempts = []
    for _ in range(5):  # a busy machine may stall the loop now and then; a held GIL stalls it every time
        duration, longest_pause = longest_pause_of_a_python_loop_while(lambda: [fn(*args) for _ in range(3)])
        one_call = duration / 3
        assert one_call > 0.01, f"{name} is too quick ({one_call * 1e3:.1f} ms) to tell whether it holds the GIL"
        attempts.append((round(one_call, 4), round(longest_pause, 4)))
        # Holding the GIL would freeze the loop for a whole call; released, it pauses only for
        # the worker's brief Python code between calls (and the OS scheduler).
        if longest_pause < one_call / 2:
            return
    pytest.fail(f"{name}: a Python loop stalled for most of a call in every attempt (call, pause): {attempts}")


def chapter_like_model(built=True):
    fastnn.set_seed(7)
    first = layers.Dense(64, activation="relu", **({"input_shape": (32,)} if built else {}))
    return models.Sequential([first, layers.Dense(10, activation="softmax")])


def test_eight_threads_predicting_with_one_model_match_a_serial_call(fast_switching):
    model = chapter_like_model()
    x = np.random.default_rng(1).standard_normal((500, 32)).astype(np.float32)
    want = model.predict(x, batch_size=64, verbose=0)
    results = [[] for _ in range(THREADS)]

    def predict(i):
        for batch_size in (64, 17, 500):
            results[i].append(model.predict(x, batch_size=batch_size, verbose=0))

    run_together(predict)
    for outputs in results:
        for got in outputs:
            np.testing.assert_array_equal(got, want)


def test_threads_predicting_with_an_unbuilt_model_build_it_once(fast_switching):
    model = chapter_like_model(built=False)
    x = np.random.default_rng(2).standard_normal((64, 32)).astype(np.float32)
    results = [None] * THREADS
    run_together(lambda i: results.__setitem__(i, model.predict(x, verbose=0)))
    assert len(model.weights) == 4
    want = model.predict(x, verbose=0)
    for got in results:
        np.testing.assert_array_equal(got, want)


def test_threads_training_their_own_models_match_serial_training(fast_switching):
    x = np.random.default_rng(3).standard_normal((128, 32)).astype(np.float32)
    y = np.arange(128) % 10

    def compiled():  # built here: the seeded initial weights come from one shared generator
        model = chapter_like_model()
        model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
        return model

    def train(model):
        model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0)
        return model.get_weights()

    want = train(compiled())
    fresh = [compiled() for _ in range(4)]
    results = [None] * 4
    run_together(lambda i: results.__setitem__(i, train(fresh[i])), count=4)
    for weights in results:
        for got, expected in zip(weights, want):
            np.testing.assert_array_equal(got, expected)


@pytest.mark.skipif(not fastnn.openmp_enabled(), reason="built without OpenMP")
def test_changing_the_thread_count_while_other_threads_compute(restore_threads):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((300, 400)).astype(np.float32), rng.standard_normal((400, 200)).astype(np.float32)
    x = rng.standard_normal((512, 300)).astype(np.float32)
    want_matmul, want_softmax = kernels.matmul(a, b), kernels.softmax(x)
    stop = threading.Event()

    def flip_counts():
        counts = [1, 2, 3, 4]
        i = 0
        while not stop.is_set():
            fastnn.set_num_threads(counts[i % 4])
            i += 1
            time.sleep(0.0005)

    flipper = threading.Thread(target=flip_counts)
    flipper.start()
    try:
        def compute(i):
            for _ in range(30):
                np.testing.assert_array_equal(kernels.matmul(a, b), want_matmul)
                np.testing.assert_array_equal(kernels.softmax(x), want_softmax)

        run_together(compute, count=4)
    finally:
        stop.set()
        flipper.join()
