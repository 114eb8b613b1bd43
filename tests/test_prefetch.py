"""Batches made ahead of the step (fastnn.models.prefetch) and fit/evaluate/predict on Sequences and
generators: order, the bounded queue, errors raised in the caller with the worker's traceback, Ctrl-C,
no thread left behind, the loaders' thread cap, and the same training whatever the worker count."""
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import _C
from fastnn.layers import Dense
from fastnn.models import Sequential
from fastnn.models.prefetch import prefetched
from fastnn.utils import Sequence


def loader_threads():
    return [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")]


@pytest.fixture(autouse=True)
def no_threads_left():
    yield
    assert loader_threads() == []


# ---- prefetched ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [0, 1, 3])
def test_results_come_in_order(workers):
    rng = np.random.default_rng(workers)
    delays = rng.uniform(0, 0.01, 20)

    def produce(i):
        time.sleep(delays[i])
        return i * i

    assert list(prefetched(produce, 20, workers, ahead=4)) == [i * i for i in range(20)]


def test_made_on_background_threads_capped_to_one_kernel_thread():
    seen = []

    def produce(i):
        seen.append((threading.current_thread().name, _C._threads_granted(1e9)))
        return i

    list(prefetched(produce, 4, workers=2))
    assert all(name.startswith("fastnn-batches") and granted == 1 for name, granted in seen)
    seen.clear()
    list(prefetched(produce, 2, workers=0))
    assert [name for name, _ in seen] == [threading.current_thread().name] * 2


def test_the_queue_is_bounded():
    made = []
    stream = prefetched(lambda i: made.append(i) or i, 100, workers=2, ahead=3)
    assert next(stream) == 0
    time.sleep(0.3)
    assert len(made) <= 1 + 3
    stream.close()


def test_stop_iteration_ends_the_stream():
    items = iter(range(5))
    assert list(prefetched(lambda i: next(items), None, workers=1)) == [0, 1, 2, 3, 4]


def make_batch_or_fail(i):
    if i == 3:
        raise ArithmeticError("batch 3 is bad")
    return i


def test_a_workers_exception_is_raised_in_the_caller_with_its_traceback():
    got = []
    with pytest.raises(ArithmeticError, match="batch 3 is bad") as caught:
        for item in prefetched(make_batch_or_fail, 10, workers=2):
            got.append(item)
    assert got == [0, 1, 2]
    assert any(entry.name == "make_batch_or_fail" for entry in caught.traceback)
    assert "background loading thread" in "".join(getattr(caught.value, "__notes__", []))


def test_stopping_early_and_ctrl_c_join_the_workers():
    stream = prefetched(lambda i: time.sleep(0.01) or i, 1000, workers=3, ahead=5)
    assert [next(stream), next(stream)] == [0, 1]
    stream.close()
    assert loader_threads() == []
    with pytest.raises(KeyboardInterrupt):
        for item in prefetched(lambda i: time.sleep(0.01) or i, 1000, workers=3):
            if item == 4:
                raise KeyboardInterrupt
    assert loader_threads() == []


# ---- fit on Sequences and generators -------------------------------------------------------------------------
class Batches(Sequence):
    """Batches of a fixed regression problem; records who asked for what."""

    def __init__(self, n_batches=5, batch=8, fail_at=None, **kwargs):
        super().__init__(**kwargs)
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n_batches * batch, 4)).astype(np.float32)
        self.y = (self.x @ np.array([1.0, -2.0, 0.5, 3.0], np.float32))[:, None]
        self.n_batches, self.batch, self.fail_at = n_batches, batch, fail_at
        self.epoch_ends, self.requests, self.threads = 0, [], set()

    def __len__(self):
        return self.n_batches

    def __getitem__(self, i):
        self.requests.append(i)
        self.threads.add(threading.current_thread().name)
        if i == self.fail_at:
            raise RuntimeError(f"cannot make batch {i}")
        part = slice(i * self.batch, (i + 1) * self.batch)
        return self.x[part], self.y[part]

    def on_epoch_end(self):
        self.epoch_ends += 1


def model():
    fastnn.utils.set_random_seed(1)
    m = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(1)])
    m.compile(optimizer="rmsprop", loss="mse")
    return m


def test_fit_on_a_sequence_takes_its_length_as_the_epoch():
    data = Batches(workers=2)
    history = model().fit(data, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert sorted(data.requests) == sorted(list(range(5)) * 3) and data.epoch_ends == 3
    assert all(name.startswith("fastnn-batches") for name in data.threads)


def test_steps_per_epoch_shorter_than_the_sequence_continues_where_it_stopped():
    data = Batches(workers=1)
    model().fit(data, steps_per_epoch=3, epochs=3, verbose=0)
    assert data.requests == [0, 1, 2, 3, 4, 0, 1, 2, 3]
    assert data.epoch_ends == 1


def test_results_do_not_depend_on_the_workers():
    weights = []
    for workers in (0, 1, 3):
        m = model()
        m.fit(Batches(workers=workers, max_queue_size=2), epochs=2, verbose=0)
        weights.append(m.get_weights())
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_array_equal(a, b)


def test_evaluate_and_predict_on_sequences_and_generators():
    m = model()
    data = Batches()
    m.fit(data, epochs=1, verbose=0)
    loss = m.evaluate(data, verbose=0)
    np.testing.assert_allclose(loss, m.evaluate(data.x, data.y, batch_size=8, verbose=0), rtol=1e-5)
    np.testing.assert_allclose(m.predict(data, verbose=0), m.predict(data.x, verbose=0), rtol=1e-6)
    generator = (data[i] for i in range(5))
    np.testing.assert_allclose(m.evaluate(generator, steps=5, verbose=0), loss, rtol=1e-5)


def test_a_generator_is_not_advanced_past_the_epochs_steps():
    data = Batches()
    pulled = []

    def endless():
        i = 0
        while True:
            pulled.append(i)
            yield data[i % 5]
            i += 1

    m = model()
    m.fit(endless(), steps_per_epoch=4, epochs=3, verbose=0)
    assert pulled == list(range(12))


def test_a_generator_that_runs_out_stops_training():
    data = Batches()
    m = model()
    with pytest.warns(UserWarning, match="ran out of batches"):
        history = m.fit((data[i] for i in range(6)), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 2  # the second epoch had 2 batches, the third none


def test_an_error_in_a_worker_reaches_fit_with_its_traceback():
    data = Batches(fail_at=2, workers=2)
    with pytest.raises(RuntimeError, match="cannot make batch 2") as caught:
        model().fit(data, epochs=1, verbose=0)
    assert any(entry.name == "__getitem__" for entry in caught.traceback)


def test_ctrl_c_during_fit_stops_the_workers():
    class Interrupt(fastnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                raise KeyboardInterrupt

    data = Batches(n_batches=50, workers=3)
    with pytest.raises(KeyboardInterrupt):
        model().fit(data, epochs=1, verbose=0, callbacks=[Interrupt()])
    assert loader_threads() == []
    assert len(data.requests) <= 2 + data.max_queue_size + data.workers


def test_bad_batches_from_a_sequence_name_the_batch():
    class Ragged(Batches):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return (x, y) if i < 2 else (x[:, :3], y)

    with pytest.raises(ValueError, match="batch 2"):
        model().fit(Ragged(), epochs=1, verbose=0)


def test_an_empty_sequence_is_refused():
    with pytest.raises(ValueError, match="no batches"):
        model().fit(Batches(n_batches=0), epochs=1, verbose=0)


def test_sequence_argument_checks():
    with pytest.raises(ValueError, match="workers"):
        Batches(workers=-1)
    with pytest.raises(ValueError, match="max_queue_size"):
        Batches(max_queue_size=0)
    with pytest.warns(UserWarning, match="threads"):
        Batches(use_multiprocessing=True)


# ---- the first edition's *_generator methods -----------------------------------------------------------------
@pytest.mark.parametrize("workers", [0, 2])
def test_fit_evaluate_predict_generator(workers):
    data = Batches()
    m = model()

    def batches():
        while True:
            for i in range(5):
                yield data[i]

    history = m.fit_generator(batches(), steps_per_epoch=5, epochs=2, verbose=0, workers=workers, max_queue_size=3,
                              validation_data=data, validation_steps=5)
    assert set(history.history) == {"loss", "val_loss"}
    loss = m.evaluate_generator(data, workers=workers)
    np.testing.assert_allclose(loss, history.history["val_loss"][-1], rtol=1e-5)
    assert m.predict_generator(batches(), steps=3, workers=workers).shape == (24, 1)
    with pytest.raises(ValueError, match="workers"):
        m.fit_generator(batches(), steps_per_epoch=1, workers=-2)


def test_a_keras_py_dataset_trains_a_fastnn_model():
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    data = Batches()

    class KerasBatches(keras.utils.PyDataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return data[i]

    m = model()
    history = m.fit(KerasBatches(), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
