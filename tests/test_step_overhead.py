"""The Python work of one training step on a tiny model (the book's Boston K-fold network at
batch size 1) stays small, and what it skips changes no result: logs and weights are those of
the eager steps, and a change to what the model trains is still noticed at the next step."""
import sys

import numpy as np
import pytest

from fastnn import callbacks, layers, models
from fastnn.models.training import _mean
from fastnn.utils import set_random_seed

SAMPLES, FEATURES = 24, 13


def boston_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((SAMPLES, FEATURES)).astype(np.float32)
    return x, (x @ rng.standard_normal(FEATURES)).astype(np.float32).reshape(-1, 1)


def boston_model(**compile_args):
    model = models.Sequential([layers.Dense(64, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(64, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"], **compile_args)
    return model


def python_calls(run):
    """How many Python function calls (and generator resumptions) run() makes on this thread."""
    count = [0]

    def profile(frame, event, arg):
        if event == "call":
            count[0] += 1

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return count[0]


class BatchLogs(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs))


def test_python_calls_per_training_step_stay_few():
    x, y = boston_data()
    model = boston_model()
    model.fit(x, y, batch_size=1, epochs=2, verbose=0)  # plans recorded and checked
    ten = python_calls(lambda: model.fit(x[:10], y[:10], batch_size=1, verbose=0))
    twenty = python_calls(lambda: model.fit(x[:20], y[:20], batch_size=1, verbose=0))
    per_step = (twenty - ten) / 10
    assert per_step <= 50, f"{per_step} Python calls per training step"


def test_python_calls_per_epoch_stay_few():
    x, y = boston_data()
    model = boston_model()
    model.fit(x[:1], y[:1], batch_size=1, epochs=2, verbose=0)
    ten = python_calls(lambda: model.fit(x[:1], y[:1], batch_size=1, epochs=10, verbose=0))
    twenty = python_calls(lambda: model.fit(x[:1], y[:1], batch_size=1, epochs=20, verbose=0))
    per_epoch = (twenty - ten) / 10  # one step's calls included
    assert per_epoch <= 80, f"{per_epoch} Python calls per one-step epoch"


@pytest.mark.parametrize("with_batch_callback", [False, True])
def test_replayed_steps_give_the_eager_steps_logs_and_weights(with_batch_callback):
    x, y = boston_data()
    runs = []
    for eager in (False, True):
        set_random_seed(3)
        model = boston_model(run_eagerly=eager)
        recorder = BatchLogs()
        history = model.fit(x, y, batch_size=1, epochs=3, verbose=0,
                            callbacks=[recorder] if with_batch_callback or eager else [])
        runs.append((history.history, recorder.logs, model.get_weights()))
    (history, batch_logs, weights), (eager_history, eager_batch_logs, eager_weights) = runs
    assert history == eager_history
    if with_batch_callback:
        assert batch_logs == eager_batch_logs
        assert len(batch_logs) == 3 * SAMPLES
    for got, expected in zip(weights, eager_weights):
        assert got.tobytes() == expected.tobytes()
    # the epoch's logs are its last batch's running means
    assert eager_batch_logs[SAMPLES - 1] == {name: values[0] for name, values in eager_history.items()}


def test_batch_logs_are_the_running_means_of_the_batch_values():
    x, y = boston_data()
    model = boston_model()
    recorder = BatchLogs()
    model.fit(x[:6], y[:6], batch_size=2, epochs=1, shuffle=False, verbose=0, callbacks=[recorder])
    assert [sorted(logs) for logs in recorder.logs] == [["loss", "mae"]] * 3
    assert all(type(value) is float for logs in recorder.logs for value in logs.values())


def test_a_model_made_again_between_steps_is_noticed():
    x, y = boston_data()
    model = boston_model()

    class Freeze(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                model.layers[0].trainable = False

    model.fit(x, y, batch_size=1, verbose=0)
    with pytest.raises(ValueError, match="changed after its optimizer started"):
        model.fit(x, y, batch_size=1, verbose=0, callbacks=[Freeze()])


def test_a_list_of_sublayers_changed_in_place_is_noticed():
    class Blocks(layers.Layer):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(8, activation="relu")]

        def call(self, inputs, training=False):
            for block in self.blocks:
                inputs = block(inputs)
            return inputs

    x, y = boston_data()
    stack = Blocks()
    model = models.Sequential([layers.Dense(8, input_shape=(FEATURES,)), stack, layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse")
    model.fit(x, y, batch_size=4, verbose=0)
    stack.blocks.append(layers.Dense(8))  # in place: no attribute is assigned
    with pytest.raises(ValueError, match="changed after its optimizer started"):
        model.fit(x, y, batch_size=4, verbose=0)


def test_a_layer_with_its_own_trainable_weights_is_asked_at_every_step():
    class SwitchableBias(layers.Dense):
        train_bias = True

        @property
        def trainable_weights(self):
            weights = super().trainable_weights
            return weights if self.train_bias else weights[:1]

    x, y = boston_data()
    switchable = SwitchableBias(4)
    model = models.Sequential([layers.Dense(8, input_shape=(FEATURES,)), switchable, layers.Dense(1)])
    model.compile(optimizer="rmsprop", loss="mse")

    class Switch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                switchable.train_bias = False  # not a layer attribute fastnn knows of

    model.fit(x, y, batch_size=1, verbose=0)
    with pytest.raises(ValueError, match="changed after its optimizer started"):
        model.fit(x, y, batch_size=1, verbose=0, callbacks=[Switch()])


def test_a_model_grown_after_fit_trains_its_new_layer():
    x, y = boston_data()
    model = boston_model()
    model.fit(x, y, batch_size=1, verbose=0)
    model.pop()
    model.add(layers.Dense(1))
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    before = model.layers[-1].get_weights()
    model.fit(x, y, batch_size=1, verbose=0)
    assert not np.array_equal(model.layers[-1].get_weights()[0], before[0])


def test_steps_of_one_batch_size_share_one_plan_across_epochs_and_fits():
    x, y = boston_data()
    model = boston_model()
    model.fit(x, y, batch_size=1, epochs=2, verbose=0)
    model.fit(x, y, batch_size=1, epochs=2, verbose=0)
    plans = list(model.train_function.plans.plans.values())
    assert len(plans) == 1 and plans[0].state == "replay"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 8, 127, 129, 1000, 4099])
def test_batch_means_have_numpys_bits(dtype, size):
    rng = np.random.default_rng(size)
    for scale in (1e-3, 1.0, 1e4):
        values = (rng.standard_normal(size) * scale).astype(dtype)
        for array in (values, values.reshape(-1, 1), values[::2]):
            assert np.float64(_mean(array)).tobytes() == np.float64(float(np.mean(array))).tobytes()
    assert _mean(np.arange(5)) == float(np.mean(np.arange(5)))
    assert _mean(np.float32(2.5)) == 2.5


class BatchOutputs(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.test_logs, self.outputs = [], []

    def on_test_batch_end(self, batch, logs=None):
        self.test_logs.append(logs)

    def on_predict_batch_end(self, batch, logs=None):
        self.outputs.append(np.array(logs["outputs"]))


def test_evaluate_gives_the_same_logs_with_and_without_batch_callbacks():
    x, y = boston_data()
    model = boston_model()
    model.fit(x, y, batch_size=4, verbose=0)
    recorder = BatchOutputs()
    plain = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    watched = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True, callbacks=[recorder])
    assert plain == watched
    assert len(recorder.test_logs) == 5 and recorder.test_logs[-1] is watched  # the last batch's logs are returned
    assert model.evaluate(x[:1], y[:1], verbose=0) == model.evaluate(x[:1], y[:1], verbose=0, callbacks=[recorder])


def test_predict_hands_batch_callbacks_each_batch_of_the_result():
    x, _ = boston_data()
    model = boston_model()
    recorder = BatchOutputs()
    plain = model.predict(x, batch_size=5, verbose=0)
    watched = model.predict(x, batch_size=5, verbose=0, callbacks=[recorder])
    assert plain.tobytes() == watched.tobytes()
    assert [len(o) for o in recorder.outputs] == [5, 5, 5, 5, 4]
    assert np.concatenate(recorder.outputs).tobytes() == plain.tobytes()


def test_python_calls_per_test_batch_stay_few():
    x, y = boston_data()
    model = boston_model()
    model.evaluate(x, y, batch_size=1, verbose=0)
    ten = python_calls(lambda: model.evaluate(x[:10], y[:10], batch_size=1, verbose=0))
    twenty = python_calls(lambda: model.evaluate(x[:20], y[:20], batch_size=1, verbose=0))
    per_batch = (twenty - ten) / 10
    assert per_batch <= 35, f"{per_batch} Python calls per evaluation batch"


def test_the_structure_version_moves_with_every_change_to_what_a_model_trains():
    from fastnn.layers.layer import structure_version

    model = boston_model()
    dense = model.layers[0]
    changes = {
        "trainable": lambda: setattr(dense, "trainable", False),
        "add_weight": lambda: dense.add_weight("extra", (2,)),
        "sublayer attribute": lambda: setattr(dense, "helper", layers.Dense(2)),
        "sublayer attribute replaced by a value": lambda: setattr(dense, "helper", None),
        "Sequential.add": lambda: model.add(layers.Dense(1)),
        "Sequential.pop": model.pop,
        "compile": lambda: model.compile(optimizer="rmsprop", loss="mse"),
    }
    for change, run in changes.items():
        before = structure_version()
        run()
        assert structure_version() != before, change
    x, y = boston_data()
    model.fit(x, y, batch_size=8, verbose=0)
    before = structure_version()
    model.fit(x, y, batch_size=8, verbose=0)  # training moves nothing: the memo holds from step to step
    model.evaluate(x, y, verbose=0)
    model.predict(x[:2], verbose=0)
    assert structure_version() == before
