import io
import contextlib

import numpy as np
import pytest

import fastnn
from fastnn import callbacks, layers, losses, models, optimizers
from fastnn.models.data import BatchGatherer
from fastnn.utils import set_random_seed, to_categorical

FEATURES, CLASSES = 20, 3


def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, size=n)
    centers = np.random.default_rng(99).normal(size=(CLASSES, FEATURES)) * 2
    x = (centers[labels] + rng.normal(size=(n, FEATURES))).astype(np.float32)
    return x, labels


def _classifier(seed=0, hidden=16, input_shape=(FEATURES,), loss="categorical_crossentropy", metrics=("accuracy",),
                optimizer="rmsprop"):
    set_random_seed(seed)
    kwargs = {} if input_shape is None else {"input_shape": input_shape}
    model = models.Sequential([layers.Dense(hidden, activation="relu", **kwargs),
                               layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def _quiet(fn, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = fn(*args, **kwargs)
    return result, out.getvalue()


# fit / evaluate / predict --------------------------------------------------------------------
def test_fit_learns_and_evaluate_returns_loss_and_accuracy():
    x, labels = _blobs()
    model = _classifier()
    history = model.fit(x, to_categorical(labels), epochs=5, batch_size=32, verbose=0)
    assert list(history.history) == ["loss", "accuracy"] and len(history.history["loss"]) == 5
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, to_categorical(labels), verbose=0)
    assert acc > 0.9 and 0 < loss < history.history["loss"][0]
    assert model.history is history


def test_evaluate_forms_of_the_result():
    x, labels = _blobs(60)
    model = _classifier(metrics=())
    loss = model.evaluate(x, to_categorical(labels), verbose=0)
    assert isinstance(loss, float)
    model = _classifier()
    logs = model.evaluate(x, to_categorical(labels), verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and model.metrics_names == ["loss", "accuracy"]


def test_evaluate_loss_equals_the_crossentropy_of_predict():
    x, labels = _blobs(101)
    model = _classifier()
    model.fit(x, labels.astype(np.float64)[:, None] * 0 + to_categorical(labels), epochs=1, verbose=0)
    probs = model.predict(x, verbose=0, batch_size=17)
    assert probs.shape == (101, CLASSES) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)
    expected_loss = -np.log(probs[np.arange(101), labels]).mean()
    expected_acc = (probs.argmax(axis=1) == labels).mean()
    loss, acc = model.evaluate(x, to_categorical(labels), batch_size=13, verbose=0)
    assert np.isclose(loss, expected_loss, rtol=1e-5) and np.isclose(acc, expected_acc)


def test_later_editions_style_infers_the_input_size_and_takes_sparse_labels():
    x, labels = _blobs()
    model = _classifier(input_shape=None, loss="sparse_categorical_crossentropy")
    assert not model.built
    model.fit(x, labels, epochs=5, batch_size=16, verbose=0)
    assert model.built and model.input_shape == (None, FEATURES)
    _, acc = model.evaluate(x, labels, verbose=0)
    assert acc > 0.9
    prediction = model.predict(x[:1], verbose=0)[0].argmax()
    assert prediction in range(CLASSES)


def test_predict_builds_an_unbuilt_model():
    model = models.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")])
    out = model.predict(np.ones((3, 5)), verbose=0)
    assert out.shape == (3, 2) and model.layers[0].kernel.shape == (5, 4)


def test_history_keys_follow_the_metric_names_and_validation():
    x, labels = _blobs(200)
    y = to_categorical(labels)
    model = _classifier(metrics=("acc",))
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    assert list(history.history) == ["loss", "acc", "val_loss", "val_acc"]
    assert history.epoch == [0, 1]
    model = _classifier()
    history = model.fit(x[:150], y[:150], epochs=3, validation_data=(x[150:], y[150:]), verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert all(len(v) == 3 for v in history.history.values())
    val_loss, val_acc = model.evaluate(x[150:], y[150:], verbose=0)
    assert np.isclose(history.history["val_loss"][-1], val_loss) and np.isclose(history.history["val_accuracy"][-1], val_acc)


def test_validation_split_takes_the_last_samples():
    x, labels = _blobs(100)
    y = to_categorical(labels)
    model = _classifier()
    history = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    val_loss, _ = model.evaluate(x[80:], y[80:], verbose=0)
    assert np.isclose(history.history["val_loss"][0], val_loss)


def test_uint8_and_float64_inputs_train_like_float32():
    x, labels = _blobs(120)
    x8 = np.clip(x * 20 + 128, 0, 255).astype(np.uint8)
    results = []
    for data in (x8, x8.astype(np.float64), x8.astype(np.float32)):
        model = _classifier(seed=3)
        model.fit(data, to_categorical(labels), epochs=2, batch_size=32, verbose=0)
        results.append(model.get_weights())
    for weights in results[1:]:
        for a, b in zip(results[0], weights):
            assert np.array_equal(a, b)


def test_flatten_and_dropout_in_a_model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 4, 5)).astype(np.float32)
    labels = (x[:, 0, 0] > 0).astype(int)
    set_random_seed(1)
    model = models.Sequential([layers.Flatten(), layers.Dense(8, activation="relu"), layers.Dropout(0.5),
                               layers.Dense(2, activation="softmax")])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, labels, epochs=2, verbose=0)
    assert model.output_shape == (None, 2)
    assert np.array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_binary_classifier_with_sigmoid_output():
    x, labels = _blobs(200)
    target = (labels == 0).astype(np.float32)
    set_random_seed(0)
    model = models.Sequential([layers.Dense(8, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, target, epochs=10, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    probs = model.predict(x, verbose=0)
    assert probs.shape == (200, 1)
    loss, acc = model.evaluate(x, target, verbose=0)
    assert np.isclose(acc, ((probs[:, 0] > 0.5) == target).mean())
    p = np.clip(probs[:, 0].astype(np.float64), 1e-7, 1 - 1e-7)
    assert np.isclose(loss, -(target * np.log(p) + (1 - target) * np.log(1 - p)).mean(), rtol=1e-4)


def test_regression_with_mse_and_sgd():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(256, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.3
    set_random_seed(0)
    model = models.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel[:, 0], [1.0, -2.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(bias, [0.3], atol=1e-3)
    assert model.evaluate(x, y, verbose=0) < 1e-5


def test_custom_loss_function_matches_the_fused_path():
    x, labels = _blobs(64)
    y = to_categorical(labels)
    fused = _classifier(seed=5, optimizer=optimizers.SGD(0.1))
    composed = _classifier(seed=5, optimizer=optimizers.SGD(0.1),
                           loss=lambda t, p: losses.categorical_crossentropy(t, p))
    for model in (fused, composed):
        model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(fused.get_weights(), composed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_from_logits_loss_on_a_linear_output_trains_like_a_softmax_output():
    x, labels = _blobs(120)
    histories = []
    for from_logits in (True, False):
        set_random_seed(0)
        model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(FEATURES,)),
                                   layers.Dense(CLASSES, activation=None if from_logits else "softmax")])
        model.compile(loss=losses.SparseCategoricalCrossentropy(from_logits=from_logits), metrics=["accuracy"])
        histories.append(model.fit(x, labels, epochs=5, batch_size=8, verbose=0).history)
    assert histories[0]["accuracy"][-1] > 0.9
    assert histories[0] == histories[1]


def test_the_first_layer_input_gets_no_gradient(monkeypatch):
    x, labels = _blobs(32)
    model = _classifier()
    calls = []
    original = fastnn.kernels.matmul

    def counting(a, b, *args, **kwargs):
        calls.append(kwargs.get("trans_b", False))
        return original(a, b, *args, **kwargs)

    monkeypatch.setattr(fastnn.kernels, "matmul", counting)
    # one batch: the step runs eagerly (while it is recorded), through fastnn.kernels
    model.fit(x, to_categorical(labels), epochs=1, batch_size=32, verbose=0)
    # forward: 2 products; backward: 2 kernel gradients and the hidden layer's input gradient only
    assert len(calls) == 5 and calls.count(True) == 1


def test_batches_are_gathered_into_one_reused_float32_buffer():
    x = np.arange(40, dtype=np.uint8).reshape(10, 4)
    y = np.arange(10, dtype=np.int64)
    gatherer = BatchGatherer(x, y, 4)
    a, ya = gatherer.gather(np.array([3, 1, 7, 0]))
    assert a.dtype == np.float32 and np.array_equal(a, x[[3, 1, 7, 0]]) and np.array_equal(ya, [3, 1, 7, 0])
    b, _ = gatherer.gather(np.array([9, 2]))
    assert np.shares_memory(a, b) and np.array_equal(b, x[[9, 2]])


def test_seeded_runs_give_identical_weights():
    x, labels = _blobs(100)
    runs = []
    for _ in range(2):
        set_random_seed(123)
        model = models.Sequential([layers.Dense(8, activation="relu"), layers.Dropout(0.3),
                                   layers.Dense(CLASSES, activation="softmax")])
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, labels, epochs=2, batch_size=10, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        assert np.array_equal(a, b)


def test_weights_live_in_one_flat_buffer_and_set_weights_updates_it():
    model = _classifier()
    parameters = model.trainable_parameters()
    assert parameters.values.size == model.count_params()
    for weight in model.weights:
        assert np.shares_memory(weight.data, parameters.values)
    new = [np.full_like(w, i) for i, w in enumerate(model.get_weights())]
    model.set_weights(new)
    assert np.array_equal(parameters.values[: new[0].size], new[0].ravel())
    for a, b in zip(model.get_weights(), new):
        assert np.array_equal(a, b)


def test_set_weights_rejects_wrong_lists():
    model = _classifier()
    with pytest.raises(ValueError, match="has 4 weight arrays, received a list of 3"):
        model.set_weights(model.get_weights()[:3])
    bad = model.get_weights()
    bad[2] = bad[2].T
    with pytest.raises(ValueError, match="'kernel' has shape"):
        model.set_weights(bad)


def test_frozen_layers_are_not_updated():
    x, labels = _blobs(64)
    model = _classifier()
    model.layers[0].trainable = False
    before = model.get_weights()
    model.fit(x, to_categorical(labels), epochs=1, verbose=0)
    after = model.get_weights()
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert not np.array_equal(before[2], after[2])


# output --------------------------------------------------------------------------------------
def test_verbose_modes():
    x, labels = _blobs(64)
    model = _classifier()
    _, out = _quiet(model.fit, x, to_categorical(labels), epochs=2, verbose=0)
    assert out == ""
    _, out = _quiet(model.fit, x, to_categorical(labels), epochs=2, verbose=2)
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out and "accuracy:" in out
    _, out = _quiet(model.evaluate, x, to_categorical(labels))
    assert "2/2" in out and "loss:" in out


def test_summary_of_the_chapter_network():
    model = models.Sequential(name="mnist")
    model.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,), name="hidden"))
    model.add(layers.Dense(10, activation="softmax", name="output"))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == 'Model: "mnist"'
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert any("hidden (Dense)" in line and "(None, 512)" in line and "401,920" in line for line in lines)
    assert any("output (Dense)" in line and "(None, 10)" in line and "5,130" in line for line in lines)
    assert "Total params: 407,050 (1.55 MB)" in text and "Trainable params: 407,050" in text
    assert "Non-trainable params: 0 (0.00 B)" in text


def test_summary_of_an_unbuilt_model():
    model = models.Sequential([layers.Dense(3)])
    lines = []
    model.summary(print_fn=lines.append)
    assert any("?" in line and "0 (unbuilt)" in line for line in lines)


# callbacks -----------------------------------------------------------------------------------
def test_early_stopping_stops_training():
    x, labels = _blobs(100)
    model = _classifier()
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=10.0, patience=1)
    history = model.fit(x, to_categorical(labels), epochs=20, callbacks=[stopper], verbose=0)
    assert len(history.history["loss"]) == 2 and stopper.stopped_epoch == 1


def test_early_stopping_restores_the_best_weights():
    x, labels = _blobs(100)
    y = to_categorical(labels)
    model = _classifier()
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=0, restore_best_weights=True, min_delta=10.0)
    model.fit(x, y, epochs=5, validation_split=0.2, callbacks=[stopper], verbose=0)
    assert stopper.best_weights is not None
    for a, b in zip(model.get_weights(), stopper.best_weights):
        assert np.array_equal(a, b)


def test_model_checkpoint_writes_each_epoch(tmp_path):
    x, labels = _blobs(64)
    model = _classifier()
    weights_cb = callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.npz"), save_weights_only=True)
    model_cb = callbacks.ModelCheckpoint(str(tmp_path / "best.fastnn"), monitor="loss", save_best_only=True)
    model.fit(x, to_categorical(labels), epochs=3, callbacks=[weights_cb, model_cb], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.fastnn", "w-01.npz", "w-02.npz", "w-03.npz"]
    restored = models.load_model(tmp_path / "best.fastnn")
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))


def test_stop_training_is_honoured_within_an_epoch():
    class StopAfter(callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.batches = 0

        def on_train_batch_end(self, batch, logs=None):
            self.batches += 1
            if batch == 2:
                self.model.stop_training = True

    x, labels = _blobs(200)
    cb = StopAfter()
    history = _classifier().fit(x, to_categorical(labels), epochs=5, batch_size=10, callbacks=[cb], verbose=0)
    assert cb.batches == 3 and len(history.history["loss"]) == 1


def test_callbacks_see_every_hook_in_order():
    events = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            events.append("train_begin")

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_test_begin(self, logs=None):
            events.append("test_begin")

        def on_train_end(self, logs=None):
            events.append("train_end")

    x, labels = _blobs(40)
    _classifier().fit(x, to_categorical(labels), epochs=2, validation_split=0.5, callbacks=[Recorder()], verbose=0)
    keys = ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert events == ["train_begin", "test_begin", ("epoch_end", 0, keys), "test_begin", ("epoch_end", 1, keys),
                      "train_end"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan():
    x, labels = _blobs(64)
    model = _classifier(optimizer=optimizers.SGD(learning_rate=1e30))
    (history, out) = _quiet(model.fit, x * 1e10, to_categorical(labels), epochs=3, batch_size=8,
                            callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    assert "Invalid loss, terminating training" in out and len(history.history["loss"]) == 1


# errors --------------------------------------------------------------------------------------
def test_fit_before_compile():
    model = models.Sequential([layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match=r"must call compile\(\) before fit\(\)"):
        model.fit(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"compile\(\) before evaluate\(\)"):
        model.evaluate(np.zeros((4, 3)), np.zeros((4, 2)))


def test_fit_with_the_wrong_number_of_features_names_the_layer_and_shapes():
    model = _classifier()
    first = model.layers[0].name
    with pytest.raises(ValueError, match=rf"'{first}' \(Dense\).*\(None, 20\).*\(None, 21\)"):
        model.fit(np.zeros((8, 21)), to_categorical(np.zeros(8, int), CLASSES), verbose=0)
    with pytest.raises(ValueError, match=r"\(None, 20\).*\(None, 21\)"):
        model.predict(np.zeros((8, 21)), verbose=0)


def test_label_count_must_match_sample_count():
    model = _classifier()
    with pytest.raises(ValueError, match="x has 10 samples but y has 9"):
        model.fit(np.zeros((10, FEATURES)), to_categorical(np.zeros(9, int), CLASSES), verbose=0)


def test_one_hot_labels_with_a_sparse_loss_and_the_reverse():
    x, labels = _blobs(30)
    sparse = _classifier(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"looks one-hot.*loss='categorical_crossentropy'.*argmax"):
        sparse.fit(x, to_categorical(labels), verbose=0)
    dense = _classifier(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"integer class labels.*sparse_categorical_crossentropy.*to_categorical"):
        dense.fit(x, labels, verbose=0)


def test_labels_out_of_range_for_the_sparse_loss():
    with pytest.raises(ValueError, match=r"labels in \[0, 3\] .* 3 classes"):
        _classifier(loss="sparse_categorical_crossentropy").fit(np.zeros((4, FEATURES)), [0, 1, 2, 3], verbose=0)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, "32"])
def test_bad_batch_sizes(batch_size):
    x, labels = _blobs(10)
    with pytest.raises(ValueError, match=f"Received: batch_size={batch_size!r}"):
        _classifier().fit(x, to_categorical(labels), batch_size=batch_size, verbose=0)


def test_bad_epochs_and_validation_split():
    x, labels = _blobs(10)
    model = _classifier()
    with pytest.raises(ValueError, match="Received: epochs=-1"):
        model.fit(x, to_categorical(labels), epochs=-1, verbose=0)
    for split in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=f"Received: validation_split={split}"):
            model.fit(x, to_categorical(labels), validation_split=split, verbose=0)
    with pytest.raises(ValueError, match="both must be non-empty"):
        model.fit(x, to_categorical(labels), validation_split=0.95, verbose=0)


def test_zero_epochs_trains_nothing():
    x, labels = _blobs(10)
    model = _classifier()
    before = model.get_weights()
    history = model.fit(x, to_categorical(labels), epochs=0, verbose=0)
    assert history.history == {} and all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_other_bad_arguments():
    model = _classifier()
    with pytest.raises(ValueError, match="Unknown optimizer"):
        model.compile(optimizer="adamax", loss="mse")
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile(loss="hinge")
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile()
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(loss="mse", metrics=["precision"])
    with pytest.raises(TypeError, match="dtype"):
        model.predict(np.array([["a"] * FEATURES]), verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.predict(np.zeros((1, FEATURES)), verbose=3)
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        model.compile(loss="mse")
        model.fit(np.zeros((2, FEATURES)), np.zeros((2, 3)), validation_data=np.zeros(3), verbose=0)
    with pytest.raises(ValueError, match="unique names"):
        models.Sequential([layers.Dense(2, name="a"), layers.Dense(2, name="a")])
    with pytest.raises(TypeError, match="Only fastnn layers"):
        models.Sequential().add("dense")
    with pytest.raises(ValueError, match="input shape is unknown"):
        models.Sequential([layers.Dense(2)]).build()
