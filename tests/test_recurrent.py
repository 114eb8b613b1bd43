"""Recurrent layers: SimpleRNN, LSTM, GRU, their cells and the RNN wrapper, Bidirectional,
TimeDistributed, Masking. Keras's outputs for the same weights, float64 gradients, the fused
loop against the step-by-step one, configs, training, step plans, stateful layers, bad input."""
import itertools

import numpy as np
import pytest

import fastnn
from fastnn import Tensor, layers, models
from fastnn.layers.recurrent.cell import RNNCell
from fastnn.testing import layer_gradcheck
from fastnn.utils import set_random_seed


N, T, F, U = 3, 5, 4, 3
RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def _inputs(seed=0, shape=(N, T, F)):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    mask = (rng.uniform(size=shape[:2]) < 0.7).astype(np.float32)
    mask[:, 0] = 1
    return x, mask


def _outputs(result):
    return [o.data for o in (result if isinstance(result, (list, tuple)) else [result])]


def _fastnn_layer(spec):
    cls = getattr(layers, spec["class"])
    if "layer" in spec:
        return cls(_fastnn_layer(spec["layer"]), **spec.get("kwargs", {}))
    return cls(*spec.get("args", []), **spec.get("kwargs", {}))


# ---- Keras's outputs for the same weights ------------------------------------------------------
def _keras_cases():
    cases = []
    options = [{}, {"activation": "relu"}, {"activation": "elu"}]
    for name in RECURRENT:
        for rs, gb, st, masked in itertools.product([False, True], repeat=4):
            cases.append({"layer": {"class": name, "args": [U], "kwargs": {"return_sequences": rs, "go_backwards": gb,
                                                                           "return_state": st}},
                          "input": "x", "mask": "mask" if masked else None})
        for extra in options:
            cases.append({"layer": {"class": name, "args": [U], "kwargs": dict(return_sequences=True, **extra)},
                          "input": "x", "mask": "mask"})
    cases.append({"layer": {"class": "GRU", "args": [U], "kwargs": {"reset_after": False, "return_sequences": True}},
                  "input": "x", "mask": "mask"})
    cases.append({"layer": {"class": "LSTM", "args": [U], "kwargs": {"recurrent_activation": "hard_sigmoid",
                                                                     "unit_forget_bias": False, "use_bias": False}},
                  "input": "x"})
    for merge, rs, st in itertools.product(["concat", "sum", "mul", "ave", None], [False, True], [False, True]):
        cases.append({"layer": {"class": "Bidirectional", "layer": {"class": "LSTM", "args": [U], "kwargs": {
            "return_sequences": rs, "return_state": st}}, "kwargs": {"merge_mode": merge}},
            "input": "x", "mask": "mask" if rs else None})
    cases.append({"layer": {"class": "Bidirectional", "layer": {"class": "GRU", "args": [U], "kwargs": {
        "return_sequences": True}}}, "input": "x", "mask": "mask"})
    cases.append({"layer": {"class": "TimeDistributed", "layer": {"class": "Dense", "args": [2]}}, "input": "x"})
    cases.append({"layer": {"class": "Masking", "kwargs": {"mask_value": 0.5}}, "input": "x_masked"})
    return cases


def test_outputs_match_keras_for_the_same_weights(keras_results):
    x, mask = _inputs()
    x_masked = x.copy()
    x_masked[:, 2] = 0.5
    inputs = {"x": x, "mask": mask, "x_masked": x_masked}
    cases = _keras_cases()
    for case, (weights, expected) in zip(cases, keras_results(cases, inputs)):
        layer = _fastnn_layer(case["layer"])
        data = inputs[case["input"]]
        layer.build_for((None,) + data.shape[1:])
        assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights], case
        layer.set_weights(weights)
        got = _outputs(layer(Tensor(data), **({"mask": inputs[case["mask"]]} if case.get("mask") else {})))
        assert len(got) == len(expected), case
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5, err_msg=str(case))


def test_weights_are_named_shaped_and_ordered_as_keras():
    expected = {
        "SimpleRNN": [("kernel", (F, U)), ("recurrent_kernel", (U, U)), ("bias", (U,))],
        "LSTM": [("kernel", (F, 4 * U)), ("recurrent_kernel", (U, 4 * U)), ("bias", (4 * U,))],
        "GRU": [("kernel", (F, 3 * U)), ("recurrent_kernel", (U, 3 * U)), ("bias", (2, 3 * U))],
    }
    for name, weights in expected.items():
        layer = getattr(layers, name)(U)
        layer.build_for((None, T, F))
        assert list(zip(layer.weight_names, [w.shape for w in layer.weights])) == weights
        recurrent = layer.get_weights()[1].astype(np.float64)  # orthogonal rows (Keras's default initializer)
        assert np.allclose(recurrent @ recurrent.T, np.eye(U), atol=1e-5)
    gru = layers.GRU(U, reset_after=False)
    gru.build_for((None, T, F))
    assert gru.weights[2].shape == (3 * U,)
    lstm = layers.LSTM(U)
    lstm.build_for((None, T, F))
    assert np.array_equal(lstm.get_weights()[2], np.r_[np.zeros(U), np.ones(U), np.zeros(2 * U)])


# ---- float64 gradients ---------------------------------------------------------------------------
def _built(layer, shape=(N, T, F)):
    layer.build_for((None,) + shape[1:])
    return layer


GRADIENT_OPTIONS = [
    {}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True}, {"return_state": True},
    {"return_state": True, "return_sequences": True, "go_backwards": True}, {"use_bias": False},
    {"activation": "relu"}, {"activation": "softsign"},
]


@pytest.mark.parametrize("options", GRADIENT_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("name", RECURRENT)
def test_gradients(name, options):
    x, mask = _inputs(1, (2, 3, 2))
    layer = _built(getattr(layers, name)(2, **options), x.shape)
    assert layer_gradcheck(lambda t: layer(t), layer, x)
    assert layer_gradcheck(lambda t: layer(t, mask=mask), layer, x)


@pytest.mark.parametrize("name", RECURRENT)
def test_gradients_with_dropout_of_a_fixed_seed(name):
    x, mask = _inputs(2, (2, 3, 2))
    for options in ({"dropout": 0.4}, {"recurrent_dropout": 0.4}, {"dropout": 0.3, "recurrent_dropout": 0.5}):
        layer = _built(getattr(layers, name)(2, seed=5, return_sequences=True, **options), x.shape)

        def call(t):
            layer.cell._dropout_key = None  # the same masks on every run
            return layer(t, training=True, mask=mask)

        assert layer_gradcheck(call, layer, x)
        assert not np.array_equal(call(Tensor(x.astype(np.float64))).data,
                                  layer(Tensor(x.astype(np.float64)), mask=mask).data)  # dropout acted


def test_gradients_of_the_initial_states_and_of_gru_without_reset_after():
    x, mask = _inputs(3, (2, 3, 2))
    rng = np.random.default_rng(3)
    h0, c0 = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    lstm = _built(layers.LSTM(2, return_state=True), x.shape)
    assert layer_gradcheck(lambda t, h, c: lstm(t, initial_state=[h, c], mask=mask), lstm, x, h0, c0)
    gru = _built(layers.GRU(2, reset_after=False, return_sequences=True), x.shape)
    assert layer_gradcheck(lambda t, h: gru(t, initial_state=[h], mask=mask), gru, x, h0)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_gradients(merge_mode):
    x, mask = _inputs(4, (2, 3, 2))
    layer = _built(layers.Bidirectional(layers.GRU(2, return_sequences=True), merge_mode=merge_mode), x.shape)
    assert layer_gradcheck(lambda t: layer(t, mask=mask), layer, x)


def test_time_distributed_and_masking_gradients():
    x, _ = _inputs(5, (2, 3, 2))
    td = _built(layers.TimeDistributed(layers.Dense(3, activation="tanh")), x.shape)
    assert layer_gradcheck(lambda t: td(t), td, x)
    x[:, 1] = 0.0
    masking = layers.Masking()
    lstm = _built(layers.LSTM(2, return_sequences=True), x.shape)
    # moving a masked step's zeros would unmask it: the weights' gradients only
    assert layer_gradcheck(lambda t: lstm(masking(t)), lstm, x, check_inputs=False)


# ---- the fused loop and the step-by-step one ---------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"return_sequences": True, "go_backwards": True}, {"return_state": True},
                                     {"dropout": 0.3, "recurrent_dropout": 0.4, "seed": 1, "return_sequences": True},
                                     {"recurrent_dropout": 0.5, "seed": 2}, {"dropout": 0.5, "seed": 3}],
                         ids=["default", "backwards", "state", "dropouts", "recurrent-dropout", "dropout"])
@pytest.mark.parametrize("name", RECURRENT)
def test_fused_and_stepwise_loops_agree(name, options, monkeypatch):
    """The same masks (drawn in the same order from one seed) in both loops, and the same results."""
    x, mask = _inputs(6)
    layer = _built(getattr(layers, name)(U, **options))
    weights = layer.get_weights()
    results = []
    for fused in (True, False):
        if not fused:
            monkeypatch.setattr(layer.cell, "fused_cell", lambda training: None)
        layer.set_weights(weights)
        for w in layer.weights:
            w.grad = None
            w.requires_grad = True
        xt = Tensor(x, requires_grad=True)
        layer.cell._dropout_key = None
        outputs = layer(xt, mask=mask, training=True)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        total = sum((o * (i + 1.0)).sum() for i, o in enumerate(outputs))
        total.backward()
        results.append([o.data for o in outputs] + [xt.grad] + [w.grad for w in layer.weights])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_custom_cells_run_step_by_step():
    class MinimalCell(RNNCell):
        def build(self, input_shape):
            self.add_kernels(input_shape[-1])

        def call(self, inputs, states, training=False):
            h = fastnn.functional.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return h, [h]

    x, mask = _inputs(7)
    layer = _built(layers.RNN(MinimalCell(2, use_bias=False), return_sequences=True))
    reference = _built(layers.SimpleRNN(2, return_sequences=True))
    reference.set_weights(layer.get_weights() + [np.zeros(2, np.float32)])
    np.testing.assert_allclose(layer(Tensor(x), mask=mask).data, reference(Tensor(x), mask=mask).data, atol=1e-6)
    assert layer_gradcheck(lambda t: layer(t, mask=mask[:2, :3]), layer, x[:2, :3].astype(np.float64))


# ---- configs -----------------------------------------------------------------------------------------------
CONFIG_LAYERS = [
    lambda: layers.SimpleRNN(4, activation="relu", dropout=0.1, recurrent_dropout=0.2, seed=3, go_backwards=True),
    lambda: layers.LSTM(4, return_sequences=True, return_state=True, unit_forget_bias=False, stateful=True,
                        batch_size=2, recurrent_regularizer="l2", kernel_initializer="he_normal"),
    lambda: layers.GRU(4, reset_after=False, recurrent_activation="hard_sigmoid", zero_output_for_mask=True),
    lambda: layers.RNN(layers.LSTMCell(3), return_sequences=True),
    lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True), merge_mode="sum"),
    lambda: layers.Bidirectional(layers.GRU(3), backward_layer=layers.GRU(3, go_backwards=True), merge_mode=None),
    lambda: layers.TimeDistributed(layers.Dense(2, activation="relu")),
    lambda: layers.Masking(mask_value=-1.0),
]


@pytest.mark.parametrize("make", CONFIG_LAYERS)
def test_config_round_trip(make):
    layer = make()
    config = layers.serialize(layer)
    again = layers.deserialize(config)
    assert type(again) is type(layer)
    assert layers.serialize(again) == config
    layer.build_for((None, T, F))
    again.build_for((None, T, F))
    assert [w.shape for w in layer.weights] == [w.shape for w in again.weights]
    assert layer.weight_names == again.weight_names


def test_lstm_config_has_keras_keys():
    config = layers.LSTM(5).get_config()
    for key in ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "unit_forget_bias", "dropout", "recurrent_dropout",
                "seed", "return_sequences", "return_state", "go_backwards", "stateful", "unroll"):
        assert key in config
    assert "cell" not in config and config["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert layers.GRU(2).get_config()["reset_after"] is True


def test_a_model_with_recurrent_layers_saves_and_loads(tmp_path):
    set_random_seed(2)
    model = models.Sequential([layers.Embedding(20, 4, mask_zero=True, input_shape=(6,)),
                               layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
                               layers.GRU(3), layers.Dense(1)])
    model.compile("rmsprop", "mse")
    x = np.random.default_rng(0).integers(0, 20, (8, 6))
    model.fit(x, np.ones((8, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "m.fastnn")
    loaded = models.load_model(tmp_path / "m.fastnn")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# ---- training and step plans ---------------------------------------------------------------------------
def _sequence_task(seed=0, samples=96, steps=8, vocabulary=12):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocabulary, (samples, steps))
    lengths = rng.integers(3, steps + 1, samples)
    for i, n in enumerate(lengths):
        x[i, :steps - n] = 0  # pre-padding, as pad_sequences does
    y = (x.max(axis=1) >= vocabulary - 3).astype(np.float32)  # is a large token in the sequence?
    return x, y


PLAN_MODELS = {
    "lstm-mask-zero": lambda: [layers.Embedding(12, 6, mask_zero=True), layers.LSTM(5),
                               layers.Dense(1, activation="sigmoid")],
    "gru-dropout": lambda: [layers.Embedding(12, 6), layers.GRU(5, dropout=0.2, seed=1),
                            layers.Dense(1, activation="sigmoid")],
    "simple-backwards": lambda: [layers.Embedding(12, 6), layers.SimpleRNN(5, go_backwards=True),
                                 layers.Dense(1, activation="sigmoid")],
    "stacked-recurrent-dropout": lambda: [layers.Embedding(12, 6),
                                          layers.LSTM(4, return_sequences=True, recurrent_dropout=0.3, seed=2),
                                          layers.GRU(4, dropout=0.1, recurrent_dropout=0.2, seed=3),
                                          layers.Dense(1, activation="sigmoid")],
    "bidirectional": lambda: [layers.Embedding(12, 6, mask_zero=True),
                              layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                              layers.TimeDistributed(layers.Dense(3, activation="relu")),
                              layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid")],
    "conv1d-gru": lambda: [layers.Embedding(12, 6), layers.Conv1D(5, 3, activation="relu"),
                           layers.MaxPooling1D(2), layers.GRU(4, go_backwards=True),
                           layers.Dense(1, activation="sigmoid")],
}


def _train(make, run_eagerly, epochs=3, batch_size=32):
    x, y = _sequence_task()
    set_random_seed(4)
    model = models.Sequential(make())
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(x[:90], y[:90], batch_size=batch_size, epochs=epochs, verbose=0)
    return model, history.history, x


@pytest.mark.parametrize("name", sorted(PLAN_MODELS))
def test_training_steps_replay_and_give_the_eager_bits(name):
    planned, planned_history, x = _train(PLAN_MODELS[name], False)
    eager, eager_history, _ = _train(PLAN_MODELS[name], True)
    plans = planned.train_function.plans.plans
    assert plans and all(p.state == "replay" for p in plans.values()), {k: (p.state, p.reason) for k, p in plans.items()}
    assert planned_history == eager_history
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), name
    for _ in range(2):
        planned.predict(x, batch_size=32, verbose=0)
    assert np.array_equal(planned.predict(x, batch_size=32, verbose=0), eager.predict(x, batch_size=32, verbose=0))
    assert all(p.state == "replay" for p in planned.predict_function.plans.plans.values())


def test_training_is_bitwise_identical_at_one_and_two_threads(request):
    before = fastnn.get_num_threads()
    request.addfinalizer(lambda: fastnn.set_num_threads(before))
    weights = []
    for threads in (1, 2):
        fastnn.set_num_threads(threads)
        model, _, _ = _train(PLAN_MODELS["bidirectional"], False, epochs=2)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("name", ["LSTM", "GRU", "SimpleRNN"])
def test_a_sequential_model_learns_a_sequence_task(name):
    x, y = _sequence_task(samples=256, steps=10)
    set_random_seed(0)
    model = models.Sequential([layers.Embedding(12, 8, mask_zero=True), getattr(layers, name)(8),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(fastnn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] > 0.9, history.history


def test_the_book_gru_on_float_series_trains():
    rng = np.random.default_rng(1)
    series = np.cumsum(rng.standard_normal((128, 24, 3)), axis=1).astype(np.float32) * 0.1
    target = series[:, -1, :1] * 1.5
    set_random_seed(1)
    model = models.Sequential([layers.GRU(8, input_shape=(None, 3)), layers.Dense(1)])
    model.compile(fastnn.optimizers.RMSprop(0.01), "mae")
    history = model.fit(series, target, batch_size=32, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


# ---- masks -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", RECURRENT)
def test_masked_padding_gives_the_unpadded_result(name):
    set_random_seed(5)
    embedding = layers.Embedding(10, 4, mask_zero=True)
    rnn = getattr(layers, name)(3)
    padded = np.array([[0, 0, 3, 4, 5], [1, 2, 3, 4, 5]])
    out = rnn(embedding(padded))
    short = rnn(embedding(np.array([[3, 4, 5]])))
    np.testing.assert_allclose(out.data[0], short.data[0], atol=1e-6)


def test_masks_flow_through_dense_and_dropout_and_stop_at_non_masking_layers():
    embedding = layers.Embedding(10, 4, mask_zero=True)
    h = embedding(np.array([[0, 1, 2]]))
    assert np.array_equal(h._keras_mask.data, [[0, 1, 1]])
    for layer in (layers.Dense(3), layers.Dropout(0.5), layers.LSTM(2, return_sequences=True)):
        h = layer(h)
        assert np.array_equal(h._keras_mask.data, [[0, 1, 1]]), layer
    assert getattr(layers.LSTM(2)(h), "_keras_mask", None) is None
    assert getattr(layers.Flatten()(h), "_keras_mask", None) is None


# ---- stateful layers ----------------------------------------------------------------------------------
def test_stateful_layers_carry_their_state_between_batches_and_reset():
    x, _ = _inputs(8, (2, 6, F))
    set_random_seed(6)
    stateful = layers.LSTM(U, stateful=True, return_sequences=True)
    whole = layers.LSTM(U, return_sequences=True)
    _built(stateful, x.shape)
    _built(whole, x.shape)
    whole.set_weights(stateful.get_weights())
    first, second = stateful(Tensor(x[:, :3])), stateful(Tensor(x[:, 3:]))
    np.testing.assert_allclose(np.concatenate([first.data, second.data], axis=1), whole(Tensor(x)).data, atol=1e-6)
    stateful.reset_states()
    np.testing.assert_allclose(stateful(Tensor(x[:, :3])).data, first.data, atol=1e-7)
    with pytest.raises(ValueError, match="batch size"):
        stateful(Tensor(x[:1, :3]))


def test_a_stateful_model_replays_with_its_state():
    def make():
        return [layers.GRU(4, stateful=True, batch_input_shape=(8, 5, 2)), layers.Dense(1)]

    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((32, 5, 2)).astype(np.float32), rng.standard_normal((32, 1)).astype(np.float32)
    results = []
    for eager in (False, True):
        set_random_seed(3)
        model = models.Sequential(make())
        model.compile("sgd", "mse", run_eagerly=eager)
        for _ in range(3):
            model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
            model.layers[0].reset_states()
        results.append((model, model.layers[0].states[0].copy()))
    (planned, state), (eager, eager_state) = results
    assert all(p.state == "replay" for p in planned.train_function.plans.plans.values())
    assert np.array_equal(state, eager_state) and np.abs(state).max() == 0
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a, b)


# ---- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", RECURRENT)
def test_a_2d_input_is_refused_naming_the_layer(name):
    layer = getattr(layers, name)(3, name="my_rnn")
    with pytest.raises(ValueError, match=r"'my_rnn'.*expected ndim=3 \(batch, steps, features\), found ndim=2"):
        layer(np.ones((4, 5)))
    model = models.Sequential([getattr(layers, name)(3)])
    model.compile("rmsprop", "mse")
    with pytest.raises(ValueError, match="expected ndim=3"):
        model.fit(np.ones((4, 5)), np.ones((4, 3)), verbose=0)


def test_bad_masks_and_states_are_refused():
    layer = _built(layers.LSTM(3))
    x = Tensor(np.ones((N, T, F), np.float32))
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\) = \(3, 5\).*\(3, 4\)"):
        layer(x, mask=np.ones((N, T - 1)))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        layer(x, initial_state=[np.zeros((N, 3))])
    with pytest.raises(ValueError, match=r"initial state must have shape \(3, 3\)"):
        layer(x, initial_state=[np.zeros((N, 2)), np.zeros((N, 3))])
    with pytest.raises(ValueError, match="expected shape \\(None, steps, 4\\)"):
        layer(np.ones((N, T, F + 1)))
    with pytest.raises(AttributeError, match="not stateful"):
        layer.reset_states()


@pytest.mark.parametrize("make, match", [
    (lambda: layers.LSTM(0), "units"),
    (lambda: layers.GRU(2.5), "units"),
    (lambda: layers.LSTM(2, use_cudnn=True), "CPUs"),
    (lambda: layers.Bidirectional(layers.Dense(2)), "recurrent layer"),
    (lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="max"), "merge mode"),
    (lambda: layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2)), "opposite `go_backwards`"),
    (lambda: layers.TimeDistributed("dense"), "Layer"),
    (lambda: layers.SimpleRNN(2, activation="nope"), "activation"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_time_distributed_needs_steps():
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        layers.TimeDistributed(layers.Dense(2))(np.ones((2, 3)))


# ---- predict on one sample (the 1st edition's text generation loop) -------------------------------
def test_predict_on_one_sample_replays_one_plan_and_matches_the_general_path():
    set_random_seed(7)
    model = models.Sequential([layers.LSTM(16, input_shape=(6, 5)), layers.Dense(5, activation="softmax")])
    model.compile("rmsprop", "categorical_crossentropy")
    rng = np.random.default_rng(7)
    for _ in range(6):
        x = rng.uniform(size=(6, 5))
        fast = model.predict(x[None], verbose=0)
        general = model.predict(x[None], verbose=0, callbacks=[])  # the path with the iterator and callbacks
        assert fast.dtype == np.float32 and fast.shape == (1, 5)
        assert np.array_equal(fast, general)
    plans = model.predict_function.plans.plans
    assert len(plans) == 1 and next(iter(plans.values())).state == "replay"
    many = rng.uniform(size=(3, 6, 5))
    assert np.array_equal(model.predict(many, verbose=0), model.predict(many, verbose=0, callbacks=[]))
    with pytest.raises(ValueError, match="incompatible"):
        model.predict(np.ones((1, 7, 5)), verbose=0)


def test_sequences_of_another_length_get_their_own_plan():
    rng = np.random.default_rng(8)
    data = [(rng.standard_normal((16, steps, 3)).astype(np.float32), rng.standard_normal((16, 1)).astype(np.float32))
            for steps in (5, 9, 5)]
    trained = []
    for eager in (False, True):
        set_random_seed(8)
        model = models.Sequential([layers.LSTM(4, input_shape=(None, 3)), layers.Dense(1)])
        model.compile("rmsprop", "mse", run_eagerly=eager)
        for x, y in data:
            for _ in range(3):
                model.fit(x, y, batch_size=16, epochs=1, verbose=0)
        trained.append(model)
    planned, eager = trained
    plans = planned.train_function.plans.plans
    assert len(plans) == 2 and all(p.state == "replay" for p in plans.values())
    for a, b in zip(planned.get_weights(), eager.get_weights()):
        assert np.array_equal(a, b)
    for x, _ in data:
        assert np.array_equal(planned.predict(x, verbose=0), eager.predict(x, verbose=0))
