"""fit's fused step for Dense stacks: bitwise the same training as the autodiff engine."""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.models.dense_stack import DenseStackForward, DenseStackStep
from fastnn.utils import set_random_seed, to_categorical

FEATURES, CLASSES = 12, 4


def _data(n=203, seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, n)
    centers = np.random.default_rng(7).normal(size=(CLASSES, FEATURES)) * 2
    x = centers[labels] + rng.normal(size=(n, FEATURES))
    return x.astype(dtype), labels


def _stack(kind):
    relu = dict(activation="relu")
    if kind == "chapter":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(CLASSES, activation="softmax")]
    if kind == "deep":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(9),
                layers.Dense(7, use_bias=False, **relu), layers.Dense(CLASSES, activation="softmax")]
    if kind == "single":
        return [layers.Dense(CLASSES, activation="softmax", input_shape=(FEATURES,))]
    if kind == "logits":
        return [layers.Dense(16, input_shape=(FEATURES,), **relu), layers.Dense(CLASSES, use_bias=False)]
    raise ValueError(kind)


def _train(kind, fused, monkeypatch, loss="categorical_crossentropy", fits=((1, 32),), x=None, labels=None,
           optimizer="rmsprop", **fit_kwargs):
    """(model, histories) after the fits (epochs, batch_size) with the fused step on or off."""
    with monkeypatch.context() as patch:
        if not fused:
            patch.setattr(DenseStackStep, "supports", staticmethod(lambda *args: False))
        calls = []
        original = DenseStackStep.__call__
        patch.setattr(DenseStackStep, "__call__", lambda self, *a: calls.append(1) or original(self, *a))
        if x is None:
            x, labels = _data()
        y = labels if loss.startswith("sparse") or loss == "from_logits" else to_categorical(labels, CLASSES)
        if loss == "from_logits":
            loss = fastnn.losses.SparseCategoricalCrossentropy(from_logits=True)
        set_random_seed(5)
        model = models.Sequential(_stack(kind))
        model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
        histories = [model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0, **fit_kwargs).history
                     for epochs, batch in fits]
        assert bool(calls) == fused
    return model, histories


def _assert_same(a, b):
    (ma, ha), (mb, hb) = a, b
    for wa, wb in zip(ma.get_weights(), mb.get_weights()):
        assert np.array_equal(wa, wb)
    assert ha == hb
    for ta, tb in zip(ma.weights, mb.weights):
        assert np.array_equal(ta.grad, tb.grad)


@pytest.mark.parametrize("kind", ["chapter", "deep", "single"])
@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_fused_step_trains_bitwise_like_the_engine(kind, loss, monkeypatch):
    _assert_same(_train(kind, True, monkeypatch, loss, fits=((2, 32),)),
                 _train(kind, False, monkeypatch, loss, fits=((2, 32),)))


def test_a_linear_output_with_a_from_logits_loss(monkeypatch):
    _assert_same(_train("logits", True, monkeypatch, "from_logits"), _train("logits", False, monkeypatch, "from_logits"))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adagrad"])
def test_other_optimizers(optimizer, monkeypatch):
    _assert_same(_train("chapter", True, monkeypatch, optimizer=optimizer),
                 _train("chapter", False, monkeypatch, optimizer=optimizer))


def test_consecutive_fits_with_other_batch_sizes_and_a_partial_last_batch(monkeypatch):
    fits = ((1, 64), (2, 7), (1, 203), (1, 500), (1, 1))  # 203 = 3 * 64 + 11 = 29 * 7
    _assert_same(_train("deep", True, monkeypatch, fits=fits), _train("deep", False, monkeypatch, fits=fits))


def test_validation_split_and_uint8_inputs(monkeypatch):
    x, labels = _data()
    x = np.clip(x * 20 + 128, 0, 255).astype(np.uint8)
    runs = [_train("chapter", fused, monkeypatch, x=x, labels=labels, validation_split=0.2) for fused in (True, False)]
    assert "val_accuracy" in runs[0][1][0]
    _assert_same(*runs)


def test_predict_and_evaluate_after_fused_fit(monkeypatch):
    x, labels = _data(97)
    (fused, _), (plain, _) = (_train("deep", f, monkeypatch, fits=((2, 16),)) for f in (True, False))
    assert np.array_equal(fused.predict(x, verbose=0), plain.predict(x, verbose=0))
    y = to_categorical(labels, CLASSES)
    assert fused.evaluate(x, y, verbose=0) == plain.evaluate(x, y, verbose=0)
    # training again after predict: the step's buffers still hold nothing the next batch needs
    again = [m.fit(x, y, epochs=1, batch_size=10, shuffle=False, verbose=0).history for m in (fused, plain)]
    assert again[0] == again[1]
    for wa, wb in zip(fused.get_weights(), plain.get_weights()):
        assert np.array_equal(wa, wb)


def test_the_fused_step_learns():
    x, labels = _data(400)
    set_random_seed(0)
    model = models.Sequential(_stack("chapter"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(labels, CLASSES), epochs=20, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


def _supports(model):
    return DenseStackStep.supports(model, model.trainable_parameters(), model.objective)


def _compiled(stack, loss="categorical_crossentropy"):
    model = models.Sequential(stack)
    model.compile(loss=loss)
    return model


def test_models_the_fused_step_does_not_take():
    relu = dict(activation="relu")
    assert _supports(_compiled(_stack("chapter")))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(FEATURES,), **relu), layers.Dropout(0.5),
                                    layers.Dense(CLASSES, activation="softmax")]))
    assert not _supports(_compiled([layers.Dense(8, activation="tanh", input_shape=(FEATURES,)),
                                    layers.Dense(CLASSES, activation="softmax")]))
    assert not _supports(_compiled(_stack("chapter"), loss="mse"))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(FEATURES,), **relu),
                                    layers.Dense(CLASSES, activation="sigmoid")]))
    assert not _supports(_compiled([layers.Dense(8, input_shape=(3, FEATURES), **relu),
                                    layers.Dense(CLASSES, activation="softmax")]))
    frozen = _stack("chapter")
    frozen[0].trainable = False
    assert not _supports(_compiled(frozen))


def test_a_frozen_layer_trains_through_the_engine(monkeypatch):
    calls = []
    original = DenseStackStep.__call__
    monkeypatch.setattr(DenseStackStep, "__call__", lambda self, *a: calls.append(1) or original(self, *a))
    x, labels = _data()
    stack = _stack("chapter")
    stack[0].trainable = False
    model = _compiled(stack)
    before = model.get_weights()
    model.fit(x, to_categorical(labels, CLASSES), epochs=1, batch_size=50, verbose=0)
    after = model.get_weights()
    assert not calls
    assert np.array_equal(before[0], after[0]) and not np.array_equal(before[2], after[2])


# predict -----------------------------------------------------------------------------------------
def _predict_both(model, x, monkeypatch, **kwargs):
    fused = model.predict(x, verbose=0, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(DenseStackForward, "supports", staticmethod(lambda model: False))
        plain = model.predict(x, verbose=0, **kwargs)
    return fused, plain


@pytest.mark.parametrize("last", ["softmax", "relu", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_fused_predict_matches_the_layer_by_layer_forward(last, dtype, monkeypatch):
    x, _ = _data(101)
    x = np.clip(x * 20 + 128, 0, 255).astype(dtype) if dtype == np.uint8 else x.astype(dtype)
    set_random_seed(2)
    model = models.Sequential([layers.Dense(16, activation="relu", input_shape=(FEATURES,)),
                               layers.Dense(9, use_bias=False), layers.Dense(CLASSES, activation=last)])
    assert DenseStackForward.supports(model)
    for batch_size in (1, 10, 32, 101, 500):
        fused, plain = _predict_both(model, x, monkeypatch, batch_size=batch_size)
        assert fused.dtype == np.float32 and fused.shape == (101, CLASSES)
        assert np.array_equal(fused, plain)


def test_fused_predict_on_a_strided_input_and_a_single_sample(monkeypatch):
    x, _ = _data(60)
    model = _compiled(_stack("chapter"))
    for data in (x[::-2], np.asfortranarray(x), x[:1]):
        fused, plain = _predict_both(model, data, monkeypatch, batch_size=7)
        assert np.array_equal(fused, plain)


def test_predict_takes_the_layer_by_layer_path_for_other_layers():
    model = _compiled([layers.Dense(8, activation="relu", input_shape=(FEATURES,)), layers.Dropout(0.5),
                       layers.Dense(CLASSES, activation="softmax")])
    assert not DenseStackForward.supports(model)
    assert not DenseStackForward.supports(_compiled([layers.Dense(8, activation="sigmoid", input_shape=(FEATURES,))]))
    x, _ = _data(20)
    assert np.allclose(model.predict(x, verbose=0).sum(axis=1), 1, atol=1e-5)


# the compiled step and forward pass: arrays checked once, then only the batch size ----------------
def _step_arrays(capacity=8, features=5, hidden=6, classes=3, sparse=False):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(capacity, features)).astype(np.float32)
    targets = (rng.integers(0, classes, capacity) if sparse
               else to_categorical(rng.integers(0, classes, capacity), classes))
    kernels = [rng.normal(size=(features, hidden)).astype(np.float32),
               rng.normal(size=(hidden, classes)).astype(np.float32)]
    biases = [rng.normal(size=hidden).astype(np.float32), rng.normal(size=classes).astype(np.float32)]
    kernel_grads = [np.empty_like(k) for k in kernels]
    bias_grads = [np.empty_like(b) for b in biases]
    return dict(x=x, targets=targets, kernels=kernels, biases=biases, kernel_grads=kernel_grads,
                bias_grads=bias_grads, relu=[True, False])


def _make_step(a):
    return fastnn._C.DenseStackTrainStep(a["x"], a["targets"], a["kernels"], a["biases"], a["kernel_grads"],
                                         a["bias_grads"], a["relu"])


@pytest.mark.parametrize("sparse", [False, True])
def test_compiled_step_makes_the_kernel_calls_of_fastnn_kernels(sparse):
    a = _step_arrays(sparse=sparse)
    step = _make_step(a)
    k = fastnn.kernels
    for n in (8, 3, 1):
        x, t = a["x"][:n], a["targets"][:n]
        hits = step(n)
        (w1, w2), (b1, b2) = a["kernels"], a["biases"]
        h = k.matmul(x, w1, bias=b1, activation="relu")
        logits = k.matmul(h, w2, bias=b2)
        losses, probs = k.softmax_cross_entropy(logits, t)
        dz = k.softmax_cross_entropy_grad(probs, t, scale=1.0 / n)
        dh = k.matmul(dz, w2, trans_b=True, relu_mask=h)
        assert np.array_equal(step.losses[:n], losses) and np.array_equal(step.probs[:n], probs)
        assert np.array_equal(a["kernel_grads"][1], k.matmul(h, dz, trans_a=True))
        assert np.array_equal(a["bias_grads"][1], k.sum_to_shape(dz, (3,)))
        assert np.array_equal(a["kernel_grads"][0], k.matmul(x, dh, trans_a=True))
        assert np.array_equal(a["bias_grads"][0], k.sum_to_shape(dh, (6,)))
        accuracy = (fastnn.metrics.sparse_categorical_accuracy if sparse else fastnn.metrics.categorical_accuracy)
        assert hits == np.sum(accuracy(t, probs))


def test_compiled_step_checks_its_arrays_when_built():
    def broken(**changes):
        a = _step_arrays()
        a.update(changes)
        return a

    good = _step_arrays()
    bad = [
        broken(x=good["x"].astype(np.float64)),
        broken(x=np.zeros((8, 10), np.float32)[:, ::2]),
        broken(x=good["x"][:, :4]),
        broken(targets=good["targets"][:, :2]),
        broken(targets=good["targets"].astype(np.float64)),
        broken(targets=np.zeros(8, np.int32)),
        broken(kernels=[good["kernels"][0].T.copy(), good["kernels"][1]]),
        broken(kernels=[good["kernels"][0], good["kernels"][1][:, ::2]]),
        broken(biases=[good["biases"][0][:3], good["biases"][1]]),
        broken(biases=[None, good["biases"][1]]),
        broken(kernel_grads=[good["kernel_grads"][0][:2], good["kernel_grads"][1]]),
        broken(kernel_grads=good["kernel_grads"][:1]),
        broken(bias_grads=[good["bias_grads"][0], good["bias_grads"][0][:3]]),
        broken(relu=[True]),
        broken(kernels=[], biases=[], kernel_grads=[], bias_grads=[], relu=[]),
        broken(x=[[1.0] * 5] * 8),
    ]
    readonly = _step_arrays()
    readonly["kernel_grads"][1].flags.writeable = False
    on_a_weight = _step_arrays()
    on_a_weight["kernel_grads"][0] = on_a_weight["kernels"][0]
    on_the_input = _step_arrays(capacity=6, features=6)
    on_the_input["kernel_grads"][0] = on_the_input["x"]
    bad += [readonly, on_a_weight, on_the_input]
    for a in bad:
        with pytest.raises((TypeError, ValueError)):
            _make_step(a)


def test_compiled_step_checks_the_batch_size_and_class_indices():
    step = _make_step(_step_arrays())
    for n in (0, -1, 9):
        with pytest.raises(ValueError, match="batch of"):
            step(n)
    a = _step_arrays(sparse=True)
    step = _make_step(a)
    a["targets"][2] = 3
    with pytest.raises(ValueError, match="class index 3"):
        step(8)
    assert step(2) >= 0  # the bad label is not in the first two rows
    a["targets"][2] = -1
    with pytest.raises(ValueError, match="class index -1"):
        step(3)


def test_compiled_forward_pass_checks_every_batch():
    a = _step_arrays()
    forward = fastnn._C.DenseStackForwardPass(a["kernels"], a["biases"], [True, False], True, 4)
    out = np.empty((4, 3), np.float32)
    x = a["x"][:4]
    assert forward(x, out) is out
    expected = fastnn.kernels.softmax(fastnn.kernels.matmul(
        fastnn.kernels.matmul(x, a["kernels"][0], bias=a["biases"][0], activation="relu"),
        a["kernels"][1], bias=a["biases"][1]))
    assert np.array_equal(out, expected)
    assert forward(a["x"][:0], np.empty((0, 3), np.float32)).shape == (0, 3)
    for bad_x, bad_out in [(a["x"], np.empty((8, 3), np.float32)),      # more rows than the buffers
                           (x.astype(np.float64), out), (x[:, :4], out), (a["x"][::2], out),
                           (x, out[:3]), (x, out.astype(np.float64)), (x, np.empty((4, 4), np.float32)),
                           (x, x[:, :3]), ("x", out)]:
        with pytest.raises((TypeError, ValueError)):
            forward(bad_x, bad_out)
    shared = np.zeros(32, np.float32)
    with pytest.raises(ValueError, match="overlaps"):
        forward(shared[:20].reshape(4, 5), shared[8:20].reshape(4, 3))
    with pytest.raises(ValueError):
        fastnn._C.DenseStackForwardPass(a["kernels"], a["biases"], [True, False], True, 0)


# the batch gather ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_row_gather_copies_like_gather_rows(dtype):
    rng = np.random.default_rng(1)
    source = (rng.random((50, 3, 4)) * 255).astype(dtype)
    buffer = np.full((9, 12), np.nan, np.float32)
    rows = fastnn._C.RowGather(source, buffer)
    for indices in (np.array([49, 0, 7, 7, 3], dtype=np.int64), rng.permutation(50)[:9], np.array([], np.int64)):
        assert rows.take(indices) == len(indices)
        assert np.array_equal(buffer[:len(indices)], fastnn.kernels.gather_rows(source, indices))
    labels = rng.integers(0, 10, 50)
    label_buffer = np.empty(9, np.int64)
    label_rows = fastnn._C.RowGather(labels, label_buffer)
    order = rng.permutation(50)[:9]
    assert label_rows.take(order) == 9 and np.array_equal(label_buffer, labels[order])


def test_row_gather_declines_indices_it_cannot_take_and_copies_nothing():
    source = np.arange(40, dtype=np.float32).reshape(10, 4)
    buffer = np.zeros((3, 4), np.float32)
    rows = fastnn._C.RowGather(source, buffer)
    for indices in (np.array([0, 10]), np.array([-1, 2]), np.arange(4), np.array([0, 1], np.int32),
                    np.arange(6)[::2], np.array([[0, 1]]), [0, 1], np.array([0.0, 1.0])):
        assert rows.take(indices) == -1
    assert not buffer.any()
    for source, buffer in [(source, buffer[:, :3]), (source, buffer.astype(np.float64)), (source.T, buffer),
                           (source.astype(np.int32), buffer), (np.arange(10), np.zeros(3, np.float32)),
                           (source, source[:3])]:
        with pytest.raises((TypeError, ValueError)):
            fastnn._C.RowGather(source, buffer)


def test_batch_gatherer_falls_back_for_indices_and_sources_the_compiled_gather_declines():
    from fastnn.models.data import BatchGatherer

    x = np.arange(60, dtype=np.int16).reshape(20, 3)  # int16: no compiled gather
    y = np.arange(20, dtype=np.int64)
    gatherer = BatchGatherer(x, y, 4)
    xb, yb = gatherer.gather(np.array([-1, 3, 5]))
    assert np.array_equal(xb, x[[-1, 3, 5]].astype(np.float32)) and np.array_equal(yb, y[[-1, 3, 5]])
    gatherer = BatchGatherer(x.astype(np.float32), y, 4)
    xb, yb = gatherer.gather(np.array([-2, 0], np.int32))
    assert np.array_equal(xb, x[[-2, 0]]) and np.array_equal(yb, y[[-2, 0]])


# what the fused step reports, and the fit loop around it -------------------------------------------
def test_batch_mean_is_numpys_mean_bitwise():
    from fastnn.models.dense_stack import batch_mean

    rng = np.random.default_rng(0)
    for n in list(range(1, 40)) + [127, 128, 129, 255, 256, 257, 1000, 4097]:
        values = (rng.lognormal(size=n) * rng.choice([1e-3, 1, 1e3])).astype(np.float32)
        assert batch_mean(values) == float(values.mean())


def test_step_accuracy_follows_argmax_on_ties_and_nans():
    # one identity layer: the logits are x, so ties and NaNs in x reach the probabilities
    x = np.array([[1, 2, 2], [np.nan, 1, 0], [0, 3, 3], [1, 1, 1], [5, 0, 5], [0, 0, 1], [2, 1, 0], [0, 1, 0]],
                 np.float32)
    targets = np.array([[0, 1, 0], [1, 0, 0], [0, 0.5, 0.5], [0, 1, 0], [np.nan, 1, 0], [0, 0, 1],
                        [0.4, 0.3, 0.3], [0, 1, 1]], np.float32)
    grads = [np.empty((3, 3), np.float32)]
    step = fastnn._C.DenseStackTrainStep(x, targets, [np.eye(3, dtype=np.float32)], [None], grads, [None], [False])
    for n in (8, 5, 1):
        hits = step(n)
        expected = fastnn.metrics.categorical_accuracy(targets[:n], step.probs[:n])
        assert hits == np.sum(expected)
    assert 0 < step(8) < 8
    labels = np.array([2, 0, 1, 0, 0, 2, 0, 1], np.int64)
    step = fastnn._C.DenseStackTrainStep(x, labels, [np.eye(3, dtype=np.float32)], [None], grads, [None], [False])
    assert step(8) == np.sum(fastnn.metrics.sparse_categorical_accuracy(labels, step.probs))


def test_a_callback_that_edits_the_batch_logs_is_seen_in_the_history():
    class Extra(fastnn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):  # the alias hook
            logs["extra"] = batch

    x, labels = _data()
    model = _compiled(_stack("chapter"))
    history = model.fit(x, to_categorical(labels, CLASSES), batch_size=50, epochs=2, verbose=0, callbacks=[Extra()])
    assert history.history["extra"] == [4, 4]


def test_set_weights_in_a_callback_during_a_fused_fit(monkeypatch):
    class Reset(fastnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.set_weights([np.full_like(w, 0.01) for w in self.model.get_weights()])

    runs = [_train("deep", fused, monkeypatch, fits=((2, 20),), callbacks=[Reset()]) for fused in (True, False)]
    _assert_same(*runs)


def test_callbacks_without_batch_hooks_are_not_called_per_batch():
    calls = []

    class EpochOnly(fastnn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            calls.append("epoch")

    class Counting(fastnn.callbacks.Callback):
        pass

    counting = Counting()
    counting.on_train_batch_begin = lambda batch, logs=None: calls.append("begin")
    x, labels = _data()
    _compiled(_stack("chapter")).fit(x, to_categorical(labels, CLASSES), batch_size=100, verbose=0,
                                     callbacks=[EpochOnly(), counting])
    assert calls == ["begin"] * 3 + ["epoch"]


def test_stop_training_at_epoch_begin_still_runs_one_batch(monkeypatch):
    class Stop(fastnn.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.stop_training = True

    runs = [_train("chapter", fused, monkeypatch, fits=((3, 16),), callbacks=[Stop()]) for fused in (True, False)]
    _assert_same(*runs)
    assert len(runs[0][1][0]["loss"]) == 1


def test_fused_fit_without_shuffling_and_with_a_batch_larger_than_the_data(monkeypatch):
    for fits in (((2, 16),), ((1, 500), (1, 33))):
        runs = [_train("deep", fused, monkeypatch, fits=fits, shuffle=False) for fused in (True, False)]
        _assert_same(*runs)


def test_fused_step_with_a_user_metric_gets_its_own_probabilities(monkeypatch):
    seen = []

    def kept(y_true, y_pred):
        seen.append(y_pred)
        return np.ones(len(y_pred), np.float32)

    x, labels = _data(64)
    model = _compiled(_stack("chapter"))
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=[kept, "accuracy"])
    history = model.fit(x, to_categorical(labels, CLASSES), batch_size=16, verbose=0, shuffle=False)
    assert history.history["kept"] == [1.0]
    assert len(seen) == 4 and not any(np.shares_memory(seen[0], p) for p in seen[1:])


def test_fused_predict_on_an_unaligned_float32_input(monkeypatch):
    x, _ = _data(30)
    raw = np.empty(x.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np.uint8, count=x.nbytes, offset=1).view(np.float32).reshape(x.shape)
    unaligned[...] = x
    assert not unaligned.flags.aligned
    model = _compiled(_stack("chapter"))
    fused, plain = _predict_both(model, unaligned, monkeypatch, batch_size=8)
    assert np.array_equal(fused, plain) and np.array_equal(fused, model.predict(x, verbose=0, batch_size=8))


# the optimizer's flat-buffer step ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["rmsprop", "sgd", "adam", "adagrad"])
def test_apply_flat_is_apply(name):
    rng = np.random.default_rng(0)
    start = rng.normal(size=40).astype(np.float32)
    params = [start, start.copy()]
    optimizers = [fastnn.optimizers.get(name) for _ in range(2)]
    for step in range(4):
        grad = rng.normal(size=40).astype(np.float32)
        optimizers[0].apply([grad], [params[0]])
        optimizers[1].apply_flat(grad, params[1])
        assert np.array_equal(params[0], params[1])
    assert optimizers[0].iterations == optimizers[1].iterations == 4
    with pytest.raises(ValueError, match="built for parameters"):
        optimizers[1].apply_flat(np.zeros(3, np.float32), np.zeros(3, np.float32))


def test_apply_flat_uses_a_subclass_apply():
    calls = []

    class Logged(fastnn.optimizers.SGD):
        def apply(self, grads, params):
            calls.append(len(params))
            return super().apply(grads, params)

    opt = Logged()
    param = np.ones(5, np.float32)
    for _ in range(3):
        opt.apply_flat(np.ones(5, np.float32), param)
    assert calls == [1, 1, 1] and np.allclose(param, 1 - 3 * 0.01)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_each_fused_step_trains_on_the_samples_of_its_indices_in_order(loss, monkeypatch):
    x, labels = _data(70)
    x = np.clip(x * 20 + 128, 0, 255).astype(np.uint8)
    y = labels if loss.startswith("sparse") else to_categorical(labels, CLASSES)
    seen = []
    original = DenseStackStep.__call__

    def recording(self, indices):
        count, values = original(self, indices)
        seen.append(indices.copy())
        assert np.array_equal(self.gatherer.x_buffer[:count], x[indices].astype(np.float32))
        assert np.array_equal(self.gatherer.y_buffer[:count], y[indices])
        return count, values

    monkeypatch.setattr(DenseStackStep, "__call__", recording)
    model = _compiled(_stack("chapter"), loss=loss)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert [len(i) for i in seen] == [16, 16, 16, 16, 6] * 2
    for epoch in (seen[:5], seen[5:]):
        assert sorted(np.concatenate(epoch)) == list(range(70))
    assert not np.array_equal(np.concatenate(seen[:5]), np.concatenate(seen[5:]))  # reshuffled
